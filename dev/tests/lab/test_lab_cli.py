"""The lab's command line: start/stop/dump/trace/fault as Molecule, tests and the demo use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ocs_lab import api, inventory, seed

REPO = Path(__file__).resolve().parents[3]

INVENTORY_TEXT = """
all:
  vars:
    site: lab
  children:
    front_ends:
      vars:
        ocs_role: front_end
      hosts:
        fe01:
        fe02:
          ocs_lab_transport: ntlm
    edges:
      hosts:
        edge01:
          ocs_lab_winrm_port: 15986
          ocs_lab_foreign_rules:
            - name: Edge - SIP (TLS-In)
              group: Some other product
              local_ports: 5061
              remote_addresses: 10.0.0.0/8
    pools:
      children:
        front_ends:
    ocs_front_end:
      children:
        front_ends:
"""


OCS_SETUP_GROUP = "Office Communications Server 2007 R2"


def lab_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "dev" / "lab"))
    return subprocess.run(
        [sys.executable, "-m", "ocs_lab", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("cli")
    source = folder / "in.yml"
    source.write_text(INVENTORY_TEXT)
    out = folder / "out.yml"
    state_dir = folder / "state"
    result = lab_cli(
        "start",
        "--inventory",
        str(source),
        "--state-dir",
        str(state_dir),
        "--output",
        str(out),
        "--transport",
        "https",
    )
    assert result.returncode == 0, result.stderr
    yield {"state": state_dir, "out": out, "source": source, "start": result}
    lab_cli("stop", "--state-dir", str(state_dir))


def test_written_inventory_keeps_groups_and_adds_connection_vars(started: dict) -> None:
    written = yaml.safe_load(started["out"].read_text())
    source = yaml.safe_load(started["source"].read_text())
    assert written["all"]["vars"] == source["all"]["vars"]
    assert set(written["all"]["children"]) == {"front_ends", "edges", "pools", "ocs_front_end"}
    assert written["all"]["children"]["front_ends"]["vars"] == {"ocs_role": "front_end"}
    assert written["all"]["children"]["pools"] == {"children": {"front_ends": None}}
    hosts = inventory.hosts(written)
    assert list(hosts) == ["fe01", "fe02", "edge01"]
    assert {h["ansible_host"] for h in hosts.values()} == {"127.0.0.1"}
    assert len({h["ansible_port"] for h in hosts.values()}) == 3
    assert hosts["fe01"]["ansible_connection"] == "winrm"
    # --transport https, except where ocs_lab_transport says otherwise.
    assert (hosts["fe01"]["ansible_winrm_scheme"], hosts["fe01"]["ansible_winrm_transport"]) == (
        "https",
        "basic",
    )
    assert Path(hosts["fe01"]["ansible_winrm_ca_trust_path"]).is_file()
    assert (hosts["fe02"]["ansible_winrm_transport"], hosts["fe02"]["ansible_winrm_scheme"]) == (
        "ntlm",
        "http",
    )
    assert hosts["fe02"]["ansible_winrm_message_encryption"] == "always"
    assert hosts["fe01"]["ocs_role"] == "front_end" and hosts["fe01"]["site"] == "lab"


def test_written_inventory_gives_the_winrm_port_as_the_host_sees_it(started: dict) -> None:
    """The loopback port stands for a NAT in front of the host: ``ocs_firewall_winrm_port``
    is WinRM's port as its Windows sees it (the gate's, ``ocs_lab_winrm_port``: 5985, 5986
    for https), which the collection's lockout guard judges the controller's flow to."""
    hosts = inventory.hosts(yaml.safe_load(started["out"].read_text()))
    ports = {name: variables["ocs_firewall_winrm_port"] for name, variables in hosts.items()}
    assert ports == {"fe01": 5986, "fe02": 5985, "edge01": 15986}
    assert all(v["ansible_port"] != v["ocs_firewall_winrm_port"] for v in hosts.values())
    # The gate lets the controller in on that port (an https host's own rule names it).
    config = json.loads((started["state"] / "lab.json").read_text())
    assert {h["name"]: h["winrm_port"] for h in config["hosts"]} == ports


def test_the_harness_keeps_the_winrm_port_with_the_connection_vars(
    started: dict, tmp_path: Path
) -> None:
    from harness.lab import Lab

    lab = Lab(started["state"], started["out"], ["fe01", "fe02", "edge01"])
    connections = lab.connection_vars()
    assert connections["edge01"]["ocs_firewall_winrm_port"] == 15986
    assert {k for k in connections["fe02"] if not k.startswith("ansible_")} == {
        "ocs_firewall_winrm_port"
    }
    regrouped = lab.regroup(
        tmp_path / "regrouped.yml",
        {"ocs_front_end": {"fe01": None, "fe02": {"ocs_firewall_winrm_port": 8985}}},
    )
    hosts = inventory.hosts(yaml.safe_load(regrouped.read_text()))
    # Kept for the hosts placed and for the rest; a test's own value wins, as any does.
    assert {name: v["ocs_firewall_winrm_port"] for name, v in hosts.items()} == {
        "fe01": 5986,
        "fe02": 8985,
        "edge01": 15986,
    }


def test_dump_shows_whole_firewall_with_foreign_rules(started: dict) -> None:
    result = lab_cli("dump", "--state-dir", str(started["state"]), "edge01")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["edge01"]
    rules = data["edge01"]["rules"]
    foreign = [r for r in rules if r["name"] == "Edge - SIP (TLS-In)"]
    assert foreign == [
        {
            **foreign[0],
            "grouping": "Some other product",
            "local_ports": "5061",
            "remote_addresses": "10.0.0.0/255.0.0.0",
        }
    ]
    groups = {r["grouping"] for r in rules}
    assert {"@FirewallAPI.dll,-28752", ""} <= groups
    # OCS set-up's rules are a Front End's (a host of ocs_front_end): an Edge has none.
    assert "Office Communications Server 2007 R2" not in groups
    assert set(data["edge01"]["profiles"]) == {"1", "2", "4"}
    front_end = json.loads(lab_cli("dump", "--state-dir", str(started["state"]), "fe02").stdout)
    setup = [r for r in front_end["fe02"]["rules"] if r["grouping"] == OCS_SETUP_GROUP]
    assert [r["name"] for r in setup] == [r["name"] for r in seed.ocs_setup_rules()]


def test_second_start_in_the_same_folder_is_refused_clearly(started: dict) -> None:
    result = lab_cli(
        "start",
        "--inventory",
        str(started["source"]),
        "--state-dir",
        str(started["state"]),
        "--output",
        str(started["out"]) + ".2",
    )
    assert result.returncode == 2
    assert "already holds a running lab" in result.stderr and "--replace" in result.stderr


def test_fault_and_trace_commands(started: dict) -> None:
    state = str(started["state"])
    result = lab_cli("fault", "--state-dir", state, "fe01", "--fail-command", "3")
    assert result.returncode == 0 and json.loads(result.stdout) == {"fail_command": 3}
    result = lab_cli("fault", "--state-dir", state, "fe01", "--delay", "0.5")
    assert json.loads(result.stdout) == {"fail_command": 3, "delay": 0.5}
    result = lab_cli("fault", "--state-dir", state, "fe01", "--clear")
    assert json.loads(result.stdout) == {}
    result = lab_cli("fault", "--state-dir", state, "nosuchhost", "--refuse-auth")
    assert result.returncode == 2 and "nosuchhost" in result.stderr and "fe01" in result.stderr
    result = lab_cli("fault", "--state-dir", state, "fe01", "--fail-command", "0")
    assert result.returncode == 2 and "fail_command" in result.stderr
    result = lab_cli("trace", "--state-dir", state, "--reset")
    assert json.loads(result.stdout) == {"fe01": [], "fe02": [], "edge01": []}


def test_stop_is_idempotent_and_start_replace_restarts(tmp_path: Path) -> None:
    source = tmp_path / "in.yml"
    source.write_text("all:\n  hosts:\n    a:\n    b:\n    c:\n")
    state = tmp_path / "st"
    written = api.start(source, state, "mixed", output=tmp_path / "out.yml")
    kinds = [
        (h["ansible_winrm_transport"], h["ansible_winrm_scheme"])
        for h in inventory.hosts(written).values()
    ]
    assert kinds == [("basic", "http"), ("ntlm", "http"), ("basic", "https")]
    first_pid = api.running_pid(state)
    assert first_pid is not None
    api.start(source, state, "basic", replace=True)
    second_pid = api.running_pid(state)
    assert second_pid is not None and second_pid != first_pid
    assert not api._process_alive(first_pid)
    assert lab_cli("stop", "--state-dir", str(state)).stdout.strip() == "ocs_lab: stopped"
    assert api.running_pid(state) is None
    assert not (state / "lab.pid").exists()
    assert (
        lab_cli("stop", "--state-dir", str(state)).stdout.strip() == "ocs_lab: no lab was running"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("all:\n  hosts:\n    a:\n      ocs_lab_transport: telnet\n", "ocs_lab_transport 'telnet'"),
        ("[web]\nhost1\n", "YAML"),
        ("all:\n  children: {}\n", "names no hosts"),
        ("all:\n  hostz:\n    a:\n", "unknown keys ['hostz']"),
    ],
)
def test_bad_inventories_are_refused_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    source = tmp_path / "in.yml"
    source.write_text(text)
    result = lab_cli(
        "start",
        "--inventory",
        str(source),
        "--state-dir",
        str(tmp_path / "st"),
        "--output",
        str(tmp_path / "o.yml"),
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert api.running_pid(tmp_path / "st") is None


def test_many_hosts_start_quickly(tmp_path: Path) -> None:
    hosts = {f"h{i:03d}": None for i in range(200)}
    try:
        written = api.start({"all": {"hosts": hosts}}, tmp_path / "st", "basic")
        ports = {h["ansible_port"] for h in inventory.hosts(written).values()}
        assert len(ports) == 200
    finally:
        api.stop(tmp_path / "st")


def test_start_reports_a_server_that_exits_before_it_is_ready_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that dies while starting (killed, or a crash in an import) writes no
    ready file: start says so as soon as the process is gone, with the log's tail, rather
    than waiting out its timeout and blaming slowness."""
    launcher = tmp_path / "python"
    launcher.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "state = sys.argv[sys.argv.index('--state-dir') + 1]\n"
        "if os.fork() > 0:\n"
        "    os._exit(0)\n"
        "with open(os.path.join(state, 'lab.pid'), 'w') as f:\n"
        "    f.write(f'{os.getpid()}\\n')\n"
        "print('server: died while importing', file=sys.stderr, flush=True)\n"
        "os._exit(1)\n"
    )
    launcher.chmod(0o755)
    monkeypatch.setattr(api.sys, "executable", str(launcher))
    source = tmp_path / "in.yml"
    source.write_text("all:\n  hosts:\n    a:\n")
    with pytest.raises(api.LabError) as raised:
        api.start(source, tmp_path / "st", "basic", timeout=45)
    assert "the lab server exited before it was ready" in str(raised.value)
    assert "server: died while importing" in str(raised.value)
