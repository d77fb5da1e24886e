# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the firewall's own settings, and what enforcing them means.
"""The switches above the rules: the firewall's service, each profile's switches, its log.

Rules only protect a host whose firewall is on and blocks what no rule allows. These are
the settings that decide it, as a read of the switch script reports them
(:mod:`.._remote._switch`), and what ``ocs_firewall_enforce`` and
``ocs_firewall_log_dropped`` make of them (:func:`target`):

* the service (MpsSvc; SharedAccess on Windows Server 2003) starts automatically and runs;
* each profile the host's rules use is on, blocks unsolicited inbound traffic by default,
  and does not block all inbound traffic (2003: its "Don't allow exceptions" is off, or
  no port entry would count); outbound stays as it is;
* the log of dropped packets is on (or off) in every profile, at the size given.

Pure: settings in, settings and their differences out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

# The service's Start values (HKLM\SYSTEM\CurrentControlSet\Services\<name>\Start).
START_AUTO = 2
START_NAMES = {2: "automatic", 3: "manual", 4: "disabled"}

# Profile types as the APIs number them.
PROFILE_TYPES = {"domain": 1, "private": 2, "public": 4}
LEGACY_PROFILE_TYPES = {"domain": 0, "standard": 1}

# The longest a host waits for the confirmation: the rollback is a daily task due at the
# first whole minute after the wait, which must come before the same time tomorrow.
MAX_CONFIRM_MINUTES = 1439

# Windows' own bounds of a firewall log (netsh: 1 to 32767 KB), and its default size.
MIN_LOG_KB = 1
MAX_LOG_KB = 32767
DEFAULT_LOG_KB = 4096


@dataclasses.dataclass(frozen=True)
class Switches:
    """One profile's switches: on or off, the default actions, block all inbound (2003:
    "Don't allow exceptions")."""

    enabled: bool
    inbound: str = "block"
    outbound: str = "allow"
    block_all: bool = False


@dataclasses.dataclass(frozen=True)
class Log:
    """One profile's log of dropped packets (2003 keeps one for both profiles)."""

    dropped: bool
    size_kb: int = DEFAULT_LOG_KB


@dataclasses.dataclass(frozen=True)
class Settings:
    """A host's firewall settings, by profile name (``domain``, ``private``, ``public``;
    on 2003 ``domain``, ``standard``). ``pending``: the due time of a rollback armed on
    the host and not yet run or confirmed."""

    legacy: bool
    service: str
    start: int
    running: bool
    profiles: tuple[tuple[str, Switches], ...]
    logs: tuple[tuple[str, Log], ...]
    paths: tuple[tuple[str, str], ...] = ()
    pending: str | None = None

    def profile(self, name: str) -> Switches:
        return dict(self.profiles)[name]

    def log(self, name: str) -> Log:
        return dict(self.logs)[name]

    def types(self) -> dict[str, int]:
        return LEGACY_PROFILE_TYPES if self.legacy else PROFILE_TYPES


@dataclasses.dataclass(frozen=True)
class Wanted:
    """What the inventory asks of the settings: enforcement in ``profiles`` (the host's
    profiles, as its rules use them), and the log of dropped packets (None: as it is)."""

    enforce: bool = False
    profiles: tuple[str, ...] = ()
    log_dropped: bool | None = None
    log_size_kb: int = DEFAULT_LOG_KB


@dataclasses.dataclass(frozen=True)
class Change:
    """One setting that changes: what it is, and its value before and after, in words."""

    setting: str
    before: str
    after: str

    def text(self) -> str:
        return f"{self.setting}: {self.before} -> {self.after}"

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def legacy_profile(profile: str) -> str:
    """A rule profile as Windows Server 2003 has it: the domain profile, or the standard
    profile for private and public."""
    return "domain" if profile == "domain" else "standard"


def target(settings: Settings, wanted: Wanted) -> Settings:
    """The settings once ``wanted`` is applied (``settings`` when it asks nothing)."""
    start, running = settings.start, settings.running
    profiles = dict(settings.profiles)
    if wanted.enforce:
        start, running = START_AUTO, True
        names = {legacy_profile(p) if settings.legacy else p for p in wanted.profiles}
        for name in names & set(profiles):
            profiles[name] = dataclasses.replace(
                profiles[name], enabled=True, inbound="block", block_all=False
            )
    logs = dict(settings.logs)
    if wanted.log_dropped is not None:
        logs = {name: Log(wanted.log_dropped, wanted.log_size_kb) for name in logs}
    return dataclasses.replace(
        settings,
        start=start,
        running=running,
        profiles=tuple(profiles.items()),
        logs=tuple(logs.items()),
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _on(value: bool) -> str:
    return "on" if value else "off"


def changes(before: Settings, after: Settings) -> list[Change]:
    """Each setting that differs, in the order a person reads them: the service, then
    each profile, then each log."""
    found: list[Change] = []

    def add(setting: str, old: str, new: str) -> None:
        if old != new:
            found.append(Change(setting, old, new))

    service = f"service {before.service}"
    add(
        f"{service}: start",
        START_NAMES.get(before.start, str(before.start)),
        START_NAMES.get(after.start, str(after.start)),
    )
    add(f"{service}: running", _yes(before.running), _yes(after.running))
    block_all = "don't allow exceptions" if before.legacy else "block all inbound"
    for name, old in before.profiles:
        new = after.profile(name)
        add(f"{name} profile: firewall", _on(old.enabled), _on(new.enabled))
        add(f"{name} profile: inbound", old.inbound, new.inbound)
        add(f"{name} profile: {block_all}", _yes(old.block_all), _yes(new.block_all))
    for name, old_log in before.logs:
        new_log = after.log(name)
        add(f"{name} profile: log dropped packets", _yes(old_log.dropped), _yes(new_log.dropped))
        add(f"{name} profile: log size (KB)", str(old_log.size_kb), str(new_log.size_kb))
    return found


def changed_parts(before: Settings, after: Settings) -> tuple[bool, list[str], list[str]]:
    """``(service, profiles, logs)``: what a switch request must set (a profile or a log
    whose values differ, whole)."""
    service = (before.start, before.running) != (after.start, after.running)
    profiles = [n for n, s in after.profiles if before.profile(n) != s]
    logs = [n for n, log in after.logs if before.log(n) != log]
    return service, profiles, logs


def enforced(settings: Settings, profiles: Sequence[str]) -> bool:
    """Whether the firewall is enforced in ``profiles`` (rule profiles, as wanted)."""
    if not (settings.running and settings.start == START_AUTO):
        return False
    names = {legacy_profile(p) if settings.legacy else p for p in profiles}
    for name in names & {n for n, _s in settings.profiles}:
        switches = settings.profile(name)
        if not switches.enabled or switches.inbound != "block" or switches.block_all:
            return False
    return True
