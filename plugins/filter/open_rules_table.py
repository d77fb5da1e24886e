# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.open_rules_table`` filter: firewall rules -> a plain-text table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: open_rules_table
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
version_added: 0.1.0
short_description: Table of the open Windows Firewall rules, one line per rule
description:
  - Takes the C(rules) that M(ocs.firewall.win_firewall_info) returns and returns the lines
    of a table of the open rules (enabled, action V(allow)), grouped by rule group, groups
    and names sorted.
  - "Columns: NAME, PORTS (the local ports of an inbound rule, the remote ports of an
    outbound one), PROTO, DIR, LOCAL ADDRESSES, REMOTE ADDRESSES (with
    C(ocs_firewall_scope=inventory), the rule's peers). Names, ports and addresses are
    never shortened: each column is as wide as its longest value."
  - Only groups with an open rule get a C([group]) line.
  - "For every field of every rule (remote ports and local ports in columns of their own,
    action, enabled, profiles, ownership, readable built-in group names) and CSV output,
    use P(ocs.firewall.report_rows#filter) and P(ocs.firewall.report_table#filter), as
    C(playbooks/report.yml) does since 0.2.0. This filter is kept as it is for playbooks
    that use it."
options:
  _input:
    description: Rules as M(ocs.firewall.win_firewall_info) returns them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the Front End rule group
  ocs.firewall.win_firewall_info:
    groups: OCS 2007 R2 - Front End
  register: info

- name: Show its open rules
  ansible.builtin.debug:
    msg: "{{ info.rules | ocs.firewall.open_rules_table }}"
"""

RETURN = r"""
_value:
  description:
    - The header line, then for each group with open rules a C([group]) line followed by
      its rules.
  type: list
  elements: str
"""

HEADER = ("NAME", "PORTS", "PROTO", "DIR", "LOCAL ADDRESSES", "REMOTE ADDRESSES")
Row = tuple[str, str, str, str, str, str]
_GAP = "  "


def _text_list(value: Any) -> str:
    if isinstance(value, str):
        return value or "any"
    return ",".join(str(v) for v in value or []) or "any"


def _row(rule: Mapping[str, Any]) -> Row:
    inbound = rule.get("direction") == "in"
    ports = rule.get("local_ports") if inbound else rule.get("remote_ports")
    return (
        str(rule.get("name", "")),
        _text_list(ports),
        str(rule.get("protocol", "")),
        str(rule.get("direction", "")),
        _text_list(rule.get("local_addresses")),
        _text_list(rule.get("remote_addresses")),
    )


def open_rules_table(rules: Iterable[Mapping[str, Any]]) -> list[str]:
    """Lines of the table (see DOCUMENTATION); the last column is not padded."""
    if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Iterable):
        raise AnsibleFilterError(f"ocs.firewall.open_rules_table: {rules!r} is not a list of rules")
    groups: dict[str, list[Row]] = {}
    for rule in rules:
        if not isinstance(rule, Mapping):
            raise AnsibleFilterError(f"ocs.firewall.open_rules_table: {rule!r} is not a rule")
        # A group is only shown when it has an open rule: no empty [group] lines.
        if rule.get("enabled") and rule.get("action") == "allow":
            groups.setdefault(str(rule.get("group") or ""), []).append(_row(rule))
    every_row: Sequence[tuple[str, ...]] = [HEADER, *(r for rows in groups.values() for r in rows)]
    widths = [max(len(row[i]) for row in every_row) for i in range(len(HEADER) - 1)]

    def line(row: Sequence[str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return _GAP.join([*cells, row[-1]])

    lines = [line(HEADER)]
    for group in sorted(groups):
        lines.append(f"[{group}]")
        lines.extend(line(row) for row in sorted(groups[group]))
    return lines


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"open_rules_table": open_rules_table}
