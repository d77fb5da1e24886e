"""OCSFW1 wire protocol: exact format, round trips, hostile strings, malformed input."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._wire import (
    Reply,
    Request,
    WireError,
    WireProfile,
    WireRule,
)

HOSTILE = [
    "",
    "plain",
    'O\'Brien "quoted"',
    "$(Remove-Item C:\\ -Recurse) `whoami` ; & | > <",
    "tab\there\nnew line\r\nCRLF",
    "OCSFW1\nEND\nDONE",
    "\0\0\0\0 separator inside",
    "100% %PATH% !x!",
    "Zürich – 北京 – ☎ – 𝄞",
    " leading and trailing ",
]


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
    assert _wire.encode_read(["OCS 2007 R2 - Front End", "x"]) == (
        "OCSFW1\nOP\tread\n"
        f"GROUP\t{_wire.b64('OCS 2007 R2 - Front End')}\nGROUP\t{_wire.b64('x')}\nEND\n"
    )
    assert _wire.encode_read() == "OCSFW1\nOP\tread\nEND\n"


def test_apply_request_exact_text() -> None:
    rule = WireRule(
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
    b = _wire.b64
    assert _wire.encode_apply("G", ["old"], [rule]) == (
        f"OCSFW1\nOP\tapply\nGROUP\t{b('G')}\nREMOVE\t{b('old')}\n"
        f"ADD\t{b('SIP')}\t{b('d')}\t2\t0\t17\t{b('443,5060-5061')}\t{b('*')}\t{b('*')}"
        f"\t{b('10.0.0.0/24')}\t5\t0\nEND\n"
    )


@pytest.mark.parametrize("text", HOSTILE[1:])
def test_request_round_trip_with_hostile_strings(text: str) -> None:
    request = Request(
        op="apply",
        groups=(text,),
        removes=(text, "other"),
        adds=(WireRule(name=text, description=text), WireRule(name="b", enabled=False)),
    )
    encoded = _wire.encode_request(request)
    assert encoded.isascii()
    # Exactly one record a line, whatever the strings hold.
    assert len(encoded.splitlines()) == 8
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
        removed=((text, 2),),
        added=(text,),
        done=True,
    )
    assert _wire.decode_reply(_wire.encode_reply(reply)) == reply


def test_error_reply() -> None:
    text = "OCSFW1\nREMOVED\t" + _wire.b64("a") + "\t1\nERROR\t" + _wire.b64("access denied") + "\n"
    reply = _wire.decode_reply(text)
    assert reply.removed == (("a", 1),)
    assert reply.error == "access denied"
    assert not reply.done


def test_reply_tolerates_crlf_and_bom() -> None:
    reply = _wire.decode_reply("\ufeffOCSFW1\r\nPROFILE\t1\t1\t0\t1\r\nDONE\r\n")
    assert reply.profiles == (WireProfile(1, True, 0, 1),)
    assert reply.done


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not start with 'OCSFW1'"),
        ("Hello\nOCSFW1\nDONE\n", "first line: 'Hello'"),
        ("OCSFW1\nBOGUS\t1\n", "unknown record 'BOGUS'"),
        ("OCSFW1\nPROFILE\t1\t1\t0\n", "PROFILE needs 4 field(s), got 3"),
        ("OCSFW1\nPROFILE\t1\tyes\t0\t1\n", "'yes' is not 0 or 1"),
        ("OCSFW1\nPROFILE\tone\t1\t0\t1\n", "'one' is not an integer"),
        ("OCSFW1\nADDED\t%%%\n", "'%%%' is not base64"),
        ("OCSFW1\nADDED\t" + base64.b64encode(b"\xff\xfe").decode() + "\n", "not base64 of UTF-8"),
        ("OCSFW1\nDONE\nADDED\tYQ==\n", "output after DONE"),
        ("OCSFW1\nRULE\tYQ==\n", "RULE needs 14 field(s), got 1"),
    ],
)
def test_malformed_replies(text: str, message: str) -> None:
    with pytest.raises(WireError) as info:
        _wire.decode_reply(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OCSFW1\nOP\tread\n", "no END line"),
        ("OCSFW1\nOP\twrite\nEND\n", "valid are read, apply"),
        ("OCSFW1\nOP\tapply\nEND\n", "exactly one group"),
        ("OCSFW1\nOP\tread\nREMOVE\tYQ==\nEND\n", "no REMOVE or ADD"),
        ("OCSFW1\nOP\tread\nEND\nGROUP\tYQ==\n", "text after END"),
        ("OCSFW1\nOP\tapply\nGROUP\tYQ==\nADD\tYQ==\nEND\n", "ADD needs 11 field(s)"),
        ("OCSFW2\nOP\tread\nEND\n", "starts with a line 'OCSFW1'"),
    ],
)
def test_malformed_requests(text: str, message: str) -> None:
    with pytest.raises(WireError) as info:
        _wire.decode_request(text)
    assert message in str(info.value)


def test_encode_rejects_bad_requests() -> None:
    with pytest.raises(WireError):
        _wire.encode_request(Request(op="apply", groups=("a", "b")))
    with pytest.raises(WireError):
        _wire.encode_request(Request(op="read", removes=("a",)))
