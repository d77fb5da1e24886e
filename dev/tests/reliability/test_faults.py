"""Faults on one host: its task fails with a clear message, the other hosts finish, and the
next run converges with no duplicate rule.

Three lab hosts; ``f1`` gets the fault, ``f2`` and ``f3`` are healthy. Each scenario uses its
own rule group, so scenarios do not depend on each other's leftovers.

Timeouts (documented in dev/bench/README.md): a host that answers too slowly is cut off by the
WinRM connection's own timeouts, ``ansible_winrm_read_timeout_sec`` (how long to wait for
any HTTP reply) with ``ansible_winrm_operation_timeout_sec`` below it; that host is then
unreachable and the others go on. The task keyword ``timeout`` bounds the whole task
(however the time is spent) and fails the task. Both are exercised here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness.lab import Lab
from harness.playbook import PlaybookRun
from harness.rules import host_rules, is_owned, is_tombstone, marked

HOSTS = ("f1", "f2", "f3")
RULES_PER_GROUP = 8


@dataclass(frozen=True)
class Scenario:
    id: str
    # Keywords of ocs_lab.api.set_fault (Lab.fault).
    fault: dict[str, Any]
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
    Scenario(
        "auth-refused", {"refuse_auth": True}, ("credentials were rejected",), unreachable=True
    ),
    Scenario(
        "command-fails-mid-apply",
        {"fail_command": 2},
        ("access is denied",),
        fired="fail_command",
        context="rules it was replacing were still in place. Run the task again to converge.",
        changed=True,
    ),
    Scenario(
        "connection-dropped-mid-apply",
        {"drop_command": 2},
        ("connection", "aborted", "reset", "closed"),
        fired="drop_command",
        context="may have been applied in full, in part or not at all",
        changed=True,
    ),
    Scenario("firewall-service-stopped", {"stop_firewall": True}, ("0x800706d9", "endpoint")),
    Scenario(
        "slower-than-read-timeout",
        {"delay": 6},
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
        {"delay": 2},
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
    return start_lab({"all": {"hosts": {h: None for h in HOSTS}}}, name="faults")


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
    lab.fault("f1", **scenario.fault)
    try:
        faulty = play(_playbook(scenario), lab.inventory, forks=3)
        trace_f1 = lab.trace("f1", reset=True)["f1"]
        healthy = {h: _group_rules(lab, h, _group(scenario)) for h in HOSTS[1:]}
        partial = _group_names(lab, "f1", _group(scenario))
    finally:
        lab.clear_faults("f1")
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
            # The user's description, then the marker that says the collection made it.
            assert rule["description"] == marked(want["description"])


# --- a fault at any step leaves every still-wanted port open ------------------------------
#
# The apply of a host is three phases on the host (_firewall.ps1 and the lab's mirror):
# rename every rule to retire to a tombstone (it keeps filtering), add every new rule,
# remove the tombstones. The lab's fail_command fault stops an apply after half of its
# steps (lab/ocs_lab/firewall.py: steps = 2 x retires + adds, stop = steps // 2), so the
# stop point is retires + adds // 2: always past the retire phase (no change can make the
# lab stop inside it), inside the add phase when there are adds, at the first removal
# when there are none. Each host below makes another change of its Front End settings
# from a converged state, so that the stop lands where its name says:
#
# * sp-add-half: profiles all -> domain replaces all 16 rules (16 retires, 16 adds): stops
#   after every retire and 8 of the 16 adds (inside the add phase);
# * sp-first-add: as_published + no extras (3 retires, 1 add): stops after every retire,
#   at the first add (between the retire and the add phases);
# * sp-first-remove: no extras (2 retires, no add): stops at the first removal (between
#   the retire phase and the remove phase).
#
# A fourth host, sp-healthy, makes sp-add-half's change without a fault: it must finish
# in the same run and is the reference of what the others converge to.

FE_GROUP = "OCS 2007 R2 - Front End"
PROFILES_ALL = 2147483647
PROFILE_BITS = {"domain": 1, "private": 2, "public": 4}


@dataclass(frozen=True)
class StopPoint:
    host: str
    change: dict[str, Any]
    # The call the fault stopped at (the access-denied message names it) and whether
    # some of the adds had been made by then.
    call: str
    some_added: bool
    fault: bool = True


STOP_POINTS = [
    StopPoint("sp-add-half", {"ocs_front_end_profiles": ["domain"]}, "Add", True),
    StopPoint(
        "sp-first-add",
        {"ocs_front_end_as_published": True, "ocs_front_end_include_extras": False},
        "Add",
        False,
    ),
    StopPoint("sp-first-remove", {"ocs_front_end_include_extras": False}, "Remove", False),
]
HEALTHY = StopPoint("sp-healthy", {"ocs_front_end_profiles": ["domain"]}, "", False, fault=False)


def _open(rules: list[dict[str, Any]], groups: tuple[str, ...] = (FE_GROUP,)) -> set[Any]:
    """(group, protocol, profile, local addresses, remote addresses, port) every enabled
    allow inbound rule of ``groups`` lets in, whatever its name (tombstones too)."""
    found: set[tuple[Any, ...]] = set()
    for r in rules:
        if r["grouping"] not in groups or (r["direction"], r["action"], r["enabled"]) != (1, 1, 1):
            continue
        mask = PROFILES_ALL if r["profiles"] == PROFILES_ALL else r["profiles"]
        profiles = [p for p, bit in PROFILE_BITS.items() if mask & bit]
        for part in r["local_ports"].split(","):
            low, _dash, high = part.partition("-")
            if not low.isdigit():
                continue
            for port in range(int(low), int(high or low) + 1):
                for profile in profiles:
                    key = (r["grouping"], r["protocol"], profile)
                    found.add((*key, r["local_addresses"], r["remote_addresses"], port))
    return found


def _fe_rules(dump: dict[str, Any], host: str) -> list[dict[str, Any]]:
    return [r for r in host_rules(dump, host) if r["grouping"] == FE_GROUP]


def _fault_then_recover(
    lab: Lab,
    play: Callable[..., PlaybookRun],
    playbook: Path,
    inventory: Path,
    faults: Mapping[str, int],
) -> dict[str, Any]:
    """Run ``playbook`` on ``inventory`` with each host of ``faults`` failing its Nth
    command, then twice more without faults: the faulty run, the trace and dump at the
    fault, the recovery run, the settled (third) run and the dump after it."""
    lab.trace(reset=True)
    for host, command in faults.items():
        lab.fault(host, fail_command=command)
    try:
        faulty = play(playbook, inventory)
        trace = lab.trace(reset=True)
        at_fault = lab.dump()
    finally:
        lab.clear_faults(*faults)
    recovery = play(playbook, inventory)
    settled = play(playbook, inventory)
    return {
        "faulty": faulty,
        "trace": trace,
        "at_fault": at_fault,
        "recovery": recovery,
        "settled": settled,
        "after": lab.dump(),
    }


@pytest.fixture(scope="module")
def stop_runs(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    points = [*STOP_POINTS, HEALTHY]
    members = {p.host: None for p in points}
    lab = start_lab(
        {"all": {"children": {"ocs_front_end": {"hosts": members}}}}, name="stop-points"
    )
    site = repo_root / "playbooks" / "site.yml"
    converge = play(site, lab.inventory)
    before = lab.dump()
    changed = lab.regroup(
        tmp_path_factory.mktemp("stop-points") / "changed.yml",
        {"ocs_front_end": {p.host: p.change for p in points}},
    )
    # The host's first command of the run is its read, the second its apply.
    faults = {point.host: 2 for point in STOP_POINTS}
    return {
        "converge": converge,
        "before": before,
        **_fault_then_recover(lab, play, site, changed, faults),
    }


def _apply_entry(stop_runs: dict[str, Any], host: str) -> dict[str, Any]:
    (entry,) = [e for e in stop_runs["trace"][host] if e["op"] == "apply"]
    return entry


IDS = [p.host for p in STOP_POINTS]


def test_stop_points_land_where_named(stop_runs: dict[str, Any]) -> None:
    assert stop_runs["converge"].rc == 0, stop_runs["converge"].tail()
    for point in STOP_POINTS:
        entry = _apply_entry(stop_runs, point.host)
        assert entry["faults"] == ["fail_command"], entry
        assert f'Exception calling "{point.call}"' in entry["error"], entry
        counts = entry["counts"]
        assert counts["remove"] > 0, counts
        assert counts["removed"] == 0, counts
        if point.some_added:
            assert 0 < counts["added"] < counts["add"], counts
        else:
            assert counts["added"] == 0, counts
        if point.call == "Remove":
            assert counts["add"] == 0, counts


@pytest.mark.parametrize("point", STOP_POINTS, ids=IDS)
def test_fault_leaves_every_still_wanted_port_open(
    stop_runs: dict[str, Any], point: StopPoint
) -> None:
    wanted_before = _open(_fe_rules(stop_runs["before"], point.host))
    wanted_after = _open(_fe_rules(stop_runs["after"], point.host))
    still_wanted = wanted_before & wanted_after
    assert still_wanted, "the change leaves no port wanted: nothing is tested"
    closed = still_wanted - _open(_fe_rules(stop_runs["at_fault"], point.host))
    assert not closed, f"{len(closed)} still-wanted port(s) closed, e.g. {sorted(closed)[:5]}"


@pytest.mark.parametrize("point", STOP_POINTS, ids=IDS)
def test_faulty_host_says_what_happened(stop_runs: dict[str, Any], point: StopPoint) -> None:
    run = stop_runs["faulty"]
    assert run.rc != 0
    record = run.host_results()[point.host]
    assert record["failed"] and record["changed"], record
    assert "access is denied" in record["msg"].lower()
    assert "rules it was replacing were still in place" in record["msg"]
    assert "Run the task again to converge." in record["msg"]


def test_healthy_host_finishes_in_the_faulty_run(stop_runs: dict[str, Any]) -> None:
    run = stop_runs["faulty"]
    record = run.host_results()[HEALTHY.host]
    assert not record["failed"] and record["changed"], record
    assert _fe_rules(stop_runs["at_fault"], HEALTHY.host) == _fe_rules(
        stop_runs["after"], HEALTHY.host
    )


def _renames_kept(point: StopPoint) -> Any:
    return pytest.param(point, id=point.host)


@pytest.mark.parametrize("point", [_renames_kept(p) for p in STOP_POINTS])
def test_fault_leaves_what_windows_would_hold(stop_runs: dict[str, Any], point: StopPoint) -> None:
    """Every retired rule is a tombstone (renamed, still filtering), every rule added
    before the fault is there, nothing was removed."""
    counts = _apply_entry(stop_runs, point.host)["counts"]
    rules = _fe_rules(stop_runs["at_fault"], point.host)
    tombstones = [r for r in rules if is_tombstone(r)]
    assert len(tombstones) == counts["remove"]
    assert len(rules) == len(_fe_rules(stop_runs["before"], point.host)) + counts["added"]


@pytest.mark.parametrize("point", [*STOP_POINTS, HEALTHY], ids=[*IDS, HEALTHY.host])
def test_next_run_converges_once_with_no_tombstone(
    stop_runs: dict[str, Any], point: StopPoint
) -> None:
    recovery, settled = stop_runs["recovery"], stop_runs["settled"]
    assert recovery.rc == 0, recovery.tail()
    assert settled.rc == 0, settled.tail()
    assert not [r for r in settled.records if r.get("changed")], "a third run still changed"
    rules = host_rules(stop_runs["after"], point.host)
    assert not [r for r in rules if is_tombstone(r)]
    ours = [r for r in rules if r["grouping"] == FE_GROUP and is_owned(r)]
    names = [r["name"].casefold() for r in ours]
    assert len(names) == len(set(names)), "a rule is there twice"
    record = settled.host_results()[point.host]
    reported = [r["name"] for r in record["result"]["rules"][FE_GROUP]]
    assert sorted(r["name"] for r in ours) == sorted(reported)
    # Every rule not the collection's is as it was before the change.
    theirs = [r for r in rules if not is_owned(r)]
    assert theirs == [r for r in host_rules(stop_runs["before"], point.host) if not is_owned(r)]


def test_faulted_host_converges_to_the_healthy_one(stop_runs: dict[str, Any]) -> None:
    """sp-add-half made sp-healthy's change through a fault: same rules in the end."""

    def key(rules: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in rules if is_owned(r))

    after = stop_runs["after"]
    assert key(_fe_rules(after, "sp-add-half")) == key(_fe_rules(after, HEALTHY.host))


# --- a fault in one of several requests ---------------------------------------------------
#
# An apply too large for one WinRM message goes out as several requests
# (ocs_firewall_winrm_max_envelope_kb; _wire.split_apply): first the rules that only add,
# then each replaced rule with its replacement, then the removals, so that no wanted port
# is closed between two requests either. A consolidated Front End (six components, 35
# rules) whose profiles all change, with the smallest envelope the collection takes
# (32 KB), needs two requests; the fault stops the first one half way (split-first), or
# the second one half way after the first was applied in full (split-second).

CONSOLIDATED = (
    "ocs_front_end",
    "ocs_av_conferencing",
    "ocs_web_conferencing",
    "ocs_web_components",
    "ocs_archiving",
    "ocs_monitoring",
)
SPLIT_VARS = {"ocs_firewall_winrm_max_envelope_kb": 32}
# host -> the command the fault fails (1 is the read).
SPLIT_HOSTS = {"split-first": 2, "split-second": 3, "split-healthy": 0}


def _groups_of(dump: dict[str, Any], host: str) -> tuple[str, ...]:
    return tuple(sorted({r["grouping"] for r in host_rules(dump, host) if is_owned(r)}))


@pytest.fixture(scope="module")
def split_runs(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    estate = {g: {h: dict(SPLIT_VARS) for h in SPLIT_HOSTS} for g in CONSOLIDATED}
    lab = start_lab(
        {"all": {"children": {g: {"hosts": m} for g, m in estate.items()}}}, name="split"
    )
    site = repo_root / "playbooks" / "site.yml"
    converge = play(site, lab.inventory)
    before = lab.dump()
    domain_only = {**SPLIT_VARS, "ocs_firewall_profiles": ["domain"]}
    changed = lab.regroup(
        tmp_path_factory.mktemp("split") / "changed.yml",
        {g: {h: dict(domain_only) for h in SPLIT_HOSTS} for g in CONSOLIDATED},
    )
    faults = {host: command for host, command in SPLIT_HOSTS.items() if command}
    return {
        "converge": converge,
        "before": before,
        **_fault_then_recover(lab, play, site, changed, faults),
    }


def test_split_apply_takes_several_requests(split_runs: dict[str, Any]) -> None:
    assert split_runs["converge"].rc == 0, split_runs["converge"].tail()
    ops = [e["op"] for e in split_runs["trace"]["split-healthy"]]
    assert ops[0] == "read" and ops.count("apply") >= 2, ops
    assert ops == ["read"] + ["apply"] * (len(ops) - 1)
    for host, command in SPLIT_HOSTS.items():
        if not command:
            continue
        entries = split_runs["trace"][host]
        assert [e["op"] for e in entries] == ["read"] + ["apply"] * (command - 1), entries
        assert entries[-1]["faults"] == ["fail_command"], entries[-1]


@pytest.mark.parametrize("host", ["split-first", "split-second"])
def test_fault_in_a_split_apply_leaves_every_still_wanted_port_open(
    split_runs: dict[str, Any], host: str
) -> None:
    groups = _groups_of(split_runs["before"], host)
    assert len(groups) == len(CONSOLIDATED)
    wanted_before = _open(host_rules(split_runs["before"], host), groups)
    wanted_after = _open(host_rules(split_runs["after"], host), groups)
    still_wanted = wanted_before & wanted_after
    assert still_wanted
    closed = still_wanted - _open(host_rules(split_runs["at_fault"], host), groups)
    assert not closed, f"{len(closed)} still-wanted port(s) closed, e.g. {sorted(closed)[:5]}"
    record = split_runs["faulty"].host_results()[host]
    assert record["failed"] and record["changed"], record
    if SPLIT_HOSTS[host] > 2:
        assert "(request 2 of " in record["msg"], record["msg"]


@pytest.mark.parametrize("host", list(SPLIT_HOSTS))
def test_split_apply_converges_after_the_fault(split_runs: dict[str, Any], host: str) -> None:
    assert split_runs["recovery"].rc == 0, split_runs["recovery"].tail()
    assert not [r for r in split_runs["settled"].records if r.get("changed")]
    rules = host_rules(split_runs["after"], host)
    assert not [r for r in rules if is_tombstone(r)]
    ours = [r for r in rules if is_owned(r)]
    assert len({(r["grouping"], r["name"].casefold()) for r in ours}) == len(ours)
    assert {r["profiles"] for r in ours} == {PROFILE_BITS["domain"]}

    def key(h: str) -> list[str]:
        return sorted(
            json.dumps(r, sort_keys=True) for r in host_rules(split_runs["after"], h) if is_owned(r)
        )

    assert key(host) == key("split-healthy")
