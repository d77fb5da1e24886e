# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a 2003 host's plan as the task result shows it.
"""What a Windows Server 2003 host's plan (:class:`._entries.EntryPlan`) looks like in a
task result, in the words of the 2008 path (:mod:`.._reports._task_result`): the summary
line, the ``summary`` (entries counted as rules, with the verdicts), the diff (the summary
and a note per refused or not applicable rule and per conflict, then an item per entry
that is opened, overwritten or closed), the warnings, and the ``reduced_mode`` part.
Pure: a plan in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    LEGACY_PROFILE_NAMES,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode._entries import (
    EntryPlan,
    entry_dict,
    entry_rule,
    is_ours,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _platform, _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports._task_result import (
    ADDED,
    NOT_APPLICABLE,
    REFUSED,
    REMOVED,
    UPDATED,
    VERDICTS,
    counts_text,
    field_text,
)


def entry_counts(plan: EntryPlan) -> dict[str, int]:
    return {
        ADDED: len(plan.added),
        # An adopted entry is overwritten like one of ours that differs.
        UPDATED: len(plan.updated) + len(plan.adopted),
        REMOVED: len(plan.removed),
    }


def summary(plan: EntryPlan) -> dict[str, Any]:
    """The summary of a 2003 host: the counts of entries, conflicts and verdicts."""
    return {
        **entry_counts(plan),
        "foreign": len(plan.conflicts),
        "marked_not_ours": len(plan.marked),
        "groups": {},
        "verdicts": plan.counts(),
    }


def _verdict_text(verdicts: dict[str, int]) -> str:
    """``20 applied, 4 not applicable, 6 refused``."""
    return ", ".join(f"{verdicts[v]} {v.replace('_', ' ')}" for v in VERDICTS)


def summary_line(host: str, plan: EntryPlan, *, check_mode: bool) -> str:
    """``fe01: 2 added, 0 updated, 0 removed (Windows Server 2003 entries); reduced mode:
    20 applied, 4 not applicable, 6 refused``."""
    if plan.changed:
        line = f"{host}: {counts_text(entry_counts(plan), check_mode, zeros=True)} (Windows "
        line += "Server 2003 entries)"
    else:
        line = (
            f"{host}: in sync, nothing to change ({len(plan.wanted)} Windows Server 2003 entries)"
        )
    line += f"; reduced mode: {_verdict_text(plan.counts())}"
    if plan.conflicts:
        line += f"; {len(plan.conflicts)} entry(ies) the collection did not make left alone"
    if plan.marked:
        line += f"; {len(plan.marked)} entry(ies) named like its own but not its own left alone"
    return line


def _entry_text(values: dict[str, Any]) -> str:
    fields = ("name", "profile", "port", "protocol", "remote_addresses", "enabled")
    lines = [f"{field}: {field_text(values[field])}" for field in fields]
    if "rules" in values:
        lines.append(f"serves: {field_text(values['rules'])}")
    return "\n".join(lines) + "\n"


def notes(plan: EntryPlan) -> list[str]:
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


def diff(host: str, plan: EntryPlan, *, check_mode: bool) -> list[dict[str, str]]:
    """The diff of a 2003 host: its summary and notes, then an item per changed entry."""
    prepared = [summary_line(host, plan, check_mode=check_mode), *notes(plan)]
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


def warnings(host: str, plan: EntryPlan) -> list[str]:
    """What the task says as warnings: each conflict, and the entries named like ours."""
    found = [conflict.message() for conflict in plan.conflicts]
    if plan.marked:
        found.append(
            f"{host} holds {len(plan.marked)} entry(ies) named like the collection's that "
            "serve none of its components, left as they are: "
            + ", ".join(repr(e.name) for e in plan.marked)
        )
    return found


def reduced_mode(plan: EntryPlan, platform: str) -> dict[str, Any]:
    """The ``reduced_mode`` part of the result."""
    return {
        "platform": platform,
        "verdicts": [v.to_dict() for v in plan.verdicts],
        "counts": plan.counts(),
        "entries": [e.to_dict() for e in plan.wanted],
        "conflicts": [c.to_dict() for c in plan.conflicts],
        "kept": [entry_dict(e) for e in plan.kept],
        "marked_not_ours": [entry_dict(e) for e in plan.marked],
    }


def _profile_dicts(profiles: Sequence[_wire.LegacyProfile]) -> dict[str, dict[str, Any]]:
    """A 2003 host's two profiles as results show them (``domain``, ``standard``)."""
    return {
        LEGACY_PROFILE_NAMES.get(p.type, str(p.type)).lower(): {
            "enabled": p.enabled,
            "exceptions_not_allowed": p.exceptions_not_allowed,
            "current": p.current,
        }
        for p in profiles
    }


def info(
    entries: Sequence[_wire.OpenPort], profiles: Sequence[_wire.LegacyProfile], *, owned: bool
) -> dict[str, Any]:
    """win_firewall_info's result of a 2003 host: no rules, two profiles and their
    entries (with ``owned``, ours only), each entry also as the rule it amounts to, so
    reports read every host alike."""
    shown = [e for e in entries if is_ours(e) or not owned]
    return {
        "profiles": _profile_dicts(profiles),
        "entries": [entry_dict(e) for e in shown],
        "rules": [entry_rule(e) for e in shown],
    }


def refusal(what: str, versions: _wire.HostVersions | None) -> str:
    """Why a module that manages rule groups cannot work on a 2003 host."""
    label = _platform.os_label(versions.os_version) if versions else "Windows Server 2003"
    return (
        f"The host runs {label}, whose firewall has no "
        f"rules or rule groups (only open-port entries), so {what} cannot work on it; nothing "
        "was changed. ocs.firewall.win_ocs_firewall (playbooks/site.yml) manages such hosts "
        "in its reduced mode, and ocs.firewall.win_firewall_info reads their entries."
    )


def result(
    host: str, plan: EntryPlan, platform: str, *, check_mode: bool, with_diff: bool
) -> dict[str, Any]:
    """win_ocs_firewall's result of a 2003 host's plan (before the apply); ``groups`` and
    ``rules`` are empty, the entries are in ``reduced_mode``."""
    found: dict[str, Any] = {
        "changed": plan.changed,
        "msg": summary_line(host, plan, check_mode=check_mode),
        "summary": summary(plan),
        "groups": {},
        "rules": {},
        "reduced_mode": reduced_mode(plan, platform),
    }
    if with_diff:
        found["diff"] = diff(host, plan, check_mode=check_mode)
    return found
