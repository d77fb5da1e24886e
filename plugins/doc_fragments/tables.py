# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the table filters (``ocs.firewall.tables``): csv_table, markdown_table,
text_table."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
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
