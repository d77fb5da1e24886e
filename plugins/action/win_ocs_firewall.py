# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall (documentation in plugins/modules/)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import (
    _catalogue,
    _host,
    _legacy,
    _platform,
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
        if firewall.legacy is not None:
            return self._run_legacy(host, request, firewall, firewall.legacy)
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

    def _run_legacy(
        self,
        host: str,
        request: _host.HostRequest,
        firewall: _remote.RemoteFirewall,
        read: _remote.LegacyRead,
    ) -> dict[str, Any]:
        """A Windows Server 2003 host: its entries, in the reduced mode (:mod:`._legacy`)."""
        plan = _legacy.plan(
            request.settings,
            request.remotes,
            read.entries,
            options=request.legacy,
            remove_unassigned=request.remove_unassigned,
        )
        check_mode = bool(self._task.check_mode)
        if plan.changed and not check_mode:
            firewall.apply_legacy(plan.opens, plan.closes)
        for conflict in plan.conflicts:
            self._display.warning(f"{self._task.get_name()}: {conflict.message()}")
        label = _platform.os_label(firewall.host.os_version) if firewall.host else ""
        result: dict[str, Any] = {
            "changed": plan.changed,
            "msg": _review.legacy_summary_line(host, plan, check_mode=check_mode),
            "summary": _review.legacy_summary(plan),
            "groups": {},
            "rules": {},
            "reduced_mode": {
                "platform": label,
                "verdicts": [v.to_dict() for v in plan.verdicts],
                "counts": plan.counts(),
                "entries": [e.to_dict() for e in plan.wanted],
                "conflicts": [c.to_dict() for c in plan.conflicts],
                "kept": [_legacy.entry_dict(e) for e in plan.kept],
            },
        }
        if self._task.diff:
            result["diff"] = _review.legacy_diff(host, plan, check_mode=check_mode)
        return result
