"""Rule model: canonical form, validation and the desired-vs-actual plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._rules import (
    HostRule,
    Rule,
    RuleError,
)

# --- ports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("*", ()),
        ("any", ()),
        ("ANY", ()),
        ([], ()),
        (["*"], ()),
        (443, ("443",)),
        ("443", ("443",)),
        (" 443 ", ("443",)),
        ("5060,5061", ("5060-5061",)),
        ("5061,5060", ("5060-5061",)),
        ("5060-5061", ("5060-5061",)),
        ([5061, 5060], ("5060-5061",)),
        (["5060", 5061], ("5060-5061",)),
        ("5061-5061", ("5061",)),
        ("5060 - 5062", ("5060-5062",)),
        ([443, "5060,5061", "5062-5065"], ("443", "5060-5065")),
        ("1-10,5-20,22", ("1-20", "22")),
        ("443,443", ("443",)),
        ("1,65535", ("1", "65535")),
        ("1-65535", ("1-65535",)),
        ("443,", ("443",)),
    ],
)
def test_canonical_ports(value: object, expected: tuple[str, ...]) -> None:
    assert _rules.canonical_ports(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "'0' is out of range; valid ports are 1..65535"),
        (70000, "'70000' is out of range"),
        ("65536", "'65536' is out of range"),
        ("0-10", "'0-10' is out of range"),
        ("10-5", "'10-5' is a reversed range"),
        ("http", "'http' is not a port number or range"),
        ("-5", "'-5' is not a port number or range"),
        ("1.5", "'1.5' is not a port number or range"),
        (True, "True is not a port"),
        (4.5, "4.5 is not a port"),
        ([443, None], "None is not a port"),
        ("443,*", "mixes 'any' with port numbers"),
    ],
)
def test_canonical_ports_rejects(value: object, message: str) -> None:
    with pytest.raises(RuleError, match="^where: ") as info:
        _rules.canonical_ports(value, "where")
    assert message in str(info.value)


def test_host_ports_keep_windows_keywords() -> None:
    # Built-in rules carry keywords such as RPC; reading them must not fail.
    assert _rules.canonical_ports("RPC,135,136", strict=False) == ("135-136", "RPC")
    assert _rules.canonical_ports("0", strict=False) == ("0",)


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "windows"),
    [
        ("10.0.0.0/24", "10.0.0.0/255.255.255.0"),
        ("10.0.0.1", "10.0.0.1/255.255.255.255"),
        ("10.0.0.1/32", "10.0.0.1"),
        ("10.0.0.5/24", "10.0.0.0/255.255.255.0"),
        ("fe80::1", "fe80::1/128"),
        ("FE80::0001", "fe80::1"),
        ("2001:db8::/32", "2001:db8:0:0:0:0:0:0/32"),
        ("LocalSubnet", "localsubnet"),
        ("dns", "DNS"),
        ("defaultgateway", "DefaultGateway"),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"),
        ("10.0.0.1 - 10.0.0.1", "10.0.0.1"),
        ("*", ""),
        ("any", "*"),
        (["10.0.0.2", "10.0.0.1"], "10.0.0.1/255.255.255.255,10.0.0.2/255.255.255.255"),
        ("WINS,10.1.0.0/16", "10.1.0.0/255.255.0.0,wins"),
    ],
)
def test_addresses_equal_as_windows_stores_them(user: object, windows: str) -> None:
    assert _rules.canonical_addresses(user) == _rules.canonical_addresses(windows, strict=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.0.0.0/255.255.255.0", ("10.0.0.0/24",)),
        ("10.0.0.1/255.255.255.255", ("10.0.0.1",)),
        ("fe80::1/128", ("fe80::1",)),
        (
            ["fe80::1", "10.0.0.1", "LocalSubnet", "10.0.0.0/8"],
            ("LocalSubnet", "10.0.0.0/8", "10.0.0.1", "fe80::1"),
        ),
        ("10.0.0.1,10.0.0.1/32", ("10.0.0.1",)),
    ],
)
def test_canonical_address_text(value: object, expected: tuple[str, ...]) -> None:
    assert _rules.canonical_addresses(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.256",
        "10.0.0",
        "10.0.0.0/33",
        "fe80::1::2",
        "10.0.0.9-10.0.0.1",
        "10.0.0.1-fe80::1",
        "intranet-ish",
        "localhost",
        "10.0.0.0/255.0.255.0",
    ],
)
def test_bad_addresses_are_rejected_with_the_value(value: str) -> None:
    with pytest.raises(RuleError) as info:
        _rules.canonical_addresses(value, "rules[0].remote_addresses")
    message = str(info.value)
    assert message.startswith("rules[0].remote_addresses: ")
    assert repr(value) in message
    assert "LocalSubnet, DNS, DHCP, WINS, DefaultGateway" in message


@pytest.mark.parametrize("keyword", ["LocalSubnet", "dns", "DHCP", "wins", "DefaultGateway"])
def test_address_keywords_are_remote_only(keyword: str) -> None:
    rule = _rules.normalise_rule({"name": "r", "remote_addresses": keyword}, 0)
    assert rule.remote_addresses == (_rules.ADDRESS_KEYWORDS[keyword.lower()],)
    with pytest.raises(RuleError) as info:
        _rules.normalise_rule({"name": "r", "local_addresses": keyword}, 0)
    message = str(info.value)
    assert message.startswith(f"rules[0] ('r').local_addresses: {keyword!r} is a keyword")
    # The valid forms are listed, without the keywords that are not valid here.
    assert "'address/prefix'" in message
    assert "DefaultGateway" not in message.replace(repr(keyword), "")


def test_local_address_errors_do_not_offer_keywords() -> None:
    with pytest.raises(RuleError) as info:
        _rules.normalise_rule({"name": "r", "local_addresses": "10.0.0.300"}, 0)
    assert "'10.0.0.300' is not a valid address" in str(info.value)
    assert "LocalSubnet" not in str(info.value)


def test_addresses_any_cannot_be_mixed() -> None:
    with pytest.raises(RuleError, match="mixes 'any'"):
        _rules.canonical_addresses(["*", "10.0.0.1"])


def test_host_addresses_keep_unknown_tokens() -> None:
    assert _rules.canonical_addresses("Intranet,10.0.0.1", strict=False) == (
        "10.0.0.1",
        "Intranet",
    )


# --- profiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("domain", "private", "public")),
        (["public", "domain"], ("domain", "public")),
        ("private", ("private",)),
        ("Public,DOMAIN", ("domain", "public")),
        (["all"], ("domain", "private", "public")),
    ],
)
def test_canonical_profiles(value: object, expected: tuple[str, ...]) -> None:
    assert _rules.canonical_profiles(value) == expected


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (2147483647, ("domain", "private", "public")),
        (7, ("domain", "private", "public")),
        (1, ("domain",)),
        (6, ("private", "public")),
        (0, ()),
    ],
)
def test_profiles_from_mask(mask: int, expected: tuple[str, ...]) -> None:
    assert _rules.profiles_from_mask(mask) == expected


@pytest.mark.parametrize(("value", "bad"), [([], "[]"), (["work"], "'work'"), ([1], "1")])
def test_bad_profiles(value: object, bad: str) -> None:
    with pytest.raises(RuleError, match="valid are domain, private, public|at least one") as info:
        _rules.canonical_profiles(value)
    assert bad in str(info.value)


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
    with pytest.raises(RuleError) as info:
        _rules.normalise_rule(raw, 2)
    assert message in str(info.value)


def test_255_character_name_is_accepted() -> None:
    assert _rules.normalise_rule({"name": "x" * 255}, 0).name == "x" * 255


HOSTILE_NAMES = [
    'O\'Brien "quoted"',
    "$(Remove-Item C:\\ -Recurse)",
    "back`tick`n",
    "semi; colon & amp",
    "line\nbreak\r\nand tab\t",
    "100% %PATH% !x!",
    "Zürich – 北京 – ☎",
    "trailing space ",
    "<script>&lt;",
    "@FirewallAPI.dll,-28502",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_and_descriptions_are_carried_verbatim(name: str) -> None:
    rule = _rules.normalise_rule({"name": name, "description": name}, 0)
    assert rule.name == name
    assert rule.description == name
    assert _rules.to_windows(rule).name == name


@pytest.mark.parametrize(
    "names",
    [["SIP", "sip"], ["a", "b", "A"], ["Zürich", "ZÜRICH"], ["x", "x"]],
)
def test_duplicate_names_are_rejected(names: list[str]) -> None:
    with pytest.raises(RuleError, match="is already used by rules\\[") as info:
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
    with pytest.raises(RuleError) as info:
        _rules.check_group(group)
    assert message in str(info.value)


def test_to_windows_numbers() -> None:
    rule = _rules.normalise_rule(
        {
            "name": "n",
            "direction": "out",
            "action": "block",
            "protocol": "udp",
            "local_ports": [5061, 5060, 443],
            "remote_addresses": ["10.0.0.0/24", "DNS"],
            "profiles": ["domain", "public"],
            "enabled": False,
        },
        0,
    )
    windows = _rules.to_windows(rule)
    assert (windows.direction, windows.action, windows.protocol) == (2, 0, 17)
    assert windows.local_ports == "443,5060-5061"
    assert windows.remote_ports == "*"
    assert windows.local_addresses == "*"
    assert windows.remote_addresses == "DNS,10.0.0.0/24"
    assert (windows.profiles, windows.enabled) == (5, False)


def test_rule_from_host_is_canonical() -> None:
    rule = _rules.rule_from_host(
        name="SIP",
        description="",
        direction=1,
        action=1,
        protocol=6,
        local_ports="5061,5060",
        remote_ports="*",
        local_addresses="*",
        remote_addresses="10.0.0.0/255.255.255.0,10.0.0.9/255.255.255.255",
        profiles=2147483647,
        enabled=True,
    )
    desired = _rules.normalise_rule(
        {"name": "SIP", "local_ports": "5060-5061", "remote_addresses": "10.0.0.9,10.0.0.0/24"},
        0,
    )
    assert rule == desired


def test_rule_from_host_other_protocols() -> None:
    rule = _rules.rule_from_host(
        name="ping",
        description="",
        direction=1,
        action=1,
        protocol=1,
        local_ports="",
        remote_ports="",
        local_addresses="",
        remote_addresses="",
        profiles=1,
        enabled=False,
    )
    assert (rule.protocol, rule.local_ports, rule.profiles) == ("icmpv4", (), ("domain",))


# --- plan -------------------------------------------------------------------------------------


def desired(*raws: dict[str, object]) -> list[Rule]:
    return _rules.normalise_rules(list(raws))


def host(name: str, group: str = "G", application: str = "", **fields: object) -> HostRule:
    return HostRule(
        rule=_rules.normalise_rule({"name": name, **fields}, 0),
        group=group,
        application=application,
    )


def test_plan_converged() -> None:
    plan = _rules.plan_changes(
        desired({"name": "a", "local_ports": "1,2"}),
        [host("a", local_ports="1-2")],
        purge=True,
        state="present",
    )
    assert not plan.changed
    assert (plan.removes, plan.adds, plan.added, plan.updated, plan.removed) == ((),) * 5


def test_plan_add_update_remove() -> None:
    plan = _rules.plan_changes(
        desired({"name": "new"}, {"name": "Changed", "local_ports": 2}, {"name": "same"}),
        [host("changed", local_ports=1), host("same"), host("gone")],
        purge=True,
        state="present",
    )
    assert plan.changed
    assert plan.added == ("new",)
    assert plan.updated == ("Changed",)
    assert plan.removed == ("gone",)
    # An update is a remove of the host's name then an add of the wanted rule.
    assert plan.removes == ("changed", "gone")
    assert [r.name for r in plan.adds] == ["new", "Changed"]
    assert [r.name for r in plan.after] == ["Changed", "new", "same"]


def test_plan_name_case_change_is_an_update() -> None:
    plan = _rules.plan_changes(desired({"name": "SIP"}), [host("sip")], purge=True, state="present")
    assert plan.updated == ("SIP",)
    assert plan.removes == ("sip",)


def test_plan_duplicates_are_replaced_by_one() -> None:
    plan = _rules.plan_changes(
        desired({"name": "a"}), [host("a"), host("A")], purge=True, state="present"
    )
    assert plan.updated == ("a",)
    assert plan.removes == ("a",)  # one REMOVE drops every copy
    assert [r.name for r in plan.adds] == ["a"]


def test_plan_unmanaged_properties_make_a_difference() -> None:
    plan = _rules.plan_changes(
        desired({"name": "a"}),
        [host("a", application="C:\\x.exe")],
        purge=True,
        state="present",
    )
    assert plan.updated == ("a",)
    assert plan.diff()["before"]["a"]["application"] == "C:\\x.exe"


def test_plan_without_purge_keeps_unlisted() -> None:
    plan = _rules.plan_changes(
        desired({"name": "a"}), [host("other")], purge=False, state="present"
    )
    assert plan.removes == ()
    assert plan.added == ("a",)
    assert [r.name for r in plan.after] == ["a", "other"]


@pytest.mark.parametrize(
    ("purge", "removed", "kept"),
    [(True, ("a", "b"), []), (False, ("a",), ["b"])],
)
def test_plan_absent(purge: bool, removed: tuple[str, ...], kept: list[str]) -> None:
    plan = _rules.plan_changes(
        desired({"name": "A"}, {"name": "missing"}),
        [host("a"), host("b")],
        purge=purge,
        state="absent",
    )
    assert plan.removed == removed
    assert plan.removes == removed
    assert plan.adds == ()
    assert [r.name for r in plan.after] == kept


def test_plan_diff_is_keyed_by_name() -> None:
    plan = _rules.plan_changes(
        desired({"name": "a", "local_ports": 2}),
        [host("a", local_ports=1), host("a")],
        purge=True,
        state="present",
    )
    diff = plan.diff()
    assert set(diff["before"]) == {"a", "a (copy 2)"}
    assert diff["before"]["a"]["local_ports"] == ["1"]
    assert diff["after"] == {"a": {k: v for k, v in plan.after[0].to_dict().items() if k != "name"}}
    assert diff["after"]["a"]["local_ports"] == ["2"]


def test_plan_rejects_unknown_state() -> None:
    with pytest.raises(RuleError, match="valid are present, absent"):
        _rules.plan_changes([], [], purge=True, state="gone")


TOMBSTONES = (
    "ocs.firewall-removing-0123456789abcdef0123456789abcdef",
    "ocs.firewall-removing-fedcba9876543210fedcba9876543210",
)


def tombstone(name: str) -> HostRule:
    # A rule the script renamed and then failed to remove (it keeps the rest of its values).
    return HostRule(rule=Rule(name=name, local_ports=("5061",)), group="G")


@pytest.mark.parametrize(("state", "purge"), [("present", False), ("present", True)])
def test_plan_removes_leftover_tombstones_even_without_purge(state: str, purge: bool) -> None:
    plan = _rules.plan_changes(
        desired({"name": "a"}),
        [tombstone(TOMBSTONES[0]), host("a"), tombstone(TOMBSTONES[1]), host("other")],
        purge=purge,
        state=state,
    )
    assert plan.changed
    # Finished first, before anything else the plan does.
    assert plan.removes[:2] == TOMBSTONES
    assert plan.removed[:2] == TOMBSTONES
    assert plan.adds == () and plan.added == () and plan.updated == ()
    assert (plan.removed[2:] == ("other",)) is purge
    assert not any(_rules.is_tombstone(r.name) for r in plan.after)
    assert set(plan.diff()["before"]) >= set(TOMBSTONES)


@pytest.mark.parametrize(("purge", "removed"), [(False, ("a",)), (True, ("a", "b"))])
def test_plan_absent_removes_leftover_tombstones(purge: bool, removed: tuple[str, ...]) -> None:
    plan = _rules.plan_changes(
        desired({"name": "a"}),
        [host("a"), tombstone(TOMBSTONES[0]), host("b")],
        purge=purge,
        state="absent",
    )
    assert plan.removed == (TOMBSTONES[0], *removed)
    assert plan.removes == plan.removed


def test_plan_tombstone_prefix_ignores_case_and_needs_the_whole_prefix() -> None:
    upper = HostRule(rule=Rule(name="OCS.FIREWALL-REMOVING-ABC"), group="G")
    near = HostRule(rule=Rule(name="ocs.firewall-removin"), group="G")
    plan = _rules.plan_changes([], [upper, near], purge=False, state="present")
    assert plan.removed == ("OCS.FIREWALL-REMOVING-ABC",)
    assert [r.name for r in plan.after] == ["ocs.firewall-removin"]


def test_tombstone_prefix_is_the_one_the_script_uses() -> None:
    script = Path(_rules.__file__).with_name("_firewall.ps1").read_text(encoding="ascii")
    assert f"$tombstone = '{_rules.TOMBSTONE_PREFIX}' + " in script
