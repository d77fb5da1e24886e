"""The switch script in the lab: the firewall's own settings, the rollback, the log, and the
firewall that the controller's own WinRM connections meet.

docs/dev/contracts.md, "The switch": the ops ``state``, ``switch``, ``confirm``, ``tail``
and ``rollback``, each refusal of ``Read-Switch``, commit confirmed (the rollback armed as
a scheduled task before any setting changes, run by the lab clock), the log of dropped
packets, and the gate: each new connection a host's endpoint accepts is judged by that
host's firewall. Requests are written here as protocol text (the controller's codec is not
the lab's test oracle) and sent as the controller sends them, after ``_prelude.ps1`` +
``_switch.ps1`` on stdin (``_client.build_stdin(text, "switch")``): to ``LabHost`` (the
unit tests' host, which checks the bootstrap and the script bytes) for the protocol, to a
started lab over WinRM (pywinrm, as Ansible) for the clock and the gate.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ansible.plugins.shell.powershell import ShellModule
from ocs_lab import api, gate, seed, switch
from ocs_lab.firewall import ACCESS_DENIED_HINT
from ocs_lab.state import LabError
from test_lab_cli import lab_cli
from test_lab_wsman import protocol, run

from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

REPO = Path(__file__).resolve().parents[3]
UNIT = str(REPO / "tests" / "unit")
if UNIT not in sys.path:
    sys.path.insert(0, UNIT)
from labhost import LabHost  # noqa: E402  (tests/unit's helper, on the path just above)

RUNNER = _client.script_text("switch")
TASK = "[ocs.firewall] rollback"
HOLDMARK = " [held by ocs.firewall]"
SAVED_2008 = "C:\\Windows\\Temp\\ocs.firewall-rollback.txt"
RUNNER_2008 = "C:\\Windows\\Temp\\ocs.firewall-rollback.ps1"
LOG_2008 = "C:\\Windows\\system32\\LogFiles\\Firewall\\pfirewall.log"
LOG_2003 = "C:\\WINDOWS\\pfirewall.log"
CONTROLLER = "10.10.5.10"


def b(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb(field: str) -> str:
    return base64.b64decode(field).decode("utf-8")


def request(op: str, *lines: str) -> str:
    return "\n".join(["OCSFW2", f"OP\t{op}", *lines, "END", ""])


def arm(minutes: int = 5, runner: str = RUNNER) -> str:
    return f"ARM\t{minutes}\t{b(runner)}"


def switch_line(ptype: int, enabled: int, inbound: int, outbound: int, block_all: int) -> str:
    return f"SWITCH\t{ptype}\t{enabled}\t{inbound}\t{outbound}\t{block_all}"


def records(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def decoded(stdout: str) -> list[list[str]]:
    """The records with their base64 fields decoded (the op's records, not OCSFW2)."""
    text_fields = {
        "HOST": (1, 2),
        "LOGPATH": (2,),
        "PENDING": (1,),
        "ARMED": (1, 2),
        "SET": (1,),
        "RELEASED": (1, 2),
        "LOGFILE": (1,),
        "LOGLINE": (1,),
        "ERROR": (1,),
    }
    found = []
    for rec in records(stdout)[1:]:
        fields = text_fields.get(rec[0], ())
        found.append([unb(v) if i in fields else v for i, v in enumerate(rec)])
    return found


def started_store(os_version: str = "6.1", **variables: Any) -> dict[str, Any]:
    """The store a started lab host has, from its host variables."""
    door = gate.read_door("fe01", variables, "basic", "10.10.0.11")
    return api._first_store("fe01", variables, os_version, [], door=door, transport="basic")


def host(os_version: str = "6.1", **variables: Any) -> LabHost:
    """A LabHost holding a started host's store (no scheduled task: a fresh host's)."""
    return LabHost(state=started_store(os_version, **variables), os_version=os_version)


def send(lab_host: LabHost, text: str) -> tuple[int, list[list[str]]]:
    result = lab_host.execute(_client.bootstrap_text(), False, _client.build_stdin(text, "switch"))
    return result["rc"], decoded(result["stdout"])


def error(lab_host: LabHost, text: str) -> str:
    rc, recs = send(lab_host, text)
    assert rc == 2 and recs[-1][0] == "ERROR", recs
    return recs[-1][1]


def state_of(lab_host: LabHost) -> list[list[str]]:
    rc, recs = send(lab_host, request("state"))
    assert rc == 0, recs
    return recs


def without_tasks(store: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in store.items() if k != "tasks"}


# --------------------------------------------------------------------------- state


def test_state_reports_the_service_each_profile_with_its_log_then_the_paths() -> None:
    lab_host = host(
        ocs_lab_switch={
            "service": {"start": "demand"},
            "private": {"enabled": False, "inbound": "allow", "block_all": True},
            "public": {"outbound": "block"},
            "log": {"dropped": True, "size_kb": 1024},
        },
    )
    assert state_of(lab_host) == [
        ["HOST", "6.1.7601.65536", "2.0"],
        ["SERVICE", "3", "1"],
        ["SWITCH", "1", "1", "0", "1", "0"],
        ["LOG", "1", "1", "1024"],
        ["SWITCH", "2", "0", "1", "1", "1"],
        ["LOG", "2", "1", "1024"],
        ["SWITCH", "4", "1", "0", "0", "0"],
        ["LOG", "4", "1", "1024"],
        ["LOGPATH", "1", switch.DEFAULT_LOG_PATH],
        ["LOGPATH", "2", switch.DEFAULT_LOG_PATH],
        ["LOGPATH", "4", switch.DEFAULT_LOG_PATH],
        ["DONE"],
    ]


def test_state_of_a_2003_host_reads_its_two_profiles_and_its_one_log() -> None:
    lab_host = host(
        "5.2", ocs_lab_switch={"standard": {"block_all": True}, "log": {"size_kb": 2048}}
    )
    # 2003 blocks unsolicited inbound when on and never filters outbound: "0 1".
    assert state_of(lab_host) == [
        ["HOST", "5.2.3790.131072", "2.0"],
        ["SERVICE", "2", "1"],
        ["SWITCH", "0", "1", "0", "1", "0"],
        ["LOG", "0", "0", "2048"],
        ["SWITCH", "1", "1", "0", "1", "1"],
        ["LOG", "1", "0", "2048"],
        ["LOGPATH", "0", "%windir%\\pfirewall.log"],
        ["LOGPATH", "1", "%windir%\\pfirewall.log"],
        ["DONE"],
    ]


def test_state_reports_the_switches_as_group_policy_applies_them() -> None:
    lab_host = host(
        ocs_lab_policy={"domain": {"EnableFirewall": 0}, "public": {"DoNotAllowExceptions": 1}}
    )
    switches = {rec[1]: rec[2:] for rec in state_of(lab_host) if rec[0] == "SWITCH"}
    assert switches["1"] == ["0", "0", "1", "0"]
    assert switches["4"] == ["1", "0", "1", "1"]


def test_a_store_without_switch_state_reads_as_windows_defaults() -> None:
    # As the unit tests build stores (no service, logging, files or tasks keys).
    lab_host = LabHost()
    recs = state_of(lab_host)
    assert recs[1] == ["SERVICE", "2", "1"]
    assert [r[2:] for r in recs if r[0] == "LOG"] == [["0", "4096"]] * 3
    assert {r[2] for r in recs if r[0] == "LOGPATH"} == {switch.DEFAULT_LOG_PATH}


def test_a_2003_store_without_a_log_path_reads_the_windows_folders_log() -> None:
    """``$DefaultLog`` on 2003 is ``%windir%\\pfirewall.log``: LOGPATH says it, and the
    tail looks there."""
    lab_host = LabHost(os_version="5.2")
    assert "logging" not in lab_host.state
    recs = state_of(lab_host)
    assert [r for r in recs if r[0] == "LOGPATH"] == [
        ["LOGPATH", "0", switch.LEGACY_LOG_PATH],
        ["LOGPATH", "1", switch.LEGACY_LOG_PATH],
    ]
    assert send(lab_host, request("tail", "TAIL\t5\t100")) == (
        0,
        [["LOGFILE", LOG_2003, "-1"], ["DONE"]],
    )
    # A path stored on one profile only: the other still reads the default.
    lab_host.state["logging"] = {"1": {"path": "D:\\fw.log"}}
    paths = [r[2] for r in state_of(lab_host) if r[0] == "LOGPATH"]
    assert paths == [switch.LEGACY_LOG_PATH, "D:\\fw.log"]


# --------------------------------------------------------------------------- refusals


BAD_OP = "bad request: OP must be state, switch, confirm, tail or rollback"
NEEDS_ARM = (
    "bad request: a switch needs ARM (1 to 1439 minutes, and the runner) and a setting to change"
)
NEEDS_TAIL = "bad request: a tail needs TAIL (lines from 1, bytes 1 to 1048576)"
PARSE = 'Exception calling "Parse" with "2" argument(s): '
NOT_A_NUMBER = PARSE + '"Input string was not in a correct format."'
TOO_BIG = PARSE + '"Value was either too large or too small for an Int32."'
BAD_BASE64 = (
    'Exception calling "FromBase64String" with "1" argument(s): "Invalid length for a '
    'Base-64 char array or string."'
)
NO_VERSION = "bad request: it does not start with OCSFW2"
KB = "KB (1 to 32767)"
NO_SETTING = "changes no setting"
ONLY_STATE = "only a state read carries LISTENERS"


def bad(what: str = "unexpected line 4") -> str:
    return f"bad request: {what}"


def log_of(size: int) -> str:
    return bad(f"line 4: a log of {size} {KB}")


def _refusals() -> list[tuple[str, str, str]]:
    on = switch_line(1, 1, 0, 1, 0)
    release = f"RELEASE\t{b('g')}\t{b('n')}"
    return [
        ("no version", "OCSFW1\nOP\tstate\nEND\n", NO_VERSION),
        ("blank first", "\nOCSFW2\nOP\tstate\nEND\n", NO_VERSION),
        ("no end", "OCSFW2\nOP\tstate\n", bad("no END line (truncated input?)")),
        ("after end", request("state") + "OP\tstate\n", bad("text after END")),
        ("bad op", request("read"), BAD_OP),
        ("op case", request("State"), BAD_OP),
        ("unknown", request("state", "LISTENER"), bad("unexpected line 3")),
        ("listeners 1", request("state", "LISTENERS\t1"), bad("unexpected line 3")),
        ("tail asks", request("tail", "TAIL\t5\t9", "LISTENERS"), bad(ONLY_STATE)),
        ("short switch", request("switch", arm(), "SWITCH\t1\t1\t0\t1"), bad()),
        ("profile 3", request("switch", arm(), switch_line(3, 1, 0, 1, 0)), bad()),
        ("2003 type", request("switch", arm(), switch_line(0, 1, 0, 1, 0)), bad()),
        ("start 5", request("switch", arm(), "SERVICE\t5\t1"), bad()),
        ("log 0", request("switch", arm(), "LOG\t1\t1\t0"), log_of(0)),
        ("log big", request("switch", arm(), "LOG\t2\t1\t32768"), log_of(32768)),
        ("no arm", request("switch", on), NEEDS_ARM),
        ("arm 0", request("switch", arm(0), on), NEEDS_ARM),
        ("arm 1440", request("switch", arm(1440), on), NEEDS_ARM),
        ("no runner", request("switch", "ARM\t5\t", on), NEEDS_ARM),
        ("no setting", request("switch", arm()), NEEDS_ARM),
        ("no tail", request("tail"), NEEDS_TAIL),
        ("0 lines", request("tail", "TAIL\t0\t100"), NEEDS_TAIL),
        ("0 bytes", request("tail", "TAIL\t5\t0"), NEEDS_TAIL),
        ("many bytes", request("tail", "TAIL\t5\t1048577"), NEEDS_TAIL),
        ("release alone", request("rollback", release), bad("RELEASE needs a HOLDMARK")),
        ("state sets", request("state", "SERVICE\t2\t1"), bad(f"a state {NO_SETTING}")),
        ("confirm sets", request("confirm", on), bad(f"a confirm {NO_SETTING}")),
        ("tail sets", request("tail", "TAIL\t5\t9", "LOG\t1\t1\t9"), bad(f"a tail {NO_SETTING}")),
        ("not a number", request("switch", "ARM\tfive\t" + b(RUNNER), on), NOT_A_NUMBER),
        ("too big", request("tail", "TAIL\t99999999999\t5"), TOO_BIG),
        ("bad base64", request("switch", "ARM\t5\t@@@", on), BAD_BASE64),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [r[1:] for r in _refusals()], ids=[r[0] for r in _refusals()]
)
def test_a_bad_request_is_refused_and_changes_nothing(text: str, message: str) -> None:
    lab_host = host()
    before = copy.deepcopy(lab_host.state)
    assert error(lab_host, text) == message
    assert lab_host.state == before


def test_a_2003_host_refuses_release_as_an_unexpected_line() -> None:
    lab_host = host("5.2")
    text = request("rollback", f"HOLDMARK\t{b(HOLDMARK)}", f"RELEASE\t{b('g')}\t{b('n')}")
    assert error(lab_host, text) == "bad request: unexpected line 4"


def test_the_reading_is_as_lenient_as_the_script() -> None:
    lab_host = host()
    # CR LF line ends, blank lines, the last OP wins, lines a state does not use (ARM, TAIL,
    # DUE, HOLDMARK and a RELEASE with it) are read and left alone, numbers as .NET reads
    # them (spaces, a sign).
    text = "\r\n".join(
        [
            "OCSFW2",
            "OP\tconfirm",
            "",
            "OP\tstate",
            arm(3),
            "TAIL\t 5\t+100",
            f"DUE\t{b('2026-01-05 10:00')}",
            f"HOLDMARK\t{b(HOLDMARK)}",
            f"RELEASE\t{b('g')}\t{b('n')}",
            "END",
            "",
            "",
        ]
    )
    rc, recs = send(lab_host, text)
    assert rc == 0 and recs[0][0] == "HOST" and recs[-1] == ["DONE"]


def test_text_that_is_not_utf8_is_read_as_the_script_reads_it() -> None:
    """``UTF8Encoding($false)`` does not throw on bytes that are not UTF-8: each becomes
    U+FFFD, and the request goes on."""
    lab_host = host()
    bad = base64.b64encode(b"Front \xff End").decode("ascii")
    text = request("rollback", f"HOLDMARK\t{b(HOLDMARK)}", f"RELEASE\t{bad}\t{b('n')}")
    assert send(lab_host, text) == (0, [["RELEASED", "Front \ufffd End", "n", "0"], ["DONE"]])


def test_a_flag_is_on_only_when_it_is_1() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    rc, recs = send(lab_host, request("switch", arm(), "SWITCH\t1\tyes\ttrue\t1\t01"))
    assert rc == 0, recs
    domain = lab_host.state["profiles"]["1"]
    assert (domain["enabled"], domain["inbound_action"], domain["outbound_action"]) == (0, 0, 1)
    assert domain["block_all_inbound"] == 0


# --------------------------------------------------------------------------- switch


def test_a_switch_arms_the_rollback_then_changes_the_settings() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    before = state_of(lab_host)
    text = request(
        "switch",
        arm(5),
        "SERVICE\t2\t1",
        switch_line(1, 1, 0, 1, 0),
        "LOG\t1\t1\t8192",
        f"HOLDMARK\t{b(HOLDMARK)}",
        f"RELEASE\t{b('Front End')}\t{b('Old SIP')}",
    )
    rc, recs = send(lab_host, text)
    # Now is 10:00:30: due at the first whole minute after 5 minutes, 10:06.
    assert (rc, recs) == (
        0,
        [
            ["ARMED", TASK, "2026-01-05 10:06"],
            ["SET", "service"],
            ["SET", "profile 1"],
            ["SET", "log 1"],
            ["DONE"],
        ],
    )
    files = lab_host.state["files"]
    assert files[RUNNER_2008] == RUNNER
    # The settings as they were (state's lines), then what the rollback releases.
    assert files[SAVED_2008] == "".join(
        line + "\n"
        for line in [
            "OCSFW2",
            "OP\trollback",
            f"DUE\t{b('2026-01-05 10:06')}",
            *("\t".join(rec) for rec in before if rec[0] in ("SERVICE", "SWITCH", "LOG")),
            f"HOLDMARK\t{b(HOLDMARK)}",
            f"RELEASE\t{b('Front End')}\t{b('Old SIP')}",
            "END",
        ]
    )
    assert lab_host.state["tasks"][TASK] == {
        "run": switch.RUN_PREFIX + RUNNER_2008,
        "schedule": "daily",
        "start": "10:06",
        "user": "SYSTEM",
        "next": "2026-01-05 10:06",
    }
    now = state_of(lab_host)
    assert ["SWITCH", "1", "1", "0", "1", "0"] in now and ["LOG", "1", "1", "8192"] in now
    assert now[-2:] == [["PENDING", "2026-01-05 10:06"], ["DONE"]]
    # The log file starts when logging turns on.
    assert lab_host.state["files"][LOG_2008].startswith("#Version: 1.5\r\n")


def test_a_switch_changes_what_the_rules_read_reports() -> None:
    lab_host = host()
    text = request("switch", arm(), switch_line(2, 0, 1, 0, 0), switch_line(4, 1, 0, 1, 1))
    assert send(lab_host, text)[0] == 0
    result = lab_host.execute(
        _client.bootstrap_text(), False, _client.build_stdin("OCSFW2\nOP\tread\nEND\n")
    )
    read = records(result["stdout"])
    assert ["PROFILE", "2", "0", "1", "0"] in read
    assert ["PROFILE", "4", "1", "0", "1"] in read
    assert [r[2] for r in read if r[0] == "POLICY"] == ["0", "0", "1"]
    assert ["CURRENT", "1", "0"] in read


def test_block_all_is_netsh_blockinboundalways_which_blocks_by_default_too() -> None:
    lab_host = host()
    assert send(lab_host, request("switch", arm(), switch_line(1, 1, 1, 1, 1)))[0] == 0
    assert ["SWITCH", "1", "1", "0", "1", "1"] in state_of(lab_host)


def test_a_2003_switch_sets_the_profile_and_the_one_log() -> None:
    lab_host = host("5.2")
    text = request("switch", arm(), switch_line(1, 0, 1, 0, 1), "LOG\t0\t1\t100")
    rc, recs = send(lab_host, text)
    # /st on 2003 takes seconds.
    assert lab_host.state["tasks"][TASK]["start"] == "10:06:00"
    assert (rc, [r[0:2] for r in recs]) == (
        0,
        [["ARMED", TASK], ["SET", "profile 1"], ["SET", "log 0"], ["DONE"]],
    )
    assert lab_host.state["legacy"]["1"]["enabled"] == 0
    assert lab_host.state["legacy"]["1"]["exceptions_not_allowed"] == 1
    logs = [r for r in state_of(lab_host) if r[0] == "LOG"]
    assert logs == [["LOG", "0", "1", "100"], ["LOG", "1", "1", "100"]]
    assert lab_host.state["files"][LOG_2003].startswith("#Version: 1.5")
    read = lab_host.execute(
        _client.bootstrap_text(), False, _client.build_stdin("OCSFW2\nOP\tread\nEND\n")
    )
    assert ["LEGACY", "1", "0", "1", "0"] in records(read["stdout"])


def test_a_switch_while_a_rollback_is_armed_is_refused() -> None:
    lab_host = host()
    assert send(lab_host, request("switch", arm(), "SERVICE\t2\t1"))[0] == 0
    before = copy.deepcopy(lab_host.state)
    message = error(lab_host, request("switch", arm(), switch_line(1, 0, 0, 1, 0)))
    assert message == (
        f"a rollback is armed already ({SAVED_2008}): a switch waits until it has run or "
        "was confirmed"
    )
    assert lab_host.state == before


def test_a_first_switch_arms_though_there_is_no_task_to_delete() -> None:
    """Remove-Rollback runs ``schtasks /delete`` with a function-local
    ``$ErrorActionPreference = 'Continue'``: schtasks exits 1 and writes to stderr that
    the task does not exist, which is text there, not an error (under 'Stop' PowerShell 2.0
    would have thrown at that line)."""
    lab_host = host()
    assert lab_host.state["tasks"] == {}
    rc, recs = send(lab_host, request("switch", arm(), switch_line(1, 0, 0, 1, 0)))
    assert (rc, [r[0] for r in recs]) == (0, ["ARMED", "SET", "DONE"])
    assert list(lab_host.state["tasks"]) == [TASK]
    assert set(lab_host.state["files"]) == {RUNNER_2008, SAVED_2008}
    assert lab_host.state["profiles"]["1"]["enabled"] == 0


def test_a_leftover_task_and_runner_are_replaced() -> None:
    """A task (and a runner) left without a rollback request do not stop a switch: it
    removes them (Remove-Rollback) before it writes its own and creates the task anew."""
    lab_host = host(ocs_lab_tasks=[TASK])
    assert lab_host.state["tasks"][TASK]["start"] == "03:00"
    lab_host.state["files"][RUNNER_2008] = "Write-Host 'left over'\n"
    assert state_of(lab_host)[-2][0] != "PENDING"  # only the request file says armed
    assert send(lab_host, request("switch", arm(5), switch_line(1, 0, 0, 1, 0)))[0] == 0
    assert lab_host.state["tasks"][TASK]["start"] == "10:06"
    assert lab_host.state["tasks"][TASK]["run"] == switch.RUN_PREFIX + RUNNER_2008
    assert lab_host.state["files"][RUNNER_2008] == RUNNER


def test_a_temp_folder_with_a_space_refuses_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The task's action names the runner unquoted: a ``%SystemRoot%\\Temp\\`` with a space
    could not be run, so the switch stops before it reads or writes anything."""
    monkeypatch.setitem(switch.SYSTEM_ROOT, "6.1", "C:\\Win dows")
    lab_host = host()
    before = copy.deepcopy(lab_host.state)
    text = request("switch", arm(), switch_line(1, 0, 0, 1, 0))
    assert error(lab_host, text) == (
        "the rollback cannot be armed: C:\\Win dows\\Temp\\ has a space in its path"
    )
    assert lab_host.state == before


def test_the_armed_check_comes_before_the_temp_check(monkeypatch: pytest.MonkeyPatch) -> None:
    lab_host = host()
    assert send(lab_host, request("switch", arm(), "SERVICE\t2\t1"))[0] == 0
    saved = lab_host.state["files"].pop(SAVED_2008)
    lab_host.state["files"]["C:\\Win dows\\Temp\\ocs.firewall-rollback.txt"] = saved
    monkeypatch.setitem(switch.SYSTEM_ROOT, "6.1", "C:\\Win dows")
    message = error(lab_host, request("switch", arm(), switch_line(1, 0, 0, 1, 0)))
    assert message.startswith("a rollback is armed already (C:\\Win dows\\Temp\\")


def test_a_switch_with_the_service_stopped_arms_nothing() -> None:
    """The rollback request is the settings as they are (Get-Settings), read before the
    task and the files: with the firewall's COM API down, nothing is written."""
    lab_host = host(ocs_lab_switch={"service": {"running": False}})
    before = copy.deepcopy(lab_host.state)
    message = error(lab_host, request("switch", arm(), "SERVICE\t2\t1"))
    assert message.startswith("the Windows Firewall service (MpsSvc) is not running (HRESULT")
    assert lab_host.state == before


def test_a_switch_that_stops_the_service_sets_the_profiles_while_it_runs() -> None:
    """Set-Settings: the service first when it is to run, last when it is to stop (netsh
    needs it), whatever the order of the request's lines."""
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    text = request("switch", arm(), "SERVICE\t3\t0", switch_line(1, 1, 0, 1, 0), "LOG\t1\t1\t64")
    rc, recs = send(lab_host, text)
    assert (rc, recs[1:]) == (
        0,
        [["SET", "profile 1"], ["SET", "log 1"], ["SET", "service"], ["DONE"]],
    )
    assert lab_host.state["service"] == {"start": 3, "running": False}
    assert lab_host.state["profiles"]["1"]["enabled"] == 1
    assert lab_host.state["logging"]["1"]["dropped"] == 1
    # Its rollback starts the service first, then sets the profiles and logs back.
    (run_entry,) = lab_host.advance_clock(6)
    assert (run_entry["ran"], run_entry["rc"]) == (True, 0)
    assert lab_host.state["service"] == {"start": 2, "running": True}
    assert lab_host.state["profiles"]["1"]["enabled"] == 0
    assert lab_host.state["logging"]["1"]["dropped"] == 0
    assert lab_host.state["tasks"] == {} and set(lab_host.state["files"]) == {LOG_2008}


def test_a_rollback_that_stops_the_service_needs_it_running_for_netsh() -> None:
    lab_host = host()
    rc, recs = send(lab_host, request("rollback", "SERVICE\t2\t0", switch_line(4, 0, 0, 1, 0)))
    assert (rc, recs) == (0, [["SET", "profile 4"], ["SET", "service"], ["DONE"]])
    # Stopped already: the profile comes first, and netsh cannot reach the service.
    rc, recs = send(lab_host, request("rollback", "SERVICE\t2\t0", switch_line(4, 1, 0, 1, 0)))
    assert rc == 2 and recs[-1][1].endswith(
        "(the publicprofile: netsh.exe exited with 1: An error occurred while attempting to "
        "contact the Windows Firewall service. Make sure that the service is running and try "
        "your request again.)"
    )
    # Started first, it is there for netsh.
    rc, recs = send(lab_host, request("rollback", switch_line(4, 1, 0, 1, 0), "SERVICE\t2\t1"))
    assert (rc, recs) == (0, [["SET", "service"], ["SET", "profile 4"], ["DONE"]])


def test_a_refused_setting_restores_every_setting_and_removes_the_rollback() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    before = copy.deepcopy(lab_host.state)
    lab_host.fail_apply_midway = True
    # Two settings: the profile (set first: the service is to stop, so it comes last) is
    # set, the service's sc.exe is refused; then the rollback sets everything back, the
    # service first (it is to run).
    text = request("switch", arm(), "SERVICE\t3\t0", switch_line(1, 1, 0, 1, 0))
    rc, recs = send(lab_host, text)
    assert rc == 2
    assert [r[:2] for r in recs[:-1]] == [
        ["ARMED", TASK],
        ["SET", "profile 1"],
        # The rollback: the service, each profile and each log.
        ["SET", "service"],
        *([["SET", f"profile {t}"] for t in (1, 2, 4)]),
        *([["SET", f"log {t}"] for t in (1, 2, 4)]),
    ]
    assert recs[-1] == [
        "ERROR",
        "a setting was refused, and the previous settings were restored: the service: sc.exe "
        "exited with 5: [SC] OpenService FAILED 5:  Access is denied.",
    ]
    # Everything as it was, the task and the files gone.
    assert lab_host.state == {**before, "files": {}, "tasks": {}}


def test_a_disabled_service_does_not_start() -> None:
    lab_host = host(ocs_lab_switch={"service": {"running": False}})
    lab_host.state["service"]["start"] = 4
    # With its service stopped, the firewall's COM API answers nothing: no state, no switch.
    assert error(lab_host, request("state")).startswith(
        "the Windows Firewall service (MpsSvc) is not running (HRESULT 0x800706D9): start it"
    )
    assert error(lab_host, request("switch", arm(), "SERVICE\t4\t1")).startswith(
        "the Windows Firewall service (MpsSvc) is not running (HRESULT 0x800706D9)"
    )
    # The rollback (run by the task, as SYSTEM) sets the start first, so it can start it.
    rc, recs = send(lab_host, request("rollback", "SERVICE\t4\t1"))
    assert rc == 2 and recs[-1][1] == (
        'the Windows Firewall service (MpsSvc) is not running: start it, for example with "sc.exe '
        "start MpsSvc\" (Service 'Windows Firewall (MpsSvc)' cannot be started due to the "
        "following error: Cannot start service MpsSvc on computer '.'.)"
    )
    rc, recs = send(lab_host, request("rollback", "SERVICE\t3\t1"))
    assert (rc, recs) == (0, [["SET", "service"], ["DONE"]])
    assert lab_host.state["service"] == {"start": 3, "running": True}


def test_with_the_service_stopped_the_rules_script_fails_too() -> None:
    lab_host = host(ocs_lab_switch={"service": {"running": False}})
    read = lab_host.execute(
        _client.bootstrap_text(), False, _client.build_stdin("OCSFW2\nOP\tread\nEND\n")
    )
    assert read["rc"] == 2
    assert "(MpsSvc) is not running (HRESULT 0x800706D9)" in unb(records(read["stdout"])[-1][1])
    # Neither COM nor netsh is needed to read the log.
    assert send(lab_host, request("tail", "TAIL\t5\t100"))[0] == 0


def test_fail_command_refuses_the_middle_setting_and_restores_the_rest() -> None:
    lab_host = host()
    before = copy.deepcopy(lab_host.state["profiles"])
    lab_host.fail_apply_midway = True
    text = request("switch", arm(), switch_line(1, 0, 0, 1, 0), switch_line(2, 0, 0, 1, 0))
    rc, recs = send(lab_host, text)
    assert rc == 2
    # The first of the two is set, the second refused, then the rollback sets everything.
    assert [r[:2] for r in recs[:4]] == [
        ["ARMED", TASK],
        ["SET", "profile 1"],
        ["SET", "service"],
        ["SET", "profile 1"],
    ]
    assert recs[-1][1] == (
        "a setting was refused, and the previous settings were restored: the privateprofile: "
        "netsh.exe exited with 1: The requested operation requires elevation (Run as "
        "administrator)."
    )
    assert lab_host.state["profiles"] == before


# --------------------------------------------------------------------------- confirm, rollback


def test_confirm_cancels_the_armed_rollback() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    assert send(lab_host, request("switch", arm(), switch_line(1, 1, 0, 1, 0)))[0] == 0
    assert send(lab_host, request("confirm")) == (0, [["CONFIRMED", "1"], ["DONE"]])
    assert lab_host.state["tasks"] == {} and lab_host.state["files"] == {}
    assert lab_host.state["profiles"]["1"]["enabled"] == 1
    assert lab_host.advance_clock(24 * 60) == []
    assert lab_host.state["profiles"]["1"]["enabled"] == 1


def test_a_confirm_without_a_rollback_is_not_an_error() -> None:
    lab_host = host()
    assert send(lab_host, request("confirm")) == (0, [["CONFIRMED", "0"], ["DONE"]])
    # A leftover task without the files: deleted, and nothing was armed.
    lab_host = host(ocs_lab_tasks=[TASK])
    assert send(lab_host, request("confirm")) == (0, [["CONFIRMED", "0"], ["DONE"]])
    assert lab_host.state["tasks"] == {}


def test_a_confirm_denied_access_leaves_the_rollback_armed() -> None:
    """``--fail-command`` on a confirm: schtasks is denied (its exit code ignored, the task
    stays), then deleting the runner is denied, which fails the confirm: the rollback is
    still armed and runs when due."""
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    assert send(lab_host, request("switch", arm(2), switch_line(1, 1, 0, 1, 0)))[0] == 0
    armed = copy.deepcopy(lab_host.state)
    lab_host.fail_apply_midway = True
    assert error(lab_host, request("confirm")) == (
        f'{ACCESS_DENIED_HINT} (Exception calling "Delete" with "1" argument(s): '
        f"\"Access to the path '{RUNNER_2008}' is denied.\")"
    )
    assert lab_host.state == armed
    lab_host.fail_apply_midway = False
    (run_entry,) = lab_host.advance_clock(3)
    assert run_entry["ran"] and lab_host.state["profiles"]["1"]["enabled"] == 0
    # Nothing armed: the denied schtasks is ignored and there is no file to delete.
    lab_host.fail_apply_midway = True
    assert send(lab_host, request("confirm")) == (0, [["CONFIRMED", "0"], ["DONE"]])


def test_the_task_rolls_back_when_due_releasing_the_held_rules() -> None:
    held = seed.foreign_rule(
        {"name": "Old SIP", "group": "Front End", "description": "SIP" + HOLDMARK, "enabled": 0}
    )
    other = seed.foreign_rule(
        {"name": "Old SIP", "group": "Other", "description": "SIP" + HOLDMARK, "enabled": 0}
    )
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    lab_host.state["rules"] += [held, other]
    before = copy.deepcopy(lab_host.state)
    other = copy.deepcopy(other)
    text = request(
        "switch",
        arm(5),
        switch_line(1, 1, 0, 1, 0),
        f"HOLDMARK\t{b(HOLDMARK)}",
        f"RELEASE\t{b('front end')}\t{b('OLD SIP')}",
    )
    assert send(lab_host, text)[0] == 0
    assert lab_host.advance_clock(5) == []  # 10:05:30: not yet
    (run_entry,) = lab_host.advance_clock(1)
    assert run_entry == {
        "op": "rollback-task",
        "task": TASK,
        "due": "2026-01-05 10:06",
        "ran": True,
        "rc": 0,
        "counts": {"set": 7, "released": 1},
    }
    assert lab_host.state["profiles"] == before["profiles"]
    assert lab_host.state["logging"] == before["logging"]
    assert lab_host.state["rules"][-2]["enabled"] == 1
    assert lab_host.state["rules"][-2]["description"] == "SIP"
    assert lab_host.state["rules"][-1] == other
    assert lab_host.state["tasks"] == {} and lab_host.state["files"] == {}
    # It ran already: a confirm finds nothing armed (schtasks finds no task: ignored).
    assert send(lab_host, request("confirm")) == (0, [["CONFIRMED", "0"], ["DONE"]])


def test_an_empty_request_runs_the_saved_rollback_as_the_runner_does() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    assert send(lab_host, request("switch", arm(), switch_line(1, 1, 0, 1, 0)))[0] == 0
    rc, recs = send(lab_host, "")
    assert rc == 0 and ["SET", "profile 1"] in recs
    assert lab_host.state["profiles"]["1"]["enabled"] == 0 and lab_host.state["tasks"] == {}
    # Nothing saved: an empty request is just a bad one.
    assert error(lab_host, "") == "bad request: it does not start with OCSFW2"


def test_a_runner_that_is_not_the_switch_script_runs_nothing() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    text = request("switch", arm(1, runner="Write-Host 'not ours'\n"), switch_line(1, 1, 0, 1, 0))
    assert send(lab_host, text)[0] == 0
    (run_entry,) = lab_host.advance_clock(3)
    assert run_entry["ran"] is False and "not the collection's switch script" in run_entry["why"]
    assert lab_host.state["profiles"]["1"]["enabled"] == 1
    # Still there, a daily task: due again a day later.
    assert lab_host.state["tasks"][TASK]["next"] == "2026-01-06 10:02"


def test_arm_1439_is_due_a_day_later_at_the_tasks_first_run() -> None:
    """A daily task runs at its /st time: ARM's most, 1439 minutes, + 1 is the same minute
    tomorrow (at 10:00:30, due 10:00 tomorrow: today's 10:00 has passed), which is when the
    task runs first. 1440 would come round again within the minute (refused above)."""
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    assert send(lab_host, request("switch", arm(1439), switch_line(1, 1, 0, 1, 0)))[0] == 0
    assert state_of(lab_host)[-2] == ["PENDING", "2026-01-06 10:00"]
    assert lab_host.state["tasks"][TASK]["next"] == "2026-01-06 10:00"
    assert lab_host.advance_clock(1439) == []  # 09:59:30 tomorrow
    (run_entry,) = lab_host.advance_clock(1)
    assert run_entry["ran"] and lab_host.state["profiles"]["1"]["enabled"] == 0


def test_a_rollback_request_sets_and_releases_then_deletes_the_task() -> None:
    lab_host = host(ocs_lab_switch={"domain": {"enabled": False}})
    rc, recs = send(lab_host, request("rollback", switch_line(1, 1, 1, 1, 0), "LOG\t4\t1\t16"))
    assert (rc, recs) == (0, [["SET", "profile 1"], ["SET", "log 4"], ["DONE"]])
    assert lab_host.state["tasks"] == {}
    # Without a task to delete (schtasks exits 1, ignored) it sets everything all the same.
    rc, recs = send(lab_host, request("rollback", switch_line(1, 0, 0, 1, 0)))
    assert (rc, recs) == (0, [["SET", "profile 1"], ["DONE"]])
    assert lab_host.state["profiles"]["1"]["enabled"] == 0


# --------------------------------------------------------------------------- tail


def log_host(os_version: str = "6.1", drops: int = 3, **variables: Any) -> LabHost:
    planted = [{"from": "10.20.0.7", "port": 5061, "count": drops}]
    return host(os_version, ocs_lab_drops=planted, **variables)


def test_tail_of_a_missing_log_is_minus_1() -> None:
    assert send(host(), request("tail", "TAIL\t10\t1000")) == (
        0,
        [["LOGFILE", LOG_2008, "-1"], ["DONE"]],
    )
    assert send(host("5.2"), request("tail", "TAIL\t10\t1000"))[1][0] == ["LOGFILE", LOG_2003, "-1"]


def test_tail_reads_the_whole_small_log() -> None:
    lab_host = log_host()
    content = lab_host.state["files"][LOG_2008]
    rc, recs = send(lab_host, request("tail", "TAIL\t100\t1048576"))
    assert recs[0] == ["LOGFILE", LOG_2008, str(len(content))]
    lines = [r[1] for r in recs if r[0] == "LOGLINE"]
    assert lines == [line for line in content.split("\r\n") if line]
    assert lines[4].split(" ")[2:6] == ["DROP", "TCP", "10.20.0.7", "10.10.0.11"]


def test_tail_drops_the_first_line_of_a_window_that_starts_mid_file() -> None:
    lab_host = log_host()
    content = lab_host.state["files"][LOG_2008]
    last = content.split("\r\n")[-2]
    # The window holds the last line and a little of the one before it.
    window = len(last) + 2 + 10
    rc, recs = send(lab_host, request("tail", f"TAIL\t100\t{window}"))
    assert [r[1] for r in recs if r[0] == "LOGLINE"] == [last]
    # A window that starts exactly at a line start drops that whole line too.
    rc, recs = send(lab_host, request("tail", f"TAIL\t100\t{len(last) + 2}"))
    assert [r for r in recs if r[0] == "LOGLINE"] == []


def test_tail_n_returns_the_last_n_lines() -> None:
    """The window's trailing line feeds are trimmed before the split (``TrimEnd([char]10)``):
    a log ends with a line break, and the empty piece after it is no line."""
    lab_host = log_host(drops=5)
    content = lab_host.state["files"][LOG_2008]
    for wanted in (1, 3, 5):
        rc, recs = send(lab_host, request("tail", f"TAIL\t{wanted}\t1048576"))
        lines = [r[1] for r in recs if r[0] == "LOGLINE"]
        assert lines == content.split("\r\n")[-1 - wanted : -1]


def test_tail_keeps_a_blank_line_before_the_end_as_a_piece() -> None:
    """``TrimEnd([char]10)`` trims line feeds only: a log ending with an empty line (CR LF
    CR LF) keeps a last piece of a lone CR, which counts as a line and is not written."""
    lab_host = log_host(drops=3)
    content = lab_host.state["files"][LOG_2008]
    lab_host.state["files"][LOG_2008] = content + "\r\n"
    rc, recs = send(lab_host, request("tail", "TAIL\t2\t1048576"))
    assert [r[1] for r in recs if r[0] == "LOGLINE"] == content.split("\r\n")[-2:-1]


def test_tail_of_a_window_that_is_all_line_breaks_is_empty() -> None:
    lab_host = log_host(drops=1)
    lab_host.state["files"][LOG_2008] += "\n\n\n"
    rc, recs = send(lab_host, request("tail", "TAIL\t10\t3"))
    assert (rc, [r[0] for r in recs]) == (0, ["LOGFILE", "DONE"])


def test_tail_reads_each_distinct_file_once() -> None:
    lab_host = log_host()
    logging = lab_host.state["logging"]
    logging["2"]["path"] = "%SystemRoot%\\System32\\LogFiles\\Firewall\\PFIREWALL.LOG"
    logging["4"]["path"] = "D:\\logs\\public.log"
    rc, recs = send(lab_host, request("tail", "TAIL\t1\t100"))
    assert [r[:2] for r in recs if r[0] == "LOGFILE"] == [
        ["LOGFILE", LOG_2008],
        ["LOGFILE", "D:\\logs\\public.log"],
    ]
    assert ["LOGFILE", "D:\\logs\\public.log", "-1"] in recs
    state = state_of(lab_host)
    assert ["LOGPATH", "4", "D:\\logs\\public.log"] in state


def test_tail_denied_access_fails_at_the_first_file_there() -> None:
    """``--fail-command`` on a tail: opening the log (``New-Object System.IO.FileStream``)
    is denied; a missing log is never opened."""
    assert send(host(), request("tail", "TAIL\t5\t100"))[1][0][2] == "-1"
    missing = host()
    missing.fail_apply_midway = True
    assert send(missing, request("tail", "TAIL\t5\t100"))[0] == 0
    lab_host = log_host()
    lab_host.fail_apply_midway = True
    assert error(lab_host, request("tail", "TAIL\t5\t100")) == (
        f'{ACCESS_DENIED_HINT} (Exception calling ".ctor" with "4" argument(s): "Access to '
        f"the path '{LOG_2008}' is denied.\")"
    )


def test_a_2003_host_has_one_log_in_windir() -> None:
    lab_host = log_host("5.2")
    assert list(lab_host.state["files"]) == [LOG_2003]
    rc, recs = send(lab_host, request("tail", "TAIL\t2\t1048576"))
    assert [r[0] for r in recs] == ["LOGFILE", "LOGLINE", "LOGLINE", "DONE"]


# --------------------------------------------------------------------------- the log


def test_planted_drops_are_w3c_lines_written_without_logging_on() -> None:
    lab_host = host(
        ocs_lab_drops=[
            {"from": "10.20.0.7", "port": 5061, "count": 2},
            {"from": "192.0.2.1", "port": 161, "protocol": "udp", "to": "10.10.0.99"},
        ]
    )
    assert lab_host.state["logging"]["1"]["dropped"] == 0
    lines = lab_host.state["files"][LOG_2008].split("\r\n")
    assert lines[:5] == list(switch.LOG_HEADER)
    body = [line.split(" ") for line in lines[5:-1]]
    assert len(body) == 3 and lines[-1] == ""
    assert [f[2:8] for f in body] == [
        ["DROP", "TCP", "10.20.0.7", "10.10.0.11", f[6], "5061"] for f in body[:2]
    ] + [["DROP", "UDP", "192.0.2.1", "10.10.0.99", body[2][6], "161"]]
    # A SYN: size, flags, sequence number, no ack, window; nothing for ICMP, info; received.
    assert body[0][8:] == ["48", "S", body[0][10], "0", "8192", "-", "-", "-", "RECEIVE"]
    assert body[0][10].isdigit() and body[0][6].isdigit()
    assert body[2][8:] == ["78", "-", "-", "-", "-", "-", "-", "-", "RECEIVE"]
    stamps = [datetime.datetime.strptime(" ".join(f[:2]), "%Y-%m-%d %H:%M:%S") for f in body]
    assert stamps == sorted(stamps)


def test_the_log_is_bounded_by_its_size_and_rolls_over_to_old() -> None:
    lab_host = host(
        ocs_lab_switch={"log": {"size_kb": 1}},
        ocs_lab_drops=[{"from": "10.1.1.1", "port": 80, "count": 30}],
    )
    files = lab_host.state["files"]
    assert set(files) == {LOG_2008, LOG_2008 + ".old"}
    for text in files.values():
        assert len(text.encode()) <= 1024 and text.startswith("#Version: 1.5")
    lines = sum(text.count(" DROP ") for text in files.values())
    assert 0 < files[LOG_2008].count(" DROP ") < lines <= 30


# --------------------------------------------------------------------------- host variables


SWITCH_VAR = "ocs_lab_switch"
DROPS = "ocs_lab_drops"


def drop(**values: Any) -> dict[str, Any]:
    return {DROPS: [{"from": "10.0.0.1", "port": 1, **values}]}


@pytest.mark.parametrize(
    ("os_version", "variables", "message"),
    [
        ("6.1", {SWITCH_VAR: []}, "ocs_lab_switch must be a mapping"),
        ("6.1", {SWITCH_VAR: {"standard": {}}}, "ocs_lab_switch: unknown keys ['standard']"),
        ("5.2", {SWITCH_VAR: {"public": {}}}, "ocs_lab_switch: unknown keys ['public']"),
        ("6.1", {SWITCH_VAR: {"service": {"start": "boot"}}}, "['auto', 'demand', 'disabled']"),
        ("6.1", {SWITCH_VAR: {"service": {"running": "yes"}}}, ".running must be true or false"),
        ("6.1", {SWITCH_VAR: {"domain": {"inbound": "deny"}}}, ".inbound must be one of ['block',"),
        ("6.1", {SWITCH_VAR: {"domain": {"on": True}}}, ".domain: unknown keys ['on']"),
        ("5.2", {SWITCH_VAR: {"domain": {"inbound": "allow"}}}, "are not Windows Server 2003"),
        ("6.1", {SWITCH_VAR: {"log": {"size_kb": 0}}}, ".log.size_kb 0 is not from 1 to 32767"),
        ("6.1", {SWITCH_VAR: {"log": {"size_kb": "4096"}}}, ".log.size_kb must be a whole number"),
        ("6.1", {SWITCH_VAR: {"log": {"path": ""}}}, "ocs_lab_switch.log.path must be a file path"),
        ("6.1", {DROPS: {"from": "10.0.0.1"}}, "ocs_lab_drops must be a list"),
        ("6.1", drop(**{"from": "x"}), "ocs_lab_drops[0]: from 'x' is not an IP address"),
        ("6.1", drop(port=0), "ocs_lab_drops[0]: port must be a whole number from 1 to 65535"),
        ("6.1", drop(protocol="icmp"), "ocs_lab_drops[0]: protocol must be tcp or udp"),
        ("6.1", {DROPS: [{"from": "10.0.0.1"}]}, "ocs_lab_drops[0] needs 'from' and 'port'"),
        ("6.1", drop(when=1), "ocs_lab_drops[0]: unknown keys ['when']"),
        ("6.1", {"ocs_lab_tasks": "x"}, "ocs_lab_tasks must be a list of task names"),
        ("6.1", {"ocs_lab_seed_winrm_rule": "no"}, "ocs_lab_seed_winrm_rule must be true or false"),
    ],
)  # fmt: skip
def test_a_bad_host_variable_stops_start_naming_the_host(
    tmp_path: Path, os_version: str, variables: dict[str, Any], message: str
) -> None:
    variables = {**variables, "ocs_lab_os": os_version}
    if os_version == "5.2":
        variables["ocs_lab_transport"] = "ntlm"
    with pytest.raises(LabError) as caught:
        api.start({"all": {"hosts": {"fe09": variables}}}, tmp_path / "state")
    assert str(caught.value).startswith("host fe09: ") and message in str(caught.value)
    assert api.running_pid(tmp_path / "state") is None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ocs_lab_winrm_port": 0}, "ocs_lab_winrm_port must be a whole number from 1 to"),
        ({"ocs_lab_controller_address": "c"}, "ocs_lab_controller_address 'c' is not an IP"),
        ({"ocs_lab_controller_local_subnet": 1}, "ocs_lab_controller_local_subnet must be true or"),
    ],
)  # fmt: skip
def test_a_bad_gate_variable_is_named(variables: dict[str, Any], message: str) -> None:
    with pytest.raises(LabError, match="host fe01: " + message.replace("(", r"\(")):
        gate.read_door("fe01", variables, "basic", "10.0.0.1")


def test_the_seed_admits_winrm_unless_told_not_to() -> None:
    names = [r["name"] for r in started_store()["rules"]]
    assert names.count("Windows Remote Management (HTTP-In)") == 2
    bare = started_store(ocs_lab_seed_winrm_rule=False)
    assert "Windows Remote Management (HTTP-In)" not in [r["name"] for r in bare["rules"]]
    assert len(bare["rules"]) == len(names) - 2
    entries = started_store("5.2")["legacy"]
    for profile in entries.values():
        (winrm,) = [e for e in profile["ports"] if e["port"] == 5985]
        assert winrm == {
            "name": "Windows Remote Management",
            "port": 5985,
            "protocol": 6,
            "enabled": 1,
            "scope": 0,
            "remote_addresses": "*",
            "builtin": 0,
        }
    legacy_bare = started_store("5.2", ocs_lab_seed_winrm_rule=False)["legacy"]
    assert all(e["port"] != 5985 for p in legacy_bare.values() for e in p["ports"])


def test_an_https_host_gets_the_rule_its_listener_needs() -> None:
    door = gate.read_door("fe01", {}, "https", "10.10.0.11")
    assert door.port == 5986
    store = api._first_store("fe01", {}, "6.1", [], door=door, transport="https")
    (rule,) = [r for r in store["rules"] if r["name"] == "Allow WinRM HTTPS"]
    assert (rule["local_ports"], rule["protocol"], rule["enabled"], rule["profiles"]) == (
        "5986",
        6,
        1,
        2147483647,
    )


# --------------------------------------------------------------------------- the gate


def verdict(store: dict[str, Any], os_version: str = "6.1", **door: Any) -> gate.Verdict:
    values = {"port": 5985, "controller": CONTROLLER, "address": "10.10.0.11", **door}
    return gate.judge(store, os_version, gate.Door(**values), 50123)


def test_the_gate_lets_the_controller_in_where_a_rule_admits_it() -> None:
    assert verdict(started_store()).allowed
    bare = started_store(ocs_lab_seed_winrm_rule=False)
    refused = verdict(bare)
    assert (refused.allowed, refused.blocking) == (False, [1])
    # A rule for the controller's address admits it, one for another address does not.
    foreign = [{"name": "Mgmt", "local_ports": 5985, "remote_addresses": "10.10.5.0/24"}]
    admitted = started_store(ocs_lab_seed_winrm_rule=False, ocs_lab_foreign_rules=foreign)
    assert verdict(admitted).allowed
    assert not verdict(admitted, controller="10.10.6.10").allowed
    # The port is the host's WinRM port as Windows sees it.
    assert not verdict(started_store(), port=5986).allowed


def test_the_gate_follows_the_profile_switches_and_group_policy() -> None:
    bare = {"ocs_lab_seed_winrm_rule": False}
    assert verdict(started_store(ocs_lab_switch={"domain": {"enabled": False}}, **bare)).allowed
    assert verdict(started_store(ocs_lab_switch={"domain": {"inbound": "allow"}}, **bare)).allowed
    assert not verdict(started_store(ocs_lab_switch={"domain": {"block_all": True}})).allowed
    assert not verdict(
        started_store(ocs_lab_policy={"domain": {"DoNotAllowExceptions": 1}})
    ).allowed
    assert verdict(started_store(ocs_lab_policy={"domain": {"EnableFirewall": 0}}, **bare)).allowed
    # A GPO that voids local rules brings its own WinRM rule.
    voided = started_store(ocs_lab_policy={"domain": {"AllowLocalPolicyMerge": 0}})
    assert [r["name"] for r in voided["policy_rules"]] == [
        "Windows Remote Management (HTTP-In)"
    ] * 2
    assert verdict(voided).allowed
    voided.pop("policy_rules")
    assert not verdict(voided).allowed
    # A stopped firewall service filters nothing.
    assert verdict(started_store(ocs_lab_switch={"service": {"running": False}}, **bare)).allowed


def test_local_subnet_holds_the_controller_unless_told_otherwise() -> None:
    public = started_store(ocs_lab_current_profiles=["public"])
    assert verdict(public).allowed
    assert not verdict(public, local_subnet=False).allowed
    # Blocked in any profile the host is on: refused.
    both = started_store(ocs_lab_current_profiles=["domain", "public"])
    refused = verdict(both, local_subnet=False)
    assert (refused.allowed, refused.blocking) == (False, [4])


def test_the_gate_of_a_2003_host() -> None:
    assert verdict(started_store("5.2"), "5.2").allowed
    assert not verdict(started_store("5.2", ocs_lab_seed_winrm_rule=False), "5.2").allowed
    assert not verdict(
        started_store("5.2", ocs_lab_switch={"domain": {"block_all": True}}), "5.2"
    ).allowed
    off = started_store(
        "5.2", ocs_lab_seed_winrm_rule=False, ocs_lab_switch={"domain": {"enabled": False}}
    )
    assert verdict(off, "5.2").allowed
    scoped = [{"name": "Mgmt", "port": 5985, "remote_addresses": "LocalSubnet", "profile": 0}]
    local = started_store("5.2", ocs_lab_seed_winrm_rule=False, ocs_lab_foreign_rules=scoped)
    assert verdict(local, "5.2").allowed and not verdict(local, "5.2", local_subnet=False).allowed
    merged_off = started_store("5.2", ocs_lab_policy={"domain": {"AllowUserPrefMerge": 0}})
    assert not verdict(merged_off, "5.2").allowed


# --------------------------------------------------------------------------- a started lab

LAB = {
    "all": {
        "hosts": {
            # The firewall on, the WinRM rule admitting the controller: the default.
            "open01": {"ocs_lab_transport": "basic"},
            # No management rule, the firewall off: reachable until it is turned on. A task
            # left over by an earlier run (a switch replaces it).
            "off01": {
                "ocs_lab_transport": "basic",
                "ocs_firewall_address": "10.10.0.21",
                "ocs_lab_seed_winrm_rule": False,
                "ocs_lab_tasks": [TASK],
                "ocs_lab_switch": {
                    "domain": {"enabled": False},
                    "log": {"dropped": True, "size_kb": 64},
                },
            },
            "cut01": {"ocs_lab_transport": "ntlm"},
            "tls01": {"ocs_lab_transport": "https"},
            "bare01": {"ocs_lab_transport": "https", "ocs_lab_seed_winrm_rule": False},
            "w2003": {
                "ocs_lab_os": "5.2",
                "ocs_lab_transport": "ntlm",
                "ocs_lab_switch": {"log": {"dropped": True}},
            },
        }
    }
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    state_dir = tmp_path_factory.mktemp("switch-lab")
    written = api.start(LAB, state_dir)
    yield state_dir, written["all"]["hosts"]
    api.stop(state_dir)


def over_winrm(hosts: dict[str, Any], name: str, text: str) -> list[list[str]]:
    """One command over a new connection (pywinrm closes its session with the shell)."""
    stdout, stderr, rc = run(protocol(hosts[name]), _client.build_stdin(text, "switch"))
    assert stderr == b""
    recs = decoded(stdout.decode("utf-8"))
    assert (rc == 0) == (recs[-1] == ["DONE"]), recs
    return recs


class Kept:
    """A shell kept open, as Ansible's winrm connection keeps it from task to task: its
    commands go over the one TCP connection (HTTP keep-alive)."""

    def __init__(self, host_vars: dict[str, Any]) -> None:
        self.proto = protocol(host_vars)
        self.shell = self.proto.open_shell(codepage=65001)

    def send(self, text: str) -> list[list[str]]:
        parts = ShellModule()._encode_script(
            _client.bootstrap_text(), as_list=True, strict_mode=False, preserve_rc=False
        )
        command = self.proto.run_command(self.shell, parts[0], parts[1:], console_mode_stdin=False)
        self.proto.send_command_input(
            self.shell, command, _client.build_stdin(text, "switch"), end=True
        )
        stdout, _stderr, _rc = self.proto.get_command_output(self.shell, command)
        self.proto.cleanup_command(self.shell, command)
        return decoded(stdout.decode("utf-8"))

    def close(self) -> None:
        self.proto.close_shell(self.shell)


def refused(hosts: dict[str, Any], name: str) -> bool:
    """Whether a new connection to the host is refused (a connection error, no HTTP)."""
    try:
        proto = protocol(hosts[name])
        proto.close_shell(proto.open_shell())
    except requests.exceptions.ConnectionError:
        return True
    return False


def test_the_switch_script_runs_over_winrm_and_is_traced(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    api.trace(state_dir, ["open01"], reset=True)
    recs = over_winrm(hosts, "open01", request("state"))
    assert recs[0] == ["HOST", "6.1.7601.65536", "2.0"]
    (entry,) = api.trace(state_dir, ["open01"])["open01"]
    assert (entry["op"], entry["rc"], entry["script"]) == ("state", 0, "switch")
    assert entry["script_sha256"] != ""


def test_dump_shows_the_switch_state(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, _hosts = lab
    store = api.dump(state_dir, ["off01"])["off01"]
    assert store["service"] == {"start": 2, "running": True}
    assert store["logging"]["1"] == {"dropped": 1, "size_kb": 64, "path": switch.DEFAULT_LOG_PATH}
    assert store["profiles"]["1"]["enabled"] == 0
    assert list(store["tasks"]) == [TASK]
    assert list(store["files"]) == [LOG_2008]
    # Not stored: what the files and the task say of a rollback. Here a leftover task only.
    assert store["rollback"] == {
        "task": TASK,
        "next": store["tasks"][TASK]["next"],
        "due": None,
        "runner": None,
        "request": None,
    }
    assert api.dump(state_dir, ["open01"])["open01"]["rollback"] == {}


def test_the_lab_clock_moves_forward_only(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, _hosts = lab
    before = api.lab_now(state_dir)
    result = lab_cli("clock", "--state-dir", str(state_dir), "--advance", "60")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    now = datetime.datetime.strptime(printed["now"], "%Y-%m-%d %H:%M:%S")
    # (printed to the second)
    assert datetime.timedelta(seconds=3599) <= now - before < datetime.timedelta(minutes=61)
    assert printed["rolled_back"] == []
    assert (
        json.loads(lab_cli("clock", "--state-dir", str(state_dir)).stdout)["now"] >= printed["now"]
    )
    with pytest.raises(LabError, match="only goes forward"):
        api.advance_clock(state_dir, -1)


def test_turning_the_firewall_on_cuts_new_connections_only_until_the_rollback(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    assert not refused(hosts, "off01")
    kept = Kept(hosts["off01"])
    recs = kept.send(request("switch", arm(2), switch_line(1, 1, 0, 1, 0)))
    assert recs[0][0] == "ARMED" and recs[-1] == ["DONE"]
    armed = api.dump(state_dir, ["off01"])["off01"]["rollback"]
    assert (armed["task"], armed["due"], armed["next"]) == (TASK, recs[0][2], recs[0][2])
    assert armed["runner"] == RUNNER and armed["request"].startswith("OCSFW2\nOP\trollback\n")
    # The connection that carried the switch stays up (the firewall is stateful)...
    assert kept.send(request("state"))[-2][0] == "PENDING"
    # ... a new one is dropped, and logged: no rule admits the controller any more.
    assert refused(hosts, "off01")
    trace = api.trace(state_dir, ["off01"])["off01"]
    assert trace[-1]["op"] == "refused-connection" and trace[-1]["counts"] == {"logged": 1}
    last = api.dump(state_dir, ["off01"])["off01"]["files"][LOG_2008].split("\r\n")[-2]
    fields = last.split(" ")
    assert fields[2:6] == ["DROP", "TCP", CONTROLLER, "10.10.0.21"]
    assert fields[7:10] == ["5985", "48", "S"] and fields[-1] == "RECEIVE"
    assert fields[6] == str(trace[-1]["remote_port"])
    # Read over the kept connection, the log says so too.
    tail = kept.send(request("tail", "TAIL\t1\t4096"))
    assert [r[1] for r in tail if r[0] == "LOGLINE"] == [last]
    kept.close()

    # Due at the first whole minute after 2 minutes: not after 1, surely after 3.
    assert api.advance_clock(state_dir, 1) == []
    assert api.advance_clock(state_dir, 2) == ["off01"]
    assert not refused(hosts, "off01")
    store = api.dump(state_dir, ["off01"])["off01"]
    assert store["profiles"]["1"]["enabled"] == 0 and store["tasks"] == {}
    assert store["rollback"] == {}
    runs = [e for e in api.trace(state_dir, ["off01"])["off01"] if e["op"] == "rollback-task"]
    assert (runs[-1]["task"], runs[-1]["ran"], runs[-1]["rc"]) == (TASK, True, 0)


def test_cut_after_switch_refuses_every_new_connection_until_the_rollback_ran(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    faults = api.set_fault(state_dir, "cut01", cut_after_switch=True)
    assert faults == {"cut_after_switch": "armed"}
    assert not refused(hosts, "cut01")  # not before the switch
    recs = over_winrm(hosts, "cut01", request("switch", arm(1), "LOG\t1\t1\t32"))
    assert recs[-1] == ["DONE"]
    assert refused(hosts, "cut01") and refused(hosts, "cut01")
    trace = api.trace(state_dir, ["cut01"])["cut01"]
    assert [e["by"] for e in trace[-2:]] == ["cut_after_switch"] * 2
    # Logged as dropped: the switch turned the domain profile's log on.
    log = api.dump(state_dir, ["cut01"])["cut01"]["files"][LOG_2008]
    assert log.count(f" DROP TCP {CONTROLLER} ") == 2
    assert api.advance_clock(state_dir, 2) == ["cut01"]
    assert api.set_fault(state_dir, "cut01") == {}
    assert not refused(hosts, "cut01")
    assert api.dump(state_dir, ["cut01"])["cut01"]["logging"]["1"]["dropped"] == 0


def test_an_https_host_is_reached_through_its_own_rule(lab: tuple[Path, dict[str, Any]]) -> None:
    _state_dir, hosts = lab
    assert not refused(hosts, "tls01")
    assert refused(hosts, "bare01")
    # The written inventory says the port as the host sees it (the loopback one is a NAT's).
    assert hosts["tls01"]["ocs_firewall_winrm_port"] == 5986
    assert hosts["open01"]["ocs_firewall_winrm_port"] == 5985


def test_a_2003_host_rolls_back_its_profile_over_winrm(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    assert not refused(hosts, "w2003")
    recs = over_winrm(hosts, "w2003", request("switch", arm(1), switch_line(0, 1, 0, 1, 1)))
    assert [r[0] for r in recs] == ["ARMED", "SET", "DONE"]
    # ExceptionsNotAllowed: winrm quickconfig's entry no longer counts.
    assert refused(hosts, "w2003")
    assert " DROP TCP " in api.dump(state_dir, ["w2003"])["w2003"]["files"][LOG_2003]
    assert api.advance_clock(state_dir, 2) == ["w2003"]
    assert not refused(hosts, "w2003")
    assert api.dump(state_dir, ["w2003"])["w2003"]["legacy"]["0"]["exceptions_not_allowed"] == 0


def test_the_stop_firewall_fault_is_the_service_state(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    api.set_fault(state_dir, "bare01", stop_firewall=True)
    try:
        assert api.dump(state_dir, ["bare01"])["bare01"]["service"]["running"] is False
        # A stopped firewall filters nothing: the host without a rule is reachable.
        assert not refused(hosts, "bare01")
        recs = over_winrm(hosts, "bare01", request("state"))
        assert recs[0][0] == "HOST" and "(MpsSvc) is not running" in recs[-1][1]
    finally:
        api.set_fault(state_dir, "bare01", clear=True)
    assert api.dump(state_dir, ["bare01"])["bare01"]["service"]["running"] is True
    assert refused(hosts, "bare01")


def test_the_fault_command_takes_cut_after_switch(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, _hosts = lab
    result = lab_cli("fault", "--state-dir", str(state_dir), "open01", "--cut-after-switch")
    assert result.returncode == 0 and json.loads(result.stdout) == {"cut_after_switch": "armed"}
    api.set_fault(state_dir, "open01", clear=True)
