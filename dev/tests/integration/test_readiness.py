"""playbooks/readiness.yml on the example estate, against lab hosts.

What a user relies on: on an estate site.yml converged, nothing any host serves for its
components would be blocked once the firewall is enforced; a listener no rule opens, and a
connection from an address the rules do not admit, are found on their host with the
catalogue entry that would open them; the run reads each host once, changes nothing, and
writes readiness.json, .md and .csv.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
READINESS = str(REPO / "playbooks" / "readiness.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
DIRECTOR = "dir01.ocs.example"
EDGE = "edge01.ocs.example"
# Planted on the Director: a listener of the Front End's (8404/TCP, no rule of a Director
# opens it) and a connection to its 5061 from an address of no peer.
PLANTED = {
    "ocs_lab_listeners": [{"protocol": "tcp", "port": 8404}],
    "ocs_lab_connections": [{"port": 5061, "remote_address": "203.0.113.10"}],
}

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["ocs_servers"]["hosts"]
    hosts[DIRECTOR] = {**(hosts.get(DIRECTOR) or {}), **PLANTED}
    # The perimeter servers are in no domain: the public profile is the one in force (the
    # example gives their rules the private and public profiles).
    for perimeter in (EDGE, "rp01.ocs.example"):
        hosts[perimeter] = {**(hosts.get(perimeter) or {}), "ocs_lab_current_profiles": ["public"]}
    lab = start_lab(inventory, "basic")
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def _readiness(run_playbook: Run, lab: Lab, report: Path) -> tuple[PlaybookRun, dict[str, Any]]:
    before = lab.dump()
    lab.reset_trace()
    run = run_playbook(READINESS, lab, {"ocs_firewall_report_dir": str(report)})
    assert lab.dump() == before
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()} == {
        h: ["read", "state"] for h in lab.hosts
    }
    written = json.loads((report / "readiness.json").read_text(encoding="utf-8"))
    return run, written


# What Windows itself listens on that the example's rules do not open in some profile
# (NTP, NetBIOS; RPC and SMB on the perimeter servers, whose profile is public): reported,
# never as a port of the host's own components.
WINDOWS_OWN = {("udp", 123), ("udp", 137), ("udp", 138), ("tcp", 135), ("tcp", 139), ("tcp", 445)}


def test_nothing_the_components_need_would_be_blocked_but_what_was_planted(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    run, written = _readiness(run_playbook, estate, tmp_path)
    assert run.rc == 0, run.stdout[-3000:]
    findings = [(h, f) for h, e in written["hosts"].items() for f in e["findings"]]
    # Nothing a component of its host opens would be blocked, on any host.
    assert [(h, f["port"]) for h, f in findings if f["held"] and h != DIRECTOR] == []
    planted = {(f["kind"], f["protocol"], f["port"]): f for h, f in findings if h == DIRECTOR}
    listener = planted[("blocked_listener", "tcp", 8404)]
    assert (listener["entries"], listener["held"]) == (["seed-15 (front_end)"], False)
    connection = planted[("blocked_connection", "tcp", 5061)]
    assert (connection["remote_addresses"], connection["held"]) == (["203.0.113.10"], True)
    others = {
        (f["protocol"], f["port"])
        for h, f in findings
        if (h, f["kind"], f["protocol"], f["port"])
        not in {
            (DIRECTOR, "blocked_listener", "tcp", 8404),
            (DIRECTOR, "blocked_connection", "tcp", 5061),
            (EDGE, "blocked_listener", "tcp", 50000),
        }
    }
    assert others <= WINDOWS_OWN, others
    # The Edge listens on its A/V range, whose TCP part (R1 federation) is an opt-in entry
    # the example leaves out: said so.
    (federation,) = [f for h, f in findings if h == EDGE and f["port"] == 50000]
    assert "the host's settings leave that entry out (an opt-in)" in federation["remedy"]
    assert {f["kind"] for _h, f in findings} <= {"blocked_listener", "blocked_connection"}
    csv = (tmp_path / "readiness.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "host,kind,protocol,port,address,remote_addresses,entries,detail,remedy"
    assert len(csv) == 1 + len(findings)
    markdown = (tmp_path / "readiness.md").read_text(encoding="utf-8")
    assert "| dir01.ocs.example | blocked_listener | tcp | 8404 |" in markdown
