# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: how a rule says the collection made it.
"""The ownership marker: the end of the description of every rule the collection creates.

A rule is the collection's exactly when its description ends with a marker:
``[ocs.firewall catalogue <entry id>]`` for a rule built from the port catalogue (the id
traces it to its row), ``[ocs.firewall]`` for a rule written in a task. A rule without
one is never removed or changed, whatever group it is in: an administrator's rule placed
in one of our groups by hand stays as it is. The remote script applies the very same
test before it retires a rule: the request carries :data:`PATTERN`, a regular expression
that .NET and Python read alike.
"""

from __future__ import annotations

import re

# What every marker starts with (no user text may hold it).
MARKER = "[ocs.firewall"
TASK_MARK = MARKER + "]"
# A marker at the very end of the description. Written for both regex engines: no named
# group, and "(?![\s\S])" for the end of the text ("$" and "\Z" differ between them).
PATTERN = r"\[ocs\.firewall(?: catalogue ([a-z0-9][a-z0-9-]*))?\](?![\s\S])"
_MARK = re.compile(PATTERN)


def catalogue_mark(entry_id: str) -> str:
    return f"{MARKER} catalogue {entry_id}]"


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
# collection makes there has a name starting with LEGACY_PREFIX; LEGACY_PATTERN is the
# same test for the remote script (the request's MARKER on a 2003 host).
LEGACY_PREFIX = "[ocs.firewall] "
LEGACY_PATTERN = r"^\[ocs\.firewall\] "


def is_owned_entry(name: str) -> bool:
    return name.startswith(LEGACY_PREFIX)
