"""preflight action plugin: every host's variables checked on the controller, none contacted."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleUndefinedVariable
from labhost import LabHost, example_estate, example_inventory, run_action

from ansible_collections.ocs.firewall.plugins.action.preflight import ActionModule
from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall import (
    ActionModule as WinOcsFirewall,
)

ESTATE = example_estate()


def hostvars(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The example estate's hostvars as plain dicts, ``overrides`` per host."""
    return {
        host: {"group_names": groups, **variables, **overrides.get(host.split(".")[0], {})}
        for host, (groups, variables) in ESTATE.items()
    }


def preflight(
    hosts: dict[str, dict[str, Any]],
    args: dict[str, Any] | None = None,
    play_hosts: list[str] | None = None,
    check_mode: bool = False,
) -> tuple[dict[str, Any], MagicMock, LabHost]:
    connection = MagicMock()
    lab = LabHost()
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        lab,
        {"hosts": None, **(args or {})},
        check_mode=check_mode,
        task_vars={
            "inventory_hostname": "fe01.ocs.example",
            "groups": example_inventory()["groups"],
            "hostvars": hosts,
            "ansible_play_hosts_all": list(hosts) if play_hosts is None else play_hosts,
        },
        connection=connection,
    )
    return result, connection, lab


def assert_no_host_contacted(connection: MagicMock, lab: LabHost) -> None:
    assert lab.commands == []
    assert connection.mock_calls == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_good_estate_passes_and_lists_each_hosts_components(check_mode: bool) -> None:
    result, connection, lab = preflight(hostvars(), check_mode=check_mode)
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["problems"] == {}
    assert set(result["components"]) == set(ESTATE)
    assert result["components"]["se01.ocs.example"] == [
        "front_end",
        "mediation",
        "av_conferencing",
        "web_conferencing",
        "web_components",
    ]
    assert result["components"]["sql01.ocs.example"] == ["sql_backend"]
    assert_no_host_contacted(connection, lab)


def test_two_bad_hosts_are_both_reported_and_no_host_is_contacted() -> None:
    hosts = hostvars(
        edge01={"ocs_edge_internal_addresses": ["10.10.1.300"]},
        med01={"ocs_mediation_state": "gone", "ocs_mediation_pool_addresses": ["LocalSubnet"]},
    )
    result, connection, lab = preflight(hosts)
    assert result["failed"] is True
    # The Edge's internal and the Mediation Server's pool addresses are what their peers
    # see (the scope is the inventory's): each host with rules for them names the bad host,
    # and the full reason stays the bad host's own.
    bad = {"edge01.ocs.example", "med01.ocs.example"}
    peers_of_bad = set(result["problems"]) - bad
    assert bad <= set(result["problems"]) and peers_of_bad >= {"fe01.ocs.example"}
    for host in peers_of_bad:
        for problem in result["problems"][host]:
            assert re.search(r"(edge01|med01)\.ocs\.example \(ocs_(edge|mediation)\)", problem)
            assert re.search(r"reported for (edge01|med01)\.ocs\.example\)$", problem)
    assert result["problems"]["med01.ocs.example"] == [
        'ocs_mediation_state: "gone" is not a state; valid states are present, absent',
        'ocs_mediation_pool_addresses: "LocalSubnet" is not a valid local address; give this '
        "server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)",
    ]
    # One line per cause: each bad address once, with what needs it, not once per peer.
    message = result["msg"]
    assert message.startswith("3 problems, no host was contacted:\n- ")
    assert re.search(
        r'\n- edge01\.ocs\.example: ocs_edge_internal_addresses: "10\.10\.1\.300" .*'
        r"\(\d+ rules on 4 hosts need this address\)\n",
        message,
    )
    assert '\n- med01.ocs.example: ocs_mediation_state: "gone"' in message
    assert '\n- med01.ocs.example: ocs_mediation_pool_addresses: "LocalSubnet"' in message
    assert "reported for" not in message
    assert [c["hosts"] for c in result["causes"]] == [
        ["edge01.ocs.example"],
        ["med01.ocs.example"],
        ["med01.ocs.example"],
    ]
    # The good hosts are still listed with their components.
    assert "sql01.ocs.example" in result["components"]
    assert "edge01.ocs.example" not in result["components"]
    assert_no_host_contacted(connection, lab)


@pytest.mark.parametrize(
    ("overrides", "host", "expected"),
    [
        pytest.param(
            {"rp01": {"ocs_firewall_remove_unassigned": "sometimes"}},
            "rp01.ocs.example",
            ['ocs_firewall_remove_unassigned: "sometimes" is not a boolean; give true or false'],
            id="collection-wide-variable",
        ),
        pytest.param(
            {"fe01": {"ocs_front_end_group": "Shared", "ocs_web_components_group": "SHARED"}},
            "fe01.ocs.example",
            [
                "ocs_web_components_group and ocs_front_end_group both name the rule group "
                '"SHARED" ("Shared"); two components cannot share a group, each would remove '
                "the other's rules on every run"
            ],
            id="collocated-components-on-one-group",
        ),
        pytest.param(
            {"gc01": {"ocs_group_chat_group": "@FirewallAPI.dll,-28752"}},
            "gc01.ocs.example",
            [
                "ocs_group_chat_group: \"@FirewallAPI.dll,-28752\" starts with '@', the indirect "
                "name of a built-in Windows group; the collection never changes built-in rules, "
                "so give a group of your own"
            ],
            id="built-in-group",
        ),
    ],
)
def test_problems_of_one_host(
    overrides: dict[str, dict[str, Any]], host: str, expected: list[str]
) -> None:
    result, _calls, _warnings = preflight(hostvars(**overrides))
    assert result["problems"] == {host: expected}


def test_only_the_named_hosts_are_checked() -> None:
    hosts = hostvars(edge01={"ocs_edge_state": "gone"})
    result, _calls, _warnings = preflight(
        hosts, {"hosts": ["fe01.ocs.example", "sql01.ocs.example"]}
    )
    assert not result.get("failed"), result
    assert list(result["components"]) == ["fe01.ocs.example", "sql01.ocs.example"]


def test_the_play_hosts_are_checked_by_default() -> None:
    hosts = hostvars(edge01={"ocs_edge_state": "gone"})
    result, _calls, _warnings = preflight(
        hosts, play_hosts=["dir01.ocs.example", "edge01.ocs.example"]
    )
    assert set(result["problems"]) == {"edge01.ocs.example"}
    assert list(result["components"]) == ["dir01.ocs.example"]


def test_a_host_without_components_passes() -> None:
    result, _calls, _warnings = preflight({"web01": {"group_names": ["webservers"]}})
    assert not result.get("failed"), result
    assert result["components"] == {"web01": []}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"bogus": True}, "bogus"),
        ({"hosts": {"a": 1}}, "argument 'hosts' is of type dict"),
    ],
)
def test_a_bad_option_is_reported(args: dict[str, Any], words: str) -> None:
    result, connection, lab = preflight(hostvars(), args)
    assert result["failed"] is True
    assert words in result["msg"]
    assert "problems" not in result
    assert_no_host_contacted(connection, lab)


def test_preflight_and_the_module_word_a_problem_alike() -> None:
    """Both go through _host_request.host_request: the same problem reads the same in both."""
    hosts = hostvars(edge01={"ocs_edge_profiles": ["work"], "ocs_edge_include_extras": "maybe"})
    result, _calls, _warnings = preflight(hosts)
    problems = result["problems"]["edge01.ocs.example"]

    class Templar:
        def template(self, value: Any) -> Any:
            return value

    variables = dict(hosts["edge01.ocs.example"], inventory_hostname="edge01.ocs.example")
    lab = LabHost()
    module_result, _other = run_action(
        WinOcsFirewall,
        "ocs.firewall.win_ocs_firewall",
        lab,
        {"components": None, "remove_unassigned": None},
        task_vars=variables,
        templar=Templar(),
    )
    assert module_result["msg"] == "; ".join(f"edge01.ocs.example: {p}" for p in problems)
    assert lab.commands == []


class LazyVariables(Mapping[str, Any]):
    """A host's variables as hostvars gives them: templated on access, which can fail."""

    def __init__(self, variables: dict[str, Any], broken: str) -> None:
        self._variables = variables
        self._broken = broken

    def __getitem__(self, name: str) -> Any:
        if name == self._broken:
            raise AnsibleUndefinedVariable("'edge_ip' is undefined")
        return self._variables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)


def test_a_variable_that_cannot_be_templated_is_one_more_problem() -> None:
    hosts: dict[str, Any] = hostvars(cwa01={"ocs_cwa_state": "gone"})
    edge_groups, edge_vars = ESTATE["edge01.ocs.example"]
    hosts["edge01.ocs.example"] = LazyVariables(
        {
            "group_names": edge_groups,
            **edge_vars,
            "ocs_edge_internal_addresses": "{{ edge_ip }}",
        },
        "ocs_edge_internal_addresses",
    )
    result, _calls, _warnings = preflight(hosts)
    assert {"edge01.ocs.example", "cwa01.ocs.example"} <= set(result["problems"])
    assert "ocs_edge_internal_addresses" in result["problems"]["edge01.ocs.example"][0]
    # The hosts that have the Edge as a peer cannot scope their rules for it either.
    for host in set(result["problems"]) - {"edge01.ocs.example", "cwa01.ocs.example"}:
        assert all("edge01.ocs.example (ocs_edge)" in p for p in result["problems"][host])
        assert all("'edge_ip' is undefined" in p for p in result["problems"][host])


def test_a_misspelt_component_group_stops_the_run_naming_the_group_and_the_fix() -> None:
    hosts = hostvars()
    hosts["gc01.ocs.example"]["group_names"] = ["ocs_group_chats"]
    result, connection, lab = preflight(hosts)
    assert result["failed"] is True
    assert result["problems"] == {
        "gc01.ocs.example": [
            "inventory group ocs_group_chats: is not an OCS component group; did you mean "
            "ocs_group_chat? The run stops rather than take the host's component off it. A "
            "group of your own: add it to ocs_firewall_other_groups"
        ]
    }
    assert "gc01.ocs.example: inventory group ocs_group_chats" in result["msg"]
    assert_no_host_contacted(connection, lab)


def test_a_host_only_in_a_misspelt_group_is_found_though_no_play_holds_it() -> None:
    hosts = hostvars()
    hosts["med02.ocs.example"] = {"group_names": ["ocs_mediatoin"]}
    groups = {**example_inventory()["groups"], "ocs_mediatoin": ["med02.ocs.example"]}
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        LabHost(),
        {"hosts": None},
        task_vars={
            "inventory_hostname": "fe01.ocs.example",
            "groups": groups,
            "hostvars": hosts,
            "ansible_play_hosts_all": [h for h in hosts if h != "med02.ocs.example"],
        },
        connection=MagicMock(),
    )
    assert result["failed"] is True
    assert list(result["problems"]) == ["med02.ocs.example"]
    assert "did you mean ocs_mediation?" in result["problems"]["med02.ocs.example"][0]


@pytest.mark.parametrize(
    "other_groups", [["ocs_pool_head_office"], ["ocs_pool_*"], "ocs_pool_head_office"]
)
def test_a_group_of_the_users_own_passes_once_listed(other_groups: Any) -> None:
    hosts = hostvars()
    for name in ("fe01.ocs.example", "fe02.ocs.example"):
        hosts[name]["group_names"] = [*hosts[name]["group_names"], "ocs_pool_head_office"]
    assert preflight(hosts)[0]["failed"] is True
    for name in ("fe01.ocs.example", "fe02.ocs.example"):
        hosts[name]["ocs_firewall_other_groups"] = other_groups
    result, _connection, _lab = preflight(hosts)
    assert not result.get("failed"), result


@pytest.mark.parametrize(
    ("host", "variable", "value", "expected"),
    [
        pytest.param(
            "edge01",
            "ocs_edge_internal_address",
            ["10.10.1.10"],
            'ocs_edge_internal_address: ["10.10.1.10"] is not a variable of ocs.firewall; '
            "did you mean ocs_edge_internal_addresses? A variable of your own: add it to "
            "ocs_firewall_other_variables",
            id="misspelt-component-setting",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_scop",
            "inventory",
            'ocs_firewall_scop: "inventory" is not a variable of ocs.firewall; did you mean '
            "ocs_firewall_scope? A variable of your own: add it to ocs_firewall_other_variables",
            id="misspelt-estate-variable",
        ),
        pytest.param(
            "fe01",
            "ocs_backup_dir",
            "D:/backup",
            'ocs_backup_dir: "D:/backup" is not a variable of ocs.firewall. A variable of your '
            "own: add it to ocs_firewall_other_variables",
            id="unknown-variable-nothing-near",
        ),
    ],
)
def test_an_unknown_ocs_variable_stops_the_run_with_the_nearest_name(
    host: str, variable: str, value: Any, expected: str
) -> None:
    result, connection, lab = preflight(hostvars(**{host: {variable: value}}))
    assert result["failed"] is True
    assert expected in result["problems"][f"{host}.ocs.example"]
    assert_no_host_contacted(connection, lab)


def test_a_variable_of_the_users_own_passes_once_listed() -> None:
    hosts = hostvars(
        fe01={"ocs_backup_dir": "D:/backup", "ocs_firewall_other_variables": ["ocs_backup_*"]}
    )
    result, _connection, _lab = preflight(hosts)
    assert not result.get("failed"), result


def test_an_unknown_variable_of_the_play_is_filed_under_the_plays_vars() -> None:
    hosts = hostvars()
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        LabHost(),
        {"hosts": None},
        task_vars={
            "inventory_hostname": "fe01.ocs.example",
            "groups": example_inventory()["groups"],
            "hostvars": hosts,
            "ansible_play_hosts_all": list(hosts),
            "ocs_firewall_confirm_removal": True,
            **hosts["fe01.ocs.example"],
        },
        connection=MagicMock(),
    )
    assert result["problems"] == {
        "(play vars)": [
            "ocs_firewall_confirm_removal: true is not a variable of ocs.firewall; did you mean "
            "ocs_firewall_confirm_removals? A variable of your own: add it to "
            "ocs_firewall_other_variables"
        ]
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"ocs_edge_internal_addresses": []},
            "ocs_edge_internal_addresses is not set: its internal-only ports (5062/TCP, "
            "8057/TCP) would open on its Internet side too; give the Edge's addresses (on the "
            "external side, or one per service: ocs_edge_access_addresses, "
            "ocs_edge_webconf_addresses, ocs_edge_av_addresses), or set ocs_edge_unbound: "
            "true to take any local address on purpose",
            id="no-internal-address",
        ),
        pytest.param(
            {"ocs_edge_av_addresses": []},
            "ocs_edge_external_addresses is not set: its Internet-facing ports would open on "
            "its internal side too; give the Edge's addresses (on the external side, or one "
            "per service: ocs_edge_access_addresses, ocs_edge_webconf_addresses, "
            "ocs_edge_av_addresses), or set ocs_edge_unbound: true to take any local address "
            "on purpose",
            id="a-service-without-addresses-and-no-external-side",
        ),
    ],
)
def test_an_edge_without_its_addresses_stops_the_run(
    overrides: dict[str, Any], expected: str
) -> None:
    result, connection, lab = preflight(hostvars(edge01=overrides))
    assert expected in result["problems"]["edge01.ocs.example"]
    assert_no_host_contacted(connection, lab)


def test_an_edge_may_take_any_address_when_it_says_so() -> None:
    edge = {
        "ocs_edge_internal_addresses": [],
        "ocs_edge_access_addresses": [],
        "ocs_edge_webconf_addresses": [],
        "ocs_edge_av_addresses": [],
        "ocs_edge_unbound": True,
    }
    hosts = hostvars(edge01=edge)
    for variables in hosts.values():
        variables["ocs_firewall_scope"] = "any"
    result, _connection, _lab = preflight(hosts)
    assert not result.get("failed"), result


@pytest.mark.parametrize(
    ("host", "variable", "value", "expected"),
    [
        pytest.param(
            "dir01",
            "ocs_edge_external_addresses",
            ["999.1.1.1"],
            'ocs_edge_external_addresses: "999.1.1.1" is not a valid local address; give this '
            "server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)",
            id="a-component-the-host-does-not-hold",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_winrm_max_envelope_kb",
            10,
            "ocs_firewall_winrm_max_envelope_kb: 10 is below 32; give the hosts' "
            "MaxEnvelopeSizekb (winrm get winrm/config), 150 on WinRM 2.0",
            id="envelope",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_vips",
            {"front_end": "10.10.0.10", "pool": "10.10.0.11"},
            'ocs_firewall_vips: "pool" is not a component a load balancer balances; valid '
            "keys are front_end, director, edge",
            id="unknown-key-of-a-dictionary",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_max_removals",
            "many",
            'ocs_firewall_max_removals: "many" is not a number of rules (0 or more)',
            id="count",
        ),
        pytest.param(
            "fe01",
            "ansible_connection",
            "ansible.builtin.psrp",
            "ansible_connection psrp is not supported: the collection's script writes its "
            "reply to the console, which psrp does not return (it returns pipeline output). "
            "Use ansible_connection: winrm (HTTP 5985 with message encryption, or HTTPS)",
            id="connection",
        ),
    ],
)
def test_every_known_variable_is_checked_on_every_host(
    host: str, variable: str, value: Any, expected: str
) -> None:
    result, connection, lab = preflight(hostvars(**{host: {variable: value}}))
    assert result["problems"][f"{host}.ocs.example"] == [expected]
    assert_no_host_contacted(connection, lab)


def test_a_scoped_estate_gets_the_address_of_every_server_once() -> None:
    result, connection, lab = preflight(hostvars())
    assert not result.get("failed"), result
    book = result["address_book"]
    assert book["archiving"] == {"arch01.ocs.example": {"addresses": ["10.10.0.70"]}}
    # The Edge as its internal peers see it; a collocated host once per component.
    assert book["edge"] == {"edge01.ocs.example": {"addresses": ["10.10.1.10"]}}
    assert book["mediation"]["med01.ocs.example"] == {"addresses": ["10.10.0.40"]}
    assert book["mediation"]["se01.ocs.example"] == {"addresses": ["10.10.0.13"], "pool": "se01"}
    assert book["front_end"]["fe01.ocs.example"] == {
        "addresses": ["10.10.0.11"],
        "pool": "head_office",
    }
    assert_no_host_contacted(connection, lab)


def test_an_estate_scoped_nowhere_gets_no_address_book() -> None:
    hosts = hostvars()
    for variables in hosts.values():
        variables["ocs_firewall_scope"] = "any"
    result, _connection, _lab = preflight(hosts)
    assert not result.get("failed") and result["address_book"] == {}


@pytest.mark.parametrize(
    ("host", "variable", "value", "expected"),
    [
        pytest.param(
            "fe01",
            "ocs_front_end_remote_addresses",
            ["fe80::1%11"],
            'ocs_front_end_remote_addresses: "fe80::1%11" is not a valid address: an IPv6 zone '
            "id ('%' and what follows) names an interface of one machine; a firewall rule "
            "takes the address without it",
            id="ipv6-zone-id",
        ),
        pytest.param(
            "fe01",
            "ocs_front_end_remote_addresses",
            "fe80::%eth0/64",
            "is not a valid address: an IPv6 zone id",
            id="ipv6-zone-id-in-a-network",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_legacy_rpc_ports",
            "\u0665\u0660\u0660\u0660-\u0665\u0660\u0661\u0660",
            "ocs_firewall_legacy_rpc_ports: '\u0665\u0660\u0660\u0660-\u0665\u0660\u0661\u0660' "
            "is not a port number or range",
            id="arabic-indic-digits",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_legacy_rpc_ports",
            "\uff15\uff10\uff10\uff10-\uff15\uff10\uff11\uff10",
            "is not a port number or range",
            id="full-width-digits",
        ),
        pytest.param(
            "fe01",
            "ocs_firewall_winrm_max_envelope_kb",
            "\uff11\uff15\uff10",
            "ocs_firewall_winrm_max_envelope_kb: '\uff11\uff15\uff10' is not a number of KB",
            id="full-width-envelope",
        ),
        pytest.param(
            "edge01",
            "ocs_edge_internal_addresses",
            ["10.10.1.0/24"],
            'ocs_edge_internal_addresses and ocs_edge_av_addresses both hold "10.10.1.12" '
            '(inside "10.10.1.0/24")',
            id="edge-service-inside-the-internal-network",
        ),
        pytest.param(
            "cwa01",
            "ocs_cwa_group",
            "OCS 2007 R2 - Front End",
            'ocs_cwa_group: "OCS 2007 R2 - Front End" is the default group of front_end',
            id="another-components-default-group",
        ),
        pytest.param(
            "fe01",
            "ocs_front_end_group",
            "Core Networking",
            'ocs_front_end_group: "Core Networking" is the name Windows shows for one of its '
            "built-in groups",
            id="built-in-display-name",
        ),
        pytest.param(
            "fe01",
            "ocs_front_end_group",
            "remote desktop",
            "is the name Windows shows for one of its built-in groups",
            id="built-in-display-name-any-case",
        ),
        pytest.param(
            "fe01",
            "ocs_front_end_group",
            "Office Communications Server 2007 R2",
            'ocs_front_end_group: "Office Communications Server 2007 R2" is the group OCS 2007 '
            "R2 setup creates its rules in",
            id="ocs-setups-group",
        ),
    ],
)
def test_values_windows_would_refuse_or_read_otherwise_stop_the_run(
    host: str, variable: str, value: Any, expected: str
) -> None:
    hosts = hostvars(**{host: {variable: value}})
    if host == "edge01":
        hosts["edge01.ocs.example"]["ocs_edge_av_addresses"] = ["10.10.1.12"]
    result, connection, lab = preflight(hosts)
    assert result["failed"] is True
    (problem,) = result["problems"][f"{host}.ocs.example"]
    assert expected in problem, problem
    assert_no_host_contacted(connection, lab)


# ---- one cause, one message --------------------------------------------------------------


def _without_address(hosts: dict[str, dict[str, Any]], host: str) -> dict[str, dict[str, Any]]:
    """``host`` with no ocs_firewall_address, and an ansible_host its peers cannot reach."""
    hosts[host] = {k: v for k, v in hosts[host].items() if k != "ocs_firewall_address"} | {
        "ansible_host": "127.0.0.1"
    }
    return hosts


def test_a_missing_address_is_one_cause_on_the_host_it_is_missing_from() -> None:
    result, connection, lab = preflight(_without_address(hostvars(), "dir01.ocs.example"))
    assert result["failed"] is True
    # Every host with rules that need the Director's address reports it...
    assert set(result["problems"]) == {
        "fe01.ocs.example",
        "fe02.ocs.example",
        "se01.ocs.example",
        "dir01.ocs.example",
        "edge01.ocs.example",
        "med01.ocs.example",
    }
    # ... and it is said once, on the Director, with how many rules on how many hosts.
    (cause,) = result["causes"]
    assert cause == {
        "msg": 'ocs_firewall_address missing on dir01.ocs.example (its ansible_host "127.0.0.1" '
        "is not an address its peers reach): 7 rules on 6 hosts need it; set "
        "ocs_firewall_address for dir01.ocs.example",
        "hosts": ["dir01.ocs.example"],
        "reported_by": list(result["problems"]),
    }
    assert result["msg"] == f"1 problem, no host was contacted: {cause['msg']}"
    assert_no_host_contacted(connection, lab)


def test_a_wrong_value_every_host_has_is_one_cause_naming_them() -> None:
    hosts = {
        host: {**variables, "ocs_firewall_client_networks": ["10.20.0.0/33"]}
        for host, variables in hostvars().items()
    }
    result, _connection, _lab = preflight(hosts)
    assert len(result["problems"]) == len(ESTATE)
    (cause,) = result["causes"]
    assert cause["msg"] == (
        f'every host of the play ({len(ESTATE)}): ocs_firewall_client_networks: "10.20.0.0/33" '
        "is not a valid address; give IPv4 or IPv6 addresses, networks (10.10.0.0/16), ranges "
        "(10.10.0.1-10.10.0.9) or the keywords LocalSubnet, DNS, DHCP, WINS, DefaultGateway"
    )
    assert cause["hosts"] == list(ESTATE)
    assert result["msg"] == f"1 problem, no host was contacted: {cause['msg']}"


def test_the_message_is_short_whatever_the_problems() -> None:
    """A line per cause, the first ten; each host's problems are in the result."""
    hosts = hostvars(
        **{
            host.split(".")[0]: {f"ocs_custom_{i}": host for i in range(3)}
            for host in list(ESTATE)[:5]
        }
    )
    result, _connection, _lab = preflight(hosts)
    assert sum(len(p) for p in result["problems"].values()) == 15
    assert len(result["causes"]) == 15
    lines = result["msg"].splitlines()
    assert lines[0] == "15 problems, no host was contacted:"
    assert len(lines) == 12
    assert lines[-1] == "- and 5 more: see the result's causes"


def test_left_to_the_hosts_the_preflight_does_not_fail_and_says_what_stops_each() -> None:
    hosts = _without_address(hostvars(), "dir01.ocs.example")
    hosts["cwa01.ocs.example"]["ocs_cwa_state"] = "gone"
    result, connection, lab = preflight(hosts, {"stop_hosts_in": "apply"})
    assert not result.get("failed"), result
    assert result["stops"] == {
        "dir01.ocs.example": "1 problem, no host was contacted: ocs_firewall_address missing "
        'on dir01.ocs.example (its ansible_host "127.0.0.1" is not an address its peers '
        "reach): 7 rules on 6 hosts need it; set ocs_firewall_address for dir01.ocs.example",
        "cwa01.ocs.example": "1 problem, no host was contacted: cwa01.ocs.example: "
        'ocs_cwa_state: "gone" is not a state; valid states are present, absent',
    }
    assert result["msg"].startswith("2 problems, no host was contacted:\n")
    assert_no_host_contacted(connection, lab)


@pytest.mark.parametrize(
    ("run_tags", "skip_tags"),
    [
        pytest.param(["preflight"], [], id="tags-preflight"),
        pytest.param(["all"], ["apply"], id="skip-tags-apply"),
    ],
)
def test_a_run_without_the_hosts_task_fails_in_the_preflight(
    run_tags: list[str], skip_tags: list[str]
) -> None:
    hosts = _without_address(hostvars(), "dir01.ocs.example")
    connection = MagicMock()
    lab = LabHost()
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        lab,
        {"hosts": None, "stop_hosts_in": "apply"},
        task_vars={
            "inventory_hostname": "fe01.ocs.example",
            "groups": example_inventory()["groups"],
            "hostvars": hosts,
            "ansible_play_hosts_all": list(hosts),
            "ansible_run_tags": run_tags,
            "ansible_skip_tags": skip_tags,
        },
        connection=connection,
    )
    assert result["failed"] is True
    assert "stops" not in result
    assert result["msg"].startswith("1 problem, no host was contacted: ocs_firewall_address")
    assert_no_host_contacted(connection, lab)


def test_a_cause_no_host_of_the_play_has_fails_in_the_preflight() -> None:
    """A host outside the play in a misspelt group: no task of the play's hosts can say it."""
    hosts = hostvars()
    hosts["med02.ocs.example"] = {"group_names": ["ocs_mediatoin"]}
    groups = {**example_inventory()["groups"], "ocs_mediatoin": ["med02.ocs.example"]}
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        LabHost(),
        {"hosts": None, "stop_hosts_in": "apply"},
        task_vars={
            "inventory_hostname": "fe01.ocs.example",
            "groups": groups,
            "hostvars": hosts,
            "ansible_play_hosts_all": [h for h in hosts if h != "med02.ocs.example"],
        },
        connection=MagicMock(),
    )
    assert result["failed"] is True
    assert result["causes"][0]["hosts"] == []
    assert result["msg"].startswith("1 problem, no host was contacted: med02.ocs.example: ")


def test_with_limit_a_peer_outside_the_play_stops_the_hosts_that_need_it() -> None:
    hosts = _without_address(hostvars(), "dir01.ocs.example")
    result, _connection, _lab = preflight(
        hosts, {"stop_hosts_in": "apply"}, play_hosts=["fe01.ocs.example"]
    )
    assert not result.get("failed"), result
    assert list(result["stops"]) == ["fe01.ocs.example"]
    assert "1 rule on 1 host needs it" in result["stops"]["fe01.ocs.example"]
