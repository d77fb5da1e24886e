"""The lab's PowerShell 1.0: what it cannot read in the bootstrap fails the command.

PowerShell reads a whole command before it runs it, so 1.0 reaches the bootstrap's guard
(exit code 4) only when every line is one it can read; otherwise it exits with code 1 and
its parse error. ``ocs_lab.powershell1`` is the lab's reading of that.
"""

from __future__ import annotations

import pytest
from ocs_lab import powershell1, wsman

from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ('$a = @($input) -join "`n"', "Unexpected token '-join' in expression or statement."),
        ("$p = $t -split ','", "Unexpected token '-split' in expression or statement."),
        ("$p = $t -CSplit ','", "Unexpected token '-CSplit' in expression or statement."),
        ("if ($a -in $b) { }", "Unexpected token '-in' in expression or statement."),
        ("if ($a -notin $b) { }", "Unexpected token '-notin' in expression or statement."),
        ("$b = 1 -shl 2", "Unexpected token '-shl' in expression or statement."),
        ("<# a block comment #>\n$a = 1", "The '<' operator is reserved for future use."),
        ("Write-Host @options", "Unrecognized token in source text."),
        ("try { $a = 1 } catch { }", "The term 'try' is not recognized as a cmdlet"),
        ("$a = 1\n} finally { }", "The term 'finally' is not recognized as a cmdlet"),
    ],
)
def test_what_powershell_1_cannot_read_fails_the_command(text: str, first_line: str) -> None:
    refused = powershell1.refusal(text)
    assert refused is not None and refused.startswith(first_line)


@pytest.mark.parametrize(
    "text",
    [
        '$a = \'a -join b\' + "-split <# `" -in"',
        "# -join, try { }, <# and @splat in a comment\n$a = 1",
        '$h = @"\n-join <# try\n"@\n$b = @{ a = 1 }; $c = @(1, 2)',
        "if ($a -le 0 -and $b -ne $null) { [Console]::Error.WriteLine('x'); exit 4 }",
        '$a = $b.Try; $c = $d.IndexOf("`0", [StringComparison]::Ordinal); $e = -1',
        '$ocsIn = [string]::Join("`n", [string[]]@($input))',
    ],
    ids=["strings", "comment", "here-string", "v1-operators", "members", "join-method"],
)
def test_what_powershell_1_reads(text: str) -> None:
    assert powershell1.refusal(text) is None


def test_the_error_names_the_line_and_the_column_after_the_token() -> None:
    refused = powershell1.refusal("$ErrorActionPreference = 'Stop'\n$a = @($input) -join \"`n\"")
    assert refused == (
        "Unexpected token '-join' in expression or statement.\r\n"
        "At line:2 char:21\r\n"
        '+ $a = @($input) -join <<<<  "`n"\r\n'
    )


def test_powershell_1_reads_the_collections_bootstrap_as_it_is_sent() -> None:
    assert powershell1.refusal(wsman.normalise_script(_client.bootstrap_text())) is None
