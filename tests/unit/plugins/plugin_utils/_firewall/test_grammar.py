"""The grammar of ports, addresses and profiles (plugins/plugin_utils/_firewall/_grammar.py): what a
user may write, what Windows reads back, and the one canonical form of both."""

from __future__ import annotations

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _grammar

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
    assert _grammar.canonical_ports(value) == expected


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
        # Digits of other scripts read as numbers by int(), never shown back as such.
        ("\u0665\u0660\u0660\u0660-\u0665\u0660\u0661\u0660", "is not a port number or range"),
        ("\uff15\uff10\uff10\uff10", "is not a port number or range"),
        ("5000\u2003-\u20035010", "is not a port number or range"),
    ],
)
def test_canonical_ports_rejects(value: object, message: str) -> None:
    with pytest.raises(InputError, match="^where: ") as info:
        _grammar.canonical_ports(value, "where")
    assert message in str(info.value)


def test_host_ports_keep_windows_keywords() -> None:
    # Built-in rules carry keywords such as RPC; reading them must not fail.
    assert _grammar.canonical_ports("RPC,135,136", strict=False) == ("135-136", "RPC")
    assert _grammar.canonical_ports("0", strict=False) == ("0",)


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
    assert _grammar.canonical_addresses(user) == _grammar.canonical_addresses(windows, strict=False)


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
    assert _grammar.canonical_addresses(value) == expected


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
        "fe80::1%eth0",
        "fe80::1%11",
        "fe80::%11/64",
        "\uff11\uff10.0.0.1",
    ],
)
def test_bad_addresses_are_rejected_with_the_value(value: str) -> None:
    with pytest.raises(InputError) as info:
        _grammar.canonical_addresses(value, "rules[0].remote_addresses")
    message = str(info.value)
    assert message.startswith("rules[0].remote_addresses: ")
    assert repr(value) in message
    assert "LocalSubnet, DNS, DHCP, WINS, DefaultGateway" in message


def test_addresses_any_cannot_be_mixed() -> None:
    with pytest.raises(InputError, match="mixes 'any'"):
        _grammar.canonical_addresses(["*", "10.0.0.1"])


def test_host_addresses_keep_unknown_tokens() -> None:
    assert _grammar.canonical_addresses("Intranet,10.0.0.1", strict=False) == (
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
    assert _grammar.canonical_profiles(value) == expected


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
    assert _grammar.profiles_from_mask(mask) == expected


@pytest.mark.parametrize(("value", "bad"), [([], "[]"), (["work"], "'work'"), ([1], "1")])
def test_bad_profiles(value: object, bad: str) -> None:
    with pytest.raises(InputError, match="valid are domain, private, public|at least one") as info:
        _grammar.canonical_profiles(value)
    assert bad in str(info.value)


# --- the parts the catalogue shares: one port or range, merging ------------------------------


@pytest.mark.parametrize(
    ("token", "bounds"),
    [
        ("443", (443, 443)),
        ("5060-5061", (5060, 5061)),
        ("5060 - 5062", (5060, 5062)),
        ("0", (0, 0)),
        ("10-5", (10, 5)),
        ("99999", (99999, 99999)),
        ("http", None),
        ("-5", None),
        ("1-", None),
        ("1.5", None),
        ("80,443", None),
        (" 80", None),
        ("", None),
    ],
)
def test_port_bounds(token: str, bounds: tuple[int, int] | None) -> None:
    assert _grammar.port_bounds(token) == bounds


@pytest.mark.parametrize(
    ("low", "high", "problem"),
    [
        (1, 65535, None),
        (443, 443, None),
        (0, 10, "is out of range; valid ports are 1..65535"),
        (1, 65536, "is out of range"),
        (10, 5, "is a reversed range"),
    ],
)
def test_port_problem(low: int, high: int, problem: str | None) -> None:
    found = _grammar.port_problem(low, high)
    assert found == problem if problem is None else problem in str(found)


@pytest.mark.parametrize(
    ("ranges", "merged"),
    [
        ([], []),
        ([(5061, 5061), (5060, 5060)], [(5060, 5061)]),
        ([(1, 10), (5, 20), (22, 22)], [(1, 20), (22, 22)]),
        ([(1, 1), (3, 3)], [(1, 1), (3, 3)]),
        ([(1, 100), (2, 3)], [(1, 100)]),
    ],
)
def test_merge_ranges(ranges: list[tuple[int, int]], merged: list[tuple[int, int]]) -> None:
    assert _grammar.merge_ranges(ranges) == merged


# --- profile masks, choices, booleans, text ----------------------------------------------------


@pytest.mark.parametrize(
    ("profiles", "mask"),
    [((), 0), (("domain",), 1), (("private", "public"), 6), (("domain", "private", "public"), 7)],
)
def test_profiles_to_mask(profiles: tuple[str, ...], mask: int) -> None:
    assert _grammar.profiles_to_mask(profiles) == mask
    assert _grammar.profiles_from_mask(mask) == profiles


@pytest.mark.parametrize(
    ("word", "meaning"),
    [
        ("yes", True),
        (" TRUE ", True),
        ("on", True),
        ("1", True),
        ("t", True),
        ("no", False),
        ("Off", False),
        ("0", False),
        ("f", False),
        ("maybe", None),
        ("", None),
        ("2", None),
    ],
)
def test_boolean_words(word: str, meaning: bool | None) -> None:
    assert _grammar.boolean_word(word) is meaning
    if meaning is None:
        with pytest.raises(InputError, match="^x: .* is not a boolean; valid are true, false"):
            _grammar.boolean(word, "x")
    else:
        assert _grammar.boolean(word, "x") is meaning


@pytest.mark.parametrize(("value", "meaning"), [(True, True), (False, False)])
def test_booleans_are_booleans(value: bool, meaning: bool) -> None:
    assert _grammar.boolean(value, "x") is meaning


@pytest.mark.parametrize("value", [1, 0, None, ["yes"]])
def test_only_booleans_and_words_are_booleans(value: object) -> None:
    with pytest.raises(InputError, match="is not a boolean"):
        _grammar.boolean(value, "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("in", "in"), ("OUT", "out"), ("Out", "out"), ("inbound", None), (1, None), (None, None)],
)
def test_choice(value: object, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InputError, match="^where: .* is not valid; valid are in, out$"):
            _grammar.choice(value, ("in", "out"), "where")
    else:
        assert _grammar.choice(value, ("in", "out"), "where") == expected


@pytest.mark.parametrize(("value", "ok"), [("", True), ("text", True), (5, False), (None, False)])
def test_text(value: object, ok: bool) -> None:
    if ok:
        assert _grammar.text(value, "d") == value
    else:
        with pytest.raises(InputError, match="^d: .* is not a string$"):
            _grammar.text(value, "d")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["10.0.0.1", "10.0.0.2", "10.0.0.3"], ("10.0.0.1-10.0.0.3",)),
        # A span that is exactly a network reads as the network.
        (["10.0.0.3", "10.0.0.0", "10.0.0.2", "10.0.0.1"], ("10.0.0.0/30",)),
        (["10.0.0.0/24", "10.0.1.0/24"], ("10.0.0.0/23",)),
        # Inside a network already: nothing new.
        (["10.20.0.0/16", "10.20.3.4"], ("10.20.0.0/16",)),
        (["10.0.0.9", "10.0.0.11", "10.0.0.12"], ("10.0.0.9", "10.0.0.11-10.0.0.12")),
        (["10.0.0.1-10.0.0.5", "10.0.0.4-10.0.0.9"], ("10.0.0.1-10.0.0.9",)),
        # Keywords first, each version on its own; IPv4 never runs into IPv6.
        (
            ["fe80::2", "LocalSubnet", "fe80::1", "10.0.0.5"],
            ("LocalSubnet", "10.0.0.5", "fe80::1-fe80::2"),
        ),
        (["255.255.255.255", "::"], ("255.255.255.255", "::")),
        ([], ()),
    ],
)
def test_merged_addresses(value: list[str], expected: tuple[str, ...]) -> None:
    merged = _grammar.merged_addresses(value)
    assert merged == expected
    # Canonical already: what Windows gives back compares equal to it.
    assert _grammar.canonical_addresses(list(merged)) == merged


def test_merged_addresses_refuses_what_canonical_refuses() -> None:
    with pytest.raises(InputError, match="10.0.0.300"):
        _grammar.merged_addresses(["10.0.0.300"])


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param(["10.10.1.0/24"], ["10.10.1.12"], [("10.10.1.0/24", "10.10.1.12")], id="in"),
        pytest.param(["10.10.1.12"], ["10.10.1.0/24"], [("10.10.1.12", "10.10.1.0/24")], id="out"),
        pytest.param(
            ["10.0.0.5-10.0.0.20"],
            ["10.0.0.16/28"],
            [("10.0.0.5-10.0.0.20", "10.0.0.16/28")],
            id="ranges-cross",
        ),
        pytest.param(["10.10.1.0/24"], ["10.10.2.0/24"], [], id="apart"),
        pytest.param(["10.10.1.10"], ["::ffff:10.10.1.10"], [], id="other-version"),
        pytest.param(["LocalSubnet"], ["LocalSubnet"], [("LocalSubnet", "LocalSubnet")], id="kw"),
    ],
)
def test_overlaps_finds_shared_addresses(
    first: list[str], second: list[str], expected: list[tuple[str, str]]
) -> None:
    assert _grammar.overlaps(first, second) == expected


def test_contains_is_whole_inclusion() -> None:
    assert _grammar.contains("10.0.0.0/8", "10.1.2.3-10.1.2.9")
    assert not _grammar.contains("10.1.2.3-10.1.2.9", "10.0.0.0/8")
    assert not _grammar.contains("10.0.0.0/30", "10.0.0.2-10.0.0.9")
