"""The ocs.firewall.open_rules_table filter: the table playbooks/report.yml prints."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.filter.open_rules_table import open_rules_table

LONG = "OCS Front End 49152-65535/TCP In (seed-99) with a name longer than any column was"


def rule(name: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "group": "OCS 2007 R2 - Front End",
        "direction": "in",
        "action": "allow",
        "protocol": "tcp",
        "local_ports": ["5061"],
        "remote_ports": [],
        "local_addresses": [],
        "enabled": True,
    }
    base.update(fields)
    return base


def columns(line: str, header: str) -> list[str]:
    """Cut a line at the header's column starts."""
    names = ("NAME", "PORTS", "PROTO", "DIR", "LOCAL ADDRESSES", "REMOTE ADDRESSES")
    starts = [header.index(h) for h in names]
    ends = [*starts[1:], None]
    return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]


def test_full_names_and_ports_show_and_columns_line_up() -> None:
    ports = ["443", "5060-5061", "5063", "5065", "5069", "8404", "49152-57500"]
    lines = open_rules_table(
        [
            rule(LONG, local_ports=["49152-65535"]),
            rule("OCS Front End 5061/TCP In (seed-01)", local_ports=ports),
            rule(
                "OCS Front End 5060/TCP Out (seed-02)",
                direction="out",
                local_ports=[],
                remote_ports=["5060"],
                local_addresses=["10.0.0.1", "10.0.0.2"],
                remote_addresses=["10.10.0.11", "10.20.0.0/16"],
            ),
        ]
    )
    header, group, *rows = lines
    assert header.split() == [
        "NAME",
        "PORTS",
        "PROTO",
        "DIR",
        "LOCAL",
        "ADDRESSES",
        "REMOTE",
        "ADDRESSES",
    ]
    assert group == "[OCS 2007 R2 - Front End]"
    assert [columns(r, header) for r in rows] == [
        [
            "OCS Front End 49152-65535/TCP In (seed-99) with a name longer than any column was",
            "49152-65535",
            "tcp",
            "in",
            "any",
            "any",
        ],
        [
            "OCS Front End 5060/TCP Out (seed-02)",
            "5060",
            "tcp",
            "out",
            "10.0.0.1,10.0.0.2",
            "10.10.0.11,10.20.0.0/16",
        ],
        ["OCS Front End 5061/TCP In (seed-01)", ",".join(ports), "tcp", "in", "any", "any"],
    ]
    assert not any(".." in line for line in lines)
    # The name column is exactly as wide as the longest name, plus the gap.
    assert header.index("PORTS") == len(LONG) + 2


def test_only_open_rules_each_group_sorted() -> None:
    lines = open_rules_table(
        [
            rule("b", group="G2"),
            rule("a", group="G2", local_ports=[]),
            rule("blocked", group="G1", action="block"),
            rule("disabled", group="G1", enabled=False),
            rule("c", group="G1"),
        ]
    )
    assert [line.split()[0] for line in lines[1:]] == ["[G1]", "c", "[G2]", "a", "b"]
    # No port list reads as any.
    assert lines[4].split()[:2] == ["a", "any"]


def test_a_group_without_open_rules_has_no_header() -> None:
    lines = open_rules_table(
        [
            rule("off", group="Closed", enabled=False),
            rule("blocked", group="Closed", action="block"),
            rule("open", group="Open"),
        ]
    )
    assert [line.split()[0] for line in lines[1:]] == ["[Open]", "open"]
    assert open_rules_table([rule("off", group="Only", enabled=False)])[1:] == []


@pytest.mark.parametrize("bad", ["rules", {"name": "x"}, 5, ["not a rule"]])
def test_not_a_rule_list_is_refused(bad: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="open_rules_table"):
        open_rules_table(bad)
