"""win_firewall_rules action plugin, against a stubbed ``_low_level_execute_command``.

The stub plays a Windows host: it checks that the command is the fixed bootstrap, splits
stdin as the bootstrap does, checks the script part is the fixed script, decodes the
request and answers from an in-memory rule list. Like Windows, it stores addresses with
masks and may report all profiles as 2147483647, so "converged" really means the
semantic comparison worked.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
import requests
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from urllib3.exceptions import ProtocolError

from ansible_collections.ocs.firewall.plugins.action.win_firewall_rules import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._wire import WireRule

UTILS = Path(__file__).resolve().parents[2] / "plugins" / "plugin_utils"
BOOTSTRAP = (UTILS / "_bootstrap.ps1").read_text(encoding="ascii")
SCRIPT = (UTILS / "_firewall.ps1").read_text(encoding="ascii")
GROUP = "OCS 2007 R2 - Front End"


def windows_addresses(text: str) -> str:
    """Addresses as Windows reads them back (masks, /255.255.255.255 for hosts)."""
    out = []
    for token in text.split(","):
        try:
            network = ipaddress.ip_network(token, strict=False)
        except ValueError:
            out.append(token)
            continue
        if network.version == 4:
            out.append(f"{network.network_address}/{network.netmask}")
        else:
            out.append(f"{network.network_address}/{network.prefixlen}")
    return ",".join(out)


class FakeHost:
    """A host's firewall behind the OCSFW1 protocol."""

    def __init__(self, rules: list[WireRule] | None = None) -> None:
        self.rules: list[WireRule] = list(rules or [])
        self.requests: list[_wire.Request] = []
        self.commands: list[str] = []
        self.stdins: list[bytes] = []
        self.fail_read: str | None = None
        self.fail_apply_after: int | None = None
        self.raw_reply: dict[str, Any] | None = None
        # (when, error): the connection raises ``error`` on the apply command, "before" the
        # host ran it or "after" (the host ran it, the reply was lost).
        self.lose_apply: tuple[str, BaseException] | None = None

    def execute(
        self, cmd: str, sudoable: bool = True, in_data: bytes | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        assert sudoable is False
        assert in_data is not None
        self.commands.append(cmd)
        self.stdins.append(in_data)
        script, _sep, request_bytes = in_data.partition(_wire.SEPARATOR)
        assert script.decode("ascii") == SCRIPT
        request = _wire.decode_request(request_bytes.decode("utf-8"))
        self.requests.append(request)
        if self.raw_reply is not None:
            return self.raw_reply
        lose_when, lose_error = self.lose_apply or ("", None)
        if request.op == "apply" and lose_when == "before":
            raise lose_error  # type: ignore[misc]
        if request.op == "read":
            reply = self._read(request)
        else:
            reply = self._apply(request)
        if request.op == "apply" and lose_when == "after":
            raise lose_error  # type: ignore[misc]
        stdout = _wire.encode_reply(reply)
        rc = 2 if reply.error is not None else 0
        return {"rc": rc, "stdout": stdout, "stderr": ""}

    def _read(self, request: _wire.Request) -> _wire.Reply:
        if self.fail_read is not None:
            return _wire.Reply(error=self.fail_read)
        keys = {g.upper() for g in request.groups}
        rules = tuple(r for r in self.rules if not keys or r.grouping.upper() in keys)
        profiles = tuple(_wire.WireProfile(t, True, 0, 1) for t in (1, 2, 4))
        return _wire.Reply(profiles=profiles, rules=rules, done=True)

    def _apply(self, request: _wire.Request) -> _wire.Reply:
        group = request.groups[0]
        removed: list[tuple[str, int]] = []
        added: list[str] = []
        steps = 0

        def stop() -> bool:
            return self.fail_apply_after is not None and steps >= self.fail_apply_after

        for name in request.removes:
            if stop():
                return _wire.Reply(removed=tuple(removed), added=tuple(added), error="boom")
            keep = [
                r
                for r in self.rules
                if not (r.grouping.upper() == group.upper() and r.name.upper() == name.upper())
            ]
            removed.append((name, len(self.rules) - len(keep)))
            self.rules = keep
            steps += 1
        for add in request.adds:
            if stop():
                return _wire.Reply(removed=tuple(removed), added=tuple(added), error="boom")
            self.rules.append(
                WireRule(
                    name=add.name,
                    description=add.description,
                    grouping=group,
                    direction=add.direction,
                    action=add.action,
                    protocol=add.protocol,
                    local_ports="" if add.protocol == 256 else add.local_ports,
                    remote_ports="" if add.protocol == 256 else add.remote_ports,
                    local_addresses=windows_addresses(add.local_addresses),
                    remote_addresses=windows_addresses(add.remote_addresses),
                    profiles=2147483647 if add.profiles == 7 else add.profiles,
                    enabled=add.enabled,
                )
            )
            added.append(add.name)
            steps += 1
        return _wire.Reply(removed=tuple(removed), added=tuple(added), done=True)

    def group_names(self, group: str = GROUP) -> list[str]:
        return [r.name for r in self.rules if r.grouping == group]


def run(
    host: FakeHost, args: dict[str, Any], check_mode: bool = False, diff: bool = False
) -> dict[str, Any]:
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.action = "ocs.firewall.win_firewall_rules"
    action = ActionModule(
        task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None
    )
    action._load_name = "ocs.firewall.win_firewall_rules"
    action._low_level_execute_command = MagicMock(side_effect=host.execute)
    return action.run(task_vars={})


SIP = {
    "name": "OCS FE - SIP",
    "description": "SIP over TLS",
    "local_ports": "5061,5060",
    "remote_addresses": ["10.0.0.0/24", "10.1.0.1", "localsubnet"],
}
WEB = {"name": "OCS FE - Web", "local_ports": [444, 443], "profiles": ["domain"]}


def test_empty_host_gets_the_rules_in_two_calls_then_converges_in_one() -> None:
    host = FakeHost()
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["added"] == ["OCS FE - SIP", "OCS FE - Web"]
    assert result["updated"] == [] and result["removed"] == []
    assert [r.op for r in host.requests] == ["read", "apply"]
    assert sorted(host.group_names()) == ["OCS FE - SIP", "OCS FE - Web"]
    assert result["rules"][0] == {
        "name": "OCS FE - SIP",
        "description": "SIP over TLS",
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

    # The fake stores the Windows spelling (masks, 2147483647); the second run still matches.
    stored = next(r for r in host.rules if r.name == "OCS FE - SIP")
    assert stored.remote_addresses == "LocalSubnet,10.0.0.0/255.255.255.0,10.1.0.1/255.255.255.255"
    assert stored.profiles == 2147483647
    again = FakeHost(host.rules)
    second = run(again, {"group": GROUP, "rules": [SIP, WEB]})
    assert second["changed"] is False
    assert len(again.requests) == 1
    assert second["rules"] == result["rules"]


def test_converged_host_spelled_differently_is_one_call_and_unchanged() -> None:
    host = FakeHost(
        [
            WireRule(
                name="ocs fe - sip",
                description="SIP over TLS",
                grouping=GROUP.upper(),
                local_ports="5060-5061",
                remote_addresses="LocalSubnet,10.1.0.1/255.255.255.255,10.0.0.0/255.255.255.0",
                profiles=7,
            )
        ]
    )
    # Names differ in case only in the group, not the rule: the rule name case counts.
    result = run(host, {"group": GROUP, "rules": [dict(SIP, name="ocs fe - sip")]})
    assert result["changed"] is False
    assert len(host.requests) == 1
    assert host.requests[0] == _wire.Request(op="read", groups=(GROUP,))


def test_update_removes_then_adds_and_purges_unlisted() -> None:
    host = FakeHost(
        [
            WireRule(name="OCS FE - SIP", grouping=GROUP, local_ports="5061"),
            WireRule(name="OCS FE - Old", grouping=GROUP),
            WireRule(name="OCS FE - Web", grouping=GROUP, local_ports="443-444", profiles=1),
        ]
    )
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert result["changed"] is True
    assert (result["added"], result["updated"], result["removed"]) == (
        [],
        ["OCS FE - SIP"],
        ["OCS FE - Old"],
    )
    apply = host.requests[1]
    assert apply.removes == ("OCS FE - SIP", "OCS FE - Old")
    assert [a.name for a in apply.adds] == ["OCS FE - SIP"]
    assert apply.adds[0].local_ports == "5060-5061"
    assert sorted(host.group_names()) == ["OCS FE - SIP", "OCS FE - Web"]


def test_purge_false_keeps_unlisted_rules() -> None:
    host = FakeHost([WireRule(name="Manual", grouping=GROUP)])
    result = run(host, {"group": GROUP, "rules": [WEB], "purge": False})
    assert result["removed"] == []
    assert host.requests[1].removes == ()
    assert sorted(host.group_names()) == ["Manual", "OCS FE - Web"]
    assert [r["name"] for r in result["rules"]] == ["Manual", "OCS FE - Web"]


def test_rules_of_other_groups_are_never_touched() -> None:
    other = WireRule(name="OCS FE - Web", grouping="Somebody else", local_ports="1")
    host = FakeHost([other, WireRule(name="OCS FE - Web", grouping=GROUP)])
    result = run(host, {"group": GROUP, "rules": []})
    assert result["removed"] == ["OCS FE - Web"]
    assert host.rules == [other]


def test_duplicates_in_the_group_become_one_rule() -> None:
    host = FakeHost(
        [
            WireRule(name="OCS FE - Web", grouping=GROUP, local_ports="443-444", profiles=1),
            WireRule(name="ocs fe - web", grouping=GROUP, local_ports="443-444", profiles=1),
        ]
    )
    result = run(host, {"group": GROUP, "rules": [WEB]})
    assert result["updated"] == ["OCS FE - Web"]
    assert host.requests[1].removes == ("OCS FE - Web",)
    assert host.group_names() == ["OCS FE - Web"]


def test_check_mode_reads_only_and_reports_the_change() -> None:
    host = FakeHost([WireRule(name="Old", grouping=GROUP)])
    before = list(host.rules)
    result = run(host, {"group": GROUP, "rules": [SIP]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert (result["added"], result["removed"]) == (["OCS FE - SIP"], ["Old"])
    assert [r.op for r in host.requests] == ["read"]
    assert host.rules == before
    assert set(result["diff"]["before"]) == {"Old"}
    assert set(result["diff"]["after"]) == {"OCS FE - SIP"}
    assert [r["name"] for r in result["rules"]] == ["OCS FE - SIP"]


def test_diff_only_in_diff_mode_and_json_serialisable() -> None:
    import json

    host = FakeHost()
    assert "diff" not in run(host, {"group": GROUP, "rules": [WEB]})
    result = run(FakeHost(), {"group": GROUP, "rules": [WEB]}, diff=True)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["OCS FE - Web"]["local_ports"] == ["443-444"]
    json.dumps(result["diff"], sort_keys=True)


@pytest.mark.parametrize(
    ("purge", "rules", "left"),
    [
        (True, [], ["Other"]),
        (True, [{"name": "a"}], ["Other"]),
        (False, [{"name": "A"}], ["b", "Other"]),
    ],
)
def test_state_absent(purge: bool, rules: list[dict[str, Any]], left: list[str]) -> None:
    host = FakeHost(
        [
            WireRule(name="a", grouping=GROUP),
            WireRule(name="b", grouping=GROUP),
            WireRule(name="Other", grouping="Other group"),
        ]
    )
    result = run(host, {"group": GROUP, "rules": rules, "state": "absent", "purge": purge})
    assert result["changed"] is True
    assert host.requests[1].adds == ()
    assert [r.name for r in host.rules] == left
    again = run(host, {"group": GROUP, "rules": rules, "state": "absent", "purge": purge})
    assert again["changed"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"rules": []}, "missing required arguments: group"),
        ({"group": GROUP, "state": "gone"}, "state must be one of: present, absent"),
        ({"group": GROUP, "bogus": 1}, "bogus"),
        ({"group": "a|b"}, "group: 'a|b' contains '|'"),
        ({"group": ""}, "group: '' is not a group name"),
        (
            {"group": GROUP, "rules": [{"name": "x", "local_ports": 0}]},
            "rules[0] ('x').local_ports",
        ),
        (
            {"group": GROUP, "rules": [{"name": "x"}, {"name": "y", "remote_ports": "9-1"}]},
            "rules[1] ('y').remote_ports: '9-1' is a reversed range",
        ),
        (
            {"group": GROUP, "rules": [{"name": "x", "protocol": "any", "local_ports": 1}]},
            "needs protocol tcp or udp",
        ),
        ({"group": GROUP, "rules": [{"name": "x|y"}]}, "rules[0].name: 'x|y' contains '|'"),
        ({"group": GROUP, "rules": [{"name": "x" * 256}]}, "at most 255"),
        ({"group": GROUP, "rules": [{"name": "X"}, {"name": "x"}]}, "already used by rules[0]"),
        (
            {"group": GROUP, "rules": [{"name": "x", "remote_addresses": "10.0.0.1/40"}]},
            "'10.0.0.1/40' is not a valid address",
        ),
    ],
)
def test_validation_errors_never_touch_the_host(args: dict[str, Any], message: str) -> None:
    host = FakeHost()
    result = run(host, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert host.requests == [] and host.commands == []


def test_the_command_line_and_script_never_change_with_the_payload() -> None:
    hostile = "x'; $(Remove-Item C:\\) `n \" % é 北"
    payloads = [
        {"group": GROUP, "rules": []},
        {"group": GROUP, "rules": [SIP]},
        {"group": hostile, "rules": [{"name": hostile, "description": hostile}]},
        {"group": GROUP, "rules": [{"name": f"r{i}", "local_ports": i + 1} for i in range(300)]},
    ]
    commands: set[str] = set()
    for args in payloads:
        host = FakeHost([WireRule(name="stale", grouping=args["group"])])
        run(host, args)
        assert len(host.commands) == 2
        commands.update(host.commands)
        for stdin in host.stdins:
            assert stdin.startswith(SCRIPT.encode("ascii") + _wire.SEPARATOR)
    assert commands == {BOOTSTRAP}


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
    host = FakeHost()
    result = run(host, {"group": GROUP, "rules": [{"name": n, "description": n} for n in names]})
    assert result["added"] == names
    assert sorted(host.group_names()) == sorted(names)
    assert all(r.description == r.name for r in host.rules)
    assert (
        run(
            FakeHost(host.rules),
            {"group": GROUP, "rules": [{"name": n, "description": n} for n in names]},
        )["changed"]
        is False
    )


def test_many_rules_still_two_round_trips() -> None:
    rules = [{"name": f"rule {i}", "local_ports": 1000 + i} for i in range(250)]
    host = FakeHost([WireRule(name=f"rule {i}", grouping=GROUP) for i in range(0, 250, 2)])
    result = run(host, {"group": GROUP, "rules": rules})
    assert len(host.requests) == 2
    assert len(result["added"]) == 125 and len(result["updated"]) == 125


def test_read_failure_is_reported_with_the_hosts_message() -> None:
    host = FakeHost()
    host.fail_read = "the Windows Firewall service (MpsSvc) is not running"
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert "MpsSvc) is not running" in result["msg"]
    assert len(host.requests) == 1


def test_partial_apply_says_what_was_done() -> None:
    host = FakeHost([WireRule(name="old", grouping=GROUP)])
    host.fail_apply_after = 2
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["removed"] == ["old"]
    assert result["added"] == ["OCS FE - SIP"]
    assert "boom" in result["msg"]
    assert "already removed ['old'] and added ['OCS FE - SIP']" in result["msg"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            {"rc": 1, "stdout": "", "stderr": "The term 'x' is not recognized"},
            "rc 1) and its output is not a reply",
        ),
        ({"rc": 0, "stdout": "garbage\n", "stderr": ""}, "first line: 'garbage'"),
        ({"rc": 1, "stdout": "OCSFW1\n", "stderr": "crash"}, "no DONE line). stderr: crash"),
    ],
)
def test_unreadable_or_crashed_host_output(reply: dict[str, Any], expected: str) -> None:
    host = FakeHost()
    host.raw_reply = reply
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert expected in result["msg"]
    assert reply["stderr"] in result["msg"]


def test_mismatched_apply_report_fails() -> None:
    host = FakeHost()
    original = host._apply
    host._apply = lambda request: _wire.Reply(added=(), done=True)  # type: ignore[method-assign]
    result = run(host, {"group": GROUP, "rules": [SIP]})
    assert result["failed"] is True
    assert "does not match the request" in result["msg"]
    host._apply = original  # type: ignore[method-assign]


# What connection plugins raise when the link breaks mid-command (see _remote.apply).
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
    pytest.param(AnsibleError("winrm send_input failed"), "send_input failed", id="stdin-lost"),
    pytest.param(OSError(113, "No route to host"), "No route to host", id="socket-error"),
]


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize(("error", "text"), LOST_CONNECTIONS)
def test_connection_lost_during_apply_is_a_failed_change_that_a_rerun_finishes(
    when: str, error: BaseException, text: str
) -> None:
    host = FakeHost([WireRule(name="old", grouping=GROUP)])
    host.lose_apply = (when, error)
    result = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    # The host answered the read, so it is not unreachable; the change is unknown, so the
    # task failed and says the host may have changed.
    assert result["failed"] is True
    assert result["changed"] is True
    assert not result.get("unreachable")
    message = result["msg"]
    assert f"changing the rules of group {GROUP!r}" in message
    assert text in message
    assert "may have been applied in full, in part or not at all" in message
    assert "remove ['old'] and add ['OCS FE - SIP', 'OCS FE - Web']" in message
    assert "Run the task again" in message
    assert "Traceback" in result["exception"]
    json.dumps(result)
    assert [r.op for r in host.requests] == ["read", "apply"]

    # Re-running converges from whatever the host was left with.
    host.lose_apply = None
    rerun = run(host, {"group": GROUP, "rules": [SIP, WEB]})
    assert not rerun.get("failed"), rerun
    assert rerun["changed"] is (when == "before")
    assert sorted(host.group_names()) == ["OCS FE - SIP", "OCS FE - Web"]


def test_lost_connection_message_counts_long_lists() -> None:
    host = FakeHost()
    host.lose_apply = ("before", DROPPED)
    rules = [{"name": f"r{i:02}", "local_ports": 1000 + i} for i in range(25)]
    result = run(host, {"group": GROUP, "rules": rules})
    first_ten = ", ".join(repr(f"r{i:02}") for i in range(10))
    assert f"add [{first_ten}, ... (15 more)]" in result["msg"]
    assert "'r10'" not in result["msg"]


def test_connection_lost_during_the_read_is_left_to_ansible() -> None:
    # Nothing was changed: Ansible's own handling applies (AnsibleConnectionFailure makes
    # the host unreachable).
    host = FakeHost()
    failure = AnsibleConnectionFailure("winrm connection error: timed out")

    def read_fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise failure

    host.execute = read_fails  # type: ignore[method-assign]
    with pytest.raises(AnsibleConnectionFailure) as info:
        run(host, {"group": GROUP, "rules": [SIP]})
    assert info.value is failure


def test_task_timeout_during_apply_is_not_swallowed() -> None:
    class Interrupted(BaseException):
        """Stands for Ansible's TaskTimeoutError and KeyboardInterrupt (BaseException)."""

    host = FakeHost()
    host.lose_apply = ("before", Interrupted())
    with pytest.raises(Interrupted):
        run(host, {"group": GROUP, "rules": [SIP]})
