# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: run the fixed remote firewall script on a Windows host.
"""Run ``_firewall.ps1`` on the target through ``ActionBase._low_level_execute_command``.

The command line is always the same short bootstrap (``_bootstrap.ps1``); the script and
the request go over stdin, so no value ever becomes script text and the command line
stays far below cmd.exe's limit whatever the number of rules. One call is one round trip.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ansible.errors import AnsibleConnectionFailure
from ansible.utils.display import Display

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _plan,
    _rules,
    _windows,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import GroupPlan
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _platform, _wire

_HERE = os.path.dirname(os.path.abspath(__file__))
BOOTSTRAP_FILE = os.path.join(_HERE, "_bootstrap.ps1")
SCRIPT_FILE = os.path.join(_HERE, "_firewall.ps1")

display = Display()

# Enough of the host's output to diagnose a failure without flooding the task result.
_SHOWN_OUTPUT = 2000
# Rule names listed in a message before the rest are only counted.
_SHOWN_NAMES = 10


class RemoteError(Exception):
    """The host could not do what was asked; ``result`` goes into the task result."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result: dict[str, Any] = dict(result or {})
        self.result.update(failed=True, msg=message)


@functools.cache
def _read_script(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


def bootstrap_text() -> str:
    """The command passed to the connection (the winrm plugin encodes it)."""
    return _read_script(BOOTSTRAP_FILE)


def script_text() -> str:
    """The remote script as it is sent: without its comments, blank lines and indentation
    (every request carries it, and WinRM 2.0 hosts may take messages of as little as
    32 KB). The file keeps them: it is what people read."""
    return compact(_read_script(SCRIPT_FILE))


@functools.cache
def compact(text: str) -> str:
    """``text`` (PowerShell without block comments or here-strings) without its comment
    lines, blank lines and leading and trailing white space."""
    kept = (line.strip() for line in text.splitlines())
    return "".join(line + "\n" for line in kept if line and not line.startswith("#"))


def build_stdin(request: str) -> bytes:
    """stdin of the bootstrap: script, the separator, then the request."""
    return script_text().encode("ascii") + _wire.SEPARATOR + request.encode("utf-8")


def _excerpt(text: str) -> str:
    text = text.strip()
    if len(text) > _SHOWN_OUTPUT:
        return text[:_SHOWN_OUTPUT] + f"... ({len(text) - _SHOWN_OUTPUT} more characters)"
    return text


def _outputs(res: dict[str, Any]) -> dict[str, Any]:
    return {"rc": res.get("rc"), "stdout": res.get("stdout", ""), "stderr": res.get("stderr", "")}


def host_rule(record: _wire.WireRule) -> _rules.HostRule:
    """Canonical form of a RULE record."""
    # The record and the rule model name the managed properties alike (RULE_FIELDS).
    return _rules.HostRule(
        rule=_rules.rule_from_host(record),
        group=record.grouping,
        application=record.application,
        service=record.service,
        stored=tuple((field, getattr(record, field)) for field in _rules.RULE_FIELDS),
    )


def _action_name(number: int) -> str:
    return _windows.ACTION_NAMES.get(number, str(number))


def profile_dict(profile: _wire.WireProfile) -> dict[str, Any]:
    return {
        "enabled": profile.enabled,
        "default_inbound_action": _action_name(profile.inbound_action),
        "default_outbound_action": _action_name(profile.outbound_action),
    }


def _names(names: Sequence[str]) -> str:
    shown = [repr(n) for n in names[:_SHOWN_NAMES]]
    if len(names) > _SHOWN_NAMES:
        shown.append(f"... ({len(names) - _SHOWN_NAMES} more)")
    return "[" + ", ".join(shown) + "]"


def _changes(plans: Sequence[GroupPlan]) -> str:
    parts = []
    for plan in plans:
        if plan.changed:
            parts.append(
                f"group {plan.group!r}: retire {_names(list(plan.retire))}, add "
                f"{_names([r.name for r in plan.adds])}"
            )
    return "; ".join(parts)


def lost_connection_message(plans: Sequence[GroupPlan], exc: BaseException) -> str:
    """What a user needs to know when the link broke while the host was changing rules."""
    return (
        f"The connection to the host failed while it was changing its firewall rules "
        f"({type(exc).__name__}: {exc}). The change may have been applied in full, in part "
        f"or not at all ({_changes(plans)}); the host adds new rules before it removes old "
        "ones, so every port that stays wanted is still open. Run the task again once the "
        "host is reachable: it reads the rules first and completes the change, without "
        "duplicating rules."
    )


def legacy_lost_connection_message(
    opens: Sequence[_wire.Open], closes: Sequence[_wire.Close], exc: BaseException
) -> str:
    """:func:`lost_connection_message` for a 2003 host, whose change is entries."""
    return (
        f"The connection to the host failed while it was changing its firewall entries "
        f"({type(exc).__name__}: {exc}). The change may have been applied in full, in part "
        f"or not at all (open {len(opens)}, close {len(closes)} entries); the host opens "
        "entries before it closes any, so every port that stays wanted is still open. "
        "Run the task again once the host is reachable: it reads the entries first and "
        "completes the change."
    )


def _sections(plans: Sequence[GroupPlan]) -> list[_wire.Section]:
    return [
        _wire.Section(
            plan.group, plan.retire, tuple(_rules.to_windows(r) for r in plan.adds), plan.owns
        )
        for plan in plans
        if plan.changed
    ]


# How many times an apply is planned again when the host's rules changed since its read.
MAX_ATTEMPTS = 3


class StaleRead(Exception):
    """The host's rules (or 2003 entries) changed between the read and this apply: another
    run, or an administrator. The host changed nothing for this request (``number``: the
    request of a split apply, 0 for the first, after which nothing at all was changed)."""

    def __init__(self, number: int, total: int) -> None:
        super().__init__(f"request {number + 1} of {total} found the host changed since its read")
        self.number = number
        self.total = total


@dataclasses.dataclass
class Applied:
    """How an apply went: the plans made again after a stale read, and whether a request
    before the stale one had changed the host."""

    replans: int = 0
    changed_before: bool = False


def _legacy_key(change: _wire.PortChange) -> str:
    return _entries.key_text((change.profile, change.port, change.protocol))


def _keys(changes: Sequence[_wire.Change]) -> list[tuple[str, str]]:
    return [(_rules.name_key(c.group), _rules.name_key(c.name)) for c in changes]


# One request's part of an apply: a 2008 host's group sections, or a 2003 host's opens and
# closes.
_Batch = TypeVar("_Batch")


class HintedConnectionFailure(AnsibleConnectionFailure):
    """A connection failure whose message already says what to do about it.

    Its message holds the original one, so ansible-core must not append the cause's again.
    """

    _include_cause_message = False


# Exit codes of _bootstrap.ps1 before the script runs.
_BOOTSTRAP_NO_SCRIPT = 3
_BOOTSTRAP_POWERSHELL_1 = 4


@dataclasses.dataclass(frozen=True)
class LegacyRead:
    """The read of a Windows Server 2003 host: its two profiles and its entries."""

    profiles: tuple[_wire.LegacyProfile, ...]
    entries: tuple[_wire.OpenPort, ...]

    def profile_dicts(self) -> dict[str, dict[str, Any]]:
        return {
            _windows.LEGACY_PROFILE_NAMES.get(p.type, str(p.type)).lower(): {
                "enabled": p.enabled,
                "exceptions_not_allowed": p.exceptions_not_allowed,
                "current": p.current,
            }
            for p in self.profiles
        }


def legacy_refusal(what: str, host: _wire.HostVersions | None) -> str:
    """Why a module that manages rule groups cannot work on a 2003 host."""
    label = _platform.os_label(host.os_version) if host is not None else "Windows Server 2003"
    return (
        f"The host runs {label}, whose firewall has no rules or rule groups (only open-port "
        f"entries), so {what} cannot work on it; nothing was changed. "
        "ocs.firewall.win_ocs_firewall (playbooks/site.yml) manages such hosts in its reduced "
        "mode, and ocs.firewall.win_firewall_info reads their entries."
    )


class RemoteFirewall:
    """The firewall of the task's host, reached through an action plugin's connection.

    ``max_envelope_kb`` is the hosts' WinRM ``MaxEnvelopeSizekb``: an apply too large for
    one message is sent as several (:func:`._wire.split_apply`).
    """

    def __init__(
        self, action: Any, max_envelope_kb: int = _platform.DEFAULT_MAX_ENVELOPE_KB
    ) -> None:
        self._action = action
        self.calls = 0
        self.max_envelope_kb = max_envelope_kb
        # The OS and PowerShell versions of the last read.
        self.host: _wire.HostVersions | None = None
        # What the last read of a Windows Server 2003 host returned, else None.
        self.legacy: LegacyRead | None = None
        # The reply of the last read as the host wrote it: a plan stage hands it to its
        # apply stage, which plans from it again (restore) instead of reading again.
        self.reply_text = ""

    @property
    def request_budget(self) -> int:
        """The most request bytes one command carries (after the script and separator)."""
        fixed = len(script_text().encode("ascii")) + len(_wire.SEPARATOR)
        return _platform.stdin_budget(self.max_envelope_kb) - fixed

    def _execute(self, request: str, summary: str) -> dict[str, Any]:
        """Run one request; ``summary`` says what it is for ``-vvv`` (counts, never data)."""
        self.calls += 1
        stdin = build_stdin(request)
        host = self._host_name()
        display.vvv(
            f"ocs.firewall: command {self.calls}: {summary}, {len(stdin)} bytes of stdin",
            host=host,
        )
        try:
            res: dict[str, Any] = self._action._low_level_execute_command(
                bootstrap_text(), in_data=stdin, sudoable=False
            )
        except AnsibleConnectionFailure as exc:
            hint = _platform.connection_hint(str(exc))
            if hint is None:
                raise
            raise HintedConnectionFailure(f"{exc} {hint}") from exc
        display.vvv(
            f"ocs.firewall: command {self.calls}: rc {res.get('rc')}, "
            f"{len(str(res.get('stdout', '')))} characters of reply",
            host=host,
        )
        return res

    def _host_name(self) -> str | None:
        play_context = getattr(self._action, "_play_context", None)
        name = getattr(play_context, "remote_addr", None)
        return name if isinstance(name, str) else None

    @staticmethod
    def _decode(res: dict[str, Any]) -> _wire.Reply:
        """The reply in the result of :meth:`_execute`."""
        rc = res.get("rc")
        stdout = str(res.get("stdout", ""))
        stderr = str(res.get("stderr", ""))
        if rc == _BOOTSTRAP_POWERSHELL_1:
            raise RemoteError(
                "The host runs PowerShell 1.0, and the collection needs PowerShell 2.0: on "
                "Windows Server 2008 install Windows Management Framework 2.0 (KB968930, "
                "which brings PowerShell 2.0 and WinRM 2.0), on Windows Server 2003 SP2 "
                "Windows Management Framework Core (KB968930; it needs .NET Framework 2.0 "
                "SP1). "
                f"stderr: {_excerpt(stderr) or '(empty)'}",
                _outputs(res),
            )
        try:
            reply = _wire.decode_reply(stdout)
        except _wire.WireError as exc:
            raise RemoteError(
                f"The Windows Firewall script on the host failed (rc {rc}) and its output is "
                f"not a reply of the {_wire.VERSION} protocol ({exc}). "
                f"stderr: {_excerpt(stderr) or '(empty)'}; stdout: {_excerpt(stdout) or '(empty)'}",
                _outputs(res),
            ) from None
        return reply

    @staticmethod
    def _check(reply: _wire.Reply, res: dict[str, Any], what: str) -> None:
        """Raise unless the reply is a complete success."""
        if reply.error is not None:
            raise RemoteError(f"{what} failed on the host: {reply.error}", _outputs(res))
        if res.get("rc") != 0 or not reply.done:
            stderr = _excerpt(str(res.get("stderr", ""))) or "(empty)"
            raise RemoteError(
                f"{what} did not complete on the host (rc {res.get('rc')}, "
                f"{'DONE' if reply.done else 'no DONE line'}). stderr: {stderr}",
                _outputs(res),
            )

    def read(
        self, groups: Sequence[str] = (), *, marked: bool = False
    ) -> tuple[list[_rules.HostRule], dict[str, dict[str, Any]]]:
        """The rules of ``groups`` (every rule when empty and not ``marked``), with
        ``marked`` also every rule the collection made in any group, and the profiles."""
        marker = _ownership.PATTERN if marked else ""
        summary = f"read of {len(groups)} group(s){' and marked rules' if marked else ''}"
        res = self._execute(_wire.encode_read(groups, marker), summary)
        reply = self._decode(res)
        self._check(reply, res, "Reading the Windows Firewall rules")
        self.reply_text = str(res.get("stdout", ""))
        return self._take(reply)

    def restore(self, text: str) -> tuple[list[_rules.HostRule], dict[str, dict[str, Any]]]:
        """What an earlier :meth:`read` returned, from its reply text (:attr:`reply_text`);
        the host is not contacted. A text that is not a complete reply is a RuleError."""
        try:
            reply = _wire.decode_reply(text)
        except _wire.WireError as exc:
            raise _rules.RuleError(f"plan: the read it carries is not a reply ({exc})") from None
        if not reply.done or reply.error is not None or reply.host is None:
            raise _rules.RuleError("plan: the read it carries is not a complete read reply")
        self.reply_text = text
        return self._take(reply)

    def _take(self, reply: _wire.Reply) -> tuple[list[_rules.HostRule], dict[str, dict[str, Any]]]:
        self.host = reply.host
        self.legacy = LegacyRead(reply.legacy_profiles, reply.open_ports) if reply.legacy else None
        profiles = {
            _windows.PROFILE_NAMES[p.type]: profile_dict(p)
            for p in reply.profiles
            if p.type in _windows.PROFILE_NAMES
        }
        return [host_rule(r) for r in reply.rules], profiles

    def check_supported(self, rules: Sequence[_rules.Rule]) -> None:
        """Refuse, before any change, what the host's Windows version cannot store."""
        if self.host is None:
            return
        problems = _platform.unsupported(rules, self.host.os_version)
        if problems:
            raise _rules.RuleError("; ".join(problems))

    def check_fits(self, group: str, rules: Sequence[_rules.Rule]) -> None:
        """Refuse, before the host is contacted, a rule too large for one WinRM message."""
        for rule in rules:
            section = _wire.Section(group, (rule.name,), (_rules.to_windows(rule),))
            try:
                _wire.split_apply([section], _ownership.PATTERN, self.request_budget, str)
            except _wire.WireError as exc:
                raise _rules.RuleError(
                    f"{exc}; WinRM 2.0 hosts take messages of at most "
                    f"{self.max_envelope_kb} KB ({_platform.MAX_ENVELOPE_VARIABLE}): shorten "
                    "its description"
                ) from None

    def apply(self, plans: Sequence[GroupPlan]) -> None:
        """Apply every changed group of ``plans``, in one command when it fits.

        Every request carries the digest of the plans' groups as the host reported them
        (the last read, or the request before): a host whose rules changed since replies
        STALE and changes nothing, and this raises :class:`StaleRead`. A failure part way
        says what was done; whatever happened, no rule that stays wanted was removed before
        its replacement was in place.
        """
        sections = _sections(plans)
        watch = [plan.group for plan in plans]
        try:
            batches = _wire.split_apply(
                sections, _ownership.PATTERN, self.request_budget, _rules.name_key, watch
            )
        except _wire.WireError as exc:
            raise _rules.RuleError(self._too_large(exc)) from None
        seen = [_wire.digest(_wire.rule_lines(self.reply_text, watch, _rules.name_key))]

        def send(batch: tuple[_wire.Section, ...]) -> None:
            seen[0] = self._apply_batch(plans, batch, watch, seen[0], batches)

        self._in_order(batches, send, ": they only added rules, or replaced them")

    def _too_large(self, exc: _wire.WireError) -> str:
        return (
            f"{exc}: {_platform.MAX_ENVELOPE_VARIABLE} is {self.max_envelope_kb}; set it to "
            "the hosts' MaxEnvelopeSizekb if that is larger ('winrm get winrm/config'), or "
            "shorten the rule's description"
        )

    @staticmethod
    def _in_order(batches: Sequence[_Batch], apply: Callable[[_Batch], None], done: str) -> None:
        """Send ``batches`` one after the other; a failure says how many went before it
        (``done``: what those could have changed)."""
        for number, batch in enumerate(batches):
            try:
                apply(batch)
            except RemoteError as exc:
                if number:
                    exc.message += (
                        f" (request {number + 1} of {len(batches)}; the {number} before it "
                        f"were applied{done})"
                    )
                    exc.result["msg"] = exc.message
                raise

    def apply_legacy(self, opens: Sequence[_wire.Open], closes: Sequence[_wire.Close]) -> None:
        """Open and close the entries of a 2003 host, in one command when it fits.

        Every OPEN goes before any CLOSE (an OPEN overwrites its key in place), so a failure
        part way leaves every port that stays wanted open.
        """
        try:
            batches = _wire.split_legacy_apply(
                opens, closes, _entries.pattern(), self.request_budget
            )
        except _wire.WireError as exc:
            raise _rules.RuleError(self._too_large(exc)) from None
        seen = [_wire.digest(_wire.open_port_lines(self.reply_text))]

        def send(batch: tuple[tuple[_wire.Open, ...], tuple[_wire.Close, ...]]) -> None:
            seen[0] = self._apply_legacy_batch(*batch, seen[0], batches)

        self._in_order(batches, send, "")

    def _apply_legacy_batch(
        self,
        opens: Sequence[_wire.Open],
        closes: Sequence[_wire.Close],
        seen: str,
        batches: Sequence[Any],
    ) -> str:
        request = _wire.encode_legacy_apply(opens, closes, _entries.pattern(), seen)
        summary = f"apply to a 2003 host: open {len(opens)}, close {len(closes)} entries"
        try:
            res = self._execute(request, summary)
        except Exception as exc:
            res = self._after_send_failure(
                request, exc, legacy_lost_connection_message(opens, closes, exc)
            )
        reply = self._decode(res)
        if reply.stale is not None and reply.done:
            raise StaleRead(list(batches).index((tuple(opens), tuple(closes))), len(batches))
        try:
            self._check(reply, res, "Changing the Windows Firewall entries")
        except RemoteError as exc:
            if reply.opened or reply.closed:
                partial = {
                    "changed": True,
                    "opened": [_legacy_key(c) for c in reply.opened],
                    "closed": [_legacy_key(c) for c in reply.closed if c.count],
                }
                raise RemoteError(
                    f"{exc.message} Before the failure the host had opened "
                    f"{partial['opened']} and closed {partial['closed']}; no entry it was "
                    "to keep was closed. Run the task again to converge.",
                    {**exc.result, **partial},
                ) from None
            raise
        gone = [_legacy_key(c) for c in reply.closed if not c.count]
        if gone:
            # Closed or renamed by someone else between the read and the apply (a request
            # of a split apply, which the first one's digest does not cover).
            display.warning(
                f"ocs.firewall: {self._host_name() or 'the host'} no longer held the entries "
                f"{gone} as the collection had read them; they were left as they are (the "
                "next run reads them again)"
            )
        asked = [(o.profile, o.port, o.protocol) for o in opens]
        asked_closed = [(c.profile, c.port, c.protocol) for c in closes]
        told = [(c.profile, c.port, c.protocol) for c in reply.opened]
        told_closed = [(c.profile, c.port, c.protocol) for c in reply.closed]
        if told != asked or told_closed != asked_closed:
            raise RemoteError(
                "The host's report of the change does not match the request: asked to open "
                f"{asked} and close {asked_closed}, it reports opened {told} and closed "
                f"{told_closed}",
                {**_outputs(res), "changed": True},
            )
        return reply.digest or ""

    def _after_send_failure(self, request: str, exc: Exception, lost: str) -> dict[str, Any]:
        """What an apply whose command raised did; raises unless the host's reply is known
        (``lost``: what to say when the connection broke while the host was changing).

        ansible-core's winrm plugin raises "winrm send_input failed" with the command's
        stdout when stdin could not be sent: an empty stdout means the script never ran
        (it waits for all of its stdin), a reply means it ran and says what it did.
        """
        text = str(exc)
        if _platform.is_send_failure(text):
            stdout = (
                text.split("stdout: ", 1)[1].rsplit("\nstderr", 1)[0] if "stdout: " in text else ""
            )
            if not stdout.strip():
                stdin_bytes = len(build_stdin(request))
                raise RemoteError(
                    _platform.send_failure_message(self.max_envelope_kb, stdin_bytes),
                    {"changed": False, "exception": traceback.format_exc()},
                ) from exc
            try:
                reply = _wire.decode_reply(stdout)
            except _wire.WireError:
                reply = _wire.Reply()
            # The script ran to its end: judge its reply as if the command had returned.
            return {"rc": 0 if reply.done and reply.error is None else 2, "stdout": stdout}
        hint = _platform.connection_hint(text)
        message = lost
        # _execute may have put the hint into the exception already.
        if hint and not isinstance(exc, HintedConnectionFailure):
            message = f"{message} {hint}"
        raise RemoteError(message, {"changed": True, "exception": traceback.format_exc()}) from exc

    def _apply_batch(
        self,
        plans: Sequence[GroupPlan],
        sections: Sequence[_wire.Section],
        watch: Sequence[str],
        seen: str,
        batches: Sequence[Any],
    ) -> str:
        """Send one request of an apply; the digest the host reports after it (for the
        next request), or :class:`StaleRead` when the host changed since ``seen``."""
        request = _wire.encode_apply(sections, _ownership.PATTERN, watch, seen)
        summary = (
            f"apply to {len(sections)} group(s): retire "
            f"{sum(len(s.removes) for s in sections)}, add {sum(len(s.adds) for s in sections)}"
        )
        try:
            res = self._execute(request, summary)
        # Whatever the connection raised, the request may have reached the host and run
        # there: the winrm plugin lets requests' ConnectionError through (a dropped socket),
        # raises AnsibleConnectionFailure on timeouts and AnsibleError when stdin could not
        # be sent, pywinrm its WinRMTransportError; psrp and ssh have their own. Task
        # timeouts and interrupts are BaseException and pass.
        except Exception as exc:
            res = self._after_send_failure(request, exc, lost_connection_message(plans, exc))
        reply = self._decode(res)
        if reply.stale is not None and reply.done:
            raise StaleRead(list(batches).index(tuple(sections)), len(batches))
        try:
            self._check(reply, res, "Changing the Windows Firewall rules")
        except RemoteError as exc:
            if reply.retired or reply.added or reply.removed:
                partial = {
                    "changed": True,
                    "added": [f"{c.group}: {c.name}" for c in reply.added],
                    "removed": [f"{c.group}: {c.name}" for c in reply.removed if c.count],
                }
                raise RemoteError(
                    f"{exc.message} Before the failure the host had added {partial['added']} "
                    f"and removed {partial['removed']}; rules it was replacing were still in "
                    "place. Run the task again to converge.",
                    {**exc.result, **partial},
                ) from None
            raise
        expected_retired = [(s.group, n) for s in sections for n in s.removes]
        expected_added = [(s.group, r.name) for s in sections for r in s.adds]
        expected = (
            [(_rules.name_key(g), _rules.name_key(n)) for g, n in expected_retired],
            [(_rules.name_key(g), _rules.name_key(n)) for g, n in expected_added],
        )
        reported = (_keys(reply.retired), _keys(reply.added))
        if reported != expected or _keys(reply.removed) != expected[0]:
            raise RemoteError(
                "The host's report of the change does not match the request: asked to retire "
                f"{expected_retired} and add {expected_added}, it reports retired "
                f"{[(c.group, c.name) for c in reply.retired]}, added "
                f"{[(c.group, c.name) for c in reply.added]} and removed "
                f"{[(c.group, c.name) for c in reply.removed]}",
                {**_outputs(res), "changed": True},
            )
        return reply.digest or ""


class FirewallAction(_action.TaskAction):
    """The ``run_task`` the collection's host-facing action plugins share.

    It hands the validated arguments to :meth:`run_firewall` with the host's firewall; a
    bad value (:class:`~._rules.RuleError`, named after the host) or a host failure
    (:class:`RemoteError`) becomes a failed result. ``run_firewall`` checks its values
    before its first call to the firewall, so bad input never reaches a host.
    """

    _requires_connection = True

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        try:
            problem = _platform.connection_problem(getattr(self._connection, "transport", None))
            if problem:
                raise _rules.RuleError(problem)
            firewall = RemoteFirewall(self, self._max_envelope_kb(task_vars))
            return self.run_firewall(args, firewall, task_vars)
        except _rules.RuleError as exc:
            message = str(exc)
            host = task_vars.get("inventory_hostname")
            if host and not message.startswith(f"{host}: "):
                message = f"{host}: {message}"
            return {"failed": True, "msg": message}
        except RemoteError as exc:
            return exc.result

    def _max_envelope_kb(self, task_vars: dict[str, Any]) -> int:
        name = _platform.MAX_ENVELOPE_VARIABLE
        if name not in task_vars:
            return _platform.DEFAULT_MAX_ENVELOPE_KB
        try:
            return _platform.check_max_envelope_kb(self._templar.template(task_vars[name]))
        except ValueError as exc:
            raise _rules.RuleError(str(exc)) from None

    def run_firewall(
        self, args: dict[str, Any], firewall: RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        """The task's result fields, from its validated ``args``."""
        raise NotImplementedError

    def apply_fresh(
        self,
        host: str,
        apply: Callable[[], None],
        replan: Callable[[], Callable[[], None] | None],
    ) -> Applied:
        """Run ``apply``; when the host's rules changed since they were read (another run,
        an administrator: the host replies STALE and changes nothing), say so, ``replan``
        (read again and plan again: the next apply, or None when nothing is left to do) and
        apply that, :data:`MAX_ATTEMPTS` times at most. Two runs on one host thus never act
        on each other's stale reads: the later one plans from what the first left.
        ``replan`` raises :class:`~._rules.RuleError` to stop (the host changed in a way
        the run may not follow without a person)."""
        applied = Applied()
        while True:
            try:
                apply()
                return applied
            except StaleRead as exc:
                applied.changed_before = applied.changed_before or exc.number > 0
                before = f"; the {exc.number} before it were applied" if exc.number else ""
                said = (
                    f"{self._task.get_name()}: the firewall of {host} changed between the "
                    f"read and the apply (another run, or an administrator): {exc}, and it "
                    f"changed nothing{before}"
                )
                if applied.replans + 1 >= MAX_ATTEMPTS:
                    raise RemoteError(
                        f"{said}. Read and planned again {applied.replans} time(s), it had "
                        "changed every time: find what keeps changing it, then run again",
                        {"changed": applied.changed_before},
                    ) from None
                self._display.warning(f"{said}; reading it and planning again")
            applied.replans += 1
            try:
                following = replan()
            except _rules.RuleError as exc:
                raise RemoteError(str(exc), {"changed": applied.changed_before}) from None
            if following is None:
                return applied
            apply = following

    def warn_foreign(
        self, plans: Sequence[GroupPlan], elsewhere: Sequence[_rules.HostRule] = ()
    ) -> None:
        """Say which rules of managed groups the task left alone: rules the collection did
        not make, rules the other part of it manages (a catalogue rule in a task's group, a
        task's rule in a component's group), and rules that carry its marker but are not
        its own (``elsewhere``: those outside the groups planned)."""
        marked = [h for plan in plans for h in plan.marked] + list(elsewhere)
        if marked:
            names = _names([f"{h.group or '(no group)'}: {h.rule.name}" for h in marked])
            self._display.warning(
                f"{self._task.get_name()}: {len(marked)} rule(s) carry the collection's "
                "marker but are not its own here (a copy, a rule of a catalogue entry it does "
                f"not have, or one outside its groups), left as they are: {names}. A group a "
                "component of the host used to have is the collection's again while "
                "ocs_<component>_group names it"
            )
        for plan in plans:
            if plan.foreign:
                names = _names([h.rule.name for h in plan.foreign])
                self._display.warning(
                    f"{self._task.get_name()}: group {plan.group!r} holds "
                    f"{len(plan.foreign)} rule(s) the collection did not make, left as they "
                    f"are: {names}"
                )
            if plan.others:
                names = _names([h.rule.name for h in plan.others])
                manager = (
                    "ocs.firewall.win_ocs_firewall built from the catalogue"
                    if plan.reason == _plan.TASK
                    else "an ocs.firewall.win_firewall_rules task wrote"
                )
                self._display.warning(
                    f"{self._task.get_name()}: group {plan.group!r} holds "
                    f"{len(plan.others)} rule(s) {manager}, left to it: {names}"
                )
