# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.removal_guard (documentation in plugins/modules/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _removals


class ActionModule(_action.TaskAction):
    """Hold a run whose plans remove many of the collection's rules until it is confirmed."""

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        hosts = args["hosts"]
        if hosts is None:
            hosts = list(task_vars.get("ansible_play_hosts_all", []))
        given = {
            name: self._templar.template(task_vars[name])
            for name in (_variables.MAX_REMOVALS, _variables.CONFIRM_REMOVALS)
            if name in task_vars
        }
        limit, confirmed, problems = _removals.options(given)
        if problems:
            return {"failed": True, "msg": "; ".join(problems)}
        if args["max_removals"] is not None:
            limit = args["max_removals"]
        if args["confirm"] is not None:
            confirmed = args["confirm"]
        removals, unplanned, pending = _plans(task_vars["hostvars"], hosts)
        if unplanned:
            return {
                "failed": True,
                "msg": "The removal guard needs every host's plan first, and these hosts have "
                f"none yet: {', '.join(unplanned)}. Run it after "
                "ocs.firewall.win_ocs_firewall's plan stage (stage: plan, registered as "
                f"{_variables.RESULT}) has run on every host: the linear strategy, as "
                "playbooks/site.yml runs it (with the free strategy, hosts do not wait for "
                "each other)",
            }
        verdict = _removals.judge(removals, limit, confirmed)
        check_mode = bool(self._task.check_mode)
        result: dict[str, Any] = {
            "changed": False,
            "count": verdict.count,
            "waits": verdict.waits,
            "max_removals": limit,
            "confirmed": confirmed,
            "removals": {h: [r.to_dict() for r in found] for h, found in removals.items()},
            "pending": pending,
            "msg": verdict.message(check_mode=check_mode),
        }
        if verdict.waits:
            if check_mode:
                # A review shows the list and goes on: nothing is applied in check mode.
                self._display.warning(result["msg"])
            else:
                result["failed"] = True
        return result


def _plans(
    hostvars: Mapping[str, Mapping[str, Any]], hosts: list[str]
) -> tuple[dict[str, list[_removals.Removal]], list[str], list[str]]:
    """Each planned host's removals, the hosts that have no plan (failed ones aside: they
    are out of the run), and the hosts whose plan has something to apply."""
    removals: dict[str, list[_removals.Removal]] = {}
    unplanned: list[str] = []
    pending: list[str] = []
    # A registered result is data: read it as it is (raw_get), not templated (which copies
    # the whole of it, on every host, for nothing).
    raw = getattr(hostvars, "raw_get", hostvars.get)
    for host in hosts:
        variables = raw(host) or {}
        result = variables.get(_variables.RESULT) if isinstance(variables, Mapping) else None
        if not isinstance(result, Mapping):
            unplanned.append(host)
            continue
        if result.get("failed") or result.get("unreachable") or result.get("skipped"):
            continue
        if "removals" not in result:
            unplanned.append(host)
            continue
        found = [_removals.Removal.from_dict(r) for r in result["removals"] or []]
        if found:
            removals[host] = found
        if result.get("pending"):
            pending.append(host)
    return removals, unplanned, pending
