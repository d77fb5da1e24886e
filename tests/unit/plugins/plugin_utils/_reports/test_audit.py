"""The drift audit of one host (plugins/plugin_utils/_reports/_audit.py), with plain tables.

The host is a Director (one catalogue rule: 5060-5061/TCP in its group); each case adds
one drift to a converged host and names the finding it must give, or none.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    TOMBSTONE_PREFIX,
    HostRule,
    Rule,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit

DIRECTOR = _catalogue.server_components()["director"].group
FRONT_END = _catalogue.server_components()["front_end"].group
CORE = "@FirewallAPI.dll,-25000"
ON = {"enabled": True, "default_inbound_action": "block", "default_outbound_action": "allow"}
PROFILES = {"domain": ON, "private": ON, "public": ON}


def request(components: dict[str, Any] | None = None) -> _host_request.HostRequest:
    found, problems = _host_request.host_request(
        [], {}, components=components or {"director": {}}, remove_unassigned=True
    )
    assert found is not None, problems
    return found


def wanted(component: str = "director") -> list[Rule]:
    (settings,) = request({component: {}}).settings
    return _component_rules.component_rules(settings, None)


(SIP,) = wanted()
CONVERGED = [HostRule(SIP, group=DIRECTOR)]
FRONT_END_RULES = [HostRule(r, group=FRONT_END) for r in wanted("front_end")]


def foreign(name: str, group: str = "", **fields: Any) -> HostRule:
    return HostRule(Rule(name=name, description="by hand", **fields), group=group)


def shape(finding: dict[str, Any]) -> tuple[Any, ...]:
    return (finding["kind"], finding["group"], finding["rule"], finding["port"])


def run(rules: list[HostRule], profiles: dict[str, Any] | None = None, **kwargs: Any) -> list:
    return _audit.audit(request(), rules, profiles or PROFILES, **kwargs)


# ---- a converged host --------------------------------------------------------------------------


def test_a_converged_host_has_no_findings() -> None:
    builtin = [
        foreign("Core Networking - DHCP-In", CORE, protocol="udp", local_ports=("68",)),
        foreign("Core Networking - ICMPv4", CORE, protocol="icmpv4"),
    ]
    assert run(CONVERGED + builtin) == []
    assert _audit.message([]) == "no drift: 0 findings"
    assert _audit.counts([]) == dict.fromkeys(_audit.KINDS, 0)


# ---- one drift each ----------------------------------------------------------------------------

CASES = [
    pytest.param(
        [],
        [("missing_rule", DIRECTOR, SIP.name, "tcp 5060-5061")],
        id="rule-deleted",
    ),
    pytest.param(
        [HostRule(dataclasses.replace(SIP, local_ports=("5060",)), group=DIRECTOR)],
        [("missing_rule", DIRECTOR, SIP.name, "tcp 5060-5061")],
        id="rule-changed",
    ),
    pytest.param(
        [
            *CONVERGED,
            HostRule(Rule("Old", description=_ownership.catalogue_mark("seed-45")), DIRECTOR),
        ],
        [("extra_rule", DIRECTOR, "Old", "tcp any")],
        id="ours-not-wanted",
    ),
    pytest.param(
        [
            *CONVERGED,
            # Another component's entry: a copy, not the Director's.
            HostRule(Rule("Copy", description=_ownership.catalogue_mark("seed-44")), DIRECTOR),
            HostRule(Rule("Copy 2", description=_ownership.catalogue_mark("zz-999")), "Admins"),
        ],
        [
            ("marked_not_ours", DIRECTOR, "Copy", "tcp any"),
            ("marked_not_ours", "Admins", "Copy 2", "tcp any"),
        ],
        id="marked-but-not-ours",
    ),
    pytest.param(
        [
            *CONVERGED,
            HostRule(
                Rule(f"{TOMBSTONE_PREFIX}0a", description=_ownership.catalogue_mark("seed-45")),
                DIRECTOR,
            ),
        ],
        [("extra_rule", DIRECTOR, f"{TOMBSTONE_PREFIX}0a", "tcp any")],
        id="tombstone",
    ),
    pytest.param(
        [*CONVERGED, foreign("Admin SSH", DIRECTOR, local_ports=("22",))],
        [("extra_rule", DIRECTOR, "Admin SSH", "tcp 22")],
        id="foreign-in-our-group",
    ),
    pytest.param(
        CONVERGED + FRONT_END_RULES,
        [("orphan_group", FRONT_END, None, None)],
        id="orphan-group",
    ),
    pytest.param(
        [*CONVERGED, foreign("Allow all", protocol="any")],
        [("foreign_open_port", "", "Allow all", "any")],
        id="allow-all",
    ),
    pytest.param(
        [*CONVERGED, foreign("Every TCP port", "Tools")],
        [("foreign_open_port", "Tools", "Every TCP port", "tcp any")],
        id="every-tcp-port",
    ),
    pytest.param(
        [*CONVERGED, foreign("SQL", local_ports=("1433", "5061"))],
        [("foreign_open_port", "", "SQL", "tcp 1433")],
        id="port-not-needed",
    ),
    pytest.param(
        [*CONVERGED, foreign("Range", local_ports=("5000-5070",), protocol="tcp")],
        [("foreign_open_port", "", "Range", "tcp 5000-5059,5062-5070")],
        id="range-partly-needed",
    ),
    pytest.param(
        [*CONVERGED, foreign("RPC", local_ports=("RPC",))],
        [("foreign_open_port", "", "RPC", "tcp RPC")],
        id="port-keyword",
    ),
    pytest.param(
        [*CONVERGED, foreign("SIP over UDP", protocol="udp", local_ports=("5060",))],
        [("foreign_open_port", "", "SIP over UDP", "udp 5060")],
        id="other-protocol-same-port",
    ),
    pytest.param([*CONVERGED, foreign("SIP too", local_ports=("5061",))], [], id="port-needed"),
    pytest.param([*CONVERGED, foreign("Off", enabled=False, protocol="any")], [], id="disabled"),
    pytest.param([*CONVERGED, foreign("Deny", action="block", protocol="any")], [], id="block"),
    pytest.param([*CONVERGED, foreign("Out", direction="out", protocol="any")], [], id="outbound"),
    pytest.param([*CONVERGED, foreign("Ping", protocol="icmpv4")], [], id="no-ports"),
    pytest.param(
        [*CONVERGED, HostRule(Rule("Task rule", description="[ocs.firewall]"), "Backup")],
        [],
        id="a-task-rule-of-the-collection",
    ),
]


@pytest.mark.parametrize(("rules", "expected"), CASES)
def test_each_drift_gives_its_finding(rules: list[HostRule], expected: list[tuple]) -> None:
    findings = run(rules)
    assert [shape(f) for f in findings] == expected
    for finding in findings:
        assert finding["kind"] in _audit.KINDS
        assert finding["detail"] and finding["remedy"].endswith(".")


def test_a_changed_rule_says_which_fields_differ() -> None:
    changed = dataclasses.replace(SIP, local_ports=("5060",), profiles=("domain",))
    (finding,) = run([HostRule(changed, group=DIRECTOR, service="sipsvc")])
    assert finding["differences"] == {
        "local_ports": {"wanted": ["5060-5061"], "found": ["5060"]},
        "profiles": {"wanted": ["domain", "private", "public"], "found": ["domain"]},
        "service": {"wanted": "", "found": "sipsvc"},
    }
    assert "local_ports (wanted 5060-5061, found 5060)" in finding["detail"]
    assert "site.yml" in finding["remedy"]


def test_an_orphan_group_names_its_component_and_rules() -> None:
    (finding,) = run(CONVERGED + FRONT_END_RULES)
    assert finding["component"] == "front_end"
    assert sorted(finding["rules"]) == sorted(r.rule.name for r in FRONT_END_RULES)
    assert "ocs_front_end" in finding["detail"] and "ocs_front_end" in finding["remedy"]


def test_extra_rules_say_whether_the_collection_made_them() -> None:
    ours = HostRule(Rule("Old", description=_ownership.catalogue_mark("seed-45")), DIRECTOR)
    theirs = foreign("Admin SSH", DIRECTOR, local_ports=("22",))
    findings = run([*CONVERGED, ours, theirs])
    assert [(f["rule"], f["owned"]) for f in findings] == [("Old", True), ("Admin SSH", False)]


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        pytest.param(_audit.DEFAULT_ACCEPTED, ["SQL", "Mine"], id="default"),
        pytest.param(["sql"], ["Mine", "DHCP", "RDP"], id="by-name-ignoring-case"),
        pytest.param(["tools", "SQL"], ["DHCP", "RDP"], id="by-group-and-name"),
        pytest.param(["@FirewallAPI.dll,-28752"], ["SQL", "Mine", "DHCP"], id="built-in-group"),
        pytest.param([], ["SQL", "Mine", "DHCP", "RDP"], id="none"),
    ],
)
def test_accepted_rules_are_no_findings(accepted: list[str], expected: list[str]) -> None:
    rules = [
        *CONVERGED,
        foreign("SQL", local_ports=("1433",)),
        foreign("Mine", "Tools", local_ports=("8080",)),
        foreign("DHCP", CORE, protocol="udp", local_ports=("68",)),
        foreign("RDP", "@FirewallAPI.dll,-28752", local_ports=("3389",)),
    ]
    findings = run(rules, accepted=accepted)
    assert [f["rule"] for f in findings] == expected


def test_accepting_a_rule_of_our_group_keeps_it_out_of_the_findings() -> None:
    rules = [*CONVERGED, foreign("Admin SSH", DIRECTOR, local_ports=("22",))]
    assert run(rules, accepted=["Admin SSH"]) == []


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        pytest.param({"enabled": False}, ["profile_disabled"], id="off"),
        pytest.param({"default_inbound_action": "allow"}, ["default_inbound_allow"], id="allow"),
        pytest.param(
            {"enabled": False, "default_inbound_action": "allow"},
            ["profile_disabled", "default_inbound_allow"],
            id="both",
        ),
        pytest.param({"default_outbound_action": "block"}, [], id="outbound-block-is-fine"),
    ],
)
def test_profiles(profile: dict[str, Any], expected: list[str]) -> None:
    findings = run(CONVERGED, {**PROFILES, "public": {**ON, **profile}})
    assert [(f["kind"], f["profile"]) for f in findings] == [(k, "public") for k in expected]
    assert all("netsh advfirewall set publicprofile" in f["remedy"] for f in findings)


def test_findings_come_in_the_order_of_the_kinds_and_are_counted() -> None:
    rules = [foreign("Allow all", protocol="any"), *FRONT_END_RULES]
    findings = run(rules, {**PROFILES, "domain": {**ON, "enabled": False}})
    assert [f["kind"] for f in findings] == [
        "missing_rule",
        "orphan_group",
        "foreign_open_port",
        "profile_disabled",
    ]
    assert _audit.counts(findings) == {
        "missing_rule": 1,
        "extra_rule": 0,
        "orphan_group": 1,
        "marked_not_ours": 0,
        "foreign_open_port": 1,
        "profile_disabled": 1,
        "default_inbound_allow": 0,
        "exceptions_not_allowed": 0,
    }
    assert _audit.message(findings) == (
        "4 finding(s): 1 missing_rule, 1 orphan_group, 1 foreign_open_port, 1 profile_disabled"
    )


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        pytest.param(["Backup agent", "@FirewallAPI.dll,-28502"], [], id="names-and-groups"),
        pytest.param([], [], id="empty"),
        pytest.param("Backup agent", ["v: 'Backup agent' is not a list"], id="not-a-list"),
        pytest.param(["ok", "  ", 3], ["v[1]: '  ' is not", "v[2]: 3 is not"], id="bad-items"),
    ],
)
def test_check_accepted(value: Any, problems: list[str]) -> None:
    accepted, found = _audit.check_accepted(value, "v")
    assert len(found) == len(problems)
    for text, problem in zip(problems, found, strict=True):
        assert problem.startswith(text)
    assert accepted == ([] if problems else list(value))


@pytest.mark.parametrize(
    ("rule", "label"),
    [
        (Rule("a", local_ports=("443", "5061")), "tcp 443,5061"),
        (Rule("a", protocol="udp"), "udp any"),
        (Rule("a", direction="out", remote_ports=("389",), local_ports=("1",)), "tcp 389 out"),
        (Rule("a", protocol="any"), "any"),
        (Rule("a", protocol="icmpv6"), "icmpv6"),
    ],
)
def test_port_label(rule: Rule, label: str) -> None:
    assert _audit.port_label(rule) == label
