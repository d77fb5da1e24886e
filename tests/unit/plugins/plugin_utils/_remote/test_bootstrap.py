"""The bootstrap on a host that still runs PowerShell 1.0 (Windows Server 2008 without
Windows Management Framework 2.0).

PowerShell reads a whole command before it runs any of it. So that a 1.0 host reaches the
bootstrap's guard (exit code 4: install WMF 2.0, KB968930) instead of failing on a parse
error, the bootstrap may use nothing 1.0 cannot read. These check the file with
tree-sitter, then what the controller says for each outcome the lab's 1.0 gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell
from checkout import REMOTE_SCRIPTS
from labhost import LabHost, run_action
from ocs_lab import powershell1, wsman

from ansible_collections.ocs.firewall.plugins.action.win_firewall_rules import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
BOOTSTRAP = (REMOTE_SCRIPTS / "_bootstrap.ps1").read_text(encoding="ascii")
# Operators PowerShell 1.0 lacks: 2.0's -join and -split, 3.0's -in, -notin, -shl, -shr.
NEWER_OPERATORS = {
    "-join",
    *(f"-{p}{name}" for name in ("split", "in", "notin") for p in ("", "c", "i")),
    "-shl",
    "-shr",
}


def _nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def unreadable_by_powershell_1(text: str) -> list[str]:
    """What in ``text`` PowerShell 1.0 cannot read (or runs as a command it lacks)."""
    source = text.encode("utf-8")
    found = []
    for node in _nodes(PARSER.parse(source).root_node):
        value = source[node.start_byte : node.end_byte].decode()
        where = f"line {node.start_point[0] + 1}: {value[:40]!r}"
        if node.type in ("ERROR", "MISSING") or node.is_missing:
            found.append(f"not PowerShell at {where}")
        elif node.type == "comparison_operator" and value.lower() in NEWER_OPERATORS:
            found.append(f"the operator {value} at {where}")
        elif node.type == "comment" and value.startswith("<#"):
            found.append(f"a block comment at {where}")
        elif node.type in ("try_statement", "data_statement"):
            found.append(f"a {node.type} at {where}")
        elif node.type == "attribute" and any(c.type == "(" for c in node.children):
            found.append(f"an attribute at {where}")
        elif node.type == "variable" and value.startswith("@"):
            found.append(f"splatting at {where}")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        '$a = @($input) -join "`n"',
        "$a = $b -isplit ','",
        "if ($a -notin $b) { }",
        "<# block #>",
        "try { $a = 1 } catch { }",
        "function f { [CmdletBinding()] param([Parameter(Mandatory=$true)][string]$p) }",
        "Write-Host @options",
    ],
)
def test_each_check_catches_what_powershell_1_cannot_read(snippet: str) -> None:
    assert unreadable_by_powershell_1(snippet), snippet


def test_the_bootstrap_is_readable_by_powershell_1() -> None:
    assert unreadable_by_powershell_1(BOOTSTRAP) == []
    # The lab's own reading agrees, on the text as Ansible's winrm connection sends it.
    assert powershell1.refusal(wsman.normalise_script(BOOTSTRAP)) is None


def test_the_bootstrap_joins_stdin_without_the_join_operator() -> None:
    lines = [line.strip() for line in BOOTSTRAP.splitlines() if not line.startswith("#")]
    assert '$ocsIn = [string]::Join("`n", [string[]]@($input))' in lines


def _powershell_1_reply(bootstrap: str) -> dict[str, Any]:
    """What the lab's PowerShell 1.0 host returns for ``bootstrap`` (as Ansible sends it)."""
    (stdout, stderr, rc), _trace = wsman.Host._run_on_powershell_1(
        wsman.normalise_script(bootstrap)
    )
    return {"rc": rc, "stdout": stdout.decode(), "stderr": stderr.decode()}


def _message(reply: dict[str, Any]) -> dict[str, Any]:
    host = LabHost()
    host.raw_reply = reply
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.win_firewall_rules",
        host,
        {"group": "g", "rules": [{"name": "r", "local_ports": 5061}]},
    )
    assert result["failed"] is True and len(host.requests) == 1
    return result


def test_a_powershell_1_host_gets_the_wmf_2_advice() -> None:
    reply = _powershell_1_reply(_client.bootstrap_text())
    assert reply["rc"] == 4

    result = _message(reply)

    assert result["msg"].startswith("The host runs PowerShell 1.0, and the collection needs")
    assert "KB968930" in result["msg"] and result["rc"] == 4


def test_a_bootstrap_powershell_1_cannot_read_would_fail_with_its_parse_error() -> None:
    joining = BOOTSTRAP.replace('[string]::Join("`n", [string[]]@($input))', '@($input) -join "`n"')
    assert joining != BOOTSTRAP and unreadable_by_powershell_1(joining)
    reply = _powershell_1_reply(joining)
    assert reply["rc"] == 1

    result = _message(reply)

    # No advice the host never gave: the exit code and PowerShell's own words.
    assert "PowerShell 1.0" not in result["msg"]
    assert "(rc 1)" in result["msg"]
    assert "Unexpected token '-join' in expression or statement." in result["msg"]
