"""win_firewall_info action plugin, against a stubbed ``_low_level_execute_command``."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from checkout import REMOTE_SCRIPTS as UTILS
from labhost import LabHost, lab_rule, run_action
from ocs_lab import seed
from ocs_lab.seed import initial_state

from ansible_collections.ocs.firewall.plugins.action.win_firewall_info import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._wire import (
    WireProfile,
    WireRule,
)

NAME = "ocs.firewall.win_firewall_info"
BOOTSTRAP = (UTILS / "_bootstrap.ps1").read_text(encoding="ascii")
# As it is sent: without comments, blank lines and indentation.
SCRIPT = "".join(
    _client.compact((UTILS / name).read_text(encoding="ascii"))
    for name in ("_prelude.ps1", "_firewall.ps1")
)

REPLY = _wire.Reply(
    profiles=(
        WireProfile(1, True, 0, 1),
        WireProfile(2, False, 1, 1),
        WireProfile(4, True, 0, 0),
    ),
    rules=(
        WireRule(
            name="OCS FE - SIP",
            description="SIP",
            grouping="OCS 2007 R2 - Front End",
            local_ports="5061,5060",
            remote_addresses="10.0.0.0/255.255.255.0,LocalSubnet",
            profiles=2147483647,
        ),
        WireRule(
            name="Remote Desktop (TCP-In)",
            grouping="@FirewallAPI.dll,-28752",
            local_ports="3389",
            profiles=1,
            enabled=False,
            application="System",
            service="TermService",
        ),
        WireRule(
            name="Core Networking - ICMP",
            grouping="@FirewallAPI.dll,-25000",
            direction=2,
            action=0,
            protocol=58,
            local_ports="",
            remote_ports="",
            profiles=6,
        ),
    ),
    done=True,
)


def run(
    reply: dict[str, Any], args: dict[str, Any], check_mode: bool = False
) -> tuple[dict[str, Any], MagicMock]:
    """The action's result when every command gets ``reply``, and the command's stub."""
    execute = MagicMock(return_value=reply)
    result = run_action(
        ActionModule, NAME, LabHost(), args, check_mode=check_mode, execute=execute
    )[0]
    return result, execute


def ok(reply: _wire.Reply = REPLY) -> dict[str, Any]:
    return {"rc": 0, "stdout": _wire.encode_reply(reply), "stderr": ""}


def sent_request(execute: MagicMock) -> _wire.Request:
    (command,), kwargs = execute.call_args
    assert command == BOOTSTRAP == _client.bootstrap_text()
    assert kwargs["sudoable"] is False
    script, _sep, request = kwargs["in_data"].partition(_wire.SEPARATOR)
    assert script == SCRIPT.encode("ascii")
    return _wire.decode_request(request.decode("utf-8"))


@pytest.mark.parametrize("check_mode", [False, True])
def test_one_read_never_changed(check_mode: bool) -> None:
    result, execute = run(ok(), {}, check_mode=check_mode)
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert execute.call_count == 1
    assert sent_request(execute) == _wire.Request(op="read")


def test_rules_are_canonical_with_read_only_properties() -> None:
    result = run(ok(), {})[0]
    assert result["rules"] == [
        {
            "name": "OCS FE - SIP",
            "description": "SIP",
            "group": "OCS 2007 R2 - Front End",
            "direction": "in",
            "action": "allow",
            "protocol": "tcp",
            "local_ports": ["5060-5061"],
            "remote_ports": [],
            "local_addresses": [],
            "remote_addresses": ["LocalSubnet", "10.0.0.0/24"],
            "profiles": ["domain", "private", "public"],
            "enabled": True,
            "application": "",
            "service": "",
            "owned": False,
        },
        {
            "name": "Remote Desktop (TCP-In)",
            "description": "",
            "group": "@FirewallAPI.dll,-28752",
            "direction": "in",
            "action": "allow",
            "protocol": "tcp",
            "local_ports": ["3389"],
            "remote_ports": [],
            "local_addresses": [],
            "remote_addresses": [],
            "profiles": ["domain"],
            "enabled": False,
            "application": "System",
            "service": "TermService",
            "owned": False,
        },
        {
            "name": "Core Networking - ICMP",
            "description": "",
            "group": "@FirewallAPI.dll,-25000",
            "direction": "out",
            "action": "block",
            "protocol": "icmpv6",
            "local_ports": [],
            "remote_ports": [],
            "local_addresses": [],
            "remote_addresses": [],
            "profiles": ["private", "public"],
            "enabled": True,
            "application": "",
            "service": "",
            "owned": False,
        },
    ]


def test_profiles() -> None:
    result = run(ok(), {})[0]
    assert result["profiles"] == {
        "domain": {
            "enabled": True,
            "default_inbound_action": "block",
            "default_outbound_action": "allow",
        },
        "private": {
            "enabled": False,
            "default_inbound_action": "allow",
            "default_outbound_action": "allow",
        },
        "public": {
            "enabled": True,
            "default_inbound_action": "block",
            "default_outbound_action": "block",
        },
    }


def test_groups_are_sent_as_data() -> None:
    groups = ["OCS 2007 R2 - Front End", "it's $(odd) `n é"]
    execute = run(ok(), {"groups": groups})[1]
    assert sent_request(execute).groups == tuple(groups)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"groups": ["ok", "a|b"]}, "groups[1]: 'a|b' contains '|'"),
        ({"groups": [""]}, "groups[0]: '' is not a group name"),
        ({"group": "x"}, "group"),
    ],
)
def test_bad_options_never_touch_the_host(args: dict[str, Any], message: str) -> None:
    result, execute = run(ok(), args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert execute.call_count == 0


def test_host_error_is_reported() -> None:
    reply = {
        "rc": 2,
        "stdout": _wire.encode_reply(_wire.Reply(error="access denied (HRESULT 0x80070005)")),
        "stderr": "",
    }
    result = run(reply, {})[0]
    assert result["failed"] is True
    assert "access denied (HRESULT 0x80070005)" in result["msg"]
    assert "rules" not in result


# --- owned: the collection's rules, wherever they are (against the lab's firewall) -----------

FE = "OCS 2007 R2 - Front End"


def lab_host() -> LabHost:
    """A lab host as set-up leaves it, plus rules the collection made and rules it did not."""
    host = LabHost(state=initial_state())
    host.state["rules"] += [
        lab_rule(
            "OCS Front End 5061/TCP In (seed-01)",
            FE,
            description="SIP [ocs.firewall catalogue seed-01]",
        ),
        lab_rule("Task rule", "My group", description="[ocs.firewall]"),
        lab_rule("By hand", FE, description="opened by hand"),
        # Quotes the marker, but does not end with one: not the collection's.
        lab_rule("Quoting", "Elsewhere", description="like [ocs.firewall] rules"),
    ]
    return host


def read_info(host: LabHost, args: dict[str, Any]) -> dict[str, Any]:
    return run_action(ActionModule, NAME, host, args)[0]


@pytest.mark.parametrize(
    ("args", "marker", "expected"),
    [
        pytest.param(
            {"owned": True},
            _ownership.PATTERN,
            [("OCS Front End 5061/TCP In (seed-01)", True), ("Task rule", True)],
            id="owned-anywhere",
        ),
        pytest.param(
            {"owned": True, "groups": [FE.upper()]},
            _ownership.PATTERN,
            [
                ("OCS Front End 5061/TCP In (seed-01)", True),
                ("Task rule", True),
                ("By hand", False),
            ],
            id="owned-plus-the-groups",
        ),
        pytest.param(
            {"groups": [FE]},
            "",
            [("OCS Front End 5061/TCP In (seed-01)", True), ("By hand", False)],
            id="groups-only",
        ),
    ],
)
def test_owned_reads_the_collections_rules_in_one_command(
    args: dict[str, Any], marker: str, expected: list[tuple[str, bool]]
) -> None:
    host = lab_host()
    result = read_info(host, args)
    assert not result.get("failed"), result
    assert [r.marker for r in host.requests] == [marker]
    assert [(r["name"], r["owned"]) for r in result["rules"]] == expected


def test_without_options_every_rule_is_read_and_each_says_whether_it_is_owned() -> None:
    host = lab_host()
    result = read_info(host, {})
    assert len(result["rules"]) == len(host.rules)
    owned = {r["name"] for r in result["rules"] if r["owned"]}
    assert owned == {"OCS Front End 5061/TCP In (seed-01)", "Task rule"}


def test_a_built_in_group_can_be_read() -> None:
    # Reading is not managing: the '@' groups the collection never changes can be listed.
    result = read_info(lab_host(), {"groups": [seed.REMOTE_DESKTOP]})
    assert result["rules"] and all(r["group"] == seed.REMOTE_DESKTOP for r in result["rules"])


@pytest.mark.parametrize(
    ("os_version", "reported"), [("6.1", "6.1.7601.65536"), ("6.0", "6.0.6002.131072")]
)
def test_the_hosts_versions_are_returned(os_version: str, reported: str) -> None:
    host = lab_host()
    host.os_version = os_version
    result = read_info(host, {"groups": [FE]})
    assert result["host"] == {"os_version": reported, "powershell_version": "2.0"}
    # A reply without a HOST line (an older script) gives no versions.
    assert run(ok(), {})[0]["host"] == {}


def test_stored_gives_the_values_as_windows_stored_them() -> None:
    host = LabHost(
        [lab_rule("SIP", FE, local_ports="5061,5060", remote_addresses="10.0.0.0/24,LocalSubnet")]
    )
    (plain,) = read_info(host, {"groups": [FE]})["rules"]
    assert "stored" not in plain
    (rule,) = read_info(host, {"groups": [FE], "stored": True})["rules"]
    assert rule["local_ports"] == ["5060-5061"]
    assert rule["stored"]["local_ports"] == "5061,5060"
    assert rule["stored"]["remote_addresses"] == "10.0.0.0/255.255.255.0,LocalSubnet"
    assert rule["stored"]["profiles"] == 2147483647
    assert rule["stored"]["direction"] == 1 and rule["stored"]["protocol"] == 6
