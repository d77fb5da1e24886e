# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the firewall rule model, its names, and its Windows form.
"""Firewall rules as the collection sees them: validated, canonical, comparable.

A rule the user writes (the ``rules`` option of ``win_firewall_rules``) and a rule the
host reports (a ``RULE`` record of the remote script) are both turned into the same frozen
:class:`Rule`, whose fields are in the canonical form of :mod:`._grammar`. Two rules are
the same on the host exactly when their :class:`Rule` values are equal, so "5060,5061"
and "5061-5060" in a task never look like a change against "5060-5061" on the host.

The names of rules and groups are checked here too, and compared as Windows compares them
(:func:`name_key`). Pure: what the wire carries is :mod:`.._remote._convert`'s.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

# The error of every rule check, raised by the grammar too: its callers catch it from here
# (the alias marks the re-export for mypy).
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    boolean,
    canonical_addresses,
    canonical_ports,
    canonical_profiles,
    choice,
    text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ACTION_NUMBERS,
    ALL_PROFILES,
    BUILTIN_GROUP_TITLES,
    DEFAULT_ACTION,
    DEFAULT_DIRECTION,
    DEFAULT_PROTOCOL,
    DIRECTION_NUMBERS,
    FORBIDDEN_CHARACTER,
    INDIRECT_PREFIX,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    NUL,
    OCS_SETUP_GROUP,
    PORT_PROTOCOLS,
    PROTOCOL_NUMBERS,
    RESERVED_NAME,
)

# The remote script renames an owned rule to this prefix plus a GUID before removing it
# (_firewall.ps1, Invoke-Apply); a rule of an owned group still named so is the leftover of
# a removal that did not finish, and is always removed. Users cannot take such names.
TOMBSTONE_PREFIX = "ocs.firewall-removing-"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One firewall rule in canonical form (equal values = same rule on the host)."""

    name: str
    description: str = ""
    direction: str = DEFAULT_DIRECTION
    action: str = DEFAULT_ACTION
    protocol: str = DEFAULT_PROTOCOL
    local_ports: tuple[str, ...] = ()
    remote_ports: tuple[str, ...] = ()
    local_addresses: tuple[str, ...] = ()
    remote_addresses: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ALL_PROFILES
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The rule as module results show it (lists, not tuples)."""
        values = ((field, getattr(self, field)) for field in RULE_FIELDS)
        return {field: list(v) if isinstance(v, tuple) else v for field, v in values}


# The managed properties of a rule: the fields of Rule, and of a WireRule before the
# properties only a RULE record carries (test_rules.py checks that the two agree).
RULE_FIELDS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(Rule))
_DEFAULTS: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(Rule)}


@dataclasses.dataclass(frozen=True)
class HostRule:
    """A rule as read from a host, with the properties this collection does not manage."""

    rule: Rule
    group: str = ""
    application: str = ""
    service: str = ""
    # An ICMP rule's types and codes ("" or "*": every one); what a flow's verdict needs.
    icmp_types: str = ""
    # The managed properties exactly as Windows stored them (strings and numbers of the
    # RULE record), for the real-host acceptance record; compared by nobody.
    stored: tuple[tuple[str, Any], ...] = dataclasses.field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        result = self.rule.to_dict()
        result.update(group=self.group, application=self.application, service=self.service)
        return result


# --- names -------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """Key under which Windows considers two rule or group names equal.

    Windows compares them ignoring case, character by character (like .NET's
    OrdinalIgnoreCase); ``str.upper`` alone would also fold "ß" into "SS", so characters
    whose upper case is longer keep their own spelling.
    """
    if name.isascii():
        return name.upper()
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in name)


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)


def check_name(value: Any, where: str) -> str:
    """A rule name Windows accepts, returned unchanged (any character but '|' is data)."""
    name = text(value, where)
    if not name:
        raise InputError(f"{where}: the name is empty; give a non-empty name")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"{where}: {name[:40]!r}... is {len(name)} characters long; "
            f"at most {MAX_NAME_LENGTH} are allowed"
        )
    _check_characters(name, where)
    if name.strip().lower() == RESERVED_NAME:
        raise InputError(f"{where}: {name!r} is reserved by Windows Firewall; choose another")
    if is_tombstone(name):
        raise InputError(
            f"{where}: {name!r} starts with {TOMBSTONE_PREFIX!r}, which this collection uses "
            "for rules it is removing; choose another name"
        )
    return name


def is_tombstone(name: str) -> bool:
    """True for the name a rule gets while the remote script removes it."""
    return name_key(name).startswith(name_key(TOMBSTONE_PREFIX))


@functools.cache
def _builtin_titles() -> frozenset[str]:
    return frozenset(name_key(t) for t in BUILTIN_GROUP_TITLES)


def group_problem(value: Any, *, managed: bool = True) -> str | None:
    """What is wrong with a rule group name (without the name and value), or None."""
    if not isinstance(value, str) or not value.strip():
        return "is not a group name; give a non-empty string"
    if managed and value.lstrip().startswith(INDIRECT_PREFIX):
        return (
            "starts with '@', the indirect name of a built-in Windows group; the collection "
            "never changes built-in rules, so give a group of your own"
        )
    if managed and name_key(value.strip()) in _builtin_titles():
        return (
            "is the name Windows shows for one of its built-in groups; netsh, the console and "
            "group policy would take the collection's rules for Windows' own (and switch or "
            "delete them together), so give a group of your own"
        )
    if managed and name_key(value.strip()) == name_key(OCS_SETUP_GROUP):
        return (
            "is the group OCS 2007 R2 setup creates its rules in; the collection never "
            "changes those, so give a group of your own"
        )
    if len(value) > MAX_NAME_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    return _character_problem(value)


def check_group(value: Any, where: str = "group", *, managed: bool = True) -> str:
    """A rule group (INetFwRule.Grouping) to read, or with ``managed`` to change."""
    problem = group_problem(value, managed=managed)
    if problem:
        shown = f"{value[:40]!r}..." if isinstance(value, str) and len(value) > 60 else repr(value)
        raise InputError(f"{where}: {shown} {problem}")
    return str(value)


def _character_problem(value: str) -> str | None:
    if FORBIDDEN_CHARACTER in value:
        return "contains '|', which Windows Firewall forbids"
    if NUL in value:
        return (
            "contains a NUL character, which Windows Firewall cannot store (the host would "
            "cut the text there); remove it"
        )
    return None


def _check_characters(value: str, where: str) -> None:
    """Refuse the characters Windows Firewall cannot store in a name or description."""
    problem = _character_problem(value)
    if problem:
        raise InputError(f"{where}: {value!r} {problem}")


def windows_length(text: str) -> int:
    """The length of ``text`` as Windows counts it: UTF-16 code units (a character beyond
    U+FFFF counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def description_problem(description: str, suffix: str = "") -> str | None:
    """What Windows Firewall would refuse in ``description`` once the collection has put
    ``suffix`` (its marker) at its end, or None.

    The message starts with the length and says what is allowed, without the text itself
    (it may be ten thousand characters long).
    """
    length = windows_length(description)
    total = windows_length(description + suffix)
    if total > MAX_DESCRIPTION_LENGTH:
        if not suffix:
            return (
                f"is {length:,} characters long; Windows Firewall stores descriptions of at "
                f"most {MAX_DESCRIPTION_LENGTH:,}"
            )
        return (
            f"is {length:,} characters long, {total:,} with the {suffix.strip()!r} the "
            f"collection puts at its end; Windows Firewall stores descriptions of at most "
            f"{MAX_DESCRIPTION_LENGTH:,}, so give at most "
            f"{MAX_DESCRIPTION_LENGTH - (total - length):,}"
        )
    return _character_problem(description)


def check_description(value: Any, where: str, suffix: str = "") -> str:
    """A rule description Windows Firewall stores (with ``suffix`` put at its end),
    returned unchanged."""
    description = text(value, where)
    problem = description_problem(description, suffix)
    if problem:
        shown = f"{description[:40]!r}..." if len(description) > 60 else repr(description)
        raise InputError(f"{where}: {shown} {problem}")
    return description


# --- rules from the user -------------------------------------------------------------------


def normalise_rule(raw: Any, index: int) -> Rule:
    """Validate one entry of the ``rules`` option; errors name the entry and the field."""
    label = f"rules[{index}]"
    if not isinstance(raw, Mapping):
        raise InputError(f"{label}: {raw!r} is not a dictionary; each rule needs at least a name")
    unknown = sorted(str(k) for k in raw if k not in RULE_FIELDS)
    if unknown:
        raise InputError(
            f"{label}: unknown field(s) {', '.join(unknown)}; valid are {', '.join(RULE_FIELDS)}"
        )
    if "name" not in raw:
        raise InputError(f"{label}: the field name is required")
    name = check_name(raw["name"], f"{label}.name")
    label = f"rules[{index}] ({name!r})"

    def get(field: str) -> Any:
        value = raw.get(field)
        return _DEFAULTS[field] if value is None else value

    description = check_description(get("description"), f"{label}.description")
    protocol = choice(get("protocol"), PROTOCOL_NUMBERS, f"{label}.protocol")
    ports = {
        f: canonical_ports(raw.get(f), f"{label}.{f}") for f in ("local_ports", "remote_ports")
    }
    for field, given in ports.items():
        if given and protocol not in PORT_PROTOCOLS:
            raise InputError(
                f"{label}.{field}: {raw.get(field)!r} needs protocol "
                f"{' or '.join(PORT_PROTOCOLS)}; Windows Firewall only filters ports for those "
                f"(protocol is {protocol})"
            )
    return Rule(
        name=name,
        description=description,
        direction=choice(get("direction"), DIRECTION_NUMBERS, f"{label}.direction"),
        action=choice(get("action"), ACTION_NUMBERS, f"{label}.action"),
        protocol=protocol,
        local_ports=ports["local_ports"],
        remote_ports=ports["remote_ports"],
        local_addresses=canonical_addresses(
            raw.get("local_addresses"), f"{label}.local_addresses", keywords=False
        ),
        remote_addresses=canonical_addresses(
            raw.get("remote_addresses"), f"{label}.remote_addresses"
        ),
        profiles=canonical_profiles(raw.get("profiles"), f"{label}.profiles"),
        enabled=boolean(get("enabled"), f"{label}.enabled"),
    )


def normalise_rules(raws: Any) -> list[Rule]:
    """Validate the ``rules`` option; names must be unique as Windows compares them."""
    if raws is None:
        return []
    if not isinstance(raws, (list, tuple)):
        raise InputError(f"rules: {raws!r} is not a list of rule dictionaries")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raws):
        rule = normalise_rule(raw, index)
        key = name_key(rule.name)
        if key in seen:
            first = seen[key]
            raise InputError(
                f"rules[{index}].name: {rule.name!r} is already used by rules[{first}] "
                f"({rules[first].name!r}); Windows compares rule names ignoring case, "
                "so every name must be unique"
            )
        seen[key] = index
        rules.append(rule)
    return rules
