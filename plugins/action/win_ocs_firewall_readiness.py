# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall_readiness (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _readiness


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        variables = _action.TaskVariables(task_vars, self._templar)
        # As site.yml would plan the host (its other groups emptied, when they are).
        request = _host_request.task_request(
            task_vars,
            variables,
            components=args["components"],
            peer_addresses=args["peer_addresses"],
        )
        # One read of every rule, the profiles and policy; one of the listeners and
        # connections (the switch script's: the rules script stays small).
        read = firewall.read([], marked=False)
        rules = _engines.rule_groups(read, "ocs.firewall.win_ocs_firewall_readiness")
        rules = _client.with_listeners(rules, firewall.settings(listeners=True))
        found = _readiness.findings(request, rules)
        return {
            "changed": False,
            "findings": found,
            "counts": _readiness.counts(found),
            "msg": _readiness.message(host, found),
        }
