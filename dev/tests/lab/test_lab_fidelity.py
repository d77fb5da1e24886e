"""The lab refuses what a real Windows Server 2008 / 2008 R2 host with WinRM 2.0 refuses.

Driven with pywinrm as Ansible's winrm connection drives it: the envelope quota
(MaxEnvelopeSizekb 150), the shell and operation quotas (MaxShellsPerUser 5,
MaxConcurrentOperationsPerUser), an HTTPS listener that speaks TLS 1.0 only, PowerShell
1.0 without WMF 2.0, and the HOST line of each OS flavour.
The pure firewall handler refuses NUL, port 0 and the keywords 2008 lacks, and gives both
HRESULTs of a stopped firewall service.
"""

from __future__ import annotations

import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import winrm
from ansible.plugins.shell.powershell import ShellModule
from ocs_lab import api, firewall, wsman
from ocs_lab.seed import initial_state
from ocs_lab.state import StateDir
from winrm.exceptions import WinRMError, WinRMOperationTimeoutError, WSManFaultError

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _wire

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / "plugins" / "plugin_utils" / "_remote"
INVENTORY = {
    "all": {
        "hosts": {
            "r2": {"ocs_lab_transport": "basic"},
            "w2008": {"ocs_lab_transport": "basic", "ocs_lab_os": "6.0"},
            "ps1": {"ocs_lab_transport": "basic", "ocs_lab_os": "6.0", "ocs_lab_powershell": "1.0"},
            "tls10": {"ocs_lab_transport": "https", "ocs_lab_tls": "1.0"},
            # Quotas lowered so that a test can reach them.
            "busy": {"ocs_lab_transport": "basic", "ocs_lab_max_operations_per_user": 1},
        }
    }
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    state_dir = tmp_path_factory.mktemp("lab")
    written = api.start(
        INVENTORY, state_dir, scripts_dir=REPO / "plugins" / "plugin_utils" / "_remote"
    )
    yield state_dir, written["all"]["hosts"]
    api.stop(state_dir)


def _protocol(host: dict[str, Any]) -> winrm.Protocol:
    endpoint = (
        f"{host['ansible_winrm_scheme']}://{host['ansible_host']}:{host['ansible_port']}/wsman"
    )
    return winrm.Protocol(
        endpoint,
        transport=host["ansible_winrm_transport"],
        username=host["ansible_user"],
        password=host["ansible_password"],
        message_encryption=host["ansible_winrm_message_encryption"],
        server_cert_validation="ignore",
    )


def _run(
    proto: winrm.Protocol, stdin: bytes, bootstrap: str | None = None
) -> tuple[bytes, bytes, int]:
    """Run ``bootstrap`` (the collection's, unless given) as Ansible's winrm connection
    does, with ``stdin``."""
    parts = ShellModule()._encode_script(
        bootstrap or _client.bootstrap_text(), as_list=True, strict_mode=False, preserve_rc=False
    )
    shell = proto.open_shell(codepage=65001)
    try:
        command = proto.run_command(shell, parts[0], parts[1:], console_mode_stdin=False)
        # ansible-core's winrm plugin sends stdin in pieces of at most 200,000 bytes.
        for start in range(0, len(stdin), 200_000):
            piece = stdin[start : start + 200_000]
            proto.send_command_input(shell, command, piece, end=start + 200_000 >= len(stdin))
        result = proto.get_command_output(shell, command)
        proto.cleanup_command(shell, command)
    finally:
        proto.close_shell(shell)
    return result


def _read() -> bytes:
    return _client.build_stdin(_wire.encode_read(["g"]))


@pytest.mark.parametrize(
    ("host", "version"), [("r2", "6.1.7601.65536"), ("w2008", "6.0.6002.131072")]
)
def test_the_read_names_the_os_and_powershell_versions(
    lab: tuple[Path, dict[str, Any]], host: str, version: str
) -> None:
    stdout, _stderr, rc = _run(_protocol(lab[1][host]), _read())
    reply = _wire.decode_reply(stdout.decode())
    assert rc == 0 and reply.host == _wire.HostVersions(version, "2.0")


def test_powershell_1_stops_in_the_bootstrap_with_exit_code_4(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    stdout, stderr, rc = _run(_protocol(lab[1]["ps1"]), _read())
    assert (stdout, rc) == (b"", 4)
    assert b"KB968930" in stderr
    # And the bootstrap itself has that check, before it touches stdin.
    text = _client.bootstrap_text()
    assert text.index("$PSVersionTable -eq $null") < text.index("$input")
    assert "exit 4" in text


# The bootstrap as it was before it was made readable by PowerShell 1.0.
JOIN_LINE = '$ocsIn = @($input) -join "`n"'


@pytest.fixture(scope="module")
def joining_lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, Any], str]]:
    """A PowerShell 1.0 host that accepts a copy of the scripts whose bootstrap joins the
    lines of stdin with -join (the lab's --scripts-dir)."""
    scripts = tmp_path_factory.mktemp("scripts")
    source = REPO / "plugins" / "plugin_utils" / "_remote"
    text = (source / "_bootstrap.ps1").read_text(encoding="ascii")
    joining = "\n".join(
        JOIN_LINE if line.startswith("$ocsIn =") else line for line in text.splitlines()
    )
    assert JOIN_LINE in joining
    (scripts / "_bootstrap.ps1").write_text(joining + "\n", encoding="ascii")
    for name in ("_prelude.ps1", "_firewall.ps1", "_switch.ps1"):
        (scripts / name).write_bytes((source / name).read_bytes())
    state_dir = tmp_path_factory.mktemp("lab-joining")
    inventory = {"all": {"hosts": {"ps1": INVENTORY["all"]["hosts"]["ps1"]}}}
    written = api.start(inventory, state_dir, scripts_dir=scripts)
    yield written["all"]["hosts"]["ps1"], joining
    api.stop(state_dir)


def test_powershell_1_cannot_read_a_bootstrap_with_join_and_exits_1(
    joining_lab: tuple[dict[str, Any], str],
) -> None:
    host, bootstrap = joining_lab
    stdout, stderr, rc = _run(_protocol(host), _read(), bootstrap)
    assert (stdout, rc) == (b"", 1)
    first, position, line = stderr.decode().split("\r\n")[:3]
    assert first == "Unexpected token '-join' in expression or statement."
    assert position.startswith("At line:") and line.startswith("+ " + JOIN_LINE[:25])
    # The guard never ran: no word of its advice.
    assert b"KB968930" not in stderr


def test_an_envelope_over_150_kb_is_refused(lab: tuple[Path, dict[str, Any]]) -> None:
    section = _wire.Section(
        "g", (), tuple(_wire.WireRule(f"r{n}", description="x" * 500) for n in range(200))
    )
    stdin = _client.build_stdin(_wire.encode_apply([section], _ownership.PATTERN))
    assert len(stdin) > 120_000  # one Send of it is over 150 KB once base64-encoded

    with pytest.raises(WinRMError) as caught:
        _run(_protocol(lab[1]["r2"]), stdin)

    assert "MaxEnvelopeSize" in str(caught.value) or "2150859025" in str(caught.value)
    trace = api.trace(lab[0], ["r2"])["r2"]
    assert trace[-1]["op"] == "refused-envelope" and trace[-1]["envelope_bytes"] > 150 * 1024


def test_a_6th_shell_of_one_user_is_refused(lab: tuple[Path, dict[str, Any]]) -> None:
    """WinRM 2.0's MaxShellsPerUser is 5 ("Quota Management for Remote Shells", the WinRM
    2.0 edition; later WinRMs have 30)."""
    proto = _protocol(lab[1]["r2"])
    shells = [proto.open_shell() for _shell in range(5)]
    try:
        with pytest.raises(WSManFaultError) as caught:
            proto.open_shell()
        assert "maximum number of concurrent shells" in str(caught.value)
    finally:
        for shell in shells:
            proto.close_shell(shell)
    proto.close_shell(proto.open_shell())  # a slot is free again


def test_a_shell_left_idle_past_idle_timeout_gives_its_place_back(tmp_path: Path) -> None:
    """WinRM 2.0 deletes a shell idle for IdleTimeout (180,000 ms): a client that went away
    without deleting its shells does not hold the quota for ever."""
    config = {"name": "h", "id": "h", "transport": "basic", "user": "u", "password": "p"}
    scripts = wsman.Scripts.in_folder(SCRIPTS)
    host = wsman.Host(config, StateDir(tmp_path), scripts)
    reply = wsman.Reply(wsman.ACTION_CREATE, "uuid:1")
    assert [host._create(reply)[0] for _shell in range(6)] == [200] * 5 + [500]
    for shell in host.shells.values():
        shell.used -= wsman.IDLE_TIMEOUT_S - 1
    assert host._create(reply)[0] == 500, "not idle long enough yet"
    for shell in host.shells.values():
        shell.used -= 2
    assert host._create(reply)[0] == 200 and len(host.shells) == 1


def test_concurrent_operations_over_the_quota_are_refused(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    """One request in progress (a Receive waiting for stdin) uses the quota of 1."""
    proto = _protocol(lab[1]["busy"])
    shell = proto.open_shell()
    parts = ShellModule()._encode_script("x", as_list=True, strict_mode=False, preserve_rc=False)
    command = proto.run_command(shell, parts[0], parts[1:], console_mode_stdin=False)
    waiting = threading.Thread(target=_receive_quietly, args=(proto, shell, command))
    waiting.start()
    try:
        refused = None
        for _attempt in range(20):
            time.sleep(0.02)
            try:
                _protocol(lab[1]["busy"]).open_shell()
            except WSManFaultError as exc:
                refused = exc
                break
        assert refused is not None, "no request was refused while one was in progress"
        assert "maximum number of 1 concurrent operations" in str(refused)
    finally:
        waiting.join()
        proto.cleanup_command(shell, command)
        proto.close_shell(shell)


def _receive_quietly(proto: winrm.Protocol, shell: str, command: str) -> None:
    # The lab answers a Receive for a command still waiting for stdin after 0.2 s, with
    # the operation-timeout fault WinRM gives then.
    try:
        proto._raw_get_command_output(shell, command)
    except (WinRMError, WinRMOperationTimeoutError):
        pass


def test_a_tls_1_0_only_listener_refuses_a_tls_1_2_client(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    host = lab[1]["tls10"]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    url = f"https://{host['ansible_host']}:{host['ansible_port']}/wsman"
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION|protocol version|UNSUPPORTED"):
        try:
            urllib.request.urlopen(url, context=context, timeout=10)
        except urllib.error.URLError as exc:
            raise exc.reason from None


def _apply(state: dict[str, Any], rule: _wire.WireRule, group: str = "g", **kwargs: Any) -> Any:
    request = _wire.encode_apply([_wire.Section(group, (), (rule,))], _ownership.PATTERN)
    return firewall.run(state, request, **kwargs)


@pytest.mark.parametrize(
    ("rule", "group", "os_version", "refused"),
    [
        (_wire.WireRule("nul\0name"), "g", "6.1", "Name"),
        (_wire.WireRule("n", description="nul\0text"), "g", "6.1", "Description"),
        (_wire.WireRule("n"), "nul\0group", "6.1", "Grouping"),
        (_wire.WireRule("n", local_ports="0"), "g", "6.1", "LocalPorts"),
        (_wire.WireRule("n", remote_addresses="DNS"), "g", "6.0", "RemoteAddresses"),
        (_wire.WireRule("n", remote_addresses="DefaultGateway"), "g", "6.0", "RemoteAddresses"),
    ],
    ids=["nul-name", "nul-description", "nul-group", "port-0", "dns-on-2008", "gateway-on-2008"],
)
def test_the_simulated_firewall_refuses_what_windows_refuses(
    rule: _wire.WireRule, group: str, os_version: str, refused: str
) -> None:
    state = initial_state([])
    before = [dict(r) for r in state["rules"]]

    outcome = _apply(state, rule, group, os_version=os_version)

    assert outcome.rc == 2
    assert f'Exception setting "{refused}"' in outcome.error
    assert "nothing was removed" in outcome.error
    assert state["rules"] == before


def test_keywords_2008_lacks_are_accepted_on_2008_r2() -> None:
    state = initial_state([])
    assert _apply(state, _wire.WireRule("n", remote_addresses="DNS,WINS"), os_version="6.1").rc == 0


@pytest.mark.parametrize("hresult", ["0x800706D9", "0x8007042C"])
def test_a_stopped_firewall_service_gives_its_hresult(hresult: str) -> None:
    outcome = firewall.run(initial_state([]), _wire.encode_read(), service_stopped=hresult)
    assert outcome.rc == 2
    assert hresult in outcome.error and "sc.exe start MpsSvc" in outcome.error
    # The script's hint knows both codes (compared as signed 32-bit numbers).
    script = _client.script_text()
    assert str(int(hresult, 16) - 2**32) in script


def test_the_bootstrap_finds_the_separator_ordinally_and_refuses_an_empty_script() -> None:
    text = _client.bootstrap_text()
    assert '.IndexOf("`0`0`0`0", [StringComparison]::Ordinal)' in text
    assert "if ($ocsAt -le 0)" in text and "exit 3" in text
