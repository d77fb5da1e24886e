"""What Windows enforces: group policy above the rules, OCS setup's own rules, and the
verdict on a flow (win_ocs_firewall, win_ocs_firewall_audit, win_firewall_flow against
the lab's firewall; the example estate, whose scope is the inventory)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from labhost import LabHost, run_action
from ocs_lab import evaluate as lab_evaluate
from test_win_ocs_firewall import FE, Templar, converge, lab_host, task_vars
from test_win_ocs_firewall_audit import audit

from ansible_collections.ocs.firewall.plugins.action.win_firewall_flow import (
    ActionModule as FlowAction,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import (
    GROUP as SETUP,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import HOLD_MARK

HOST = "fe01.ocs.example"
# A client of the estate (ocs_firewall_client_networks), and an address of no peer.
PEER = "10.20.0.30"
STRANGER = "203.0.113.10"
SIP_TLS = f"{SETUP} - Front End - SIP (TLS-In)"
# The program that listens on the Front End's SIP ports (OCS setup's rules name it).
RTC = "C:\\Program Files\\Microsoft Office Communications Server 2007 R2\\Server\\Core\\RtcHost.exe"


def flows(host: LabHost, *wanted: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result, _display = run_action(
        FlowAction,
        "ocs.firewall.win_firewall_flow",
        host,
        {"flows": list(wanted)},
        task_vars=task_vars(HOST, **extra),
        templar=Templar(),
    )
    return result


def sip(address: str, **fields: Any) -> dict[str, Any]:
    return {"protocol": "tcp", "local_port": 5061, "remote_address": address, **fields}


def lab_verdict(host: LabHost, address: str) -> str:
    flow = {"direction": "in", "protocol": "tcp", "local_port": 5061, "program": RTC}
    flow.update(remote_address=address, profile="domain")
    return str(lab_evaluate.evaluate(host.state, flow)["verdict"])


def setup_rules(host: LabHost) -> dict[str, tuple[int, str]]:
    return {r["name"]: (r["enabled"], r["description"]) for r in host.group(SETUP)}


# ---- OCS setup's rules ------------------------------------------------------------------------


def test_setup_rules_defeat_the_scope_until_the_collection_holds_them() -> None:
    host = lab_host()
    result, _warnings = converge(host, task_vars(HOST))
    assert not result.get("failed"), result
    before = copy.deepcopy(host.state)
    # OCS setup's rule lets any address in, next to the collection's scoped one: for its
    # program (WMI's built-in rule for its own service).
    (stranger,) = flows(host, sip(STRANGER))["flows"]
    assert (stranger["verdict"], [r["name"] for r in stranger["rules"]]) == (
        "undecided",
        ["Windows Management Instrumentation (WMI-In)", SIP_TLS],
    )
    assert any(d.startswith("the program (C:\\Program Files") for d in stranger["depends"])
    (stranger,) = flows(host, sip(STRANGER, program=RTC))["flows"]
    assert (stranger["verdict"], [r["name"] for r in stranger["rules"]]) == ("allowed", [SIP_TLS])

    # Taken over: every setup rule the Front End's rules cover is disabled, in one apply.
    host.requests.clear()
    result, _warnings = converge(host, task_vars(HOST, ocs_firewall_setup_rules="disable"))
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [r.op for r in host.requests] == ["read", "apply"]
    (apply,) = host.requests[1:]
    assert apply.sections == () and SETUP in apply.watch
    disabled = result["setup_rules"]["disable"]
    assert SIP_TLS in disabled and len(disabled) == 6
    assert result["summary"]["setup_disabled"] == 6
    assert result["msg"].endswith("(OCS setup's rules: 6 disabled)")
    for name in disabled:
        # Disabled, never deleted; the description (empty, as setup left it) marked.
        assert setup_rules(host)[name] == (0, HOLD_MARK)
    # A flow from an address of no peer is now blocked, by the collection and by the lab.
    (stranger, peer) = flows(host, sip(STRANGER, program=RTC), sip(PEER, program=RTC))["flows"]
    assert (stranger["verdict"], stranger["by"]) == ("blocked", "default")
    assert (peer["verdict"], peer["rules"][0]["group"]) == ("allowed", FE)
    assert lab_verdict(host, STRANGER) == "blocked" and lab_verdict(host, PEER) == "allowed"
    # In sync: the same variables change nothing.
    host.requests.clear()
    result, _warnings = converge(host, task_vars(HOST, ocs_firewall_setup_rules="disable"))
    assert (result["changed"], result["in_sync"], len(host.requests)) == (False, True, 1)
    assert result["setup_rules"]["disabled"] == disabled

    # keep again: exactly those rules come back, the store as it was before, to the byte.
    result, _warnings = converge(host, task_vars(HOST, ocs_firewall_setup_rules="keep"))
    assert result["changed"] is True and result["summary"]["setup_restored"] == 6
    assert host.state == before


def test_check_mode_and_diff_show_the_setup_rules_and_change_nothing() -> None:
    host = lab_host()
    converge(host, task_vars(HOST))
    before = copy.deepcopy(host.state)
    host.requests.clear()
    result, _warnings = converge(
        host, task_vars(HOST, ocs_firewall_setup_rules="disable"), check_mode=True, diff=True
    )
    assert result["changed"] is True and host.state == before
    assert [r.op for r in host.requests] == ["read"]
    assert result["msg"].endswith("(OCS setup's rules: 6 to disable)")
    items = [i for i in result["diff"][1:] if SETUP in i["before_header"]]
    assert len(items) == 6
    assert items[0]["before_header"].endswith(
        "(would be disabled: the collection's rules cover its ports)"
    )
    assert (items[0]["before"], items[0]["after"]) == ("enabled: true\n", "enabled: false\n")


def test_a_rule_someone_else_disabled_never_comes_back() -> None:
    host = lab_host()
    (rule,) = [r for r in host.group(SETUP) if r["name"] == SIP_TLS]
    rule["enabled"] = 0
    converge(host, task_vars(HOST, ocs_firewall_setup_rules="disable"))
    assert setup_rules(host)[SIP_TLS] == (0, "")
    converge(host, task_vars(HOST, ocs_firewall_setup_rules="keep"))
    assert setup_rules(host)[SIP_TLS] == (0, "")


def test_the_setup_group_stays_off_limits_as_a_managed_group() -> None:
    result, _warnings = converge(lab_host(), task_vars(HOST, ocs_front_end_group=SETUP))
    assert result["failed"] and "the group OCS 2007 R2 setup creates its rules in" in result["msg"]


# ---- group policy ------------------------------------------------------------------------------


def with_policy(host: LabHost, **values: int) -> LabHost:
    host.state["policy"] = {"1": values}
    return host


def test_a_policy_that_voids_local_rules_fails_the_host_before_any_change() -> None:
    host = with_policy(lab_host(), AllowLocalPolicyMerge=0)
    before = copy.deepcopy(host.state)
    result, _warnings = converge(host, task_vars(HOST))
    assert result["failed"] is True and result["changed"] is False
    assert result["in_sync"] is False
    assert [r.op for r in host.requests] == ["read"] and host.state == before
    assert result["msg"].startswith(f"{HOST}: the collection's rules would not take effect")
    assert "group policy 'Apply local firewall rules' is No" in result["msg"]
    assert "AllowLocalPolicyMerge = 0 under HKLM\\SOFTWARE\\Policies" in result["msg"]
    assert "ask the domain administrators" in result["msg"]
    assert result["policy"]["effective"] is False


def test_warn_stages_the_rules_but_the_host_is_never_in_sync() -> None:
    host = with_policy(lab_host(), AllowLocalPolicyMerge=0)
    variables = task_vars(HOST, ocs_firewall_policy_check="warn")
    result, warnings = converge(host, variables)
    assert not result.get("failed"), result
    assert result["changed"] is True and result["in_sync"] is False
    assert any("put in place anyway" in w for w in warnings)
    result, _warnings = converge(host, variables)
    assert (result["changed"], result["in_sync"]) == (False, False)
    # Once the policy lets local rules count, the same rules are in sync.
    host.state["policy"] = {}
    result, _warnings = converge(host, task_vars(HOST))
    assert (result["changed"], result["in_sync"]) == (False, True)


def test_a_policy_on_a_profile_the_host_is_not_on_is_only_reported() -> None:
    host = lab_host()
    host.state["policy"] = {"2": {"AllowLocalPolicyMerge": 0}}
    variables = task_vars(HOST, ocs_firewall_profiles=["domain", "private"])
    result, _warnings = converge(host, variables)
    assert not result.get("failed"), result
    assert result["policy"]["effective"] is True
    (obstacle,) = result["policy"]["obstacles"]
    assert (obstacle["profile"], obstacle["current"]) == ("private", False)
    result, _warnings = converge(host, variables)
    assert (result["changed"], result["in_sync"]) == (False, True)
    # A profile none of the host's rules is in is not the collection's business.
    host.state["policy"] = {"4": {"AllowLocalPolicyMerge": 0}}
    result, _warnings = converge(host, variables)
    assert result["policy"]["obstacles"] == []


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"AllowLocalPolicyMerge": 0}, "AllowLocalPolicyMerge"),
        ({"DoNotAllowExceptions": 1}, "DoNotAllowExceptions"),
    ],
)
def test_the_audit_reports_the_policy(values: dict[str, int], setting: str) -> None:
    host = lab_host()
    converge(host, task_vars(HOST))
    with_policy(host, **values)
    found = [
        f for f in audit(host, task_vars(HOST))["findings"] if f["kind"] == "policy_blocks_rules"
    ]
    assert [(f["profile"], f["current"]) for f in found] == [("domain", True)]
    assert found[0]["setting"].startswith(f"{setting} = ")


def test_a_flow_in_a_profile_whose_local_rules_do_not_count_is_undecided() -> None:
    host = lab_host()
    converge(host, task_vars(HOST))
    with_policy(host, AllowLocalPolicyMerge=0)
    (found,) = flows(host, sip(PEER))["flows"]
    assert (found["verdict"], found["by"]) == ("undecided", "group_policy")


# ---- win_firewall_flow --------------------------------------------------------------------------


def test_one_read_answers_every_flow() -> None:
    host = lab_host()
    converge(host, task_vars(HOST))
    host.requests.clear()
    result = flows(
        host,
        sip(PEER),
        {"protocol": "tcp", "local_port": 8080, "remote_address": PEER, "program": "C:\\app.exe"},
        {"protocol": "tcp", "local_port": 23, "remote_address": PEER},
    )
    assert [r.op for r in host.requests] == ["read"]
    assert result["changed"] is False and result["profile"] == "domain"
    verdicts = [(f["verdict"], f["by"]) for f in result["flows"]]
    assert verdicts == [("allowed", "rule"), ("blocked", "default"), ("blocked", "rule")]
    assert result["flows"][2]["rules"] == [{"name": "Block telnet", "group": ""}]
    assert result["flows"][0]["text"].startswith(
        f"5061/tcp from {PEER} (domain profile): allowed by"
    )
    assert result["msg"] == f"{HOST}: 3 flow(s): 1 allowed, 2 blocked"


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (
            sip("10.0.0.0/8"),
            "flows[0].remote_address: '10.0.0.0/8' is not one IPv4 or IPv6 address",
        ),
        (sip(PEER, local_port=70000), "flows[0].local_port: 70000 is not one port"),
        (sip(PEER, local_port=0), "flows[0].local_port: 0 is not one port"),
        ({**sip(PEER), "protocol": "sctp"}, "flows[0].protocol: 'sctp' is not a protocol"),
    ],
)
def test_a_bad_flow_fails_before_the_host_is_read(flow: dict[str, Any], message: str) -> None:
    host = lab_host()
    result = flows(host, flow)
    assert result["failed"] is True and message in result["msg"]
    assert host.requests == []
