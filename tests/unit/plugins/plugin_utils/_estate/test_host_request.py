"""One host's request and plan (plugins/plugin_utils/_estate/_host_request.py).

``host_request`` turns a host's inventory (group names and variables) or a module option
into checked settings, every problem at once; ``plan_host`` compares them with what the
host's one read returned, group by group, including the groups of components it lost.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest
from checkout import REPO
from ocs_lab import firewall
from ocs_lab import inventory as lab_inventory

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._host_request import (
    host_request,
    plan_host,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _plan, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert, _wire

SERVERS = _catalogue.server_components()
FE_GROUP = SERVERS["front_end"].group
EDGE_GROUP = SERVERS["edge"].group
# The Edge stands for any component here: it binds to any address on purpose.
UNBOUND = {"ocs_edge_unbound": True}


def request(
    group_names: list[str], variables: dict[str, Any] | None = None, **options: Any
) -> _host_request.HostRequest:
    found, problems = host_request(group_names, variables or {}, **options)
    assert problems == [], problems
    assert found is not None
    return found


def keys(found: _host_request.HostRequest) -> list[str]:
    return [s.component.key for s in found.settings]


# ---- where the components come from ----------------------------------------------------------


@pytest.mark.parametrize(
    ("group_names", "components", "expected"),
    [
        pytest.param(["ocs_edge"], None, ["edge"], id="inventory-groups"),
        pytest.param(
            ["ocs_mediation", "ocs_front_end", "ocs_edge_load_balancer", "all"],
            None,
            ["front_end", "mediation"],
            id="inventory-groups-collocated",
        ),
        pytest.param([], None, [], id="no-component"),
        pytest.param(["ocs_edge"], ["cwa", "director"], ["cwa", "director"], id="list"),
        pytest.param(["ocs_edge"], [], [], id="empty-list"),
        pytest.param(
            ["ocs_edge"], {"cwa": None, "edge": {"unbound": True}}, ["cwa", "edge"], id="dict"
        ),
    ],
)
def test_the_components(group_names: list[str], components: Any, expected: list[str]) -> None:
    assert keys(request(group_names, UNBOUND, components=components)) == expected


def test_settings_from_variables() -> None:
    found = request(
        ["ocs_edge", "ocs_cwa"],
        {
            "ocs_edge_profiles": ["public"],
            "ocs_edge_internal_addresses": ["10.10.1.10"],
            **UNBOUND,
            "ocs_cwa_include_outbound": "yes",
            "ocs_firewall_profiles": ["domain"],
            "ocs_front_end_state": "gone",  # not held: not read
        },
    )
    cwa, edge = found.settings
    assert edge.profiles == ("public",) and edge.addresses_of("internal") == ("10.10.1.10",)
    assert cwa.include_outbound is True
    # The collection-wide default where the component says nothing.
    assert cwa.profiles == ("domain",)


def test_a_list_reads_the_variables_of_the_listed_components() -> None:
    variables = {"ocs_cwa_state": "absent", "ocs_edge_state": "gone"}
    assert [s.state for s in request(["ocs_edge"], variables, components=["cwa"]).settings] == [
        "absent"
    ]


def test_variables_of_settings_a_component_lacks_are_not_read() -> None:
    # CWA binds no interface: an Edge-style variable for it is not one of its settings.
    found = request(["ocs_cwa"], {"ocs_cwa_internal_addresses": ["not even an address"]})
    assert found.settings[0].local_addresses == ()


def test_a_dictionary_gives_the_settings_itself() -> None:
    found = request(
        ["ocs_edge"],
        {"ocs_edge_state": "gone", "ocs_edge_group": "@nope"},
        components={"edge": {"profiles": "private", "unbound": True}},
    )
    (edge,) = found.settings
    assert (edge.state, edge.group, edge.profiles) == ("present", EDGE_GROUP, ("private",))


def test_a_dictionary_reads_no_component_variable_but_the_collection_defaults() -> None:
    """As documented: with a dictionary, ocs_<component>_* are not read; the
    collection-wide ocs_firewall_profiles still gives the default profiles."""
    variables = {"ocs_firewall_profiles": ["domain"], "ocs_cwa_profiles": ["public"]}
    found = request([], variables, components={"cwa": {}})
    assert found.settings[0].profiles == ("domain",)


# ---- problems: all at once, named ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("group_names", "variables", "options", "expected"),
    [
        pytest.param(
            ["ocs_edge"],
            {"ocs_edge_profiles": ["work"]},
            {},
            ['ocs_edge_profiles: "work" is not a profile; valid profiles are domain, private, '
             "public"],
            id="variable",
        ),
        pytest.param(
            [],
            {},
            {"components": {"edge": {"profiles": ["work"]}}},
            ['components.edge.profiles: "work" is not a profile; valid profiles are domain, '
             "private, public"],
            id="option",
        ),
        pytest.param(
            [],
            {},
            {"components": ["cwa", "frontend", 3]},
            ['components: "frontend" is not an OCS server component; valid components are '
             + ", ".join(SERVERS),
             "components: 3 is not an OCS server component; valid components are "
             + ", ".join(SERVERS)],
            id="list-of-unknown",
        ),
        pytest.param(
            [],
            {},
            {"components": "edge"},
            ['components: "edge" is not a list of components or a dictionary of component '
             "settings"],
            id="not-a-list",
        ),
        pytest.param(
            ["ocs_edge", "ocs_cwa"],
            {
                "ocs_edge_group": "G",
                "ocs_cwa_group": "g",
                "ocs_firewall_remove_unassigned": "x",
                **UNBOUND,
            },
            {},
            ['ocs_edge_group and ocs_cwa_group both name the rule group "G" ("g"); two '
             "components cannot share a group, each would remove the other's rules on every "
             "run",
             'ocs_firewall_remove_unassigned: "x" is not a boolean; give true or false'],
            id="all-at-once",
        ),
    ],
)  # fmt: skip
def test_problems(
    group_names: list[str], variables: dict[str, Any], options: dict[str, Any], expected: list[str]
) -> None:
    assert host_request(group_names, variables, **options) == (None, expected)


# ---- remove_unassigned -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "option", "expected"),
    [
        pytest.param({}, None, True, id="default-true"),
        pytest.param({"ocs_firewall_remove_unassigned": False}, None, False, id="variable"),
        pytest.param({"ocs_firewall_remove_unassigned": "no"}, None, False, id="variable-word"),
        pytest.param({"ocs_firewall_remove_unassigned": "yes"}, None, True, id="variable-yes"),
        pytest.param({"ocs_firewall_remove_unassigned": True}, False, False, id="option-wins"),
        pytest.param({}, True, True, id="option-only"),
    ],
)
def test_remove_unassigned(variables: dict[str, Any], option: bool | None, expected: bool) -> None:
    found = request(["ocs_edge"], {**variables, **UNBOUND}, remove_unassigned=option)
    assert found.remove_unassigned is expected


def test_groups_to_read() -> None:
    defaults = [c.group for c in SERVERS.values()]
    held = request(["ocs_edge"], {"ocs_edge_group": "My Edge", **UNBOUND})
    assert held.groups == ["My Edge"]
    # Decommissioning reads every default group too (its own only once); OCS setup's
    # group comes last, always (its rules may be held or released).
    setup = "Office Communications Server 2007 R2"
    assert held.groups_to_read() == ["My Edge", *defaults, setup]
    own = request(["ocs_edge"], UNBOUND)
    assert own.groups_to_read() == [EDGE_GROUP, *(g for g in defaults if g != EDGE_GROUP), setup]
    kept = request(["ocs_edge"], UNBOUND, remove_unassigned=False)
    assert kept.groups_to_read() == [EDGE_GROUP, setup]


@pytest.mark.parametrize(
    ("variables", "setup_rules", "policy_check"),
    [
        pytest.param({}, "keep", "fail", id="defaults"),
        pytest.param(
            {"ocs_firewall_setup_rules": "Disable", "ocs_firewall_policy_check": "warn"},
            "disable",
            "warn",
            id="set",
        ),
    ],
)
def test_setup_rules_and_policy_check(
    variables: dict[str, Any], setup_rules: str, policy_check: str
) -> None:
    found = request(["ocs_edge"], {**variables, **UNBOUND})
    assert (found.setup_rules, found.policy_check) == (setup_rules, policy_check)


def test_setup_rules_and_policy_check_refuse_other_values() -> None:
    found, problems = host_request(
        ["ocs_edge"],
        {"ocs_firewall_setup_rules": "delete", "ocs_firewall_policy_check": True, **UNBOUND},
    )
    assert found is None
    assert problems == [
        "ocs_firewall_setup_rules: 'delete' is not valid; valid are keep, disable",
        "ocs_firewall_policy_check: True is not valid; valid are fail, warn",
    ]


# ---- plan_host -------------------------------------------------------------------------------


def host_rules(
    rules: list[_rules.Rule], group: str, foreign: Sequence[_rules.Rule] = ()
) -> list[_rules.HostRule]:
    """Rules as a read returns them (through the wire's Windows form and back)."""
    return [
        _convert.host_rule(dataclasses.replace(_convert.to_windows(r), grouping=group))
        for r in [*rules, *foreign]
    ]


def component_rules(key: str, **settings: Any) -> list[_rules.Rule]:
    if SERVERS[key].must_bind:
        settings.setdefault("unbound", True)
    found = request([], components={key: settings})
    return _component_rules.component_rules(found.settings[0])


def test_a_host_in_sync_plans_no_change() -> None:
    actual = host_rules(component_rules("front_end"), FE_GROUP)
    plans = plan_host(request(["ocs_front_end"]), actual)
    assert [(p.group, p.reason, p.component, p.changed) for p in plans] == [
        (FE_GROUP, _plan.COMPONENT, "front_end", False)
    ]


def test_a_new_host_gets_every_rule_of_every_component() -> None:
    plans = plan_host(request(["ocs_front_end", "ocs_mediation"]), [])
    assert [p.group for p in plans] == [FE_GROUP, SERVERS["mediation"].group]
    assert list(plans[0].added) == [r.name for r in component_rules("front_end")]
    assert all(p.changed and not p.retire for p in plans)


def test_a_lost_component_has_its_default_group_emptied_but_foreign_rules_stay() -> None:
    hand_made = _rules.Rule(name="Edge admin", description="by hand", local_ports=("22",))
    actual = [
        *host_rules(component_rules("front_end"), FE_GROUP),
        *host_rules(component_rules("edge"), EDGE_GROUP, foreign=[hand_made]),
    ]
    plans = plan_host(request(["ocs_front_end"]), actual)
    fe, edge = plans
    assert not fe.changed
    assert (edge.group, edge.reason, edge.component) == (EDGE_GROUP, _plan.UNASSIGNED, "edge")
    assert list(edge.removed) == [r.name for r in component_rules("edge")]
    assert edge.adds == () and edge.after == ()
    assert [h.rule.name for h in edge.foreign] == ["Edge admin"]


def test_a_component_moved_to_another_group_empties_its_old_one() -> None:
    actual = host_rules(component_rules("edge"), EDGE_GROUP)
    plans = plan_host(request(["ocs_edge"], {"ocs_edge_group": "Perimeter", **UNBOUND}), actual)
    moved, old = plans
    assert moved.group == "Perimeter" and len(moved.added) == len(actual)
    assert (old.group, old.reason, old.component) == (EDGE_GROUP, _plan.UNASSIGNED, "edge")
    assert len(old.removed) == len(actual)


def test_a_custom_group_of_catalogue_rules_is_emptied_when_a_variable_names_it() -> None:
    """A group is the collection's when a component's variable names it, not because the
    rules in it carry markers (a copy carries one too)."""
    actual = host_rules(component_rules("cwa"), "CWA (old name)")
    assert plan_host(request([]), actual) == []
    assert [h.rule.name for h in _host_request.marked_elsewhere([], actual)] == [
        h.rule.name for h in actual
    ]
    (plan,) = plan_host(request([], {"ocs_cwa_group": "CWA (old name)"}), actual)
    assert (plan.group, plan.reason, plan.component) == ("CWA (old name)", _plan.UNASSIGNED, "cwa")
    assert len(plan.removed) == len(actual)


def test_rules_of_another_components_entries_in_a_group_are_not_its() -> None:
    """A copy of an Archiving rule in the Director's group is marked but not ours."""
    copied = host_rules(component_rules("archiving"), SERVERS["director"].group)
    (plan,) = plan_host(request(["ocs_director"]), copied)
    assert plan.removed == () and len(plan.marked) == len(copied)


def test_without_remove_unassigned_other_groups_are_left() -> None:
    actual = host_rules(component_rules("edge"), EDGE_GROUP)
    plans = plan_host(request(["ocs_front_end"], remove_unassigned=False), actual)
    assert [p.group for p in plans] == [FE_GROUP]


def test_a_task_group_is_never_unassigned() -> None:
    task_rule = _rules.Rule(name="Backup", description="agent [ocs.firewall]")
    plans = plan_host(request([]), host_rules([task_rule], "Backup agent"))
    assert plans == []


def test_state_absent_empties_the_components_group() -> None:
    actual = host_rules(component_rules("director"), SERVERS["director"].group)
    (plan,) = plan_host(request(["ocs_director"], {"ocs_director_state": "absent"}), actual)
    assert (plan.reason, plan.component) == (_plan.COMPONENT, "director")
    assert len(plan.removed) == len(actual) and plan.adds == ()


def test_changed_settings_update_the_rules() -> None:
    actual = host_rules(component_rules("director"), SERVERS["director"].group)
    (plan,) = plan_host(request(["ocs_director"], {"ocs_director_profiles": ["domain"]}), actual)
    assert sorted(plan.updated) == sorted(r.rule.name for r in actual)
    assert plan.added == () and plan.removed == ()


# ---- an estate converged by 0.1.0 ------------------------------------------------------------

ESTATE = json.loads((REPO / "tests" / "data" / "estate-converged-0.1.0.json").read_text())["hosts"]
# The example inventory as 0.1.0 shipped it (today's example is scoped from the inventory).
INVENTORY = lab_inventory.load(REPO / "tests" / "data" / "estate-0.1.0-inventory.yml")
HOST_VARS = lab_inventory.hosts(INVENTORY)


def group_names(host: str) -> list[str]:
    return [
        name
        for name, group in INVENTORY["all"]["children"].items()
        if host in (group.get("hosts") or {})
    ]


def read_back(store: list[dict[str, Any]]) -> list[_rules.HostRule]:
    """Lab store rules as the controller reads them: RULE lines of a reply, decoded."""
    reply = "OCSFW2\n" + "".join(firewall.rule_line(r) + "\n" for r in store) + "DONE\n"
    return [_convert.host_rule(r) for r in _wire.decode_reply(reply).rules]


def test_the_estate_file_covers_collocated_and_bound_hosts() -> None:
    assert {"fe01.ocs.example", "edge01.ocs.example"} <= set(ESTATE)
    assert set(ESTATE) <= set(HOST_VARS)


# What the catalogue changed since (issue 25), by host and group: the entries whose rules
# an upgrade adds and removes. The Front End takes the MSMQ acknowledgements of the
# Archiving and Monitoring Servers; 5069 on the Monitoring Server became an opt-in (it is
# the Front End's port). Nothing else may change.
FRONT_END = "OCS 2007 R2 - Front End"
SINCE: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    **{
        (host, FRONT_END): ({"extra-front-end-msmq-ack"}, set())
        for host in ("fe01.ocs.example", "fe02.ocs.example", "se01.ocs.example")
    },
    ("mon01.ocs.example", "OCS 2007 R2 - Monitoring"): (set(), {"seed-43"}),
}


def _entry_ids(names: set[str]) -> set[str]:
    return {name.rsplit("(", 1)[1].rstrip(")") for name in names}


@pytest.mark.parametrize("host", sorted(ESTATE))
def test_an_estate_converged_by_the_previous_release_plans_only_the_catalogues_changes(
    host: str,
) -> None:
    variables = {**(INVENTORY["all"].get("vars") or {}), **HOST_VARS[host]}
    found, problems = host_request(group_names(host), variables)
    assert problems == [] and found is not None
    actual = read_back(ESTATE[host])
    plans = plan_host(found, actual)
    assert all(p.foreign == () for p in plans)
    changes = {}
    for plan in plans:
        before = {h.rule.name for h in actual if h.group == plan.group}
        after = {r.name for r in plan.after}
        if plan.changed:
            changes[host, plan.group] = (_entry_ids(after - before), _entry_ids(before - after))
    assert changes == {k: v for k, v in SINCE.items() if k[0] == host}
    # Every other rule 0.1.0 made is one the collection still owns and still wants.
    removed = {i for _added, gone in changes.values() for i in gone}
    wanted = {r.name for p in plans for r in p.after}
    assert {h.rule.name for h in actual if _entry_ids({h.rule.name}) - removed} <= wanted


@pytest.mark.parametrize(
    ("variables", "options", "expected"),
    [
        pytest.param({}, {"components": ["cwa"]}, False, id="list"),
        pytest.param({}, {"components": {"cwa": None}}, False, id="dict"),
        pytest.param(
            {"ocs_firewall_remove_unassigned": True}, {"components": ["cwa"]}, False, id="variable"
        ),
        pytest.param(
            {}, {"components": ["cwa"], "remove_unassigned": True}, True, id="option-asks"
        ),
    ],
)
def test_a_task_that_names_its_components_empties_no_other_group_unless_asked(
    variables: dict[str, Any], options: dict[str, Any], expected: bool
) -> None:
    """Such a task speaks for some of the host's components: the EXAMPLE with a Standard
    Edition server's Front End and Mediation must not empty its A/V and Web groups."""
    assert (
        request(["ocs_front_end", "ocs_av_conferencing"], variables, **options).remove_unassigned
        is expected
    )


def test_a_bad_remove_unassigned_variable_is_refused_even_where_the_option_wins() -> None:
    """A wrong value is wrong wherever it waits: the next task that reads it would fail."""
    found, problems = host_request(
        [], {"ocs_firewall_remove_unassigned": "bad"}, components=["cwa"], remove_unassigned=True
    )
    assert found is None
    assert problems == [
        'ocs_firewall_remove_unassigned: "bad" is not a boolean; give true or false'
    ]
