"""Windows Firewall's numbers, keywords and limits (plugins/plugin_utils/_firewall/_windows.py).

The values are spelt out here as INetFwRule and icftypes.h define them, and compared with
the lab's own (dev/lab/ocs_lab/firewall.py), which shares no code with the plugins.
"""

from __future__ import annotations

from typing import Any

import pytest
from ocs_lab import firewall as lab

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _windows
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param(_windows.PROTOCOL_NUMBERS, {"tcp": 6, "udp": 17, "any": 256}, id="protocol"),
        pytest.param(_windows.PORT_PROTOCOL_NUMBERS, {"tcp": 6, "udp": 17}, id="port-protocol"),
        pytest.param(_windows.DIRECTION_NUMBERS, {"in": 1, "out": 2}, id="direction"),
        pytest.param(_windows.ACTION_NUMBERS, {"block": 0, "allow": 1}, id="action"),
        pytest.param(_windows.PROFILE_BITS, {"domain": 1, "private": 2, "public": 4}, id="profile"),
        pytest.param(_windows.DIRECTION_NAMES, {1: "in", 2: "out"}, id="direction-names"),
        pytest.param(_windows.ACTION_NAMES, {0: "block", 1: "allow"}, id="action-names"),
        pytest.param(
            _windows.PROFILE_NAMES, {1: "domain", 2: "private", 4: "public"}, id="profile-names"
        ),
        pytest.param(
            _windows.PROTOCOL_NAMES,
            {1: "icmpv4", 6: "tcp", 17: "udp", 58: "icmpv6", 256: "any"},
            id="protocol-names",
        ),
        pytest.param(
            _windows.ADDRESS_KEYWORDS,
            {
                "localsubnet": "LocalSubnet",
                "dns": "DNS",
                "dhcp": "DHCP",
                "wins": "WINS",
                "defaultgateway": "DefaultGateway",
            },
            id="address-keywords",
        ),
    ],
)
def test_tables(table: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert table == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(_windows.PORT_PROTOCOLS, ("tcp", "udp"), id="port-protocols"),
        pytest.param(_windows.ALL_PROFILES, ("domain", "private", "public"), id="all-profiles"),
        pytest.param(_windows.ALL_PROFILES_MASK, 7, id="all-profiles-mask"),
        pytest.param(_windows.ANY, "*", id="any"),
        pytest.param(_windows.KEYWORDS_SINCE_6_1, ("DNS", "DHCP", "WINS", "DefaultGateway")),
        pytest.param(_windows.MAX_NAME_LENGTH, 255, id="name-length"),
        pytest.param(
            (_windows.DEFAULT_DIRECTION, _windows.DEFAULT_ACTION, _windows.DEFAULT_PROTOCOL),
            ("in", "allow", "tcp"),
            id="rule-defaults",
        ),
    ],
)
def test_values(value: object, expected: object) -> None:
    assert value == expected


@pytest.mark.parametrize(
    ("ours", "the_labs"),
    [
        pytest.param(_windows.PROTOCOL_NUMBERS["tcp"], lab.TCP, id="tcp"),
        pytest.param(_windows.PROTOCOL_NUMBERS["udp"], lab.UDP, id="udp"),
        pytest.param(_windows.PROTOCOL_NUMBERS["any"], lab.ANY_PROTOCOL, id="any"),
        pytest.param(
            tuple(_windows.PORT_PROTOCOL_NUMBERS.values()), lab.PORT_PROTOCOLS, id="port-protocols"
        ),
        pytest.param(tuple(_windows.PROFILE_BITS.values()), lab.PROFILE_TYPES, id="profiles"),
        pytest.param(_windows.ADDRESS_KEYWORDS, lab.ADDRESS_KEYWORDS, id="address-keywords"),
    ],
)
def test_the_lab_reads_windows_alike(ours: object, the_labs: object) -> None:
    assert ours == the_labs


def test_names_of_reverses_a_table() -> None:
    assert _windows.names_of({"a": 1, "b": 2}) == {1: "a", 2: "b"}
    assert _windows.names_of({}) == {}


def test_the_wire_records_defaults_are_the_rule_defaults_in_windows_numbers() -> None:
    record = _wire.WireRule("n")
    assert (record.direction, record.action, record.protocol) == (1, 1, 6)
    assert (record.local_ports, record.remote_addresses, record.profiles) == ("*", "*", 7)
    assert record.enabled is True and record.description == ""


def test_the_description_limit_is_the_labs() -> None:
    # [MS-FASP] FW_RULE.wszDescription: 1 to 10001 characters with the terminating NUL.
    assert _windows.MAX_DESCRIPTION_LENGTH == lab.MAX_DESCRIPTION_LENGTH == 10_000
