# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_info (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _remote, _rules


class ActionModule(_remote.FirewallAction):
    ARGUMENT_SPEC = {
        "groups": {"type": "list", "elements": "str", "default": []},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _remote.RemoteFirewall
    ) -> dict[str, Any]:
        groups = [_rules.check_group(g, f"groups[{i}]") for i, g in enumerate(args["groups"] or [])]
        host_rules, profiles = firewall.read(groups)
        # Reading never changes the host, in check mode or not.
        return {
            "changed": False,
            "rules": [h.to_dict() for h in host_rules],
            "profiles": profiles,
        }
