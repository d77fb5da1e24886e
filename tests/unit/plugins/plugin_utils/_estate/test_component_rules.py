"""Catalogue entries + checked settings -> rules (plugins/plugin_utils/_estate/_component_rules.py).

The settings reach ``build_rules`` checked and canonical (test_settings.py covers the
checks; test_catalogue.py and tests/unit/catalogue/ those of the entries), so these tests
are about the mapping only.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._component_rules import (
    build_rules,
    component_rules,
    made_entries,
    port_text,
    rule_name,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _rules,
    _windows,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule

ALL = _windows.ALL_PROFILES


def entry(**fields: Any) -> dict[str, Any]:
    """A catalogue entry with plausible defaults; tests override what they are about."""
    base: dict[str, Any] = {
        "id": "seed-01",
        "component": "front_end",
        "host_kind": "server",
        "ports": ["5060", "5061"],
        "seed_ports": "5060/5061",
        "transports": ["tcp"],
        "direction": "inbound",
        "interface": "any",
        "description": "SIP",
        "seed_row": 1,
        "corrections": [],
    }
    base.update(fields)
    return base


def shape(rules: list[Rule]) -> list[tuple[str, str, list[str]]]:
    """(direction, protocol, ports) of each rule, the part a firewall acts on."""
    return [(r.direction, r.protocol, list(r.local_ports or r.remote_ports)) for r in rules]


@pytest.mark.parametrize(
    ("fields", "options", "expected"),
    [
        pytest.param({}, {}, [("in", "tcp", ["5060-5061"])], id="inbound-one-rule"),
        pytest.param(
            {"transports": ["tcp", "udp"], "ports": ["3478"]},
            {},
            [("in", "tcp", ["3478"]), ("in", "udp", ["3478"])],
            id="two-transports-two-rules",
        ),
        pytest.param(
            {"direction": "both", "ports": ["5061"]},
            {"include_outbound": True},
            [("in", "tcp", ["5061"]), ("out", "tcp", ["5061"])],
            id="both-gives-in-and-out",
        ),
        pytest.param(
            {"direction": "both", "ports": ["5061"]},
            {},
            [("in", "tcp", ["5061"])],
            id="both-without-outbound-gives-in-only",
        ),
        pytest.param({"direction": "outbound"}, {}, [], id="outbound-excluded-by-default"),
        pytest.param(
            {"direction": "outbound", "ports": ["389"], "transports": ["tcp", "udp"]},
            {"include_outbound": True},
            [("out", "tcp", ["389"]), ("out", "udp", ["389"])],
            id="outbound-when-asked",
        ),
        pytest.param(
            {"id": "extra-x", "seed_row": None, "seed_ports": None},
            {"include_extras": False},
            [],
            id="extras-switched-off",
        ),
        pytest.param(
            {"id": "extra-x", "seed_row": None, "seed_ports": None},
            {},
            [("in", "tcp", ["5060-5061"])],
            id="extras-on-by-default",
        ),
    ],
)
def test_entry_to_rules(
    fields: dict[str, Any], options: dict[str, Any], expected: list[tuple[str, str, list[str]]]
) -> None:
    rules = build_rules([entry(**fields)], label="Front End", profiles=ALL, **options)
    assert shape(rules) == expected


def test_outbound_rule_ports_are_remote_ports() -> None:
    (rule,) = build_rules(
        [entry(direction="outbound", ports=["88"])],
        label="CWA",
        profiles=ALL,
        include_outbound=True,
    )
    assert rule.remote_ports == ("88",)
    assert rule.local_ports == ()


def test_rule_fields_and_name() -> None:
    (rule,) = build_rules(
        [entry(description="Used by pools")],
        label="Front End",
        profiles=("domain", "public"),
        remote_addresses=("10.10.0.0/16",),
    )
    assert rule == Rule(
        name="OCS Front End 5060-5061/TCP In (seed-01)",
        description="Used by pools [ocs.firewall catalogue seed-01]",
        direction="in",
        action="allow",
        protocol="tcp",
        local_ports=("5060-5061",),
        remote_ports=(),
        local_addresses=(),
        remote_addresses=("10.10.0.0/16",),
        profiles=("domain", "public"),
        enabled=True,
    )
    # The description says whose rule it is, and from which catalogue row.
    assert _ownership.is_owned(rule.description)
    assert _ownership.entry_of(rule.description) == "seed-01"


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("SIP", "SIP [ocs.firewall catalogue seed-01]"),
        ("  SIP  ", "SIP [ocs.firewall catalogue seed-01]"),
        ("", "[ocs.firewall catalogue seed-01]"),
        (None, "[ocs.firewall catalogue seed-01]"),
    ],
)
def test_description_ends_with_the_catalogue_marker(description: Any, expected: str) -> None:
    (rule,) = build_rules([entry(description=description)], label="Front End", profiles=ALL)
    assert rule.description == expected


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        (["5061", "5060"], "5060-5061"),
        (["443"], "443"),
        (["49152-65535", "5062"], "5062,49152-65535"),
        ([], "any"),
    ],
)
def test_port_text_for_names(ports: list[str], expected: str) -> None:
    assert port_text(ports) == expected


EDGE = [
    entry(id="e-int", ports=["5062"], interface="internal"),
    entry(id="e-ext", ports=["443"], interface="external"),
    entry(id="e-any", ports=["3478"], interface="any", transports=["udp"]),
]


@pytest.mark.parametrize(
    ("internal", "external", "expected"),
    [
        pytest.param(
            ["10.10.1.10"],
            ["192.0.2.10", "192.0.2.11"],
            {
                "e-int": ["10.10.1.10"],
                "e-ext": ["192.0.2.10", "192.0.2.11"],
                "e-any": ["10.10.1.10", "192.0.2.10", "192.0.2.11"],
            },
            id="both-sides-known",
        ),
        pytest.param(
            ["10.10.1.10"],
            [],
            {"e-int": ["10.10.1.10"], "e-ext": [], "e-any": []},
            id="external-unknown-stays-unbound",
        ),
        pytest.param([], [], {"e-int": [], "e-ext": [], "e-any": []}, id="no-sides"),
        pytest.param(
            ["10.10.1.0/24"],
            ["2001:db8::10"],
            {
                "e-int": ["10.10.1.0/24"],
                "e-ext": ["2001:db8::10"],
                "e-any": ["10.10.1.0/24", "2001:db8::10"],
            },
            id="network-and-ipv6",
        ),
    ],
)
def test_edge_interfaces_bind_local_addresses(
    internal: Any, external: Any, expected: dict[str, list[str]]
) -> None:
    rules = build_rules(
        EDGE,
        label="Edge",
        profiles=ALL,
        internal_addresses=internal,
        external_addresses=external,
    )
    got = {r.name.rsplit("(", 1)[1].rstrip(")"): list(r.local_addresses) for r in rules}
    assert got == expected


def test_mediation_sides_from_catalogue() -> None:
    # Mediation: the catalogue's internal side is the pool NIC, external the gateway NIC.
    rules = build_rules(
        _catalogue.query(["mediation"], host_kind="server"),
        label="Mediation",
        profiles=ALL,
        internal_addresses=["10.10.0.40"],
        external_addresses=["198.51.100.40"],
    )
    bound = {(r.name, r.local_addresses) for r in rules}
    assert bound == {
        ("OCS Mediation 60000-64000/TCP In (seed-47)", ("10.10.0.40", "198.51.100.40")),
        ("OCS Mediation 60000-64000/UDP In (seed-47)", ("10.10.0.40", "198.51.100.40")),
        ("OCS Mediation 5061/TCP In (seed-48)", ("10.10.0.40",)),
        ("OCS Mediation 5060/TCP In (seed-49)", ("198.51.100.40",)),
    }


def test_catalogue_names_the_mediation_sides() -> None:
    """Pool-side SIP (5061) is internal, gateway-side SIP (5060) external, media on both."""
    by_id = {e["id"]: e for e in _catalogue.query(["mediation"])}
    assert (by_id["seed-48"]["ports"], by_id["seed-48"]["interface"]) == (["5061"], "internal")
    assert (by_id["seed-49"]["ports"], by_id["seed-49"]["interface"]) == (["5060"], "external")
    assert by_id["seed-47"]["interface"] == "any"


def test_as_published_uses_seed_ports() -> None:
    corrected = _catalogue.query(["front_end"], host_kind="server", seed_only=True)
    published = _catalogue.query(
        ["front_end"], host_kind="server", seed_only=True, as_published=True
    )
    fixed = [r for r in build_rules(corrected, label="FE", profiles=ALL) if "(seed-16)" in r.name]
    seed = [r for r in build_rules(published, label="FE", profiles=ALL) if "(seed-16)" in r.name]
    assert fixed[0].local_ports == ("49152-65535",)
    # The published table's typo, as printed.
    assert seed[0].local_ports == ("49152-65335",)


# Every server component of the catalogue has a role (tests/unit/roles/test_roles_structure.py).
COMPONENTS = sorted({e["component"] for e in _catalogue.query(host_kind="server")})


@pytest.mark.parametrize("component", COMPONENTS)
def test_names_unique_valid_and_stable(component: str) -> None:
    entries = _catalogue.query([component], host_kind="server")
    options: dict[str, Any] = {
        "label": _catalogue.server_components()[component].label,
        "profiles": ALL,
        "include_outbound": True,
        "internal_addresses": ["10.10.1.10"],
        "external_addresses": ["192.0.2.10"],
    }
    first = build_rules(entries, **options)
    again = build_rules(list(reversed(entries)), **options)
    names = [r.name for r in first]
    assert first, f"no rule for {component}"
    assert len({_rules.name_key(n) for n in names}) == len(names)
    assert sorted(names) == sorted(r.name for r in again)
    for rule in first:
        # The engine's own checks accept every rule as built, and find it canonical.
        assert _rules.normalise_rule(rule.to_dict(), 0) == rule
        assert len(rule.name) <= _windows.MAX_NAME_LENGTH
        assert _ownership.is_owned(rule.description)


def test_long_port_list_name_is_shortened_but_keeps_id() -> None:
    ports = [str(p) for p in range(1000, 1400, 2)]
    name = rule_name("Front End", ports, "tcp", "in", "extra-long")
    assert len(name) <= _windows.MAX_NAME_LENGTH
    assert name.endswith("/TCP In (extra-long)")
    assert "..." in name


def test_a_label_too_long_for_any_name_is_refused() -> None:
    with pytest.raises(InputError, match=r"label: 'xxx.*' is too long .*'seed-01'"):
        rule_name("x" * 250, ["5060"], "tcp", "in", "seed-01")


# --- component_rules: checked settings -> the component's rules -------------------------


def settings(key: str, **given: Any) -> _settings.Settings:
    component = _catalogue.server_components()[key]
    if component.must_bind:
        # Unbound on purpose unless a test gives addresses: the rules are what is tested.
        given.setdefault("unbound", True)
    checked, problems = _settings.check_component(component, given, _settings.option_name)
    assert problems == [] and checked is not None
    return checked


def test_component_rules_use_every_setting() -> None:
    rules = component_rules(
        settings(
            "edge",
            profiles=["public"],
            remote_addresses=["192.0.2.0/24"],
            include_outbound=True,
            internal_addresses=["10.10.1.10"],
            external_addresses=["192.0.2.10"],
        )
    )
    assert rules == build_rules(
        _catalogue.query(["edge"], host_kind="server"),
        label="Edge",
        profiles=("public",),
        include_outbound=True,
        internal_addresses=("10.10.1.10",),
        external_addresses=("192.0.2.10",),
        remote_addresses=("192.0.2.0/24",),
    )
    assert {r.direction for r in rules} == {"in", "out"}
    assert all(r.name.startswith("OCS Edge ") for r in rules)
    assert all(r.profiles == ("public",) for r in rules)
    assert all(r.remote_addresses == ("192.0.2.0/24",) for r in rules)


@pytest.mark.parametrize(
    ("given", "check"),
    [
        pytest.param(
            {}, lambda rules: rules and all(r.direction == "in" for r in rules), id="defaults"
        ),
        pytest.param({"state": "absent"}, lambda rules: rules == [], id="absent-no-rules"),
        pytest.param(
            {"include_extras": False},
            lambda rules: rules and not any("(extra-" in r.name for r in rules),
            id="no-extras",
        ),
        pytest.param(
            {"as_published": True},
            lambda rules: any(r.local_ports == ("49152-65335",) for r in rules),
            id="as-published",
        ),
        pytest.param(
            {},
            lambda rules: all(r.profiles == ALL for r in rules),
            id="all-profiles-by-default",
        ),
    ],
)
def test_component_rules_per_setting(given: dict[str, Any], check: Any) -> None:
    assert check(component_rules(settings("front_end", **given)))


def test_extras_are_included_by_default() -> None:
    rules = component_rules(settings("front_end"))
    assert any("(extra-" in r.name for r in rules)
    assert all(not r.local_addresses for r in rules)


# --- the Edge's external services, each on its own addresses ----------------------------


EDGE_SERVICES = [
    entry(id="e-access", ports=["5061"], interface="external", service=["access_edge"]),
    entry(id="e-webconf", ports=["444"], interface="external", service=["webconf_edge"]),
    entry(id="e-av", ports=["3478"], interface="external", service=["av_edge"]),
    entry(
        id="e-all",
        ports=["443"],
        interface="external",
        service=["access_edge", "webconf_edge", "av_edge"],
    ),
    entry(id="e-int", ports=["5062"], interface="internal", service=["av_edge"]),
]


@pytest.mark.parametrize(
    ("external", "services", "expected"),
    [
        pytest.param(
            [],
            {"access_edge": ["192.0.2.10"]},
            {"e-access": ["192.0.2.10"], "e-webconf": [], "e-av": [], "e-all": []},
            id="access-only-set",
        ),
        pytest.param(
            ["192.0.2.1"],
            {"access_edge": ["192.0.2.10"]},
            {
                "e-access": ["192.0.2.10"],
                "e-webconf": ["192.0.2.1"],
                "e-av": ["192.0.2.1"],
                "e-all": ["192.0.2.1", "192.0.2.10"],
            },
            id="access-set-others-on-external",
        ),
        pytest.param(
            [],
            {
                "access_edge": ["192.0.2.10"],
                "webconf_edge": ["192.0.2.20"],
                "av_edge": ["192.0.2.30"],
            },
            {
                "e-access": ["192.0.2.10"],
                "e-webconf": ["192.0.2.20"],
                "e-av": ["192.0.2.30"],
                "e-all": ["192.0.2.10", "192.0.2.20", "192.0.2.30"],
            },
            id="all-three-set",
        ),
        pytest.param(
            ["192.0.2.1", "192.0.2.2"],
            {},
            {
                "e-access": ["192.0.2.1", "192.0.2.2"],
                "e-webconf": ["192.0.2.1", "192.0.2.2"],
                "e-av": ["192.0.2.1", "192.0.2.2"],
                "e-all": ["192.0.2.1", "192.0.2.2"],
            },
            id="only-external-every-service-on-it",
        ),
        pytest.param(
            [],
            {"av_edge": ["192.0.2.30"]},
            {"e-access": [], "e-webconf": [], "e-av": ["192.0.2.30"], "e-all": []},
            id="one-service-set-external-empty-shared-port-any",
        ),
        pytest.param(
            ["192.0.2.1"],
            {"access_edge": [], "webconf_edge": []},
            {
                "e-access": ["192.0.2.1"],
                "e-webconf": ["192.0.2.1"],
                "e-av": ["192.0.2.1"],
                "e-all": ["192.0.2.1"],
            },
            id="empty-service-lists-use-external",
        ),
    ],
)
def test_edge_services_bind_their_own_addresses(
    external: list[str], services: dict[str, list[str]], expected: dict[str, list[str]]
) -> None:
    """An Edge with one public address per service binds each service's rules to its own
    address; a port several services share (443) to all of theirs, or to any address when
    one of them may be on any."""
    rules = build_rules(
        EDGE_SERVICES,
        label="Edge",
        profiles=ALL,
        internal_addresses=["10.10.1.10"],
        external_addresses=external,
        service_addresses=services,
    )
    got = {r.name.rsplit("(", 1)[1].rstrip(")"): list(r.local_addresses) for r in rules}
    # The internal side is the internal side's, whatever the services' addresses.
    assert got.pop("e-int") == ["10.10.1.10"]
    assert got == expected


def test_edge_service_settings_reach_the_catalogue_rules() -> None:
    rules = component_rules(
        settings(
            "edge",
            internal_addresses=["10.10.1.10"],
            access_addresses=["192.0.2.10"],
            webconf_addresses=["192.0.2.20"],
            av_addresses=["192.0.2.30"],
        )
    )
    by_id = {e["id"]: e for e in _catalogue.server_entries("edge")}
    own = {"access_edge": "192.0.2.10", "webconf_edge": "192.0.2.20", "av_edge": "192.0.2.30"}
    seen = set()
    for rule in rules:
        found = by_id[_ownership.entry_of(rule.description) or ""]
        if found["interface"] == "internal":
            assert rule.local_addresses == ("10.10.1.10",), rule.name
            continue
        want = tuple(sorted(own[s] for s in found["service"]))
        assert rule.local_addresses == want, rule.name
        seen.add(want)
    # seed-53 (443) is shared by the three services; the others are one service's.
    assert ("192.0.2.10", "192.0.2.20", "192.0.2.30") in seen
    assert ("192.0.2.10",) in seen and ("192.0.2.30",) in seen


# --- opt-ins: entries made only when asked for by name ----------------------------------

R1 = "extra-edge-av-r1-federation"
EDGE_ENTRIES = _catalogue.query(["edge"], host_kind="server")


@pytest.mark.parametrize(
    ("options", "made"),
    [
        pytest.param({}, False, id="default-off"),
        pytest.param({"include_extras": True}, False, id="extras-do-not-opt-in"),
        pytest.param({"opt_ins": {"r1_federation"}}, True, id="opted-in"),
        pytest.param(
            {"opt_ins": {"r1_federation"}, "include_extras": False},
            True,
            id="opted-in-without-extras",
        ),
        pytest.param({"opt_ins": {"something_else"}}, False, id="another-opt-in"),
    ],
)
def test_the_r1_federation_entry_is_made_only_with_its_opt_in(
    options: dict[str, Any], made: bool
) -> None:
    rules = build_rules(EDGE_ENTRIES, label="Edge", profiles=ALL, **options)
    mine = [r for r in rules if r.name.endswith(f"({R1})")]
    if not made:
        assert mine == []
        return
    # Inbound only unless outbound rules are asked for, for TCP and UDP.
    assert shape(mine) == [("in", "tcp", ["50000-59999"]), ("in", "udp", ["50000-59999"])]
    both = build_rules(EDGE_ENTRIES, label="Edge", profiles=ALL, include_outbound=True, **options)
    assert [(r.direction, r.protocol) for r in both if r.name.endswith(f"({R1})")] == [
        ("in", "tcp"),
        ("in", "udp"),
        ("out", "tcp"),
        ("out", "udp"),
    ]


def test_made_entries_keep_extras_off_but_the_opted_in() -> None:
    made = made_entries(EDGE_ENTRIES, include_extras=False, opt_ins={"r1_federation"})
    ids = [e["id"] for e, _directions in made]
    assert R1 in ids
    assert not [i for i in ids if i.startswith("extra-") and i != R1]
    assert dict((e["id"], d) for e, d in made)[R1] == ("in",)


@pytest.mark.parametrize(
    ("given", "made"),
    [
        pytest.param({}, False, id="setting-default"),
        pytest.param({"r1_federation": True}, True, id="setting-on"),
        pytest.param({"r1_federation": True, "include_extras": False}, True, id="no-extras"),
        pytest.param({"r1_federation": "no"}, False, id="setting-word-off"),
    ],
)
def test_the_r1_federation_setting(given: dict[str, Any], made: bool) -> None:
    rules = component_rules(settings("edge", **given))
    assert any(r.name.endswith(f"({R1})") for r in rules) is made


# --- remotes: the inventory's scope per entry -------------------------------------------


def test_remotes_replace_remote_addresses_per_entry() -> None:
    """The scope from the inventory gives each entry its own remote addresses; an entry it
    does not name keeps the component's remote_addresses."""
    rules = build_rules(
        EDGE,
        label="Edge",
        profiles=ALL,
        remote_addresses=("192.0.2.0/24",),
        remotes={"e-int": ("10.10.0.11", "10.10.0.12"), "e-any": ()},
    )
    got = {r.name.rsplit("(", 1)[1].rstrip(")"): r.remote_addresses for r in rules}
    assert got == {
        "e-int": ("10.10.0.11", "10.10.0.12"),
        "e-ext": ("192.0.2.0/24",),
        # () is the entry's scope too: any remote address.
        "e-any": (),
    }


def test_component_rules_take_the_remotes_given() -> None:
    edge = settings("edge", include_outbound=True)
    remotes = {"seed-52": ("10.10.0.11",), "seed-51": ("198.51.100.0/24",)}
    rules = component_rules(edge, remotes)
    for rule in rules:
        entry_id = _ownership.entry_of(rule.description) or ""
        assert rule.remote_addresses == remotes.get(entry_id, ()), rule.name
    # Both directions of an entry (seed-51: federation in and out) take its remotes.
    federation = [(r.direction, r.remote_addresses) for r in rules if r.name.endswith("(seed-51)")]
    assert federation == [("in", ("198.51.100.0/24",)), ("out", ("198.51.100.0/24",))]
