"""What a Windows Server 2008 / 2008 R2 host can take (plugins/plugin_utils/_remote/_platform.py).

How a large apply is cut to fit is tested with ``_wire.split_apply`` (test_wire.py), the
room the script leaves with ``RemoteFirewall.request_budget`` (test_client.py)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _platform


def rule(name: str, **fields: Any) -> _rules.Rule:
    return _rules.normalise_rules([{"name": name, **fields}])[0]


@pytest.mark.parametrize(
    ("os_version", "addresses", "refused"),
    [
        ("6.0.6002", ["DNS"], ["DNS"]),
        ("6.0.6001", ["10.0.0.1", "DHCP", "WINS"], ["DHCP", "WINS"]),
        ("6.0.6002", ["DefaultGateway", "LocalSubnet"], ["DefaultGateway"]),
        ("6.0.6002", ["LocalSubnet"], []),
        ("6.1.7601", ["DNS", "DHCP", "WINS", "DefaultGateway"], []),
        ("6.3.9600", ["DNS"], []),
    ],
)
def test_keywords_2008_lacks_are_refused_there_only(
    os_version: str, addresses: list[str], refused: list[str]
) -> None:
    problems = _platform.unsupported([rule("r", remote_addresses=addresses)], os_version)
    if not refused:
        assert problems == []
        return
    (problem,) = problems
    assert "'r'" in problem and f"({os_version})" in problem and "Windows Server 2008" in problem
    for keyword in refused:
        assert keyword in problem


@pytest.mark.parametrize(
    ("kb", "budget"),
    [
        (150, (150 * 1024 - 4096) * 3 // 4),
        (32, (32 * 1024 - 4096) * 3 // 4),
        (500, 64 * 1024 * 1024),  # every 200,000-byte piece fits in one envelope
    ],
)
def test_stdin_budget(kb: int, budget: int) -> None:
    assert _platform.stdin_budget(kb) == budget
    if kb == 150:
        # One full Send of that much stdin stays under the quota.
        envelope = len(base64.b64encode(b"x" * budget)) + _platform.ENVELOPE_OVERHEAD
        assert envelope <= 150 * 1024


@pytest.mark.parametrize(("value", "expected"), [(150, 150), ("500", 500), (" 8192", 8192)])
def test_max_envelope_kb_accepts_numbers(value: Any, expected: int) -> None:
    assert _platform.check_max_envelope_kb(value) == expected


@pytest.mark.parametrize("value", [0, 31, "lots", True, None, 1.5, [150]])
def test_max_envelope_kb_refuses_the_rest_naming_the_variable(value: Any) -> None:
    with pytest.raises(ValueError, match="ocs_firewall_winrm_max_envelope_kb"):
        _platform.check_max_envelope_kb(value)


@pytest.mark.parametrize(
    ("transport", "refused"),
    [("winrm", False), (None, False), ("psrp", True), ("ssh", True), ("local", True)],
)
def test_only_winrm_carries_the_script(transport: Any, refused: bool) -> None:
    problem = _platform.connection_problem(transport)
    assert (problem is not None) == refused
    if refused:
        assert "ansible_connection: winrm" in str(problem)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version", "TLS 1.2"),
        ("[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol", "5985"),
        ("WSManFault code 2150859025 MaxEnvelopeSize", "ocs_firewall_winrm_max_envelope_kb"),
        ("w:QuotaLimit maximum number of concurrent shells", "MaxShellsPerUser"),
        # WinRM 2.0's own words, without the fault's subcode.
        (
            "The WS-Management service cannot process the request. This user is allowed a "
            "maximum number of 5 concurrent shells, which has been exceeded.",
            "5 shells per user by default on WinRM 2.0",
        ),
        ("connection refused", None),
    ],
)
def test_connection_hints(text: str, names: str | None) -> None:
    hint = _platform.connection_hint(text)
    assert (hint is None) == (names is None)
    if names:
        assert names in str(hint)


# ---- labels, several rules, send failures ---------------------------------------------------


@pytest.mark.parametrize(
    ("version", "label", "is_6_0"),
    [
        # [Environment]::OSVersion.Version on .NET 2.0: four parts, the service pack last.
        ("6.1.7601.65536", "Windows Server 2008 R2 (6.1.7601.65536)", False),
        ("6.0.6002.131072", "Windows Server 2008 (6.0.6002.131072)", True),
        ("5.2.3790.131072", "Windows Server 2003 (5.2.3790.131072)", False),
        # Three parts are taken as well.
        ("6.1.7601", "Windows Server 2008 R2 (6.1.7601)", False),
        ("6.0.6002", "Windows Server 2008 (6.0.6002)", True),
        ("6.0", "Windows Server 2008 (6.0)", True),
        ("6.2.9200", "Windows (6.2.9200)", False),
        ("60.1", "Windows (60.1)", False),
    ],
)
def test_os_versions(version: str, label: str, is_6_0: bool) -> None:
    assert _platform.os_label(version) == label
    assert _platform.is_6_0(version) is is_6_0


def test_every_rule_with_a_missing_keyword_is_named() -> None:
    rules = [rule("a", remote_addresses=["DNS"]), rule("b"), rule("c", remote_addresses=["WINS"])]
    problems = _platform.unsupported(rules, "6.0.6002.131072")
    assert [p.split("'")[1] for p in problems] == ["a", "c"]
    assert problems[0].endswith("use the servers' addresses instead")


@pytest.mark.parametrize(("value", "words"), [(31, "31 is below 32"), ("lots", "not a number")])
def test_max_envelope_kb_says_why(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        _platform.check_max_envelope_kb(value)


@pytest.mark.parametrize(
    "text",
    [
        "[SSL: WRONG_VERSION_NUMBER] wrong version number",
        "Bad HTTP response returned from server. Code 400 (2150859025)",
        "maximum number of concurrent shells for this user has been exceeded",
    ],
)
def test_more_connection_hints(text: str) -> None:
    assert _platform.connection_hint(text) is not None


def test_send_failure() -> None:
    assert _platform.is_send_failure("winrm send_input failed; \nstdout: \nstderr ")
    assert not _platform.is_send_failure("winrm connection error: timed out")
    message = _platform.send_failure_message(150, 123456)
    assert "123456 bytes of stdin" in message
    assert "nothing was changed" in message and "ocs_firewall_winrm_max_envelope_kb" in message
