"""removal_guard: a run whose plans remove many of the collection's rules waits for a yes.

The plans are the plan stage's results as each host registered them (``ocs_firewall_result``
in hostvars). What a user relies on: one decommissioned server goes through; the same
component taken off several hosts (a misspelt group) or more rules than the threshold stop
the run with what would go, host by host; the yes lets it through; check mode shows the
same list without stopping; a host with no plan yet makes the guard refuse to judge.
"""

from __future__ import annotations

from typing import Any

import pytest
from labhost import LabHost, run_action

from ansible_collections.ocs.firewall.plugins.action.removal_guard import ActionModule

MEDIATION = "OCS 2007 R2 - Mediation"
MEDIATION_RULES = [
    "OCS Mediation 5060/TCP In (seed-46)",
    "OCS Mediation 5061/TCP In (seed-48)",
    "OCS Mediation 60000-64000/TCP In (seed-47)",
    "OCS Mediation 60000-64000/UDP In (seed-47)",
]


class Templar:
    def template(self, value: Any) -> Any:
        return value


def planned(*removals: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A plan stage's result with these removals."""
    return {"changed": False, "pending": bool(removals), "removals": list(removals), **more}


def mediation_off() -> dict[str, Any]:
    return {"component": "mediation", "group": MEDIATION, "rules": MEDIATION_RULES, "whole": True}


def guard(
    plans: dict[str, Any],
    args: dict[str, Any] | None = None,
    *,
    check_mode: bool = False,
    **variables: Any,
) -> tuple[dict[str, Any], list[str]]:
    hostvars = {
        host: ({"ocs_firewall_result": p} if p is not None else {}) for host, p in plans.items()
    }
    result, display = run_action(
        ActionModule,
        "ocs.firewall.removal_guard",
        LabHost(),
        {"hosts": None, "max_removals": None, "confirm": None, **(args or {})},
        check_mode=check_mode,
        task_vars={"hostvars": hostvars, "ansible_play_hosts_all": list(plans), **variables},
        templar=Templar(),
    )
    return result, [c.args[0] for c in display.warning.call_args_list]


def test_a_run_that_removes_nothing_passes() -> None:
    result, warnings = guard({"fe01": planned(), "fe02": planned()})
    assert not result.get("failed") and result["count"] == 0 and result["waits"] is False
    assert result["msg"] == "The run removes none of the collection's rules."
    assert warnings == []


def test_one_decommissioned_server_passes_and_is_listed() -> None:
    fe = {"component": "front_end", "group": "OCS 2007 R2 - Front End", "whole": True}
    removals = [
        {**fe, "rules": [f"r{i}" for i in range(16)]},
        {**mediation_off(), "rules": MEDIATION_RULES},
    ]
    result, _warnings = guard({"se01": planned(*removals), "fe01": planned()})
    assert not result.get("failed"), result
    assert (result["count"], result["waits"], result["max_removals"]) == (20, False, 60)
    assert result["msg"].startswith("The run removes 20 of the collection's rules: se01: ")
    assert (
        "se01: front_end taken off, 16 rule(s): r0, r1, r2, r3, r4, r5, r6, r7, ... (8 more)"
        in (result["msg"])
    )


def test_a_component_taken_off_three_hosts_waits_for_a_yes_with_the_list() -> None:
    plans = {h: planned(mediation_off()) for h in ("med01", "med02", "se01")}
    result, _warnings = guard({**plans, "fe01": planned()})
    assert result["failed"] is True and result["waits"] is True and result["count"] == 12
    message = result["msg"]
    assert message.startswith(
        "The run removes 12 of the collection's rules, and it takes mediation off 3 hosts "
        "(med01, med02, se01), which is what a misspelt group or variable looks like; nothing "
        "was changed: it waits for a yes. To go ahead, run it again with -e "
        "ocs_firewall_confirm_removals=true (or a larger ocs_firewall_max_removals). What "
        "would go, host by host: med01: mediation taken off, 4 rule(s): "
    )
    for host in ("med01", "med02", "se01"):
        assert f"{host}: mediation taken off, 4 rule(s): {', '.join(MEDIATION_RULES)}" in message
    assert set(result["removals"]) == {"med01", "med02", "se01"}


@pytest.mark.parametrize(
    ("args", "variables"),
    [
        pytest.param({}, {"ocs_firewall_confirm_removals": True}, id="variable"),
        pytest.param({}, {"ocs_firewall_confirm_removals": "true"}, id="variable-as-text"),
        pytest.param({"confirm": True}, {}, id="option"),
    ],
)
def test_the_yes_lets_it_through(args: dict[str, Any], variables: dict[str, Any]) -> None:
    plans = {h: planned(mediation_off()) for h in ("med01", "med02", "se01")}
    result, _warnings = guard(plans, args, **variables)
    assert not result.get("failed"), result
    assert result["confirmed"] is True and result["waits"] is False
    assert "takes mediation off 3 hosts" not in result["msg"]


def test_check_mode_shows_the_same_list_without_stopping() -> None:
    plans = {h: planned(mediation_off()) for h in ("med01", "med02", "se01")}
    stopped, _warnings = guard(plans)
    result, warnings = guard(plans, check_mode=True)
    assert not result.get("failed") and result["waits"] is True
    assert result["msg"].startswith("The run would remove 12 of the collection's rules")
    assert "it would stop without a yes" in result["msg"]
    assert warnings == [result["msg"]]
    # The same list as the run that stops.
    assert result["msg"].split("host by host: ")[1] == stopped["msg"].split("host by host: ")[1]


@pytest.mark.parametrize(
    ("threshold", "waits"),
    [
        pytest.param({"ocs_firewall_max_removals": 7}, True, id="variable-below"),
        pytest.param({"ocs_firewall_max_removals": "8"}, False, id="variable-equal"),
    ],
)
def test_the_threshold_counts_rules_over_every_host(threshold: dict[str, Any], waits: bool) -> None:
    removal = {**mediation_off(), "whole": False}
    result, _warnings = guard({"med01": planned(removal), "med02": planned(removal)}, **threshold)
    assert result["waits"] is waits and result["count"] == 8
    if waits:
        assert "that is more than ocs_firewall_max_removals (7)" in result["msg"]


def test_the_option_wins_over_the_variable() -> None:
    removal = {**mediation_off(), "whole": False}
    result, _warnings = guard(
        {"med01": planned(removal)}, {"max_removals": 3}, ocs_firewall_max_removals=100
    )
    assert result["waits"] is True and result["max_removals"] == 3


def test_hosts_out_of_the_run_are_not_judged_but_a_host_with_no_plan_stops_it() -> None:
    plans = {
        "med01": planned(mediation_off()),
        "med02": {"failed": True, "msg": "boom"},
        "med03": {"unreachable": True},
    }
    result, _warnings = guard(plans)
    assert not result.get("failed") and result["count"] == 4
    result, _warnings = guard({**plans, "med04": None})
    assert result["failed"] is True
    assert result["msg"].startswith(
        "The removal guard needs every host's plan first, and these hosts have none yet: med04."
    )


def test_bad_values_of_its_variables_are_refused() -> None:
    result, _warnings = guard(
        {"fe01": planned()}, ocs_firewall_max_removals=1.5, ocs_firewall_confirm_removals="maybe"
    )
    assert result["failed"] is True
    assert result["msg"] == (
        "ocs_firewall_max_removals: 1.5 is not a number of rules (0 or more); "
        'ocs_firewall_confirm_removals: "maybe" is not a boolean; give true or false'
    )


def test_the_hosts_with_a_plan_to_apply_are_listed_in_play_order() -> None:
    """site.yml applies their plans in a play of their own: a host in sync, or one whose
    plan stage failed, is not among them."""
    result, _warnings = guard(
        {
            "fe02": planned(mediation_off()),
            "fe01": planned(),
            "med01": {"changed": True, "pending": True, "removals": []},
            "edge01": {"failed": True, "msg": "unreachable"},
        }
    )
    assert not result.get("failed"), result["msg"]
    assert result["pending"] == ["fe02", "med01"]
