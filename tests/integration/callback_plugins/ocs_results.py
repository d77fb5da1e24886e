# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: every task result of a playbook run, as JSON, for the assertions.

ansible-core 2.19 ships no JSON stdout callback, and the tests also want the default
output (``--diff``), so this aggregate callback writes the results to the file named by
``OCS_RESULTS_FILE`` when the play ends.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: ocs_results
type: aggregate
short_description: write task results to the JSON file named by OCS_RESULTS_FILE
description: Test helper of ocs.firewall's integration tests.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ocs_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records: list[dict[str, Any]] = []

    def _record(self, result: Any, status: str) -> None:
        data = dict(getattr(result, "result", None) or result._result)
        if status == "ok" and data.get("changed"):
            status = "changed"
        self.records.append(
            {
                "host": result._host.get_name(),
                "task": result._task.get_name(),
                "status": status,
                "result": data,
            }
        )

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = os.environ.get("OCS_RESULTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.records, handle, default=str, ensure_ascii=False)
