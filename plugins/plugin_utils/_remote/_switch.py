# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the switch script's requests and replies (OCSFW2).
"""The requests ``_switch.ps1`` takes and the replies it gives (``docs/dev/contracts.md``,
"The switch"): the settings' read (``state``), a change armed with its rollback
(``switch``), the confirmation (``confirm``) and the log's tail (``tail``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import WireError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    LEGACY_PROFILE_TYPES,
    MAX_CONFIRM_MINUTES,
    MAX_LOG_KB,
    MIN_LOG_KB,
    PROFILE_TYPES,
    Log,
    Settings,
    Switches,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._wire import (
    VERSION,
    Connection,
    Hold,
    Listener,
    b64,
    flag_field,
    int_field,
    unb64,
)

# The bounds the script checks too.
MAX_TAIL_BYTES = 1048576
_ACTIONS = {"block": "0", "allow": "1"}
_SERVICES = {False: "MpsSvc", True: "SharedAccess"}


@dataclasses.dataclass(frozen=True)
class Armed:
    """What a switch did: the rollback task armed (its name, when it is due, host time)
    and the settings it set (``service``, ``profile <type>``, ``log <type>``)."""

    task: str
    due: str
    set: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Tail:
    """The log's tail: each file ``(path, size)`` (size -1: not there), and the lines."""

    files: tuple[tuple[str, int], ...]
    lines: tuple[str, ...]


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _frame(op: str, lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in (VERSION, f"OP\t{op}", *lines, "END"))


def encode_state(*, listeners: bool = False) -> str:
    """A read of the settings; with ``listeners``, also what listens on the host and its
    established inbound connections."""
    return _frame("state", ["LISTENERS"] if listeners else [])


def encode_confirm() -> str:
    return _frame("confirm", [])


def encode_tail(lines: int, max_bytes: int) -> str:
    if lines < 1 or not 1 <= max_bytes <= MAX_TAIL_BYTES:
        raise WireError(f"a tail of {lines} lines, {max_bytes} bytes")
    return _frame("tail", [f"TAIL\t{lines}\t{max_bytes}"])


def encode_switch(
    after: Settings,
    *,
    service: bool,
    profiles: Sequence[str],
    logs: Sequence[str],
    minutes: int,
    runner: str,
    releases: Sequence[Hold] = (),
    hold_mark: str = "",
) -> str:
    """A switch to the values of ``after``: the service (when ``service``), the named
    profiles and logs, armed with a rollback due in ``minutes``."""
    if not 1 <= minutes <= MAX_CONFIRM_MINUTES:
        raise WireError(f"a rollback in {minutes} minutes")
    if not (service or profiles or logs):
        raise WireError("a switch that changes nothing")
    types = after.types()
    lines = [f"ARM\t{minutes}\t{b64(runner)}"]
    if service:
        lines.append(f"SERVICE\t{after.start}\t{_flag(after.running)}")
    for name in profiles:
        s = after.profile(name)
        lines.append(
            f"SWITCH\t{types[name]}\t{_flag(s.enabled)}\t{_ACTIONS[s.inbound]}\t"
            f"{_ACTIONS[s.outbound]}\t{_flag(s.block_all)}"
        )
    for name in logs:
        log = after.log(name)
        if not MIN_LOG_KB <= log.size_kb <= MAX_LOG_KB:
            raise WireError(f"a log of {log.size_kb} KB")
        lines.append(f"LOG\t{types[name]}\t{_flag(log.dropped)}\t{log.size_kb}")
    if releases:
        lines.append(f"HOLDMARK\t{b64(hold_mark)}")
        lines += [f"RELEASE\t{b64(h.group)}\t{b64(h.name)}" for h in releases]
    return _frame("switch", lines)


# --- replies ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Reply:
    """A reply as records: the kinds this module knows, in order, and the end."""

    records: list[list[str]] = dataclasses.field(default_factory=list)
    done: bool = False
    error: str | None = None

    def of(self, kind: str) -> list[list[str]]:
        """The fields of each record of ``kind``."""
        return [record[1:] for record in self.records if record[0] == kind]


_FIELDS = {
    "HOST": 2,
    "SERVICE": 2,
    "SWITCH": 5,
    "LOG": 3,
    "LOGPATH": 2,
    "PENDING": 1,
    "ARMED": 2,
    "SET": 1,
    "RELEASED": 3,
    "CONFIRMED": 1,
    "LOGFILE": 2,
    "LOGLINE": 1,
    "LISTENER": 3,
    "CONNECTION": 4,
}


def decode_reply(text: str) -> Reply:
    """The records of the switch script's output (anything else: :class:`WireError`)."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines or lines[0] != VERSION:
        raise WireError(f"the output does not start with {VERSION}")
    reply = Reply()
    for number, line in enumerate(lines[1:], start=2):
        kind, *fields = line.split("\t")
        if reply.done or reply.error is not None:
            raise WireError(f"line {number}: a record after the end")
        if kind == "DONE" and not fields:
            reply.done = True
        elif kind == "ERROR" and len(fields) == 1:
            reply.error = unb64(fields[0], f"line {number}")
        elif _FIELDS.get(kind) == len(fields):
            reply.records.append([kind, *fields])
        else:
            raise WireError(f"line {number}: unexpected record {kind!r}")
    return reply


def _action(field: str, at: str) -> str:
    for name, value in _ACTIONS.items():
        if field == value:
            return name
    raise WireError(f"{at}: {field!r} is not an action (0 block, 1 allow)")


def settings_of(reply: Reply) -> Settings:
    """The settings a ``state`` reply reports."""
    hosts = reply.of("HOST")
    services = reply.of("SERVICE")
    if len(hosts) != 1 or len(services) != 1:
        raise WireError("a state reply has one HOST and one SERVICE record")
    # The script's own test: an OS major version below 6 is Windows Server 2003.
    legacy = int_field(unb64(hosts[0][0], "HOST").split(".")[0], "HOST") < 6
    names = {v: k for k, v in (LEGACY_PROFILE_TYPES if legacy else PROFILE_TYPES).items()}
    start = int_field(services[0][0], "SERVICE")
    profiles: dict[str, Switches] = {}
    for fields in reply.of("SWITCH"):
        name = names.get(int_field(fields[0], "SWITCH"))
        if name is None:
            raise WireError(f"SWITCH: profile type {fields[0]} is not one of this Windows")
        profiles[name] = Switches(
            enabled=flag_field(fields[1], "SWITCH"),
            inbound=_action(fields[2], "SWITCH"),
            outbound=_action(fields[3], "SWITCH"),
            block_all=flag_field(fields[4], "SWITCH"),
        )
    logs: dict[str, Log] = {}
    for fields in reply.of("LOG"):
        name = names.get(int_field(fields[0], "LOG"))
        if name is None:
            raise WireError(f"LOG: profile type {fields[0]} is not one of this Windows")
        logs[name] = Log(dropped=flag_field(fields[1], "LOG"), size_kb=int_field(fields[2], "LOG"))
    paths = {
        names.get(int_field(f[0], "LOGPATH"), f[0]): unb64(f[1], "LOGPATH")
        for f in reply.of("LOGPATH")
    }
    if set(profiles) != set(names.values()) or set(logs) != set(profiles):
        raise WireError("a state reply has a SWITCH and a LOG record for each profile")
    pending = reply.of("PENDING")
    return Settings(
        legacy=legacy,
        service=_SERVICES[legacy],
        start=start,
        running=flag_field(services[0][1], "SERVICE"),
        profiles=tuple(sorted(profiles.items(), key=lambda p: _order(p[0]))),
        logs=tuple(sorted(logs.items(), key=lambda p: _order(p[0]))),
        paths=tuple(paths.items()),
        pending=unb64(pending[0][0], "PENDING") if pending else None,
    )


def _order(name: str) -> int:
    return list(PROFILE_TYPES).index(name) if name in PROFILE_TYPES else 3


def armed_of(reply: Reply) -> Armed:
    found = reply.of("ARMED")
    if len(found) != 1:
        raise WireError("a switch reply has one ARMED record")
    return Armed(
        task=unb64(found[0][0], "ARMED"),
        due=unb64(found[0][1], "ARMED"),
        set=tuple(unb64(f[0], "SET") for f in reply.of("SET")),
    )


def confirmed_of(reply: Reply) -> bool:
    found = reply.of("CONFIRMED")
    if len(found) != 1:
        raise WireError("a confirm reply has one CONFIRMED record")
    return flag_field(found[0][0], "CONFIRMED")


def tail_of(reply: Reply) -> Tail:
    files = tuple((unb64(f[0], "LOGFILE"), int_field(f[1], "LOGFILE")) for f in reply.of("LOGFILE"))
    lines = tuple(unb64(f[0], "LOGLINE") for f in reply.of("LOGLINE"))
    return Tail(files, lines)


def listeners_of(reply: Reply) -> tuple[tuple[Listener, ...], tuple[Connection, ...]]:
    """What a state read with LISTENERS says listens on the host, and who is connected."""
    listeners = tuple(
        Listener(int_field(f[0], "LISTENER"), unb64(f[1], "LISTENER"), int_field(f[2], "LISTENER"))
        for f in reply.of("LISTENER")
    )
    connections = tuple(
        Connection(
            unb64(f[0], "CONNECTION"),
            int_field(f[1], "CONNECTION"),
            unb64(f[2], "CONNECTION"),
            int_field(f[3], "CONNECTION"),
        )
        for f in reply.of("CONNECTION")
    )
    return listeners, connections
