# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_flow (documentation in plugins/modules/)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _flows


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        # Every flow is checked before the host is contacted.
        given = [
            {key: value for key, value in raw.items() if value is not None} for raw in args["flows"]
        ]
        flows = [
            _evaluate.flow({"profile": "domain", **raw}, f"flows[{i}]")
            for i, raw in enumerate(given)
        ]
        # One read of every rule, the profiles and group policy; nothing is changed.
        read = _engines.rule_groups(
            firewall.read([], marked=False), "ocs.firewall.win_firewall_flow"
        )
        current = read.policy.current()
        profile = current[0] if current else "domain"
        verdicts = []
        for raw, flow in zip(given, flows, strict=True):
            if "profile" not in raw:
                flow = dataclasses.replace(flow, profile=profile)
            verdicts.append(_flows.judge(read, flow))
        return {
            "changed": False,
            "flows": verdicts,
            "profile": profile,
            "msg": _flows.message(host, verdicts),
        }
