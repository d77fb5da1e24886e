"""The lab's state folder: where each host keeps its firewall, trace and faults.

Layout of ``DIR``::

    lab.json            hosts, transports, credentials, script paths (written by start)
    lab.pid             pid of the background server
    ready.json          written by the server once every host listens (ports)
    ca.pem, server.pem, server.key   HTTPS certificate material
    ntlm_users          NTLM_USER_FILE for pyspnego
    server.log          the server's stderr
    inventory.yml       copy of the written inventory
    clock.json          the lab clock's offset from real time (api.advance_clock)
    hosts/<id>/firewall.json   the host's store: rules, profiles, the firewall service, the
                               logs' settings, files and scheduled tasks (replaced atomically
                               on every change)
    hosts/<id>/store.lock      taken (flock) around every read-change-write of the store, by
                               the server and by the API alike
    hosts/<id>/trace.jsonl     one line per command the host ran (and each run of its tasks)
    hosts/<id>/faults.json     injected faults, re-read on every request
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The faults a host can be given (api.set_fault, the CLI's fault options).
FAULT_KINDS = (
    "refuse_auth",
    "fail_command",
    "drop_command",
    "delay",
    "stop_firewall",
    "cut_after_switch",
)


class LabError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_json(path: Path, default: Any = None) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def host_id(name: str) -> str:
    """A file-system-safe folder name for an inventory host name."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".")
    if safe != name or not safe:
        # Keep names that differ only in unsafe characters apart.
        safe = f"{safe or 'host'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return safe


class _File:
    """A file of the state folder by its name: ``StateDir.pid_file`` is ``<DIR>/lab.pid``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, state: StateDir, owner: type | None = None) -> Path:
        return state.path / self.name


class StateDir:
    # The files of the layout above, one name each.
    config_file = _File("lab.json")
    pid_file = _File("lab.pid")
    ready_file = _File("ready.json")
    log_file = _File("server.log")
    ntlm_user_file = _File("ntlm_users")
    inventory_file = _File("inventory.yml")
    ca_file = _File("ca.pem")
    cert_file = _File("server.pem")
    key_file = _File("server.key")
    clock_file = _File("clock.json")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()

    def config(self) -> dict[str, Any]:
        data = read_json(self.config_file)
        if data is None:
            raise LabError(f"{self.path} holds no lab (no lab.json); start one with 'start'")
        return dict(data)

    def write_ntlm_user(self, user: str, password: str) -> None:
        """The one account of every host, as pyspnego reads ``NTLM_USER_FILE``."""
        self.ntlm_user_file.write_text(f":{user}:{password}\n", encoding="utf-8")
        self.ntlm_user_file.chmod(0o600)

    def host_dir(self, hid: str) -> Path:
        return self.path / "hosts" / hid

    def resolve_hosts(self, names: list[str] | None) -> list[dict[str, Any]]:
        """The configured hosts, or those named; an unknown name is an error naming it."""
        hosts: list[dict[str, Any]] = self.config()["hosts"]
        if not names:
            return hosts
        by_name = {h["name"]: h for h in hosts}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise LabError(
                f"unknown lab host(s) {unknown}; hosts in {self.path}: {sorted(by_name)}"
            )
        return [by_name[n] for n in names]

    # -- per host files

    def firewall_file(self, hid: str) -> Path:
        return self.host_dir(hid) / "firewall.json"

    @contextlib.contextmanager
    def locked(self, hid: str) -> Iterator[None]:
        """Hold the host's store lock: a read-change-write of its store by the server (a
        request, an accepted connection) and by the API (a fault, the clock) never mix."""
        path = self.host_dir(hid) / "store.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    # -- the lab clock

    def clock_offset(self) -> float:
        """Seconds the lab clock is ahead of real time (0 for a fresh lab)."""
        try:
            return float((read_json(self.clock_file, {}) or {}).get("offset_seconds", 0.0))
        except (ValueError, OSError, TypeError):
            return 0.0

    def advance_clock(self, seconds: float) -> None:
        write_json(self.clock_file, {"offset_seconds": self.clock_offset() + seconds})

    def lab_now(self) -> datetime.datetime:
        """The hosts' local time: real time (UTC, the lab's local time) plus the offset."""
        return lab_time(self.clock_offset())

    def trace_file(self, hid: str) -> Path:
        return self.host_dir(hid) / "trace.jsonl"

    def faults_file(self, hid: str) -> Path:
        return self.host_dir(hid) / "faults.json"

    def read_faults(self, hid: str) -> dict[str, Any]:
        try:
            return dict(read_json(self.faults_file(hid), {}) or {})
        except (ValueError, OSError):
            return {}

    def write_faults(self, hid: str, faults: dict[str, Any]) -> None:
        write_json(self.faults_file(hid), faults)

    def append_trace(self, hid: str, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self.trace_file(hid).open("a", encoding="utf-8") as handle:
            handle.write(line)

    def read_trace(self, hid: str) -> list[dict[str, Any]]:
        try:
            with self.trace_file(hid).open(encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def reset_trace(self, hid: str) -> None:
        self.trace_file(hid).parent.mkdir(parents=True, exist_ok=True)
        with self.trace_file(hid).open("w", encoding="utf-8"):
            pass


def now() -> float:
    return round(time.time(), 6)


def lab_time(offset_seconds: float = 0.0) -> datetime.datetime:
    """Real time plus ``offset_seconds``, as a naive datetime: the hosts' local time, which
    the lab takes to be UTC."""
    real = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return real + datetime.timedelta(seconds=offset_seconds)
