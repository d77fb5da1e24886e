"""The closing table of a run (plugins/plugin_utils/_reports/_closing_table.py): a line per host
from its registered result, hosts that did not finish shown as such, then the total."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _closing_table


def applied(changed: bool, added: int = 0, updated: int = 0, removed: int = 0, foreign: int = 0):
    """A registered win_ocs_firewall result (what the table reads of it)."""
    summary = {"added": added, "updated": updated, "removed": removed, "foreign": foreign}
    return {"changed": changed, "summary": {**summary, "groups": {}}, "msg": "..."}


RESULTS: dict[str, Any] = {
    "fe02": applied(True, updated=1, foreign=2),
    "fe01": applied(False, foreign=1),
    "edge01": {"unreachable": True, "msg": "Failed to connect"},
    "dir01": {"failed": True, "msg": "fe01: ocs_front_end_profiles ..."},
    "sql01": None,
    "rp01": {"skipped": True},
}


@pytest.mark.parametrize(
    ("result", "check_mode", "outcome"),
    [
        pytest.param(applied(True, added=1), False, "changed", id="changed"),
        pytest.param(applied(True, added=1), True, "would change", id="check-mode"),
        pytest.param(applied(False), True, "in sync", id="in-sync"),
        pytest.param(
            {**applied(False), "policy": {"effective": False}},
            False,
            "not in effect",
            id="policy-voids-its-rules",
        ),
        pytest.param(
            {**applied(True, added=1), "policy": {"effective": False}},
            False,
            "changed",
            id="staged-under-a-policy",
        ),
        pytest.param({"unreachable": True, "changed": False}, False, "UNREACHABLE", id="unreach"),
        pytest.param({"failed": True, "summary": {}}, False, "FAILED", id="failed"),
        pytest.param({"skipped": True}, False, "skipped", id="skipped"),
        pytest.param(
            {"skipped": True, "contacted": False, "pending": False},
            True,
            "not contacted",
            id="left-alone-for-other-hosts-problems",
        ),
        pytest.param(None, False, "no result", id="none"),
        pytest.param({"changed": True}, False, "no result", id="not-win_ocs_firewall"),
    ],
)
def test_outcome(result: Any, check_mode: bool, outcome: str) -> None:
    assert _closing_table.outcome(result, check_mode=check_mode) == outcome


def test_rows_are_sorted_and_only_finished_hosts_have_counts() -> None:
    rows = _closing_table.rows(RESULTS, check_mode=True)
    assert [r["host"] for r in rows[:-1]] == sorted(RESULTS)
    by_host = {r["host"]: r for r in rows}
    assert by_host["fe02"] == {
        "host": "fe02",
        "added": 0,
        "updated": 1,
        "removed": 0,
        "foreign": 2,
        "reduced": "-",
        "setup": "-",
        "firewall": "-",
        "result": "would change",
    }
    for host in ("edge01", "dir01", "sql01", "rp01"):
        assert [by_host[host][k] for k in _closing_table.COUNTS] == ["-"] * 4, host
    assert rows[-1] == {
        "host": "total: 6 host(s)",
        "added": 0,
        "updated": 1,
        "removed": 0,
        "foreign": 3,
        "reduced": "-",
        "setup": "-",
        "firewall": "-",
        "result": "1 would change, 1 in sync, 1 FAILED, 1 UNREACHABLE, 1 skipped, 1 no result",
    }


def test_the_table_lines_up_and_says_changed_after_a_run() -> None:
    lines = _closing_table.table(
        {"fe01.ocs.example": applied(True, added=12), "se01": applied(False)}, check_mode=False
    )
    assert lines == [
        "HOST              ADDED  UPDATED  REMOVED  FOREIGN LEFT ALONE  RESULT",
        "fe01.ocs.example  12     0        0        0                   changed",
        "se01              0      0        0        0                   in sync",
        "total: 2 host(s)  12     0        0        0                   1 changed, 1 in sync",
    ]


def test_no_host() -> None:
    assert _closing_table.rows({}, check_mode=False) == [
        {
            "host": "total: 0 host(s)",
            "added": 0,
            "updated": 0,
            "removed": 0,
            "foreign": 0,
            "reduced": "-",
            "setup": "-",
            "firewall": "-",
            "result": "",
        }
    ]


def test_a_2003_host_adds_the_column_of_its_verdicts() -> None:
    legacy = {
        "changed": True,
        "summary": {
            "added": 30,
            "updated": 0,
            "removed": 0,
            "foreign": 1,
            "groups": {},
            "verdicts": {"applied": 14, "not_applicable": 8, "refused": 2},
        },
    }
    lines = _closing_table.table({"fe03": legacy, "se01": applied(False)}, check_mode=False)
    assert lines[0].split("  ")[-2:] == ["2003 APPLIED/N.A./REFUSED", "RESULT"]
    assert lines[1].split()[-2:] == ["14/8/2", "changed"]
    assert lines[2].split()[-3:] == ["-", "in", "sync"]
    assert "1 host(s) on 2003" in lines[3]


def test_rules_carrying_the_marker_that_are_not_ours_count_as_left_alone() -> None:
    result = applied(False, foreign=1)
    result["summary"]["marked_not_ours"] = 2
    row = _closing_table.host_row("fe01", result, check_mode=False)
    assert (row["foreign"], row["result"]) == (3, "in sync")


def test_ocs_setup_rules_taken_over_or_given_back_add_their_column() -> None:
    held = applied(True)
    held["summary"].update(setup_disabled=6, setup_restored=0)
    back = applied(True)
    back["summary"].update(setup_disabled=0, setup_restored=2)
    results = {"fe01": held, "fe02": back, "dir01": applied(False)}
    lines = _closing_table.table(results, check_mode=False)
    assert lines[0].split("  ")[-2:] == ["SETUP OFF/BACK", "RESULT"]
    rows = _closing_table.rows(results, check_mode=False)
    assert [r["setup"] for r in rows] == ["-", "6/0", "0/2", "6/2"]
    # Without one, no column.
    assert "SETUP" not in _closing_table.table({"dir01": applied(False)}, check_mode=False)[0]


def test_enforced_hosts_are_counted_and_the_column_shows_only_with_them() -> None:
    enforced = {
        "summary": {"added": 0},
        "changed": True,
        "enforcement": {"enforced": True, "changes": [{"setting": "domain profile: firewall"}]},
    }
    log_only = {
        "summary": {"added": 0},
        "changed": True,
        "enforcement": {"enforced": False, "changes": [{"setting": "x"}, {"setting": "y"}]},
    }
    plain = {"summary": {"added": 1}, "changed": True}
    lines = _closing_table.table({"a": enforced, "b": log_only, "c": plain}, check_mode=False)
    assert "FIREWALL" in lines[0]
    assert lines[1].split()[-2:] == ["enforced", "changed"]
    assert "2 setting(s)" in lines[2]
    assert "1 enforced" in lines[-1]
    checked = _closing_table.table({"a": enforced}, check_mode=True)
    assert "would enforce" in checked[1] and "1 would enforce" in checked[-1]
    # A failed host (the confirmation never came: it rolls back) is not counted as enforced.
    failed = {**enforced, "failed": True}
    assert "enforced" not in _closing_table.table({"a": failed}, check_mode=False)[-1]
    assert "FIREWALL" not in _closing_table.table({"c": plain}, check_mode=False)[0]
