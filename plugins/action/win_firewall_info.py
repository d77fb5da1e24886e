# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_info (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import _remote, _rules

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "groups": {"type": "list", "elements": "str", "default": []},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result: dict[str, Any] = super().run(tmp, task_vars)
        del tmp

        try:
            args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        except AnsibleActionFail as exc:
            result.update(exc.result)
            return result
        try:
            groups = [
                _rules.check_group(g, f"groups[{i}]") for i, g in enumerate(args["groups"] or [])
            ]
        except _rules.RuleError as exc:
            result.update(failed=True, msg=str(exc))
            return result

        try:
            host_rules, profiles = _remote.RemoteFirewall(self).read(groups)
        except _remote.RemoteError as exc:
            result.update(exc.result)
            return result
        # Reading never changes the host, in check mode or not.
        result.update(
            changed=False,
            rules=[h.to_dict() for h in host_rules],
            profiles=profiles,
        )
        return result
