# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.win_ocs_firewall (documentation in plugins/modules/)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _removals
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _task_result

# The linear strategy imports this class in the controller's main process before it
# forks a worker per host: loading the catalogue here lets every worker inherit it parsed
# and indexed, instead of each parsing the YAML again.
for _key in _catalogue.server_components():
    _catalogue.server_entries(_key)

# converge: read, plan and apply in one task. plan: read and plan, change nothing (the
# result carries the read for the apply stage). apply: apply the plan a plan stage made.
STAGES = ("converge", "plan", "apply")


class TaskVariables(Mapping[str, Any]):
    """The task's variables, each templated when it is read (only those the engine asks for)."""

    def __init__(self, variables: Mapping[str, Any], templar: Any) -> None:
        self._variables = variables
        self._templar = templar

    def __getitem__(self, name: str) -> Any:
        return self._templar.template(self._variables[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __contains__(self, name: object) -> bool:
        return name in self._variables


@dataclasses.dataclass
class _Planned:
    """One host's plan, whatever its Windows: the task result it makes, and its removals."""

    changed: bool
    result: dict[str, Any]
    removals: list[_removals.Removal]
    apply: Any  # a callable that applies the plan to the host


class ActionModule(_client.FirewallAction):
    ARGUMENT_SPEC = {
        "components": {"type": "raw"},
        "remove_unassigned": {"type": "bool"},
        "peer_addresses": {"type": "dict"},
        "stage": {"type": "str", "choices": list(STAGES), "default": "converge"},
        "plan": {"type": "dict"},
    }

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
                raise _rules.RuleError(
                    "plan: the apply stage takes the result of the plan stage, registered as "
                    f"{_variables.RESULT} or given as plan, and this host has none"
                )
        elif stage != "apply" and plan is not None:
            raise _rules.RuleError("plan: only the apply stage takes a plan")
        variables = TaskVariables(task_vars, self._templar)
        # Every problem is raised, naming the host, before anything is sent to it.
        request = _host_request.task_request(
            task_vars,
            variables,
            components=args["components"],
            remove_unassigned=args["remove_unassigned"],
            peer_addresses=args["peer_addresses"],
        )
        check_mode = bool(self._task.check_mode)
        # The guard's own values too, before the host is contacted.
        guard = _guard(variables) if stage == "converge" else None
        groups = request.groups_to_read()
        if plan is not None:
            host_rules = firewall.restore(_plan_read(plan))[0]
        else:
            host_rules = firewall.read(groups, marked=request.remove_unassigned)[0]
        # The plan stage has warned already; the apply stage plans again without a word.
        quiet = stage == "apply"
        planned = self._plan(host, request, firewall, host_rules, check_mode, quiet)
        result = planned.result
        result["removals"] = [r.to_dict() for r in planned.removals]
        result["in_sync"] = not planned.changed
        if stage == "plan":
            # Nothing changes in this stage: the apply stage does, and shows the diff then
            # (in check mode there is no apply stage: this one is the result).
            if not check_mode:
                result.pop("diff", None)
            result["changed"] = planned.changed and check_mode
            result["pending"] = planned.changed and not check_mode
            result["read"] = firewall.reply_text
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
            planned, applied = self._apply(host, request, firewall, planned, check_mode)
            result = planned.result
            result["removals"] = [r.to_dict() for r in planned.removals]
            result["in_sync"] = not planned.changed
            result["changed"] = planned.changed or applied.changed_before
            result["replans"] = applied.replans
        result["pending"] = False
        return result

    def _apply(
        self,
        host: str,
        request: _host_request.HostRequest,
        firewall: _client.RemoteFirewall,
        planned: _Planned,
        check_mode: bool,
    ) -> tuple[_Planned, _client.Applied]:
        """Apply ``planned``; when another run (or a person) changed the host since the
        read, read again and plan again from what is there. The plan made again may remove
        only rules the first one did (those the guard judged, or the plan stage showed):
        anything more stops the run, with every rule still in place."""
        reviewed = planned.removals
        latest = [planned]

        def replan() -> Any:
            rules = firewall.read(request.groups_to_read(), marked=request.remove_unassigned)[0]
            again = self._plan(host, request, firewall, rules, check_mode, quiet=True)
            more = _removals.beyond(again.removals, reviewed)
            if more:
                raise _rules.RuleError(
                    f"{host}: the firewall changed between the read and the apply, and "
                    f"planned again the run would remove rules its plan did not: {more}; "
                    "nothing more was changed: run the play again to review them"
                )
            latest[0] = again
            return again.apply if again.changed else None

        applied = self.apply_fresh(host, planned.apply, replan)
        return latest[0], applied

    def _plan(
        self,
        host: str,
        request: _host_request.HostRequest,
        firewall: _client.RemoteFirewall,
        host_rules: list[_rules.HostRule],
        check_mode: bool,
        quiet: bool,
    ) -> _Planned:
        if firewall.legacy is not None:
            return self._plan_legacy(host, request, firewall, firewall.legacy, check_mode, quiet)
        plans = _host_request.plan_host(request, host_rules)
        firewall.check_supported([rule for plan in plans for rule in plan.adds])
        elsewhere = _host_request.marked_elsewhere(plans, host_rules)
        if not quiet:
            self.warn_foreign(plans, elsewhere)
        changed = any(p.changed for p in plans)
        result: dict[str, Any] = {
            "changed": changed,
            "msg": _task_result.summary_line(
                host, plans, check_mode=check_mode, elsewhere=elsewhere
            ),
            "summary": _task_result.summary(plans, elsewhere),
            "groups": {p.group: p.summary() for p in plans},
            "rules": {p.group: [r.to_dict() for r in p.after] for p in plans},
            "marked_not_ours": [h.to_dict() for p in plans for h in p.marked]
            + [h.to_dict() for h in elsewhere],
        }
        if self._task.diff:
            result["diff"] = _task_result.diff(
                host, plans, check_mode=check_mode, elsewhere=elsewhere
            )
        return _Planned(changed, result, _removals.of_plans(plans), lambda: firewall.apply(plans))

    def _plan_legacy(
        self,
        host: str,
        request: _host_request.HostRequest,
        firewall: _client.RemoteFirewall,
        read: _client.LegacyRead,
        check_mode: bool,
        quiet: bool,
    ) -> _Planned:
        """A Windows Server 2003 host: its entries, in the reduced mode (:mod:`._legacy`)."""
        plan = _entries.plan(
            request.settings,
            request.remotes,
            read.entries,
            options=request.legacy,
            remove_unassigned=request.remove_unassigned,
        )
        for conflict in () if quiet else plan.conflicts:
            self._display.warning(f"{self._task.get_name()}: {conflict.message()}")
        if plan.marked and not quiet:
            self._display.warning(
                f"{self._task.get_name()}: {host} holds {len(plan.marked)} entry(ies) named "
                "like the collection's that serve none of its components, left as they are: "
                + ", ".join(repr(e.name) for e in plan.marked)
            )
        label = _platform.os_label(firewall.host.os_version) if firewall.host else ""
        result: dict[str, Any] = {
            "changed": plan.changed,
            "msg": _task_result.legacy_summary_line(host, plan, check_mode=check_mode),
            "summary": _task_result.legacy_summary(plan),
            "groups": {},
            "rules": {},
            "reduced_mode": {
                "platform": label,
                "verdicts": [v.to_dict() for v in plan.verdicts],
                "counts": plan.counts(),
                "entries": [e.to_dict() for e in plan.wanted],
                "conflicts": [c.to_dict() for c in plan.conflicts],
                "kept": [_entries.entry_dict(e) for e in plan.kept],
                "marked_not_ours": [_entries.entry_dict(e) for e in plan.marked],
            },
        }
        if self._task.diff:
            result["diff"] = _task_result.legacy_diff(host, plan, check_mode=check_mode)
        labels = {c.key: c.label for c in _catalogue.server_components().values()}
        return _Planned(
            plan.changed,
            result,
            _removals.of_legacy(plan, labels),
            lambda: firewall.apply_legacy(plan.opens, plan.closes),
        )


def _plan_read(plan: Mapping[str, Any]) -> str:
    """The read a plan stage's result carries."""
    text = plan.get("read")
    if not isinstance(text, str) or not text:
        raise _rules.RuleError(
            "plan: it is not the result of this module's plan stage for this host (it "
            "carries no read); register the plan stage's result and pass it whole"
        )
    return text


def _same_removals(plan: Mapping[str, Any], removals: list[_removals.Removal]) -> None:
    """The apply stage removes exactly what its plan stage said (and the guard judged)."""
    try:
        planned = [_removals.Removal.from_dict(r) for r in plan.get("removals") or []]
    except (ValueError, AttributeError, TypeError) as exc:
        raise _rules.RuleError(f"plan: its removals cannot be read ({exc})") from None
    if planned != removals:
        raise _rules.RuleError(
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
        raise _rules.RuleError("; ".join(problems))
    return limit, confirmed
