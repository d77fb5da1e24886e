# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.preflight (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import (
    _catalogue,
    _host,
    _scope,
    _settings,
)

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()


class ActionModule(ActionBase):
    """Check the OCS firewall variables of many hosts on the controller; contact none."""

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
                argument_spec={"hosts": {"type": "list", "elements": "str"}}
            )[1]
        except AnsibleActionFail as exc:
            result.update(exc.result)
            return result
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
        result.update(changed=False, problems=problems, components=components, address_book=book)
        if problems:
            count = sum(len(p) for p in problems.values())
            lines = [f"{host}: {p}" for host, found in problems.items() for p in found]
            result.update(
                failed=True,
                msg=f"{count} problem(s) on {len(problems)} host(s), no host was contacted: "
                + "; ".join(lines),
            )
        return result
