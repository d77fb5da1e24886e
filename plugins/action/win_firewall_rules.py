# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_rules (documentation in plugins/modules/)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _plan,
    _rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _task_result


def _owned_rule(rule: _rules.Rule, index: int) -> _rules.Rule:
    """``rule`` with the ownership marker at the end of its description."""
    if _ownership.has_marker_text(rule.description):
        raise _rules.RuleError(
            f"rules[{index}] ({rule.name!r}).description: {rule.description!r} holds "
            f"{_ownership.MARKER!r}, the text that marks the collection's own rules; "
            "remove it (the collection adds its marker itself)"
        )
    return dataclasses.replace(rule, description=_ownership.marked(rule.description))


class ActionModule(_client.FirewallAction):
    ARGUMENT_SPEC = {
        "group": {"type": "str", "required": True},
        "rules": {"type": "list", "elements": "raw", "default": []},
        "purge": {"type": "bool", "default": True},
        "state": {"type": "str", "choices": list(_plan.STATES), "default": "present"},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        # Everything is checked before the first command reaches the host.
        group = _rules.check_group(args["group"])
        desired = [_owned_rule(r, i) for i, r in enumerate(_rules.normalise_rules(args["rules"]))]
        state: str = args["state"]
        purge: bool = args["purge"]
        if state == "absent" and purge and desired:
            self._display.warning(
                f"win_firewall_rules: state=absent with purge=true removes every rule the "
                f"collection made in group {group!r}; the {len(desired)} rule(s) listed in "
                "rules are not needed"
            )

        firewall.check_fits(group, desired)

        host_rules = firewall.read([group])[0]
        if firewall.legacy is not None:
            raise _client.RemoteError(
                _client.legacy_refusal("ocs.firewall.win_firewall_rules", firewall.host),
                {"changed": False},
            )
        in_group = [h for h in host_rules if _rules.same_name(h.group, group)]
        _not_the_catalogues(group, desired, in_group)
        plan = _plan.plan_group(group, desired, in_group, purge=purge, state=state)
        firewall.check_supported(plan.adds)
        host = str(task_vars.get("inventory_hostname", "the host"))
        check_mode = bool(self._task.check_mode)
        applied = _client.Applied()
        if plan.changed and not check_mode:
            latest = [plan]

            def replan() -> Any:
                # Another run (or a person) changed the group since the read: plan again.
                again_in = [
                    h for h in firewall.read([group])[0] if _rules.same_name(h.group, group)
                ]
                _not_the_catalogues(group, desired, again_in)
                latest[0] = _plan.plan_group(group, desired, again_in, purge=purge, state=state)
                return (lambda: firewall.apply(latest)) if latest[0].changed else None

            applied = self.apply_fresh(host, lambda: firewall.apply([plan]), replan)
            plan = latest[0]
        self.warn_foreign([plan])

        result: dict[str, Any] = {
            "changed": plan.changed or applied.changed_before,
            "replans": applied.replans,
            "msg": _task_result.summary_line(host, [plan], check_mode=check_mode),
            "added": list(plan.added),
            "updated": list(plan.updated),
            "removed": list(plan.removed),
            "foreign": [h.to_dict() for h in plan.foreign],
            "others": [h.to_dict() for h in plan.others],
            "rules": [rule.to_dict() for rule in plan.after],
        }
        if self._task.diff:
            result["diff"] = _task_result.diff(host, [plan], check_mode=check_mode)
        return result


def _not_the_catalogues(
    group: str, desired: list[_rules.Rule], in_group: list[_rules.HostRule]
) -> None:
    """A rule the task would write may not take the name of one that win_ocs_firewall
    built from the catalogue in the group: those are its, and this task leaves them."""
    built = {
        _rules.name_key(h.rule.name): h
        for h in in_group
        if _ownership.owner_of(h.rule.description) == _ownership.CATALOGUE
    }
    for index, rule in enumerate(desired):
        held = built.get(_rules.name_key(rule.name))
        if held is not None:
            entry = _ownership.entry_of(held.rule.description)
            raise _rules.RuleError(
                f"rules[{index}].name: {rule.name!r} is the name of a rule of group {group!r} "
                f"that ocs.firewall.win_ocs_firewall built from the catalogue (entry {entry}); "
                "this module never changes those: give the rule another name"
            )
