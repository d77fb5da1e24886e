"""Two runs on one host: an apply made from an outdated read changes nothing.

Every apply carries the digest of the rules it was planned from; a host whose rules
changed since (another run, an administrator) replies STALE and changes nothing. The
action then reads again and plans again from what the host holds: the later run never
duplicates or undoes the earlier one's work, and a plan made again removes no more than
the plan that was reviewed.
"""

from __future__ import annotations

from typing import Any

from labhost import LabHost, lab_rule, run_action
from ocs_lab.seed import initial_state
from test_win_firewall_rules import ENVELOPE, GROUP
from test_win_firewall_rules import run_warned as rules_task
from test_win_ocs_firewall import Templar, converge
from test_win_ocs_firewall import task_vars as host_vars

from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership

SERVERS = _catalogue.server_components()
HOST = "se01.ocs.example"
FE_GROUP = SERVERS["front_end"].group


def task_vars(**overrides: Any) -> dict[str, Any]:
    return host_vars(HOST, **overrides)


def before_the_first_apply(host: LabHost, other: Any) -> Any:
    """An execute that runs ``other()`` (another run, a person) once, just before the
    first apply reaches the host."""
    done: list[bool] = []

    def execute(cmd: str, **kwargs: Any) -> dict[str, Any]:
        if b"\nOP\tapply\n" in kwargs["in_data"] and not done:
            done.append(True)
            other()
        return host.execute(cmd, **kwargs)

    return execute


def run(host: LabHost, variables: dict[str, Any], execute: Any, **args: Any) -> tuple[Any, Any]:
    result, display = run_action(
        ActionModule,
        "ocs.firewall.win_ocs_firewall",
        host,
        {"components": None, "remove_unassigned": None, **args},
        task_vars=variables,
        templar=Templar(),
        execute=execute,
    )
    return result, [c.args[0] for c in display.warning.call_args_list]


def rule_set(host: LabHost) -> list[tuple[str, str, str]]:
    return sorted((r["grouping"], r["name"], r["description"]) for r in host.rules)


def test_a_run_that_finds_another_run_has_done_the_work_adds_nothing() -> None:
    host = LabHost(state=initial_state())
    alone = LabHost(state=initial_state())
    converge(alone, task_vars())

    def other_run() -> None:
        result, _warnings = converge(LabHost(state=host.state), task_vars())
        assert result["changed"], result

    result, warned = run(host, task_vars(), before_the_first_apply(host, other_run))
    assert not result.get("failed"), result
    # Its apply was refused (outdated read), it read again and found nothing to do.
    assert (result["changed"], result["in_sync"], result["replans"]) == (False, True, 1)
    assert [r.op for r in host.requests] == ["read", "apply", "read"]
    assert any(
        f"the firewall of {HOST} changed between the read and the apply" in w
        and "reading it and planning again" in w
        for w in warned
    ), warned
    # One set of rules, as one run alone makes it: nothing twice.
    assert rule_set(host) == rule_set(alone)


def test_a_run_applies_what_is_left_after_a_partial_change_by_someone_else() -> None:
    host = LabHost(state=initial_state())
    alone = LabHost(state=initial_state())
    converge(alone, task_vars())

    def someone_adds_one_of_ours_and_drops_a_foreign_rule() -> None:
        # Another run that got as far as the Front End's group, with a hand-made rule
        # removed by an administrator in the meantime.
        partial = LabHost(state=host.state)
        converge(partial, task_vars(group_names=["ocs_front_end"]), {"remove_unassigned": False})

    result, _warned = run(
        host,
        task_vars(),
        before_the_first_apply(host, someone_adds_one_of_ours_and_drops_a_foreign_rule),
    )
    assert not result.get("failed"), result
    assert result["changed"] and result["replans"] == 1
    # Planned again, only what the other run had not done is added.
    assert FE_GROUP not in {g for g, s in result["groups"].items() if s["added"]}
    assert rule_set(host) == rule_set(alone)


def test_a_host_that_changes_at_every_apply_fails_after_three_reads() -> None:
    host = LabHost(state=initial_state())
    before: list[list[tuple[str, str, str]]] = []
    count = [0]

    def execute(cmd: str, **kwargs: Any) -> dict[str, Any]:
        if b"\nOP\tapply\n" in kwargs["in_data"]:
            count[0] += 1
            host.state["rules"].append(
                lab_rule(f"Admin {count[0]}", FE_GROUP, description="by hand")
            )
            before.append(rule_set(host))
        return host.execute(cmd, **kwargs)

    result, warned = run(host, task_vars(), execute)
    assert result["failed"] and result["changed"] is False
    assert "Read and planned again 2 time(s), it had changed every time" in result["msg"]
    assert [r.op for r in host.requests] == ["read", "apply"] * 3
    # Nothing of ours went in: each apply was refused whole.
    assert not any(_ownership.is_owned(r["description"]) for r in host.rules)
    assert rule_set(host) == before[-1]
    assert sum("reading it and planning again" in w for w in warned) == 2


def test_planned_again_the_apply_stage_removes_no_more_than_its_plan() -> None:
    host = LabHost(state=initial_state())
    converge(host, task_vars())
    groups = [g for g in task_vars()["group_names"] if g != "ocs_mediation"]
    plan, _warnings = converge(host, task_vars(group_names=groups), {"stage": "plan"})
    assert {r["component"] for r in plan["removals"]} == {"mediation"}
    # Another run, of an older release, adds a Front End rule under a name this release
    # does not use (the run planned again would remove it: its plan did not say so).
    sip = next(r for r in host.group(FE_GROUP) if "5061" in r["name"])
    old_name = dict(sip, name="OCS Front End SIP (0.1 name)")
    held = []

    def execute(cmd: str, **kwargs: Any) -> dict[str, Any]:
        if b"\nOP\tapply\n" in kwargs["in_data"] and not held:
            host.state["rules"].append(dict(old_name))
            held.append(rule_set(host))
        return host.execute(cmd, **kwargs)

    result, _warnings = run(host, task_vars(group_names=groups), execute, stage="apply", plan=plan)
    assert result["failed"] and result["changed"] is False
    assert result["msg"].startswith(f"{HOST}: the firewall changed between the read and the ")
    assert "planned again the run would remove rules its plan did not" in result["msg"]
    assert "OCS Front End SIP (0.1 name)" in result["msg"]
    # Nothing after the refused apply: Mediation's rules and the old-named rule are there.
    assert rule_set(host) == held[0]


def test_a_split_apply_that_goes_stale_midway_says_so_and_completes() -> None:
    description = "a description long enough to fill WinRM messages quickly " * 2
    rules = [
        {"name": f"rule {i:03}", "description": description, "local_ports": 1000 + i}
        for i in range(150)
    ]
    host = LabHost()
    applies = [0]

    def execute(cmd: str, **kwargs: Any) -> dict[str, Any]:
        if b"\nOP\tapply\n" in kwargs["in_data"]:
            applies[0] += 1
            if applies[0] == 2:
                host.state["rules"].append(lab_rule("Admin", GROUP, description="by hand"))
        return host.execute(cmd, **kwargs)

    result, warned = rules_task(
        host, {"group": GROUP, "rules": rules}, task_vars={ENVELOPE: 32}, execute=execute
    )
    assert not result.get("failed"), result
    assert result["changed"] is True and result["replans"] == 1
    assert any("request 2 of" in w and "the 1 before it were applied" in w for w in warned)
    assert sorted(n for n in host.names(GROUP) if n != "Admin") == [r["name"] for r in rules]
    assert host.tombstones() == []
    again, _warned = rules_task(host, {"group": GROUP, "rules": rules}, task_vars={ENVELOPE: 32})
    assert again["changed"] is False


def test_win_firewall_rules_plans_again_from_the_rules_another_run_wrote() -> None:
    sip = {"name": "OCS FE - SIP", "local_ports": 5061}
    web = {"name": "OCS FE - Web", "local_ports": 443}
    host = LabHost()

    def other_run() -> None:
        result, _warned = rules_task(LabHost(state=host.state), {"group": GROUP, "rules": [sip]})
        assert result["changed"]

    result, warned = rules_task(
        host, {"group": GROUP, "rules": [sip, web]}, execute=before_the_first_apply(host, other_run)
    )
    assert not result.get("failed"), result
    assert result["replans"] == 1 and result["added"] == ["OCS FE - Web"]
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]
