# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.preflight (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import (
    _action,
    _catalogue,
    _host,
    _scope,
    _settings,
)

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()


class ActionModule(_action.TaskAction):
    """Check the OCS firewall variables of many hosts on the controller; contact none."""

    ARGUMENT_SPEC = {"hosts": {"type": "list", "elements": "str"}}

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        hosts = args["hosts"]
        if hosts is None:
            hosts = list(task_vars.get("ansible_play_hosts_all", []))
        hostvars = task_vars["hostvars"]
        # One view of the inventory for every host: each peer's address is worked out once.
        inventory = _scope.Inventory(task_vars.get("groups", {}), hostvars, checked=hosts)
        problems: dict[str, list[str]] = {}
        components: dict[str, list[str]] = {}
        scoped = False
        for host in hosts:
            variables = hostvars[host]
            group_names = list(variables["group_names"])
            for group, meant in _settings.misspelt_groups(group_names):
                self._display.warning(
                    f"{host} is in the inventory group {group}, which names no OCS component; "
                    f"did you mean {meant}? The host gets no rules from it"
                )
            request, found = _host.host_request(group_names, variables, inventory=inventory)
            if request is None:
                problems[host] = found
            else:
                components[host] = [s.component.key for s in request.settings]
                scoped = scoped or request.scope == "inventory"
        # The peers' addresses, worked out once here for every host's task to reuse.
        book = inventory.book() if scoped and not problems else {}
        result: dict[str, Any] = {
            "changed": False,
            "problems": problems,
            "components": components,
            "address_book": book,
        }
        if problems:
            count = sum(len(p) for p in problems.values())
            lines = [f"{host}: {p}" for host, found in problems.items() for p in found]
            result.update(
                failed=True,
                msg=f"{count} problem(s) on {len(problems)} host(s), no host was contacted: "
                + "; ".join(lines),
            )
        return result
