# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: mass removals wait for a yes.
"""What a run would remove, host by host, and whether it may go ahead without a yes.

The inventory is the truth, but a typo in it reads like a decommission: a misspelt
component group takes the component off every host in it. Trusted sync tools stop such an
export until someone confirms it (a deletion threshold), and so does this collection:

* a run that would remove more of the collection's rules than ``max_removals``
  (``ocs_firewall_max_removals``, default :data:`.._variables.DEFAULT_MAX_REMOVALS`), or
* a run that would take one component off more than one host (the shape of a misspelt
  group or a variable set for a group by mistake)

waits for ``ocs_firewall_confirm_removals: true``, and lists what would go, host by host.
A removal is a rule the collection made that goes without a replacement (an updated rule
is replaced, new before old, and does not count; nor does the leftover of an apply that
stopped half-way, whose replacement is in place). On Windows Server 2003 it is an entry
of ours that is closed. A component is taken off a host when the host keeps none of its
rules.

Pure: removals in (each host's, as its plan gives them), a verdict out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _plan
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import is_tombstone

# Rule names listed per host and component before the rest are only counted.
_SHOWN = 8


@dataclasses.dataclass(frozen=True)
class Removal:
    """The collection's rules of one component (or task group) that a host's plan removes."""

    # The component's key, or None for a group the catalogue does not name.
    component: str | None
    # The rule group (Windows Server 2003: None, it has no groups).
    group: str | None
    rules: tuple[str, ...]
    # The host keeps none of the component's rules afterwards.
    whole: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "group": self.group,
            "rules": list(self.rules),
            "whole": self.whole,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Removal:
        component, group = value.get("component"), value.get("group")
        rules = value.get("rules")
        if not isinstance(rules, (list, tuple)) or not all(isinstance(r, str) for r in rules):
            raise ValueError(f"a removal's rules are a list of names, got {rules!r}")
        return cls(
            component=str(component) if component is not None else None,
            group=str(group) if group is not None else None,
            rules=tuple(rules),
            whole=bool(value.get("whole")),
        )

    @property
    def label(self) -> str:
        return self.component or f"group {self.group!r}"


def of_plans(plans: Iterable[_plan.GroupPlan]) -> list[Removal]:
    """The removals of a Windows Server 2008 (R2) host's group plans."""
    found = []
    for plan in plans:
        rules = tuple(name for name in plan.removed if not is_tombstone(name))
        if rules:
            found.append(Removal(plan.component, plan.group, rules, whole=not plan.after))
    return found


def beyond(removals: Iterable[Removal], reviewed: Iterable[Removal]) -> list[str]:
    """The rules ``removals`` take away that ``reviewed`` did not (``label: name``): a plan
    made again after the host changed may remove no more than the plan that was judged."""
    seen = {(r.component, r.group, name) for r in reviewed for name in r.rules}
    return [
        f"{r.label}: {name}"
        for r in removals
        for name in r.rules
        if (r.component, r.group, name) not in seen
    ]


@dataclasses.dataclass(frozen=True)
class GuardVerdict:
    """Whether the run waits for a yes, why, and what would go."""

    waits: bool
    count: int
    reasons: tuple[str, ...]
    # One line per host and component: what would go.
    lines: tuple[str, ...]

    def message(self, *, check_mode: bool = False) -> str:
        if not self.count:
            return "The run removes none of the collection's rules."
        head = f"The run {'would remove' if check_mode else 'removes'} {self.count} of the "
        head += "collection's rules"
        if not self.waits:
            return f"{head}: " + "; ".join(self.lines)
        stop = "it would stop without" if check_mode else "nothing was changed: it waits for"
        return (
            f"{head}, and {'; and '.join(self.reasons)}; {stop} a yes. To go ahead, run it "
            f"again with -e {_variables.CONFIRM_REMOVALS}=true (or a larger "
            f"{_variables.MAX_REMOVALS}). What would go, host by host: " + "; ".join(self.lines)
        )


def judge(
    removals: Mapping[str, Sequence[Removal]], max_removals: int, confirmed: bool
) -> GuardVerdict:
    """The verdict on a run whose hosts would remove ``removals`` (host -> its removals)."""
    count = sum(len(r.rules) for found in removals.values() for r in found)
    taken: dict[str, list[str]] = {}
    lines = []
    for host in sorted(removals):
        for removal in removals[host]:
            if removal.whole:
                taken.setdefault(removal.label, []).append(host)
            names = list(removal.rules[:_SHOWN])
            if len(removal.rules) > _SHOWN:
                names.append(f"... ({len(removal.rules) - _SHOWN} more)")
            what = "taken off" if removal.whole else "rules removed"
            lines.append(
                f"{host}: {removal.label} {what}, {len(removal.rules)} rule(s): " + ", ".join(names)
            )
    reasons = []
    if count > max_removals:
        reasons.append(f"that is more than {_variables.MAX_REMOVALS} ({max_removals})")
    for label, hosts in taken.items():
        if len(hosts) > 1:
            reasons.append(
                f"it takes {label} off {len(hosts)} hosts ({', '.join(hosts)}), which is what a "
                "misspelt group or variable looks like"
            )
    return GuardVerdict(
        waits=bool(reasons) and not confirmed,
        count=count,
        reasons=tuple(reasons),
        lines=tuple(lines),
    )


def options(values: Mapping[str, Any]) -> tuple[int, bool, list[str]]:
    """``(max_removals, confirmed, problems)`` from the run's variables (those defined)."""
    problems: list[str] = []
    limit: int | None = _variables.DEFAULT_MAX_REMOVALS
    if _variables.MAX_REMOVALS in values:
        limit, found = _settings.check_count(
            _variables.MAX_REMOVALS, values[_variables.MAX_REMOVALS]
        )
        problems += found
    confirmed: Any = False
    if _variables.CONFIRM_REMOVALS in values:
        confirmed, found = _settings.check_bool(
            _variables.CONFIRM_REMOVALS, values[_variables.CONFIRM_REMOVALS]
        )
        problems += found
    return (limit if limit is not None else 0), bool(confirmed), problems
