# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.text_table`` filter (plugins/plugin_utils/_tables.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils import _tables

DOCUMENTATION = r"""
name: text_table
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: Plain-text table of a list of rows, one line per row
description:
  - "Takes a list of rows (dictionaries) and the columns to show, and returns the lines of a
    table for the screen: the header line, then one line per row."
  - Each column is as wide as its longest cell; nothing is shortened. Cells are written as
    P(ocs.firewall.csv_table#filter) writes them.
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

- name: Write the rules of a host as text
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.text_table(
        [{'key': 'name', 'header': 'NAME'}, 'protocol']) }}
"""

RETURN = r"""
_value:
  description: The header line, then one line per row.
  type: list
  elements: str
"""


def text_table(rows: Any, columns: Any) -> Any:
    try:
        return _tables.text_lines(rows, columns)
    except _tables.TableError as exc:
        raise AnsibleFilterError(f"ocs.firewall.text_table: {exc}") from None


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"text_table": text_table}
