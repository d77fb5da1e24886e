# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.report_files (documentation in plugins/modules/)."""

from __future__ import annotations

import os
from typing import Any

from ansible import constants as C

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _files
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError


class ActionModule(_action.TaskAction):
    """Write files into a folder on the controller, in this process; no host is contacted."""

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        check_mode = bool(self._task.check_mode)
        try:
            mode = _files.octal_mode("mode", args["mode"])
            directory_mode = _files.octal_mode("directory_mode", args["directory_mode"])
            plan = _files.planned(args["dest"], args["files"], mode, args["remove"])
        except InputError as exc:
            return {"failed": True, "msg": str(exc)}
        except OSError as exc:
            return {"failed": True, "msg": f"dest: cannot read {args['dest']} ({exc})"}
        made: list[str] = []
        try:
            if not check_mode:
                _files.carry_out(plan, mode, directory_mode, made)
        except OSError as exc:
            return {
                "failed": True,
                "changed": bool(made),
                "msg": f"dest: cannot write into {plan.folder} ({exc})",
            }
        written = [c.path for c in plan.changes if c.what != _files.REMOVED]
        removed = [c.path for c in plan.changes if c.what == _files.REMOVED]
        would = "would be " if check_mode else ""
        unchanged = len(args["files"]) - len(written)
        result: dict[str, Any] = {
            "changed": plan.changed,
            "files": [os.path.join(plan.folder, name) for name in args["files"]],
            "written": written,
            "removed": removed,
            "msg": (
                f"{plan.folder}: {len(written)} {would}written, {unchanged} unchanged, "
                f"{len(removed)} {would}removed"
            ),
        }
        if self._task.diff:
            result["diff"] = _files.diff(
                plan, mode, check_mode=check_mode, limit=int(C.MAX_FILE_SIZE_FOR_DIFF)
            )
        return result
