"""The port matrix's drawings, one per boundary (plugins/plugin_utils/_reports/_matrix_diagram.py).

What a drawing must hold, on tables built by hand and on the example and Enterprise
estates' grouped tables: one drawing per boundary with rules; every rule's source and
destination joined, its ports in the label between them; nothing drawn that no rule
names; each source in its zone's box. The DOT text is read back for the same: every node
and port box once, a line from each of its sources, fonts at 10 pt at least.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from estates import ESTATES, load

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_diagram,
    _matrix_flows,
    _port_matrix,
)

ZONES = _matrix_flows.ZONES


def rule(
    destination: str, ports: str, transport: str, sources: list[str], zone: str = "internal"
) -> dict[str, Any]:
    return {
        "destination": destination,
        "destination_group": destination if " " not in destination else "",
        "destination_addresses": [destination] if " " in destination else [],
        "destination_zone": zone,
        "ports": ports,
        "transport": transport,
        "sources": sources,
        "direction": "within",
        "purpose": "SIP",
        "catalogue_ids": ["seed-1"],
        "basis": "stated",
    }


def tables(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {
            "key": f"{zone}_grouped",
            "title": title,
            "file": f"port-matrix-{zone.replace('_', '-')}-grouped",
            "columns": [],
            "rows": rows.get(zone, []),
        }
        for zone, title in ZONES.items()
    ]


def object_groups(*groups: tuple[str, str, list[str]]) -> dict[str, Any]:
    rows = [{"name": n, "title": f"{n}'s title", "zone": z, "members": m} for n, z, m in groups]
    return {"key": "object_groups", "rows": rows}


GROUPS = object_groups(
    ("OCS-FRONT-END", "internal", ["fe01.ocs.example 10.10.0.11", "fe02.ocs.example 10.10.0.12"]),
    ("INTERNAL-CLIENTS", "internal", ["internal_clients 10.20.0.0/16"]),
    ("OCS-EDGE-INTERNAL", "perimeter_internal", ["edge01.ocs.example 10.10.1.10"]),
    ("OCS-EDGE-EXTERNAL", "perimeter_external", ["edge01.ocs.example 192.0.2.10"]),
    ("FEDERATED-PARTNERS", "internet", ["federated_partners any"]),
)
ROWS = {
    "internal": [
        rule("OCS-FRONT-END", "5061", "TCP", ["INTERNAL-CLIENTS", "OCS-EDGE-INTERNAL"]),
        rule("OCS-FRONT-END", "443", "TCP", ["INTERNAL-CLIENTS", "OCS-FRONT-END"]),
        rule("OCS-FRONT-END", "5061", "TCP", ["OCS-FRONT-END"]),
        rule("OCS-FRONT-END", "49152-65535", "UDP", ["INTERNAL-CLIENTS"]),
        rule("med01.ocs.example 10.10.0.40", "5061", "TCP", ["OCS-FRONT-END"]),
        # A member named alone, as a source: its zone is its destination row's.
        rule("INTERNAL-CLIENTS", "1801,3527", "UDP", ["med01.ocs.example 10.10.0.40"]),
    ],
    "internet": [
        rule("FEDERATED-PARTNERS", "5061", "TCP", ["edge01.ocs.example 192.0.2.10"], "internet"),
    ],
}


@pytest.fixture(scope="module", params=["by hand", *ESTATES])
def case(request: pytest.FixtureRequest) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(grouped tables, object groups) of a hand-made estate, then of each real one."""
    if request.param == "by hand":
        return tables(ROWS), GROUPS
    found = _port_matrix.matrix(*load(ESTATES[request.param]))
    return found["grouped"], found["object_groups"]


def test_one_drawing_per_boundary_with_rules_in_the_tables_order(
    case: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    grouped, groups = case
    drawings = _matrix_diagram.diagrams(grouped, groups)
    zones = [t["key"].removesuffix("_grouped") for t in grouped if t["rows"]]
    assert [d["key"] for d in drawings] == zones
    assert [d["file"] for d in drawings] == [f"port-matrix-{z.replace('_', '-')}" for z in zones]
    titles = {t["key"].removesuffix("_grouped"): t["title"] for t in grouped}
    assert all(d["title"] == titles[d["key"]] for d in drawings)


def test_every_rule_is_an_edge_with_its_ports_and_nothing_else_is(
    case: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    grouped, groups = case
    for drawing, table in zip(
        _matrix_diagram.diagrams(grouped, groups), [t for t in grouped if t["rows"]], strict=True
    ):
        edges = {(e["source"], e["target"]): e["services"] for e in drawing["edges"]}
        wanted: dict[tuple[str, str], set[str]] = {}
        for row in table["rows"]:
            for source in row["sources"]:
                pair = (f"src:{source}", f"dst:{row['destination']}")
                wanted.setdefault(pair, set()).add(f"{row['ports']}/{row['transport'].upper()}")
        assert {pair: set(services) for pair, services in edges.items()} == wanted
        # A pair is one edge, its services merged.
        assert len(edges) == len(drawing["edges"])


def test_the_nodes_are_exactly_the_rules_ends_each_in_its_zone(
    case: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    grouped, groups = case
    zone_of = {g["name"]: g["zone"] for g in groups["rows"]}
    for drawing, table in zip(
        _matrix_diagram.diagrams(grouped, groups), [t for t in grouped if t["rows"]], strict=True
    ):
        nodes = {(n["side"], n["name"]): n for n in drawing["nodes"]}
        sources = {s for row in table["rows"] for s in row["sources"]}
        destinations = {row["destination"] for row in table["rows"]}
        assert set(nodes) == {("src", s) for s in sources} | {("dst", d) for d in destinations}
        assert len(nodes) == len(drawing["nodes"])
        for (side, name), node in nodes.items():
            assert node["id"] == f"{side}:{name}"
            assert node["zone"] == (
                drawing["key"] if side == "dst" else zone_of.get(name, node["zone"])
            )
            # Every source's zone is known: a group's, a member's group's, a destination's.
            assert node["zone"] in ZONES, node


def test_the_port_boxes_cover_every_edge_once(
    case: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    grouped, groups = case
    for drawing in _matrix_diagram.diagrams(grouped, groups):
        drawn = [
            (source, box["target"], frozenset(box["services"]))
            for box in drawing["port_boxes"]
            for source in box["sources"]
        ]
        edges = [(e["source"], e["target"], frozenset(e["services"])) for e in drawing["edges"]]
        assert sorted(drawn, key=str) == sorted(edges, key=str)
        # One box per destination and set of services.
        keys = [(b["target"], frozenset(b["services"])) for b in drawing["port_boxes"]]
        assert len(keys) == len(set(keys))


def test_the_hand_made_estates_drawings() -> None:
    internal, internet = _matrix_diagram.diagrams(tables(ROWS), GROUPS)
    nodes = {n["id"]: n for n in internal["nodes"]}
    assert nodes["src:med01.ocs.example 10.10.0.40"]["zone"] == "internal"
    assert nodes["src:med01.ocs.example 10.10.0.40"]["label"] == [
        "med01.ocs.example",
        "10.10.0.40",
    ]
    assert nodes["dst:OCS-FRONT-END"]["label"] == [
        "OCS-FRONT-END",
        "fe01.ocs.example 10.10.0.11",
        "fe02.ocs.example 10.10.0.12",
    ]
    edges = {(e["source"], e["target"]): e["services"] for e in internal["edges"]}
    assert edges["src:OCS-FRONT-END", "dst:OCS-FRONT-END"] == ["443/TCP", "5061/TCP"]
    assert edges["src:INTERNAL-CLIENTS", "dst:OCS-FRONT-END"] == [
        "5061/TCP",
        "443/TCP",
        "49152-65535/UDP",
    ]
    boxes = {b["id"]: (b["target"], b["services"], b["sources"]) for b in internal["port_boxes"]}
    assert boxes["ports0"] == (
        "dst:OCS-FRONT-END",
        ["443/TCP", "5061/TCP", "49152-65535/UDP"],
        ["src:INTERNAL-CLIENTS"],
    )
    # The edge's member of a group it names alone sits in the group's zone.
    assert {n["id"]: n["zone"] for n in internet["nodes"]} == {
        "src:edge01.ocs.example 192.0.2.10": "perimeter_external",
        "dst:FEDERATED-PARTNERS": "internet",
    }


def test_a_group_of_many_members_shows_three_lines_of_them() -> None:
    members = [f"fe{i:02d}.ocs.example 10.10.0.{i}" for i in range(1, 6)]
    groups = object_groups(("OCS-FRONT-END", "internal", members))
    rows = {"internal": [rule("OCS-FRONT-END", "5061", "TCP", ["OCS-FRONT-END"])]}
    (drawing,) = _matrix_diagram.diagrams(tables(rows), groups)
    assert drawing["nodes"][0]["label"] == ["OCS-FRONT-END", *members[:2], "and 3 more"]
    assert all(m in drawing["nodes"][0]["tooltip"] for m in members)


@pytest.mark.parametrize(
    ("services", "lines"),
    [
        (["5061/TCP"], ["TCP 5061"]),
        (["5061/TCP", "443/TCP", "3478/UDP"], ["TCP 443, 5061", "UDP 3478"]),
        (["1801,3527/UDP", "135/TCP"], ["TCP 135", "UDP 1801, 3527"]),
        (["49152-65535/TCP", "80/TCP"], ["TCP 80, 49152-65535"]),
        (
            ["80/TCP", "135/TCP", "443/TCP", "444/TCP", "5060-5061/TCP", "49152-65535/TCP"],
            ["TCP 80, 135, 443, 444,", "    5060-5061, 49152-65535"],
        ),
    ],
)
def test_a_port_boxs_lines(services: list[str], lines: list[str]) -> None:
    assert _matrix_diagram.service_lines(services) == lines


def test_the_dot_text_draws_every_node_box_and_line_in_readable_fonts() -> None:
    internal, _internet = _matrix_diagram.diagrams(tables(ROWS), GROUPS)
    text = internal["dot"]
    assert text.startswith("// ")
    assert 'digraph "port_matrix_internal" {' in text
    assert 'id="internal"' in text and 'rankdir="LR"' in text
    for node in internal["nodes"]:
        assert text.count(f'"{node["id"]}" [label=') == 1
    for box in internal["port_boxes"]:
        assert text.count(f"{box['id']} [label=") == 1
        assert text.count(f'{box["id"]} -> "{box["target"]}";') == 1
        for source in box["sources"]:
            assert text.count(f'"{source}" -> {box["id"]} [') == 1
    lines = sum(len(b["sources"]) + 1 for b in internal["port_boxes"])
    assert text.count(" -> ") == lines
    # The sources' box on the left, the boundary's on the right.
    assert text.index('"cluster_src_internal"') < text.index('"cluster_dst_internal"')
    sizes = [int(s) for s in re.findall(r'fontsize="?(\d+)', text)]
    assert sizes and min(sizes) >= 10


def test_names_are_quoted_for_dot() -> None:
    name = 'odd "host"\\ 10.10.0.1'
    groups = object_groups(("OCS-FRONT-END", "internal", ["fe01.ocs.example 10.10.0.11"]))
    rows = {"internal": [rule("OCS-FRONT-END", "5061", "TCP", [name])]}
    (drawing,) = _matrix_diagram.diagrams(tables(rows), groups)
    assert '"src:odd \\"host\\"\\\\ 10.10.0.1" -> ports0' in drawing["dot"]
    # A source whose zone nothing gives is drawn in a box of its own, "zone not known".
    assert drawing["nodes"][0]["zone"] == ""
    assert '"cluster_src_"' in drawing["dot"]
