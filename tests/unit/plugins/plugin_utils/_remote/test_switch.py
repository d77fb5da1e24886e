"""The switch script's requests and replies (plugins/plugin_utils/_remote/_switch.py).

Replies are written here as ``_switch.ps1`` writes them (docs/dev/contracts.md, "The
switch"): a Windows Server 2008 R2 host (``6.1.7601.65536``) and a 2003 one
(``5.2.3790.131072``), every value a string base64 of UTF-8. Requests are held against
what the script's own ``Read-Switch`` accepts: :func:`read_switch` below mirrors it, with
the widths and bounds taken from the script text, so a request the host would refuse
("bad request") fails here first. No PowerShell runs on the build machines: the last
tests read the script for two mistakes PowerShell 2.0 would make on the host.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import pytest
from checkout import REMOTE_SCRIPTS, REPO

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import WireError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    Log,
    Settings,
    Switches,
    Wanted,
    changed_parts,
    target,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _switch
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._wire import Hold

SCRIPT = (REMOTE_SCRIPTS / "_switch.ps1").read_text(encoding="ascii")
PRELUDE = (REMOTE_SCRIPTS / "_prelude.ps1").read_text(encoding="ascii")
R2 = "6.1.7601.65536"
W2003 = "5.2.3790.131072"
LOG_PATH = r"%systemroot%\system32\LogFiles\Firewall\pfirewall.log"
TASK = "[ocs.firewall] rollback"


def b(text: str) -> str:
    """``B(x)`` as the script's ``Enc`` writes it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text else ""


def reply(*records: tuple[Any, ...], end: str = "DONE") -> str:
    """The script's stdout: the version line, one record a line, then ``end``."""
    lines = ["OCSFW2", *("\t".join(str(f) for f in r) for r in records), end]
    return "".join(f"{line}\n" for line in lines)


def state_2008(*extra: tuple[Any, ...], pending: str | None = None) -> str:
    """A 2008 R2 state as Invoke-State writes it: HOST, the settings (SERVICE, then each
    profile's SWITCH and LOG), each LOGPATH, then PENDING when a rollback is armed."""
    records: list[tuple[Any, ...]] = [
        ("HOST", b(R2), b("2.0")),
        ("SERVICE", 3, 0),
        ("SWITCH", 1, 1, 0, 1, 0),
        ("LOG", 1, 0, 4096),
        ("SWITCH", 2, 0, 1, 0, 0),
        ("LOG", 2, 1, 16384),
        ("SWITCH", 4, 1, 0, 1, 1),
        ("LOG", 4, 0, 4096),
        ("LOGPATH", 1, b(LOG_PATH)),
        ("LOGPATH", 2, b(r"D:\logs\private.log")),
        ("LOGPATH", 4, b(LOG_PATH)),
        *extra,
    ]
    if pending is not None:
        records.append(("PENDING", b(pending)))
    return reply(*records)


def state_2003(pending: str | None = None) -> str:
    records: list[tuple[Any, ...]] = [
        ("HOST", b(W2003), b("2.0")),
        ("SERVICE", 2, 1),
        ("SWITCH", 0, 1, 0, 1, 0),
        ("LOG", 0, 0, 4096),
        ("SWITCH", 1, 0, 0, 1, 1),
        ("LOG", 1, 1, 1024),
        ("LOGPATH", 0, b(r"C:\WINDOWS\pfirewall.log")),
        ("LOGPATH", 1, b(r"C:\WINDOWS\pfirewall.log")),
    ]
    if pending is not None:
        records.append(("PENDING", b(pending)))
    return reply(*records)


# --- what the script's Read-Switch accepts ---------------------------------------------------

# kind -> number of tab-separated fields, the kind included, as Read-Switch matches them.
WIDTHS = {
    kind: int(width)
    for kind, width in re.findall(r"\$kind -ceq '([A-Z]+)' -and \$f\.Length -eq (\d+)", SCRIPT)
}
_ARM = re.search(r"\$parsed\.Arm -lt (\d+) -or \$parsed\.Arm -gt (\d+)", SCRIPT)
_LOG = re.search(r"\$size -lt (\d+) -or \$size -gt (\d+)", SCRIPT)
_TAIL = re.search(r"Bytes -lt (\d+) -or \$parsed\.Tail\.Bytes -gt (\d+)", SCRIPT)
_STARTS = re.search(r"\$Starts = @\{([^}]*)\}", SCRIPT)
assert _ARM and _LOG and _TAIL and _STARTS, "Read-Switch's checks moved: update read_switch()"
ARM_BOUNDS = (int(_ARM[1]), int(_ARM[2]))
LOG_BOUNDS = (int(_LOG[1]), int(_LOG[2]))
TAIL_BOUNDS = (int(_TAIL[1]), int(_TAIL[2]))
STARTS = {int(n) for n in re.findall(r"(\d+) =", _STARTS[1])}
TYPES = {False: {1, 2, 4}, True: {0, 1}}


class BadRequest(AssertionError):
    """What the script would answer with ERROR "bad request: ..."."""


def _int(field: str) -> int:
    # [int]::Parse with the invariant culture: digits, an optional sign, spaces around.
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", field):
        raise BadRequest(f"[int]::Parse refuses {field!r}")
    return int(field)


def _dec(field: str) -> str:
    try:
        return base64.b64decode(field, validate=True).decode("utf-8") if field else ""
    except (binascii.Error, UnicodeError) as exc:
        raise BadRequest(f"Dec refuses {field!r}: {exc}") from None


def read_switch(text: str, *, legacy: bool = False) -> dict[str, Any]:
    """Read-Switch of _switch.ps1, line for line: the parsed request, or BadRequest."""
    parsed: dict[str, Any] = {
        "op": "",
        "arm": 0,
        "runner": "",
        "holdmark": "",
        "service": None,
        "tail": None,
        "profiles": [],
        "logs": [],
        "releases": [],
        "lines": [],
    }
    lines = text.split("\n")
    if lines[0].rstrip("\r") != "OCSFW2":
        raise BadRequest("it does not start with OCSFW2")
    ended = False
    for raw in lines[1:]:
        line = raw.rstrip("\r")
        if not line:
            continue
        if ended:
            raise BadRequest("text after END")
        f = line.split("\t")
        kind = f[0]
        parsed["lines"].append(kind)
        if WIDTHS.get(kind) != len(f):
            raise BadRequest(f"unexpected line {line!r}")
        if kind == "OP":
            parsed["op"] = f[1]
        elif kind == "ARM":
            parsed["arm"], parsed["runner"] = _int(f[1]), _dec(f[2])
        elif kind == "HOLDMARK":
            parsed["holdmark"] = _dec(f[1])
        elif kind == "DUE":
            parsed["due"] = _dec(f[1])
        elif kind == "RELEASE":
            if legacy:
                raise BadRequest("a RELEASE line on 2003")
            parsed["releases"].append((_dec(f[1]), _dec(f[2])))
        elif kind == "SERVICE":
            if _int(f[1]) not in STARTS:
                raise BadRequest(f"start {f[1]}")
            parsed["service"] = (_int(f[1]), f[2] == "1")
        elif kind == "SWITCH":
            if _int(f[1]) not in TYPES[legacy]:
                raise BadRequest(f"profile type {f[1]}")
            flags = tuple(v == "1" for v in f[2:])
            parsed["profiles"].append((_int(f[1]), *flags))
        elif kind == "LOG":
            if _int(f[1]) not in TYPES[legacy]:
                raise BadRequest(f"profile type {f[1]}")
            size = _int(f[3])
            if not LOG_BOUNDS[0] <= size <= LOG_BOUNDS[1]:
                raise BadRequest(f"a log of {size} KB")
            parsed["logs"].append((_int(f[1]), f[2] == "1", size))
        elif kind == "TAIL":
            parsed["tail"] = (_int(f[1]), _int(f[2]))
        elif kind == "END":
            ended = True
    if not ended:
        raise BadRequest("no END line")
    op = parsed["op"]
    if op not in ("state", "switch", "confirm", "tail", "rollback"):
        raise BadRequest(f"OP {op!r}")
    settings = len(parsed["profiles"]) + len(parsed["logs"]) + (parsed["service"] is not None)
    if op == "switch" and (
        not ARM_BOUNDS[0] <= parsed["arm"] <= ARM_BOUNDS[1] or not parsed["runner"] or not settings
    ):
        raise BadRequest("a switch needs ARM and a setting to change")
    if op == "tail" and (
        parsed["tail"] is None
        or parsed["tail"][0] < 1
        or not TAIL_BOUNDS[0] <= parsed["tail"][1] <= TAIL_BOUNDS[1]
    ):
        raise BadRequest("a tail needs TAIL")
    if parsed["releases"] and not parsed["holdmark"]:
        raise BadRequest("RELEASE needs a HOLDMARK")
    if op not in ("switch", "rollback") and settings:
        raise BadRequest(f"a {op} changes no setting")
    return parsed


def test_the_mirror_refuses_what_the_script_refuses() -> None:
    """Negative controls: read_switch() can fail, so the tests that use it can."""
    good = "OCSFW2\nOP\tswitch\nARM\t5\tcnVu\nSERVICE\t2\t1\nEND\n"
    assert read_switch(good)["service"] == (2, True)
    for bad in (
        good.replace("OCSFW2", "OCSFW1"),
        good.replace("END\n", ""),
        good + "SERVICE\t2\t1\n",
        good.replace("ARM\t5", "ARM\t0"),
        good.replace("ARM\t5", "ARM\t1441"),
        good.replace("\tcnVu", "\t"),
        good.replace("SERVICE\t2\t1", "SERVICE\t5\t1"),
        good.replace("SERVICE\t2\t1", "SERVICE\t2\t1\t0"),
        good.replace("SERVICE\t2\t1", "LOG\t1\t1\t0"),
        good.replace("SERVICE\t2\t1", "LOG\t1\t1\t32768"),
        good.replace("SERVICE\t2\t1", "SWITCH\t3\t1\t0\t1\t0"),
        good.replace("SERVICE\t2\t1", "SERVICE\t2\t1\nRELEASE\tZw==\tbg=="),
        good.replace("switch", "state"),
    ):
        with pytest.raises(BadRequest):
            read_switch(bad)
    with pytest.raises(BadRequest):
        read_switch(good.replace("SERVICE\t2\t1", "SWITCH\t4\t1\t0\t1\t0"), legacy=True)


def contract_widths() -> dict[str, int]:
    """The request lines of docs/dev/contracts.md's "The switch", as field counts."""
    text = (REPO / "docs" / "dev" / "contracts.md").read_text(encoding="utf-8")
    section = text.split("## The switch", 1)[1].split("\n## ", 1)[0]
    block = section.split("Request:\n```\n", 1)[1].split("```", 1)[0]
    widths = {}
    for line in block.splitlines():
        fields = line.split("#", 1)[0].rstrip().split("\t")
        widths[fields[0]] = len(fields)
    del widths["OCSFW2"]
    return widths


def test_the_script_takes_the_request_lines_the_contract_gives() -> None:
    assert WIDTHS == contract_widths()
    assert ARM_BOUNDS == (1, _switch.MAX_CONFIRM_MINUTES) == (1, 1439)
    assert LOG_BOUNDS == (1, 32767)
    assert TAIL_BOUNDS == (1, _switch.MAX_TAIL_BYTES)


# --- settings: 2008 R2 -----------------------------------------------------------------------


def test_a_2008_r2_state_reads_back_as_the_host_has_it() -> None:
    settings = _switch.settings_of(_switch.decode_reply(state_2008()))
    assert settings == Settings(
        legacy=False,
        service="MpsSvc",
        start=3,
        running=False,
        profiles=(
            ("domain", Switches(enabled=True, inbound="block", outbound="allow")),
            ("private", Switches(enabled=False, inbound="allow", outbound="block")),
            ("public", Switches(enabled=True, inbound="block", outbound="allow", block_all=True)),
        ),
        logs=(
            ("domain", Log(dropped=False, size_kb=4096)),
            ("private", Log(dropped=True, size_kb=16384)),
            ("public", Log(dropped=False, size_kb=4096)),
        ),
        paths=(("domain", LOG_PATH), ("private", r"D:\logs\private.log"), ("public", LOG_PATH)),
        pending=None,
    )


def test_an_armed_rollback_is_read_with_its_due_time() -> None:
    settings = _switch.settings_of(_switch.decode_reply(state_2008(pending="2024-05-01 14:07")))
    assert settings.pending == "2024-05-01 14:07"


def test_profiles_come_in_type_order_whatever_order_the_lines_had() -> None:
    lines = state_2008().splitlines()
    # SWITCH 4 and its LOG before SWITCH 1.
    shuffled = [lines[0], lines[1], lines[2], lines[7], lines[8], *lines[3:7], *lines[9:]]
    settings = _switch.settings_of(_switch.decode_reply("\n".join(shuffled) + "\n"))
    assert [n for n, _s in settings.profiles] == ["domain", "private", "public"]
    assert [n for n, _l in settings.logs] == ["domain", "private", "public"]


def test_carriage_returns_and_blank_lines_do_not_matter() -> None:
    text = state_2008().replace("\n", "\r\n").replace("SERVICE", "\r\nSERVICE")
    assert _switch.settings_of(_switch.decode_reply(text)) == _switch.settings_of(
        _switch.decode_reply(state_2008())
    )


# --- settings: 2003 --------------------------------------------------------------------------


def test_a_2003_state_reads_back_as_its_two_profiles() -> None:
    settings = _switch.settings_of(_switch.decode_reply(state_2003(pending="2024-05-01 23:59")))
    assert settings == Settings(
        legacy=True,
        service="SharedAccess",
        start=2,
        running=True,
        profiles=(
            ("domain", Switches(enabled=True)),
            ("standard", Switches(enabled=False, block_all=True)),
        ),
        logs=(("domain", Log(False, 4096)), ("standard", Log(True, 1024))),
        paths=(("domain", r"C:\WINDOWS\pfirewall.log"), ("standard", r"C:\WINDOWS\pfirewall.log")),
        pending="2024-05-01 23:59",
    )


def test_a_host_is_2003_by_its_major_version() -> None:
    text = state_2003().replace(b(W2003), b("5.2.3790"))
    assert _switch.settings_of(_switch.decode_reply(text)).legacy
    text = state_2008().replace(b(R2), b("6.0.6002.131072"))
    assert not _switch.settings_of(_switch.decode_reply(text)).legacy


# --- other replies ---------------------------------------------------------------------------


def test_a_switch_reply_says_what_was_armed_and_set() -> None:
    text = reply(
        ("ARMED", b(TASK), b("2024-05-01 14:07")),
        ("SET", b("service")),
        ("SET", b("profile 1")),
        ("SET", b("log 1")),
        ("SET", b("log 4")),
    )
    armed = _switch.armed_of(_switch.decode_reply(text))
    assert armed == _switch.Armed(
        TASK, "2024-05-01 14:07", ("service", "profile 1", "log 1", "log 4")
    )


def test_a_refused_setting_comes_back_as_the_error_after_armed() -> None:
    message = (
        "a setting was refused, and the previous settings were restored: the domainprofile: "
        "netsh.exe exited with 1: Ok\u00e9?"
    )
    text = reply(
        ("ARMED", b(TASK), b("2024-05-01 14:07")), ("SET", b("service")), end=f"ERROR\t{b(message)}"
    )
    found = _switch.decode_reply(text)
    assert (found.done, found.error) == (False, message)
    assert found.of("ARMED") == [[b(TASK), b("2024-05-01 14:07")]]


@pytest.mark.parametrize(("flag", "armed"), [("1", True), ("0", False)])
def test_a_confirmation_says_whether_the_rollback_was_still_armed(flag: str, armed: bool) -> None:
    assert _switch.confirmed_of(_switch.decode_reply(reply(("CONFIRMED", flag)))) is armed


def test_a_tail_gives_each_log_file_and_its_last_lines() -> None:
    path = r"C:\Windows\system32\LogFiles\Firewall\pfirewall.log"
    drop = "2024-05-01 14:02:11 DROP TCP 10.10.5.9 10.10.5.20 50123 5985 48 S 1 0 0 - - - RECEIVE"
    text = reply(
        ("LOGFILE", b(path), 123456),
        ("LOGLINE", b("#Fields: date time action protocol src-ip dst-ip")),
        ("LOGLINE", b(drop)),
        ("LOGFILE", b(r"D:\missing.log"), -1),
    )
    assert _switch.tail_of(_switch.decode_reply(text)) == _switch.Tail(
        ((path, 123456), (r"D:\missing.log", -1)),
        ("#Fields: date time action protocol src-ip dst-ip", drop),
    )


# --- malformed replies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not start with OCSFW2"),
        ("OCSFW1\nDONE\n", "does not start with OCSFW2"),
        ("Access is denied.\r\n", "does not start with OCSFW2"),
        (reply(("GREETING", "x")), "unexpected record 'GREETING'"),
        (reply(("SWITCH", 1, 1, 0, 1)), "unexpected record 'SWITCH'"),
        (reply(("SWITCH", 1, 1, 0, 1, 0, 0)), "unexpected record 'SWITCH'"),
        (reply(("SERVICE", 2)), "unexpected record 'SERVICE'"),
        (reply(("LOG", 1, 0, 4096, 1)), "unexpected record 'LOG'"),
        (reply(("ARMED", b(TASK))), "unexpected record 'ARMED'"),
        (reply(("CONFIRMED",)), "unexpected record 'CONFIRMED'"),
        (reply(end="DONE\tnow"), "unexpected record 'DONE'"),
        (reply(end="ERROR"), "unexpected record 'ERROR'"),
        (reply(end="ERROR\tnot base64!"), "line 2"),
        (reply(end="DONE\nSET\t" + b("service")), "line 3: a record after the end"),
        (reply(end="DONE\nDONE"), "a record after the end"),
        (reply(end=f"ERROR\t{b('x')}\nDONE"), "a record after the end"),
    ],
)
def test_a_malformed_reply_is_refused(text: str, message: str) -> None:
    with pytest.raises(WireError, match=re.escape(message)):
        _switch.decode_reply(text)


def without(text: str, kind: str, type_: int) -> str:
    return "".join(
        line for line in text.splitlines(True) if not line.startswith(f"{kind}\t{type_}\t")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (without(state_2008(), "SWITCH", 4), "a SWITCH and a LOG record for each profile"),
        # A profile missing whole (its SWITCH and its LOG).
        (
            without(without(state_2008(), "SWITCH", 4), "LOG", 4),
            "a SWITCH and a LOG record for each profile",
        ),
        (
            without(without(state_2003(), "SWITCH", 0), "LOG", 0),
            "a SWITCH and a LOG record for each profile",
        ),
        (without(state_2008(), "SWITCH", 1), "a SWITCH and a LOG record for each profile"),
        (without(state_2008(), "LOG", 2), "a SWITCH and a LOG record for each profile"),
        (without(state_2003(), "SWITCH", 1), "a SWITCH and a LOG record for each profile"),
        (state_2008(("SWITCH", 0, 1, 0, 1, 0)), "profile type 0 is not one of this Windows"),
        (state_2003().replace("SWITCH\t1\t", "SWITCH\t4\t"), "profile type 4 is not one"),
        (state_2008(("LOG", 8, 1, 4096)), "LOG: profile type 8"),
        (state_2008().replace("SWITCH\t1\t1\t", "SWITCH\t1\t2\t"), "'2' is not 0 or 1"),
        (
            state_2008().replace("SWITCH\t2\t0\t1\t0\t0", "SWITCH\t2\t0\t1\t0\tyes"),
            "'yes' is not 0 or 1",
        ),
        (state_2008().replace("SWITCH\t1\t1\t0\t", "SWITCH\t1\t1\t2\t"), "'2' is not an action"),
        (
            state_2008().replace("SWITCH\t1\t1\t0\t1", "SWITCH\t1\t1\t0\tallow"),
            "'allow' is not an action",
        ),
        (
            state_2008().replace("SERVICE\t3\t0", "SERVICE\t3\ttrue"),
            "SERVICE: 'true' is not 0 or 1",
        ),
        (
            state_2008().replace("SERVICE\t3\t0", "SERVICE\tauto\t0"),
            "SERVICE: 'auto' is not an integer",
        ),
        (state_2008().replace("LOG\t1\t0\t", "LOG\t1\t-\t"), "LOG: '-' is not 0 or 1"),
        (state_2008().replace("LOG\t1\t0\t4096", "LOG\t1\t0\t4 096"), "'4 096' is not an integer"),
        (state_2008(("SERVICE", 2, 1)), "one HOST and one SERVICE"),
        (state_2008().replace(b(R2), b("Windows")), "HOST: 'Windows' is not an integer"),
        (state_2008().replace(b(R2), ""), "is not an integer"),
        (state_2008(("PENDING", "%%%")), "PENDING"),
        (state_2008(("LOGPATH", 1, "%%%")), "LOGPATH"),
    ],
)
def test_a_state_that_is_not_whole_is_refused(text: str, message: str) -> None:
    with pytest.raises(WireError, match=re.escape(message)):
        _switch.settings_of(_switch.decode_reply(text))


def test_a_state_without_its_host_line_is_refused() -> None:
    text = "".join(line for line in state_2008().splitlines(True) if not line.startswith("HOST"))
    with pytest.raises(WireError, match="one HOST and one SERVICE"):
        _switch.settings_of(_switch.decode_reply(text))


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (reply(("SET", b("service"))), _switch.armed_of),
        (reply(("ARMED", b(TASK), b("t")), ("ARMED", b(TASK), b("t"))), _switch.armed_of),
        (reply(("ARMED", "***", b("t"))), _switch.armed_of),
        (reply(), _switch.confirmed_of),
        (reply(("CONFIRMED", "1"), ("CONFIRMED", "0")), _switch.confirmed_of),
        (reply(("CONFIRMED", "yes")), _switch.confirmed_of),
        (reply(("LOGFILE", b("x"), "big")), _switch.tail_of),
        (reply(("LOGLINE", "***")), _switch.tail_of),
    ],
)
def test_a_reply_without_what_its_request_gives_is_refused(text: str, read: Any) -> None:
    with pytest.raises(WireError):
        read(_switch.decode_reply(text))


# --- requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op"),
    [(_switch.encode_state(), "state"), (_switch.encode_confirm(), "confirm")],
)
def test_a_state_and_a_confirm_carry_nothing_but_their_op(text: str, op: str) -> None:
    assert text == f"OCSFW2\nOP\t{op}\nEND\n"
    assert read_switch(text)["op"] == op
    assert read_switch(text, legacy=True)["op"] == op


@pytest.mark.parametrize(("lines", "max_bytes"), [(1, 1), (50, 65536), (10_000, 1048576)])
def test_a_tail_is_what_the_script_takes(lines: int, max_bytes: int) -> None:
    text = _switch.encode_tail(lines, max_bytes)
    assert read_switch(text)["tail"] == (lines, max_bytes)


@pytest.mark.parametrize(("lines", "max_bytes"), [(0, 1024), (-1, 1024), (5, 0), (5, 1048577)])
def test_a_tail_the_script_would_refuse_is_refused_here(lines: int, max_bytes: int) -> None:
    with pytest.raises(WireError):
        _switch.encode_tail(lines, max_bytes)


def settings_2008() -> Settings:
    return _switch.settings_of(_switch.decode_reply(state_2008()))


def switch_of(before: Settings, wanted: Wanted, **options: Any) -> tuple[Settings, str]:
    """The switch request a run sends for ``wanted``, as _enforce.switch builds it."""
    after = target(before, wanted)
    service, profiles, logs = changed_parts(before, after)
    options.setdefault("minutes", 5)
    options.setdefault("runner", _client.script_text("switch"))
    text = _switch.encode_switch(after, service=service, profiles=profiles, logs=logs, **options)
    return after, text


def test_an_enforcing_switch_is_what_the_script_takes_and_sets_what_was_planned() -> None:
    before = _switch.settings_of(_switch.decode_reply(state_2008()))
    after, text = switch_of(
        before, Wanted(enforce=True, profiles=("domain", "public"), log_dropped=True)
    )
    parsed = read_switch(text)
    assert parsed["op"] == "switch"
    assert parsed["arm"] == 5
    assert parsed["service"] == (2, True)
    # Public blocked all inbound: it is set whole, outbound as it was. Domain was enforced
    # already, private is not the rules': neither is sent.
    assert parsed["profiles"] == [(4, True, False, True, False)]
    # The log reaches every profile: domain's was off, private's 16384 KB.
    assert parsed["logs"] == [(1, True, 4096), (2, True, 4096), (4, True, 4096)]
    assert parsed["lines"] == ["OP", "ARM", "SERVICE", "SWITCH", "LOG", "LOG", "LOG", "END"]
    assert after.profile("private") == before.profile("private")


def test_a_2003_switch_is_what_its_script_takes() -> None:
    before = _switch.settings_of(_switch.decode_reply(state_2003()))
    _after, text = switch_of(
        before, Wanted(enforce=True, profiles=("public",), log_dropped=True, log_size_kb=32767)
    )
    parsed = read_switch(text, legacy=True)
    assert parsed["service"] is None
    # The standard profile (type 1): on, exceptions allowed.
    assert parsed["profiles"] == [(1, True, False, True, False)]
    assert parsed["logs"] == [(0, True, 32767), (1, True, 32767)]


def test_the_runner_travels_whole_as_base64() -> None:
    runner = _client.script_text("switch")
    _after, text = switch_of(settings_2008(), Wanted(enforce=True, profiles=("private",)))
    (arm,) = [line for line in text.splitlines() if line.startswith("ARM\t")]
    assert arm.split("\t")[2] == b(runner)
    assert read_switch(text)["runner"] == runner


@pytest.mark.parametrize("minutes", [1, 1439])
def test_a_rollback_is_armed_from_one_minute_to_a_day(minutes: int) -> None:
    _after, text = switch_of(settings_2008(), Wanted(enforce=True), minutes=minutes)
    assert read_switch(text)["arm"] == minutes


@pytest.mark.parametrize("minutes", [0, -5, 1441, 10_000])
def test_a_rollback_the_script_would_refuse_is_refused_here(minutes: int) -> None:
    with pytest.raises(WireError, match=f"a rollback in {minutes} minutes"):
        switch_of(settings_2008(), Wanted(enforce=True), minutes=minutes)


def test_a_switch_that_changes_nothing_is_refused() -> None:
    settings = settings_2008()
    with pytest.raises(WireError, match="changes nothing"):
        _switch.encode_switch(settings, service=False, profiles=(), logs=(), minutes=5, runner="x")


@pytest.mark.parametrize("size", [1, 32767])
def test_a_log_from_1_to_32767_kb_is_sent(size: int) -> None:
    _after, text = switch_of(settings_2008(), Wanted(log_dropped=True, log_size_kb=size))
    assert {s for _t, _d, s in read_switch(text)["logs"]} == {size}


@pytest.mark.parametrize("size", [0, 32768, 65536])
def test_a_log_windows_would_refuse_is_refused_here(size: int) -> None:
    with pytest.raises(WireError, match=f"a log of {size} KB"):
        switch_of(settings_2008(), Wanted(log_dropped=True, log_size_kb=size))


def test_held_rules_come_back_after_the_holdmark() -> None:
    holds = (Hold("OCS 2007 R2", "OCS Director (TCP-In)"), Hold("OCS 2007 R2", "A\tname\n\u00e9"))
    mark = " (held by ocs.firewall: the collection's rules cover its ports)"
    _after, text = switch_of(
        settings_2008(), Wanted(enforce=True, profiles=("domain",)), releases=holds, hold_mark=mark
    )
    kinds = [line.split("\t")[0] for line in text.splitlines()]
    assert kinds.index("HOLDMARK") < kinds.index("RELEASE")
    assert kinds.count("HOLDMARK") == 1
    parsed = read_switch(text)
    assert parsed["holdmark"] == mark
    assert parsed["releases"] == [(h.group, h.name) for h in holds]


def test_no_holdmark_without_rules_to_release() -> None:
    _after, text = switch_of(settings_2008(), Wanted(enforce=True), hold_mark="mark")
    assert "HOLDMARK" not in text


def test_only_the_parts_named_are_sent() -> None:
    before = settings_2008()
    after = target(before, Wanted(enforce=True, profiles=("domain", "private", "public")))
    text = _switch.encode_switch(
        after, service=False, profiles=["private"], logs=[], minutes=5, runner="r"
    )
    parsed = read_switch(text)
    assert (parsed["service"], parsed["profiles"], parsed["logs"]) == (
        None,
        [(2, True, False, False, False)],
        [],
    )


# --- the script as PowerShell 2.0 runs it ----------------------------------------------------


def _top_level_variables(text: str) -> set[str]:
    """The script's own variables (a preference such as $ErrorActionPreference a function
    sets for itself on purpose is not one)."""
    found = {m.lower() for m in re.findall(r"(?m)^\$(\w+)\s*=", text)}
    return {name for name in found if not name.endswith("preference")}


def _functions(text: str) -> dict[str, str]:
    return dict(re.findall(r"(?ms)^function ([\w-]+).*?\{\n(.*?)^\}", text))


def test_no_function_takes_the_name_of_a_script_variable() -> None:
    """PowerShell's variable names ignore case and its scopes are dynamic: a function that
    assigns ``$saved`` hides the script's ``$Saved`` from itself and from every function
    it calls. The switch's rollback request would then be written to, read from and
    removed at a "path" that is the request's text."""
    script_wide = _top_level_variables(PRELUDE) | _top_level_variables(SCRIPT)
    found = []
    for name, body in _functions(PRELUDE + SCRIPT).items():
        assigned = set(re.findall(r"\$(\w+)\s*=[^=]", body))
        assigned |= set(re.findall(r"foreach \(\$(\w+) in", body))
        found += [f"{name}: ${v}" for v in sorted(assigned) if v.lower() in script_wide]
    assert found == []
    # Negative control: the check sees an assignment that shadows.
    shadow = "function Bad {\n$runner = 'x'\n}\n"
    assert any(
        v.lower() in script_wide
        for body in _functions(shadow).values()
        for v in re.findall(r"\$(\w+)\s*=[^=]", body)
    )


def test_deleting_a_task_that_is_not_there_does_not_stop_the_script() -> None:
    """With ``$ErrorActionPreference = 'Stop'`` (the prelude's), Windows PowerShell turns
    each line a native program writes to stderr, once merged with ``2>&1``, into a
    terminating NativeCommandError. ``schtasks /delete`` of a task that does not exist
    (before every switch; in a confirmation after the rollback ran) writes "ERROR: ..." to
    stderr and must not stop the script: it runs where the preference is Continue."""
    assert "$ErrorActionPreference = 'Stop'" in PRELUDE
    found = []
    for name, body in _functions(SCRIPT).items():
        relaxed = re.search(r"\$ErrorActionPreference\s*=\s*'(Continue|SilentlyContinue)'", body)
        for line in body.splitlines():
            if re.search(r"schtasks(\.exe)?\s+/delete", line) and "2>&1" in line and not relaxed:
                found.append(f"{name}: {line.strip()}")
    assert found == []
