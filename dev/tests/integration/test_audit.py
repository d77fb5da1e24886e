"""playbooks/audit.yml on the example estate, against lab hosts.

What a user relies on: on an estate site.yml converged, the audit finds nothing (and
``ocs_firewall_audit_fail=true`` passes); each kind of drift made by hand on a host is
found on that host, with its rule, group or profile; the audit sends each host one read
and changes nothing; ``-e ocs_firewall_report_dir`` writes audit.json (every audited host,
a host whose read failed marked), audit.md and audit.csv; ``ocs_firewall_audit_fail=true``
fails the run on findings, naming the hosts; ``--limit`` audits only the hosts it names.
"""

from __future__ import annotations

import csv
import dataclasses
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

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
AUDIT = str(REPO / "playbooks" / "audit.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
FE_GROUP = _catalogue.server_components()["front_end"].group
WEB_COMPONENTS = _catalogue.server_components()["web_components"].group
# Profile types in the lab's store (NET_FW_PROFILE_TYPE2).
DOMAIN, PUBLIC = "1", "4"

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    """The example estate as written, converged by site.yml. Every lab host carries,
    beyond the built-in groups the audit accepts by default, the seed's File and Printer
    Sharing, WMI, OCS activation and hand-made rules (dev/lab/ocs_lab/seed_rules.json):
    the example inventory's ocs_firewall_audit_accepted lists them."""
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "basic")
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def _audit_run(
    run_playbook: Run, lab: Lab, report: Path, *options: str, fail: bool = False
) -> tuple[PlaybookRun, dict[str, Any]]:
    """Run the audit writing its reports to ``report``; the run and audit.json."""
    extra = {"ocs_firewall_report_dir": str(report), "ocs_firewall_audit_fail": fail}
    run = run_playbook(AUDIT, lab, extra, *options)
    written = json.loads((report / "audit.json").read_text(encoding="utf-8"))
    return run, written


@contextmanager
def _read_only(lab: Lab) -> Iterator[None]:
    """Asserts that what runs inside sends each host one read and changes nothing."""
    before = lab.dump()
    lab.reset_trace()
    yield
    assert lab.dump() == before
    traced = lab.trace()
    assert {host: [e["op"] for e in entries] for host, entries in traced.items()} == {
        host: ["read"] for host in lab.hosts
    }


def _edit(lab: Lab, host: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a host's firewall by hand, as an administrator on the console would."""
    state = StateDir(lab.state_dir)
    (entry,) = state.resolve_hosts([host])
    path = state.firewall_file(entry["id"])
    store = read_json(path)
    change(store)
    write_json(path, store)


def _kinds(written: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """Each host's findings as (kind, the rule, group or profile concerned)."""
    return {
        host: [(f["kind"], f["rule"] or f["group"] or f.get("profile")) for f in e["findings"]]
        for host, e in written["hosts"].items()
    }


def test_a_converged_estate_has_no_findings(estate: Lab, run_playbook: Run, tmp_path: Path) -> None:
    with _read_only(estate):
        run, written = _audit_run(run_playbook, estate, tmp_path, fail=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert written == {"hosts": {host: {"findings": []} for host in estate.hosts}}
    assert (tmp_path / "audit.csv").read_text(encoding="utf-8").splitlines() == [
        "host,kind,group,rule,port,profile,detail,remedy"
    ]
    assert f"{len(estate.hosts)} host(s), 0 with findings, 0 not audited" in run.stdout
    assert "0 finding(s)" in (tmp_path / "audit.md").read_text(encoding="utf-8")


def test_drift_made_by_hand_is_found(estate: Lab, run_playbook: Run, tmp_path: Path) -> None:
    deleted: list[str] = []

    def delete_one_of_ours(store: dict[str, Any]) -> None:
        (rule,) = [
            r for r in store["rules"] if r["grouping"] == FE_GROUP and r["local_ports"] == "444"
        ]
        store["rules"].remove(rule)
        deleted.append(rule["name"])

    def allow_all(store: dict[str, Any]) -> None:
        store["rules"].append(
            seed.foreign_rule({"name": "Allow everything", "group": "", "protocol": 256})
        )

    def public_off(store: dict[str, Any]) -> None:
        store["profiles"][PUBLIC]["enabled"] = 0

    def domain_inbound_allow(store: dict[str, Any]) -> None:
        store["profiles"][DOMAIN]["inbound_action"] = 1

    _edit(estate, "fe01.ocs.example", delete_one_of_ours)
    _edit(estate, "edge01.ocs.example", allow_all)
    _edit(estate, "dir01.ocs.example", public_off)
    _edit(estate, "mon01.ocs.example", domain_inbound_allow)
    # fe02 no longer runs the Web Components, in the inventory only: site.yml is not run.
    inventory = yaml.safe_load(estate.inventory.read_text(encoding="utf-8"))
    inventory["all"]["children"]["ocs_web_components"]["hosts"].pop("fe02.ocs.example")
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    regrouped = dataclasses.replace(estate, inventory=path)

    with _read_only(estate):
        run, written = _audit_run(run_playbook, regrouped, tmp_path / "report", fail=True)

    found = {host: kinds for host, kinds in _kinds(written).items() if kinds}
    assert found == {
        "fe01.ocs.example": [("missing_rule", deleted[0])],
        "fe02.ocs.example": [("orphan_group", WEB_COMPONENTS)],
        # Every port, and any address where the Edge's rules take only their peers.
        "edge01.ocs.example": [
            ("foreign_open_port", "Allow everything"),
            ("wider_rule", "Allow everything"),
        ],
        "dir01.ocs.example": [("profile_disabled", "public")],
        "mon01.ocs.example": [("default_inbound_allow", "domain")],
    }
    assert set(written["hosts"]) == set(estate.hosts)
    allow_all_finding, wider = written["hosts"]["edge01.ocs.example"]["findings"]
    assert allow_all_finding["port"] == "any" and allow_all_finding["group"] == ""
    # Shown with a flow the evaluator finds allowed by it, beside the Edge's own rule (the
    # Edge's first rule takes the domain profile only: any address in another profile).
    assert wider["flow"] == "3478/udp from 203.0.113.10 (private profile)" and wider["ours"]
    assert "is allowed by it" in wider["detail"]
    (orphan,) = written["hosts"]["fe02.ocs.example"]["findings"]
    assert orphan["component"] == "web_components" and orphan["rules"]
    # ocs_firewall_audit_fail: the run fails after the reports are written, naming hosts.
    assert run.rc != 0
    assert "fe01.ocs.example: 1 finding(s) (1 missing_rule)" in run.stdout
    assert "dir01.ocs.example: 1 finding(s) (1 profile_disabled)" in run.stdout
    # The screen, as text: each host's findings by kind, each kind's remedy once.
    assert (
        "fe01.ocs.example: 1 finding(s): 1 missing_rule\n"
        "missing_rule (1):\n"
        f"  '{deleted[0]}' (tcp 444) is absent from group '{FE_GROUP}'\n"
        "  remedy: To add it, run playbooks/site.yml"
    ) in run.stdout
    for host in found:
        (record,) = run.records_of("Show the host's findings", host)
        remedies = [line for line in record["result"]["msg"] if line.startswith("  remedy: ")]
        findings = written["hosts"][host]["findings"]
        assert len(remedies) == len({(f["kind"], f["remedy"]) for f in findings}), remedies
    with (tmp_path / "report" / "audit.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["host"], r["kind"]) for r in rows) == sorted(
        (host, kind) for host, kinds in found.items() for kind, _what in kinds
    )
    markdown = (tmp_path / "report" / "audit.md").read_text(encoding="utf-8")
    assert "| fe02.ocs.example | orphan_group |" in markdown

    # The run summary counts the findings of each kind.
    # (exceptions_not_allowed is a Windows Server 2003 profile's; this estate has none, nor
    # a rule that borrows the marker: dev/tests/reliability/test_borrowed_markers.py.)
    expected = {
        **dict.fromkeys(_audit.KINDS, 1),
        "extra_rule": 0,
        "exceptions_not_allowed": 0,
        "marked_not_ours": 0,
        "policy_blocks_rules": 0,
    }
    for kind, count in expected.items():
        assert f"\n{kind}: {count}\n" in run.stdout, kind


def test_limit_and_a_host_that_cannot_be_read(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    estate.fault("gc01.ocs.example", refuse_auth=True)
    try:
        run, written = _audit_run(
            run_playbook, estate, tmp_path, "--limit", "gc01.ocs.example,arch01.ocs.example"
        )
    finally:
        estate.clear_faults("gc01.ocs.example")
    assert set(written["hosts"]) == {"gc01.ocs.example", "arch01.ocs.example"}
    assert written["hosts"]["arch01.ocs.example"] == {"findings": []}
    unread = written["hosts"]["gc01.ocs.example"]
    assert unread["findings"] is None and "credentials were rejected" in unread["error"]
    # Without ocs_firewall_audit_fail too: a host that could not be read fails the run.
    assert run.rc != 0
    assert "not audited (the read failed): gc01.ocs.example" in run.stdout
