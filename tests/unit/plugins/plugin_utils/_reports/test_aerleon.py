"""The port matrix as Aerleon policies (plugins/plugin_utils/_reports/_aerleon.py).

Matrices are built by hand, row by row, as ``_port_matrix.matrix`` returns them. What the
files say is read back as YAML; that every target takes them (names, address families,
ranges) is asked of Aerleon itself, through its Python API, when it is installed (the
tests' lock has it; the collection does not need it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _aerleon,
    _matrix_flows,
)

FE = "fe01.ocs.example"
EDGE = "edge01.ocs.example"


def row(
    source: str,
    source_address: str,
    destination: str,
    destination_address: str,
    ports: str = "5061",
    transport: str = "TCP",
    *,
    zones: tuple[str, str] = ("internal", "internal"),
    ids: Iterable[str] = ("seed-01",),
) -> dict[str, Any]:
    return {
        "source_zone": zones[0],
        "source": source,
        "source_address": source_address,
        "destination_zone": zones[1],
        "destination": destination,
        "destination_address": destination_address,
        "ports": ports,
        "transport": transport,
        "direction": "within",
        "purpose": "SIP: Used for everything",
        "catalogue_ids": list(ids),
    }


def matrix(*rows: dict[str, Any]) -> dict[str, Any]:
    """A matrix of ``rows``, each in its destination zone's table (every table present)."""
    return {
        "boundaries": [
            {
                "key": zone,
                "title": title,
                "file": "port-matrix-" + zone.replace("_", "-"),
                "rows": [r for r in rows if r["destination_zone"] == zone],
            }
            for zone, title in _matrix_flows.ZONES.items()
        ]
    }


def loaded(files: Mapping[str, str], path: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(files[path])
    return found


def terms(files: Mapping[str, str], path: str) -> list[dict[str, Any]]:
    return [t for f in loaded(files, path)["filters"] for t in f["terms"]]


def boundary(zone: str) -> str:
    return f"{_aerleon.POLICY_DIR}/port-matrix-{zone.replace('_', '-')}.yaml"


def windows(host: str) -> str:
    return f"{_aerleon.WINDOWS_POLICY_DIR}/{host}.yaml"


# ---- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("fe01.ocs.example", "FE01_OCS_EXAMPLE"),
        ("internal_clients", "INTERNAL_CLIENTS"),
        ("edge01.ocs.example_192.0.2.10", "EDGE01_OCS_EXAMPLE_192_0_2_10"),
        ("tcp_5060-5061", "TCP_5060-5061"),
        ("..weird host!", "WEIRD_HOST"),
    ],
)
def test_a_network_or_service_name_keeps_letters_digits_and_dashes(text: str, wanted: str) -> None:
    assert _aerleon.symbol(text) == wanted


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("int-fe01-tcp-5060-5061", "int-fe01-tcp-5060-5061"),
        ("int-arch01-tcp-2101,2103,2105", "int-arch01-tcp-2101-2103-2105"),
        ("Pext Edge01 192.0.2.10 udp 3478", "pext-edge01-192-0-2-10-udp-3478"),
    ],
)
def test_a_term_name_is_lower_case_words_and_dashes(text: str, wanted: str) -> None:
    assert _aerleon.term_name(text) == wanted


def test_a_long_name_is_cut_and_keeps_a_hash_of_the_whole() -> None:
    first = "frontend-server-number-01.head-office.corp.contoso.example.com"
    second = first.replace("01", "02")
    names = [_aerleon.symbol(first), _aerleon.symbol(second)]
    assert all(len(n) <= _aerleon.NAME_LIMIT for n in names)
    assert all(re.fullmatch(r"[A-Z0-9_-]+_[0-9A-F]{6}", n, re.IGNORECASE) for n in names)
    assert names[0] != names[1]
    assert len(_aerleon.term_name(first * 2)) <= _aerleon.TERM_LIMIT


def test_hosts_whose_names_clean_up_alike_get_distinct_networks() -> None:
    found = _aerleon.files(
        matrix(
            row("fe.01", "10.0.0.1", "arch", "10.0.0.9"),
            row("fe-01", "10.0.0.2", "arch", "10.0.0.9"),
        )
    )
    networks = loaded(found, _aerleon.NETWORKS_FILE)["networks"]
    addresses = {n["values"][0]["address"]: name for name, n in networks.items()}
    assert addresses["10.0.0.1/32"] != addresses["10.0.0.2/32"]


# ---- addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "networks"),
    [
        ("10.10.0.11", ("10.10.0.11/32",)),
        ("10.10.0.5, 10.10.0.6", ("10.10.0.5/32", "10.10.0.6/32")),
        ("10.20.0.0/16", ("10.20.0.0/16",)),
        ("10.20.0.0/255.255.0.0", ("10.20.0.0/16",)),
        ("10.0.0.4-10.0.0.7", ("10.0.0.4/30",)),
        ("2001:db8::/64", ("2001:db8::/64",)),
    ],
)
def test_an_address_cell_gives_its_networks(text: str, networks: tuple[str, ...]) -> None:
    assert _aerleon.address(text).networks == networks


def test_any_a_placeholder_and_a_keyword_are_told_apart() -> None:
    assert _aerleon.address("any").any
    assert _aerleon.address("(set ocs_firewall_client_networks)").missing == (
        "ocs_firewall_client_networks"
    )
    assert _aerleon.address("LocalSubnet").unusable == "LocalSubnet"


# ---- the files -----------------------------------------------------------------------------


def test_one_policy_per_boundary_with_flows_and_one_per_windows_host() -> None:
    found = _aerleon.files(
        matrix(
            row(FE, "10.10.0.11", "arch01.ocs.example", "10.10.0.70", "135"),
            row("internal_clients", "10.20.0.0/16", FE, "10.10.0.11", "443"),
            row(FE, "10.10.0.11", EDGE, "10.10.1.10", zones=("internal", "perimeter_internal")),
            row(
                "external_users",
                "any",
                EDGE,
                "192.0.2.10",
                "443",
                zones=("internet", "perimeter_external"),
            ),
        )
    )
    assert sorted(p for p in found if p.startswith(f"{_aerleon.POLICY_DIR}/")) == sorted(
        boundary(z) for z in ("internal", "perimeter_internal", "perimeter_external")
    )
    assert sorted(p for p in found if p.startswith(f"{_aerleon.WINDOWS_POLICY_DIR}/")) == sorted(
        windows(h) for h in ("arch01.ocs.example", FE, EDGE)
    )
    # The README says why the Internet has no policy file.
    assert "port-matrix-internet.yaml`: Internet: 0 term(s) (no file" in found[_aerleon.README_FILE]
    # A boundary's filters: one per source zone, for the three device targets.
    (edge,) = loaded(found, boundary("perimeter_external"))["filters"]
    assert edge["header"]["targets"] == {
        "ciscoasa": "ocs-internet-to-perimeter-external",
        "srx": "from-zone internet to-zone perimeter-external",
        "paloalto": "from-zone internet to-zone perimeter-external",
    }
    # The Edge's Windows policy takes its flows of both sides.
    assert len(terms(found, windows(EDGE))) == 2
    assert loaded(found, windows(EDGE))["filters"][0]["header"]["targets"] == {
        "windows_advfirewall": "in"
    }


def test_a_term_per_destination_port_and_transport_listing_its_sources() -> None:
    found = _aerleon.files(
        matrix(
            row(FE, "10.10.0.11", "arch01.ocs.example", "10.10.0.70", "2101,2103,2105"),
            row(
                "fe02.ocs.example",
                "10.10.0.12",
                "arch01.ocs.example",
                "10.10.0.70",
                "2101,2103,2105",
                ids=["seed-44"],
            ),
            row(FE, "10.10.0.11", "arch01.ocs.example", "10.10.0.70", "1801,3527", "UDP"),
        )
    )
    tcp, udp = terms(found, boundary("internal"))
    assert tcp == {
        "name": "int-arch01-tcp-2101-2103-2105",
        "comment": "seed-01, seed-44: SIP: Used for everything",
        "source-address": "FE01_OCS_EXAMPLE FE02_OCS_EXAMPLE",
        "destination-address": "ARCH01_OCS_EXAMPLE",
        "destination-port": "TCP_2101_2103_2105",
        "protocol": "tcp",
        "action": "accept",
    }
    assert udp["destination-port"] == "UDP_1801_3527" and udp["protocol"] == "udp"
    services = loaded(found, _aerleon.SERVICES_FILE)["services"]
    assert services["TCP_2101_2103_2105"] == [
        {"port": p, "protocol": "tcp"} for p in ("2101", "2103", "2105")
    ]
    assert services["UDP_1801_3527"] == [{"port": p, "protocol": "udp"} for p in ("1801", "3527")]


def test_a_host_at_several_addresses_has_a_network_per_address_and_any_is_no_address() -> None:
    found = _aerleon.files(
        matrix(
            row(
                "external_users",
                "any",
                EDGE,
                "192.0.2.10",
                "443",
                zones=("internet", "perimeter_external"),
            ),
            row(
                "external_users",
                "any",
                EDGE,
                "192.0.2.12",
                "443",
                zones=("internet", "perimeter_external"),
            ),
            row(FE, "10.10.0.11", EDGE, "10.10.1.10", zones=("internal", "perimeter_internal")),
        )
    )
    networks = loaded(found, _aerleon.NETWORKS_FILE)["networks"]
    assert {n for n in networks if n.startswith("EDGE01")} == {
        "EDGE01_OCS_EXAMPLE_192_0_2_10",
        "EDGE01_OCS_EXAMPLE_192_0_2_12",
        "EDGE01_OCS_EXAMPLE_10_10_1_10",
    }
    assert networks["FE01_OCS_EXAMPLE"]["values"] == [{"address": "10.10.0.11/32", "comment": FE}]
    external = terms(found, boundary("perimeter_external"))
    assert [t["name"] for t in external] == [
        "inet-edge01-192-0-2-10-tcp-443",
        "inet-edge01-192-0-2-12-tcp-443",
    ]
    # External users are any address: the term has no source address.
    assert all("source-address" not in t for t in external)


def test_a_peer_kind_is_one_network_of_its_networks_named_after_it() -> None:
    found = _aerleon.files(
        matrix(
            row(
                "domain_controllers",
                "10.10.0.5, 10.10.0.6",
                "cwa01.ocs.example",
                "10.10.0.50",
                "389",
            )
        )
    )
    networks = loaded(found, _aerleon.NETWORKS_FILE)["networks"]
    assert [v["address"] for v in networks["DOMAIN_CONTROLLERS"]["values"]] == [
        "10.10.0.5/32",
        "10.10.0.6/32",
    ]
    assert networks["DOMAIN_CONTROLLERS"]["values"][0]["comment"].startswith("Active Directory")


def test_a_flow_at_a_placeholder_is_left_out_naming_the_variable() -> None:
    found = _aerleon.files(
        matrix(
            row("load_balancers", "(set ocs_firewall_load_balancer_addresses)", FE, "10.10.0.11"),
            row("internal_clients", "10.20.0.0/16", FE, "10.10.0.11", "443"),
            row(
                EDGE,
                "(set ocs_edge_external_addresses)",
                "external_users",
                "any",
                zones=("perimeter_external", "internet"),
            ),
        )
    )
    internal = found[boundary("internal")]
    assert [t["name"] for t in terms(found, boundary("internal"))] == ["int-fe01-tcp-443"]
    assert "# - set ocs_firewall_load_balancer_addresses:\n" in internal
    assert (
        "load_balancers (set ocs_firewall_load_balancer_addresses) -> fe01.ocs.example" in internal
    )
    assert "(set" not in found[_aerleon.NETWORKS_FILE]
    # The Windows policy says so in its header too, which Aerleon copies into its output.
    header = loaded(found, windows(FE))["filters"][0]["header"]["comment"]
    assert "1 flow(s) left out: set ocs_firewall_load_balancer_addresses" in header
    # A boundary whose every flow is left out has no policy file; the README says why.
    assert boundary("internet") not in found
    assert "set ocs_edge_external_addresses" in found[_aerleon.README_FILE]


def test_an_address_aerleon_cannot_take_is_left_out_naming_it() -> None:
    found = _aerleon.files(
        matrix(
            row("internal_clients", "LocalSubnet", FE, "10.10.0.11", "443"),
            row("internal_clients", "10.20.0.0/16", FE, "10.10.0.11", "80"),
        )
    )
    assert "'LocalSubnet' is not an address Aerleon takes" in found[boundary("internal")]
    assert [t["name"] for t in terms(found, boundary("internal"))] == ["int-fe01-tcp-80"]


def test_term_names_are_unique_across_the_boundaries_and_short_enough() -> None:
    long_host = "a-very-long-server-name-for-the-front-end-pool-01.corp.example.com"
    found = _aerleon.files(
        matrix(
            row(FE, "10.10.0.11", long_host, "10.10.0.21", "49152-65535"),
            row(
                EDGE,
                "10.10.1.10",
                long_host,
                "10.10.0.21",
                "49152-65535",
                zones=("perimeter_internal", "internal"),
            ),
            row(
                "external_users",
                "any",
                "rp01.ocs.example",
                "10.10.1.20",
                "443",
                zones=("internet", "perimeter_internal"),
            ),
            row(
                FE,
                "10.10.0.11",
                "rp01.ocs.example",
                "10.10.1.20",
                "443",
                zones=("internal", "perimeter_internal"),
            ),
        )
    )
    names = [
        t["name"]
        for z in _matrix_flows.ZONES
        if boundary(z) in found
        for t in terms(found, boundary(z))
    ]
    assert len(names) == len(set(names)) == 4
    assert all(len(n) <= _aerleon.TERM_LIMIT and re.fullmatch(r"[a-z0-9-]+", n) for n in names)
    networks = loaded(found, _aerleon.NETWORKS_FILE)["networks"]
    assert all(len(n) <= _aerleon.NAME_LIMIT for n in networks)


def test_ipv6_flows_get_mixed_palo_alto_filters() -> None:
    found = _aerleon.files(
        matrix(row("internal_clients", "2001:db8:20::/48", FE, "2001:db8::11", "443"))
    )
    (device,) = loaded(found, boundary("internal"))["filters"]
    assert device["header"]["targets"]["paloalto"].endswith(" mixed")
    families = [
        f["header"]["targets"]["windows_advfirewall"] for f in loaded(found, windows(FE))["filters"]
    ]
    # Aerleon's Windows generator writes both families in one filter.
    assert families == ["in"]


def test_the_files_are_the_same_for_the_same_matrix() -> None:
    rows = [
        row(FE, "10.10.0.11", "arch01.ocs.example", "10.10.0.70", "135"),
        row("internal_clients", "10.20.0.0/16", FE, "10.10.0.11", "443"),
    ]
    assert _aerleon.files(matrix(*rows)) == _aerleon.files(matrix(*rows))


# ---- Aerleon itself --------------------------------------------------------------------------


def test_aerleon_renders_every_target_of_every_file() -> None:
    """Long names, ranges, lists of ports, several addresses of a host, any, IPv6: every
    policy renders for Cisco ASA, Juniper SRX, Palo Alto and Windows, each term a rule."""
    api = pytest.importorskip("aerleon.api")
    naming = pytest.importorskip("aerleon.lib.naming")
    long_host = "a-very-long-server-name-for-the-front-end-pool-01.corp.example.com"
    found = _aerleon.files(
        matrix(
            row(FE, "10.10.0.11", long_host, "10.10.0.21", "49152-65535", "UDP"),
            row(FE, "10.10.0.11", long_host, "10.10.0.21", "2101,2103,2105"),
            row("domain_controllers", "10.10.0.5, 10.10.0.6", FE, "10.10.0.11", "5060-5061"),
            row("internal_clients", "2001:db8:20::/48", FE, "2001:db8::11", "443"),
            row(
                "external_users",
                "any",
                EDGE,
                "192.0.2.10",
                "443",
                zones=("internet", "perimeter_external"),
            ),
            row(FE, "10.10.0.11", EDGE, "10.10.1.10", zones=("internal", "perimeter_internal")),
            row(
                EDGE,
                "192.0.2.12",
                "internet",
                "any",
                "50000-59999",
                zones=("perimeter_external", "internet"),
            ),
        )
    )
    definitions = naming.Naming()
    for path in (_aerleon.NETWORKS_FILE, _aerleon.SERVICES_FILE):
        definitions.ParseDefinitionsObject(loaded(found, path), path)
    policies = [
        # Named as aclgen names them: the output takes the file's name, its suffix replaced.
        {"filename": path.rsplit("/", 1)[1], **loaded(found, path)}
        for path in found
        if path.startswith("policies/")
    ]
    output = api.Generate(policies, definitions)
    assert output is not None
    for path in (p for p in found if p.startswith(f"{_aerleon.POLICY_DIR}/")):
        name = path.rsplit("/", 1)[1][: -len(".yaml")]
        names = [t["name"] for t in terms(found, path)]
        asa, srx, pan = (output[f"{name}{suffix}"] for suffix in (".asa", ".srx", ".xml"))
        assert all(f" remark {n}\n" in asa for n in names)
        assert all(f"policy {n} {{" in srx for n in names)
        assert all(f'<entry name="{n}">' in pan for n in names)
    fe = output[f"{FE}.bat"]
    rules = [line for line in fe.splitlines() if line.startswith("netsh advfirewall")]
    assert len(rules) == 2
    # Aerleon's ASA generator leaves IPv6 out (the filter's comment says so); SRX has it.
    asa, srx = (output[f"port-matrix-internal{suffix}"] for suffix in (".asa", ".srx"))
    assert not [line for line in asa.splitlines() if "permit" in line and "2001:db8" in line]
    assert "Its IPv6 flows are in the SRX and Palo Alto outputs" in asa
    assert "2001:db8:20::/48" in srx and "2001:db8::11/128" in srx
    assert "localip=2001:db8::11/128" in fe and "remoteip=2001:db8:20::/48" in fe
    assert "remoteip=10.10.0.5/32,10.10.0.6/32" in fe and "localport=5060-5061" in fe
