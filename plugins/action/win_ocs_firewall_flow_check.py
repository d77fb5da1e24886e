# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall_flow_check (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import HostError, InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _flow_check

MODULE = "ocs.firewall.win_ocs_firewall_flow_check"


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        # Every row is checked before the host is contacted.
        if (args["matrix"] is None) == (args["flows"] is None):
            given = "both were" if args["matrix"] is not None else "neither was"
            raise InputError(
                f"give one of matrix (the result of ocs.firewall.port_matrix) and flows "
                f"(rows of its boundary tables); {given} given"
            )
        if args["matrix"] is not None:
            rows = _flow_check.host_rows(args["matrix"], host)
        else:
            rows = _flow_check.checked_rows(args["flows"])
        if not rows:
            return self._result(host, [], [], read=False)
        # One read of every rule, the profiles and group policy; nothing is changed.
        read = firewall.read([], marked=False)
        try:
            rules = _engines.rule_groups(read, MODULE)
        except HostError as exc:
            # Windows Server 2003: open-port entries, which the evaluator does not judge.
            why = "the host runs Windows Server 2003, whose open-port entries are not judged"
            results = [_flow_check.not_checked(row, why) for row in rows]
            result = self._result(host, results, [], read=True)
            return {**result, "msg": f"{result['msg']}: {exc}"}
        profiles = _flow_check.current_profiles(rules)
        return self._result(host, _flow_check.check(rules, rows, profiles), profiles, read=True)

    @staticmethod
    def _result(
        host: str, results: list[dict[str, Any]], profiles: list[str], *, read: bool
    ) -> dict[str, Any]:
        return {
            "changed": False,
            "read": read,
            "profiles": profiles,
            "flows": results,
            "counts": _flow_check.counts(results),
            "remedies": _flow_check.remedies(results),
            "msg": _flow_check.message(host, results),
        }
