# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port matrix's flows, host pair by host pair.
"""The flows of an estate, per network boundary, host pair by host pair.

The heart of the port matrix (:mod:`._port_matrix` assembles it): which host talks to
which, on which ports, from the inventory and the catalogue. Nothing here contacts a
host; the hosts' variables are read through the mappings given (templated on access),
everything else is pure.

Zones, from the catalogue (``zone`` of a server component, ``zone`` of a peer kind):

* ``internal``: the hosts of internal components and the internal peer kinds (clients,
  domain controllers, gateways, load balancers);
* ``perimeter_internal``: a perimeter host (``zone: perimeter``: the Edge, the reverse
  proxy) on its internal side: its internal interface's entries, and an entry of no
  particular interface whose peer at the other end is not on the Internet;
* ``perimeter_external``: a perimeter host on its external side: its external service
  addresses, and an entry of no particular interface whose peer is on the Internet;
* ``internet``: the peer kinds on the Internet (external users, federated partners).

Flows, per host and held component (state present), per entry it makes (as site.yml
makes them: the host's include_extras and opt-ins), per direction and transport. The
outbound halves are always included, whatever ``include_outbound`` says: Windows allows
outbound traffic by default, a network firewall does not. An inbound rule gives a flow
from each peer to the host, an outbound rule one from the host to each peer:

* a component peer is each host holding it, at the addresses it shows its peers
  (``ocs_firewall_address``, ``ansible_host``, the internal side of the Edge);
* a peer kind is its networks (its collection-wide variable, read from the host whose
  rule it is), ``any`` on the Internet, or ``(set <variable>)`` when a required one is
  not set (one a rule may do without, unset, is no peer: no flow);
* the host is at the local addresses its rule is bound to (the Edge's per-service
  external addresses), else, for an entry of either side on a server with two sides, at
  the addresses of the side its peer is on (the reverse proxy, a Mediation Server), else
  at its address as its peers see it.

A flow goes only the way the catalogue gives each peer of an entry (``peer_directions``
of a ``both`` entry), and a flow between two servers of the inventory is the listening
server's: see :func:`flows`. Each row says whether a document states its way (``basis``).

A flow from a host to itself (collocated components) crosses no network and is left
out. Flows with the same source, destination, ports and transport are one row, listing
every catalogue entry behind it (a Front End's outbound SIP and the Director's inbound
SIP). Each row is in the table of its destination's zone; its direction is relative to
trust: ``inbound`` into a more trusted zone, ``outbound`` towards a less trusted one,
``within`` the same zone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _scope, _settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._component_rules import (
    build_rules,
    made_entries,
    port_text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import Settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import port_bounds

# zone key -> the title of its table, from the most trusted zone to the least.
ZONES: dict[str, str] = {
    "internal": "Internal network",
    "perimeter_internal": "Perimeter network, internal side",
    "perimeter_external": "Perimeter network, external side",
    "internet": "Internet",
}
_TRUST = {zone: len(ZONES) - rank for rank, zone in enumerate(ZONES)}

FLOW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source_zone", "source zone"),
    ("source", "source"),
    ("source_address", "source address"),
    ("destination", "destination"),
    ("destination_address", "destination address"),
    ("ports", "port(s)"),
    ("transport", "transport"),
    ("direction", "direction"),
    ("purpose", "purpose"),
    ("catalogue_ids", "catalogue id(s)"),
    ("basis", "direction basis"),
)


def problems_error(problems: Sequence[str]) -> InputError:
    """Every problem that keeps the matrix from being worked out; nothing is written."""
    listed = list(problems)
    return InputError(
        f"{len(listed)} problem(s), no file was written: " + "; ".join(listed), listed
    )


@dataclasses.dataclass(frozen=True)
class _Endpoint:
    """One end of a flow: a host at one address, or a peer kind at its networks."""

    zone: str
    name: str
    address: str
    # The key of a peer kind of the catalogue, or "" for an inventory host.
    kind: str = ""

    @property
    def id(self) -> str:
        # A host with one address on both sides of the perimeter is one endpoint per side.
        return f"{self.name} ({self.address}) in {self.zone}"


# ---- text derived from the catalogue ----------------------------------------------------


def purpose(entry: Mapping[str, Any]) -> str:
    """What an entry's traffic is for, whole: its services' titles, its protocol when that
    says more than the transport, and its description."""
    # A service title's head (before a colon) names it.
    head = " / ".join(_catalogue.services()[s].split(":")[0] for s in entry.get("service") or ())
    protocol = str(entry.get("protocol") or "")
    # A protocol that only names transports, or repeats the services' titles, says nothing.
    words = set(re.findall(r"\w+", protocol.lower()))
    if protocol and not (
        words <= set(_catalogue.TRANSPORTS)
        or protocol.lower() in re.findall(r"[\w/]+", head.lower())
    ):
        head = f"{head} ({protocol})" if head else protocol
    text = " ".join(str(entry.get("description") or "").split()).rstrip(".")
    return f"{head}: {text}" if head and text else head or text


# ---- the hosts --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Host:
    settings: tuple[Settings, ...]
    scope: _scope.Scope


def _host(host: str, variables: Mapping[str, Any]) -> tuple[_Host | None, list[str]]:
    """A host's checked settings (the checks site.yml's preflight makes) and networks."""
    try:
        group_names = list(variables.get("group_names", ()))
    except Exception as exc:
        return None, [f"{host}: group_names: cannot be worked out ({exc})"]
    keys = _settings.held_components(group_names)
    problems: list[str] = []
    names = [*_settings.variables_wanted(keys), *_scope.variables()]
    defined = _variables.read_values(variables, names, problems)
    problems = [f"{host}: {p}" for p in problems]
    requested, collection = _settings.from_variables(keys, defined)
    checked, found = _settings.check_host(requested, _settings.variable_name, collection)
    scope, scope_problems = _scope.check_scope(defined)
    problems += [f"{host}: {p}" for p in (*found, *scope_problems)]
    if problems or scope is None:
        return None, problems
    return _Host(tuple(checked), scope), []


def rules(settings: Settings, entry: Mapping[str, Any]) -> list[Any]:
    """The rules site.yml makes of one entry, with the outbound ones always."""
    return build_rules(
        [entry],
        label=settings.component.label,
        profiles=settings.profiles,
        include_outbound=True,
        internal_addresses=settings.addresses_of("internal"),
        external_addresses=settings.addresses_of("external"),
        service_addresses=dict(settings.service_addresses),
        opt_ins=settings.opt_ins,
    )


# ---- the estate -------------------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    source: _Endpoint
    destination: _Endpoint
    ports: str
    transport: str
    # Entry ids, and the purposes of the listening (inbound) and connecting entries.
    ids: dict[str, None] = dataclasses.field(default_factory=dict)
    listening: dict[str, None] = dataclasses.field(default_factory=dict)
    connecting: dict[str, None] = dataclasses.field(default_factory=dict)
    # The ids of the entries whose direction for this flow is inferred, not stated.
    inferred: dict[str, None] = dataclasses.field(default_factory=dict)
    stated: bool = False


def _first_port(ports: str) -> int:
    return int(re.split(r"[-,]", ports)[0])


def _port_ranges(ports: Sequence[str]) -> list[tuple[int, int]]:
    """The ``(low, high)`` of each item of a port list the catalogue (or port_text) wrote."""
    ranges = []
    for item in ports:
        bounds = port_bounds(str(item).strip())
        if bounds is None:
            raise ValueError(f"{item!r} is not a port or a port range")
        ranges.append(bounds)
    return ranges


def _overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> bool:
    return any(
        low <= other_high and other_low <= high for low, high in a for other_low, other_high in b
    )


def way(entry: Mapping[str, Any], peer: str) -> str:
    """Which way the traffic of ``entry`` with ``peer`` goes, from the host's view:
    ``inbound`` (the peer opens the connections), ``outbound`` or ``both``."""
    if entry["direction"] != "both":
        return str(entry["direction"])
    return str((entry.get(_catalogue.PEER_DIRECTIONS) or {}).get(peer, "both"))


def way_inferred(entry: Mapping[str, Any], peer: str) -> bool:
    """Whether the catalogue infers that way (no document states it)."""
    inferred = entry.get("inferred") or ()
    if peer in (entry.get(_catalogue.PEER_DIRECTIONS) or {}):
        return f"{_catalogue.PEER_DIRECTIONS}.{peer}" in inferred
    return "direction" in inferred


def _takes(entry: Mapping[str, Any], peer: str, inbound: bool) -> bool:
    return way(entry, peer) in ("both", "inbound" if inbound else "outbound")


@dataclasses.dataclass(frozen=True)
class _Connection:
    """An outbound rule's traffic to a server of the inventory: the row is that server's
    (it must listen), this only adds the connecting entry to it."""

    source: str
    destination: str
    transport: str
    ports: tuple[tuple[int, int], ...]
    entry: Mapping[str, Any]
    # The destination's component, the entry's peer.
    peer: str


class Estate:
    def __init__(
        self, groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.hostvars = hostvars
        self.inventory = _scope.Inventory(groups, hostvars)
        self.kinds = _catalogue.peer_kinds()
        self.components = _catalogue.components()
        self.problems: list[str] = []
        self._hosts: dict[str, _Host | None] = {}
        # Connections a server makes that no listener of the inventory takes (catalogue
        # entries whose peer does not list them back): no row, kept for review.
        self.unheard: list[_Connection] = []

    def host(self, name: str) -> _Host | None:
        if name not in self._hosts:
            if name not in self.hostvars:
                self.problems.append(f"{name}: is not a host of the inventory")
                self._hosts[name] = None
            else:
                found, problems = _host(name, self.hostvars[name])
                self.problems += problems
                self._hosts[name] = found
        return self._hosts[name]

    def facts(self, name: str) -> tuple[list[str], str]:
        """The components a host holds and its pool, for the object groups."""
        host = self.host(name)
        held = [s.component.key for s in host.settings if s.state != "absent"] if host else []
        return held, self.inventory.pool(name)

    def seen_at(self, holder: str, key: str) -> list[str]:
        """The addresses the holder of ``key`` shows its peers, or why it has none."""
        addresses, why, wrong = self.inventory.address(holder, key)
        if addresses is not None:
            return list(addresses)
        if wrong:
            self.problems.append(f"{holder}: {why}")
        return [f"(set {_scope.ADDRESS_VARIABLE})"]

    def peers(self, peer: str, scope: _scope.Scope, view: _scope.PoolView) -> list[_Endpoint]:
        """The far ends a peer of an entry stands for (``view``: what pools make of them)."""
        if peer in self.kinds:
            kind = self.kinds[peer]
            networks = scope.networks_of(kind.scope)
            if not (kind.open or networks or kind.required):
                # Peers a rule may do without (a load balancer a pool of one lacks): unset,
                # there are none, and no flow to open for them.
                return []
            address = (
                "any" if kind.open else ", ".join(networks) if networks else f"(set {kind.scope})"
            )
            return [_Endpoint(kind.zone, peer, address, kind=peer)]
        # A perimeter server shows its internal side to the servers of the inventory.
        zone = "perimeter_internal" if self.components[peer].zone == "perimeter" else "internal"
        return [
            _Endpoint(zone, holder, address)
            for holder in view.holders(self.inventory, peer)
            for address in self.seen_at(holder, peer)
        ]

    def near(
        self,
        host: str,
        settings: Settings,
        entry: Mapping[str, Any],
        bound: Sequence[str],
        far: _Endpoint,
        peer: str,
    ) -> list[_Endpoint]:
        """The host's end of a flow with ``far``, a ``peer`` of ``entry``."""
        component = settings.component
        side = entry["interface"]
        if side == "any" and len(component.interfaces) == len(_catalogue.SIDES):
            # An entry of either side on a server with two: the side its peer is on.
            side = _side_of(component, peer, far.zone)
            own = settings.addresses_of(side)
            bound = own or bound
        if component.zone != "perimeter":
            zone = "internal"
        elif side == "any":
            zone = "perimeter_external" if far.zone == "internet" else "perimeter_internal"
        else:
            zone = f"perimeter_{side}"
        external = component.side_setting("external")
        if bound:
            addresses = list(bound)
        elif zone == "perimeter_external" and external:
            # Its own address is its internal side's: the external one must be given.
            addresses = [f"(set {component.variable(external)})"]
        else:
            addresses = self.seen_at(host, component.key)
        return [_Endpoint(zone, host, address) for address in addresses]


def _side_of(component: _catalogue.Component, peer: str, far_zone: str) -> str:
    """The side of a server with two that a peer is on: the Internet is outside; else the
    side of the component's entries for that peer that name one (a Mediation Server's
    gateways), or the internal side."""
    if far_zone == "internet":
        return "external"
    sides = {e["interface"] for e in _catalogue.server_entries(component.key) if peer in e["peers"]}
    return "external" if sides - {"any"} == {"external"} else "internal"


def _made(host: _Host) -> list[tuple[Settings, Mapping[str, Any], Any]]:
    """Each rule a host's present components make (outbound ones always), with its
    settings and entry."""
    found = []
    for settings in host.settings:
        if settings.state == "absent":
            continue
        made = made_entries(
            _catalogue.server_entries(settings.component.key, settings.as_published),
            include_outbound=True,
            include_extras=settings.include_extras,
            opt_ins=settings.opt_ins,
        )
        for entry, _directions in made:
            found += [(settings, entry, rule) for rule in rules(settings, entry)]
    return found


def flows(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    hosts: Sequence[str] | None = None,
    *,
    estate: Estate | None = None,
) -> list[dict[str, Any]]:
    """Every flow of ``hosts`` (default: every host of the inventory) as table rows, sorted
    by destination zone, destination, port and transport. Raises InputError.

    A flow goes only the way the catalogue gives each peer of an entry (:func:`way`). A
    flow between two servers of the inventory is the listening server's: its entry that
    takes the other's component inbound makes the row (so the row has the ports it
    listens on); the connecting server's outbound entry adds its id to that row. A
    server of ``hosts`` whose peer is not in ``hosts`` has the peer's rows from it too.
    """
    estate = estate or Estate(groups, hostvars)
    rows: dict[tuple[str, str, str, str], _Row] = {}
    wanted = list(hosts if hosts is not None else groups.get("all", list(hostvars)))
    # (host, the one source host whose flows to it are wanted, or "" for all of them).
    queue: list[tuple[str, str]] = [(name, "") for name in wanted]
    queued = set(queue)
    connections: list[_Connection] = []
    while queue:
        name, only = queue.pop(0)
        host = estate.host(name)
        if host is None:
            continue
        for settings, entry, rule in _made(host):
            inbound = rule.direction == "in"
            if only and not inbound:
                continue
            view = _scope.pool_view(settings, entry, host.scope.pool, inbound=inbound)
            for peer in entry["peers"]:
                if not _takes(entry, peer, inbound):
                    continue
                if not inbound and peer in estate.components:
                    for holder in view.holders(estate.inventory, peer):
                        if holder == name:
                            continue
                        connections.append(
                            _Connection(
                                name,
                                holder,
                                rule.protocol,
                                tuple(_port_ranges(entry["ports"])),
                                entry,
                                peer,
                            )
                        )
                        if (holder, "") not in queued and (holder, name) not in queued:
                            queued.add((holder, name))
                            queue.append((holder, name))
                    continue
                for far in estate.peers(peer, host.scope, view):
                    if only and (far.kind or far.name != only):
                        continue
                    for near in estate.near(name, settings, entry, rule.local_addresses, far, peer):
                        source, destination = (far, near) if inbound else (near, far)
                        if not source.kind and source.name == destination.name:
                            continue
                        ports = port_text(entry["ports"])
                        key = (source.id, destination.id, ports, rule.protocol)
                        row = rows.setdefault(key, _Row(source, destination, ports, rule.protocol))
                        row.ids[entry["id"]] = None
                        (row.listening if inbound else row.connecting)[purpose(entry)] = None
                        if way_inferred(entry, peer):
                            row.inferred[entry["id"]] = None
                        else:
                            row.stated = True
    listed = _connect(estate, rows, connections)
    if estate.problems:
        raise problems_error(list(dict.fromkeys(estate.problems)))
    order = list(ZONES)
    ranked = sorted(
        listed,
        key=lambda r: (
            order.index(r.destination.zone),
            r.destination.name,
            r.destination.address,
            _first_port(r.ports),
            r.ports,
            r.transport,
            order.index(r.source.zone),
            r.source.name,
            r.source.address,
        ),
    )
    return [_flow_row(r) for r in ranked]


def _connect(
    estate: Estate, rows: Mapping[tuple[str, str, str, str], _Row], found: Sequence[_Connection]
) -> list[_Row]:
    """Add each connecting entry to the listening server's rows it reaches, each row
    narrowed to the ports the connecting entries reaching it give (the Edge connects to a
    Front End on 5061 only, though the Front End listens on 5060-5061). A row no
    connecting entry reaches keeps the listener's ports. Rows that come out the same are
    one."""
    by_pair: dict[tuple[str, str, str], list[_Row]] = {}
    for row in rows.values():
        if not row.source.kind and not row.destination.kind:
            by_pair.setdefault((row.source.name, row.destination.name, row.transport), []).append(
                row
            )
    narrowed: dict[int, list[tuple[int, int]]] = {}
    for connection in found:
        reached = [
            row
            for row in by_pair.get(
                (connection.source, connection.destination, connection.transport), ()
            )
            if _overlap(connection.ports, _port_ranges(row.ports.split(",")))
        ]
        inferred = way_inferred(connection.entry, connection.peer)
        for row in reached:
            row.ids[connection.entry["id"]] = None
            row.connecting[purpose(connection.entry)] = None
            narrowed.setdefault(id(row), []).extend(connection.ports)
            if inferred:
                row.inferred[connection.entry["id"]] = None
            else:
                row.stated = True
        if not reached:
            estate.unheard.append(connection)
    merged: dict[tuple[str, str, str, str], _Row] = {}
    for row in rows.values():
        if id(row) in narrowed:
            row.ports = port_text(
                _intersection(_port_ranges(row.ports.split(",")), narrowed[id(row)])
            )
        key = (row.source.id, row.destination.id, row.ports, row.transport)
        if key not in merged:
            merged[key] = row
            continue
        kept = merged[key]
        for name in ("ids", "listening", "connecting", "inferred"):
            getattr(kept, name).update(getattr(row, name))
        kept.stated = kept.stated or row.stated
    return list(merged.values())


def _intersection(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> list[str]:
    """The ports in both, as port texts (``5061``, ``5060-5061``)."""
    found = []
    for low, high in a:
        for other_low, other_high in b:
            start, end = max(low, other_low), min(high, other_high)
            if start <= end:
                found.append(str(start) if start == end else f"{start}-{end}")
    return found


def direction(source_zone: str, destination_zone: str) -> str:
    """A flow's direction relative to trust."""
    if _TRUST[destination_zone] > _TRUST[source_zone]:
        return "inbound"
    if _TRUST[destination_zone] < _TRUST[source_zone]:
        return "outbound"
    return "within"


def _flow_row(row: _Row) -> dict[str, Any]:
    return {
        "source_zone": row.source.zone,
        "source": row.source.name,
        "source_address": row.source.address,
        "source_id": row.source.id,
        "destination_zone": row.destination.zone,
        "destination": row.destination.name,
        "destination_address": row.destination.address,
        "destination_id": row.destination.id,
        "ports": row.ports,
        "transport": row.transport.upper(),
        "direction": direction(row.source.zone, row.destination.zone),
        # The listening side says best what a flow is for.
        "purpose": "; ".join(row.listening or row.connecting),
        "catalogue_ids": list(row.ids),
        # Whether a document states that the flow goes this way, or the catalogue infers it.
        "basis": "stated" if row.stated else "inferred: " + ", ".join(row.inferred),
        "_nodes": (row.source, row.destination),
    }
