"""Enforcement's options and the lockout guard (plugins/plugin_utils/_estate/_enforcement.py).

The options: every variable, good values and bad ones; a problem names the variable and
shows the value, and every problem is found at once. The guard: before the firewall is
turned on, each management flow must get through in each profile the host is on, from
every address of each management network, with the rules as the run leaves them and the
profiles as enforcement (and group policy above it) leaves them; on Windows Server 2003
the same with its port entries. The rules here are built as a read gives them
(``HostRule`` of canonical ``Rule`` values, as tests/unit/plugins/plugin_utils/_reports/
test_readiness.py builds them) and judged by the real evaluator.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _enforcement
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._enforcement import (
    ADDRESSES,
    CONFIRM_MINUTES,
    ENFORCE,
    LOG_DROPPED,
    LOG_SIZE_KB,
    PORTS,
    WINRM_PORT,
    Flow,
    LegacyEntry,
    Options,
    check_options,
    flows,
    legacy_lockout,
    lockout,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    Log,
    Settings,
    Switches,
)

NETWORK = "10.10.5.0/24"
WINRM = "WinRM, the controller's connection"
NO_RULE = "no rule allows it, and the profile blocks what no rule allows"
BLOCK_ALL = "the profile blocks all inbound traffic"
HOSTILE = ['a"b', "a\nb", "a\0b", "10.10.5.0/24\nrm", "'; rm -rf /", "\u00e9t\u00e9"]


def problems_of(values: dict[str, Any]) -> list[str]:
    found, problems = check_options(values)
    assert (found is None) == bool(problems)
    return problems


def options_of(values: dict[str, Any]) -> Options:
    found, problems = check_options(values)
    assert problems == []
    assert found is not None
    return found


# --- the options: good values ----------------------------------------------------------------


def test_nothing_set_is_nothing_to_do() -> None:
    found = options_of({})
    assert found == Options()
    assert not found.active
    assert (found.confirm_minutes, found.log_size_kb) == (5, 4096)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({ENFORCE: True, ADDRESSES: [NETWORK]}, {"enforce": True, "addresses": (NETWORK,)}),
        ({ENFORCE: "yes", ADDRESSES: NETWORK}, {"enforce": True, "addresses": (NETWORK,)}),
        ({ENFORCE: False}, {"enforce": False}),
        ({ENFORCE: "no"}, {"enforce": False}),
        ({ENFORCE: None}, {"enforce": False}),
        ({LOG_DROPPED: True}, {"log_dropped": True}),
        ({LOG_DROPPED: "off"}, {"log_dropped": False}),
        ({LOG_DROPPED: None}, {"log_dropped": None}),
        (
            {
                ADDRESSES: [
                    "10.10.5.10",
                    " 10.10.6.0/255.255.255.0 ",
                    "10.1.1.1-10.1.1.9",
                    "fd00::/64",
                ]
            },
            {"addresses": ("10.1.1.1-10.1.1.9", "10.10.5.10", "10.10.6.0/24", "fd00::/64")},
        ),
        ({PORTS: "3389/tcp"}, {"ports": ((3389, "tcp"),)}),
        (
            {PORTS: ["3389/tcp", "161/UDP", " 5666/tcp ", "3389/tcp"]},
            {"ports": ((161, "udp"), (3389, "tcp"), (5666, "tcp"))},
        ),
        ({PORTS: ["1/tcp", "65535/udp"]}, {"ports": ((1, "tcp"), (65535, "udp"))}),
        ({PORTS: []}, {"ports": ()}),
        ({WINRM_PORT: 5986}, {"winrm_port": 5986}),
        ({WINRM_PORT: " 5985 "}, {"winrm_port": 5985}),
        ({WINRM_PORT: 1}, {"winrm_port": 1}),
        ({WINRM_PORT: 65535}, {"winrm_port": 65535}),
        ({CONFIRM_MINUTES: 1}, {"confirm_minutes": 1}),
        ({CONFIRM_MINUTES: "10"}, {"confirm_minutes": 10}),
        ({CONFIRM_MINUTES: 1439}, {"confirm_minutes": 1439}),
        ({LOG_SIZE_KB: 1}, {"log_size_kb": 1}),
        ({LOG_SIZE_KB: "16384"}, {"log_size_kb": 16384}),
        ({LOG_SIZE_KB: 32767}, {"log_size_kb": 32767}),
    ],
)
def test_a_good_value_is_taken_in_its_canonical_form(
    values: dict[str, Any], expected: dict[str, Any]
) -> None:
    found = options_of(values)
    assert {k: getattr(found, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("values", "active"),
    [
        ({ENFORCE: True, ADDRESSES: NETWORK}, True),
        ({LOG_DROPPED: False}, True),
        ({LOG_DROPPED: True}, True),
        ({ENFORCE: False, ADDRESSES: NETWORK, PORTS: ["3389/tcp"]}, False),
        ({LOG_SIZE_KB: 8192}, False),
    ],
)
def test_a_run_changes_settings_only_when_enforcing_or_logging(
    values: dict[str, Any], active: bool
) -> None:
    assert options_of(values).active is active


# --- the options: bad values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (ENFORCE, "maybe"),
        (ENFORCE, 2),
        (ENFORCE, ["yes"]),
        (ENFORCE, {"on": True}),
        (LOG_DROPPED, "sometimes"),
        (LOG_DROPPED, 1.5),
        (ADDRESSES, "LocalSubnet"),
        (ADDRESSES, "localsubnet"),
        (ADDRESSES, "DNS"),
        (ADDRESSES, "DefaultGateway"),
        (ADDRESSES, "10.10.5.0/33"),
        (ADDRESSES, "10.10.5.256"),
        (ADDRESSES, "10.10.5.0/24,10.10.6.0/24"),
        (ADDRESSES, ""),
        (ADDRESSES, "   "),
        (ADDRESSES, 10),
        (ADDRESSES, {"net": NETWORK}),
        (ADDRESSES, "fe80::1%12"),
        (PORTS, 3389),
        (PORTS, "3389"),
        (PORTS, "0/tcp"),
        (PORTS, "70000/tcp"),
        (PORTS, "65536/udp"),
        (PORTS, "-1/tcp"),
        (PORTS, "3389/icmp"),
        (PORTS, "tcp/3389"),
        (PORTS, "3389/tcp/udp"),
        (PORTS, "3389-3390/tcp"),
        (PORTS, "\uff13\uff13\uff18\uff19/tcp"),
        (PORTS, True),
        (WINRM_PORT, 0),
        (WINRM_PORT, 70000),
        (WINRM_PORT, "5985/tcp"),
        (WINRM_PORT, True),
        (WINRM_PORT, 5985.0),
        (WINRM_PORT, "http"),
        (CONFIRM_MINUTES, 0),
        (CONFIRM_MINUTES, "0"),
        (CONFIRM_MINUTES, 1441),
        (CONFIRM_MINUTES, 10000),
        (CONFIRM_MINUTES, -5),
        (CONFIRM_MINUTES, "five"),
        (CONFIRM_MINUTES, 2.5),
        (LOG_SIZE_KB, 0),
        (LOG_SIZE_KB, 32768),
        (LOG_SIZE_KB, "4 MB"),
        *[(name, text) for name in (ENFORCE, ADDRESSES, PORTS, WINRM_PORT) for text in HOSTILE],
        *[(name, text) for name in (CONFIRM_MINUTES, LOG_DROPPED, LOG_SIZE_KB) for text in HOSTILE],
    ],
)
def test_a_bad_value_is_a_problem_naming_the_variable_and_the_value(name: str, value: Any) -> None:
    values = {name: value}
    if name != ADDRESSES:
        values[ADDRESSES] = NETWORK
    problems = problems_of(values)
    shown = json.dumps(value, ensure_ascii=False)
    assert any(p.startswith(f"{name}: ") and shown in p for p in problems), problems


def test_a_list_names_only_its_bad_items() -> None:
    problems = problems_of(
        {ADDRESSES: ["10.20.0.0/16", "bogus", "LocalSubnet"], PORTS: ["5666/tcp", "x"]}
    )
    assert len(problems) == 3
    assert not any("10.20.0.0/16" in p or "5666/tcp" in p for p in problems)
    assert any('"bogus"' in p for p in problems)
    assert any('"LocalSubnet"' in p for p in problems)
    assert any('"x"' in p for p in problems)


def test_every_problem_is_found_at_once() -> None:
    problems = problems_of(
        {
            ENFORCE: "perhaps",
            LOG_DROPPED: "perhaps",
            ADDRESSES: "LocalSubnet",
            PORTS: "rdp",
            WINRM_PORT: 0,
            CONFIRM_MINUTES: 0,
            LOG_SIZE_KB: 0,
        }
    )
    assert sorted(p.split(":", 1)[0] for p in problems) == sorted(
        [ENFORCE, LOG_DROPPED, ADDRESSES, PORTS, WINRM_PORT, CONFIRM_MINUTES, LOG_SIZE_KB]
    )


@pytest.mark.parametrize("addresses", [None, [], ()])
def test_enforcing_needs_the_management_addresses(addresses: Any) -> None:
    values: dict[str, Any] = {ENFORCE: True}
    if addresses is not None:
        values[ADDRESSES] = addresses
    (problem,) = problems_of(values)
    assert problem.startswith(f"{ENFORCE} is true and {ADDRESSES} is not set")


def test_logging_alone_needs_no_management_addresses() -> None:
    assert options_of({LOG_DROPPED: True, ENFORCE: False}).log_dropped is True


def test_bad_management_addresses_are_one_problem_not_two() -> None:
    (problem,) = problems_of({ENFORCE: True, ADDRESSES: "LocalSubnet"})
    assert problem.startswith(f'{ADDRESSES}: "LocalSubnet"')


@pytest.mark.parametrize("value", ["*", "any", ["*"]])
def test_any_address_is_not_a_management_network(value: Any) -> None:
    """ "Any address" gives the guard no address to judge: it is refused as the value it
    is, not reported as if the variable were missing."""
    problems = problems_of({ENFORCE: True, ADDRESSES: value})
    assert problems
    assert all(p.startswith(f"{ADDRESSES}: ") for p in problems), problems
    assert '"*"' in problems[0] or '"any"' in problems[0]


def test_any_address_among_networks_is_a_problem_not_an_exception() -> None:
    found, problems = check_options({ENFORCE: True, ADDRESSES: [NETWORK, "*"], CONFIRM_MINUTES: 0})
    assert found is None
    # Both problems, each naming its variable: check_options reports, it does not raise.
    assert {p.split(":", 1)[0] for p in problems} == {ADDRESSES, CONFIRM_MINUTES}


# --- the flows -------------------------------------------------------------------------------


def test_winrm_is_the_connections_port_unless_the_host_sees_another() -> None:
    assert flows(Options(), 5986) == [Flow(5986, "tcp", WINRM)]
    assert flows(Options(winrm_port=5985), 15986) == [Flow(5985, "tcp", WINRM)]


def test_management_ports_follow_winrm() -> None:
    found = flows(Options(ports=((161, "udp"), (3389, "tcp"))), 5985)
    assert found == [
        Flow(5985, "tcp", WINRM),
        Flow(161, "udp", "a management port"),
        Flow(3389, "tcp", "a management port"),
    ]


def test_without_any_port_known_only_the_management_ports_are_flows() -> None:
    assert flows(Options(ports=((3389, "tcp"),)), None) == [Flow(3389, "tcp", "a management port")]


# --- the samples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "tokens", "expected"),
    [
        (NETWORK, [], ["10.10.5.0", "10.10.5.255"]),
        ("10.10.5.10", [], ["10.10.5.10"]),
        (
            "10.10.5.1-10.10.5.9",
            ["10.10.5.5"],
            ["10.10.5.1", "10.10.5.4", "10.10.5.5", "10.10.5.6", "10.10.5.9"],
        ),
        (
            NETWORK,
            ["10.10.5.64/26"],
            ["10.10.5.0", "10.10.5.63", "10.10.5.64", "10.10.5.127", "10.10.5.128", "10.10.5.255"],
        ),
        (
            NETWORK,
            ["10.10.5.10-10.10.5.20"],
            ["10.10.5.0", "10.10.5.9", "10.10.5.10", "10.10.5.20", "10.10.5.21", "10.10.5.255"],
        ),
        # Bounds outside the network, a rule over all of it, keywords: nothing to add.
        (
            NETWORK,
            ["10.10.4.0/23", "10.10.6.0/24", "192.0.2.1", "LocalSubnet", "*", "fd00::1"],
            ["10.10.5.0", "10.10.5.255"],
        ),
        # A rule that starts inside and runs on past the network's end.
        (
            NETWORK,
            ["10.10.5.200-10.10.9.9"],
            ["10.10.5.0", "10.10.5.199", "10.10.5.200", "10.10.5.255"],
        ),
        (
            "fd00::/64",
            ["fd00::10-fd00::20", "10.10.5.0/24"],
            ["fd00::", "fd00::f", "fd00::10", "fd00::20", "fd00::21", "fd00::ffff:ffff:ffff:ffff"],
        ),
        (
            "2001:db8::/126",
            ["2001:db8::2"],
            ["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"],
        ),
    ],
)
def test_samples_are_the_ends_and_the_bounds_of_rules_inside(
    network: str, tokens: list[str], expected: list[str]
) -> None:
    assert _enforcement._samples(network, tokens) == expected


def rule(
    name: str,
    *,
    ports: tuple[str, ...] = ("5985",),
    protocol: str = "tcp",
    remote: tuple[str, ...] = (),
    action: str = "allow",
    profiles: tuple[str, ...] = ("domain", "private", "public"),
    enabled: bool = True,
    direction: str = "in",
    group: str = "Windows Remote Management",
) -> HostRule:
    return HostRule(
        Rule(
            name,
            direction=direction,
            action=action,
            protocol=protocol,
            local_ports=ports,
            remote_addresses=remote,
            profiles=profiles,
            enabled=enabled,
        ),
        group,
    )


MIXED = [
    rule("Allow low", remote=("10.10.5.0/26",)),
    rule("Allow range", remote=("10.10.5.100-10.10.5.180",)),
    rule("Block some", action="block", remote=("10.10.5.120-10.10.5.130", "10.10.5.7")),
    rule("Allow one", remote=("10.10.5.250",)),
    rule("Other port", ports=("80",), remote=("10.10.5.60-10.10.5.70",)),
]


def test_every_address_of_the_network_gets_the_verdict_of_a_sample() -> None:
    """Brute force over a /24: the verdicts of the samples are exactly those of all 256
    addresses, and each address's verdict is its stretch's sample's."""
    tokens = [t for h in MIXED for t in h.rule.remote_addresses]
    samples = _enforcement._samples(NETWORK, tokens)
    state = {"domain": _evaluate.ProfileState()}

    def verdict(address: str) -> str:
        packet = _evaluate.Flow(6, address, "domain", local_port=5985)
        return _evaluate.evaluate(MIXED, state, packet).verdict

    everyone = [str(a) for a in ipaddress.ip_network(NETWORK)]
    points = [int(ipaddress.ip_address(s)) for s in samples]
    for address in everyone:
        # The sample at or before the address stands for it.
        owner = max(p for p in points if p <= int(ipaddress.ip_address(address)))
        assert verdict(address) == verdict(str(ipaddress.ip_address(owner))), address
    assert (
        {verdict(a) for a in everyone}
        == {verdict(s) for s in samples}
        == {
            "allowed",
            "blocked",
        }
    )


# --- the guard (2008 and later) --------------------------------------------------------------

ENFORCED = Switches(enabled=True)


def after(**profiles: Switches) -> Settings:
    """The settings as enforcement leaves them: every profile on and blocking."""
    found = {"domain": ENFORCED, "private": ENFORCED, "public": ENFORCED, **profiles}
    return Settings(
        legacy=False,
        service="MpsSvc",
        start=2,
        running=True,
        profiles=tuple(found.items()),
        logs=tuple((n, Log(False)) for n in found),
    )


def policy(*current: str, **settings: dict[str, int]) -> HostPolicy:
    """The host's profiles (``current``: those it is on, domain by default) and group
    policy's values by profile."""
    on = set(current or ("domain",))
    return HostPolicy(
        tuple(
            ProfilePolicy(
                p,
                current=p in on,
                enabled=True,
                settings=tuple(settings.get(p, {}).items()),
            )
            for p in ("domain", "private", "public")
        )
    )


def guard(
    rules: list[HostRule],
    *,
    host_policy: HostPolicy | None = None,
    settings: Settings | None = None,
    addresses: tuple[str, ...] = (NETWORK,),
    ports: tuple[tuple[int, str], ...] = (),
    port: int | None = 5985,
) -> list[str]:
    options = Options(enforce=True, addresses=addresses, ports=ports)
    return lockout(rules, host_policy or policy(), settings or after(), options, port)


def test_a_rule_over_the_whole_network_lets_the_management_in() -> None:
    assert guard([rule("WinRM", remote=(NETWORK,))]) == []
    assert guard([rule("WinRM")]) == []
    assert guard([rule("WinRM", remote=("10.0.0.0/8",))]) == []


def test_a_rule_over_half_the_network_leaves_the_other_half_out() -> None:
    (problem,) = guard([rule("WinRM", remote=("10.10.5.0/25",))])
    assert problem == f"5985/tcp from 10.10.5.128 (domain profile) ({WINRM}): {NO_RULE}"
    (problem,) = guard([rule("WinRM", remote=("10.10.5.128/25",))])
    assert problem.startswith("5985/tcp from 10.10.5.0 (domain profile)")


def test_two_rules_that_together_cover_the_network_let_it_in() -> None:
    assert (
        guard([rule("Low", remote=("10.10.5.0/25",)), rule("High", remote=("10.10.5.128/25",))])
        == []
    )
    assert guard(
        [
            rule("Low", remote=("10.10.5.0-10.10.5.99",)),
            rule("High", remote=("10.10.5.101-10.10.5.255",)),
        ]
    ) == [f"5985/tcp from 10.10.5.100 (domain profile) ({WINRM}): {NO_RULE}"]


def test_a_block_rule_inside_the_network_is_found() -> None:
    rules = [
        rule("WinRM", remote=(NETWORK,)),
        rule("Block one", action="block", remote=("10.10.5.77",)),
    ]
    (problem,) = guard(rules)
    assert problem == (
        f"5985/tcp from 10.10.5.77 (domain profile) ({WINRM}): blocked by rule(s) Block one"
    )


def test_a_block_rule_is_found_however_many_rules_the_host_has() -> None:
    """Every address is judged, not the first few hundred stretches: a host with many
    rules scoped to single servers of the management network still has its block rule
    at the network's far end found."""
    many = [
        rule(f"Web {i}", ports=("80",), remote=(f"10.10.{i // 50}.{i % 50 * 4 + 2}",))
        for i in range(100)
    ]
    rules = [
        rule("WinRM", remote=("10.10.0.0/16",)),
        *many,
        rule("Block far", action="block", remote=("10.10.200.0/24",)),
    ]
    problems = guard(rules, addresses=("10.10.0.0/16",))
    assert problems == [
        f"5985/tcp from 10.10.200.0 (domain profile) ({WINRM}): blocked by rule(s) Block far"
    ]


@pytest.mark.parametrize(
    "useless",
    [
        rule("Other port", ports=("5986",)),
        rule("UDP", protocol="udp"),
        rule("Disabled", enabled=False),
        rule("Public only", profiles=("public",)),
        rule("Outbound", direction="out"),
    ],
)
def test_a_rule_that_does_not_match_the_flow_lets_nothing_in(useless: HostRule) -> None:
    (problem,) = guard([useless])
    assert problem.endswith(NO_RULE)


def test_a_rule_for_the_hosts_subnet_cannot_be_judged() -> None:
    (problem,) = guard([rule("WinRM", remote=("LocalSubnet",))])
    assert problem.startswith(f"5985/tcp from 10.10.5.0 (domain profile) ({WINRM}): it depends on")
    assert "LocalSubnet" in problem


def test_a_profile_that_blocks_all_inbound_is_found() -> None:
    (problem,) = guard([rule("WinRM")], settings=after(domain=Switches(True, block_all=True)))
    assert problem.endswith("the profile blocks all inbound traffic")


def test_each_flow_and_each_network_is_judged() -> None:
    problems = guard(
        [rule("WinRM", remote=(NETWORK,))],
        addresses=(NETWORK, "fd00::/64"),
        ports=((3389, "tcp"), (161, "udp")),
    )
    assert problems == [
        f"5985/tcp from fd00:: (domain profile) ({WINRM}): {NO_RULE}",
        f"3389/tcp from 10.10.5.0 (domain profile) (a management port): {NO_RULE}",
        f"3389/tcp from fd00:: (domain profile) (a management port): {NO_RULE}",
        f"161/udp from 10.10.5.0 (domain profile) (a management port): {NO_RULE}",
        f"161/udp from fd00:: (domain profile) (a management port): {NO_RULE}",
    ]


def test_an_ipv6_management_network_is_judged_by_ipv6_rules() -> None:
    rules = [
        rule("WinRM v6", remote=("fd00::/64",)),
        rule("Block v6", action="block", remote=("fd00::5",)),
    ]
    (problem,) = guard(rules, addresses=("fd00::/64",))
    assert (
        problem == f"5985/tcp from fd00::5 (domain profile) ({WINRM}): blocked by rule(s) Block v6"
    )


def test_a_profile_the_host_is_not_on_is_not_judged() -> None:
    blocking = after(public=Switches(True, block_all=True), private=Switches(True, inbound="block"))
    assert guard([rule("WinRM", profiles=("domain",))], settings=blocking) == []
    problems = guard(
        [rule("WinRM", profiles=("domain",))],
        settings=blocking,
        host_policy=policy("domain", "public"),
    )
    assert problems == [f"5985/tcp from 10.10.5.0 (public profile) ({WINRM}): {BLOCK_ALL}"]


def test_a_profile_enforcement_leaves_off_lets_everything_in() -> None:
    assert guard([], settings=after(domain=Switches(False))) == []


def test_a_profile_that_allows_inbound_by_default_lets_the_management_in() -> None:
    assert guard([], settings=after(domain=Switches(True, inbound="allow"))) == []


# --- group policy above the local switches ---------------------------------------------------


def test_group_policy_turning_the_firewall_off_lets_everything_in() -> None:
    assert guard([], host_policy=policy(domain={"EnableFirewall": 0})) == []


def test_group_policy_turning_a_profile_on_makes_it_judged_as_on() -> None:
    # Public is not a profile the rules use: enforcement leaves it off, policy turns it on.
    settings = after(public=Switches(False, inbound="allow"))
    assert guard([], settings=settings, host_policy=policy("public")) == []
    problems = guard(
        [],
        settings=settings,
        host_policy=policy("public", public={"EnableFirewall": 1, "DefaultInboundAction": 1}),
    )
    assert problems == [f"5985/tcp from 10.10.5.0 (public profile) ({WINRM}): {NO_RULE}"]


def test_group_policy_allowing_inbound_by_default_lets_the_management_in() -> None:
    # DefaultInboundAction keeps the registry's meaning: 0 allow, 1 block.
    assert guard([], host_policy=policy(domain={"DefaultInboundAction": 0})) == []
    assert guard([], host_policy=policy(domain={"DefaultInboundAction": 1})) != []


def test_group_policy_blocking_inbound_by_default_wins_over_the_local_allow() -> None:
    settings = after(domain=Switches(True, inbound="allow"))
    assert guard([], settings=settings) == []
    (problem,) = guard(
        [], settings=settings, host_policy=policy(domain={"DefaultInboundAction": 1})
    )
    assert problem.endswith(NO_RULE)


def test_group_policy_blocking_all_inbound_wins_over_the_rules() -> None:
    (problem,) = guard(
        [rule("WinRM", remote=(NETWORK,))], host_policy=policy(domain={"DoNotAllowExceptions": 1})
    )
    assert problem.endswith("the profile blocks all inbound traffic")


def test_group_policy_does_not_clear_a_local_block_all() -> None:
    """docs/dev/contracts.md: for DoNotAllowExceptions "on" wins (a 0 does not clear a
    local "Block all incoming connections")."""
    settings = after(public=Switches(True, block_all=True))
    problems = guard(
        [rule("WinRM", remote=(NETWORK,))],
        settings=settings,
        host_policy=policy("public", public={"DoNotAllowExceptions": 0}),
    )
    assert problems == [f"5985/tcp from 10.10.5.0 (public profile) ({WINRM}): {BLOCK_ALL}"]


def test_local_rules_do_not_count_where_group_policy_does_not_merge_them() -> None:
    """docs/dev/contracts.md: AllowLocalPolicyMerge 0 means the local store's rules, every
    rule this collection makes, are not applied in that profile: a local rule cannot prove
    the management gets in there."""
    rules = [rule("WinRM", remote=(NETWORK,), group="OCS 2007 R2 - Director")]
    assert guard(rules) == []
    problems = guard(rules, host_policy=policy(domain={"AllowLocalPolicyMerge": 0}))
    assert problems != []
    assert all("5985/tcp" in p and "domain profile" in p for p in problems)


# --- the guard on Windows Server 2003 --------------------------------------------------------


def legacy_after(**profiles: Switches) -> Settings:
    found = {"domain": ENFORCED, "standard": ENFORCED, **profiles}
    return Settings(
        legacy=True,
        service="SharedAccess",
        start=2,
        running=True,
        profiles=tuple(found.items()),
        logs=tuple((n, Log(False)) for n in found),
    )


def entry(
    *remote: str,
    profile: str = "domain",
    port: int = 5985,
    protocol: str = "tcp",
    enabled: bool = True,
) -> LegacyEntry:
    return LegacyEntry(profile, port, protocol, enabled, tuple(remote))


def legacy_guard(
    entries: list[LegacyEntry],
    *,
    current: tuple[str, ...] = ("domain",),
    settings: Settings | None = None,
    addresses: tuple[str, ...] = (NETWORK,),
) -> list[str]:
    options = Options(enforce=True, addresses=addresses)
    policy = HostPolicy(
        tuple(
            ProfilePolicy(name, current=name in current, enabled=True)
            for name in ("domain", "standard")
        ),
        legacy=True,
    )
    return legacy_lockout(entries, policy, settings or legacy_after(), options, 5985)


@pytest.mark.parametrize(
    "entries",
    [
        [entry("*")],
        [entry()],
        [entry("10.10.5.0/255.255.255.0")],
        [entry("10.10.0.0/255.255.0.0", "LocalSubnet")],
        [entry("10.10.5.0/255.255.255.128"), entry("10.10.5.128/255.255.255.128")],
    ],
)
def test_an_entry_whose_scope_takes_the_network_lets_it_in(entries: list[LegacyEntry]) -> None:
    assert legacy_guard(entries) == []


def test_an_entry_over_half_the_network_leaves_the_other_half_out() -> None:
    (problem,) = legacy_guard([entry("10.10.5.0/255.255.255.128")])
    assert problem == (
        f"5985/tcp from 10.10.5.128 (domain profile) ({WINRM}): no port entry opens it"
    )


def test_an_entry_for_the_local_subnet_cannot_be_judged() -> None:
    (problem,) = legacy_guard([entry("LocalSubnet")])
    assert problem.endswith("only an entry scoped to LocalSubnet, which the guard cannot judge")


@pytest.mark.parametrize(
    "useless",
    [
        entry("*", enabled=False),
        entry("*", port=5986),
        entry("*", protocol="udp"),
        entry("*", profile="standard"),
    ],
)
def test_an_entry_that_does_not_open_the_flow_lets_nothing_in(useless: LegacyEntry) -> None:
    (problem,) = legacy_guard([useless])
    assert problem.endswith("no port entry opens it")


def test_a_profile_that_allows_no_exceptions_lets_nothing_in() -> None:
    (problem,) = legacy_guard(
        [entry("*")], settings=legacy_after(domain=Switches(True, block_all=True))
    )
    assert (
        problem
        == f"5985/tcp from 10.10.5.0 (domain profile) ({WINRM}): the profile allows no exceptions"
    )


def test_a_2003_profile_that_is_off_lets_everything_in() -> None:
    assert legacy_guard([], settings=legacy_after(domain=Switches(False))) == []


def test_the_standard_profile_is_judged_by_its_own_entries() -> None:
    assert legacy_guard([entry("*", profile="standard")], current=("standard",)) == []
    (problem,) = legacy_guard([entry("*")], current=("standard",))
    assert "(standard profile)" in problem
    # The domain profile is not current: its lack of entries is not judged.
    assert legacy_guard([entry("*", profile="standard")], current=("standard",)) == []


# --- the refusal -----------------------------------------------------------------------------


def test_the_refusal_names_the_host_the_flows_and_what_to_correct() -> None:
    options = Options(enforce=True, addresses=(NETWORK, "10.10.6.0/24"))
    problems = guard([rule("WinRM", remote=("10.10.5.0/25",))])
    text = _enforcement.refusal("sip01.example.com", problems, options)
    assert text.startswith(
        "sip01.example.com: turning the firewall on would cut the management off"
    )
    assert "nothing was changed" in text
    assert problems[0] in text
    assert f"{ADDRESSES} (10.10.5.0/24, 10.10.6.0/24)" in text
    assert PORTS in text


def test_the_management_rules_let_each_flow_in_from_the_management_networks() -> None:
    from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._enforcement import (
        management_rules,
    )
    from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership

    options = Options(enforce=True, addresses=("10.10.5.0/24",), ports=((3389, "tcp"),))
    rules = management_rules(options, 5985)
    assert [(r.name, r.protocol, r.local_ports, r.remote_addresses) for r in rules] == [
        ("ocs.firewall management 5985/TCP In", "tcp", ("5985",), ("10.10.5.0/24",)),
        ("ocs.firewall management 3389/TCP In", "tcp", ("3389",), ("10.10.5.0/24",)),
    ]
    assert all(r.profiles == ("domain", "private", "public") for r in rules)
    # The task's marker: win_firewall_rules may remove them, the site never does.
    assert all(_ownership.owner_of(r.description) == _ownership.TASK for r in rules)
    # What the guard then judges: the flows are allowed.
    with_them = [HostRule(r, "ocs.firewall - Management") for r in rules]
    assert lockout(with_them, policy(), after(), options, 5985) == []
    assert lockout([], policy(), after(), options, 5985) != []
