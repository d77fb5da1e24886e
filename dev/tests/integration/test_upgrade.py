"""An estate converged by the previous release converges under this one with no change.

``tests/data/estate-converged-0.1.0.json`` holds the rules of the collection's groups on
every host of the example estate as ``playbooks/site.yml`` of ocs.firewall 0.1.0 left
them (it ran one play and one rule group per component). The lab hosts start with those
rules; today's ``site.yml`` on the same inventory must find nothing to do: rules keep
their names, groups and descriptions, and the catalogue rules of 0.1.0 already end with
the ownership marker, so they are recognised as the collection's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
# The example inventory as 0.1.0 shipped it: today's example is scoped from the inventory.
EXAMPLE = REPO / "tests" / "data" / "estate-0.1.0-inventory.yml"
CONVERGED = REPO / "tests" / "data" / "estate-converged-0.1.0.json"
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"


def test_an_estate_converged_by_0_1_0_needs_no_change(
    start_lab: Callable[..., Lab], run_playbook: Callable[..., PlaybookRun]
) -> None:
    converged = json.loads(CONVERGED.read_text(encoding="utf-8"))["hosts"]
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    lab = start_lab(inventory, "basic")
    _seed(lab, converged)
    before = lab.dump()
    lab.reset_trace()

    run = run_playbook(SITE, lab, None, "--diff")

    assert run.rc == 0, run.stdout[-3000:]
    applies = [r for r in run.records if r["task"].endswith(APPLY_TASK)]
    assert sorted(r["host"] for r in applies) == sorted(converged)
    assert {r["status"] for r in applies} == {"ok"}
    assert lab.dump() == before
    # One read per host and nothing else.
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()} == {
        host: ["read"] for host in converged
    }


def _seed(lab: Lab, rules: dict[str, list[dict[str, object]]]) -> None:
    """Put the 0.1.0 rules into each lab host's rule store, after its built-in rules."""
    from ocs_lab.state import StateDir, read_json, write_json

    state = StateDir(lab.state_dir)
    for host in state.resolve_hosts(list(rules)):
        path = state.firewall_file(host["id"])
        store = read_json(path)
        store["rules"].extend(rules[host["name"]])
        write_json(path, store)
