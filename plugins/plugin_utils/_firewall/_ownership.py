# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: how a rule says the collection made it.
"""The ownership marker: the end of the description of every rule the collection creates.

A rule is the collection's when its description ends with a marker -
``[ocs.firewall catalogue <entry id>]`` for a rule built from the port catalogue (the id
traces it to its row), ``[ocs.firewall]`` for a rule written in a task - **and** it is in
a group that is the collection's, **and** (a catalogue rule) its id is one of the entries
of that group's component. A marker alone proves nothing: a rule copied by hand carries
it, in whatever group it was copied to. A rule without one is never removed or changed,
whatever group it is in; one that carries a marker but fails the rest is *marked but not
ours*, reported and left alone. The remote script applies the same test before it
retires a rule: each section of an apply carries its own pattern (:func:`catalogue_pattern`,
:data:`TASK_PATTERN`), a regular expression that .NET and Python read alike, and the
script never changes a built-in (``@``) group. :data:`PATTERN` (any marker) is what a read
uses to find every marked rule, to report them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What every marker starts with (no user text may hold it).
MARKER = "[ocs.firewall"
TASK_MARK = MARKER + "]"
# A marker at the very end of the description. Written for both regex engines: no named
# group, and "(?![\s\S])" for the end of the text ("$" and "\Z" differ between them).
PATTERN = r"\[ocs\.firewall(?: catalogue ([a-z0-9][a-z0-9-]*))?\](?![\s\S])"
_MARK = re.compile(PATTERN)
# A task's rule: the task marker alone.
TASK_PATTERN = r"\[ocs\.firewall\](?![\s\S])"


def catalogue_mark(entry_id: str) -> str:
    return f"{MARKER} catalogue {entry_id}]"


def catalogue_pattern(ids: Iterable[str]) -> str:
    """The marker of a rule built from one of the entries ``ids``, at the end of the text
    (for .NET and Python alike: a non-capturing alternation of literal ids)."""
    alternatives = "|".join(re.escape(i) for i in sorted(ids))
    return rf"\[ocs\.firewall catalogue (?:{alternatives})\](?![\s\S])"


def is_owned(description: str) -> bool:
    return _MARK.search(description) is not None


def entry_of(description: str) -> str | None:
    """The catalogue entry id of a rule built from the catalogue, else None."""
    found = _MARK.search(description)
    return found.group(1) if found else None


# Who manages a rule the collection made: win_ocs_firewall the rules it built from the
# catalogue, a win_firewall_rules task the rules it wrote. Neither changes the other's.
CATALOGUE = "catalogue"
TASK = "task"


def owner_of(description: str) -> str | None:
    """:data:`CATALOGUE`, :data:`TASK`, or None for a rule the collection did not make."""
    found = _MARK.search(description)
    if found is None:
        return None
    return CATALOGUE if found.group(1) else TASK


def marked(description: str, mark: str = TASK_MARK) -> str:
    """``description`` with ``mark`` at its end (the mark alone for an empty one).

    The description is kept as it is, white space included: it is the user's data.
    """
    return f"{description} {mark}" if description else mark


def has_marker_text(text: str) -> bool:
    """True when a user's text already holds the marker (it would fake ownership)."""
    return MARKER in text


# Windows Server 2003 entries have a name and nothing else to mark: every entry the
# collection makes there is named LEGACY_PREFIX, the labels of the components it serves,
# LEGACY_SEPARATOR, then its port and protocol (``[ocs.firewall] Front End - 5061/TCP``).
# One is ours only when every label is a component's: legacy_pattern is the same test for
# the remote script (the request's MARKER on a 2003 host); LEGACY_PATTERN, the prefix
# alone, finds every entry that claims to be ours.
LEGACY_PREFIX = "[ocs.firewall] "
LEGACY_PATTERN = r"^\[ocs\.firewall\] "
# ':' is the separator of 2003's own port exceptions (netsh and group policy write them as
# Port:Protocol:Scope:Status:Name), so the names keep out of it. Earlier releases used
# OLD_LEGACY_SEPARATOR: such a name is still the collection's (same labels, same test), and
# the next run renames the entry (an OPEN of its key overwrites it).
LEGACY_SEPARATOR = " - "
OLD_LEGACY_SEPARATOR = ": "


def legacy_pattern(labels: Iterable[str]) -> str:
    """The name of an entry of ours: the prefix, labels of ``labels`` (comma separated),
    then `` - <port>/<TCP|UDP>`` (or the old ``: <port>/<TCP|UDP>``); for .NET and Python
    alike."""
    label = "(?:" + "|".join(re.escape(x) for x in sorted(labels)) + ")"
    # Both separators are spaces, '-' and ':', which neither engine reads as special here.
    separator = f"(?:{LEGACY_SEPARATOR}|{OLD_LEGACY_SEPARATOR})"
    return rf"^\[ocs\.firewall\] {label}(?:, {label})*{separator}[0-9]+/(?:TCP|UDP)(?![\s\S])"


def is_owned_entry(name: str, labels: Iterable[str] | None = None) -> bool:
    """Whether an entry's name makes it ours (``labels``: the components' labels; None:
    the prefix alone, which only says it claims to be)."""
    if labels is None:
        return name.startswith(LEGACY_PREFIX)
    return re.search(legacy_pattern(labels), name) is not None
