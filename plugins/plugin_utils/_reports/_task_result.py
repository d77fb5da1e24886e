# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a host's plans as the person reviewing a run reads them.
"""What a host's plans (:mod:`.._firewall._plan`) look like in a task result: diff, summary,
message, warnings.

The diff is a list of Ansible diff items (``CallbackBase._get_diff`` takes a list): first
the host's one-line summary (``prepared``), then one item per rule that is added, updated
or removed. Each item's headers name the host, the group, the rule and what happens to it;
its sides are the rule's fields one per line, so a changed port is one ``-``/``+`` pair of
lines with the rule's other fields as context. An added rule has an empty ``before``, a
removed one an empty ``after``. Groups come in plan order, rules sorted by name within
their group, so the same plans always read the same. With the scope from the inventory,
each remote address is followed by what it stands for (:func:`annotated`:
``10.10.0.9 (load_balancers), 10.10.0.11-10.10.0.12 (fe01.ocs.example, fe02.ocs.example)``).
Pure: plans in, plain data out.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import listed
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._scope import Label
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import (
    DISABLE,
    GROUP,
    SetupPlan,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import contains
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import (
    TASK,
    UNASSIGNED,
    GroupPlan,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    RULE_FIELDS,
    HostRule,
    Rule,
    is_tombstone,
    name_key,
)

ADDED = "added"
UPDATED = "updated"
REMOVED = "removed"
KINDS: tuple[str, ...] = (ADDED, UPDATED, REMOVED)
# What each catalogue rule becomes on a Windows Server 2003 host, in the reduced mode's
# summary (``summary.verdicts``) and the closing table's column (_reduced_mode._entries).
APPLIED = "applied"
NOT_APPLICABLE = "not_applicable"
REFUSED = "refused"
VERDICTS: tuple[str, ...] = (APPLIED, NOT_APPLICABLE, REFUSED)
# How a count reads after a run, and in check mode (nothing was changed).
_DONE = {ADDED: "added", UPDATED: "updated", REMOVED: "removed"}
_TO_DO = {ADDED: "to add", UPDATED: "to update", REMOVED: "to remove"}
# Properties the collection never sets: shown only when a host rule has them (they are
# then what makes the rule differ).
_UNMANAGED = ("application", "service")
# The names an annotated address lists before it only counts the rest.
_SHOWN_LABELS = 4


@dataclasses.dataclass(frozen=True)
class RuleDiff:
    """One rule of a group that is added, updated or removed."""

    kind: str
    name: str
    # The collection's rules of that name on the host (several: they become one).
    before: tuple[HostRule, ...]
    after: Rule | None


def changes(plan: GroupPlan) -> list[RuleDiff]:
    """The group's changes, sorted by rule name."""
    on_host: dict[str, list[HostRule]] = {}
    for host_rule in plan.before:
        on_host.setdefault(name_key(host_rule.rule.name), []).append(host_rule)
    adds = {name_key(rule.name): rule for rule in plan.adds}
    found = [RuleDiff(ADDED, n, (), adds[name_key(n)]) for n in plan.added]
    found += [
        RuleDiff(UPDATED, n, tuple(on_host[name_key(n)]), adds[name_key(n)]) for n in plan.updated
    ]
    found += [RuleDiff(REMOVED, n, tuple(on_host[name_key(n)]), None) for n in plan.removed]
    return sorted(found, key=lambda c: (name_key(c.name), c.name))


def field_text(value: Any) -> str:
    """A field's value on one line: lists joined (empty: ``any``), booleans lower case;
    a string that would not read back as itself (empty, edge spaces, line breaks and other
    control characters) in JSON quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(field_text(v) for v in value) or "any"
    shown = str(value)
    if not shown or shown != shown.strip() or not shown.isprintable():
        return json.dumps(shown, ensure_ascii=False)
    return shown


def annotated(addresses: Sequence[str], labels: Sequence[Label]) -> str:
    """``addresses`` as :func:`field_text` gives them, each followed by what it stands for:
    the peer kind whose network it is, else the inventory hosts and peer kinds whose
    addresses it holds (``10.10.0.11-10.10.0.12 (fe01.ocs.example, fe02.ocs.example)``); one
    that stands for nothing known is bare."""
    if not addresses:
        return field_text(addresses)
    parts = []
    for token in addresses:
        # A peer kind's network (the internal clients') stands for itself, not for the
        # servers whose addresses it happens to hold.
        names = [label for address, label, network in labels if network and address == token]
        if not names:
            names = [label for address, label, _network in labels if _holds(token, address)]
        names = list(dict.fromkeys(names))
        if len(names) > _SHOWN_LABELS:
            names[_SHOWN_LABELS:] = [f"{len(names) - _SHOWN_LABELS} more"]
        text = field_text(token)
        parts.append(f"{text} ({', '.join(names)})" if names else text)
    return ", ".join(parts)


def _holds(token: str, address: str) -> bool:
    try:
        return contains(token, address)
    except ValueError:
        return False


def rule_text(rule: Rule, host_rule: HostRule | None = None, labels: Sequence[Label] = ()) -> str:
    """The rule's fields, one ``field: value`` line each, in the order of RULE_FIELDS; its
    remote addresses :func:`annotated` with ``labels``."""
    lines = [
        f"{field}: "
        + (
            annotated(rule.remote_addresses, labels)
            if field == "remote_addresses" and labels
            else field_text(getattr(rule, field))
        )
        for field in RULE_FIELDS
    ]
    if host_rule is not None:
        lines += [
            f"{f}: {field_text(getattr(host_rule, f))}" for f in _UNMANAGED if getattr(host_rule, f)
        ]
    return "\n".join(lines) + "\n"


def _what(plan: GroupPlan, change: RuleDiff, check_mode: bool) -> str:
    done = f"would be {change.kind}" if check_mode else change.kind
    if change.kind == REMOVED and is_tombstone(change.name):
        return f"{done}: left behind by an apply that stopped part way"
    if change.kind == REMOVED and plan.reason == UNASSIGNED:
        return f"{done}: the host no longer holds this group's component"
    if len(change.before) > 1:
        return f"{done}: its {len(change.before)} rules of this name become one"
    return done


def header(host: str, plan: GroupPlan, change: RuleDiff, *, check_mode: bool) -> str:
    return f"{host} | {plan.group} | {change.name} ({_what(plan, change, check_mode)})"


def counts_text(counts: dict[str, int], check_mode: bool, *, zeros: bool) -> str:
    words = _TO_DO if check_mode else _DONE
    return ", ".join(f"{counts[k]} {words[k]}" for k in KINDS if zeros or counts[k])


def _plan_counts(plan: GroupPlan) -> dict[str, int]:
    return {ADDED: len(plan.added), UPDATED: len(plan.updated), REMOVED: len(plan.removed)}


def summary(
    plans: Sequence[GroupPlan], elsewhere: Sequence[HostRule] = (), setup: SetupPlan | None = None
) -> dict[str, Any]:
    """Totals of the host, and the names of each group that changes (``elsewhere``: rules
    outside the plans' groups that carry the marker but are not the collection's;
    ``setup``: what happens to OCS setup's rules)."""
    setup = setup or SetupPlan()
    totals = dict.fromkeys(KINDS, 0)
    groups: dict[str, dict[str, list[str]]] = {}
    for plan in plans:
        for kind, count in _plan_counts(plan).items():
            totals[kind] += count
        if plan.changed:
            groups[plan.group] = {
                ADDED: list(plan.added),
                UPDATED: list(plan.updated),
                REMOVED: list(plan.removed),
            }
    return {
        **totals,
        "foreign": sum(len(p.foreign) for p in plans),
        "marked_not_ours": sum(len(p.marked) for p in plans) + len(elsewhere),
        "setup_disabled": len(setup.hold),
        "setup_restored": len(setup.release),
        "groups": groups,
    }


def _setup_text(setup: SetupPlan, check_mode: bool) -> str:
    """``OCS setup's rules: 6 disabled, 1 enabled again`` (check mode: ``to disable``)."""
    parts = []
    if setup.hold:
        parts.append(f"{len(setup.hold)} {'to disable' if check_mode else 'disabled'}")
    if setup.release:
        parts.append(f"{len(setup.release)} {'to enable again' if check_mode else 'enabled again'}")
    return f"OCS setup's rules: {', '.join(parts)}"


def summary_line(
    host: str,
    plans: Sequence[GroupPlan],
    *,
    check_mode: bool,
    elsewhere: Sequence[HostRule] = (),
    setup: SetupPlan | None = None,
) -> str:
    """``fe01: 2 added, 1 updated, 0 removed (<group>: 1 updated; <group>: 2 added)``; in
    check mode ``2 to add, 1 to update, 0 to remove``."""
    setup = setup or SetupPlan()
    totals = summary(plans, elsewhere, setup)
    if any(p.changed for p in plans) or setup.changed:
        parts = []
        for plan in plans:
            if plan.changed:
                label = (
                    f"{plan.group} (no longer held)" if plan.reason == UNASSIGNED else plan.group
                )
                parts.append(f"{label}: {counts_text(_plan_counts(plan), check_mode, zeros=False)}")
        if setup.changed:
            parts.append(_setup_text(setup, check_mode))
        line = f"{host}: {counts_text(totals, check_mode, zeros=True)} ({'; '.join(parts)})"
    else:
        line = f"{host}: in sync, nothing to change ({len(plans)} group(s))"
    if totals["foreign"]:
        line += f"; {totals['foreign']} rule(s) the collection did not make left alone"
    if totals["marked_not_ours"]:
        line += (
            f"; {totals['marked_not_ours']} rule(s) carrying its marker that are not its "
            "own left alone"
        )
    return line


def diff(
    host: str,
    plans: Sequence[GroupPlan],
    *,
    check_mode: bool,
    elsewhere: Sequence[HostRule] = (),
    setup: SetupPlan | None = None,
    labels: Sequence[Label] = (),
) -> list[dict[str, str]]:
    """The task's ``diff``: the summary line, then an item per changed rule (OCS setup's
    rules held or released last); ``labels``: what the remote addresses stand for."""
    setup = setup or SetupPlan()
    line = summary_line(host, plans, check_mode=check_mode, elsewhere=elsewhere, setup=setup)
    items: list[dict[str, str]] = [{"prepared": line + "\n"}]
    for plan in plans:
        for change in changes(plan):
            title = header(host, plan, change, check_mode=check_mode)
            items.append(
                {
                    "before_header": title,
                    "after_header": title,
                    "before": "\n".join(rule_text(h.rule, h, labels) for h in change.before),
                    "after": (
                        rule_text(change.after, labels=labels) if change.after is not None else ""
                    ),
                }
            )
    would = "would be " if check_mode else ""
    why = (
        "the collection's rules no longer cover it"
        if setup.mode == DISABLE
        else "ocs_firewall_setup_rules is keep"
    )
    for names, enabled, what in (
        (setup.hold, False, f"{would}disabled: the collection's rules cover its ports"),
        (setup.release, True, f"{would}enabled again: {why}"),
    ):
        for name in names:
            title = f"{host} | {GROUP} | {name} ({what})"
            items.append(
                {
                    "before_header": title,
                    "after_header": title,
                    "before": f"enabled: {field_text(not enabled)}\n",
                    "after": f"enabled: {field_text(enabled)}\n",
                }
            )
    return items


def warnings(plans: Sequence[GroupPlan], elsewhere: Sequence[HostRule] = ()) -> list[str]:
    """What a task says as warnings about the rules of managed groups it left alone: rules
    that carry the collection's marker but are not its own (``elsewhere``: those outside
    the groups planned), rules the collection did not make, and rules the other part of it
    manages (a catalogue rule in a task's group, a task's rule in a component's group)."""
    found = []
    marked = [h for plan in plans for h in plan.marked] + list(elsewhere)
    if marked:
        names = listed([f"{h.group or '(no group)'}: {h.rule.name}" for h in marked])
        found.append(
            f"{len(marked)} rule(s) carry the collection's marker but are not its own here (a "
            "copy, a rule of a catalogue entry it does not have, or one outside its groups), "
            f"left as they are: {names}. A group a component of the host used to have is the "
            "collection's again while ocs_<component>_group names it"
        )
    for plan in plans:
        if plan.foreign:
            found.append(
                f"group {plan.group!r} holds {len(plan.foreign)} rule(s) the collection did "
                f"not make, left as they are: {listed([h.rule.name for h in plan.foreign])}"
            )
        if plan.others:
            manager = (
                "ocs.firewall.win_ocs_firewall built from the catalogue"
                if plan.reason == TASK
                else "an ocs.firewall.win_firewall_rules task wrote"
            )
            found.append(
                f"group {plan.group!r} holds {len(plan.others)} rule(s) {manager}, left to it: "
                f"{listed([h.rule.name for h in plan.others])}"
            )
    return found


def result(
    host: str,
    plans: Sequence[GroupPlan],
    elsewhere: Sequence[HostRule],
    *,
    check_mode: bool,
    with_diff: bool,
    setup: SetupPlan | None = None,
    labels: Sequence[Label] = (),
) -> dict[str, Any]:
    """win_ocs_firewall's result of a host's plans (before the apply); ``setup``: what
    happens to OCS setup's rules; ``labels``: what the diff's remote addresses stand for."""
    setup = setup or SetupPlan()
    found: dict[str, Any] = {
        "changed": any(p.changed for p in plans) or setup.changed,
        "msg": summary_line(host, plans, check_mode=check_mode, elsewhere=elsewhere, setup=setup),
        "summary": summary(plans, elsewhere, setup),
        "groups": {p.group: p.summary() for p in plans},
        "rules": {p.group: [r.to_dict() for r in p.after] for p in plans},
        "marked_not_ours": [h.to_dict() for p in plans for h in p.marked]
        + [h.to_dict() for h in elsewhere],
        "setup_rules": setup.to_dict(),
    }
    if with_diff:
        found["diff"] = diff(
            host, plans, check_mode=check_mode, elsewhere=elsewhere, setup=setup, labels=labels
        )
    return found
