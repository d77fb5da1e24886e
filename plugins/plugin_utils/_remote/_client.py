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
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from ansible.errors import AnsibleConnectionFailure
from ansible.utils.display import Display

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import (
    HostError,
    InputError,
    StaleRead,
    WireError,
    listed,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _setup_rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _rules,
    _switches,
    _windows,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import GroupPlan
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import HostPolicy
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import (
    _convert,
    _platform,
    _switch,
    _wire,
)

_HERE = os.path.dirname(os.path.abspath(__file__))
_BOOTSTRAP_FILE = os.path.join(_HERE, "_bootstrap.ps1")
_PRELUDE_FILE = os.path.join(_HERE, "_prelude.ps1")
# The scripts the prelude comes before: the rules (read, apply) and the switch (the
# firewall's own settings, the rollback, the log).
_SCRIPT_FILES = {
    "firewall": os.path.join(_HERE, "_firewall.ps1"),
    "switch": os.path.join(_HERE, "_switch.ps1"),
}

display = Display()

# Enough of the host's output to diagnose a failure without flooding the task result.
_SHOWN_OUTPUT = 2000


@functools.cache
def _read_script(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


def bootstrap_text() -> str:
    """The command passed to the connection (the winrm plugin encodes it)."""
    return _read_script(_BOOTSTRAP_FILE)


def script_text(kind: str = "firewall") -> str:
    """The remote script as it is sent, the prelude then ``kind``'s script: without their
    comments, blank lines and indentation (every request carries it, and WinRM 2.0 hosts
    may take messages of as little as 32 KB). The files keep them: they are what people
    read."""
    return compact(_read_script(_PRELUDE_FILE)) + compact(_read_script(_SCRIPT_FILES[kind]))


@functools.cache
def compact(text: str) -> str:
    """``text`` (PowerShell without block comments or here-strings) without its comment
    lines, blank lines and leading and trailing white space."""
    kept = (line.strip() for line in text.splitlines())
    return "".join(line + "\n" for line in kept if line and not line.startswith("#"))


def build_stdin(request: str, kind: str = "firewall") -> bytes:
    """stdin of the bootstrap: script, the separator, then the request."""
    return script_text(kind).encode("ascii") + _wire.SEPARATOR + request.encode("utf-8")


def _excerpt(text: str) -> str:
    text = text.strip()
    if len(text) > _SHOWN_OUTPUT:
        return text[:_SHOWN_OUTPUT] + f"... ({len(text) - _SHOWN_OUTPUT} more characters)"
    return text


def outputs(res: dict[str, Any]) -> dict[str, Any]:
    """The command's output, for a failed task result."""
    return {"rc": res.get("rc"), "stdout": res.get("stdout", ""), "stderr": res.get("stderr", "")}


def _changes(plans: Sequence[GroupPlan]) -> str:
    parts = []
    for plan in plans:
        if plan.changed:
            parts.append(
                f"group {plan.group!r}: retire {listed(list(plan.retire))}, add "
                f"{listed([r.name for r in plan.adds])}"
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


def _keys(changes: Sequence[_wire.RuleChange]) -> list[tuple[str, str]]:
    return [(_rules.name_key(c.group), _rules.name_key(c.name)) for c in changes]


def _hold_keys(holds: Sequence[_wire.Hold]) -> list[tuple[str, str]]:
    return [(_rules.name_key(h.group), _rules.name_key(h.name)) for h in holds]


class _HintedConnectionFailure(AnsibleConnectionFailure):
    """A connection failure whose message already says what to do about it.

    Its message holds the original one, so ansible-core must not append the cause's again.
    """

    _include_cause_message = False


# Exit codes of _bootstrap.ps1 before the script runs.
_BOOTSTRAP_NO_SCRIPT = 3
_BOOTSTRAP_POWERSHELL_1 = 4


# --- what a read returns -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Read:
    """One read of a host: its versions (None from a reply without its HOST line), and its
    reply as the host wrote it (an apply carries the digest of what it was planned from; a
    plan stage hands the text on)."""

    versions: _wire.HostVersions | None
    text: str


@dataclasses.dataclass(frozen=True)
class RulesRead(Read):
    """A Windows Server 2008 or later host: its rules (of the groups read) and profiles."""

    rules: tuple[_rules.HostRule, ...]
    profiles: dict[str, dict[str, Any]]
    # The profiles in use and group policy above the rules.
    policy: HostPolicy = HostPolicy()
    # What listens on the host, who is connected (from a settings read that asked).
    listeners: tuple[_wire.Listener, ...] = ()
    connections: tuple[_wire.Connection, ...] = ()


@dataclasses.dataclass(frozen=True)
class EntriesRead(Read):
    """A Windows Server 2003 host: its two profiles and its open-port entries."""

    profiles: tuple[_wire.LegacyProfile, ...]
    entries: tuple[_wire.OpenPort, ...]
    policy: HostPolicy = HostPolicy(legacy=True)
    listeners: tuple[_wire.Listener, ...] = ()
    connections: tuple[_wire.Connection, ...] = ()


def _read_of(reply: _wire.Reply, text: str) -> Read:
    """The typed read of a complete read reply."""
    policy = _convert.host_policy(reply)
    if reply.legacy:
        return EntriesRead(
            reply.host,
            text,
            reply.legacy_profiles,
            reply.open_ports,
            policy,
        )
    profiles = {
        _windows.PROFILE_NAMES[p.type]: _convert.profile_dict(p)
        for p in reply.profiles
        if p.type in _windows.PROFILE_NAMES
    }
    rules = tuple(_convert.host_rule(r) for r in reply.rules)
    return RulesRead(reply.host, text, rules, profiles, policy)


@dataclasses.dataclass(frozen=True)
class SettingsRead:
    """A read of the firewall's own settings (the switch script's ``state``), its reply
    text, and, when asked, what listens on the host and who is connected to it."""

    settings: _switches.Settings
    text: str
    listeners: tuple[_wire.Listener, ...] = ()
    connections: tuple[_wire.Connection, ...] = ()


_Typed = TypeVar("_Typed", bound=Read)


def with_listeners(read: _Typed, found: SettingsRead) -> _Typed:
    """``read`` (a :class:`RulesRead` or :class:`EntriesRead`) with the listeners and
    connections a settings read found."""
    return dataclasses.replace(  # type: ignore[call-arg]
        read, listeners=found.listeners, connections=found.connections
    )


# --- one request of an apply ----------------------------------------------------------------


class Batch(Protocol):
    """One request of an apply, whatever the host's Windows: what it is, how to send it,
    and how to judge what the host did."""

    # What the request does, for messages ("Changing the Windows Firewall rules").
    what: str
    # After "the N requests before it were applied": what those could have changed.
    before: str

    @property
    def summary(self) -> str:
        """What the request carries, for -vvv (counts, never data)."""

    def request(self, seen: str) -> str:
        """The request text, carrying ``seen``, the digest of what it was planned from."""

    def lost(self, exc: BaseException) -> str:
        """What to say when the connection broke while the host was changing."""

    def partial(self, reply: _wire.Reply) -> tuple[str, dict[str, Any]] | None:
        """What the host did before it failed: a sentence and result fields (None: nothing)."""

    def verify(self, reply: _wire.Reply, res: dict[str, Any]) -> list[str]:
        """Raise :class:`HostError` when the host reports other changes than asked;
        otherwise the warnings to give (the change is done)."""


@dataclasses.dataclass(frozen=True)
class GroupBatch:
    """One request of a Windows Server 2008 (or later) apply: sections of groups."""

    plans: Sequence[GroupPlan]
    sections: tuple[_wire.Section, ...]
    watch: tuple[str, ...]
    # OCS setup's rules to hold and to release (the last request of an apply carries them).
    holds: tuple[_wire.Hold, ...] = ()
    releases: tuple[_wire.Hold, ...] = ()
    what = "Changing the Windows Firewall rules"
    before = ": they only added rules, or replaced them"

    @property
    def summary(self) -> str:
        return (
            f"apply to {len(self.sections)} group(s): retire "
            f"{sum(len(s.removes) for s in self.sections)}, add "
            f"{sum(len(s.adds) for s in self.sections)}, hold {len(self.holds)}, release "
            f"{len(self.releases)}"
        )

    def request(self, seen: str) -> str:
        return _wire.encode_apply(
            self.sections,
            _ownership.PATTERN,
            self.watch,
            seen,
            holds=self.holds,
            releases=self.releases,
            hold_mark=_setup_rules.HOLD_MARK,
        )

    def lost(self, exc: BaseException) -> str:
        return lost_connection_message(self.plans, exc)

    def partial(self, reply: _wire.Reply) -> tuple[str, dict[str, Any]] | None:
        if not (reply.retired or reply.added or reply.removed or reply.held or reply.released):
            return None
        added = [f"{c.group}: {c.name}" for c in reply.added]
        removed = [f"{c.group}: {c.name}" for c in reply.removed if c.count]
        fields: dict[str, Any] = {"changed": True, "added": added, "removed": removed}
        said = f"Before the failure the host had added {added} and removed {removed}"
        for key, changes in (("disabled", reply.held), ("enabled_again", reply.released)):
            names = [f"{c.group}: {c.name}" for c in changes if c.count]
            if names:
                fields[key] = names
                said += f", {key.replace('_', ' ')} {names}"
        return (
            f"{said}; rules it was replacing were still in place. Run the task again to converge.",
            fields,
        )

    def verify(self, reply: _wire.Reply, res: dict[str, Any]) -> list[str]:
        expected_retired = [(s.group, n) for s in self.sections for n in s.removes]
        expected_added = [(s.group, r.name) for s in self.sections for r in s.adds]
        expected = (
            [(_rules.name_key(g), _rules.name_key(n)) for g, n in expected_retired],
            [(_rules.name_key(g), _rules.name_key(n)) for g, n in expected_added],
        )
        reported = (_keys(reply.retired), _keys(reply.added))
        held = (_keys(reply.held), _keys(reply.released))
        if held != (_hold_keys(self.holds), _hold_keys(self.releases)):
            raise HostError(
                "The host's report of the change does not match the request: asked to hold "
                f"{[h.name for h in self.holds]} and release {[h.name for h in self.releases]} "
                f"of OCS setup's rules, it reports held {[c.name for c in reply.held]} and "
                f"released {[c.name for c in reply.released]}",
                {**outputs(res), "changed": True},
            )
        if reported != expected or _keys(reply.removed) != expected[0]:
            raise HostError(
                "The host's report of the change does not match the request: asked to retire "
                f"{expected_retired} and add {expected_added}, it reports retired "
                f"{[(c.group, c.name) for c in reply.retired]}, added "
                f"{[(c.group, c.name) for c in reply.added]} and removed "
                f"{[(c.group, c.name) for c in reply.removed]}",
                {**outputs(res), "changed": True},
            )
        return []


# --- the host's firewall ---------------------------------------------------------------------


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

    @property
    def request_budget(self) -> int:
        """The most request bytes one command carries (after the script and separator)."""
        fixed = len(script_text().encode("ascii")) + len(_wire.SEPARATOR)
        return _platform.stdin_budget(self.max_envelope_kb) - fixed

    def _execute(self, request: str, summary: str, kind: str = "firewall") -> dict[str, Any]:
        """Run one request of ``kind``'s script; ``summary`` says what it is for ``-vvv``
        (counts, never data)."""
        self.calls += 1
        stdin = build_stdin(request, kind)
        host = self.host_name()
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
            raise _HintedConnectionFailure(f"{exc} {hint}") from exc
        display.vvv(
            f"ocs.firewall: command {self.calls}: rc {res.get('rc')}, "
            f"{len(str(res.get('stdout', '')))} characters of reply",
            host=host,
        )
        return res

    def host_name(self) -> str | None:
        """The host as the connection names it (for -vvv and warnings)."""
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
            raise HostError(
                "The host runs PowerShell 1.0, and the collection needs PowerShell 2.0: on "
                "Windows Server 2008 install Windows Management Framework 2.0 (KB968930, "
                "which brings PowerShell 2.0 and WinRM 2.0), on Windows Server 2003 SP2 "
                "Windows Management Framework Core (KB968930; it needs .NET Framework 2.0 "
                "SP1). "
                f"stderr: {_excerpt(stderr) or '(empty)'}",
                outputs(res),
            )
        try:
            reply = _wire.decode_reply(stdout)
        except WireError as exc:
            raise HostError(
                f"The Windows Firewall script on the host failed (rc {rc}) and its output is "
                f"not a reply of the {_wire.VERSION} protocol ({exc}). "
                f"stderr: {_excerpt(stderr) or '(empty)'}; stdout: {_excerpt(stdout) or '(empty)'}",
                outputs(res),
            ) from None
        return reply

    @staticmethod
    def _check(reply: _wire.Reply, res: dict[str, Any], what: str) -> None:
        """Raise unless the reply is a complete success."""
        if reply.error is not None:
            raise HostError(f"{what} failed on the host: {reply.error}", outputs(res))
        if res.get("rc") != 0 or not reply.done:
            stderr = _excerpt(str(res.get("stderr", ""))) or "(empty)"
            raise HostError(
                f"{what} did not complete on the host (rc {res.get('rc')}, "
                f"{'DONE' if reply.done else 'no DONE line'}). stderr: {stderr}",
                outputs(res),
            )

    def read(self, groups: Sequence[str] = (), *, marked: bool = False) -> Read:
        """The rules of ``groups`` (every rule when empty and not ``marked``), with
        ``marked`` also every rule the collection made in any group, and the profiles; a
        Windows Server 2003 host returns its entries instead (:class:`EntriesRead`)."""
        marker = _ownership.PATTERN if marked else ""
        summary = f"read of {len(groups)} group(s){' and marked rules' if marked else ''}"
        res = self._execute(_wire.encode_read(groups, marker), summary)
        reply = self._decode(res)
        self._check(reply, res, "Reading the Windows Firewall rules")
        return _read_of(reply, str(res.get("stdout", "")))

    @staticmethod
    def restore(text: str) -> Read:
        """What an earlier :meth:`read` returned, from its reply text (:attr:`Read.text`);
        the host is not contacted. A text that is not a complete reply is an InputError."""
        try:
            reply = _wire.decode_reply(text)
        except WireError as exc:
            raise InputError(f"plan: the read it carries is not a reply ({exc})") from None
        if not reply.done or reply.error is not None or reply.host is None:
            raise InputError("plan: the read it carries is not a complete read reply")
        return _read_of(reply, text)

    # --- the switch script: the firewall's own settings, the rollback, the log -------------

    def _switch_reply(self, request: str, summary: str, what: str) -> tuple[_switch.Reply, str]:
        res = self._execute(request, summary, kind="switch")
        stdout = str(res.get("stdout", ""))
        try:
            reply = _switch.decode_reply(stdout)
        except WireError as exc:
            raise HostError(
                f"{what}: the script's output is not a reply of the {_wire.VERSION} protocol "
                f"({exc}). stderr: {_excerpt(str(res.get('stderr', ''))) or '(empty)'}; "
                f"stdout: {_excerpt(stdout) or '(empty)'}",
                outputs(res),
            ) from None
        if reply.error is not None:
            raise HostError(f"{what} failed on the host: {reply.error}", outputs(res))
        if res.get("rc") != 0 or not reply.done:
            raise HostError(
                f"{what} did not complete on the host (rc {res.get('rc')}). stderr: "
                f"{_excerpt(str(res.get('stderr', ''))) or '(empty)'}",
                outputs(res),
            )
        return reply, stdout

    def settings(self, *, listeners: bool = False) -> SettingsRead:
        """The firewall's service, profile switches, logs and any armed rollback, with the
        reply's text (for :meth:`restore_settings`); with ``listeners``, also what listens
        on the host and its established connections."""
        summary = "read of the firewall's settings" + (" and listeners" if listeners else "")
        reply, text = self._switch_reply(
            _switch.encode_state(listeners=listeners), summary, "Reading the settings"
        )
        try:
            return SettingsRead(_switch.settings_of(reply), text, *_switch.listeners_of(reply))
        except WireError as exc:
            raise HostError(f"Reading the settings: {exc}", {"stdout": text}) from None

    @staticmethod
    def restore_settings(text: str) -> _switches.Settings:
        """What an earlier :meth:`settings` returned, from its text; the host is not
        contacted."""
        try:
            reply = _switch.decode_reply(text)
            if not reply.done or reply.error is not None:
                raise WireError("it is not a complete reply")
            return _switch.settings_of(reply)
        except WireError as exc:
            raise InputError(f"plan: the settings it carries are not a reply ({exc})") from None

    def switch(self, request: str) -> _switch.Armed:
        """Arm the rollback, then change the settings (an ``encode_switch`` request)."""
        reply, text = self._switch_reply(request, "switch, armed", "Switching the firewall")
        try:
            return _switch.armed_of(reply)
        except WireError as exc:
            raise HostError(f"Switching the firewall: {exc}", {"stdout": text}) from None

    def reconnect(self) -> None:
        """Close the connection, so that the next command opens a new one (a firewall
        judges a new connection; the one in use was let in before the switch)."""
        self._action._connection.close()

    def confirm(self) -> bool:
        """Cancel the armed rollback; False when none was armed any more (it ran)."""
        reply, text = self._switch_reply(
            _switch.encode_confirm(), "confirmation", "Confirming the switch"
        )
        try:
            return _switch.confirmed_of(reply)
        except WireError as exc:
            raise HostError(f"Confirming the switch: {exc}", {"stdout": text}) from None

    def tail(self, lines: int, max_bytes: int) -> _switch.Tail:
        """The last ``lines`` lines (of the last ``max_bytes`` bytes) of each log file."""
        reply, _text = self._switch_reply(
            _switch.encode_tail(lines, max_bytes), "tail of the log", "Reading the log"
        )
        return _switch.tail_of(reply)

    def check_fits(self, group: str, rules: Sequence[_rules.Rule]) -> None:
        """Refuse, before the host is contacted, a rule too large for one WinRM message."""
        for rule in rules:
            section = _wire.Section(group, (rule.name,), (_convert.to_windows(rule),))
            try:
                _wire.split_apply([section], _ownership.PATTERN, self.request_budget, str)
            except WireError as exc:
                raise InputError(
                    f"{exc}; WinRM 2.0 hosts take messages of at most "
                    f"{self.max_envelope_kb} KB ({_platform.MAX_ENVELOPE_VARIABLE}): shorten "
                    "its description or its list of addresses"
                ) from None

    def too_large(self, exc: WireError) -> InputError:
        """The refusal of a change that no request of the envelope size can carry."""
        return InputError(
            f"{exc}: {_platform.MAX_ENVELOPE_VARIABLE} is {self.max_envelope_kb}; set it to "
            "the hosts' MaxEnvelopeSizekb if that is larger ('winrm get winrm/config'), or "
            "shorten the rule's description or its list of addresses"
        )

    def apply(
        self,
        read: RulesRead,
        plans: Sequence[GroupPlan],
        setup: _setup_rules.SetupPlan | None = None,
    ) -> None:
        """Apply every changed group of ``plans`` (planned from ``read``), and hold or
        release OCS setup's rules as ``setup`` says (in the last request, once every new
        rule is in place), in one command when it fits.

        Every request carries the digest of the plans' groups as the host reported them
        (the read, or the request before): a host whose rules changed since replies STALE
        and changes nothing, and this raises :class:`StaleRead`. A failure part way says
        what was done; whatever happened, no rule that stays wanted was removed before its
        replacement was in place.
        """
        sections = _convert.sections(plans)
        setup = setup or _setup_rules.SetupPlan()
        holds = tuple(_wire.Hold(_setup_rules.GROUP, n) for n in setup.hold)
        releases = tuple(_wire.Hold(_setup_rules.GROUP, n) for n in setup.release)
        watch = tuple(plan.group for plan in plans)
        if setup.changed:
            # Another run that held or released them in between makes this one stale.
            watch += (_setup_rules.GROUP,)
        # The hold lines ride with the last request: keep room for them in every one.
        room = 0
        if setup.changed:
            held = _wire.encode_apply((), "m", holds=holds, releases=releases, hold_mark="h")
            room = len(held.encode("utf-8"))
        try:
            cut = (
                _wire.split_apply(
                    sections, _ownership.PATTERN, self.request_budget - room, _rules.name_key, watch
                )
                if sections
                else [()]
            )
        except WireError as exc:
            raise self.too_large(exc) from None
        seen = _wire.digest(_wire.rule_lines(read.text, watch, _rules.name_key))
        batches = [GroupBatch(plans, batch, watch) for batch in cut]
        batches[-1] = dataclasses.replace(batches[-1], holds=holds, releases=releases)
        self.send(batches, seen)

    def send(self, batches: Sequence[Batch], seen: str) -> None:
        """Send the requests of an apply one after the other, each carrying the digest the
        host reported after the one before (the first: ``seen``, the read's). A failure
        says how many went before it; a request the host refused as stale (nothing
        changed) raises :class:`StaleRead`."""
        for number, batch in enumerate(batches):
            try:
                seen = self._send(batch, seen, number, len(batches))
            except HostError as exc:
                if number:
                    exc.message += (
                        f" (request {number + 1} of {len(batches)}; the {number} before it "
                        f"were applied{batch.before})"
                    )
                    exc.result["msg"] = exc.message
                raise

    def _send(self, batch: Batch, seen: str, number: int, total: int) -> str:
        """Send one request; the digest the host reports after it (for the next one)."""
        request = batch.request(seen)
        try:
            res = self._execute(request, batch.summary)
        # Whatever the connection raised, the request may have reached the host and run
        # there: the winrm plugin lets requests' ConnectionError through (a dropped socket),
        # raises AnsibleConnectionFailure on timeouts and AnsibleError when stdin could not
        # be sent, pywinrm its WinRMTransportError; psrp and ssh have their own. Task
        # timeouts and interrupts are BaseException and pass.
        except Exception as exc:
            res = self._after_send_failure(request, exc, batch.lost(exc))
        reply = self._decode(res)
        if reply.stale is not None and reply.done:
            raise StaleRead(number, total)
        try:
            self._check(reply, res, batch.what)
        except HostError as exc:
            partial = batch.partial(reply)
            if partial is None:
                raise
            said, fields = partial
            raise HostError(f"{exc.message} {said}", {**exc.result, **fields}) from None
        for warning in batch.verify(reply, res):
            display.warning(warning)
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
                raise HostError(
                    _platform.send_failure_message(self.max_envelope_kb, stdin_bytes),
                    {"changed": False, "exception": traceback.format_exc()},
                ) from exc
            try:
                reply = _wire.decode_reply(stdout)
            except WireError:
                reply = _wire.Reply()
            # The script ran to its end: judge its reply as if the command had returned.
            return {"rc": 0 if reply.done and reply.error is None else 2, "stdout": stdout}
        hint = _platform.connection_hint(text)
        message = lost
        # _execute may have put the hint into the exception already.
        if hint and not isinstance(exc, _HintedConnectionFailure):
            message = f"{message} {hint}"
        raise HostError(message, {"changed": True, "exception": traceback.format_exc()}) from exc


# Read when the controller's main process imports this module, as it does when it loads
# an action plugin, before it forks a worker per host: every worker inherits the scripts
# read and compacted. Read in a worker, each host would open the files again and import
# the text codec they are read with.
bootstrap_text()
for _kind in _SCRIPT_FILES:
    script_text(_kind)
