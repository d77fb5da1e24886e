"""How a host's plans read in a task result (plugins/plugin_utils/_reports/_task_result.py):
the diff items Ansible prints with --diff, the summary and the one-line message."""

from __future__ import annotations

import difflib
import json

import pytest
from plans import TOMB, A, B, hand_made, on_host, plan_group, rule

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _plan
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _task_result

HOST = "fe01"
G = "OCS 2007 R2 - Front End"
EDGE = "OCS 2007 R2 - Edge"


def items(plans: list[_plan.GroupPlan], check_mode: bool = False) -> list[dict[str, str]]:
    found = _task_result.diff(HOST, plans, check_mode=check_mode)
    json.dumps(found)
    return found


def unified(item: dict[str, str]) -> list[str]:
    """The changed lines of an item, as Ansible's callback shows them (difflib)."""
    lines = difflib.unified_diff(
        item["before"].splitlines(True), item["after"].splitlines(True), n=3
    )
    return [line.rstrip("\n") for line in lines if line[:1] in "-+" and line[:3] not in "---+++"]


def test_a_changed_port_is_one_line_pair_under_a_header_naming_host_group_and_rule() -> None:
    plan = plan_group(G, [A], [on_host("A", local_ports=("81",))])
    summary, item = items([plan])
    assert summary == {"prepared": f"{HOST}: 0 added, 1 updated, 0 removed ({G}: 1 updated)\n"}
    assert item["before_header"] == item["after_header"] == f"{HOST} | {G} | A (updated)"
    assert unified(item) == ["-local_ports: 81", "+local_ports: 80"]
    # Every field of the rule, one per line, so the others are context.
    assert item["after"] == _task_result.rule_text(A)
    assert [line.split(":")[0] for line in item["after"].splitlines()] == [
        "name",
        "description",
        "direction",
        "action",
        "protocol",
        "local_ports",
        "remote_ports",
        "local_addresses",
        "remote_addresses",
        "profiles",
        "enabled",
    ]


def test_added_has_no_before_and_removed_no_after() -> None:
    plan = plan_group(G, [A], [on_host("Old", local_ports=("8080",))])
    _summary, added, removed = items([plan], check_mode=True)
    assert added["before"] == "" and added["after"].startswith("name: A\n")
    assert added["after_header"] == f"{HOST} | {G} | A (would be added)"
    assert removed["after"] == "" and "local_ports: 8080\n" in removed["before"]
    assert removed["before_header"] == f"{HOST} | {G} | Old (would be removed)"


def test_groups_keep_plan_order_and_rules_are_sorted_in_each() -> None:
    edge = plan_group(EDGE, [rule("z"), rule("b"), rule("M")], [])
    same = plan_group("Same", [A], [on_host("A", "Same", local_ports=("80",))])
    front = plan_group(G, [B, A], [])
    headers = [i["before_header"] for i in items([edge, same, front])[1:]]
    assert headers == [
        f"{HOST} | {EDGE} | b (added)",
        f"{HOST} | {EDGE} | M (added)",
        f"{HOST} | {EDGE} | z (added)",
        f"{HOST} | {G} | A (added)",
        f"{HOST} | {G} | B (added)",
    ]
    assert items([edge, same, front]) == items([edge, same, front])


def test_a_tombstone_is_removed_and_said_to_be_one() -> None:
    _summary, item = items([plan_group(G, [], [TOMB])])
    assert item["before_header"] == (
        f"{HOST} | {G} | {TOMB.rule.name} (removed: left behind by an apply that stopped part way)"
    )
    assert item["before"].startswith(f"name: {TOMB.rule.name}\n") and item["after"] == ""


def test_copies_of_a_name_are_all_shown_with_what_made_them_differ() -> None:
    plan = plan_group(G, [A], [on_host("a", application="x.exe"), on_host("A")])
    _summary, item = items([plan])
    assert item["before_header"].endswith("A (updated: its 2 rules of this name become one)")
    first, second = item["before"].split("\n\n")
    assert first.startswith("name: a\n") and first.endswith("application: x.exe")
    assert second.startswith("name: A\n") and "application" not in second


def test_a_group_no_longer_held_says_so() -> None:
    built = on_host("E", EDGE, description="Edge [ocs.firewall catalogue seed-52]")
    plan = plan_group(EDGE, [], [built], reason=_plan.UNASSIGNED, state="absent")
    summary, item = items([plan], check_mode=True)
    assert item["before_header"] == (
        f"{HOST} | {EDGE} | E (would be removed: the host no longer holds this group's component)"
    )
    assert summary["prepared"] == (
        f"{HOST}: 0 to add, 0 to update, 1 to remove ({EDGE} (no longer held): 1 to remove)\n"
    )


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        pytest.param("local_ports", ("80", "443-444"), "80, 443-444", id="list"),
        pytest.param("remote_addresses", (), "any", id="empty-list-is-any"),
        pytest.param("enabled", False, "false", id="bool"),
        pytest.param("description", "SIP over TLS", "SIP over TLS", id="plain"),
        pytest.param("description", "", '""', id="empty-quoted"),
        pytest.param("description", " edge", '" edge"', id="edge-space-quoted"),
        pytest.param("description", "two\nlines", '"two\\nlines"', id="line-break-escaped"),
        pytest.param("description", "Zürich", "Zürich", id="non-ascii-as-is"),
    ],
)
def test_a_value_is_one_line(field: str, value: object, text: str) -> None:
    lines = _task_result.rule_text(rule("n", **{field: value})).splitlines()
    assert len(lines) == len(_task_result.RULE_FIELDS)
    assert f"{field}: {text}" in lines


def test_summary_counts_every_group_and_names_the_changing_ones() -> None:
    front = plan_group(G, [A], [on_host("A", local_ports=("81",)), on_host("Old"), hand_made("X")])
    edge = plan_group(EDGE, [B], [], reason=_plan.COMPONENT)
    same = plan_group("Same", [A], [on_host("A", "Same", local_ports=("80",)), hand_made("Y")])
    assert _task_result.summary([front, edge, same]) == {
        "added": 1,
        "updated": 1,
        "removed": 1,
        "foreign": 2,
        "marked_not_ours": 0,
        "setup_disabled": 0,
        "setup_restored": 0,
        "groups": {
            G: {"added": [], "updated": ["A"], "removed": ["Old"]},
            EDGE: {"added": ["B"], "updated": [], "removed": []},
        },
    }
    assert _task_result.summary_line(HOST, [front, edge, same], check_mode=False) == (
        f"{HOST}: 1 added, 1 updated, 1 removed ({G}: 1 updated, 1 removed; {EDGE}: 1 added); "
        "2 rule(s) the collection did not make left alone"
    )


def test_a_host_in_sync() -> None:
    same = plan_group(G, [A], [on_host("A", local_ports=("80",))])
    assert _task_result.summary_line(HOST, [same], check_mode=True) == (
        f"{HOST}: in sync, nothing to change (1 group(s))"
    )
    assert items([same]) == [{"prepared": f"{HOST}: in sync, nothing to change (1 group(s))\n"}]


# ---- what each remote address stands for ------------------------------------------------

LABELS = (
    ("10.10.0.9", "load_balancers", True),
    ("10.10.0.11", "fe01.ocs.example", False),
    ("10.10.0.12", "fe02.ocs.example", False),
    ("10.10.0.13", "se01.ocs.example", False),
    ("10.20.0.0/16", "internal_clients", True),
    ("10.10.0.30", "dir01.ocs.example", False),
)


@pytest.mark.parametrize(
    ("addresses", "text"),
    [
        pytest.param(("10.10.0.9",), "10.10.0.9 (load_balancers)", id="peer-kind"),
        pytest.param(("10.10.0.11",), "10.10.0.11 (fe01.ocs.example)", id="host"),
        pytest.param(
            ("10.10.0.11-10.10.0.12",),
            "10.10.0.11-10.10.0.12 (fe01.ocs.example, fe02.ocs.example)",
            id="a-range-of-hosts",
        ),
        pytest.param(
            ("10.10.0.9-10.10.0.12", "10.10.0.30"),
            "10.10.0.9-10.10.0.12 (load_balancers, fe01.ocs.example, fe02.ocs.example), "
            "10.10.0.30 (dir01.ocs.example)",
            id="a-range-of-a-kind-and-hosts",
        ),
        pytest.param(
            ("10.10.0.0/16",),
            "10.10.0.0/16 (servers)",
            id="a-kind-stands-only-for-its-own-network",
        ),
        pytest.param(("10.20.0.0/16",), "10.20.0.0/16 (internal_clients)", id="a-kind-network"),
        pytest.param(("192.0.2.7", "LocalSubnet"), "192.0.2.7, LocalSubnet", id="unknown"),
        pytest.param((), "any", id="any"),
    ],
)
def test_each_address_is_followed_by_what_it_stands_for(
    addresses: tuple[str, ...], text: str
) -> None:
    labels = (*LABELS, ("10.10.0.0/16", "servers", True))
    assert _task_result.annotated(addresses, labels) == text


def test_a_range_of_many_hosts_names_the_first_and_counts_the_rest() -> None:
    labels = [(f"10.0.0.{i}", f"h{i}", False) for i in range(1, 8)]
    assert _task_result.annotated(("10.0.0.1-10.0.0.7",), labels) == (
        "10.0.0.1-10.0.0.7 (h1, h2, h3, h4, 3 more)"
    )


def test_the_diff_says_what_each_remote_address_stands_for_on_both_sides() -> None:
    wanted = rule("A", remote_addresses=("10.10.0.9", "10.10.0.11-10.10.0.12"))
    plan = plan_group(G, [wanted], [on_host("A", remote_addresses=("10.10.0.11",))])
    _summary, item = _task_result.diff(HOST, [plan], check_mode=True, labels=LABELS)
    assert unified(item) == [
        "-remote_addresses: 10.10.0.11 (fe01.ocs.example)",
        "+remote_addresses: 10.10.0.9 (load_balancers), 10.10.0.11-10.10.0.12 "
        "(fe01.ocs.example, fe02.ocs.example)",
    ]
    # Without labels (the scope any: the operator's own addresses) they are bare.
    _summary, bare = items([plan], check_mode=True)
    assert unified(bare) == [
        "-remote_addresses: 10.10.0.11",
        "+remote_addresses: 10.10.0.9, 10.10.0.11-10.10.0.12",
    ]
