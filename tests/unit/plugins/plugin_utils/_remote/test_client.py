"""Static checks of the two PowerShell files that run on the Windows hosts.

No PowerShell runs on the build machines, so these checks are what stands between a typo
and a failing production host: the files must parse, use nothing newer than PowerShell
2.0, stay ASCII, agree with the Python side of the protocol, and the bootstrap must
survive the way Ansible's winrm connection re-encodes a command.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell
from ansible.plugins.shell.powershell import ShellModule
from checkout import REMOTE_SCRIPTS as UTILS
from ocs_lab import firewall as lab_firewall

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _settings,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import (
    _client,
    _convert,
    _platform,
    _switch,
    _wire,
)

FILES = {
    name: (UTILS / name).read_bytes()
    for name in ("_bootstrap.ps1", "_prelude.ps1", "_firewall.ps1", "_switch.ps1")
}
# What runs on the host: the prelude, then one of the two scripts.
SCRIPTS = {
    "firewall": FILES["_prelude.ps1"] + FILES["_firewall.ps1"],
    "switch": FILES["_prelude.ps1"] + FILES["_switch.ps1"],
}
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))

# What PowerShell 2.0 / .NET 3.5 lacks, as (why, pattern). Matched on the script text.
NEWER_THAN_PS2 = [
    ("ConvertTo-Json is PowerShell 3.0", r"(?i)\bConvertTo-Json\b"),
    ("ConvertFrom-Json is PowerShell 3.0", r"(?i)\bConvertFrom-Json\b"),
    ("NetSecurity cmdlets need Windows 8 / 2012", r"(?i)-NetFirewall"),
    ("[ordered] is PowerShell 3.0", r"(?i)\[ordered\]"),
    ("::new() is PowerShell 5.0", r"(?i)::new\s*\("),
    ("-in / -notin are PowerShell 3.0", r"(?i)\s-(not)?in\s"),
    ("[pscustomobject] casts are PowerShell 3.0", r"(?i)\[pscustomobject\]"),
    (".ForEach() is PowerShell 4.0", r"(?i)\.ForEach\s*\("),
    (".Where() is PowerShell 4.0", r"(?i)\.Where\s*\("),
    ("$PSItem is PowerShell 3.0", r"(?i)\$PSItem\b"),
    ("-shl / -shr are PowerShell 3.0", r"(?i)-sh[lr]\b"),
    ("classes are PowerShell 5.0", r"(?im)^\s*class\s+\w"),
    ("enums are PowerShell 5.0", r"(?im)^\s*enum\s+\w"),
    ("using namespace is PowerShell 5.0", r"(?i)\busing\s+(namespace|module)\b"),
    (
        "simplified Where-Object/ForEach-Object syntax is PowerShell 3.0",
        r"(?i)\b(Where-Object|ForEach-Object|where|\?|%)\s+-?\w+\s+-(eq|ne|like|match|gt|lt)\b",
    ),
    ("Invoke-RestMethod/WebRequest are PowerShell 3.0", r"(?i)\bInvoke-(RestMethod|WebRequest)\b"),
    ("Get-CimInstance is PowerShell 3.0", r"(?i)\b\w+-Cim\w+\b"),
    ("$PSScriptRoot outside a module is PowerShell 3.0", r"(?i)\$PSScriptRoot\b"),
    ("-PipelineVariable is PowerShell 4.0", r"(?i)-PipelineVariable\b"),
    ("[System.Net.Http] needs .NET 4.5", r"(?i)System\.Net\.Http"),
    ("Task/async APIs need .NET 4", r"(?i)System\.Threading\.Tasks"),
]

# Snippets each pattern must catch (negative controls: the checks can fail).
BAD_SNIPPETS = {
    "ConvertTo-Json is PowerShell 3.0": "$x | ConvertTo-Json",
    "ConvertFrom-Json is PowerShell 3.0": "$s | ConvertFrom-Json",
    "NetSecurity cmdlets need Windows 8 / 2012": "Get-NetFirewallRule -Group x",
    "[ordered] is PowerShell 3.0": "$h = [ordered]@{}",
    "::new() is PowerShell 5.0": "[Text.StringBuilder]::new()",
    "-in / -notin are PowerShell 3.0": "if ($a -in $b) { }",
    "[pscustomobject] casts are PowerShell 3.0": "$o = [PSCustomObject]@{ a = 1 }",
    ".ForEach() is PowerShell 4.0": "$list.ForEach({ $_ })",
    ".Where() is PowerShell 4.0": "$list.Where({ $_ })",
    "$PSItem is PowerShell 3.0": "$rules | % { $PSItem.Name }",
    "-shl / -shr are PowerShell 3.0": "$a = 1 -shl 2",
    "classes are PowerShell 5.0": "class Rule { [string]$Name }",
    "enums are PowerShell 5.0": "enum Dir { In; Out }",
    "using namespace is PowerShell 5.0": "using namespace System.Text",
    "simplified Where-Object/ForEach-Object syntax is PowerShell 3.0": (
        "$r = $rules | Where-Object Grouping -eq 'x'"
    ),
    "Invoke-RestMethod/WebRequest are PowerShell 3.0": "Invoke-WebRequest http://x",
    "Get-CimInstance is PowerShell 3.0": "Get-CimInstance Win32_Service",
    "$PSScriptRoot outside a module is PowerShell 3.0": "Join-Path $PSScriptRoot x",
    "-PipelineVariable is PowerShell 4.0": "Get-Item x -PipelineVariable p",
    "[System.Net.Http] needs .NET 4.5": "[System.Net.Http.HttpClient]",
    "Task/async APIs need .NET 4": "[System.Threading.Tasks.Task]::Run",
}

# Commands the remote scripts may call besides their own functions: all in PowerShell 2.0,
# and the programs every Windows Server 2003, 2008 and 2008 R2 has in System32.
PS2_COMMANDS = {"New-Object", "Get-Service", "Set-StrictMode", "Start-Service", "Stop-Service"}
SYSTEM32_PROGRAMS = {"schtasks.exe"}


def _nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def syntax_problems(source: bytes) -> list[str]:
    tree = PARSER.parse(source)
    return [
        f"{n.type} at line {n.start_point[0] + 1}: {source[n.start_byte : n.end_byte][:60]!r}"
        for n in _nodes(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


def newer_constructs(text: str) -> list[str]:
    return [why for why, pattern in NEWER_THAN_PS2 if re.search(pattern, text)]


def _texts(source: bytes, node_type: str) -> set[str]:
    """The text of every node of ``node_type`` in the parsed ``source``."""
    nodes = _nodes(PARSER.parse(source).root_node)
    return {source[n.start_byte : n.end_byte].decode() for n in nodes if n.type == node_type}


def called_commands(source: bytes) -> set[str]:
    return _texts(source, "command_name")


def defined_functions(source: bytes) -> set[str]:
    return _texts(source, "function_name")


def emitted_field_counts(source: bytes) -> dict[str, int]:
    """Number of fields of each record the script writes: with its Emit function, and the
    records a Get-*Line function builds as an array (RULE and OPENPORT, which a read writes
    and a digest is made of)."""
    tree = PARSER.parse(source)
    counts: dict[str, int] = {}
    for function in _nodes(tree.root_node):
        names = [c for c in function.children if c.type == "function_name"]
        if function.type != "function_statement" or not names:
            continue
        name = source[names[0].start_byte : names[0].end_byte].decode()
        if not (name.startswith("Get-") and name.endswith("Line")):
            continue
        for array in (n for n in _nodes(function) if n.type == "array_literal_expression"):
            items = [c for c in array.children if c.type == "unary_expression"]
            first = source[items[0].start_byte : items[0].end_byte].decode() if items else ""
            if re.fullmatch(r"'[A-Z]+'", first):
                counts[first.strip("'")] = len(items)
    for node in _nodes(tree.root_node):
        names = [c for c in node.children if c.type == "command_name"]
        if node.type != "command" or not names:
            continue
        if source[names[0].start_byte : names[0].end_byte] != b"Emit":
            continue
        elements = next(c for c in node.children if c.type == "command_elements")
        args = [c for c in elements.children if c.type != "command_argument_sep"]
        assert len(args) == 1, "Emit takes one comma-separated list"
        if args[0].type == "array_literal_expression":
            items = [c for c in args[0].children if c.type == "unary_expression"]
        else:
            items = [args[0]]
        kind = source[items[0].start_byte : items[0].end_byte].decode().strip("'")
        counts[kind] = len(items)
    return counts


# --- the checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FILES))
def test_parses_without_errors(name: str) -> None:
    assert syntax_problems(FILES[name]) == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_ascii_only(name: str) -> None:
    FILES[name].decode("ascii")


@pytest.mark.parametrize("name", sorted(FILES))
def test_nothing_newer_than_powershell_2(name: str) -> None:
    assert newer_constructs(FILES[name].decode("ascii")) == []


@pytest.mark.parametrize(("why", "pattern"), NEWER_THAN_PS2)
def test_each_check_catches_its_bad_snippet(why: str, pattern: str) -> None:
    snippet = BAD_SNIPPETS[why]
    assert re.search(pattern, snippet), f"{why}: pattern misses {snippet!r}"
    assert why in newer_constructs(FILES["_firewall.ps1"].decode() + "\n" + snippet + "\n")


def test_negative_controls_for_syntax_and_ascii() -> None:
    assert syntax_problems(b"function Broken( { $x = \n")
    assert syntax_problems(b"if ($a { }\n")
    with pytest.raises(UnicodeDecodeError):
        "$x = 'caf\u00e9'".encode().decode("ascii")


@pytest.mark.parametrize("kind", sorted(SCRIPTS))
def test_the_script_only_calls_its_functions_and_ps2_cmdlets(kind: str) -> None:
    source = SCRIPTS[kind]
    allowed = PS2_COMMANDS | SYSTEM32_PROGRAMS
    unknown = called_commands(source) - defined_functions(source) - allowed
    assert unknown == set()
    source = SCRIPTS["firewall"]
    # The check sees calls: a misspelt function name would be reported.
    assert "Emitt" in called_commands(source.replace(b"Emit 'DONE'", b"Emitt 'DONE'"))


def test_switch_records_have_the_field_counts_the_controller_parses() -> None:
    counts = emitted_field_counts(SCRIPTS["switch"])
    del counts["ERROR"], counts["DONE"]
    # Get-Settings writes these as lines (the same lines go to the rollback request).
    text = SCRIPTS["switch"].decode()
    assert all(f"'{kind}', (Num" in text for kind in ("SERVICE", "SWITCH", "LOG"))
    counts.update({"SERVICE": 3, "SWITCH": 6, "LOG": 4})
    # Every record the switch script writes is one _switch.decode_reply takes, at the width
    # it takes, and it takes no record the script never writes.
    assert counts == {kind: n + 1 for kind, n in _switch._FIELDS.items()}


def test_records_have_the_field_counts_the_controller_parses() -> None:
    expected = {
        "HOST": 3,
        "PROFILE": 5,
        "RULE": 16,
        "RETIRED": 4,
        "ADDED": 3,
        "REMOVED": 4,
        "HELD": 4,
        "RELEASED": 4,
        "CURRENT": 3,
        "POLICY": 7,
        "LEGACY": 5,
        "LEGACYPOLICY": 5,
        "OPENPORT": 9,
        "OPENED": 4,
        "CLOSED": 5,
        "STALE": 2,
        "DIGEST": 2,
        "ERROR": 2,
        "DONE": 1,
    }
    assert emitted_field_counts(SCRIPTS["firewall"]) == expected
    # The same counts as _wire.decode_reply checks (it rejects any other).
    change = _wire.RuleChange("g", "n", 1)
    reply = _wire.Reply(
        host=_wire.HostVersions("6.1.7601", "2.0"),
        profiles=(_wire.WireProfile(1, True, 0, 1),),
        rules=(_wire.WireRule(name="n"),),
        retired=(change,),
        added=(change,),
        removed=(change,),
        held=(change,),
        released=(change,),
        current=_wire.CurrentProfiles(1, 0),
        policies=(_wire.WirePolicy(1, False, None, 0, 1, None),),
        legacy_profiles=(_wire.LegacyProfile(0, True, False, True),),
        legacy_policies=(_wire.LegacyPolicy(0, None, 1, 0),),
        open_ports=(_wire.OpenPort(0, 5061, 6, "n"),),
        opened=(_wire.PortChange(0, 5061, 6),),
        closed=(_wire.PortChange(0, 5061, 6, 1),),
        stale="0" * 40,
        digest="f" * 40,
        error="e",
        done=True,
    )
    widths = {
        line.split("\t")[0]: len(line.split("\t"))
        for line in _wire.encode_reply(reply).splitlines()[1:]
    }
    assert widths == expected


def test_the_script_parses_the_request_fields_the_controller_sends() -> None:
    text = SCRIPTS["firewall"].decode()
    section = _wire.Section("g", ("old",), (_wire.WireRule(name="n"),), owns="x")
    hold = _wire.Hold("setup", "r")
    request = _wire.encode_apply(
        [section],
        _ownership.PATTERN,
        ["g"],
        "0" * 40,
        holds=[hold],
        releases=[hold],
        hold_mark=" [held]",
    ).splitlines()
    widths = {line.split("\t")[0]: len(line.split("\t")) for line in request[1:]}
    assert widths == {
        "OP": 2,
        "MARKER": 2,
        "WATCH": 2,
        "SEEN": 2,
        "GROUP": 2,
        "OWNS": 2,
        "REMOVE": 2,
        "ADD": 12,
        "HOLDMARK": 2,
        "HOLD": 3,
        "RELEASE": 3,
        "END": 1,
    }
    for kind, width in widths.items():
        if kind in ("HOLD", "RELEASE"):
            assert f"$kind -cmatch '^(HOLD|RELEASE)$' -and $f.Length -eq {width})" in text
        else:
            assert re.search(rf"'{kind}' -and \$f\.Length -eq {width}\b", text), kind
    assert request[0] == _wire.VERSION == "OCSFW2"
    assert f"'{_wire.VERSION}'" in text and "'OCSFW1'" not in text


def test_the_script_parses_the_read_fields_the_controller_sends() -> None:
    text = SCRIPTS["firewall"].decode()
    request = _wire.encode_read(["g"], _ownership.PATTERN).splitlines()
    widths = {line.split("\t")[0]: len(line.split("\t")) for line in request[1:]}
    assert widths == {"OP": 2, "MARKER": 2, "GROUP": 2, "END": 1}
    # Listeners are the switch script's (the rules script, in every command, stays small).
    assert "LISTENERS" not in text
    switch = _switch.encode_state(listeners=True).splitlines()
    assert switch[1:] == ["OP\tstate", "LISTENERS", "END"]
    assert "'LISTENERS' -and $f.Length -eq 1" in SCRIPTS["switch"].decode()
    for kind, width in widths.items():
        assert re.search(rf"'{kind}' -and \$f\.Length -eq {width}\b", text), kind


def test_the_script_parses_the_legacy_request_fields_the_controller_sends() -> None:
    text = SCRIPTS["firewall"].decode()
    opens = [_wire.Open(0, 5061, 6, "[ocs.firewall] Front End: 5061/TCP")]
    closes = [_wire.Close(1, 135, 6, "[ocs.firewall] Archiving: 135/TCP")]
    request = _wire.encode_legacy_apply(
        opens, closes, _ownership.LEGACY_PATTERN, "0" * 40
    ).splitlines()
    widths = {line.split("\t")[0]: len(line.split("\t")) for line in request[1:]}
    assert widths == {"OP": 2, "MARKER": 2, "SEEN": 2, "OPEN": 8, "CLOSE": 5, "END": 1}
    for kind in ("OPEN", "CLOSE"):
        assert re.search(rf"'{kind}' -and \$f\.Length -eq {widths[kind]}\b", text), kind


_RULE_PHASES = (
    ("retire", b"$r.Name = $tombstone"),
    ("add", b"$Policy.Rules.Add("),
    ("release, hold", b"Set-Held $index"),
    ("remove", b"$Policy.Rules.Remove("),
)
_ENTRY_PHASES = (
    ("check", b"-not $o.Adopt"),
    ("open", b".GloballyOpenPorts.Add("),
    ("close", b".GloballyOpenPorts.Remove("),
)


def _apply_phases(
    source: bytes,
    function_name: bytes = b"Invoke-Apply",
    markers: tuple[tuple[str, bytes], ...] = _RULE_PHASES,
) -> list[str]:
    """What each top-level loop of an apply function does to the store, in script order."""
    tree = PARSER.parse(source)
    (function,) = [
        n
        for n in _nodes(tree.root_node)
        if n.type == "function_statement"
        and any(
            c.type == "function_name" and source[c.start_byte : c.end_byte] == function_name
            for c in n.children
        )
    ]
    body = next(n for n in _nodes(function) if n.type == "statement_list")
    phases = []
    for loop in (c for c in body.children if c.type == "foreach_statement"):
        text = source[loop.start_byte : loop.end_byte]
        kinds = [kind for kind, marker in markers if marker in text]
        assert len(kinds) <= 1, f"one loop does several phases: {text[:80]!r}"
        phases += kinds
    return phases


def test_apply_retires_then_adds_then_releases_and_holds_then_removes() -> None:
    source = SCRIPTS["firewall"]
    assert _apply_phases(source) == ["retire", "add", "release, hold", "remove"]
    text = source.decode()
    # Those loops are the only places that change the store, and removal only ever names
    # a tombstone: Rules.Remove(name) would drop every rule of that name in any group.
    assert text.count(".Rules.Add(") == 1
    assert re.findall(r"\.Rules\.Remove\(([^)]*)\)", text) == ["$tombstone"]
    assert len(re.findall(r"\$r(ule)?\.Name = ", text)) == 2  # New-Rule's $rule.Name, the rename
    assert f"'{_rules.TOMBSTONE_PREFIX}' + [System.Guid]::NewGuid()" in text
    # A rule is renamed only after the marker test said it is the collection's: the marker
    # its section owns, else the request's.
    retire = text[text.index("foreach ($name in $s.Removes)") : text.index("Emit 'RETIRED'")]
    assert retire.index("Test-Marked $r $owns") < retire.index("$r.Name = $tombstone")
    assert "if ($s.Owns.Length -gt 0) { $owns = $s.Owns }" in retire
    assert "([string]$Rule.Description) -cmatch $Marker" in text
    # Negative control: the check sees a script that removes before it adds.
    add_at = source.index(b"    foreach ($s in $Sections) {\n        foreach ($a in $s.Adds)")
    remove_at = source.index(b"    foreach ($t in $retired)")
    end = source.index(b"\n}\n", remove_at) + 1
    swapped = source[:add_at] + source[remove_at:end] + source[add_at:remove_at] + source[end:]
    assert _apply_phases(swapped) == ["retire", "remove", "add", "release, hold"]


def test_a_2003_apply_checks_then_opens_then_closes() -> None:
    source = SCRIPTS["firewall"]
    phases = _apply_phases(source, b"Invoke-LegacyApply", _ENTRY_PHASES)
    assert phases == ["check", "open", "close"]
    text = source.decode()
    # Entries change in those two loops only; a close names the key the controller read,
    # and only after the name is the very one it read and carries the prefix.
    assert text.count(".GloballyOpenPorts.Add(") == 1
    assert re.findall(r"\.GloballyOpenPorts\.Remove\(([^)]*)\)", text) == ["$c.Port, $c.Protocol"]
    close = text[text.index("foreach ($c in $Closes)") :]
    guard = (
        "([string]$held.Name -ceq $c.Name) -and ($c.Name -cmatch $Marker) -and -not $held.BuiltIn"
    )
    assert close.index(guard) < close.index(".GloballyOpenPorts.Remove(")
    # The check refuses a foreign or built-in key unless told to adopt (never a built-in).
    check = text[
        text.index("function Invoke-LegacyApply") : text.index("$entry = New-LegacyEntry $o")
    ]
    assert "if ($held.BuiltIn) { Fail" in check
    assert "if (-not $o.Adopt -and -not ([string]$held.Name -cmatch $Marker)) { Fail" in check
    # Negative control: the check sees a script that closes before it opens.
    open_at = source.index(b"    foreach ($o in $Opens) {\n        try {")
    close_at = source.index(b"    foreach ($c in $Closes)")
    end = source.index(b"\n}\n", close_at) + 1
    swapped = source[:open_at] + source[close_at:end] + source[open_at:close_at] + source[end:]
    assert _apply_phases(swapped, b"Invoke-LegacyApply", _ENTRY_PHASES)[1:] == ["close", "open"]


def test_tombstone_prefix_is_the_same_everywhere() -> None:
    assert _rules.TOMBSTONE_PREFIX == lab_firewall.TOMBSTONE_PREFIX == "ocs.firewall-removing-"


@pytest.mark.parametrize(
    ("decimal", "hexadecimal"),
    [
        (-2147024891, "0x80070005"),
        (-2147023143, None),
        (-2147023174, None),
        (-2147023838, None),
        (-2147023834, None),
        (-2147221164, "0x80040154"),
    ],
)
def test_hresults_are_written_as_the_int32_powershell_sees(
    decimal: int, hexadecimal: str | None
) -> None:
    text = SCRIPTS["firewall"].decode()
    assert str(decimal) in text
    if hexadecimal:
        assert decimal + 2**32 == int(hexadecimal, 16)
        assert hexadecimal in text


def test_exit_codes() -> None:
    script = SCRIPTS["firewall"].decode()
    assert sorted(set(re.findall(r"\bexit\s+(\S+)", script))) == ["0", "2"]
    bootstrap = FILES["_bootstrap.ps1"].decode()
    assert bootstrap.rstrip().endswith("exit $LASTEXITCODE")
    assert sorted(set(re.findall(r"\bexit\s+(\S+)", bootstrap))) == ["$LASTEXITCODE", "3", "4"]
    # The exit codes the controller gives a meaning to.
    assert (_client._BOOTSTRAP_NO_SCRIPT, _client._BOOTSTRAP_POWERSHELL_1) == (3, 4)


def test_bootstrap_refuses_powershell_1_before_using_anything_newer() -> None:
    lines = [
        line
        for line in FILES["_bootstrap.ps1"].decode().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    check = next(i for i, line in enumerate(lines) if "$PSVersionTable -eq $null" in line)
    # Before $input is read and before [ScriptBlock]::Create, which PowerShell 1.0 lacks.
    assert check < next(i for i, line in enumerate(lines) if "$input" in line)
    assert check < next(i for i, line in enumerate(lines) if "[ScriptBlock]::Create" in line)
    assert lines[check].rstrip().endswith("exit 4 }")
    assert "KB968930" in lines[check]


def test_bootstrap_cuts_at_the_first_separator_ordinally_and_refuses_an_empty_script() -> None:
    text = FILES["_bootstrap.ps1"].decode()
    # A culture-sensitive IndexOf ignores NUL characters and would find the separator at 0.
    assert '$ocsIn.IndexOf("`0`0`0`0", [StringComparison]::Ordinal)' in text
    assert "if ($ocsAt -le 0) {" in text
    line = next(line for line in text.splitlines() if line.startswith("if ($ocsAt -le 0)"))
    assert "[Console]::Error.WriteLine(" in line and line.rstrip().endswith("exit 3 }")
    assert "$ocsIn.Substring(0, $ocsAt)" in text and "$ocsIn.Substring($ocsAt + 4)" in text


def _decode_command(command: str) -> str:
    parts = command.split(" ")
    assert parts[:6] == [
        "PowerShell",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Unrestricted",
        "-EncodedCommand",
    ]
    return base64.b64decode(parts[6]).decode("utf-16-le")


def test_bootstrap_survives_ansibles_line_stripping() -> None:
    original = _client.bootstrap_text()
    command = ShellModule()._encode_script(original, strict_mode=False, preserve_rc=False)
    decoded = _decode_command(command)
    kept = [line.strip() for line in original.splitlines() if line.strip()]
    assert decoded == "\n".join(kept)
    # Nothing depended on indentation or blank lines: the stripped text is the same program.
    assert all(line == line.strip() for line in original.splitlines())
    assert "@'" not in original and '@"' not in original
    assert syntax_problems(decoded.encode()) == []
    assert "$input" in decoded and "`0`0`0`0" in decoded


def test_command_line_is_small() -> None:
    command = ShellModule()._encode_script(
        _client.bootstrap_text(), strict_mode=False, preserve_rc=False
    )
    assert len(command) < 8000
    assert len(_client.bootstrap_text().encode()) < 1024


def test_stdin_split_as_the_bootstrap_does_gives_back_script_and_request() -> None:
    # [string]::Join("`n", @($input)) yields the stdin lines joined by LF; the bootstrap
    # then cuts at the first NUL NUL NUL NUL.
    section = _wire.Section("g\u00e9", ("a",), (_wire.WireRule(name="b\nc"),))
    request = _wire.encode_apply([section], _ownership.PATTERN)
    stdin = _client.build_stdin(request).decode("utf-8")
    joined = "\n".join(stdin.splitlines())
    at = joined.index("\0\0\0\0")
    assert joined[:at] == _client.script_text()
    assert _wire.decode_request(joined[at + 4 :]) == _wire.decode_request(request)


def test_the_script_is_sent_without_comments_blank_lines_or_indentation() -> None:
    """Every request carries the script: sent compact, it leaves room in a 32 KB WinRM
    message. Compacting changes no code: the same functions, the same calls, no parse
    error; and the lab accepts exactly that text (its own reading of the rule)."""
    from ocs_lab import wsman

    text = SCRIPTS["firewall"].decode("ascii")
    sent = _client.script_text()
    assert sent == _client.compact(text) and len(sent) < 0.8 * len(text)
    assert not [line for line in sent.splitlines() if line.startswith("#") or line != line.strip()]
    source = sent.encode("ascii")
    assert syntax_problems(source) == []
    assert defined_functions(source) == defined_functions(SCRIPTS["firewall"])
    assert called_commands(source) == called_commands(SCRIPTS["firewall"])
    assert emitted_field_counts(source) == emitted_field_counts(SCRIPTS["firewall"])
    assert wsman.sent_script(text) == source
    # Room in the smallest message the collection accepts for the largest change the
    # catalogue makes (one rule replaced, scope any), so no catalogue change is ever too
    # large to send; rules with long address lists may need a larger envelope there, and
    # check_fits says so before the host is contacted.
    room = _platform.stdin_budget(_platform.MIN_MAX_ENVELOPE_KB) - len(source)
    assert room > _largest_catalogue_change() > 700


def _largest_catalogue_change() -> int:
    """The bytes of the apply request that replaces the catalogue's largest rule."""
    largest = 0
    for key in _catalogue.server_components():
        requested = {key: {"unbound": True} if key == "edge" else {}}
        (settings,), problems = _settings.check_host(requested, _settings.option_name)
        assert problems == []
        for rule in _component_rules.component_rules(settings, None):
            section = _wire.Section(settings.group, (rule.name,), (_convert.to_windows(rule),))
            request = _wire.encode_apply([section], _ownership.PATTERN, [settings.group], "0" * 40)
            largest = max(largest, len(request.encode("utf-8")))
    return largest


def test_the_request_budget_leaves_room_for_the_script() -> None:
    firewall = _client.RemoteFirewall(object())
    fixed = len(_client.script_text()) + 4
    assert firewall.request_budget == _platform.stdin_budget(150) - fixed
    assert _client.RemoteFirewall(object(), 500).request_budget > 10_000_000


def test_the_script_says_what_the_lab_says_a_host_says() -> None:
    """The texts the lab's hosts put in ERROR lines are the script's (whole sentences where
    the script writes them whole, the fixed parts where it joins values in)."""
    from ocs_lab import firewall, legacy

    text = SCRIPTS["firewall"].decode()
    for hint in (firewall.ACCESS_DENIED_HINT, firewall.LEGACY_ACCESS_DENIED_HINT):
        assert f"$hint = '{hint}'" in text
    assert legacy.NO_RULE_GROUPS.startswith("this host runs Windows Server 2003 (")
    assert (
        "$NoRuleGroups = 'this host runs Windows Server 2003 ('"
        " + $OsVersion.ToString() + '), which has no rule groups'" in text
    )
    for fixed in (
        "' holds ' + (Format-LegacyKey $o)",
        "' and is not the collection''s; nothing was changed'",
        "' and is built in; nothing was changed'",
        "''' (' + (Format-LegacyKey $o) + ') was refused, nothing was closed: '",
        "'bad request: a read carries no OPEN or CLOSE lines'",
        "'bad request: apply needs a MARKER and at least one OPEN or CLOSE line'",
        "'bad request: OPEN and CLOSE are for Windows Server 2003 hosts'",
        "' is not 0 (Domain) or 1 (Standard)'",
        "$FirewallService = 'SharedAccess'",
    ):
        assert fixed in text, fixed


def test_the_scripts_are_read_when_the_module_is_imported(collections_root: Path) -> None:
    """The controller's main process imports the module (with the action plugins) before it
    forks a worker per host: the scripts it has read then are what every worker sends. A
    worker that opens no file sends the same bootstrap and stdin as the module gives here."""
    code = textwrap.dedent(
        """
        import builtins, json, sys
        from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

        def refuse(*args, **kwargs):
            raise AssertionError(f"a worker opened {args[0]}")

        builtins.open = refuse
        json.dump(
            [
                _client.bootstrap_text(),
                _client.build_stdin("REQUEST").decode("ascii"),
                _client.build_stdin("REQUEST", "switch").decode("ascii"),
            ],
            sys.stdout,
        )
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(collections_root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sep = _wire.SEPARATOR.decode("ascii")
    assert json.loads(done.stdout) == [
        _client.bootstrap_text(),
        _client.script_text() + sep + "REQUEST",
        _client.script_text("switch") + sep + "REQUEST",
    ]
