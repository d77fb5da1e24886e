"""Planning one rule group (plugins/plugin_utils/_firewall/_plan.py).

Only rules whose description ends with the ownership marker are the collection's: they are
the only ones ever retired or replaced. Every other rule of a group is *foreign*: reported,
never planned for removal, whatever its name.
"""

from __future__ import annotations

from typing import Any

import pytest
from plans import CAT, TASK, TOMB, TOMB2, A, B, G, hand_made, on_host, plan_group, rule

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _plan
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    TOMBSTONE_PREFIX,
    HostRule,
    Rule,
)

# (desired, actual, options) -> (retire, adds, added, updated, removed, foreign)
CASES = [
    pytest.param([A, B], [], {}, ((), ("A", "B"), ("A", "B"), (), (), ()), id="add-to-empty"),
    pytest.param(
        [A],
        [on_host("A", local_ports=("80",))],
        {},
        ((), (), (), (), (), ()),
        id="in-sync",
    ),
    pytest.param(
        [A],
        [on_host("A", local_ports=("81",))],
        {},
        (("A",), ("A",), (), ("A",), (), ()),
        id="update-differs",
    ),
    pytest.param(
        [A],
        [on_host("A", local_ports=("80",), application="x.exe")],
        {},
        (("A",), ("A",), (), ("A",), (), ()),
        id="update-property-we-never-set",
    ),
    pytest.param(
        [A],
        [on_host("a", local_ports=("80",)), on_host("A", local_ports=("80",))],
        {},
        (("a",), ("A",), (), ("A",), (), ()),
        id="duplicates-become-one",
    ),
    pytest.param(
        [A],
        [on_host("A", local_ports=("80",)), on_host("Old")],
        {},
        (("Old",), (), (), (), ("Old",), ()),
        id="remove-unlisted",
    ),
    pytest.param(
        [rule("new"), rule("Changed", local_ports=("2",)), rule("same")],
        [on_host("changed", local_ports=("1",)), on_host("same"), on_host("gone")],
        {},
        (("changed", "gone"), ("new", "Changed"), ("new",), ("Changed",), ("gone",), ()),
        id="add-update-remove-at-once-update-retires-the-hosts-spelling",
    ),
    pytest.param(
        [rule("SIP")],
        [on_host("sip")],
        {},
        (("sip",), ("SIP",), (), ("SIP",), (), ()),
        id="a-new-spelling-of-the-name-is-an-update",
    ),
    pytest.param(
        [A],
        [on_host("other")],
        {"purge": False},
        ((), ("A",), ("A",), (), (), ()),
        id="purge-false-adds-and-keeps-unlisted",
    ),
    pytest.param(
        [A],
        [on_host("A", local_ports=("80",)), on_host("Old")],
        {"purge": False},
        ((), (), (), (), (), ()),
        id="purge-false-keeps-unlisted",
    ),
    pytest.param(
        [A],
        [hand_made("A", local_ports=("80",))],
        {},
        ((), ("A",), ("A",), (), (), ("A",)),
        id="foreign-with-the-wanted-name-is-not-ours",
    ),
    pytest.param(
        [A],
        [hand_made("A", local_ports=("1",)), on_host("A", local_ports=("80",))],
        {},
        ((), (), (), (), (), ("A",)),
        id="foreign-beside-ours-of-the-same-name",
    ),
    pytest.param(
        [],
        [hand_made("Admin"), hand_made("B", description="[ocs.firewall] quoted")],
        {},
        ((), (), (), (), (), ("Admin", "B")),
        id="foreign-never-removed",
    ),
    pytest.param(
        [A],
        [TOMB],
        {},
        ((TOMB.rule.name,), ("A",), ("A",), (), (TOMB.rule.name,), ()),
        id="tombstone-removed",
    ),
    pytest.param(
        [],
        [TOMB, on_host("Old")],
        {"purge": False},
        ((TOMB.rule.name,), (), (), (), (TOMB.rule.name,), ()),
        id="tombstone-removed-without-purge",
    ),
    pytest.param(
        [],
        [TOMB, on_host("Old")],
        {"state": "absent", "purge": False},
        ((TOMB.rule.name,), (), (), (), (TOMB.rule.name,), ()),
        id="tombstone-removed-when-absent",
    ),
    pytest.param(
        [rule("a")],
        [TOMB, on_host("a"), TOMB2, on_host("other")],
        {},
        (
            (TOMB.rule.name, TOMB2.rule.name, "other"),
            (),
            (),
            (),
            (TOMB.rule.name, TOMB2.rule.name, "other"),
            (),
        ),
        id="tombstones-removed-first",
    ),
    pytest.param(
        [rule("a")],
        [TOMB, on_host("a"), TOMB2, on_host("other")],
        {"purge": False},
        ((TOMB.rule.name, TOMB2.rule.name), (), (), (), (TOMB.rule.name, TOMB2.rule.name), ()),
        id="tombstones-removed-first-without-purge",
    ),
    pytest.param(
        [rule("a")],
        [on_host("a"), TOMB, on_host("b")],
        {"state": "absent"},
        ((TOMB.rule.name, "a", "b"), (), (), (), (TOMB.rule.name, "a", "b"), ()),
        id="tombstone-removed-first-when-absent",
    ),
    pytest.param(
        [],
        [on_host("OCS.FIREWALL-REMOVING-ABC"), on_host("ocs.firewall-removin")],
        {"purge": False},
        (("OCS.FIREWALL-REMOVING-ABC",), (), (), (), ("OCS.FIREWALL-REMOVING-ABC",), ()),
        id="tombstone-prefix-ignores-case-and-needs-all-of-it",
    ),
    pytest.param(
        [],
        [hand_made(f"{TOMBSTONE_PREFIX}feed")],
        {},
        ((), (), (), (), (), (f"{TOMBSTONE_PREFIX}feed",)),
        id="foreign-tombstone-name-is-foreign",
    ),
    pytest.param(
        [],
        [on_host("A"), on_host("B"), hand_made("C")],
        {"state": "absent"},
        (("A", "B"), (), (), (), ("A", "B"), ("C",)),
        id="absent-removes-all-of-ours",
    ),
    pytest.param(
        [A, B],
        [on_host("A"), on_host("B")],
        {"state": "absent"},
        (("A", "B"), (), (), (), ("A", "B"), ()),
        id="absent-never-adds",
    ),
    pytest.param(
        [rule("a")],
        [on_host("A"), on_host("B"), hand_made("a")],
        {"state": "absent", "purge": False},
        (("A",), (), (), (), ("A",), ("a",)),
        id="absent-without-purge-removes-the-listed-names",
    ),
    pytest.param(
        [rule("Z")],
        [on_host("A")],
        {"state": "absent", "purge": False},
        ((), (), (), (), (), ()),
        id="absent-of-a-name-not-there",
    ),
]


@pytest.mark.parametrize(("desired", "actual", "options", "expected"), CASES)
def test_plan_group(
    desired: list[Rule],
    actual: list[HostRule],
    options: dict[str, Any],
    expected: tuple[tuple[str, ...], ...],
) -> None:
    plan = plan_group(G, desired, actual, **options)
    got = (
        plan.retire,
        tuple(r.name for r in plan.adds),
        plan.added,
        plan.updated,
        plan.removed,
        tuple(h.rule.name for h in plan.foreign),
    )
    assert got == expected
    assert plan.changed is bool(plan.retire or plan.adds)
    # Only the collection's rules are retired, and never a foreign one's name alone.
    ours = {h.rule.name for h in actual if h not in plan.foreign}
    assert set(plan.retire) <= ours
    assert plan.before == tuple(h for h in actual if h not in plan.foreign)


def test_after_is_the_groups_own_rules_sorted() -> None:
    plan = plan_group(
        G,
        [rule("b"), rule("C")],
        [on_host("a"), hand_made("Z")],
        purge=False,
    )
    assert [r.name for r in plan.after] == ["a", "b", "C"]
    assert plan_group(G, [rule("b")], [on_host("a")], state="absent").after == ()


@pytest.mark.parametrize(
    ("desired", "actual", "options", "after"),
    [
        pytest.param(
            [rule("new"), rule("Changed", local_ports=("2",)), rule("same")],
            [on_host("changed", local_ports=("1",)), on_host("same"), on_host("gone")],
            {},
            ["Changed", "new", "same"],
            id="present-the-wanted-rules",
        ),
        pytest.param([A], [on_host("other")], {"purge": False}, ["A", "other"], id="kept"),
        pytest.param(
            [rule("A")],
            [on_host("a"), on_host("b")],
            {"state": "absent", "purge": False},
            ["b"],
            id="absent-keeps-the-unlisted-without-purge",
        ),
        pytest.param(
            [rule("a")],
            [TOMB, on_host("a"), TOMB2],
            {"purge": False},
            ["a"],
            id="never-a-tombstone",
        ),
    ],
)
def test_after(
    desired: list[Rule], actual: list[HostRule], options: dict[str, Any], after: list[str]
) -> None:
    assert [r.name for r in plan_group(G, desired, actual, **options).after] == after


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(InputError, match="state: 'gone' is not valid; valid are present, absent"):
        plan_group(G, [], [], state="gone")


def test_summary() -> None:
    built = "d [ocs.firewall catalogue seed-01]"
    plan = plan_group(
        G,
        [rule("A", built, local_ports=("80",))],
        [
            on_host("A", description=built, local_ports=("81",)),
            on_host("Old", description=built),
            hand_made("Admin"),
            on_host("Task rule"),
        ],
        reason=_plan.COMPONENT,
        component="front_end",
    )
    assert plan.summary() == {
        "group": G,
        "reason": "component",
        "component": "front_end",
        "changed": True,
        "added": [],
        "updated": ["A"],
        "removed": ["Old"],
        "foreign": ["Admin"],
        "others": ["Task rule"],
        "marked_not_ours": [],
    }


@pytest.mark.parametrize(
    ("reason", "mine", "theirs"),
    [
        pytest.param(_plan.COMPONENT, CAT, TASK, id="a-component-leaves-a-tasks-rules"),
        pytest.param(_plan.UNASSIGNED, CAT, TASK, id="decommission-leaves-a-tasks-rules"),
        pytest.param(_plan.TASK, TASK, CAT, id="a-task-leaves-the-catalogues-rules"),
    ],
)
def test_each_part_of_the_collection_plans_only_its_own_rules(
    reason: str, mine: str, theirs: str
) -> None:
    """win_ocs_firewall manages what it built from the catalogue, a win_firewall_rules task
    what it wrote: neither removes or replaces the other's rules, whatever their names."""
    actual = [
        on_host("Mine", description="m" + mine),
        on_host("Theirs", description="t" + theirs),
        on_host("Same name", description="t" + theirs, local_ports=("1",)),
    ]
    wanted = [rule("Same name", "n" + mine, local_ports=("2",))]
    plan = plan_group(G, wanted, actual, reason=reason)
    assert plan.removed == ("Mine",)
    # A rule of the other part's of the same name is not ours to replace: ours is added.
    assert plan.added == ("Same name",) and plan.updated == ()
    assert [h.rule.name for h in plan.others] == ["Theirs", "Same name"]
    assert plan.foreign == ()


def test_by_group_compares_as_windows_does() -> None:
    rules = [on_host("a", "Grp"), on_host("b", "GRP"), on_host("c", "Other")]
    grouped = _plan.by_group(rules)
    assert [[h.rule.name for h in hs] for hs in grouped.values()] == [["a", "b"], ["c"]]
