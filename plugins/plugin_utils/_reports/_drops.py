# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the packets a host's firewall dropped, read-only.
"""Dropped packets: the inbound flows Windows Firewall blocked, from its log's last lines.

Windows Firewall (Windows Server 2003 as 2008) can log the packets it drops to a W3C text
log (``pfirewall.log``)::

    #Version: 1.5
    #Software: Microsoft Windows Firewall
    #Time Format: Local
    #Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags ...

    2026-12-07 10:00:00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 123456 0 8192 - - - RECEIVE

:meth:`.._remote._client.RemoteFirewall.tail` returns the last lines of each log file, oldest
first. A ``#Fields:`` header sets the order of the lines after it (a log that rotated has
one in the middle); before any, the order is :data:`DEFAULT_FIELDS`, Windows' own. Only
inbound drops count (action ``DROP``, path ``RECEIVE``); the other lines (allowed
connections, outbound drops, lost-events notices) are ``skipped``, and a line that does
not read as the log's (a short line, a date that is not one, an address that is not one)
is ``unparsed``: both counted, never guessed at.

The drops are grouped by source address, local port and protocol (ICMP by type and code,
its port null), each group a finding with the catalogue entries that open that port and
protocol inbound (:func:`._readiness.entries_for`) and what to do about it:

* ``held_port``: an entry of a component the host holds opens it, so the collection's
  rule is there (once ``site.yml`` ran) and the packet fell outside it: the remedy names
  what widens it (the peers in the inventory, ``ocs_<component>_remote_addresses``, the
  local addresses) or, when the rule should have admitted it, what else to check;
* ``component_port``: only components the host does not hold open it: the inventory
  group (``ocs_<component>``) that would, if the host serves that; else leave it blocked;
* ``unknown_port``: no catalogue entry opens it (another protocol too): leave it
  blocked, or a rule of your own;
* ``icmp``: ICMP, which the catalogue does not carry.

Pure: log lines and a host's request in, findings out.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import (
    Settings,
    shown,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _grammar, _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _switch
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _readiness

KINDS: tuple[str, ...] = ("held_port", "component_port", "unknown_port", "icmp")
# What a line of the log says, in the order Windows writes it (2003 as 2008).
DEFAULT_FIELDS: tuple[str, ...] = (
    "date",
    "time",
    "action",
    "protocol",
    "src-ip",
    "dst-ip",
    "src-port",
    "dst-port",
    "size",
    "tcpflags",
    "tcpsyn",
    "tcpack",
    "tcpwin",
    "icmptype",
    "icmpcode",
    "info",
    "path",
)
# The fields a header must name for its lines to be read.
_NOT_NEEDED = ("src-port", "size", "tcpflags", "tcpsyn", "tcpack", "tcpwin", "info")
_NEEDED = frozenset(DEFAULT_FIELDS) - frozenset(_NOT_NEEDED)
# The tail's bounds: (option, default, lowest, highest). The host's script reads no more
# than MAX_TAIL_BYTES of a file.
MAX_LINES = ("max_lines", 2000, 1, 100000)
MAX_BYTES = ("max_bytes", 262144, 1, _switch.MAX_TAIL_BYTES)
# How many addresses a remedy shows of a rule's before it counts the rest.
_SHOWN_ADDRESSES = 4

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}\Z")
_TOKEN = re.compile(r"[A-Za-z0-9-]+\Z")
_FIELDS_HEADER = "#fields:"
_LOST = "INFO-EVENTS-LOST"
_PORT_PROTOCOLS = ("tcp", "udp")


def check_bounds(max_lines: Any, max_bytes: Any) -> tuple[int, int]:
    """``(max_lines, max_bytes)`` checked against :data:`MAX_LINES` and :data:`MAX_BYTES`;
    raises :class:`~.._errors.InputError` naming the option and the value."""
    checked = []
    problems = []
    for (name, _default, low, high), value in ((MAX_LINES, max_lines), (MAX_BYTES, max_bytes)):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{name}: {shown(value)} is not a whole number from {low} to {high}")
        elif not low <= value <= high:
            problems.append(f"{name}: {value} is out of range: from {low} to {high}")
        checked.append(value)
    if problems:
        raise InputError("; ".join(problems), problems)
    return checked[0], checked[1]


@dataclasses.dataclass(frozen=True)
class Drop:
    """One inbound packet the firewall dropped."""

    when: str
    protocol: str
    source: str
    destination: str
    # The local port (TCP, UDP); None for another protocol.
    port: int | None = None
    # ICMP's type and code; None for another protocol.
    icmp: tuple[int, int] | None = None


@dataclasses.dataclass
class LineCounts:
    """What the lines read were: ``read`` every line given (headers and blank lines too),
    ``dropped`` the inbound drops, ``skipped`` the other entries of the log, ``unparsed``
    the lines that are not the log's, ``lost`` the events the log says it lost."""

    read: int = 0
    dropped: int = 0
    skipped: int = 0
    unparsed: int = 0
    lost: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _number(text: str, high: int) -> int | None:
    if not text.isdigit() or not text.isascii():
        return None
    value = int(text)
    return value if value <= high else None


def _header(text: str) -> tuple[str, ...] | None:
    """The field names of a ``#Fields:`` header, or None when they miss one needed."""
    names = tuple(name.lower() for name in text[len(_FIELDS_HEADER) :].split())
    return names if _NEEDED <= set(names) else None


def _drop(values: Mapping[str, str]) -> Drop | None:
    """The drop an inbound DROP line records, or None when a value is not one."""
    source = _address(values["src-ip"])
    destination = _address(values["dst-ip"])
    protocol = values["protocol"].lower()
    if source is None or destination is None or not _TOKEN.match(protocol):
        return None
    when = f"{values['date']} {values['time']}"
    if protocol in _PORT_PROTOCOLS:
        port = _number(values["dst-port"], _grammar.PORT_MAX)
        return None if port is None else Drop(when, protocol, source, destination, port=port)
    if protocol.startswith("icmp"):
        kind = _number(values["icmptype"], 255)
        code = _number(values["icmpcode"], 255)
        if kind is None or code is None:
            return None
        return Drop(when, protocol, source, destination, icmp=(kind, code))
    return Drop(when, protocol, source, destination)


def parse(lines: Iterable[str]) -> tuple[list[Drop], LineCounts]:
    """The inbound drops ``lines`` record, oldest first, and what the lines were."""
    counts = LineCounts()
    fields = DEFAULT_FIELDS
    drops = []
    for raw in lines:
        counts.read += 1
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lower().startswith(_FIELDS_HEADER):
                header = _header(line)
                if header is None:
                    counts.unparsed += 1
                else:
                    fields = header
            continue
        parts = line.split()
        if len(parts) != len(fields):
            counts.unparsed += 1
            continue
        values = dict(zip(fields, parts, strict=True))
        if not (_DATE.match(values["date"]) and _TIME.match(values["time"])):
            counts.unparsed += 1
            continue
        action = values["action"].upper()
        if action == _LOST:
            counts.skipped += 1
            lost = values.get("info", "")
            counts.lost += int(lost) if lost.isdigit() and lost.isascii() else 0
            continue
        if action != "DROP" or values["path"].upper() != "RECEIVE":
            counts.skipped += 1
            continue
        found = _drop(values)
        if found is None:
            counts.unparsed += 1
            continue
        counts.dropped += 1
        drops.append(found)
    return drops, counts


@dataclasses.dataclass
class Group:
    """The drops of one source, protocol and local port (ICMP: type and code)."""

    source: str
    protocol: str
    port: int | None
    icmp: tuple[int, int] | None
    count: int = 0
    first: str = ""
    last: str = ""
    destinations: dict[str, None] = dataclasses.field(default_factory=dict)


def groups(drops: Iterable[Drop]) -> list[Group]:
    """The drops grouped, in the order each group was first seen."""
    found: dict[tuple[Any, ...], Group] = {}
    for drop in drops:
        key = (drop.source, drop.protocol, drop.port, drop.icmp)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(drop.source, drop.protocol, drop.port, drop.icmp)
            group.first = group.last = drop.when
        group.count += 1
        # Two files (a rotated log and the new one) need not come in time order.
        group.first = min(group.first, drop.when)
        group.last = max(group.last, drop.when)
        group.destinations[drop.destination] = None
    return list(found.values())


# --- what a held component's rule makes of a drop ------------------------------------------


class _Host:
    """The host's request, and what the findings ask of it again and again (a scan gives
    a group per port): the entries of a port, the planned rules of a held component."""

    def __init__(self, request: _host_request.HostRequest) -> None:
        self.request = request
        self.held = {s.component.key: s for s in request.settings}
        self._entries: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self._rules: dict[str, list[Rule]] = {}

    def entries_for(self, protocol: str, port: int) -> list[tuple[str, str]]:
        key = (protocol, port)
        if key not in self._entries:
            self._entries[key] = _readiness.entries_for(protocol, port)
        return self._entries[key]

    def rules_of(self, key: str) -> list[Rule]:
        """The inbound rules site.yml would give the held component ``key``."""
        if key not in self._rules:
            rules = _component_rules.component_rules(self.held[key], self.request.remotes.get(key))
            self._rules[key] = [r for r in rules if r.direction == "in"]
        return self._rules[key]


def _admits(addresses: Sequence[str], address: str) -> bool:
    """Whether a rule's ``addresses`` (``()``: any) hold ``address``."""
    if not addresses:
        return True
    for token in addresses:
        try:
            if _grammar.contains(token, address.split("%", 1)[0]):
                return True
        except ValueError:
            continue
    return False


def _few(addresses: Sequence[str]) -> str:
    shown_ = ", ".join(addresses[:_SHOWN_ADDRESSES])
    more = len(addresses) - _SHOWN_ADDRESSES
    return shown_ + (f" and {more} more" if more > 0 else "")


@dataclasses.dataclass(frozen=True)
class _Held:
    """What one held entry's planned rules make of a group: ``status`` is ``admits`` (a
    rule takes the source and a destination), ``remote`` (bound to a destination, other
    sources only), ``local`` (other local addresses only) or ``left_out`` (no rule)."""

    entry: str
    settings: Settings
    status: str
    rules: tuple[Rule, ...] = ()
    # left_out: why, and the setting that says so ("" when none does alone).
    why: str = ""
    setting: str = ""

    @property
    def label(self) -> str:
        return f"{self.entry} ({self.settings.component.key})"


def _left_out(settings: Settings, entry_id: str) -> tuple[str, str]:
    """Why a held component's entry has no rule on the host, and the setting that says so."""
    component = settings.component
    if settings.state == "absent":
        name = component.variable("state")
        return f"{name} is absent", name
    entries = {e["id"]: e for e in _catalogue.server_entries(component.key, settings.as_published)}
    entry = entries.get(entry_id)
    if entry is None:
        name = component.variable("as_published")
        return f"{name} leaves it out", name
    if entry.get("opt_in"):
        name = component.variable(entry["opt_in"])
        return f"{name} is off (an opt-in)", name
    if entry.get("seed_row") is None and not settings.include_extras:
        name = component.variable("include_extras")
        return f"{name} is false", name
    return "the host's settings leave it out", ""


def _held(host: _Host, group: Group, entry_id: str, key: str) -> _Held:
    settings = host.held[key]
    rules = tuple(
        r
        for r in host.rules_of(key)
        if r.protocol == group.protocol and _ownership.entry_of(r.description) == entry_id
    )
    if not rules:
        why, setting = _left_out(settings, entry_id)
        return _Held(entry_id, settings, "left_out", why=why, setting=setting)
    destinations = list(group.destinations)
    bound = [r for r in rules if any(_admits(r.local_addresses, d) for d in destinations)]
    if any(_admits(r.remote_addresses, group.source) for r in bound):
        return _Held(entry_id, settings, "admits", rules)
    if bound:
        return _Held(entry_id, settings, "remote", tuple(bound))
    return _Held(entry_id, settings, "local", rules)


def _peers_of(request: _host_request.HostRequest, held: _Held) -> tuple[list[str], list[str]]:
    """Where in the inventory a source becomes a peer of ``held``'s rule, with the scope
    from the inventory: the groups of its component peers, the variables of its peer
    kinds (both empty otherwise: the component's ``remote_addresses`` scope it)."""
    settings = held.settings
    scoped = request.scope == "inventory" and settings.component.key in request.remotes
    if settings.remote_addresses or not scoped:
        return [], []
    entries = _catalogue.server_entries(settings.component.key, settings.as_published)
    peers = next((e["peers"] for e in entries if e["id"] == held.entry), ())
    kinds = _catalogue.peer_kinds()
    groups_ = [f"ocs_{p}" for p in peers if p not in kinds]
    networks = [kinds[p].scope for p in peers if p in kinds and not kinds[p].open]
    return list(dict.fromkeys(groups_)), list(dict.fromkeys(networks))


def _local_settings(held: _Held) -> list[str]:
    """The variables of the local addresses ``held``'s entry is bound to."""
    component = held.settings.component
    entries = _catalogue.server_entries(component.key, held.settings.as_published)
    entry = next((e for e in entries if e["id"] == held.entry), {})
    side = entry.get("interface", "any")
    if side == "any":
        names = list(component.address_settings)
    else:
        services = dict(component.service_addresses)
        names = [component.side_setting(side) or ""]
        if side == "external":
            names += [services[s] for s in entry.get("service") or () if s in services]
    return [component.variable(n) for n in names if n]


def _held_remedy(
    request: _host_request.HostRequest, group: Group, found: Sequence[_Held]
) -> tuple[str, list[str]]:
    """What to do about a drop on a held component's port, and the inventory's groups and
    variables it names. The most telling answer wins: a rule that admits the packet, then
    one bound to its destination that takes other sources, then one bound elsewhere."""
    source = group.source
    status = next(
        s for s in ("admits", "remote", "local", "left_out") if any(h.status == s for h in found)
    )
    these = [h for h in found if h.status == status]
    labels = ", ".join(h.label for h in these)
    if status == "admits":
        names = list(dict.fromkeys(h.settings.component.variable("profiles") for h in these))
        profiles = sorted({p for h in these for r in h.rules for p in r.profiles})
        return (
            f"a component of the host opens it to {source} ({labels}): if site.yml has run, "
            f"the drop is the profile's (the rule is in {', '.join(profiles)}; check "
            f"{', '.join(names)} against the profile the host is on) or a block rule's, or "
            "group policy's (ocs.firewall.audit says which)",
            names,
        )
    if status == "remote":
        addresses = [a for h in these for r in h.rules for a in r.remote_addresses]
        groups_: list[str] = []
        networks: list[str] = []
        for h in these:
            peer_groups, peer_networks = _peers_of(request, h)
            groups_ += peer_groups
            networks += peer_networks
        own = [h.settings.component.variable("remote_addresses") for h in these]
        names = list(dict.fromkeys([*groups_, *networks, *own]))
        if groups_ or networks:
            peers = [f"a host of {' or '.join(dict.fromkeys(groups_))}"] if groups_ else []
            peers += list(dict.fromkeys(networks))
            how = (
                f"make it a peer in the inventory ({', '.join(peers)}), or set "
                f"{' or '.join(dict.fromkeys(own))} (in place of the inventory's scope, for "
                "every port of the component)"
            )
        else:
            how = f"widen {' or '.join(dict.fromkeys(own))}"
        return (
            f"a component of the host opens it ({labels}) to other addresses only "
            f"({_few(list(dict.fromkeys(addresses)))}): if {source} must connect, {how}; "
            "otherwise leave it blocked",
            names,
        )
    if status == "local":
        names = list(dict.fromkeys(n for h in these for n in _local_settings(h)))
        addresses = list(
            dict.fromkeys(a for h in these for r in h.rules for a in r.local_addresses)
        )
        where = ", ".join(group.destinations)
        return (
            f"a component of the host opens it ({labels}) on other local addresses only "
            f"({_few(addresses)}): if it must be reached on {where}, check "
            f"{', '.join(names) or 'its local addresses'}; otherwise leave it blocked",
            names,
        )
    return (
        f"an entry of a component of the host opens it ({labels}), but the host's settings "
        f"leave that entry out ({'; '.join(dict.fromkeys(h.why for h in these))}): change that "
        "if the host serves it; otherwise leave it blocked",
        list(dict.fromkeys(h.setting for h in these if h.setting)),
    )


# --- findings ----------------------------------------------------------------------------------


def _when(group: Group) -> str:
    return f"at {group.first}" if group.first == group.last else f"{group.first} to {group.last}"


def _finding(host: _Host, group: Group) -> dict[str, Any]:
    if group.icmp is not None:
        what = f"ICMP type {group.icmp[0]} code {group.icmp[1]}"
        if group.protocol != "icmp":
            what = f"{group.protocol.upper()} type {group.icmp[0]} code {group.icmp[1]}"
    elif group.port is not None:
        what = f"{group.port}/{group.protocol}"
    else:
        what = f"protocol {group.protocol.upper()}"
    entries = host.entries_for(group.protocol, group.port) if group.port is not None else []
    held = [(e, k) for e, k in entries if k in host.held]
    shown_entries = [f"{e} ({k})" for e, k in entries]
    inventory: list[str] = []
    if group.icmp is not None:
        kind = "icmp"
        components: list[str] = []
        belongs = "ICMP, which the catalogue does not carry"
        remedy = (
            "leave it blocked, or allow it with a rule of your own (win_firewall_rules) if "
            "the host must answer it"
        )
    elif held:
        kind = "held_port"
        components = list(dict.fromkeys(k for _e, k in held))
        belongs = f"a port of the host's {', '.join(components)}"
        remedy, inventory = _held_remedy(
            host.request, group, [_held(host, group, e, k) for e, k in held]
        )
    elif entries:
        kind = "component_port"
        components = list(dict.fromkeys(k for _e, k in entries))
        inventory = [f"ocs_{k}" for k in components]
        belongs = f"a port of {', '.join(components)}, which the host does not hold"
        remedy = (
            f"the catalogue opens it for {', '.join(shown_entries)}: if the host serves "
            f"that, put it in {' or '.join(inventory)}; otherwise leave it blocked"
        )
    else:
        kind = "unknown_port"
        components = []
        belongs = "no catalogue entry opens it"
        remedy = (
            "leave it blocked, or a rule of your own (win_firewall_rules) if it must be reachable"
        )
    destinations = list(group.destinations)
    text = (
        f"{what} from {group.source} to {', '.join(destinations)}: {group.count} drop(s) "
        f"{_when(group)}; {belongs}"
    )
    return {
        "kind": kind,
        "protocol": group.protocol,
        "port": group.port,
        "icmp_type": group.icmp[0] if group.icmp else None,
        "icmp_code": group.icmp[1] if group.icmp else None,
        "source": group.source,
        "destinations": destinations,
        "count": group.count,
        "first_seen": group.first,
        "last_seen": group.last,
        "entries": shown_entries,
        "held": bool(held),
        "components": components,
        "inventory": inventory,
        "text": text,
        "remedy": remedy,
    }


def _address_key(address: str) -> tuple[int, int, str]:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return (99, 0, address)
    return (parsed.version, int(parsed), address)


def _order(finding: Mapping[str, Any]) -> tuple[Any, ...]:
    port = finding["port"]
    return (
        -finding["count"],
        _address_key(finding["source"]),
        -1 if port is None else port,
        finding["protocol"],
        finding["icmp_type"] if finding["icmp_type"] is not None else -1,
        finding["icmp_code"] if finding["icmp_code"] is not None else -1,
    )


def summarise(
    request: _host_request.HostRequest, lines: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The findings of the log's ``lines``, most drops first, then by source and port; and
    what the lines were (:class:`LineCounts`)."""
    drops, counts = parse(lines)
    host = _Host(request)
    found = [_finding(host, group) for group in groups(drops)]
    return sorted(found, key=_order), counts.as_dict()


def counts(found: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many findings of each kind (every kind, 0 included)."""
    totals = dict.fromkeys(KINDS, 0)
    for finding in found:
        totals[finding["kind"]] += 1
    return totals


def files(found: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """The log files the tail looked at, as the result shows them (size -1: missing)."""
    return [{"path": str(path), "size": int(size)} for path, size in found]


def message(
    host: str,
    found: Sequence[Mapping[str, Any]],
    lines: Mapping[str, int],
    logs: Sequence[Mapping[str, Any]],
) -> str:
    """The host's dropped packets in one line."""
    present = [f["path"] for f in logs if f["size"] >= 0]
    if not present:
        where = ", ".join(f["path"] for f in logs) or "the profiles' log paths"
        return (
            f"{host}: no firewall log ({where}): turn the log of dropped packets on "
            f"({_variables.LOG_DROPPED}: true, then site.yml) to see what the firewall blocks"
        )
    read = f"the last {lines['read']} line(s) of {', '.join(present)}"
    unparsed = f"; {lines['unparsed']} line(s) unparsed" if lines.get("unparsed") else ""
    if not found:
        return f"{host}: no inbound drops in {read}{unparsed}"
    parts = ", ".join(f"{n} {kind}" for kind, n in counts(found).items() if n)
    return (
        f"{host}: {len(found)} finding(s) from {lines['dropped']} inbound drop(s) in "
        f"{read}: {parts}{unparsed}"
    )
