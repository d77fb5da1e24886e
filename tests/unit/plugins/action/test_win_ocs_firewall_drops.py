"""win_ocs_firewall_drops action plugin: the log's tail, one command, findings, no change.

The host's firewall is a fake with the real ``RemoteFirewall.tail`` signature (the tail is
the host script's, tested with the client); the inventory is examples/inventory.yml (its
scope: inventory), the host its Director.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from labhost import LabHost, run_action
from test_win_ocs_firewall import Templar, task_vars

from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall_drops import ActionModule
from ansible_collections.ocs.firewall.plugins.modules import win_ocs_firewall_drops as module
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _argument_spec
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import HostError
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import (
    _client,
    _platform,
    _switch,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _drops

DIRECTOR = "dir01.ocs.example"
LOG = r"C:\Windows\system32\LogFiles\Firewall\pfirewall.log"
LINES = (
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path",
    "2026-12-07 10:00:00 DROP TCP 10.99.0.7 10.10.0.30 51234 5061 48 S 1 0 8192 - - - RECEIVE",
    "2026-12-07 10:00:01 DROP TCP 10.99.0.7 10.10.0.30 51235 5061 48 S 1 0 8192 - - - RECEIVE",
    "2026-12-07 10:00:02 DROP TCP 10.20.0.7 10.10.0.30 51236 8404 48 S 1 0 8192 - - - RECEIVE",
    "2026-12-07 10:00:03 ALLOW TCP 10.10.0.11 10.10.0.30 51237 5061 48 - - - - - - - RECEIVE",
)


class FakeFirewall:
    """``RemoteFirewall`` as the action sees it: its constructor and ``tail``."""

    made: list[FakeFirewall] = []
    reply: _switch.Tail = _switch.Tail(((LOG, 4096),), LINES)
    # What the host's failure raises instead, when set.
    failure: HostError | None = None

    def __init__(
        self, action: Any, max_envelope_kb: int = _platform.DEFAULT_MAX_ENVELOPE_KB
    ) -> None:
        self.tails: list[tuple[int, int]] = []
        FakeFirewall.made.append(self)

    def tail(self, lines: int, max_bytes: int) -> _switch.Tail:
        self.tails.append((lines, max_bytes))
        if self.failure is not None:
            raise self.failure
        return self.reply


@pytest.fixture(autouse=True)
def fake_firewall(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeFirewall]]:
    monkeypatch.setattr(FakeFirewall, "made", [])
    monkeypatch.setattr(_client, "RemoteFirewall", FakeFirewall)
    yield FakeFirewall


def tails() -> list[tuple[int, int]]:
    return [t for firewall in FakeFirewall.made for t in firewall.tails]


def drops(
    variables: dict[str, Any] | None = None, *, check_mode: bool = False, **args: Any
) -> dict[str, Any]:
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.win_ocs_firewall_drops",
        LabHost(),
        args,
        check_mode=check_mode,
        task_vars=variables or task_vars(DIRECTOR),
        templar=Templar(),
    )
    return result


def test_one_tail_of_the_log_gives_the_findings_and_changes_nothing() -> None:
    result = drops()
    assert tails() == [(2000, 262144)]
    assert result["changed"] is False and not result.get("failed")
    assert [(f["kind"], f["source"], f["port"], f["count"]) for f in result["findings"]] == [
        ("held_port", "10.99.0.7", 5061, 2),
        ("component_port", "10.20.0.7", 8404, 1),
    ]
    # The Director's 5061 is scoped to its peers in the example estate.
    held = result["findings"][0]
    assert "ocs_director_remote_addresses" in held["inventory"]
    assert "ocs_firewall_client_networks" in held["inventory"]
    assert result["counts"] == {"held_port": 1, "component_port": 1, "unknown_port": 0, "icmp": 0}
    assert result["lines"] == {"read": 8, "dropped": 3, "skipped": 1, "unparsed": 0, "lost": 0}
    assert result["files"] == [{"path": LOG, "size": 4096}]
    assert result["msg"] == (
        f"{DIRECTOR}: 2 finding(s) from 3 inbound drop(s) in the last 8 line(s) of {LOG}: "
        "1 held_port, 1 component_port"
    )


def test_check_mode_reads_as_normal_mode() -> None:
    assert drops(check_mode=True) == drops()


def test_the_bounds_go_to_the_host_as_given() -> None:
    drops(max_lines=100000, max_bytes=1048576)
    drops(max_lines=1, max_bytes=1)
    assert tails() == [(100000, 1048576), (1, 1)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_lines": 0}, f"{DIRECTOR}: max_lines: 0 is out of range: from 1 to 100000"),
        (
            {"max_bytes": 2097152},
            f"{DIRECTOR}: max_bytes: 2097152 is out of range: from 1 to 1048576",
        ),
    ],
)
def test_a_bound_out_of_range_fails_before_the_host_is_contacted(
    args: dict[str, Any], message: str
) -> None:
    result = drops(**args)
    assert result["failed"] is True and result["msg"] == message
    assert tails() == []


def test_a_bound_that_is_not_a_number_fails_naming_the_option() -> None:
    result = drops(max_bytes="lots")
    assert result["failed"] is True and "max_bytes" in result["msg"]
    assert FakeFirewall.made == []


def test_a_wrong_setting_fails_before_the_host_is_contacted() -> None:
    result = drops(task_vars(DIRECTOR, ocs_director_profiles=["nowhere"]))
    assert result["failed"] is True
    assert result["msg"].startswith(f"{DIRECTOR}: ocs_director_profiles")
    assert tails() == []


def test_a_host_that_cannot_be_read_fails_with_what_it_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FakeFirewall, "failure", HostError("Reading the log failed: access denied"))
    result = drops()
    assert result["failed"] is True
    assert result["msg"] == "Reading the log failed: access denied"


def test_a_host_without_a_log_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeFirewall, "reply", _switch.Tail(((LOG, -1),), ()))
    result = drops()
    assert result["findings"] == [] and result["files"] == [{"path": LOG, "size": -1}]
    assert result["msg"].startswith(f"{DIRECTOR}: no firewall log ({LOG})")


# ---- the module's documentation -----------------------------------------------------------


def test_the_documented_defaults_are_the_bounds_defaults() -> None:
    spec = _argument_spec.of_module("win_ocs_firewall_drops")
    assert set(spec) == {"components", "peer_addresses", "max_lines", "max_bytes"}
    for name, default, _low, _high in (_drops.MAX_LINES, _drops.MAX_BYTES):
        assert spec[name] == {"type": "int", "default": default}


def test_the_examples_call_the_module_with_documented_options() -> None:
    tasks = yaml.safe_load(module.EXAMPLES)
    options = set(yaml.safe_load(module.DOCUMENTATION)["options"])
    calls = [
        t["ocs.firewall.win_ocs_firewall_drops"]
        for t in tasks
        if "ocs.firewall.win_ocs_firewall_drops" in t
    ]
    assert calls and all(set(c or {}) <= options for c in calls)


def test_the_return_documents_every_field_of_the_result() -> None:
    returned = yaml.safe_load(module.RETURN)
    result = drops()
    assert set(result) - {"invocation", "_ansible_no_log"} <= {*returned, "changed"}
    documented = set(returned["findings"]["contains"])
    assert all(set(f) == documented for f in result["findings"])
    assert set(returned["findings"]["sample"][0]) == documented
