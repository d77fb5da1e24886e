"""The collection changes only the rules it made: every other rule stays byte-identical.

A rule is the collection's when its description ends with the ownership marker
(``[ocs.firewall catalogue <id>]`` for catalogue rules, ``[ocs.firewall]`` for
win_firewall_rules rules); only such rules, and only in the groups it manages, are ever
changed or removed.

A host carrying two components (Front End and Edge) starts with the lab's built-in Windows
rules, the rules OCS activation made, rules added by hand, foreign rules that share their
names with rules the collection creates (in OCS set-up's group, in no group, in groups
whose names only look like ours) and hand-made rules without the marker INSIDE the
collection's own groups, one of them with the very name of one of our rules (a second
host holds one whose description quotes the marker mid-text). After converge, a
win_firewall_rules task's rules added to the Front End group and purged (the catalogue's
rules of the group stay: they are win_ocs_firewall's), one task rule removed by a name
foreign groups also use, and state absent (with the yes the removal guard asks for: two
hosts lose their components), a full dump of the host's firewall shows every rule the
collection did not make exactly as before, in the same order; after state absent (and the
task rules removed) the whole firewall equals the starting one. A user naming the
built-in Remote Desktop group (``@FirewallAPI.dll,-28752``) is refused, and that group is
never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.rules import is_owned

from .conftest import PLAN_TASK, PREFLIGHT_TASK

HOST = "own01"
# Its one extra rule, named like one of ours in our group, quotes the marker in the middle
# of its description.
QUOTING_HOST = "own02"
HOSTS = (HOST, QUOTING_HOST)
FE_GROUP = "OCS 2007 R2 - Front End"
EDGE_GROUP = "OCS 2007 R2 - Edge"
OURS = (FE_GROUP, EDGE_GROUP)
REMOTE_DESKTOP = "@FirewallAPI.dll,-28752"
ROLE_VARS = {
    "ocs_edge_internal_addresses": ["192.0.2.20"],
    "ocs_edge_external_addresses": ["198.51.100.20", "198.51.100.21"],
}
HAND_MADE = "Contoso hand-made rule in the OCS group"
HAND_MADE_EDGE = "Contoso STUN probe"
# A name two foreign groups use, that a task also gives a rule of its own in the Edge group.
SHARED = "Contoso shared name"
# The rules a win_firewall_rules task writes into the Front End group.
TASK_RULES = [f"Contoso task rule {n}" for n in range(1, 5)]


def _estate(foreign: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Every host of ``foreign`` in both groups; its foreign rules as lab host vars."""
    fe = {h: ({"ocs_lab_foreign_rules": rules} if rules else None) for h, rules in foreign.items()}
    edge = {h: dict(ROLE_VARS) for h in foreign}
    return {"all": {"children": {"ocs_front_end": {"hosts": fe}, "ocs_edge": {"hosts": edge}}}}


def _theirs(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rule the collection did not make, in store order."""
    return [r for r in rules if not (r["grouping"] in OURS and is_owned(r))]


def _text(rules: list[dict[str, Any]]) -> str:
    return json.dumps(rules, ensure_ascii=False)


def _ours(rules: list[dict[str, Any]], group: str) -> list[str]:
    return [r["name"] for r in rules if r["grouping"] == group and is_owned(r)]


@pytest.fixture(scope="module")
def our_names(
    start_lab: Callable[..., Any], play: Callable[..., Any], repo_root: Path
) -> dict[str, list[str]]:
    """The names site.yml would create on such a host (a --check run on a scratch lab)."""
    scratch = start_lab(_estate({"scratch01": []}), name="ownership-scratch")
    run = play(repo_root / "playbooks" / "site.yml", scratch.inventory, "--check")
    assert run.rc == 0, run.tail()
    record = run.host_results()["scratch01"]
    names = {g: [r["name"] for r in rules] for g, rules in record["result"]["rules"].items()}
    assert set(names) == set(OURS) and all(names.values()), names
    return names


@pytest.fixture(scope="module")
def owned_lab(start_lab: Callable[..., Any], our_names: dict[str, list[str]]) -> Any:
    fe, edge = our_names[FE_GROUP], our_names[EDGE_GROUP]
    foreign = [
        # Same name as ours, in the group OCS activation uses (the lab's default group).
        {"name": fe[0], "local_ports": "5061", "description": "made by OCS set-up"},
        # Same name, no group at all, another protocol.
        {"name": fe[1], "group": "", "protocol": 17, "local_ports": "1"},
        # Same name as ours with other letter case, in a look-alike group. A block rule
        # on one port: on every port it would block WinRM too, and the lab's hosts
        # enforce their firewall on the controller's connections, as Windows does.
        {
            "name": fe[2].upper(),
            "group": FE_GROUP + " (legacy)",
            "action": 0,
            "local_ports": "5062",
        },
        {"name": edge[0], "group": EDGE_GROUP + " (legacy)", "remote_addresses": "10.9.9.9"},
        # Same name twice, in two foreign groups.
        {"name": edge[1], "group": "Contoso perimeter"},
        {"name": edge[1], "group": "Contoso perimeter 2", "enabled": 0},
        {"name": SHARED, "group": "Contoso perimeter"},
        {"name": SHARED, "group": "Contoso perimeter 2", "local_ports": "7"},
        # Hand-made rules INSIDE our groups (no marker): one with a name of its own, one
        # with the very name of one of our rules (and a description that mentions us
        # without the marker), one in the Edge group with an empty description.
        {
            "name": HAND_MADE,
            "group": FE_GROUP,
            "local_ports": "8443",
            "description": "added by hand; not managed by ocs.firewall",
        },
        {
            "name": fe[3],
            "group": FE_GROUP,
            "local_ports": "5061",
            "remote_addresses": "10.1.0.0/16",
            "description": "hand-made, same name as an ocs.firewall rule",
        },
        {"name": HAND_MADE_EDGE, "group": EDGE_GROUP, "protocol": 17, "local_ports": "3478"},
    ]
    quoting = [
        {
            "name": fe[0],
            "group": FE_GROUP,
            "local_ports": "5061",
            "description": "Copy of an [ocs.firewall catalogue seed-01] rule, edited by hand",
        }
    ]
    return start_lab(_estate({HOST: foreign, QUOTING_HOST: quoting}), name="ownership")


STEPS = ["converge", "purge", "converge_again", "absent_one", "built_in", "absent"]


def _task_rules(names: list[str]) -> str:
    return json.dumps([{"name": n, "local_ports": 9000 + i} for i, n in enumerate(names)])


def _purge_play(keep: list[str]) -> str:
    return f"""
    - hosts: {",".join(HOSTS)}
      gather_facts: false
      tasks:
        - name: Four rules of a task in the Front End group, beside the catalogue's
          ocs.firewall.win_firewall_rules:
            group: "{FE_GROUP}"
            rules: {_task_rules(TASK_RULES)}
        - name: A rule of a task in the Edge group, named like two foreign rules
          ocs.firewall.win_firewall_rules:
            group: "{EDGE_GROUP}"
            rules: {json.dumps([{"name": SHARED, "local_ports": 9999}])}
        - name: Keep three of the task's rules, purge the rest of the group
          ocs.firewall.win_firewall_rules:
            group: "{FE_GROUP}"
            rules: {_task_rules(keep)}
            purge: true
    """


def _absent_one_play(shared: str) -> str:
    return f"""
    - hosts: {",".join(HOSTS)}
      gather_facts: false
      tasks:
        - name: Remove one rule whose name foreign groups also use
          ocs.firewall.win_firewall_rules:
            group: "{EDGE_GROUP}"
            rules: {json.dumps([{"name": shared}])}
            state: absent
            purge: false
    """


def _tasks_absent_play() -> str:
    return f"""
    - hosts: {",".join(HOSTS)}
      gather_facts: false
      tasks:
        - name: Remove every rule the tasks wrote in the collection's groups
          ocs.firewall.win_firewall_rules:
            group: "{{{{ item }}}}"
            state: absent
          loop: {json.dumps(list(OURS))}
    """


def _built_in_play() -> str:
    """Every way a user can name the group: each task must be refused on every host."""
    built_in = json.dumps(REMOTE_DESKTOP)
    return f"""
    - hosts: {",".join(HOSTS)}
      gather_facts: false
      tasks:
        - name: Empty the Remote Desktop group
          ocs.firewall.win_firewall_rules:
            group: {built_in}
            rules: []
            purge: true
          ignore_errors: true
        - name: Remove every rule of the Remote Desktop group
          ocs.firewall.win_firewall_rules:
            group: {built_in}
            state: absent
          ignore_errors: true
        - name: Put a component in the Remote Desktop group
          ocs.firewall.win_ocs_firewall:
            components:
              front_end: {{group: {built_in}}}
          ignore_errors: true
        - name: Take a component out of the Remote Desktop group
          ocs.firewall.win_ocs_firewall:
            components:
              front_end: {{group: {built_in}, state: absent}}
          ignore_errors: true
    """


@pytest.fixture(scope="module")
def journey(
    owned_lab: Any, play: Callable[..., Any], repo_root: Path, our_names: dict[str, list[str]]
) -> dict[str, Any]:
    """Converge, purge, remove one name, converge again, try the built-in group, state
    absent; dump (and count the commands) after each."""
    site = repo_root / "playbooks" / "site.yml"
    inv = owned_lab.inventory
    dumps: dict[str, Any] = {"start": owned_lab.dump()}
    runs: dict[str, Any] = {}
    commands: dict[str, dict[str, int]] = {}

    def step(name: str, *runs_of_step: Callable[[], Any]) -> None:
        owned_lab.trace(reset=True)
        runs[name] = [run() for run in runs_of_step]
        commands[name] = owned_lab.commands()
        dumps[name] = owned_lab.dump()

    keep = TASK_RULES[:3]
    shared = SHARED
    built_in_vars = {"ocs_front_end_group": REMOTE_DESKTOP, "ocs_front_end_state": "absent"}
    step("converge", lambda: play(site, inv))
    step("purge", lambda: play(_purge_play(keep), inv))
    step("converge_again", lambda: play(site, inv))
    step("absent_one", lambda: play(_absent_one_play(shared), inv))
    step(
        "built_in",
        lambda: play(_built_in_play(), inv),
        lambda: play(site, inv, "-e", json.dumps(built_in_vars)),
    )
    absent = ["-e", "ocs_front_end_state=absent", "-e", "ocs_edge_state=absent"]
    step(
        "absent",
        # Two hosts lose both components: the removal guard waits for the yes.
        lambda: play(site, inv, *absent),
        lambda: play(site, inv, *absent, "-e", "ocs_firewall_confirm_removals=true"),
        lambda: play(_tasks_absent_play(), inv),
    )
    return {"dumps": dumps, "runs": runs, "commands": commands, "keep": keep, "shared": shared}


def _rules(journey: dict[str, Any], step: str, host: str = HOST) -> list[dict[str, Any]]:
    return list(journey["dumps"][step][host]["rules"])


@pytest.mark.parametrize("step", [s for s in STEPS if s not in ("built_in", "absent")])
def test_step_succeeds(journey: dict[str, Any], step: str) -> None:
    (run,) = journey["runs"][step]
    assert run.rc == 0, run.tail()


def test_state_absent_on_two_hosts_waits_for_the_yes_then_goes_through(
    journey: dict[str, Any],
) -> None:
    held, confirmed, tasks = journey["runs"]["absent"]
    assert held.rc != 0
    (guard,) = [r for r in held.records if r["task"].endswith("until it is confirmed")]
    assert guard["result"]["waits"] is True
    assert "it takes front_end off 2 hosts" in guard["result"]["msg"]
    assert confirmed.rc == 0, confirmed.tail()
    assert tasks.rc == 0, tasks.tail()


@pytest.mark.parametrize("step", STEPS)
def test_rules_we_did_not_make_byte_identical(journey: dict[str, Any], step: str) -> None:
    assert _text(_theirs(_rules(journey, step))) == _text(_theirs(_rules(journey, "start")))


@pytest.mark.parametrize("step", STEPS)
def test_hand_made_rules_inside_our_groups_survive(
    journey: dict[str, Any], step: str, our_names: dict[str, list[str]]
) -> None:
    def inside(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rules if r["grouping"] in OURS and not is_owned(r)]

    start = inside(_rules(journey, "start"))
    assert sorted(r["name"] for r in start) == sorted(
        [HAND_MADE, our_names[FE_GROUP][3], HAND_MADE_EDGE]
    )
    assert _text(inside(_rules(journey, step))) == _text(start)


def test_start_has_foreign_rules_sharing_our_names(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    start = _rules(journey, "start")
    ours = {n.lower() for names in our_names.values() for n in names}
    sharing = [r for r in start if r["name"].lower() in ours]
    assert len(sharing) == 7
    assert not [r for r in start if is_owned(r)]


def test_converge_fills_our_groups_once(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    rules = _rules(journey, "converge")
    for group in OURS:
        assert sorted(_ours(rules, group)) == sorted(our_names[group])


def test_converge_reports_the_hand_made_rules_as_foreign(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    (run,) = journey["runs"]["converge"]
    record = run.host_results()[HOST]
    groups = record["result"]["groups"]
    assert sorted(groups[FE_GROUP]["foreign"]) == sorted([HAND_MADE, our_names[FE_GROUP][3]])
    assert groups[EDGE_GROUP]["foreign"] == [HAND_MADE_EDGE]
    warnings = run.stdout + run.stderr
    assert "rule(s) the collection did not make, left as they are" in warnings
    assert HAND_MADE in warnings


def test_purge_keeps_only_listed(journey: dict[str, Any], our_names: dict[str, list[str]]) -> None:
    """A task's purge removes the task's unlisted rule, never the catalogue's."""
    rules = _rules(journey, "purge")
    assert sorted(_ours(rules, FE_GROUP)) == sorted([*journey["keep"], *our_names[FE_GROUP]])
    assert sorted(_ours(rules, EDGE_GROUP)) == sorted([SHARED, *our_names[EDGE_GROUP]])


def test_absent_one_removes_only_ours(
    journey: dict[str, Any], our_names: dict[str, list[str]]
) -> None:
    rules = _rules(journey, "absent_one")
    assert sorted(_ours(rules, EDGE_GROUP)) == sorted(our_names[EDGE_GROUP])
    assert len([r for r in rules if r["name"] == journey["shared"]]) == 2


def test_absent_restores_the_starting_firewall(journey: dict[str, Any]) -> None:
    start, end = journey["dumps"]["start"][HOST], journey["dumps"]["absent"][HOST]
    assert json.dumps(end, ensure_ascii=False) == json.dumps(start, ensure_ascii=False)


def test_built_in_group_is_refused_on_every_host(journey: dict[str, Any]) -> None:
    tasks_run, site_run = journey["runs"]["built_in"]
    refused = [r for r in tasks_run.records if r["event"] == "failed"]
    assert sorted((r["host"], r["task"]) for r in refused) == sorted(
        (h, t)
        for h in HOSTS
        for t in (
            "Empty the Remote Desktop group",
            "Remove every rule of the Remote Desktop group",
            "Put a component in the Remote Desktop group",
            "Take a component out of the Remote Desktop group",
        )
    )
    for record in refused:
        assert REMOTE_DESKTOP in record["msg"] and "built-in" in record["msg"], record["msg"]
    assert site_run.rc != 0
    (preflight,) = [r for r in site_run.records if r["task"] == PREFLIGHT_TASK]
    for host in HOSTS:
        (problem,) = preflight["result"]["problems"][host]
        assert problem.startswith("ocs_front_end_group: ") and REMOTE_DESKTOP in problem, problem
    # One value of every host: one cause, said once, and each host fails on its own with it.
    (cause,) = preflight["result"]["causes"]
    assert cause["msg"].endswith(f": {problem}") and set(cause["hosts"]) == set(HOSTS)
    failed = [r for r in site_run.records if r["event"] == "failed"]
    assert sorted(r["host"] for r in failed) == sorted(HOSTS)
    assert all(r["task"] == PLAN_TASK and cause["msg"] in r["msg"] for r in failed)


def test_built_in_group_untouched(journey: dict[str, Any]) -> None:
    """No command at all reached a host while the group was named, and the Remote
    Desktop rule is the same at every step (for both hosts)."""
    assert journey["commands"]["built_in"] == {h: 0 for h in HOSTS}
    assert journey["dumps"]["built_in"] == journey["dumps"]["absent_one"]
    for host in HOSTS:
        start = [r for r in _rules(journey, "start", host) if r["grouping"] == REMOTE_DESKTOP]
        assert start, "the lab host has no Remote Desktop rule"
        for step in STEPS:
            now = [r for r in _rules(journey, step, host) if r["grouping"] == REMOTE_DESKTOP]
            assert _text(now) == _text(start), step


def test_hand_made_rule_quoting_the_marker_is_left_alone(journey: dict[str, Any]) -> None:
    """A description that quotes the marker mid-text is not the collection's: the host
    (which retires by the same test as the controller) leaves the rule alone even when
    our rule of the same name in that group is replaced (purge) and removed (absent)."""

    def quoting(step: str) -> list[dict[str, Any]]:
        return [
            r
            for r in _rules(journey, step, QUOTING_HOST)
            if r["description"].startswith("Copy of an [ocs.firewall")
        ]

    start = quoting("start")
    assert len(start) == 1
    for step in STEPS:
        assert _text(quoting(step)) == _text(start), f"changed at step {step}"
