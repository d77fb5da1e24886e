"""The port matrix (plugins/plugin_utils/_reports/_port_matrix.py): flows per boundary, from the
inventory.

Inventories are built by hand, as a play's ``groups`` and ``hostvars`` hold them; what a
row should carry is worked out from the catalogue, so a test names the behaviour (a flow
per peer, duplicates merged, the Edge's per-service addresses, zones) and not a copy of
the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._component_rules import (
    made_entries,
    port_text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_flows,
    _port_matrix,
)

CLIENTS = "10.20.0.0/16"
EDGE_VARS = {
    "ocs_edge_internal_addresses": ["10.10.1.10"],
    "ocs_edge_access_addresses": ["192.0.2.10"],
    "ocs_edge_webconf_addresses": ["192.0.2.11"],
    "ocs_edge_av_addresses": ["192.0.2.12"],
}


def estate(
    hosts: Mapping[str, tuple[list[str], Mapping[str, Any]]], **common: Any
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """``(groups, hostvars)``: each host holds its components (groups ``ocs_<key>``) and
    has its variables; ``common`` goes to every host (as ``all: vars:`` would)."""
    groups: dict[str, list[str]] = {"all": list(hosts)}
    hostvars: dict[str, dict[str, Any]] = {}
    for host, (keys, variables) in hosts.items():
        names = [f"ocs_{key}" for key in keys]
        for name in names:
            groups.setdefault(name, []).append(host)
        hostvars[host] = {"group_names": names, **common, **variables}
    return groups, hostvars


def at(address: str, **more: Any) -> dict[str, Any]:
    return {"ocs_firewall_address": address, **more}


def flows(groups: Any, hostvars: Any) -> list[dict[str, Any]]:
    return _matrix_flows.flows(groups, hostvars)


def rows_to(rows: list[dict[str, Any]], host: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["destination"] == host]


def entries(key: str, **flags: Any) -> list[Mapping[str, Any]]:
    """The entries a host holding ``key`` makes, outbound ones included."""
    made = made_entries(_catalogue.server_entries(key), include_outbound=True, **flags)
    return [entry for entry, _directions in made]


def test_an_inbound_entry_gives_a_flow_from_each_holder_of_its_peer() -> None:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], at("10.0.0.11")),
            "fe2": (["front_end"], at("10.0.0.21")),
            "arch": (["archiving"], at("10.0.0.70")),
        }
    )
    found = {
        (r["source"], r["source_address"], r["destination_address"], r["ports"], r["transport"])
        for r in rows_to(flows(groups, hostvars), "arch")
    }
    wanted = {
        (fe, address, "10.0.0.70", port_text(e["ports"]), t.upper())
        for e in entries("archiving")
        for t in e["transports"]
        for fe, address in (("fe1", "10.0.0.11"), ("fe2", "10.0.0.21"))
    }
    assert found == wanted
    assert wanted


def test_a_flow_described_by_both_ends_is_one_row_listing_both_entries() -> None:
    groups, hostvars = estate(
        {"fe1": (["front_end"], at("10.0.0.11")), "dir": (["director"], at("10.0.0.30"))}
    )
    rows = [
        r
        for r in flows(groups, hostvars)
        if (r["source"], r["destination"], r["ports"]) == ("fe1", "dir", "5060-5061")
    ]
    # The Front End's entries that connect to the Director, and the Director's that the
    # Front End connects to, all on 5060-5061.
    outbound = [
        e["id"]
        for e in entries("front_end")
        if "director" in e["peers"]
        and e["direction"] != "inbound"
        and e["ports"] == ["5060", "5061"]
    ]
    inbound = [
        e["id"]
        for e in entries("director")
        if "front_end" in e["peers"]
        and e["direction"] != "outbound"
        and e["ports"] == ["5060", "5061"]
    ]
    assert outbound and inbound
    assert len(rows) == 1
    assert sorted(rows[0]["catalogue_ids"]) == sorted(outbound + inbound)
    # The purpose is the listening side's: the Director's entry.
    assert rows[0]["purpose"].startswith("Director")


def test_collocated_components_give_no_flow_from_a_host_to_itself() -> None:
    groups, hostvars = estate(
        {
            "se": (["front_end", "mediation", "archiving"], at("10.0.0.13")),
            "fe2": (["front_end"], at("10.0.0.21")),
        }
    )
    rows = flows(groups, hostvars)
    assert [r for r in rows if r["source"] == r["destination"]] == []
    assert any(r["source"] == "fe2" and r["destination"] == "se" for r in rows)


def test_outbound_halves_are_in_the_matrix_whatever_include_outbound_says() -> None:
    groups, hostvars = estate(
        {"cwa": (["cwa"], at("10.0.0.50"))},
        ocs_firewall_domain_controllers=["10.10.0.5"],
        ocs_firewall_client_networks=[CLIENTS],
    )
    assert hostvars["cwa"].get("ocs_cwa_include_outbound") is None
    to_dcs = {
        (r["ports"], r["transport"])
        for r in flows(groups, hostvars)
        if r["destination"] == "domain_controllers"
    }
    wanted = {
        (port_text(e["ports"]), t.upper())
        for e in entries("cwa")
        if "domain_controllers" in e["peers"]
        for t in e["transports"]
    }
    assert to_dcs == wanted
    assert wanted


def test_peer_kinds_are_their_networks_any_or_the_variable_to_set() -> None:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], at("10.0.0.11", ocs_firewall_client_networks=[CLIENTS])),
            "fe2": (["front_end"], at("10.0.0.21")),
            "edge": (["edge"], at("10.10.1.10", **EDGE_VARS)),
        }
    )
    rows = flows(groups, hostvars)
    clients = {
        r["destination"]: r["source_address"] for r in rows if r["source"] == "internal_clients"
    }
    # Each host's rules read the networks from that host's own variables.
    assert clients["fe1"] == CLIENTS
    assert clients["fe2"] == "(set ocs_firewall_client_networks)"
    assert {r["source_address"] for r in rows if r["source"] == "external_users"} == {"any"}


def test_the_edge_is_at_each_external_services_own_address() -> None:
    groups, hostvars = estate(
        {"edge": (["edge"], at("10.10.1.10", **EDGE_VARS)), "fe1": (["front_end"], at("10.0.0.11"))}
    )
    rows = flows(groups, hostvars)
    outside = {}
    for r in rows:
        if r["destination"] == "edge" and r["destination_zone"] == "perimeter_external":
            outside.setdefault((r["ports"], r["transport"]), set()).add(r["destination_address"])
    assert outside[("5061", "TCP")] == {"192.0.2.10"}
    assert outside[("443", "TCP")] == {"192.0.2.10", "192.0.2.11", "192.0.2.12"}
    assert outside[("3478", "UDP")] == {"192.0.2.12"}
    inside = {
        r["destination_address"]
        for r in rows
        if r["destination"] == "edge" and r["destination_zone"] == "perimeter_internal"
    }
    assert inside == {"10.10.1.10"}
    # The Internet side is on the Edge's external addresses only.
    assert {
        r["source_address"]
        for r in rows
        if r["source"] == "edge" and r["destination_zone"] == "internet"
    } <= {"192.0.2.10", "192.0.2.11", "192.0.2.12"}


def test_an_edge_without_external_addresses_says_which_variable_to_set() -> None:
    # Unbound on purpose (so the preflight lets it through): the matrix still needs it.
    groups, hostvars = estate({"edge": (["edge"], at("10.10.1.10", ocs_edge_unbound=True))})
    outside = {
        r["destination_address"]
        for r in flows(groups, hostvars)
        if r["destination_zone"] == "perimeter_external"
    }
    assert outside == {"(set ocs_edge_external_addresses)"}


def zone_rows() -> list[dict[str, Any]]:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], at("10.0.0.11")),
            "wc": (["web_components"], at("10.0.0.15")),
            "edge": (["edge"], at("10.10.1.10", **EDGE_VARS)),
            "rp": (["reverse_proxy"], at("10.10.1.20")),
        },
        ocs_firewall_client_networks=[CLIENTS],
    )
    return flows(groups, hostvars)


@pytest.mark.parametrize(
    ("source", "destination", "ports", "zones", "direction"),
    [
        # The pool's SIP to the Edge's internal side: out of the internal network.
        ("fe1", "edge", "5061", ("internal", "perimeter_internal"), "outbound"),
        ("edge", "fe1", "5061", ("perimeter_internal", "internal"), "inbound"),
        ("external_users", "edge", "443", ("internet", "perimeter_external"), "inbound"),
        ("edge", "federated_partners", "5061", ("perimeter_external", "internet"), "outbound"),
        # An entry of no particular interface: the reverse proxy's side is its peer's.
        ("external_users", "rp", "443", ("internet", "perimeter_external"), "inbound"),
        ("rp", "wc", "443", ("perimeter_internal", "internal"), "inbound"),
        ("fe1", "wc", "443", ("internal", "internal"), "within"),
    ],
)
def test_each_flow_is_in_its_destinations_zone_with_a_direction_relative_to_trust(
    source: str, destination: str, ports: str, zones: tuple[str, str], direction: str
) -> None:
    found = [
        r
        for r in zone_rows()
        if (r["source"], r["destination"], r["ports"], r["transport"])
        == (source, destination, ports, "TCP")
    ]
    assert found, (source, destination, ports)
    assert {(r["source_zone"], r["destination_zone"], r["direction"]) for r in found} == {
        (*zones, direction)
    }


def test_the_boundaries_are_the_zones_from_the_most_trusted() -> None:
    groups, hostvars = estate({"edge": (["edge"], at("10.10.1.10", **EDGE_VARS))})
    found = _port_matrix.matrix(groups, hostvars)
    assert [b["key"] for b in found["boundaries"]] == list(_matrix_flows.ZONES)
    for boundary in found["boundaries"]:
        assert {r["destination_zone"] for r in boundary["rows"]} <= {boundary["key"]}
        assert boundary["file"] == "port-matrix-" + boundary["key"].replace("_", "-")
    assert all(b["rows"] for b in found["boundaries"] if b["key"] != "internal")


@pytest.mark.parametrize(
    ("source", "destination", "direction"),
    [
        ("internet", "perimeter_external", "inbound"),
        ("perimeter_internal", "internal", "inbound"),
        ("internal", "perimeter_internal", "outbound"),
        ("perimeter_external", "internet", "outbound"),
        ("internal", "internal", "within"),
    ],
)
def test_direction(source: str, destination: str, direction: str) -> None:
    assert _matrix_flows.direction(source, destination) == direction


def test_the_zones_come_from_the_catalogue() -> None:
    components = _catalogue.server_components()
    assert {k for k, c in components.items() if c.zone == "perimeter"} == {"edge", "reverse_proxy"}
    kinds = _catalogue.peer_kinds()
    assert {k for k, p in kinds.items() if p.zone == "internet"} == {
        "external_users",
        "federated_partners",
        "internet",
    }


def test_what_a_host_does_not_make_is_not_in_the_matrix() -> None:
    groups, hostvars = estate(
        {
            "edge": (["edge"], at("10.10.1.10", **EDGE_VARS, ocs_edge_include_extras=False)),
            "arch": (["archiving"], at("10.0.0.70", ocs_archiving_state="absent")),
            "fe1": (["front_end"], at("10.0.0.11")),
        }
    )
    rows = flows(groups, hostvars)
    ids = {i for r in rows for i in r["catalogue_ids"]}
    assert not [i for i in ids if i.startswith("extra-edge")]
    assert rows_to(rows, "arch") == []
    hostvars["edge"]["ocs_edge_r1_federation"] = True
    ids = {i for r in flows(groups, hostvars) for i in r["catalogue_ids"]}
    assert "extra-edge-av-r1-federation" in ids


def test_a_holder_without_an_address_is_shown_with_the_variable_to_set() -> None:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], {"ansible_host": "fe1.example"}),
            "arch": (["archiving"], at("10.0.0.70")),
        }
    )
    sources = {r["source_address"] for r in rows_to(flows(groups, hostvars), "arch")}
    assert sources == {"(set ocs_firewall_address)"}


def test_every_problem_is_reported_at_once_naming_host_variable_and_value() -> None:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], at("10.0.0.11", ocs_front_end_profiles=["work"])),
            "arch": (["archiving"], at("10.0.0.999")),
        }
    )
    with pytest.raises(InputError) as caught:
        _port_matrix.matrix(groups, hostvars, vips={"front_end": "10.0.0.300"})
    text = "\n".join(caught.value.problems)
    assert 'fe1: ocs_front_end_profiles: "work" is not a profile' in text
    assert 'arch: ocs_firewall_address: "10.0.0.999"' in text
    assert 'ocs_firewall_vips.front_end: "10.0.0.300" is not an IP address' in text
    assert "no file was written" in str(caught.value)


@pytest.mark.parametrize(
    ("vips", "words"),
    [
        ("10.0.0.10", 'ocs_firewall_vips: "10.0.0.10" is not a mapping'),
        ({"cwa": "10.0.0.10"}, 'ocs_firewall_vips: "cwa" is not a component a load balancer'),
        ({"director": "dir-vip"}, 'ocs_firewall_vips.director: "dir-vip" is not an IP address'),
        ({"edge": "10.10.1.9"}, 'ocs_firewall_vips.edge: "10.10.1.9" is not a mapping of internal'),
        ({"edge": {"inside": "10.10.1.9"}}, "ocs_firewall_vips.edge: "),
        ({"edge": {"external": "192.0.2.999"}}, 'ocs_firewall_vips.edge.external: "192.0.2.999"'),
    ],
)
def test_a_bad_vip_is_named_with_its_value(vips: Any, words: str) -> None:
    checked, problems = _port_matrix.check_vips(vips)
    assert checked == {} or problems
    assert any(words in p for p in problems), problems


def lb_rows(vips: Any) -> list[dict[str, Any]]:
    groups, hostvars = estate(
        {
            "fe1": (["front_end"], at("10.0.0.11")),
            "fe2": (["front_end"], at("10.0.0.21")),
            "edge": (["edge"], at("10.10.1.10", **EDGE_VARS)),
        }
    )
    return _port_matrix.matrix(groups, hostvars, vips=vips)["load_balancers"]["rows"]


def test_load_balancer_rules_name_the_vip_and_the_members_of_the_balanced_component() -> None:
    rows = lb_rows({"front_end": "10.0.0.10", "edge": {"external": "192.0.2.9"}})
    # Two Front End Servers have a load balancer; one Edge and no Director have none.
    wanted = [
        (e["id"], t.upper())
        for e in _catalogue.query(host_kind="load_balancer")
        for t in e["transports"]
        if _catalogue.components()[e["component"]].balances == "front_end"
    ]
    assert wanted
    assert [(r["catalogue_id"], r["transport"]) for r in rows] == wanted
    assert {r["vip"] for r in rows} == {"10.0.0.10"}
    assert {tuple(r["members"]) for r in rows} == {("fe1 10.0.0.11", "fe2 10.0.0.21")}


def test_an_edge_array_has_its_load_balancer_rows_on_the_addresses_of_each_service() -> None:
    second = {
        "ocs_edge_internal_addresses": ["10.10.1.30"],
        "ocs_edge_access_addresses": ["192.0.2.30"],
        "ocs_edge_webconf_addresses": ["192.0.2.31"],
        "ocs_edge_av_addresses": ["192.0.2.32"],
    }
    groups, hostvars = estate(
        {
            "edge": (["edge"], at("10.10.1.10", **EDGE_VARS)),
            "edge2": (["edge"], at("10.10.1.30", **second)),
        }
    )
    vips = {"edge": {"external": "192.0.2.9"}}
    rows = _port_matrix.matrix(groups, hostvars, vips=vips)["load_balancers"]["rows"]
    assert {r["balances"] for r in rows} == {"edge"}
    edge = {(r["interface"], r["ports"]): r for r in rows}
    assert edge["internal", "5061"]["vip"] == "(set ocs_firewall_vips.edge.internal)"
    assert edge["internal", "5061"]["members"] == ["edge 10.10.1.10", "edge2 10.10.1.30"]
    assert edge["external", "5061"]["vip"] == "192.0.2.9"
    # Each external port on the addresses of the Edge service that uses it.
    assert edge["external", "5061"]["members"] == ["edge 192.0.2.10", "edge2 192.0.2.30"]
    assert edge["external", "3478"]["members"] == ["edge 192.0.2.12", "edge2 192.0.2.32"]
    assert len(edge["external", "443"]["members"]) == 6


def test_client_requirements_are_the_catalogues_client_rows() -> None:
    groups, hostvars = estate({})
    rows = _port_matrix.matrix(groups, hostvars)["clients"]["rows"]
    clients = _catalogue.query(host_kind="client")
    assert [(r["catalogue_id"], r["transport"]) for r in rows] == [
        (e["id"], t.upper()) for e in clients for t in e["transports"]
    ]
    titles = {c.key: c.title for c in _catalogue.components().values()}
    assert {r["client"] for r in rows} == {titles[e["component"]] for e in clients}


def test_a_purpose_names_the_services_and_the_protocol_when_it_says_more() -> None:
    entry = next(e for e in _catalogue.query(["edge"]) if e["id"] == "seed-56")
    services = _catalogue.services()
    text = _matrix_flows.purpose(entry)
    assert text.startswith(services["av_edge"].split(":")[0] + f" ({entry['protocol']}): ")
    # Whole: the description is never cut.
    assert text.endswith(" ".join(entry["description"].split()).rstrip("."))
    tcp_only = {**entry, "protocol": "TCP", "description": "Used."}
    assert _matrix_flows.purpose(tcp_only) == services["av_edge"].split(":")[0] + ": Used"
    both = {**entry, "protocol": "UDP/TCP", "description": "Used."}
    assert _matrix_flows.purpose(both) == services["av_edge"].split(":")[0] + ": Used"
