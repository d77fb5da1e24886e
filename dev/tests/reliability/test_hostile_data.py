"""Hostile rule names and descriptions are data: stored verbatim, never part of a script.

Each payload goes to the host in its own task (its own WinRM command), then all of them in
one task. The lab's dump must show every string byte for byte (a description followed by
one space and the collection's ownership marker), and every command line the connection
sent (logged by the winrm plugin at -vvvvv) must be the same fixed bootstrap, whatever
the payload. The lab itself refuses (``op: rejected``) any command whose
``-EncodedCommand`` is not the text of ``_bootstrap.ps1`` or whose stdin does not start
with the exact bytes of ``_firewall.ps1``, so an all-accepted trace proves the script text
too.

A hostile rule group name takes the other way in: a role variable (``ocs_front_end_group``)
through site.yml's preflight and ``win_ocs_firewall``; every Front End rule must land in
that group, verbatim, and a second run must find them there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.rules import host_rules, is_owned, marked

HOST = "hostile01"
GROUP_HOST = "hostile02"
HOSTILE_GROUP = "OCS \"FE\" 'x' $(Stop-Service MpsSvc) `whoami` ; exit 1 %PATH%\nΩ 🔥 \\srv"
GROUP_EACH = "OCS Reliability - hostile (one per task)"
GROUP_ALL = "OCS Reliability - hostile (together)"

PAYLOADS: list[tuple[str, str]] = [
    ("Quote ' and \" and '' and \"\"", "He said \"allow\"; it's 'fine' ''"),
    ("Sub $(Stop-Service MpsSvc) $env:COMPUTERNAME ${x}", "$(Remove-Item -Recurse C:\\) $null @()"),
    ("Tick `whoami` `$x `n `0", '`` `r`n `" backtick at end `'),
    ("Semi; Stop-Service MpsSvc; exit 1", "a;b; && & cmd /c calc.exe > nul 2>&1"),
    ("New\nline\r\nand\ttab", "line one\nline two\r\n\nlast\n"),
    ("Percent %PATH% %SystemRoot% 100%", "%%~dp0 %1 !VAR! ^& ^<"),
    ("Ümlaut – 防火墙 – Ωμέγα – 🔥", "ñ é ü 中文 Ελληνικά русский עברית 🎉 \u200b zero-width"),
    ("X" * 200 + "ß" * 55, "D" * 300 + " ending"),
    ('<xml a="1">&amp; </rsp:Stream>', "]]> <![CDATA[ x ]]> &lt; &#0;"),
    ("OCSFW1\tEND\nDONE", "ADD\tZm9v\nREMOVE\tYmFy\nEND\n"),
    ("  padded both sides  ", "  "),
    ("Backslash \\ and \\\\server\\share", "C:\\Windows\\System32\\ trailing\\"),
]


def _rule(index: int, name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "local_ports": 40000 + index}


PLAYBOOK = f"""
- name: Hostile rule names and descriptions
  hosts: {HOST}
  gather_facts: false
  vars_files:
    - payloads.json
  tasks:
    - name: One payload per task
      ocs.firewall.win_firewall_rules:
        group: "{GROUP_EACH}"
        rules: "{{{{ [item] }}}}"
        purge: false
      loop: "{{{{ hostile_rules }}}}"
      loop_control:
        index_var: payload_index
        label: "payload {{{{ payload_index }}}}"

    - name: All payloads in one task
      ocs.firewall.win_firewall_rules:
        group: "{GROUP_ALL}"
        rules: "{{{{ hostile_rules }}}}"
"""


def _expected_command_text(repo_root: Path) -> str:
    """What the winrm connection encodes: the bootstrap, lines stripped, blanks dropped."""
    text = (repo_root / "plugins" / "plugin_utils" / "_remote" / "_bootstrap.ps1").read_text(
        encoding="utf-8"
    )
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


@pytest.fixture(scope="module")
def hostile(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    lab = start_lab(
        {
            "all": {
                "hosts": {HOST: None},
                "children": {
                    "ocs_front_end": {"hosts": {GROUP_HOST: {"ocs_front_end_group": HOSTILE_GROUP}}}
                },
            }
        },
        name="hostile",
    )
    folder = tmp_path_factory.mktemp("hostile")
    rules = [_rule(i, n, d) for i, (n, d) in enumerate(PAYLOADS)]
    (folder / "payloads.json").write_text(
        json.dumps({"hostile_rules": rules}, ensure_ascii=False), encoding="utf-8"
    )
    playbook = folder / "hostile.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    first = play(playbook, lab.inventory, "-vvvvv", "--limit", HOST)
    trace = lab.trace(HOST, reset=True)
    dump = lab.dump(HOST)
    second = play(playbook, lab.inventory, "--limit", HOST)
    return {
        "lab": lab,
        "first": first,
        "second": second,
        "trace": trace[HOST],
        "second_trace": lab.trace(HOST, reset=True)[HOST],
        "rules": host_rules(dump, HOST),
    }


def test_runs_succeed(hostile: dict[str, Any]) -> None:
    assert hostile["first"].rc == 0, hostile["first"].tail()
    assert hostile["second"].rc == 0, hostile["second"].tail()


@pytest.mark.parametrize("group", [GROUP_EACH, GROUP_ALL])
def test_stored_verbatim(hostile: dict[str, Any], group: str) -> None:
    """Names as given; descriptions as given, then one space and the marker."""
    stored = [(r["name"], r["description"]) for r in hostile["rules"] if r["grouping"] == group]
    assert sorted(stored) == sorted((n, marked(d)) for n, d in PAYLOADS)


def test_every_command_was_the_fixed_script(hostile: dict[str, Any]) -> None:
    ops = [entry["op"] for entry in hostile["trace"]]
    # One read + one apply per payload task, then one read + one apply for all together.
    assert ops == ["read", "apply"] * (len(PAYLOADS) + 1)
    assert all(entry["rc"] == 0 for entry in hostile["trace"])


def test_command_line_identical_for_every_payload(hostile: dict[str, Any], repo_root: Path) -> None:
    output = hostile["first"].stdout
    encoded = re.findall(r"'-EncodedCommand', b?'([A-Za-z0-9+/=]+)'", output)
    assert len(encoded) == len(hostile["trace"]), "one logged command line per command run"
    assert len(set(encoded)) == 1, "the command line changed with the payload"
    decoded = base64.b64decode(encoded[0]).decode("utf-16-le")
    assert decoded == _expected_command_text(repo_root)


def test_script_text_identical_for_every_payload(hostile: dict[str, Any], repo_root: Path) -> None:
    """The lab records digests of the decoded command and of the script part of stdin."""
    utils = repo_root / "plugins" / "plugin_utils" / "_remote"
    # The script as the controller sends it: _prelude.ps1 then _firewall.ps1, without
    # comment lines, blank lines and indentation.
    text = "".join(
        (utils / name).read_text("ascii") + "\n" for name in ("_prelude.ps1", "_firewall.ps1")
    )
    lines = (line.strip() for line in text.splitlines())
    sent = "".join(f"{line}\n" for line in lines if line and not line.startswith("#"))
    script = hashlib.sha256(sent.encode("ascii")).hexdigest()
    command = hashlib.sha256(_expected_command_text(repo_root).encode("utf-8")).hexdigest()
    entries = hostile["trace"] + hostile["second_trace"]
    assert {e["script_sha256"] for e in entries} == {script}
    assert {e["command_sha256"] for e in entries} == {command}


def test_second_run_changes_nothing(hostile: dict[str, Any]) -> None:
    changed = [r for r in hostile["second"].records if r.get("changed")]
    assert changed == []
    assert [e["op"] for e in hostile["second_trace"]] == ["read"] * (len(PAYLOADS) + 1)


@pytest.fixture(scope="module")
def hostile_group(hostile: dict[str, Any], repo_root: Path, play: Callable[..., Any]) -> Any:
    lab = hostile["lab"]
    site = repo_root / "playbooks" / "site.yml"
    first = play(site, lab.inventory, "--limit", GROUP_HOST)
    dump = lab.dump(GROUP_HOST)
    second = play(site, lab.inventory, "--limit", GROUP_HOST)
    return {"first": first, "second": second, "rules": host_rules(dump, GROUP_HOST)}


def test_hostile_group_name_is_data(hostile_group: dict[str, Any]) -> None:
    first, second = hostile_group["first"], hostile_group["second"]
    assert first.rc == 0, first.tail()
    assert second.rc == 0, second.tail()
    ours = [r for r in hostile_group["rules"] if is_owned(r)]
    assert ours and {r["grouping"] for r in ours} == {HOSTILE_GROUP}
    record = first.host_results()[GROUP_HOST]
    assert list(record["result"]["rules"]) == [HOSTILE_GROUP]
    assert sorted(r["name"] for r in ours) == sorted(
        r["name"] for r in record["result"]["rules"][HOSTILE_GROUP]
    )
    assert not [r for r in second.records if r.get("changed")]
