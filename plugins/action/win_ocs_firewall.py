# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall (documentation in plugins/modules/)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import (
    _catalogue,
    _host,
    _remote,
    _review,
)

# The linear strategy imports this class in the controller's main process before it
# forks a worker per host: loading the catalogue here lets every worker inherit it parsed
# and indexed, instead of each parsing the YAML again.
for _key in _catalogue.server_components():
    _catalogue.server_entries(_key)


class TaskVariables(Mapping[str, Any]):
    """The task's variables, each templated when it is read (only those the engine asks for)."""

    def __init__(self, variables: Mapping[str, Any], templar: Any) -> None:
        self._variables = variables
        self._templar = templar

    def __getitem__(self, name: str) -> Any:
        return self._templar.template(self._variables[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __contains__(self, name: object) -> bool:
        return name in self._variables


class ActionModule(_remote.FirewallAction):
    ARGUMENT_SPEC = {
        "components": {"type": "raw"},
        "remove_unassigned": {"type": "bool"},
        "peer_addresses": {"type": "dict"},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _remote.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        # Every problem is raised, naming the host, before anything is sent to it.
        request = _host.task_request(
            task_vars,
            TaskVariables(task_vars, self._templar),
            components=args["components"],
            remove_unassigned=args["remove_unassigned"],
            peer_addresses=args["peer_addresses"],
        )

        host_rules = firewall.read(request.groups_to_read(), marked=request.remove_unassigned)[0]
        plans = _host.plan_host(request, host_rules)
        firewall.check_supported([rule for plan in plans for rule in plan.adds])
        changed = any(p.changed for p in plans)
        if changed and not self._task.check_mode:
            firewall.apply(plans)
        self.warn_foreign(plans)

        check_mode = bool(self._task.check_mode)
        result: dict[str, Any] = {
            "changed": changed,
            "msg": _review.summary_line(host, plans, check_mode=check_mode),
            "summary": _review.summary(plans),
            "groups": {p.group: p.summary() for p in plans},
            "rules": {p.group: [r.to_dict() for r in p.after] for p in plans},
        }
        if self._task.diff:
            result["diff"] = _review.diff(host, plans, check_mode=check_mode)
        return result
