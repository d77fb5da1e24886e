"""Is this flow allowed, and by which rule? (plugins/plugin_utils/_firewall/_evaluate.py)

The case table tests/data/flow_cases.yml is shared with the lab's own evaluator
(dev/tests/lab/test_lab_flows.py): both must give every verdict it holds. Its rules are
written as Windows reads them back, so here they go through the same conversion as a
RULE record of a real read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkout import REPO

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert, _wire

TABLE = yaml.safe_load(Path(REPO, "tests/data/flow_cases.yml").read_text(encoding="utf-8"))
# A rule's keys the table may leave out: a fresh INetFwRule's, but enabled.
_FRESH: dict[str, Any] = {
    "grouping": "",
    "description": "",
    "direction": 1,
    "action": 1,
    "protocol": 256,
    "local_ports": "*",
    "remote_ports": "*",
    "local_addresses": "*",
    "remote_addresses": "*",
    "profiles": 2147483647,
    "enabled": 1,
    "application": "",
    "service": "",
    "icmp_types_and_codes": "",
}
_PROFILE_NAMES = {"1": "domain", "2": "private", "4": "public"}
_ACTIONS = {0: "block", 1: "allow"}


def host_rules(name: str) -> list[HostRule]:
    """The host's rules of the table as a read gives them."""
    found = []
    for raw in TABLE["hosts"][name]["rules"]:
        values = {**_FRESH, **raw}
        fields = {f.name for f in dataclasses.fields(_wire.WireRule)}
        record = _wire.WireRule(
            **{k: v for k, v in values.items() if k in fields and k != "enabled"},
            enabled=bool(values["enabled"]),
        )
        found.append(_convert.host_rule(record))
    return found


def profiles(name: str) -> dict[str, _evaluate.ProfileState]:
    given = TABLE["hosts"][name].get("profiles") or {}
    states = {}
    for number, profile in _PROFILE_NAMES.items():
        values = {"enabled": 1, "inbound_action": 0, "outbound_action": 1, **given.get(number, {})}
        states[profile] = _evaluate.ProfileState(
            enabled=bool(values["enabled"]),
            inbound_action=_ACTIONS[values["inbound_action"]],
            outbound_action=_ACTIONS[values["outbound_action"]],
            block_all_inbound=bool(values.get("block_all_inbound", 0)),
        )
    return states


CASES = TABLE["cases"]


def test_the_table_holds_the_cases_the_issue_asks_for() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    verdicts = {c["verdict"] for c in CASES}
    assert verdicts == {"allowed", "blocked", "undecided"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_collection_agrees_with_the_table(case: dict[str, Any]) -> None:
    flow = _evaluate.flow({k: v for k, v in case["flow"].items() if v is not None})
    verdict = _evaluate.evaluate(host_rules(case["host"]), profiles(case["host"]), flow)
    assert (verdict.verdict, verdict.by, verdict.rule_names()) == (
        case["verdict"],
        case["by"],
        sorted(case["rules"]),
    ), case["why"]
    if verdict.verdict == _evaluate.UNDECIDED:
        assert verdict.depends, "an undecided verdict says what it depends on"


def test_an_undecided_verdict_says_what_it_needs() -> None:
    rule = HostRule(Rule("OCS", local_ports=("5061",)), "g", application="RtcHost.exe")
    flow = _evaluate.flow({"protocol": "tcp", "local_port": 5061, "remote_address": "10.0.0.1"})
    verdict = _evaluate.evaluate([rule], {}, flow)
    assert (verdict.verdict, verdict.depends) == ("undecided", ("the program (RtcHost.exe)",))
    known = dataclasses.replace(flow, program="c:\\x\\rtchost.exe")
    assert _evaluate.evaluate([rule], {}, known).verdict == "blocked"
    assert (
        _evaluate.evaluate([rule], {}, dataclasses.replace(flow, program="RTCHOST.EXE")).verdict
        == "allowed"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"remote_address": "10.0.0.1"}, "flow.protocol is required"),
        ({"protocol": "tcp"}, "flow.remote_address is required"),
        (
            {"protocol": "sctp", "remote_address": "10.0.0.1"},
            "flow.protocol: 'sctp' is not a protocol",
        ),
        ({"protocol": 256, "remote_address": "10.0.0.1"}, "flow.protocol: 256 is not a protocol"),
        ({"protocol": "tcp", "remote_address": "10.0.0.0/24"}, "is not one IPv4 or IPv6 address"),
        ({"protocol": "tcp", "remote_address": "x", "local_port": 1}, "is not one IPv4 or IPv6"),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "local_port": 0},
            "local_port: 0 is not one port",
        ),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "local_port": 70000},
            "70000 is not one port",
        ),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "local_port": "5060-5061"},
            "is not one port",
        ),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "local_port": True},
            "True is not one port",
        ),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "profile": "home"},
            "flow.profile: 'home'",
        ),
        ({"protocol": "tcp", "remote_address": "10.0.0.1", "direction": "both"}, "flow.direction"),
        ({"protocol": "tcp", "remote_address": "10.0.0.1", "port": 5061}, "unknown field(s) port"),
        (
            {"protocol": "tcp", "remote_address": "10.0.0.1", "program": 3},
            "flow.program: 3 is not a string",
        ),
    ],
)
def test_a_bad_flow_is_refused_naming_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=None) as caught:
        _evaluate.flow(raw)
    assert message in str(caught.value)


def test_a_flow_reads_as_people_write_it() -> None:
    flow = _evaluate.flow({"protocol": "TCP", "remote_address": " 10.0.0.1 ", "local_port": "5061"})
    assert flow == _evaluate.Flow(
        protocol=6, remote_address="10.0.0.1", profile="domain", local_port=5061
    )
    assert flow.label() == "5061/tcp from 10.0.0.1 (domain profile)"
