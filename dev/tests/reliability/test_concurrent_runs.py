"""Two runs of site.yml at once on the same hosts end as one run would.

Nothing serialises runs on a host (two AWX jobs, a scheduled audit-and-fix beside a
manual run). Every apply carries the digest of the rules it was planned from; the host
refuses an apply made from an outdated read (STALE, nothing changed) and the run reads
again and plans again. The lab's delay fault slows every reply of the hosts so that both
runs read before either applies; the lab's trace shows the refused apply.

Both a cold estate (nothing of ours yet) and an update (new scope, a component taken off)
on a Windows Server 2008 R2 host and a 2003 host: no duplicate rule or entry, the end state
equal to the one a single clean run leaves on twin hosts of a second lab, and a second
clean run after them changes nothing.
"""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.rules import host_entries, host_rules, is_owned, is_owned_entry

HOST, LEGACY_HOST = "cc08", "cc03"
# Seconds the lab sleeps before each reply of the two hosts while the runs overlap: a
# read is several replies, so each run's read ends well after the other's has begun.
DELAY_S = 0.5


def _groups(update: bool) -> dict[str, dict[str, Any]]:
    scope = ["10.10.0.0/16"] if update else ["10.10.0.0/24"]
    groups: dict[str, dict[str, Any]] = {
        "ocs_servers": {
            HOST: {"ocs_front_end_remote_addresses": scope},
            LEGACY_HOST: {"ocs_lab_os": "5.2", "ocs_archiving_remote_addresses": scope},
        },
        "ocs_front_end": {HOST: None},
        "ocs_archiving": {LEGACY_HOST: None},
    }
    if not update:
        groups["ocs_mediation"] = {HOST: None}
        groups["ocs_monitoring"] = {LEGACY_HOST: None}
    return groups


def _inventory(update: bool) -> dict[str, Any]:
    return {"all": {"children": {g: {"hosts": members} for g, members in _groups(update).items()}}}


def _ours(dump: dict[str, Any]) -> dict[str, Any]:
    """The collection's rules and entries of each host, in a form to compare."""
    rules = sorted(
        json.dumps({k: v for k, v in r.items() if k != "id"}, sort_keys=True)
        for r in host_rules(dump, HOST)
        if is_owned(r)
    )
    entries = {
        profile: sorted(
            json.dumps(e, sort_keys=True)
            for e in host_entries(dump, LEGACY_HOST, profile)
            if is_owned_entry(e)
        )
        for profile in (0, 1)
    }
    return {"rules": rules, "entries": entries}


def _twice_at_once(play: Callable[..., Any], site: Path, inventory: Path) -> list[Any]:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(play, site, inventory, "--diff", label=f"at-once-{n}") for n in (1, 2)
        ]
        return [f.result() for f in futures]


@pytest.fixture(scope="module")
def runs(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    site = repo_root / "playbooks" / "site.yml"
    folder = tmp_path_factory.mktemp("concurrent")
    lab = start_lab(_inventory(update=False), "mixed", name="concurrent")
    twin = start_lab(_inventory(update=False), "mixed", name="single")
    found: dict[str, Any] = {}
    for step, update in (("cold", False), ("update", True)):
        groups = {g: dict(m) for g, m in _groups(update).items()}
        inventory = lab.regroup(folder / f"{step}.yml", groups)
        twin_inventory = twin.regroup(folder / f"{step}-single.yml", groups)
        single = play(site, twin_inventory, label=f"single-{step}")
        lab.reset_trace()
        for host in (HOST, LEGACY_HOST):
            lab.fault(host, delay=DELAY_S)
        try:
            both = _twice_at_once(play, site, inventory)
        finally:
            lab.clear_faults()
        trace, dump = lab.trace(), lab.dump()
        found[step] = {
            "single": single,
            "both": both,
            "again": play(site, inventory, label=f"again-{step}"),
            "trace": trace,
            "dump": dump,
            "twin": twin.dump(),
        }
    return found


STEPS = ["cold", "update"]


@pytest.mark.parametrize("step", STEPS)
def test_both_runs_succeed(runs: dict[str, Any], step: str) -> None:
    for run in (runs[step]["single"], *runs[step]["both"], runs[step]["again"]):
        assert run.rc == 0, run.tail()


@pytest.mark.parametrize("step", STEPS)
def test_the_runs_overlapped_and_one_apply_was_refused_as_stale(
    runs: dict[str, Any], step: str
) -> None:
    for host in (HOST, LEGACY_HOST):
        ops = runs[step]["trace"][host]
        applies = [e for e in ops if e["op"] == "apply"]
        stale = [e for e in applies if e.get("counts", {}).get("stale")]
        assert len(stale) == 1, (host, ops)
        # Two reads before the first apply: both runs read the old state.
        first_apply = next(i for i, e in enumerate(ops) if e["op"] == "apply")
        assert [e["op"] for e in ops[:first_apply]] == ["read", "read"], (host, ops)


@pytest.mark.parametrize("step", STEPS)
def test_each_run_says_what_it_did(runs: dict[str, Any], step: str) -> None:
    for host in (HOST, LEGACY_HOST):
        results = [run.host_results()[host]["result"] for run in runs[step]["both"]]
        for number, result in enumerate(results, 1):
            # Shown with pytest -s: what each run told its user.
            print(f"{step} run {number} {host}: replans={result.get('replans')} {result['msg']}")
        replanned = [r for r in results if r.get("replans")]
        applied = [r for r in results if not r.get("replans")]
        # One run applied its plan; the other found the host changed, read it again and
        # found nothing left to do.
        assert len(replanned) == 1 and len(applied) == 1, results
        assert applied[0]["changed"] is True
        assert replanned[0]["changed"] is False and replanned[0]["in_sync"] is True
    stale_said = [
        run
        for run in runs[step]["both"]
        if "changed between the read and the apply" in run.stdout + run.stderr
    ]
    assert len(stale_said) >= 1


@pytest.mark.parametrize("step", STEPS)
def test_no_duplicate_and_the_state_of_one_clean_run(runs: dict[str, Any], step: str) -> None:
    found = runs[step]
    names = [
        (r["grouping"].lower(), r["name"].lower())
        for r in host_rules(found["dump"], HOST)
        if is_owned(r)
    ]
    assert len(names) == len(set(names)), "a rule of ours is there twice"
    assert _ours(found["dump"]) == _ours(found["twin"])
    assert _ours(found["dump"])["rules"] and _ours(found["dump"])["entries"][0]


@pytest.mark.parametrize("step", STEPS)
def test_a_run_after_them_changes_nothing(runs: dict[str, Any], step: str) -> None:
    again = runs[step]["again"]
    assert {h: s["changed"] for h, s in again.recap.items()} == {HOST: 0, LEGACY_HOST: 0}
