# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the closing table of a run, one line per host.
"""One table of what a run changed (or, in check mode, would change), host by host.

Its input is each host's registered result of ``win_ocs_firewall`` (its ``summary`` and
``changed``), or None where the host has none. A host whose apply failed or that was
unreachable is shown as such, with no counts; one whose plan was never applied (the run
stopped before, at the removal guard) as ``not applied``, with the counts it planned; one
whose rules group policy keeps from taking effect as ``not in effect``; one the
preflight's problems (of other hosts) left alone as ``not contacted``. A host whose
firewall the run enforces (``ocs_firewall_enforce``) says so in its FIREWALL column. The
last row totals the hosts. Pure: no Ansible objects; the table is written by
:mod:`._tables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _tables
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports._task_result import VERDICTS

COUNTS: tuple[str, ...] = ("added", "updated", "removed", "foreign")
COLUMNS: list[_tables.Column] = [
    ("host", "HOST"),
    ("added", "ADDED"),
    ("updated", "UPDATED"),
    ("removed", "REMOVED"),
    ("foreign", "FOREIGN LEFT ALONE"),
    # OCS setup's rules disabled / enabled again (ocs_firewall_setup_rules); shown when a
    # host of the run has some.
    ("setup", "SETUP OFF/BACK"),
    # Windows Server 2003 hosts only: their rules' verdicts (see _legacy).
    ("reduced", "2003 APPLIED/N.A./REFUSED"),
    # The firewall's own settings (ocs_firewall_enforce, ocs_firewall_log_dropped): shown
    # when a host of the run has them.
    ("firewall", "FIREWALL"),
    ("result", "RESULT"),
]
# A host's outcome, in the order the total line lists them.
_CHANGED = "changed"
_WOULD_CHANGE = "would change"
_IN_SYNC = "in sync"
# Group policy keeps the host's rules from taking effect (ocs_firewall_policy_check: warn).
_NOT_EFFECTIVE = "not in effect"
_NOT_APPLIED = "not applied"
FAILED = "FAILED"
UNREACHABLE = "UNREACHABLE"
_SKIPPED = "skipped"
# The preflight's problems (of other hosts) stopped the run before the host was read.
_NOT_CONTACTED = "not contacted"
_NO_RESULT = "no result"
_OUTCOMES: tuple[str, ...] = (
    _CHANGED,
    _WOULD_CHANGE,
    _IN_SYNC,
    _NOT_EFFECTIVE,
    _NOT_APPLIED,
    FAILED,
    UNREACHABLE,
    _NOT_CONTACTED,
    _SKIPPED,
    _NO_RESULT,
)
_ENFORCED = "enforced"
_WOULD_ENFORCE = "would enforce"
_COUNTED = (_CHANGED, _WOULD_CHANGE, _IN_SYNC, _NOT_EFFECTIVE, _NOT_APPLIED)
_NONE = "-"


def outcome(result: Mapping[str, Any] | None, *, check_mode: bool) -> str:
    """What happened to a host, from its registered result."""
    if not isinstance(result, Mapping):
        return _NO_RESULT
    if result.get("unreachable"):
        return UNREACHABLE
    if result.get("failed"):
        return FAILED
    if result.get("skipped"):
        return _NOT_CONTACTED if result.get("contacted") is False else _SKIPPED
    if not isinstance(result.get("summary"), Mapping):
        return _NO_RESULT
    if result.get("pending"):
        return _NOT_APPLIED
    if result.get("changed"):
        return _WOULD_CHANGE if check_mode else _CHANGED
    policy = result.get("policy")
    if isinstance(policy, Mapping) and policy.get("effective") is False:
        return _NOT_EFFECTIVE
    return _IN_SYNC


def host_row(host: str, result: Mapping[str, Any] | None, *, check_mode: bool) -> dict[str, Any]:
    found = outcome(result, check_mode=check_mode)
    row: dict[str, Any] = {"host": host, "result": found}
    # Counts only where the task finished (outcome() has then seen the summary).
    summary = result["summary"] if result is not None and found in _COUNTED else {}
    for key in COUNTS:
        row[key] = int(summary.get(key, 0)) if summary else _NONE
    setup = (
        (int(summary.get("setup_disabled", 0)), int(summary.get("setup_restored", 0)))
        if summary
        else None
    )
    row["setup"] = f"{setup[0]}/{setup[1]}" if setup and any(setup) else _NONE
    if summary:
        # Rules that carry the marker but are not the collection's are not its either.
        row["foreign"] += int(summary.get("marked_not_ours", 0))
    row["firewall"] = _firewall(result, found, check_mode=check_mode)
    verdicts = summary.get("verdicts") if summary else None
    row["reduced"] = (
        "/".join(str(int(verdicts.get(v, 0))) for v in VERDICTS)
        if isinstance(verdicts, Mapping)
        else _NONE
    )
    return row


def _firewall(result: Mapping[str, Any] | None, found: str, *, check_mode: bool) -> str:
    """``enforced`` (``would enforce`` in check mode), ``N setting(s)`` for settings
    changed without enforcement (the log), or ``-``."""
    enforcement = result.get("enforcement") if isinstance(result, Mapping) else None
    if not isinstance(enforcement, Mapping) or found not in _COUNTED:
        return _NONE
    changes = len(enforcement.get("changes") or ())
    if enforcement.get("enforced"):
        return _WOULD_ENFORCE if check_mode and changes else _ENFORCED
    return f"{changes} setting(s)" if changes else _NONE


def _total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    found = [row["result"] for row in rows]
    outcomes = ", ".join(f"{found.count(o)} {o}" for o in _OUTCOMES if o in found)
    row: dict[str, Any] = {"host": f"total: {len(rows)} host(s)", "result": outcomes}
    for key in COUNTS:
        row[key] = sum(r[key] for r in rows if isinstance(r[key], int))
    reduced = [r["reduced"] for r in rows if r["reduced"] != _NONE]
    row["reduced"] = f"{len(reduced)} host(s) on 2003" if reduced else _NONE
    pairs = [tuple(map(int, r["setup"].split("/"))) for r in rows if r["setup"] != _NONE]
    row["setup"] = f"{sum(p[0] for p in pairs)}/{sum(p[1] for p in pairs)}" if pairs else _NONE
    done = sum(r["firewall"] == _ENFORCED for r in rows)
    would = sum(r["firewall"] == _WOULD_ENFORCE for r in rows)
    parts = [f"{done} enforced"] if done else []
    parts += [f"{would} {_WOULD_ENFORCE}"] if would else []
    row["firewall"] = ", ".join(parts) or _NONE
    return row


def rows(
    results: Mapping[str, Mapping[str, Any] | None], *, check_mode: bool
) -> list[dict[str, Any]]:
    """A row per host, sorted by name, then the total row."""
    found = [host_row(h, results[h], check_mode=check_mode) for h in sorted(results)]
    return [*found, _total_row(found)]


def table(results: Mapping[str, Mapping[str, Any] | None], *, check_mode: bool) -> list[str]:
    """The lines of the table: the header, a line per host, the total. The column of
    2003 verdicts is there only when a host runs Windows Server 2003."""
    found = rows(results, check_mode=check_mode)
    columns = COLUMNS
    if all(row["reduced"] == _NONE for row in found):
        columns = [c for c in columns if c[0] != "reduced"]
    for key in ("setup", "firewall"):
        if all(row[key] == _NONE for row in found):
            columns = [c for c in columns if c[0] != key]
    return _tables.text_lines(found, columns)
