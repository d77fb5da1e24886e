"""playbooks/dropped.yml, and the log of dropped packets site.yml turns on, against lab hosts.

What a user relies on: with ocs_firewall_log_dropped the log is on after site.yml (and a
second run changes nothing); the drops a host's log holds are summarised by source, port
and protocol, each mapped to the catalogue entry or component it belongs to, or unknown;
a connection the enforced firewall refuses shows up there; the report changes nothing.
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
DROPPED = str(REPO / "playbooks" / "dropped.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
DIRECTOR = "dir01.ocs.example"
# Planted in the Director's log: SIP over TLS from a client network (a Director port),
# the Front End's 8404 (no Director rule), a port no OCS component uses, and STUN.
PLANTED = [
    {"from": "10.20.0.7", "port": 5061, "count": 3},
    {"from": "10.10.0.11", "port": 8404, "count": 2},
    {"from": "198.51.100.77", "port": 9999},
    {"from": "10.20.0.8", "port": 3478, "protocol": "udp"},
]

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["ocs_servers"]["hosts"]
    hosts[DIRECTOR] = {**(hosts.get(DIRECTOR) or {}), "ocs_lab_drops": PLANTED}
    lab = start_lab(inventory, "basic")
    run = run_playbook(SITE, lab, {"ocs_firewall_log_dropped": True})
    assert run.rc == 0, run.tail()
    return lab


def _report(run_playbook: Run, lab: Lab, report: Path) -> tuple[PlaybookRun, dict[str, Any]]:
    before = lab.dump()
    lab.reset_trace()
    run = run_playbook(DROPPED, lab, {"ocs_firewall_report_dir": str(report)})
    assert lab.dump() == before
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()} == {
        h: ["tail"] for h in lab.hosts
    }
    return run, json.loads((report / "dropped.json").read_text(encoding="utf-8"))


def test_site_turns_the_log_on_and_a_second_run_changes_nothing(
    estate: Lab, run_playbook: Run
) -> None:
    logging = estate.dump(DIRECTOR)[DIRECTOR]["logging"]
    assert {t: (v["dropped"], v["size_kb"]) for t, v in logging.items()} == {
        t: (1, 4096) for t in ("1", "2", "4")
    }
    again = run_playbook(SITE, estate, {"ocs_firewall_log_dropped": True})
    assert again.rc == 0, again.tail()
    assert {h: c.get("changed", 0) for h, c in again.recap.items()} == dict.fromkeys(
        estate.hosts, 0
    )


def test_planted_drops_are_mapped_to_the_catalogue(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    run, written = _report(run_playbook, estate, tmp_path)
    assert run.rc == 0, run.tail()
    found = {
        (f["source"], f["protocol"], f["port"]): f for f in written["hosts"][DIRECTOR]["findings"]
    }
    sip = found[("10.20.0.7", "tcp", 5061)]
    assert sip["count"] == 3 and sip["held"] is True and sip["kind"] == "held_port"
    front_end = found[("10.10.0.11", "tcp", 8404)]
    assert front_end["kind"] == "component_port" and "front_end" in front_end["components"]
    assert found[("198.51.100.77", "tcp", 9999)]["kind"] == "unknown_port"
    stun = found[("10.20.0.8", "udp", 3478)]
    assert stun["kind"] == "component_port" and "edge" in stun["components"]
    # The other hosts logged nothing.
    assert all(not e["findings"] for h, e in written["hosts"].items() if h != DIRECTOR)
    for name in ("dropped.json", "dropped.md", "dropped.csv"):
        assert (tmp_path / name).stat().st_size > 0
