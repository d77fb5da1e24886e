"""plugin_utils/_reports/_rules_report.py: the rows and tables of playbooks/report.yml.

What a user relies on: every field of every rule reaches the report, the raw group beside
the one people read; remote ports have their own column (an outbound rule's port is not
shown as a local one); empty means any and says so; a group is shown only with its rules;
the CSV has one line per rule under the report's headers; bad input names what is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import RULE_FIELDS
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _rules_report

FE_GROUP = "OCS 2007 R2 - Front End"
DESKTOP_GROUP = "@FirewallAPI.dll,-28752"
HEADERS = [h for _key, h in _rules_report.COLUMNS]
SCREEN_HEADERS = [h for _key, h in _rules_report.SCREEN_COLUMNS]


def rule(name: str, **fields: Any) -> dict[str, Any]:
    """A rule as win_firewall_info returns it."""
    base: dict[str, Any] = {
        "name": name,
        "description": "made by ocs.firewall [ocs.firewall seed-01]",
        "group": FE_GROUP,
        "direction": "in",
        "action": "allow",
        "protocol": "tcp",
        "local_ports": ["5061"],
        "remote_ports": [],
        "local_addresses": [],
        "remote_addresses": [],
        "profiles": ["domain"],
        "enabled": True,
        "application": "",
        "service": "",
        "owned": True,
    }
    base.update(fields)
    return base


OUTBOUND = rule(
    "OCS Front End 5060/TCP Out (seed-02)",
    direction="out",
    local_ports=[],
    remote_ports=["5060", "5065"],
    local_addresses=["10.10.0.11"],
    remote_addresses=["10.10.0.30", "10.20.0.0/16"],
)
DESKTOP = rule(
    "Remote Desktop (TCP-In)",
    description="Inbound rule for the Remote Desktop service",
    group=DESKTOP_GROUP,
    local_ports=["3389"],
    profiles=["domain", "private", "public"],
    application="System",
    service="TermService",
    owned=False,
)
BLOCKED = rule("Block telnet", group="", action="block", enabled=False, owned=False)


def cells(line: str, header: str) -> dict[str, str]:
    starts = [header.index(h) for h in SCREEN_HEADERS]
    ends = [*starts[1:], None]
    return {h: line[a:b].strip() for h, a, b in zip(SCREEN_HEADERS, starts, ends, strict=True)}


def test_a_row_has_every_field_of_the_rule_and_the_group_both_ways() -> None:
    (row,) = _rules_report.report_rows("fe01", [DESKTOP])
    assert row == {
        "host": "fe01",
        "group": DESKTOP_GROUP,
        "group_label": f"built-in ({DESKTOP_GROUP})",
        "name": "Remote Desktop (TCP-In)",
        "description": "Inbound rule for the Remote Desktop service",
        "direction": "in",
        "action": "allow",
        "protocol": "tcp",
        "local_ports": ["3389"],
        "remote_ports": [],
        "local_addresses": [],
        "remote_addresses": [],
        "profiles": ["domain", "private", "public"],
        "enabled": True,
        "application": "System",
        "service": "TermService",
        "owned": False,
    }
    assert set(RULE_FIELDS) < set(row) and list(row) == list(_rules_report.ROW_KEYS)
    # Plain data: the report's JSON holds it as it is.
    assert json.loads(json.dumps(row)) == row


@pytest.mark.parametrize(
    ("group", "shown"),
    [
        (DESKTOP_GROUP, "built-in (@FirewallAPI.dll,-28752)"),
        (
            "@%SystemRoot%\\system32\\firewallapi.dll,-25000",
            "built-in (@%SystemRoot%\\system32\\firewallapi.dll,-25000)",
        ),
        ("", "(no group)"),
        (None, "(no group)"),
        (FE_GROUP, FE_GROUP),
        ("Office Communications Server 2007 R2", "Office Communications Server 2007 R2"),
    ],
)
def test_groups_are_shown_readably(group: Any, shown: str) -> None:
    (row,) = _rules_report.report_rows("h", [rule("r", group=group)])
    assert row["group_label"] == shown
    assert row["group"] == (group or "")


def test_rules_without_program_or_service_fields_read_as_any() -> None:
    bare = {k: v for k, v in rule("r").items() if k not in ("application", "service")}
    (row,) = _rules_report.report_rows("h", [bare])
    assert (row["application"], row["service"]) == ("", "")
    assert (
        cells(_rules_report.report_table([row])[2], _rules_report.report_table([row])[0])["PROGRAM"]
        == "any"
    )


def test_rows_are_sorted_by_group_then_name_ignoring_case() -> None:
    rows = _rules_report.report_rows(
        "h",
        [rule("b"), rule("A", group="zeta"), rule("a"), DESKTOP, BLOCKED, rule("C")],
    )
    assert [(r["group_label"], r["name"]) for r in rows] == [
        ("(no group)", "Block telnet"),
        ("built-in (@FirewallAPI.dll,-28752)", "Remote Desktop (TCP-In)"),
        (FE_GROUP, "a"),
        (FE_GROUP, "b"),
        (FE_GROUP, "C"),
        ("zeta", "A"),
    ]


def test_screen_table_labels_both_port_columns_and_shows_any() -> None:
    lines = _rules_report.report_table(
        _rules_report.report_rows("fe01", [OUTBOUND, rule("In 5061")])
    )
    header = lines[0]
    assert re.split(r"\s{2,}", header) == SCREEN_HEADERS
    assert "LOCAL PORTS" in header and "REMOTE PORTS" in header
    assert lines[1] == f"[{FE_GROUP}]"
    rows = {cells(line, header)["NAME"]: cells(line, header) for line in lines[2:]}
    assert rows[OUTBOUND["name"]] == {
        "NAME": OUTBOUND["name"],
        "DIRECTION": "out",
        "ACTION": "allow",
        "ENABLED": "yes",
        "PROTOCOL": "tcp",
        "LOCAL PORTS": "any",
        "REMOTE PORTS": "5060, 5065",
        "LOCAL ADDRESSES": "10.10.0.11",
        "REMOTE ADDRESSES": "10.10.0.30, 10.20.0.0/16",
        "PROFILES": "domain",
        "PROGRAM": "any",
        "SERVICE": "any",
        "OWNED": "yes",
    }
    assert (rows["In 5061"]["LOCAL PORTS"], rows["In 5061"]["REMOTE PORTS"]) == ("5061", "any")


def test_a_section_only_for_groups_with_rules_and_columns_line_up_across_them() -> None:
    lines = _rules_report.report_table(
        _rules_report.report_rows("fe01", [rule("a"), DESKTOP, BLOCKED])
    )
    assert lines[1:] == [
        "[(no group)]",
        lines[2],
        f"[built-in ({DESKTOP_GROUP})]",
        lines[4],
        f"[{FE_GROUP}]",
        lines[6],
    ]
    assert [cells(lines[i], lines[0])["NAME"] for i in (2, 4, 6)] == [
        "Block telnet",
        "Remote Desktop (TCP-In)",
        "a",
    ]
    blocked = cells(lines[2], lines[0])
    assert (blocked["ACTION"], blocked["ENABLED"], blocked["OWNED"]) == ("block", "no", "no")
    # A host with no rules: the header alone, no section.
    assert _rules_report.report_table([]) == ["  ".join(SCREEN_HEADERS)]


def test_rows_of_several_hosts_name_the_host_in_each_section() -> None:
    rows = _rules_report.report_rows("fe02", [rule("a")]) + _rules_report.report_rows(
        "fe01", [rule("b")]
    )
    lines = _rules_report.report_table(rows)
    assert [line for line in lines if line.startswith("[")] == [
        f"[fe01: {FE_GROUP}]",
        f"[fe02: {FE_GROUP}]",
    ]


def test_csv_has_every_column_and_one_line_per_rule() -> None:
    rows = _rules_report.report_rows("fe01", [OUTBOUND, DESKTOP]) + _rules_report.report_rows(
        "edge01", [BLOCKED]
    )
    text = _rules_report.report_table(rows, "csv")
    assert isinstance(text, str)
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == HEADERS
    assert read[1:] == [
        ["edge01", "(no group)", "Block telnet", "in", "block", "no", "tcp", "5061", "any",
         "any", "any", "domain", "any", "any", "no"],
        ["fe01", f"built-in ({DESKTOP_GROUP})", "Remote Desktop (TCP-In)", "in", "allow",
         "yes", "tcp", "3389", "any", "any", "any", "domain, private, public", "System",
         "TermService", "no"],
        ["fe01", FE_GROUP, OUTBOUND["name"], "out", "allow", "yes", "tcp", "any",
         "5060, 5065", "10.10.0.11", "10.10.0.30, 10.20.0.0/16", "domain", "any", "any",
         "yes"],
    ]  # fmt: skip


def test_markdown_has_every_column() -> None:
    text = _rules_report.report_table(_rules_report.report_rows("fe01", [DESKTOP]), "markdown")
    assert isinstance(text, str)
    header, rule_line, line = text.splitlines()
    assert header == "| " + " | ".join(HEADERS) + " |"
    assert rule_line.count("---") == len(HEADERS)
    assert f"| built-in ({DESKTOP_GROUP}) | Remote Desktop (TCP-In) |" in line


@pytest.mark.parametrize(
    ("host", "rules", "message"),
    [
        ("", [], "host: '' is not a host name"),
        (None, [], "host: None is not a host name"),
        ("h", "rules", "is not a list of rules"),
        ("h", {"name": "x"}, "is not a list of rules"),
        ("h", [rule("ok"), "x"], r"rules\[1\]: 'x' is not a rule"),
        ("h", [{"name": "half", "group": ""}], r"rules\[0\] \('half'\): no description, direction"),
    ],
)
def test_bad_rules_are_refused_by_name(host: Any, rules: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _rules_report.report_rows(host, rules)


@pytest.mark.parametrize(
    ("rows", "output", "message"),
    [
        ([], "html", "format: 'html' is not one of text, csv, markdown"),
        ("rows", "text", "is not a list of rows"),
        ([rule("a")], "csv", r"rows\[0\]: no host, group_label"),
    ],
)
def test_bad_tables_are_refused_by_name(rows: Any, output: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _rules_report.report_table(rows, output)


def test_the_entries_of_a_2003_host_are_shown_by_profile() -> None:
    from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
    from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire

    entries = [
        _wire.OpenPort(1, 5061, 6, "[ocs.firewall] Front End: 5061/TCP"),
        _wire.OpenPort(0, 161, 17, "SNMP", scope=1, remote_addresses="LocalSubnet"),
    ]
    rows = _rules_report.report_rows("fe03", [_entries.entry_rule(e) for e in entries])
    assert [(r["group_label"], r["name"], r["profiles"]) for r in rows] == [
        ("Windows Server 2003 Domain profile", "SNMP", ["domain"]),
        (
            "Windows Server 2003 Standard profile",
            "[ocs.firewall] Front End: 5061/TCP",
            ["private", "public"],
        ),
    ]
    assert rows[0]["remote_addresses"] == ["LocalSubnet"] and rows[0]["owned"] is False
    assert rows[1]["local_ports"] == ["5061"] and rows[1]["owned"] is True
