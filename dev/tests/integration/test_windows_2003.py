"""A mixed estate: Windows Server 2003 SP2 hosts in the reduced mode beside 2008 R2.

``playbooks/site.yml`` and one inventory: a 2003 Front End that already holds an entry an
administrator opened on 5061/TCP, a 2008 R2 Edge, and a 2003 server holding Archiving and
Monitoring collocated. The 2003 hosts are the lab's 5.2 flavour (HTTP with NTLM message
encryption, port-keyed entries in two profiles, Add overwrites); every claim below is read
from the lab's dumps and traces, and from the tasks' results.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.lab import Lab
from harness.playbook import PlaybookRun
from harness.rules import host_entries, is_owned_entry

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"
DOMAIN, STANDARD = 0, 1
SIP = {
    "name": "OCS SIP (opened by hand)",
    "port": 5061,
    "profile": DOMAIN,
    "remote_addresses": "10.10.0.0/255.255.0.0",
}
AM_VARS = {
    "ocs_lab_os": "5.2",
    "ocs_archiving_remote_addresses": ["10.10.0.0/24"],
    "ocs_monitoring_remote_addresses": ["10.20.0.5"],
}
HOSTS = {
    "fe03": {"ocs_lab_os": "5.2", "ocs_lab_foreign_rules": [SIP]},
    "edge08r2": {
        "ocs_lab_os": "6.1",
        "ocs_edge_internal_addresses": ["10.10.1.10"],
        "ocs_edge_external_addresses": ["192.0.2.10"],
    },
    "am03": AM_VARS,
}
INVENTORY = {
    "all": {
        "children": {
            "ocs_servers": {"hosts": HOSTS},
            "ocs_front_end": {"hosts": {"fe03": None}},
            "ocs_edge": {"hosts": {"edge08r2": None}},
            "ocs_archiving": {"hosts": {"am03": None}},
            "ocs_monitoring": {"hosts": {"am03": None}},
        }
    }
}

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def lab(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab(INVENTORY, "mixed")


@pytest.fixture(scope="module")
def runs(lab: Lab, run_playbook: Run) -> dict[str, Any]:
    """Converge, run again, then --check; each with the lab's trace and dump after it."""
    found: dict[str, Any] = {"dump": {"start": lab.dump()}, "trace": {}, "run": {}}
    for name, options in (("converge", ("--diff",)), ("again", ()), ("check", ("--check",))):
        lab.reset_trace()
        found["run"][name] = run_playbook(SITE, lab, None, *options)
        found["trace"][name] = {h: [e["op"] for e in t] for h, t in lab.trace().items()}
        found["dump"][name] = lab.dump()
    return found


def _records(run: PlaybookRun) -> dict[str, dict[str, Any]]:
    """Each host's record of the server role's apply task (its name has the role's prefix)."""
    return run.host_results()


def _statuses(run: PlaybookRun) -> dict[str, str]:
    return {host: r["status"] for host, r in _records(run).items()}


def _reduced(run: PlaybookRun, host: str) -> dict[str, Any]:
    return dict(_records(run)[host]["result"]["reduced_mode"])


def test_the_mixed_estate_converges_then_holds_still(runs: dict[str, Any]) -> None:
    converge, again = runs["run"]["converge"], runs["run"]["again"]
    assert converge.rc == 0, converge.tail()
    assert _statuses(converge) == dict.fromkeys(HOSTS, "changed")
    assert runs["trace"]["converge"] == dict.fromkeys(HOSTS, ["read", "apply"])
    assert again.rc == 0, again.tail()
    assert _statuses(again) == dict.fromkeys(HOSTS, "ok")
    assert {h: s["changed"] for h, s in again.recap.items()} == dict.fromkeys(HOSTS, 0)
    assert runs["trace"]["again"] == dict.fromkeys(HOSTS, ["read"])
    assert runs["dump"]["again"] == runs["dump"]["converge"]
    # The 2008 R2 Edge has rules in its group; the 2003 hosts have entries of ours.
    edge = runs["dump"]["converge"]["edge08r2"]["rules"]
    assert any(r["grouping"] == "OCS 2007 R2 - Edge" for r in edge)
    for host in ("fe03", "am03"):
        for profile in (DOMAIN, STANDARD):
            entries = host_entries(runs["dump"]["converge"], host, profile)
            assert any(is_owned_entry(e) for e in entries), (host, profile)


def test_check_mode_changes_nothing_on_any_host(runs: dict[str, Any], lab: Lab) -> None:
    check = runs["run"]["check"]
    assert check.rc == 0, check.tail()
    assert runs["trace"]["check"] == dict.fromkeys(HOSTS, ["read"])
    assert runs["dump"]["check"] == runs["dump"]["again"]


def test_each_2003_host_reports_its_verdicts(runs: dict[str, Any]) -> None:
    converge = runs["run"]["converge"]
    fe = _reduced(converge, "fe03")
    am = _reduced(converge, "am03")
    assert fe["platform"] == "Windows Server 2003 (5.2.3790.131072)"
    assert fe["counts"] == {"applied": 15, "not_applicable": 8, "refused": 2}
    # Monitoring's 5069 is an opt-in (the table's row; the port is the Front End's).
    assert am["counts"] == {"applied": 8, "not_applicable": 0, "refused": 2}
    refused = [v for v in fe["verdicts"] if v["verdict"] == "refused"]
    assert {v["entry"] for v in refused} == {"seed-16", "extra-front-end-rpc-dynamic"}
    assert all(v["why"] and v["alternative"] for v in refused)
    # The closing table has the 2003 column, and the 2008 R2 Edge none.
    table = converge.stdout
    assert "2003 APPLIED/N.A./REFUSED" in table
    lines = [line for line in table.splitlines() if "fe03 " in line or "edge08r2 " in line]
    assert any("15/8/2" in line for line in lines)
    assert not [v for v in _applies(converge)["edge08r2"].get("reduced_mode", [])]


def _applies(run: PlaybookRun) -> dict[str, dict[str, Any]]:
    return {h: r["result"] for h, r in _records(run).items()}


def test_the_foreign_5061_entry_stays_byte_identical_and_is_reported(runs: dict[str, Any]) -> None:
    def sip(stage: str) -> list[dict[str, Any]]:
        entries = host_entries(runs["dump"][stage], "fe03", DOMAIN)
        return [e for e in entries if e["port"] == 5061 and e["protocol"] == 6]

    before = sip("start")
    assert [e["name"] for e in before] == [SIP["name"]]
    for stage in ("converge", "again", "check"):
        assert sip(stage) == before, stage
    conflicts = _reduced(runs["run"]["converge"], "fe03")["conflicts"]
    assert [(c["name"], c["profile"], c["port"]) for c in conflicts] == [
        (SIP["name"], "Domain", 5061)
    ]
    assert "ocs_firewall_legacy_adopt" in conflicts[0]["msg"]
    assert "OCS SIP (opened by hand)" in runs["run"]["converge"].stdout  # the warning
    # In the Standard profile the port was free: there it is the collection's.
    standard = host_entries(runs["dump"]["converge"], "fe03", STANDARD)
    assert [e["name"] for e in standard if e["port"] == 5061 and e["protocol"] == 6] == [
        "[ocs.firewall] Front End - 5061/TCP"
    ]


def test_shared_entries_take_the_union_of_the_collocated_scopes(runs: dict[str, Any]) -> None:
    (entry,) = [
        e
        for e in host_entries(runs["dump"]["converge"], "am03", DOMAIN)
        if e["port"] == 135 and e["protocol"] == 6
    ]
    assert entry["name"] == "[ocs.firewall] Monitoring, Archiving - 135/TCP"
    assert entry["remote_addresses"] == "10.10.0.0/255.255.255.0,10.20.0.5/255.255.255.255"


# An administrator (or another run) closes the 135/TCP entries between the plan stage's read
# and the apply stage: the host's store is edited as Windows would be, atomically.
_CLOSE_135 = """
import json, os, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    store = json.load(handle)
for profile in store["legacy"].values():
    profile["ports"] = [e for e in profile["ports"] if (e["port"], e["protocol"]) != (135, 6)]
with open(path + ".new", "w", encoding="utf-8") as handle:
    json.dump(store, handle)
os.replace(path + ".new", path)
"""


def test_an_entry_closed_between_the_read_and_the_apply_is_read_and_planned_again(
    runs: dict[str, Any], lab: Lab, play: Run
) -> None:
    del runs  # converged first
    store = lab.state_dir / "hosts" / "am03" / "firewall.json"
    playbook = f"""
    - hosts: am03
      gather_facts: false
      tasks:
        - name: Plan
          ocs.firewall.win_ocs_firewall:
            stage: plan
          register: ocs_firewall_result
        - name: Meanwhile an administrator closes 135/TCP
          delegate_to: localhost
          vars:
            ansible_connection: local
            ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
          ansible.builtin.command:
            argv: ["{{{{ ansible_playbook_python }}}}", "-c", {json.dumps(_CLOSE_135)}, "{store}"]
          changed_when: false
        - name: Apply
          ocs.firewall.win_ocs_firewall:
            stage: apply
    """
    lab.reset_trace()
    # A wider scope for Archiving: the plan updates its entries, 135/TCP among them.
    run = play(
        playbook,
        lab.inventory,
        label="closed-between",
        extra_vars={"ocs_archiving_remote_addresses": ["10.10.0.0/16"]},
    )
    assert run.rc == 0, run.tail()
    (applied,) = run.records_of("Apply", "am03")
    assert applied["status"] == "changed" and applied["result"]["replans"] == 1
    assert "changed between the read and the apply" in run.stdout + run.stderr
    assert "unexpected keyword" not in run.stdout + run.stderr
    ops = [(e["op"], bool(e.get("counts", {}).get("stale"))) for e in lab.trace("am03")["am03"]]
    assert ops == [("read", False), ("apply", True), ("read", False), ("apply", False)]
    # Planned again from what the host held: 135/TCP is wanted, so it is open again.
    (entry,) = [
        e
        for e in host_entries(lab.dump(), "am03", DOMAIN)
        if (e["port"], e["protocol"]) == (135, 6)
    ]
    assert entry["name"] == "[ocs.firewall] Monitoring, Archiving - 135/TCP"
    assert entry["remote_addresses"] == "10.10.0.0/255.255.0.0,10.20.0.5/255.255.255.255"
    # Back to the inventory's scope for the tests after this one.
    assert play(Path(SITE), lab.inventory, label="restore").rc == 0


def test_decommission_on_2003_keeps_a_shared_entry_while_one_component_remains(
    runs: dict[str, Any], lab: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    del runs  # converged first
    shared = {
        (e["port"], e["protocol"])
        for e in host_entries(lab.dump(), "am03", DOMAIN)
        if e["name"].startswith("[ocs.firewall] Monitoring, Archiving - ")
    }
    assert (135, 6) in shared and len(shared) == 7
    groups: dict[str, Any] = {
        "ocs_servers": {h: copy.deepcopy(v) for h, v in HOSTS.items()},
        "ocs_front_end": {"fe03": None},
        "ocs_edge": {"edge08r2": None},
        "ocs_monitoring": {"am03": None},
    }
    without_archiving = lab.regroup(tmp_path / "without-archiving.yml", groups)
    lab.reset_trace()
    run = run_playbook(SITE, _Inventory(lab, without_archiving))
    assert run.rc == 0, run.tail()
    assert _statuses(run) == {"fe03": "ok", "edge08r2": "ok", "am03": "changed"}
    after = {
        (e["port"], e["protocol"]): e["name"]
        for e in host_entries(lab.dump(), "am03", DOMAIN)
        if is_owned_entry(e)
    }
    # Every shared port is still open, now Monitoring's alone; nothing of its was closed.
    assert shared <= set(after)
    assert after[(135, 6)] == "[ocs.firewall] Monitoring - 135/TCP"
    assert _applies(run)["am03"]["summary"]["removed"] == 0
    # Monitoring off too: the host's entries of ours are all closed, the others stay.
    groups["ocs_monitoring"] = {}
    none_left = lab.regroup(tmp_path / "none-left.yml", groups)
    run = run_playbook(SITE, _Inventory(lab, none_left))
    assert run.rc == 0, run.tail()
    left = [e for p in (DOMAIN, STANDARD) for e in host_entries(lab.dump(), "am03", p)]
    assert left and not [e for e in left if is_owned_entry(e)]


class _Inventory:
    """The lab with another inventory file, for ``run_playbook``."""

    def __init__(self, lab: Lab, inventory: Path) -> None:
        self.inventory = inventory
        self.state_dir = lab.state_dir


def test_entries_named_by_an_earlier_release_are_renamed_then_left_alone(
    runs: dict[str, Any], lab: Lab, run_playbook: Run
) -> None:
    """Earlier releases wrote ``[ocs.firewall] Front End: 5061/TCP``; ':' is the separator
    of 2003's own port exceptions. Such entries are still the collection's: the next run
    renames them in place (an OPEN of their key overwrites them), touching nothing else,
    and the run after it has nothing to do."""
    del runs  # converged first
    renamed = _name_entries_the_old_way(lab, "fe03")
    assert len(renamed) > 10
    before = lab.dump("fe03")["fe03"]

    lab.reset_trace()
    run = run_playbook(SITE, lab, None, "--limit", "fe03")

    assert run.rc == 0, run.tail()
    assert _statuses(run) == {"fe03": "changed"}
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()}["fe03"] == ["read", "apply"]
    summary = _applies(run)["fe03"]["summary"]
    assert (summary["added"], summary["updated"], summary["removed"]) == (0, len(renamed), 0)
    after = lab.dump("fe03")["fe03"]
    for profile in (DOMAIN, STANDARD):
        was = host_entries({"fe03": before}, "fe03", profile)
        now = host_entries({"fe03": after}, "fe03", profile)
        # The same keys in the same places; only the old names changed, to the new ones.
        assert [(e["port"], e["protocol"]) for e in now] == [
            (e["port"], e["protocol"]) for e in was
        ]
        for old, new in zip(was, now, strict=True):
            key = (profile, old["port"], old["protocol"])
            if key in renamed:
                assert (old["name"], new["name"]) == renamed[key]
                assert {**new, "name": old["name"]} == old
            else:
                assert new == old  # the administrator's entries, the foreign 5061/TCP too

    lab.reset_trace()
    again = run_playbook(SITE, lab, None, "--limit", "fe03")
    assert again.rc == 0, again.tail()
    assert _statuses(again) == {"fe03": "ok"}
    assert {h: [e["op"] for e in t] for h, t in lab.trace().items()}["fe03"] == ["read"]
    assert lab.dump("fe03")["fe03"] == after


def _name_entries_the_old_way(lab: Lab, host: str) -> dict[tuple[int, int, int], tuple[str, str]]:
    """Rename ``host``'s entries of ours as earlier releases named them, in its store;
    return (old name, name now) by (profile, port, protocol)."""
    from ocs_lab.state import StateDir, read_json, write_json

    state = StateDir(lab.state_dir)
    (entry,) = state.resolve_hosts([host])
    path = state.firewall_file(entry["id"])
    store = read_json(path)
    renamed = {}
    for profile, held in store["legacy"].items():
        for port in held["ports"]:
            if is_owned_entry(port):
                old = re.sub(r" - (?=[0-9]+/(?:TCP|UDP)$)", ": ", port["name"])
                renamed[(int(profile), port["port"], port["protocol"])] = (old, port["name"])
                port["name"] = old
    write_json(path, store)
    return renamed
