# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.report_table`` filter (plugins/plugin_utils/_rules_report.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _rules_report

DOCUMENTATION = r"""
name: report_table
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
version_added: 0.2.0
short_description: The firewall rules report as a table, for the screen, CSV or Markdown
description:
  - Takes rows of P(ocs.firewall.report_rows#filter), of one host or several, and returns
    the report's table, rows sorted by host, group and name.
  - "Columns: HOST, GROUP, NAME, DIRECTION, ACTION, ENABLED, PROTOCOL, LOCAL PORTS, REMOTE
    PORTS, LOCAL ADDRESSES, REMOTE ADDRESSES, PROFILES, PROGRAM, SERVICE, OWNED. An empty
    port, address, program or service list is shown as V(any), a boolean as V(yes) or
    V(no). Nothing is shortened."
  - "V(text): the table for the screen, without the HOST and GROUP columns. After the
    header line, each group that has rules gets a section line, C([group]) (for rows of
    several hosts C([host: group])), followed by its rules; a group without rules has
    none. Columns line up across sections."
  - V(csv) and V(markdown) have every column and one line per rule (the
    P(ocs.firewall.csv_table#filter) and P(ocs.firewall.markdown_table#filter) writers).
  - C(playbooks/report.yml) prints the text table of each host and writes the CSV.
options:
  _input:
    description: Rows of P(ocs.firewall.report_rows#filter).
    type: list
    elements: dict
    required: true
  format:
    description: The kind of table.
    type: str
    choices: [text, csv, markdown]
    default: text
"""

EXAMPLES = r"""
- name: Read the rules the collection made
  ocs.firewall.win_firewall_info:
    owned: true
  register: info

- name: Show them
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.report_rows(inventory_hostname)
         | ocs.firewall.report_table }}

- name: The same as csv
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.report_rows(inventory_hostname)
         | ocs.firewall.report_table('csv') }}
"""

RETURN = r"""
_value:
  description:
    - With V(text), the lines of the table; with V(csv) or V(markdown), its text, ending
      in a newline.
  type: raw
  sample:
    - "NAME                         DIRECTION  ACTION  ENABLED  PROTOCOL  LOCAL PORTS ..."
    - "[built-in (@FirewallAPI.dll,-28752)]"
    - "Remote Desktop (TCP-In)      in         allow   yes      tcp       3389        ..."
"""


def report_table(rows: Any, format: Any = "text") -> Any:
    try:
        return _rules_report.report_table(rows, format)
    except InputError as exc:
        raise AnsibleFilterError(f"ocs.firewall.report_table: {exc}") from None


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"report_table": report_table}
