"""The rule model (plugins/plugin_utils/_firewall/_rules.py): a rule of the ``rules`` option checked
and canonical, its names, and its Windows form both ways (``ADD`` and ``RULE`` records)."""

from __future__ import annotations

import dataclasses

import pytest
from checkout import REMOTE_SCRIPTS
from expected import HOSTILE_TEXTS

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules, _windows
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert, _wire

# --- rule validation --------------------------------------------------------------------------


def test_defaults() -> None:
    assert _rules.normalise_rule({"name": "x"}, 0) == Rule(
        name="x",
        description="",
        direction="in",
        action="allow",
        protocol="tcp",
        profiles=("domain", "private", "public"),
        enabled=True,
    )


def test_full_rule() -> None:
    rule = _rules.normalise_rule(
        {
            "name": "SIP",
            "description": "d",
            "direction": "out",
            "action": "block",
            "protocol": "udp",
            "local_ports": "5061,5060",
            "remote_ports": [1024, "1025-2000"],
            "local_addresses": "10.0.0.0/255.255.255.0",
            "remote_addresses": ["LOCALSUBNET"],
            "profiles": ["public"],
            "enabled": "no",
        },
        3,
    )
    assert rule.to_dict() == {
        "name": "SIP",
        "description": "d",
        "direction": "out",
        "action": "block",
        "protocol": "udp",
        "local_ports": ["5060-5061"],
        "remote_ports": ["1024-2000"],
        "local_addresses": ["10.0.0.0/24"],
        "remote_addresses": ["LocalSubnet"],
        "profiles": ["public"],
        "enabled": False,
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "r", "local_ports": 0}, "rules[2] ('r').local_ports: '0' is out of range"),
        ({"name": "r", "remote_ports": 70000}, "rules[2] ('r').remote_ports: '70000'"),
        ({"name": "r", "local_ports": "10-5"}, "rules[2] ('r').local_ports: '10-5' is a reversed"),
        (
            {"name": "r", "protocol": "any", "local_ports": 443},
            "rules[2] ('r').local_ports: 443 needs protocol tcp or udp",
        ),
        (
            {"name": "r", "protocol": "any", "remote_ports": "1-2"},
            "rules[2] ('r').remote_ports: '1-2' needs protocol tcp or udp",
        ),
        (
            {"name": "r", "remote_addresses": "10.0.0.300"},
            "rules[2] ('r').remote_addresses: '10.0.0.300' is not a valid address",
        ),
        ({"name": "a|b"}, "rules[2].name: 'a|b' contains '|'"),
        ({"name": ""}, "rules[2].name: the name is empty"),
        ({"name": "x" * 256}, "is 256 characters long; at most 255"),
        ({"name": "All"}, "rules[2].name: 'All' is reserved"),
        (
            {"name": "OCS.Firewall-Removing-1"},
            "rules[2].name: 'OCS.Firewall-Removing-1' starts with 'ocs.firewall-removing-'",
        ),
        (
            {"name": "r", "local_addresses": ["10.0.0.1", "LocalSubnet"]},
            "rules[2] ('r').local_addresses: 'LocalSubnet' is a keyword Windows Firewall only "
            "accepts in remote addresses",
        ),
        ({"name": 5060}, "rules[2].name: 5060 is not a string"),
        ({}, "rules[2]: the field name is required"),
        ({"name": "r", "description": "a|b"}, "rules[2] ('r').description: 'a|b' contains '|'"),
        (
            {"name": "r", "direction": "inbound"},
            "rules[2] ('r').direction: 'inbound' is not valid; valid are in, out",
        ),
        (
            {"name": "r", "action": "deny"},
            "rules[2] ('r').action: 'deny' is not valid; valid are block, allow",
        ),
        (
            {"name": "r", "protocol": "icmp"},
            "rules[2] ('r').protocol: 'icmp' is not valid; valid are tcp, udp, any",
        ),
        (
            {"name": "r", "profiles": ["work"]},
            "rules[2] ('r').profiles: 'work' is not a profile; valid are domain, private, public",
        ),
        (
            {"name": "r", "enabled": "maybe"},
            "rules[2] ('r').enabled: 'maybe' is not a boolean; valid are true, false",
        ),
        ({"name": "r", "port": 1}, "rules[2]: unknown field(s) port; valid are name, description"),
        ("r", "rules[2]: 'r' is not a dictionary"),
    ],
)
def test_rule_errors_name_rule_field_and_value(raw: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        _rules.normalise_rule(raw, 2)
    assert message in str(info.value)


def test_255_character_name_is_accepted() -> None:
    assert _rules.normalise_rule({"name": "x" * 255}, 0).name == "x" * 255


@pytest.mark.parametrize(
    "description",
    [
        pytest.param("d" * 10_000, id="10000-characters"),
        # U+1F600 is two UTF-16 code units, so 5,000 of them are what Windows calls 10,000.
        pytest.param("\U0001f600" * 5_000, id="10000-code-units"),
    ],
)
def test_a_description_of_10000_characters_is_accepted(description: str) -> None:
    assert _rules.normalise_rule({"name": "r", "description": description}, 0).description == (
        description
    )


@pytest.mark.parametrize(
    ("description", "length"),
    [
        pytest.param("d" * 10_001, "10,001", id="10001-characters"),
        pytest.param("d" * 9_999 + "\U0001f600", "10,001", id="10001-code-units"),
        pytest.param("\U0001f600" * 6_000, "12,000", id="12000-code-units"),
    ],
)
def test_a_longer_description_is_refused_naming_the_option_and_its_length(
    description: str, length: str
) -> None:
    with pytest.raises(InputError) as info:
        _rules.normalise_rule({"name": "SIP", "description": description}, 3)
    message = str(info.value)
    assert message.startswith("rules[3] ('SIP').description: ")
    assert f"is {length} characters long" in message and "at most 10,000" in message
    assert len(message) < 300  # the description itself is not repeated whole


def test_the_room_the_marker_takes_is_counted() -> None:
    assert _rules.description_problem("d" * 9_985, " [ocs.firewall]") is None
    problem = _rules.description_problem("d" * 9_986, " [ocs.firewall]")
    assert problem == (
        "is 9,986 characters long, 10,001 with the '[ocs.firewall]' the collection puts at "
        "its end; Windows Firewall stores descriptions of at most 10,000, so give at most 9,985"
    )


HOSTILE_NAMES = [t for t in HOSTILE_TEXTS if "|" not in t and "\0" not in t]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_and_descriptions_are_carried_verbatim(name: str) -> None:
    rule = _rules.normalise_rule({"name": name, "description": name}, 0)
    assert rule.name == name
    assert rule.description == name
    assert _convert.to_windows(rule).name == name


@pytest.mark.parametrize(
    "names",
    [["SIP", "sip"], ["a", "b", "A"], ["Zürich", "ZÜRICH"], ["x", "x"]],
)
def test_duplicate_names_are_rejected(names: list[str]) -> None:
    with pytest.raises(InputError, match="is already used by rules\\[") as info:
        _rules.normalise_rules([{"name": n} for n in names])
    assert "ignoring case" in str(info.value)


def test_names_differing_beyond_case_are_distinct() -> None:
    # "ß" has no single-character upper case; Windows does not fold it into "SS".
    assert len(_rules.normalise_rules([{"name": "straße"}, {"name": "STRASSE"}])) == 2


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ("", "group: '' is not a group name"),
        ("  ", "is not a group name"),
        (None, "group: None is not a group name"),
        ("a|b", "group: 'a|b' contains '|'"),
        ("g" * 256, "256 characters long"),
    ],
)
def test_group_errors(group: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        _rules.check_group(group)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        pytest.param({"name": "n"}, _wire.WireRule("n"), id="defaults"),
        pytest.param(
            {"name": "n", "direction": "out", "action": "block", "protocol": "udp"},
            _wire.WireRule("n", direction=2, action=0, protocol=17),
            id="numbers",
        ),
        pytest.param(
            {
                "name": "n",
                "local_ports": [5061, 5060, 443],
                "remote_addresses": ["10.0.0.0/24", "DNS"],
            },
            _wire.WireRule("n", local_ports="443,5060-5061", remote_addresses="DNS,10.0.0.0/24"),
            id="canonical-text-any-is-star",
        ),
        pytest.param(
            {"name": "n", "profiles": ["domain", "public"], "enabled": False, "protocol": "any"},
            _wire.WireRule("n", protocol=256, profiles=5, enabled=False),
            id="profile-mask",
        ),
    ],
)
def test_to_windows(raw: dict[str, object], sent: _wire.WireRule) -> None:
    assert _convert.to_windows(_rules.normalise_rule(raw, 0)) == sent


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            _wire.WireRule(
                "SIP",
                local_ports="5061,5060",
                remote_addresses="10.0.0.0/255.255.255.0,10.0.0.9/255.255.255.255",
                profiles=2147483647,
            ),
            {"local_ports": "5060-5061", "remote_addresses": "10.0.0.9,10.0.0.0/24"},
            id="as-windows-stores-it",
        ),
        pytest.param(
            _wire.WireRule("out", direction=2, action=0, protocol=17, profiles=6, enabled=False),
            {
                "direction": "out",
                "action": "block",
                "protocol": "udp",
                "profiles": "private,public",
                "enabled": False,
            },
            id="numbers",
        ),
    ],
)
def test_rule_from_host_is_canonical(record: _wire.WireRule, expected: dict[str, object]) -> None:
    assert _convert.rule_from_host(record) == _rules.normalise_rule(
        {"name": record.name, **expected}, 0
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param(
            _wire.WireRule("ping", protocol=1, local_ports="", remote_ports="", profiles=1),
            {"protocol": "icmpv4", "local_ports": (), "profiles": ("domain",)},
            id="icmpv4",
        ),
        pytest.param(
            _wire.WireRule("v6", protocol=58, local_addresses="", remote_addresses=""),
            {"protocol": "icmpv6", "local_addresses": ()},
            id="icmpv6",
        ),
        pytest.param(
            _wire.WireRule("gre", protocol=47, direction=3, action=2, profiles=0),
            {"protocol": "47", "direction": "3", "action": "2", "profiles": ()},
            id="numbers-without-names-kept",
        ),
        pytest.param(
            _wire.WireRule("rpc", local_ports="RPC,135", remote_addresses="Intranet,10.0.0.1"),
            {"local_ports": ("135", "RPC"), "remote_addresses": ("10.0.0.1", "Intranet")},
            id="keywords-kept",
        ),
    ],
)
def test_rule_from_host_never_refuses_what_windows_stores(
    record: _wire.WireRule, expected: dict[str, object]
) -> None:
    rule = _convert.rule_from_host(record)
    assert {field: getattr(rule, field) for field in expected} == expected


def test_the_model_and_the_wire_record_name_the_same_fields_in_the_same_order() -> None:
    wire = [f.name for f in dataclasses.fields(_wire.WireRule)]
    assert list(_rules.RULE_FIELDS) == wire[: len(_rules.RULE_FIELDS)]
    assert wire[len(_rules.RULE_FIELDS) :] == [
        "grouping",
        "application",
        "service",
        "icmp_types_and_codes",
    ]


def test_a_rule_left_at_its_defaults_is_the_wire_records_defaults() -> None:
    assert _convert.to_windows(Rule("n")) == _wire.WireRule("n")
    assert _rules.normalise_rule({"name": "n"}, 0) == Rule("n")


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "defaults"},
        {"name": "SIP", "local_ports": "5061,5060", "remote_addresses": ["10.0.0.0/24", "DNS"]},
        {"name": "out", "direction": "out", "action": "block", "protocol": "any"},
        {"name": "v6", "local_addresses": "fe80::1", "profiles": "public", "enabled": False},
        *({"name": name, "description": name} for name in HOSTILE_NAMES),
    ],
)
def test_a_rule_sent_and_read_back_is_the_same_rule(raw: dict[str, object]) -> None:
    rule = _rules.normalise_rule(raw, 0)
    assert _convert.rule_from_host(_convert.to_windows(rule)) == rule


@pytest.mark.parametrize("keyword", ["LocalSubnet", "dns", "DHCP", "wins", "DefaultGateway"])
def test_address_keywords_are_remote_only(keyword: str) -> None:
    rule = _rules.normalise_rule({"name": "r", "remote_addresses": keyword}, 0)
    assert rule.remote_addresses == (_windows.ADDRESS_KEYWORDS[keyword.lower()],)
    with pytest.raises(InputError) as info:
        _rules.normalise_rule({"name": "r", "local_addresses": keyword}, 0)
    message = str(info.value)
    assert message.startswith(f"rules[0] ('r').local_addresses: {keyword!r} is a keyword")
    # The valid forms are listed, without the keywords that are not valid here.
    assert "'address/prefix'" in message
    assert "DefaultGateway" not in message.replace(repr(keyword), "")


def test_local_address_errors_do_not_offer_keywords() -> None:
    with pytest.raises(InputError) as info:
        _rules.normalise_rule({"name": "r", "local_addresses": "10.0.0.300"}, 0)
    assert "'10.0.0.300' is not a valid address" in str(info.value)
    assert "LocalSubnet" not in str(info.value)


def test_tombstone_prefix_is_the_one_the_script_uses() -> None:
    script = (REMOTE_SCRIPTS / "_firewall.ps1").read_text(encoding="ascii")
    assert f"$tombstone = '{_rules.TOMBSTONE_PREFIX}' + " in script
