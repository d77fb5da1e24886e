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
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
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
        "wider_rule": 0,
        "policy_blocks_rules": 0,
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


# ---- rules wider than the collection's ---------------------------------------------------------

SCOPED = {"director": {"remote_addresses": ["10.0.0.0/24"], "profiles": ["domain"]}}


def scoped_run(*extra: HostRule, **kwargs: Any) -> list[dict[str, Any]]:
    (settings,) = request(SCOPED).settings
    ours = [HostRule(r, group=DIRECTOR) for r in _component_rules.component_rules(settings, None)]
    return _audit.audit(request(SCOPED), [*ours, *extra], PROFILES, **kwargs)


def wider(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["port"], f["flow"]) for f in findings if f["kind"] == "wider_rule"]


def test_a_rule_open_to_any_address_where_ours_is_scoped_is_wider() -> None:
    setup = foreign("OCS SIP", "Office Communications Server 2007 R2", local_ports=("5061",))
    findings = scoped_run(setup)
    assert wider(findings) == [
        ("OCS SIP", "tcp 5061", "5061/tcp from 203.0.113.10 (domain profile)")
    ]
    (found,) = [f for f in findings if f["kind"] == "wider_rule"]
    assert found["ours"] == SIP.name
    assert "from any address" in found["detail"]
    assert "from 10.0.0.0/24, profiles domain" in found["detail"]
    assert "is allowed by it" in found["detail"]
    assert "ocs_firewall_setup_rules: disable" in found["remedy"]


@pytest.mark.parametrize(
    ("rule", "flow"),
    [
        pytest.param(
            foreign("Net", local_ports=("5061",), remote_addresses=("10.0.0.0/16",)),
            "5061/tcp from 10.0.255.255 (domain profile)",
            id="a-larger-network",
        ),
        pytest.param(
            foreign(
                "Same scope, more profiles",
                local_ports=("5061",),
                remote_addresses=("10.0.0.0/24",),
                profiles=("domain", "public"),
            ),
            "5061/tcp from 10.0.0.0 (public profile)",
            id="a-wider-profile",
        ),
        pytest.param(
            foreign("Any protocol", protocol="any", remote_addresses=("192.0.2.0/24",)),
            "5060/tcp from 192.0.2.0 (domain profile)",
            id="any-protocol",
        ),
    ],
)
def test_what_makes_a_rule_wider(rule: HostRule, flow: str) -> None:
    assert [f for _r, _p, f in wider(scoped_run(rule))] == [flow]


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(
            foreign(
                "Inside",
                local_ports=("5061",),
                remote_addresses=("10.0.0.5",),
                profiles=("domain",),
            ),
            id="narrower-addresses",
        ),
        pytest.param(foreign("Other port", local_ports=("5062",)), id="no-shared-port"),
        pytest.param(foreign("UDP", protocol="udp", local_ports=("5061",)), id="other-protocol"),
        pytest.param(foreign("Off", local_ports=("5061",), enabled=False), id="disabled"),
        pytest.param(foreign("Block", local_ports=("5061",), action="block"), id="a-block-rule"),
        pytest.param(
            HostRule(Rule("Task", description="[ocs.firewall]", local_ports=("5061",)), "Mine"),
            id="a-task-rule-of-the-collection",
        ),
    ],
)
def test_what_is_not_wider(rule: HostRule) -> None:
    assert wider(scoped_run(rule)) == []


def test_a_block_rule_that_stops_the_extra_traffic_leaves_no_finding() -> None:
    # The evaluator judges the flow the wider rule would let in: a block rule wins.
    setup = foreign("OCS SIP", local_ports=("5061",))
    block = foreign(
        "Only peers", local_ports=("5061",), action="block", remote_addresses=("203.0.113.0/24",)
    )
    assert wider(scoped_run(setup, block)) == []


def test_an_accepted_rule_is_no_wider_rule_and_ours_any_is_never_narrower() -> None:
    setup = foreign("OCS SIP", "Office Communications Server 2007 R2", local_ports=("5061",))
    assert wider(scoped_run(setup, accepted=["Office Communications Server 2007 R2"])) == []
    # With the scope any the collection's rules take any address: nothing is wider.
    assert [f for f in run([*CONVERGED, setup]) if f["kind"] == "wider_rule"] == []


def test_policy_that_voids_local_rules_is_a_finding() -> None:
    policy = HostPolicy(
        (
            ProfilePolicy(
                "domain", current=True, enabled=True, settings=(("AllowLocalPolicyMerge", 0),)
            ),
            ProfilePolicy("public", current=False, enabled=True, block_all_inbound=True),
        )
    )
    findings = [f for f in run(CONVERGED, policy=policy) if f["kind"] == "policy_blocks_rules"]
    assert [(f["profile"], f["current"], f["setting"].split(" ")[0]) for f in findings] == [
        ("domain", True, "AllowLocalPolicyMerge"),
        ("public", False, "BlockAllInboundTraffic;"),
    ]
    assert findings[0]["detail"].endswith("(a profile the host is on)")
    assert findings[0]["remedy"].startswith("Ask the domain administrators")


# ---- on screen: each kind's remedy said once ---------------------------------------------


def test_on_screen_each_kinds_remedy_is_said_once_after_its_findings() -> None:
    findings = [
        _audit.finding("missing_rule", "'A' is absent", "To add it, run site.yml."),
        _audit.finding("missing_rule", "'B' is absent", "To add it, run site.yml."),
        _audit.finding("foreign_open_port", "'X' opens tcp 1", "Disable it."),
        _audit.finding("foreign_open_port", "'Y' opens tcp 2", "Disable it."),
        _audit.finding("foreign_open_port", "'Z' opens tcp 3", "Disable it."),
    ]
    assert _audit.text(findings) == [
        "5 finding(s): 2 missing_rule, 3 foreign_open_port",
        "missing_rule (2):",
        "  'A' is absent",
        "  'B' is absent",
        "  remedy: To add it, run site.yml.",
        "foreign_open_port (3):",
        "  'X' opens tcp 1",
        "  'Y' opens tcp 2",
        "  'Z' opens tcp 3",
        "  remedy: Disable it.",
    ]


def test_findings_of_one_kind_with_their_own_remedies_each_have_theirs() -> None:
    findings = [
        _audit.finding("profile_disabled", "public is off", "Turn public on."),
        _audit.finding("profile_disabled", "private is off", "Turn private on."),
        _audit.finding("profile_disabled", "domain is off", "Turn public on."),
    ]
    assert _audit.text(findings)[1:] == [
        "profile_disabled (3):",
        "  public is off",
        "  domain is off",
        "  remedy: Turn public on.",
        "  private is off",
        "  remedy: Turn private on.",
    ]


def test_on_screen_no_drift_is_one_line() -> None:
    assert _audit.text([]) == ["no drift: 0 findings"]


def test_a_real_hosts_findings_say_each_remedy_once() -> None:
    rules = [
        *CONVERGED,
        *(
            foreign(f"Admin {port}", protocol="tcp", local_ports=(str(port),))
            for port in (9001, 9002, 9003)
        ),
    ]
    findings = run(rules, {**PROFILES, "public": {**ON, "enabled": False}})
    assert [f["kind"] for f in findings].count("foreign_open_port") == 3
    assert "profile_disabled" in {f["kind"] for f in findings}
    lines = _audit.text(findings)
    remedies = [line for line in lines if line.startswith("  remedy: ")]
    assert len(remedies) == len({f["kind"] for f in findings}) == len(set(remedies))
    assert len([line for line in lines if "Admin 900" in line]) == 3
