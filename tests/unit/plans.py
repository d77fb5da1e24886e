"""Rules and group plans for the tests of plans and of how they read (test_plan.py,
test_task_result.py): a group, rules in it made by a task or by hand, tombstones, and
:func:`plan_group` with the catalogue's ids."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _plan
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    TOMBSTONE_PREFIX,
    HostRule,
    Rule,
)

# Every entry id of the catalogue: a component's plan here manages any catalogue rule.
IDS = _catalogue.entry_ids()


def plan_group(group: str, desired: Any, actual: Any, **options: Any) -> _plan.GroupPlan:
    """:func:`_plan.plan_group` with the catalogue's ids unless a test gives its own."""
    return _plan.plan_group(group, desired, actual, **{"ids": IDS, **options})


G = "OCS 2007 R2 - Front End"
TASK = " [ocs.firewall]"
CAT = " [ocs.firewall catalogue seed-01]"


def rule(name: str, description: str = "d" + TASK, **fields: Any) -> Rule:
    return Rule(name=name, description=description, **fields)


def on_host(name: str, group: str = G, *, description: str = "d" + TASK, **fields: Any) -> HostRule:
    application = fields.pop("application", "")
    return HostRule(rule(name, description, **fields), group=group, application=application)


def hand_made(name: str, group: str = G, **fields: Any) -> HostRule:
    fields.setdefault("description", "opened by hand")
    return on_host(name, group, **fields)


TOMB = on_host(f"{TOMBSTONE_PREFIX}0123456789abcdef")
TOMB2 = on_host(f"{TOMBSTONE_PREFIX}fedcba9876543210")

A = rule("A", local_ports=("80",))
B = rule("B", local_ports=("443",))
