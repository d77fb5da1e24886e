"""Faults on one host: its task fails with a clear message, the other hosts finish, and the
next run converges with no duplicate rule.

Three lab hosts; ``f1`` gets the fault, ``f2`` and ``f3`` are healthy. Each scenario uses its
own rule group, so scenarios do not depend on each other's leftovers.

Timeouts (documented in bench/README.md): a host that answers too slowly is cut off by the
WinRM connection's own timeouts, ``ansible_winrm_read_timeout_sec`` (how long to wait for
any HTTP reply) with ``ansible_winrm_operation_timeout_sec`` below it; that host is then
unreachable and the others go on. The task keyword ``timeout`` bounds the whole task
(however the time is spent) and fails the task. Both are exercised here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import host_rules

HOSTS = ("f1", "f2", "f3")
RULES_PER_GROUP = 8


@dataclass(frozen=True)
class Scenario:
    id: str
    fault: tuple[str, ...]
    # Lower-case text one of which the failed host's message must contain.
    message: tuple[str, ...]
    unreachable: bool = False
    # The fault counted commands: the trace of f1 must show where it fired.
    fired: str = ""
    task_timeout: int | None = None
    connection_vars: dict[str, Any] | None = None
    # Text the message must also hold (the context the collection adds), and whether the
    # failed task must report a (possible) change.
    context: str = ""
    changed: bool = False


SCENARIOS = [
    Scenario("auth-refused", ("--refuse-auth",), ("credentials were rejected",), unreachable=True),
    Scenario(
        "command-fails-mid-apply",
        ("--fail-command", "2"),
        ("access is denied",),
        fired="fail_command",
        context="before the failure; run the task again to converge",
        changed=True,
    ),
    Scenario(
        "connection-dropped-mid-apply",
        ("--drop-command", "2"),
        ("connection", "aborted", "reset", "closed"),
        fired="drop_command",
        context="may have been applied in full, in part or not at all",
        changed=True,
    ),
    Scenario("firewall-service-stopped", ("--stop-firewall",), ("0x800706d9", "endpoint")),
    Scenario(
        "slower-than-read-timeout",
        ("--delay", "6"),
        ("timed out",),
        unreachable=True,
        connection_vars={
            "ansible_winrm_operation_timeout_sec": 2,
            "ansible_winrm_read_timeout_sec": 4,
        },
    ),
    Scenario(
        "slower-than-task-timeout",
        # A command takes six replies: 12 s on the slow host, well under a second elsewhere.
        ("--delay", "2"),
        ("timed out", "time frame"),
        task_timeout=6,
    ),
]


def _rules(scenario: Scenario) -> list[dict[str, Any]]:
    return [
        {
            "name": f"OCS fault {scenario.id} {i}",
            "description": f"rule {i} of the {scenario.id} scenario",
            "local_ports": 51000 + i,
            "protocol": "udp" if i % 2 else "tcp",
        }
        for i in range(RULES_PER_GROUP)
    ]


def _group(scenario: Scenario) -> str:
    return f"OCS Reliability - fault {scenario.id}"


def _playbook(scenario: Scenario) -> str:
    timeout = f"\n      timeout: {scenario.task_timeout}" if scenario.task_timeout else ""
    play_vars = json.dumps(scenario.connection_vars or {})
    return f"""
- name: Apply a rule group on every host
  hosts: {",".join(HOSTS)}
  gather_facts: false
  vars: {play_vars}
  tasks:
    - name: Apply the group
      ocs.firewall.win_firewall_rules:
        group: "{_group(scenario)}"
        rules: {json.dumps(_rules(scenario))}{timeout}
"""


@pytest.fixture(scope="module")
def fault_lab(start_lab: Callable[..., Any]) -> Any:
    return start_lab("faults", {"all": {"hosts": {h: None for h in HOSTS}}})


def _group_names(lab: Any, host: str, group: str) -> list[str]:
    return [r["name"] for r in host_rules(lab.dump(host), host) if r["grouping"] == group]


def _group_rules(lab: Any, host: str, group: str) -> list[dict[str, Any]]:
    return [r for r in host_rules(lab.dump(host), host) if r["grouping"] == group]


@pytest.fixture(scope="module", params=SCENARIOS, ids=[s.id for s in SCENARIOS])
def outcome(
    request: pytest.FixtureRequest, fault_lab: Any, play: Callable[..., Any]
) -> dict[str, Any]:
    scenario: Scenario = request.param
    lab = fault_lab
    lab.trace(reset=True)
    lab.fault("f1", *scenario.fault)
    try:
        faulty = play(_playbook(scenario), lab.inventory, forks=3)
        trace_f1 = lab.trace("f1", reset=True)["f1"]
        healthy = {h: _group_rules(lab, h, _group(scenario)) for h in HOSTS[1:]}
        partial = _group_names(lab, "f1", _group(scenario))
    finally:
        lab.fault("f1", "--clear")
    recovery = play(_playbook(scenario), lab.inventory, forks=3)
    settled = play(_playbook(scenario), lab.inventory, forks=3)
    return {
        "scenario": scenario,
        "faulty": faulty,
        "trace_f1": trace_f1,
        "healthy": healthy,
        "partial": partial,
        "recovery": recovery,
        "settled": settled,
        "final": {h: _group_rules(lab, h, _group(scenario)) for h in HOSTS},
    }


def _records(run: Any, host: str) -> list[dict[str, Any]]:
    return [r for r in run.records if r.get("host") == host and r["task"] == "Apply the group"]


def test_faulty_host_fails_with_clear_message(outcome: dict[str, Any]) -> None:
    scenario: Scenario = outcome["scenario"]
    run = outcome["faulty"]
    assert run.rc != 0
    (record,) = _records(run, "f1")
    assert record["failed"]
    assert record["unreachable"] == scenario.unreachable, record
    message = record["msg"].lower()
    assert any(text in message for text in scenario.message), record["msg"]
    assert scenario.context in record["msg"], record["msg"]
    assert bool(record.get("changed")) == scenario.changed, record
    if scenario.fired:
        fired = [e for e in outcome["trace_f1"] if scenario.fired in e.get("faults", [])]
        assert [e["op"] for e in fired] == ["apply"], outcome["trace_f1"]
    if scenario.fired == "fail_command":
        # The command really stopped half-way: the group got some of its rules, not all.
        assert 0 < len(outcome["partial"]) < RULES_PER_GROUP, outcome["partial"]


def test_other_hosts_finish(outcome: dict[str, Any]) -> None:
    run = outcome["faulty"]
    expected = sorted(r["name"] for r in _rules(outcome["scenario"]))
    for host in HOSTS[1:]:
        (record,) = _records(run, host)
        assert not record["failed"], record["msg"]
        assert record["changed"]
        assert sorted(r["name"] for r in outcome["healthy"][host]) == expected
        assert run.recap[host]["failed"] == 0 and run.recap[host]["unreachable"] == 0


def test_next_run_converges_without_duplicates(outcome: dict[str, Any]) -> None:
    recovery, settled = outcome["recovery"], outcome["settled"]
    assert recovery.rc == 0, recovery.tail()
    assert settled.rc == 0, settled.tail()
    assert not [r for r in settled.records if r.get("changed")], "a third run still changed"
    expected = {r["name"]: r for r in _rules(outcome["scenario"])}
    for host, stored in outcome["final"].items():
        names = [r["name"] for r in stored]
        assert sorted(names) == sorted(expected), f"{host}: {names}"
        for rule in stored:
            want = expected[rule["name"]]
            assert rule["local_ports"] == str(want["local_ports"])
            assert rule["protocol"] == (17 if want["protocol"] == "udp" else 6)
            assert rule["description"] == want["description"]
