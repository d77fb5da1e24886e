# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_rules (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _remote, _rules


class ActionModule(_remote.FirewallAction):
    ARGUMENT_SPEC = {
        "group": {"type": "str", "required": True},
        "rules": {"type": "list", "elements": "raw", "default": []},
        "purge": {"type": "bool", "default": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _remote.RemoteFirewall
    ) -> dict[str, Any]:
        # Everything is checked before the first command reaches the host.
        group = _rules.check_group(args["group"])
        desired = _rules.normalise_rules(args["rules"])
        state: str = args["state"]
        purge: bool = args["purge"]
        if state == "absent" and purge and desired:
            self._display.warning(
                f"win_firewall_rules: state=absent with purge=true removes every rule of group "
                f"{group!r}; the {len(desired)} rule(s) listed in rules are not needed"
            )

        host_rules = firewall.read([group])[0]
        owned = [h for h in host_rules if _rules.same_name(h.group, group)]
        plan = _rules.plan_changes(desired, owned, purge=purge, state=state)
        if plan.changed and not self._task.check_mode:
            firewall.apply(group, plan.removes, plan.adds)

        result: dict[str, Any] = {
            "changed": plan.changed,
            "added": list(plan.added),
            "updated": list(plan.updated),
            "removed": list(plan.removed),
            "rules": [rule.to_dict() for rule in plan.after],
        }
        if self._task.diff:
            result["diff"] = plan.diff()
        return result
