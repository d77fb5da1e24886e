"""Least-privilege remote addresses from the inventory (plugins/plugin_utils/_estate/_scope.py).

With ``ocs_firewall_scope: inventory`` every rule is limited to its peers: the hosts of
the inventory holding the components the catalogue names, the networks of the
collection-wide variables for the peer kinds outside the inventory, and nothing at all
(any address) for the Internet side of the Edge. A peer that cannot be given an address,
or a required variable left unset, is a problem reported before any host is contacted:
the scope is never silently "any" nor empty.

The inventories here are built by hand: ``groups`` as a play's ``groups`` holds them and
``hostvars`` as plain dictionaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import Cause, Problem
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
    _scope,
    _settings,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _grammar

SERVERS = _catalogue.server_components()
KINDS = _catalogue.peer_kinds()
SCOPED = {"ocs_firewall_scope": "inventory"}
CLIENTS = ["10.20.0.0/16"]
# Two front ends of a pool, each with the address its peers reach it on.
FRONT_ENDS = {"fe1": "10.0.0.11", "fe2": "10.0.0.21"}


def inventory(
    groups: Mapping[str, list[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    checked: Iterable[str] = (),
) -> _scope.Inventory:
    return _scope.Inventory(groups, hostvars, checked=checked)


def front_ends(**more: str) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """``(groups, hostvars)`` of the front ends (``more``: extra front ends, name=address)."""
    hosts = {**FRONT_ENDS, **more}
    groups = {"ocs_front_end": list(hosts)}
    hostvars: dict[str, dict[str, Any]] = {
        host: {"ocs_firewall_address": address} for host, address in hosts.items()
    }
    return groups, hostvars


def ask(
    keys: list[str], variables: Mapping[str, Any], inv: _scope.Inventory | None
) -> tuple[_host_request.HostRequest | None, list[str]]:
    """The request of a host holding ``keys`` (its inventory groups ``ocs_<key>``)."""
    return _host_request.host_request([f"ocs_{key}" for key in keys], variables, inventory=inv)


def scoped(
    keys: list[str], variables: Mapping[str, Any], inv: _scope.Inventory | None
) -> _scope.Remotes:
    found, problems = ask(keys, variables, inv)
    assert problems == [], problems
    assert found is not None
    return found.remotes


def refused(
    keys: list[str], variables: Mapping[str, Any], inv: _scope.Inventory | None
) -> list[str]:
    found, problems = ask(keys, variables, inv)
    assert found is None
    assert problems
    return problems


def made_ids(key: str, **options: Any) -> list[str]:
    """The ids of the entries that give the component rules with those settings."""
    made = _component_rules.made_entries(_catalogue.server_entries(key), **options)
    return [entry["id"] for entry, _directions in made]


def canonical(*addresses: str) -> tuple[str, ...]:
    return _grammar.canonical_addresses(list(addresses))


# ---- the scope any: nothing from the inventory ------------------------------------------------


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({}, id="default"),
        pytest.param({"ocs_firewall_scope": "any"}, id="any"),
    ],
)
def test_scope_any_gives_no_remotes_and_needs_no_inventory(variables: dict[str, Any]) -> None:
    """The default keeps 0.1.0's behaviour: rules open to every address unless the
    component's remote_addresses say otherwise, whatever the inventory holds."""
    edge = {"ocs_edge_unbound": True}
    assert scoped(["archiving", "edge"], {**variables, **edge}, None) == {}
    groups, hostvars = front_ends()
    assert scoped(["archiving"], variables, inventory(groups, hostvars)) == {}
    settings, problems = _settings.check_host({"archiving": {}}, _settings.variable_name)
    assert problems == []
    assert _scope.remotes(settings, _scope.Scope(), None) == ({}, [])
    rules = _component_rules.component_rules(settings[0], None)
    assert rules and all(r.remote_addresses == () for r in rules)


def test_scope_inventory_without_the_inventory_is_a_problem() -> None:
    problems = refused(["archiving"], SCOPED, None)
    assert problems == [
        "ocs_firewall_scope: inventory needs the play's inventory (groups, hostvars)"
    ]


# ---- component peers: the inventory's hosts ---------------------------------------------------


def test_archiving_rules_are_limited_to_the_front_ends() -> None:
    """The Archiving Server is reached by the front ends only (MSMQ): each of its rules is
    opened to exactly their addresses, and not to any other server of the estate."""
    groups, hostvars = front_ends()
    groups |= {"ocs_archiving": ["arch"], "ocs_edge": ["edge1"], "ocs_monitoring": ["mon"]}
    hostvars |= {
        "arch": {"ocs_firewall_address": "10.0.0.50"},
        "edge1": {"ocs_firewall_address": "10.0.1.10"},
        "mon": {"ocs_firewall_address": "10.0.0.60"},
    }
    remotes = scoped(["archiving"], SCOPED, inventory(groups, hostvars))
    assert list(remotes) == ["archiving"]
    assert list(remotes["archiving"]) == made_ids("archiving")
    assert set(remotes["archiving"].values()) == {("10.0.0.11", "10.0.0.21")}
    # The rules the host gets carry them.
    (settings,) = _settings.check_host({"archiving": {}}, _settings.variable_name)[0]
    rules = _component_rules.component_rules(settings, remotes["archiving"])
    assert rules and {r.remote_addresses for r in rules} == {("10.0.0.11", "10.0.0.21")}


def test_a_new_front_end_adds_exactly_its_address() -> None:
    before = scoped(["archiving"], SCOPED, inventory(*front_ends()))["archiving"]
    after = scoped(["archiving"], SCOPED, inventory(*front_ends(fe3="10.0.0.13")))["archiving"]
    assert list(after) == list(before)
    for entry_id, addresses in after.items():
        assert sorted(addresses) == sorted([*before[entry_id], "10.0.0.13"]), entry_id


def test_a_peer_with_several_addresses_gives_them_all() -> None:
    groups, hostvars = front_ends()
    hostvars["fe2"]["ocs_firewall_address"] = ["10.0.0.21", "10.0.2.12"]
    remotes = scoped(["archiving"], SCOPED, inventory(groups, hostvars))["archiving"]
    assert set(remotes.values()) == {("10.0.0.11", "10.0.0.21", "10.0.2.12")}


# ---- the address a peer shows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "host", "variables", "expected"),
    [
        pytest.param(
            "edge",
            "edge1",
            {
                "ocs_edge_internal_addresses": ["10.0.1.10"],
                "ocs_edge_external_addresses": ["192.0.2.10"],
                "ocs_firewall_address": "10.0.9.9",
                "ansible_host": "10.0.8.8",
            },
            ("10.0.1.10",),
            id="edge-internal-side-first",
        ),
        pytest.param(
            "edge",
            "edge1",
            {"ocs_edge_internal_addresses": [], "ocs_firewall_address": "10.0.9.9"},
            ("10.0.9.9",),
            id="edge-empty-internal-side-then-address",
        ),
        pytest.param(
            "edge",
            "edge1",
            {"ocs_edge_external_addresses": ["192.0.2.10"], "ansible_host": "10.0.8.8"},
            ("10.0.8.8",),
            id="edge-never-its-external-side",
        ),
        pytest.param(
            "mediation",
            "med1",
            {
                "ocs_mediation_pool_addresses": "10.0.2.20",
                "ocs_mediation_gateway_addresses": "198.51.100.20",
                "ocs_firewall_address": "10.0.9.9",
            },
            ("10.0.2.20",),
            id="mediation-pool-side-first",
        ),
        pytest.param(
            "front_end",
            "fe1",
            {"ocs_edge_internal_addresses": ["10.0.1.10"], "ocs_firewall_address": "10.0.9.9"},
            ("10.0.9.9",),
            id="another-components-side-does-not-count",
        ),
        pytest.param(
            "front_end",
            "fe1",
            {"ocs_firewall_address": ["10.0.0.11", "10.0.0.21"], "ansible_host": "10.0.8.8"},
            ("10.0.0.11", "10.0.0.21"),
            id="address-over-ansible-host",
        ),
        pytest.param(
            "front_end",
            "fe1",
            {"ocs_firewall_address": "10.0.0.11", "ansible_host": "127.0.0.1"},
            ("10.0.0.11",),
            id="address-over-a-loopback-ansible-host",
        ),
        pytest.param(
            "front_end", "fe1", {"ansible_host": "10.0.8.8"}, ("10.0.8.8",), id="ansible-host-ip"
        ),
        pytest.param(
            "front_end",
            "fe1",
            {"ansible_host": "2001:db8::8"},
            ("2001:db8::8",),
            id="ansible-host-ipv6",
        ),
        pytest.param("front_end", "10.0.7.7", {}, ("10.0.7.7",), id="inventory-name-ip"),
    ],
)
def test_the_address_a_peer_shows(
    key: str, host: str, variables: dict[str, Any], expected: tuple[str, ...]
) -> None:
    """An Edge or a Mediation Server shows its internal peers its internal side; any host
    its ocs_firewall_address, else the IP address Ansible reaches it on."""
    inv = inventory({f"ocs_{key}": [host]}, {host: variables})
    assert inv.holders(key) == [host]
    assert inv.address(host, key) == (expected, "", False)


def test_an_edge_peer_is_seen_on_its_internal_side() -> None:
    """A Director's rules take the Edge's internal addresses, never the external ones."""
    groups, hostvars = front_ends()
    groups |= {"ocs_director": ["dir1"], "ocs_edge": ["edge1"]}
    hostvars |= {
        "dir1": {"ocs_firewall_address": "10.0.0.31"},
        "edge1": {
            "ocs_edge_internal_addresses": ["10.0.1.10"],
            "ocs_edge_external_addresses": ["192.0.2.10"],
            "ocs_firewall_address": "10.0.9.9",
        },
    }
    variables = {**SCOPED, "ocs_firewall_client_networks": CLIENTS}
    remotes = scoped(["director"], variables, inventory(groups, hostvars))["director"]
    assert remotes["seed-45"] == canonical(
        "10.0.0.11", "10.0.0.21", "10.0.0.31", "10.0.1.10", *CLIENTS
    )


@pytest.mark.parametrize(
    ("host", "variables", "why"),
    [
        pytest.param(
            "edge1",
            {"ansible_host": "127.0.0.1"},
            'its ansible_host "127.0.0.1" is not an address its peers reach',
            id="loopback",
        ),
        pytest.param(
            "edge1",
            {"ansible_host": "::1"},
            'its ansible_host "::1" is not an address its peers reach',
            id="loopback-ipv6",
        ),
        pytest.param(
            "edge1",
            {"ansible_host": "0.0.0.0"},
            'its ansible_host "0.0.0.0" is not an address its peers reach',
            id="unspecified",
        ),
        pytest.param(
            "edge1",
            {"ansible_host": "edge1.ocs.example"},
            'its ansible_host "edge1.ocs.example" is not an IP address',
            id="dns-name",
        ),
        pytest.param(
            "edge1.ocs.example",
            {},
            'its ansible_host "edge1.ocs.example" is not an IP address',
            id="inventory-name-not-ip",
        ),
    ],
)
def test_a_peer_without_an_address_is_a_problem(
    host: str, variables: dict[str, Any], why: str
) -> None:
    """A peer reached through a loopback or a name gives its peers no address: the message
    names the peer, its group and the variable that gives it one."""
    groups, hostvars = front_ends()
    groups |= {"ocs_director": ["dir1"], "ocs_edge": [host]}
    hostvars |= {"dir1": {"ocs_firewall_address": "10.0.0.31"}, host: variables}
    variables_of_dir = {**SCOPED, "ocs_firewall_client_networks": CLIENTS}
    problems = refused(["director"], variables_of_dir, inventory(groups, hostvars))
    assert problems == [
        f"ocs_firewall_scope: {host} (ocs_edge) is a peer of this host's director rules and "
        f"has no address ({why}): set ocs_firewall_address for {host}"
    ]


# ---- peers that are not in the inventory ------------------------------------------------------


def test_rules_whose_peers_have_no_host_are_problems() -> None:
    """An Archiving Server with no front end in the inventory: nobody could reach it, so each
    rule is refused, naming the entry, the groups to fill and the variable to set instead."""
    problems = refused(["archiving"], SCOPED, inventory({"ocs_archiving": ["arch"]}, {"arch": {}}))
    ids = made_ids("archiving")
    assert len(problems) == len(ids)
    for entry_id, problem in zip(ids, problems, strict=True):
        assert problem.startswith(f"ocs_firewall_scope: archiving entry {entry_id} (")
        assert "none of its peers (front_end) has a host in the inventory" in problem
        assert "(ocs_front_end)" in problem
        assert problem.endswith("or set ocs_archiving_remote_addresses")


def test_explicit_remote_addresses_win_over_the_scope() -> None:
    """remote_addresses are the operator's choice: that component is not scoped (nor
    checked against the inventory), the host's other components are."""
    variables = {**SCOPED, "ocs_archiving_remote_addresses": ["10.0.0.0/24"]}
    empty = inventory({}, {})
    assert scoped(["archiving"], variables, empty) == {}
    remotes = scoped(["archiving", "monitoring"], variables, inventory(*front_ends()))
    assert list(remotes) == ["monitoring"]
    found, _problems = ask(["archiving"], variables, empty)
    assert found is not None
    rules = _component_rules.component_rules(found.settings[0], found.remotes.get("archiving"))
    assert rules and {r.remote_addresses for r in rules} == {("10.0.0.0/24",)}


def test_an_absent_component_is_not_scoped() -> None:
    variables = {**SCOPED, "ocs_archiving_state": "absent"}
    assert scoped(["archiving"], variables, inventory({}, {})) == {}


def test_client_facing_rules_need_the_client_networks() -> None:
    """Without ocs_firewall_client_networks a client-facing rule would be opened to nobody:
    one problem names the variable and every component and entry that needs it."""
    problems = refused(["cwa", "web_conferencing"], SCOPED, inventory(*front_ends()))
    assert len(problems) == 1
    (problem,) = problems
    assert problem.startswith("ocs_firewall_client_networks: is not set")
    assert "cwa (seed-27, seed-33)" in problem
    assert "web_conferencing (extra-web-conferencing-8057)" in problem


@pytest.mark.parametrize("empty", [[], "", None], ids=["empty-list", "empty-string", "null"])
def test_empty_client_networks_count_as_unset(empty: Any) -> None:
    variables = {**SCOPED, "ocs_firewall_client_networks": empty}
    (problem,) = refused(["web_conferencing"], variables, inventory(*front_ends()))
    assert problem.startswith("ocs_firewall_client_networks: is not set")
    assert "web_conferencing (extra-web-conferencing-8057)" in problem


def test_client_networks_are_in_the_client_facing_rules() -> None:
    variables = {**SCOPED, "ocs_firewall_client_networks": ["10.20.0.0/16", "LocalSubnet"]}
    remotes = scoped(["cwa", "web_conferencing"], variables, inventory(*front_ends()))
    networks = canonical("10.20.0.0/16", "LocalSubnet")
    fe = canonical(*FRONT_ENDS.values())
    assert remotes["cwa"]["seed-27"] == networks
    # Peers of seed-33 without a host (reverse proxy, load balancers) add nothing.
    assert remotes["cwa"]["seed-33"] == networks
    assert remotes["cwa"]["seed-35"] == fe
    assert remotes["web_conferencing"]["extra-web-conferencing-8057"] == networks
    assert remotes["web_conferencing"]["extra-web-conferencing-444"] == fe


def test_gateway_rules_need_the_gateway_networks() -> None:
    """The Mediation Server's gateway side talks to the PSTN gateways only."""
    groups, hostvars = front_ends()
    variables = {**SCOPED, "ocs_firewall_client_networks": CLIENTS}
    (problem,) = refused(["mediation"], variables, inventory(groups, hostvars))
    assert problem.startswith("ocs_firewall_gateway_networks: is not set")
    assert "mediation (seed-47, seed-49)" in problem
    variables["ocs_firewall_gateway_networks"] = ["198.51.100.0/24"]
    remotes = scoped(["mediation"], variables, inventory(groups, hostvars))["mediation"]
    assert remotes["seed-49"] == ("198.51.100.0/24",)
    assert remotes["seed-48"] == canonical(*FRONT_ENDS.values())


def edge_estate() -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    groups, hostvars = front_ends()
    groups |= {"ocs_edge": ["edge1"], "ocs_director": ["dir1"]}
    hostvars |= {
        "edge1": {
            "ocs_edge_internal_addresses": ["10.0.1.10"],
            "ocs_edge_external_addresses": ["192.0.2.10"],
        },
        "dir1": {"ocs_firewall_address": "10.0.0.31"},
    }
    return groups, hostvars


def test_the_edge_internet_side_stays_open() -> None:
    """External users and federated partners are anywhere on the Internet: the Edge's
    external rules stay open to any address, its internal rules are scoped."""
    variables = {
        **SCOPED,
        "ocs_firewall_client_networks": CLIENTS,
        "ocs_firewall_domain_controllers": ["10.0.0.2"],
        "ocs_edge_include_outbound": True,
        "ocs_edge_r1_federation": True,
        "ocs_edge_internal_addresses": ["10.0.1.10"],
        "ocs_edge_external_addresses": ["192.0.2.10"],
    }
    remotes = scoped(["edge"], variables, inventory(*edge_estate()))["edge"]
    entries = {e["id"]: e for e in _catalogue.server_entries("edge")}
    assert list(remotes) == list(entries)
    external = [i for i, e in entries.items() if e["interface"] == "external"]
    assert {"seed-51", "seed-53", "seed-55", "seed-56", "extra-edge-av-r1-federation"} <= set(
        external
    )
    assert all(remotes[i] == () for i in external)
    assert all(remotes[i] != () for i in entries if i not in external)
    assert remotes["seed-52"] == canonical(*FRONT_ENDS.values())
    assert remotes["extra-edge-internal-5061"] == canonical(*FRONT_ENDS.values(), "10.0.0.31")


# ---- optional and outbound-only peer kinds -----------------------------------------------------


def test_unset_load_balancers_add_nothing() -> None:
    remotes = scoped(["monitoring"], SCOPED, inventory(*front_ends()))["monitoring"]
    assert set(remotes.values()) == {canonical(*FRONT_ENDS.values())}


def test_load_balancers_are_added_where_they_are_peers() -> None:
    """The hardware load balancer's own addresses (the source of health probes and SNAT
    traffic) join exactly the rules the catalogue says it reaches."""
    variables = {**SCOPED, "ocs_firewall_load_balancer_addresses": ["10.0.0.100"]}
    remotes = scoped(["monitoring"], variables, inventory(*front_ends()))["monitoring"]
    fe = canonical(*FRONT_ENDS.values())
    peers = {e["id"]: e["peers"] for e in _catalogue.server_entries("monitoring")}
    assert any("load_balancers" in p for p in peers.values())
    assert any("load_balancers" not in p for p in peers.values())
    for entry_id, addresses in remotes.items():
        if "load_balancers" in peers[entry_id]:
            assert addresses == canonical(*fe, "10.0.0.100"), entry_id
        else:
            assert addresses == fe, entry_id


@pytest.mark.parametrize("include_outbound", [False, True])
def test_cwa_needs_domain_controllers_only_for_outbound_rules(include_outbound: bool) -> None:
    """CWA's Kerberos, NetBIOS and LDAP entries are outbound: without outbound rules they
    make no rule, so nobody needs to list the domain controllers."""
    variables = {
        **SCOPED,
        "ocs_firewall_client_networks": CLIENTS,
        "ocs_cwa_include_outbound": include_outbound,
    }
    outbound = ["seed-28", "seed-29", "seed-30", "seed-31", "seed-32", "seed-34"]
    peers = {e["id"]: e["peers"] for e in _catalogue.server_entries("cwa")}
    assert [i for i, p in peers.items() if "domain_controllers" in p] == outbound
    inv = inventory(*front_ends())
    if not include_outbound:
        remotes = scoped(["cwa"], variables, inv)["cwa"]
        assert not set(outbound) & set(remotes)
        return
    (problem,) = refused(["cwa"], variables, inv)
    assert problem.startswith("ocs_firewall_domain_controllers: is not set")
    assert f"cwa ({', '.join(outbound)})" in problem
    variables["ocs_firewall_domain_controllers"] = ["10.0.0.2", "10.0.0.4"]
    remotes = scoped(["cwa"], variables, inv)["cwa"]
    assert all(remotes[i] == ("10.0.0.2", "10.0.0.4") for i in outbound)


# ---- bad values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"ocs_firewall_scope": "everything"},
            'ocs_firewall_scope: "everything" is not a scope; valid scopes are any, inventory',
            id="scope",
        ),
        pytest.param(
            {"ocs_firewall_scope": True},
            "ocs_firewall_scope: true is not a scope; valid scopes are any, inventory",
            id="scope-not-a-string",
        ),
        pytest.param(
            {"ocs_firewall_address": "10.0.0.300"},
            'ocs_firewall_address: "10.0.0.300" is not a valid local address',
            id="address",
        ),
        pytest.param(
            {"ocs_firewall_address": "LocalSubnet"},
            'ocs_firewall_address: "LocalSubnet" is not a valid local address',
            id="address-keyword",
        ),
        pytest.param(
            {"ocs_firewall_client_networks": ['10.20.0.0/16"']},
            'ocs_firewall_client_networks: "10.20.0.0/16\\"" is not a valid address',
            id="networks-quote",
        ),
        pytest.param(
            {"ocs_firewall_client_networks": ["$(Get-Process)"]},
            'ocs_firewall_client_networks: "$(Get-Process)" is not a valid address',
            id="networks-subexpression",
        ),
        pytest.param(
            {"ocs_firewall_client_networks": ["10.20.0.0/16\n10.30.0.0/16"]},
            'ocs_firewall_client_networks: "10.20.0.0/16\\n10.30.0.0/16" is not a valid address',
            id="networks-newline",
        ),
        pytest.param(
            {"ocs_firewall_domain_controllers": "10.0.0.2,10.0.0.3"},
            'ocs_firewall_domain_controllers: "10.0.0.2,10.0.0.3" is not a valid address',
            id="comma-in-one-item",
        ),
        pytest.param(
            {"ocs_firewall_load_balancer_addresses": {"vip": "10.0.0.100"}},
            'ocs_firewall_load_balancer_addresses: {"vip": "10.0.0.100"} is not a list of '
            "addresses",
            id="not-a-list",
        ),
    ],
)
def test_bad_scope_values_are_refused(values: dict[str, Any], expected: str) -> None:
    """Every value is checked before it can reach a rule: the message names the variable
    and shows the value (these reach PowerShell on the host otherwise)."""
    scope, problems = _scope.check_scope(values)
    assert scope is None
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    # The same words for the host's request, even with the scope any and no inventory.
    assert refused(["archiving"], values, None) == problems


def test_all_bad_scope_values_are_reported_at_once() -> None:
    values = {
        "ocs_firewall_scope": "everything",
        "ocs_firewall_address": "10.0.0.300",
        "ocs_firewall_client_networks": ["10.20.0.0/16", "$(x)"],
    }
    _scope_found, problems = _scope.check_scope(values)
    assert [p.split(":")[0] for p in problems] == [
        "ocs_firewall_scope",
        "ocs_firewall_address",
        "ocs_firewall_client_networks",
    ]


def test_good_scope_values_are_canonical() -> None:
    scope, problems = _scope.check_scope(
        {
            **SCOPED,
            "ocs_firewall_address": "10.0.0.11",
            "ocs_firewall_client_networks": ["10.30.0.0/16", " 10.20.0.0/16"],
            "ocs_firewall_load_balancer_addresses": [],
        }
    )
    assert problems == [] and scope is not None
    assert scope.mode == "inventory"
    assert scope.networks_of("ocs_firewall_client_networks") == ("10.20.0.0/16", "10.30.0.0/16")
    assert scope.networks_of("ocs_firewall_load_balancer_addresses") is None


def test_the_variables_read_are_those_of_the_peers_table() -> None:
    networks = [k.scope for k in KINDS.values() if not k.open]
    assert set(_scope.network_variables()) == set(networks)
    assert _scope.variables()[:2] == ["ocs_firewall_scope", "ocs_firewall_address"]


# ---- a peer's own wrong variable: reported once ----------------------------------------------


WRONG_FE = {"fe1": {"ocs_firewall_address": "10.0.0.300"}, "arch": SCOPED}
WRONG_GROUPS = {"ocs_front_end": ["fe1"], "ocs_archiving": ["arch"]}


def test_a_wrong_peer_address_names_both_hosts_and_is_told_in_full_once() -> None:
    """The preflight checks every host of the play: a front end's wrong address is told in
    full as the front end's own problem; a host that has it as a peer names both hosts (its
    rules cannot be scoped), and never goes on as if the rule were open to any address."""
    inv = inventory(WRONG_GROUPS, WRONG_FE, checked=["fe1", "arch"])
    found, problems = ask(["archiving"], SCOPED, inv)
    assert found is None
    assert problems == [
        "ocs_firewall_scope: fe1 (ocs_front_end) is a peer of this host's archiving rules and "
        "its address is wrong (reported for fe1)"
    ]
    own = refused(["front_end"], WRONG_FE["fe1"], inv)
    assert own == [
        'ocs_firewall_address: "10.0.0.300" is not a valid local address; give this '
        "server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)"
    ]


def test_a_wrong_peer_address_is_the_referencing_hosts_problem_otherwise() -> None:
    """A peer outside the run (not checked) would be wrong silently: the host that relies
    on it reports it, with what is wrong."""
    inv = inventory(WRONG_GROUPS, WRONG_FE, checked=["arch"])
    problems = refused(["archiving"], SCOPED, inv)
    assert problems == [
        "ocs_firewall_scope: fe1 (ocs_front_end) is a peer of this host's archiving rules and "
        'has no address (ocs_firewall_address: "10.0.0.300" is not a valid local address; '
        "give this server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)): "
        "fix it"
    ]


def test_a_peer_without_an_address_is_reported_even_when_checked() -> None:
    """A missing address is no variable of the peer's own that its check would find: the
    referencing host reports it whatever ``checked`` says."""
    hostvars = {"fe1": {"ansible_host": "fe1.ocs.example"}, "arch": SCOPED}
    inv = inventory(WRONG_GROUPS, hostvars, checked=["fe1", "arch"])
    (problem,) = refused(["archiving"], SCOPED, inv)
    assert problem.startswith("ocs_firewall_scope: fe1 (ocs_front_end) is a peer")
    assert problem.endswith("set ocs_firewall_address for fe1")


def test_a_peer_is_worked_out_once() -> None:
    reads: list[str] = []

    class Counting(dict[str, Any]):
        def __getitem__(self, name: str) -> Any:
            reads.append(name)
            return super().__getitem__(name)

    groups, _hostvars = front_ends()
    hostvars = {host: Counting(ocs_firewall_address=a) for host, a in FRONT_ENDS.items()}
    inv = inventory(groups, hostvars)
    first = scoped(["archiving", "monitoring"], SCOPED, inv)
    count = len(reads)
    assert count and scoped(["archiving", "monitoring"], SCOPED, inv) == first
    assert len(reads) == count


# ---- every component, a full estate: nothing left open but the Internet ------------------------


def full_estate() -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """One host per server component, each with its own address (none next to another:
    adjacent peers would merge into one range)."""
    groups: dict[str, list[str]] = {}
    hostvars: dict[str, dict[str, Any]] = {}
    for number, key in enumerate(SERVERS, 10):
        host = f"{key}1"
        groups[f"ocs_{key}"] = [host]
        hostvars[host] = {"ocs_firewall_address": f"10.0.{number}.1"}
    return groups, hostvars


NETWORKS = {
    "ocs_firewall_client_networks": ["10.20.0.0/16"],
    "ocs_firewall_gateway_networks": ["198.51.100.0/24"],
    "ocs_firewall_load_balancer_addresses": ["10.0.0.100"],
    "ocs_firewall_domain_controllers": ["10.0.0.2"],
}


@pytest.mark.parametrize("key", list(SERVERS))
def test_every_rule_is_scoped_unless_its_peers_are_on_the_internet(key: str) -> None:
    """With every peer known, a rule is open to any address only when the catalogue says
    its peers are on the Internet; every other rule gets exactly its peers' addresses."""
    component = SERVERS[key]
    variables: dict[str, Any] = {
        **SCOPED,
        **NETWORKS,
        component.variable("include_outbound"): True,
        **{component.variable(name): True for name, _text in component.opt_ins},
        **({component.variable("unbound"): True} if component.must_bind else {}),
    }
    groups, hostvars = full_estate()
    remotes = scoped([key], variables, inventory(groups, hostvars))[key]
    options = {"include_outbound": True, "opt_ins": {n for n, _t in component.opt_ins}}
    entries = {e["id"]: e for e in _catalogue.server_entries(key)}
    # The estate is one pool and its Mediation Server names no next hop: a Director's
    # inbound rules admit none of its calls (its next hop is a Front End pool), its
    # outbound ones reach it (any pool may call a Mediation Server out), so those apart.
    inbound_only = {
        i: [p for p, r in e["pool_scope"].items() if r == "next_hop" and key != "front_end"]
        for i, e in entries.items()
    }
    apart = [
        f"{i}/out"
        for i in made_ids(key, **options)
        if inbound_only[i] and entries[i]["direction"] == "both"
    ]
    assert sorted(remotes) == sorted([*made_ids(key, **options), *apart])
    for entry_id, addresses in remotes.items():
        base = entry_id.removesuffix("/out")
        peers = entries[base]["peers"]
        if any(p in KINDS and KINDS[p].open for p in peers):
            assert addresses == (), entry_id
            continue
        want: list[str] = []
        for peer in peers:
            if peer in KINDS:
                want += NETWORKS[KINDS[peer].scope]
            elif peer not in inbound_only[base] or entry_id.endswith("/out"):
                want += hostvars[f"{peer}1"]["ocs_firewall_address"].split()
        assert addresses == canonical(*want), entry_id


def test_peers_numbered_in_a_row_make_one_range() -> None:
    """A pool of servers with consecutive addresses is one item of the rule, not one per
    server: the same addresses, as few items as Windows can take them."""
    groups, hostvars = front_ends(fe3="10.0.0.12", fe4="10.0.0.13", fe5="10.0.0.10")
    remotes = scoped(["archiving"], SCOPED, inventory(groups, hostvars))["archiving"]
    # fe5, fe1, fe3, fe4 run from 10.0.0.10 to 10.0.0.13; fe2's 10.0.0.21 stands alone.
    assert set(remotes.values()) == {("10.0.0.10-10.0.0.13", "10.0.0.21")}


# ---- causes: one problem of many hosts said once (the preflight groups by them) -----------


def test_a_peer_without_an_address_carries_its_cause_and_the_rules_that_need_it() -> None:
    groups, hostvars = front_ends()
    groups |= {"ocs_director": ["dir1"], "ocs_edge": ["edge1"]}
    hostvars |= {"dir1": {"ocs_firewall_address": "10.0.0.31"}, "edge1": {}}
    variables = {**SCOPED, "ocs_firewall_client_networks": CLIENTS}
    (problem,) = refused(["director"], variables, inventory(groups, hostvars))
    assert isinstance(problem, Problem)
    assert problem.cause == Cause(
        'ocs_firewall_address missing on edge1 (its ansible_host "edge1" is not an IP address): ',
        "; set ocs_firewall_address for edge1",
        "edge1",
    )
    # The Director's rules whose peers include the Edge, a rule per transport.
    entries = [e for e in _catalogue.server_entries("director") if "edge" in e["peers"]]
    assert problem.rules == sum(len(e["transports"]) for e in entries) > 0


def test_every_host_missing_the_same_peer_shares_one_cause() -> None:
    groups, hostvars = front_ends()
    groups |= {"ocs_director": ["dir"]}
    hostvars |= {"dir": {"ansible_host": "127.0.0.1"}}
    inv = inventory(groups, hostvars)
    variables = {
        **SCOPED,
        "ocs_firewall_client_networks": CLIENTS,
        "ocs_firewall_gateway_networks": ["198.51.100.0/24"],
    }
    first = refused(["front_end"], {**variables, "ocs_firewall_address": "10.0.0.11"}, inv)
    second = refused(["mediation"], {**variables, "ocs_firewall_address": "10.0.0.41"}, inv)
    (of_first,) = [p for p in first if "dir (ocs_director)" in p]
    (of_second,) = [p for p in second if "dir (ocs_director)" in p]
    assert of_first != of_second
    assert isinstance(of_first, Problem) and isinstance(of_second, Problem)
    assert of_first.cause == of_second.cause and of_first.cause.host == "dir"


def test_an_unset_network_carries_its_cause_counting_the_rules() -> None:
    (problem,) = refused(["cwa", "web_conferencing"], SCOPED, inventory(*front_ends()))
    assert isinstance(problem, Problem)
    assert problem.cause.host == ""
    assert problem.cause.said(problem.rules, 2).startswith("ocs_firewall_client_networks not set: ")
    assert problem.rules >= 3


# ---- labels: what each address of the scope stands for, for the diff ---------------------


def test_labels_name_the_hosts_and_the_peer_kinds_behind_the_addresses() -> None:
    """A Director's peers: the front ends, the load balancer and the clients (an Edge, a
    Mediation Server or a Director of the inventory would be named too)."""
    groups, hostvars = front_ends()
    groups |= {"ocs_director": ["dir"]}
    hostvars |= {"dir": {"ocs_firewall_address": "10.0.0.31"}}
    variables = {
        **SCOPED,
        "ocs_firewall_load_balancer_addresses": ["10.0.0.100"],
        "ocs_firewall_client_networks": CLIENTS,
        "ocs_firewall_gateway_networks": ["198.51.100.0/24"],
    }
    request, problems = _host_request.host_request(
        ["ocs_director"], variables, inventory=inventory(groups, hostvars), labelled=True
    )
    assert problems == [] and request is not None
    assert {
        ("10.0.0.11", "fe1", False),
        ("10.0.0.21", "fe2", False),
        ("10.0.0.31", "dir", False),
        (CLIENTS[0], "internal_clients", True),
    } <= set(request.labels)
    peers = {p for e in _catalogue.server_entries("director") for p in e["peers"]}
    # Every label is a peer's: a holder of a peer component, or a peer kind's network.
    for _address, label, network in request.labels:
        assert label in peers if network else label in {"fe1", "fe2", "dir"}
    unlabelled, _problems = _host_request.host_request(
        ["ocs_director"], variables, inventory=inventory(groups, hostvars)
    )
    assert unlabelled is not None and unlabelled.labels == ()


def test_no_labels_with_the_scope_any() -> None:
    request, _problems = _host_request.host_request(
        ["ocs_monitoring"], {}, inventory=inventory(*front_ends()), labelled=True
    )
    assert request is not None and request.labels == ()
