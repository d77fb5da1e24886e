"""playbooks/flow_check.yml on the example estate, against lab hosts.

What a user relies on: on an estate site.yml converged, every flow of the port matrix into
an OCS server is allowed by the collection's rules on that server, and the run reads each
of those servers once and changes nothing; a block rule planted on one server for a port
the matrix needs is named as what blocks those flows, and a profile turned off on another
makes its flows allowed "because the firewall is off", each in flow-check.json, .md and
.csv; ``ocs_firewall_flow_check_fail=true`` fails the run naming the blocked flows (in
check mode too); a Windows Server 2003 host's flows are reported as not checked, and a
task given both ``matrix`` and ``flows`` is refused before the host is contacted.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun
from ocs_lab import seed
from ocs_lab.state import StateDir, read_json, write_json

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
FLOW_CHECK = str(REPO / "playbooks" / "flow_check.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
FRONT_END = "fe01.ocs.example"
DIRECTOR = "dir01.ocs.example"
# Not in any OCS group: the playbooks leave it alone; the module is run on it by hand.
LEGACY = "legacy01.ocs.example"
BLOCK = "Block SIP TLS"
# Profile types in the lab's store (NET_FW_PROFILE_TYPE2).
DOMAIN = "1"

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["ocs_servers"]["hosts"]
    # The perimeter servers are in no domain: the public profile is the one in force (the
    # example gives their rules the private and public profiles).
    for perimeter in ("edge01.ocs.example", "rp01.ocs.example"):
        hosts[perimeter] = {**(hosts.get(perimeter) or {}), "ocs_lab_current_profiles": ["public"]}
    inventory["all"]["hosts"] = {LEGACY: {"ocs_lab_os": "5.2", "ocs_lab_transport": "ntlm"}}
    lab = start_lab(inventory, "basic")
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def _flow_check(
    run_playbook: Run, lab: Lab, report: Path, *options: str, fail: bool | None = None
) -> tuple[PlaybookRun, dict[str, Any]]:
    """Run the flow check writing its reports to ``report``; the run and flow-check.json.
    Asserts that it read each host some flow ends on once, no other, and changed nothing."""
    extra: dict[str, Any] = {"ocs_firewall_report_dir": str(report)}
    if fail is not None:
        extra["ocs_firewall_flow_check_fail"] = fail
    before = lab.dump()
    lab.reset_trace()
    run = run_playbook(FLOW_CHECK, lab, extra, *options)
    assert lab.dump() == before
    written_file = report / "flow-check.json"
    assert written_file.exists(), run.stdout[-3000:]
    written = json.loads(written_file.read_text(encoding="utf-8"))
    destinations = {h for h, e in written["hosts"].items() if e["flows"]}
    assert {h for h, e in written["hosts"].items() if e.get("read")} == destinations
    traced = {h: [e["op"] for e in t] for h, t in lab.trace().items() if t}
    assert traced == {h: ["read"] for h in destinations}
    return run, written


def _rows(written: dict[str, Any], host: str) -> list[dict[str, Any]]:
    return list(written["hosts"][host]["flows"])


@contextmanager
def _edited(lab: Lab, host: str, change: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Change a host's firewall by hand, as an administrator on the console would, and
    put it back afterwards."""
    state = StateDir(lab.state_dir)
    (entry,) = state.resolve_hosts([host])
    path = state.firewall_file(entry["id"])
    kept = read_json(path)
    store = read_json(path)
    change(store)
    write_json(path, store)
    try:
        yield
    finally:
        write_json(path, kept)


def test_on_a_converged_estate_every_flow_is_let_in_by_the_collection_s_rules(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    run, written = _flow_check(run_playbook, estate, tmp_path, fail=True)
    assert run.rc == 0, run.stdout[-3000:]
    rows = [r for e in written["hosts"].values() for r in e["flows"] or []]
    checked = [r for r in rows if r["verdict"] != "not_checked"]
    # Every OCS server is a destination but the legacy host, which is in no OCS group.
    assert set(written["hosts"]) == set(estate.hosts) - {LEGACY}
    assert {r["destination"] for r in checked} == set(written["hosts"])
    assert {r["kind"] for r in checked} == {"allowed_by_rule"}
    assert len(checked) > 200
    # Each by a rule of one of the collection's groups, on the host the matrix names.
    assert all(r["rules"] and r["rules"][0]["group"].startswith("OCS 2007 R2 - ") for r in checked)
    # What is left unchecked is only what the inventory does not set.
    assert all(
        r["detail"].startswith("the source's addresses are not set")
        for r in rows
        if r not in checked
    )
    counts = {h: e["counts"] for h, e in written["hosts"].items()}
    assert {c["blocked"] + c["undecided"] for c in counts.values()} == {0}
    # Flows to peers that are no host (clients, domain controllers, gateways) are counted.
    not_read = {d["destination"]: d for d in written["not_read"]}
    assert {"domain_controllers", "pstn_gateways"} <= set(not_read)
    assert not_read["domain_controllers"]["reason"].endswith("no host to read")
    summary = (
        f"{len(written['hosts'])} host(s), 0 could not be read; {len(rows)} flow(s): "
        f"{len(checked)} allowed, 0 blocked, 0 undecided"
    )
    assert summary in run.stdout
    table = list(csv.DictReader((tmp_path / "flow-check.csv").open(encoding="utf-8")))
    assert len(table) == len(rows)
    assert {t["verdict"] for t in table} <= {"allowed", "not_checked"}
    markdown = (tmp_path / "flow-check.md").read_text(encoding="utf-8")
    assert f"{len(rows)} flow(s) checked, 0 blocked." in markdown


def test_a_planted_block_rule_and_a_profile_turned_off_are_named(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    def block_sip_tls(store: dict[str, Any]) -> None:
        store["rules"].append(
            seed.foreign_rule(
                {"name": BLOCK, "group": "", "action": 0, "protocol": 6, "local_ports": "5061"}
            )
        )

    def domain_off(store: dict[str, Any]) -> None:
        store["profiles"][DOMAIN]["enabled"] = 0

    with _edited(estate, FRONT_END, block_sip_tls), _edited(estate, DIRECTOR, domain_off):
        run, written = _flow_check(run_playbook, estate, tmp_path / "plain")
        assert run.rc == 0, run.stdout[-3000:]
        # Every flow to fe01 that needs 5061/TCP is blocked by the rule planted, by name.
        needs_5061 = [
            r
            for r in _rows(written, FRONT_END)
            if r["transport"] == "TCP" and r["ports"] in ("5061", "5060-5061")
        ]
        assert needs_5061
        for row in needs_5061:
            assert (row["verdict"], row["kind"], row["rules"]) == (
                "blocked",
                "blocked_by_rule",
                [{"name": BLOCK, "group": ""}],
            )
            assert f"blocked by '{BLOCK}'" in row["text"]
        assert {r["verdict"] for r in _rows(written, FRONT_END) if r not in needs_5061} == {
            "allowed"
        }
        # Every flow to dir01 gets in, because the firewall is off in the profile it is on.
        director = _rows(written, DIRECTOR)
        assert director
        assert {r["kind"] for r in director} == {"allowed_by_firewall_off"}
        assert all(
            r["text"].endswith("allowed: the firewall is off in the domain profile")
            for r in director
        )
        # Nothing else moved.
        others = [
            r for h in written["hosts"] if h not in (FRONT_END, DIRECTOR) for r in _rows(written, h)
        ]
        assert {r["verdict"] for r in others} <= {"allowed", "not_checked"}
        remedies = written["remedies"]
        assert {"blocked_by_rule", "allowed_by_firewall_off"} <= set(remedies)
        markdown = (tmp_path / "plain" / "flow-check.md").read_text(encoding="utf-8")
        assert f"| {FRONT_END} | blocked | blocked_by_rule |" in markdown
        assert f"| {DIRECTOR} | allowed | allowed_by_firewall_off |" in markdown

        # Asked to fail on a blocked flow, the run does, naming each with what blocks it;
        # in check mode too, since the check only reads.
        run, _written = _flow_check(run_playbook, estate, tmp_path / "fail", "--check", fail=True)
        assert run.rc != 0
        (failure,) = [r for r in run.failures() if r["task"].startswith("Fail when")]
        assert failure["msg"].startswith(
            f"Flow check failed: {len(needs_5061)} needed flow(s) blocked; "
        )
        for row in needs_5061:
            assert f"{FRONT_END}: {row['text']}" in failure["msg"]
        # The Director's flows got in (its firewall is off): none is named as blocked.
        assert f"; {DIRECTOR}: " not in failure["msg"]


def test_a_windows_2003_host_is_not_checked_and_bad_options_reach_no_host(
    estate: Lab, play: Callable[..., PlaybookRun]
) -> None:
    flow = {
        "source": "dir01.ocs.example",
        "source_address": "10.10.0.30",
        "destination_address": "10.10.0.90",
        "ports": "5061",
        "transport": "TCP",
    }
    playbook = f"""
        - hosts: {LEGACY}
          gather_facts: false
          tasks:
            - name: Both options
              ocs.firewall.win_ocs_firewall_flow_check:
                matrix: {{boundaries: []}}
                flows: [{json.dumps(flow)}]
              ignore_errors: true
            - name: A flow into the 2003 host
              ocs.firewall.win_ocs_firewall_flow_check:
                flows: [{json.dumps(flow)}]
    """
    estate.reset_trace()
    run = play(playbook, estate.inventory, label="flow-check-2003", forks=1)
    assert run.rc == 0, run.stdout[-3000:]
    both, checked = run.records
    assert both["failed"] is True
    assert both["msg"] == (
        f"{LEGACY}: give one of matrix (the result of ocs.firewall.port_matrix) and flows "
        "(rows of its boundary tables); both were given"
    )
    legacy = checked["result"]
    assert (legacy["changed"], legacy["read"], legacy["counts"]["not_checked"]) == (False, True, 1)
    (row,) = legacy["flows"]
    assert (
        row["detail"] == "the host runs Windows Server 2003, whose open-port entries are not judged"
    )
    assert "Windows Server 2003" in legacy["msg"] and "win_firewall_info" in legacy["msg"]
    # The refused task sent nothing; the other read the host once.
    assert [e["op"] for e in estate.trace(LEGACY)[LEGACY]] == ["read"]
