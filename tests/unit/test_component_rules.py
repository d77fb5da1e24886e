"""Catalogue entries + role options -> rule dicts (plugins/plugin_utils/_component_rules.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._component_rules import (
    RULE_NAME_MAX,
    ComponentRulesError,
    build_rules,
    is_firewall_address,
    role_variable_problems,
    rule_name,
)


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


def shape(rules: list[dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """(direction, protocol, ports) of each rule, the part a firewall acts on."""
    return [
        (r["direction"], r["protocol"], r.get("local_ports") or r.get("remote_ports") or [])
        for r in rules
    ]


@pytest.mark.parametrize(
    ("fields", "options", "expected"),
    [
        pytest.param({}, {}, [("in", "tcp", ["5060", "5061"])], id="inbound-one-rule"),
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
            [("in", "tcp", ["5060", "5061"])],
            id="extras-on-by-default",
        ),
    ],
)
def test_entry_to_rules(
    fields: dict[str, Any], options: dict[str, Any], expected: list[tuple[str, str, list[str]]]
) -> None:
    assert shape(build_rules([entry(**fields)], label="Front End", **options)) == expected


def test_outbound_rule_ports_are_remote_ports() -> None:
    (rule,) = build_rules(
        [entry(direction="outbound", ports=["88"])], label="CWA", include_outbound=True
    )
    assert rule["remote_ports"] == ["88"]
    assert "local_ports" not in rule


def test_rule_fields_and_name() -> None:
    (rule,) = build_rules(
        [entry(description="Used by pools")],
        label="Front End",
        profiles=["public", "domain"],
        remote_addresses=["10.10.0.0/16"],
    )
    assert rule == {
        "name": "OCS Front End 5060-5061/TCP In (seed-01)",
        "description": "Used by pools [ocs.firewall catalogue seed-01]",
        "direction": "in",
        "action": "allow",
        "protocol": "tcp",
        "profiles": ["domain", "public"],
        "enabled": True,
        "local_addresses": [],
        "remote_addresses": ["10.10.0.0/16"],
        "local_ports": ["5060", "5061"],
    }


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
            "10.10.1.10",
            "192.0.2.10",
            {
                "e-int": ["10.10.1.10"],
                "e-ext": ["192.0.2.10"],
                "e-any": ["10.10.1.10", "192.0.2.10"],
            },
            id="strings-accepted",
        ),
    ],
)
def test_edge_interfaces_bind_local_addresses(
    internal: Any, external: Any, expected: dict[str, list[str]]
) -> None:
    rules = build_rules(
        EDGE, label="Edge", internal_addresses=internal, external_addresses=external
    )
    got = {r["name"].rsplit("(", 1)[1].rstrip(")"): r["local_addresses"] for r in rules}
    assert got == expected


def test_mediation_sides_from_catalogue() -> None:
    # Mediation: the catalogue's internal side is the pool NIC, external the gateway NIC.
    rules = build_rules(
        _catalogue.query(["mediation"], host_kind="server"),
        label="Mediation",
        internal_addresses=["10.10.0.40"],
        external_addresses=["198.51.100.40"],
    )
    bound = {(r["name"], tuple(r["local_addresses"])) for r in rules}
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
    media_fixed = [r for r in build_rules(corrected, label="FE") if "(seed-16)" in r["name"]]
    media_seed = [r for r in build_rules(published, label="FE") if "(seed-16)" in r["name"]]
    assert media_fixed[0]["local_ports"] == ["49152-65535"]
    # The published table's typo, as printed.
    assert media_seed[0]["local_ports"] == ["49152-65335"]


# Every server component of the catalogue has a role (tests/unit/test_roles_structure.py).
COMPONENTS = sorted({e["component"] for e in _catalogue.query(host_kind="server")})


@pytest.mark.parametrize("component", COMPONENTS)
def test_names_unique_valid_and_stable(component: str) -> None:
    entries = _catalogue.query([component], host_kind="server")
    options: dict[str, Any] = {
        "label": component.replace("_", " ").title(),
        "include_outbound": True,
        "internal_addresses": ["10.10.1.10"],
        "external_addresses": ["192.0.2.10"],
    }
    first = build_rules(entries, **options)
    again = build_rules(list(reversed(entries)), **options)
    names = [r["name"] for r in first]
    assert first, f"no rule for {component}"
    assert len({n.lower() for n in names}) == len(names)
    assert sorted(names) == sorted(r["name"] for r in again)
    for rule in first:
        # The engine's own checks accept every rule as built.
        _rules.normalise_rule(rule, 0)
        assert len(rule["name"]) <= RULE_NAME_MAX


def test_long_port_list_name_is_shortened_but_keeps_id() -> None:
    ports = [str(p) for p in range(1000, 1400, 2)]
    name = rule_name("Front End", ports, "tcp", "in", "extra-long")
    assert len(name) <= RULE_NAME_MAX
    assert name.endswith("/TCP In (extra-long)")


@pytest.mark.parametrize(
    ("fields", "options", "message"),
    [
        pytest.param({"direction": "sideways"}, {}, "'sideways'", id="bad-direction"),
        pytest.param({"transports": ["sctp"]}, {}, "'sctp'", id="bad-transport"),
        pytest.param({"interface": "dmz"}, {}, "'dmz'", id="bad-interface"),
        pytest.param({"ports": ["70000"]}, {}, "'70000'", id="bad-port"),
        pytest.param({"ports": "5060"}, {}, "'5060'", id="ports-not-a-list"),
        pytest.param({}, {"profiles": ["domain", "work"]}, "'work'", id="bad-profile"),
        pytest.param({}, {"profiles": []}, "profiles", id="no-profile"),
        pytest.param({}, {"include_outbound": "maybe"}, "'maybe'", id="bad-flag"),
        pytest.param({}, {"remote_addresses": [5]}, "5", id="address-not-a-string"),
        pytest.param({"interface": "left"}, {}, "'left'", id="bad-interface"),
    ],
)
def test_bad_input_names_the_value(
    fields: dict[str, Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ComponentRulesError, match=message.replace("(", r"\(")):
        build_rules([entry(**fields)], label="Front End", **options)


def test_missing_field_names_entry_and_field() -> None:
    broken = entry()
    del broken["transports"]
    with pytest.raises(ComponentRulesError, match=r"'seed-01' has no 'transports'"):
        build_rules([broken], label="Front End")


def test_duplicate_entry_ids_are_refused() -> None:
    with pytest.raises(ComponentRulesError, match="not unique"):
        build_rules([entry(), entry()], label="Front End")


# --- role variables (the preflight checks) ---------------------------------------------------

EDGE_SIDES = {"internal": "ocs_edge_internal_addresses", "external": "ocs_edge_external_addresses"}
LOCAL_HINT = (
    "local address; give this server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)"
)
REMOTE_HINT = (
    "address; give IPv4 or IPv6 addresses, networks (10.10.0.0/16), ranges "
    "(10.10.0.1-10.10.0.9) or the keywords LocalSubnet, DNS, DHCP, WINS, DefaultGateway"
)


def edge_values(**changes: Any) -> dict[str, Any]:
    """The Edge role's defaults with interface addresses, as a play passes them."""
    values: dict[str, Any] = {
        "ocs_edge_state": "present",
        "ocs_edge_group": "OCS 2007 R2 - Edge",
        "ocs_edge_profiles": ["domain", "private", "public"],
        "ocs_edge_remote_addresses": [],
        "ocs_edge_include_outbound": False,
        "ocs_edge_include_extras": True,
        "ocs_edge_as_published": False,
        "ocs_edge_internal_addresses": ["10.10.0.20"],
        "ocs_edge_external_addresses": ["192.0.2.10", "192.0.2.11"],
    }
    values.update({f"ocs_edge_{k}": v for k, v in changes.items()})
    return values


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"state": "absent"}, id="absent"),
        pytest.param({"profiles": "domain"}, id="profile-as-string"),
        pytest.param({"profiles": ["public", "domain"]}, id="two-profiles"),
        pytest.param({"include_outbound": "yes", "as_published": "0"}, id="bool-words"),
        pytest.param({"include_extras": 1}, id="bool-number"),
        pytest.param({"remote_addresses": None}, id="remote-none"),
        pytest.param({"remote_addresses": "LocalSubnet"}, id="remote-keyword-string"),
        pytest.param(
            {"remote_addresses": ["10.0.0.0/8", "10.1.1.1-10.1.1.9", "fe80::/64", "*"]},
            id="remote-forms",
        ),
        pytest.param({"internal_addresses": [], "external_addresses": []}, id="sides-empty"),
        pytest.param({"internal_addresses": "10.10.0.0/24"}, id="side-network-string"),
        pytest.param({"group": "G" * 255}, id="group-255"),
    ],
)
def test_good_role_variables_have_no_problem(changes: dict[str, Any]) -> None:
    assert role_variable_problems(edge_values(**changes), "ocs_edge", EDGE_SIDES) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"state": "gone"},
            ['ocs_edge_state: "gone" is not a state; valid states are present, absent'],
            id="state",
        ),
        pytest.param(
            {"state": None},
            ["ocs_edge_state: null is not a state; valid states are present, absent"],
            id="state-null",
        ),
        pytest.param(
            {"group": "Edge|rules"},
            [
                'ocs_edge_group: "Edge|rules" is not a rule group name; give a non-empty name '
                "of at most 255 characters without |"
            ],
            id="group-pipe",
        ),
        pytest.param(
            {"group": "  "},
            [
                'ocs_edge_group: "  " is not a rule group name; give a non-empty name '
                "of at most 255 characters without |"
            ],
            id="group-blank",
        ),
        pytest.param(
            {"group": 42},
            [
                "ocs_edge_group: 42 is not a rule group name; give a non-empty name "
                "of at most 255 characters without |"
            ],
            id="group-number",
        ),
        pytest.param(
            {"group": "G" * 256},
            [
                f'ocs_edge_group: "{"G" * 256}" is not a rule group name; give a non-empty '
                "name of at most 255 characters without |"
            ],
            id="group-256",
        ),
        pytest.param(
            {"profiles": []},
            ["ocs_edge_profiles: [] names no profile; give one or more of domain, private, public"],
            id="profiles-empty",
        ),
        pytest.param(
            {"profiles": None},
            ["ocs_edge_profiles: [] names no profile; give one or more of domain, private, public"],
            id="profiles-null",
        ),
        pytest.param(
            {"profiles": {"domain": True}},
            [
                'ocs_edge_profiles: {"domain": true} names no profile; give one or more of '
                "domain, private, public"
            ],
            id="profiles-mapping",
        ),
        pytest.param(
            {"profiles": ["domain", "work", "Public"]},
            [
                'ocs_edge_profiles: "work" is not a profile; valid profiles are domain, '
                "private, public",
                'ocs_edge_profiles: "Public" is not a profile; valid profiles are domain, '
                "private, public",
            ],
            id="profiles-unknown-each-named",
        ),
        pytest.param(
            {"include_outbound": "maybe", "as_published": None},
            [
                'ocs_edge_include_outbound: "maybe" is not a boolean; give true or false',
                "ocs_edge_as_published: null is not a boolean; give true or false",
            ],
            id="flags",
        ),
        pytest.param(
            {"remote_addresses": ["LocalSubnet", "10.0.0.0/33", "host.example"]},
            [
                f'ocs_edge_remote_addresses: "10.0.0.0/33" is not a valid {REMOTE_HINT}',
                f'ocs_edge_remote_addresses: "host.example" is not a valid {REMOTE_HINT}',
            ],
            id="remote-bad-each-named",
        ),
        pytest.param(
            {"remote_addresses": "10.0.0.1,10.0.0.2"},
            [f'ocs_edge_remote_addresses: "10.0.0.1,10.0.0.2" is not a valid {REMOTE_HINT}'],
            id="remote-comma-string",
        ),
        pytest.param(
            {"remote_addresses": {"a": 1}},
            ['ocs_edge_remote_addresses: {"a": 1} is not a list of addresses'],
            id="remote-mapping",
        ),
        pytest.param(
            {"internal_addresses": ["10.10.1.300"]},
            [f'ocs_edge_internal_addresses: "10.10.1.300" is not a valid {LOCAL_HINT}'],
            id="local-bad-octet",
        ),
        pytest.param(
            {"external_addresses": ["LocalSubnet", "any", 5]},
            [
                f'ocs_edge_external_addresses: "LocalSubnet" is not a valid {LOCAL_HINT}',
                f'ocs_edge_external_addresses: "any" is not a valid {LOCAL_HINT}',
                f"ocs_edge_external_addresses: 5 is not a valid {LOCAL_HINT}",
            ],
            id="local-keywords-and-number",
        ),
        pytest.param(
            {"internal_addresses": ["192.0.2.10"]},
            [
                "ocs_edge_internal_addresses and ocs_edge_external_addresses both hold "
                '"192.0.2.10"; an address belongs to one interface'
            ],
            id="same-address-both-sides",
        ),
        pytest.param(
            {"internal_addresses": ["192.0.2.11/32", "10.10.0.20", "192.0.2.10"]},
            [
                "ocs_edge_internal_addresses and ocs_edge_external_addresses both hold "
                '"192.0.2.11/32", "192.0.2.10"; an address belongs to one interface'
            ],
            id="same-address-other-spelling",
        ),
    ],
)
def test_bad_role_variables_are_each_named_with_the_value(
    changes: dict[str, Any], expected: list[str]
) -> None:
    assert role_variable_problems(edge_values(**changes), "ocs_edge", EDGE_SIDES) == expected


def test_every_problem_is_reported_at_once() -> None:
    values = edge_values(state="gone", profiles=["work"], internal_addresses=["x"])
    problems = role_variable_problems(values, "ocs_edge", EDGE_SIDES)
    assert [p.split(":")[0] for p in problems] == [
        "ocs_edge_state",
        "ocs_edge_profiles",
        "ocs_edge_internal_addresses",
    ]


def test_role_without_sides_ignores_side_variables() -> None:
    values = edge_values()
    for side_var in EDGE_SIDES.values():
        del values[side_var]
    renamed = {k.replace("ocs_edge", "ocs_cwa"): v for k, v in values.items()}
    assert role_variable_problems(renamed, "ocs_cwa") == []
    renamed["ocs_cwa_remote_addresses"] = ["10.0.0.300"]
    assert role_variable_problems(renamed, "ocs_cwa") == [
        f'ocs_cwa_remote_addresses: "10.0.0.300" is not a valid {REMOTE_HINT}'
    ]


def test_one_side_only_is_checked_without_overlap() -> None:
    values = edge_values(internal_addresses=["192.0.2.10"])
    del values["ocs_edge_external_addresses"]
    sides = {"internal": "ocs_edge_internal_addresses"}
    assert role_variable_problems(values, "ocs_edge", sides) == []


@pytest.mark.parametrize(
    ("values", "prefix", "sides", "named"),
    [
        pytest.param(edge_values(), "", EDGE_SIDES, "prefix", id="no-prefix"),
        pytest.param(
            {"ocs_edge_state": "present"}, "ocs_edge", EDGE_SIDES, "ocs_edge_group", id="missing"
        ),
        pytest.param(edge_values(), "ocs_edge", {"dmz": "ocs_edge_dmz"}, "dmz", id="bad-side"),
    ],
)
def test_wrong_call_is_refused(
    values: dict[str, Any], prefix: str, sides: dict[str, str], named: str
) -> None:
    with pytest.raises(ComponentRulesError, match=named):
        role_variable_problems(values, prefix, sides)


@pytest.mark.parametrize(
    ("value", "local", "expected"),
    [
        ("10.0.0.1", True, True),
        (" 10.0.0.0/255.255.255.0 ", True, True),
        ("fe80::1-fe80::9", True, True),
        ("LocalSubnet", False, True),
        ("localsubnet", True, False),
        ("*", False, True),
        ("*", True, False),
        ("10.0.0.1,10.0.0.2", False, False),
        ("10.0.0.9-10.0.0.1", False, False),
        ("", False, False),
        (None, False, False),
        (["10.0.0.1"], False, False),
    ],
)
def test_is_firewall_address(value: Any, local: bool, expected: bool) -> None:
    assert is_firewall_address(value, local=local) is expected
    # The engine agrees: what the check takes, win_firewall_rules takes.
    if expected:
        _rules.canonical_addresses(value, "address")
