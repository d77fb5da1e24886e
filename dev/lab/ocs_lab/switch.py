"""The firewall's own settings behind OCSFW2: ``_switch.ps1`` played in Python.

What ``plugins/plugin_utils/_remote/_prelude.ps1`` + ``_switch.ps1`` do on a Windows Server
2008 R2, 2008 or 2003 host (docs/dev/contracts.md, "The switch"): the ops ``state``,
``switch``, ``confirm``, ``tail`` and ``rollback``, read as the script's ``Read-Switch``
reads them (same leniency, same refusals, same messages), against the host's store. Like
:mod:`ocs_lab.firewall` it is a plain request handler (:func:`run`: no I/O, it changes
only the store it is given) and shares no code with ``plugins/``.

Beside the profiles the rules script reads (``profiles`` on 2008, ``legacy`` on 2003: one
source of truth, so a switch changes what a read reports), a store holds::

    "service": {"start": 2, "running": true}    # MpsSvc (2003: SharedAccess): Start, status
    "logging": {"1": {"dropped": 0, "size_kb": 4096, "path": "%systemroot%\\...\\pfirewall.log"},
                ...}
    "files":   {"C:\\Windows\\Temp\\ocs.firewall-rollback.txt": "OCSFW2\\n...", ...}
    "tasks":   {"[ocs.firewall] rollback": {"run": "powershell.exe ... -File C:\\...ps1",
                "start": "10:05", "schedule": "daily", "user": "SYSTEM",
                "next": "2026-12-07 10:05"}}

``logging`` is each profile's ``...\\FirewallPolicy\\<Profile>\\Logging`` (LogDroppedPackets,
LogFileSize, LogFilePath as stored, environment variables unexpanded; on 2003 both
profiles always hold the same values: one log). ``files`` is the part of the host's disk
the script and the firewall touch, by full path (compared ignoring case, as Windows
does): the rollback's runner and request in ``%SystemRoot%\\Temp\\`` and the log files
(text, lines ending CR LF). ``tasks`` is the Task Scheduler: the daily task ``schtasks
/create`` makes, due next at ``next`` (lab time). A store without these keys (the unit
tests', a lab started before they existed) reads as the defaults: service automatic and
running, logs off at 4096 KB on the script's default path (``$DefaultLog``: 2008's
``%systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log``, 2003's ``%windir%\\pfirewall.log``),
no file, no task.

How PowerShell 2.0 runs the script matters here and is played too. The script runs under
``$ErrorActionPreference = 'Stop'``, with which PowerShell 2.0 makes a native program's
first line on stderr (``2>&1``) a terminating error; ``Invoke-Tool`` and
``Remove-Rollback`` set a function-local ``'Continue'`` before they run one, so what
``schtasks``, ``netsh`` and ``sc`` write is text and their exit code decides: a failing
``Invoke-Tool`` throws ``<what>: <program> exited with <n>: <output>``, and
``schtasks.exe /delete`` of a task that does not exist (exit code 1) is ignored
(:meth:`Machine.schtasks_delete`).

A ``state`` that carries ``LISTENERS`` also writes what listens on the host and who is
connected to it (the script's ``Emit-Listeners``, :func:`emit_listeners`): the store's
``listeners`` and ``connections``, which :mod:`ocs_lab.seed` fills.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from . import policy
from .firewall import (
    ACCESS_DENIED_HINT,
    FIREWALL_SERVICE,
    LEGACY_ACCESS_DENIED_HINT,
    LEGACY_FIREWALL_SERVICE,
    LEGACY_OS,
    MAGIC,
    OS_VERSIONS,
    PORT_PROTOCOLS,
    POWERSHELL_VERSION,
    SERVICE_STOPPED_TEXTS,
    Outcome,
    _Reply,
    _same_name,
    b64e,
)
from .state import LabError, StateDir, now

OPS = ("state", "switch", "confirm", "tail", "rollback")
TASK = "[ocs.firewall] rollback"
RUNNER_NAME = "ocs.firewall-rollback.ps1"
SAVED_NAME = "ocs.firewall-rollback.txt"
# What schtasks /create gets as /tr, the runner's path after it.
RUN_PREFIX = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "
# The service's Start value by what sc.exe config takes.
STARTS = {2: "auto", 3: "demand", 4: "disabled"}
START_NUMBERS = {name: number for number, name in STARTS.items()}
# Get-RegValue's default for Start (the script's) and the seed's value (Windows').
DEFAULT_START = 3
SEED_START = 2
# A daily task: ARM's minutes + 1 must fall before the same time tomorrow.
MIN_ARM, MAX_ARM = 1, 1439
MIN_LOG_KB, MAX_LOG_KB = 1, 32767
DEFAULT_LOG_KB = 4096
MAX_TAIL_BYTES = 1048576
# LogFilePath when the registry has none (the script's $DefaultLog), which is also what a
# fresh host stores: 2008's own default; 2003 keeps its log in %windir%
# (C:\WINDOWS\pfirewall.log).
DEFAULT_LOG_PATH = "%systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log"
LEGACY_LOG_PATH = "%windir%\\pfirewall.log"
PROFILE_TYPES = (1, 2, 4)
LEGACY_PROFILE_TYPES = (0, 1)
NETSH_PROFILES = {1: "domainprofile", 2: "privateprofile", 4: "publicprofile"}
SERVICE_DISPLAY = {
    FIREWALL_SERVICE: "Windows Firewall",
    LEGACY_FIREWALL_SERVICE: "Windows Firewall/Internet Connection Sharing (ICS)",
}
# %SystemRoot% (and %windir%) by the Windows played.
SYSTEM_ROOT = {"6.0": "C:\\Windows", "6.1": "C:\\Windows", LEGACY_OS: "C:\\WINDOWS"}
# The HRESULTs the script's Describe compares, as it formats them.
ACCESS_DENIED = "0x80070005"
SERVICE_HRESULTS = ("0x800706D9", "0x800706BA", "0x80070422", "0x80070426", "0x8007042C")
# What the programs write, in English (the script keeps their text, never reads it).
NETSH_NO_SERVICE = (
    "An error occurred while attempting to contact the Windows Firewall service. Make sure "
    "that the service is running and try your request again."
)
LEGACY_NETSH_NO_SERVICE = "The service has not been started."
NETSH_DENIED = "The requested operation requires elevation (Run as administrator)."
SC_DENIED = "[SC] OpenService FAILED 5:  Access is denied."
# The first lines of a Windows Firewall log (W3C extended format), then an empty line.
LOG_HEADER = (
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags "
    "tcpsyn tcpack tcpwin icmptype icmpcode info path",
    "",
)
NEWLINE = "\r\n"
TIME_FORMAT = "%Y-%m-%d %H:%M"


class Thrown(Exception):
    """An exception the script's ``try``/``catch`` sees; its ``Describe`` makes the message.

    ``message`` is the exception's text as PowerShell gives it, ``code`` the HRESULT
    ``Describe`` compares (``"0x80070005"``, ``"0x800706D9"``, ...) or None.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Stop(Exception):
    """The script's ``Fail``: an ERROR line and exit code 2, past any ``catch``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- the machine


def flag(value: Any) -> str:
    return "1" if value else "0"


def lab_time_text(when: datetime.datetime) -> str:
    return when.strftime(TIME_FORMAT)


def parse_lab_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, TIME_FORMAT)


class Machine:
    """One host's Windows around its store: the service, the profiles, the logs, the disk
    (``files``) and the Task Scheduler (``tasks``), with Windows' defaults where the store
    has nothing. Every change marks ``changed``.

    ``stopped_hresult``: what a firewall COM call answers while the service is stopped.
    ``refuse_after``: the number of settings (SERVICE, SWITCH, LOG lines) set before the
    first program call of the next one is refused, once (a ``--fail-command`` fault);
    None: none is refused.
    """

    def __init__(
        self,
        store: dict[str, Any],
        os_version: str = "6.1",
        *,
        stopped_hresult: str = "0x800706D9",
        refuse_after: int | None = None,
    ) -> None:
        self.store = store
        self.os_version = os_version
        self.legacy = os_version == LEGACY_OS
        self.types = LEGACY_PROFILE_TYPES if self.legacy else PROFILE_TYPES
        self.service_name = LEGACY_FIREWALL_SERVICE if self.legacy else FIREWALL_SERVICE
        self.stopped_hresult = (
            stopped_hresult if stopped_hresult in SERVICE_STOPPED_TEXTS else "0x800706D9"
        )
        self.refuse_after = refuse_after
        self._refuse_now = False
        self.changed = False
        self.counts: dict[str, int] = {}

    def count(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by

    # -- the environment

    @property
    def system_root(self) -> str:
        return SYSTEM_ROOT.get(self.os_version, SYSTEM_ROOT["6.1"])

    def expand(self, text: str) -> str:
        """``[Environment]::ExpandEnvironmentVariables``: ``%name%`` of a variable the host
        has (names ignore case) is replaced, any other ``%...%`` is left as it is."""
        variables = {
            "systemroot": self.system_root,
            "windir": self.system_root,
            "systemdrive": self.system_root[:2],
        }
        return re.sub(r"%([^%]+)%", lambda m: variables.get(m.group(1).lower(), m.group(0)), text)

    @property
    def temp(self) -> str:
        return self.system_root + "\\Temp\\"

    @property
    def runner_path(self) -> str:
        return self.temp + RUNNER_NAME

    @property
    def saved_path(self) -> str:
        return self.temp + SAVED_NAME

    # -- the service

    def service(self) -> dict[str, Any]:
        found = self.store.get("service")
        if not isinstance(found, dict):
            found = {"start": SEED_START, "running": True}
        return found

    @property
    def running(self) -> bool:
        return bool(self.service().get("running", True))

    def set_service(self, **values: Any) -> None:
        self.store["service"] = {**self.service(), **values}
        self.changed = True

    def firewall_api(self) -> None:
        """A call of ``HNetCfg.FwPolicy2`` (``HNetCfg.FwMgr`` on 2003): it fails while the
        service is stopped."""
        if not self.running:
            hresult = self.stopped_hresult
            raise Thrown(
                f"{SERVICE_STOPPED_TEXTS[hresult]} (Exception from HRESULT: {hresult})", hresult
            )

    # -- the profiles (the store the rules script reads)

    def local_profile(self, ptype: int) -> dict[str, Any]:
        if self.legacy:
            found: dict[str, Any] = self.store["legacy"][str(ptype)]
        else:
            found = self.store["profiles"][str(ptype)]
        return found

    # -- the logs

    def log(self, ptype: int) -> dict[str, Any]:
        """A profile's log settings: ``{dropped, size_kb, path}``, ``path`` None when the
        registry holds no LogFilePath."""
        stored = (self.store.get("logging") or {}).get(str(ptype)) or {}
        return {
            "dropped": stored.get("dropped", 0),
            "size_kb": stored.get("size_kb", DEFAULT_LOG_KB),
            "path": stored.get("path"),
        }

    def set_log(self, ptype: int, **values: Any) -> None:
        logging = self.store.setdefault("logging", {})
        logging[str(ptype)] = {**self.log(ptype), **values}
        if logging[str(ptype)]["path"] is None:
            del logging[str(ptype)]["path"]
        self.changed = True

    @property
    def default_log_path(self) -> str:
        """The script's ``$DefaultLog``: where the log is when no LogFilePath is stored."""
        return LEGACY_LOG_PATH if self.legacy else DEFAULT_LOG_PATH

    def log_path(self, ptype: int) -> str:
        """LogFilePath as stored (the script's Get-RegValue), ``$DefaultLog`` else."""
        path = self.log(ptype)["path"]
        return self.default_log_path if path is None else str(path)

    def log_file(self, ptype: int) -> str:
        return self.expand(self.log_path(ptype))

    def start_log(self, path: str) -> None:
        """The firewall opens the log when logging turns on: a new file gets the header."""
        if self.read_file(path) is None:
            self.write_file(path, "".join(line + NEWLINE for line in LOG_HEADER))

    def append_log(self, path: str, line: str, size_kb: int) -> None:
        """Append one line to a log bounded at ``size_kb``: a log that would grow past it
        becomes ``<name>.old`` (replacing the last one) and a new log starts."""
        header = "".join(text + NEWLINE for text in LOG_HEADER)
        content = self.read_file(path)
        if content is None:
            content = header
        if len((content + line + NEWLINE).encode("utf-8")) > size_kb * 1024:
            self.write_file(path + ".old", content)
            content = header
        self.write_file(path, content + line + NEWLINE)

    # -- the disk

    def _files(self) -> dict[str, str]:
        files: dict[str, str] = self.store.setdefault("files", {})
        return files

    def _key(self, path: str) -> str | None:
        wanted = path.upper()
        for key in self.store.get("files") or {}:
            if str(key).upper() == wanted:
                return str(key)
        return None

    def read_file(self, path: str) -> str | None:
        key = self._key(path)
        return None if key is None else self.store["files"][key]

    def write_file(self, path: str, text: str) -> None:
        key = self._key(path) or path
        self._files()[key] = text
        self.changed = True

    def delete_file(self, path: str) -> None:
        key = self._key(path)
        if key is not None:
            del self.store["files"][key]
            self.changed = True

    # -- the programs

    def start_setting(self) -> None:
        """A setting of the request begins: the one a ``--fail-command`` fault refuses?"""
        if self.refuse_after is None:
            return
        if self.refuse_after == 0:
            self.refuse_after = None
            self._refuse_now = True
        else:
            self.refuse_after -= 1

    def _refused(self) -> bool:
        """Whether this program call is the one a ``--fail-command`` fault refuses."""
        refused, self._refuse_now = self._refuse_now, False
        return refused

    def netsh(self, what: str) -> None:
        """One ``netsh.exe`` setting (Invoke-Tool): it needs the service, and its exit code
        decides."""
        if not self.running:
            text = LEGACY_NETSH_NO_SERVICE if self.legacy else NETSH_NO_SERVICE
            raise Thrown(f"{what}: netsh.exe exited with 1: {text}")
        if self._refused():
            raise Thrown(f"{what}: netsh.exe exited with 1: {NETSH_DENIED}")

    def sc_config(self, start: int) -> None:
        if self._refused():
            raise Thrown(f"the service: sc.exe exited with 5: {SC_DENIED}")
        self.set_service(start=start)

    def start_service(self) -> None:
        """``Start-Service``: a disabled service does not start."""
        if self.service().get("start") == START_NUMBERS["disabled"]:
            name = self.service_name
            raise Thrown(
                f"Service '{SERVICE_DISPLAY[name]} ({name})' cannot be started due to the "
                f"following error: Cannot start service {name} on computer '.'."
            )
        self.set_service(running=True)

    def com_put(self, prop: str) -> None:
        """A property put on 2003's ``INetFwProfile``."""
        self.firewall_api()
        if self._refused():
            raise Thrown(
                f'Exception setting "{prop}": "Access is denied. (Exception from HRESULT: '
                '0x80070005 (E_ACCESSDENIED))"',
                ACCESS_DENIED,
            )

    # -- the Task Scheduler

    def tasks(self) -> dict[str, dict[str, Any]]:
        tasks: dict[str, dict[str, Any]] = self.store.setdefault("tasks", {})
        return tasks

    def schtasks_delete(self, denied: bool = False) -> int:
        """``$null = & schtasks.exe /delete /tn $Task /f 2>&1`` under the function-local
        ``$ErrorActionPreference = 'Continue'`` of ``Remove-Rollback``: the task goes if it
        is there; the exit code (1 when there is no such task, or when ``denied``: a
        ``--fail-command`` fault, the task stays) is returned, and the script ignores it
        (what schtasks writes to stderr is text there, not an error)."""
        tasks = self.store.get("tasks") or {}
        if denied or TASK not in tasks:
            return 1
        del self.tasks()[TASK]
        self.changed = True
        return 0

    def schtasks_create(self, run: str, start: str, now: datetime.datetime) -> None:
        """``schtasks /create /tn <task> /tr <run> /sc daily /st <start> /ru SYSTEM``: a daily
        task from today, first due at the next ``start`` after ``now``."""
        self.tasks()[TASK] = {
            "run": run,
            "schedule": "daily",
            "start": start,
            "user": "SYSTEM",
            "next": lab_time_text(next_daily(now, start)),
        }
        self.changed = True


def next_daily(after: datetime.datetime, start: str) -> datetime.datetime:
    """The first time of day ``start`` (HH:mm or HH:mm:ss) after ``after``: when a daily
    task created at ``after`` (start date today) runs first."""
    hours, minutes = (int(part) for part in start.split(":")[:2])
    when = after.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    while when <= after:
        when += datetime.timedelta(days=1)
    return when


def describe(machine: Machine, exc: Thrown) -> str:
    """The script's ``Describe``: a hint that says what to do, then the exception's text."""
    name = machine.service_name
    hint = ""
    if exc.code == ACCESS_DENIED:
        hint = LEGACY_ACCESS_DENIED_HINT if machine.legacy else ACCESS_DENIED_HINT
    elif exc.code in SERVICE_HRESULTS:
        hint = (
            f"the Windows Firewall service ({name}) is not running (HRESULT {exc.code}): "
            f'start it, for example with "sc.exe start {name}"'
        )
    elif not machine.running:
        hint = (
            f"the Windows Firewall service ({name}) is not running: start it, for example "
            f'with "sc.exe start {name}"'
        )
    return f"{hint} ({exc.message})" if hint else exc.message


# --------------------------------------------------------------------------- the request


@dataclass
class Setting:
    """A SWITCH line: a profile's switches as the request gives them."""

    type: int
    enabled: bool
    inbound: bool
    outbound: bool
    block_all: bool


@dataclass
class LogSetting:
    type: int
    dropped: bool
    size: int


@dataclass
class Request:
    op: str = ""
    arm: int = 0
    runner: str = ""
    holdmark: str = ""
    due: str = ""
    # (Start, running)
    service: tuple[int, bool] | None = None
    profiles: list[Setting] = field(default_factory=list)
    logs: list[LogSetting] = field(default_factory=list)
    releases: list[tuple[str, str]] = field(default_factory=list)
    # (lines, bytes)
    tail: tuple[int, int] | None = None
    # A LISTENERS line (a state's only): what listens and who is connected, too.
    listeners: bool = False

    @property
    def changes(self) -> int:
        return len(self.profiles) + len(self.logs) + (self.service is not None)


# What [Convert]::FromBase64String throws for a field that is not base64 (as the rules
# script's reading reports it too: firewall.b64d).
BAD_BASE64 = (
    'Exception calling "FromBase64String" with "1" argument(s): "Invalid length for a Base-64 '
    'char array or string."'
)

# NumberStyles.Integer: white space around, one sign, ASCII digits.
_INTEGER = re.compile(r"[\t\n\v\f\r ]*([+-]?[0-9]+)[\t\n\v\f\r ]*")


def parse_int(text: str) -> int:
    """``[int]::Parse($text, $Invariant)``; what it refuses is the exception PowerShell
    reports (the script's catch gives it as the ERROR)."""
    match = _INTEGER.fullmatch(text)
    if match is None:
        raise Thrown(
            'Exception calling "Parse" with "2" argument(s): "Input string was not in a '
            'correct format."'
        )
    value = int(match.group(1))
    if not -(2**31) <= value < 2**31:
        raise Thrown(
            'Exception calling "Parse" with "2" argument(s): "Value was either too large or '
            'too small for an Int32."'
        )
    return value


def dec(field_value: str) -> str:
    """The prelude's ``Dec``: base64 of UTF-8, the empty field the empty string. Bad base64
    is ``FromBase64String``'s exception; bytes that are not UTF-8 are not an error
    (``New-Object System.Text.UTF8Encoding($false)`` does not throw on them: each becomes
    U+FFFD)."""
    if field_value == "":
        return ""
    try:
        raw = base64.b64decode(field_value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError, ValueError):
        raise Thrown(BAD_BASE64) from None
    return raw.decode("utf-8", errors="replace")


def parse(text: str, legacy: bool) -> Request:
    """``Read-Switch``: the request, or the refusal the script gives (``Stop`` for its
    ``Fail``, ``Thrown`` for an exception of ``[int]::Parse`` or ``FromBase64String``)."""
    request = Request()
    types = LEGACY_PROFILE_TYPES if legacy else PROFILE_TYPES
    lines = text.split("\n")
    if lines[0].rstrip("\r") != MAGIC:
        raise Stop(f"bad request: it does not start with {MAGIC}")
    ended = False
    for index in range(1, len(lines)):
        line = lines[index].rstrip("\r")
        number = index + 1
        if not line:
            continue
        if ended:
            raise Stop("bad request: text after END")
        fields = line.split("\t")
        kind = fields[0]
        count = len(fields)
        if kind == "OP" and count == 2:
            request.op = fields[1]
        elif kind == "ARM" and count == 3:
            request.arm = parse_int(fields[1])
            request.runner = dec(fields[2])
        elif kind == "HOLDMARK" and count == 2:
            request.holdmark = dec(fields[1])
        elif kind == "DUE" and count == 2:
            request.due = dec(fields[1])
        elif kind == "RELEASE" and count == 3 and not legacy:
            request.releases.append((dec(fields[1]), dec(fields[2])))
        elif kind == "SERVICE" and count == 3 and parse_int(fields[1]) in STARTS:
            request.service = (parse_int(fields[1]), fields[2] == "1")
        elif kind == "SWITCH" and count == 6 and parse_int(fields[1]) in types:
            request.profiles.append(
                Setting(
                    type=parse_int(fields[1]),
                    enabled=fields[2] == "1",
                    inbound=fields[3] == "1",
                    outbound=fields[4] == "1",
                    block_all=fields[5] == "1",
                )
            )
        elif kind == "LOG" and count == 4 and parse_int(fields[1]) in types:
            size = parse_int(fields[3])
            if not MIN_LOG_KB <= size <= MAX_LOG_KB:
                raise Stop(
                    f"bad request: line {number}: a log of {size} KB ({MIN_LOG_KB} to {MAX_LOG_KB})"
                )
            request.logs.append(LogSetting(parse_int(fields[1]), fields[2] == "1", size))
        elif kind == "LISTENERS" and count == 1:
            request.listeners = True
        elif kind == "TAIL" and count == 3:
            request.tail = (parse_int(fields[1]), parse_int(fields[2]))
        elif kind == "END" and count == 1:
            ended = True
        else:
            raise Stop(f"bad request: unexpected line {number}")
    if not ended:
        raise Stop("bad request: no END line (truncated input?)")
    if request.op not in OPS:
        raise Stop("bad request: OP must be state, switch, confirm, tail or rollback")
    if request.op == "switch" and (
        not MIN_ARM <= request.arm <= MAX_ARM or request.runner == "" or request.changes == 0
    ):
        raise Stop(
            f"bad request: a switch needs ARM ({MIN_ARM} to {MAX_ARM} minutes, and the runner) "
            "and a setting to change"
        )
    if request.op == "tail" and (
        request.tail is None or request.tail[0] < 1 or not 1 <= request.tail[1] <= MAX_TAIL_BYTES
    ):
        raise Stop(f"bad request: a tail needs TAIL (lines from 1, bytes 1 to {MAX_TAIL_BYTES})")
    if request.listeners and request.op != "state":
        raise Stop("bad request: only a state read carries LISTENERS")
    if request.releases and request.holdmark == "":
        raise Stop("bad request: RELEASE needs a HOLDMARK")
    if request.op not in ("switch", "rollback") and request.changes > 0:
        raise Stop(f"bad request: a {request.op} changes no setting")
    return request


# --------------------------------------------------------------------------- the ops


def get_settings(machine: Machine) -> list[str]:
    """``Get-Settings``: SERVICE, then SWITCH and LOG for each profile, as request lines.

    The switches are what ``INetFwPolicy2`` (``INetFwProfile`` on 2003) reports: the
    profile as applied, group policy included (:mod:`ocs_lab.policy`), as the rules
    script's read reports them.
    """
    service = machine.service()
    lines = [f"SERVICE\t{service.get('start', DEFAULT_START)}\t{flag(machine.running)}"]
    machine.firewall_api()
    for ptype in machine.types:
        if machine.legacy:
            legacy = policy.effective_legacy_profile(machine.store, ptype)
            fields = [str(ptype), flag(legacy["enabled"]), "0", "1"]
            fields.append(flag(legacy["exceptions_not_allowed"]))
        else:
            profile = policy.effective_profile(machine.store, ptype)
            fields = [
                str(ptype),
                flag(profile["enabled"]),
                str(profile["inbound_action"]),
                str(profile["outbound_action"]),
                flag(profile["block_all_inbound"]),
            ]
        lines.append("\t".join(["SWITCH", *fields]))
        log = machine.log(ptype)
        lines.append(f"LOG\t{ptype}\t{flag(log['dropped'] == 1)}\t{log['size_kb']}")
    return lines


def _state(machine: Machine, request: Request, reply: _Reply, fail: bool) -> None:
    """``Invoke-State``, then (LISTENERS) ``Emit-Listeners``."""
    reply.add("HOST", b64e(OS_VERSIONS[machine.os_version]), b64e(POWERSHELL_VERSION))
    if fail:
        call = "GetProfileByType" if machine.legacy else "FirewallEnabled"
        _deny(call)
    reply.lines.extend(get_settings(machine))
    for ptype in machine.types:
        reply.add("LOGPATH", str(ptype), b64e(machine.log_path(ptype)))
    saved = machine.read_file(machine.saved_path)
    if saved is not None:
        due = ""
        for line in saved.split("\n"):
            if line.startswith("DUE\t"):
                due = line[4:]
        reply.add("PENDING", due)
    machine.count("profiles", len(machine.types))
    if request.listeners:
        emit_listeners(machine, reply)


def emit_listeners(machine: Machine, reply: _Reply) -> None:
    """``Emit-Listeners`` (.NET 2.0's ``IPGlobalProperties``, on 2003 too): a ``LISTENER``
    line per endpoint of ``GetActiveTcpListeners()`` then ``GetActiveUdpListeners()``, each
    in store order, then a ``CONNECTION`` line per established TCP connection
    (``GetActiveTcpConnections()``), in store order. Addresses as the store holds them
    (``IPAddress.ToString()``'s form, loopback included). Neither needs the firewall
    service. A store without ``listeners`` or ``connections`` (the unit tests', one a lab
    wrote before they existed) has none. Trace counts: ``listeners``, ``connections``."""
    listeners = machine.store.get("listeners") or []
    connections = machine.store.get("connections") or []
    written = 0
    for protocol in PORT_PROTOCOLS:
        for item in listeners:
            if item["protocol"] == protocol:
                reply.add("LISTENER", str(protocol), b64e(item["address"]), str(item["port"]))
                written += 1
    for item in connections:
        reply.add(
            "CONNECTION",
            b64e(item["local_address"]),
            str(item["local_port"]),
            b64e(item["remote_address"]),
            str(item["remote_port"]),
        )
    machine.count("listeners", written)
    machine.count("connections", len(connections))


def _deny(call: str, arguments: int = 1) -> None:
    raise Thrown(
        f'Exception calling "{call}" with "{arguments}" argument(s): "Access is denied. '
        '(Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))"',
        ACCESS_DENIED,
    )


def set_settings(machine: Machine, request: Request, reply: _Reply) -> None:
    """``Set-Settings``: the service first when it is to run (netsh needs it), then each
    SWITCH and each LOG in request order (``Set-Switches``), the service last when it is
    to stop (so a rollback that stops it sets the profiles while it still runs); ``SET``
    after each. A refusal is a :class:`Thrown` (what was set before it stays)."""
    if request.service is not None and request.service[1]:
        _set_service(machine, request.service, reply)
    _set_switches(machine, request, reply)
    if request.service is not None and not request.service[1]:
        _set_service(machine, request.service, reply)


def _set_service(machine: Machine, service: tuple[int, bool], reply: _Reply) -> None:
    """``Set-FirewallService``: ``sc.exe config <service> start= ...`` (Invoke-Tool), then
    ``Start-Service`` or ``Stop-Service -Force`` as the status read after it asks."""
    start, running = service
    machine.start_setting()
    machine.sc_config(start)
    if running and not machine.running:
        machine.start_service()
    if not running and machine.running:
        machine.set_service(running=False)
    reply.add("SET", b64e("service"))
    machine.count("set")


def _set_switches(machine: Machine, request: Request, reply: _Reply) -> None:
    """``Set-Switches``: each SWITCH (2008: ``netsh advfirewall set <profile>
    firewallpolicy`` then ``state``; 2003: ExceptionsNotAllowed then FirewallEnabled
    through COM), then each LOG (2008: ``logging maxfilesize`` then ``droppedconnections``;
    2003: one ``netsh firewall set logging`` for the one log)."""
    for setting in request.profiles:
        machine.start_setting()
        local = machine.local_profile(setting.type)
        if machine.legacy:
            machine.com_put("ExceptionsNotAllowed")
            local["exceptions_not_allowed"] = 1 if setting.block_all else 0
            machine.com_put("FirewallEnabled")
            local["enabled"] = 1 if setting.enabled else 0
        else:
            name = NETSH_PROFILES[setting.type]
            # firewallpolicy blockinboundalways|blockinbound|allowinbound,allow|blockoutbound
            machine.netsh(f"the {name}")
            local["inbound_action"] = 1 if setting.inbound and not setting.block_all else 0
            local["block_all_inbound"] = 1 if setting.block_all else 0
            local["outbound_action"] = 1 if setting.outbound else 0
            machine.changed = True
            # state on|off
            machine.netsh(f"the {name}")
            local["enabled"] = 1 if setting.enabled else 0
        machine.changed = True
        reply.add("SET", b64e(f"profile {setting.type}"))
        machine.count("set")
    for log in request.logs:
        # 2003 keeps one log for both profiles: netsh firewall set logging sets it.
        types = machine.types if machine.legacy else (log.type,)
        machine.start_setting()
        machine.netsh("the log")
        for ptype in types:
            machine.set_log(ptype, size_kb=log.size)
        if not machine.legacy:
            machine.netsh("the log")
        for ptype in types:
            machine.set_log(ptype, dropped=1 if log.dropped else 0)
            if log.dropped:
                machine.start_log(machine.log_file(ptype))
        reply.add("SET", b64e(f"log {log.type}"))
        machine.count("set")


def _release(machine: Machine, request: Request, reply: _Reply) -> None:
    """``Invoke-Release``: each rule of the group and name whose description ends with the
    hold mark is enabled and loses the mark."""
    if not request.releases:
        return
    machine.firewall_api()
    mark = request.holdmark
    for group, name in request.releases:
        count = 0
        for rule in machine.store.get("rules") or []:
            description = rule["description"]
            if not (
                _same_name(rule["grouping"], group)
                and _same_name(rule["name"], name)
                and description.endswith(mark)
            ):
                continue
            rule["enabled"] = 1
            rule["description"] = description[: len(description) - len(mark)]
            count += 1
            machine.changed = True
        reply.add("RELEASED", b64e(group), b64e(name), str(count))
        machine.count("released", count)


def _remove_rollback(machine: Machine, denied: bool = False) -> None:
    """``Remove-Rollback``: ``schtasks /delete`` (its exit code ignored: there may be no
    task), then each of the runner and the request that exists is deleted.

    ``denied`` (a ``--fail-command`` fault on a confirm): access is denied, so schtasks
    fails (ignored, the task stays) and so does ``[System.IO.File]::Delete`` of the first
    file there, which the script does not ignore."""
    machine.schtasks_delete(denied)
    for path in (machine.runner_path, machine.saved_path):
        if machine.read_file(path) is None:
            continue
        if denied:
            raise Thrown(
                f'Exception calling "Delete" with "1" argument(s): "Access to the path '
                f"'{path}' is denied.\"",
                ACCESS_DENIED,
            )
        machine.delete_file(path)


def _rollback(machine: Machine, request: Request, reply: _Reply) -> None:
    """``Invoke-Rollback``: the settings, the releases, then the task and the files."""
    set_settings(machine, request, reply)
    _release(machine, request, reply)
    _remove_rollback(machine)


def _switch(machine: Machine, request: Request, reply: _Reply, now: datetime.datetime) -> None:
    """``Invoke-Switch``: refused while a rollback is armed, or when ``%SystemRoot%\\Temp\\``
    has a space (the task's action could not name the runner); the rollback request built
    from the settings as they are; then the task and the files removed, the runner and the
    request written and the task created (a failure there removes them again and changes
    nothing); ``ARMED``; then the settings changed, a refusal setting every one back from
    the rollback request."""
    saved_path = machine.saved_path
    if machine.read_file(saved_path) is not None:
        raise Stop(
            f"a rollback is armed already ({saved_path}): a switch waits until it has run or "
            "was confirmed"
        )
    if " " in machine.temp:
        raise Stop(f"the rollback cannot be armed: {machine.temp} has a space in its path")
    at = now + datetime.timedelta(minutes=request.arm + 1)
    due = at.strftime(TIME_FORMAT)
    rollback = [f"{MAGIC}\nOP\trollback\nDUE\t{b64e(due)}\n"]
    rollback += [line + "\n" for line in get_settings(machine)]
    if request.releases:
        rollback.append(f"HOLDMARK\t{b64e(request.holdmark)}\n")
        rollback += [f"RELEASE\t{b64e(g)}\t{b64e(n)}\n" for g, n in request.releases]
    rollback.append("END\n")
    start = at.strftime("%H:%M:00" if machine.legacy else "%H:%M")
    try:
        _remove_rollback(machine)
        machine.write_file(machine.runner_path, request.runner)
        machine.write_file(saved_path, "".join(rollback))
        machine.schtasks_create(RUN_PREFIX + machine.runner_path, start, now)
    except Thrown as exc:  # pragma: no cover - nothing the lab plays fails here
        _remove_rollback(machine)
        raise Stop(
            f"the rollback could not be armed, nothing was changed: {describe(machine, exc)}"
        ) from None
    reply.add("ARMED", b64e(TASK), b64e(due))
    try:
        set_settings(machine, request, reply)
    except Thrown as exc:
        reason = describe(machine, exc)
        back = parse(machine.read_file(saved_path) or "", machine.legacy)
        _rollback(machine, back, reply)
        raise Stop(
            f"a setting was refused, and the previous settings were restored: {reason}"
        ) from None


def _confirm(machine: Machine, reply: _Reply, fail: bool) -> None:
    """``Invoke-Confirm``: whether the rollback request was there, then Remove-Rollback."""
    armed = machine.read_file(machine.saved_path) is not None
    _remove_rollback(machine, denied=fail)
    reply.add("CONFIRMED", flag(armed))
    machine.count("armed", int(armed))


def _tail(machine: Machine, request: Request, reply: _Reply, fail: bool) -> None:
    """``Invoke-Tail``: each distinct log file (expanded path, ignoring case), its size and
    at most ``lines`` lines of its last ``bytes`` bytes: the window decoded, its trailing
    line feeds trimmed (``TrimEnd([char]10)``: a log ending with a line break has no empty
    last piece), split on line feeds, its first line dropped when the window starts after
    the file's start, then the last ``lines`` pieces, each without its CR, the empty ones
    left out."""
    assert request.tail is not None
    wanted_lines, wanted_bytes = request.tail
    seen: set[str] = set()
    for ptype in machine.types:
        path = machine.log_file(ptype)
        if path.upper() in seen:
            continue
        seen.add(path.upper())
        content = machine.read_file(path)
        if content is None:
            reply.add("LOGFILE", b64e(path), "-1")
            machine.count("files")
            continue
        if fail:
            # New-Object System.IO.FileStream(...): the constructor's exception, wrapped.
            raise Thrown(
                f'Exception calling ".ctor" with "4" argument(s): "Access to the path '
                f"'{path}' is denied.\"",
                ACCESS_DENIED,
            )
        data = content.encode("utf-8")
        skip = max(0, len(data) - wanted_bytes)
        reply.add("LOGFILE", b64e(path), str(len(data)))
        machine.count("files")
        lines = data[skip:].decode("utf-8", errors="replace").rstrip("\n").split("\n")
        first = max(1 if skip > 0 else 0, len(lines) - wanted_lines)
        for line in lines[first:]:
            line = line.rstrip("\r")
            if line:
                reply.add("LOGLINE", b64e(line))
                machine.count("lines")


def run(
    store: dict[str, Any],
    request_text: str,
    *,
    os_version: str = "6.1",
    now: datetime.datetime | None = None,
    fail_midway: bool = False,
    stopped_hresult: str = "0x800706D9",
) -> Outcome:
    """Run one request of the switch script against ``store`` (changed in place).

    ``now``: the host's local time (the lab clock). ``fail_midway``: a ``--fail-command``
    fault: a switch (or a rollback) has the setting change at its middle refused, a state
    or a tail is denied access, a confirm is denied access to the task (ignored, as the
    script ignores schtasks) and to the files (which fails it, the rollback still armed;
    with no file there it has nothing to fail on). ``stopped_hresult``: what a firewall COM
    call answers while the service is stopped. An empty request, when the rollback request
    is on disk, is that request: what the task's runner does.
    """
    when = now if now is not None else datetime.datetime.now()
    machine = Machine(store, os_version, stopped_hresult=stopped_hresult)
    reply = _Reply()
    text = request_text
    saved = machine.read_file(machine.saved_path)
    if text == "" and saved is not None:
        text = saved
    op = ""
    try:
        request = parse(text, machine.legacy)
        op = request.op
        if fail_midway and op in ("switch", "rollback"):
            machine.refuse_after = max(request.changes // 2, 0)
        if op == "state":
            _state(machine, request, reply, fail_midway)
        elif op == "switch":
            _switch(machine, request, reply, when)
        elif op == "confirm":
            _confirm(machine, reply, fail_midway)
        elif op == "tail":
            _tail(machine, request, reply, fail_midway)
        else:
            _rollback(machine, request, reply)
    except Thrown as exc:
        return _error(reply, describe(machine, exc), op, machine)
    except Stop as exc:
        return _error(reply, exc.message, op, machine)
    reply.add("DONE")
    return Outcome("\n".join(reply.lines) + "\n", 0, op, machine.counts, changed=machine.changed)


def _error(reply: _Reply, message: str, op: str, machine: Machine) -> Outcome:
    reply.add("ERROR", b64e(message))
    return Outcome(
        "\n".join(reply.lines) + "\n",
        2,
        op,
        machine.counts,
        changed=machine.changed,
        error=message,
    )


# --------------------------------------------------------------------------- the tasks


def rollback_view(store: dict[str, Any], os_version: str = "6.1") -> dict[str, Any]:
    """The armed rollback as ``dump`` shows it, from the files and the task (which stay the
    facts: the script tests them one by one): ``{}`` when there is neither, else
    ``{task, next, due, runner, request}``: the task's name and next run (None without the
    task), the rollback request's DUE (decoded), the runner's and the request's text (None
    for a missing file)."""
    machine = Machine(store, os_version)
    runner = machine.read_file(machine.runner_path)
    saved = machine.read_file(machine.saved_path)
    task = (store.get("tasks") or {}).get(TASK)
    if runner is None and saved is None and task is None:
        return {}
    due = None
    for line in (saved or "").split("\n"):
        if line.startswith("DUE\t"):
            try:
                due = dec(line[4:])
            except Thrown:
                due = None
    return {
        "task": TASK if task is not None else None,
        "next": None if task is None else task["next"],
        "due": due,
        "runner": runner,
        "request": saved,
    }


def due_tasks(store: dict[str, Any], now: datetime.datetime) -> list[str]:
    """The tasks whose next run has come (lab-now >= their ``next``)."""
    return [
        name
        for name, task in (store.get("tasks") or {}).items()
        if parse_lab_time(task["next"]) <= now
    ]


def fire_due(
    store: dict[str, Any],
    now: datetime.datetime,
    runner_text: str | None,
    *,
    os_version: str = "6.1",
    stopped_hresult: str = "0x800706D9",
) -> list[dict[str, Any]]:
    """Run each task whose time has come, as the Task Scheduler runs it (SYSTEM): its
    action is ``powershell.exe ... -File <runner>``, the runner started with no request,
    so it reads the rollback request beside it. The lab plays a runner that is the
    collection's switch script (``runner_text``: compact ``_prelude.ps1`` + ``_switch.ps1``)
    and no other: another one, or a missing one, runs nothing but is recorded. A task still
    there afterwards is next due a day later (daily).

    Returns one trace entry (op ``rollback-task``) per run.
    """
    entries = []
    for name in due_tasks(store, now):
        task = (store.get("tasks") or {}).get(name)
        if task is None:  # pragma: no cover - a run never removes another task
            continue
        entry: dict[str, Any] = {"op": "rollback-task", "task": name, "due": task["next"]}
        machine = Machine(store, os_version, stopped_hresult=stopped_hresult)
        run_line = str(task.get("run", ""))
        runner = run_line[len(RUN_PREFIX) :] if run_line.startswith(RUN_PREFIX) else None
        text = None if runner is None else machine.read_file(runner)
        if runner is None:
            entry.update(ran=False, rc=None, counts={}, why="its action is not a runner")
        elif text is None:
            entry.update(ran=False, rc=None, counts={}, why=f"the runner {runner} is missing")
        elif runner_text is None or text != runner_text:
            why = "the runner is not the collection's switch script (_prelude.ps1 + _switch.ps1)"
            entry.update(ran=False, rc=None, counts={}, why=why)
        else:
            outcome = run(
                store, "", os_version=os_version, now=now, stopped_hresult=stopped_hresult
            )
            entry.update(ran=True, rc=outcome.rc, counts=outcome.counts)
            if outcome.error:
                entry["error"] = outcome.error
        still = (store.get("tasks") or {}).get(name)
        if still is not None:
            following = parse_lab_time(still["next"])
            while following <= now:
                following += datetime.timedelta(days=1)
            still["next"] = lab_time_text(following)
        entries.append(entry)
    return entries


def tick(
    state: StateDir,
    hid: str,
    os_version: str,
    store: dict[str, Any],
    runner_text: str | None,
) -> list[dict[str, Any]]:
    """Run the host's tasks that are due on the lab clock (:func:`fire_due`): the caller
    holds the host's store lock and writes ``store`` when this returns a run. Each run is
    traced; a ``cut_after_switch`` cut ends once the rollback task has run."""
    if not due_tasks(store, state.lab_now()):
        return []
    faults = state.read_faults(hid)
    stopped = faults.get("stop_firewall")
    entries = fire_due(
        store,
        state.lab_now(),
        runner_text,
        os_version=os_version,
        stopped_hresult=stopped if isinstance(stopped, str) else "0x800706D9",
    )
    for entry in entries:
        state.append_trace(hid, {**entry, "time": now()})
    if faults.get("cut_after_switch") == "cut" and any(e["task"] == TASK for e in entries):
        del faults["cut_after_switch"]
        state.write_faults(hid, faults)
    return entries


# --------------------------------------------------------------------------- host vars

SWITCH_PROFILE_KEYS = ("enabled", "inbound", "outbound", "block_all")
LEGACY_SWITCH_PROFILE_KEYS = ("enabled", "block_all")
ACTIONS = {"block": 0, "allow": 1}


def _check_keys(host: str, where: str, value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LabError(f"host {host}: {where} must be a mapping of {list(keys)}, got {value!r}")
    unknown = sorted(str(key) for key in set(value) - set(keys))
    if unknown:
        raise LabError(f"host {host}: {where}: unknown keys {unknown}; valid: {list(keys)}")
    return value


def _bool(host: str, where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise LabError(f"host {host}: {where} must be true or false, got {value!r}")
    return value


def _choice(host: str, where: str, value: Any, choices: dict[str, int]) -> int:
    if value not in choices:
        raise LabError(f"host {host}: {where} must be one of {list(choices)}, got {value!r}")
    return choices[value]


def apply_host_vars(host: str, value: Any, store: dict[str, Any], os_version: str) -> None:
    """``ocs_lab_switch`` checked, then applied to a first store (its service, profiles
    and logs already at Windows' defaults): ``{service: {start: auto|demand|disabled,
    running}, <profile>: {enabled, inbound: allow|block, outbound: allow|block, block_all},
    log: {dropped, size_kb, path}}``, every key optional. Profiles are domain, private and
    public (2003: domain and standard, with ``enabled`` and ``block_all``, its
    ExceptionsNotAllowed, only: it has no default actions to set). A bad key or value is a
    :class:`LabError` naming the host."""
    if value is None:
        return
    legacy = os_version == LEGACY_OS
    profiles = policy.LEGACY_PROFILE_TYPES if legacy else policy.PROFILE_TYPES
    top = ("service", *profiles, "log")
    given = _check_keys(host, "ocs_lab_switch", value, top)
    machine = Machine(store, os_version)
    if "service" in given:
        service = _check_keys(
            host, "ocs_lab_switch.service", given["service"], ("start", "running")
        )
        values: dict[str, Any] = {}
        if "start" in service:
            where = "ocs_lab_switch.service.start"
            values["start"] = _choice(host, where, service["start"], START_NUMBERS)
        if "running" in service:
            values["running"] = _bool(host, "ocs_lab_switch.service.running", service["running"])
        machine.set_service(**values)
    keys = LEGACY_SWITCH_PROFILE_KEYS if legacy else SWITCH_PROFILE_KEYS
    for name, ptype in profiles.items():
        if name not in given:
            continue
        where = f"ocs_lab_switch.{name}"
        if legacy and isinstance(given[name], dict):
            extra = sorted(set(given[name]) & {"inbound", "outbound"})
            if extra:
                raise LabError(
                    f"host {host}: {where}: {extra} are not Windows Server 2003 settings (it "
                    "blocks unsolicited inbound traffic when on and never filters outbound); "
                    f"valid: {list(keys)}"
                )
        switches = _check_keys(host, where, given[name], keys)
        local = machine.local_profile(ptype)
        if "enabled" in switches:
            local["enabled"] = int(_bool(host, f"{where}.enabled", switches["enabled"]))
        if "block_all" in switches:
            blocked = int(_bool(host, f"{where}.block_all", switches["block_all"]))
            local["exceptions_not_allowed" if legacy else "block_all_inbound"] = blocked
        for key, stored in (("inbound", "inbound_action"), ("outbound", "outbound_action")):
            if key in switches:
                local[stored] = _choice(host, f"{where}.{key}", switches[key], ACTIONS)
    if "log" in given:
        log = _check_keys(host, "ocs_lab_switch.log", given["log"], ("dropped", "size_kb", "path"))
        values = {}
        if "dropped" in log:
            values["dropped"] = int(_bool(host, "ocs_lab_switch.log.dropped", log["dropped"]))
        if "size_kb" in log:
            size = log["size_kb"]
            if isinstance(size, bool) or not isinstance(size, int):
                raise LabError(
                    f"host {host}: ocs_lab_switch.log.size_kb must be a whole number, got {size!r}"
                )
            if not MIN_LOG_KB <= size <= MAX_LOG_KB:
                raise LabError(
                    f"host {host}: ocs_lab_switch.log.size_kb {size} is not from {MIN_LOG_KB} "
                    f"to {MAX_LOG_KB} (KB, as Windows takes it)"
                )
            values["size_kb"] = size
        if "path" in log:
            path = log["path"]
            if not isinstance(path, str) or not path or "\0" in path:
                raise LabError(
                    f"host {host}: ocs_lab_switch.log.path must be a file path, got {path!r}"
                )
            values["path"] = path
        for ptype in machine.types:
            machine.set_log(ptype, **values)
        if values.get("dropped"):
            for ptype in machine.types:
                machine.start_log(machine.log_file(ptype))


def default_settings(store: dict[str, Any], os_version: str) -> None:
    """A fresh host's service, log settings, disk and tasks, written out in full so that
    ``dump`` shows them: the firewall service automatic and running, each profile's log off
    at 4096 KB in Windows' default place (2008: ``%systemroot%\\system32\\LogFiles\\Firewall\\
    pfirewall.log``, 2003: ``%windir%\\pfirewall.log``), no file, no task."""
    legacy = os_version == LEGACY_OS
    path = LEGACY_LOG_PATH if legacy else DEFAULT_LOG_PATH
    store["service"] = {"start": SEED_START, "running": True}
    store["logging"] = {
        str(ptype): {"dropped": 0, "size_kb": DEFAULT_LOG_KB, "path": path}
        for ptype in (LEGACY_PROFILE_TYPES if legacy else PROFILE_TYPES)
    }
    store["files"] = {}
    store["tasks"] = {}


def plant_tasks(host: str, value: Any, store: dict[str, Any], now: datetime.datetime) -> None:
    """``ocs_lab_tasks``: names of scheduled tasks the host has already (left by an earlier
    run, or made by hand): daily at 03:00, their action runs nothing the lab plays."""
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise LabError(f"host {host}: ocs_lab_tasks must be a list of task names, got {value!r}")
    tasks = store.setdefault("tasks", {})
    for name in value:
        tasks[name] = {
            "run": "",
            "schedule": "daily",
            "start": "03:00",
            "user": "SYSTEM",
            "next": lab_time_text(next_daily(now, "03:00")),
        }
