"""The simulated Windows Firewall and the OCSFW2 request/reply protocol.

This is what ``plugins/plugin_utils/_remote/_firewall.ps1`` does on a Windows Server 2008 or 2008
R2 host, played in Python (a Windows Server 2003 host, ``os_version="5.2"``, is played by
:mod:`ocs_lab.legacy`, which reads requests with this module's record reader): it reads
a request, talks to the rule store the way ``HNetCfg.FwPolicy2`` would (storing ports
and addresses in Windows' canonical form and refusing what Windows refuses), and writes
the reply. ``run`` is a plain request handler: no I/O, it changes only the store it is
given, so the unit tests drive it without a server (``wsman`` reads and writes the store
file around it).

Independent of the plugins on purpose: this module shares no code with the collection's
``plugins/``, and in particular its canonicalisation (``canonical_ports``,
``canonical_addresses``, ``canonical_profiles``) is its own, written from Windows'
behaviour, not a call into ``plugins/plugin_utils/``. It is the second opinion on the
protocol and on Windows' behaviour, so a mistake in the plugins shows up as a
disagreement (a changed rule on the second run, a refusal) instead of being copied here.
Do not "deduplicate" the two.

The rule store is a plain list of dicts in store order, so ``dump`` can show every
property of every rule. Beside it, the store's ``listeners`` (``{"protocol": 6 or 17,
"address", "port"}``, what GetActiveTcpListeners and GetActiveUdpListeners give) and
``connections`` (``{"local_address", "local_port", "remote_address", "remote_port"}``,
the established TCP connections GetActiveTcpConnections gives) are what the switch
script's ``state`` writes when it asks (``LISTENERS``: :func:`ocs_lab.switch.emit_listeners`;
:mod:`ocs_lab.seed` fills them); the rules script has no such line (an unexpected line).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import policy

MAGIC = "OCSFW2"
TOMBSTONE_PREFIX = "ocs.firewall-removing-"

# INetFwRule.Profiles reads back as NET_FW_PROFILE2_ALL when every profile was set.
PROFILES_ALL = 2147483647
PROFILE_TYPES = (1, 2, 4)

# The texts below are what the script's ERROR line carries on a real host: PowerShell's
# exception message, with the hint the script's Describe function puts in front of it.
E_INVALIDARG = "Value does not fall within the expected range."
ACCESS_DENIED_HINT = (
    "access denied (HRESULT 0x80070005): changing Windows Firewall rules needs a member of "
    "the local Administrators group with an elevated token (over WinRM a local account other "
    "than Administrator needs LocalAccountTokenFilterPolicy = 1, or use a domain account)"
)
# A stopped firewall service (MpsSvc; SharedAccess on 2003) answers the COM calls with one
# of these, depending on how it stopped.
SERVICE_STOPPED_TEXTS = {
    "0x800706D9": "There are no more endpoints available from the endpoint mapper.",
    "0x8007042C": "The dependency service or group failed to start.",
}
# The Windows Firewall service by the Windows it runs on: Windows Firewall/Internet
# Connection Sharing (SharedAccess) on 2003, Windows Firewall (MpsSvc) since 2008.
FIREWALL_SERVICE = "MpsSvc"
LEGACY_FIREWALL_SERVICE = "SharedAccess"


def service_stopped_message(hresult: str = "0x800706D9", service: str = FIREWALL_SERVICE) -> str:
    return (
        f"the Windows Firewall service ({service}) is not running (HRESULT {hresult}): start "
        f'it, for example with "sc.exe start {service}" ({SERVICE_STOPPED_TEXTS[hresult]} '
        f"(Exception from HRESULT: {hresult}))"
    )


SERVICE_STOPPED_MESSAGE = service_stopped_message()
# The remote-address keywords Windows Server 2008 (6.0) lacks: they came with 6.1.
KEYWORDS_SINCE_6_1 = ("dns", "dhcp", "wins", "defaultgateway")
# Windows Server 2003 SP2 / 2003 R2 SP2: the legacy firewall (HNetCfg.FwMgr), ocs_lab.legacy.
LEGACY_OS = "5.2"
# What the read's HOST line says for each OS the lab plays: [Environment]::OSVersion.Version
# as .NET 2.0 writes it, four parts, the service pack in the fourth (major * 65536 +
# minor): 2008 SP2, 2008 R2 SP1, 2003 SP2. And the PowerShell it runs (2.0 everywhere the
# script runs: the bootstrap stops on 1.0).
OS_VERSIONS = {"6.0": "6.0.6002.131072", "6.1": "6.1.7601.65536", LEGACY_OS: "5.2.3790.131072"}
POWERSHELL_VERSION = "2.0"
# The records only a 2003 host's apply has; a 2008 host refuses them (legacy.NO_RULE_GROUPS
# is the refusal the other way round).
LEGACY_RECORDS = ("OPEN", "CLOSE")
# The records of a 2008 host's apply that hold and release rules of other groups; a 2003
# host refuses them as it refuses REMOVE and ADD.
HOLD_RECORDS = ("HOLDMARK", "HOLD", "RELEASE")
# The longest rule description Windows stores: [MS-FASP] FW_RULE.wszDescription is 1 to
# 10001 WCHARs with the terminating NUL. Counted in UTF-16 code units, as Windows counts.
MAX_DESCRIPTION_LENGTH = 10_000


# Windows Server 2003 has no UAC, so no filtered token: membership is all it takes.
LEGACY_ACCESS_DENIED_HINT = (
    "access denied (HRESULT 0x80070005): changing Windows Firewall entries needs a member of "
    "the local Administrators group"
)


def access_denied(call: str, arguments: int = 1, hint: str = ACCESS_DENIED_HINT) -> str:
    return (
        f'{hint} (Exception calling "{call}" with "{arguments}" argument(s): '
        '"Access is denied. (Exception from HRESULT: 0x80070005 (E_ACCESSDENIED))")'
    )


ADDRESS_KEYWORDS = {
    "localsubnet": "LocalSubnet",
    "dns": "DNS",
    "dhcp": "DHCP",
    "wins": "WINS",
    "defaultgateway": "DefaultGateway",
}
LOCAL_PORT_KEYWORDS = {
    "rpc": "RPC",
    "rpc-epmap": "RPC-EPMap",
    "iphttps": "IPHTTPS",
    "teredo": "Teredo",
}
# INetFwRule.Protocol numbers (IANA's) that the lab's own logic needs; any is 256.
TCP = 6
UDP = 17
ANY_PROTOCOL = 256
PORT_PROTOCOLS = (TCP, UDP)

RULE_KEYS = (
    "name",
    "description",
    "grouping",
    "direction",
    "action",
    "protocol",
    "local_ports",
    "remote_ports",
    "local_addresses",
    "remote_addresses",
    "icmp_types_and_codes",
    "interface_types",
    "profiles",
    "enabled",
    "edge_traversal",
    "application",
    "service",
)


class FirewallError(Exception):
    """A refusal the COM API would raise; becomes an ``ERROR`` line and exit code 2."""

    def __init__(self, message: str = E_INVALIDARG) -> None:
        super().__init__(message)


def _setting(prop: str, make: Any, *args: Any) -> Any:
    """Set one property of a new rule; a refusal names it as PowerShell does."""
    try:
        return make(*args)
    except FirewallError as exc:
        raise FirewallError(f'Exception setting "{prop}": "{exc}"') from None


def _check(ok: bool) -> None:
    if not ok:
        raise FirewallError()


class RequestError(Exception):
    """A request the script cannot parse; reported as ``bad request: ...`` unless bare."""

    def __init__(self, message: str, bare: bool = False) -> None:
        super().__init__(message if bare else f"bad request: {message}")


def b64e(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def b64d(field_value: str) -> str:
    try:
        return base64.b64decode(field_value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        # [Convert]::FromBase64String throws; the script reports the exception text.
        raise RequestError(
            'Exception calling "FromBase64String" with "1" argument(s): "Invalid length for '
            'a Base-64 char array or string."',
            bare=True,
        ) from exc


# --------------------------------------------------------------------------- values


def canonical_ports(value: str, protocol: int, local: bool) -> str:
    """Store ports the way INetFwRule.LocalPorts/RemotePorts does: as given, ``*`` for any."""
    text = value.strip()
    if text in ("", "*"):
        return "*"
    if protocol not in PORT_PROTOCOLS:
        # Windows refuses ports on a rule whose protocol is not TCP or UDP.
        raise FirewallError()
    parts = [part.strip() for part in text.split(",")]
    stored = []
    for part in parts:
        keyword = LOCAL_PORT_KEYWORDS.get(part.lower()) if local else None
        if keyword:
            stored.append(keyword)
            continue
        low, sep, high = part.partition("-")
        if not _is_port(low) or (sep and not _is_port(high)):
            raise FirewallError()
        if sep and int(low) > int(high):
            raise FirewallError()
        stored.append(f"{int(low)}-{int(high)}" if sep else str(int(low)))
    return ",".join(stored)


def _is_port(text: str) -> bool:
    return text.isdigit() and len(text) <= 5 and 1 <= int(text) <= 65535


def canonical_addresses(value: str, local: bool = False, os_version: str = "6.1") -> str:
    """Store addresses the way INetFwRule.RemoteAddresses (or LocalAddresses) does.

    ``10.0.0.0/24`` -> ``10.0.0.0/255.255.255.0``, ``10.0.0.1`` -> ``10.0.0.1/255.255.255.255``,
    IPv6 keeps a prefix length (``/128`` for one address), keywords get Windows' spelling,
    ``*`` means any. Keywords are refused in local addresses: Windows stores them for
    remote addresses only ([MS-GPFAS] 2.2.2.19 has no keyword for LA4/LA6).
    """
    text = value.strip()
    if text in ("", "*") or text.lower() == "any":
        return "*"
    stored = []
    for part in (p.strip() for p in text.split(",")):
        if part in ("", "*") or part.lower() == "any":
            # "*" is only valid on its own.
            raise FirewallError()
        keyword = ADDRESS_KEYWORDS.get(part.lower())
        if keyword and local:
            raise FirewallError()
        if keyword and os_version == "6.0" and part.lower() in KEYWORDS_SINCE_6_1:
            raise FirewallError()
        if keyword:
            stored.append(keyword)
        elif "-" in part:
            stored.append(_canonical_range(part))
        else:
            stored.append(_canonical_network(part))
    return ",".join(stored)


def _canonical_range(part: str) -> str:
    low_text, _, high_text = part.partition("-")
    try:
        low = ipaddress.ip_address(low_text.strip())
        high = ipaddress.ip_address(high_text.strip())
    except ValueError as exc:
        raise FirewallError() from exc
    if low.version != high.version or int(low) > int(high):
        raise FirewallError()
    return f"{low}-{high}"


def _canonical_network(part: str) -> str:
    try:
        network = ipaddress.ip_network(part, strict=False)
    except ValueError as exc:
        raise FirewallError() from exc
    if network.version == 4:
        return f"{network.network_address}/{network.netmask}"
    return f"{network.network_address}/{network.prefixlen}"


def canonical_profiles(value: int) -> int:
    if value == 7 or value == PROFILES_ALL:
        return PROFILES_ALL
    if not 1 <= value <= 6:
        raise FirewallError()
    return value


# --------------------------------------------------------------------------- requests


@dataclass
class AddLine:
    name: str
    description: str
    direction: int
    action: int
    protocol: int
    local_ports: str
    remote_ports: str
    local_addresses: str
    remote_addresses: str
    profiles: int
    enabled: int


@dataclass
class Section:
    group: str
    removes: list[str] = field(default_factory=list)
    adds: list[AddLine] = field(default_factory=list)
    # The pattern a rule must match to be retired here ("": the request's MARKER).
    owns: str = ""


@dataclass
class Request:
    op: str
    marker: str = ""
    groups: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    # The groups whose rules SEEN digests, and that digest ("": not checked).
    watch: list[str] = field(default_factory=list)
    seen: str = ""
    # Rules of other groups to disable (HOLD) or bring back (RELEASE), as (group, name), in
    # request order, and the text a held rule's description ends with ("": none given).
    holds: list[tuple[str, str]] = field(default_factory=list)
    releases: list[tuple[str, str]] = field(default_factory=list)
    holdmark: str = ""


_DIGEST = re.compile(r"[0-9a-f]{40}")


def digest(lines: list[str]) -> str:
    """The script's Get-Digest: SHA-1 hex of the lines, sorted ordinally, each ended by a
    line feed, as UTF-8."""
    text = "".join(line + "\n" for line in sorted(lines))
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def take_seen(request: Any, fields: list[str]) -> bool:
    """A SEEN line the script keeps (40 lower-case hex digits; anything else: unexpected)."""
    if fields[0] == "SEEN" and len(fields) == 2 and _DIGEST.fullmatch(fields[1]):
        request.seen = fields[1]
        return True
    return False


def int_field(text: str) -> int:
    # [int]::Parse in the script: a bad number is an exception, reported as an ERROR.
    if not text.lstrip("-").isdigit():
        raise RequestError(
            'Exception calling "Parse" with "2" argument(s): '
            '"Input string was not in a correct format."',
            bare=True,
        )
    return int(text)


def flag_field(text: str) -> int:
    # The script tests a flag with -eq "1": anything else is 0.
    return 1 if text == "1" else 0


def read_records(text: str, take: Callable[[list[str], int], bool]) -> tuple[str, str]:
    """Read a request as the script's Read-Request does (same leniency, same refusals).

    The ``OCSFW2`` line, ``OP``, ``MARKER`` and ``END`` are read here; every other line
    goes to ``take`` with its fields and line number, which returns False for a record
    it does not know ("unexpected line"). Returns the request's op and marker.
    """
    op = marker = ""
    seen_version = ended = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line:
            continue
        if ended:
            raise RequestError("text after END")
        fields = line.split("\t")
        if not seen_version:
            if line != MAGIC:
                raise RequestError(f"it does not start with {MAGIC}")
            seen_version = True
            continue
        kind = fields[0]
        if kind == "OP" and len(fields) == 2:
            op = fields[1]
        elif kind == "MARKER" and len(fields) == 2:
            marker = b64d(fields[1])
        elif kind == "END" and len(fields) == 1:
            ended = True
        elif not take(fields, number):
            raise RequestError(f"unexpected line {number}")
    if not ended:
        raise RequestError("no END line (truncated input?)")
    if op not in ("read", "apply"):
        raise RequestError("OP must be read or apply")
    return op, marker


def _add_line(fields: list[str]) -> AddLine:
    return AddLine(
        name=b64d(fields[1]),
        description=b64d(fields[2]),
        direction=int_field(fields[3]),
        action=int_field(fields[4]),
        protocol=int_field(fields[5]),
        local_ports=b64d(fields[6]),
        remote_ports=b64d(fields[7]),
        local_addresses=b64d(fields[8]),
        remote_addresses=b64d(fields[9]),
        profiles=int_field(fields[10]),
        enabled=flag_field(fields[11]),
    )


def parse_request(text: str) -> Request:
    """A 2008 / 2008 R2 host's request: GROUP sections of REMOVE and ADD lines, and an
    apply's HOLD and RELEASE lines with their HOLDMARK."""
    request = Request(op="")

    def take(fields: list[str], number: int) -> bool:
        kind = fields[0]
        section = request.sections[-1] if request.sections else None
        if kind == "GROUP" and len(fields) == 2:
            group = b64d(fields[1])
            request.groups.append(group)
            request.sections.append(Section(group))
        elif kind == "WATCH" and len(fields) == 2:
            request.watch.append(b64d(fields[1]))
        elif take_seen(request, fields):
            pass
        elif (
            kind == "OWNS"
            and len(fields) == 2
            and section is not None
            and not section.removes
            and not section.adds
        ):
            section.owns = b64d(fields[1])
        elif kind == "REMOVE" and len(fields) == 2 and section is not None:
            section.removes.append(b64d(fields[1]))
        elif kind == "ADD" and len(fields) == 12 and section is not None:
            section.adds.append(_add_line(fields))
        elif kind in LEGACY_RECORDS:
            raise RequestError("OPEN and CLOSE are for Windows Server 2003 hosts")
        # HOLDMARK, HOLD and RELEASE stand on their own: a GROUP's section goes on past them.
        elif kind == "HOLDMARK" and len(fields) == 2:
            request.holdmark = b64d(fields[1])
        elif kind == "HOLD" and len(fields) == 3:
            request.holds.append((b64d(fields[1]), b64d(fields[2])))
        elif kind == "RELEASE" and len(fields) == 3:
            request.releases.append((b64d(fields[1]), b64d(fields[2])))
        else:
            return False
        return True

    request.op, request.marker = read_records(text, take)
    holding = request.holds or request.releases
    if request.op == "read" and (request.watch or request.seen):
        raise RequestError("a read carries no WATCH or SEEN line")
    if request.op == "read" and (holding or request.holdmark):
        raise RequestError("a read carries no HOLD, RELEASE or HOLDMARK line")
    if holding and not request.holdmark:
        raise RequestError("HOLD and RELEASE need a HOLDMARK")
    if request.op == "apply" and (not (request.sections or holding) or not request.marker):
        raise RequestError("apply needs a MARKER and at least one GROUP, HOLD or RELEASE")
    return request


# --------------------------------------------------------------------------- store


def new_rule(**values: Any) -> dict[str, Any]:
    """A rule with every INetFwRule property, defaults as a fresh COM rule object has them."""
    rule: dict[str, Any] = {
        "name": "",
        "description": "",
        "grouping": "",
        "direction": 1,
        "action": 1,
        "protocol": ANY_PROTOCOL,
        "local_ports": "*",
        "remote_ports": "*",
        "local_addresses": "*",
        "remote_addresses": "*",
        "icmp_types_and_codes": "",
        "interface_types": "All",
        "profiles": PROFILES_ALL,
        "enabled": 0,
        "edge_traversal": 0,
        "application": "",
        "service": "",
    }
    unknown = set(values) - set(RULE_KEYS)
    if unknown:
        raise ValueError(f"unknown rule properties {sorted(unknown)}; valid: {list(RULE_KEYS)}")
    rule.update(values)
    return rule


def build_rule(add: AddLine, group: str, os_version: str = "6.1") -> dict[str, Any]:
    """Create a rule as the script does, property by property in the script's order.

    Protocol is set before the ports because Windows refuses ports on a rule whose
    protocol is not TCP or UDP.
    """
    # Windows refuses an empty rule name, the '|' it uses as its own separator, and a NUL
    # (its strings end there).
    _setting("Name", _check, add.name != "" and "|" not in add.name and "\0" not in add.name)
    _setting("Description", check_description, add.description)
    _setting("Protocol", _check, 0 <= add.protocol <= ANY_PROTOCOL)
    local_ports = _setting("LocalPorts", canonical_ports, add.local_ports, add.protocol, True)
    remote_ports = _setting("RemotePorts", canonical_ports, add.remote_ports, add.protocol, False)
    local_addresses = _setting("LocalAddresses", canonical_addresses, add.local_addresses, True)
    remote_addresses = _setting(
        "RemoteAddresses", canonical_addresses, add.remote_addresses, False, os_version
    )
    _setting("Direction", _check, add.direction in (1, 2))
    _setting("Action", _check, add.action in (0, 1))
    profiles = _setting("Profiles", canonical_profiles, add.profiles)
    _setting("Grouping", _check, "|" not in group and "\0" not in group)
    return new_rule(
        name=add.name,
        description=add.description,
        grouping=group,
        direction=add.direction,
        action=add.action,
        protocol=add.protocol,
        local_ports=local_ports,
        remote_ports=remote_ports,
        local_addresses=local_addresses,
        remote_addresses=remote_addresses,
        profiles=profiles,
        enabled=add.enabled,
    )


def utf16_length(text: str) -> int:
    """The length of ``text`` as Windows counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def check_description(text: str) -> None:
    """A description Windows stores: no '|' (its own separator), no NUL (its strings end
    there), at most ``MAX_DESCRIPTION_LENGTH`` code units."""
    _check("|" not in text and "\0" not in text and utf16_length(text) <= MAX_DESCRIPTION_LENGTH)


def rule_line(rule: dict[str, Any]) -> str:
    fields = [
        "RULE",
        b64e(rule["name"]),
        b64e(rule["description"]),
        b64e(rule["grouping"]),
        str(rule["direction"]),
        str(rule["action"]),
        str(rule["protocol"]),
        b64e(rule["local_ports"]),
        b64e(rule["remote_ports"]),
        b64e(rule["local_addresses"]),
        b64e(rule["remote_addresses"]),
        str(rule["profiles"]),
        str(rule["enabled"]),
        b64e(rule["application"]),
        b64e(rule["service"]),
        b64e(rule["icmp_types_and_codes"]),
    ]
    return "\t".join(fields)


@dataclass
class Outcome:
    """What the script printed, its exit code, and counts for the trace."""

    stdout: str
    rc: int
    op: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    changed: bool = False
    error: str = ""


class _Reply:
    """The script's output: ``OCSFW2``, one line per record, then ``DONE`` or ``ERROR``."""

    def __init__(self) -> None:
        self.lines = [MAGIC]

    def add(self, *fields: str) -> None:
        self.lines.append("\t".join(fields))

    def done(self, op: str, counts: dict[str, int], changed: bool = False) -> Outcome:
        self.add("DONE")
        return Outcome("\n".join(self.lines) + "\n", 0, op, counts, changed=changed)

    # The counts of what changed the store before an ERROR: a rename (retire) changes it as
    # much as an add or a removal does; opened and closed are a 2003 host's.
    CHANGES = ("retired", "added", "released", "held", "removed", "opened", "closed")

    def error(self, message: str, op: str = "", counts: dict[str, int] | None = None) -> Outcome:
        self.add("ERROR", b64e(message))
        counts = counts or {}
        changed = any(counts.get(kind) for kind in self.CHANGES)
        return Outcome("\n".join(self.lines) + "\n", 2, op, counts, changed=changed, error=message)


def run(
    state: dict[str, Any],
    request_text: str,
    *,
    service_stopped: bool | str = False,
    fail_midway: bool = False,
    os_version: str = "6.1",
) -> Outcome:
    """Run one request against ``state`` (modified in place). Mirrors the remote script.

    ``service_stopped``: the firewall service is stopped (True, or the HRESULT its COM
    calls give); a store whose ``service`` is not ``running`` is stopped too.
    ``fail_midway``: access is denied halfway (a read fails at once; an apply after half
    of its steps). ``os_version``: the Windows played, a key of
    ``OS_VERSIONS``; ``LEGACY_OS`` is played by :mod:`ocs_lab.legacy`, whose store has
    another shape.
    """
    # Imported here: ocs_lab.legacy builds on this module.
    from . import legacy

    is_legacy = os_version == LEGACY_OS
    reply = _Reply()
    try:
        request = legacy.parse_request(request_text) if is_legacy else parse_request(request_text)
    except RequestError as exc:
        return reply.error(str(exc))
    # The service as the store has it (the switch script stops and starts it), or a fault.
    running = (state.get("service") or {}).get("running", True)
    if service_stopped or not running:
        hresult = service_stopped if isinstance(service_stopped, str) else "0x800706D9"
        service = LEGACY_FIREWALL_SERVICE if is_legacy else FIREWALL_SERVICE
        return reply.error(service_stopped_message(hresult, service), request.op, None)
    if isinstance(request, legacy.Request):
        return legacy.serve(state, request, reply, fail_midway)
    counts = {"groups": len(request.groups)}
    if request.op == "read":
        return _read(state, request, reply, counts, fail_midway, os_version)
    return _Apply(state["rules"], request, reply, counts, fail_midway, os_version).run()


def _read(
    state: dict[str, Any],
    request: Request,
    reply: _Reply,
    counts: dict[str, int],
    fail_midway: bool,
    os_version: str,
) -> Outcome:
    """The script's read: HOST, the three PROFILE lines, CURRENT, the three POLICY lines,
    the rules asked for.

    PROFILE and POLICY say what ``INetFwPolicy2`` reports, which is the profile as the
    firewall applies it, group policy included (:func:`policy.effective_profile`); POLICY
    then gives the values the policy itself sets (``policy.UNSET`` where it sets none).
    """
    if fail_midway:
        return reply.error(access_denied("FirewallEnabled"), "read", None)
    reply.add("HOST", b64e(OS_VERSIONS[os_version]), b64e(POWERSHELL_VERSION))
    effective = {ptype: policy.effective_profile(state, ptype) for ptype in PROFILE_TYPES}
    for ptype in PROFILE_TYPES:
        profile = effective[ptype]
        reply.add(
            "PROFILE",
            str(ptype),
            str(profile["enabled"]),
            str(profile["inbound_action"]),
            str(profile["outbound_action"]),
        )
    reply.add("CURRENT", str(policy.current_profiles(state)), str(policy.modify_state(state)))
    for ptype in PROFILE_TYPES:
        values = [policy.policy_value(state, ptype, name) for name in policy.POLICY_VALUES]
        reply.add(
            "POLICY",
            str(ptype),
            str(effective[ptype]["block_all_inbound"]),
            *(str(value) for value in values),
        )
    wanted = {g.casefold() for g in request.groups}
    everything = not wanted and not request.marker
    selected = [
        r
        for r in state["rules"]
        if everything
        or r["grouping"].casefold() in wanted
        or (request.marker and _marked(r, request.marker))
    ]
    reply.lines.extend(rule_line(rule) for rule in selected)
    counts["rules"] = len(selected)
    return reply.done("read", counts)


def _marked(rule: dict[str, Any], marker: str) -> bool:
    """The script's Test-Marked: the request's MARKER is a regular expression."""
    return re.search(marker, rule["description"]) is not None


class _Apply:
    """The script's phases: retire (rename), add, release, hold, remove the tombstones."""

    # The COM call that is denied when a fault stops the apply in each phase (a release
    # sets Enabled first, a hold Description).
    CALLS = {
        "retire": "Name",
        "add": "Add",
        "release": "Enabled",
        "hold": "Description",
        "remove": "Remove",
    }

    def __init__(
        self,
        rules: list[dict[str, Any]],
        request: Request,
        reply: _Reply,
        counts: dict[str, int],
        fail_midway: bool,
        os_version: str,
    ) -> None:
        self.rules = rules
        self.marker = request.marker
        self.request = request
        self.reply = reply
        self.counts = counts
        self.os_version = os_version
        self.removes = [(s.group, name) for s in request.sections for name in s.removes]
        self.adds = [(s.group, add) for s in request.sections for add in s.adds]
        counts.update(
            remove=len(self.removes),
            add=len(self.adds),
            hold=len(request.holds),
            release=len(request.releases),
        )
        # A retired name is two steps: its rename, then (after every add) its removal. Each
        # HOLD and each RELEASE is one.
        steps = 2 * len(self.removes) + len(self.adds) + len(request.holds) + len(request.releases)
        # A fault "in the middle": the first half of the steps happen, then the failure.
        self.steps_left = steps // 2 if fail_midway else steps
        self.retired: list[tuple[str, str, list[str]]] = []
        self.added = 0
        self.removed = 0
        self.held = 0
        self.released = 0
        # The rules as the apply found them: a HOLD or RELEASE changes only those (the script
        # looks them up before it changes anything), never a rule the apply adds.
        self.found = {id(rule) for rule in rules}

    def _watched(self) -> str:
        """The digest of the rules of the WATCH groups, as they are now."""
        watch = {g.casefold() for g in self.request.watch}
        return digest([rule_line(r) for r in self.rules if r["grouping"].casefold() in watch])

    def run(self) -> Outcome:
        named = [s.group for s in self.request.sections]
        named += [group for group, _name in (*self.request.holds, *self.request.releases)]
        for group in named:
            if group.startswith("@"):
                return self.reply.error(
                    f"bad request: group {group} is a built-in group, which the "
                    "collection never changes; nothing was changed",
                    "apply",
                )
        if self.request.seen:
            now = self._watched()
            if now != self.request.seen:
                self.reply.add("STALE", now)
                self.counts["stale"] = 1
                return self.reply.done("apply", self.counts)
        for phase in (self._retire, self._add, self._release, self._hold, self._remove):
            stopped = phase()
            if stopped is not None:
                return stopped
        self.counts.update(
            removed=self.removed, added=self.added, held=self.held, released=self.released
        )
        if self.request.watch:
            self.reply.add("DIGEST", self._watched())
        changed = bool(self.removed or self.added or self.held or self.released)
        return self.reply.done("apply", self.counts, changed=changed)

    def _step(self, phase: str) -> Outcome | None:
        """Take one step of ``phase``, or the ERROR of a fault that stops the apply here."""
        if self.steps_left == 0:
            return self._stop(access_denied(self.CALLS[phase]))
        self.steps_left -= 1
        return None

    def _stop(self, message: str) -> Outcome:
        """The ERROR reply, counting what was done before it (the store keeps it)."""
        self.counts.update(
            retired=sum(len(tombs) for _group, _name, tombs in self.retired),
            removed=self.removed,
            added=self.added,
            held=self.held,
            released=self.released,
        )
        return self.reply.error(message, "apply", self.counts)

    def _retire(self) -> Outcome | None:
        owns = {s.group: s.owns or self.marker for s in self.request.sections}
        for group, name in self.removes:
            stopped = self._step("retire")
            if stopped is not None:
                return stopped
            tombs = []
            for rule in self.rules:
                if (
                    _same_name(rule["grouping"], group)
                    and _same_name(rule["name"], name)
                    and _marked(rule, owns[group])
                ):
                    rule["name"] = f"{TOMBSTONE_PREFIX}{uuid.uuid4().hex}"
                    tombs.append(rule["name"])
            self.retired.append((group, name, tombs))
            self.reply.add("RETIRED", b64e(group), b64e(name), str(len(tombs)))
        return None

    def _add(self) -> Outcome | None:
        for group, add in self.adds:
            stopped = self._step("add")
            if stopped is not None:
                return stopped
            try:
                rule = build_rule(add, group, self.os_version)
            except FirewallError as exc:
                return self._stop(
                    f"rule {add.name} of group {group} was refused, nothing was removed: {exc}"
                )
            self.rules.append(rule)
            self.added += 1
            self.reply.add("ADDED", b64e(group), b64e(add.name))
        return None

    def _found(self, group: str, name: str) -> list[dict[str, Any]]:
        """The rules of ``group`` named ``name`` that were there before the apply (a rule
        it retired has its tombstone's name by now)."""
        return [
            rule
            for rule in self.rules
            if id(rule) in self.found
            and _same_name(rule["grouping"], group)
            and _same_name(rule["name"], name)
        ]

    def _release(self) -> Outcome | None:
        """Each rule a HOLD disabled comes back: enabled, its description without HOLDMARK."""
        mark = self.request.holdmark
        for group, name in self.request.releases:
            stopped = self._step("release")
            if stopped is not None:
                return stopped
            count = 0
            for rule in self._found(group, name):
                if rule["description"].endswith(mark):
                    rule["enabled"] = 1
                    rule["description"] = rule["description"][: -len(mark)]
                    count += 1
                    self.released += 1
            self.reply.add("RELEASED", b64e(group), b64e(name), str(count))
        return None

    def _hold(self) -> Outcome | None:
        """Each enabled rule is disabled, its description ending in HOLDMARK (one that
        ends so already, left enabled by an apply that stopped half way, keeps it)."""
        mark = self.request.holdmark
        for group, name in self.request.holds:
            stopped = self._step("hold")
            if stopped is not None:
                return stopped
            count = 0
            for rule in self._found(group, name):
                if not rule["enabled"]:
                    continue
                held = rule["description"]
                if not held.endswith(mark):
                    held += mark
                try:
                    _setting("Description", check_description, held)
                except FirewallError as exc:
                    return self._stop(
                        f"rule {name} of group {group} was refused, nothing was removed: {exc}"
                    )
                rule["description"] = held
                rule["enabled"] = 0
                count += 1
                self.held += 1
            self.reply.add("HELD", b64e(group), b64e(name), str(count))
        return None

    def _remove(self) -> Outcome | None:
        for group, name, tombs in self.retired:
            stopped = self._step("remove")
            if stopped is not None:
                return stopped
            self.rules[:] = [r for r in self.rules if r["name"] not in tombs]
            self.removed += len(tombs)
            self.reply.add("REMOVED", b64e(group), b64e(name), str(len(tombs)))
        return None


def _same_name(a: str, b: str) -> bool:
    # Windows compares rule names, and the script compares groups, without regard to case.
    return a.casefold() == b.casefold()
