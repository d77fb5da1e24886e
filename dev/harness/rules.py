"""Rules in a lab dump, and the ownership marker the collection writes on its rules.

A lab dump (``ocs_lab.api.dump``) maps each host to ``{"profiles": ..., "rules": [...]}``,
a Windows Server 2003 host to ``{"legacy": {"0": {..., "ports": [...]}, "1": ...},
"current_profile": 0}`` (its Domain and Standard profiles' port entries).
The marker at the end of a description (``[ocs.firewall]`` from a task,
``[ocs.firewall catalogue <entry>]`` from the catalogue) and the name the remote script
gives a rule while it retires it, and the name prefix of a 2003 entry of ours, are
spelt out here instead of imported from
plugins/plugin_utils/_firewall/_ownership.py, so that the suites see a change to either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TASK_MARK = "[ocs.firewall]"
_MARK = r"\[ocs\.firewall(?: catalogue [a-z0-9][a-z0-9-]*)?\]\Z"
# The collection's rules are those whose description ends with a marker.
OWNED_DESCRIPTION = re.compile(_MARK)
# What ``marked()`` added: a space and the marker (the marker alone for an empty text).
_MARKED_END = re.compile(r"(?:\A| )" + _MARK)
TOMBSTONE_PREFIX = "ocs.firewall-removing-"
# A 2003 entry is the collection's when its name starts with this (no descriptions there).
ENTRY_PREFIX = "[ocs.firewall] "


def host_rules(dump: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """Every rule of ``host`` in a lab dump, in store order."""
    return list(dump[host]["rules"])


def host_entries(dump: Mapping[str, Any], host: str, profile: int) -> list[dict[str, Any]]:
    """The port entries of a 2003 ``host``'s ``profile`` (0 Domain, 1 Standard), in order."""
    return list(dump[host]["legacy"][str(profile)]["ports"])


def is_owned_entry(entry: Mapping[str, Any]) -> bool:
    """True for a 2003 entry the collection made (its name has the prefix)."""
    return str(entry["name"]).startswith(ENTRY_PREFIX)


def is_owned(rule: Mapping[str, Any]) -> bool:
    """True for a rule the collection made (its description ends with the marker)."""
    return OWNED_DESCRIPTION.search(rule["description"]) is not None


def is_tombstone(rule: Mapping[str, Any]) -> bool:
    """True for a rule the remote script renamed while retiring it."""
    return str(rule["name"]).casefold().startswith(TOMBSTONE_PREFIX)


def marked(description: str) -> str:
    """The description a win_firewall_rules rule gets on the host: the user's text, then
    the marker (the marker alone for an empty description)."""
    return f"{description} {TASK_MARK}" if description else TASK_MARK


def unmarked(description: str) -> str:
    """A description without the ownership marker ``marked()`` put at its end."""
    return _MARKED_END.sub("", description)
