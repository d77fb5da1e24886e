"""An estate converged by an earlier release converges under this one with exactly the
catalogue's changes since.

``tests/data/estate-converged-<release>.json`` holds the rules of the collection's groups
on every host of the example estate as ``playbooks/site.yml`` of that release left them,
and ``tests/data/estate-<release>-inventory.yml`` the example inventory it ran with:

* 0.1.0 ran one play and one rule group per component, every rule open to any address;
* 0.2.0 scoped every rule from the inventory (``ocs_firewall_scope: inventory``), with
  no pools: the whole estate is one pool, which is what an inventory without
  ``ocs_pool`` still means.

The lab hosts start with those rules; today's ``site.yml`` on the same inventory must
change nothing but what the catalogue changed since (issue 25: every Front End Server
takes MSMQ acknowledgements on 1801/TCP; 5069 on a Monitoring Server became an opt-in):
every other rule keeps its name, group, description and scope byte for byte, and the
catalogue rules already end with the ownership marker, so they are recognised as the
collection's own. A second run finds nothing to do.
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


# What the catalogue changed since those releases: the entry whose rule each holder of a
# component gains, and the one it loses.
ADDED = {"front_end": "extra-front-end-msmq-ack"}
REMOVED = {"monitoring": "seed-43"}


def _ours(lab: Lab) -> dict[str, dict[str, dict[str, object]]]:
    """Each host's rules that carry the collection's marker, by name."""
    return {
        host: {r["name"]: r for r in state["rules"] if "[ocs.firewall" in str(r["description"])}
        for host, state in lab.dump().items()
    }


@pytest.mark.parametrize("release", ["0.1.0", "0.2.0"])
def test_an_estate_converged_by_an_earlier_release_changes_only_what_the_catalogue_did(
    release: str, start_lab: Callable[..., Lab], run_playbook: Callable[..., PlaybookRun]
) -> None:
    converged = json.loads((DATA / f"estate-converged-{release}.json").read_text(encoding="utf-8"))[
        "hosts"
    ]
    inventory = yaml.safe_load((DATA / f"estate-{release}-inventory.yml").read_text("utf-8"))
    lab = start_lab(inventory, "basic")
    _seed(lab, converged)
    before = _ours(lab)
    lab.reset_trace()

    run = run_playbook(SITE, lab, None, "--diff")

    assert run.rc == 0, run.stdout[-3000:]
    plans = [r for r in run.records if r["task"].endswith(PLAN_TASK)]
    assert sorted(r["host"] for r in plans) == sorted(converged)
    children = inventory["all"]["children"]
    holders = {
        key: set(children.get(f"ocs_{key}", {}).get("hosts") or {}) & set(converged)
        for key in (*ADDED, *REMOVED)
    }
    changed = {h for keys in holders.values() for h in keys}
    assert changed
    after = _ours(lab)
    for host in converged:
        gained = {n.rsplit("(", 1)[1].rstrip(")") for n in set(after[host]) - set(before[host])}
        lost = {n.rsplit("(", 1)[1].rstrip(")") for n in set(before[host]) - set(after[host])}
        assert gained == {e for k, e in ADDED.items() if host in holders[k]}, host
        assert lost == {e for k, e in REMOVED.items() if host in holders[k]}, host
        # Every other rule byte for byte as the earlier release left it.
        kept = set(before[host]) & set(after[host])
        assert {n: after[host][n] for n in kept} == {n: before[host][n] for n in kept}, host
    # One read per host, and one apply where the catalogue changed something.
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()} == {
        host: ["read", "apply"] if host in changed else ["read"] for host in converged
    }
    again = run_playbook(SITE, lab)
    assert again.rc == 0, again.stdout[-3000:]
    assert all(r["result"]["in_sync"] for r in again.records if r["task"].endswith(PLAN_TASK))


def _seed(lab: Lab, rules: dict[str, list[dict[str, object]]]) -> None:
    """Put the 0.1.0 rules into each lab host's rule store, after its built-in rules."""
    from ocs_lab.state import StateDir, read_json, write_json

    state = StateDir(lab.state_dir)
    for host in state.resolve_hosts(list(rules)):
        path = state.firewall_file(host["id"])
        store = read_json(path)
        store["rules"].extend(rules[host["name"]])
        write_json(path, store)
