# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the two ways a host's firewall is managed, behind one face.
"""Rule groups (Windows Server 2008 and later) or the reduced mode (Windows Server 2003).

A host's read says which firewall it has (:class:`.._remote._client.RulesRead` or
:class:`~.._remote._client.EntriesRead`); :func:`engine_for` picks the engine, and the
actions ask it the same things whatever the host runs:

* :meth:`Engine.plan`: the host's request as a :class:`HostPlan`, the task result before
  the apply, what it removes (for the removal guard), its warnings and how to apply it;
* :meth:`Engine.audit`: the drift findings;
* :meth:`Engine.info`: what ``win_firewall_info`` returns.

A task that manages one rule group takes :func:`rule_groups` of its read, which refuses a
2003 host.

The rule groups engine is the 2008 path through :mod:`.._estate`, :mod:`.._remote` and
:mod:`.._reports`; the reduced mode engine is all of :mod:`.._reduced_mode`, which no other
package imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import HostError, InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _host_request,
    _removals,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _policy,
    _rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import (
    _apply,
    _entries,
    _result,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import (
    _audit as _entries_audit,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit, _task_result

# What the reduced mode of a Windows Server 2003 host may do (its variables, checked).
ReducedModeOptions = _entries.Options


@dataclasses.dataclass
class HostPlan:
    """One host's plan, whatever its Windows: the task result it makes (before the apply),
    what it removes, what to warn about, and how to apply it."""

    changed: bool
    result: dict[str, Any]
    removals: list[_removals.Removal]
    warnings: list[str]
    apply: Callable[[], None]
    # OCS setup's rules this plan holds (disables): a rollback of a switch brings them back.
    holds: tuple[str, ...] = ()


class Engine(Protocol):
    """What the actions ask of a host's firewall, whichever it is."""

    def plan(
        self, host: str, request: _host_request.HostRequest, *, check_mode: bool, with_diff: bool
    ) -> HostPlan:
        """The plan of ``request`` against the read."""

    def audit(
        self, request: _host_request.HostRequest, accepted: Iterable[str]
    ) -> list[dict[str, Any]]:
        """The drift findings of the read against ``request`` (decommissioning on)."""

    def info(self, groups: Sequence[str], *, owned: bool, stored: bool) -> dict[str, Any]:
        """win_firewall_info's ``rules`` and ``profiles`` (and, on 2003, ``entries``)."""


@dataclasses.dataclass(frozen=True)
class _RuleGroups:
    """Windows Server 2008 and later: rules in groups."""

    client: _client.RemoteFirewall
    read: _client.RulesRead

    def plan(
        self, host: str, request: _host_request.HostRequest, *, check_mode: bool, with_diff: bool
    ) -> HostPlan:
        plans = _host_request.plan_host(request, self.read.rules)
        setup = _host_request.plan_setup(request, plans, self.read.rules)
        at_stake = {
            p for plan in plans for rule in plan.after if rule.enabled for p in rule.profiles
        }
        obstacles, warnings = policy_check(host, request, self.read.policy, sorted(at_stake))
        versions = self.read.versions
        _platform.check_supported(
            [rule for plan in plans for rule in plan.adds],
            versions.os_version if versions is not None else None,
        )
        elsewhere = _host_request.marked_elsewhere(plans, self.read.rules)
        result = _task_result.result(
            host,
            plans,
            elsewhere,
            check_mode=check_mode,
            with_diff=with_diff,
            setup=setup,
            labels=request.labels,
        )
        result["policy"] = policy_result(obstacles)
        _say_not_in_effect(result, obstacles)
        return HostPlan(
            changed=result["changed"],
            result=result,
            removals=_removals.of_plans(plans),
            warnings=_task_result.warnings(plans, elsewhere) + warnings,
            apply=lambda: self.client.apply(self.read, plans, setup),
            holds=setup.hold,
        )

    def audit(
        self, request: _host_request.HostRequest, accepted: Iterable[str]
    ) -> list[dict[str, Any]]:
        return _audit.audit(
            request, self.read.rules, self.read.profiles, accepted, self.read.policy
        )

    def info(self, groups: Sequence[str], *, owned: bool, stored: bool) -> dict[str, Any]:
        keys = {_rules.name_key(g) for g in groups}
        rules = []
        for host_rule in self.read.rules:
            rule = host_rule.to_dict()
            # The host returns every rule whose description holds the marker text; only
            # those that end with a marker are the collection's.
            rule["owned"] = _ownership.is_owned(host_rule.rule.description)
            if stored:
                rule["stored"] = dict(host_rule.stored)
            if rule["owned"] or _rules.name_key(host_rule.group) in keys or not owned:
                rules.append(rule)
        return {"rules": rules, "profiles": self.read.profiles}


@dataclasses.dataclass(frozen=True)
class _ReducedMode:
    """Windows Server 2003: open-port entries, in the reduced mode."""

    client: _client.RemoteFirewall
    read: _client.EntriesRead
    options: _entries.Options

    def plan(
        self, host: str, request: _host_request.HostRequest, *, check_mode: bool, with_diff: bool
    ) -> HostPlan:
        plan = _entries.plan_entries(
            request.settings,
            request.remotes,
            self.read.entries,
            options=self.options,
            remove_unassigned=request.remove_unassigned,
        )
        obstacles, warnings = policy_check(host, request, self.read.policy)
        versions = self.read.versions
        platform = _platform.os_label(versions.os_version) if versions is not None else ""
        result = _result.result(host, plan, platform, check_mode=check_mode, with_diff=with_diff)
        result["policy"] = policy_result(obstacles)
        _say_not_in_effect(result, obstacles)
        return HostPlan(
            changed=plan.changed,
            result=result,
            removals=_entries.removals(plan),
            warnings=_result.warnings(host, plan) + warnings,
            apply=lambda: _apply.apply(self.client, self.read, plan),
        )

    def audit(
        self, request: _host_request.HostRequest, accepted: Iterable[str]
    ) -> list[dict[str, Any]]:
        findings = _entries_audit.audit(
            request, self.options, self.read.profiles, self.read.entries, accepted
        )
        # The profiles' own "Don't allow exceptions" is exceptions_not_allowed already.
        found = [o for o in _policy.obstacles(self.read.policy) if o.by_policy]
        findings += _audit.policy_findings(found)
        return sorted(findings, key=lambda f: _audit.KINDS.index(f["kind"]))

    def info(self, groups: Sequence[str], *, owned: bool, stored: bool) -> dict[str, Any]:
        del groups, stored  # no groups, and entries store what they show
        return _result.info(self.read.entries, self.read.profiles, owned=owned)


def policy_check(
    host: str,
    request: _host_request.HostRequest,
    policy: _policy.HostPolicy,
    profiles: Sequence[str] | None = None,
) -> tuple[list[_policy.Obstacle], list[str]]:
    """What keeps local rules from taking effect in ``profiles`` (None: any), and the
    warnings to give. One in a profile the host is on fails the host before it is changed
    (``ocs_firewall_policy_check: fail``, the default), or is a warning (``warn``)."""
    found = _policy.obstacles(policy, profiles)
    blocking = [o for o in found if o.current]
    if not blocking:
        return found, []
    if request.policy_check == "fail":
        raise HostError(
            _policy.refusal(host, blocking),
            {"changed": False, "in_sync": False, "policy": policy_result(found)},
        )
    return found, [_policy.refusal(host, blocking, applied=True)]


def _say_not_in_effect(result: dict[str, Any], found: Sequence[_policy.Obstacle]) -> None:
    """A host whose rules would not take effect says so in its one line (with
    ``ocs_firewall_policy_check: warn``: it was not refused)."""
    blocking = [o for o in found if o.current]
    if blocking:
        result["msg"] += f"; the rules are not in effect: {'; '.join(o.text() for o in blocking)}"


def policy_result(found: Sequence[_policy.Obstacle]) -> dict[str, Any]:
    """A result's ``policy``: what keeps local rules from taking effect, and whether the
    host's rules take effect in the profiles it is on."""
    return {
        "obstacles": [o.to_dict() for o in found],
        "effective": not any(o.current for o in found),
    }


def engine_for(
    client: _client.RemoteFirewall,
    read: _client.Read,
    options: _entries.Options | None = None,
) -> Engine:
    """The engine of the host ``read`` came from (``options``: the reduced mode's, checked
    before the host was contacted)."""
    if isinstance(read, _client.EntriesRead):
        return _ReducedMode(client, read, options or _entries.Options())
    return _RuleGroups(client, rule_groups(read, "ocs.firewall"))


def rule_groups(read: _client.Read, what: str) -> _client.RulesRead:
    """``read`` as the read of a host with rule groups; a Windows Server 2003 host's is
    refused, naming ``what`` (the module), with nothing changed."""
    if isinstance(read, _client.RulesRead):
        return read
    raise HostError(_result.refusal(what, read.versions), {"changed": False})


def reduced_mode_options(variables: Mapping[str, Any]) -> _entries.Options:
    """The reduced mode's variables of a task's host, checked before the host is
    contacted, whatever it runs (its Windows is not known before the read)."""
    problems: list[str] = []
    values = _variables.read_values(variables, _entries.VARIABLES, problems)
    options, found = _entries.check_options(values)
    if problems or found or options is None:
        raise InputError("; ".join([*problems, *found]))
    return options
