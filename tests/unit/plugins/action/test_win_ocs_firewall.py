"""win_ocs_firewall action plugin: a whole OCS server, against the lab's firewall.

The host is ``ocs_lab.firewall.run`` behind a stubbed ``_low_level_execute_command``
(tests/unit/labhost.py), starting from the firewall a fresh lab host has: built-in rules,
the rules OCS set-up created and rules an administrator added by hand. The inventory is
examples/inventory.yml.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from labhost import LabHost, example_estate, example_inventory, lab_rule, run_action
from ocs_lab.seed import initial_state

from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
    _scope,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert

ESTATE = example_estate()
SERVERS = _catalogue.server_components()
DEFAULT_GROUPS = [c.group for c in SERVERS.values()]
FE = SERVERS["front_end"].group
EDGE = SERVERS["edge"].group


class Templar:
    """Stands for the task's templar: returns values as they are and notes each one."""

    def __init__(self) -> None:
        self.templated: list[Any] = []

    def template(self, value: Any) -> Any:
        self.templated.append(value)
        return value


def task_vars(host: str, **overrides: Any) -> dict[str, Any]:
    """The host's task variables from the example estate. OCS setup's rules are kept (the
    example disables them): the tests here are about the collection's own groups, those
    of test_what_windows_enforces.py about OCS setup's rules."""
    group_names, variables = ESTATE[host]
    return {
        **example_inventory(),
        "inventory_hostname": host,
        "group_names": overrides.pop("group_names", group_names),
        **variables,
        "ocs_firewall_setup_rules": "keep",
        **overrides,
    }


def converge(
    host: LabHost,
    variables: dict[str, Any],
    args: dict[str, Any] | None = None,
    *,
    check_mode: bool = False,
    diff: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    result, display = run_action(
        ActionModule,
        "ocs.firewall.win_ocs_firewall",
        host,
        {"components": None, "remove_unassigned": None, **(args or {})},
        check_mode=check_mode,
        diff=diff,
        task_vars=variables,
        templar=Templar(),
    )
    return result, [c.args[0] for c in display.warning.call_args_list]


def lab_host() -> LabHost:
    return LabHost(state=initial_state())


def not_ours(host: LabHost) -> list[dict[str, Any]]:
    return [r for r in host.rules if not _ownership.is_owned(r["description"])]


def wanted_names(host: str, **overrides: Any) -> dict[str, list[str]]:
    """The rules each held component's group should hold, by group."""
    found = request_of(task_vars(host, **overrides))
    return {s.group: sorted(r.name for r in wanted_rules(found, s)) for s in found.settings}


def request_of(variables: dict[str, Any]) -> _host_request.HostRequest:
    """The host's request as the action works it out (the inventory gives the scope)."""
    inventory = _scope.Inventory(variables["groups"], variables["hostvars"])
    found, problems = _host_request.host_request(
        variables["group_names"], variables, inventory=inventory
    )
    assert found is not None, problems
    return found


def wanted_rules(found: _host_request.HostRequest, settings: Any) -> list[_rules.Rule]:
    return _component_rules.component_rules(settings, found.remotes.get(settings.component.key))


# ---- round trips -----------------------------------------------------------------------------


def test_a_collocated_host_costs_two_commands_cold_and_one_in_sync() -> None:
    host = lab_host()
    foreign_before = copy.deepcopy(not_ours(host))
    variables = task_vars("fe01.ocs.example")
    result, _other = converge(host, variables)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert [r.op for r in host.requests] == ["read", "apply"]

    read, apply = host.requests
    # One read: every group the host may have rules in, OCS setup's group (its rules the
    # collection may hold), and every rule holding the marker.
    assert read.marker == _ownership.PATTERN
    held = [
        FE,
        *(SERVERS[k].group for k in ("av_conferencing", "web_conferencing", "web_components")),
    ]
    others = [g for g in DEFAULT_GROUPS if g not in held]
    assert list(read.groups) == [*held, *others, "Office Communications Server 2007 R2"]
    # One apply: a section per component.
    assert [s.group for s in apply.sections] == held
    assert {g: sorted(host.names(g)) for g in held} == wanted_names("fe01.ocs.example")
    assert not_ours(host) == foreign_before
    assert set(result["groups"]) == set(held)
    assert all(result["groups"][g]["added"] for g in held)

    again, warned = converge(host, variables)
    assert again["changed"] is False
    assert len(host.requests) == 3
    assert warned == []
    assert {g: sorted(r["name"] for r in again["rules"][g]) for g in held} == wanted_names(
        "fe01.ocs.example"
    )


def test_each_host_of_the_estate_converges_and_stays_converged() -> None:
    for name in sorted(ESTATE):
        host = lab_host()
        first, _other = converge(host, task_vars(name))
        assert not first.get("failed"), (name, first)
        second, _other = converge(host, task_vars(name))
        assert second["changed"] is False, name
        assert len(host.requests) == 3, name


def test_check_mode_sends_only_the_read() -> None:
    host = lab_host()
    before = copy.deepcopy(host.state)
    result, _other = converge(host, task_vars("edge01.ocs.example"), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [r.op for r in host.requests] == ["read"]
    assert host.state == before
    wanted = wanted_names("edge01.ocs.example")[EDGE]
    assert result["msg"] == (
        f"edge01.ocs.example: {len(wanted)} to add, 0 to update, 0 to remove "
        f"({EDGE}: {len(wanted)} to add)"
    )
    summary = result["summary"]
    assert {k: v for k, v in summary.items() if k != "groups"} == {
        "added": len(wanted),
        "updated": 0,
        "removed": 0,
        "foreign": 0,
        "marked_not_ours": 0,
        "setup_disabled": 0,
        "setup_restored": 0,
    }
    assert list(summary["groups"]) == [EDGE]
    assert sorted(summary["groups"][EDGE]["added"]) == wanted
    assert summary["groups"][EDGE]["updated"] == summary["groups"][EDGE]["removed"] == []
    # The host's line, then each rule that would be added, by name, naming the host.
    summary, *items = result["diff"]
    assert summary == {"prepared": result["msg"] + "\n"}
    assert [i["after_header"] for i in items] == [
        f"edge01.ocs.example | {EDGE} | {name} (would be added)" for name in wanted
    ]
    assert all(i["before"] == "" and i["after"].startswith("name: ") for i in items)
    json.dumps(result)


def test_the_diff_of_a_changed_port_is_the_port_line_and_the_summary_counts_it() -> None:
    host = lab_host()
    variables = task_vars("fe01.ocs.example")
    converge(host, variables)
    (stored,) = [r for r in host.rules if r["grouping"] == FE and r["local_ports"] == "444"]
    stored["local_ports"] = "4444"

    result, _other = converge(host, variables, check_mode=True, diff=True)

    name = stored["name"]
    assert result["summary"]["groups"] == {FE: {"added": [], "updated": [name], "removed": []}}
    assert (result["summary"]["added"], result["summary"]["updated"]) == (0, 1)
    assert result["msg"] == (
        f"fe01.ocs.example: 0 to add, 1 to update, 0 to remove ({FE}: 1 to update)"
    )
    _summary, item = result["diff"]
    assert item["before_header"] == f"fe01.ocs.example | {FE} | {name} (would be updated)"
    before, after = item["before"].splitlines(), item["after"].splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [("local_ports: 4444", "local_ports: 444")]


def test_a_host_in_sync_says_so_and_its_diff_is_its_line() -> None:
    host = lab_host()
    variables = task_vars("dir01.ocs.example")
    converge(host, variables)
    result, _other = converge(host, variables, check_mode=True, diff=True)
    assert result["changed"] is False
    assert result["msg"] == "dir01.ocs.example: in sync, nothing to change (1 group(s))"
    assert result["diff"] == [{"prepared": result["msg"] + "\n"}]
    assert result["summary"]["groups"] == {}


def test_diff_only_in_diff_mode() -> None:
    result, _other = converge(lab_host(), task_vars("dir01.ocs.example"))
    assert "diff" not in result
    assert result["msg"].startswith("dir01.ocs.example: ")


# ---- bad settings never reach the host -------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "args", "expected"),
    [
        pytest.param(
            {"ocs_edge_profiles": ["work"]},
            {},
            ['edge01.ocs.example: ocs_edge_profiles: "work" is not a profile'],
            id="variable",
        ),
        pytest.param(
            {"ocs_edge_internal_addresses": ["10.10.1.300"], "ocs_edge_state": "gone"},
            {},
            [
                'edge01.ocs.example: ocs_edge_state: "gone" is not a state',
                'edge01.ocs.example: ocs_edge_internal_addresses: "10.10.1.300" is not a valid '
                "local address",
            ],
            id="every-problem",
        ),
        pytest.param(
            {},
            {
                "components": {
                    "edge": {
                        "internal_addresses": "10.10.1.10",
                        "external_addresses": ["10.10.1.10"],
                    }
                }
            },
            [
                "edge01.ocs.example: components.edge.internal_addresses and "
                'components.edge.external_addresses both hold "10.10.1.10"'
            ],
            id="option",
        ),
        pytest.param(
            {"ocs_edge_group": "@FirewallAPI.dll,-28752"},
            {},
            ["edge01.ocs.example: ocs_edge_group: ", "starts with '@'"],
            id="built-in-group",
        ),
        pytest.param(
            {"group_names": ["ocs_edge", "ocs_cwa"], "ocs_cwa_group": "ocs 2007 r2 - EDGE"},
            {},
            ["edge01.ocs.example: ocs_edge_group and ocs_cwa_group both name the rule group"],
            id="shared-group",
        ),
        pytest.param(
            {},
            {"components": ["edge", "edge_server"]},
            ['edge01.ocs.example: components: "edge_server" is not an OCS server component'],
            id="unknown-component",
        ),
    ],
)
def test_bad_settings_send_no_command(
    overrides: dict[str, Any], args: dict[str, Any], expected: list[str]
) -> None:
    host = lab_host()
    result, _other = converge(host, task_vars("edge01.ocs.example", **overrides), args)
    assert result["failed"] is True
    for text in expected:
        assert text in result["msg"]
    assert host.commands == []


def test_only_the_variables_the_engine_needs_are_templated() -> None:
    templar = Templar()
    variables = task_vars("dir01.ocs.example", ocs_director_state="present", unrelated="x")
    run_action(
        ActionModule,
        "ocs.firewall.win_ocs_firewall",
        lab_host(),
        {"components": None, "remove_unassigned": None},
        task_vars=variables,
        templar=templar,
    )
    # The director's state, the collection-wide profiles, the scope's variables and what to
    # do with OCS setup's rules: not "unrelated", not the rest.
    wanted = [
        "ocs_director_state",
        "ocs_firewall_setup_rules",
        "ocs_firewall_profiles",
        "ocs_firewall_scope",
        "ocs_firewall_address",
        "ocs_pool",
        "ocs_firewall_client_networks",
        "ocs_firewall_gateway_networks",
        "ocs_firewall_domain_controllers",
    ]
    assert sorted(map(json.dumps, templar.templated)) == sorted(
        json.dumps(variables[name]) for name in wanted
    )


# ---- rules the collection did not make --------------------------------------------------------


def test_a_hand_made_rule_inside_our_group_survives_byte_identical() -> None:
    hand_made = [
        lab_rule(
            "Edge admin SSH", EDGE, description="opened by the network team", local_ports="22"
        ),
        # Even one with the name of a rule the collection makes there.
        lab_rule(
            "OCS Edge 443/TCP In (seed-53)",
            EDGE,
            description="",
            local_ports="443",
            application=r"C:\edge.exe",
        ),
    ]
    host = lab_host()
    host.state["rules"] += copy.deepcopy(hand_made)
    foreign_before = copy.deepcopy(not_ours(host))
    variables = task_vars("edge01.ocs.example")
    result, warned = converge(host, variables)
    assert not result.get("failed"), result
    assert not_ours(host) == foreign_before
    assert result["groups"][EDGE]["foreign"] == [r["name"] for r in hand_made]
    (warning,) = warned
    assert f"group {EDGE!r} holds 2 rule(s) the collection did not make" in warning
    # Ours are all there too, and the next runs leave everything as it is.
    owned = [r["name"] for r in host.group(EDGE) if _ownership.is_owned(r["description"])]
    assert sorted(owned) == wanted_names("edge01.ocs.example")[EDGE]
    for _round in range(2):
        again, _other = converge(host, variables)
        assert again["changed"] is False
    assert not_ours(host) == foreign_before


# ---- decommissioning -------------------------------------------------------------------------


def test_decommission_empties_the_group_of_a_component_the_host_lost() -> None:
    host = lab_host()
    edge_vars = task_vars("edge01.ocs.example")
    converge(host, edge_vars)
    hand_made = lab_rule("Edge admin SSH", EDGE, description="by hand", local_ports="22")
    host.state["rules"].append(copy.deepcopy(hand_made))
    assert len(host.group(EDGE)) > 1

    # The host is now a Director only.
    director_vars = task_vars("edge01.ocs.example", group_names=["ocs_director"])
    result, _other = converge(host, director_vars)
    assert not result.get("failed"), result
    assert host.group(EDGE) == [hand_made]
    edge = result["groups"][EDGE]
    assert (edge["reason"], edge["component"], edge["changed"]) == ("unassigned", "edge", True)
    assert sorted(edge["removed"]) == wanted_names("edge01.ocs.example")[EDGE]
    assert result["rules"][EDGE] == []
    assert (
        sorted(host.names(SERVERS["director"].group))
        == wanted_names("edge01.ocs.example", group_names=["ocs_director"])[
            SERVERS["director"].group
        ]
    )
    # Both in one apply.
    assert [s.group for s in host.requests[-1].sections] == [SERVERS["director"].group, EDGE]
    assert converge(host, director_vars)[0]["changed"] is False


@pytest.mark.parametrize(
    ("overrides", "args"),
    [
        pytest.param({"ocs_firewall_remove_unassigned": False}, {}, id="variable"),
        pytest.param({}, {"remove_unassigned": False}, id="option"),
        pytest.param({}, {"components": ["director"], "remove_unassigned": False}, id="role"),
    ],
)
def test_without_remove_unassigned_a_lost_components_group_stays(
    overrides: dict[str, Any], args: dict[str, Any]
) -> None:
    host = lab_host()
    converge(host, task_vars("edge01.ocs.example"))
    edge_before = copy.deepcopy(host.group(EDGE))
    variables = task_vars("edge01.ocs.example", group_names=["ocs_director"], **overrides)
    result, _other = converge(host, variables, args)
    assert not result.get("failed"), result
    assert host.group(EDGE) == edge_before
    assert EDGE not in result["groups"]
    assert EDGE not in host.requests[-2].groups


def test_a_component_role_touches_only_its_own_group() -> None:
    host = lab_host()
    converge(host, task_vars("fe01.ocs.example"))
    before = copy.deepcopy(host.rules)
    # ocs.firewall.cwa on the same host: its group is added, nothing else changes.
    result, _other = converge(
        host, task_vars("fe01.ocs.example"), {"components": ["cwa"], "remove_unassigned": False}
    )
    assert list(result["groups"]) == [SERVERS["cwa"].group]
    assert [r for r in host.rules if r["grouping"] != SERVERS["cwa"].group] == before


# ---- an apply that fails half way ------------------------------------------------------------


def openings(rules: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """What enabled allow rules let through: direction, protocol, ports and addresses."""
    return {
        (r["direction"], r["protocol"], r["local_ports"], r["remote_ports"], r["local_addresses"])
        for r in rules
        if r["enabled"] and r["action"] == 1
    }


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"ocs_front_end_profiles": ["private"]}, id="every-rule-replaced"),
        pytest.param(
            {"ocs_front_end_include_extras": False, "ocs_front_end_include_outbound": True},
            id="some-removed-some-added",
        ),
        pytest.param(
            {"group_names": ["ocs_front_end", "ocs_cwa"], "ocs_web_components_state": "absent"},
            id="groups-added-and-emptied",
        ),
    ],
)
def test_an_apply_failing_half_way_leaves_every_still_wanted_port_open(
    overrides: dict[str, Any],
) -> None:
    host = lab_host()
    converge(host, task_vars("fe01.ocs.example"))
    open_before = openings(host.rules)
    target = task_vars("fe01.ocs.example", **overrides)
    found = request_of(target)
    sent = [
        (s.group, _convert.to_windows(r)) for s in found.settings for r in wanted_rules(found, s)
    ]
    wanted = openings(
        [
            lab_rule(
                w.name,
                group,
                direction=w.direction,
                protocol=w.protocol,
                local_ports=w.local_ports,
                remote_ports=w.remote_ports,
                local_addresses=w.local_addresses,
            )
            for group, w in sent
        ]
    )
    assert open_before & wanted, "the scenario must keep some ports"

    host.fail_apply_midway = True
    result, _other = converge(host, target)
    assert result["failed"] is True and result["changed"] is True
    assert "access denied" in result["msg"] and "Run the task again" in result["msg"]
    # It stopped with rules retired but not yet removed: they still let traffic through.
    assert host.tombstones()
    assert (open_before & wanted) <= openings(host.rules)

    # The next run completes the change and clears the tombstones.
    host.fail_apply_midway = False
    rerun, _other = converge(host, target)
    assert not rerun.get("failed"), rerun
    assert host.tombstones() == []
    assert converge(host, target)[0]["changed"] is False
    assert wanted <= openings(host.rules)


def test_a_windows_server_2008_host_refuses_newer_keywords_before_any_change() -> None:
    host = lab_host()
    host.os_version = "6.0"
    before = copy.deepcopy(host.state)
    variables = task_vars("sql01.ocs.example", ocs_sql_backend_remote_addresses=["DNS"])
    result, _other = converge(host, variables)
    assert result["failed"] is True
    assert result["msg"].startswith("sql01.ocs.example: rule 'OCS SQL Back End")
    assert "need Windows Server 2008 R2 or later" in result["msg"]
    assert [r.op for r in host.requests] == ["read"]
    assert host.state == before
    # The same host with addresses converges.
    assert not converge(host, task_vars("sql01.ocs.example"))[0].get("failed")


# ---- the peers' addresses, worked out once by the preflight --------------------------------


class Untouchable(dict[str, Any]):
    """Hostvars of a host that must not be read: the address book holds its address."""

    def __getitem__(self, name: str) -> Any:
        raise AssertionError(f"hostvars read for {name}")

    def __contains__(self, name: object) -> bool:
        raise AssertionError(f"hostvars read for {name}")


@pytest.mark.parametrize("given", ["registered", "option"])
def test_the_preflights_address_book_spares_reading_every_peers_variables(given: str) -> None:
    """As the ocs.firewall.server role runs it, the preflight's result registered once for
    every host; or passed as the peer_addresses option. Either way no front end's hostvars
    are read, and the book's addresses are the ones the rules get."""
    variables = task_vars("arch01.ocs.example")
    front_ends = variables["groups"]["ocs_front_end"]
    book = {"front_end": {h: {"addresses": [f"10.99.{n}.1"]} for n, h in enumerate(front_ends)}}
    variables["hostvars"] = {
        h: (Untouchable() if h in front_ends else v) for h, v in variables["hostvars"].items()
    }
    args: dict[str, Any] = {}
    if given == "registered":
        variables["ocs_firewall_preflight"] = {"changed": False, "address_book": book}
    else:
        args["peer_addresses"] = book
    host = lab_host()
    result, _other = converge(host, variables, args)
    assert result["changed"] is True
    archiving = [r for r in host.rules if r["grouping"] == SERVERS["archiving"].group]
    assert len(archiving) == 5
    # The book's addresses, not the inventory's (10.10.0.11-13): it was used, alone.
    for rule in archiving:
        assert rule["remote_addresses"].split(",") == [
            f"10.99.{n}.1/255.255.255.255" for n in range(len(front_ends))
        ]
