# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.markdown_table`` filter (plugins/plugin_utils/_tables.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils import _tables

DOCUMENTATION = r"""
name: markdown_table
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: Markdown table of a list of rows
description:
  - "Takes a list of rows (dictionaries) and the columns to write, and returns a GitHub-
    flavoured Markdown table: the header, the rule line, then one line per row."
  - Cells are written as P(ocs.firewall.csv_table#filter) writes them; a C(|) in a cell is escaped
    and a line break becomes a space.
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

- name: Write the rules of a host as markdown
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.markdown_table(
        [{'key': 'name', 'header': 'NAME'}, 'protocol']) }}
"""

RETURN = r"""
_value:
  description: The Markdown table, ending in a newline.
  type: str
"""


def markdown_table(rows: Any, columns: Any) -> Any:
    try:
        return _tables.markdown(rows, columns)
    except _tables.TableError as exc:
        raise AnsibleFilterError(f"ocs.firewall.markdown_table: {exc}") from None


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"markdown_table": markdown_table}
