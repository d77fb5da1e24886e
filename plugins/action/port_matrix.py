# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.port_matrix (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _matrix

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()


class ActionModule(ActionBase):
    """The flows of the inventory's OCS servers, worked out on the controller; no host is
    contacted."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        try:
            args = self.validate_argument_spec(
                argument_spec={
                    "hosts": {"type": "list", "elements": "str"},
                    "vips": {"type": "raw"},
                }
            )[1]
        except AnsibleActionFail as exc:
            result.update(exc.result)
            return result
        vips, name = args["vips"], "vips"
        if vips is None:
            name = _matrix.VIPS_VARIABLE
            vips = self._templar.template(task_vars.get(name)) if name in task_vars else None
        groups = task_vars.get("groups", {})
        try:
            found = _matrix.matrix(groups, task_vars["hostvars"], args["hosts"], vips, name)
        except _matrix.MatrixError as exc:
            result.update(failed=True, msg=str(exc), problems=exc.problems)
            return result
        result.update(changed=False, **found)
        return result
