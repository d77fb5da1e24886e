"""win_firewall_info action plugin, against a stubbed ``_low_level_execute_command``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest

from ansible_collections.ocs.firewall.plugins.action.win_firewall_info import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._wire import WireProfile, WireRule

UTILS = Path(__file__).resolve().parents[2] / "plugins" / "plugin_utils"
BOOTSTRAP = (UTILS / "_bootstrap.ps1").read_text(encoding="ascii")
SCRIPT = (UTILS / "_firewall.ps1").read_text(encoding="ascii")

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
            direction=1,
            action=1,
            protocol=6,
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
            local_addresses="*",
            remote_addresses="*",
            profiles=6,
        ),
    ),
    done=True,
)


def run(
    reply: dict[str, Any], args: dict[str, Any], check_mode: bool = False
) -> tuple[dict[str, Any], MagicMock]:
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    task.action = "ocs.firewall.win_firewall_info"
    action = ActionModule(
        task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None
    )
    action._load_name = "ocs.firewall.win_firewall_info"
    execute = MagicMock(return_value=reply)
    action._low_level_execute_command = execute
    return action.run(task_vars={}), execute


def ok(reply: _wire.Reply = REPLY) -> dict[str, Any]:
    return {"rc": 0, "stdout": _wire.encode_reply(reply), "stderr": ""}


def sent_request(execute: MagicMock) -> _wire.Request:
    (command,), kwargs = execute.call_args
    assert command == BOOTSTRAP
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
