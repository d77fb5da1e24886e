# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table filters ``ocs.firewall.csv_table``, ``markdown_table`` and ``text_table``.

Their documentation is beside this file (``<name>.yml``); the tables themselves are
written by plugins/plugin_utils/_reports/_tables.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _tables


def _filter(name: str, write: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``write`` as the filter ``name``: a table error becomes a filter error naming it."""

    def table(rows: Any, columns: Any) -> Any:
        try:
            return write(rows, columns)
        except InputError as exc:
            raise AnsibleFilterError(f"ocs.firewall.{name}: {exc}") from None

    table.__name__ = name
    return table


csv_table = _filter("csv_table", _tables.csv_text)
markdown_table = _filter("markdown_table", _tables.markdown)
text_table = _filter("text_table", _tables.text_lines)


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"csv_table": csv_table, "markdown_table": markdown_table, "text_table": text_table}
