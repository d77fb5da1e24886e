# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_rules (documentation in plugins/modules/)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _plan,
    _rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _task_result


def _owned_rule(rule: _rules.Rule, index: int) -> _rules.Rule:
    """``rule`` with the ownership marker at the end of its description."""
    where = f"rules[{index}] ({rule.name!r}).description"
    if _ownership.has_marker_text(rule.description):
        raise InputError(
            f"{where}: {rule.description!r} holds "
            f"{_ownership.MARKER!r}, the text that marks the collection's own rules; "
            "remove it (the collection adds its marker itself)"
        )
    description = _ownership.marked(rule.description)
    # The marker takes room Windows counts too.
    _rules.check_description(rule.description, where, description[len(rule.description) :])
    return dataclasses.replace(rule, description=description)


MODULE = "ocs.firewall.win_firewall_rules"


class ActionModule(_action.FirewallAction):
    # Each rule is checked by the module itself, naming its index, name and field (and
    # taking ports and addresses in any of their forms), not by the argument spec.
    ARGUMENT_OVERRIDES = {"rules": {"type": "list", "elements": "raw", "default": []}}

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

        first = _engines.rule_groups(firewall.read([group]), MODULE)
        # Every entry of the catalogue: its rules in the group are win_ocs_firewall's.
        catalogue_ids = _catalogue.entry_ids()

        def plan_of(read: _client.RulesRead) -> tuple[_client.RulesRead, _plan.GroupPlan]:
            in_group = [h for h in read.rules if _rules.same_name(h.group, group)]
            _not_the_catalogues(group, desired, in_group)
            planned = _plan.plan_group(
                group, desired, in_group, purge=purge, state=state, ids=catalogue_ids
            )
            _platform.check_supported(
                planned.adds, read.versions.os_version if read.versions else None
            )
            return read, planned

        read, plan = plan_of(first)
        host = str(task_vars.get("inventory_hostname", "the host"))
        check_mode = bool(self._task.check_mode)
        applied = _action.Applied()
        if plan.changed and not check_mode:
            latest = [(read, plan)]

            def replan() -> Any:
                # Another run (or a person) changed the group since the read: plan again.
                latest[0] = plan_of(_engines.rule_groups(firewall.read([group]), MODULE))
                again_read, again = latest[0]
                return (lambda: firewall.apply(again_read, [again])) if again.changed else None

            applied = self.apply_fresh(host, lambda: firewall.apply(read, [plan]), replan)
            read, plan = latest[0]
        self.warn(_task_result.warnings([plan]))

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
            raise InputError(
                f"rules[{index}].name: {rule.name!r} is the name of a rule of group {group!r} "
                f"that ocs.firewall.win_ocs_firewall built from the catalogue (entry {entry}); "
                "this module never changes those: give the rule another name"
            )
