"""The port catalogue's data (catalogue/ocs-2007-r2-ports.yml) against the published table
it comes from, and what the roles open from it.

The seed table is parsed here by a small parser of its own (not the catalogue's code), so a
row lost, merged or mistyped in the catalogue shows up as a failing row. The code that
loads and queries the file is tested in plugins/plugin_utils/test_catalogue.py.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import yaml
from checkout import REPO

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue as cat

SEED = REPO / "catalogue" / "ocs-2007-r2-ports-and-protocols.txt"

SEED_TITLES = (
    "Front End Servers",
    "Load Balancer for Front End Servers",
    "Communicator Web Access Server",
    "Group Chat Server",
    "Monitoring Server",
    "Archiving Server",
    "Director",
    "Load Balancer for Director",
    "Mediation Server",
    "Reverse Proxy",
    "Edge Server",
    "Load Balancer for Consolidated Edge Server",
    "Office Communicator",
    "Live Meeting 2007 client",
    "2007 R2 version of Communicator Mobile",
)

# Every spelling the Protocol column uses, longest first so "HTTPS" wins over "HTTP".
SEED_PROTOCOLS = sorted(
    (
        "TCP\\MTLS",
        "HTTPS",
        "HTTP",
        "TCP",
        "UDP",
        "TLS",
        "DCOM and RPC",
        "TCP/UDP",
        "UDP/TCP",
        "MSMQ",
        "RTP/TCP",
        "TCP (SIP)",
        "TCP SIP)",
        "TCP (HTTP)",
    ),
    key=len,
    reverse=True,
)

_ROW = re.compile(
    "^(?P<title>"
    + "|".join(re.escape(t) for t in sorted(SEED_TITLES, key=len, reverse=True))
    + r") (?P<port>\d[\d,]*(?:-\d[\d,]*)?(?:/\d+)?)(?: (?P<rest>.*))?$"
)
_PROTOCOL = re.compile(
    "^(?P<protocol>" + "|".join(re.escape(p) for p in SEED_PROTOCOLS) + r")(?: (?P<notes>.*))?$"
)


def parse_seed(text: str) -> list[dict[str, Any]]:
    """Rows of the seed table: title, port text, protocol (None if blank), notes."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Component (Server role"))
    end = next(i for i, line in enumerate(lines) if line.strip() == "OCS Made Easy!")
    rows: list[dict[str, Any]] = []
    for raw in lines[start + 1 : end]:
        # Blank table cells are non-breaking spaces.
        line = " ".join(raw.replace("\xa0", " ").split())
        if not line:
            continue
        match = _ROW.match(line)
        if match:
            rest = match.group("rest") or ""
            proto = _PROTOCOL.match(rest)
            rows.append(
                {
                    "title": match.group("title"),
                    "port": match.group("port"),
                    "protocol": proto.group("protocol") if proto else None,
                    "notes": [(proto.group("notes") or "") if proto else rest],
                }
            )
            continue
        if not rows:
            raise ValueError(f"table text before the first row: {line!r}")
        row = rows[-1]
        # A cell broken over lines: a lone protocol word before any note continues the
        # Protocol cell ("TCP" / "MTLS"); anything else continues the Notes cell.
        if not "".join(row["notes"]) and re.fullmatch(r"[A-Z]{2,}", line):
            row["protocol"] = f"{row['protocol']} {line}"
        else:
            row["notes"].append(line)
    for number, row in enumerate(rows, 1):
        row["number"] = number
        row["notes"] = " ".join(part for part in row["notes"] if part)
    return rows


def seed_ports_normalised(text: str) -> list[str]:
    """'5060/5061' -> ['5060', '5061']; '50,000-59,999' -> ['50000-59999']."""
    return [part.replace(",", "") for part in text.split("/")]


SEED_ROWS = parse_seed(SEED.read_text(encoding="utf-8"))
CATALOGUE = cat.load_catalogue()
BY_ID = {entry["id"]: entry for entry in CATALOGUE}
BY_ROW = {entry["seed_row"]: entry for entry in CATALOGUE if entry["seed_row"] is not None}


def row_id(row: dict[str, Any]) -> str:
    return f"seed-{row['number']:02d}"


# ---- the seed parser itself ----


def test_seed_has_76_rows() -> None:
    assert len(SEED_ROWS) == 76


def test_seed_rows_per_component_match_the_published_table() -> None:
    counts = Counter(row["title"] for row in SEED_ROWS)
    assert [counts[t] for t in SEED_TITLES] == [16, 10, 9, 6, 2, 1, 1, 1, 3, 1, 6, 7, 5, 5, 3]


@pytest.mark.parametrize(
    ("number", "port", "protocol", "notes_start", "notes_end"),
    [
        (1, "5060/5061", "TCP\\MTLS", "Used by Standard Edition", "Office Communicator"),
        (17, "5060/5061", "TCP MTLS", "Used by Standard Edition", "Office Communicator"),
        (28, "88", None, "Used for Kerberos", "authentication"),
        (37, "443", "HTTP", "", ""),
        (56, "50,000-59,999", "RTP/TCP", "Used for inbound", "external firewall."),
        (64, "5060", "TCP (SIP)", "Used by Office Communicator", "internally"),
        (69, "443", "TCP", "Used by Live Meeting 2007 clients", "Web Conferencing Edge Server"),
        (74, "5060", "TCP SIP)", "Port ranged used by", "internally"),
        (76, "443", "TCP (HTTP)", "Used by Communicator Mobile", "SIP communications"),
    ],
)
def test_seed_parser_handles_awkward_rows(
    number: int, port: str, protocol: str | None, notes_start: str, notes_end: str
) -> None:
    row = SEED_ROWS[number - 1]
    assert (row["port"], row["protocol"]) == (port, protocol)
    assert row["notes"].startswith(notes_start)
    assert row["notes"].endswith(notes_end)


# ---- every seed row is in the catalogue, traceable to its text ----


@pytest.mark.parametrize("row", SEED_ROWS, ids=row_id)
def test_seed_row_is_in_catalogue_as_published(row: dict[str, Any]) -> None:
    entry = BY_ROW[row["number"]]
    published = cat.published_entry(entry)
    assert entry["id"] == row_id(row)
    assert entry["component_title"] == row["title"]
    assert cat.components()[entry["component"]].title == row["title"]
    assert entry["seed_ports"] == row["port"]
    assert published["ports"] == seed_ports_normalised(row["port"])
    assert published["protocol"] == row["protocol"]
    assert published["description"] == row["notes"]


@pytest.mark.parametrize("row", SEED_ROWS, ids=row_id)
def test_seed_row_ports_as_corrected(row: dict[str, Any]) -> None:
    entry = BY_ROW[row["number"]]
    port_fixes = [c for c in entry["corrections"] if c["field"] == "ports"]
    if port_fixes:
        (fix,) = port_fixes
        assert fix["seed_value"] == seed_ports_normalised(row["port"])
        assert entry["ports"] == fix["value"] != fix["seed_value"]
    else:
        assert entry["ports"] == seed_ports_normalised(row["port"])


def test_catalogue_order_is_seed_rows_then_extras() -> None:
    ids = [entry["id"] for entry in CATALOGUE]
    assert ids[:76] == [f"seed-{n:02d}" for n in range(1, 77)]
    assert all(i.startswith("extra-") for i in ids[76:])
    assert len(set(ids)) == len(ids)


# ---- corrections, inferences and extras ----


@pytest.mark.parametrize(
    ("entry_id", "field", "seed_value", "value", "source"),
    [
        ("seed-16", "ports", ["49152-65335"], ["49152-65535"], "bb967672"),
        ("seed-36", "ports", ["49152-65335"], ["49152-65535"], "bb967672"),
        ("seed-13", "protocol", "TCP", "TLS", "dd425238"),
        ("seed-35", "transports", ["tcp", "udp"], ["tcp"], "dd425238"),
        ("seed-47", "transports", ["tcp"], ["tcp", "udp"], "dd425136"),
        ("seed-56", "direction", "both", "outbound", "dd572409"),
        ("seed-63", "transports", ["tcp"], ["udp"], "dd146596"),
    ],
)
def test_documented_corrections_are_applied(
    entry_id: str, field: str, seed_value: Any, value: Any, source: str
) -> None:
    entry = BY_ID[entry_id]
    assert {"field": field, "seed_value": seed_value, "value": value, "source": source} in entry[
        "corrections"
    ]
    assert entry[field] == value
    assert cat.published_entry(entry)[field] == seed_value


@pytest.mark.parametrize(
    ("entry_id", "seed_words", "corrected_words", "source"),
    [
        ("seed-50", "SIP/TLS", "HTTPS", "dd572771"),
        ("seed-59", "instant messaging", "A/V users", "dd146596"),
    ],
)
def test_description_corrections_keep_seed_text(
    entry_id: str, seed_words: str, corrected_words: str, source: str
) -> None:
    entry = BY_ID[entry_id]
    (fix,) = [c for c in entry["corrections"] if c["field"] == "description"]
    assert fix["source"] == source
    assert seed_words in fix["seed_value"] and seed_words not in entry["description"]
    assert corrected_words in entry["description"]


def test_every_correction_names_a_listed_source() -> None:
    with open(cat.CATALOGUE_PATH, encoding="utf-8") as handle:
        sources = yaml.safe_load(handle)["sources"]
    corrections = [c for entry in CATALOGUE for c in entry["corrections"]]
    assert len(corrections) >= 9
    for correction in corrections:
        assert correction["source"] in sources


@pytest.mark.parametrize("row", [r for r in SEED_ROWS if r["protocol"] is None], ids=row_id)
def test_blank_seed_protocol_marks_transports_inferred(row: dict[str, Any]) -> None:
    entry = BY_ROW[row["number"]]
    assert entry["protocol"] is None
    assert "transports" in entry["inferred"]


@pytest.mark.parametrize(
    ("entry_id", "port", "transports", "direction"),
    [
        ("seed-28", "88", ["tcp", "udp"], "outbound"),  # Kerberos
        ("seed-29", "137", ["udp"], "outbound"),  # NetBIOS name service
        ("seed-30", "138", ["udp"], "outbound"),  # NetBIOS datagram
        ("seed-31", "139", ["tcp"], "outbound"),  # NetBIOS session
        ("seed-32", "389", ["tcp", "udp"], "outbound"),  # LDAP
        ("seed-34", "3268", ["tcp"], "outbound"),  # global catalog
        ("seed-38", "8010", ["tcp"], "both"),  # WCF
        ("seed-39", "8011", ["tcp"], "both"),  # WCF
        ("seed-43", "5069", ["tcp"], "inbound"),
    ],
)
def test_inferred_transports(
    entry_id: str, port: str, transports: list[str], direction: str
) -> None:
    entry = BY_ID[entry_id]
    assert (entry["ports"], entry["transports"], entry["direction"]) == (
        [port],
        transports,
        direction,
    )


@pytest.mark.parametrize(
    ("entry_id", "direction", "interface"),
    [
        ("seed-01", "both", "any"),
        ("seed-02", "outbound", "any"),  # Front End to the Web farm FQDNs
        ("seed-04", "outbound", "any"),
        ("seed-06", "inbound", "any"),
        ("seed-51", "both", "external"),  # Edge 5061: federation in and out
        ("seed-52", "inbound", "internal"),  # Edge 5062 A/V authentication
        ("seed-53", "inbound", "external"),
        ("seed-54", "inbound", "internal"),  # Edge 8057 PSOM from Web Conferencing
        ("seed-55", "both", "external"),
        ("seed-57", "inbound", "internal"),
        ("seed-61", "inbound", "external"),
    ],
)
def test_direction_and_interface(entry_id: str, direction: str, interface: str) -> None:
    assert (BY_ID[entry_id]["direction"], BY_ID[entry_id]["interface"]) == (direction, interface)


@pytest.mark.parametrize("component", ["edge", "edge_load_balancer"])
def test_edge_entries_name_their_interface(component: str) -> None:
    entries = [e for e in CATALOGUE if e["component"] == component]
    assert entries
    assert {e["interface"] for e in entries} <= {"internal", "external"}


def _covers(entry: dict[str, Any], port: int) -> bool:
    return any(lo <= port <= hi for lo, hi in map(cat.parse_port, entry["ports"]))


@pytest.mark.parametrize(
    ("component", "port", "transport", "direction", "interface"),
    [
        ("front_end", 5069, "tcp", "inbound", "any"),
        ("front_end", 50000, "tcp", "inbound", "any"),  # dynamic RPC after 135
        *[
            (component, port, transport, "inbound", "any")
            for component in ("archiving", "monitoring")
            for port, transport in (
                (135, "tcp"),
                (1801, "tcp"),
                (2101, "tcp"),
                (2103, "tcp"),
                (2105, "tcp"),
                (1801, "udp"),
                (3527, "udp"),
                (49152, "tcp"),
                (65535, "tcp"),
            )
        ],
        ("av_conferencing", 5063, "tcp", "inbound", "any"),
        ("av_conferencing", 444, "tcp", "inbound", "any"),
        ("av_conferencing", 49152, "udp", "inbound", "any"),
        ("av_conferencing", 65535, "tcp", "inbound", "any"),
        ("web_conferencing", 444, "tcp", "inbound", "any"),
        ("web_conferencing", 8057, "tcp", "inbound", "any"),
        ("web_components", 443, "tcp", "inbound", "any"),
        ("web_components", 80, "tcp", "inbound", "any"),
        ("sql_backend", 1433, "tcp", "inbound", "any"),
        ("sql_backend", 1434, "udp", "inbound", "any"),
        ("edge", 5061, "tcp", "inbound", "internal"),
        ("edge", 5061, "tcp", "inbound", "external"),
        ("edge", 443, "tcp", "inbound", "internal"),
        ("edge", 443, "tcp", "inbound", "external"),
        ("edge", 3478, "udp", "inbound", "internal"),
        ("edge", 3478, "udp", "inbound", "external"),
        ("edge", 5062, "tcp", "inbound", "internal"),
        ("edge", 8057, "tcp", "inbound", "internal"),
    ],
)
def test_role_would_open(
    component: str, port: int, transport: str, direction: str, interface: str
) -> None:
    """What a role opening its component's inbound entries on one interface gets."""
    opened = cat.select(CATALOGUE, components=[component], direction=direction, interface=interface)
    assert any(_covers(e, port) and transport in e["transports"] for e in opened)


@pytest.mark.parametrize(
    ("component", "port", "transport", "interface"),
    [
        ("edge", 8057, "tcp", "external"),  # PSOM listens on the internal side only
        ("edge", 5062, "tcp", "external"),
        ("edge", 50000, "udp", "internal"),
        ("edge", 50000, "tcp", "external"),  # R2-only federation: outbound only (dd572409)
        ("front_end", 80, "tcp", "any"),  # outbound to the Web farm, not a listener
        ("cwa", 389, "tcp", "any"),  # CWA queries the DC, it does not serve LDAP
    ],
)
def test_role_would_not_open(component: str, port: int, transport: str, interface: str) -> None:
    """Without opt-ins: the R1 federation opt-in opens 50000-59999 inbound (below)."""
    opened = cat.select(CATALOGUE, components=[component], direction="inbound", interface=interface)
    assert not any(
        _covers(e, port) and transport in e["transports"] for e in opened if e["opt_in"] is None
    )


def test_r1_federation_opt_in_opens_the_media_range_both_ways_for_tcp_and_udp() -> None:
    (entry,) = [e for e in CATALOGUE if e.get("opt_in") == "r1_federation"]
    assert (entry["component"], entry["interface"], entry["direction"]) == (
        "edge",
        "external",
        "both",
    )
    assert (entry["ports"], entry["transports"]) == (["50000-59999"], ["tcp", "udp"])
    assert entry["service"] == ["av_edge"] and "federated_partners" in entry["peers"]


def test_extras_name_their_source_and_role_title() -> None:
    extras = [e for e in CATALOGUE if e["seed_row"] is None]
    assert len(extras) >= 20
    for entry in extras:
        assert entry["source"], entry["id"]
        assert entry["component_title"] == cat.components()[entry["component"]].title
        assert entry["seed_ports"] is None and entry["corrections"] == []


# ---- flows: the services that listen and the peers at the other end ----

SERVER_ENTRIES = [e for e in CATALOGUE if e["host_kind"] == "server"]
with open(cat.CATALOGUE_PATH, encoding="utf-8") as _handle:
    SOURCES: dict[str, str] = yaml.safe_load(_handle)["sources"]
KINDS = cat.peer_kinds()
EDGE_SERVICES = ["access_edge", "webconf_edge", "av_edge"]


def entry_id(entry: dict[str, Any]) -> str:
    return str(entry["id"])


@pytest.mark.parametrize("entry", SERVER_ENTRIES, ids=entry_id)
def test_every_server_entry_names_its_services_and_peers(entry: dict[str, Any]) -> None:
    """The scope from the inventory opens a rule to its peers only: an entry without
    peers would be a rule nobody may reach."""
    assert entry["service"] and all(s in cat.services() for s in entry["service"])
    servers = cat.server_components()
    assert entry["peers"] and all(p in servers or p in KINDS for p in entry["peers"])


@pytest.mark.parametrize("entry", SERVER_ENTRIES, ids=entry_id)
def test_services_and_peers_are_documented_or_marked_inferred(entry: dict[str, Any]) -> None:
    """Each flow comes from a listed Microsoft document, or says it is an inference."""
    assert all(source in SOURCES for source in entry["flow_sources"])
    for field in ("service", "peers"):
        assert entry["flow_sources"] or field in entry["inferred"], field


def test_non_server_entries_carry_no_flow_fields() -> None:
    others = [e for e in CATALOGUE if e["host_kind"] != "server"]
    assert others
    for entry in others:
        assert not set(cat.FLOW_FIELDS) & set(entry), entry["id"]


def test_every_service_and_peer_kind_is_used() -> None:
    assert {s for e in SERVER_ENTRIES for s in e["service"]} == set(cat.services())
    assert set(KINDS) <= {p for e in SERVER_ENTRIES for p in e["peers"]}


@pytest.mark.parametrize(
    "entry", [e for e in SERVER_ENTRIES if e["component"] == "edge"], ids=entry_id
)
def test_edge_entries_name_only_edge_services(entry: dict[str, Any]) -> None:
    assert entry["service"] and set(entry["service"]) <= set(EDGE_SERVICES)


def test_every_edge_service_has_entries_on_the_external_side() -> None:
    external = [
        e for e in SERVER_ENTRIES if e["component"] == "edge" and e["interface"] == "external"
    ]
    for service in EDGE_SERVICES:
        assert any(service in e["service"] for e in external), service


@pytest.mark.parametrize(
    "entry", [e for e in SERVER_ENTRIES if e["component"] == "edge"], ids=entry_id
)
def test_the_edge_internet_side_is_open_and_its_internal_side_scoped(entry: dict[str, Any]) -> None:
    """With the scope from the inventory the Edge's external rules stay open to the
    Internet (a peer kind of scope any); its internal rules have internal peers only."""
    open_peer = any(p in KINDS and KINDS[p].open for p in entry["peers"])
    assert open_peer is (entry["interface"] == "external")


@pytest.mark.parametrize(
    "entry", [e for e in SERVER_ENTRIES if e["component"] == "archiving"], ids=entry_id
)
def test_archiving_is_reached_by_the_front_ends_only(entry: dict[str, Any]) -> None:
    assert entry["peers"] == ["front_end"]


def test_the_archiving_server_has_entries() -> None:
    assert len([e for e in SERVER_ENTRIES if e["component"] == "archiving"]) >= 5


def test_the_back_end_sql_server_is_reached_by_the_front_ends() -> None:
    assert BY_ID["extra-sql-backend-1433"]["peers"] == ["front_end"]
    assert BY_ID["extra-sql-backend-1433"]["service"] == ["sql_server"]


@pytest.mark.parametrize(
    ("entry_id", "peer"),
    [
        ("seed-28", "domain_controllers"),  # CWA Kerberos
        ("seed-32", "domain_controllers"),  # CWA LDAP
        ("seed-49", "pstn_gateways"),  # Mediation gateway-side SIP
        ("seed-14", "internal_clients"),  # Front End PSOM from Live Meeting
        ("seed-44", "front_end"),  # Archiving MSMQ
        ("seed-52", "front_end"),  # Edge A/V authentication
    ],
)
def test_documented_peers(entry_id: str, peer: str) -> None:
    assert peer in BY_ID[entry_id]["peers"]


def test_only_what_an_estate_may_lack_needs_an_opt_in() -> None:
    # R1 federation; the table's 5069 on the Monitoring Server, which Microsoft documents
    # on the Front End; the databases a SQL Server may or may not hold (issue 25).
    opted = {e["id"]: e["opt_in"] for e in SERVER_ENTRIES if e["opt_in"] is not None}
    assert opted == {
        "extra-edge-av-r1-federation": "r1_federation",
        "seed-43": "seed_qoe_port",
        "extra-sql-backend-1433-archiving": "archiving_database",
        "extra-sql-backend-1433-monitoring": "monitoring_database",
        "extra-sql-backend-1433-group-chat": "group_chat_database",
    }


def test_5069_is_the_front_ends_and_the_monitoring_servers_only_on_request() -> None:
    # dd425238: the QoE agent listens on 5069 on the Front End Server.
    def opt_ins(component: str) -> list[Any]:
        return [
            e["opt_in"]
            for e in SERVER_ENTRIES
            if e["component"] == component and "5069" in e["ports"]
        ]

    assert opt_ins("front_end") == [None]
    assert opt_ins("monitoring") == ["seed_qoe_port"]


def test_the_front_end_takes_the_msmq_acknowledgements_of_archiving_and_monitoring() -> None:
    acks = [
        (e["direction"], e["transports"], sorted(e["peers"]))
        for e in SERVER_ENTRIES
        if e["component"] == "front_end" and e["ports"] == ["1801"]
    ]
    assert acks == [("inbound", ["tcp"], ["archiving", "monitoring"])]
