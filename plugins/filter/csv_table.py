# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.csv_table`` filter (plugins/plugin_utils/_tables.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils import _tables

DOCUMENTATION = r"""
name: csv_table
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: CSV text of a list of rows, one line per row
description:
  - "Takes a list of rows (dictionaries) and the columns to write, and returns RFC 4180 CSV
    text: a header line of the column headers, then one line per row."
  - A list in a cell is written as its items joined by C(, ), a boolean as V(yes) or V(no),
    a missing or null value as empty. Nothing is shortened.
  - C(playbooks/report.yml), C(playbooks/audit.yml) and C(playbooks/port_matrix.yml) write
    their CSV files with it.
options:
  _input:
    description: The rows, each a dictionary.
    type: list
    elements: dict
    required: true
  columns:
    description:
      - The columns, in order. Each is a key of the rows, or a dictionary with C(key) and
        C(header) (the header defaults to the key), or a list of the key and the header.
    type: list
    elements: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the rules the collection made
  ocs.firewall.win_firewall_info:
    owned: true
  register: info

- name: Write the rules of a host as csv
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.csv_table(
        [{'key': 'name', 'header': 'NAME'}, 'protocol']) }}
"""

RETURN = r"""
_value:
  description: The CSV text, ending in a newline.
  type: str
"""


def csv_table(rows: Any, columns: Any) -> Any:
    try:
        return _tables.csv_text(rows, columns)
    except _tables.TableError as exc:
        raise AnsibleFilterError(f"ocs.firewall.csv_table: {exc}") from None


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"csv_table": csv_table}
