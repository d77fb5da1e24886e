# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall_drops (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _drops


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        max_lines, max_bytes = _drops.check_bounds(args["max_lines"], args["max_bytes"])
        variables = _action.TaskVariables(task_vars, self._templar)
        # The host's components and their scope, as site.yml would plan them: what a
        # dropped packet on one of their ports is outside of.
        request = _host_request.task_request(
            task_vars,
            variables,
            components=args["components"],
            peer_addresses=args["peer_addresses"],
        )
        # One command: the last lines of each log file the profiles name, 2003 as 2008.
        tail = firewall.tail(max_lines, max_bytes)
        found, lines = _drops.summarise(request, tail.lines)
        files = _drops.files(tail.files)
        return {
            "changed": False,
            "findings": found,
            "counts": _drops.counts(found),
            "lines": lines,
            "files": files,
            "msg": _drops.message(host, found, lines, files),
        }
