"""The lab's flow evaluator against the table of tests/data/flow_cases.yml.

The table is shared: the collection's own evaluator answers it too, written apart from
this one, so every case is a point where the two must agree. Here every case runs through
``ocs_lab.evaluate`` (one test per case id), the table itself is checked (size, ids, the
kinds of case it must hold, values in the form the lab stores), and the ``flow`` command
of the lab's CLI is driven against a started lab.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ocs_lab import api, firewall
from ocs_lab.evaluate import FlowError, evaluate
from test_lab_cli import lab_cli

REPO = Path(__file__).resolve().parents[3]
TABLE_FILE = REPO / "tests" / "data" / "flow_cases.yml"
TABLE: dict[str, Any] = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = TABLE["cases"]

# What the table promises to hold, by tag: the kinds of flow both evaluators must agree on.
REQUIRED_TAGS = (
    "block-beats-allow",
    "disabled-rule",
    "other-profile",
    "port-range-inside",
    "port-range-outside",
    "local-subnet",
    "remote-network-inside",
    "remote-network-outside",
    "ipv6-prefix",
    "address-range",
    "program-given",
    "program-missing",
    "service",
    "rpc-keyword",
    "protocol-any",
    "outbound-default-allow",
    "inbound-default-allow",
    "firewall-off",
    "block-all-inbound",
    "remote-port",
    "local-address",
    "icmp-types",
    "several-allow-rules",
    "depending-block",
    "ocs-rules",
    "collection-scoped-5061",
)
MIN_CASES = 45
CASE_KEYS = {"id", "host", "flow", "verdict", "by", "rules", "why", "tags"}
VERDICTS = {"allowed", "blocked", "undecided"}
BYS = {"rule", "default", "firewall_off", "block_all_inbound"}
DEFAULT_PROFILE = {"enabled": 1, "inbound_action": 0, "outbound_action": 1, "block_all_inbound": 0}


def host_state(name: str) -> dict[str, Any]:
    """A lab store for a host of the table: its profiles over the defaults, its rules over
    a fresh rule's values (enabled 1 unless it says otherwise)."""
    host = TABLE["hosts"][name]
    given = host.get("profiles") or {}
    profiles = {
        str(ptype): {**DEFAULT_PROFILE, **given.get(str(ptype), {})}
        for ptype in firewall.PROFILE_TYPES
    }
    rules = [firewall.new_rule(**{"enabled": 1, **rule}) for rule in host["rules"]]
    return {"profiles": profiles, "rules": rules, "policy": {}, "current_profiles": 1}


def expected(case: dict[str, Any]) -> dict[str, Any]:
    return {"verdict": case["verdict"], "by": case["by"], "rules": case["rules"]}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_the_lab_gives_the_verdict_of_the_table(case: dict[str, Any]) -> None:
    state = host_state(case["host"])
    before = copy.deepcopy(state)
    verdict = evaluate(state, case["flow"])
    assert {key: verdict[key] for key in ("verdict", "by", "rules")} == expected(case), case["why"]
    # What an undecided verdict depends on is said; a decided one depends on nothing.
    assert bool(verdict["depends"]) == (case["verdict"] == "undecided")
    assert state == before


# --------------------------------------------------------------------------- the table


def test_the_table_holds_enough_cases_with_unique_ids() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) >= MIN_CASES
    assert len(set(ids)) == len(ids)
    assert isinstance(TABLE["about"], str) and "\n" not in TABLE["about"].strip()


def test_the_table_holds_every_kind_of_case() -> None:
    tags = {tag for case in CASES for tag in case["tags"]}
    assert [tag for tag in REQUIRED_TAGS if tag not in tags] == []


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_each_case_is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) == CASE_KEYS
    assert case["host"] in TABLE["hosts"]
    assert case["verdict"] in VERDICTS and case["by"] in BYS
    assert case["rules"] == sorted(set(case["rules"]))
    names = {rule["name"] for rule in TABLE["hosts"][case["host"]]["rules"]}
    assert set(case["rules"]) <= names
    if case["by"] != "rule":
        assert case["rules"] == []
    assert case["why"].strip() and case["tags"]


@pytest.mark.parametrize("host", sorted(TABLE["hosts"]))
def test_the_table_holds_rules_as_the_lab_stores_them(host: str) -> None:
    """Values in Windows' read-back form, so both evaluators read what a host would send."""
    for rule in TABLE["hosts"][host]["rules"]:
        stored = firewall.new_rule(**rule)
        protocol = stored["protocol"]
        for key, local in (("local_addresses", True), ("remote_addresses", False)):
            assert firewall.canonical_addresses(stored[key], local) == stored[key], rule
        for key, local in (("local_ports", True), ("remote_ports", False)):
            assert firewall.canonical_ports(stored[key], protocol, local) == stored[key], rule
        assert firewall.canonical_profiles(stored["profiles"]) == stored["profiles"], rule
    for ptype, profile in (TABLE["hosts"][host].get("profiles") or {}).items():
        assert int(ptype) in firewall.PROFILE_TYPES and set(profile) <= set(DEFAULT_PROFILE)


# --------------------------------------------------------------------------- evaluator


SIP = {"direction": "in", "protocol": "tcp", "local_port": 5061, "remote_address": "10.0.0.5"}


def test_without_local_policy_merge_no_rule_of_the_store_counts() -> None:
    # AllowLocalPolicyMerge 0: the lab's rules are all local, so only the default is left.
    state = host_state("fe-basic")
    state["policy"] = {"1": {"AllowLocalPolicyMerge": 0}}
    assert evaluate(state, {**SIP, "profile": "domain"}) == {
        "verdict": "blocked",
        "by": "default",
        "rules": [],
        "depends": [],
    }
    assert evaluate(state, {**SIP, "profile": "private"})["rules"] == ["SIP (TLS-In)"]
    state["profiles"]["1"]["inbound_action"] = 1
    assert evaluate(state, {**SIP, "local_port": 23, "profile": "domain"})["verdict"] == "allowed"


def test_the_profile_is_taken_under_group_policy() -> None:
    state = host_state("fe-basic")
    # DoNotAllowExceptions 1 blocks all incoming connections; EnableFirewall 0 turns it off.
    state["policy"] = {"1": {"DoNotAllowExceptions": 1}, "2": {"EnableFirewall": 0}}
    assert evaluate(state, {**SIP, "profile": "domain"})["by"] == "block_all_inbound"
    assert evaluate(state, {**SIP, "local_port": 23, "profile": "private"})["by"] == "firewall_off"


def test_what_an_undecided_verdict_depends_on_is_named() -> None:
    state = host_state("ocs-front-end")
    flow = {**SIP, "remote_address": "192.168.1.5", "profile": "domain"}
    (reason,) = evaluate(state, flow)["depends"]
    assert reason.startswith("Office Communications Server 2007 R2 - Front End - SIP (TLS-In)")
    assert "program" in reason and "RtcHost.exe" in reason


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ({**SIP, "profile": "home"}, "flow profile 'home'"),
        ({**SIP, "profile": "domain", "direction": "inbound"}, "flow direction 'inbound'"),
        ({**SIP, "profile": "domain", "protocol": "gre"}, "flow protocol 'gre'"),
        ({**SIP, "profile": "domain", "local_port": 70000}, "flow local_port 70000"),
        ({**SIP, "profile": "domain", "remote_address": "10.0.0"}, "flow remote_address"),
        ({**SIP, "profile": "domain", "protocol": "icmpv4"}, "tcp and udp flows only"),
        ({**SIP, "profile": "domain", "port": 5061}, "unknown flow keys ['port']"),
        ({"direction": "in", "protocol": "tcp", "profile": "domain"}, "['remote_address']"),
    ],
)
def test_a_bad_flow_is_refused_naming_the_value(flow: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError) as raised:
        evaluate(host_state("fe-basic"), flow)
    assert message in str(raised.value)


def test_a_bad_stored_value_names_the_rule() -> None:
    state = host_state("fe-basic")
    state["rules"][0]["local_ports"] = "50-x"
    with pytest.raises(FlowError) as raised:
        evaluate(state, {**SIP, "profile": "domain"})
    assert "rule 'SIP (TLS-In)'" in str(raised.value) and "'50-x'" in str(raised.value)


# --------------------------------------------------------------------------- the CLI


LAB = {
    "all": {
        "hosts": {
            "fe01": {
                "ocs_lab_transport": "basic",
                "ocs_lab_foreign_rules": [
                    {"name": "Pool SIP", "local_ports": 5061, "remote_addresses": "10.0.0.0/24"}
                ],
            },
            "edge01": {"ocs_lab_transport": "basic", "ocs_lab_current_profiles": ["public"]},
            "multi": {
                "ocs_lab_transport": "basic",
                "ocs_lab_current_profiles": ["domain", "public"],
            },
            "w2003": {"ocs_lab_os": "5.2", "ocs_lab_transport": "ntlm"},
        }
    }
}


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("flows")
    api.start(LAB, state_dir)
    yield state_dir
    api.stop(state_dir)


def flow_cli(state_dir: Path, host: str, *options: str) -> tuple[int, Any, str]:
    result = lab_cli("flow", "--state-dir", str(state_dir), host, *options)
    data = json.loads(result.stdout) if result.returncode == 0 else None
    return result.returncode, data, result.stderr


def test_the_flow_command_prints_the_verdict(lab_dir: Path) -> None:
    rc, data, _err = flow_cli(
        lab_dir, "fe01", "--protocol", "tcp", "--port", "5061", "--from", "10.0.0.7"
    )
    assert rc == 0
    assert data == {
        "host": "fe01",
        "profile": "domain",
        "verdict": "allowed",
        "by": "rule",
        "rules": ["Pool SIP"],
        "depends": [],
    }
    # The seed's hand-made block rule on 23.
    rc, data, _err = flow_cli(
        lab_dir, "fe01", "--protocol", "tcp", "--port", "23", "--from", "10.0.0.7"
    )
    assert (rc, data["verdict"], data["rules"]) == (0, "blocked", ["Block telnet"])


def test_the_flow_command_takes_every_condition(lab_dir: Path) -> None:
    options = ["--protocol", "udp", "--port", "68", "--from", "10.0.0.1", "--remote-port", "67"]
    options += ["--program", r"%SystemRoot%\system32\svchost.exe", "--service", "dhcp"]
    options += ["--local-address", "10.0.0.10", "--profile", "private", "--direction", "in"]
    rc, data, _err = flow_cli(lab_dir, "fe01", *options)
    assert rc == 0
    assert (data["profile"], data["verdict"]) == ("private", "allowed")
    assert data["rules"] == ["Core Networking - Dynamic Host Configuration Protocol (DHCP-In)"]
    rc, data, _err = flow_cli(
        lab_dir, "fe01", "--direction", "out", "--protocol", "udp", "--from", "10.0.0.2"
    )
    assert (rc, data["verdict"], data["by"]) == (0, "allowed", "default")


def test_the_profile_defaults_to_the_hosts_current_one(lab_dir: Path) -> None:
    rc, data, _err = flow_cli(
        lab_dir, "edge01", "--protocol", "tcp", "--port", "5985", "--from", "10.0.0.7"
    )
    # On the public profile only the WinRM rule for the local subnet applies.
    assert (rc, data["profile"], data["verdict"]) == (0, "public", "undecided")


@pytest.mark.parametrize(
    ("host", "options", "message"),
    [
        ("nosuch", [], "unknown lab host(s) ['nosuch']"),
        ("fe01", ["--port", "http"], "flow local_port 'http'"),
        ("fe01", ["--protocol", "sctp"], "flow protocol 'sctp'"),
        ("w2003", [], "plays Windows Server 2003"),
        ("multi", [], "on the domain and public profiles: name one (--profile)"),
    ],
)
def test_the_flow_command_refuses_with_exit_code_2(
    lab_dir: Path, host: str, options: list[str], message: str
) -> None:
    base = {"--protocol": "tcp", "--port": "5061", "--from": "10.0.0.7"}
    for option, value in zip(options[::2], options[1::2], strict=True):
        base[option] = value
    rc, _data, err = flow_cli(lab_dir, host, *(t for pair in base.items() for t in pair))
    assert rc == 2
    assert message in err


def test_a_host_on_several_profiles_takes_the_one_named(lab_dir: Path) -> None:
    options = ["--protocol", "tcp", "--port", "5061", "--from", "10.0.0.7", "--profile", "public"]
    rc, data, _err = flow_cli(lab_dir, "multi", *options)
    assert (rc, data["profile"]) == (0, "public")
