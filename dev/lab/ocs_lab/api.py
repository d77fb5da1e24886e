"""Python API of the lab: what the CLI does, callable from pytest fixtures::

    from ocs_lab import api
    inventory = api.start("inventory.yml", state_dir, transport="mixed", output="lab.yml")
    api.dump(state_dir)          # {host: {"profiles": ..., "rules": [...], "policy": ...,
                                 #   "current_profiles": 1, "listeners": [...],
                                 #   "connections": [...], "service": ..., "logging": ...,
                                 #   "files": ..., "tasks": ..., "rollback": {...}}},
                                 # or for a 2003 host
                                 # {host: {"legacy": ..., "current_profile": 0, "policy": ...,
                                 #   "listeners": [...], "connections": [...], "service":
                                 #   ..., "logging": ..., "files": ..., "tasks": ...,
                                 #   "rollback": {...}}}
    api.trace(state_dir)         # {host: [{"time", "op", "rc", "counts", ...}, ...]}
    api.set_fault(state_dir, "fe01", fail_command=1)
    api.evaluate_flow(state_dir, "fe01", {"direction": "in", "protocol": "tcp",
                      "local_port": 5061, "remote_address": "10.0.0.5"})
                                 # {"host", "profile", "verdict", "by", "rules", "depends"}
    api.running_pid(state_dir)   # the server's pid, or None
    api.lab_now(state_dir)       # the hosts' local time: real time (UTC) + the lab's offset
    api.advance_clock(state_dir, 6)   # ["fe01"]: the hosts whose rollback task ran
    api.stop(state_dir)

A 2008 store also holds the firewall service, the logs' settings, the files the switch
script and the firewall write (the rollback's runner and request, the logs) and the
scheduled tasks (:mod:`ocs_lab.switch`); a 2003 store likewise.

The hosts accept the ``_bootstrap.ps1``, ``_prelude.ps1``, ``_firewall.ps1`` and
``_switch.ps1`` of ``DEFAULT_SCRIPTS_DIR`` (this checkout's plugins/plugin_utils/_remote)
unless ``start`` is given ``scripts_dir`` or ``$OCS_LAB_SCRIPTS_DIR`` names another folder.
"""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from . import gate, policy, seed, switch
from . import inventory as inv
from .evaluate import FlowError, evaluate
from .firewall import LEGACY_OS
from .seed import initial_state, legacy_state
from .state import LabError, StateDir, host_id, lab_time, read_json, write_json

LAB_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = LAB_DIR.parent.parent
DEFAULT_SCRIPTS_DIR = REPO_ROOT / "plugins" / "plugin_utils" / "_remote"
DEFAULT_USER = "Administrator"
DEFAULT_PASSWORD = "Lab-Passw0rd!"
TRANSPORT_CHOICES = ("basic", "ntlm", "https", "mixed")


def _process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            # Field 3 is the state; a zombie has exited but was not reaped yet.
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _written_pid(state: StateDir) -> int | None:
    """The pid the server wrote in its state folder, alive or not; None when there is none."""
    try:
        return int(state.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid(state_dir: str | os.PathLike[str]) -> int | None:
    """The pid of the lab server serving ``state_dir``, or None."""
    state = StateDir(state_dir)
    pid = _written_pid(state)
    if pid is None or not _process_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    # Guard against a recycled pid: it must be our server for this very folder.
    if b"ocs_lab" not in cmdline or str(state.path).encode() not in cmdline:
        return None
    return pid


def start(
    inventory: dict[str, Any] | str | os.PathLike[str],
    state_dir: str | os.PathLike[str],
    transport: str = "basic",
    *,
    user: str = DEFAULT_USER,
    password: str = DEFAULT_PASSWORD,
    output: str | os.PathLike[str] | None = None,
    replace: bool = False,
    scripts_dir: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Start one simulated host per inventory host; return (and write) the lab inventory.

    ``scripts_dir`` (else ``$OCS_LAB_SCRIPTS_DIR``, else ``DEFAULT_SCRIPTS_DIR``) holds the
    ``_bootstrap.ps1``, ``_prelude.ps1``, ``_firewall.ps1`` and ``_switch.ps1`` the hosts
    accept. The lab clock starts at real time.
    """
    _check_start_options(transport, user, password)
    state = StateDir(state_dir)
    _stop_running_lab(state, replace)
    data = inv.load(inventory if isinstance(inventory, dict) else Path(inventory))
    # The groups that shape a host's first store: OCS set-up's rules, what it listens on.
    wanted = list(dict.fromkeys([inv.FRONT_END_GROUP, *seed.LISTENER_ROLES]))
    groups = inv.memberships(data, wanted)
    hosts, stores = _plan_hosts(inv.hosts(data), transport, user, password, groups)
    scripts = Path(scripts_dir or os.environ.get("OCS_LAB_SCRIPTS_DIR") or DEFAULT_SCRIPTS_DIR)
    _write_state(state, hosts, stores, scripts, user, password)
    ports = _spawn(state, timeout)
    connections = {
        h["name"]: inv.connection_vars(
            h["transport"], ports[h["name"]], user, password, state.ca_file, h["winrm_port"]
        )
        for h in hosts
    }
    written = inv.with_connections(data, connections)
    text = yaml.safe_dump(written, sort_keys=False, allow_unicode=True)
    state.inventory_file.write_text(text, encoding="utf-8")
    if output is not None:
        Path(output).write_text(text, encoding="utf-8")
    return written


def _check_start_options(transport: str, user: str, password: str) -> None:
    if transport not in TRANSPORT_CHOICES:
        raise LabError(f"transport {transport!r} is not valid; choose one of {TRANSPORT_CHOICES}")
    if not user or any(c in user for c in ":\r\n"):
        raise LabError(f"user {user!r} must be non-empty without ':' or line breaks")
    if not password or any(c in password for c in "\r\n"):
        raise LabError("password must be non-empty without line breaks")


def _stop_running_lab(state: StateDir, replace: bool) -> None:
    """Stop the lab already serving ``state`` if ``replace``; refuse to start over it if not."""
    pid = running_pid(state.path)
    if pid is None:
        return
    if not replace:
        names = [h["name"] for h in read_json(state.config_file, {}).get("hosts", [])]
        raise LabError(
            f"{state.path} already holds a running lab (pid {pid}, hosts {names}); "
            f"stop it with 'python -m ocs_lab stop --state-dir {state.path}' or pass --replace"
        )
    stop(state.path)


def _plan_hosts(
    host_vars: dict[str, dict[str, Any]],
    transport: str,
    user: str,
    password: str,
    groups: dict[str, list[str]],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Each host's entry of lab.json, and its first firewall store by host name
    (``groups``: each host's inventory groups among those its store depends on)."""
    if not host_vars:
        raise LabError("the inventory names no hosts")
    hosts = []
    stores: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for index, (name, variables) in enumerate(host_vars.items()):
        kind = variables.get("ocs_lab_transport")
        chosen = "its ocs_lab_transport"
        if kind is None:
            chosen = "the lab's transport"
            kind = transport
            if transport == "mixed":
                # A 2003 host has one transport that works (see _flavour).
                legacy = str(variables.get("ocs_lab_os")) == LEGACY_OS
                kind = LEGACY_TRANSPORT if legacy else inv.TRANSPORTS[index % len(inv.TRANSPORTS)]
        if kind not in inv.TRANSPORTS:
            raise LabError(
                f"host {name}: ocs_lab_transport {kind!r} is not valid; "
                f"choose one of {list(inv.TRANSPORTS)}"
            )
        hid = host_id(name)
        while hid in used_ids:
            hid += "_"
        used_ids.add(hid)
        flavour = _flavour(name, variables, kind, chosen)
        addresses = inv.host_addresses(variables)
        address = addresses[0] if addresses else seed.FALLBACK_LOCAL_ADDRESS
        door = gate.read_door(name, variables, kind, address)
        stores[name] = _first_store(
            name, variables, flavour["os"], groups.get(name, []), door=door, transport=kind
        )
        hosts.append(
            {
                "name": name,
                "id": hid,
                "transport": kind,
                "user": user,
                "password": password,
                **flavour,
                "winrm_port": door.port,
                "controller_address": door.controller,
                "controller_local_subnet": door.local_subnet,
                "address": door.address,
            }
        )
    return hosts, stores


def _first_store(
    name: str,
    variables: dict[str, Any],
    os_version: str,
    groups: list[str],
    *,
    door: gate.Door | None = None,
    transport: str = "basic",
) -> dict[str, Any]:
    """The firewall a host starts with: the seed plus its ``ocs_lab_foreign_rules``, under
    its ``ocs_lab_policy`` and (2008) on its ``ocs_lab_current_profiles``. OCS set-up's
    rules are a Front End's (the host is in ``ocs_front_end``: ``groups``, its inventory
    groups among those the store depends on). Then what it listens on and who is
    connected to it (:func:`_listening`), and its switch (:func:`_switch_state`).

    What lets the controller's WinRM connections in (``door``, the host's WinRM port) is
    seeded unless ``ocs_lab_seed_winrm_rule`` is false: 2008's builtin Windows Remote
    Management (HTTP-In) rules, the "Allow WinRM HTTPS" rule of a host with the https
    ``transport``, on 2003 the entry ``winrm quickconfig`` makes; a group policy that voids
    local rules brings its own copy of those rules (``policy_rules``).

    A 2003 host's store has the legacy shape (ocs_lab.legacy), its foreign rules are
    port entries (seed.legacy_entry).
    """
    door = door or gate.Door()
    foreign = variables.get("ocs_lab_foreign_rules") or []
    if not isinstance(foreign, list):
        raise LabError(f"host {name}: ocs_lab_foreign_rules must be a list, got {foreign!r}")
    legacy = os_version == LEGACY_OS
    # Checked first: a bad policy is named even when the foreign rules are bad too.
    group_policy = policy.read_policy(name, variables.get("ocs_lab_policy"), os_version)
    current = policy.read_current_profiles(
        name, variables.get("ocs_lab_current_profiles"), os_version
    )
    winrm = variables.get("ocs_lab_seed_winrm_rule", True)
    if not isinstance(winrm, bool):
        raise LabError(f"host {name}: ocs_lab_seed_winrm_rule must be true or false, got {winrm!r}")
    front_end = inv.FRONT_END_GROUP in groups
    https_port = door.port if transport == "https" else None
    try:
        if legacy:
            store = legacy_state(foreign, winrm=winrm)
        else:
            store = initial_state(foreign, setup=front_end, winrm=winrm, https_port=https_port)
    except (ValueError, TypeError) as exc:
        raise LabError(f"host {name}: bad ocs_lab_foreign_rules: {exc}") from exc
    # Written out in full, defaults included, so that dump shows them (a store without
    # them, as the unit tests build, reads the same: ocs_lab.policy).
    store["policy"] = group_policy
    if not legacy:
        store["current_profiles"] = current
        for profile in store["profiles"].values():
            profile.setdefault("block_all_inbound", 0)
        if winrm and any(
            policy.policy_value(store, ptype, "AllowLocalPolicyMerge") == 0
            for ptype in policy.PROFILE_NAMES
        ):
            store["policy_rules"] = _management_rules(https_port)
    store.update(_listening(name, variables, legacy, groups))
    _switch_state(name, variables, os_version, store, door)
    return store


def _management_rules(https_port: int | None) -> list[dict[str, Any]]:
    """What a GPO that voids local rules brings so that its hosts stay manageable: its own
    copy of the rules that admit WinRM (the builtin HTTP-In ones, the HTTPS one)."""
    rules = [rule for rule in seed.builtin_rules() if seed.is_winrm_http_rule(rule)]
    if https_port is not None:
        rules.append(seed.winrm_https_rule(https_port))
    return rules


def _switch_state(
    name: str, variables: dict[str, Any], os_version: str, store: dict[str, Any], door: gate.Door
) -> None:
    """The firewall's own settings a host starts with: Windows' defaults (the service
    automatic and running, logs off), then its ``ocs_lab_switch``, its ``ocs_lab_tasks``
    and the drops its ``ocs_lab_drops`` plants in its log."""
    started = lab_time()
    switch.default_settings(store, os_version)
    switch.apply_host_vars(name, variables.get("ocs_lab_switch"), store, os_version)
    switch.plant_tasks(name, variables.get("ocs_lab_tasks"), store, started)
    drops = gate.read_drops(name, variables.get("ocs_lab_drops"), door.address)
    gate.plant_drops(store, os_version, drops, started)


def _listening(
    name: str, variables: dict[str, Any], legacy: bool, groups: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """A host's ``listeners`` and ``connections``: what its Windows and its OCS roles (by
    ``groups``) listen on unless ``ocs_lab_listeners_seed`` is false, then its
    ``ocs_lab_listeners``; its ``ocs_lab_connections``, whose local address defaults to
    the host's own (``inventory.host_addresses``, else ``seed.FALLBACK_LOCAL_ADDRESS``)."""
    seeded = variables.get("ocs_lab_listeners_seed", True)
    if not isinstance(seeded, bool):
        raise LabError(f"host {name}: ocs_lab_listeners_seed must be true or false, got {seeded!r}")
    addresses = inv.host_addresses(variables)
    local = addresses[0] if addresses else seed.FALLBACK_LOCAL_ADDRESS
    try:
        listeners = seed.listening(
            groups,
            legacy=legacy,
            addresses=addresses,
            extra=variables.get("ocs_lab_listeners"),
            seeded=seeded,
        )
        connections = seed.connections(variables.get("ocs_lab_connections"), local)
    except ValueError as exc:
        raise LabError(f"host {name}: {exc}") from None
    return {"listeners": listeners, "connections": connections}


def _write_state(
    state: StateDir,
    hosts: list[dict[str, Any]],
    stores: dict[str, dict[str, Any]],
    scripts: Path,
    user: str,
    password: str,
) -> None:
    """Lay out the state folder (see state.py) for a server to start from."""
    state.path.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(state.path / "hosts", ignore_errors=True)
    for leftover in (state.ready_file, state.pid_file, state.clock_file):
        leftover.unlink(missing_ok=True)
    for host in hosts:
        write_json(state.firewall_file(host["id"]), stores[host["name"]])
        state.write_faults(host["id"], {})
        state.reset_trace(host["id"])
    if any(h["transport"] == "https" for h in hosts):
        from .certs import make_certificates

        make_certificates(state.path)
    state.write_ntlm_user(user, password)
    write_json(
        state.config_file,
        {
            "hosts": hosts,
            "bootstrap_path": str(scripts / "_bootstrap.ps1"),
            "prelude_path": str(scripts / "_prelude.ps1"),
            "script_path": str(scripts / "_firewall.ps1"),
            "switch_path": str(scripts / "_switch.ps1"),
        },
    )


# What a host's variables may say about the Windows it plays, and the defaults: Windows
# Server 2008 R2 with PowerShell 2.0 and WinRM 2.0 as they ship, TLS 1.2 enabled on HTTPS.
# "5.2" is Windows Server 2003 SP2 with WMF Core (PowerShell 2.0, WinRM 2.0).
FLAVOURS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "ocs_lab_os": ("os", ("6.1", "6.0", LEGACY_OS)),
    "ocs_lab_powershell": ("powershell", ("2.0", "1.0")),
    "ocs_lab_tls": ("tls", ("1.2", "1.0")),
    "ocs_lab_max_envelope_kb": ("max_envelope_kb", (150,)),
    # WinRM's quotas: shells one user may hold open, 5 on WinRM 2.0 (the WinRM 2.0 edition
    # of "Quota Management for Remote Shells"; [MS-WSMV]'s WinrsType and the current page
    # give 30, a later WinRM's); and requests one user may have in progress at once,
    # [MS-WSMV] ServiceType's default (the WinRM 2.0 value is not in that page).
    "ocs_lab_max_shells_per_user": ("max_shells_per_user", (5,)),
    "ocs_lab_max_operations_per_user": ("max_operations_per_user", (1500,)),
}
# The flavours that are numbers (the others are one of their listed strings).
NUMERIC_FLAVOURS = ("max_envelope_kb", "max_shells_per_user", "max_operations_per_user")
# What a host entry of lab.json means where it names no flavour (written by an older lab).
FLAVOUR_DEFAULTS: dict[str, Any] = {key: allowed[0] for key, allowed in FLAVOURS.values()}
# The one transport a Windows Server 2003 host takes: HTTP with NTLM message encryption.
LEGACY_TRANSPORT = "ntlm"


def _flavour(
    name: str, variables: dict[str, Any], transport: str, chosen: str = "its ocs_lab_transport"
) -> dict[str, Any]:
    """The Windows a host plays (``FLAVOURS``), checked against its ``transport``.

    ``chosen`` says where the transport came from, for the error that refuses it.
    """
    flavour: dict[str, Any] = {}
    for variable, (key, allowed) in FLAVOURS.items():
        value = variables.get(variable, allowed[0])
        if key in NUMERIC_FLAVOURS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LabError(f"host {name}: {variable} must be a whole number, got {value!r}")
        elif str(value) not in allowed:
            raise LabError(f"host {name}: {variable} {value!r} is not one of {list(allowed)}")
        else:
            value = str(value)
        flavour[key] = value
    if flavour["os"] == LEGACY_OS and transport != LEGACY_TRANSPORT:
        raise LabError(
            f"host {name}: ocs_lab_os {LEGACY_OS} (Windows Server 2003) cannot use the "
            f"{transport} transport ({chosen}): Windows Server 2003 has no TLS 1.2, which "
            "current controllers need, so only HTTP with NTLM or Kerberos message encryption "
            f"works; give it ocs_lab_transport {LEGACY_TRANSPORT}"
        )
    if flavour["tls"] != "1.2" and transport != "https":
        raise LabError(f"host {name}: ocs_lab_tls applies to the https transport only")
    if flavour["powershell"] == "1.0" and flavour["os"] != "6.0":
        raise LabError(f"host {name}: PowerShell 1.0 only ships with Windows Server 2008 (6.0)")
    return flavour


def _spawn(state: StateDir, timeout: float) -> dict[str, int]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(LAB_DIR), env.get("PYTHONPATH")]))
    with state.log_file.open("ab") as log:
        launcher = subprocess.run(
            [sys.executable, "-m", "ocs_lab", "serve", "--daemon", "--state-dir", str(state.path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            cwd=str(state.path),
            check=False,
            timeout=timeout,
        )
    if launcher.returncode != 0:
        raise LabError(f"the lab server did not start:\n{_log_tail(state)}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Read before asking whether the server lives: one that failed writes why, then exits.
        exited = _server_exited(state)
        ready = read_json(state.ready_file)
        if ready:
            if "error" in ready:
                raise LabError(f"the lab server failed: {ready['error']}\n{_log_tail(state)}")
            return {str(k): int(v) for k, v in ready["ports"].items()}
        if exited:
            raise LabError(f"the lab server exited before it was ready\n{_log_tail(state)}")
        time.sleep(0.02)
    raise LabError(f"the lab server did not become ready in {timeout} s\n{_log_tail(state)}")


def _server_exited(state: StateDir) -> bool:
    """Whether the server the launcher started has already exited (it writes its pid
    first thing, so no pid yet means it is still starting)."""
    pid = _written_pid(state)
    return pid is not None and not _process_alive(pid)


def _log_tail(state: StateDir) -> str:
    try:
        return "\n".join(state.log_file.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return ""


def stop(state_dir: str | os.PathLike[str], timeout: float = 10.0) -> bool:
    """Stop the lab serving ``state_dir``; True if one was running. Safe to repeat."""
    state = StateDir(state_dir)
    pid = running_pid(state.path)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _process_alive(pid):
            os.kill(pid, signal.SIGKILL)
    for leftover in (state.pid_file, state.ready_file):
        leftover.unlink(missing_ok=True)
    return pid is not None


def dump(
    state_dir: str | os.PathLike[str], hosts: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Each host's whole firewall as stored: profiles and every rule, in store order (a
    2003 host: its two profiles with their port entries, see ocs_lab.legacy), and its
    switch state: the service, the logs' settings, the files (the rollback's runner and
    request, the logs) and the scheduled tasks (see ocs_lab.switch). ``rollback`` is not
    stored: it sums up the armed rollback from those files and that task
    (``switch.rollback_view``: ``{}`` when none is armed)."""
    state = StateDir(state_dir)
    found = {}
    for host in state.resolve_hosts(hosts):
        store = read_json(state.firewall_file(host["id"]))
        if isinstance(store, dict):
            store["rollback"] = switch.rollback_view(store, host.get("os", "6.1"))
        found[host["name"]] = store
    return found


def evaluate_flow(
    state_dir: str | os.PathLike[str], host: str, flow: dict[str, Any]
) -> dict[str, Any]:
    """Is ``flow`` allowed on ``host``'s firewall as it is now, and by which rule?

    ``flow`` as :func:`ocs_lab.evaluate.evaluate` takes it; its ``profile`` defaults to the
    host's current one. Returns the verdict with the host and the profile it was asked
    for. A Windows Server 2003 host, a host on several profiles without a ``profile``,
    and a bad flow value are a :class:`LabError`.
    """
    state = StateDir(state_dir)
    (entry,) = state.resolve_hosts([host])
    store = read_json(state.firewall_file(entry["id"]))
    if store is None:
        raise LabError(f"host {host}: {state.firewall_file(entry['id'])} is missing")
    if "legacy" in store:
        raise LabError(
            f"host {host} plays Windows Server 2003, whose firewall the flow evaluator does "
            "not play (it plays Windows Server 2008 and 2008 R2)"
        )
    asked = dict(flow)
    if asked.get("profile") is None:
        names = policy.profile_names(policy.current_profiles(store))
        if len(names) != 1:
            raise LabError(
                f"host {host} is on the {' and '.join(names)} profiles: name one (--profile)"
            )
        asked["profile"] = names[0]
    try:
        verdict = evaluate(store, asked)
    except FlowError as exc:
        raise LabError(f"host {host}: {exc}") from None
    return {"host": host, "profile": asked["profile"], **verdict}


def trace(
    state_dir: str | os.PathLike[str], hosts: list[str] | None = None, reset: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Commands each host ran (before the reset, when ``reset`` is true)."""
    state = StateDir(state_dir)
    result = {}
    for host in state.resolve_hosts(hosts):
        result[host["name"]] = state.read_trace(host["id"])
        if reset:
            state.reset_trace(host["id"])
    return result


def set_fault(
    state_dir: str | os.PathLike[str],
    host: str,
    *,
    refuse_auth: bool = False,
    fail_command: int | None = None,
    drop_command: int | None = None,
    delay: float | None = None,
    stop_firewall: bool | str = False,
    cut_after_switch: bool = False,
    clear: bool = False,
) -> dict[str, Any]:
    """Add a fault to ``host`` (or clear all its faults); returns the host's faults now.

    ``fail_command=N``: the Nth script run from now fails halfway through an apply
    (ERROR, exit code 2). ``drop_command=N``: the Nth run completes but the connection is
    closed while the client waits for its output. ``delay``: seconds slept before each reply.
    ``stop_firewall``: the firewall service stops (the store's ``service`` is not
    ``running``: the same fact a switch changes); clearing the fault starts it again.
    ``cut_after_switch``: after the host's next successful switch, every new connection to
    it is refused (and logged as dropped) until its rollback task has run.
    """
    state = StateDir(state_dir)
    (entry,) = state.resolve_hosts([host])
    with state.locked(entry["id"]):
        return _set_fault(
            state,
            entry,
            refuse_auth=refuse_auth,
            fail_command=fail_command,
            drop_command=drop_command,
            delay=delay,
            stop_firewall=stop_firewall,
            cut_after_switch=cut_after_switch,
            clear=clear,
        )


def _set_fault(
    state: StateDir,
    entry: dict[str, Any],
    *,
    refuse_auth: bool,
    fail_command: int | None,
    drop_command: int | None,
    delay: float | None,
    stop_firewall: bool | str,
    cut_after_switch: bool,
    clear: bool,
) -> dict[str, Any]:
    before = state.read_faults(entry["id"])
    faults = {} if clear else dict(before)
    for name, count in (("fail_command", fail_command), ("drop_command", drop_command)):
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise LabError(f"{name} must be a whole number >= 1, got {count!r}")
            faults[name] = count
    if delay is not None:
        if delay < 0:
            raise LabError(f"delay must be >= 0 seconds, got {delay!r}")
        faults["delay"] = delay
    if refuse_auth:
        faults["refuse_auth"] = True
    if stop_firewall:
        # True, or the HRESULT the stopped service gives ("0x800706D9" or "0x8007042C").
        faults["stop_firewall"] = stop_firewall
    if cut_after_switch:
        faults["cut_after_switch"] = "armed"
    # The fault and the service's state are one fact: the store says whether it runs.
    if bool(faults.get("stop_firewall")) != bool(before.get("stop_firewall")):
        path = state.firewall_file(entry["id"])
        store = read_json(path)
        if store is not None:
            store["service"] = {
                **switch.Machine(store, entry.get("os", "6.1")).service(),
                "running": not faults.get("stop_firewall"),
            }
            write_json(path, store)
    state.write_faults(entry["id"], faults)
    return faults


def lab_now(state_dir: str | os.PathLike[str]) -> datetime.datetime:
    """The hosts' local time: real time (the lab takes UTC as local) plus the lab's offset."""
    return StateDir(state_dir).lab_now()


def advance_clock(state_dir: str | os.PathLike[str], minutes: float) -> list[str]:
    """Move the lab clock ``minutes`` forward, then run every scheduled task whose time has
    come (before returning: a rollback runs as the Task Scheduler would run it); returns
    the hosts whose rollback task ran the rollback."""
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes < 0:
        raise LabError(f"the clock only goes forward: minutes must be >= 0, got {minutes!r}")
    state = StateDir(state_dir)
    config = state.config()
    state.advance_clock(minutes * 60)
    from .wsman import Scripts  # the server's module; imported here, it imports this one

    runner = Scripts.from_config(config).runner()
    rolled_back = []
    for entry in config["hosts"]:
        os_version = entry.get("os", "6.1")
        with state.locked(entry["id"]):
            path = state.firewall_file(entry["id"])
            store = read_json(path)
            if store is None:
                continue
            ran = switch.tick(state, entry["id"], os_version, store, runner)
            if ran:
                write_json(path, store)
        if any(run.get("ran") and run["task"] == switch.TASK for run in ran):
            rolled_back.append(entry["name"])
    return rolled_back
