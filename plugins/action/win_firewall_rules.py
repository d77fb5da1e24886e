# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_rules (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import _remote, _rules

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "group": {"type": "str", "required": True},
    "rules": {"type": "list", "elements": "raw", "default": []},
    "purge": {"type": "bool", "default": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
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

        # Everything is checked before the first command reaches the host.
        try:
            args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        except AnsibleActionFail as exc:
            result.update(exc.result)
            return result
        try:
            group = _rules.check_group(args["group"])
            desired = _rules.normalise_rules(args["rules"])
        except _rules.RuleError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        state: str = args["state"]
        purge: bool = args["purge"]
        if state == "absent" and purge and desired:
            self._display.warning(
                f"win_firewall_rules: state=absent with purge=true removes every rule of group "
                f"{group!r}; the {len(desired)} rule(s) listed in rules are not needed"
            )

        remote = _remote.RemoteFirewall(self)
        try:
            host_rules = remote.read([group])[0]
            owned = [h for h in host_rules if _rules.same_name(h.group, group)]
            plan = _rules.plan_changes(desired, owned, purge=purge, state=state)
            if plan.changed and not self._task.check_mode:
                remote.apply(group, plan.removes, plan.adds)
        except _remote.RemoteError as exc:
            result.update(exc.result)
            return result

        result.update(
            changed=plan.changed,
            added=list(plan.added),
            updated=list(plan.updated),
            removed=list(plan.removed),
            rules=[rule.to_dict() for rule in plan.after],
        )
        if self._task.diff:
            result["diff"] = plan.diff()
        return result
