"""Pools and the scope from the inventory (plugin_utils/_estate/_scope.py, _ansible/_preflight.py).

An estate of two pools: the head office Enterprise pool ``ho`` (two Front End Servers
behind a load balancer, a back-end SQL Server, an A/V Conferencing Server) and a branch
Standard Edition server ``br`` (a pool of its own). Flows inside a pool stay in it; SIP
between pools does not; the servers that serve pools (Archiving, Monitoring, the Edge)
admit the pools they serve; a Mediation Server's calls reach its next hop only. Without
``ocs_pool`` anywhere the estate is one pool, as before.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _preflight
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _scope
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_flows,
    _port_matrix,
)

SCOPED = {
    "ocs_firewall_scope": "inventory",
    "ocs_firewall_client_networks": ["10.20.0.0/16"],
    "ocs_firewall_gateway_networks": ["198.51.100.0/24"],
}
HO_LB = "10.10.0.9"
# host -> (groups, variables)
ESTATE: dict[str, tuple[list[str], dict[str, Any]]] = {
    "fe1": (["ocs_front_end"], {"ocs_pool": "ho", "ocs_firewall_address": "10.10.0.11"}),
    "fe2": (["ocs_front_end"], {"ocs_pool": "ho", "ocs_firewall_address": "10.10.0.12"}),
    "sql1": (["ocs_sql_backend"], {"ocs_pool": "ho", "ocs_firewall_address": "10.10.0.20"}),
    "av1": (["ocs_av_conferencing"], {"ocs_pool": "ho", "ocs_firewall_address": "10.10.0.15"}),
    # A Standard Edition server: every pool component but the back end (SQL Express).
    "br1": (
        ["ocs_front_end", "ocs_av_conferencing", "ocs_web_conferencing", "ocs_web_components"],
        {"ocs_pool": "br", "ocs_firewall_address": "192.168.50.10"},
    ),
    "dir1": (["ocs_director"], {"ocs_pool": "dirs", "ocs_firewall_address": "10.10.0.30"}),
    "arch1": (["ocs_archiving"], {"ocs_firewall_address": "10.10.0.70"}),
    "med1": (
        ["ocs_mediation"],
        {"ocs_firewall_address": "10.10.0.40", "ocs_mediation_next_hop_pool": "ho"},
    ),
    "med2": (["ocs_mediation"], {"ocs_firewall_address": "192.168.50.40"}),
}
HO_ONLY = {"ocs_firewall_load_balancer_addresses": [HO_LB]}


def estate(
    **changes: dict[str, Any],
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """``(groups, hostvars)``; ``changes``: variables per host (None removes one)."""
    groups: dict[str, list[str]] = {}
    hostvars: dict[str, dict[str, Any]] = {}
    for host, (names, variables) in ESTATE.items():
        merged = {**SCOPED, **variables, **changes.get(host, {})}
        if host in ("fe1", "fe2"):
            merged = {**HO_ONLY, **merged}
        hostvars[host] = {k: v for k, v in merged.items() if v is not None}
        hostvars[host]["group_names"] = names
        for name in names:
            groups.setdefault(name, []).append(host)
    return groups, hostvars


def remotes(host: str, **changes: dict[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    groups, hostvars = estate(**changes)
    variables = hostvars[host]
    found, problems = _host_request.host_request(
        variables["group_names"], variables, inventory=_scope.Inventory(groups, hostvars)
    )
    assert found is not None, problems
    return found.remotes


def test_the_back_end_admits_its_own_pool_only() -> None:
    sql = remotes("sql1")["sql_backend"]
    assert sql["extra-sql-backend-1433"] == ("10.10.0.11-10.10.0.12",)
    assert sql["extra-sql-backend-1434"] == ("10.10.0.11-10.10.0.12",)


def test_a_branch_server_keeps_its_pool_internal_ports_to_itself() -> None:
    br = remotes("br1")["front_end"]
    # 135, 5062-5064, 8404, 444: the pool's own Front End Servers (here, itself) only.
    for entry in ("seed-05", "seed-06", "seed-07", "seed-08", "seed-15"):
        assert br[entry] == ("192.168.50.10",), entry
    assert br["seed-03"] == ("192.168.50.10",)  # its own A/V Conferencing: itself
    # SIP between pools is normal traffic: 5060-5061 admits every pool's Front Ends.
    assert {"10.10.0.11-10.10.0.12", "192.168.50.10"} <= set(br["seed-01"])
    # No load balancer of the head office's: it is set for that pool's servers only.
    assert all("10.10.0.9" not in a for a in br.values())


def test_the_head_office_keeps_the_branch_out_of_its_pool_internal_ports() -> None:
    fe = remotes("fe1")["front_end"]
    assert fe["seed-05"] == ("10.10.0.9", "10.10.0.11-10.10.0.12")
    assert fe["seed-06"] == ("10.10.0.11-10.10.0.12",)
    assert fe["seed-03"] == ("10.10.0.9", "10.10.0.11-10.10.0.12", "10.10.0.15")
    assert "192.168.50.10" in fe["seed-01"]


def test_a_mediation_server_reaches_its_next_hop_only() -> None:
    ho, br = remotes("fe1")["front_end"], remotes("br1")["front_end"]
    # med1's next hop is the head office; med2 names none: a Front End pool, any.
    assert "10.10.0.40" in ho["seed-01"] and "192.168.50.40" in ho["seed-01"]
    assert "10.10.0.40" not in br["seed-01"] and "192.168.50.40" in br["seed-01"]
    # Directors admit only the Mediation Servers whose next hop they are.
    director = remotes("dir1")["director"]["seed-45"]
    assert not {"10.10.0.40", "192.168.50.40"} & set(director)
    director = remotes("dir1", med1={"ocs_mediation_next_hop_pool": "dirs"})["director"]
    assert "10.10.0.40" in director["seed-45"]


def test_any_pool_calls_a_mediation_server_out() -> None:
    """The next hop narrows inbound rules only: outbound routes reach every Mediation
    Server, so a Front End's outbound SIP rule keeps them all, apart from its inbound."""
    found = remotes("br1", br1={"ocs_front_end_include_outbound": True})["front_end"]
    assert "10.10.0.40" not in found["seed-01"]
    assert "10.10.0.40" in found["seed-01/out"]


def test_a_server_of_pools_admits_the_pools_it_serves() -> None:
    every = remotes("arch1")["archiving"]["seed-44"]
    assert every == ("10.10.0.11-10.10.0.12", "192.168.50.10")
    ho = remotes("arch1", arch1={"ocs_archiving_pools": ["ho"]})["archiving"]["seed-44"]
    assert ho == ("10.10.0.11-10.10.0.12",)


def test_without_pools_nothing_narrows() -> None:
    nameless = {h: {"ocs_pool": None, "ocs_mediation_next_hop_pool": None} for h in ESTATE}
    sql = remotes("sql1", **nameless)["sql_backend"]["extra-sql-backend-1433"]
    assert sql == ("10.10.0.11-10.10.0.12", "192.168.50.10")


def test_a_pool_with_no_peer_in_it_is_said() -> None:
    groups, hostvars = estate(sql1={"ocs_pool": "elsewhere"})
    variables = hostvars["sql1"]
    found, problems = _host_request.host_request(
        variables["group_names"], variables, inventory=_scope.Inventory(groups, hostvars)
    )
    assert found is None
    assert problems[0].startswith(
        "ocs_firewall_scope: sql_backend entry extra-sql-backend-1433 (1433/TCP): none of its "
        "peers (front_end) has a host in the inventory in the pools it may reach (ocs_pool: "
        "elsewhere)"
    )


# ---- the preflight's view of the pools -----------------------------------------------------


def test_a_sound_estate_of_pools_has_no_problem() -> None:
    assert _preflight.pool_problems(*estate()) == {}


@pytest.mark.parametrize(
    ("changes", "host", "start"),
    [
        pytest.param(
            {"av1": {"ocs_pool": None}},
            "av1",
            "ocs_pool: is not set, and other servers name their pools: a server of "
            "av_conferencing is in a pool too",
            id="a-member-without-its-pool",
        ),
        pytest.param(
            {"arch1": {"ocs_archiving_pools": ["ho", "hq"]}},
            "arch1",
            'ocs_archiving_pools: ["hq"] names no pool of the inventory; its pools are br, '
            "dirs, ho",
            id="a-pool-served-that-is-not",
        ),
        pytest.param(
            {"med1": {"ocs_mediation_next_hop_pool": "h0"}},
            "med1",
            'ocs_mediation_next_hop_pool: "h0" is not the pool of a Front End Server or a '
            "Director of the inventory; those are br, dirs, ho",
            id="a-next-hop-that-is-not",
        ),
        pytest.param(
            {"br1": HO_ONLY},
            "br1",
            'ocs_firewall_load_balancer_addresses: ["10.10.0.9"] is the load balancer of pool '
            "ho, and this host is the one Front End Server of pool br, which needs none",
            id="another-pools-load-balancer",
        ),
    ],
)
def test_what_pools_must_hold_together(changes: dict[str, Any], host: str, start: str) -> None:
    problems = _preflight.pool_problems(*estate(**changes))
    assert list(problems) == [host]
    (problem,) = problems[host]
    assert problem.startswith(start), problem


def test_an_estate_without_pools_is_one_pool_and_asks_nothing() -> None:
    nameless = {h: {"ocs_pool": None, "ocs_mediation_next_hop_pool": None} for h in ESTATE}
    nameless["br1"] = {**nameless["br1"], **HO_ONLY}
    assert _preflight.pool_problems(*estate(**nameless)) == {}


# ---- the port matrix -----------------------------------------------------------------------


def test_the_load_balancer_rows_are_per_pool_and_a_pool_of_one_has_none() -> None:
    groups, hostvars = estate(
        fe1={"ocs_firewall_vips": {"front_end": "10.10.0.10"}},
        fe2={"ocs_firewall_vips": {"front_end": "10.10.0.10"}},
    )
    rows = _port_matrix.matrix(groups, hostvars)["load_balancers"]["rows"]
    front = [r for r in rows if r["balances"] == "front_end"]
    assert {r["pool"] for r in front} == {"ho"}
    assert {r["vip"] for r in front} == {"10.10.0.10"}
    assert all(not any(m.startswith("br1 ") for m in r["members"]) for r in front)
    # The Directors' array is a pool of one here: no load balancer row for it either.
    assert not [r for r in rows if r["balances"] == "director"]


def test_a_pool_whose_servers_give_different_virtual_ips_is_refused() -> None:
    groups, hostvars = estate(
        fe1={"ocs_firewall_vips": {"front_end": "10.10.0.10"}},
        fe2={"ocs_firewall_vips": {"front_end": "10.10.0.99"}},
    )
    with pytest.raises(InputError) as caught:
        _port_matrix.matrix(groups, hostvars)
    assert "the servers of pool ho give different virtual IPs" in str(caught.value)


def test_the_flows_of_a_pool_stay_in_it_in_the_matrix() -> None:
    groups, hostvars = estate()
    flows = _matrix_flows.flows(groups, hostvars)
    into_sql = {r["source"] for r in flows if r["destination"] == "sql1"}
    assert into_sql == {"fe1", "fe2"}
    into_branch_135 = {
        r["source"] for r in flows if r["destination"] == "br1" and r["ports"] == "135"
    }
    # Its own pool's servers only (itself: a flow to itself is no flow), and no load
    # balancer (the branch, a pool of one, has none: no flow from one).
    assert not into_branch_135 & set(ESTATE)
    assert not [r for r in flows if r["destination"] == "br1" and r["source"] == "load_balancers"]
    assert [r for r in flows if r["destination"] == "fe1" and r["source"] == "load_balancers"]


def test_the_catalogue_says_which_flows_stay_in_a_pool() -> None:
    """Every pool relation fits the parts the catalogue gives its two components."""
    servers = _catalogue.server_components()
    for entry in _catalogue.query(host_kind="server"):
        for peer, relation in entry["pool_scope"].items():
            assert peer in entry["peers"]
            assert relation in _catalogue.POOL_RELATIONS
            if relation == "same":
                assert servers[entry["component"]].pool == servers[peer].pool == "member"
    same = {e["id"] for e in _catalogue.query(["sql_backend"]) if e["pool_scope"]}
    assert same == {"extra-sql-backend-1433", "extra-sql-backend-1434"}
