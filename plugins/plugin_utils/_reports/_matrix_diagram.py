# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port matrix's drawings, one per boundary.
"""The port matrix's flow diagrams: one drawing per boundary, from its grouped rows.

The grouped rows (:mod:`._matrix_groups`) read as rules: these sources to this destination
on these ports. A drawing shows one boundary's the same way, left to right: the sources on
the left, in their zones' boxes; the boundary's destinations on the right, each in a box
of its own with its **port boxes**, one per set of ports some of its sources use; a line
from each source to the port box of its ports, and an arrow from the port box to the
destination. A name that is both a source and a destination (a pool that talks to itself)
is drawn once on each side, so that no arrow runs backwards and the drawing reads as the
table does; each source's lines have a colour of their own.

The nodes are the object groups the rows name, or the members they name alone
(``"host address"``). :func:`diagrams` gives the drawings as plain data, each with its
text for Graphviz (:func:`dot`, for ``dot -Tsvg``). The page shows the SVG at its natural
size, unscaled: the font sizes here are what the reader gets, a point being 4/3 of a CSS
pixel (the smallest text, 10 pt, is 13 px on screen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Font sizes in points. The smallest, the port boxes', is 13.3 CSS pixels at the SVG's
# natural size: the page must never scale a drawing down.
NODE_FONT_PT = 11
PORTS_FONT_PT = 10
CLUSTER_FONT_PT = 13
# A port box's line, in characters, before it wraps.
LINE_CHARS = 30
# An object group's members shown in its node; the rest is "and N more" (the object
# groups table, and the node's tooltip, list them all).
MEMBERS_SHOWN = 3
FILLS = {
    "internal": "#e8f1fb",
    "perimeter_internal": "#fdf3e1",
    "perimeter_external": "#fbe6d4",
    "internet": "#fbe3e3",
}
# A source's lines: dark enough on white and on every zone's fill, told apart side by side
# (neighbours in the list differ most), as many as an estate's sources usually are.
LINE_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#0e8f9e",
    "#8c564b",
    "#e377c2",
    "#393b79",
    "#8a8a00",
    "#843c39",
    "#637939",
    "#7b4173",
    "#006d6f",
    "#5254a3",
    "#b5651d",
)
SOURCE = "src"
DESTINATION = "dst"


def diagrams(
    grouped_tables: Sequence[Mapping[str, Any]], object_groups: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One drawing per grouped table with rows, in the tables' order.

    ``grouped_tables`` are the port matrix's ``grouped`` tables (key ``<zone>_grouped``,
    title the zone's), ``object_groups`` its object groups table. A drawing is a dict:

    * ``key``: the boundary's zone; ``title``: its table's; ``file``: the stem of its
      ``.dot`` and ``.svg`` files (``port-matrix-<zone>``, dashes: its host-pair table's);
    * ``nodes``: every end of the rows, ``{id, name, side, zone, label, tooltip}``, ``side``
      ``src`` or ``dst``, ``id`` ``<side>:<name>``, ``label`` its lines;
    * ``edges``: a source and a destination, ``{source, target, services}``, ``services``
      the ``ports/TRANSPORT`` of every row between them, in the rows' order;
    * ``port_boxes``: what is drawn between them, ``{id, target, services, sources}``: the
      sources of one destination that use the same services share a box;
    * ``dot``: the drawing for Graphviz (:func:`dot`).
    """
    zone_titles = {_zone(t): str(t["title"]) for t in grouped_tables}
    groups = {str(g["name"]): g for g in object_groups["rows"]}
    zones = _zones(grouped_tables, groups.values())
    found = []
    for table in grouped_tables:
        if not table["rows"]:
            continue
        zone = _zone(table)
        nodes: dict[str, dict[str, Any]] = {}
        services: dict[tuple[str, str], dict[str, None]] = {}
        for row in table["rows"]:
            target = _node(nodes, DESTINATION, str(row["destination"]), zone, groups)
            service = f"{row['ports']}/{str(row['transport']).upper()}"
            for name in row["sources"]:
                source = _node(nodes, SOURCE, str(name), zones.get(str(name), ""), groups)
                services.setdefault((source, target), {})[service] = None
        edges = [
            {"source": source, "target": target, "services": list(found_services)}
            for (source, target), found_services in services.items()
        ]
        drawing: dict[str, Any] = {
            "key": zone,
            "title": zone_titles[zone],
            "file": "port-matrix-" + zone.replace("_", "-"),
            "nodes": sorted(nodes.values(), key=lambda n: (n["side"] != SOURCE, n["id"])),
            "edges": edges,
            "port_boxes": port_boxes(edges),
        }
        drawing["dot"] = dot(drawing, zone_titles)
        found.append(drawing)
    return found


def port_boxes(edges: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The port boxes of ``edges``: one per destination and set of services, with the
    sources that use exactly that set, in the edges' order."""
    boxes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for edge in edges:
        services = tuple(sorted(edge["services"], key=_service_order))
        boxes.setdefault((edge["target"], services), []).append(edge["source"])
    return [
        {"id": f"ports{number}", "target": target, "services": list(services), "sources": sources}
        for number, ((target, services), sources) in enumerate(boxes.items())
    ]


def _zone(table: Mapping[str, Any]) -> str:
    return str(table["key"]).removesuffix("_grouped")


def _zones(
    tables: Iterable[Mapping[str, Any]], groups: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """The zone of every name a row may give as a source: an object group's name, each of
    its members, and every destination the rows name."""
    zones: dict[str, str] = {}
    for group in groups:
        zones[str(group["name"])] = str(group["zone"])
        for member in group["members"]:
            zones.setdefault(str(member), str(group["zone"]))
    for table in tables:
        for row in table["rows"]:
            for address in row["destination_addresses"]:
                zones.setdefault(str(address), str(row["destination_zone"]))
            zones.setdefault(str(row["destination"]), str(row["destination_zone"]))
    return zones


def _node(
    nodes: dict[str, dict[str, Any]],
    side: str,
    name: str,
    zone: str,
    groups: Mapping[str, Mapping[str, Any]],
) -> str:
    node_id = f"{side}:{name}"
    if node_id not in nodes:
        group = groups.get(name)
        if group:
            members = [str(m) for m in group["members"]]
            shown = members[:MEMBERS_SHOWN]
            if len(members) > MEMBERS_SHOWN:
                shown[-1] = f"and {len(members) - MEMBERS_SHOWN + 1} more"
            label = [name, *shown]
            tooltip = f"{name}: {group['title']}: {', '.join(members)}"
        else:
            # Members named alone: "host address", several joined with ", ".
            label = [part for member in name.split(", ") for part in member.split(" ", 1)]
            tooltip = name
        nodes[node_id] = {
            "id": node_id,
            "name": name,
            "side": side,
            "zone": zone,
            "label": label,
            "tooltip": tooltip,
        }
    return node_id


# ---- DOT ---------------------------------------------------------------------------------


def _service_order(service: str) -> tuple[str, int, str]:
    ports, _slash, transport = service.rpartition("/")
    first = re.match(r"\d+", ports)
    return transport, int(first.group()) if first else 0, ports


def service_lines(services: Sequence[str], width: int = LINE_CHARS) -> list[str]:
    """A port box's text: the ports of each transport after its name, in numeric order,
    wrapped before a line grows past ``width`` characters (``["TCP 80, 443, 5061",
    "UDP 3478"]``)."""
    lines: list[str] = []
    transport = None
    for service in sorted(services, key=_service_order):
        ports, _slash, its_transport = service.rpartition("/")
        ports = ports.replace(",", ", ")
        if its_transport != transport:
            transport = its_transport
            lines.append(f"{transport} {ports}")
        elif len(lines[-1]) + 2 + len(ports) <= width:
            lines[-1] += f", {ports}"
        else:
            lines[-1] += ","
            lines.append(f"{' ' * (len(transport) + 1)}{ports}")
    return lines


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**attrs: str) -> str:
    return "[" + ", ".join(f"{name}={_quote(value)}" for name, value in attrs.items()) + "]"


def dot(drawing: Mapping[str, Any], zone_titles: Mapping[str, str]) -> str:
    """One drawing as Graphviz's DOT text, left to right: the sources in a box per zone,
    the boundary's box of destinations, each with its port boxes; fonts that read at the
    SVG's natural size."""
    key = str(drawing["key"])
    out = [
        f"// OCS 2007 R2 port matrix: the flows to {drawing['title']} (ocs.firewall)",
        f"digraph {_quote('port_matrix_' + key)} {{",
        # The graph's id prefixes the SVG's element ids: the page inlines several drawings.
        "  graph "
        + _attrs(
            id=key,
            rankdir="LR",
            fontname="Helvetica",
            fontsize=str(CLUSTER_FONT_PT),
            nodesep="0.18",
            # Room for the sources' lines to fan out towards their port boxes.
            ranksep="1.5",
            labelloc="t",
            pad="0.2",
        )
        + ";",
        "  node "
        + _attrs(
            shape="box",
            style="rounded,filled",
            fillcolor="#ffffff",
            color="#44546a",
            fontname="Helvetica",
            fontsize=str(NODE_FONT_PT),
            margin="0.14,0.06",
        )
        + ";",
        "  edge " + _attrs(color="#7f8c9a", arrowsize="0.7") + ";",
    ]
    sides: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for node in drawing["nodes"]:
        sides.setdefault((node["side"], node["zone"]), []).append(node)
    boxes: dict[str, list[Mapping[str, Any]]] = {}
    for box in drawing["port_boxes"]:
        boxes.setdefault(box["target"], []).append(box)
    colours = {
        node["id"]: LINE_COLOURS[number % len(LINE_COLOURS)]
        for number, node in enumerate(n for n in drawing["nodes"] if n["side"] == SOURCE)
    }
    zones = list(FILLS)
    for (side, zone), nodes in sorted(
        sides.items(),
        key=lambda s: (s[0][0] != SOURCE, zones.index(s[0][1]) if s[0][1] in zones else 9),
    ):
        title = zone_titles.get(zone, "zone not known")
        out += [
            f"  subgraph {_quote(f'cluster_{side}_{zone}')} {{",
            "    graph "
            + _attrs(
                # No-break spaces: the box is as wide as its title, whose ends would
                # touch its rounded corners.
                label=f"\u00a0\u00a0{'From' if side == SOURCE else 'To'}: {title}\u00a0\u00a0",
                style="filled,rounded",
                fillcolor=FILLS.get(zone, "#f2f2f2"),
                color="#9aa5b1",
            )
            + ";",
        ]
        for node in nodes:
            if side == SOURCE:
                out.append(f"    {_node_line(node, colours[node['id']])}")
                continue
            out += [
                f"    subgraph {_quote('cluster_' + node['id'])} {{",
                "      graph " + _attrs(label="", style="rounded,dashed", color="#b8c4d0") + ";",
                f"      {_node_line(node)}",
            ]
            for box in boxes[node["id"]]:
                text = "".join(line + "\\l" for line in service_lines(box["services"]))
                out.append(
                    f'      {box["id"]} [label="{text}", shape=box, style=filled, '
                    f'fillcolor="#fffbe6", color="#c9b458", fontsize={PORTS_FONT_PT}, '
                    f"tooltip={_quote(_box_tooltip(box))}];"
                )
            out.append("    }")
        out.append("  }")
    for box in drawing["port_boxes"]:
        for source in box["sources"]:
            out.append(
                f"  {_quote(source)} -> {box['id']} "
                + _attrs(arrowhead="none", color=colours[source], tooltip=_box_tooltip(box))
                + ";"
            )
        out.append(f"  {box['id']} -> {_quote(box['target'])};")
    out.append("}")
    return "\n".join(out) + "\n"


def _box_tooltip(box: Mapping[str, Any]) -> str:
    sources = ", ".join(s.split(":", 1)[1] for s in box["sources"])
    target = str(box["target"]).split(":", 1)[1]
    return f"{sources} to {target}: {', '.join(box['services'])}"


def _node_line(node: Mapping[str, Any], colour: str = "") -> str:
    attrs = {"label": "\n".join(node["label"]), "tooltip": node["tooltip"]}
    if colour:
        attrs |= {"color": colour, "penwidth": "1.6"}
    return f"{_quote(node['id'])} {_attrs(**attrs)};"
