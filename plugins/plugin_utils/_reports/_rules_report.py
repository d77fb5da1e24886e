# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the rules report of playbooks/report.yml.
"""Rules as ``win_firewall_info`` returns them -> report rows -> screen, CSV or Markdown.

A *row* is one rule of one host with every field the read returns, plus the host and the
group as people read it (``group_label``); rows are plain data, written as they are to the
report's JSON. Tables show them through :data:`COLUMNS` (the one list of the report's
columns) and :mod:`_tables`, with an empty port, address, program or service list shown as
``any``. Pure: no I/O, no Ansible objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import RULE_FIELDS, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import INDIRECT_PREFIX
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _tables

# The report's columns, in order: the CSV and Markdown tables have them all; the screen
# table, printed once per host and split into one section per group, all but HOST and GROUP.
COLUMNS: tuple[_tables.Column, ...] = (
    ("host", "HOST"),
    ("group_label", "GROUP"),
    ("name", "NAME"),
    ("direction", "DIRECTION"),
    ("action", "ACTION"),
    ("enabled", "ENABLED"),
    ("protocol", "PROTOCOL"),
    ("local_ports", "LOCAL PORTS"),
    ("remote_ports", "REMOTE PORTS"),
    ("local_addresses", "LOCAL ADDRESSES"),
    ("remote_addresses", "REMOTE ADDRESSES"),
    ("profiles", "PROFILES"),
    ("application", "PROGRAM"),
    ("service", "SERVICE"),
    ("owned", "OWNED"),
)
_SECTION_KEYS = ("host", "group_label")
SCREEN_COLUMNS: tuple[_tables.Column, ...] = tuple(c for c in COLUMNS if c[0] not in _SECTION_KEYS)
FORMATS = ("text", "csv", "markdown")

# The fields win_firewall_info returns as lists (the tuples of a Rule).
_LIST_FIELDS = tuple(f.name for f in dataclasses.fields(Rule) if isinstance(f.default, tuple))
# Fields whose empty value means "any": ports and addresses ([] is any), and no program or
# service restriction.
_ANY_WHEN_EMPTY = frozenset({*_LIST_FIELDS, "application", "service"} - {"profiles"})
# What each rule must carry (win_firewall_info always returns them); application and
# service are read-only extras a rule from elsewhere may lack.
_REQUIRED = (*RULE_FIELDS, "group", "owned")
_OPTIONAL = ("application", "service")
# A row: the host, the group raw and as shown, then the rule as win_firewall_info has it.
ROW_KEYS = ("host", "group", "group_label", *RULE_FIELDS, *_OPTIONAL, "owned")
_NO_GROUP = "(no group)"


def group_label(group: str) -> str:
    """A rule group as the report shows it: built-in indirect names (``@FirewallAPI.dll,-28752``,
    which Windows resolves to a title only on the host) marked as built-in, no group named."""
    if not group:
        return _NO_GROUP
    if group.startswith(INDIRECT_PREFIX):
        return f"built-in ({group})"
    return group


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or []]


def _row(host: str, index: int, rule: Any) -> dict[str, Any]:
    if not isinstance(rule, Mapping):
        raise InputError(f"rules[{index}]: {rule!r} is not a rule")
    missing = [k for k in _REQUIRED if k not in rule]
    if missing:
        raise InputError(
            f"rules[{index}] ({rule.get('name', '?')!r}): no {', '.join(missing)}; "
            "give the rules win_firewall_info returns"
        )
    label = group_label(str(rule["group"] or ""))
    if rule.get("legacy_profile"):
        # An entry of a Windows Server 2003 host (no groups there): shown by its profile.
        label = f"Windows Server 2003 {rule['legacy_profile']} profile"
    row: dict[str, Any] = {"host": host, "group_label": label}
    for key in (*_REQUIRED, *_OPTIONAL):
        value = rule.get(key, "")
        row[key] = _listed(value) if key in _LIST_FIELDS else value
    row["group"] = str(row["group"] or "")
    return {key: row[key] for key in ROW_KEYS}


def _order(row: Mapping[str, Any]) -> tuple[str, ...]:
    label = str(row["group_label"])
    name = str(row["name"])
    # Case-insensitive as Windows compares names; the rest only makes ties stable.
    return (str(row["host"]), label.casefold(), label, name.casefold(), name, repr(row))


def report_rows(host: str, rules: Any) -> list[dict[str, Any]]:
    """``host``'s rules (win_firewall_info's ``rules``) as rows, sorted by group and name."""
    if not isinstance(host, str) or not host:
        raise InputError(f"host: {host!r} is not a host name")
    if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Iterable):
        raise InputError(f"{rules!r} is not a list of rules")
    return sorted((_row(host, i, rule) for i, rule in enumerate(rules)), key=_order)


def _rows_of(rows: Any) -> list[Mapping[str, Any]]:
    try:
        checked = _tables.rows_of(rows)
    except InputError as exc:
        raise InputError(str(exc)) from None
    for index, row in enumerate(checked):
        missing = [k for k in ROW_KEYS if k not in row]
        if missing:
            raise InputError(
                f"rows[{index}]: no {', '.join(missing)}; give the rows report_rows returns"
            )
    return sorted(checked, key=_order)


def _shown(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ("any" if k in _ANY_WHEN_EMPTY and not v else v) for k, v in row.items()}


def _screen_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The header, then a section line per (host and) group that has rules, then its rules.

    Every line comes from one table, so the columns line up across sections."""
    header, *lines = _tables.text_lines([_shown(r) for r in rows], SCREEN_COLUMNS)
    several_hosts = len({r["host"] for r in rows}) > 1
    out = [header]
    section: tuple[Any, ...] = ()
    for row, line in zip(rows, lines, strict=True):
        if (row["host"], row["group_label"]) != section:
            section = (row["host"], row["group_label"])
            out.append(
                f"[{row['host']}: {row['group_label']}]" if several_hosts else f"[{section[1]}]"
            )
        out.append(line)
    return out


def report_table(rows: Any, output: str = "text") -> list[str] | str:
    """Rows of :func:`report_rows` (of one host or several) as a table.

    ``text``: the lines of the screen table (see :func:`_screen_lines`); ``csv`` and
    ``markdown``: the text of a table with every column, one line per rule."""
    if output not in FORMATS:
        raise InputError(f"format: {output!r} is not one of {', '.join(FORMATS)}")
    checked = _rows_of(rows)
    if output == "text":
        return _screen_lines(checked)
    shown = [_shown(r) for r in checked]
    if output == "csv":
        return _tables.csv_text(shown, COLUMNS)
    return _tables.markdown(shown, COLUMNS)
