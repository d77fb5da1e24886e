# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a host's plans as the person reviewing a run reads them.
"""What a host's plans (:mod:`._plan`) look like in a task result: diff, summary, message.

The diff is a list of Ansible diff items (``CallbackBase._get_diff`` takes a list): first
the host's one-line summary (``prepared``), then one item per rule that is added, updated
or removed. Each item's headers name the host, the group, the rule and what happens to it;
its sides are the rule's fields one per line, so a changed port is one ``-``/``+`` pair of
lines with the rule's other fields as context. An added rule has an empty ``before``, a
removed one an empty ``after``. Groups come in plan order, rules sorted by name within
their group, so the same plans always read the same. Pure: plans in, plain data out.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import (
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
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    LEGACY_PROFILE_NAMES,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode._entries import (
    NOT_APPLICABLE,
    REFUSED,
    VERDICTS,
    LegacyPlan,
    entry_dict,
)

ADDED = "added"
UPDATED = "updated"
REMOVED = "removed"
KINDS: tuple[str, ...] = (ADDED, UPDATED, REMOVED)
# How a count reads after a run, and in check mode (nothing was changed).
_DONE = {ADDED: "added", UPDATED: "updated", REMOVED: "removed"}
_TO_DO = {ADDED: "to add", UPDATED: "to update", REMOVED: "to remove"}
# Properties the collection never sets: shown only when a host rule has them (they are
# then what makes the rule differ).
_UNMANAGED = ("application", "service")


@dataclasses.dataclass(frozen=True)
class Change:
    """One rule of a group that is added, updated or removed."""

    kind: str
    name: str
    # The collection's rules of that name on the host (several: they become one).
    before: tuple[HostRule, ...]
    after: Rule | None


def changes(plan: GroupPlan) -> list[Change]:
    """The group's changes, sorted by rule name."""
    on_host: dict[str, list[HostRule]] = {}
    for host_rule in plan.before:
        on_host.setdefault(name_key(host_rule.rule.name), []).append(host_rule)
    adds = {name_key(rule.name): rule for rule in plan.adds}
    found = [Change(ADDED, n, (), adds[name_key(n)]) for n in plan.added]
    found += [
        Change(UPDATED, n, tuple(on_host[name_key(n)]), adds[name_key(n)]) for n in plan.updated
    ]
    found += [Change(REMOVED, n, tuple(on_host[name_key(n)]), None) for n in plan.removed]
    return sorted(found, key=lambda c: (name_key(c.name), c.name))


def _text(value: Any) -> str:
    """A field's value on one line: lists joined (empty: ``any``), booleans lower case;
    a string that would not read back as itself (empty, edge spaces, line breaks and other
    control characters) in JSON quotes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or "any"
    text = str(value)
    if not text or text != text.strip() or not text.isprintable():
        return json.dumps(text, ensure_ascii=False)
    return text


def rule_text(rule: Rule, host_rule: HostRule | None = None) -> str:
    """The rule's fields, one ``field: value`` line each, in the order of RULE_FIELDS."""
    lines = [f"{field}: {_text(getattr(rule, field))}" for field in RULE_FIELDS]
    if host_rule is not None:
        lines += [
            f"{f}: {_text(getattr(host_rule, f))}" for f in _UNMANAGED if getattr(host_rule, f)
        ]
    return "\n".join(lines) + "\n"


def _what(plan: GroupPlan, change: Change, check_mode: bool) -> str:
    done = f"would be {change.kind}" if check_mode else change.kind
    if change.kind == REMOVED and is_tombstone(change.name):
        return f"{done}: left behind by an apply that stopped part way"
    if change.kind == REMOVED and plan.reason == UNASSIGNED:
        return f"{done}: the host no longer holds this group's component"
    if len(change.before) > 1:
        return f"{done}: its {len(change.before)} rules of this name become one"
    return done


def header(host: str, plan: GroupPlan, change: Change, *, check_mode: bool) -> str:
    return f"{host} | {plan.group} | {change.name} ({_what(plan, change, check_mode)})"


def _counts(counts: dict[str, int], check_mode: bool, *, zeros: bool) -> str:
    words = _TO_DO if check_mode else _DONE
    return ", ".join(f"{counts[k]} {words[k]}" for k in KINDS if zeros or counts[k])


def _plan_counts(plan: GroupPlan) -> dict[str, int]:
    return {ADDED: len(plan.added), UPDATED: len(plan.updated), REMOVED: len(plan.removed)}


def summary(plans: Sequence[GroupPlan], elsewhere: Sequence[HostRule] = ()) -> dict[str, Any]:
    """Totals of the host, and the names of each group that changes (``elsewhere``: rules
    outside the plans' groups that carry the marker but are not the collection's)."""
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
        "groups": groups,
    }


def summary_line(
    host: str,
    plans: Sequence[GroupPlan],
    *,
    check_mode: bool,
    elsewhere: Sequence[HostRule] = (),
) -> str:
    """``fe01: 2 added, 1 updated, 0 removed (<group>: 1 updated; <group>: 2 added)``; in
    check mode ``2 to add, 1 to update, 0 to remove``."""
    totals = summary(plans, elsewhere)
    if any(p.changed for p in plans):
        parts = []
        for plan in plans:
            if plan.changed:
                label = (
                    f"{plan.group} (no longer held)" if plan.reason == UNASSIGNED else plan.group
                )
                parts.append(f"{label}: {_counts(_plan_counts(plan), check_mode, zeros=False)}")
        line = f"{host}: {_counts(totals, check_mode, zeros=True)} ({'; '.join(parts)})"
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
) -> list[dict[str, str]]:
    """The task's ``diff``: the summary line, then an item per changed rule."""
    line = summary_line(host, plans, check_mode=check_mode, elsewhere=elsewhere)
    items: list[dict[str, str]] = [{"prepared": line + "\n"}]
    for plan in plans:
        for change in changes(plan):
            title = header(host, plan, change, check_mode=check_mode)
            items.append(
                {
                    "before_header": title,
                    "after_header": title,
                    "before": "\n".join(rule_text(h.rule, h) for h in change.before),
                    "after": rule_text(change.after) if change.after is not None else "",
                }
            )
    return items


# --- Windows Server 2003 hosts (the reduced mode, :mod:`._legacy`) ---------------------------


def legacy_counts(plan: LegacyPlan) -> dict[str, int]:
    return {
        ADDED: len(plan.added),
        # An adopted entry is overwritten like one of ours that differs.
        UPDATED: len(plan.updated) + len(plan.adopted),
        REMOVED: len(plan.removed),
    }


def legacy_summary(plan: LegacyPlan) -> dict[str, Any]:
    """The summary of a 2003 host: the counts of entries, conflicts and verdicts."""
    return {
        **legacy_counts(plan),
        "foreign": len(plan.conflicts),
        "marked_not_ours": len(plan.marked),
        "groups": {},
        "verdicts": plan.counts(),
    }


def verdict_text(counts: dict[str, int]) -> str:
    """``20 applied, 4 not applicable, 6 refused``."""
    return ", ".join(f"{counts[v]} {v.replace('_', ' ')}" for v in VERDICTS)


def legacy_summary_line(host: str, plan: LegacyPlan, *, check_mode: bool) -> str:
    """``fe01: 2 added, 0 updated, 0 removed (Windows Server 2003 entries); reduced mode:
    20 applied, 4 not applicable, 6 refused``."""
    if plan.changed:
        line = f"{host}: {_counts(legacy_counts(plan), check_mode, zeros=True)} (Windows "
        line += "Server 2003 entries)"
    else:
        line = (
            f"{host}: in sync, nothing to change ({len(plan.wanted)} Windows Server 2003 entries)"
        )
    line += f"; reduced mode: {verdict_text(plan.counts())}"
    if plan.conflicts:
        line += f"; {len(plan.conflicts)} entry(ies) the collection did not make left alone"
    if plan.marked:
        line += f"; {len(plan.marked)} entry(ies) named like its own but not its own left alone"
    return line


def _entry_text(values: dict[str, Any]) -> str:
    fields = ("name", "profile", "port", "protocol", "remote_addresses", "enabled")
    lines = [f"{field}: {_text(values[field])}" for field in fields]
    if "rules" in values:
        lines.append(f"serves: {_text(values['rules'])}")
    return "\n".join(lines) + "\n"


def legacy_notes(plan: LegacyPlan) -> list[str]:
    """A line per rule that is refused or not applicable, and per conflict."""
    lines = []
    for v in plan.verdicts:
        if v.verdict == REFUSED:
            lines.append(f"refused: {v.rule.name}: {v.why}; instead: {v.alternative}")
        elif v.verdict == NOT_APPLICABLE:
            lines.append(f"not applicable: {v.rule.name}: {v.why}")
    lines += [f"conflict: {c.message()}" for c in plan.conflicts]
    lines += [
        f"not ours: {e.name!r} ({LEGACY_PROFILE_NAMES.get(e.profile, e.profile)} profile) is "
        "named like the collection's entries but serves no component; left as it is"
        for e in plan.marked
    ]
    return lines


def legacy_diff(host: str, plan: LegacyPlan, *, check_mode: bool) -> list[dict[str, str]]:
    """The diff of a 2003 host: its summary and notes, then an item per changed entry."""
    prepared = [legacy_summary_line(host, plan, check_mode=check_mode), *legacy_notes(plan)]
    items: list[dict[str, str]] = [{"prepared": "\n".join(prepared) + "\n"}]
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str]] = []
    changes += [(ADDED, None, e.to_dict(), e.name) for e in plan.added]
    changes += [(UPDATED, entry_dict(h), e.to_dict(), e.name) for h, e in plan.updated]
    changes += [
        (UPDATED, entry_dict(h), e.to_dict(), f"{e.name}, taken over from {h.name!r}")
        for h, e in plan.adopted
    ]
    changes += [(REMOVED, entry_dict(h), None, h.name) for h in plan.removed]
    for kind, before, after, name in changes:
        side = after or before or {}
        done = f"would be {kind}" if check_mode else kind
        title = f"{host} | {side['profile']} profile | {name} ({done})"
        items.append(
            {
                "before_header": title,
                "after_header": title,
                "before": _entry_text(before) if before else "",
                "after": _entry_text(after) if after else "",
            }
        )
    return items
