"""Bad input is refused with a clear message before any command reaches the host.

All cases run in ONE ansible-playbook run against one fresh lab host (a run per case
would cost ~2 s of start-up each): each case is a block whose rescue marks the case done,
and the recording callback (bench/callback_plugins/ocs_record.py) keeps the failure each
case produced. The lab trace of the host must stay empty: no case may send a command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

GROUP = "OCS Reliability - bad input"
LONG_NAME = "N" * 256


@dataclass(frozen=True)
class Case:
    id: str
    task: dict[str, Any]
    # Every string must appear in the error message: the bad value and the option.
    expect: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)


def _rules(*rules: Any, **options: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"group": GROUP, "rules": list(rules)}
    args.update(options)
    return {"ocs.firewall.win_firewall_rules": args}


def _rule(**fields: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": "OCS test rule", "local_ports": 443}
    rule.update(fields)
    return rule


def _lookup(expr: str) -> dict[str, Any]:
    return {"ansible.builtin.debug": {"msg": "{{ " + expr + " }}"}}


def _role(role: str) -> dict[str, Any]:
    return {"ansible.builtin.include_role": {"name": f"ocs.firewall.{role}"}}


MODULE_CASES = [
    Case("port-0", _rules(_rule(local_ports=0)), ("local_ports", "'0'")),
    Case("port-70000", _rules(_rule(local_ports=70000)), ("local_ports", "70000")),
    Case("remote-port-70000", _rules(_rule(remote_ports="70000")), ("remote_ports", "70000")),
    Case("reversed-range", _rules(_rule(local_ports="90-80")), ("local_ports", "90-80")),
    Case("port-not-number", _rules(_rule(local_ports="https")), ("local_ports", "https")),
    Case("port-wrong-type", _rules(_rule(local_ports={"port": 443})), ("local_ports", "443")),
    Case("ports-with-any", _rules(_rule(protocol="any", local_ports=443)), ("local_ports", "any")),
    Case(
        "remote-ports-with-any",
        _rules(_rule(protocol="any", local_ports=None, remote_ports="5060")),
        ("remote_ports", "5060", "any"),
    ),
    Case(
        "bad-address-octet",
        _rules(_rule(remote_addresses="10.0.0.256")),
        ("remote_addresses", "10.0.0.256"),
    ),
    Case(
        "bad-address-word",
        _rules(_rule(local_addresses=["10.0.0.1", "frontend01"])),
        ("local_addresses", "frontend01"),
    ),
    Case(
        "bad-prefix",
        _rules(_rule(remote_addresses="10.0.0.0/33")),
        ("remote_addresses", "10.0.0.0/33"),
    ),
    Case(
        "reversed-address-range",
        _rules(_rule(remote_addresses="10.0.0.9-10.0.0.1")),
        ("remote_addresses", "10.0.0.9-10.0.0.1"),
    ),
    Case(
        "duplicate-names",
        _rules(_rule(name="OCS SIP"), _rule(name="OCS SIP", local_ports=5061)),
        ("OCS SIP", "unique"),
    ),
    Case(
        "duplicate-names-case",
        _rules(_rule(name="OCS Web"), _rule(name="ocs web", local_ports=80)),
        ("ocs web", "OCS Web"),
    ),
    Case("name-with-pipe", _rules(_rule(name="OCS|SIP")), ("OCS|SIP", "|")),
    Case("name-256-chars", _rules(_rule(name=LONG_NAME)), ("name", "256")),
    Case("name-empty", _rules(_rule(name="")), ("name", "empty")),
    Case("name-missing", _rules({"local_ports": 443}), ("name", "required")),
    Case("name-reserved", _rules(_rule(name="all")), ("'all'", "reserved")),
    Case("name-not-string", _rules(_rule(name=["a", "b"])), ("name", "'a'")),
    Case("description-with-pipe", _rules(_rule(description="a|b")), ("description", "a|b")),
    Case(
        "group-empty",
        {"ocs.firewall.win_firewall_rules": {"group": "", "rules": [_rule()]}},
        ("group", "''"),
    ),
    Case(
        "group-with-pipe",
        {"ocs.firewall.win_firewall_rules": {"group": "OCS|Front End", "rules": [_rule()]}},
        ("group", "OCS|Front End"),
    ),
    Case("direction-bad", _rules(_rule(direction="inbound")), ("direction", "inbound")),
    Case("action-bad", _rules(_rule(action="permit")), ("action", "permit")),
    Case("protocol-bad", _rules(_rule(protocol="icmp")), ("protocol", "icmp")),
    Case("profile-bad", _rules(_rule(profiles=["domain", "work"])), ("profiles", "work")),
    Case("enabled-bad", _rules(_rule(enabled="maybe")), ("enabled", "maybe")),
    Case("unknown-rule-field", _rules(_rule(port=443)), ("port",)),
    Case("rule-not-dict", _rules("OCS SIP 5061"), ("rules", "OCS SIP 5061")),
    Case("state-bad", _rules(_rule(), state="gone"), ("state", "gone")),
    Case("purge-bad", _rules(_rule(), purge="sometimes"), ("purge", "sometimes")),
    Case(
        "unknown-option",
        {"ocs.firewall.win_firewall_rules": {"group": GROUP, "rules": [_rule()], "rule": "x"}},
        ("rule",),
    ),
]

LOOKUP_CASES = [
    Case(
        "lookup-unknown-component",
        _lookup("lookup('ocs.firewall.ports', 'front_ends')"),
        ("front_ends",),
    ),
    Case(
        "lookup-unknown-in-list",
        _lookup("lookup('ocs.firewall.ports', ['edge', 'pbx'])"),
        ("pbx",),
    ),
    Case(
        "lookup-bad-direction",
        _lookup("lookup('ocs.firewall.ports', 'edge', direction='sideways')"),
        ("direction", "sideways"),
    ),
    Case(
        "lookup-bad-interface",
        _lookup("lookup('ocs.firewall.ports', 'edge', interface='dmz')"),
        ("interface", "dmz"),
    ),
    Case(
        "lookup-bad-host-kind",
        _lookup("lookup('ocs.firewall.ports', host_kind='router')"),
        ("host_kind", "router"),
    ),
    Case(
        "lookup-bad-transport",
        _lookup("lookup('ocs.firewall.ports', 'front_end', transport='icmp')"),
        ("transport", "icmp"),
    ),
    Case(
        "lookup-bad-bool",
        _lookup("lookup('ocs.firewall.ports', 'front_end', seed_only='perhaps')"),
        ("seed_only", "perhaps"),
    ),
]

ROLE_CASES = [
    Case(
        "role-edge-bad-internal-address",
        _role("edge"),
        ("ocs_edge_internal_addresses", "192.0.2.300"),
        vars={"ocs_edge_internal_addresses": ["192.0.2.300"]},
    ),
    Case(
        "role-edge-keyword-as-interface-address",
        _role("edge"),
        ("ocs_edge_external_addresses", "LocalSubnet"),
        vars={"ocs_edge_external_addresses": ["LocalSubnet"]},
    ),
    Case(
        "role-mediation-bad-gateway-address",
        _role("mediation"),
        ("ocs_mediation_gateway_addresses", "gateway.example"),
        vars={"ocs_mediation_gateway_addresses": ["gateway.example"]},
    ),
    Case(
        "role-front-end-unknown-profile",
        _role("front_end"),
        ("ocs_front_end_profiles", "work"),
        vars={"ocs_front_end_profiles": ["domain", "work"]},
    ),
    Case(
        "role-front-end-unknown-state",
        _role("front_end"),
        ("ocs_front_end_state", "gone"),
        vars={"ocs_front_end_state": "gone"},
    ),
    Case(
        "role-director-bad-remote-address",
        _role("director"),
        ("ocs_director_remote_addresses", "10.1.1.1/40"),
        vars={"ocs_director_remote_addresses": ["10.1.1.1/40"]},
    ),
    Case(
        "role-cwa-group-with-pipe",
        _role("cwa"),
        ("ocs_cwa_group", "CWA|rules"),
        vars={"ocs_cwa_group": "CWA|rules"},
    ),
]

CASES = MODULE_CASES + LOOKUP_CASES + ROLE_CASES


def _playbook(host: str) -> str:
    tasks = []
    for case in CASES:
        task = {"name": f"case {case.id}", **case.task}
        if case.vars:
            task["vars"] = case.vars
        tasks.append(
            {
                "name": f"block {case.id}",
                "block": [task],
                "rescue": [
                    {"name": f"rescued {case.id}", "ansible.builtin.debug": {"msg": "refused"}}
                ],
            }
        )
    play = [{"name": "Bad input", "hosts": host, "gather_facts": False, "tasks": tasks}]
    return yaml.safe_dump(play, sort_keys=False, allow_unicode=True, width=1000)


@pytest.fixture(scope="module")
def bad_input_run(start_lab: Callable[..., Any], play: Callable[..., Any]) -> dict[str, Any]:
    lab = start_lab(
        "bad-input", {"all": {"children": {"ocs_front_end": {"hosts": {"bad01": None}}}}}
    )
    before = lab.dump("bad01")
    run = play(_playbook("bad01"), lab.inventory)
    failures: dict[str, list[dict[str, Any]]] = {}
    pending: list[dict[str, Any]] = []
    for record in run.records:
        if record["event"] == "failed":
            pending.append(record)
        elif record["event"] == "ok" and record["task"].startswith("rescued "):
            failures[record["task"].removeprefix("rescued ")] = pending
            pending = []
    return {
        "run": run,
        "failures": failures,
        "commands": lab.commands("bad01"),
        "before": before,
        "after": lab.dump("bad01"),
    }


def _shown_message(record: dict[str, Any]) -> str:
    """The message a user sees: the task's, and for a loop, each failed item's too."""
    parts = [record["msg"]]
    for item in record["result"].get("results", []) or []:
        if isinstance(item, dict) and item.get("failed"):
            parts.append(str(item.get("msg", "")))
    return "\n".join(parts)


def test_there_are_at_least_30_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_with_message_naming_the_value(case: Case, bad_input_run: dict[str, Any]) -> None:
    run = bad_input_run["run"]
    assert run.rc == 0, f"the bad-input playbook itself broke:\n{run.tail()}"
    failures = bad_input_run["failures"].get(case.id)
    assert failures is not None, f"case {case.id} was not refused (no failure recorded)"
    assert len(failures) == 1, f"case {case.id}: expected one failure, got {failures}"
    message = _shown_message(failures[0])
    for text in case.expect:
        assert text in message, f"case {case.id}: {text!r} not in error message {message!r}"


def test_no_command_reached_the_host(bad_input_run: dict[str, Any]) -> None:
    assert bad_input_run["commands"] == {"bad01": 0}
    assert bad_input_run["after"] == bad_input_run["before"]
