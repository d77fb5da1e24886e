# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record every task result of a playbook run as JSON lines (every harness run).

Not shipped with the collection. ``harness.playbook.run_playbook`` enables it with
``ANSIBLE_CALLBACK_PLUGINS=<this folder>``, ``ANSIBLE_CALLBACKS_ENABLED=ocs_record`` and
``OCS_RECORD_FILE=<path>`` (``OCS_RECORD_RESULT=0``: ``result`` is left empty). Each line
is one event: ``{"event", "status", "host", "task", "action", "failed", "unreachable",
"skipped", "changed", "msg", "result", "t"}`` (``status``: the event, or ``changed`` for
an ok result that changed something); the first and last lines are ``playbook_start``
and ``stats`` with a monotonic timestamp only, so the time spent inside the play (without
the interpreter start-up) can be measured.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: ocs_record
type: aggregate
short_description: record task results as JSON lines (test helper)
description:
  - Writes one JSON line per task result to the file named by C(OCS_RECORD_FILE).
requirements:
  - enabled in configuration
"""


def _plain(value: Any) -> Any:
    """Make a result JSON-serialisable (Ansible's tagged strings and custom types)."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ocs_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._path = os.environ.get("OCS_RECORD_FILE", "")
        # OCS_RECORD_RESULT=0 leaves the task's whole result out of each line (the bench
        # measures the controller's CPU and needs only the flags and the timestamps).
        self._with_result = os.environ.get("OCS_RECORD_RESULT", "1") != "0"

    def _write(self, record: dict[str, Any]) -> None:
        if not self._path:
            return
        record["t"] = time.monotonic()
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(_plain(record), ensure_ascii=False) + "\n")

    def _result(self, event: str, result: Any, **flags: bool) -> None:
        data = dict(result._result)
        task = result._task
        changed = bool(data.get("changed", False))
        self._write(
            {
                "event": event,
                "status": "changed" if event == "ok" and changed else event,
                "host": result._host.get_name(),
                "task": task.get_name(),
                "action": task.action,
                "failed": flags.get("failed", False),
                "unreachable": flags.get("unreachable", False),
                "skipped": flags.get("skipped", False),
                "changed": changed,
                "msg": str(data.get("msg", "")),
                "result": data if self._with_result else {},
            }
        )

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._write({"event": "playbook_start"})

    def v2_runner_on_ok(self, result: Any) -> None:
        self._result("ok", result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._result("failed", result, failed=True)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._result("unreachable", result, failed=True, unreachable=True)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._result("skipped", result, skipped=True)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._write({"event": "stats"})
