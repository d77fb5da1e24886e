"""The one check of component settings (plugins/plugin_utils/_estate/_settings.py).

Every setting, good and bad values, as inventory variables (``ocs_edge_profiles``) and as
module options (``components.edge.profiles``): a message names the variable or option and
shows the value as JSON, every problem is reported at once, and what passes comes out in
the canonical form the rules are built from.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from expected import COMMON_SETTINGS, EDGE_SETTINGS

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import (
    Settings,
    check_component,
    check_host,
    option_name,
    variable_name,
)

SERVERS = _catalogue.server_components()
FE = SERVERS["front_end"]
EDGE = SERVERS["edge"]
MEDIATION = SERVERS["mediation"]
NAMERS = [pytest.param(variable_name, id="variable"), pytest.param(option_name, id="option")]

REMOTE_HINT = (
    "address; give IPv4 or IPv6 addresses, networks (10.10.0.0/16), ranges "
    "(10.10.0.1-10.10.0.9) or the keywords LocalSubnet, DNS, DHCP, WINS, DefaultGateway"
)
LOCAL_HINT = (
    "local address; give this server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)"
)
REMOTE = REMOTE_HINT
COMMON = COMMON_SETTINGS


def checked(component: _catalogue.Component, **given: Any) -> Settings:
    settings, problems = check_component(component, given, option_name)
    assert problems == [], problems
    assert settings is not None
    return settings


# ---- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "setting", "variable", "option"),
    [
        (FE, "profiles", "ocs_front_end_profiles", "components.front_end.profiles"),
        (
            EDGE,
            "internal_addresses",
            "ocs_edge_internal_addresses",
            "components.edge.internal_addresses",
        ),
        (
            MEDIATION,
            "pool_addresses",
            "ocs_mediation_pool_addresses",
            "components.mediation.pool_addresses",
        ),
    ],
)
def test_namers(component: _catalogue.Component, setting: str, variable: str, option: str) -> None:
    assert variable_name(component, setting) == variable
    assert option_name(component, setting) == option


@pytest.mark.parametrize(
    ("key", "settings"),
    [
        ("front_end", COMMON),
        ("edge", EDGE_SETTINGS),
        ("mediation", (*COMMON, "pool_addresses", "gateway_addresses", "next_hop_pool")),
        ("archiving", (*COMMON, "pools")),
        (
            "sql_backend",
            (*COMMON, "archiving_database", "monitoring_database", "group_chat_database"),
        ),
        ("reverse_proxy", (*COMMON, "internal_addresses", "external_addresses")),
    ],
)
def test_settings_of_each_component(key: str, settings: tuple[str, ...]) -> None:
    assert _settings.settings_of(SERVERS[key]) == settings


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", '"x"'),
        (None, "null"),
        (["a", 1], '["a", 1]'),
        ({"a": True}, '{"a": true}'),
        ("é", '"é"'),
    ],
)
def test_values_are_shown_as_json(value: Any, text: str) -> None:
    assert _settings.shown(value) == text


# ---- defaults -------------------------------------------------------------------------------


def test_defaults() -> None:
    settings = checked(EDGE, unbound=True)
    assert settings == Settings(
        component=EDGE,
        state="present",
        group="OCS 2007 R2 - Edge",
        profiles=("domain", "private", "public"),
        remote_addresses=(),
        include_outbound=False,
        include_extras=True,
        as_published=False,
        local_addresses=(("internal", ()), ("external", ())),
        service_addresses=(("access_edge", ()), ("webconf_edge", ()), ("av_edge", ())),
        opt_ins=frozenset(),
    )


@pytest.mark.parametrize(
    ("collection", "given", "expected"),
    [
        pytest.param({}, {}, ("domain", "private", "public"), id="all-three"),
        pytest.param({"ocs_firewall_profiles": ["domain"]}, {}, ("domain",), id="collection-wide"),
        pytest.param(
            {"ocs_firewall_profiles": "private"}, {}, ("private",), id="collection-wide-string"
        ),
        pytest.param(
            {"ocs_firewall_profiles": ["domain"]},
            {"profiles": ["public", "private"]},
            ("private", "public"),
            id="own-setting-wins",
        ),
        pytest.param(
            {"ocs_other": ["domain"]}, {}, ("domain", "private", "public"), id="other-variables"
        ),
    ],
)
def test_collection_wide_profiles_are_the_default(
    collection: dict[str, Any], given: dict[str, Any], expected: tuple[str, ...]
) -> None:
    settings, problems = check_component(FE, given, variable_name, collection)
    assert problems == []
    assert settings is not None and settings.profiles == expected


def test_a_bad_collection_wide_value_is_reported() -> None:
    problems = check_component(FE, {}, variable_name, {"ocs_firewall_profiles": ["work"]})[1]
    assert len(problems) == 1
    assert '"work" is not a profile; valid profiles are domain, private, public' in problems[0]


def test_a_bad_collection_wide_value_names_the_collection_wide_variable() -> None:
    problems = check_component(FE, {}, variable_name, {"ocs_firewall_profiles": ["work"]})[1]
    assert problems[0].startswith('ocs_firewall_profiles: "work"')


# ---- good values: accepted, in canonical form ---------------------------------------------


@pytest.mark.parametrize(
    ("component", "setting", "value", "expected"),
    [
        (FE, "state", "present", "present"),
        (FE, "state", "absent", "absent"),
        (FE, "group", "My own group", "My own group"),
        (FE, "group", "G" * 255, "G" * 255),
        (FE, "group", "Zürich – 北京", "Zürich – 北京"),
        (FE, "group", "OCS 2007 R2 - Edge", "OCS 2007 R2 - Edge"),
        (FE, "profiles", "domain", ("domain",)),
        (FE, "profiles", ["public", "domain"], ("domain", "public")),
        (FE, "profiles", ("private", "private"), ("private",)),
        (FE, "remote_addresses", None, ()),
        (FE, "remote_addresses", [], ()),
        (FE, "remote_addresses", "", ()),
        (FE, "remote_addresses", "LocalSubnet", ("LocalSubnet",)),
        (FE, "remote_addresses", ["dns", "defaultgateway"], ("DefaultGateway", "DNS")),
        (FE, "remote_addresses", " 10.0.0.1 ", ("10.0.0.1",)),
        (
            FE,
            "remote_addresses",
            ["10.1.1.1-10.1.1.9", "fe80::/64", "10.0.0.0/8", "10.0.0.5/32"],
            ("10.0.0.0/8", "10.0.0.5", "10.1.1.1-10.1.1.9", "fe80::/64"),
        ),
        (FE, "remote_addresses", ["10.0.0.0/255.255.255.0"], ("10.0.0.0/24",)),
        (FE, "include_outbound", True, True),
        (FE, "include_outbound", "yes", True),
        (FE, "include_outbound", "On", True),
        (FE, "include_outbound", 1, True),
        (FE, "include_extras", False, False),
        (FE, "include_extras", "no", False),
        (FE, "include_extras", 0, False),
        (FE, "as_published", "true", True),
        (FE, "as_published", " False ", False),
        (EDGE, "internal_addresses", [], ()),
        (EDGE, "internal_addresses", "10.10.0.0/24", ("10.10.0.0/24",)),
        (EDGE, "internal_addresses", ["10.10.0.5/32", "10.10.0.4"], ("10.10.0.4", "10.10.0.5")),
        (EDGE, "external_addresses", ["2001:db8::10"], ("2001:db8::10",)),
        (MEDIATION, "pool_addresses", ["10.10.0.40"], ("10.10.0.40",)),
        (MEDIATION, "gateway_addresses", "198.51.100.40", ("198.51.100.40",)),
    ],
)
def test_good_values(
    component: _catalogue.Component, setting: str, value: Any, expected: Any
) -> None:
    # An Edge given one side only says it binds the other to any address on purpose.
    unbound = {"unbound": True} if component.must_bind else {}
    settings = checked(component, **{setting: value}, **unbound)
    if setting in COMMON:
        assert getattr(settings, setting) == expected
    else:
        side = next(s for s, name in component.interfaces if name == setting)
        assert settings.addresses_of(side) == expected


def test_addresses_of_follow_the_catalogue_sides() -> None:
    settings = checked(
        MEDIATION, pool_addresses=["10.10.0.40"], gateway_addresses=["198.51.100.40"]
    )
    # Mediation: internal is the pool side, external the gateway side.
    assert settings.addresses_of("internal") == ("10.10.0.40",)
    assert settings.addresses_of("external") == ("198.51.100.40",)
    assert checked(FE).addresses_of("internal") == ()


# ---- bad values: named, shown as JSON, each one -------------------------------------------

# (component, setting, value, [message after "<name>: "], ...)
BAD = [
    (FE, "state", "gone", ['"gone" is not a state; valid states are present, absent']),
    (FE, "state", "Present", ['"Present" is not a state; valid states are present, absent']),
    (FE, "state", None, ["null is not a state; valid states are present, absent"]),
    (FE, "state", ["present"], ['["present"] is not a state; valid states are present, absent']),
    (
        FE,
        "profiles",
        [],
        ["[] names no profile; give one or more of domain, private, public"],
    ),
    (
        FE,
        "profiles",
        None,
        ["null names no profile; give one or more of domain, private, public"],
    ),
    (
        FE,
        "profiles",
        "",
        ['"" names no profile; give one or more of domain, private, public'],
    ),
    (
        FE,
        "profiles",
        {"domain": True},
        ['{"domain": true} names no profile; give one or more of domain, private, public'],
    ),
    (
        FE,
        "profiles",
        ["domain", "work", "Public", 1],
        [
            '"work" is not a profile; valid profiles are domain, private, public',
            '"Public" is not a profile; valid profiles are domain, private, public',
            "1 is not a profile; valid profiles are domain, private, public",
        ],
    ),
    (FE, "include_outbound", "maybe", ['"maybe" is not a boolean; give true or false']),
    (FE, "include_extras", None, ["null is not a boolean; give true or false"]),
    (FE, "as_published", 2, ["2 is not a boolean; give true or false"]),
    (FE, "as_published", 1.0, ["1.0 is not a boolean; give true or false"]),
    (FE, "as_published", [True], ["[true] is not a boolean; give true or false"]),
    (
        FE,
        "remote_addresses",
        ["LocalSubnet", "10.0.0.0/33", "host.example"],
        [
            f'"10.0.0.0/33" is not a valid {REMOTE_HINT}',
            f'"host.example" is not a valid {REMOTE_HINT}',
        ],
    ),
    (FE, "remote_addresses", "10.0.0.1,10.0.0.2", [f'"10.0.0.1,10.0.0.2" is not a valid {REMOTE}']),
    (FE, "remote_addresses", "10.0.0.9-10.0.0.1", [f'"10.0.0.9-10.0.0.1" is not a valid {REMOTE}']),
    (FE, "remote_addresses", ["10.0.0.1-fe80::1"], [f'"10.0.0.1-fe80::1" is not a valid {REMOTE}']),
    # Empty is any address: "*" and "any" in a list would read as addresses.
    (FE, "remote_addresses", ["*"], [f'"*" is not a valid {REMOTE_HINT}']),
    (FE, "remote_addresses", ["10.0.0.1", "any"], [f'"any" is not a valid {REMOTE_HINT}']),
    (
        FE,
        "remote_addresses",
        ["", 5],
        [f'"" is not a valid {REMOTE}', f"5 is not a valid {REMOTE}"],
    ),
    (FE, "remote_addresses", {"a": 1}, ['{"a": 1} is not a list of addresses']),
    (FE, "remote_addresses", 10, ["10 is not a list of addresses"]),
    (EDGE, "internal_addresses", ["10.10.1.300"], [f'"10.10.1.300" is not a valid {LOCAL_HINT}']),
    (
        EDGE,
        "external_addresses",
        ["LocalSubnet", "any", "*", 5],
        [
            f'"LocalSubnet" is not a valid {LOCAL_HINT}',
            f'"any" is not a valid {LOCAL_HINT}',
            f'"*" is not a valid {LOCAL_HINT}',
            f"5 is not a valid {LOCAL_HINT}",
        ],
    ),
    (MEDIATION, "pool_addresses", ["dns"], [f'"dns" is not a valid {LOCAL_HINT}']),
    (MEDIATION, "gateway_addresses", {"x": 1}, ['{"x": 1} is not a list of addresses']),
]


@pytest.mark.parametrize("namer", NAMERS)
@pytest.mark.parametrize(("component", "setting", "value", "expected"), BAD)
def test_bad_values_are_each_named_with_the_value(
    namer: _settings.Namer,
    component: _catalogue.Component,
    setting: str,
    value: Any,
    expected: list[str],
) -> None:
    settings, problems = check_component(component, {setting: value}, namer)
    assert settings is None
    name = namer(component, setting)
    assert problems == [f"{name}: {message}" for message in expected]


# Group names: refused for what Windows or the collection cannot take.
BAD_GROUPS = [
    pytest.param("Edge|rules", "contains '|', which Windows Firewall forbids", id="pipe"),
    pytest.param("  ", "is not a group name; give a non-empty string", id="blank"),
    pytest.param("", "is not a group name; give a non-empty string", id="empty"),
    pytest.param(None, "is not a group name; give a non-empty string", id="null"),
    pytest.param(42, "is not a group name; give a non-empty string", id="number"),
    pytest.param("G" * 256, "is 256 characters long; at most 255 are allowed", id="256-long"),
    pytest.param(
        "@FirewallAPI.dll,-28752",
        "starts with '@', the indirect name of a built-in Windows group",
        id="built-in",
    ),
    pytest.param(" @x", "starts with '@'", id="built-in-after-blank"),
]


@pytest.mark.parametrize("namer", NAMERS)
@pytest.mark.parametrize(("value", "words"), BAD_GROUPS)
def test_bad_groups_are_refused_naming_the_setting(
    namer: _settings.Namer, value: Any, words: str
) -> None:
    settings, problems = check_component(EDGE, {"group": value}, namer)
    assert settings is None
    (problem,) = problems
    assert problem.startswith(f"{namer(EDGE, 'group')}: ")
    assert words in problem


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(42, id="number"),
        *(
            pytest.param(
                value,
                id=name,
            )
            for name, value in (("pipe", "Edge|rules"), ("null", None), ("built-in", "@x"))
        ),
    ],
)
def test_bad_group_messages_show_the_value_as_json(value: Any) -> None:
    (problem,) = check_component(EDGE, {"group": value}, variable_name)[1]
    assert problem.startswith(f"ocs_edge_group: {_settings.shown(value)} ")


# ---- interface addresses --------------------------------------------------------------------


@pytest.mark.parametrize("namer", NAMERS)
@pytest.mark.parametrize(
    ("component", "first", "second", "expected"),
    [
        pytest.param(
            EDGE,
            ["192.0.2.10"],
            ["192.0.2.10", "192.0.2.11"],
            '"192.0.2.10"',
            id="same-address",
        ),
        pytest.param(
            EDGE,
            ["192.0.2.11/32", "10.10.0.20", "192.0.2.10"],
            ["192.0.2.10", "192.0.2.11"],
            # Compared, and shown, in canonical form.
            '"192.0.2.10", "192.0.2.11"',
            id="other-spelling",
        ),
        pytest.param(
            MEDIATION, "10.10.0.40", ["10.10.0.40"], '"10.10.0.40"', id="mediation-string"
        ),
    ],
)
def test_an_address_on_both_interfaces_is_refused(
    namer: _settings.Namer,
    component: _catalogue.Component,
    first: Any,
    second: Any,
    expected: str,
) -> None:
    internal, external = component.address_settings[:2]
    problems = check_component(component, {internal: first, external: second}, namer)[1]
    assert problems == [
        f"{namer(component, internal)} and {namer(component, external)} both hold "
        f"{expected}; an address belongs to one interface, and the internal side's "
        "addresses are never inside the external side's"
    ]


@pytest.mark.parametrize(
    ("internal", "external"),
    [
        pytest.param(["10.10.1.10"], [], id="one-side"),
        pytest.param([], ["192.0.2.10"], id="other-side"),
        pytest.param(["10.10.1.10"], ["192.0.2.10"], id="distinct"),
        pytest.param(["10.10.1.0/24"], ["10.10.2.0/24"], id="networks"),
    ],
)
def test_distinct_interface_addresses_pass(internal: list[str], external: list[str]) -> None:
    settings = checked(EDGE, internal_addresses=internal, external_addresses=external, unbound=True)
    assert settings.local_addresses == (
        ("internal", tuple(internal)),
        ("external", tuple(external)),
    )


def test_overlap_is_checked_only_once_the_addresses_are_valid() -> None:
    problems = check_component(
        EDGE,
        {"internal_addresses": ["x", "192.0.2.10"], "external_addresses": ["192.0.2.10"]},
        variable_name,
    )[1]
    assert problems == [f'ocs_edge_internal_addresses: "x" is not a valid {LOCAL_HINT}']


# ---- unknown settings, several problems -------------------------------------------------


@pytest.mark.parametrize(
    ("namer", "name"),
    [(variable_name, "ocs_front_end_colour"), (option_name, "components.front_end.colour")],
)
def test_unknown_setting_names_the_valid_ones(namer: _settings.Namer, name: str) -> None:
    settings, problems = check_component(FE, {"colour": "blue"}, namer)
    assert settings is None
    assert problems == [
        f"{name}: unknown setting; valid settings of front_end are state, group, profiles, "
        "remote_addresses, include_outbound, include_extras, as_published"
    ]


def test_an_interface_setting_of_another_component_is_unknown() -> None:
    problems = check_component(FE, {"internal_addresses": []}, option_name)[1]
    assert problems[0].startswith("components.front_end.internal_addresses: unknown setting")


def test_every_problem_is_reported_at_once() -> None:
    problems = check_component(
        EDGE,
        {"colour": 1, "state": "gone", "profiles": ["work"], "internal_addresses": ["x"]},
        variable_name,
    )[1]
    assert [p.split(":")[0] for p in problems] == [
        "ocs_edge_colour",
        "ocs_edge_state",
        "ocs_edge_profiles",
        "ocs_edge_internal_addresses",
    ]


# ---- a host ---------------------------------------------------------------------------------

CLASH = "two components cannot share a group, each would remove the other's rules on every run"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(
            {"front_end": {"group": "Shared"}, "edge": {"group": "Shared", "unbound": True}},
            [
                "components.edge.group and components.front_end.group both name the rule "
                f'group "Shared"; {CLASH}'
            ],
            id="same-group",
        ),
        pytest.param(
            {"front_end": {"group": "Shared"}, "edge": {"group": "SHARED", "unbound": True}},
            [
                "components.edge.group and components.front_end.group both name the rule "
                f'group "SHARED" ("Shared"); {CLASH}'
            ],
            id="differs-in-case-only",
        ),
        pytest.param(
            {"edge": {"unbound": True}, "front_end": {"group": "ocs 2007 r2 - edge"}},
            [
                "components.front_end.group and components.edge.group both name the rule "
                f'group "ocs 2007 r2 - edge" ("OCS 2007 R2 - Edge"); {CLASH}'
            ],
            id="another-components-default",
        ),
    ],
)
def test_two_components_on_one_group_are_refused_naming_both(
    requested: dict[str, Any], expected: list[str]
) -> None:
    settings, problems = check_host(requested, option_name)
    assert settings == []
    assert problems == expected


def test_group_clash_names_the_variables_of_both() -> None:
    problems = check_host({"cwa": {"group": "x"}, "director": {"group": "X"}}, variable_name)[1]
    (problem,) = problems
    assert problem.startswith("ocs_director_group and ocs_cwa_group both name the rule group")


def test_groups_differing_in_more_than_case_are_distinct() -> None:
    settings, problems = check_host(
        {"front_end": {"group": "Shared"}, "edge": {"group": "Shared ", "unbound": True}},
        option_name,
    )
    assert problems == []
    assert [s.group for s in settings] == ["Shared", "Shared "]


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        pytest.param(
            {"frontend": None},
            [
                'components: "frontend" is not an OCS server component; valid components are '
                + ", ".join(SERVERS)
            ],
            id="unknown",
        ),
        pytest.param(
            {"edge_load_balancer": None},
            [
                'components: "edge_load_balancer" is not an OCS server component; valid '
                "components are " + ", ".join(SERVERS)
            ],
            id="not-a-server",
        ),
        pytest.param(
            {5: {}},
            [
                "components: 5 is not an OCS server component; valid components are "
                + ", ".join(SERVERS)
            ],
            id="not-a-string",
        ),
        pytest.param(
            {"edge": ["internal_addresses"]},
            [
                'components.edge: ["internal_addresses"] is not a dictionary of settings; valid '
                "settings are state, group, profiles, remote_addresses, include_outbound, "
                "include_extras, as_published, internal_addresses, external_addresses, "
                "access_addresses, webconf_addresses, av_addresses, unbound, r1_federation, "
                "pools"
            ],
            id="settings-not-a-dict",
        ),
    ],
)
def test_unknown_components_are_refused(requested: dict[Any, Any], expected: list[str]) -> None:
    assert check_host(requested, option_name) == ([], expected)


def test_a_host_is_checked_whole() -> None:
    settings, problems = check_host(
        {
            "front_end": {"state": "gone"},
            "mediation": {"pool_addresses": ["dns"]},
            "cwa": None,
            "nope": {},
        },
        option_name,
    )
    # One bad component fails the host: nothing of it is half-applied.
    assert settings == []
    assert [p.split(":")[0] for p in problems] == [
        "components.front_end.state",
        "components.mediation.pool_addresses",
        "components",
    ]


def test_a_good_host_keeps_its_components_in_the_order_given() -> None:
    settings, problems = check_host(
        {"mediation": None, "front_end": {}, "edge": {"state": "absent"}}, option_name
    )
    assert problems == []
    assert [(s.component.key, s.state) for s in settings] == [
        ("mediation", "present"),
        ("front_end", "present"),
        ("edge", "absent"),
    ]


# ---- from the inventory -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group_names", "expected"),
    [
        pytest.param([], [], id="none"),
        pytest.param(["ocs_edge"], ["edge"], id="one"),
        pytest.param(
            ["ocs_mediation", "webservers", "ocs_front_end", "ocs_edge_load_balancer"],
            # Catalogue order; load balancers and other groups are not server components.
            ["front_end", "mediation"],
            id="collocated",
        ),
        pytest.param(["OCS_EDGE", "edge"], [], id="exact-names-only"),
    ],
)
def test_held_components(group_names: list[str], expected: list[str]) -> None:
    assert _settings.held_components(group_names) == expected


def test_variables_wanted() -> None:
    assert _settings.variables_wanted([]) == ["ocs_firewall_profiles"]
    assert _settings.variables_wanted(["mediation"]) == [
        "ocs_firewall_profiles",
        *(
            f"ocs_mediation_{s}"
            for s in (*COMMON, "pool_addresses", "gateway_addresses", "next_hop_pool")
        ),
    ]


def test_from_variables_takes_only_what_is_defined() -> None:
    requested, collection = _settings.from_variables(
        ["front_end", "edge"],
        {
            "ocs_front_end_state": "absent",
            "ocs_edge_internal_addresses": ["10.0.0.1"],
            "ocs_firewall_profiles": ["domain"],
            "ocs_cwa_state": "absent",
            "unrelated": 1,
        },
    )
    assert requested == {
        "front_end": {"state": "absent"},
        "edge": {"internal_addresses": ["10.0.0.1"]},
    }
    assert collection == {"ocs_firewall_profiles": ["domain"]}


def test_checked_settings_are_plain_and_comparable() -> None:
    # Frozen and hashable: a plan can rely on them not changing under it.
    settings = checked(EDGE, profiles=["domain"], unbound=True)
    assert settings == checked(EDGE, profiles="domain", unbound=True)
    hash(settings)
    json.dumps(settings.profiles)


def test_an_edge_must_bind_its_sides_unless_it_says_otherwise() -> None:
    given = {"internal_addresses": ["10.10.1.10"], "external_addresses": ["192.0.2.10"]}
    assert check_component(EDGE, given, variable_name)[1] == []
    services = {"access_addresses": ["192.0.2.10"], "webconf_addresses": ["192.0.2.11"]}
    # Every external service with its own addresses stands for the external side.
    per_service = {"internal_addresses": ["10.10.1.10"], **services, "av_addresses": ["192.0.2.12"]}
    assert check_component(EDGE, per_service, variable_name)[1] == []
    (problem,) = check_component(
        EDGE, {"internal_addresses": ["10.10.1.10"], **services}, variable_name
    )[1]
    assert problem.startswith("ocs_edge_external_addresses is not set: its Internet-facing ports")
    (problem,) = check_component(EDGE, {}, option_name)[1]
    assert problem.startswith(
        "components.edge.internal_addresses and components.edge.external_addresses are not "
        "set: its internal-only ports (5062/TCP, 8057/TCP) would open on its Internet side too"
    )
    assert problem.endswith(
        "or set components.edge.unbound: true to take any local address on purpose"
    )
    # Said on purpose, or not wanted at all, it passes.
    assert check_component(EDGE, {"unbound": True}, variable_name)[1] == []
    assert check_component(EDGE, {"state": "absent"}, variable_name)[1] == []
    # Only a perimeter server with two sides must bind them.
    assert [c.key for c in SERVERS.values() if c.must_bind] == ["edge"]
    assert check_component(MEDIATION, {}, variable_name)[1] == []
