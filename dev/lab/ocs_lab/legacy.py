"""Windows Server 2003's firewall (``HNetCfg.FwMgr``) behind the OCSFW2 protocol.

What the remote script does on a 5.2 host (docs/dev/contracts.md, "Windows Server 2003
(the legacy firewall, same protocol)"), played in Python as :mod:`ocs_lab.firewall` plays
2008: the read (``HOST``, two ``LEGACY`` and two ``LEGACYPOLICY`` lines, an ``OPENPORT``
line per entry, ``DONE``) and the
three-phase apply of ``OPEN`` and ``CLOSE`` lines, against a store of ``INetFwOpenPort``
entries kept in Windows' read-back form, refusing what Windows refuses.
Like firewall.py it is the lab's own reading of the contract and shares no code with
``plugins/``.

A 2003 host's store (``hosts/<id>/firewall.json``)::

    {"legacy": {"0": {"enabled": 1, "exceptions_not_allowed": 0, "ports": [ENTRY, ...]},
                "1": {"enabled": 1, "exceptions_not_allowed": 0, "ports": [...]}},
     "current_profile": 0, "policy": {"0": {"EnableFirewall": 1}}}

``"0"`` is the Domain profile and ``"1"`` the Standard one (``NET_FW_PROFILE_TYPE``);
``current_profile`` is the one ``CurrentProfileType`` names (0: an OCS server is in a
domain). ``ports`` is the profile's ``GloballyOpenPorts`` in enumeration order, each ENTRY
``{"name", "port", "protocol", "enabled", "scope", "remote_addresses", "builtin"}`` as
``INetFwOpenPort`` reads back: protocol 6 or 17, scope 0 (all, remote ``*``), 1 (local
subnet, ``LocalSubnet``) or 2 (custom: each token ``a.b.c.d/m.m.m.m`` or ``LocalSubnet``,
joined by ``,``). Entries are keyed by (port, protocol) within a profile; an ``Add`` over a
key replaces its entry where it stands (the lab's choice of order: Windows documents none).
``policy`` holds what group policy sets (:mod:`ocs_lab.policy`); a store without it (the
seed's, one written before it existed) has none. ``listeners`` and ``connections`` are
what the host listens on and who is connected to it, as on a 2008 host: the switch
script's ``state`` writes them when it asks (:func:`ocs_lab.switch.emit_listeners`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from . import policy
from .firewall import (
    HOLD_RECORDS,
    LEGACY_ACCESS_DENIED_HINT,
    LEGACY_OS,
    LEGACY_RECORDS,
    OS_VERSIONS,
    POWERSHELL_VERSION,
    TCP,
    UDP,
    FirewallError,
    Outcome,
    RequestError,
    _check,
    _Reply,
    _setting,
    access_denied,
    b64d,
    b64e,
    digest,
    flag_field,
    int_field,
    read_records,
    take_seen,
)

# NET_FW_PROFILE_TYPE: the two profiles a 2003 host has, by number, with Windows' names.
PROFILE_NAMES = {0: "Domain", 1: "Standard"}
PROTOCOL_NAMES = {TCP: "TCP", UDP: "UDP"}
# NET_FW_SCOPE: every address, the local subnet, the RemoteAddresses list.
SCOPE_ALL = 0
SCOPE_LOCAL_SUBNET = 1
SCOPE_CUSTOM = 2
LOCAL_SUBNET = "LocalSubnet"
ENTRY_KEYS = ("name", "port", "protocol", "enabled", "scope", "remote_addresses", "builtin")
# What a 2008 host's request gets here: GROUP sections, REMOVE and ADD have no meaning.
NO_RULE_GROUPS = (
    f"this host runs Windows Server 2003 ({OS_VERSIONS[LEGACY_OS]}), which has no rule groups"
)


def key_text(port: int, protocol: int) -> str:
    """``5061/TCP``: how a message names an entry's key."""
    return f"{port}/{PROTOCOL_NAMES.get(protocol, f'protocol {protocol}')}"


# --------------------------------------------------------------------------- values


def canonical_remote_addresses(value: str) -> tuple[int, str]:
    """The scope and RemoteAddresses an entry reads back with after the script set ``value``.

    ``*`` is scope all and ``LocalSubnet`` alone scope local subnet (the script sets
    Scope); anything else is written to RemoteAddresses, which takes ``LocalSubnet`` and
    IPv4 addresses and subnets (``/24`` or ``/255.255.255.0``) and stores each as network
    address and dotted mask. Ranges, IPv6, the keywords DNS, DHCP, WINS and
    DefaultGateway, ``*`` among other tokens and empty tokens are E_INVALIDARG; an empty
    value is never set (the entry keeps scope all).
    """
    text = value.strip()
    if text in ("", "*"):
        # The script leaves an empty value unset: the new entry keeps scope all.
        return SCOPE_ALL, "*"
    stored = [_remote_token(token.strip()) for token in text.split(",")]
    if stored == [LOCAL_SUBNET]:
        return SCOPE_LOCAL_SUBNET, LOCAL_SUBNET
    return SCOPE_CUSTOM, ",".join(stored)


def _remote_token(token: str) -> str:
    if token.casefold() == LOCAL_SUBNET.casefold():
        return LOCAL_SUBNET
    mask = token.partition("/")[2]
    try:
        network = ipaddress.IPv4Network(token, strict=False)
    except ValueError as exc:
        # Not IPv4: a range, IPv6, a keyword 2003 lacks, "*", nothing.
        raise FirewallError() from exc
    if "." in mask and str(network.netmask) != mask:
        # Python also reads a host mask (0.0.0.255); Windows takes subnet masks only.
        raise FirewallError()
    return f"{network.network_address}/{network.netmask}"


def build_entry(
    name: str, port: int, protocol: int, remote_addresses: str, enabled: int
) -> dict[str, Any]:
    """An entry as the script makes it (``HNetCfg.FWOpenPort``, property by property).

    A value Windows refuses raises :class:`FirewallError` naming the property, as
    PowerShell reports a refused property (``Exception setting "Port": ...``).
    """
    _setting("Name", _check, name != "" and "\0" not in name)
    _setting("Port", _check, 1 <= port <= 65535)
    _setting("Protocol", _check, protocol in PROTOCOL_NAMES)
    scope, stored = _setting("RemoteAddresses", canonical_remote_addresses, remote_addresses)
    return {
        "name": name,
        "port": port,
        "protocol": protocol,
        "enabled": 1 if enabled else 0,
        "scope": scope,
        "remote_addresses": stored,
        "builtin": 0,
    }


def find_entry(ports: list[dict[str, Any]], port: int, protocol: int) -> int | None:
    """The index of the entry holding (port, protocol) in a profile's list, or None."""
    for index, entry in enumerate(ports):
        if entry["port"] == port and entry["protocol"] == protocol:
            return index
    return None


def put_entry(ports: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """``GloballyOpenPorts.Add``: the key's entry is overwritten, else the entry is added."""
    index = find_entry(ports, entry["port"], entry["protocol"])
    if index is None:
        ports.append(entry)
    else:
        ports[index] = entry


# --------------------------------------------------------------------------- requests


@dataclass
class OpenLine:
    profile: int
    port: int
    protocol: int
    name: str
    remote_addresses: str
    enabled: int
    adopt: int


@dataclass
class CloseLine:
    profile: int
    port: int
    protocol: int
    name: str


@dataclass
class Request:
    op: str
    marker: str = ""
    opens: list[OpenLine] = field(default_factory=list)
    closes: list[CloseLine] = field(default_factory=list)
    # The digest of every entry as the controller read them ("": not checked).
    seen: str = ""


def _profile_field(text: str, number: int) -> int:
    profile = int_field(text)
    if profile not in PROFILE_NAMES:
        raise RequestError(f"line {number}: profile {profile} is not 0 (Domain) or 1 (Standard)")
    return profile


def parse_request(text: str) -> Request:
    """A 2003 host's request: a read, or an apply of OPEN and CLOSE lines (no GROUP)."""
    request = Request(op="")
    groups = 0

    def take(fields: list[str], number: int) -> bool:
        nonlocal groups
        kind = fields[0]
        if kind == "GROUP" and len(fields) == 2:
            # A read's groups are ignored (every entry is read); an apply's are refused.
            b64d(fields[1])
            groups += 1
        elif take_seen(request, fields):
            pass
        elif kind in ("REMOVE", "ADD", *HOLD_RECORDS):
            raise RequestError(NO_RULE_GROUPS)
        elif kind == LEGACY_RECORDS[0] and len(fields) == 8:
            request.opens.append(
                OpenLine(
                    profile=_profile_field(fields[1], number),
                    port=int_field(fields[2]),
                    protocol=int_field(fields[3]),
                    name=b64d(fields[4]),
                    remote_addresses=b64d(fields[5]),
                    enabled=flag_field(fields[6]),
                    adopt=flag_field(fields[7]),
                )
            )
        elif kind == LEGACY_RECORDS[1] and len(fields) == 5:
            request.closes.append(
                CloseLine(
                    profile=_profile_field(fields[1], number),
                    port=int_field(fields[2]),
                    protocol=int_field(fields[3]),
                    name=b64d(fields[4]),
                )
            )
        else:
            return False
        return True

    request.op, request.marker = read_records(text, take)
    changes = request.opens or request.closes
    if request.op == "apply" and groups:
        raise RequestError(NO_RULE_GROUPS)
    if request.op == "read" and (changes or request.seen):
        raise RequestError("a read carries no OPEN or CLOSE lines")
    if request.op == "apply" and (not request.marker or not changes):
        raise RequestError("apply needs a MARKER and at least one OPEN or CLOSE line")
    return request


# --------------------------------------------------------------------------- serving


def serve(state: dict[str, Any], request: Request, reply: _Reply, fail_midway: bool) -> Outcome:
    """Run a parsed request against a 2003 store (modified in place)."""
    if request.op == "read":
        return _read(state, request, reply, fail_midway)
    return _Apply(state, request, reply, fail_midway).run()


def _read(state: dict[str, Any], request: Request, reply: _Reply, fail_midway: bool) -> Outcome:
    """HOST, LEGACY for profile 0 then 1, LEGACYPOLICY for profile 0 then 1, every entry
    of both profiles, DONE.

    LEGACY says what ``INetFwProfile`` reports, the profile under group policy
    (:func:`policy.effective_legacy_profile`); LEGACYPOLICY the values the policy sets
    (``policy.UNSET`` where it sets none).
    """
    if fail_midway:
        return reply.error(
            access_denied("GetProfileByType", 1, LEGACY_ACCESS_DENIED_HINT), "read", None
        )
    reply.add("HOST", b64e(OS_VERSIONS[LEGACY_OS]), b64e(POWERSHELL_VERSION))
    profiles = state["legacy"]
    for number in PROFILE_NAMES:
        profile = policy.effective_legacy_profile(state, number)
        current = 1 if number == state["current_profile"] else 0
        reply.add(
            "LEGACY",
            str(number),
            str(profile["enabled"]),
            str(profile["exceptions_not_allowed"]),
            str(current),
        )
    for number in PROFILE_NAMES:
        values = [policy.policy_value(state, number, name) for name in policy.LEGACY_POLICY_VALUES]
        reply.add("LEGACYPOLICY", str(number), *(str(value) for value in values))
    lines = entry_lines(profiles)
    reply.lines.extend(lines)
    return reply.done("read", {"entries": len(lines)})


def entry_lines(profiles: dict[str, Any]) -> list[str]:
    """The OPENPORT line of every entry of both profiles, as a read writes them."""
    return [
        "\t".join(
            [
                "OPENPORT",
                str(number),
                str(entry["port"]),
                str(entry["protocol"]),
                b64e(entry["name"]),
                str(entry["enabled"]),
                str(entry["scope"]),
                b64e(entry["remote_addresses"]),
                str(entry["builtin"]),
            ]
        )
        for number in PROFILE_NAMES
        for entry in profiles[str(number)]["ports"]
    ]


class _Apply:
    """The script's three phases: check every OPEN, add the entries, close the old ones."""

    def __init__(
        self, state: dict[str, Any], request: Request, reply: _Reply, fail_midway: bool
    ) -> None:
        self.profiles = state["legacy"]
        self.request = request
        self.reply = reply
        self.counts = {
            "open": len(request.opens),
            "close": len(request.closes),
            "opened": 0,
            "closed": 0,
        }
        # A fault "in the middle": the first half of the Add and Remove calls happen.
        steps = len(request.opens) + len(request.closes)
        self.steps_left = steps // 2 if fail_midway else steps

    def ports(self, profile: int) -> list[dict[str, Any]]:
        ports: list[dict[str, Any]] = self.profiles[str(profile)]["ports"]
        return ports

    def ours(self, name: str) -> bool:
        # The script's -cmatch against MARKER (a regular expression).
        return re.search(self.request.marker, name) is not None

    def run(self) -> Outcome:
        if self.request.seen:
            now = digest(entry_lines(self.profiles))
            if now != self.request.seen:
                self.reply.add("STALE", now)
                self.counts["stale"] = 1
                return self.reply.done("apply", self.counts)
        refusal = self._check()
        if refusal:
            return self.reply.error(refusal, "apply", self.counts)
        for phase in (self._open, self._close):
            stopped = phase()
            if stopped is not None:
                return stopped
        changed = bool(self.counts["opened"] or self.counts["closed"])
        if self.request.seen:
            self.reply.add("DIGEST", digest(entry_lines(self.profiles)))
        return self.reply.done("apply", self.counts, changed=changed)

    def _check(self) -> str:
        """Phase 1, changing nothing: the first OPEN over an entry that is not ours."""
        for line in self.request.opens:
            ports = self.ports(line.profile)
            index = find_entry(ports, line.port, line.protocol)
            if index is None:
                continue
            held = ports[index]
            if held["builtin"]:
                why = "is built in"
            elif not line.adopt and not self.ours(held["name"]):
                why = "is not the collection's"
            else:
                continue
            return (
                f"{PROFILE_NAMES[line.profile]} profile: entry '{held['name']}' holds "
                f"{key_text(line.port, line.protocol)} and {why}; nothing was changed"
            )
        return ""

    def _step(self, call: str, arguments: int) -> Outcome | None:
        """Take one Add or Remove, or the ERROR of a fault that stops the apply here."""
        if self.steps_left == 0:
            return self.reply.error(
                access_denied(call, arguments, LEGACY_ACCESS_DENIED_HINT), "apply", self.counts
            )
        self.steps_left -= 1
        return None

    def _open(self) -> Outcome | None:
        """Phase 2: each OPEN adds its entry, overwriting the key's entry."""
        for line in self.request.opens:
            stopped = self._step("Add", 1)
            if stopped is not None:
                return stopped
            try:
                entry = build_entry(
                    line.name, line.port, line.protocol, line.remote_addresses, line.enabled
                )
            except FirewallError as exc:
                message = (
                    f"{PROFILE_NAMES[line.profile]} profile: entry '{line.name}' "
                    f"({key_text(line.port, line.protocol)}) was refused, nothing was "
                    f"closed: {exc}"
                )
                return self.reply.error(message, "apply", self.counts)
            put_entry(self.ports(line.profile), entry)
            self.counts["opened"] += 1
            self.reply.add("OPENED", str(line.profile), str(line.port), str(line.protocol))
        return None

    def _close(self) -> Outcome | None:
        """Phase 3: each CLOSE removes the key's entry if it is ours and named so."""
        for line in self.request.closes:
            stopped = self._step("Remove", 2)
            if stopped is not None:
                return stopped
            ports = self.ports(line.profile)
            index = find_entry(ports, line.port, line.protocol)
            count = 0
            if index is not None and self._closable(ports[index], line.name):
                del ports[index]
                count = 1
            self.counts["closed"] += count
            self.reply.add(
                "CLOSED", str(line.profile), str(line.port), str(line.protocol), str(count)
            )
        return None

    def _closable(self, held: dict[str, Any], name: str) -> bool:
        # Exactly the CLOSE's name (Remove goes by key, so the name is checked first), one
        # of ours, and not an entry Windows made.
        return held["name"] == name and self.ours(held["name"]) and not held["builtin"]
