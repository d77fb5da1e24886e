"""OCSFW2 wire protocol: exact format, round trips, hostile strings, malformed input."""

from __future__ import annotations

import base64
import re

import pytest
from expected import HOSTILE_TEXTS

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import WireError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._wire import (
    HostVersions,
    Reply,
    Request,
    RuleChange,
    Section,
    WireProfile,
    WireRule,
)

HOSTILE = ["", "plain", *HOSTILE_TEXTS]


@pytest.mark.parametrize("text", HOSTILE)
def test_b64_round_trip(text: str) -> None:
    field = _wire.b64(text)
    assert field.isascii()
    assert not any(c in field for c in "\t\n\r\0")
    assert _wire.unb64(field) == text


def test_b64_is_base64_of_utf8() -> None:
    assert _wire.b64("é") == base64.b64encode("é".encode()).decode()
    assert _wire.b64("") == ""


def test_read_request_exact_text() -> None:
    b = _wire.b64
    assert _wire.encode_read(["OCS 2007 R2 - Front End", "x"]) == (
        f"OCSFW2\nOP\tread\nGROUP\t{b('OCS 2007 R2 - Front End')}\nGROUP\t{b('x')}\nEND\n"
    )
    assert _wire.encode_read() == "OCSFW2\nOP\tread\nEND\n"
    # A marked read also asks for every rule holding the marker, in any group.
    assert _wire.encode_read(["G"], "[ocs.firewall") == (
        f"OCSFW2\nOP\tread\nMARKER\t{b('[ocs.firewall')}\nGROUP\t{b('G')}\nEND\n"
    )


RULE = WireRule(
    name="SIP",
    description="d",
    direction=2,
    action=0,
    protocol=17,
    local_ports="443,5060-5061",
    remote_ports="*",
    local_addresses="*",
    remote_addresses="10.0.0.0/24",
    profiles=5,
    enabled=False,
)


def test_apply_request_exact_text() -> None:
    b = _wire.b64
    sections = [
        Section("G", removes=("old",), adds=(RULE,)),
        Section("H", removes=("x", "y")),
        Section("I", adds=(WireRule(name="n"),)),
    ]
    add_sip = (
        f"ADD\t{b('SIP')}\t{b('d')}\t2\t0\t17\t{b('443,5060-5061')}\t{b('*')}\t{b('*')}"
        f"\t{b('10.0.0.0/24')}\t5\t0\n"
    )
    add_n = f"ADD\t{b('n')}\t\t1\t1\t6\t{b('*')}\t{b('*')}\t{b('*')}\t{b('*')}\t7\t1\n"
    assert _wire.encode_apply(sections, "[ocs.firewall") == (
        f"OCSFW2\nOP\tapply\nMARKER\t{b('[ocs.firewall')}\n"
        f"GROUP\t{b('G')}\nREMOVE\t{b('old')}\n{add_sip}"
        f"GROUP\t{b('H')}\nREMOVE\t{b('x')}\nREMOVE\t{b('y')}\n"
        f"GROUP\t{b('I')}\n{add_n}"
        "END\n"
    )


@pytest.mark.parametrize("text", HOSTILE[1:])
def test_request_round_trip_with_hostile_strings(text: str) -> None:
    request = Request(
        op="apply",
        marker=text,
        sections=(
            Section(
                text,
                removes=(text, "other"),
                adds=(WireRule(name=text, description=text), WireRule(name="b", enabled=False)),
            ),
            Section("second " + text, removes=(text,)),
        ),
    )
    encoded = _wire.encode_request(request)
    assert encoded.isascii()
    # Exactly one record a line, whatever the strings hold.
    assert len(encoded.splitlines()) == 11
    assert _wire.decode_request(encoded) == request


@pytest.mark.parametrize("text", HOSTILE[1:])
def test_read_request_round_trip_with_hostile_strings(text: str) -> None:
    request = Request(op="read", marker=text, groups=(text, "other"))
    encoded = _wire.encode_request(request)
    assert encoded.isascii()
    assert len(encoded.splitlines()) == 6
    assert _wire.decode_request(encoded) == request


@pytest.mark.parametrize("text", HOSTILE)
def test_reply_round_trip_with_hostile_strings(text: str) -> None:
    reply = Reply(
        profiles=(
            WireProfile(1, True, 0, 1),
            WireProfile(2, False, 1, 1),
            WireProfile(4, True, 0, 0),
        ),
        rules=(
            WireRule(
                name=text or "n",
                description=text,
                grouping=text,
                direction=2,
                action=0,
                protocol=256,
                local_ports="",
                remote_ports="RPC",
                local_addresses="10.0.0.1/255.255.255.255",
                remote_addresses=text,
                profiles=2147483647,
                enabled=True,
                application=text,
                service=text,
            ),
        ),
        retired=(RuleChange(text, text, 2), RuleChange("g", "n", 0)),
        added=(RuleChange(text, text),),
        removed=(RuleChange(text, text, 2), RuleChange("g", "n", 0)),
        done=True,
    )
    assert _wire.decode_reply(_wire.encode_reply(reply)) == reply


def test_error_reply() -> None:
    b = _wire.b64
    text = (
        f"OCSFW2\nRETIRED\t{b('G')}\t{b('a')}\t1\nADDED\t{b('G')}\t{b('n')}\n"
        f"ERROR\t{b('access denied')}\n"
    )
    reply = _wire.decode_reply(text)
    assert reply.retired == (RuleChange("G", "a", 1),)
    assert reply.added == (RuleChange("G", "n", 1),)
    assert reply.removed == ()
    assert reply.error == "access denied"
    assert not reply.done


def test_change_records_exact_text() -> None:
    b = _wire.b64
    reply = Reply(
        retired=(RuleChange("G", "a", 2),),
        added=(RuleChange("G", "n"),),
        removed=(RuleChange("G", "a", 2),),
        done=True,
    )
    # ADDED has no count: one ADD line adds one rule.
    assert _wire.encode_reply(reply) == (
        f"OCSFW2\nRETIRED\t{b('G')}\t{b('a')}\t2\nADDED\t{b('G')}\t{b('n')}\n"
        f"REMOVED\t{b('G')}\t{b('a')}\t2\nDONE\n"
    )


def test_reply_tolerates_crlf_and_bom() -> None:
    reply = _wire.decode_reply("\ufeffOCSFW2\r\nPROFILE\t1\t1\t0\t1\r\nDONE\r\n")
    assert reply.profiles == (WireProfile(1, True, 0, 1),)
    assert reply.done


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not start with 'OCSFW2'"),
        ("Hello\nOCSFW2\nDONE\n", "first line: 'Hello'"),
        ("OCSFW1\nDONE\n", "does not start with 'OCSFW2' (first line: 'OCSFW1')"),
        ("OCSFW2\nBOGUS\t1\n", "unknown record 'BOGUS'"),
        ("OCSFW2\nPROFILE\t1\t1\t0\n", "PROFILE needs 4 field(s), got 3"),
        ("OCSFW2\nPROFILE\t1\tyes\t0\t1\n", "'yes' is not 0 or 1"),
        ("OCSFW2\nPROFILE\tone\t1\t0\t1\n", "'one' is not an integer"),
        ("OCSFW2\nADDED\t%%%\tYQ==\n", "'%%%' is not base64"),
        (
            "OCSFW2\nADDED\tYQ==\t" + base64.b64encode(b"\xff\xfe").decode() + "\n",
            "not base64 of UTF-8",
        ),
        # OCSFW1's one-field ADDED and two-field REMOVED are not OCSFW2 records.
        ("OCSFW2\nADDED\tYQ==\n", "ADDED needs 2 field(s), got 1"),
        ("OCSFW2\nREMOVED\tYQ==\t1\n", "REMOVED needs 3 field(s), got 2"),
        ("OCSFW2\nRETIRED\tYQ==\tYQ==\tmany\n", "'many' is not an integer"),
        ("OCSFW2\nDONE\nADDED\tYQ==\tYQ==\n", "output after DONE"),
        ("OCSFW2\nRULE\tYQ==\n", "RULE needs 15 field(s), got 1"),
    ],
)
def test_malformed_replies(text: str, message: str) -> None:
    with pytest.raises(WireError) as info:
        _wire.decode_reply(text)
    assert message in str(info.value)


MARKER = "MARKER\t" + _wire.b64("[ocs.firewall")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OCSFW2\nOP\tread\n", "no END line"),
        ("OCSFW2\nOP\twrite\nEND\n", "valid are read, apply"),
        (f"OCSFW2\nOP\tapply\n{MARKER}\nEND\n", "group sections, HOLD or RELEASE lines"),
        ("OCSFW2\nOP\tapply\nGROUP\tYQ==\nREMOVE\tYQ==\nEND\n", "needs the ownership marker"),
        pytest.param(
            "OCSFW2\nOP\tread\nGROUP\tYQ==\nREMOVE\tYQ==\nEND\n",
            "no REMOVE or ADD",
            id="read-with-remove-after-group",
        ),
        ("OCSFW2\nOP\tread\nREMOVE\tYQ==\nEND\n", "REMOVE before any GROUP"),
        (f"OCSFW2\nOP\tapply\n{MARKER}\nADD\tYQ==\nEND\n", "ADD before any GROUP"),
        ("OCSFW2\nOP\tread\nEND\nGROUP\tYQ==\n", "text after END"),
        (f"OCSFW2\nOP\tapply\n{MARKER}\nGROUP\tYQ==\nADD\tYQ==\nEND\n", "ADD needs 11 field(s)"),
        ("OCSFW2\nOP\tread\nMARKER\t%%%\nEND\n", "MARKER: '%%%' is not base64"),
        ("OCSFW1\nOP\tread\nEND\n", "starts with a line 'OCSFW2'"),
    ],
)
def test_malformed_requests(text: str, message: str) -> None:
    with pytest.raises(WireError) as info:
        _wire.decode_request(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Request(op="write"), "valid are read, apply"),
        (Request(op="apply", marker="m", groups=("a", "b")), "no read groups"),
        (Request(op="apply", marker="m"), "group sections, HOLD or RELEASE lines"),
        (Request(op="apply", sections=(Section("a", ("x",)),)), "ownership marker"),
        (Request(op="read", sections=(Section("a", ("x",)),)), "no REMOVE or ADD"),
    ],
)
def test_encode_rejects_bad_requests(request_: Request, message: str) -> None:
    with pytest.raises(WireError, match=message):
        _wire.encode_request(request_)


# --- the HOST line of a read -------------------------------------------------------------------


def test_host_line_exact_text_and_round_trip() -> None:
    b = _wire.b64
    reply = Reply(host=HostVersions("6.1.7601", "2.0"), done=True)
    text = _wire.encode_reply(reply)
    assert text == f"OCSFW2\nHOST\t{b('6.1.7601')}\t{b('2.0')}\nDONE\n"
    assert _wire.decode_reply(text) == reply
    # An apply reply has none.
    assert _wire.decode_reply("OCSFW2\nDONE\n").host is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OCSFW2\nHOST\tYQ==\n", "HOST needs 2 field(s), got 1"),
        ("OCSFW2\nHOST\t%%\tYQ==\n", "'%%' is not base64"),
    ],
)
def test_malformed_host_lines(text: str, message: str) -> None:
    with pytest.raises(WireError, match=re.escape(message)):
        _wire.decode_reply(text)


# --- an apply too large for one WinRM message ----------------------------------------------------

MARK = "[ocs.firewall"


def wire(name: str, size: int = 0) -> WireRule:
    return WireRule(name=name, description="d" * size)


def request_size(sections: tuple[Section, ...]) -> int:
    return len(_wire.encode_apply(sections, MARK).encode("utf-8"))


def test_an_apply_that_fits_is_one_request() -> None:
    sections = [Section("G", ("old",), (wire("new"),)), Section("H", ("x",))]
    assert _wire.split_apply(sections, MARK, 10_000, str.upper) == [tuple(sections)]


SPLIT_CASES = [
    pytest.param(
        [Section("G", ("A", "gone1"), (wire("a", 300), wire("B", 300), wire("C", 300)))],
        [("G", "B"), ("G", "C"), ("G", "A", "a"), ("G", "gone1")],
        id="adds-then-pairs-then-removals",
    ),
    pytest.param(
        [
            Section("G", ("gone",), (wire("new1", 400),)),
            Section("H", ("R",), (wire("R", 400), wire("new2", 400))),
        ],
        [("G", "new1"), ("H", "new2"), ("H", "R", "R"), ("G", "gone")],
        id="across-groups",
    ),
]


@pytest.mark.parametrize(("sections", "order"), SPLIT_CASES)
def test_a_large_apply_is_split_so_no_wanted_port_closes_between_requests(
    sections: list[Section], order: list[tuple[str, ...]]
) -> None:
    budget = 900
    assert request_size(tuple(sections)) > budget
    batches = _wire.split_apply(sections, MARK, budget, str.upper)
    assert len(batches) > 1
    changes: list[tuple[str, ...]] = []
    for batch in batches:
        assert request_size(batch) <= budget
        for section in batch:
            retiring = {name.upper(): name for name in section.removes}
            for rule in section.adds:
                old = retiring.pop(rule.name.upper(), None)
                # A replaced rule goes out with its replacement, in the same request.
                changes.append(
                    (section.group, old, rule.name) if old else (section.group, rule.name)
                )
            changes += [(section.group, name) for name in retiring.values()]
    assert changes == order
    # Nothing lost, nothing doubled.
    assert sorted(n for b in batches for s in b for n in s.removes) == sorted(
        n for s in sections for n in s.removes
    )
    assert sorted(r.name for b in batches for s in b for r in s.adds) == sorted(
        r.name for s in sections for r in s.adds
    )


def test_one_change_too_large_for_any_request_is_refused() -> None:
    with pytest.raises(WireError, match=r"the change of rule 'huge' in group 'G' takes \d+ bytes"):
        _wire.split_apply([Section("G", (), (wire("huge", 2000),))], MARK, 900, str)


# ---- many rules in several groups, names compared as Windows compares them ---------------


def _section(group: str, removes: tuple[str, ...], count: int, size: int = 400) -> _wire.Section:
    return _wire.Section(
        group,
        removes,
        tuple(_wire.WireRule(f"{group} {n:03d}", description="d" * size) for n in range(count)),
    )


def _size(sections: tuple[_wire.Section, ...]) -> int:
    return len(_wire.encode_apply(sections, _ownership.PATTERN).encode())


def test_several_groups_that_fit_are_one_request() -> None:
    sections = [_section("a", ("a 000",), 3), _section("b", (), 2)]
    assert _wire.split_apply(sections, _ownership.PATTERN, 100_000, _rules.name_key) == [
        tuple(sections)
    ]


def test_a_large_apply_is_cut_adds_first_then_replacements_then_removals() -> None:
    # Group "a" replaces a 000..a 009 and removes "old 1", "old 2"; group "b" only adds.
    removes = tuple(f"A {n:03d}" for n in range(10)) + ("old 1", "old 2")
    sections = [_section("a", removes, 30), _section("b", (), 30)]
    budget = 5_000

    batches = _wire.split_apply(sections, _ownership.PATTERN, budget, _rules.name_key)

    assert len(batches) > 2
    assert all(_size(batch) <= budget for batch in batches)
    flat = [(s.group, tuple(s.removes), tuple(r.name for r in s.adds)) for b in batches for s in b]
    # Nothing lost, nothing twice.
    assert sorted(n for _g, _r, adds in flat for n in adds) == sorted(
        r.name for s in sections for r in s.adds
    )
    assert sorted(n for _g, removed, _a in flat for n in removed) == sorted(removes)
    # Every retired rule goes out in the same request as its replacement, and a rule is
    # only removed outright (no replacement) once every new rule has been sent.
    pure_adds: list[int] = []
    pure_removals: list[int] = []
    for index, batch in enumerate(batches):
        for section in batch:
            added = {_rules.name_key(r.name) for r in section.adds}
            retired = {_rules.name_key(n) for n in section.removes}
            pure_adds += [index] * len(added - retired)
            pure_removals += [index] * len(retired - added)
            for name in section.removes:
                assert _rules.name_key(name) in added or name.startswith("old")
    assert len(pure_removals) == 2 and len(pure_adds) == 50
    assert min(pure_removals) >= max(pure_adds)


def test_one_change_larger_than_a_message_is_refused_naming_the_rule() -> None:
    sections = [_section("a", (), 1, size=20_000)]
    with pytest.raises(WireError, match="'a 000' in group 'a'"):
        _wire.split_apply(sections, _ownership.PATTERN, 10_000, _rules.name_key)


# --- Windows Server 2003 records ---------------------------------------------------------


LEGACY_NAME = "[ocs.firewall] Front End: 5061/TCP\t$(x) `n ' \" \u00e9"


def test_a_legacy_apply_round_trips_and_carries_names_as_data() -> None:
    opens = (
        _wire.Open(0, 5061, 6, LEGACY_NAME, "LocalSubnet,10.0.0.1/255.255.255.255", True, False),
        _wire.Open(1, 3478, 17, "[ocs.firewall] Edge: 3478/UDP", "*", False, True),
    )
    closes = (_wire.Close(1, 135, 6, "[ocs.firewall] Archiving: 135/TCP"),)
    text = _wire.encode_legacy_apply(opens, closes, "^x")
    assert "$(x)" not in text and "\u00e9" not in text, "names travel as base64"
    decoded = _wire.decode_request(text)
    assert decoded == _wire.Request(op="apply", marker="^x", opens=opens, closes=closes)


def test_a_legacy_reply_round_trips() -> None:
    reply = _wire.Reply(
        host=_wire.HostVersions("5.2.3790", "2.0"),
        legacy_profiles=(
            _wire.LegacyProfile(0, True, False, True),
            _wire.LegacyProfile(1, False, True, False),
        ),
        open_ports=(
            _wire.OpenPort(0, 5061, 6, LEGACY_NAME, True, 2, "10.0.0.1/255.255.255.255", False),
            _wire.OpenPort(1, 161, 17, "SNMP", False, 1, "LocalSubnet", True),
        ),
        opened=(_wire.PortChange(0, 5061, 6),),
        closed=(_wire.PortChange(1, 135, 6, 0),),
        done=True,
    )
    decoded = _wire.decode_reply(_wire.encode_reply(reply))
    assert decoded == reply and decoded.legacy
    assert not _wire.decode_reply("OCSFW2\nDONE\n").legacy


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (
            _wire.Request(
                op="apply",
                marker="m",
                sections=(_wire.Section("g", ("x",)),),
                opens=(_wire.Open(0, 1, 6, "n"),),
            ),
            "never both",
        ),
        (_wire.Request(op="read", closes=(_wire.Close(0, 1, 6, "n"),)), "no OPEN or CLOSE"),
        (_wire.Request(op="apply", opens=(_wire.Open(0, 1, 6, "n"),)), "ownership marker"),
    ],
)
def test_legacy_requests_the_script_would_refuse_are_not_sent(
    request_: _wire.Request, message: str
) -> None:
    with pytest.raises(WireError, match=message):
        _wire.encode_request(request_)


@pytest.mark.parametrize(
    "line",
    [
        "OPEN\t0\t5061\t6\tbmFtZQ==\t\t1",  # a field short
        "OPEN\t0\tx\t6\tbmFtZQ==\t\t1\t0",  # not a number
        "OPEN\t0\t5061\t6\tbmFtZQ==\t\t2\t0",  # not a flag
        "CLOSE\t0\t5061\t6",  # no name
    ],
)
def test_malformed_legacy_lines_are_wire_errors(line: str) -> None:
    with pytest.raises(WireError):
        _wire.decode_request(f"OCSFW2\nOP\tapply\nMARKER\tbQ==\n{line}\nEND\n")


def test_a_large_legacy_apply_opens_everything_before_it_closes_anything() -> None:
    opens = [
        _wire.Open(0, port, 6, f"[ocs.firewall] Front End: {port}/TCP") for port in range(1, 301)
    ]
    closes = [_wire.Close(1, port, 17, f"[ocs.firewall] Old: {port}/UDP") for port in range(1, 301)]
    one = _wire.split_legacy_apply(opens, closes, "^m", 10**6)
    assert one == [(tuple(opens), tuple(closes))]
    batches = _wire.split_legacy_apply(opens, closes, "^m", 4000)
    assert len(batches) > 4
    sent_opens = [o for batch_opens, _c in batches for o in batch_opens]
    sent_closes = [c for _o, batch_closes in batches for c in batch_closes]
    assert sent_opens == opens and sent_closes == closes
    last_open = max(i for i, (o, _c) in enumerate(batches) if o)
    first_close = min(i for i, (_o, c) in enumerate(batches) if c)
    assert last_open <= first_close
    for batch_opens, batch_closes in batches:
        text = _wire.encode_legacy_apply(batch_opens, batch_closes, "^m")
        assert len(text.encode()) <= 4000
