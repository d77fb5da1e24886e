"""A WinRM (WS-Management) endpoint per simulated host.

Speaks what pywinrm and Ansible's winrm connection send: Basic over HTTP or HTTPS, NTLM
with message encryption over HTTP, and the shell actions Create, Command, Send, Receive,
Signal and Delete, within WinRM 2.0's limits (MaxEnvelopeSizekb, MaxShellsPerUser). The
only program a host runs is this collection's remote script: PowerShell with
``plugins/plugin_utils/_remote/_bootstrap.ps1`` as -EncodedCommand, fed on stdin
``_prelude.ps1`` then ``_firewall.ps1`` (the rules) or ``_switch.ps1`` (the firewall's own
settings), then the request (the paths lab.json names), all recognised by their exact
text; the request is then played by :func:`ocs_lab.firewall.run` (on a Windows Server 2003
host, by :mod:`ocs_lab.legacy` through it; such a host is only ever given the NTLM
transport, see ``api._flavour``) or by :func:`ocs_lab.switch.run`. Anything else fails
with exit code 1.

Each new TCP connection is judged first by the host's firewall as it is now
(:mod:`ocs_lab.gate`): one the firewall blocks is reset before any HTTP byte. Before a
connection is judged and before a command runs, the host's scheduled tasks whose time has
come on the lab clock run (:func:`ocs_lab.switch.tick`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import spnego

from . import firewall, gate, powershell1, switch
from .api import FLAVOUR_DEFAULTS
from .state import StateDir, now, read_json, write_json

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
ACTION_CREATE = TRANSFER + "Create"
ACTION_DELETE = TRANSFER + "Delete"
ACTION_COMMAND = SHELL + "Command"
ACTION_SEND = SHELL + "Send"
ACTION_RECEIVE = SHELL + "Receive"
ACTION_SIGNAL = SHELL + "Signal"
STATE_DONE = SHELL + "CommandState/Done"
CMD_RESOURCE = SHELL + "cmd"

FAULT_TIMEOUT = 2150858793
FAULT_INVALID_SELECTOR = 2150858843
FAULT_ACTION = 2150858771
# HRESULT 0x80338111, the request size exceeded the configured MaxEnvelopeSize quota.
FAULT_ENVELOPE = 2150859025
# Beyond a quota (api.FLAVOURS: MaxShellsPerUser, MaxConcurrentOperationsPerUser) WinRM
# answers with a wsman:QuotaLimit fault ([MS-WSMV] 3.1.4.5.2.1 gives the subcode and the
# texts; the code number is the lab's own).
FAULT_QUOTA = 2150859173
# WinRM 2.0's IdleTimeout: a shell without a request for 180,000 ms is deleted ("Quota
# Management for Remote Shells").
IDLE_TIMEOUT_S = 180.0
# What the bootstrap writes, and its exit code, where PowerShell 1.0 runs it (and can read
# it: powershell1.refusal).
POWERSHELL_1_STDERR = (
    b"ocs.firewall: PowerShell 2.0 or later is needed (Windows Management Framework 2.0, "
    b"KB968930)\r\n"
)
POWERSHELL_1_EXIT = 4

POWERSHELL_ARGS = ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted"]
SEPARATOR = b"\0\0\0\0"
NOT_OURS = (
    "ocs_lab: this simulated host runs only ocs.firewall's remote scripts "
    "(plugins/plugin_utils/_remote/_bootstrap.ps1 fed _prelude.ps1 + _firewall.ps1, or "
    "_prelude.ps1 + _switch.ps1, over stdin); {why}\r\n"
)
MAX_BODY = 32 * 1024 * 1024
MIME_BOUNDARY = b"--Encrypted Boundary"
ENCRYPTED_TYPE = "application/HTTP-SPNEGO-session-encrypted"


def normalise_script(text: str) -> str:
    """What Ansible's PowerShell shell does to a script before -EncodedCommand."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def sent_script(text: str) -> bytes:
    """The remote script as the collection sends it on stdin: its lines stripped, without
    blank and comment lines (the lab's own reading of that rule)."""
    lines = [line.strip() for line in text.splitlines()]
    return "".join(f"{line}\n" for line in lines if line and line[0] != "#").encode("ascii")


class Scripts:
    """The collection's bootstrap and remote scripts, re-read when the files change.

    The scripts a host runs, by kind, as the collection sends them: ``firewall`` is the
    compact ``_prelude.ps1`` then the compact ``_firewall.ps1``, ``switch`` the prelude then
    ``_switch.ps1`` (there is no ``switch`` without a ``_switch.ps1``; without a prelude,
    as a lab.json written before the split says, ``firewall`` is ``_firewall.ps1`` alone).
    """

    def __init__(
        self,
        bootstrap: Path,
        script: Path,
        prelude: Path | None = None,
        switch_script: Path | None = None,
    ) -> None:
        self.bootstrap_path = bootstrap
        self.script_path = script
        self.prelude_path = prelude
        self.switch_path = switch_script
        self._stamp: tuple[float | None, ...] | None = None
        self._bootstrap: set[str] = set()
        self._scripts: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def in_folder(cls, folder: Path) -> Scripts:
        return cls(
            folder / "_bootstrap.ps1",
            folder / "_firewall.ps1",
            folder / "_prelude.ps1",
            folder / "_switch.ps1",
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Scripts:
        """The scripts lab.json names."""
        optional = [config.get(key) for key in ("prelude_path", "switch_path")]
        prelude, switch_script = (Path(path) if path else None for path in optional)
        return cls(
            Path(config["bootstrap_path"]), Path(config["script_path"]), prelude, switch_script
        )

    @property
    def paths(self) -> str:
        """The files read, for a message."""
        named = [self.bootstrap_path, self.prelude_path, self.script_path, self.switch_path]
        return ", ".join(str(path) for path in named if path is not None)

    def current(self) -> tuple[set[str], dict[str, bytes]]:
        """The bootstrap's accepted texts and the scripts by kind (none when a file that is
        needed cannot be read)."""
        with self._lock:
            try:
                needed = [self.bootstrap_path, self.script_path]
                if self.prelude_path is not None:
                    needed.append(self.prelude_path)
                stamp: tuple[float | None, ...] = tuple(p.stat().st_mtime for p in needed)
            except OSError:
                return set(), {}
            try:
                switch_stamp = self.switch_path.stat().st_mtime if self.switch_path else None
            except OSError:
                switch_stamp = None
            stamp = (*stamp, switch_stamp)
            if stamp != self._stamp:
                raw = self.bootstrap_path.read_bytes()
                # Past what normalise_script drops (as Ansible does), a byte-order mark is
                # the only difference tolerated in the bootstrap.
                self._bootstrap = {
                    normalise_script(raw.decode("utf-8")),
                    normalise_script(raw.decode("utf-8-sig")),
                }
                prelude = b""
                if self.prelude_path is not None:
                    prelude = sent_script(self.prelude_path.read_text(encoding="ascii"))
                self._scripts = {
                    "firewall": prelude + sent_script(self.script_path.read_text(encoding="ascii"))
                }
                if switch_stamp is not None and self.switch_path is not None:
                    text = self.switch_path.read_text(encoding="ascii")
                    self._scripts["switch"] = prelude + sent_script(text)
                self._stamp = stamp
            return self._bootstrap, dict(self._scripts)

    def runner(self) -> str | None:
        """The text a rollback runner must have for the lab to run it: the switch script
        as sent (compact prelude + compact switch script)."""
        script = self.current()[1].get("switch")
        return None if script is None else script.decode("ascii")


# What a command leaves: stdout, stderr and the exit code.
Result = tuple[bytes, bytes, int]


@dataclass
class Command:
    id: str
    executable: str
    arguments: str
    console_mode_stdin: bool
    stdin: list[bytes] = field(default_factory=list)
    stdin_closed: bool = False
    result: Result | None = None
    drop: bool = False
    delivered: bool = False


@dataclass
class Shell:
    id: str
    commands: dict[str, Command] = field(default_factory=dict)
    # When the client last used it (time.monotonic()), for IDLE_TIMEOUT_S.
    used: float = field(default_factory=time.monotonic)


class Drop(Exception):
    """Close the TCP connection without answering."""


class Host:
    """One simulated Windows host: its shells, firewall store, faults and trace."""

    def __init__(self, config: dict[str, Any], state: StateDir, scripts: Scripts) -> None:
        self.name: str = config["name"]
        self.hid: str = config["id"]
        self.transport: str = config["transport"]
        self.user: str = config["user"]
        self.password: str = config["password"]
        # The Windows this host plays (api.FLAVOURS); an entry without one gets the defaults.
        flavour = {**FLAVOUR_DEFAULTS, **config}
        self.os: str = flavour["os"]
        self.powershell: str = flavour["powershell"]
        self.tls: str = flavour["tls"]
        self.max_envelope_kb: int = flavour["max_envelope_kb"]
        self.max_shells_per_user: int = flavour["max_shells_per_user"]
        self.max_operations_per_user: int = flavour["max_operations_per_user"]
        # What the host's Windows sees of the controller's connections (gate.read_door).
        self.door = gate.Door(
            port=config.get("winrm_port")
            or gate.WINRM_PORTS.get(self.transport, gate.DEFAULT_WINRM_PORT),
            controller=config.get("controller_address", gate.DEFAULT_CONTROLLER),
            local_subnet=config.get("controller_local_subnet", True),
            address=config.get("address", gate.Door.address),
        )
        # Requests being answered right now (one lab user, so "per user").
        self.operations = 0
        self.state = state
        self.scripts = scripts
        self.shells: dict[str, Shell] = {}
        self.lock = threading.Lock()

    # -- faults

    def faults(self) -> dict[str, Any]:
        return self.state.read_faults(self.hid)

    def _take_counted_faults(self) -> tuple[bool, bool]:
        """Count this command against --fail-command / --drop-command; say which fire."""
        faults = self.faults()
        fire = {}
        changed = False
        for kind in ("fail_command", "drop_command"):
            left = faults.get(kind)
            if isinstance(left, int) and left > 0:
                left -= 1
                changed = True
                fire[kind] = left == 0
                if left == 0:
                    del faults[kind]
                else:
                    faults[kind] = left
        if changed:
            self.state.write_faults(self.hid, faults)
        return fire.get("fail_command", False), fire.get("drop_command", False)

    # -- running a command

    def execute(self, command: Command) -> None:
        stdin = b"".join(command.stdin)
        with self.lock:
            command.result, trace = self._execute_locked(command, stdin)
            trace.update(time=now(), shell_command=command.id, stdin_bytes=len(stdin))
            self.state.append_trace(self.hid, trace)

    def _execute_locked(self, command: Command, stdin: bytes) -> tuple[Result, dict[str, Any]]:
        checked = self._check_program(command, stdin)
        if isinstance(checked, str):
            message = NOT_OURS.format(why=checked).encode("utf-8")
            return (b"", message, 1), {"op": "rejected", "rc": 1, "counts": {}, "why": checked}
        decoded, kind, script = checked
        if self.powershell == "1.0":
            return self._run_on_powershell_1(decoded)
        # Digests of what ran, so a test can prove the code sent never varies with the data.
        digests = {
            "command_sha256": hashlib.sha256(decoded.encode("utf-8")).hexdigest(),
            "script_sha256": hashlib.sha256(script).hexdigest(),
        }
        request = stdin[len(script) + len(SEPARATOR) :]
        return self._run_request(command, kind, request, digests)

    @staticmethod
    def _run_on_powershell_1(decoded: str) -> tuple[Result, dict[str, Any]]:
        """PowerShell 1.0 reads the whole bootstrap first: what it cannot read fails the
        command (exit code 1); else the bootstrap stops at its guard, 1.0 having no
        $PSVersionTable."""
        refused = powershell1.refusal(decoded)
        if refused is not None:
            trace = {"op": "powershell-1.0", "rc": powershell1.EXIT_CODE, "counts": {}}
            trace["error"] = refused.split("\r\n", 1)[0]
            return (b"", refused.encode("utf-8"), powershell1.EXIT_CODE), trace
        trace = {"op": "powershell-1.0", "rc": POWERSHELL_1_EXIT, "counts": {}}
        return (b"", POWERSHELL_1_STDERR, POWERSHELL_1_EXIT), trace

    def _check_program(self, command: Command, stdin: bytes) -> tuple[str, str, bytes] | str:
        """The decoded bootstrap, the script's kind and its bytes if ``command`` is ours,
        else why not."""
        bootstraps, scripts = self.scripts.current()
        if not bootstraps:
            return f"the lab cannot read {self.scripts.paths}"
        if command.executable.lower() != "powershell":
            return f"command {command.executable!r} is not PowerShell"
        args = command.arguments.split(" ")
        if args[:-2] != POWERSHELL_ARGS or args[-2:-1] != ["-EncodedCommand"]:
            return f"unexpected PowerShell arguments {command.arguments[:200]!r}"
        try:
            decoded = base64.b64decode(args[-1], validate=True).decode("utf-16-le")
        except (binascii.Error, UnicodeError, ValueError):
            return "-EncodedCommand is not base64 of UTF-16LE text"
        if decoded not in bootstraps:
            return "the encoded command is not the text of _bootstrap.ps1"
        for kind, script in scripts.items():
            if stdin.startswith(script + SEPARATOR):
                return decoded, kind, script
        return (
            "stdin does not start with the exact bytes of _prelude.ps1 + _firewall.ps1 (or "
            "_prelude.ps1 + _switch.ps1) + 4 NULs"
        )

    def _run_request(
        self, command: Command, kind: str, request_bytes: bytes, digests: dict[str, str]
    ) -> tuple[Result, dict[str, Any]]:
        """Run the request of a script of ``kind`` on this host's store, with the faults this
        command meets (the host's tasks that are due run first)."""
        fail, drop = self._take_counted_faults()
        faults = self.faults()
        command.drop = drop
        fault_names = [n for n, hit in (("fail_command", fail), ("drop_command", drop)) if hit]
        if faults.get("stop_firewall"):
            fault_names.append("stop_firewall")
        try:
            request_text = request_bytes.decode("utf-8")
        except UnicodeDecodeError:
            request_text = "\ufffd"  # parse_request reports it as a bad request
        hresult = faults.get("stop_firewall")
        hresult = hresult if isinstance(hresult, str) else "0x800706D9"
        with self.state.locked(self.hid):
            store = read_json(self.state.firewall_file(self.hid))
            ran = switch.tick(self.state, self.hid, self.os, store, self.scripts.runner())
            if kind == "switch":
                outcome = switch.run(
                    store,
                    request_text,
                    os_version=self.os,
                    now=self.state.lab_now(),
                    fail_midway=fail,
                    stopped_hresult=hresult,
                )
                self._after_switch(outcome)
            else:
                running = switch.Machine(store, self.os).running
                outcome = firewall.run(
                    store,
                    request_text,
                    service_stopped=False if running else hresult,
                    fail_midway=fail,
                    os_version=self.os,
                )
            if outcome.changed or ran:
                write_json(self.state.firewall_file(self.hid), store)
        trace: dict[str, Any] = {
            "op": outcome.op or "bad-request",
            "rc": outcome.rc,
            "counts": outcome.counts,
            **digests,
        }
        if kind == "switch":
            trace["script"] = "switch"
        if outcome.error:
            trace["error"] = outcome.error
        if fault_names:
            trace["faults"] = fault_names
        return (outcome.stdout.encode("utf-8"), b"", outcome.rc), trace

    def _after_switch(self, outcome: firewall.Outcome) -> None:
        """A cut_after_switch fault cuts the host off once a switch succeeded."""
        if outcome.op == "switch" and outcome.rc == 0:
            faults = self.faults()
            if faults.get("cut_after_switch") == "armed":
                faults["cut_after_switch"] = "cut"
                self.state.write_faults(self.hid, faults)

    # -- the firewall at the door

    def admit(self, client_address: Any) -> bool:
        """Whether the host's firewall lets this new connection in (:mod:`ocs_lab.gate`), its
        due tasks run first; a refused one is traced, and logged where the profile that
        blocks it logs dropped packets."""
        remote_port = int(client_address[1]) if client_address else 0
        with self.state.locked(self.hid):
            store = read_json(self.state.firewall_file(self.hid))
            if store is None:
                return True
            changed = bool(switch.tick(self.state, self.hid, self.os, store, self.scripts.runner()))
            cut = self.faults().get("cut_after_switch") == "cut"
            verdict = gate.judge(store, self.os, self.door, remote_port)
            refused = cut or not verdict.allowed
            logged = 0
            if refused:
                profiles = verdict.blocking or gate.current_types(store, self.os)
                line = gate.drop_line(
                    self.state.lab_now(),
                    firewall.TCP,
                    self.door.controller,
                    self.door.address,
                    remote_port,
                    self.door.port,
                    random.getrandbits(32),
                )
                logged = gate.log_drop(switch.Machine(store, self.os), profiles, line)
                changed = changed or bool(logged)
            if changed:
                write_json(self.state.firewall_file(self.hid), store)
        if refused:
            entry = {
                "op": "refused-connection",
                "rc": None,
                "counts": {"logged": logged},
                "by": "cut_after_switch" if cut else verdict.why,
                "port": self.door.port,
                "remote_port": remote_port,
                "time": now(),
            }
            self.state.append_trace(self.hid, entry)
        return not refused

    # -- WS-Man

    def handle_soap(self, body: bytes) -> tuple[int, bytes]:
        """Answer one decrypted SOAP request: HTTP status and reply envelope."""
        envelope = Envelope.parse(body)
        if envelope is None:
            return 400, b""
        reply = Reply(envelope.action, envelope.message_id)
        if len(body) > self.max_envelope_kb * 1024:
            return self._refuse_envelope(reply, len(body))
        with self.lock:
            busy = self.operations >= self.max_operations_per_user
            if not busy:
                self.operations += 1
        if busy:
            return 500, reply.fault(
                FAULT_QUOTA,
                "w:QuotaLimit",
                "The WS-Management service cannot process the request. This user is allowed "
                f"a maximum number of {self.max_operations_per_user} concurrent operations, "
                "which has been exceeded. Close existing operations for this user, or raise "
                "the quota for this user.",
            )
        try:
            return self._answer(envelope, reply)
        finally:
            with self.lock:
                self.operations -= 1

    def _answer(self, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        if envelope.action == ACTION_CREATE:
            return self._create(reply)
        with self.lock:
            shell = self.shells.get(envelope.shell_id)
            if shell is not None:
                shell.used = time.monotonic()
        if shell is None:
            return 500, reply.fault(
                FAULT_INVALID_SELECTOR,
                "w:InvalidSelectors",
                f"The request for the Windows Remote Shell with ShellId {envelope.shell_id} "
                "failed because the shell was not found on the server.",
            )
        step = self._SHELL_ACTIONS.get(envelope.action)
        if step is None:
            return 500, reply.fault(
                FAULT_ACTION,
                "a:ActionNotSupported",
                f"The action {envelope.action} is not supported.",
            )
        return step(self, shell, envelope, reply)

    def _refuse_envelope(self, reply: Reply, size: int) -> tuple[int, bytes]:
        self.state.append_trace(
            self.hid, {"op": "refused-envelope", "rc": None, "counts": {}, "envelope_bytes": size}
        )
        return 500, reply.fault(
            FAULT_ENVELOPE,
            "w:EncodingLimit",
            f"The WS-Management service cannot process the request because the request "
            f"size ({size} bytes) exceeded the configured MaxEnvelopeSize quota "
            f"(MaxEnvelopeSizekb {self.max_envelope_kb}).",
        )

    def _create(self, reply: Reply) -> tuple[int, bytes]:
        shell = Shell(str(uuid.uuid4()).upper())
        with self.lock:
            # WinRM deletes a shell left idle for IdleTimeout: a client that went away
            # without deleting its shell holds a place of the quota that long, no longer.
            idle = [s.id for s in self.shells.values() if shell.used - s.used > IDLE_TIMEOUT_S]
            for shell_id in idle:
                del self.shells[shell_id]
            if len(self.shells) >= self.max_shells_per_user:
                return 500, reply.fault(
                    FAULT_QUOTA,
                    "w:QuotaLimit",
                    "The Windows Remote Shell cannot process the request. The server is "
                    "already executing the maximum number of concurrent shells a user can "
                    "remotely open on the same system. Retry later.",
                )
            self.shells[shell.id] = shell
        return 200, reply.created(shell.id)

    def _delete(self, shell: Shell, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        with self.lock:
            self.shells.pop(shell.id, None)
        return 200, reply.ok("")

    def _start_command(self, shell: Shell, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        line = envelope.body.find("rsp:CommandLine", NS)
        command = Command(
            id=str(uuid.uuid4()).upper(),
            executable=_text(line.find("rsp:Command", NS) if line is not None else None),
            arguments=_text(line.find("rsp:Arguments", NS) if line is not None else None),
            console_mode_stdin=envelope.options.get("WINRS_CONSOLEMODE_STDIN", "TRUE") == "TRUE",
        )
        shell.commands[command.id] = command
        return 200, reply.ok(
            f"<rsp:CommandResponse><rsp:CommandId>{command.id}</rsp:CommandId>"
            "</rsp:CommandResponse>"
        )

    def _send_stdin(self, shell: Shell, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        stream = envelope.body.find("rsp:Send/rsp:Stream", NS)
        command_id = (stream.get("CommandId") if stream is not None else None) or ""
        found = shell.commands.get(command_id)
        if stream is None or found is None:
            return 500, reply.bad_command(command_id)
        try:
            found.stdin.append(base64.b64decode(_text(stream)))
        except (binascii.Error, ValueError):
            return 400, b""
        if stream.get("End", "").lower() == "true" and not found.stdin_closed:
            found.stdin_closed = True
            self.execute(found)
        return 200, reply.ok("<rsp:SendResponse/>")

    def _receive(self, shell: Shell, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        desired = envelope.body.find("rsp:Receive/rsp:DesiredStream", NS)
        command_id = (desired.get("CommandId") if desired is not None else None) or ""
        found = shell.commands.get(command_id)
        if found is None:
            return 500, reply.bad_command(command_id)
        if found.result is None:
            if not (found.console_mode_stdin or found.stdin_closed):
                # Still waiting for stdin: what WinRM says when OperationTimeout passes.
                time.sleep(0.2)
                return 500, reply.fault(
                    FAULT_TIMEOUT,
                    "w:TimedOut",
                    "The WS-Management service cannot complete the operation within the "
                    "time specified in OperationTimeout.",
                )
            self.execute(found)
        if found.drop and not found.delivered:
            found.delivered = True
            raise Drop()
        if found.result is None:  # pragma: no cover - execute always sets it
            return 500, b""
        # The output goes out once; a later Receive gets the exit code alone.
        stdout, stderr, rc = found.result if not found.delivered else (b"", b"", found.result[2])
        found.delivered = True
        return 200, reply.ok(_receive_body(found.id, stdout, stderr, rc))

    def _signal(self, shell: Shell, envelope: Envelope, reply: Reply) -> tuple[int, bytes]:
        signal = envelope.body.find("rsp:Signal", NS)
        command_id = signal.get("CommandId") if signal is not None else None
        shell.commands.pop(command_id or "", None)
        return 200, reply.ok("<rsp:SignalResponse/>")

    # The actions on an existing shell (Create makes one).
    _SHELL_ACTIONS: dict[str, Callable[[Host, Shell, Envelope, Reply], tuple[int, bytes]]] = {
        ACTION_DELETE: _delete,
        ACTION_COMMAND: _start_command,
        ACTION_SEND: _send_stdin,
        ACTION_RECEIVE: _receive,
        ACTION_SIGNAL: _signal,
    }


@dataclass
class Envelope:
    """The parts of a WS-Man request the lab reads."""

    action: str
    message_id: str
    shell_id: str
    options: dict[str, str]
    body: ET.Element

    @classmethod
    def parse(cls, data: bytes) -> Envelope | None:
        """The request's header fields and body, or None if it is no SOAP envelope."""
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            return None
        header = root.find("s:Header", NS)
        body = root.find("s:Body", NS)
        if header is None or body is None:
            return None
        shell_id = ""
        for selector in header.iterfind("w:SelectorSet/w:Selector", NS):
            if selector.get("Name") == "ShellId":
                shell_id = _text(selector)
        options = {o.get("Name", ""): _text(o) for o in header.iterfind("w:OptionSet/w:Option", NS)}
        return cls(
            action=_text(header.find("a:Action", NS)),
            message_id=_text(header.find("a:MessageID", NS)),
            shell_id=shell_id,
            options=options,
            body=body,
        )


def _text(node: ET.Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _receive_body(command_id: str, stdout: bytes, stderr: bytes, rc: int) -> str:
    parts = ["<rsp:ReceiveResponse>"]
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        if data:
            parts.append(
                f'<rsp:Stream Name="{name}" CommandId="{command_id}">'
                f"{base64.b64encode(data).decode()}</rsp:Stream>"
            )
        parts.append(f'<rsp:Stream Name="{name}" CommandId="{command_id}" End="true"/>')
    parts.append(
        f'<rsp:CommandState CommandId="{command_id}" State="{STATE_DONE}">'
        f"<rsp:ExitCode>{rc}</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>"
    )
    return "".join(parts)


class Reply:
    """Envelopes that answer one request: ``Action`` + ``Response``, ``RelatesTo`` its id."""

    def __init__(self, action: str, message_id: str) -> None:
        self.action = action
        self.message_id = message_id

    def _envelope(self, action: str, body: str) -> bytes:
        return (
            '<s:Envelope xml:lang="en-US" '
            f'xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" '
            'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
            f'xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}" '
            'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
            f"<s:Header><a:Action>{escape(action)}</a:Action>"
            f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
            "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
            f"<a:RelatesTo>{escape(self.message_id)}</a:RelatesTo></s:Header>"
            f"<s:Body>{body}</s:Body></s:Envelope>"
        ).encode()

    def ok(self, body: str) -> bytes:
        return self._envelope(self.action + "Response", body)

    def created(self, shell_id: str) -> bytes:
        return self._envelope(
            self.action + "Response",
            "<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address>"
            f"<a:ReferenceParameters><w:ResourceURI>{CMD_RESOURCE}</w:ResourceURI>"
            f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector>'
            "</w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>"
            f'<rsp:Shell xmlns:rsp="{NS["rsp"]}"><rsp:ShellId>{shell_id}</rsp:ShellId>'
            "<rsp:InputStreams>stdin</rsp:InputStreams>"
            "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>",
        )

    def bad_command(self, command_id: str) -> bytes:
        return self.fault(
            FAULT_INVALID_SELECTOR,
            "w:InvalidSelectors",
            f"The command {command_id} is not known to this shell.",
        )

    def fault(self, code: int, subcode: str, message: str) -> bytes:
        return self._envelope(
            "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault",
            "<s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
            f"<s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>"
            f'<s:Reason><s:Text xml:lang="en-US">{escape(message)}</s:Text></s:Reason>'
            "<s:Detail><f:WSManFault "
            'xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
            f'Code="{code}" Machine="127.0.0.1"><f:Message>{escape(message)}</f:Message>'
            "</f:WSManFault></s:Detail></s:Fault>",
        )


# --------------------------------------------------------------------------- HTTP


class HostServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: Host, ssl_context: ssl.SSLContext | None, port: int = 0) -> None:
        self.host = host
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away mid-request is normal here (faults, timeouts).
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError, Drop)):
            return
        sys.stderr.write(f"[{self.host.name}] error serving {client_address}:\n")
        traceback.print_exc()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: HostServer
    timeout = 120

    def setup(self) -> None:
        if not self.server.host.admit(self.client_address):
            # A firewall that drops the connection: reset it before any byte of an answer.
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
            raise Drop()
        if self.server.ssl_context is not None:
            self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()
        self.ntlm: Any = None
        self.authenticated = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        delay = self.server.host.faults().get("delay")
        if isinstance(delay, (int, float)) and delay > 0:
            time.sleep(float(delay))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body and "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server", "Microsoft-HTTPAPI/2.0")
        self.end_headers()
        self.wfile.write(body)

    def _unauthorised(self, challenge: str) -> None:
        self._send(401, b"", {"WWW-Authenticate": challenge})

    def do_POST(self) -> None:
        host = self.server.host
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413)
            return
        body = self.rfile.read(length) if length else b""
        if self.path.split("?")[0].lower() != "/wsman":
            self._send(404)
            return
        refuse = bool(host.faults().get("refuse_auth"))
        if host.transport == "ntlm":
            if not self._ntlm_auth(refuse):
                return
        elif not self._basic_auth(refuse):
            return

        content_type = self.headers.get("Content-Type", "")
        if host.transport == "ntlm":
            if not body:
                self._send(200)  # pywinrm's empty POST that sets up the security context
                return
            if not content_type.startswith("multipart/encrypted"):
                self._send(400, b"ocs_lab: this host accepts only encrypted messages")
                return
            try:
                body = self._unwrap(body)
            except Exception:  # any unwrap failure is a bad request
                self._send(400)
                return
        try:
            status, reply = host.handle_soap(body)
        except Drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            raise
        if host.transport == "ntlm" and reply:
            self._send(
                status,
                self._wrap(reply),
                {
                    "Content-Type": 'multipart/encrypted;protocol="'
                    + ENCRYPTED_TYPE
                    + '";boundary="Encrypted Boundary"'
                },
            )
        else:
            self._send(status, reply)

    # -- authentication

    def _basic_auth(self, refuse: bool) -> bool:
        host = self.server.host
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic" and not refuse:
            try:
                user, sep, password = base64.b64decode(value).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeError, ValueError):
                user, sep, password = "", "", ""
            if (
                sep
                and user.lower() == host.user.lower()
                and hmac.compare_digest(password.encode(), host.password.encode())
            ):
                return True
        self._unauthorised('Basic realm="WSMAN"')
        return False

    def _ntlm_auth(self, refuse: bool) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("negotiate", "ntlm") or not value:
            if self.authenticated:
                return True
            self._unauthorised("Negotiate")
            return False
        try:
            token = base64.b64decode(value)
        except (binascii.Error, ValueError):
            self._unauthorised("Negotiate")
            return False
        if self.ntlm is None or self.ntlm.complete:
            self.ntlm = spnego.server(protocol="ntlm")
            self.authenticated = False
        try:
            out = self.ntlm.step(token)
        except Exception:  # bad credentials or a malformed token
            self.ntlm = None
            self._unauthorised("Negotiate")
            return False
        if not self.ntlm.complete:
            self._unauthorised(f"Negotiate {base64.b64encode(out or b'').decode()}")
            return False
        if refuse:
            self.ntlm = None
            self._unauthorised("Negotiate")
            return False
        self.authenticated = True
        return True

    # -- message encryption

    def _unwrap(self, body: bytes) -> bytes:
        marker = b"\tContent-Type: application/octet-stream\r\n"
        head, _, rest = body.partition(marker)
        expected = int(head.split(b"Length=")[1].split(b"\r\n")[0])
        end = MIME_BOUNDARY + b"--\r\n"
        if rest.endswith(end):
            rest = rest[: -len(end)]
        sig_len = struct.unpack("<I", rest[:4])[0]
        plain: bytes = self.ntlm.unwrap(rest[4 : 4 + sig_len] + rest[4 + sig_len :]).data
        if len(plain) != expected:
            raise ValueError("length mismatch")
        return plain

    def _wrap(self, message: bytes) -> bytes:
        wrapped: bytes = self.ntlm.wrap(message, encrypt=True).data
        signature, sealed = wrapped[:16], wrapped[16:]
        return (
            MIME_BOUNDARY
            + b"\r\n\tContent-Type: "
            + ENCRYPTED_TYPE.encode()
            + b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(message)).encode()
            + b"\r\n"
            + MIME_BOUNDARY
            + b"\r\n\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<I", len(signature))
            + signature
            + sealed
            + MIME_BOUNDARY
            + b"--\r\n"
        )


def ssl_context(cert: Path, key: Path, tls: str = "1.2") -> ssl.SSLContext:
    """The HTTPS listener's TLS: current versions, or TLS 1.0 only (2008 R2 as it ships)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    if tls == "1.0":
        # OpenSSL's default security level no longer allows TLS 1.0 at all.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1
    return context


def set_ntlm_user_file(path: Path) -> None:
    os.environ["NTLM_USER_FILE"] = str(path)
