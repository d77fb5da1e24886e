"""OCS setup's rules held and released (plugins/plugin_utils/_estate/_setup_rules.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import (
    DISABLE,
    GROUP,
    HOLD_MARK,
    KEEP,
    SetupPlan,
    covers,
    opened_ports,
    plan_setup,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule

OURS = [
    Rule("FE SIP", local_ports=("5060-5061",), remote_addresses=("10.0.0.0/24",)),
    Rule("FE DCOM", local_ports=("135",)),
    Rule("Media", protocol="udp", local_ports=("49152-65535",)),
    Rule("Off", local_ports=("8057",), enabled=False),
    Rule("Block", local_ports=("444",), action="block"),
    Rule("Out", local_ports=("5063",), direction="out"),
]


def setup(name: str, description: str = "", group: str = GROUP, **fields: Any) -> HostRule:
    fields.setdefault("local_ports", ("5061",))
    application = fields.pop("application", "RtcHost.exe")
    return HostRule(Rule(name, description, **fields), group, application=application)


@pytest.mark.parametrize(
    ("rule", "covered"),
    [
        pytest.param(Rule("a", local_ports=("5061",)), True, id="one-port"),
        pytest.param(Rule("a", local_ports=("5060", "5061")), True, id="two-rules-one-range"),
        pytest.param(Rule("a", protocol="udp", local_ports=("50000-50010",)), True, id="range"),
        pytest.param(Rule("a", local_ports=("5061", "5062")), False, id="a-port-beyond"),
        pytest.param(Rule("a", protocol="udp", local_ports=("5061",)), False, id="other-protocol"),
        pytest.param(Rule("a", local_ports=("8057",)), False, id="ours-disabled"),
        pytest.param(Rule("a", local_ports=("444",)), False, id="ours-blocks"),
        pytest.param(Rule("a", local_ports=("5063",)), False, id="ours-outbound"),
        pytest.param(Rule("a", local_ports=("RPC",)), False, id="port-keyword"),
        pytest.param(Rule("a"), False, id="every-port"),
        pytest.param(Rule("a", protocol="any"), False, id="any-protocol"),
        pytest.param(Rule("a", local_ports=("5061",), action="block"), False, id="a-block-rule"),
    ],
)
def test_what_the_collections_rules_cover(rule: Rule, covered: bool) -> None:
    assert covers(opened_ports(OURS), rule) is covered


def test_keep_leaves_every_rule_alone_and_releases_the_held_ones() -> None:
    rules = [
        setup("SIP"),
        setup("Held", "made by setup" + HOLD_MARK, enabled=False),
        setup("Disabled by an admin", enabled=False),
    ]
    assert plan_setup(KEEP, OURS, rules) == SetupPlan(KEEP, release=("Held",))


def test_disable_holds_what_is_covered_and_names_what_is_not() -> None:
    rules = [
        setup("SIP (TLS-In)"),
        setup("Media", protocol="udp", local_ports=("49152-65535",)),
        setup("PSOM", local_ports=("8057",)),
        setup("Already held", HOLD_MARK, enabled=False),
        setup("Disabled by an admin", enabled=False),
        setup("Other group", group="Backup"),
        setup("Block", action="block", local_ports=("23",)),
    ]
    plan = plan_setup(DISABLE, OURS, rules)
    assert plan == SetupPlan(
        DISABLE,
        hold=("Media", "SIP (TLS-In)"),
        held=("Already held",),
        uncovered=("PSOM",),
    )
    assert plan.changed
    assert plan.to_dict()["disable"] == ["Media", "SIP (TLS-In)"]


def test_a_held_rule_no_longer_covered_comes_back() -> None:
    held = setup("PSOM", HOLD_MARK, local_ports=("8057",), enabled=False)
    assert plan_setup(DISABLE, OURS, [held]).release == ("PSOM",)
    # Its component taken off the host: nothing covers it any more.
    assert plan_setup(DISABLE, [], [setup("SIP", HOLD_MARK, enabled=False)]).release == ("SIP",)


def test_a_name_is_held_only_when_every_rule_of_it_is_covered() -> None:
    # HOLD names rules: two rules of one name, one of them not covered, are both left.
    rules = [setup("SIP"), setup("sip", local_ports=("5062",))]
    assert plan_setup(DISABLE, OURS, rules) == SetupPlan(DISABLE, uncovered=("SIP",))


def test_a_held_rule_left_enabled_is_held_again() -> None:
    # An apply that marked the rule but failed before disabling it: the mark is there.
    half = setup("SIP", HOLD_MARK)
    assert plan_setup(DISABLE, OURS, [half]).hold == ("SIP",)
    assert plan_setup(KEEP, OURS, [half]).release == ("SIP",)


def test_a_description_without_room_for_the_mark_is_not_held() -> None:
    full = setup("SIP", "x" * (10_000 - len(HOLD_MARK) + 1))
    assert plan_setup(DISABLE, OURS, [full]) == SetupPlan(DISABLE, uncovered=("SIP",))


def test_the_mark_is_no_ownership_marker() -> None:
    # A held rule stays OCS setup's: the collection never takes it for its own.
    assert not _ownership.is_owned("made by setup" + HOLD_MARK)
    assert _ownership.MARKER not in HOLD_MARK
    assert HOLD_MARK.startswith(" ") and "|" not in HOLD_MARK


def test_a_task_for_some_components_holds_but_releases_only_when_told() -> None:
    # Only the Edge's rules in view: the Front End's rules, which cover this one, are not.
    held = setup("SIP", HOLD_MARK, enabled=False)
    assert plan_setup(DISABLE, [], [held], whole_host=False) == SetupPlan(DISABLE)
    assert plan_setup(KEEP, [], [held], whole_host=False).release == ("SIP",)
    assert plan_setup(DISABLE, OURS, [setup("SIP")], whole_host=False).hold == ("SIP",)
