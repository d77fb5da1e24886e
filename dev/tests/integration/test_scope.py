"""Services and flows on lab hosts: the Edge's ports on the addresses of their service, and
every rule of the example estate (``ocs_firewall_scope: inventory``) open only to its peers.

What a user relies on: an Edge with an address per external service opens each port only
on the addresses of the service that uses it; with the scope ``inventory`` a server port
is open to the servers of the inventory that start that traffic (and client-facing ports
to the client networks), never to any address, while the Edge's Internet side stays
open; adding a server widens exactly the rules that name its component as a peer.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
EDGE = "edge01.ocs.example"
EDGE_GROUP = "OCS 2007 R2 - Edge"
INTERNAL, ACCESS, WEBCONF, AV = "10.10.1.10", "192.0.2.10", "192.0.2.11", "192.0.2.12"
# Every Front End Server of the estate (fe01, fe02 and se01), and the head office pool's.
POOL = {"10.10.0.11", "10.10.0.12", "10.10.0.13"}
HEAD_OFFICE = {"10.10.0.11", "10.10.0.12"}
CLIENTS = "10.20.0.0/16"
NEW_DIRECTOR = "dir02.ocs.example"
NEW_DIRECTOR_ADDRESS = "10.10.0.31"
ANY = frozenset({"*"})

Run = Callable[..., PlaybookRun]


def _example() -> dict[str, Any]:
    inventory: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return inventory


def _addresses(text: str) -> frozenset[str]:
    """Windows' address list as the addresses it admits: a range (``10.10.0.11-10.10.0.13``)
    or a small network (``10.10.0.30/31``: servers numbered in a row) as each of its
    addresses, a larger network as ``10.20.0.0/16`` (Windows writes ``/255.255.0.0``);
    ``*`` stays."""
    found: set[str] = set()
    for item in text.split(","):
        if item == "*":
            found.add(item)
            continue
        if "-" in item:
            low, high = (int(ipaddress.ip_address(end)) for end in item.split("-"))
        else:
            network = ipaddress.ip_network(item, strict=False)
            if network.num_addresses > 64:
                found.add(str(network))
                continue
            low, high = int(network.network_address), int(network.broadcast_address)
        found.update(str(ipaddress.ip_address(n)) for n in range(low, high + 1))
    return frozenset(found)


def _entry_id(rule: dict[str, Any]) -> str:
    return str(rule["name"]).rsplit("(", 1)[1].rstrip(")")


def _inbound(dump: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    """(host, rule name) -> remote addresses of every inbound rule the collection made."""
    return {
        (host, rule["name"]): _addresses(rule["remote_addresses"])
        for host, state in dump.items()
        for rule in state["rules"]
        if rule["direction"] == 1 and "[ocs.firewall" in rule["description"]
    }


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab]) -> Lab:
    """The example estate plus a second Director that holds no component yet."""
    inventory = _example()
    inventory["all"]["children"]["ocs_servers"]["hosts"][NEW_DIRECTOR] = {
        "ocs_firewall_address": NEW_DIRECTOR_ADDRESS
    }
    return start_lab(inventory, "basic")


@pytest.fixture(scope="module")
def converged(estate: Lab, run_playbook: Run) -> dict[str, Any]:
    run = run_playbook(SITE, estate)
    assert run.rc == 0, run.stdout[-3000:]
    return estate.dump()


def test_each_edge_port_opens_on_the_addresses_of_its_service(converged: dict[str, Any]) -> None:
    opened: dict[str, set[str]] = {}
    for rule in converged[EDGE]["rules"]:
        if rule["grouping"] == EDGE_GROUP and rule["direction"] == 1:
            port = f"{rule['local_ports']}/{'TCP' if rule['protocol'] == 6 else 'UDP'}"
            opened.setdefault(port, set()).update(_addresses(rule["local_addresses"]))
    assert opened == {
        "5061/TCP": {INTERNAL, ACCESS},
        # Access Edge (SIP/TLS), Web Conferencing Edge (PSOM/TLS), A/V Edge (STUN/TCP) on
        # the outside; the A/V Edge's STUN/TCP on the inside.
        "443/TCP": {INTERNAL, ACCESS, WEBCONF, AV},
        "3478/UDP": {INTERNAL, AV},
        "8057/TCP": {INTERNAL},
        "5062/TCP": {INTERNAL},
    }


def test_every_inbound_rule_is_open_only_to_its_peers(converged: dict[str, Any]) -> None:
    inbound = _inbound(converged)
    by_entry: dict[tuple[str, str], frozenset[str]] = {}
    for (host, name), remote in inbound.items():
        by_entry[host, name.rsplit("(", 1)[1].rstrip(")")] = remote
    peers = {e["id"]: e["peers"] for e in _catalogue.query(host_kind="server")}
    # Open to any address: only the rules whose peers are on the Internet.
    internet = {"external_users", "federated_partners", "internet"}
    open_to_any = {key for key, remote in by_entry.items() if remote == ANY}
    assert open_to_any == {key for key in by_entry if internet & set(peers[key[1]])}
    assert {host for host, _entry in open_to_any} == {EDGE, "rp01.ocs.example"}
    for entry in ("seed-51", "seed-53", "seed-55"):
        assert by_entry[EDGE, entry] == ANY

    # The Archiving Server's MSMQ and RPC ports: the Front Ends only.
    archiving = {n: r for (h, n), r in inbound.items() if h == "arch01.ocs.example"}
    assert len(archiving) == 5 and all(remote == POOL for remote in archiving.values())
    # As Windows stores it: the pool's servers, numbered in a row, are one range.
    stored = {
        r["remote_addresses"]
        for r in converged["arch01.ocs.example"]["rules"]
        if r["grouping"] == "OCS 2007 R2 - Archiving"
    }
    assert stored == {"10.10.0.11-10.10.0.13"}
    # The back end's SQL Server: its own pool's Front End Servers only (se01, a Standard
    # Edition server, is a pool of its own).
    assert by_entry["sql01.ocs.example", "extra-sql-backend-1433"] == HEAD_OFFICE
    # Front End SIP: the pool, the Director, the Edge's internal address, Mediation, CWA,
    # Group Chat, the pool's load balancer and the client networks.
    fe_sip = by_entry["fe01.ocs.example", "seed-01"]
    assert fe_sip == POOL | {
        "10.10.0.30",  # dir01
        INTERNAL,  # edge01, its internal side
        "10.10.0.40",  # med01, its pool side
        "10.10.0.50",  # cwa01
        "10.10.0.60",  # gc01
        "10.10.0.9",  # the pool's load balancer
        CLIENTS,
    }
    # The Edge's internal side: its internal peers only (the head office pool's load
    # balancer is that pool's: the Edge has none).
    assert by_entry[EDGE, "extra-edge-internal-5061"] == POOL | {"10.10.0.30"}
    assert by_entry[EDGE, "seed-54"] == POOL  # PSOM from the Web Conferencing Servers
    # Gateways reach the Mediation Server's gateway side only.
    assert by_entry["med01.ocs.example", "seed-49"] == {"198.51.100.0/24"}
    # The new Director holds no component yet: nobody names its address.
    assert not any(NEW_DIRECTOR_ADDRESS in remote for remote in inbound.values())


def test_a_second_director_widens_exactly_the_rules_that_name_the_director(
    estate: Lab, converged: dict[str, Any], run_playbook: Run, tmp_path: Path
) -> None:
    before = _inbound(converged)
    inventory = yaml.safe_load(estate.inventory.read_text(encoding="utf-8"))
    directors = inventory["all"]["children"]["ocs_director"]["hosts"]
    # It joins the Director array: a pool, as every Director is.
    directors[NEW_DIRECTOR] = {"ocs_pool": "dir01"}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    widened = dataclasses.replace(estate, inventory=path)

    run = run_playbook(SITE, widened, None, "--diff")
    assert run.rc == 0, run.stdout[-3000:]
    after = _inbound(estate.dump())

    naming = {e["id"] for e in _catalogue.query(host_kind="server") if "director" in e["peers"]}
    changed = {key for key in before if after.get(key) != before[key]}
    # Front End, Edge (internal side), Mediation SIP, Director SIP, ...
    assert {host for host, _name in changed} >= {"fe01.ocs.example", EDGE, "dir01.ocs.example"}
    assert changed == {
        key for key in before if _entry_id({"name": key[1]}) in naming and before[key] != ANY
    }
    for key in changed:
        assert after[key] == before[key] | {NEW_DIRECTOR_ADDRESS}, key
    # The new Director got the Director's rules; no other rule appeared or went.
    new_rules = set(after) - set(before)
    assert new_rules and {host for host, _n in new_rules} == {NEW_DIRECTOR}
    assert set(before) <= set(after)
