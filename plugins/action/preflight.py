# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.preflight (documentation in plugins/modules/)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _preflight
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _scope

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()

PLAY_VARS = _preflight.PLAY_VARS


class ActionModule(_action.TaskAction):
    """Check the OCS firewall variables of many hosts on the controller; contact none."""

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        hosts = args["hosts"]
        if hosts is None:
            hosts = list(task_vars.get("ansible_play_hosts_all", []))
        # Each host's variables are merged once (every hostvars[host] merges them again).
        hostvars = _Memo(task_vars["hostvars"])
        groups = task_vars.get("groups", {})
        # One view of the inventory for every host: each peer's address is worked out once.
        inventory = _scope.Inventory(groups, hostvars, checked=hosts)
        # The whole inventory's groups (a host only in a misspelt group is in no play), and
        # each play host's own.
        members = {g: list(h) for g, h in groups.items()}
        for host in hosts:
            for group in hostvars[host].get("group_names", ()):
                if host not in members.setdefault(group, []):
                    members[group].append(host)
        problems: dict[str, list[str]] = _preflight.group_problems(members, hostvars)
        for host, found in _preflight.pool_problems(groups, hostvars).items():
            problems.setdefault(host, []).extend(found)
        components: dict[str, list[str]] = {}
        scoped = False
        for host in hosts:
            variables = hostvars[host]
            found = _preflight.variable_problems(variables)
            request, more = _host_request.host_request(
                list(variables["group_names"]), variables, inventory=inventory
            )
            found = list(dict.fromkeys([*problems.get(host, []), *more, *found]))
            if found:
                problems[host] = found
            elif request is not None:
                components[host] = [s.component.key for s in request.settings]
                scoped = scoped or request.scope == "inventory"
        # The play's (and roles') own variables: in the task's, not in its host's.
        this = str(task_vars.get("inventory_hostname", ""))
        own = set(hostvars[this]) if this in hostvars else set()
        play_vars = [n for n in task_vars if isinstance(n, str) and n not in own]
        found = _preflight.variable_problems(task_vars, play_vars, connection=False)
        if found:
            problems[PLAY_VARS] = found
        # The peers' addresses, worked out once here for every host's task to reuse.
        book = inventory.book() if scoped and not problems else {}
        grouped = _preflight.causes(problems, hosts)
        result: dict[str, Any] = {
            "changed": False,
            # Plain strings: a Problem is one, with its cause.
            "problems": {host: [str(p) for p in found] for host, found in problems.items()},
            "causes": [cause.to_dict() for cause in grouped],
            "components": components,
            "address_book": book,
        }
        if not grouped:
            return result
        # Said in full either way: when the hosts' tasks fail them, each says its own part.
        result["msg"] = _preflight.message([c.message for c in grouped])
        tag = args["stop_hosts_in"]
        if (
            tag is not None
            and _preflight.runs_tag(
                tag, task_vars.get("ansible_run_tags", ()), task_vars.get("ansible_skip_tags", ())
            )
            and all(cause.hosts for cause in grouped)
        ):
            # Each host a cause stops fails in that task, before it is contacted, so that
            # the recap counts the failure on the host whose variable is wrong.
            result["stops"] = _preflight.stops(grouped, hosts)
            return result
        result["failed"] = True
        return result


class _Memo(Mapping[str, Any]):
    """``hostvars`` with each host's view made once."""

    def __init__(self, hostvars: Mapping[str, Any]) -> None:
        self._hostvars = hostvars
        self._seen: dict[str, Any] = {}

    def __getitem__(self, host: str) -> Any:
        if host not in self._seen:
            self._seen[host] = self._hostvars[host]
        return self._seen[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hostvars)

    def __len__(self) -> int:
        return len(self._hostvars)

    def __contains__(self, host: object) -> bool:
        return host in self._hostvars
