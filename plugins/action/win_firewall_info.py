# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_info (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        groups = [
            _rules.check_group(g, f"groups[{i}]", managed=False)
            for i, g in enumerate(args["groups"] or [])
        ]
        read = firewall.read(groups, marked=args["owned"])
        engine = _engines.engine_for(firewall, read)
        result = engine.info(groups, owned=args["owned"], stored=args["stored"])
        versions: dict[str, Any] = (
            {
                "os_version": read.versions.os_version,
                "powershell_version": read.versions.powershell_version,
            }
            if read.versions is not None
            else {}
        )
        if "entries" in result:
            # Windows Server 2003: no rules, two profiles and their open-port entries.
            versions["legacy"] = True
        # Reading never changes the host, in check mode or not.
        return {"changed": False, **result, "host": versions}
