"""An estate converged by an earlier release converges under this one with no change.

``tests/data/estate-converged-<release>.json`` holds the rules of the collection's groups
on every host of the example estate as ``playbooks/site.yml`` of that release left them,
and ``tests/data/estate-<release>-inventory.yml`` the example inventory it ran with:

* 0.1.0 ran one play and one rule group per component, every rule open to any address;
* 0.2.0 scoped every rule from the inventory (``ocs_firewall_scope: inventory``), with
  no pools: the whole estate is one pool, which is what an inventory without
  ``ocs_pool`` still means.

The lab hosts start with those rules; today's ``site.yml`` on the same inventory must
find nothing to do: rules keep their names, groups, descriptions and scopes, and the
catalogue rules already end with the ownership marker, so they are recognised as the
collection's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
DATA = REPO / "tests" / "data"
PLAN_TASK = "Read the host's firewall and plan every change of its components"


@pytest.mark.parametrize("release", ["0.1.0", "0.2.0"])
def test_an_estate_converged_by_an_earlier_release_needs_no_change(
    release: str, start_lab: Callable[..., Lab], run_playbook: Callable[..., PlaybookRun]
) -> None:
    converged = json.loads((DATA / f"estate-converged-{release}.json").read_text(encoding="utf-8"))[
        "hosts"
    ]
    inventory = yaml.safe_load((DATA / f"estate-{release}-inventory.yml").read_text("utf-8"))
    lab = start_lab(inventory, "basic")
    _seed(lab, converged)
    before = lab.dump()
    lab.reset_trace()

    run = run_playbook(SITE, lab, None, "--diff")

    assert run.rc == 0, run.stdout[-3000:]
    plans = [r for r in run.records if r["task"].endswith(PLAN_TASK)]
    assert sorted(r["host"] for r in plans) == sorted(converged)
    assert {r["status"] for r in plans} == {"ok"}
    assert all(r["result"]["in_sync"] for r in plans)
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
