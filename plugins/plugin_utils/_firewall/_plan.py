# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what to change on a host, group by group.
"""Compare the rules a host should have with what it has, one rule group at a time.

Only rules the collection made (:mod:`._ownership`) are ever planned for removal or
change, and only by the part of the collection that made them: a component's group plan
manages the rules built from its own catalogue entries, a task's group plan
(win_firewall_rules) the rules a task wrote. A rule without the marker, even inside a
group the collection manages, is *foreign*; a rule the other part made is the *others'*;
a rule whose marker is not right for the group (another component's entry, an id the
catalogue does not have: a copy) is *marked but not ours*. All are reported and left
exactly as they are.

The plan of one host is a list of :class:`GroupPlan`, and its apply request carries every
group at once (cut into several when too large for one WinRM message, in an order that
closes no wanted port: ``_wire.split_apply``). On the host a request runs in three phases
(see ``_firewall.ps1``): every rule to replace or remove is first renamed to a tombstone
(it keeps working), then every new rule is added, and only then are the tombstones
removed. A failure before the last phase leaves every old rule in effect, so no
still-wanted port is ever closed. How plans read in a task result (its diff, summary and
message) is :mod:`.._reports._task_result`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    HostRule,
    Rule,
    is_tombstone,
    name_key,
)

# What a group (or a component's group) is to hold: the wanted rules, or none of ours.
STATES: tuple[str, ...] = ("present", "absent")

# Why a group is in a plan.
COMPONENT = "component"  # the group of a component the host holds
UNASSIGNED = "unassigned"  # a collection group of a component the host no longer holds
TASK = "task"  # the group of a win_firewall_rules task


@dataclasses.dataclass(frozen=True)
class GroupPlan:
    """What changes in one group. ``retire`` and ``adds`` are its part of the request."""

    group: str
    reason: str
    component: str | None
    retire: tuple[str, ...]
    adds: tuple[Rule, ...]
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    before: tuple[HostRule, ...]
    after: tuple[Rule, ...]
    foreign: tuple[HostRule, ...]
    # The collection's rules the other part of it manages (see the module's docstring).
    others: tuple[HostRule, ...] = ()
    # Rules that carry a marker but are not this group's to manage (a copy, say).
    marked: tuple[HostRule, ...] = ()
    # The pattern the host checks before it retires a rule of this group (OWNS).
    owns: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.retire or self.adds)

    def summary(self) -> dict[str, Any]:
        """The group's part of a task result."""
        return {
            "group": self.group,
            "reason": self.reason,
            "component": self.component,
            "changed": self.changed,
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "foreign": [h.rule.name for h in self.foreign],
            "others": [h.rule.name for h in self.others],
            "marked_not_ours": [h.rule.name for h in self.marked],
        }


def owned(host_rule: HostRule) -> bool:
    return _ownership.is_owned(host_rule.rule.description)


def owner(reason: str) -> str:
    """Whose rules a group plan of ``reason`` manages (:func:`._ownership.owner_of`)."""
    return _ownership.TASK if reason == TASK else _ownership.CATALOGUE


def _kind(host_rule: HostRule, reason: str, ids: Collection[str]) -> str:
    """``mine``, ``others``, ``marked`` (a marker that is not right here) or ``foreign``
    (no marker) for a rule of a group planned for ``reason`` (``ids``: see
    :func:`plan_group`)."""
    description = host_rule.rule.description
    found = _ownership.owner_of(description)
    if found is None:
        return "foreign"
    entry = _ownership.entry_of(description)
    if reason == TASK:
        if found == _ownership.TASK:
            return "mine"
        return "others" if entry in ids else "marked"
    if found == _ownership.TASK:
        return "others"
    return "mine" if entry in ids else "marked"


def matches(desired: Rule, actual: HostRule) -> bool:
    """True when the host rule needs no change to be ``desired``."""
    return desired == actual.rule and not actual.application and not actual.service


def _sorted(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=lambda r: (name_key(r.name), r.name)))


@dataclasses.dataclass
class _Changes:
    """A group's plan as it is worked out (see :class:`GroupPlan`)."""

    retire: list[str]
    removed: list[str]
    adds: list[Rule] = dataclasses.field(default_factory=list)
    added: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    after: list[Rule] = dataclasses.field(default_factory=list)

    def remove(self, name: str) -> None:
        self.retire.append(name)
        self.removed.append(name)


def _ours_by_name(mine: Iterable[HostRule]) -> tuple[list[str], dict[str, list[HostRule]]]:
    """The tombstones among the collection's rules, and the others by name key."""
    tombstones: list[str] = []
    by_key: dict[str, list[HostRule]] = {}
    for host_rule in mine:
        if is_tombstone(host_rule.rule.name):
            tombstones.append(host_rule.rule.name)
        else:
            by_key.setdefault(name_key(host_rule.rule.name), []).append(host_rule)
    return tombstones, by_key


def plan_group(
    group: str,
    desired: Sequence[Rule],
    actual: Sequence[HostRule],
    *,
    reason: str = TASK,
    component: str | None = None,
    purge: bool = True,
    state: str = "present",
    ids: Collection[str],
) -> GroupPlan:
    """Plan one group from its wanted rules and the rules the host has in it.

    ``state=present``: wanted rules are added or, when they differ (or the group holds
    several of that name), replaced; the collection's other rules of the group are
    removed when ``purge``. ``state=absent``: with ``purge`` every rule the collection
    made in the group is removed, without it only the listed names. Tombstones (the
    leftovers of an apply that stopped half-way) are always removed, first.

    ``ids`` are catalogue entry ids: for a component's group (or one no longer held) the
    entries whose rules the plan manages, so that a rule marked with any other id is
    *marked but not ours*; for a task's group every entry of the catalogue, whose rules are
    then the others' (win_ocs_firewall's) and a marker naming no entry marked but not ours.
    """
    if state not in STATES:
        raise InputError(f"state: {state!r} is not valid; valid are {', '.join(STATES)}")
    kinds = [_kind(h, reason, ids) for h in actual]
    mine = [h for h, kind in zip(actual, kinds, strict=True) if kind == "mine"]
    tombstones, by_key = _ours_by_name(mine)
    wanted = {name_key(rule.name) for rule in desired}
    plan = _Changes(retire=list(tombstones), removed=list(tombstones))
    if state == "present":
        for rule in desired:
            copies = by_key.get(name_key(rule.name), [])
            if not copies:
                plan.adds.append(rule)
                plan.added.append(rule.name)
            elif len(copies) > 1 or not matches(rule, copies[0]):
                plan.retire.append(copies[0].rule.name)
                plan.adds.append(rule)
                plan.updated.append(rule.name)
            plan.after.append(rule)
    for key, copies in by_key.items():
        if state == "present" and key in wanted:
            continue
        if purge or key in wanted:
            plan.remove(copies[0].rule.name)
        else:
            plan.after.extend(c.rule for c in copies)
    return GroupPlan(
        group=group,
        reason=reason,
        component=component,
        retire=tuple(plan.retire),
        adds=tuple(plan.adds),
        added=tuple(plan.added),
        updated=tuple(plan.updated),
        removed=tuple(plan.removed),
        before=tuple(mine),
        after=_sorted(plan.after),
        foreign=tuple(h for h, kind in zip(actual, kinds, strict=True) if kind == "foreign"),
        others=tuple(h for h, kind in zip(actual, kinds, strict=True) if kind == "others"),
        marked=tuple(h for h, kind in zip(actual, kinds, strict=True) if kind == "marked"),
        owns=_ownership.TASK_PATTERN if reason == TASK else _ownership.catalogue_pattern(ids),
    )


def by_group(rules: Iterable[HostRule]) -> dict[str, list[HostRule]]:
    """Host rules per group, groups keyed as Windows compares them."""
    groups: dict[str, list[HostRule]] = {}
    for host_rule in rules:
        groups.setdefault(name_key(host_rule.group), []).append(host_rule)
    return groups
