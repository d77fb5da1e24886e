"""win_firewall_rules action plugin, against the lab's firewall.

The host is ``ocs_lab.firewall.run`` behind a stubbed ``_low_level_execute_command``
(tests/unit/labhost.py): it checks that the command is the fixed bootstrap and the stdin
the fixed script, the separator and an OCSFW2 request, and answers as Windows would: it
stores addresses with masks, reports all profiles as 2147483647 and retires a rule only
when its description ends with the ownership marker. So "converged" really means that the
semantic comparison worked, and "left alone" means byte for byte.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from unittest.mock import MagicMock

import pytest
import requests
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from labhost import LabHost, lab_rule, run_action
from urllib3.exceptions import ProtocolError

from ansible_collections.ocs.firewall.plugins.action.win_firewall_rules import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform, _wire

NAME = "ocs.firewall.win_firewall_rules"
HOST = "fe01.ocs.example"
GROUP = "OCS 2007 R2 - Front End"
MARK = " [ocs.firewall]"
ENVELOPE = _platform.MAX_ENVELOPE_VARIABLE

SIP = {
    "name": "OCS FE - SIP",
    "description": "SIP over TLS",
    "local_ports": "5061,5060",
    "remote_addresses": ["10.0.0.0/24", "10.1.0.1", "localsubnet"],
}
WEB = {"name": "OCS FE - Web", "local_ports": [444, 443], "profiles": ["domain"]}


class Templar:
    """Stands for the task's templar: returns values as they are."""

    def template(self, value: Any) -> Any:
        return value


def diffs(result: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The diff's rule items by rule name, after the host's summary line."""
    summary, *items = result["diff"]
    assert summary == {"prepared": result["msg"] + "\n"}
    prefix = f"{HOST} | {GROUP} | "
    found = {}
    for item in items:
        assert item["before_header"] == item["after_header"]
        assert item["before_header"].startswith(prefix)
        found[item["before_header"][len(prefix) :].rsplit(" (", 1)[0]] = item
    return found


def run_warned(
    host: LabHost,
    args: dict[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
    task_vars: dict[str, Any] | None = None,
    execute: Callable[..., dict[str, Any]] | None = None,
    connection: Any = None,
) -> tuple[dict[str, Any], list[str]]:
    """One run of the task on ``host``: its result and the warnings it gave."""
    result, display = run_action(
        ActionModule,
        NAME,
        host,
        args,
        check_mode=check_mode,
        diff=diff,
        task_vars={"inventory_hostname": HOST, **(task_vars or {})},
        templar=Templar(),
        execute=execute,
        connection=connection,
    )
    return result, [c.args[0] for c in display.warning.call_args_list]


def run(host: LabHost, args: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return run_warned(host, args, **kwargs)[0]


def owned(name: str, group: str = GROUP, **values: Any) -> dict[str, Any]:
    """A rule the collection made (its description ends with the task marker)."""
    return lab_rule(name, group, **values)


def hand_made(name: str, group: str = GROUP, **values: Any) -> dict[str, Any]:
    values.setdefault("description", "opened by hand")
    return lab_rule(name, group, **values)


def openings(rules: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """What enabled allow rules let through, whatever their names."""
    return {
        (
            r["direction"],
            r["protocol"],
            r["local_ports"],
            r["remote_ports"],
            r["local_addresses"],
            r["remote_addresses"],
            r["profiles"],
        )
        for r in rules
        if r["enabled"] and r["action"] == 1
    }


def reply_kinds(host: LabHost) -> list[str]:
    """The record kinds of the last reply, in the order the host printed them."""
    return [line.split("\t")[0] for line in host.outcomes[-1].stdout.splitlines()]


# ---- create, converge, update, purge ---------------------------------------------------------


def test_empty_host_gets_the_rules_in_two_calls_then_converges_in_one() -> None:
    host = LabHost()
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["added"] == ["OCS FE - SIP", "OCS FE - Web"]
    assert result["updated"] == [] and result["removed"] == [] and result["foreign"] == []
    assert [r.op for r in host.requests] == ["read", "apply"]
    assert host.requests[0] == _wire.Request(op="read", groups=(GROUP,))
    apply = host.requests[1]
    assert apply.marker == _ownership.PATTERN
    ((section,),) = [apply.sections]
    assert section.group == GROUP and section.removes == ()
    assert [a.name for a in section.adds] == ["OCS FE - SIP", "OCS FE - Web"]
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]
    assert result["rules"][0] == {
        "name": "OCS FE - SIP",
        "description": "SIP over TLS" + MARK,
        "direction": "in",
        "action": "allow",
        "protocol": "tcp",
        "local_ports": ["5060-5061"],
        "remote_ports": [],
        "local_addresses": [],
        "remote_addresses": ["LocalSubnet", "10.0.0.0/24", "10.1.0.1"],
        "profiles": ["domain", "private", "public"],
        "enabled": True,
    }
    # WEB has no description: the marker alone.
    assert result["rules"][1]["description"] == MARK.strip()

    # The lab stores the Windows spelling (masks, 2147483647); the next run still matches.
    stored = next(r for r in host.rules if r["name"] == "OCS FE - SIP")
    assert stored["description"] == "SIP over TLS" + MARK
    assert stored["remote_addresses"] == (
        "LocalSubnet,10.0.0.0/255.255.255.0,10.1.0.1/255.255.255.255"
    )
    assert stored["profiles"] == 2147483647
    second = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert second["changed"] is False
    assert [r.op for r in host.requests] == ["read", "apply", "read"]
    assert second["rules"] == result["rules"]


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [
        pytest.param(
            {"local_ports": "5060-5061", "remote_addresses": "10.0.0.0/24"},
            {"local_ports": "5060,5061", "remote_addresses": "10.0.0.0/255.255.255.0"},
            id="list-vs-range-mask-vs-prefix",
        ),
        pytest.param(
            {"local_ports": "5061,5060", "remote_addresses": "10.0.0.0/255.255.255.0"},
            {"local_ports": "5060-5061", "remote_addresses": "10.0.0.0/24"},
            id="range-vs-list-prefix-vs-mask",
        ),
        pytest.param(
            {
                "local_ports": "5060-5061",
                "remote_addresses": "LocalSubnet,10.1.0.1/255.255.255.255,10.0.0.0/24",
                "profiles": 7,
            },
            {
                "local_ports": [5061, "5060"],
                "remote_addresses": "10.1.0.1, localsubnet, 10.0.0.5/24",
                "profiles": "all",
            },
            id="keyword-case-host-bits-profiles",
        ),
    ],
)
def test_a_host_spelled_differently_is_one_call_and_unchanged(
    stored: dict[str, Any], wanted: dict[str, Any]
) -> None:
    # The group's case differs too: Windows compares groups ignoring case.
    host = LabHost([owned("OCS FE - SIP", GROUP.upper(), description="SIP" + MARK, **stored)])
    before = copy.deepcopy(host.rules)
    result = run(
        host, {"group": GROUP, "rules": [{"name": "OCS FE - SIP", "description": "SIP", **wanted}]}
    )
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert [r.op for r in host.requests] == ["read"]
    assert host.rules == before


def test_update_retires_then_adds_and_purges_unlisted_in_one_command() -> None:
    host = LabHost(
        [
            owned("OCS FE - SIP", description="SIP over TLS" + MARK, local_ports="5061"),
            owned("OCS FE - Old", local_ports="8080"),
            owned("OCS FE - Web", local_ports="443-444", profiles=1),
        ]
    )
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]}, diff=True)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert (result["added"], result["updated"], result["removed"]) == (
        [],
        ["OCS FE - SIP"],
        ["OCS FE - Old"],
    )
    assert [r.op for r in host.requests] == ["read", "apply"]
    (section,) = host.requests[1].sections
    assert section.removes == ("OCS FE - SIP", "OCS FE - Old")
    assert [a.name for a in section.adds] == ["OCS FE - SIP"]
    assert section.adds[0].local_ports == "5060-5061"
    # On the host: both retired (renamed) first, the new rule added, then the old removed;
    # then the group's digest after the change.
    assert reply_kinds(host) == [
        "OCSFW2",
        "RETIRED",
        "RETIRED",
        "ADDED",
        "REMOVED",
        "REMOVED",
        "DIGEST",
        "DONE",
    ]
    # It saw the group as the read reported it.
    assert host.requests[1].watch == (GROUP,) and len(host.requests[1].seen) == 40
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]
    assert host.tombstones() == []
    # The diff: an item per changed rule, its old and new values one field per line; the
    # rule in sync is not in it.
    assert result["msg"] == f"{HOST}: 0 added, 1 updated, 1 removed ({GROUP}: 1 updated, 1 removed)"
    items = diffs(result)
    assert set(items) == {"OCS FE - SIP", "OCS FE - Old"}
    sip = items["OCS FE - SIP"]
    assert sip["before_header"] == f"{HOST} | {GROUP} | OCS FE - SIP (updated)"
    assert "local_ports: 5061\n" in sip["before"]
    assert "local_ports: 5060-5061\n" in sip["after"]
    assert items["OCS FE - Old"]["after"] == ""
    assert "local_ports: 8080\n" in items["OCS FE - Old"]["before"]
    assert run(host, {"group": GROUP, "rules": [SIP, WEB]})["changed"] is False


def test_purge_false_keeps_unlisted_rules() -> None:
    host = LabHost([owned("Manual", local_ports="8080")])
    result = run(host, {"group": GROUP, "rules": [WEB], "purge": False})
    assert result["changed"] is True
    assert result["removed"] == [] and result["added"] == ["OCS FE - Web"]
    assert host.requests[1].sections[0].removes == ()
    assert sorted(host.names(GROUP)) == ["Manual", "OCS FE - Web"]
    assert [r["name"] for r in result["rules"]] == ["Manual", "OCS FE - Web"]
    again = run(host, {"group": GROUP, "rules": [WEB], "purge": False})
    assert again["changed"] is False


def test_rules_of_other_groups_are_never_touched() -> None:
    # Even a rule of ours, of the same name, in another group.
    other = owned("OCS FE - Web", "Somebody else", local_ports="1")
    host = LabHost([other, owned("OCS FE - Web")])
    result = run(host, {"group": GROUP, "rules": []})
    assert result["removed"] == ["OCS FE - Web"]
    assert host.rules == [other]


def test_duplicates_in_the_group_become_one_rule() -> None:
    host = LabHost(
        [
            owned("OCS FE - Web", local_ports="443-444", profiles=1),
            owned("ocs fe - web", local_ports="443-444", profiles=1),
        ]
    )
    result = run(host, {"group": GROUP, "rules": [WEB]})
    assert result["updated"] == ["OCS FE - Web"]
    assert host.requests[1].sections[0].removes == ("OCS FE - Web",)
    # One REMOVE takes both: the host compares names ignoring case.
    assert _wire.decode_reply(host.outcomes[-1].stdout).removed == (
        _wire.RuleChange(GROUP, "OCS FE - Web", 2),
    )
    assert host.names(GROUP) == ["OCS FE - Web"]


def test_check_mode_reads_only_and_reports_the_change() -> None:
    host = LabHost([owned("Old")])
    before = copy.deepcopy(host.state)
    result = run(host, {"group": GROUP, "rules": [SIP]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert (result["added"], result["removed"]) == (["OCS FE - SIP"], ["Old"])
    assert [r.op for r in host.requests] == ["read"]
    assert host.state == before
    items = diffs(result)
    assert set(items) == {"Old", "OCS FE - SIP"}
    assert items["Old"]["before_header"].endswith("Old (would be removed)")
    assert items["OCS FE - SIP"]["before"] == ""
    assert result["msg"] == (
        f"{HOST}: 1 to add, 0 to update, 1 to remove ({GROUP}: 1 to add, 1 to remove)"
    )
    assert [r["name"] for r in result["rules"]] == ["OCS FE - SIP"]


def test_diff_only_in_diff_mode_and_json_serialisable() -> None:
    assert "diff" not in run(LabHost(), {"group": GROUP, "rules": [WEB]})
    result = run(LabHost(), {"group": GROUP, "rules": [WEB]}, diff=True)
    web = diffs(result)["OCS FE - Web"]
    assert web["before"] == ""
    assert "local_ports: 443-444\n" in web["after"]
    assert web["after"].startswith("name: OCS FE - Web\n")
    json.dumps(result, sort_keys=True)


@pytest.mark.parametrize(
    ("purge", "rules", "left", "warns"),
    [
        (True, [], ["Other"], False),
        (True, [{"name": "a"}], ["Other"], True),
        (False, [{"name": "A"}], ["b", "Other"], False),
    ],
)
def test_state_absent(
    purge: bool, rules: list[dict[str, Any]], left: list[str], warns: bool
) -> None:
    host = LabHost([owned("a"), owned("b"), owned("Other", "Other group")])
    args = {"group": GROUP, "rules": rules, "state": "absent", "purge": purge}
    result, warned = run_warned(host, args)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["added"] == [] and result["updated"] == []
    assert host.requests[1].sections[0].adds == ()
    assert [r["name"] for r in host.rules] == left
    if warns:
        (warning,) = warned
        assert "state=absent with purge=true removes every rule" in warning
        assert f"in group {GROUP!r}" in warning and "the 1 rule(s) listed" in warning
    else:
        assert warned == []
    again = run(host, args)
    assert again["changed"] is False
    assert len(host.requests) == 3


# ---- bad values never reach the host ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"rules": []}, "missing required arguments: group"),
        ({"group": GROUP, "state": "gone"}, "state must be one of: present, absent"),
        ({"group": GROUP, "bogus": 1}, "bogus"),
    ],
)
def test_bad_options_never_touch_the_host(args: dict[str, Any], message: str) -> None:
    host = LabHost()
    result = run(host, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert host.commands == []


def rules_of(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"group": GROUP, "rules": list(rules)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param({"group": "a|b"}, "group: 'a|b' contains '|'", id="group-bar"),
        pytest.param({"group": "a\0b"}, "group: 'a\\x00b' contains a NUL", id="group-nul"),
        pytest.param({"group": ""}, "group: '' is not a group name", id="group-empty"),
        pytest.param(
            {"group": "@FirewallAPI.dll,-28752"},
            "group: '@FirewallAPI.dll,-28752' starts with '@'",
            id="group-built-in",
        ),
        pytest.param(
            {"group": "Windows Remote Management"},
            "group: 'Windows Remote Management' is the name Windows shows for one of its "
            "built-in groups",
            id="group-built-in-display-name",
        ),
        pytest.param(
            {"group": "office communications server 2007 r2"},
            "is the group OCS 2007 R2 setup creates its rules in",
            id="group-ocs-setup",
        ),
        pytest.param(
            rules_of({"name": "x", "local_ports": 0}),
            "rules[0] ('x').local_ports: '0' is out of range; valid ports are 1..65535",
            id="port-0",
        ),
        pytest.param(
            rules_of({"name": "x", "local_ports": "80,70000"}),
            "rules[0] ('x').local_ports: '70000' is out of range",
            id="port-70000",
        ),
        pytest.param(
            rules_of({"name": "x"}, {"name": "y", "remote_ports": "9-1"}),
            "rules[1] ('y').remote_ports: '9-1' is a reversed range",
            id="reversed-range",
        ),
        pytest.param(
            rules_of({"name": "x", "protocol": "any", "local_ports": 1}),
            "rules[0] ('x').local_ports: 1 needs protocol tcp or udp",
            id="ports-without-protocol",
        ),
        pytest.param(rules_of({"name": "x|y"}), "rules[0].name: 'x|y' contains '|'", id="name-bar"),
        pytest.param(
            rules_of({"name": "x\0y"}),
            "rules[0].name: 'x\\x00y' contains a NUL character",
            id="name-nul",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "a|b"}),
            "rules[0] ('x').description: 'a|b' contains '|'",
            id="description-bar",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "a\0b"}),
            "rules[0] ('x').description: 'a\\x00b' contains a NUL character",
            id="description-nul",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "see [ocs.firewall]"}),
            "rules[0] ('x').description: 'see [ocs.firewall]' holds '[ocs.firewall'",
            id="description-marker",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "[ocs.firewall catalogue seed-01] copy"}),
            "rules[0] ('x').description: '[ocs.firewall catalogue seed-01] copy' holds",
            id="description-catalogue-marker",
        ),
        pytest.param(rules_of({"name": "x" * 256}), "rules[0].name: 'xxxx", id="name-too-long"),
        pytest.param(
            rules_of({"name": "X"}, {"name": "x"}),
            "rules[1].name: 'x' is already used by rules[0] ('X')",
            id="duplicate-name",
        ),
        pytest.param(
            rules_of({"name": "x", "remote_addresses": "10.0.0.1/40"}),
            "rules[0] ('x').remote_addresses: '10.0.0.1/40' is not a valid address",
            id="bad-address",
        ),
        pytest.param(
            rules_of({"name": "x", "local_addresses": ["10.0.0.1", "LocalSubnet"]}),
            "rules[0] ('x').local_addresses: 'LocalSubnet' is a keyword Windows Firewall "
            "only accepts in remote addresses",
            id="local-keyword",
        ),
        pytest.param(
            rules_of({"name": "x", "local_addresses": "dns"}),
            "rules[0] ('x').local_addresses: 'dns' is a keyword",
            id="local-keyword-lower-case",
        ),
        pytest.param(
            rules_of({"name": "ocs.firewall-removing-0123"}),
            "rules[0].name: 'ocs.firewall-removing-0123' starts with 'ocs.firewall-removing-'",
            id="tombstone-name",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "d" * 200_000}),
            "rules[0] ('x').description: 'dddddddddddddddddddddddddddddddddddddddd'... is "
            "200,000 characters long; Windows Firewall stores descriptions of at most 10,000",
            id="description-too-long",
        ),
        pytest.param(
            rules_of({"name": "x", "description": "d" * 9_986}),
            "rules[0] ('x').description: 'dddddddddddddddddddddddddddddddddddddddd'... is "
            "9,986 characters long, 10,001 with the '[ocs.firewall]' the collection puts at its "
            "end; Windows Firewall stores descriptions of at most 10,000, so give at most 9,985",
            id="description-too-long-with-the-marker",
        ),
        pytest.param(
            rules_of(
                {
                    "name": "x",
                    # 8,000 addresses no two of which merge: too many for one WinRM message.
                    "remote_addresses": [f"10.0.{n // 128}.{n % 128 * 2}" for n in range(8000)],
                }
            ),
            "WinRM 2.0 hosts take messages of at most 150 KB",
            id="too-large-for-one-message",
        ),
    ],
)
def test_bad_values_are_refused_naming_the_host_and_send_no_command(
    args: dict[str, Any], message: str
) -> None:
    host = LabHost([owned("x")])
    before = copy.deepcopy(host.state)
    result = run(host, args)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{HOST}: "), result["msg"]
    assert message in result["msg"]
    assert host.commands == [] and host.requests == []
    assert host.state == before


def test_the_name_too_long_message_says_the_limit() -> None:
    result = run(LabHost(), rules_of({"name": "x" * 256}))
    assert "256 characters long; at most 255 are allowed" in result["msg"]


@pytest.mark.parametrize(
    ("transport", "message"),
    [
        ("psrp", "ansible_connection psrp is not supported"),
        ("ssh", "ansible_connection ssh is not supported"),
    ],
)
def test_connections_other_than_winrm_are_refused_with_no_command(
    transport: str, message: str
) -> None:
    connection = MagicMock()
    connection.transport = transport
    host = LabHost()
    result = run(host, {"group": GROUP, "rules": [SIP]}, connection=connection)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{HOST}: {message}")
    assert host.commands == []


def test_winrm_is_the_connection_that_works() -> None:
    connection = MagicMock()
    connection.transport = "winrm"
    host = LabHost()
    result = run(host, {"group": GROUP, "rules": [SIP]}, connection=connection)
    assert not result.get("failed"), result
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP"]


# ---- what travels, and hostile data ----------------------------------------------------------


def test_the_command_line_and_script_never_change_with_the_payload() -> None:
    hostile = "x'; $(Remove-Item C:\\) `n \" % é 北"
    payloads = [
        {"group": GROUP, "rules": []},
        {"group": GROUP, "rules": [SIP]},
        {"group": hostile, "rules": [{"name": hostile, "description": hostile}]},
        {"group": GROUP, "rules": [{"name": f"r{i}", "local_ports": i + 1} for i in range(300)]},
    ]
    commands: set[str] = set()
    script = _client.script_text().encode("ascii") + _wire.SEPARATOR
    for args in payloads:
        host = LabHost([owned("stale", args["group"])])
        result = run(host, args)
        assert not result.get("failed"), result
        assert len(host.commands) == 2
        commands.update(host.commands)
        for stdin in host.stdins:
            assert stdin.startswith(script)
    assert commands == {_client.bootstrap_text()}


def test_hostile_names_reach_the_host_verbatim() -> None:
    names = [
        'O\'Brien "q"',
        "$(whoami)",
        "back`tick",
        "a;b & c",
        "line\nbreak",
        "100%",
        "Zürich 北京",
    ]
    args = {"group": GROUP, "rules": [{"name": n, "description": n} for n in names]}
    host = LabHost()
    result = run(host, args)
    assert result["added"] == names
    assert sorted(host.names(GROUP)) == sorted(names)
    assert all(r["description"] == r["name"] + MARK for r in host.rules)
    assert run(host, args)["changed"] is False


def test_many_rules_still_two_round_trips() -> None:
    rules = [{"name": f"rule {i}", "local_ports": 1000 + i} for i in range(250)]
    host = LabHost([owned(f"rule {i}") for i in range(0, 250, 2)])
    result = run(host, {"group": GROUP, "rules": rules})
    assert not result.get("failed"), result
    assert [r.op for r in host.requests] == ["read", "apply"]
    assert len(result["added"]) == 125 and len(result["updated"]) == 125
    assert len(host.names(GROUP)) == 250
    assert run(host, {"group": GROUP, "rules": rules})["changed"] is False


def test_a_request_larger_than_one_message_is_split_within_the_budget() -> None:
    budget = _platform.stdin_budget(32)
    description = "a description long enough to fill WinRM messages quickly " * 2
    rules = [
        {"name": f"rule {i:03}", "description": description, "local_ports": 1000 + i}
        for i in range(150)
    ]
    host = LabHost(
        [
            # Every fifth wanted rule is there with other ports (replaced) ...
            *(owned(f"rule {i:03}", local_ports="1") for i in range(0, 150, 5)),
            # ... and ten are no longer wanted (removed).
            *(owned(f"gone {i}", local_ports=str(2000 + i)) for i in range(10)),
        ]
    )
    result = run(host, {"group": GROUP, "rules": rules}, task_vars={ENVELOPE: 32})
    assert not result.get("failed"), result
    assert len(result["added"]) == 120 and len(result["updated"]) == 30
    assert len(result["removed"]) == 10
    ops = [r.op for r in host.requests]
    assert ops[0] == "read" and ops.count("apply") >= 2 and set(ops[1:]) == {"apply"}, ops
    assert all(len(stdin) <= budget for stdin in host.stdins)
    # Together the applies are the whole change, each rule once.
    applies = host.requests[1:]
    adds = [a.name for r in applies for s in r.sections for a in s.adds]
    retired = [n for r in applies for s in r.sections for n in s.removes]
    assert sorted(adds) == sorted(r["name"] for r in rules)
    assert sorted(retired) == sorted([f"rule {i:03}" for i in range(0, 150, 5)] + result["removed"])
    # A replaced rule goes with its replacement; removals come after every pure add.
    for request in applies:
        for section in request.sections:
            added_here = {a.name for a in section.adds}
            assert all(n in added_here for n in section.removes if n.startswith("rule"))
    pure_adds = [
        i
        for i, r in enumerate(applies)
        for s in r.sections
        for a in s.adds
        if a.name not in retired
    ]
    pure_removes = [
        i
        for i, r in enumerate(applies)
        for s in r.sections
        for n in s.removes
        if n.startswith("gone")
    ]
    assert min(pure_removes) >= max(pure_adds)
    assert sorted(host.names(GROUP)) == sorted(r["name"] for r in rules)
    assert host.tombstones() == []
    again = run(host, {"group": GROUP, "rules": rules}, task_vars={ENVELOPE: 32})
    assert again["changed"] is False
    # With WinRM 2.0's default envelope the same change is one command.
    whole = LabHost()
    assert not run(whole, {"group": GROUP, "rules": rules}).get("failed")
    assert [r.op for r in whole.requests] == ["read", "apply"]


# ---- rules the collection did not make ------------------------------------------------------


def test_a_foreign_rule_with_a_wanted_name_survives_byte_identical() -> None:
    foreign = [
        hand_made("OCS FE - SIP", local_ports="5061", application=r"C:\sip.exe"),
        hand_made("Admin SSH", description="", local_ports="22"),
    ]
    host = LabHost([*foreign, owned("Old")])
    result, warned = run_warned(host, {"group": GROUP, "rules": [SIP]}, diff=True)
    assert not result.get("failed"), result
    assert (result["added"], result["updated"], result["removed"]) == (
        ["OCS FE - SIP"],
        [],
        ["Old"],
    )
    assert [r for r in host.rules if r["description"] != "SIP over TLS" + MARK] == foreign
    assert sorted(host.names(GROUP)) == ["Admin SSH", "OCS FE - SIP", "OCS FE - SIP"]
    assert [(f["name"], f["group"]) for f in result["foreign"]] == [
        ("OCS FE - SIP", GROUP),
        ("Admin SSH", GROUP),
    ]
    assert result["foreign"][0]["application"] == r"C:\sip.exe"
    assert result["foreign"][0]["local_ports"] == ["5061"]
    (warning,) = warned
    assert f"group {GROUP!r} holds 2 rule(s) the collection did not make" in warning
    assert "['OCS FE - SIP', 'Admin SSH']" in warning
    # Foreign rules are not in the diff, whatever their name.
    items = diffs(result)
    assert set(items) == {"Old", "OCS FE - SIP"}
    assert items["OCS FE - SIP"]["before"] == ""
    assert result["msg"].endswith("; 2 rule(s) the collection did not make left alone")
    assert [r["name"] for r in result["rules"]] == ["OCS FE - SIP"]
    for _attempt in range(2):
        again = run(host, {"group": GROUP, "rules": [SIP]})
        assert again["changed"] is False
    assert [r for r in host.rules if r["description"] != "SIP over TLS" + MARK] == foreign


@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_rule_quoting_the_marker_mid_text_is_not_retired(state: str) -> None:
    quoting = hand_made("OCS FE - SIP", description="like the [ocs.firewall] rules, by hand")
    mine = owned("OCS FE - SIP", description="SIP over TLS" + MARK, local_ports="5061")
    host = LabHost([quoting, mine])
    args = {"group": GROUP, "rules": [SIP] if state == "present" else [], "state": state}
    result = run(host, args)
    assert not result.get("failed"), result
    # The controller asks to retire the name; the host retires only the rule of ours.
    assert host.requests[1].sections[0].removes == ("OCS FE - SIP",)
    assert _wire.decode_reply(host.outcomes[-1].stdout).retired == (
        _wire.RuleChange(GROUP, "OCS FE - SIP", 1),
    )
    assert host.rules[0] == quoting
    assert [f["name"] for f in result["foreign"]] == ["OCS FE - SIP"]
    assert len(host.group(GROUP)) == (2 if state == "present" else 1)
    assert run(host, args)["changed"] is False
    assert host.rules[0] == quoting


@pytest.mark.parametrize(
    ("args", "left"),
    [
        pytest.param({"rules": [WEB], "purge": False}, ["Manual", "OCS FE - Web"], id="present"),
        pytest.param(
            {"rules": [], "purge": False, "state": "absent"},
            ["Manual", "OCS FE - Web"],
            id="absent",
        ),
        pytest.param({"rules": [WEB]}, ["OCS FE - Web"], id="purge"),
    ],
)
def test_tombstones_left_in_the_group_are_always_removed(
    args: dict[str, Any], left: list[str]
) -> None:
    tombstone = "ocs.firewall-removing-0123456789abcdef0123456789abcdef"
    host = LabHost(
        [
            owned(tombstone, local_ports="8080"),
            owned("Manual"),
            owned("OCS FE - Web", local_ports="443-444", profiles=1),
        ]
    )
    result = run(host, {"group": GROUP, **args})
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert tombstone in result["removed"]
    assert result["added"] == [] and result["updated"] == []
    assert host.requests[1].sections[0].removes[0] == tombstone
    assert host.tombstones() == []
    assert sorted(host.names(GROUP)) == left
    assert run(host, {"group": GROUP, **args})["changed"] is False


# ---- the host fails -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stopped", "hresult"), [(True, "0x800706D9"), ("0x8007042C", "0x8007042C")]
)
def test_read_failure_is_reported_with_the_hosts_message(stopped: bool | str, hresult: str) -> None:
    host = LabHost()
    host.service_stopped = stopped
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert "Reading the Windows Firewall rules failed on the host" in result["msg"]
    assert f"MpsSvc) is not running (HRESULT {hresult})" in result["msg"]
    assert len(host.requests) == 1


def test_partial_apply_says_what_was_done_and_keeps_the_rules_it_was_replacing() -> None:
    host = LabHost(
        [
            owned("OCS FE - SIP", description="SIP over TLS" + MARK, local_ports="5061"),
            owned("old", local_ports="8080"),
        ]
    )
    open_before = openings(host.rules)
    host.fail_apply_midway = True
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["added"] == [f"{GROUP}: OCS FE - SIP"]
    assert result["removed"] == []
    message = result["msg"]
    assert "Changing the Windows Firewall rules failed on the host: access denied" in message
    assert f"Before the failure the host had added ['{GROUP}: OCS FE - SIP'] and removed []" in (
        message
    )
    assert "rules it was replacing were still in place" in message
    assert "Run the task again" in message
    # Retired but not removed: the old rules still let their traffic through.
    assert len(host.tombstones()) == 2
    assert open_before <= openings(host.rules)

    host.fail_apply_midway = False
    rerun = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not rerun.get("failed"), rerun
    assert rerun["changed"] is True
    assert host.tombstones() == []
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]
    assert run(host, {"group": GROUP, "rules": [SIP, WEB]})["changed"] is False


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            {"rc": 1, "stdout": "", "stderr": "The term 'x' is not recognized"},
            "rc 1) and its output is not a reply of the OCSFW2 protocol",
            id="not-a-reply",
        ),
        pytest.param(
            {"rc": 0, "stdout": "garbage\n", "stderr": ""}, "first line: 'garbage'", id="garbage"
        ),
        pytest.param(
            {"rc": 1, "stdout": "OCSFW2\n", "stderr": "crash"},
            "did not complete on the host (rc 1, no DONE line). stderr: crash",
            id="crash",
        ),
        pytest.param(
            {"rc": 4, "stdout": "", "stderr": "PowerShell 1.0"},
            "The host runs PowerShell 1.0",
            id="powershell-1",
        ),
    ],
)
def test_unreadable_or_crashed_host_output(reply: dict[str, Any], expected: str) -> None:
    host = LabHost()
    host.raw_reply = reply
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert expected in result["msg"]
    assert reply["stderr"] in result["msg"]
    assert result["stderr"] == reply["stderr"] and result["rc"] == reply["rc"]
    assert len(host.requests) == 1


def test_an_apply_reply_that_does_not_match_the_request_is_an_error() -> None:
    host = LabHost()
    host.apply_reply = {"rc": 0, "stdout": _wire.encode_reply(_wire.Reply(done=True)), "stderr": ""}
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert result["changed"] is True
    assert "does not match the request" in result["msg"]
    assert f"add [({GROUP!r}, 'OCS FE - SIP')]" in result["msg"]


def test_an_apply_reply_naming_other_rules_is_an_error() -> None:
    host = LabHost()
    wrong = _wire.Reply(added=(_wire.RuleChange(GROUP, "Something else"),), done=True)
    host.apply_reply = {"rc": 0, "stdout": _wire.encode_reply(wrong), "stderr": ""}
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert "does not match the request" in result["msg"]
    assert "'Something else'" in result["msg"]


def test_a_windows_server_2008_host_refuses_newer_keywords_after_the_read() -> None:
    host = LabHost([owned("old")])
    host.os_version = "6.0"
    before = copy.deepcopy(host.state)
    rules = [
        {"name": "dns", "remote_addresses": ["DNS", "10.0.0.1"]},
        {"name": "fine", "remote_addresses": "LocalSubnet"},
        {"name": "gw", "remote_addresses": "defaultgateway"},
    ]
    result = run(host, {"group": GROUP, "rules": rules})
    assert result["failed"] is True
    assert result["msg"].startswith(f"{HOST}: rule 'dns': remote address keyword(s) DNS need ")
    assert "Windows Server 2008 R2 or later" in result["msg"]
    assert "Windows Server 2008 (6.0.6002.131072)" in result["msg"]
    assert "rule 'gw': remote address keyword(s) DefaultGateway" in result["msg"]
    assert "'fine'" not in result["msg"]
    assert [r.op for r in host.requests] == ["read"]
    assert host.state == before
    # LocalSubnet is there since 2008; the same rules on 2008 R2 go through.
    assert not run(host, {"group": GROUP, "rules": rules[1:2]}).get("failed")
    host.os_version = "6.1"
    assert not run(host, {"group": GROUP, "rules": rules}).get("failed")


# ---- the connection breaks ------------------------------------------------------------------


# What connection plugins raise when the link breaks mid-command (see _client._apply_batch).
DROPPED = requests.exceptions.ConnectionError(
    ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
)
LOST_CONNECTIONS = [
    pytest.param(DROPPED, "Connection aborted.", id="winrm-dropped-socket"),
    pytest.param(
        AnsibleConnectionFailure("winrm connection error: Read timed out. (read timeout=30)"),
        "Read timed out",
        id="winrm-read-timeout",
    ),
    pytest.param(OSError(113, "No route to host"), "No route to host", id="socket-error"),
]


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize(("error", "text"), LOST_CONNECTIONS)
def test_connection_lost_during_apply_is_a_failed_change_that_a_rerun_finishes(
    when: str, error: BaseException, text: str
) -> None:
    host = LabHost([owned("old")])
    host.lose_apply = (when, error)
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    # The host answered the read, so it is not unreachable; the change is unknown, so the
    # task failed and says the host may have changed.
    assert result["failed"] is True
    assert result["changed"] is True
    assert not result.get("unreachable")
    message = result["msg"]
    assert "The connection to the host failed while it was changing its firewall rules" in message
    assert text in message
    assert "may have been applied in full, in part or not at all" in message
    assert f"group {GROUP!r}: retire ['old'], add ['OCS FE - SIP', 'OCS FE - Web']" in message
    assert "every port that stays wanted is still open" in message
    assert "Run the task again" in message
    assert "Traceback" in result["exception"]
    json.dumps(result)
    assert [r.op for r in host.requests] == ["read", "apply"]
    assert sorted(host.names(GROUP)) == (
        ["old"] if when == "before" else ["OCS FE - SIP", "OCS FE - Web"]
    )

    # Re-running converges from whatever the host was left with.
    host.lose_apply = None
    rerun = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not rerun.get("failed"), rerun
    assert rerun["changed"] is (when == "before")
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]


def test_lost_connection_message_counts_long_lists() -> None:
    host = LabHost()
    host.lose_apply = ("before", DROPPED)
    rules = [{"name": f"r{i:02}", "local_ports": 1000 + i} for i in range(25)]
    result = run(host, {"group": GROUP, "rules": rules})
    first_ten = ", ".join(repr(f"r{i:02}") for i in range(10))
    assert f"add [{first_ten}, ... (15 more)]" in result["msg"]
    assert "'r10'" not in result["msg"]


def send_input_failed(stdout: str) -> AnsibleError:
    """What ansible-core's winrm plugin raises when stdin could not all be sent."""
    return AnsibleError(f"winrm send_input failed; \nstdout: {stdout}\nstderr ")


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(send_input_failed, id="with-empty-stdout"),
        pytest.param(AnsibleError("winrm send_input failed"), id="bare"),
    ],
)
def test_stdin_not_sent_means_nothing_ran_and_names_the_envelope_variable(error: Any) -> None:
    host = LabHost([owned("old")])
    before = copy.deepcopy(host.state)
    host.lose_apply = ("before", error)
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert "nothing was changed" in result["msg"]
    assert ENVELOPE in result["msg"]
    assert "of up to 150 KB" in result["msg"]
    assert "Traceback" in result["exception"]
    assert host.state == before


def test_stdin_not_sent_names_the_envelope_size_in_use() -> None:
    host = LabHost()
    host.lose_apply = ("before", send_input_failed)
    result = run(host, {"group": GROUP, "rules": [SIP]}, task_vars={ENVELOPE: "64"})
    assert result["changed"] is False
    assert f"of up to 64 KB as {ENVELOPE} allows" in result["msg"]


def test_send_input_failed_with_the_scripts_complete_reply_is_judged_from_the_reply() -> None:
    host = LabHost([owned("old")])
    host.lose_apply = ("after", send_input_failed)
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["added"] == ["OCS FE - SIP", "OCS FE - Web"] and result["removed"] == ["old"]
    assert sorted(host.names(GROUP)) == ["OCS FE - SIP", "OCS FE - Web"]
    host.lose_apply = None
    assert run(host, {"group": GROUP, "rules": [SIP, WEB]})["changed"] is False


def test_send_input_failed_with_a_partial_reply_says_what_was_done() -> None:
    host = LabHost([owned("OCS FE - SIP", local_ports="5061"), owned("old")])
    host.fail_apply_midway = True
    host.lose_apply = ("after", send_input_failed)
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert result["failed"] is True
    assert result["changed"] is True
    assert "access denied" in result["msg"]
    assert "Before the failure the host had added" in result["msg"]
    assert result["added"] == [f"{GROUP}: OCS FE - SIP"]


TLS_TEXT = "winrm connection error: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)"
TLS_HINT = _platform.connection_hint(TLS_TEXT) or ""
# ansible-core 2.19 ends an AnsibleError's message with its cause's message, after the
# message's final period: the hint's text is compared without it.
TLS_HINT_TEXT = TLS_HINT.rstrip(".")


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(AnsibleConnectionFailure(TLS_TEXT), id="ansible-connection-failure"),
        pytest.param(requests.exceptions.SSLError(TLS_TEXT), id="requests-ssl-error"),
    ],
)
def test_a_connection_hint_appears_exactly_once(error: BaseException) -> None:
    assert TLS_HINT
    host = LabHost()
    host.lose_apply = ("before", error)
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True and result["changed"] is True
    assert "may have been applied" in result["msg"]
    assert "WRONG_VERSION_NUMBER" in result["msg"]
    assert result["msg"].count(TLS_HINT_TEXT) == 1


def test_a_read_failing_on_tls_gets_the_hint_once() -> None:
    def read_fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise AnsibleConnectionFailure(TLS_TEXT)

    with pytest.raises(AnsibleConnectionFailure) as info:
        run(LabHost(), {"group": GROUP, "rules": [SIP]}, execute=read_fails)
    assert str(info.value).startswith(TLS_TEXT)
    assert str(info.value).count(TLS_HINT_TEXT) == 1


def hinted_message(when: str) -> str:
    """The message a TLS failure on the read or on the apply gives."""
    if when == "apply":
        host = LabHost()
        host.lose_apply = ("before", AnsibleConnectionFailure(TLS_TEXT))
        return str(run(host, {"group": GROUP, "rules": [SIP]})["msg"])

    def read_fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise AnsibleConnectionFailure(TLS_TEXT)

    with pytest.raises(AnsibleConnectionFailure) as info:
        run(LabHost(), {"group": GROUP, "rules": [SIP]}, execute=read_fails)
    return str(info.value)


@pytest.mark.parametrize("when", ["read", "apply"])
def test_a_hinted_connection_error_is_shown_once_with_the_hint_whole(when: str) -> None:
    message = hinted_message(when)
    assert message.count(TLS_TEXT) == 1
    assert message.count(TLS_HINT) == 1


def test_connection_lost_during_the_read_is_left_to_ansible() -> None:
    # Nothing was changed: Ansible's own handling applies (AnsibleConnectionFailure makes
    # the host unreachable).
    failure = AnsibleConnectionFailure("winrm connection error: timed out")

    def read_fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise failure

    with pytest.raises(AnsibleConnectionFailure) as info:
        run(LabHost(), {"group": GROUP, "rules": [SIP]}, execute=read_fails)
    assert info.value is failure


def test_task_timeout_during_apply_is_not_swallowed() -> None:
    class Interrupted(BaseException):
        """Stands for Ansible's TaskTimeoutError and KeyboardInterrupt (BaseException)."""

    host = LabHost()
    host.lose_apply = ("before", Interrupted())
    with pytest.raises(Interrupted):
        run(host, {"group": GROUP, "rules": [SIP]})


def test_a_description_of_10000_characters_with_the_marker_is_stored_whole() -> None:
    host = LabHost()
    description = "d" * (10_000 - len(MARK))
    result = run(host, {"group": GROUP, "rules": [{"name": "x", "description": description}]})
    assert result["changed"] is True, result
    (stored,) = host.group(GROUP)
    assert stored["description"] == description + MARK and len(stored["description"]) == 10_000
