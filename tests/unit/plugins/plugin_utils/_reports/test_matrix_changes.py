"""The change between two estates (plugins/plugin_utils/_reports/_matrix_changes.py).

The matrices are built by hand, with the fields the port matrix's rows carry: a test names
the behaviour (a flow added, removed, kept, moved in its table; a load balancer's member
added; a baseline that is not a port matrix), not a copy of a real estate.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _matrix_changes

NAME = 'baseline: "old/port-matrix.json"'


def flow(source: str, destination: str, ports: str = "5061", **fields: Any) -> dict[str, Any]:
    address = {"fe01": "10.10.0.11", "dir01": "10.10.0.30", "dir02": "10.10.0.31"}
    return {
        "source_zone": "internal",
        "source": source,
        "source_address": address.get(source, "10.20.0.0/16"),
        "destination_zone": "internal",
        "destination": destination,
        "destination_address": address.get(destination, "10.20.0.0/16"),
        "ports": ports,
        "transport": "TCP",
        "direction": "within",
        "purpose": "SIP",
        "catalogue_ids": ["seed-45"],
        **fields,
    }


def balancer(members: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "load_balancer": "Director load balancer",
        "pool": "",
        "balances": "director",
        "interface": "internal",
        "vip": "10.10.0.39",
        "members": members,
        "ports": "5061",
        "transport": "TCP",
        "direction": "inbound",
        "purpose": "SIP",
        "catalogue_id": "seed-70",
        **fields,
    }


def client(ports: str = "443", **fields: Any) -> dict[str, Any]:
    return {
        "client": "Office Communicator",
        "ports": ports,
        "transport": "TCP",
        "direction": "outbound",
        "purpose": "HTTPS",
        "catalogue_id": "seed-60",
        **fields,
    }


def matrix(
    internal: list[dict[str, Any]],
    perimeter: list[dict[str, Any]] | None = None,
    balancers: list[dict[str, Any]] | None = None,
    clients: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    def table(key: str, title: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "key": key,
            "title": title,
            "file": f"port-matrix-{key}",
            "columns": [],
            "rows": rows,
        }

    return {
        "boundaries": [
            table("internal", "Internal network", internal),
            table("perimeter_internal", "Perimeter network, internal side", perimeter or []),
        ],
        "load_balancers": table("load_balancers", "Load balancers", balancers or []),
        "clients": table("clients", "Client requirements", clients or [client()]),
    }


def changed(baseline: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    checked = _matrix_changes.checked_baseline(json.loads(json.dumps(baseline)), NAME)
    table = _matrix_changes.changes(checked, current)
    assert table["key"] == "changes" and table["file"] == "port-matrix-changes"
    assert [c["key"] for c in table["columns"]][:2] == ["action", "table"]
    rows: list[dict[str, Any]] = table["rows"]
    return rows


def test_the_same_matrix_gives_no_change() -> None:
    current = matrix(
        [flow("fe01", "dir01"), flow("dir01", "fe01")], balancers=[balancer(["dir01 10.10.0.30"])]
    )
    assert changed(current, copy.deepcopy(current)) == []


def test_reordered_rows_and_a_changed_purpose_or_id_are_no_change() -> None:
    baseline = matrix([flow("fe01", "dir01"), flow("dir01", "fe01"), flow("clients", "fe01")])
    current = matrix(
        [
            flow("clients", "fe01"),
            flow("dir01", "fe01", purpose="SIP, and more", catalogue_ids=["seed-01", "seed-45"]),
            flow("fe01", "dir01", transport="tcp"),
        ]
    )
    assert changed(baseline, current) == []


def test_an_added_flow_is_an_accept_row_with_its_fields_and_table() -> None:
    baseline = matrix([flow("fe01", "dir01")])
    new = flow("fe01", "dir02")
    (row,) = changed(baseline, matrix([flow("fe01", "dir01"), new]))
    assert row == {
        **new,
        "action": "Accept",
        "table": "internal",
        "table_title": "Internal network",
    }


def test_a_removed_flow_is_a_drop_row_and_accept_rows_come_first() -> None:
    baseline = matrix(
        [flow("fe01", "dir01"), flow("fe01", "dir02")], perimeter=[flow("dir01", "edge01")]
    )
    current = matrix([flow("fe01", "dir01"), flow("fe01", "dir01", ports="443")])
    rows = changed(baseline, current)
    assert [(r["action"], r["table"], r["destination"], r["ports"]) for r in rows] == [
        ("Accept", "internal", "dir01", "443"),
        ("Drop", "internal", "dir02", "5061"),
        ("Drop", "perimeter_internal", "edge01", "5061"),
    ]


def test_a_flow_at_another_address_is_one_drop_and_one_accept() -> None:
    baseline = matrix([flow("fe01", "dir01")])
    current = matrix([flow("fe01", "dir01", destination_address="10.10.0.32")])
    rows = changed(baseline, current)
    assert [(r["action"], r["destination_address"]) for r in rows] == [
        ("Accept", "10.10.0.32"),
        ("Drop", "10.10.0.30"),
    ]


def test_a_load_balancers_new_member_is_one_accept_row_for_that_member() -> None:
    baseline = matrix([], balancers=[balancer(["dir01 10.10.0.30"])])
    current = matrix([], balancers=[balancer(["dir01 10.10.0.30", "dir02 10.10.0.31"])])
    (row,) = changed(baseline, current)
    assert row["action"] == "Accept" and row["table"] == "load_balancers"
    assert row["members"] == ["dir02 10.10.0.31"]
    assert (row["source"], row["source_address"]) == ("Director load balancer", "10.10.0.39")
    assert (row["destination"], row["destination_address"]) == ("dir02", "10.10.0.31")
    assert row["catalogue_ids"] == ["seed-70"]


def test_a_new_vip_replaces_the_load_balancers_rows_and_a_pool_is_named() -> None:
    baseline = matrix([], balancers=[balancer(["(no host in ocs_director)"], pool="p1")])
    current = matrix([], balancers=[balancer(["dir01 10.10.0.30"], pool="p1", vip="10.10.0.40")])
    rows = changed(baseline, current)
    assert [(r["action"], r["source"], r["destination"]) for r in rows] == [
        ("Accept", "Director load balancer (pool p1)", "dir01"),
        ("Drop", "Director load balancer (pool p1)", "(no host in ocs_director)"),
    ]
    assert rows[1]["destination_address"] == ""


def test_a_client_requirement_changes_by_its_ports() -> None:
    baseline = matrix([], clients=[client("443")])
    rows = changed(baseline, matrix([], clients=[client("443"), client("5061")]))
    assert [(r["action"], r["table"], r["source"], r["ports"]) for r in rows] == [
        ("Accept", "clients", "Office Communicator", "5061")
    ]
    assert rows[0]["catalogue_ids"] == ["seed-60"]


def test_a_boundary_the_baseline_lacks_has_every_row_accepted() -> None:
    baseline = matrix([flow("fe01", "dir01")])
    del baseline["boundaries"][1]
    rows = changed(baseline, matrix([flow("fe01", "dir01")], perimeter=[flow("dir01", "edge01")]))
    assert [(r["action"], r["table"]) for r in rows] == [("Accept", "perimeter_internal")]


def test_the_baseline_as_text() -> None:
    baseline = matrix([flow("fe01", "dir01")])
    checked = _matrix_changes.baseline_from_text(json.dumps(baseline), NAME)
    assert checked == baseline


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "its top level is a list, not a mapping"),
        ({"hosts": []}, "it has no boundaries, no load_balancers, no clients"),
        ({**matrix([]), "boundaries": {}}, "boundaries is not a list of tables"),
        ({**matrix([]), "clients": "x"}, "clients is not a table"),
        (
            {**matrix([]), "load_balancers": {"key": "load_balancers"}},
            "load_balancers.rows is not a list",
        ),
        (matrix([{"source": "fe01"}]), "boundaries[0].rows[0] has no text for source_address"),
        (matrix(["fe01"]), "boundaries[0].rows[0] is not a mapping"),  # type: ignore[list-item]
        (matrix([], balancers=[balancer("dir01")]), "load_balancers.rows[0].members is not a list"),  # type: ignore[arg-type]
        (matrix([], clients=[client(ports=443)]), "clients.rows[0] has no text for ports"),  # type: ignore[arg-type]
    ],
)
def test_a_malformed_baseline_is_refused_naming_the_option_and_each_problem(
    data: Any, words: str
) -> None:
    with pytest.raises(InputError) as raised:
        _matrix_changes.checked_baseline(data, NAME)
    message = str(raised.value)
    assert message.startswith(f"{NAME} is not a port matrix (an earlier run's port-matrix.json): ")
    assert words in message
    assert all(p.startswith(f"{NAME}: ") for p in raised.value.problems)


def test_a_boundary_listed_twice_is_refused() -> None:
    data = matrix([])
    data["boundaries"].append(copy.deepcopy(data["boundaries"][0]))
    with pytest.raises(InputError, match="boundaries\\[2\\]: boundary 'internal' is listed twice"):
        _matrix_changes.checked_baseline(data, NAME)


def test_many_problems_are_all_kept_and_five_listed() -> None:
    data = matrix([{"source": str(n)} for n in range(8)])
    with pytest.raises(InputError) as raised:
        _matrix_changes.checked_baseline(data, NAME)
    assert len(raised.value.problems) == 8
    assert str(raised.value).endswith("(and 3 more)")


def test_text_that_is_not_json_is_refused_naming_the_option() -> None:
    with pytest.raises(InputError) as raised:
        _matrix_changes.baseline_from_text("boundaries: []", NAME)
    assert str(raised.value).startswith(f"{NAME} is not JSON (")
