"""The lab's simulated firewall: request parsing, Windows canonicalisation, ownership.

These pin the behaviour the integration tests rely on: that the lab stores values the way
Windows does and refuses what Windows refuses, so a bug in the collection's canonical form
or diff shows up as a non-idempotent run against the lab.
"""

from __future__ import annotations

import base64
import copy

import pytest
from ocs_lab import firewall, seed
from ocs_lab.seed import OCS_GROUP, initial_state

GROUP = "ocs.firewall - Front End"


def b(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text else ""


def add_line(
    name: str,
    *,
    description: str = "",
    direction: int = 1,
    action: int = 1,
    protocol: int = 6,
    local_ports: str = "*",
    remote_ports: str = "*",
    local_addresses: str = "*",
    remote_addresses: str = "*",
    profiles: int = 7,
    enabled: int = 1,
) -> str:
    fields = [
        "ADD",
        b(name),
        b(description),
        str(direction),
        str(action),
        str(protocol),
        b(local_ports),
        b(remote_ports),
        b(local_addresses),
        b(remote_addresses),
        str(profiles),
        str(enabled),
    ]
    return "\t".join(fields)


def apply(group: str, removes: list[str] = (), adds: list[str] = ()) -> str:  # type: ignore[assignment]
    lines = ["OCSFW1", "OP\tapply", f"GROUP\t{b(group)}"]
    lines += [f"REMOVE\t{b(n)}" for n in removes]
    lines += list(adds)
    return "\n".join(lines + ["END", ""])


def read(*groups: str) -> str:
    return "\n".join(["OCSFW1", "OP\tread", *(f"GROUP\t{b(g)}" for g in groups), "END", ""])


def records(stdout: str) -> list[list[str]]:
    lines = stdout.split("\n")
    assert lines[0] == "OCSFW1"
    assert lines[-1] == ""
    return [line.split("\t") for line in lines[1:-1]]


def error_of(outcome: firewall.Outcome) -> str:
    recs = records(outcome.stdout)
    assert recs[-1][0] == "ERROR", recs
    return base64.b64decode(recs[-1][1]).decode("utf-8")


@pytest.fixture
def state() -> dict:
    return initial_state()


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("", "*"),
        ("*", "*"),
        ("any", "*"),
        ("10.0.0.1", "10.0.0.1/255.255.255.255"),
        ("10.0.0.0/24", "10.0.0.0/255.255.255.0"),
        ("10.0.0.0/255.255.0.0", "10.0.0.0/255.255.0.0"),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"),
        ("fe80::1", "fe80::1/128"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("localsubnet", "LocalSubnet"),
        ("dns,DHCP,wins,defaultgateway", "DNS,DHCP,WINS,DefaultGateway"),
        ("10.0.0.1, 192.168.0.0/16", "10.0.0.1/255.255.255.255,192.168.0.0/255.255.0.0"),
    ],
)
def test_addresses_are_stored_as_windows_stores_them(given: str, stored: str) -> None:
    assert firewall.canonical_addresses(given) == stored


@pytest.mark.parametrize("keyword", ["LocalSubnet", "dns", "DHCP", "WINS", "defaultgateway"])
def test_address_keywords_are_refused_in_local_addresses(keyword: str) -> None:
    assert firewall.canonical_addresses(keyword) == firewall.ADDRESS_KEYWORDS[keyword.lower()]
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_addresses(f"10.0.0.1,{keyword}", local=True)
    assert firewall.canonical_addresses("10.0.0.1", local=True) == "10.0.0.1/255.255.255.255"


@pytest.mark.parametrize(
    "given", ["10.0.0.256", "10.0.0.9-10.0.0.1", "10.0.0.1-fe80::1", "*,10.0.0.1", "nonsense"]
)
def test_invalid_addresses_are_refused(given: str) -> None:
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_addresses(given)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("", "*"), ("*", "*"), ("443", "443"), ("5061,5060", "5061,5060"), ("1-1024", "1-1024")],
)
def test_ports_are_stored_as_given(given: str, stored: str) -> None:
    assert firewall.canonical_ports(given, 6, local=True) == stored


def test_port_keywords_only_for_local_ports() -> None:
    assert firewall.canonical_ports("rpc-epmap", 6, local=True) == "RPC-EPMap"
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_ports("RPC", 6, local=False)


@pytest.mark.parametrize("given", ["65536", "10-5", "abc", "1,,2"])
def test_invalid_ports_are_refused(given: str) -> None:
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_ports(given, 17, local=True)


def test_profiles_all_read_back_as_windows_reports_them() -> None:
    assert firewall.canonical_profiles(7) == firewall.PROFILES_ALL
    assert firewall.canonical_profiles(3) == 3
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_profiles(0)


# --------------------------------------------------------------------------- apply/read


def test_apply_adds_rules_in_the_group_with_windows_values(state: dict) -> None:
    before = len(state["rules"])
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            adds=[
                add_line(
                    "SIP",
                    description="d",
                    local_ports="5061,5060",
                    remote_addresses="10.0.0.0/24",
                    profiles=7,
                )
            ],
        ),
    )
    assert outcome.rc == 0
    assert records(outcome.stdout) == [["ADDED", b("SIP")], ["DONE"]]
    assert len(state["rules"]) == before + 1
    rule = state["rules"][-1]
    assert rule["grouping"] == GROUP
    assert rule["local_ports"] == "5061,5060"
    assert rule["remote_addresses"] == "10.0.0.0/255.255.255.0"
    assert rule["profiles"] == firewall.PROFILES_ALL
    assert outcome.changed


def test_read_returns_profiles_then_rules_of_the_groups(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("A", local_ports="443")]))
    outcome = firewall.run(state, read(GROUP.upper()))
    recs = records(outcome.stdout)
    assert [r[0] for r in recs] == ["PROFILE"] * 3 + ["RULE", "DONE"]
    assert [r[1] for r in recs[:3]] == ["1", "2", "4"]
    rule = recs[3]
    assert base64.b64decode(rule[1]).decode() == "A"
    assert base64.b64decode(rule[3]).decode() == GROUP
    assert rule[4:7] == ["1", "1", "6"]
    assert base64.b64decode(rule[7]).decode() == "443"
    assert rule[11:13] == [str(firewall.PROFILES_ALL), "1"]
    assert len(rule) == 15
    assert not outcome.changed


def test_read_without_groups_returns_every_rule(state: dict) -> None:
    outcome = firewall.run(state, read())
    assert outcome.counts["rules"] == len(state["rules"]) > 30


def test_remove_touches_only_the_named_group_even_for_shared_names(state: dict) -> None:
    shared = "Office Communications Server 2007 R2 - Front End - SIP (TLS-In)"
    assert any(r["name"] == shared and r["grouping"] == OCS_GROUP for r in state["rules"])
    firewall.run(state, apply(GROUP, adds=[add_line(shared, local_ports="5061")]))
    foreign_before = copy.deepcopy([r for r in state["rules"] if r["grouping"] != GROUP])

    outcome = firewall.run(state, apply(GROUP, removes=[shared.lower(), "absent"]))

    assert records(outcome.stdout) == [
        ["REMOVED", b(shared.lower()), "1"],
        ["REMOVED", b("absent"), "0"],
        ["DONE"],
    ]
    assert [r for r in state["rules"] if r["grouping"] != GROUP] == foreign_before
    assert not [r for r in state["rules"] if r["grouping"] == GROUP]


def test_ports_with_protocol_any_fail_like_windows(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(
        state, apply(GROUP, adds=[add_line("x", protocol=256, local_ports="80")])
    )
    assert outcome.rc == 2
    assert error_of(outcome) == (
        'Exception setting "LocalPorts": "Value does not fall within the expected range."'
    )
    assert state == before


def test_local_address_keyword_fails_like_windows(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, apply(GROUP, adds=[add_line("x", local_addresses="LocalSubnet")]))
    assert outcome.rc == 2
    assert error_of(outcome) == (
        'Exception setting "LocalAddresses": "Value does not fall within the expected range."'
    )
    assert state == before


def test_foreign_rule_with_a_local_address_keyword_is_refused() -> None:
    with pytest.raises(ValueError, match="local_addresses 'DNS' is refused"):
        seed.foreign_rule({"name": "x", "local_addresses": "DNS"})


@pytest.mark.parametrize(
    ("group", "name", "description", "prop"),
    [
        (GROUP, "a|b", "", "Name"),
        (GROUP, "", "", "Name"),
        (GROUP, "a", "x|y", "Description"),
        ("g|h", "a", "", "Grouping"),
    ],
)
def test_pipe_and_empty_names_are_refused(
    state: dict, group: str, name: str, description: str, prop: str
) -> None:
    outcome = firewall.run(state, apply(group, adds=[add_line(name, description=description)]))
    assert outcome.rc == 2
    assert error_of(outcome).startswith(f'Exception setting "{prop}"')


def test_fail_midway_applies_half_then_reports_access_denied(state: dict) -> None:
    adds = [add_line(f"r{i}", local_ports=str(1000 + i)) for i in range(4)]
    outcome = firewall.run(state, apply(GROUP, adds=adds), fail_midway=True)
    assert outcome.rc == 2
    assert [r[0] for r in records(outcome.stdout)] == ["ADDED", "ADDED", "ERROR"]
    assert "access denied (HRESULT 0x80070005)" in error_of(outcome)
    assert [r["name"] for r in state["rules"] if r["grouping"] == GROUP] == ["r0", "r1"]
    assert outcome.changed


def test_service_stopped_reports_the_script_message_and_changes_nothing(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, apply(GROUP, adds=[add_line("x")]), service_stopped=True)
    assert outcome.rc == 2
    assert "MpsSvc" in error_of(outcome)
    assert state == before


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        ("nonsense\nEND\n", "bad request: it does not start with OCSFW1"),
        ("OCSFW1\nOP\tread\n", "bad request: no END line (truncated input?)"),
        ("OCSFW1\nOP\twrite\nEND\n", "bad request: OP must be read or apply"),
        ("OCSFW1\nOP\tapply\nEND\n", "bad request: apply needs exactly one GROUP"),
        ("OCSFW1\nOP\tread\nEND\nGROUP\t\n", "bad request: text after END"),
        ("OCSFW1\nOP\tread\nWHAT\nEND\n", "bad request: unexpected line 3"),
    ],
)
def test_bad_requests_are_errors_with_rc_2(state: dict, request_text: str, message: str) -> None:
    outcome = firewall.run(state, request_text)
    assert outcome.rc == 2
    assert error_of(outcome) == message


def test_non_ascii_and_hostile_text_is_stored_verbatim(state: dict) -> None:
    name = "Ünïcode 'q' \"dq\" $(calc) `tick`; 50% \n line2 " + "x" * 200
    description = "→ 東京 $env:PATH `$x`"
    outcome = firewall.run(state, apply(GROUP, adds=[add_line(name, description=description)]))
    assert outcome.rc == 0
    assert state["rules"][-1]["name"] == name
    assert state["rules"][-1]["description"] == description
