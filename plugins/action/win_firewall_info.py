# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_firewall_info (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client


class ActionModule(_client.FirewallAction):
    ARGUMENT_SPEC = {
        "groups": {"type": "list", "elements": "str", "default": []},
        "owned": {"type": "bool", "default": False},
        "stored": {"type": "bool", "default": False},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        groups = [
            _rules.check_group(g, f"groups[{i}]", managed=False)
            for i, g in enumerate(args["groups"] or [])
        ]
        host_rules, profiles = firewall.read(groups, marked=args["owned"])
        keys = {_rules.name_key(g) for g in groups}
        rules = []
        for host_rule in host_rules:
            rule = host_rule.to_dict()
            rule["owned"] = _ownership.is_owned(host_rule.rule.description)
            # The host returns every rule whose description holds the marker text; only
            # those that end with a marker are the collection's.
            if args["stored"]:
                rule["stored"] = dict(host_rule.stored)
            if rule["owned"] or _rules.name_key(host_rule.group) in keys or not args["owned"]:
                rules.append(rule)
        host = firewall.host
        versions: dict[str, Any] = (
            {"os_version": host.os_version, "powershell_version": host.powershell_version}
            if host is not None
            else {}
        )
        result: dict[str, Any] = {"changed": False, "rules": rules, "profiles": profiles}
        if firewall.legacy is not None:
            # Windows Server 2003: no rules, two profiles and their open-port entries.
            versions["legacy"] = True
            result["profiles"] = firewall.legacy.profile_dicts()
            entries = [
                e for e in firewall.legacy.entries if _entries.is_ours(e) or not args["owned"]
            ]
            result["entries"] = [_entries.entry_dict(e) for e in entries]
            # Each entry also as the rule it amounts to, so reports read every host alike.
            result["rules"] = [_entries.entry_rule(e) for e in entries]
        # Reading never changes the host, in check mode or not.
        return {**result, "host": versions}
