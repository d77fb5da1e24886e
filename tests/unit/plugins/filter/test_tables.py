"""The table filters (csv_table, markdown_table, text_table) and plugin_utils._tables."""

from __future__ import annotations

import csv
import io

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.filter.tables import (
    csv_table,
    markdown_table,
    text_table,
)

ROWS = [
    {"name": 'OCS "Edge" 5061/TCP In, (seed-51)', "ports": ["5061", "443"], "on": True},
    {"name": "a|b\nc", "ports": [], "on": False, "extra": "not a column"},
    {"ports": None},
]
COLUMNS = [{"key": "name", "header": "NAME"}, ["ports", "PORTS"], "on"]


def test_csv_round_trips_quotes_commas_and_line_breaks() -> None:
    text = csv_table(ROWS, COLUMNS)
    read = list(csv.reader(io.StringIO(text)))
    assert read == [
        ["NAME", "PORTS", "on"],
        ['OCS "Edge" 5061/TCP In, (seed-51)', "5061, 443", "yes"],
        ["a|b\nc", "", "no"],
        ["", "", ""],
    ]


def test_markdown_escapes_pipes_and_keeps_one_line_per_row() -> None:
    lines = markdown_table(ROWS, COLUMNS).splitlines()
    assert lines[:2] == ["| NAME | PORTS | on |", "|---|---|---|"]
    assert lines[3] == "| a\\|b c |  | no |"
    assert len(lines) == 2 + len(ROWS)


def test_text_columns_line_up_and_nothing_is_shortened() -> None:
    lines = text_table(ROWS, COLUMNS)
    start = lines[0].index("PORTS")
    assert lines[1][:start].rstrip() == ROWS[0]["name"]
    assert lines[1][start:].startswith("5061, 443")
    on = lines[0].index("on")
    assert lines[2] == "a|b c".ljust(on) + "no"
    # A row with no values: padding only, stripped.
    assert lines[3] == ""


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ("text", ["a"], "is not a list of rows"),
        ([1], ["a"], "is not a row"),
        ([{}], [], "no columns"),
        ([{}], [{"header": "H"}], "is not a column"),
        ([{}], "a", "is not a list of columns"),
    ],
)
def test_bad_tables_are_refused_by_name(rows: object, columns: object, message: str) -> None:
    for table in (csv_table, markdown_table, text_table):
        with pytest.raises(AnsibleFilterError, match=f"ocs.firewall.{table.__name__}: .*{message}"):
            table(rows, columns)
