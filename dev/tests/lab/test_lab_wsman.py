"""The lab's WinRM endpoints, driven with pywinrm exactly as Ansible's winrm connection does.

One lab with a host per transport (Basic/HTTP, NTLM with message encryption, Basic/HTTPS
validated against the lab's CA) serves the whole module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import winrm
from ansible.plugins.shell.powershell import ShellModule
from ocs_lab import api
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError, WSManFaultError

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _wire

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / "plugins" / "plugin_utils" / "_remote"
GROUP = "ocs.firewall lab test"
# The rules script as it was sent before the prelude was split out of it: refused now.
FIREWALL_ALONE = _client.compact((SCRIPTS / "_firewall.ps1").read_text("ascii")).encode("ascii")
INVENTORY = {
    "all": {
        "children": {
            "lab": {
                "hosts": {
                    "basic01": {"ocs_lab_transport": "basic"},
                    "ntlm01": {"ocs_lab_transport": "ntlm"},
                    "https01": {"ocs_lab_transport": "https"},
                    "spare01": {"ocs_lab_transport": "basic"},
                }
            }
        }
    }
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    state_dir = tmp_path_factory.mktemp("lab")
    written = api.start(INVENTORY, state_dir, scripts_dir=SCRIPTS)
    hosts = written["all"]["children"]["lab"]["hosts"]
    yield state_dir, hosts
    api.stop(state_dir)


@pytest.fixture(autouse=True)
def _clear_faults(lab: tuple[Path, dict[str, Any]]) -> Iterator[None]:
    yield
    for name in lab[1]:
        api.set_fault(lab[0], name, clear=True)


def protocol(host_vars: dict[str, Any], **overrides: Any) -> winrm.Protocol:
    """A pywinrm Protocol built from the written inventory, as Ansible builds it."""
    endpoint = (
        f"{host_vars['ansible_winrm_scheme']}://{host_vars['ansible_host']}:"
        f"{host_vars['ansible_port']}/wsman"
    )
    kwargs: dict[str, Any] = {
        "transport": host_vars["ansible_winrm_transport"],
        "username": host_vars["ansible_user"],
        "password": host_vars["ansible_password"],
        "message_encryption": host_vars["ansible_winrm_message_encryption"],
        "server_cert_validation": host_vars.get("ansible_winrm_server_cert_validation", "validate"),
    }
    # None: no CA bundle from the environment (pywinrm warns when it falls back to one).
    kwargs["ca_trust_path"] = host_vars.get("ansible_winrm_ca_trust_path")
    kwargs.update(overrides)
    return winrm.Protocol(endpoint, **kwargs)


def run(
    proto: winrm.Protocol,
    stdin: bytes,
    script: str | None = None,
) -> tuple[bytes, bytes, int]:
    """Create, Command, Send, Receive, Signal, Delete: one Ansible task's exchange."""
    parts = ShellModule()._encode_script(
        _client.bootstrap_text() if script is None else script,
        as_list=True,
        strict_mode=False,
        preserve_rc=False,
    )
    shell = proto.open_shell(codepage=65001)
    try:
        command = proto.run_command(shell, parts[0], parts[1:], console_mode_stdin=False)
        proto.send_command_input(shell, command, stdin, end=True)
        result = proto.get_command_output(shell, command)
        proto.cleanup_command(shell, command)
    finally:
        proto.close_shell(shell)
    return result


def read_request(*groups: str) -> bytes:
    return _client.build_stdin(_wire.encode_read(groups))


def apply_request(*adds: _wire.WireRule, removes: tuple[str, ...] = ()) -> bytes:
    """An apply of one section of GROUP, as the controller sends it (with the marker)."""
    section = _wire.Section(GROUP, removes, adds)
    return _client.build_stdin(_wire.encode_apply([section], _ownership.PATTERN))


@pytest.mark.parametrize("host", ["basic01", "ntlm01", "https01"])
def test_each_transport_runs_the_collection_script(
    lab: tuple[Path, dict[str, Any]], host: str
) -> None:
    state_dir, hosts = lab
    api.trace(state_dir, [host], reset=True)
    stdout, stderr, rc = run(protocol(hosts[host]), read_request())
    assert (rc, stderr) == (0, b"")
    reply = _wire.decode_reply(stdout.decode("utf-8"))
    assert reply.done and reply.error is None
    assert [p.type for p in reply.profiles] == [1, 2, 4]
    assert any(r.name == "Remote Desktop (TCP-In)" for r in reply.rules)
    (entry,) = api.trace(state_dir, [host])[host]
    assert (entry["op"], entry["rc"], entry["counts"]["rules"]) == ("read", 0, len(reply.rules))


def test_apply_over_ntlm_changes_the_store_and_reads_back_canonical(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    rule = _wire.WireRule(
        name="OCS - SIP (TLS-In) ✓",
        description="desc 'q' $(x)",
        local_ports="5061,5060",
        remote_addresses="10.0.0.0/24,10.1.1.1",
        profiles=7,
    )
    proto = protocol(hosts["ntlm01"])
    stdout, _stderr, rc = run(proto, apply_request(rule))
    assert rc == 0
    assert _wire.decode_reply(stdout.decode()).added == (_wire.RuleChange(GROUP, rule.name),)

    stdout, _stderr, rc = run(proto, read_request(GROUP))
    (back,) = _wire.decode_reply(stdout.decode()).rules
    assert back.name == rule.name and back.description == rule.description
    assert back.local_ports == "5061,5060"
    assert back.remote_addresses == "10.0.0.0/255.255.255.0,10.1.1.1/255.255.255.255"
    assert back.profiles == 2147483647
    stored = api.dump(state_dir, ["ntlm01"])["ntlm01"]["rules"][-1]
    assert stored["grouping"] == GROUP and stored["name"] == rule.name


@pytest.mark.parametrize(
    ("script", "stdin", "why"),
    [
        ("Get-Process", None, "not the text of _bootstrap.ps1"),
        (None, b"Write-Host hi\0\0\0\0OCSFW2\nOP\tread\nEND\n", "exact bytes of _prelude.ps1"),
        # The rules script without the prelude it comes after.
        (None, FIREWALL_ALONE + b"\0\0\0\0OCSFW2\nOP\tread\nEND\n", "_switch.ps1"),
    ],
)
def test_anything_but_the_collection_script_is_refused(
    lab: tuple[Path, dict[str, Any]], script: str | None, stdin: bytes | None, why: str
) -> None:
    state_dir, hosts = lab
    before = api.dump(state_dir, ["basic01"])
    stdout, stderr, rc = run(protocol(hosts["basic01"]), stdin or read_request(), script=script)
    assert rc == 1 and stdout == b""
    assert b"runs only ocs.firewall's remote scripts" in stderr
    assert why.encode() in stderr
    assert api.dump(state_dir, ["basic01"]) == before


def test_bootstrap_differing_only_in_blank_lines_and_indent_is_accepted(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    # Ansible strips each line and drops blank ones before encoding, so these are the same.
    text = "\n\n".join("    " + line for line in _client.bootstrap_text().splitlines())
    _stdout, _stderr, rc = run(protocol(lab[1]["basic01"]), read_request(), script=text)
    assert rc == 0


@pytest.mark.parametrize("host", ["basic01", "ntlm01"])
def test_wrong_password_and_refuse_auth_are_401(
    lab: tuple[Path, dict[str, Any]], host: str
) -> None:
    state_dir, hosts = lab
    with pytest.raises(InvalidCredentialsError):
        protocol(hosts[host], password="wrong").open_shell()
    api.set_fault(state_dir, host, refuse_auth=True)
    with pytest.raises(InvalidCredentialsError):
        protocol(hosts[host]).open_shell()
    api.set_fault(state_dir, host, clear=True)
    protocol(hosts[host]).close_shell(protocol(hosts[host]).open_shell())


def test_ntlm_host_refuses_unencrypted_messages(lab: tuple[Path, dict[str, Any]]) -> None:
    with pytest.raises(WinRMTransportError) as caught:
        protocol(lab[1]["ntlm01"], message_encryption="never").open_shell()
    assert caught.value.code == 400


def test_unknown_shell_is_a_wsman_fault(lab: tuple[Path, dict[str, Any]]) -> None:
    with pytest.raises(WSManFaultError) as caught:
        protocol(lab[1]["basic01"]).run_command("NO-SUCH-SHELL", "PowerShell")
    assert caught.value.wsman_fault_code == 2150858843


def test_fail_command_counts_commands_and_fails_halfway(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    proto = protocol(hosts["spare01"])
    api.set_fault(state_dir, "spare01", fail_command=2)
    _stdout, _stderr, rc = run(proto, read_request())
    assert rc == 0
    adds = [_wire.WireRule(name=f"half-{i}", local_ports=str(2000 + i)) for i in range(4)]
    stdout, _stderr, rc = run(proto, apply_request(*adds))
    reply = _wire.decode_reply(stdout.decode())
    assert rc == 2
    assert reply.added == (_wire.RuleChange(GROUP, "half-0"), _wire.RuleChange(GROUP, "half-1"))
    assert reply.error is not None and "access denied" in reply.error
    assert api.trace(state_dir, ["spare01"])["spare01"][-1]["faults"] == ["fail_command"]
    # The fault fires once.
    _stdout, _stderr, rc = run(proto, read_request())
    assert rc == 0


def test_drop_command_closes_the_connection_after_the_command_ran(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    api.set_fault(state_dir, "spare01", drop_command=1)
    add = _wire.WireRule(name="dropped-but-applied", local_ports="3000")
    with pytest.raises(requests.exceptions.ConnectionError):
        run(protocol(hosts["spare01"]), apply_request(add))
    names = [r["name"] for r in api.dump(state_dir, ["spare01"])["spare01"]["rules"]]
    assert "dropped-but-applied" in names


def test_stop_firewall_reports_the_service_error(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    api.set_fault(state_dir, "https01", stop_firewall=True)
    stdout, _stderr, rc = run(protocol(hosts["https01"]), read_request())
    assert rc == 2
    error = _wire.decode_reply(stdout.decode()).error
    assert error is not None and "MpsSvc" in error


def test_delay_slows_every_reply(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    api.set_fault(state_dir, "basic01", delay=0.1)
    started = time.perf_counter()
    run(protocol(hosts["basic01"]), read_request())
    # Create, Command, Send, Receive, Signal, Delete: six replies.
    assert time.perf_counter() - started >= 0.6


def test_an_exchange_is_fast_on_loopback(lab: tuple[Path, dict[str, Any]]) -> None:
    # Without TCP_NODELAY each request waits ~40 ms for a delayed ACK (>= 200 ms a task).
    proto = protocol(lab[1]["basic01"])
    run(proto, read_request(GROUP))
    started = time.perf_counter()
    for _attempt in range(5):
        run(proto, read_request(GROUP))
    assert (time.perf_counter() - started) / 5 < 0.15


def test_hosts_listen_on_loopback_only(lab: tuple[Path, dict[str, Any]]) -> None:
    ports = {int(v["ansible_port"]) for v in lab[1].values()}
    listening = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port = local.split(":")
        if state == "0A":  # LISTEN
            listening[int(port, 16)] = address
    assert {port: listening.get(port) for port in ports} == dict.fromkeys(ports, "0100007F")
