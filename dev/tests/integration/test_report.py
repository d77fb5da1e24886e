"""playbooks/report.yml on the converged example estate, against lab hosts.

What a user relies on: one read per host and no change, in check mode too; each host's
table on screen has every column, a section per group that has rules and none for a group
without; ``-e ocs_firewall_report_dir`` writes a CSV line per rule of every host and a
JSON document of every host, naming the one that could not be read and failing the run;
``-e ocs_firewall_report_all=true`` adds the rules the collection did not make, built-in
groups shown as such; ``--limit`` reports only the hosts it names, files included.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _rules_report

REPO = Path(__file__).resolve().parents[3]
REPORT = str(REPO / "playbooks" / "report.yml")
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
SHOW_TASK = "Show the rules"
EDGE = "edge01.ocs.example"
EDGE_GROUP = "OCS 2007 R2 - Edge"
# The Access Edge's SIP port from the Internet: open on the Access Edge's own address only
# (examples/inventory.yml, ocs_edge_access_addresses), from anywhere.
EDGE_RULE = "OCS Edge 5061/TCP In (seed-51)"
REMOTE_DESKTOP = "Remote Desktop (TCP-In)"
REMOTE_DESKTOP_GROUP = "@FirewallAPI.dll,-28752"
FE = "fe01.ocs.example"
CWA = "cwa01.ocs.example"
CWA_OUT = "(seed-28)"  # CWA to the domain controllers' Kerberos, outbound (include_outbound)

Run = Callable[..., PlaybookRun]


def _hosts() -> set[str]:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    children = inventory["all"]["children"]
    return {
        host
        for group, body in children.items()
        if group != "ocs_servers"
        for host in (body or {}).get("hosts", {})
    }


def _screen(run: PlaybookRun, host: str) -> list[str]:
    """The host's table as shown, as text, under a line naming the host."""
    (record,) = run.records_of(SHOW_TASK, host)
    title, *lines = record["result"]["msg"]
    assert title == f"{host}:"
    assert "\n".join([title, *lines]) in run.stdout
    return lines


def _cells(line: str, header: str) -> dict[str, str]:
    """A screen line cut at the header's column starts."""
    headers = [h for _key, h in _rules_report.SCREEN_COLUMNS]
    starts = [header.index(h) for h in headers]
    ends = [*starts[1:], None]
    return {h: line[a:b].strip() for h, a, b in zip(headers, starts, ends, strict=True)}


def _rows(lines: list[str], name: str) -> list[dict[str, str]]:
    return [_cells(line, lines[0]) for line in lines[1:] if line.startswith(name + " ")]


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "basic")
    converged = run_playbook(SITE, lab)
    assert converged.rc == 0, converged.tail()
    return lab


def test_screen_table_has_every_column_and_reads_each_host_once(
    estate: Lab, run_playbook: Run
) -> None:
    before = estate.dump()
    estate.reset_trace()

    run = run_playbook(REPORT, estate, None, "--check")

    assert run.rc == 0, run.tail()
    assert estate.dump() == before
    assert {h: [e["op"] for e in entries] for h, entries in estate.trace().items()} == {
        host: ["read"] for host in _hosts()
    }
    lines = _screen(run, EDGE)
    assert re.split(r"\s{2,}", lines[0]) == [h for _key, h in _rules_report.SCREEN_COLUMNS]
    # Owned rules only, by default: one section, the Edge's group.
    assert [line for line in lines if line.startswith("[")] == [f"[{EDGE_GROUP}]"]
    (edge_rule,) = _rows(lines, EDGE_RULE)
    assert edge_rule == {
        "NAME": EDGE_RULE,
        "DIRECTION": "in",
        "ACTION": "allow",
        "ENABLED": "yes",
        "PROTOCOL": "tcp",
        "LOCAL PORTS": "5061",
        "REMOTE PORTS": "any",
        "LOCAL ADDRESSES": "192.0.2.10",
        "REMOTE ADDRESSES": "any",
        "PROFILES": "private, public",
        "PROGRAM": "any",
        "SERVICE": "any",
        "OWNED": "yes",
    }
    print("\n".join(lines[:6]))
    # An outbound rule: its port is the remote one, in its own column.
    cwa = _screen(run, CWA)
    (kerberos,) = [
        r for r in _rows(cwa, "OCS") if r["NAME"].endswith(CWA_OUT) and r["PROTOCOL"] == "tcp"
    ]
    assert kerberos["DIRECTION"] == "out"
    assert (kerberos["LOCAL PORTS"], kerberos["REMOTE PORTS"]) == ("any", "88")
    assert kerberos["REMOTE ADDRESSES"] == "10.10.0.5-10.10.0.6"  # the domain controllers, merged


def test_report_all_shows_built_in_rules_with_their_group_readable(
    estate: Lab, run_playbook: Run
) -> None:
    run = run_playbook(REPORT, estate, {"ocs_firewall_report_all": True}, "--limit", FE)

    assert run.rc == 0, run.tail()
    assert set(run.results(SHOW_TASK)) == {FE}
    lines = _screen(run, FE)
    sections = [line for line in lines if line.startswith("[")]
    assert f"[built-in ({REMOTE_DESKTOP_GROUP})]" in sections
    assert "[(no group)]" in sections  # the administrator's rules
    # Every section has rules under it: no empty header, and none repeated.
    assert len(sections) == len(set(sections))
    assert all(
        not lines[i + 1].startswith("[") for i, line in enumerate(lines[:-1]) if line in sections
    )
    assert not lines[-1].startswith("[")
    (desktop,) = _rows(lines, REMOTE_DESKTOP)
    assert desktop == {
        "NAME": REMOTE_DESKTOP,
        "DIRECTION": "in",
        "ACTION": "allow",
        "ENABLED": "yes",
        "PROTOCOL": "tcp",
        "LOCAL PORTS": "3389",
        "REMOTE PORTS": "any",
        "LOCAL ADDRESSES": "any",
        "REMOTE ADDRESSES": "any",
        "PROFILES": "domain, private, public",
        "PROGRAM": "System",
        "SERVICE": "any",
        "OWNED": "no",
    }
    at = lines.index(f"[built-in ({REMOTE_DESKTOP_GROUP})]")
    assert lines[at + 1].startswith(REMOTE_DESKTOP + " ")


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_report_dir_gets_a_csv_line_per_rule_and_the_json_of_every_host(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "made" / "here"
    before = estate.dump()

    run = run_playbook(REPORT, estate, {"ocs_firewall_report_dir": str(folder)}, "--check")

    assert run.rc == 0, run.tail()
    assert estate.dump() == before
    assert f"Wrote {folder}/report.csv" in run.stdout
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert set(document) == {"hosts"}
    assert set(document["hosts"]) == _hosts()
    edge = document["hosts"][EDGE]
    assert set(edge) == {"rules", "profiles", "host"}
    assert set(edge["profiles"]) == {"domain", "private", "public"}
    assert edge["host"]["os_version"]
    (rule,) = [r for r in edge["rules"] if r["name"] == EDGE_RULE]
    assert rule == {
        **rule,
        "host": EDGE,
        "group": EDGE_GROUP,
        "group_label": EDGE_GROUP,
        "direction": "in",
        "action": "allow",
        "enabled": True,
        "protocol": "tcp",
        "local_ports": ["5061"],
        "remote_ports": [],
        "local_addresses": ["192.0.2.10"],
        "remote_addresses": [],
        "profiles": ["private", "public"],
        "owned": True,
    }
    assert set(rule) == set(_rules_report.ROW_KEYS)
    # The CSV: the report's columns, a line per rule of the JSON, the same rule.
    text = (folder / "report.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(h for _key, h in _rules_report.COLUMNS)
    lines = _csv(folder / "report.csv")
    assert len(lines) == sum(len(h["rules"]) for h in document["hosts"].values())
    assert {line["HOST"] for line in lines} == _hosts()
    (edge_line,) = [line for line in lines if line["NAME"] == EDGE_RULE]
    assert edge_line["LOCAL ADDRESSES"] == "192.0.2.10"
    assert edge_line["REMOTE PORTS"] == edge_line["REMOTE ADDRESSES"] == "any"
    assert all(line["OWNED"] == "yes" for line in lines)
    print(text[: text.find("\n", text.find("\n", text.find("\n") + 1) + 1)])


def test_limit_and_an_unreadable_host_are_in_the_files(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    estate.fault(FE, refuse_auth=True)
    try:
        run = run_playbook(
            REPORT,
            estate,
            {"ocs_firewall_report_dir": str(tmp_path), "ocs_firewall_report_all": True},
            "--limit",
            f"{FE},{EDGE}",
        )
    finally:
        estate.clear_faults(FE)

    assert run.rc != 0
    assert f"could not be read: {FE} (" in run.stdout
    document = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert set(document["hosts"]) == {FE, EDGE}
    assert set(document["hosts"][FE]) == {"error"} and document["hosts"][FE]["error"]
    rules = document["hosts"][EDGE]["rules"]
    desktop = [r for r in rules if r["name"] == REMOTE_DESKTOP]
    assert [(r["group"], r["group_label"], r["owned"]) for r in desktop] == [
        (REMOTE_DESKTOP_GROUP, f"built-in ({REMOTE_DESKTOP_GROUP})", False)
    ]
    assert {line["HOST"] for line in _csv(tmp_path / "report.csv")} == {EDGE}
