# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the firewall switched on, guarded, armed and confirmed.
"""Enforcement in a host's run (``win_ocs_firewall``, so ``site.yml``).

With ``ocs_firewall_enforce`` or ``ocs_firewall_log_dropped`` set, the plan stage reads
every rule and the firewall's settings, and plans the settings as well as the rules
(:func:`plan`): what changes, and, before anything does, the lockout guard and any
rollback still armed on the host refuse the host. The apply stage applies the rules first,
then (:func:`switch`) arms a rollback on the host and changes the settings in one command,
closes the connection, and confirms over a new one: a host that cannot be reached again
rolls itself back when the rollback is due. Without the variables nothing here runs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import (
    HostError,
    InputError,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _enforcement,
    _host_request,
    _setup_rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _plan,
    _rules,
    _switches,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _switch, _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _readiness,
    _task_result,
)

Options = _enforcement.Options

# The confirmation's attempts over a new connection, and the pause between them.
_CONFIRM_ATTEMPTS = 3
_CONFIRM_PAUSE = 2.0


def options(variables: Mapping[str, Any]) -> Options:
    """The host's enforcement options, checked before it is contacted. The others are
    read only when one of the two switches is given (a run without them reads no more
    variables than before; the preflight checks every value anyway)."""
    problems: list[str] = []
    switches = (_enforcement.ENFORCE, _enforcement.LOG_DROPPED)
    values = _variables.read_values(variables, switches, problems)
    quiet = values.get(_enforcement.ENFORCE) in (None, False)
    if not problems and quiet and values.get(_enforcement.LOG_DROPPED) is None:
        found, more = _enforcement.check_options(values)
        if found is not None and not found.active:
            return found
    values = _variables.read_values(variables, _enforcement.VARIABLES, problems)
    found, more = _enforcement.check_options(values)
    if problems or more or found is None:
        raise InputError("; ".join([*problems, *more]))
    return found


@dataclasses.dataclass(frozen=True)
class SwitchPlan:
    """The settings' plan of one host: before, after, what changes, the rules this run
    holds (a rollback brings them back), and the readiness findings (enforcing, 2008)."""

    options: Options
    profiles: tuple[str, ...]
    before: _switches.Settings
    after: _switches.Settings
    changes: tuple[_switches.Change, ...]
    releases: tuple[_wire.Hold, ...] = ()
    readiness: tuple[dict[str, Any], ...] | None = None
    # ocs_firewall_management_rule: the plan of the management group, applied before the
    # switch.
    management: _plan.GroupPlan | None = None
    host: str = "the host"

    @property
    def changed(self) -> bool:
        return bool(self.changes) or bool(self.management and self.management.changed)


def _profiles(request: _host_request.HostRequest) -> tuple[str, ...]:
    """The profiles the host's rules use (its components' that are present)."""
    used = {p for s in request.settings if s.state == "present" for p in s.profiles}
    return tuple(sorted(used))


def plan(
    host: str,
    request: _host_request.HostRequest,
    read: _client.Read,
    settings: _switches.Settings,
    found: Options,
    connection_port: int | None,
    holds: Sequence[str] = (),
) -> SwitchPlan:
    """The settings' plan; raises :class:`HostError` (nothing changed) when a rollback is
    still armed on the host, or when enforcing would cut the management off."""
    if settings.pending is not None:
        raise HostError(
            f"{host}: a rollback an earlier run armed is due at {settings.pending} (host "
            "time): that run could not confirm its switch. Nothing was changed; run again "
            "once the rollback has run (the host's settings are then as they were before it)",
            {"changed": False, "in_sync": False},
        )
    wanted = _switches.Wanted(
        enforce=found.enforce,
        profiles=_profiles(request),
        log_dropped=found.log_dropped,
        log_size_kb=found.log_size_kb,
    )
    after = _switches.target(settings, wanted)
    changes = tuple(_switches.changes(settings, after))
    readiness = None
    management = _management(host, read, found, connection_port)
    if found.enforce and changes:
        problems = _lockout(read, request, after, found, connection_port, management)
        if problems:
            raise HostError(
                _enforcement.refusal(host, problems, found), {"changed": False, "in_sync": False}
            )
    if found.enforce and isinstance(read, _client.RulesRead):
        readiness = tuple(_readiness.findings(request, read))
    releases = tuple(_wire.Hold(_setup_rules.GROUP, name) for name in holds)
    return SwitchPlan(
        found, wanted.profiles, settings, after, changes, releases, readiness, management, host
    )


def _management(
    host: str, read: _client.Read, found: Options, connection_port: int | None
) -> _plan.GroupPlan | None:
    """The plan of the management group (``ocs_firewall_management_rule``), or None."""
    if not (found.enforce and found.management_rule):
        return None
    if not isinstance(read, _client.RulesRead):
        raise HostError(
            f"{host}: {_enforcement.MANAGEMENT_RULE}: Windows Server 2003 has no rules to add; "
            "open the management ports with a port entry of your own (winrm quickconfig "
            "makes WinRM's), then run again. Nothing was changed",
            {"changed": False, "in_sync": False},
        )
    group = _enforcement.MANAGEMENT_GROUP
    in_group = [h for h in read.rules if _rules.same_name(h.group, group)]
    desired = _enforcement.management_rules(found, connection_port)
    return _plan.plan_group(group, desired, in_group, ids=_catalogue.entry_ids())


def _lockout(
    read: _client.Read,
    request: _host_request.HostRequest,
    after: _switches.Settings,
    found: Options,
    connection_port: int | None,
    management: _plan.GroupPlan | None = None,
) -> list[str]:
    if isinstance(read, _client.RulesRead):
        left = _readiness.rules_after(request, read)
        if management is not None:
            # The management group as the run leaves it.
            group = management.group
            left = [h for h in left if not _rules.same_name(h.group, group)]
            left += [_rules.HostRule(rule, group) for rule in management.after]
        # As for a listener: the program behind a port is not known (WinRM's is HTTP.sys,
        # in the System process), so a rule for a program counts where it names the port;
        # WinRM listens on every address of the host.
        rules = _readiness.any_local(_readiness.for_listeners(left))
        return _enforcement.lockout(rules, read.policy, after, found, connection_port)
    if not isinstance(read, _client.EntriesRead):
        raise HostError("the read says neither rules nor entries", {"changed": False})
    entries = [
        _enforcement.LegacyEntry(
            profile="domain" if e.profile == 0 else "standard",
            port=e.port,
            protocol="tcp" if e.protocol == 6 else "udp",
            enabled=e.enabled,
            remote_addresses=tuple(a.strip() for a in e.remote_addresses.split(",") if a.strip()),
        )
        for e in read.entries
    ]
    return _enforcement.legacy_lockout(entries, read.policy, after, found, connection_port)


def add_to_result(result: dict[str, Any], planned: SwitchPlan, *, check_mode: bool) -> None:
    """The settings' plan in a task result: ``enforcement``, the line, the diff."""
    result["enforcement"] = {
        "enforce": planned.options.enforce,
        "enforced": planned.options.enforce and _switches.enforced(planned.after, planned.profiles),
        "changes": [c.to_dict() for c in planned.changes],
        "confirmed": None,
        "due": None,
    }
    if planned.readiness is not None:
        result["readiness"] = list(planned.readiness)
        result["readiness_counts"] = _readiness.counts(planned.readiness)
    management = planned.management
    if management is not None and management.changed:
        result["changed"] = result.get("changed", False) or check_mode
        result["enforcement"]["management"] = {
            "group": management.group,
            "added": list(management.added),
            "updated": list(management.updated),
        }
        verb = "to add" if check_mode else "added"
        result["msg"] += f"; management rules ({management.group}): {len(management.adds)} {verb}"
        if "diff" in result:
            # The rules' items, without the summary line the result has already.
            items = _task_result.diff(planned.host, [management], check_mode=check_mode)
            result["diff"] += items[1:]
    if planned.changes:
        result["changed"] = result.get("changed", False) or check_mode
        verb = "to change" if check_mode else "changed"
        result["msg"] += (
            f"; firewall settings: {len(planned.changes)} {verb} ("
            + ", ".join(c.text() for c in planned.changes)
            + ")"
        )
        if "diff" in result:
            result["diff"].append(
                {
                    "before_header": "firewall settings",
                    "after_header": "firewall settings",
                    "before": "".join(f"{c.setting}: {c.before}\n" for c in planned.changes),
                    "after": "".join(f"{c.setting}: {c.after}\n" for c in planned.changes),
                }
            )


def readiness_warning(host: str, planned: SwitchPlan) -> list[str]:
    """A warning when something the host serves now would be blocked once enforced."""
    if not planned.readiness or not planned.changes:
        return []
    texts = [str(f["detail"]) for f in planned.readiness]
    return [
        f"{host}: {len(texts)} thing(s) the host serves now would be blocked once the "
        f"firewall is on (playbooks/readiness.yml lists them): {'; '.join(texts[:5])}"
        + (" ..." if len(texts) > 5 else "")
    ]


def switch(host: str, firewall: _client.RemoteFirewall, planned: SwitchPlan) -> dict[str, Any]:
    """Arm the rollback and change the settings, then confirm over a new connection.
    Returns the result's ``enforcement`` fields; raises :class:`HostError` when the host
    could not be reached again (it rolls back when due) or rolled back already."""
    service, profiles, logs = _switches.changed_parts(planned.before, planned.after)
    request = _switch.encode_switch(
        planned.after,
        service=service,
        profiles=profiles,
        logs=logs,
        minutes=planned.options.confirm_minutes,
        runner=_client.script_text("switch"),
        releases=planned.releases,
        hold_mark=_setup_rules.HOLD_MARK,
    )
    armed = firewall.switch(request)
    failure: BaseException | None = None
    for attempt in range(_CONFIRM_ATTEMPTS):
        if attempt:
            time.sleep(_CONFIRM_PAUSE)
        try:
            firewall.reconnect()
            confirmed = firewall.confirm()
        except (AnsibleConnectionFailure, HostError) as exc:
            failure = exc
            continue
        if not confirmed:
            raise HostError(
                f"{host}: the firewall's settings were changed, and the rollback ran before "
                f"the confirmation reached the host (due {armed.due}, host time): the "
                "settings are as they were before the run (the rules stay as applied). "
                f"Raise {_variables.CONFIRM_MINUTES} if the host is slow to answer",
                {"changed": True, "in_sync": False, "rolled_back": True},
            )
        return {"confirmed": True, "due": armed.due, "set": list(armed.set)}
    raise HostError(
        f"{host}: after the firewall's settings were changed, the controller could not "
        f"reach the host over a new connection ({failure}). The host rolls its settings "
        f"back at {armed.due} (host time: {_variables.CONFIRM_MINUTES}, "
        f"{planned.options.confirm_minutes}, after the switch), "
        "and the next run starts from there; nothing else of the host changes. Check "
        f"that {_variables.MANAGEMENT_ADDRESSES} holds the address the controller "
        "connects from",
        {"changed": True, "in_sync": False, "rolling_back": armed.due},
    )
