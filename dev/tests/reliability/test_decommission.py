"""Taking a component off a host closes its ports on the next site.yml run, and only its.

The inventory is the truth: a host removed from an ``ocs_<component>`` group gets the
collection's rules of that component removed, from the component's default group or from
a group holding only rules the collection built from the catalogue, unless
``ocs_firewall_remove_unassigned`` is false. Rules the collection did not make stay, even
in that group, and so do groups of ``win_firewall_rules`` tasks (marked ``[ocs.firewall]``,
not from the catalogue). ``--check --diff`` shows what would go and changes nothing.

Hosts, each converged with its first inventory, then given a second one:

* dec-remove: Front End + Edge -> Front End (a hand-made rule sits in the Edge group);
* dec-keep: Front End + Edge -> Front End, with ``ocs_firewall_remove_unassigned: false``;
* dec-custom: Front End in its own group + Director -> Director (``ocs_front_end_group``
  still names the group); it also has a group made by a win_firewall_rules task;
* dec-last: Front End -> no component group at all, but still in ocs_servers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.rules import host_rules, is_owned

FE_GROUP = "OCS 2007 R2 - Front End"
EDGE_GROUP = "OCS 2007 R2 - Edge"
DIRECTOR_GROUP = "OCS 2007 R2 - Director"
CUSTOM_GROUP = "Contoso OCS Front End"
TASK_GROUP = "Contoso OCS - task rules"
HAND_MADE = "Contoso STUN probe (hand-made)"
EDGE_VARS = {
    "ocs_edge_internal_addresses": ["192.0.2.30"],
    "ocs_edge_external_addresses": ["198.51.100.30"],
}
HOSTS = ("dec-remove", "dec-keep", "dec-custom", "dec-last")
FIRST = {
    "ocs_front_end": {
        "dec-remove": {
            "ocs_lab_foreign_rules": [
                {"name": HAND_MADE, "group": EDGE_GROUP, "protocol": 17, "local_ports": "3478"}
            ]
        },
        "dec-keep": None,
        "dec-custom": {"ocs_front_end_group": CUSTOM_GROUP},
        "dec-last": None,
    },
    "ocs_edge": {"dec-remove": EDGE_VARS, "dec-keep": EDGE_VARS},
    "ocs_director": {"dec-custom": None},
}
SECOND = {
    "ocs_front_end": {
        "dec-remove": None,
        "dec-keep": {"ocs_firewall_remove_unassigned": False},
    },
    # The Front End's own group stays named for the run that takes the component off:
    # a group is the collection's only when a component's variable names it.
    "ocs_director": {"dec-custom": {"ocs_front_end_group": CUSTOM_GROUP}},
    # Still an OCS server, with no component any more.
    "ocs_servers": {"dec-last": None},
}
TASK_RULES = [
    {"name": "Contoso monitoring agent", "local_ports": 6100, "description": "agent"},
    {"name": "Contoso backup", "local_ports": "10000-10001"},
]


@pytest.fixture(scope="module")
def decommission(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    repo_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    estate = {"all": {"children": {g: {"hosts": dict(m)} for g, m in FIRST.items()}}}
    lab = start_lab(estate, name="decommission")
    site = repo_root / "playbooks" / "site.yml"
    start = lab.dump()
    runs: dict[str, Any] = {}
    dumps: dict[str, Any] = {"start": start}
    runs["converge"] = play(site, lab.inventory)
    runs["task_group"] = play(
        f"""
        - hosts: dec-custom
          gather_facts: false
          tasks:
            - name: A group of the user's own rules
              ocs.firewall.win_firewall_rules:
                group: "{TASK_GROUP}"
                rules: {json.dumps(TASK_RULES)}
        """,
        lab.inventory,
    )
    dumps["converge"] = lab.dump()
    second = lab.regroup(tmp_path_factory.mktemp("decommission") / "second.yml", SECOND)
    lab.trace(reset=True)
    runs["check"] = play(site, second, "--check", "--diff")
    dumps["check"] = lab.dump()
    # The Front End comes off two hosts at once (dec-custom, dec-last): the removal guard
    # waits for this yes (test_ownership.py shows it waiting).
    runs["remove"] = play(site, second, extra_vars={"ocs_firewall_confirm_removals": True})
    dumps["remove"] = lab.dump()
    runs["again"] = play(site, second)
    dumps["again"] = lab.dump()
    return {"runs": runs, "dumps": dumps}


def _group(dump: dict[str, Any], host: str, group: str, owned: bool = True) -> list[Any]:
    return [r for r in host_rules(dump, host) if r["grouping"] == group and is_owned(r) == owned]


def _result(decommission: dict[str, Any], run: str, host: str) -> dict[str, Any]:
    record = decommission["runs"][run].host_results()[host]
    result: dict[str, Any] = record["result"]
    return result


@pytest.mark.parametrize("run", ["converge", "task_group", "check", "remove", "again"])
def test_runs_succeed(decommission: dict[str, Any], run: str) -> None:
    assert decommission["runs"][run].rc == 0, decommission["runs"][run].tail()


def test_converge_put_every_group_in_place(decommission: dict[str, Any]) -> None:
    dump = decommission["dumps"]["converge"]
    for host, group in [
        ("dec-remove", FE_GROUP),
        ("dec-remove", EDGE_GROUP),
        ("dec-keep", EDGE_GROUP),
        ("dec-custom", CUSTOM_GROUP),
        ("dec-custom", DIRECTOR_GROUP),
        ("dec-last", FE_GROUP),
    ]:
        assert _group(dump, host, group), (host, group)
    assert len(_group(dump, "dec-custom", TASK_GROUP)) == len(TASK_RULES)


def test_component_taken_off_is_emptied_of_our_rules(decommission: dict[str, Any]) -> None:
    converged, removed = decommission["dumps"]["converge"], decommission["dumps"]["remove"]
    assert _group(removed, "dec-remove", EDGE_GROUP) == []
    # The hand-made rule in that group, and the component the host keeps, are untouched.
    assert _group(removed, "dec-remove", EDGE_GROUP, owned=False) == _group(
        converged, "dec-remove", EDGE_GROUP, owned=False
    )
    assert [r["name"] for r in _group(removed, "dec-remove", EDGE_GROUP, owned=False)] == [
        HAND_MADE
    ]
    assert _group(removed, "dec-remove", FE_GROUP) == _group(converged, "dec-remove", FE_GROUP)
    groups = _result(decommission, "remove", "dec-remove")["groups"]
    edge = groups[EDGE_GROUP]
    assert (edge["reason"], edge["component"], edge["changed"]) == ("unassigned", "edge", True)
    assert sorted(edge["removed"]) == sorted(
        r["name"] for r in _group(converged, "dec-remove", EDGE_GROUP)
    )
    assert edge["foreign"] == [HAND_MADE]
    assert groups[FE_GROUP]["changed"] is False


def test_remove_unassigned_false_keeps_the_rules(decommission: dict[str, Any]) -> None:
    converged, removed = decommission["dumps"]["converge"], decommission["dumps"]["remove"]
    assert _group(removed, "dec-keep", EDGE_GROUP) == _group(converged, "dec-keep", EDGE_GROUP)
    result = _result(decommission, "remove", "dec-keep")
    assert not result["changed"]
    assert EDGE_GROUP not in result["groups"]


def test_group_of_catalogue_rules_is_emptied_and_task_group_kept(
    decommission: dict[str, Any],
) -> None:
    converged, removed = decommission["dumps"]["converge"], decommission["dumps"]["remove"]
    assert _group(removed, "dec-custom", CUSTOM_GROUP) == []
    assert _group(removed, "dec-custom", TASK_GROUP) == _group(converged, "dec-custom", TASK_GROUP)
    assert _group(removed, "dec-custom", DIRECTOR_GROUP) == _group(
        converged, "dec-custom", DIRECTOR_GROUP
    )
    custom = _result(decommission, "remove", "dec-custom")["groups"][CUSTOM_GROUP]
    assert (custom["reason"], custom["changed"]) == ("unassigned", True)


def test_check_diff_shows_what_would_go_and_changes_nothing(decommission: dict[str, Any]) -> None:
    assert decommission["dumps"]["check"] == decommission["dumps"]["converge"]
    converged = decommission["dumps"]["converge"]
    result = _result(decommission, "check", "dec-remove")
    assert result["changed"]
    edge = [r["name"] for r in _group(converged, "dec-remove", EDGE_GROUP)]
    assert sorted(result["groups"][EDGE_GROUP]["removed"]) == sorted(edge)
    # The diff: an item per rule that would go, naming the host, the group and the rule.
    prefix = f"dec-remove | {EDGE_GROUP} | "
    items = [i for i in result["diff"][1:] if i["before_header"].startswith(prefix)]
    names = [i["before_header"][len(prefix) :].rsplit(" (", 1)[0] for i in items]
    assert sorted(names) == sorted(edge)
    assert all(i["after"] == "" and "(would be removed" in i["before_header"] for i in items)
    check = decommission["runs"]["check"]
    assert {r["host"] for r in check.records if r.get("changed")} == {
        "dec-remove",
        "dec-custom",
        "dec-last",
    }


def test_decommission_is_done_once(decommission: dict[str, Any]) -> None:
    again = decommission["runs"]["again"]
    assert not [r for r in again.records if r.get("changed")]
    assert decommission["dumps"]["again"] == decommission["dumps"]["remove"]


@pytest.mark.parametrize("step", ["converge", "check", "remove", "again"])
def test_rules_we_did_not_make_untouched(decommission: dict[str, Any], step: str) -> None:
    start, now = decommission["dumps"]["start"], decommission["dumps"][step]
    for host in HOSTS:
        theirs = [r for r in host_rules(now, host) if not is_owned(r)]
        assert theirs == [r for r in host_rules(start, host) if not is_owned(r)], host


def test_host_taken_off_its_last_component(decommission: dict[str, Any]) -> None:
    assert _group(decommission["dumps"]["remove"], "dec-last", FE_GROUP) == []
