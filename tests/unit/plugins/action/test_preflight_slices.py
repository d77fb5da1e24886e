"""preflight over part of the estate (an AWX slice): exact with the whole estate's address
book, or refused with what to do; and the book itself, made over the whole inventory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from labhost import LabHost, example_inventory, run_action

from ansible_collections.ocs.firewall.plugins.action.preflight import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _preflight
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _slices

WHOLE = example_inventory()
# The example estate's hosts by name, as AWX orders them; slice 1 of 3 holds every third.
NAMES = sorted(WHOLE["hostvars"])


def part(number: int, count: int = 3) -> dict[str, Any]:
    """``groups`` and ``hostvars`` of slice ``number`` of ``count``, as AWX makes it."""
    kept = NAMES[number - 1 :: count]
    return {
        "groups": {g: [h for h in hosts if h in kept] for g, hosts in WHOLE["groups"].items()},
        "hostvars": {h: dict(WHOLE["hostvars"][h]) for h in kept},
    }


def preflight(
    inventory: dict[str, Any], args: dict[str, Any] | None = None, **run_vars: Any
) -> dict[str, Any]:
    """The preflight over ``inventory``'s hosts, ``run_vars`` given as extra variables (in
    every host's variables)."""
    hostvars = {h: {**v, **run_vars} for h, v in inventory["hostvars"].items()}
    first = next(iter(hostvars))
    lab = LabHost()
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        lab,
        {"hosts": None, **(args or {})},
        task_vars={
            **hostvars[first],
            "inventory_hostname": first,
            "groups": inventory["groups"],
            "hostvars": hostvars,
            "ansible_play_hosts_all": list(hostvars),
        },
    )
    assert lab.commands == []
    return result


@pytest.fixture(scope="module")
def book() -> dict[str, Any]:
    result = preflight(WHOLE, {"snapshot": True})
    assert not result.get("failed"), result.get("msg")
    return dict(result["snapshot"])


def test_the_book_holds_every_server_of_the_whole_inventory(book: dict[str, Any]) -> None:
    assert book["format"] == 1 and book["servers"] == len(NAMES) == 12
    assert book["made"].endswith("+00:00")
    assert book["book"]["director"] == {
        "dir01.ocs.example": {"addresses": ["10.10.0.30"], "pool": "dir01"}
    }
    # It survives JSON, as AWX carries it and as the file holds it.
    assert json.loads(json.dumps(book)) == book


def test_a_slice_with_the_book_plans_every_rule_as_the_whole_inventory_does(
    book: dict[str, Any],
) -> None:
    whole = preflight(WHOLE)
    for number in (1, 2, 3):
        inventory = part(number)
        result = preflight(inventory, ocs_firewall_address_book=book)
        assert not result.get("failed") and result["problems"] == {}, result.get("msg")
        assert result["address_book"] == whole["address_book"]
        for host in inventory["hostvars"]:
            variables = {**inventory, **inventory["hostvars"][host]}
            alone = {**variables, "ocs_firewall_preflight": whole}
            sliced = {**variables, "ocs_firewall_preflight": result}
            assert (
                _host_request.task_request(sliced, inventory["hostvars"][host]).remotes
                == _host_request.task_request(alone, WHOLE["hostvars"][host]).remotes
            ), host


def test_a_slice_without_the_book_is_refused_once_with_what_to_do() -> None:
    # As AWX runs each slice: a job of the workflow the sliced job becomes.
    result = preflight(part(1), awx_workflow_job_id=7)
    assert result["failed"] is True
    assert list(result["problems"]) == ["(play vars)"]
    (cause,) = result["causes"]
    assert cause["msg"].startswith(
        "(play vars): this inventory looks like one slice of a job: it runs in an AWX "
        "workflow (awx_workflow_job_id 7), as every slice of a sliced job does, and hosts "
    )
    assert (
        "hosts of it are scoped from the inventory (ocs_firewall_scope: inventory)"
        in (cause["msg"])
    )
    assert "ocs_firewall_address_book" in cause["msg"]
    assert "set ocs_firewall_slice: false" in cause["msg"]
    # It stops every host of the play.
    assert sorted(cause["hosts"]) == sorted(part(1)["hostvars"])


def test_an_empty_component_group_is_no_slice() -> None:
    """The last Mediation Server taken out of its group (decommissioned): the group stays,
    empty, in the whole inventory, as a slice's groups do; the run is no slice."""
    inventory = {"groups": dict(WHOLE["groups"]), "hostvars": dict(WHOLE["hostvars"])}
    inventory["groups"]["ocs_mediation"] = []
    host = "med01.ocs.example"
    inventory["hostvars"][host] = {
        **WHOLE["hostvars"][host],
        "group_names": [g for g in WHOLE["hostvars"][host]["group_names"] if g != "ocs_mediation"],
    }
    result = preflight(inventory)
    assert not result.get("failed"), result.get("msg")


def test_a_job_of_an_awx_workflow_looks_like_a_slice() -> None:
    result = preflight(WHOLE, awx_workflow_job_id=42)
    assert result["failed"] is True
    assert "it runs in an AWX workflow (awx_workflow_job_id 42)" in result["msg"]
    # Said to be the whole estate, it runs.
    result = preflight(WHOLE, awx_workflow_job_id=42, ocs_firewall_slice=False)
    assert not result.get("failed"), result.get("msg")


def test_a_slice_whose_rules_depend_on_no_other_host_runs_without_the_book() -> None:
    inventory = part(2)
    for variables in inventory["hostvars"].values():
        variables["ocs_firewall_scope"] = "any"
        variables.pop("ocs_pool", None)
    result = preflight(inventory)
    assert not result.get("failed"), result.get("msg")
    # Pools named: the run needs the whole estate's.
    inventory = part(2)
    for variables in inventory["hostvars"].values():
        variables["ocs_firewall_scope"] = "any"
    result = preflight(inventory, ocs_firewall_slice=True)
    assert result["failed"] is True
    assert result["msg"].startswith("1 problem, no host was contacted: (play vars): ")
    assert (
        "ocs_firewall_slice is true, and its servers name their pools (ocs_pool)" in (result["msg"])
    )


def test_a_stale_book_stops_the_run_naming_what_changed(book: dict[str, Any]) -> None:
    inventory = part(1)
    host = next(h for h in inventory["hostvars"] if h.startswith("gc01"))
    inventory["hostvars"][host]["ocs_firewall_address"] = "10.10.0.61"
    result = preflight(inventory, ocs_firewall_address_book=book)
    assert result["failed"] is True
    assert (
        f"ocs_firewall_address_book: the address book made {book['made']} is stale, what this "
        f"inventory says of its own hosts differs: {host} (group_chat) is 10.10.0.61 here, "
        "10.10.0.60 in the snapshot. Make it again over the whole inventory"
    ) in result["msg"]
    # A server the book does not hold.
    inventory = part(1)
    newer = {**book, "book": {k: dict(v) for k, v in book["book"].items()}}
    del newer["book"]["archiving"]["arch01.ocs.example"]
    result = preflight(inventory, ocs_firewall_address_book=newer)
    assert "arch01.ocs.example is not in it" in result["msg"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", '"yes" is not a dictionary'),
        ({"format": 2, "book": {}}, "its format is 2; this release reads format 1"),
        ({"format": 1}, "it has no book"),
        ({"format": 1, "book": {"frontend": {}}}, '"frontend" is not a server component'),
        (
            {"format": 1, "book": {"director": {"dir01": {"addresses": "10.0.0.1"}}}},
            'dir01 as director: addresses "10.0.0.1" is not a list of addresses',
        ),
    ],
)
def test_a_book_that_is_not_one_is_refused(value: Any, expected: str) -> None:
    result = preflight(part(1), ocs_firewall_address_book=value)
    assert result["failed"] is True
    bad = "ocs_firewall_address_book: is not an address book made by playbooks/address_book.yml"
    assert bad in result["msg"]
    assert expected in result["msg"]


def test_the_book_is_read_from_its_file(book: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_text(json.dumps(book), encoding="utf-8")
    result = preflight(part(3), ocs_firewall_address_book_file=str(path))
    assert not result.get("failed"), result.get("msg")
    missing = preflight(part(3), ocs_firewall_address_book_file=str(tmp_path / "none.json"))
    assert "ocs_firewall_address_book_file: " in missing["msg"]
    assert "cannot be read (No such file or directory)" in missing["msg"]
    path.write_text("{not json", encoding="utf-8")
    broken = preflight(part(3), ocs_firewall_address_book_file=str(path))
    assert "is not JSON" in broken["msg"]


def test_a_book_is_not_made_from_a_slice() -> None:
    result = preflight(part(2), {"snapshot": True}, ocs_firewall_slice=True)
    assert result["failed"] is True and "snapshot" not in result
    assert "a snapshot of it would not be the whole estate's" in result["msg"]


def test_the_pools_of_the_other_slices_count_with_the_book(book: dict[str, Any]) -> None:
    """Slice 4 of 4 holds the head office pool's back end and the Edge, and no Front End of
    the pool: with the book, the pool and the Edge's peers are the whole estate's."""
    inventory = part(4, 4)
    assert sorted(inventory["hostvars"]) == [
        "edge01.ocs.example",
        "med01.ocs.example",
        "sql01.ocs.example",
    ]
    result = preflight(inventory, ocs_firewall_address_book=book)
    assert not result.get("failed"), result.get("msg")
    # Judged on the slice alone, it is not.
    result = preflight(inventory, ocs_firewall_slice=False)
    assert result["failed"] is True
    assert "edge entry seed-54 (8057/TCP): none of its peers" in result["msg"]


class _Heavy(dict[str, Any]):
    """A host's variables whose snapshot must not be read."""

    def __getitem__(self, name: str) -> Any:
        if name == _slices.SNAPSHOT:
            raise AssertionError("the snapshot was templated for a host")
        return super().__getitem__(name)


def test_the_book_is_not_read_on_every_host() -> None:
    variables = _Heavy({_slices.SNAPSHOT: {"format": 1, "book": {}}, "ocs_firewall_scope": "any"})
    assert _preflight.variable_problems(variables) == []
