"""Every flow of the port matrix held against its host's rules
(plugins/plugin_utils/_reports/_flow_check.py).

The host is a Front End at 10.10.0.11 on the domain profile; each case gives it rules,
profiles or policy and the matrix's rows into it, and names the verdict a row must get,
what decided it and how the row says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client import RulesRead
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _flow_check

HOST = "10.10.0.11"
GROUP = "OCS 2007 R2 - Front End"
ON = {"enabled": True, "default_inbound_action": "block", "default_outbound_action": "allow"}


def row(ports: str = "5060-5061", source: str = "10.10.0.30", **more: Any) -> dict[str, Any]:
    return {
        "source": more.pop("name", "dir01"),
        "source_address": source,
        "destination": "fe01",
        "destination_address": more.pop("destination_address", HOST),
        "ports": ports,
        "transport": more.pop("transport", "TCP"),
        "purpose": "SIP",
        **more,
    }


def allow(name: str, ports: str, remote: str = "", *, group: str = GROUP, **more: Any) -> HostRule:
    application = more.pop("application", "")
    return HostRule(
        Rule(
            name,
            local_ports=(ports,),
            remote_addresses=canonical_addresses(remote) if remote else (),
            **more,
        ),
        group,
        application=application,
    )


def block(name: str, ports: str, remote: str = "") -> HostRule:
    return allow(name, ports, remote, group="", action="block")


def read(
    *rules: HostRule,
    current: tuple[str, ...] = ("domain",),
    profiles: dict[str, Any] | None = None,
    block_all: tuple[str, ...] = (),
    settings: dict[str, dict[str, int]] | None = None,
) -> RulesRead:
    policy = HostPolicy(
        tuple(
            ProfilePolicy(
                p,
                current=p in current,
                enabled=True,
                block_all_inbound=p in block_all,
                settings=tuple((settings or {}).get(p, {}).items()),
            )
            for p in ("domain", "private", "public")
        )
    )
    shown = {"domain": ON, "private": ON, "public": ON, **(profiles or {})}
    return RulesRead(None, "", rules, shown, policy)


def check(host: RulesRead, *rows: dict[str, Any]) -> list[dict[str, Any]]:
    return _flow_check.check(host, [_flow_check.checked_row(r, "row") for r in rows])


SIP = allow("OCS Front End 5060-5061/TCP In (seed-01)", "5060-5061", "10.10.0.30")


# --- the samples a row is judged on -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ports", "source", "wanted", "sampled"),
    [
        ("5061", "10.10.0.30", [(5061, "10.10.0.30")], False),
        # Both ends of a range.
        ("5060-5061", "10.10.0.30", [(5060, "10.10.0.30"), (5061, "10.10.0.30")], False),
        ("49152-65535", "10.10.0.30", [(49152, "10.10.0.30"), (65535, "10.10.0.30")], False),
        # Each port of a list.
        ("2101,2103,2105", "10.10.0.30", [(p, "10.10.0.30") for p in (2101, 2103, 2105)], False),
        # The first and last host address of a network.
        ("443", "10.20.0.0/16", [(443, "10.20.0.1"), (443, "10.20.255.254")], False),
        ("443", "10.0.0.0/31", [(443, "10.0.0.0"), (443, "10.0.0.1")], False),
        ("443", "10.0.0.7/32", [(443, "10.0.0.7")], False),
        (
            "443",
            "2001:db8::/64",
            [(443, "2001:db8::1"), (443, "2001:db8::ffff:ffff:ffff:ffff")],
            False,
        ),
        # Each address of a list, both ends of a range.
        ("88", "10.10.0.5, 10.10.0.6", [(88, "10.10.0.5"), (88, "10.10.0.6")], False),
        ("88", "10.10.0.5-10.10.0.9", [(88, "10.10.0.5"), (88, "10.10.0.9")], False),
        # Any address: one documented sample.
        ("5061", "any", [(5061, _flow_check.SAMPLE_ADDRESS)], True),
    ],
)
def test_a_row_is_judged_on_samples_of_its_ports_and_sources(
    ports: str, source: str, wanted: list[tuple[int, str]], sampled: bool
) -> None:
    found, why = _flow_check.samples(row(ports, source))
    assert why == ""
    assert [(s.port, s.address) for s in found] == wanted
    assert {s.sampled for s in found} == {sampled}


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        (
            {"source_address": "(set ocs_firewall_load_balancer_addresses)"},
            "the source's addresses are not set in the inventory: "
            "(set ocs_firewall_load_balancer_addresses)",
        ),
        (
            {"destination_address": "(set ocs_edge_access_addresses)"},
            "the host's address for this flow is not set in the inventory: "
            "(set ocs_edge_access_addresses)",
        ),
        ({"destination_address": "10.10.0.0/24"}, "is not one IP address"),
        ({"ports": "RPC"}, "the ports 'RPC' are not port numbers"),
        ({"ports": "0"}, "the ports '0' are not port numbers"),
        ({"ports": "70000"}, "the ports '70000' are not port numbers"),
        ({"transport": "ICMP"}, "the transport 'ICMP' is not TCP or UDP"),
        ({"source_address": "LocalSubnet"}, "the source address 'LocalSubnet' is not addresses"),
    ],
)
def test_a_row_that_cannot_be_judged_is_not_checked_with_the_reason(
    changes: dict[str, str], why: str
) -> None:
    given = {**row(), **changes}
    assert _flow_check.samples(given)[0] == []
    assert why in _flow_check.samples(given)[1]
    (result,) = check(read(SIP), given)
    assert (result["verdict"], result["kind"], result["samples"]) == (
        "not_checked",
        "not_checked",
        0,
    )
    assert why in result["detail"]
    assert result["text"].endswith(f"not checked: {result['detail']}")


# --- the verdicts -------------------------------------------------------------------------------


def test_a_flow_the_collection_s_rule_lets_in_is_allowed_by_that_rule() -> None:
    (result,) = check(read(SIP), row())
    assert (result["verdict"], result["kind"], result["by"]) == (
        "allowed",
        "allowed_by_rule",
        "rule",
    )
    assert result["rules"] == [{"name": SIP.rule.name, "group": GROUP}]
    assert result["deciding"] == f"{SIP.rule.name!r} (group {GROUP!r})"
    assert result["text"] == (
        f"5060-5061/TCP from dir01 (10.10.0.30) to {HOST}: allowed by {result['deciding']}"
    )
    assert result["detail"] == (
        f"5060,5061/tcp from 10.10.0.30 (domain profile): allowed by {result['deciding']}"
    )
    assert (result["wider"], result["samples"], result["profiles"]) == (False, 2, ["domain"])
    # The matrix row's own fields are kept.
    assert result["purpose"] == "SIP"


def test_a_block_rule_on_one_port_of_the_range_blocks_the_flow_and_is_named() -> None:
    planted = block("Block SIP TLS", "5061")
    (result,) = check(read(SIP, planted), row())
    assert (result["verdict"], result["kind"]) == ("blocked", "blocked_by_rule")
    assert result["rules"] == [{"name": "Block SIP TLS", "group": ""}]
    assert result["text"] == (
        f"5060-5061/TCP from dir01 (10.10.0.30) to {HOST}: blocked by 'Block SIP TLS' "
        "for 5061/tcp from 10.10.0.30 (domain profile)"
    )
    # The other port's sample is still said, after the one that decided.
    assert result["detail"] == (
        "5061/tcp from 10.10.0.30 (domain profile): blocked by 'Block SIP TLS'; "
        f"5060/tcp from 10.10.0.30 (domain profile): allowed by {SIP.rule.name!r} "
        f"(group {GROUP!r})"
    )


def test_a_flow_no_rule_takes_is_blocked_by_the_profile_s_default() -> None:
    (result,) = check(read(SIP), row("8404"))
    assert (result["verdict"], result["kind"], result["rules"]) == (
        "blocked",
        "blocked_by_default",
        [],
    )
    assert result["deciding"] == "the domain profile's default action"
    assert result["text"].endswith(
        "blocked by the domain profile's default action (no rule matches)"
    )


def test_a_source_the_rule_leaves_out_is_blocked_by_the_default() -> None:
    (result,) = check(read(SIP), row(source="10.10.0.31"))
    assert result["kind"] == "blocked_by_default"


def test_the_firewall_off_in_the_host_s_profile_lets_every_flow_in() -> None:
    host = read(profiles={"domain": {**ON, "enabled": False}})
    (result,) = check(host, row("8404"))
    assert (result["verdict"], result["kind"], result["rules"]) == (
        "allowed",
        "allowed_by_firewall_off",
        [],
    )
    assert result["text"].endswith("allowed: the firewall is off in the domain profile")
    assert result["deciding"] == "the firewall is off in the domain profile"


def test_a_profile_that_lets_inbound_traffic_in_allows_by_default() -> None:
    host = read(profiles={"domain": {**ON, "default_inbound_action": "allow"}})
    (result,) = check(host, row("8404"))
    assert result["kind"] == "allowed_by_default"


def test_block_all_connections_blocks_what_the_rules_allow() -> None:
    (result,) = check(read(SIP, block_all=("domain",)), row())
    assert result["kind"] == "blocked_by_block_all_inbound"
    assert result["text"].endswith("blocked: the domain profile blocks all inbound connections")


def test_group_policy_that_voids_local_rules_leaves_the_flow_undecided() -> None:
    host = read(SIP, settings={"domain": {"AllowLocalPolicyMerge": 0}})
    (result,) = check(host, row())
    assert (result["verdict"], result["kind"]) == ("undecided", "undecided_by_group_policy")
    assert "'Apply local firewall rules' is No" in result["text"]


def test_a_rule_for_a_program_leaves_the_flow_undecided_naming_it() -> None:
    setup = allow("OCS setup SIP", "5060-5061", application=r"C:\OCS\RtcHost.exe")
    (result,) = check(read(setup), row())
    assert (result["verdict"], result["kind"]) == ("undecided", "undecided_by_rule")
    assert "depends on the program (C:\\OCS\\RtcHost.exe)" in result["text"]
    assert result["rules"] == [{"name": "OCS setup SIP", "group": GROUP}]


def test_each_profile_the_host_is_on_is_judged_and_a_block_in_one_blocks() -> None:
    domain_only = allow("SIP domain", "5060-5061", "10.10.0.30", profiles=("domain",))
    (result,) = check(read(domain_only, current=("domain", "public")), row())
    assert result["profiles"] == ["domain", "public"]
    assert result["verdict"] == "blocked"
    assert result["text"].endswith("for 5060,5061/tcp from 10.10.0.30 (public profile)")
    assert "(domain profile): allowed by 'SIP domain'" in result["detail"]


def test_a_block_in_every_profile_the_host_is_on_names_them_all() -> None:
    host = read(SIP, block("Block SIP TLS", "5061"), current=("domain", "public"))
    (result,) = check(host, row())
    assert result["text"].endswith(
        "blocked by 'Block SIP TLS' for 5061/tcp from 10.10.0.30 (domain and public profiles)"
    )
    # The detail says each profile's samples apart.
    assert result["detail"].split("; ") == [
        "5061/tcp from 10.10.0.30 (domain profile): blocked by 'Block SIP TLS'",
        "5061/tcp from 10.10.0.30 (public profile): blocked by 'Block SIP TLS'",
        f"5060/tcp from 10.10.0.30 (domain profile): allowed by {SIP.rule.name!r} "
        f"(group {GROUP!r})",
        f"5060/tcp from 10.10.0.30 (public profile): allowed by {SIP.rule.name!r} "
        f"(group {GROUP!r})",
    ]


def test_a_read_that_names_no_profile_is_judged_in_the_domain_profile() -> None:
    host = RulesRead(None, "", (SIP,), {"domain": ON}, HostPolicy())
    assert _flow_check.current_profiles(host) == ["domain"]
    assert check(host, row())[0]["profiles"] == ["domain"]


def test_a_rule_bound_to_another_address_of_the_host_does_not_count() -> None:
    bound = allow("Edge access", "5061", local_addresses=("192.0.2.10",))
    found = check(
        read(bound),
        row("5061", "any", destination_address="192.0.2.10"),
        row("5061", "any", destination_address="192.0.2.11"),
    )
    assert [r["kind"] for r in found] == ["allowed_by_rule", "blocked_by_default"]
    assert "(a sample of any address)" in found[0]["detail"]
    assert f"from {_flow_check.SAMPLE_ADDRESS}" in found[0]["detail"]


def test_udp_is_judged_as_udp() -> None:
    media = allow("Media", "49152-65535", "10.20.0.0/16", protocol="udp")
    found = check(
        read(media),
        row("49152-65535", "10.20.0.0/16", transport="UDP"),
        row("49152-65535", "10.20.0.0/16", transport="TCP"),
    )
    assert [r["kind"] for r in found] == ["allowed_by_rule", "blocked_by_default"]


# --- allowed more widely than needed ------------------------------------------------------------


def test_a_rule_that_admits_any_address_is_wider_than_the_flows_need() -> None:
    anyone = allow("OCS setup SIP", "5060-5061", group="Office Communications Server 2007 R2")
    (result,) = check(read(anyone), row())
    assert (result["verdict"], result["wider"]) == ("allowed", True)
    assert result["wider_detail"] == (
        "'OCS setup SIP' (group 'Office Communications Server 2007 R2') also lets in "
        "203.0.113.10, from which no flow of the matrix comes to the host on 5060/tcp"
    )
    assert "; allowed more widely than needed: 'OCS setup SIP'" in result["text"]


@pytest.mark.parametrize(
    ("rules", "rows"),
    [
        # Exactly the sources of the flows on that port, on any of the host's rows.
        ((allow("SIP", "5060-5061", "10.10.0.30,10.10.0.40"),), [row(), row(source="10.10.0.40")]),
        # The host's own address: traffic from it does not cross the firewall.
        ((allow("SIP", "5060-5061", f"10.10.0.30,{HOST}"),), [row()]),
        # Every other address is blocked by a block rule.
        (
            (
                allow("SIP", "5060-5061"),
                block("Not the rest", "5060-5061", "0.0.0.0-10.10.0.29,10.10.0.31-255.255.255.255"),
            ),
            [],
        ),
        # A flow of the port comes from any address: nothing is wider than that.
        ((allow("SIP", "5060-5061"),), [row(), row(source="any")]),
        # A flow's sources are not set: what is needed is not known.
        ((allow("SIP", "5060-5061"),), [row(), row(source="(set ocs_firewall_client_networks)")]),
    ],
)
def test_a_rule_is_not_wider_when_the_flows_need_all_it_admits(
    rules: tuple[HostRule, ...], rows: list[dict[str, Any]]
) -> None:
    found = check(read(*rules), *(rows or [row()]))
    assert found[0]["verdict"] == "allowed"
    assert [r["wider"] for r in found] == [False] * len(found)


def test_a_blocked_flow_is_never_also_wider() -> None:
    found = check(read(allow("Any", "5060-5061"), block("Block SIP TLS", "5061")), row())
    assert (found[0]["verdict"], found[0]["wider"], found[0]["wider_detail"]) == (
        "blocked",
        False,
        "",
    )


# --- the rows, the summary and the remedies ------------------------------------------------------


def test_the_host_s_rows_are_taken_from_every_boundary_of_the_matrix() -> None:
    matrix = {
        "boundaries": [
            {"key": "internal", "rows": [row(), {**row(), "destination": "fe02"}]},
            {"key": "perimeter_internal", "rows": [row("5061", "10.10.1.10", name="edge01")]},
        ]
    }
    found = _flow_check.host_rows(matrix, "fe01")
    assert [(r["source"], r["ports"]) for r in found] == [
        ("dir01", "5060-5061"),
        ("edge01", "5061"),
    ]
    assert _flow_check.host_rows(matrix, "sql01") == []


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({}, "matrix: has no 'boundaries' list; give the result of ocs.firewall.port_matrix"),
        ({"boundaries": [{"rows": None}]}, "matrix.boundaries[0]: has no 'rows' list"),
        (
            {"boundaries": [{"rows": [row(), {"destination": "fe01", "ports": "5061"}]}]},
            "matrix.boundaries[0].rows[1]: needs source, source_address, destination_address, "
            "transport (text)",
        ),
    ],
)
def test_a_matrix_that_is_not_the_port_matrix_s_is_refused_naming_where(
    matrix: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as raised:
        _flow_check.host_rows(matrix, "fe01")
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("5061", "flows: '5061' is not a list of port matrix rows"),
        ([row(), "5061"], "flows[1]: '5061' is not a port matrix row (a mapping)"),
        ([{**row(), "ports": 5061}], "flows[0]: needs ports (text)"),
    ],
)
def test_flows_that_are_not_matrix_rows_are_refused_naming_where(rows: Any, message: str) -> None:
    with pytest.raises(InputError) as raised:
        _flow_check.checked_rows(rows)
    assert str(raised.value).startswith(message)


def test_counts_message_and_remedies_say_each_kind_once() -> None:
    found = check(
        read(SIP, allow("Any 443", "443"), block("Block SIP TLS", "5061")),
        row(),
        row(source="10.10.0.40"),
        row("443", "10.20.0.0/16"),
        row("8404"),
        row(source="(set ocs_firewall_client_networks)"),
    )
    assert [r["kind"] for r in found] == [
        "blocked_by_rule",
        "blocked_by_rule",
        "allowed_by_rule",
        "blocked_by_default",
        "not_checked",
    ]
    assert _flow_check.counts(found) == {
        "allowed": 1,
        "blocked": 3,
        "undecided": 0,
        "not_checked": 1,
        "wider": 1,
    }
    assert _flow_check.message("fe01", found) == (
        "fe01: 5 flow(s): 1 allowed (1 more widely than needed), 3 blocked, 1 not checked"
    )
    remedies = _flow_check.remedies(found)
    assert list(remedies) == ["blocked_by_rule", "blocked_by_default", "not_checked", "wider"]
    assert remedies["blocked_by_rule"] == _flow_check.REMEDIES["blocked_by_rule"]
    assert _flow_check.message("sql01", []) == "sql01: 0 flow(s): none ends on this host"


def test_every_kind_a_check_can_give_has_a_remedy_but_allowed_by_a_rule() -> None:
    verdicts = {"allowed": ("rule", "default", "firewall_off"), "blocked": ("rule", "default")}
    kinds = {f"{v}_by_{by}" for v, bys in verdicts.items() for by in bys}
    kinds |= {"blocked_by_block_all_inbound", "undecided_by_rule", "undecided_by_group_policy"}
    assert set(_flow_check.REMEDIES) == (kinds - {"allowed_by_rule"}) | {"not_checked", "wider"}
