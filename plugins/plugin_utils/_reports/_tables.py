# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: rows of plain data -> CSV, Markdown and text tables.
"""The one way the collection writes a table: the report, the audit and the port matrix.

A table is a list of rows (mappings) and a list of columns, each ``(key, header)``. A cell
is written as text: a list as its items joined by ``, ``, a boolean as ``yes``/``no``,
None as empty. Nothing is shortened. Pure: no I/O, no Ansible objects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError

Column = tuple[str, str]
_GAP = "  "


def _columns_of(value: Any, what: str = "columns") -> list[Column]:
    """Columns given as ``(key, header)`` pairs, ``{key:, header:}`` mappings or keys."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InputError(f"{what}: {value!r} is not a list of columns")
    found: list[Column] = []
    for item in value:
        if isinstance(item, str):
            found.append((item, item))
        elif isinstance(item, Mapping) and isinstance(item.get("key"), str):
            found.append((item["key"], str(item.get("header", item["key"]))))
        elif (
            isinstance(item, Sequence) and len(item) == 2 and all(isinstance(i, str) for i in item)
        ):
            found.append((item[0], item[1]))
        else:
            raise InputError(f"{what}: {item!r} is not a column (a key, or a key and a header)")
    if not found:
        raise InputError(f"{what}: no columns")
    return found


def rows_of(value: Any, what: str = "rows") -> list[Mapping[str, Any]]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InputError(f"{what}: {value!r} is not a list of rows")
    rows = list(value)
    for row in rows:
        if not isinstance(row, Mapping):
            raise InputError(f"{what}: {row!r} is not a row (a mapping)")
    return rows


def cell(value: Any) -> str:
    """A value as the text of one cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value)


def _cells(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> list[list[str]]:
    return [[cell(row.get(key)) for key, _header in columns] for row in rows]


def csv_text(rows: Any, columns: Any) -> str:
    """RFC 4180 CSV: a header line of the column headers, then a line per row."""
    cols = _columns_of(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header for _key, header in cols])
    writer.writerows(_cells(rows_of(rows), cols))
    return out.getvalue()


def _markdown_cell(text: str) -> str:
    # A pipe would end the cell and a line break the row.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown(rows: Any, columns: Any) -> str:
    """A GitHub-flavoured Markdown table (header, rule, rows), ending in a newline."""
    cols = _columns_of(columns)
    lines = [
        "| " + " | ".join(_markdown_cell(h) for _key, h in cols) + " |",
        "|" + "|".join("---" for _col in cols) + "|",
    ]
    for cells in _cells(rows_of(rows), cols):
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def text_lines(rows: Any, columns: Any) -> list[str]:
    """Lines of a plain-text table: each column as wide as its longest cell, the last one
    not padded; line breaks in a cell are shown as spaces."""
    cols = _columns_of(columns)
    table = [[h for _key, h in cols], *_cells(rows_of(rows), cols)]
    table = [[c.replace("\r", " ").replace("\n", " ") for c in cells] for cells in table]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(cols) - 1)]
    return [
        _GAP.join([*(c.ljust(w) for c, w in zip(cells, widths, strict=False)), cells[-1]]).rstrip()
        for cells in table
    ]
