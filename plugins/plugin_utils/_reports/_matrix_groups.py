# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port matrix grouped, as network engineers write policy.
"""The port matrix's flows grouped by destination, port and protocol, with object groups.

A network engineer's rule reads "these sources to this destination on this port"; the
host-pair rows of :mod:`._port_matrix` stay the detailed export. Here:

* an **object group** is the servers of one role at one place: the hosts holding the same
  components, in the same pool, on the same side of the perimeter (each at the addresses
  it has there), or one kind of peer at its networks;
* a **grouped row** is one destination (a whole object group, or the members of one that
  it names), a port and a protocol, with its sources as object groups (or the members of
  one, when only some of it is a source).

Every grouped row stands for exactly the host-pair rows it came from, and a whole group
of servers is named as a source of its own members too: a server's flow to itself is not a
row (it crosses no network), so "the Front End pool to the Front End pool" also holds
fe01 to fe01, which no firewall sees. :func:`expand` gives the pairs back; the tests hold
it to the detailed rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

# (key, header) of the grouped tables' columns, in order.
GROUPED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("destination", "destination"),
    ("destination_addresses", "destination address(es)"),
    ("ports", "port(s)"),
    ("transport", "transport"),
    ("sources", "source object group(s)"),
    ("direction", "direction"),
    ("purpose", "purpose"),
    ("catalogue_ids", "catalogue id(s)"),
    ("basis", "direction basis"),
)
GROUP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "object group"),
    ("title", "what it is"),
    ("zone", "zone"),
    ("members", "members"),
)


@dataclasses.dataclass(frozen=True)
class Group:
    """An object group: its name, what it is, its zone and members (host, address)."""

    key: tuple[str, ...]
    name: str
    title: str
    zone: str
    members: tuple[tuple[str, str], ...]


# What the grouping needs to know of an inventory host: the components it holds and its
# pool ("" when the estate names none).
HostFacts = Callable[[str], tuple[Sequence[str], str]]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def _groups(rows: Sequence[Mapping[str, Any]], facts: HostFacts) -> dict[str, Group]:
    """Each endpoint id of the rows -> its object group."""
    components = _catalogue.server_components()
    kinds = _catalogue.peer_kinds()
    order = list(components)
    found: dict[tuple[str, ...], dict[str, tuple[str, str]]] = {}
    of: dict[str, tuple[str, ...]] = {}
    for row in rows:
        for end in ("source", "destination"):
            endpoint = row["_nodes"][0 if end == "source" else 1]
            if endpoint.kind:
                key: tuple[str, ...] = ("kind", endpoint.kind, endpoint.address)
            else:
                held, pool = facts(endpoint.name)
                key = ("servers", endpoint.zone, pool, *sorted(held, key=order.index))
            of[endpoint.id] = key
            found.setdefault(key, {})[endpoint.id] = (endpoint.name, endpoint.address)
    groups: dict[tuple[str, ...], Group] = {}
    names: dict[str, int] = {}
    for key in sorted(found, key=lambda k: (k[0] == "kind", k)):
        members = tuple(sorted(found[key].values()))
        if key[0] == "kind":
            kind = kinds[key[1]]
            name, title, zone = _slug(key[1]), kind.title, kind.zone
        else:
            zone, pool, held = key[1], key[2], key[3:]
            primary = components[held[0]] if held else None
            label = primary.label if primary else "Server"
            side = zone.removeprefix("perimeter_") if zone.startswith("perimeter_") else ""
            name = _slug(" ".join(p for p in ("OCS", label, pool, side) if p))
            titles = [components[k].title for k in held]
            title = ", ".join(titles) + (f"; pool {pool}" if pool else "")
            if side:
                title += f"; {side} side"
        count = names[name] = names.get(name, 0) + 1
        if count > 1:
            name = f"{name}-{count}"
        groups[key] = Group(key, name, title, zone, members)
    return {endpoint: groups[key] for endpoint, key in of.items()}


def _items(
    sources: set[str],
    destination: str,
    groups: Mapping[str, Group],
    ids_of: Mapping[str, set[str]],
    hosts: Mapping[str, str],
) -> frozenset[tuple[str, str]]:
    """A destination's sources as ``("group", name)`` where every member of the object
    group is a source (but the destination's own host, which no row names), else as
    ``("member", endpoint id)``. ``ids_of``: each group's endpoint ids, by name."""
    items: set[tuple[str, str]] = set()
    by_group: dict[str, set[str]] = {}
    for source in sources:
        by_group.setdefault(groups[source].name, set()).add(source)
    for name, present in by_group.items():
        missing = ids_of[name] - present
        if all(hosts[m] == hosts[destination] for m in missing):
            items.add(("group", name))
        else:
            items |= {("member", m) for m in present}
    return frozenset(items)


def grouped(
    rows: Sequence[Mapping[str, Any]], facts: HostFacts
) -> tuple[list[dict[str, Any]], list[Group]]:
    """The grouped rows of detailed ``rows`` (each with ``_nodes``), in the order of their
    first detailed row, and the object groups they name. A row's ``_pairs`` (taken out
    before it is shown) are the endpoints of its ``member`` sources and destinations."""
    groups = _groups(rows, facts)
    nodes = {node.id: node for row in rows for node in row["_nodes"]}
    hosts = {key: node.name for key, node in nodes.items()}
    # Each group's endpoint ids, worked out once (a grouped row asks for them per source).
    ids_of: dict[str, set[str]] = {}
    for endpoint, group in groups.items():
        ids_of.setdefault(group.name, set()).add(endpoint)
    # (destination group, ports, transport) -> destination -> [rows]
    buckets: dict[tuple[str, str, str], dict[str, list[Mapping[str, Any]]]] = {}
    for row in rows:
        destination = row["destination_id"]
        key = (groups[destination].name, row["ports"], row["transport"])
        buckets.setdefault(key, {}).setdefault(destination, []).append(row)
    found = []
    for (_name, ports, transport), by_destination in buckets.items():
        parts: dict[frozenset[tuple[str, str]], list[str]] = {}
        for destination, its_rows in by_destination.items():
            sources = {r["source_id"] for r in its_rows}
            as_groups = _items(sources, destination, groups, ids_of, hosts)
            parts.setdefault(as_groups, []).append(destination)
        for items, destinations in parts.items():
            group = groups[destinations[0]]
            whole = set(destinations) == ids_of[group.name]
            behind = [r for d in destinations for r in by_destination[d]]
            members = sorted(m for kind, m in items if kind == "member")
            found.append(
                {
                    "destination": group.name if whole else _shown(nodes, destinations),
                    "destination_group": group.name if whole else "",
                    "destination_addresses": [_shown(nodes, [d]) for d in sorted(destinations)],
                    "destination_zone": group.zone,
                    "ports": ports,
                    "transport": transport,
                    "sources": sorted(n for kind, n in items if kind == "group")
                    + [_shown(nodes, [m]) for m in members],
                    "direction": behind[0]["direction"],
                    "purpose": "; ".join(dict.fromkeys(r["purpose"] for r in behind)),
                    "catalogue_ids": list(
                        dict.fromkeys(i for r in behind for i in r["catalogue_ids"])
                    ),
                    "basis": _basis(behind),
                    "_pairs": {
                        "destinations": [(nodes[d].name, nodes[d].address) for d in destinations],
                        "sources": [(nodes[m].name, nodes[m].address) for m in members],
                        "groups": sorted(n for kind, n in items if kind == "group"),
                    },
                }
            )
    named = {g.name: g for g in groups.values()}
    used = {
        name
        for row in found
        for name in [row["destination_group"], *row["_pairs"]["groups"]]
        if name
    }
    return found, [named[name] for name in sorted(used)]


def _shown(nodes: Mapping[str, Any], ids: Sequence[str]) -> str:
    return ", ".join(f"{nodes[i].name} {nodes[i].address}" for i in sorted(ids))


def _basis(rows: Sequence[Mapping[str, Any]]) -> str:
    """Stated when a document states any of the rows' way, else the entries inferring it."""
    if any(r["basis"] == "stated" for r in rows):
        return "stated"
    ids = (i for r in rows for i in r["basis"].removeprefix("inferred: ").split(", "))
    return "inferred: " + ", ".join(dict.fromkeys(ids))


def expand(
    grouped_rows: Sequence[Mapping[str, Any]], groups: Sequence[Group]
) -> set[tuple[str, str, str, str, str, str]]:
    """The host pairs grouped rows stand for: (source, source address, destination,
    destination address, ports, transport), a server's pairs with itself left out."""
    members = {g.name: g.members for g in groups}
    kinds = set(_catalogue.peer_kinds())
    pairs = set()
    for row in grouped_rows:
        found = row["_pairs"]
        sources = [*found["sources"], *(m for n in found["groups"] for m in members[n])]
        for source, source_address in sources:
            for destination, destination_address in found["destinations"]:
                if source in kinds or source != destination:
                    pairs.add(
                        (
                            source,
                            source_address,
                            destination,
                            destination_address,
                            row["ports"],
                            row["transport"],
                        )
                    )
    return pairs


def group_rows(groups: Sequence[Group]) -> list[dict[str, Any]]:
    """The object groups as table rows."""
    return [
        {
            "name": g.name,
            "title": g.title,
            "zone": g.zone,
            "members": [f"{host} {address}" for host, address in g.members],
        }
        for g in groups
    ]
