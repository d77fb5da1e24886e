# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the run every action plugin of the collection shares.
"""The ``run`` of the collection's action plugins: arguments checked, then the task's work.

:class:`TaskAction` validates the task's arguments against ``ARGUMENT_SPEC`` (an argument
that does not fit is a failed result naming it) and merges what :meth:`TaskAction.run_task`
returns into the task result. Check mode is supported and async is not, for every one of
them. The controller-only actions (``preflight``, ``port_matrix``) use it as it is;
``_remote.FirewallAction`` adds the host's firewall.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class TaskAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    ARGUMENT_SPEC: dict[str, dict[str, Any]] = {}

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result: dict[str, Any] = super().run(tmp, task_vars)
        del tmp
        try:
            args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)[1]
            result.update(self.run_task(args, task_vars or {}))
        except AnsibleActionFail as exc:
            result.update(exc.result)
        return result

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """The task result's fields, from its validated ``args``."""
        raise NotImplementedError
