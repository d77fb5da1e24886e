"""A marker-shaped description is not enough to be the collection's rule.

Ownership needs all of it: the marker at the end of the description, a catalogue id the
catalogue has for the group's component (or the task marker), and a group that is the
collection's. A hand-made or copied rule that carries the marker but fails one of those is
foreign: left byte-identical, and reported as marked but not ours in the task's result,
its warning, the closing table and the audit. On Windows Server 2003 an entry with the
prefix whose labels name no component is foreign the same way.

``bm08`` (Windows Server 2008 R2) holds the Front End and Mediation is taken off it in the
second run (so the unassigned group's plan runs too); ``bm03`` (2003) holds Archiving.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.rules import host_entries, host_rules

HOST, LEGACY_HOST = "bm08", "bm03"
FE_GROUP = "OCS 2007 R2 - Front End"
MEDIATION_GROUP = "OCS 2007 R2 - Mediation"
REMOTE_DESKTOP = "@FirewallAPI.dll,-28752"
OCS_SETUP = "Office Communications Server 2007 R2"

# Each case: a rule carrying our marker that is not ours, and where it sits.
BORROWED = [
    {
        "name": "Remote Desktop (TCP-In) 3390",
        "group": REMOTE_DESKTOP,
        "local_ports": 3390,
        "description": "copied from a template [ocs.firewall catalogue zz-999]",
    },
    {
        "name": "OCS setup SIP copy",
        "group": OCS_SETUP,
        "local_ports": 5061,
        "description": "SIP [ocs.firewall catalogue seed-01]",
    },
    {
        "name": "No group SIP copy",
        "group": "",
        "local_ports": 5061,
        "description": "SIP [ocs.firewall catalogue seed-01]",
    },
    {
        "name": "Contoso admin SIP copy",
        "group": "Contoso admin",
        "local_ports": 5061,
        "description": "SIP [ocs.firewall catalogue seed-01]",
    },
    {
        "name": "Front End rule of an unknown entry",
        "group": FE_GROUP,
        "local_ports": 9999,
        "description": "[ocs.firewall catalogue zz-999]",
    },
    {
        "name": "Mediation rule copied into the Front End group",
        "group": FE_GROUP,
        "local_ports": 5068,
        "description": "[ocs.firewall catalogue seed-47]",
    },
    {
        "name": "A Front End rule copied into the Mediation group",
        "group": MEDIATION_GROUP,
        "local_ports": 5061,
        "description": "[ocs.firewall catalogue seed-01]",
    },
]
BORROWED_ENTRY = {"name": "[ocs.firewall] Admin: 9999/TCP", "port": 9999, "profile": 0}


def _inventory(mediation: bool) -> dict[str, Any]:
    groups: dict[str, Any] = {
        "ocs_servers": {
            "hosts": {
                HOST: {"ocs_lab_foreign_rules": BORROWED},
                LEGACY_HOST: {"ocs_lab_os": "5.2", "ocs_lab_foreign_rules": [BORROWED_ENTRY]},
            }
        },
        "ocs_front_end": {"hosts": {HOST: None}},
        "ocs_archiving": {"hosts": {LEGACY_HOST: None}},
    }
    if mediation:
        groups["ocs_mediation"] = {"hosts": {HOST: None}}
    return {"all": {"children": groups}}


def _borrowed(dump: dict[str, Any]) -> list[dict[str, Any]]:
    names = {r["name"] for r in BORROWED}
    return [r for r in host_rules(dump, HOST) if r["name"] in names]


def _borrowed_entries(dump: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in host_entries(dump, LEGACY_HOST, 0) if e["name"] == BORROWED_ENTRY["name"]]


@pytest.fixture(scope="module")
def journey(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    lab = start_lab(_inventory(mediation=True), "mixed", name="borrowed")
    site = repo_root / "playbooks" / "site.yml"
    dumps = {"start": lab.dump()}
    runs = {"converge": play(site, lab.inventory, "--diff")}
    dumps["converge"] = lab.dump()
    # Mediation taken off the host: its group is planned for removal, and the copied
    # Front End rule in it is not Mediation's.
    groups = {
        g: {h: {k: v for k, v in (hv or {}).items()} for h, hv in m["hosts"].items()}
        for g, m in _inventory(mediation=False)["all"]["children"].items()
    }
    second = lab.regroup(tmp_path_factory.mktemp("borrowed") / "second.yml", groups)
    runs["decommission"] = play(site, second, "--diff")
    dumps["decommission"] = lab.dump()
    runs["audit"] = play(repo_root / "playbooks" / "audit.yml", second)
    return {"runs": runs, "dumps": dumps}


@pytest.mark.parametrize("run", ["converge", "decommission", "audit"])
def test_runs_succeed(journey: dict[str, Any], run: str) -> None:
    assert journey["runs"][run].rc == 0, journey["runs"][run].tail()


@pytest.mark.parametrize("step", ["converge", "decommission"])
def test_every_borrowed_marker_is_left_byte_identical(journey: dict[str, Any], step: str) -> None:
    start = journey["dumps"]["start"]
    assert len(_borrowed(start)) == len(BORROWED)
    assert json.dumps(_borrowed(journey["dumps"][step])) == json.dumps(_borrowed(start))
    assert _borrowed_entries(journey["dumps"][step]) == _borrowed_entries(start) != []


def test_each_is_reported_as_marked_but_not_ours(journey: dict[str, Any]) -> None:
    run = journey["runs"]["decommission"]
    result = run.host_results()[HOST]["result"]
    reported = {(r["group"], r["name"]) for r in result["marked_not_ours"]}
    assert reported == {(r["group"], r["name"]) for r in BORROWED}
    assert result["summary"]["marked_not_ours"] == len(BORROWED)
    assert (
        f"{len(BORROWED)} rule(s) carrying its marker that are not its own left alone"
        in (result["msg"])
    )
    assert "carry the collection's marker but are not its own here" in run.stdout + run.stderr
    legacy = run.host_results()[LEGACY_HOST]["result"]
    assert [e["name"] for e in legacy["reduced_mode"]["marked_not_ours"]] == [
        BORROWED_ENTRY["name"]
    ]
    assert "1 entry(ies) named like its own but not its own left alone" in legacy["msg"]


def test_the_closing_table_counts_them_as_left_alone(journey: dict[str, Any]) -> None:
    (record,) = journey["runs"]["converge"].records_of("Changes of every host of the run")
    header, *rows = record["result"]["msg"]
    assert "FOREIGN LEFT ALONE" in header
    cells = {row.split()[0]: row.split() for row in rows}
    # HOST ADDED UPDATED REMOVED FOREIGN-LEFT-ALONE ...: nothing else is foreign there.
    assert cells[HOST][4] == str(len(BORROWED))
    assert cells[LEGACY_HOST][4] == "1"


def test_the_audit_lists_them(journey: dict[str, Any]) -> None:
    audit = journey["runs"]["audit"]
    findings = [
        f
        for record in audit.records
        if record.get("host") == HOST
        for f in (record.get("result") or {}).get("findings", [])
        if isinstance(f, dict) and f.get("kind") == "marked_not_ours"
    ]
    assert {f["rule"] for f in findings} >= {r["name"] for r in BORROWED}
