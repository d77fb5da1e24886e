# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: OCS setup's own rules, held back where ours cover them.
"""OCS 2007 R2 setup's rules, and taking them over by choice (``ocs_firewall_setup_rules``).

Activation ("Prepare Windows for Setup") leaves allow rules of its own in the group
``Office Communications Server 2007 R2``, open to any address. Windows lets a packet in
when any enabled allow rule matches it, so while they are enabled the collection's scope
restricts nothing on their ports. With ``disable`` the collection *holds* each of them
that its rules on the host cover - an inbound allow rule of the same protocol whose every
local port is one the collection's inbound allow rules open - in the apply that puts its
own rules in place, after they are in: the rule is disabled, never deleted, and its
description gets :data:`HOLD_MARK` at its end. With ``keep`` (or once the collection's
rules no longer cover it) the rule is *released*: enabled again, its description as it
was. Only rules with the mark are ever released, so exactly the rules the collection held
come back; a rule someone else disabled is never touched. Pure: the plan of one host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    merge_ranges,
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    HostRule,
    Rule,
    name_key,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    MAX_DESCRIPTION_LENGTH,
    OCS_SETUP_GROUP,
    PORT_PROTOCOLS,
)

VARIABLE = _variables.SETUP_RULES
KEEP = "keep"
DISABLE = "disable"
# The end of a held rule's description: how a later run knows the collection held it. Not
# an ownership marker, and not like one (those start "[ocs.firewall"): a held rule stays
# OCS setup's.
HOLD_MARK = " (held by ocs.firewall: the collection's rules cover its ports)"
GROUP = OCS_SETUP_GROUP


@dataclasses.dataclass(frozen=True)
class SetupPlan:
    """What happens to OCS setup's rules on one host: names to hold (disable) and to
    release (enable again), the names held already and staying so, and the enabled
    inbound allow rules the collection's rules do not cover (left as they are, whatever
    the mode)."""

    mode: str = KEEP
    hold: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.hold or self.release)

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "group": GROUP,
            "disable": list(self.hold),
            "restore": list(self.release),
            "disabled": list(self.held),
            "not_covered": list(self.uncovered),
        }


def is_held(host_rule: HostRule) -> bool:
    return host_rule.rule.description.endswith(HOLD_MARK)


def in_setup_group(host_rule: HostRule) -> bool:
    return name_key(host_rule.group) == name_key(GROUP)


def opened_ports(rules: Iterable[Rule]) -> dict[str, list[tuple[int, int]]]:
    """The local ports each protocol's enabled inbound allow rules of ``rules`` open (a
    rule of any protocol, or without ports, opens every port)."""
    found: dict[str, list[tuple[int, int]]] = {p: [] for p in PORT_PROTOCOLS}
    for rule in rules:
        if not (rule.enabled and rule.direction == "in" and rule.action == "allow"):
            continue
        protocols = PORT_PROTOCOLS if rule.protocol == "any" else (rule.protocol,)
        for protocol in protocols:
            if protocol not in found:
                continue
            if not rule.local_ports:
                found[protocol].append((1, 65535))
            found[protocol] += [b for b in map(port_bounds, rule.local_ports) if b is not None]
    return {p: merge_ranges(r) for p, r in found.items()}


def covers(opened: dict[str, list[tuple[int, int]]], rule: Rule) -> bool:
    """Whether the ports ``opened`` hold every port the inbound allow ``rule`` opens (same
    protocol; a port keyword such as RPC, or no ports at all, is never covered)."""
    if rule.direction != "in" or rule.action != "allow" or rule.protocol not in PORT_PROTOCOLS:
        return False
    if not rule.local_ports:
        return False
    for token in rule.local_ports:
        bounds = port_bounds(token)
        if bounds is None:
            return False
        if not any(low <= bounds[0] and bounds[1] <= high for low, high in opened[rule.protocol]):
            return False
    return True


def plan_setup(
    mode: str, wanted: Iterable[Rule], actual: Sequence[HostRule], *, whole_host: bool = True
) -> SetupPlan:
    """The plan for OCS setup's rules among ``actual`` (a read), given the collection's
    rules the host keeps (``wanted``: every group plan's rules after the change).

    A task that manages only some of the host's components (not ``whole_host``) sees only
    their rules: it holds what those cover, and releases only when told to (``keep``),
    never because its own rules do not cover a rule another component's do."""
    opened = opened_ports(wanted)
    by_name: dict[str, list[HostRule]] = {}
    for host_rule in actual:
        if in_setup_group(host_rule):
            by_name.setdefault(name_key(host_rule.rule.name), []).append(host_rule)
    hold: list[str] = []
    release: list[str] = []
    held: list[str] = []
    uncovered: list[str] = []
    for rules in by_name.values():
        name = rules[0].rule.name
        # HOLD and RELEASE name rules: a name is held only when every rule of it that
        # would be disabled is covered, and its description has room for the mark.
        enabled = [h for h in rules if h.rule.enabled]
        marked = [h for h in rules if is_held(h)]
        covered = all(
            covers(opened, h.rule)
            and len(h.rule.description) + len(HOLD_MARK) <= MAX_DESCRIPTION_LENGTH
            for h in enabled + marked
        )
        if mode == DISABLE and covered and enabled:
            hold.append(name)
        elif mode == DISABLE and covered and marked:
            held.append(name)
        elif marked and (whole_host or mode == KEEP):
            release.append(name)
        if not covered and any(
            h.rule.action == "allow" and h.rule.direction == "in" for h in enabled
        ):
            uncovered.append(name)
    return SetupPlan(
        mode, tuple(sorted(hold)), tuple(sorted(release)), tuple(sorted(held)), tuple(uncovered)
    )
