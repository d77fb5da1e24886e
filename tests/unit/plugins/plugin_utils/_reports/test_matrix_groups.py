"""The port matrix grouped as network engineers write policy, and its flows' directions,
on the example estate and on a multi-server Enterprise estate (tests/data).

What the network team relies on: a grouped row stands for exactly the host-pair rows it
came from (nothing widened, nothing lost); the grouped tables are much shorter; each
object group is one role in one place; no flow goes a way the catalogue does not give
(the mirrored flows of a ``both`` entry); the reverse proxy is on both sides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from estates import ESTATES, load

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_flows,
    _matrix_groups,
    _port_matrix,
)


@pytest.fixture(scope="module", params=list(ESTATES))
def worked_out(request: pytest.FixtureRequest) -> dict[str, Any]:
    groups, hostvars = load(ESTATES[request.param])
    estate = _matrix_flows.Estate(groups, hostvars)
    rows = _matrix_flows.flows(groups, hostvars, estate=estate)
    grouped, object_groups = _matrix_groups.grouped(rows, estate.facts)
    return {
        "name": request.param,
        "groups": groups,
        "hostvars": hostvars,
        "estate": estate,
        "rows": rows,
        "grouped": grouped,
        "object_groups": object_groups,
    }


def pairs(rows: Sequence[Mapping[str, Any]]) -> set[tuple[str, ...]]:
    return {
        (
            r["source"],
            r["source_address"],
            r["destination"],
            r["destination_address"],
            r["ports"],
            r["transport"],
        )
        for r in rows
    }


def test_grouped_rows_stand_for_exactly_the_host_pair_rows(worked_out: dict[str, Any]) -> None:
    expanded = _matrix_groups.expand(worked_out["grouped"], worked_out["object_groups"])
    assert expanded == pairs(worked_out["rows"])


def test_one_grouped_row_per_destination_port_and_protocol_much_shorter(
    worked_out: dict[str, Any],
) -> None:
    grouped, rows = worked_out["grouped"], worked_out["rows"]
    keys = [(r["destination"], r["ports"], r["transport"]) for r in grouped]
    assert len(keys) == len(set(keys))
    # The host-pair list is the detailed export; the grouped one is what is read.
    assert len(grouped) * 2 < len(rows), (len(grouped), len(rows))


def test_each_object_group_is_one_role_in_one_place(worked_out: dict[str, Any]) -> None:
    estate = worked_out["estate"]
    kinds = _catalogue.peer_kinds()
    for group in worked_out["object_groups"]:
        hosts = {host for host, _address in group.members}
        if hosts <= set(kinds):
            assert len(hosts) == 1, group
            continue
        facts = {(tuple(sorted(estate.facts(h)[0])), estate.facts(h)[1]) for h in hosts}
        assert len(facts) == 1, (group.name, facts)
    names = [g.name for g in worked_out["object_groups"]]
    assert len(names) == len(set(names))


def test_every_connection_a_server_makes_has_a_listener(worked_out: dict[str, Any]) -> None:
    # An outbound fact with no server taking it inbound is a mirrored flow: the catalogue's
    # peer_directions must say so (seed-01's Front End never calls a client).
    unheard = {
        (c.source, c.destination, c.entry["id"], c.transport) for c in worked_out["estate"].unheard
    }
    assert unheard == set()


def held_by(worked_out: dict[str, Any], key: str) -> set[str]:
    return set(worked_out["groups"].get(f"ocs_{key}", ()))


def test_no_mirrored_flows(worked_out: dict[str, Any]) -> None:
    rows = worked_out["rows"]
    pool_servers = held_by(worked_out, "front_end") | held_by(worked_out, "director")
    edges = held_by(worked_out, "edge")
    proxies = held_by(worked_out, "reverse_proxy")
    # The Front End and the Director never call a client on 5060-5061.
    assert not [
        r
        for r in rows
        if r["source"] in pool_servers
        and r["destination"] == "internal_clients"
        and r["ports"] in ("5060-5061", "5060", "5061")
    ]
    # The Edge's internal side takes SIP on 5061 only, from its next hops.
    to_edge = [r for r in rows if r["destination"] in edges and r["transport"] == "TCP"]
    assert {r["ports"] for r in to_edge if r["source"] in pool_servers} <= {
        "5061",
        "443",
        "5062",
        "8057",
    }
    assert not [r for r in to_edge if r["ports"].startswith("5060")]
    # The reverse proxy takes external users only, and calls the Web Components and CWA.
    assert not [r for r in rows if r["source"] in proxies and r["destination"] == "external_users"]
    into_proxy = [r for r in rows if r["destination"] in proxies]
    assert {r["source"] for r in into_proxy} == {"external_users"}


def test_the_reverse_proxy_is_on_both_sides_at_each_sides_address(
    worked_out: dict[str, Any],
) -> None:
    rows = worked_out["rows"]
    for proxy in held_by(worked_out, "reverse_proxy"):
        variables = worked_out["hostvars"][proxy]
        external = set(variables["ocs_reverse_proxy_external_addresses"])
        internal = set(variables["ocs_reverse_proxy_internal_addresses"])
        inbound = [r for r in rows if r["destination"] == proxy]
        assert inbound and {r["destination_address"] for r in inbound} == external
        assert {r["destination_zone"] for r in inbound} == {"perimeter_external"}
        outbound = [r for r in rows if r["source"] == proxy]
        assert {r["source_address"] for r in outbound} == internal
        assert {r["source_zone"] for r in outbound} == {"perimeter_internal"}
        assert {r["ports"] for r in outbound} == {"443"}
        called = {r["destination"] for r in outbound if not r["destination"].endswith("balancers")}
        assert called == held_by(worked_out, "web_components") | held_by(worked_out, "cwa")


def test_load_balancer_rows_only_for_components_with_more_than_one_member(
    worked_out: dict[str, Any],
) -> None:
    found = _port_matrix.matrix(worked_out["groups"], worked_out["hostvars"])
    balanced = {r["balances"] + "/" + r["pool"] for r in found["load_balancers"]["rows"]}
    estate = worked_out["estate"]
    wanted = set()
    for key in ("front_end", "director", "edge"):
        by_pool: dict[str, int] = {}
        for host in held_by(worked_out, key):
            by_pool[estate.inventory.pool(host)] = by_pool.get(estate.inventory.pool(host), 0) + 1
        wanted |= {f"{key}/{pool}" for pool, count in by_pool.items() if count > 1}
    assert balanced == wanted


def test_each_row_says_whether_its_direction_is_stated_or_inferred(
    worked_out: dict[str, Any],
) -> None:
    entries = {e["id"]: e for e in _catalogue.query()}
    for row in worked_out["rows"]:
        basis = row["basis"]
        assert basis == "stated" or basis.startswith("inferred: "), basis
        if basis != "stated":
            named = basis.removeprefix("inferred: ").split(", ")
            assert set(named) <= set(row["catalogue_ids"]) and all(n in entries for n in named)
