"""Reviewing a run of playbooks/site.yml: ``--check --diff`` and the closing table.

What a user relies on: after someone changed one port of one rule by hand on one server,
``--check --diff`` names that host, the rule's group and the rule, shows the port as one
``-``/``+`` pair of lines and nothing else as changing, and the table at the end shows
exactly that host as one that would change; a host that cannot be reached shows as such
in the table while the others are still reviewed; ``--limit`` limits the table too, and
the table comes with ``--tags apply`` but not with ``--tags preflight`` (nothing
compared).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
SUMMARY_TASK = "Changes of every host of the run"
HOST = "fe02.ocs.example"
GROUP = "OCS 2007 R2 - Front End"
# The rule changed by hand (its port), and the port it is given.
RULE = "OCS Front End 444/TCP In (seed-03)"
HAND_PORT = "4444"

Run = Callable[..., PlaybookRun]


def _inventory() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return found


def _hosts() -> set[str]:
    return set(_inventory()["all"]["children"]["ocs_servers"]["hosts"])


def _set_port_by_hand(lab: Lab, host: str, rule: str, port: str) -> str:
    """What an administrator does in the Windows Firewall console: one rule's local port
    changed, in the host's stored firewall. Returns the port it had."""
    from ocs_lab.state import StateDir, read_json, write_json

    state = StateDir(lab.state_dir)
    (found,) = state.resolve_hosts([host])
    path = state.firewall_file(found["id"])
    store = read_json(path)
    (stored,) = [r for r in store["rules"] if r["name"] == rule and r["grouping"] == GROUP]
    before = str(stored["local_ports"])
    stored["local_ports"] = port
    write_json(path, store)
    return before


def _table(run: PlaybookRun) -> list[str]:
    (record,) = run.records_of(SUMMARY_TASK)
    lines: list[str] = record["result"]["msg"]
    return lines


def _rows(table: list[str]) -> dict[str, list[str]]:
    """Host -> its cells (HOST ADDED UPDATED REMOVED FOREIGN RESULT), and the total's."""
    header, *rows = table
    columns = ["HOST", "ADDED", "UPDATED", "REMOVED", "FOREIGN", "LEFT", "ALONE"]
    # A run that disables OCS setup's rules (the example's first) has their column too.
    assert header.split() in (columns + ["RESULT"], columns + ["SETUP", "OFF/BACK", "RESULT"])
    cells = {}
    for row in rows:
        parts = re.split(r"\s{2,}", row.strip())
        cells[parts[0]] = parts[1:]
    return cells


@pytest.fixture(scope="module")
def converged(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    lab = start_lab(_inventory(), "basic", name="review")
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    table = _rows(_table(run))
    assert {table[h][-1] for h in _hosts()} == {"changed"}
    return lab


@pytest.fixture(scope="module")
def reviewed(converged: Lab, run_playbook: Run) -> dict[str, Any]:
    """One port changed by hand on one host, then ``site.yml --check --diff``."""
    port = _set_port_by_hand(converged, HOST, RULE, HAND_PORT)
    before = converged.dump()
    run = run_playbook(SITE, converged, None, "--check", "--diff")
    # Printed for the record: the output a reviewer reads.
    print(run.stdout)
    return {"run": run, "port": port, "before": before, "after": converged.dump()}


def test_the_diff_names_host_group_and_rule_and_shows_the_port_line(
    reviewed: dict[str, Any],
) -> None:
    run: PlaybookRun = reviewed["run"]
    assert run.rc == 0, run.stdout[-3000:]
    assert reviewed["after"] == reviewed["before"]  # --check changed nothing
    title = f"{HOST} | {GROUP} | {RULE} (would be updated)"
    assert f"--- before: {title}\n+++ after: {title}\n" in run.stdout
    # The port is one -/+ pair; the rule's other fields are context around it.
    hunk = run.stdout.split(f"+++ after: {title}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    changed = [line for line in hunk if line[:1] in "-+"]
    assert changed == [f"-local_ports: {HAND_PORT}", f"+local_ports: {reviewed['port']}"]
    assert " protocol: tcp" in hunk and " direction: in" in hunk
    # That rule is the only change of the whole estate, and the host's line says so.
    assert run.stdout.count("--- before: ") == 1
    assert f"{HOST}: 0 to add, 1 to update, 0 to remove ({GROUP}: 1 to update)" in run.stdout


def test_the_closing_table_shows_exactly_that_host_as_changed(reviewed: dict[str, Any]) -> None:
    run: PlaybookRun = reviewed["run"]
    table = _table(run)
    rows = _rows(table)
    hosts = _hosts()
    total = f"total: {len(hosts)} host(s)"
    assert set(rows) == hosts | {total}
    assert rows[HOST] == ["0", "1", "0", "0", "would change"]
    assert {h for h in hosts if rows[h][-1] != "in sync"} == {HOST}
    assert rows[total] == ["0", "1", "0", "0", f"1 would change, {len(hosts) - 1} in sync"]
    # Printed once, after every host's task.
    assert run.stdout.index(table[0]) > run.stdout.rindex("--- before: ")
    # The results the table was made from (in check mode, the plans).
    assert {h for h, r in run.host_results().items() if r["changed"]} == {HOST}


def test_an_unreachable_host_shows_in_the_table_and_the_others_are_reviewed(
    converged: Lab, run_playbook: Run
) -> None:
    broken = "dir01.ocs.example"
    converged.fault(broken, refuse_auth=True)
    try:
        run = run_playbook(SITE, converged, None, "--check")
    finally:
        converged.clear_faults(broken)
    assert run.rc != 0
    rows = _rows(_table(run))
    assert rows[broken] == ["-", "-", "-", "-", "UNREACHABLE"]
    assert rows[HOST][-1] == "would change"
    others = _hosts() - {broken, HOST}
    assert {rows[h][-1] for h in others} == {"in sync"}
    total = rows[f"total: {len(_hosts())} host(s)"]
    assert total[-1] == f"1 would change, {len(others)} in sync, 1 UNREACHABLE"


def test_limit_limits_the_table_and_the_table_goes_with_the_apply(
    converged: Lab, run_playbook: Run
) -> None:
    limited = run_playbook(SITE, converged, None, "--check", "--limit", HOST)
    assert limited.rc == 0, limited.stdout[-3000:]
    assert set(_rows(_table(limited))) == {HOST, "total: 1 host(s)"}

    applied = run_playbook(SITE, converged, None, "--check", "--tags", "apply")
    assert applied.rc == 0, applied.stdout[-3000:]
    assert _rows(_table(applied))[HOST][-1] == "would change"

    preflight = run_playbook(SITE, converged, None, "--check", "--tags", "preflight")
    assert preflight.rc == 0, preflight.stdout[-3000:]
    assert preflight.records_of(SUMMARY_TASK) == []
    assert "HOST" not in preflight.stdout
