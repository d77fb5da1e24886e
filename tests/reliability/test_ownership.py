"""The collection changes only its own rule groups: every other rule stays byte-identical.

A host carrying two roles (Front End and Edge) starts with the lab's built-in Windows
rules, the rules OCS activation made, hand-made rules, and foreign rules that share their
names with rules the roles create (in OCS set-up's group, in no group, and in groups
whose names only look like ours). After converge, purge, and state absent, a full dump of
the host's firewall shows every rule outside the collection's groups exactly as before,
in the same order; after state absent the whole firewall equals the starting one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HOST = "own01"
FE_GROUP = "OCS 2007 R2 - Front End"
EDGE_GROUP = "OCS 2007 R2 - Edge"
OURS = (FE_GROUP, EDGE_GROUP)
ROLE_VARS = {
    "ocs_edge_internal_addresses": ["192.0.2.20"],
    "ocs_edge_external_addresses": ["198.51.100.20", "198.51.100.21"],
}


def _estate(host: str, foreign: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    fe_vars: dict[str, Any] = {"ocs_lab_foreign_rules": foreign} if foreign else {}
    return {
        "all": {
            "children": {
                "ocs_front_end": {"hosts": {host: fe_vars or None}},
                "ocs_edge": {"hosts": {host: dict(ROLE_VARS)}},
            }
        }
    }


def _foreign(rules: list[dict[str, Any]]) -> str:
    """Every rule outside our groups, in store order, as exact text."""
    return json.dumps([r for r in rules if r["grouping"] not in OURS], ensure_ascii=False)


def _names(rules: list[dict[str, Any]], group: str) -> list[str]:
    return [r["name"] for r in rules if r["grouping"] == group]


@pytest.fixture(scope="module")
def our_names(
    start_lab: Callable[..., Any], play: Callable[..., Any], repo_root: Path
) -> dict[str, list[str]]:
    """The names the roles would create on such a host (a --check run on a scratch lab)."""
    scratch = start_lab("ownership-scratch", _estate("scratch01"))
    run = play(repo_root / "playbooks" / "site.yml", scratch.inventory, "--check")
    assert run.rc == 0, run.tail()
    names: dict[str, list[str]] = {}
    for record in run.records:
        if record["event"] == "ok" and record["action"].endswith("win_firewall_rules"):
            rules = record["result"].get("rules", [])
            # Both roles run the same shared task; the rule names tell the components apart.
            group = EDGE_GROUP if rules and rules[0]["name"].startswith("OCS Edge") else FE_GROUP
            names[group] = [r["name"] for r in rules]
    assert set(names) == set(OURS) and all(names.values()), names
    return names


@pytest.fixture(scope="module")
def owned_host(start_lab: Callable[..., Any], our_names: dict[str, list[str]]) -> Any:
    fe, edge = our_names[FE_GROUP], our_names[EDGE_GROUP]
    foreign = [
        # Same name as ours, in the group OCS activation uses (the lab's default group).
        {"name": fe[0], "local_ports": "5061", "description": "made by OCS set-up"},
        # Same name, no group at all, another protocol.
        {"name": fe[1], "group": "", "protocol": 17, "local_ports": "1"},
        # Same name as ours with other letter case, in a look-alike group.
        {"name": fe[2].upper(), "group": FE_GROUP + " (legacy)", "action": 0},
        {"name": edge[0], "group": EDGE_GROUP + " (legacy)", "remote_addresses": "10.9.9.9"},
        # Same name twice, in two foreign groups.
        {"name": edge[1], "group": "Contoso perimeter"},
        {"name": edge[1], "group": "Contoso perimeter 2", "enabled": 0},
    ]
    return start_lab("ownership", _estate(HOST, foreign))


@pytest.fixture(scope="module")
def journey(
    owned_host: Any, play: Callable[..., Any], repo_root: Path, our_names: dict[str, list[str]]
) -> dict[str, Any]:
    """Converge, purge, remove one name, converge again, state absent; dump after each."""
    site = repo_root / "playbooks" / "site.yml"
    inv = owned_host.inventory
    dumps: dict[str, Any] = {"start": owned_host.dump(HOST)[HOST]}
    runs: dict[str, Any] = {}

    runs["converge"] = play(site, inv)
    dumps["converge"] = owned_host.dump(HOST)[HOST]

    keep = our_names[FE_GROUP][:3]
    runs["purge"] = play(
        f"""
        - hosts: {HOST}
          gather_facts: false
          tasks:
            - name: Keep three Front End rules, purge the rest of the group
              ocs.firewall.win_firewall_rules:
                group: "{FE_GROUP}"
                rules: {json.dumps([{"name": n} for n in keep])}
                purge: true
        """,
        inv,
    )
    dumps["purge"] = owned_host.dump(HOST)[HOST]

    runs["converge_again"] = play(site, inv)
    dumps["converge_again"] = owned_host.dump(HOST)[HOST]

    shared = our_names[EDGE_GROUP][1]
    runs["absent_one"] = play(
        f"""
        - hosts: {HOST}
          gather_facts: false
          tasks:
            - name: Remove one rule whose name foreign groups also use
              ocs.firewall.win_firewall_rules:
                group: "{EDGE_GROUP}"
                rules: {json.dumps([{"name": shared}])}
                state: absent
                purge: false
        """,
        inv,
    )
    dumps["absent_one"] = owned_host.dump(HOST)[HOST]

    runs["absent"] = play(
        site, inv, "-e", "ocs_front_end_state=absent", "-e", "ocs_edge_state=absent"
    )
    dumps["absent"] = owned_host.dump(HOST)[HOST]
    return {"dumps": dumps, "runs": runs, "keep": keep, "shared": shared}


STEPS = ["converge", "purge", "converge_again", "absent_one", "absent"]


@pytest.mark.parametrize("step", STEPS)
def test_step_succeeds(journey: dict[str, Any], step: str) -> None:
    run = journey["runs"][step]
    assert run.rc == 0, run.tail()


@pytest.mark.parametrize("step", STEPS)
def test_foreign_rules_byte_identical(journey: dict[str, Any], step: str) -> None:
    start = journey["dumps"]["start"]["rules"]
    after = journey["dumps"][step]["rules"]
    assert _foreign(after) == _foreign(start)


def test_start_has_foreign_rules_sharing_our_names(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    start = journey["dumps"]["start"]["rules"]
    ours = {n.lower() for names in our_names.values() for n in names}
    sharing = [r for r in start if r["name"].lower() in ours]
    assert len(sharing) == 6
    assert not [r for r in start if r["grouping"] in OURS]


def test_converge_fills_our_groups_once(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    rules = journey["dumps"]["converge"]["rules"]
    for group in OURS:
        assert sorted(_names(rules, group)) == sorted(our_names[group])


def test_purge_keeps_only_listed(journey: dict[str, Any], our_names: dict[str, list[str]]) -> None:
    rules = journey["dumps"]["purge"]["rules"]
    assert sorted(_names(rules, FE_GROUP)) == sorted(journey["keep"])
    assert sorted(_names(rules, EDGE_GROUP)) == sorted(our_names[EDGE_GROUP])


def test_absent_one_removes_only_ours(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    rules = journey["dumps"]["absent_one"]["rules"]
    expected = [n for n in our_names[EDGE_GROUP] if n != journey["shared"]]
    assert sorted(_names(rules, EDGE_GROUP)) == sorted(expected)
    assert len([r for r in rules if r["name"] == journey["shared"]]) == 2


def test_absent_restores_the_starting_firewall(journey: dict[str, Any]) -> None:
    start, end = journey["dumps"]["start"], journey["dumps"]["absent"]
    assert json.dumps(end, ensure_ascii=False) == json.dumps(start, ensure_ascii=False)
