# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall (documentation in plugins/modules/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import (
    _action,
    _enforce,
    _engines,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _removals
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

# The linear strategy imports this class in the controller's main process before it
# forks a worker per host: loading the catalogue here lets every worker inherit it parsed
# and indexed, instead of each parsing the YAML again.
for _key in _catalogue.server_components():
    _catalogue.server_entries(_key)


class ActionModule(_action.FirewallAction):
    """Stages: ``converge`` reads, plans and applies in one task; ``plan`` reads and plans,
    changing nothing (its result carries the read for the apply stage); ``apply`` applies
    the plan a plan stage made."""

    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        host = str(task_vars.get("inventory_hostname", "the host"))
        stage = args["stage"]
        plan = args["plan"]
        if stage == "apply" and plan is None:
            # The result the role's plan task registered, read as it is: given as an option
            # it would be templated, which copies all of it, on every host.
            plan = task_vars.get(_variables.RESULT)
            if not isinstance(plan, Mapping):
                raise InputError(
                    "plan: the apply stage takes the result of the plan stage, registered as "
                    f"{_variables.RESULT} or given as plan, and this host has none"
                )
        elif stage != "apply" and plan is not None:
            raise InputError("plan: only the apply stage takes a plan")
        variables = _action.TaskVariables(task_vars, self._templar)
        # Every problem is raised, naming the host, before anything is sent to it.
        request = _host_request.task_request(
            task_vars,
            variables,
            components=args["components"],
            remove_unassigned=args["remove_unassigned"],
            peer_addresses=args["peer_addresses"],
            # The diff says what each remote address stands for.
            labelled=bool(self._task.diff),
        )
        options = _engines.reduced_mode_options(variables)
        enforcement = _enforce.options(variables)
        check_mode = bool(self._task.check_mode)
        # The guard's own values too, before the host is contacted.
        guard = _guard(variables) if stage == "converge" else None
        settings_text = ""
        if plan is not None:
            read = firewall.restore(_plan_read(plan))
            if enforcement.active:
                settings_text = _plan_settings(plan)
        elif enforcement.active:
            # The settings' plan judges flows against every rule of the host.
            read = firewall.read([], marked=False)
            found = firewall.settings(listeners=enforcement.enforce)
            read = _client.with_listeners(read, found)
            settings_text = found.text
        else:
            read = firewall.read(request.groups_to_read(), marked=request.remove_unassigned)
        planned = self._plan(host, request, firewall, read, options)
        switching = None
        if enforcement.active:
            switching = _enforce.plan(
                host,
                request,
                read,
                firewall.restore_settings(settings_text),
                enforcement,
                self._connection_port(),
                planned.holds,
            )
        # The plan stage has warned already; the apply stage plans again without a word.
        if stage != "apply":
            more = _enforce.readiness_warning(host, switching) if switching else []
            self.warn(planned.warnings + more)
        result = _result_of(planned, switching, check_mode)
        changed = planned.changed or bool(switching and switching.changed)
        if stage == "plan":
            # Nothing changes in this stage: the apply stage does, and shows the diff then
            # (in check mode there is no apply stage: this one is the result).
            if not check_mode:
                result.pop("diff", None)
            result["changed"] = changed and check_mode
            result["pending"] = changed and not check_mode
            result["read"] = read.text
            if settings_text:
                result["settings_read"] = settings_text
            return result
        if plan is not None:
            _same_removals(plan, planned.removals)
        elif guard is not None:
            verdict = _removals.judge({host: planned.removals}, *guard)
            if verdict.waits and not check_mode:
                return {
                    **result,
                    "changed": False,
                    "failed": True,
                    "msg": f"{host}: {verdict.message()}",
                }
        if planned.changed and not check_mode:
            planned, applied = self._apply(host, request, firewall, planned, options)
            result = _result_of(planned, switching, check_mode)
            result["changed"] = planned.changed or applied.changed_before
            result["replans"] = applied.replans
        if switching is not None and switching.changed and not check_mode:
            # The rules are in place: then the management rules, and only then is the
            # firewall switched.
            management = switching.management
            if management is not None and management.changed:
                firewall.apply(_engines.rule_groups(read, "ocs.firewall"), [management])
            if switching.changes:
                result["enforcement"].update(_enforce.switch(host, firewall, switching))
            result["changed"] = True
            result["in_sync"] = False
        result["pending"] = False
        return result

    def _connection_port(self) -> int | None:
        """The port the task's connection uses (WinRM's, as the controller sees it)."""
        try:
            port = self._connection.get_option("port")
        except (AttributeError, KeyError):
            port = getattr(self._play_context, "port", None)
        try:
            return int(port) if port is not None else None
        except (TypeError, ValueError):
            return None

    def _plan(
        self,
        host: str,
        request: _host_request.HostRequest,
        firewall: _client.RemoteFirewall,
        read: _client.Read,
        options: _engines.ReducedModeOptions,
    ) -> _engines.HostPlan:
        engine = _engines.engine_for(firewall, read, options)
        return engine.plan(
            host, request, check_mode=bool(self._task.check_mode), with_diff=bool(self._task.diff)
        )

    def _apply(
        self,
        host: str,
        request: _host_request.HostRequest,
        firewall: _client.RemoteFirewall,
        planned: _engines.HostPlan,
        options: _engines.ReducedModeOptions,
    ) -> tuple[_engines.HostPlan, _action.Applied]:
        """Apply ``planned``; when another run (or a person) changed the host since the
        read, read again and plan again from what is there. The plan made again may remove
        only rules the first one did (those the guard judged, or the plan stage showed):
        anything more stops the run, with every rule still in place."""
        reviewed = planned.removals
        latest = [planned]

        def replan() -> Any:
            read = firewall.read(request.groups_to_read(), marked=request.remove_unassigned)
            again = self._plan(host, request, firewall, read, options)
            more = _removals.beyond(again.removals, reviewed)
            if more:
                raise InputError(
                    f"{host}: the firewall changed between the read and the apply, and "
                    f"planned again the run would remove rules its plan did not: {more}; "
                    "nothing more was changed: run the play again to review them"
                )
            latest[0] = again
            return again.apply if again.changed else None

        applied = self.apply_fresh(host, planned.apply, replan)
        return latest[0], applied


def _result_of(
    planned: _engines.HostPlan, switching: _enforce.SwitchPlan | None, check_mode: bool
) -> dict[str, Any]:
    """The task result of a plan: its own fields, its removals, the settings' plan and
    whether it is in sync."""
    result = dict(planned.result)
    result["removals"] = [r.to_dict() for r in planned.removals]
    if "diff" in result:
        result["diff"] = list(result["diff"])
    if switching is not None:
        _enforce.add_to_result(result, switching, check_mode=check_mode)
    # Rules that group policy keeps from taking effect are never in sync.
    effective = result.get("policy", {}).get("effective", True)
    result["in_sync"] = not planned.changed and effective and not (switching and switching.changed)
    return result


def _carried(plan: Mapping[str, Any], key: str, missing: str) -> str:
    """The text a plan stage's result carries under ``key``; InputError(``missing``) else."""
    text = plan.get(key)
    if not isinstance(text, str) or not text:
        raise InputError(missing)
    return text


def _plan_read(plan: Mapping[str, Any]) -> str:
    """The read a plan stage's result carries."""
    return _carried(
        plan,
        "read",
        "plan: it is not the result of this module's plan stage for this host (it "
        "carries no read); register the plan stage's result and pass it whole",
    )


def _plan_settings(plan: Mapping[str, Any]) -> str:
    """The settings' read a plan stage's result carries (the host's run enforces)."""
    return _carried(
        plan,
        "settings_read",
        "plan: it carries no read of the firewall's settings, and this host's variables "
        "change them (ocs_firewall_enforce, ocs_firewall_log_dropped): the variables "
        "changed between the stages? Nothing was changed: run the play again",
    )


def _same_removals(plan: Mapping[str, Any], removals: list[_removals.Removal]) -> None:
    """The apply stage removes exactly what its plan stage said (and the guard judged)."""
    try:
        planned = [_removals.Removal.from_dict(r) for r in plan.get("removals") or []]
    except (ValueError, AttributeError, TypeError) as exc:
        raise InputError(f"plan: its removals cannot be read ({exc})") from None
    if planned != removals:
        raise InputError(
            "plan: planned again from the same read, the removals differ from what the plan "
            "stage reported (the variables changed between the stages?); nothing was "
            "changed: run the play again"
        )


def _guard(variables: Mapping[str, Any]) -> tuple[int, bool]:
    """``(max_removals, confirmed)`` from the run's variables (the preflight checked them;
    a task run without it gets the same refusal here, before the host is changed)."""
    names = (_variables.MAX_REMOVALS, _variables.CONFIRM_REMOVALS)
    limit, confirmed, problems = _removals.options(
        {n: variables[n] for n in names if n in variables}
    )
    if problems:
        raise InputError("; ".join(problems))
    return limit, confirmed
