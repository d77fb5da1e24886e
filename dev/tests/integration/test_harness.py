"""The harness the system suites stand on (dev/harness): recaps, the collection root, and
the command line that make, scripts/demo.sh and Molecule's create and destroy use.

A wrong recap or a stale collection link would let every other test pass or fail for
the wrong reason, so each is checked against a real run or a real folder here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from harness import DEV_DIR, REPO_ROOT, collections_root
from harness.__main__ import main as harness_main
from harness.lab import Lab
from harness.playbook import PlaybookRun
from harness.recap import changed_hosts, failed_hosts, parse_recap

HOST = "harness01"
READ_ONE_GROUP = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Read one rule group
      ocs.firewall.win_firewall_info:
        groups: [ocs.firewall harness check]
"""
RECAP = """\
TASK [Read one rule group] *****************************************************
ok: [fe01]

PLAY RECAP *********************************************************************
\x1b[0;33mfe01\x1b[0m : ok=6 changed=1 unreachable=0 failed=0 skipped=2 rescued=0 ignored=0
edge01.ocs.example         : ok=3    changed=0    unreachable=1    failed=0    skipped=0
"""


def harness_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``python -m harness ARGS`` in this process: exit status, stdout, stderr."""
    capsys.readouterr()
    rc = harness_main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_recap_parser_reads_every_host_line_and_nothing_before_the_recap() -> None:
    recap = parse_recap(RECAP)

    assert recap == {
        "fe01": {
            "ok": 6,
            "changed": 1,
            "unreachable": 0,
            "failed": 0,
            "skipped": 2,
            "rescued": 0,
            "ignored": 0,
        },
        "edge01.ocs.example": {"ok": 3, "changed": 0, "unreachable": 1, "failed": 0, "skipped": 0},
    }
    assert changed_hosts(recap) == ["fe01"]
    assert failed_hosts(recap) == ["edge01.ocs.example"]


def test_a_run_gives_its_recap_records_and_lab_trace(
    start_lab: Callable[..., Lab], play: Callable[..., PlaybookRun]
) -> None:
    lab = start_lab({"all": {"hosts": {HOST: None}}}, name="harness")

    run = play(READ_ONE_GROUP, lab.inventory)

    assert run.ok, run.tail()
    assert run.recap[HOST]["ok"] == 1
    assert changed_hosts(run.recap) == failed_hosts(run.recap) == []
    assert [(r["host"], r["status"]) for r in run.records] == [(HOST, "ok")]
    assert [e["event"] for e in run.events] == ["playbook_start", "ok", "stats"]
    assert 0 < run.play_s < run.wall_s
    assert lab.commands() == {HOST: 1}


def test_collections_root_links_the_checkout_and_replaces_a_stale_link(tmp_path: Path) -> None:
    link = tmp_path / "ansible_collections" / "ocs" / "firewall"

    assert collections_root(tmp_path) == tmp_path
    assert link.resolve() == REPO_ROOT
    link.unlink()
    link.symlink_to(tmp_path, target_is_directory=True)
    collections_root(tmp_path)
    assert link.is_symlink() and link.resolve() == REPO_ROOT
    assert sorted(p.name for p in link.parent.iterdir()) == ["firewall"]


def test_collections_root_refuses_a_real_folder_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "ansible_collections" / "ocs" / "firewall").mkdir(parents=True)

    with pytest.raises(FileExistsError, match="is not a link"):
        collections_root(tmp_path)


def test_python_m_harness_collections_makes_the_link(tmp_path: Path) -> None:
    """As the Makefile, scripts/demo.sh and Molecule's create.yml run it."""
    done = subprocess.run(
        [sys.executable, "-m", "harness", "collections", str(tmp_path / "c")],
        env=dict(os.environ, PYTHONPATH=str(DEV_DIR)),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "c")
    assert (tmp_path / "c" / "ansible_collections" / "ocs" / "firewall").resolve() == REPO_ROOT


@pytest.mark.parametrize(
    ("log", "rc", "says"),
    [
        ("PLAY RECAP ***\nfe01 : ok=6 changed=0 failed=0\nse01 : ok=9 changed=0\n", 0, "2 host"),
        ("PLAY RECAP ***\nfe01 : ok=6 changed=0 failed=0\nse01 : ok=9 changed=2\n", 1, "se01"),
        ("ERROR! the playbook could not be found\n", 1, "no PLAY RECAP"),
    ],
    ids=["unchanged", "changed", "no-recap"],
)
def test_cli_recap_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, log: str, rc: int, says: str
) -> None:
    path = tmp_path / "run.log"
    path.write_text(log, encoding="utf-8")

    status, out, err = harness_cli(capsys, "recap", "--unchanged", str(path))

    assert status == rc
    assert says in out + err


def _lab_start(capsys: pytest.CaptureFixture[str], folder: Path, text: str) -> tuple[int, str, str]:
    source = folder / "in.yml"
    source.write_text(text, encoding="utf-8")
    state, output = folder / "state", folder / "out" / "lab.yml"
    return harness_cli(
        capsys, "lab", "start", "--inventory", str(source), "--state-dir", str(state),
        "--output", str(output),
    )  # fmt: skip


def test_cli_lab_start_and_stop(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stop = ("lab", "stop", "--state-dir", str(tmp_path / "state"))
    try:
        rc, out, err = _lab_start(
            capsys, tmp_path, yaml.safe_dump({"all": {"hosts": {HOST: None}}})
        )
        assert rc == 0, err
        assert "1 lab host(s) listening" in out
        written = yaml.safe_load((tmp_path / "out" / "lab.yml").read_text(encoding="utf-8"))
        assert written["all"]["hosts"][HOST]["ansible_connection"] == "winrm"
    finally:
        stopped = harness_cli(capsys, *stop)
    assert stopped == (0, "harness: lab stopped\n", "")
    assert harness_cli(capsys, *stop) == (0, "harness: no lab was running\n", "")


def test_cli_lab_error_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, _out, err = _lab_start(capsys, tmp_path, "all: {}\n")

    assert rc == 2
    # The lab's own message, on one line.
    assert err.startswith("harness: error: ") and err.count("\n") == 1, err


def test_on_windows_2003_picks_every_nth_host_that_binds_no_address() -> None:
    from harness.estate import WINDOWS_2003_VARS, estate_inventory, generate_estate, on_windows_2003

    inventory = estate_inventory(generate_estate(30))
    chosen = on_windows_2003(inventory, 3)
    groups = inventory["all"]["children"]
    assert chosen and len(chosen) == len(set(chosen))
    for group in groups.values():
        for host, values in (group["hosts"] or {}).items():
            values = values or {}
            bound = any(k.endswith("_addresses") and "remote" not in k for k in values)
            if host in chosen:
                assert not bound and WINDOWS_2003_VARS.items() <= values.items(), host
            else:
                assert values.get("ocs_lab_os") != "5.2", host
    # Every group a chosen host is in says so (Ansible merges them; the lab too).
    edge = groups["ocs_edge"]["hosts"]
    assert not set(edge) & set(chosen), "Edge hosts bind their addresses"
    assert on_windows_2003(estate_inventory(generate_estate(30)), 0) == []
