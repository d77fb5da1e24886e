"""What Windows enforces, on the example estate's lab hosts (real WinRM, ansible-playbook).

What a user relies on: with ``ocs_firewall_scope: inventory`` the audit names each of OCS
setup's rules that lets in more than the collection's (any address where the collection
scopes); ``ocs_firewall_setup_rules: disable`` disables exactly those the collection's
rules cover, after they are in place, so that a flow from an address of no peer is
blocked (the collection's evaluator and the lab's own agree); ``keep`` brings them back,
the lab's dump byte for byte what it was. A host whose group policy keeps local rules
from taking effect is never reported in sync: site.yml fails it naming the setting, and
the audit reports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun
from ocs_lab import seed

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
AUDIT = str(REPO / "playbooks" / "audit.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
SETUP = "Office Communications Server 2007 R2"
# Every rule OCS setup made on a lab host (the seed's): the Front End's, its conferencing
# servers' and their media range, all admitting any address.
SETUP_RULES_ON_FE = [r["name"] for r in seed.ocs_setup_rules()]
RTC = "C:\\Program Files\\Microsoft Office Communications Server 2007 R2\\Server\\Core\\RtcHost.exe"
FE = "fe01.ocs.example"
# An address of no peer (documentation network), and a client of the estate.
STRANGER = "203.0.113.10"
CLIENT = "10.20.0.30"
FLOW_TASK = "Flow verdicts"

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    """The example estate converged by site.yml with OCS setup's rules kept (the example
    disables them: each run here says which it wants)."""
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "basic")
    run = run_playbook(SITE, lab, {"ocs_firewall_setup_rules": "keep"})
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def lab_dump(lab: Lab, host: str) -> bytes:
    """``python -m ocs_lab dump``'s output for ``host``, as the lab prints it."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "dev" / "lab")}
    command = [sys.executable, "-m", "ocs_lab", "dump", "--state-dir", str(lab.state_dir), host]
    return subprocess.run(command, check=True, capture_output=True, env=env).stdout


def lab_flow(lab: Lab, host: str, address: str) -> dict[str, Any]:
    """``python -m ocs_lab flow``: the lab's own verdict on 5061/TCP from ``address``."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "dev" / "lab")}
    command = [sys.executable, "-m", "ocs_lab", "flow", "--state-dir", str(lab.state_dir), host]
    command += ["--protocol", "tcp", "--port", "5061", "--from", address, "--program", RTC]
    found: dict[str, Any] = json.loads(
        subprocess.run(command, check=True, capture_output=True, env=env).stdout
    )
    return found


def findings(run_playbook: Run, lab: Lab, report: Path) -> dict[str, list[dict[str, Any]]]:
    run = run_playbook(AUDIT, lab, {"ocs_firewall_report_dir": str(report)})
    assert run.rc == 0, run.stdout[-3000:]
    written = json.loads((report / "audit.json").read_text(encoding="utf-8"))
    return {host: entry["findings"] for host, entry in written["hosts"].items()}


def verdicts(run_playbook: Run, lab: Lab, *addresses: str) -> list[dict[str, Any]]:
    flows = [
        {"protocol": "tcp", "local_port": 5061, "remote_address": a, "program": RTC}
        for a in addresses
    ]
    run = run_playbook("flow.yml", lab, {"flows": flows}, "--limit", FE)
    assert run.rc == 0, run.stdout[-3000:]
    result: list[dict[str, Any]] = run.results(FLOW_TASK)[FE]["result"]["flows"]
    return result


def test_setup_rules_found_taken_over_and_given_back(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    before = lab_dump(estate, FE)
    # The audit names each setup rule wider than the collection's, and the rule it beats.
    wider = [
        f for f in findings(run_playbook, estate, tmp_path / "a")[FE] if f["kind"] == "wider_rule"
    ]
    assert sorted(f["rule"] for f in wider) == sorted(SETUP_RULES_ON_FE)
    for found in wider:
        assert found["group"] == SETUP and found["ours"].startswith("OCS Front End")
        assert "from any address" in found["detail"] and "is allowed by it" in found["detail"]
    # While they are enabled, a stranger reaches 5061 through OCS setup's rule.
    stranger, client = verdicts(run_playbook, estate, STRANGER, CLIENT)
    assert (stranger["verdict"], stranger["rules"][0]["group"]) == ("allowed", SETUP)
    assert lab_flow(estate, FE, STRANGER)["verdict"] == "allowed"

    run = run_playbook(SITE, estate, {"ocs_firewall_setup_rules": "disable"})
    assert run.rc == 0, run.stdout[-3000:]
    result = run.host_results()[FE]["result"]
    assert sorted(result["setup_rules"]["disable"]) == sorted(SETUP_RULES_ON_FE)
    stranger, client = verdicts(run_playbook, estate, STRANGER, CLIENT)
    assert (stranger["verdict"], stranger["by"]) == ("blocked", "default")
    assert client["verdict"] == "allowed"
    assert lab_flow(estate, FE, STRANGER)["verdict"] == "blocked"
    assert lab_flow(estate, FE, CLIENT)["verdict"] == "allowed"
    after = [
        f for f in findings(run_playbook, estate, tmp_path / "b")[FE] if f["kind"] == "wider_rule"
    ]
    assert after == []
    # In sync: a second run changes nothing.
    again = run_playbook(SITE, estate, {"ocs_firewall_setup_rules": "disable"})
    assert {r["status"] for r in again.host_results().values()} == {"ok"}

    run = run_playbook(SITE, estate, {"ocs_firewall_setup_rules": "keep"})
    assert run.rc == 0, run.stdout[-3000:]
    assert lab_dump(estate, FE) == before


def test_group_policy_that_voids_local_rules_is_never_in_sync(
    start_lab: Callable[..., Lab], run_playbook: Run, tmp_path: Path
) -> None:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["head_office_pool"]["hosts"]
    hosts[FE] = {"ocs_lab_policy": {"domain": {"AllowLocalPolicyMerge": 0}}}
    lab = start_lab(inventory, "basic")
    run = run_playbook(SITE, lab, {}, "--limit", FE)
    assert run.rc != 0
    (failed,) = [r for r in run.failures() if r["host"] == FE]
    message = failed["result"]["msg"]
    assert "group policy 'Apply local firewall rules' is No" in message
    assert "AllowLocalPolicyMerge = 0" in message and "domain administrators" in message
    assert failed["result"]["in_sync"] is False
    assert [e["op"] for e in lab.trace(FE)[FE]] == ["read"]

    # Staged anyway with warn: applied, then never in sync, the closing table says so.
    staged = run_playbook(SITE, lab, {"ocs_firewall_policy_check": "warn"}, "--limit", FE)
    assert staged.rc == 0, staged.stdout[-3000:]
    assert staged.host_results()[FE]["status"] == "changed"
    again = run_playbook(SITE, lab, {"ocs_firewall_policy_check": "warn"}, "--limit", FE)
    assert again.rc == 0, again.stdout[-3000:]
    result = again.host_results()[FE]["result"]
    assert (result["changed"], result["in_sync"]) == (False, False)
    assert "the rules are not in effect: domain profile: group policy" in result["msg"]
    (table,) = again.records_of("Changes of every host of the run")
    (row,) = [line for line in table["result"]["msg"] if line.startswith(FE)]
    assert row.endswith("not in effect")

    found = findings(run_playbook, lab, tmp_path)[FE]
    policy = [f for f in found if f["kind"] == "policy_blocks_rules"]
    assert [(f["profile"], f["current"]) for f in policy] == [("domain", True)]
    assert policy[0]["setting"].startswith("AllowLocalPolicyMerge = 0 under HKLM\\SOFTWARE")
