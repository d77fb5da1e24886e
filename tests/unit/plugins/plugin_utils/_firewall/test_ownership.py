"""The ownership marker at the end of rule descriptions (plugin_utils/_firewall/_ownership.py)."""

from __future__ import annotations

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership


def test_the_marks() -> None:
    assert _ownership.MARKER == "[ocs.firewall"
    assert _ownership.TASK_MARK == "[ocs.firewall]"
    assert _ownership.catalogue_mark("seed-01") == "[ocs.firewall catalogue seed-01]"
    assert _ownership.catalogue_mark("extra-sql-backend-1434").startswith(_ownership.MARKER)


@pytest.mark.parametrize(
    ("description", "owned", "entry"),
    [
        ("SIP [ocs.firewall catalogue seed-01]", True, "seed-01"),
        ("[ocs.firewall catalogue extra-archiving-msmq-tcp]", True, "extra-archiving-msmq-tcp"),
        ("SIP over TLS [ocs.firewall]", True, None),
        ("[ocs.firewall]", True, None),
        ("two marks [ocs.firewall] [ocs.firewall catalogue seed-02]", True, "seed-02"),
        # Not at the end: quoted, or followed by more text.
        ("[ocs.firewall] opened by hand", False, None),
        ("copy of [ocs.firewall catalogue seed-01] rule", False, None),
        ("SIP [ocs.firewall catalogue seed-01] ", False, None),
        ("SIP [ocs.firewall catalogue seed-01]\n", False, None),
        # Not a marker: other spellings, other ids.
        ("SIP [OCS.FIREWALL]", False, None),
        ("SIP [ocs.firewall ]", False, None),
        ("SIP [ocs.firewall catalogue]", False, None),
        ("SIP [ocs.firewall catalogue Seed-01]", False, None),
        ("SIP [ocs.firewall catalogue -x]", False, None),
        ("SIP [ocs.firewall catalogue seed 01]", False, None),
        ("SIP [ocs.firewall.extra]", False, None),
        ("SIP [ocs-firewall]", False, None),
        ("ocs.firewall", False, None),
        ("", False, None),
    ],
)
def test_a_rule_is_owned_when_its_description_ends_with_a_marker(
    description: str, owned: bool, entry: str | None
) -> None:
    assert _ownership.is_owned(description) is owned
    assert _ownership.entry_of(description) == entry


@pytest.mark.parametrize(
    ("description", "mark", "expected"),
    [
        ("SIP over TLS", _ownership.TASK_MARK, "SIP over TLS [ocs.firewall]"),
        ("", _ownership.TASK_MARK, "[ocs.firewall]"),
        ("SIP", "[ocs.firewall catalogue seed-01]", "SIP [ocs.firewall catalogue seed-01]"),
        ("", "[ocs.firewall catalogue seed-01]", "[ocs.firewall catalogue seed-01]"),
        # The user's description is data: kept as it is, white space included.
        (" padded ", _ownership.TASK_MARK, " padded  [ocs.firewall]"),
        ("line\nbreak", _ownership.TASK_MARK, "line\nbreak [ocs.firewall]"),
    ],
)
def test_marked(description: str, mark: str, expected: str) -> None:
    text = _ownership.marked(description, mark)
    assert text == expected
    # Whatever the description, the result is owned, with the mark's entry.
    assert _ownership.is_owned(text)
    assert _ownership.entry_of(text) == _ownership.entry_of(mark)


def test_marked_defaults_to_the_task_mark() -> None:
    assert _ownership.marked("x") == "x [ocs.firewall]"


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("plain", False),
        ("[ocs.firewall]", True),
        ("see [ocs.firewall catalogue seed-01] for the port", True),
        ("[ocs.firewall", True),
        ("[OCS.FIREWALL]", False),
        ("ocs.firewall", False),
    ],
)
def test_has_marker_text(text: str, holds: bool) -> None:
    """What win_firewall_rules refuses in a user's description: it could fake ownership."""
    assert _ownership.has_marker_text(text) is holds


@pytest.mark.parametrize(
    "description",
    ["[ocs.firewall] opened by hand", "copy of [ocs.firewall catalogue seed-01] rule"],
)
def test_owned_implies_the_marker_text_but_not_the_reverse(description: str) -> None:
    # The remote script selects rules by the marker text (a marked read returns them all);
    # only the controller's end-of-description test decides ownership.
    assert _ownership.has_marker_text(description)
    assert not _ownership.is_owned(description)
