"""playbooks/site.yml on the example estate, as an ops team runs it, against lab hosts.

What a user relies on: ``--check`` reports the changes and applies nothing; a converge
gives each host exactly its components' groups, with Edge rules bound to the right
interface; a second run changes nothing with one command per host, however many
components the host has; a component taken off a host has its ports closed (and
``--check --diff`` shows it first); a wrong variable anywhere stops the run before any
host is contacted, with every problem of every host reported; rules the collection did
not make stay byte-identical, even inside its groups.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

from .conftest import preflight_stop

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"
OWNED_PREFIX = "OCS 2007 R2 - "
MARKER = "[ocs.firewall"
REMOTE_DESKTOP = "@FirewallAPI.dll,-28752"
FE_GROUP = "OCS 2007 R2 - Front End"
MEDIATION_GROUP = "OCS 2007 R2 - Mediation"
COLLOCATED = "se01.ocs.example"  # Front End, A/V, Web Conferencing, Web Components, Mediation
HAND_MADE = {
    "name": "Backup agent (made by hand)",
    "group": FE_GROUP,
    "local_ports": 10000,
    "description": "placed in the collection's group by an administrator",
}

Run = Callable[..., PlaybookRun]


def _example() -> dict[str, Any]:
    inventory: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return inventory


def _apply_results(run: PlaybookRun) -> dict[str, dict[str, Any]]:
    return run.host_results()


def _commands(lab: Lab) -> dict[str, list[str]]:
    return {host: [e["op"] for e in entries] for host, entries in lab.trace().items()}


def _components_per_host() -> Counter[str]:
    """How many ocs_* groups (components) each example host is in."""
    held: Counter[str] = Counter()
    for group, body in _example()["all"]["children"].items():
        if group.startswith("ocs_") and group != "ocs_servers":
            for host in (body or {}).get("hosts", {}):
                held[host] += 1
    return held


def _group_rules(dump: dict[str, Any], host: str, group: str) -> list[dict[str, Any]]:
    return [r for r in dump[host]["rules"] if r["grouping"] == group]


def _without(lab: Lab, group: str, host: str, path: Path) -> Lab:
    """The same lab hosts with an inventory where ``host`` is no longer in ``group``."""
    inventory = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))

    def walk(node: dict[str, Any]) -> None:
        for name, child in (node.get("children") or {}).items():
            if name == group:
                child["hosts"].pop(host)
            walk(child or {})

    walk(inventory["all"])
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return dataclasses.replace(lab, inventory=path)


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab]) -> Lab:
    inventory = _example()
    # An administrator's rule inside the collection's Front End group.
    fe01 = inventory["all"]["children"]["ocs_front_end"]["hosts"]
    fe01["fe01.ocs.example"] = {"ocs_lab_foreign_rules": [HAND_MADE]}
    return start_lab(inventory, "mixed")


def test_check_mode_reports_changes_and_applies_nothing(estate: Lab, run_playbook: Run) -> None:
    before = estate.dump()
    estate.reset_trace()

    run = run_playbook(SITE, estate, None, "--check", "--diff")

    assert run.rc == 0, run.stdout[-3000:]
    applies = _apply_results(run)
    assert set(applies) == set(_components_per_host())
    assert all(r["status"] == "changed" for r in applies.values())
    assert estate.dump() == before
    # Check mode only reads: one command per host, whatever its number of components.
    assert _commands(estate) == {host: ["read"] for host in _components_per_host()}
    assert "OCS Front End 5060-5061/TCP In (seed-01)" in run.stdout  # the diff names rules


def test_converge_then_second_run_is_one_command_per_host(estate: Lab, run_playbook: Run) -> None:
    estate.reset_trace()
    first = run_playbook(SITE, estate)
    assert first.rc == 0, first.stdout[-3000:]
    assert all(r["status"] == "changed" for r in _apply_results(first).values())
    # Cold: one read and one apply per host, a collocated host too.
    assert _commands(estate) == {host: ["read", "apply"] for host in _components_per_host()}

    estate.reset_trace()
    second = run_playbook(SITE, estate)

    assert second.rc == 0, second.stdout[-3000:]
    assert {r["status"] for r in _apply_results(second).values()} == {"ok"}
    commands = _commands(estate)
    assert commands == {host: ["read"] for host in _components_per_host()}
    assert _components_per_host()[COLLOCATED] == 5 and commands[COLLOCATED] == ["read"]
    groups = _apply_results(second)[COLLOCATED]["result"]["groups"]
    assert sorted(g["component"] for g in groups.values()) == sorted(
        ["front_end", "av_conferencing", "web_conferencing", "web_components", "mediation"]
    )


def test_a_hand_made_rule_inside_our_group_survives_byte_identical(
    estate: Lab, run_playbook: Run
) -> None:
    run = run_playbook(SITE, estate, None, "--limit", "fe01.ocs.example")
    assert run.rc == 0, run.stdout[-3000:]
    rules = _group_rules(estate.dump(), "fe01.ocs.example", FE_GROUP)
    hand_made = [r for r in rules if r["name"] == HAND_MADE["name"]]
    assert hand_made == [
        {
            **hand_made[0],
            "description": HAND_MADE["description"],
            "local_ports": "10000",
            "grouping": FE_GROUP,
        }
    ]
    assert all(MARKER in r["description"] for r in rules if r is not hand_made[0])
    # The user is told about it.
    result = _apply_results(run)["fe01.ocs.example"]["result"]
    assert result["groups"][FE_GROUP]["foreign"] == [HAND_MADE["name"]]
    assert HAND_MADE["name"] in run.stdout + run.stderr


def test_a_component_taken_off_a_host_has_its_ports_closed(
    estate: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    converged = run_playbook(SITE, estate)
    assert converged.rc == 0, converged.stdout[-3000:]
    mediation = _group_rules(estate.dump(), COLLOCATED, MEDIATION_GROUP)
    assert len(mediation) == 4
    lab = _without(estate, "ocs_mediation", COLLOCATED, tmp_path / "inventory.yml")
    before = estate.dump()

    check = run_playbook(SITE, lab, None, "--check", "--diff", "--limit", COLLOCATED)

    assert check.rc == 0, check.stdout[-3000:]
    assert estate.dump() == before
    groups = _apply_results(check)[COLLOCATED]["result"]["groups"]
    assert groups[MEDIATION_GROUP]["reason"] == "unassigned"
    assert sorted(groups[MEDIATION_GROUP]["removed"]) == sorted(r["name"] for r in mediation)
    # The host's other rules stay; those its Mediation Server was a peer of (the scope is
    # the inventory's) lose its address.
    naming = {e["id"] for e in _catalogue.query(host_kind="server") if "mediation" in e["peers"]}
    for name, group in groups.items():
        if name != MEDIATION_GROUP:
            assert group["added"] == [] and group["removed"] == [], name
            assert {r.rsplit("(", 1)[1].rstrip(")") for r in group["updated"]} <= naming
    for rule in mediation:  # the diff names every rule that goes
        assert rule["name"] in check.stdout

    estate.reset_trace()
    applied = run_playbook(SITE, lab, None, "--limit", COLLOCATED)

    assert applied.rc == 0, applied.stdout[-3000:]
    after = estate.dump()
    assert _group_rules(after, COLLOCATED, MEDIATION_GROUP) == []
    assert _commands(estate)[COLLOCATED] == ["read", "apply"]
    # Nothing else changed, on this host or any other.
    assert {h: d for h, d in after.items() if h != COLLOCATED} == {
        h: d for h, d in before.items() if h != COLLOCATED
    }
    # An updated rule is replaced (new before old goes), so only the order may differ.
    kept = [r for r in after[COLLOCATED]["rules"] if r["grouping"] != MEDIATION_GROUP]
    assert sorted(r["name"] for r in kept) == sorted(
        r["name"] for r in before[COLLOCATED]["rules"] if r["grouping"] != MEDIATION_GROUP
    )


@pytest.mark.parametrize(
    ("extra_vars", "named", "value"),
    [
        (
            {"ocs_edge_internal_addresses": ["10.10.1.999"]},
            "ocs_edge_internal_addresses",
            "10.10.1.999",
        ),
        ({"ocs_front_end_profiles": ["domain", "work"]}, "ocs_front_end_profiles", "work"),
        ({"ocs_mediation_state": "gone"}, "ocs_mediation_state", "gone"),
        ({"ocs_sql_backend_include_extras": "maybe"}, "ocs_sql_backend_include_extras", "maybe"),
    ],
    ids=["bad-ip", "unknown-profile", "unknown-state", "not-a-boolean"],
)
def test_bad_variable_stops_before_any_host_is_touched(
    start_lab: Callable[..., Lab],
    run_playbook: Run,
    extra_vars: dict[str, Any],
    named: str,
    value: str,
) -> None:
    lab = start_lab(_example(), "basic")
    lab.reset_trace()

    run = run_playbook(SITE, lab, extra_vars)

    assert run.rc != 0
    message = preflight_stop(run)["msg"]
    assert named in message and value in message
    assert all(not entries for entries in lab.trace().values()), "a host was contacted"
    # No host was planned (each failed or was skipped before its read), none applied.
    assert not [r for r in run.records if r["task"].endswith(APPLY_TASK)]


def test_every_problem_of_every_host_in_one_run(
    start_lab: Callable[..., Lab], run_playbook: Run
) -> None:
    inventory = _example()
    children = inventory["all"]["children"]
    children["ocs_edge"]["hosts"]["edge01.ocs.example"]["ocs_edge_internal_addresses"] = [
        "10.10.1.999"
    ]
    children["ocs_edge"]["hosts"]["edge01.ocs.example"]["ocs_edge_profiles"] = ["work"]
    children["ocs_archiving"]["hosts"]["arch01.ocs.example"] = {"ocs_archiving_state": "gone"}
    lab = start_lab(inventory, "basic")
    lab.reset_trace()

    run = run_playbook(SITE, lab)

    assert run.rc != 0
    preflight = preflight_stop(run)
    problems = preflight["problems"]
    assert {"arch01.ocs.example", "edge01.ocs.example"} <= set(problems)
    assert len(problems["edge01.ocs.example"]) == 2
    # The scope is the inventory's: each host with rules for the Edge names it as a peer
    # it cannot scope; the full reason is the Edge's own, and said once, with them.
    for host in set(problems) - {"arch01.ocs.example", "edge01.ocs.example"}:
        assert all("edge01.ocs.example (ocs_edge)" in p for p in problems[host]), host
    message = preflight["msg"]
    assert message.startswith("3 problems, no host was contacted:\n")
    for text in (
        'edge01.ocs.example: ocs_edge_internal_addresses: "10.10.1.999"',
        "need this address)",
        'edge01.ocs.example: ocs_edge_profiles: "work"',
        'arch01.ocs.example: ocs_archiving_state: "gone"',
    ):
        assert text in message
    # The failures are the Edge's and the Archiving Server's, on them.
    assert set(preflight["stops"]) == {"arch01.ocs.example", "edge01.ocs.example"}
    assert all(not entries for entries in lab.trace().values()), "a host was contacted"


@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [
        (
            {"ocs_mediation_group": "ocs 2007 r2 - FRONT END"},
            ["ocs_mediation_group", "ocs_front_end_group"],
        ),
        ({"ocs_front_end_group": REMOTE_DESKTOP}, ["ocs_front_end_group", REMOTE_DESKTOP]),
    ],
    ids=["two-components-one-group", "built-in-group"],
)
def test_group_clashes_and_built_in_groups_are_refused(
    start_lab: Callable[..., Lab], run_playbook: Run, extra_vars: dict[str, Any], named: list[str]
) -> None:
    lab = start_lab(_example(), "basic")
    before = lab.dump()
    lab.reset_trace()

    run = run_playbook(SITE, lab, extra_vars)

    assert run.rc != 0
    preflight = preflight_stop(run)
    for text in named:
        assert text in preflight["msg"]
    # se01 holds Front End and Mediation: it is stopped, on its own.
    assert "se01.ocs.example" in preflight["stops"]
    assert all(not entries for entries in lab.trace().values()), "a host was contacted"
    after = lab.dump()
    assert after == before
    remote_desktop = [r for r in after[COLLOCATED]["rules"] if r["grouping"] == REMOTE_DESKTOP]
    assert remote_desktop, "the lab hosts carry the built-in Remote Desktop rules"
