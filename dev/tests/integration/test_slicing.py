"""site.yml as an AWX sliced job: exact with the whole estate's address book, or refused.

AWX slices a job by giving each slice job an inventory of every Nth host, ordered by name
(``Inventory.get_script_data``: ``hosts[offset::slice_count]``), with every group kept,
emptied of the other slices' hosts, and the variables of the slice's hosts only. A
workflow node before the sliced job passes data on to it with ``set_stats``: the node's
artifacts become the extra variables of the jobs after it.

This runs the example estate (``ocs_firewall_scope: inventory``, pools) through
ansible-runner three ways, on lab hosts of their own: as one job; as a workflow of
``playbooks/address_book.yml`` over the whole inventory, then site.yml in 3 slices given
its artifacts; and as one slice without them. The first two must leave every firewall
byte-identical; the last must stop in the preflight, no host contacted.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml
from harness.lab import Lab, write_inventory

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "inventory.yml"
SLICES = 3
PROJECT = {
    "site.yml": "- ansible.builtin.import_playbook: ocs.firewall.site\n",
    "address_book.yml": "- ansible.builtin.import_playbook: ocs.firewall.address_book\n",
}


def awx_slice(inventory: dict[str, Any], number: int, count: int) -> dict[str, Any]:
    """The inventory AWX gives slice ``number`` (1-based) of ``count``: the hosts ordered
    by name, every ``count``-th from the ``number``-th; every group and its variables kept,
    emptied of the other hosts; the variables of the slice's hosts only."""
    names: set[str] = set()

    def collect(group: dict[str, Any]) -> None:
        names.update((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            collect(child or {})

    collect(inventory["all"])
    kept = set(sorted(names)[number - 1 :: count])

    def cut(group: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in group.items() if k not in ("hosts", "children")}
        hosts = {h: v for h, v in (group.get("hosts") or {}).items() if h in kept}
        if hosts:
            out["hosts"] = hosts
        if group.get("children"):
            out["children"] = {n: cut(c or {}) for n, c in group["children"].items()}
        return out

    return {"all": cut(copy.deepcopy(inventory["all"]))}


def _project(tmp: Path) -> Path:
    pdd = tmp / "runner"
    (pdd / "project").mkdir(parents=True)
    for name, text in PROJECT.items():
        (pdd / "project" / name).write_text(text, encoding="utf-8")
    return pdd


def _job(
    pdd: Path,
    playbook: str,
    inventory: Path,
    collections_root: Path,
    extravars: dict[str, Any] | None = None,
) -> Any:
    """One AWX job: ansible-runner, ansible-playbook from this venv, as in an EE."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return ansible_runner.run(
        private_data_dir=str(pdd),
        playbook=playbook,
        inventory=str(inventory),
        extravars=extravars or {},
        envvars={"ANSIBLE_COLLECTIONS_PATH": str(collections_root), "PATH": path},
        quiet=True,
    )


def _artifacts(job: Any) -> dict[str, Any]:
    """What AWX passes from a workflow node to the next: its set_stats data."""
    stats = [e["event_data"] for e in job.events if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1
    found: dict[str, Any] = stats[0].get("artifact_data") or {}
    return found


def _firewalls(lab: Lab) -> str:
    """Every host's whole firewall, as one text to compare byte for byte."""
    return json.dumps(lab.dump(), sort_keys=True, indent=1)


@pytest.fixture(scope="module")
def labs(start_lab: Callable[..., Lab]) -> dict[str, Lab]:
    return {name: start_lab(EXAMPLE, "basic", name=name) for name in ("whole", "sliced", "refused")}


def test_three_slices_with_the_address_book_end_as_one_job_does(
    labs: dict[str, Lab], collections_root: Path, tmp_path: Path
) -> None:
    pdd = _project(tmp_path)
    whole = labs["whole"]
    job = _job(pdd, "site.yml", whole.inventory, collections_root)
    assert (job.status, job.rc) == ("successful", 0), job.stdout.read()[-3000:]

    sliced = labs["sliced"]
    made = _job(pdd, "address_book.yml", sliced.inventory, collections_root)
    assert (made.status, made.rc) == ("successful", 0), made.stdout.read()[-3000:]
    # Making the book contacts no host.
    assert sum(sliced.commands().values()) == 0
    artifacts = _artifacts(made)
    book = artifacts["ocs_firewall_address_book"]
    assert book["format"] == 1 and book["servers"] == len(sliced.hosts)

    # The same book as a file on the controller, for runs outside AWX.
    written = tmp_path / "books" / "book.json"
    by_file = {"ocs_firewall_address_book_file": str(written)}
    made = _job(pdd, "address_book.yml", sliced.inventory, collections_root, by_file)
    assert (made.status, made.rc) == ("successful", 0), made.stdout.read()[-3000:]
    assert json.loads(written.read_text(encoding="utf-8"))["book"] == book["book"]

    inventory = yaml.safe_load(sliced.inventory.read_text(encoding="utf-8"))
    seen: list[str] = []
    for number in range(1, SLICES + 1):
        part = awx_slice(inventory, number, SLICES)
        path = write_inventory(tmp_path / f"slice-{number}.yml", part)
        # The last slice reads the file; the others are given the book as AWX does.
        given = by_file if number == SLICES else artifacts
        job = _job(pdd, "site.yml", path, collections_root, {**given, "awx_workflow_job_id": 7})
        assert (job.status, job.rc) == ("successful", 0), job.stdout.read()[-3000:]
        seen += job.stats["processed"]
        print(f"slice {number}/{SLICES}: {sorted(job.stats['processed'])}")
    # Each host in exactly one slice, every host in one.
    assert sorted(seen) == sorted(whole.hosts)

    assert _firewalls(sliced) == _firewalls(whole)
    # And the rules are scoped from the whole estate: a Front End admits the Director,
    # which is in another slice than fe01's.
    rules = {r["name"]: r for r in sliced.dump("fe01.ocs.example")["fe01.ocs.example"]["rules"]}
    sip = next(r for n, r in rules.items() if n.endswith("(seed-01)"))
    assert "10.10.0.30" in sip["remote_addresses"]


def test_a_slice_without_the_address_book_is_refused_before_any_host_is_contacted(
    labs: dict[str, Lab], collections_root: Path, tmp_path: Path
) -> None:
    pdd = _project(tmp_path)
    lab = labs["refused"]
    lab.reset_trace()
    inventory = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    path = write_inventory(tmp_path / "slice-1.yml", awx_slice(inventory, 1, SLICES))
    # As AWX runs a slice: a job of the workflow the sliced job becomes.
    job = _job(pdd, "site.yml", path, collections_root, {"awx_workflow_job_id": 42})
    output = job.stdout.read()
    assert (job.status, job.rc) == ("failed", 2)
    assert "looks like one slice of a job" in output
    assert "awx_workflow_job_id 42" in output
    assert "ocs_firewall_address_book" in output
    print(output[output.index("TASK [Read the host") :][:1500])
    # The lab's trace: no command on any host.
    assert all(not commands for commands in lab.trace().values())
    assert set(lab.trace()) == set(lab.hosts)
