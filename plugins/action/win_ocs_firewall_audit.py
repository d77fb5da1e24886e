# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall_audit (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _engines
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit


class ActionModule(_action.FirewallAction):
    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        variables = _action.TaskVariables(task_vars, self._templar)
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
        options = _engines.reduced_mode_options(variables)
        # One read of every rule and the profiles; nothing is ever changed.
        read = firewall.read([], marked=False)
        findings = _engines.engine_for(firewall, read, options).audit(request, accepted)
        return {
            "changed": False,
            "findings": findings,
            "counts": _audit.counts(findings),
            "msg": _audit.message(findings),
            "text": _audit.text(findings),
        }

    @staticmethod
    def _accepted(option: list[Any] | None, variables: _action.TaskVariables) -> list[str]:
        """The ``accepted`` option, else the host's variable, else the default."""
        if option is not None:
            value, where = option, "accepted"
        elif _audit.ACCEPTED_VARIABLE in variables:
            where = _audit.ACCEPTED_VARIABLE
            try:
                value = variables[where]
            except Exception as exc:
                raise InputError(f"{where}: its value cannot be worked out ({exc})") from None
        else:
            return list(_audit.DEFAULT_ACCEPTED)
        accepted, problems = _audit.check_accepted(value, where)
        if problems:
            raise InputError("; ".join(problems))
        return accepted
