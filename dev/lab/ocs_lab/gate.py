"""The enforced firewall, at the lab's own door: is a new WinRM connection let in?

Each TCP connection a host's endpoint accepts is judged as that host's Windows would judge
the controller's connection to its WinRM listener: protocol TCP, local port the host's
WinRM port as Windows sees it (``ocs_lab_winrm_port``: 5985, 5986 for HTTPS; the lab's
real port on 127.0.0.1 is another), remote address the controller's
(``ocs_lab_controller_address``, 10.10.5.10), remote port the client's real one, in each
profile the host is on (2003: its current profile). Blocked in any of them, it is refused
as a dropping firewall refuses it, before any HTTP byte (:mod:`ocs_lab.wsman` resets it),
and a profile that logs dropped packets gets a ``DROP`` line. Connections already
established are not judged again (the firewall is stateful).

2008 and 2008 R2: the lab's evaluator (:mod:`ocs_lab.evaluate`, every rule, the profile's
switches, group policy's values) on the store with what only the host knows decided for
this one flow: WinRM's HTTP listener is HTTP.sys, so the program is ``System`` and no
service (a rule for a service does not match it); ``LocalSubnet`` holds the controller
when ``ocs_lab_controller_local_subnet`` is true (the default: the lab's controller is on
each host's subnet), DNS, DHCP, WINS and DefaultGateway never do, and the RPC, RPC-EPMap,
IPHTTPS and Teredo port keywords never mean the WinRM port. 2003: a profile that is off
lets it in, ExceptionsNotAllowed blocks it, else an enabled port entry of that port over
TCP whose scope holds the controller (all; the local subnet, as above; a list) lets it in
(none counts when group policy's AllowUserPrefMerge is 0). A stopped firewall service
filters nothing.

The log lines are the W3C lines of ``pfirewall.log`` (:data:`ocs_lab.switch.LOG_HEADER`);
``ocs_lab_drops`` plants such lines at start.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import random
from dataclasses import dataclass, field
from typing import Any

from . import policy
from .evaluate import evaluate
from .firewall import ADDRESS_KEYWORDS, LEGACY_OS, LOCAL_PORT_KEYWORDS, TCP, UDP
from .legacy import LOCAL_SUBNET, SCOPE_ALL, SCOPE_LOCAL_SUBNET
from .state import LabError
from .switch import Machine

# What the host's WinRM listener is to Windows Firewall: HTTP.sys, in the System process.
WINRM_PROGRAM = "System"
DEFAULT_CONTROLLER = "10.10.5.10"
WINRM_PORTS = {"https": 5986}
DEFAULT_WINRM_PORT = 5985
# A SYN as Windows logs it: size, flags, window.
SYN_SIZE = 48
SYN_WINDOW = 8192
UDP_SIZE = 78
PROTOCOL_NAMES = {TCP: "TCP", UDP: "UDP"}


@dataclass(frozen=True)
class Door:
    """What a host's Windows sees of the controller's WinRM connections."""

    port: int = DEFAULT_WINRM_PORT
    controller: str = DEFAULT_CONTROLLER
    local_subnet: bool = True
    address: str = "10.0.0.1"


@dataclass
class Verdict:
    allowed: bool
    # The profile types that block it, and why (a rule's name, "default", ...).
    blocking: list[int] = field(default_factory=list)
    why: str = ""


# --------------------------------------------------------------------------- judging


def judge(store: dict[str, Any], os_version: str, door: Door, remote_port: int) -> Verdict:
    """Whether the controller's new connection to the host's WinRM port is let in."""
    if not Machine(store, os_version).running:
        return Verdict(True, why="the firewall service is stopped")
    if os_version == LEGACY_OS:
        return _judge_legacy(store, door)
    resolved = _resolved(store, door)
    blocking: list[int] = []
    reasons = []
    for name in policy.profile_names(policy.current_profiles(store)):
        flow = {
            "direction": "in",
            "protocol": "tcp",
            "profile": name,
            "remote_address": door.controller,
            "local_port": door.port,
            "remote_port": remote_port,
            "local_address": door.address,
            "program": WINRM_PROGRAM,
        }
        verdict = evaluate(resolved, flow)
        if verdict["verdict"] != "allowed":
            blocking.append(policy.PROFILE_TYPES[name])
            reasons.append(f"{name}: {verdict['by']} {', '.join(verdict['rules'])}".rstrip())
    return Verdict(not blocking, blocking, "; ".join(reasons))


def _resolved(store: dict[str, Any], door: Door) -> dict[str, Any]:
    """The store with each rule decided for this flow where it depends on the host."""
    resolved = dict(store)
    for key in ("rules", "policy_rules"):
        resolved[key] = [
            rule for rule in (_resolve(r, door) for r in store.get(key) or []) if rule is not None
        ]
    return resolved


def _resolve(rule: dict[str, Any], door: Door) -> dict[str, Any] | None:
    """``rule`` as it is for the WinRM flow, or None when it cannot match it."""
    if rule.get("service", ""):
        return None
    decided = copy.copy(rule)
    remote = [t.strip() for t in rule["remote_addresses"].split(",")]
    if remote != ["*"]:
        kept = []
        for token in remote:
            keyword = token.lower()
            if keyword == "localsubnet":
                if door.local_subnet:
                    kept.append(door.controller)
            elif keyword not in ADDRESS_KEYWORDS:
                # DNS, DHCP, WINS, DefaultGateway: the controller is none of them.
                kept.append(token)
        if not kept:
            return None
        decided["remote_addresses"] = ",".join(kept)
    ports = [t.strip() for t in rule["local_ports"].split(",")]
    if ports != ["*"]:
        kept = [t for t in ports if t.lower() not in LOCAL_PORT_KEYWORDS]
        if not kept:
            return None
        decided["local_ports"] = ",".join(kept)
    return decided


def _judge_legacy(store: dict[str, Any], door: Door) -> Verdict:
    ptype = store.get("current_profile", 0)
    profile = policy.effective_legacy_profile(store, ptype)
    if not profile["enabled"]:
        return Verdict(True, why="the profile is off")
    if profile["exceptions_not_allowed"]:
        return Verdict(False, [ptype], "ExceptionsNotAllowed")
    if policy.policy_value(store, ptype, "AllowUserPrefMerge") == 0:
        return Verdict(False, [ptype], "AllowUserPrefMerge 0: no local entry applies")
    for entry in store["legacy"][str(ptype)]["ports"]:
        if (
            entry["enabled"]
            and entry["port"] == door.port
            and entry["protocol"] == TCP
            and _scope_holds(entry, door)
        ):
            return Verdict(True, why=f"entry {entry['name']}")
    return Verdict(False, [ptype], "no entry opens the port")


def _scope_holds(entry: dict[str, Any], door: Door) -> bool:
    if entry["scope"] == SCOPE_ALL:
        return True
    if entry["scope"] == SCOPE_LOCAL_SUBNET:
        return door.local_subnet
    controller = ipaddress.ip_address(door.controller)
    for token in entry["remote_addresses"].split(","):
        if token == LOCAL_SUBNET:
            if door.local_subnet:
                return True
        elif controller in ipaddress.ip_network(token, strict=False):
            return True
    return False


# --------------------------------------------------------------------------- the log


def drop_line(
    when: datetime.datetime,
    protocol: int,
    source: str,
    destination: str,
    source_port: int,
    port: int,
    sequence: int,
) -> str:
    """A ``DROP`` line of pfirewall.log: a SYN (TCP) or a datagram (UDP) received."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    head = f"{stamp} DROP {PROTOCOL_NAMES[protocol]} {source} {destination} {source_port} {port}"
    if protocol == TCP:
        return f"{head} {SYN_SIZE} S {sequence} 0 {SYN_WINDOW} - - - RECEIVE"
    return f"{head} {UDP_SIZE} - - - - - - - RECEIVE"


def log_drop(machine: Machine, profiles: list[int], line: str) -> int:
    """Append ``line`` to the log of each of ``profiles`` that logs dropped packets (each
    file once); returns how many files got it."""
    written: set[str] = set()
    for ptype in profiles:
        log = machine.log(ptype)
        path = machine.log_file(ptype)
        if log["dropped"] != 1 or path.upper() in written:
            continue
        machine.append_log(path, line, log["size_kb"])
        written.add(path.upper())
    return len(written)


def current_types(store: dict[str, Any], os_version: str) -> list[int]:
    if os_version == LEGACY_OS:
        return [int(store.get("current_profile", 0))]
    mask = policy.current_profiles(store)
    return [ptype for ptype in policy.PROFILE_NAMES if mask & ptype]


# --------------------------------------------------------------------------- host vars

DROP_KEYS = ("from", "port", "protocol", "count", "to")
MAX_PLANTED = 100_000


def _address(host: str, where: str, value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise LabError(f"host {host}: {where} {value!r} is not an IP address") from None


def _whole(host: str, where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LabError(
            f"host {host}: {where} must be a whole number from {low} to {high}, got {value!r}"
        )
    return value


def read_door(host: str, variables: dict[str, Any], transport: str, address: str) -> Door:
    """``ocs_lab_winrm_port``, ``ocs_lab_controller_address`` and
    ``ocs_lab_controller_local_subnet`` checked; ``address`` is the host's own."""
    port = variables.get("ocs_lab_winrm_port", WINRM_PORTS.get(transport, DEFAULT_WINRM_PORT))
    local = variables.get("ocs_lab_controller_local_subnet", True)
    if not isinstance(local, bool):
        raise LabError(
            f"host {host}: ocs_lab_controller_local_subnet must be true or false, got {local!r}"
        )
    return Door(
        port=_whole(host, "ocs_lab_winrm_port", port, 1, 65535),
        controller=_address(
            host,
            "ocs_lab_controller_address",
            variables.get("ocs_lab_controller_address", DEFAULT_CONTROLLER),
        ),
        local_subnet=local,
        address=address,
    )


def read_drops(host: str, value: Any, address: str) -> list[dict[str, Any]]:
    """``ocs_lab_drops`` checked: ``[{from, port, protocol: tcp|udp (tcp), count (1), to
    (the host's address)}]``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise LabError(f"host {host}: ocs_lab_drops must be a list, got {value!r}")
    drops = []
    total = 0
    for index, spec in enumerate(value):
        where = f"ocs_lab_drops[{index}]"
        if not isinstance(spec, dict):
            raise LabError(f"host {host}: {where} must be a mapping, got {spec!r}")
        unknown = sorted(str(k) for k in set(spec) - set(DROP_KEYS))
        if unknown:
            raise LabError(
                f"host {host}: {where}: unknown keys {unknown}; valid: {list(DROP_KEYS)}"
            )
        if "from" not in spec or "port" not in spec:
            raise LabError(f"host {host}: {where} needs 'from' and 'port'")
        protocol = spec.get("protocol", "tcp")
        if protocol not in ("tcp", "udp"):
            raise LabError(f"host {host}: {where}: protocol must be tcp or udp, got {protocol!r}")
        count = _whole(host, f"{where}: count", spec.get("count", 1), 1, MAX_PLANTED)
        drop: dict[str, Any] = {
            "from": _address(host, f"{where}: from", spec["from"]),
            "port": _whole(host, f"{where}: port", spec["port"], 1, 65535),
            "protocol": TCP if protocol == "tcp" else UDP,
            "count": count,
            "to": _address(host, f"{where}: to", spec.get("to", address)),
        }
        total += count
        if total > MAX_PLANTED:
            raise LabError(f"host {host}: ocs_lab_drops plants more than {MAX_PLANTED} lines")
        drops.append(drop)
    return drops


def plant_drops(
    store: dict[str, Any], os_version: str, drops: list[dict[str, Any]], now: datetime.datetime
) -> None:
    """Write ``drops`` into the log of the host's (first) current profile, as if they had
    been logged in the seconds before ``now``, whatever its logging switch says."""
    if not drops:
        return
    machine = Machine(store, os_version)
    ptype = current_types(store, os_version)[0]
    path = machine.log_file(ptype)
    size_kb = machine.log(ptype)["size_kb"]
    picks = random.Random(f"{path}|{len(drops)}")
    lines = sum(drop["count"] for drop in drops)
    when = now - datetime.timedelta(seconds=lines)
    for drop in drops:
        for _copy in range(drop["count"]):
            line = drop_line(
                when,
                drop["protocol"],
                drop["from"],
                drop["to"],
                picks.randrange(49152, 65536),
                drop["port"],
                picks.randrange(2**32),
            )
            machine.append_log(path, line, size_kb)
            when += datetime.timedelta(seconds=1)
