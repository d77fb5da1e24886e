"""win_ocs_firewall's stages: plan (read and plan, change nothing), then apply that plan.

site.yml reads and plans every host before it changes any, so that the removal guard can
judge the whole run in between. What a user relies on: the plan stage changes nothing and
says what it would do; the apply stage sends exactly the plan, without reading again; a
plan that does not fit the host's request now is refused before anything is sent; and
one task that converges on its own still holds mass removals for a yes.
"""

from __future__ import annotations

from typing import Any

import pytest
from labhost import LabHost
from ocs_lab.seed import initial_state
from test_win_ocs_firewall import converge
from test_win_ocs_firewall import task_vars as host_vars

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

SERVERS = _catalogue.server_components()
FE_GROUP = SERVERS["front_end"].group
MEDIATION_GROUP = SERVERS["mediation"].group
HOST = "se01.ocs.example"  # Front End, A/V, Web Conferencing, Web Components, Mediation


def task_vars(host: str = HOST, **overrides: Any) -> dict[str, Any]:
    return host_vars(host, **overrides)


# One task of the module on the host (its arguments, check and diff mode), as
# test_win_ocs_firewall runs it.
stage = converge


def converged() -> LabHost:
    host = LabHost(state=initial_state())
    result, _warnings = stage(host, task_vars(), {})
    assert result["changed"] is True, result
    host.requests.clear()
    return host


def without_mediation() -> dict[str, Any]:
    groups = task_vars()["group_names"]
    return task_vars(group_names=[g for g in groups if g != "ocs_mediation"])


def test_the_plan_stage_reads_once_changes_nothing_and_carries_its_read() -> None:
    host = LabHost(state=initial_state())
    before = [dict(r) for r in host.rules]
    result, _warnings = stage(host, task_vars(), {"stage": "plan"}, diff=True)
    assert not result.get("failed"), result
    assert [r.op for r in host.requests] == ["read"]
    assert host.rules == before
    # Nothing changed, and something is to be applied by the apply stage.
    assert (result["changed"], result["pending"], result["in_sync"]) == (False, True, False)
    assert result["msg"].startswith(f"{HOST}: ")
    assert result["summary"]["added"] > 0 and result["removals"] == []
    assert result["read"].startswith("OCSFW2\n") and result["read"].endswith("DONE\n")
    # The diff is the apply stage's to show (outside check mode).
    assert "diff" not in result


def test_in_check_mode_the_plan_stage_is_the_result() -> None:
    host = LabHost(state=initial_state())
    result, _warnings = stage(host, task_vars(), {"stage": "plan"}, check_mode=True, diff=True)
    assert (result["changed"], result["pending"], result["in_sync"]) == (True, False, False)
    assert "to add" in result["msg"] and result["diff"][0]["prepared"].startswith(HOST)
    assert [r.op for r in host.requests] == ["read"]


def test_the_apply_stage_sends_the_plan_without_reading_again() -> None:
    host = LabHost(state=initial_state())
    plan, _warnings = stage(host, task_vars(), {"stage": "plan"})
    host.requests.clear()
    applied, _warnings = stage(host, task_vars(), {"stage": "apply", "plan": plan}, diff=True)
    assert not applied.get("failed"), applied
    assert [r.op for r in host.requests] == ["apply"]
    assert applied["changed"] is True and applied["pending"] is False
    assert applied["summary"] == plan["summary"]
    assert applied["diff"][0]["prepared"].startswith(f"{HOST}: {plan['summary']['added']} added")
    # The next plan finds the host in sync.
    again, _warnings = stage(host, task_vars(), {"stage": "plan"})
    assert (again["in_sync"], again["pending"], again["changed"]) == (True, False, False)


def test_a_component_taken_off_is_planned_as_a_removal_of_the_whole_component() -> None:
    host = converged()
    plan, _warnings = stage(host, without_mediation(), {"stage": "plan"})
    (removal,) = plan["removals"]
    assert removal["component"] == "mediation" and removal["group"] == MEDIATION_GROUP
    assert removal["whole"] is True and len(removal["rules"]) == 4
    stage(host, without_mediation(), {"stage": "apply", "plan": plan})
    assert [r.op for r in host.requests] == ["read", "apply"]
    assert host.names(MEDIATION_GROUP) == []


def test_foreign_rules_are_warned_about_once_by_the_plan_stage() -> None:
    host = LabHost(state=initial_state())
    variables = task_vars()
    plan, plan_warnings = stage(host, variables, {"stage": "plan"})
    _applied, apply_warnings = stage(host, variables, {"stage": "apply", "plan": plan})
    assert apply_warnings == []
    assert plan_warnings == [w for w in plan_warnings if "did not make" in w]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(
            {"stage": "apply"}, "plan: the apply stage takes the result of the plan", id="no-plan"
        ),
        pytest.param(
            {"stage": "plan", "plan": {"read": "x"}},
            "plan: only the apply stage takes a plan",
            id="plan-to-plan-stage",
        ),
        pytest.param(
            {"stage": "apply", "plan": {"changed": True}},
            "plan: it is not the result of this module's plan stage",
            id="not-a-plan",
        ),
        pytest.param(
            {"stage": "apply", "plan": {"read": "OCSFW2\nRULE\tx\n"}},
            "plan: the read it carries is not a reply",
            id="garbled-read",
        ),
    ],
)
def test_a_bad_plan_is_refused_before_the_host_is_contacted(
    args: dict[str, Any], words: str
) -> None:
    host = LabHost(state=initial_state())
    result, _warnings = stage(host, task_vars(), args)
    assert result["failed"] is True and words in result["msg"], result
    assert result["msg"].startswith(f"{HOST}: ")
    assert host.requests == []


def test_an_apply_whose_removals_differ_from_its_plan_is_refused() -> None:
    """The guard judged the plan stage's removals: the apply may remove nothing else."""
    host = converged()
    plan, _warnings = stage(host, task_vars(), {"stage": "plan"})
    before = [dict(r) for r in host.rules]
    host.requests.clear()
    result, _warnings = stage(host, without_mediation(), {"stage": "apply", "plan": plan})
    assert result["failed"] is True
    assert "the removals differ from what the plan stage reported" in result["msg"]
    assert host.requests == [] and host.rules == before


def test_one_converging_task_holds_mass_removals_of_its_host_for_a_yes() -> None:
    host = converged()
    before = [dict(r) for r in host.rules]
    # The whole host decommissioned: every component's rules go.
    variables = task_vars(group_names=["ocs_servers"], ocs_firewall_max_removals=10)
    result, _warnings = stage(host, variables, {})
    assert result["failed"] is True
    assert result["msg"].startswith(f"{HOST}: The run removes 29 of the collection's rules")
    assert "more than ocs_firewall_max_removals (10)" in result["msg"]
    assert "-e ocs_firewall_confirm_removals=true" in result["msg"]
    assert [r.op for r in host.requests] == ["read"] and host.rules == before
    # In check mode it reports; confirmed, it goes ahead.
    checked, _warnings = stage(host, variables, {}, check_mode=True)
    assert checked["changed"] is True and not checked.get("failed")
    confirmed = {**variables, "ocs_firewall_confirm_removals": "yes"}
    done, _warnings = stage(host, confirmed, {})
    assert done["changed"] is True and not done.get("failed"), done
    assert all(not host.group(g) for g in (FE_GROUP, MEDIATION_GROUP))


def test_a_bad_guard_value_is_refused_before_the_host_is_changed() -> None:
    host = LabHost(state=initial_state())
    result, _warnings = stage(host, task_vars(ocs_firewall_max_removals="-1"), {})
    assert result["failed"] is True
    assert 'ocs_firewall_max_removals: "-1" is not a number of rules (0 or more)' in result["msg"]
    assert host.requests == []


def test_the_apply_stage_takes_the_registered_plan_when_given_none() -> None:
    """The role registers the plan as ocs_firewall_result and passes no plan: read as it
    is, not templated as an option (which copies it on every host)."""
    host = LabHost(state=initial_state())
    plan, _warnings = stage(host, task_vars(), {"stage": "plan"})
    host.requests.clear()
    applied, _warnings = stage(host, task_vars(ocs_firewall_result=plan), {"stage": "apply"})
    assert not applied.get("failed"), applied
    assert [r.op for r in host.requests] == ["apply"] and applied["changed"] is True


# ---- the preflight's problems, each failure on its host ---------------------------------


STOPS = {"dir01.ocs.example": "1 problem, no host was contacted: ocs_firewall_address missing"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_host_the_preflights_problems_stop_fails_with_its_message_uncontacted(
    check_mode: bool,
) -> None:
    host = LabHost(state=initial_state())
    preflight = {"changed": False, "problems": {}, "causes": [], "stops": STOPS}
    result, _warnings = stage(
        host,
        task_vars("dir01.ocs.example", ocs_firewall_preflight=preflight),
        {"stage": "plan"},
        check_mode=check_mode,
    )
    assert result["failed"] is True
    assert result["msg"] == STOPS["dir01.ocs.example"]
    assert host.requests == []


def test_a_host_no_problem_stops_is_skipped_uncontacted_with_nothing_to_apply() -> None:
    host = LabHost(state=initial_state())
    preflight = {"changed": False, "problems": {}, "causes": [], "stops": STOPS}
    result, _warnings = stage(host, task_vars(ocs_firewall_preflight=preflight), {"stage": "plan"})
    assert result["skipped"] is True and not result.get("failed")
    assert (result["changed"], result["pending"], result["contacted"]) == (False, False, False)
    assert result["msg"] == (
        "not contacted: the inventory's problems stop the run (on dir01.ocs.example; this "
        "host has none)"
    )
    assert host.requests == []


def test_a_preflight_without_stops_lets_every_host_go_on() -> None:
    host = LabHost(state=initial_state())
    preflight = {"changed": False, "problems": {}, "causes": [], "address_book": {}}
    result, _warnings = stage(host, task_vars(ocs_firewall_preflight=preflight), {"stage": "plan"})
    assert not result.get("failed") and not result.get("skipped"), result
    assert [r.op for r in host.requests] == ["read"]
