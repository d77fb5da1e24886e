# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall_audit (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall import TaskVariables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit


class ActionModule(_client.FirewallAction):
    ARGUMENT_SPEC = {
        "components": {"type": "raw"},
        "peer_addresses": {"type": "dict"},
        "accepted": {"type": "list", "elements": "str"},
    }

    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        variables = TaskVariables(task_vars, self._templar)
        # Decommissioning on: the groups of components the host no longer holds are planned
        # too, so they show as orphan groups.
        request = _host_request.task_request(
            task_vars,
            variables,
            components=args["components"],
            remove_unassigned=True,
            peer_addresses=args["peer_addresses"],
        )
        accepted = self._accepted(args["accepted"], variables)
        # One read of every rule and the profiles; nothing is ever changed.
        rules, profiles = firewall.read([], marked=False)
        if firewall.legacy is not None:
            legacy = firewall.legacy
            findings = _audit.legacy_audit(request, legacy.profiles, legacy.entries, accepted)
        else:
            findings = _audit.audit(request, rules, profiles, accepted)
        return {
            "changed": False,
            "findings": findings,
            "counts": _audit.counts(findings),
            "msg": _audit.message(findings),
        }

    @staticmethod
    def _accepted(option: list[Any] | None, variables: TaskVariables) -> list[str]:
        """The ``accepted`` option, else the host's variable, else the default."""
        if option is not None:
            value, where = option, "accepted"
        elif _audit.ACCEPTED_VARIABLE in variables:
            where = _audit.ACCEPTED_VARIABLE
            try:
                value = variables[where]
            except Exception as exc:
                raise _rules.RuleError(f"{where}: its value cannot be worked out ({exc})") from None
        else:
            return list(_audit.DEFAULT_ACCEPTED)
        accepted, problems = _audit.check_accepted(value, where)
        if problems:
            raise _rules.RuleError("; ".join(problems))
        return accepted
