# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: firewall rule model, validation, canonical form and diff.
"""Firewall rules as the collection sees them: validated, canonical, comparable.

A rule the user writes (the ``rules`` option of ``win_firewall_rules``) and a rule the
host reports (a ``RULE`` line of the remote script) are both turned into the same frozen
:class:`Rule`, whose fields are in one canonical form. Two rules are the same on the host
exactly when their :class:`Rule` values are equal, so "5060,5061" and "5061-5060" in a
task never look like a change against "5060-5061" on the host, and an address the user
writes as ``10.0.0.0/24`` matches the ``10.0.0.0/255.255.255.0`` Windows reads back.

Canonical form (also what the modules return):

- ports: sorted list of strings, overlapping and adjacent ranges merged
  (``["443", "5060-5061"]``); ``[]`` means any port;
- addresses: sorted list without duplicates; a single host is written as the bare
  address (``10.0.0.1``, ``fe80::1``), a network as ``address/prefix`` with the host bits
  cleared (``10.0.0.0/24``), a range as ``low-high``, keywords in Windows' spelling
  (``LocalSubnet``); ``[]`` means any address;
- profiles: sorted list of ``domain``/``private``/``public``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Windows' numbers for the values this collection manages (INetFwRule, icftypes.h).
PROTOCOL_NUMBERS: dict[str, int] = {"tcp": 6, "udp": 17, "any": 256}
# Names for the protocol numbers a host may report on rules it did not get from us.
PROTOCOL_NAMES: dict[int, str] = {1: "icmpv4", 6: "tcp", 17: "udp", 58: "icmpv6", 256: "any"}
DIRECTION_NUMBERS: dict[str, int] = {"in": 1, "out": 2}
ACTION_NUMBERS: dict[str, int] = {"block": 0, "allow": 1}
PROFILE_BITS: dict[str, int] = {"domain": 1, "private": 2, "public": 4}
ALL_PROFILES: tuple[str, ...] = ("domain", "private", "public")
# Windows stores these keywords for remote addresses only: a rule's local addresses are
# addresses, networks and ranges ([MS-GPFAS] 2.2.2.19, LA4/LA6 vs RA4/RA6; netsh
# "localip" vs "remoteip"), although the INetFwRule.LocalAddresses page lists some of them.
ADDRESS_KEYWORDS: dict[str, str] = {
    k.lower(): k for k in ("LocalSubnet", "DNS", "DHCP", "WINS", "DefaultGateway")
}
ANY_WORDS = frozenset({"*", "any"})

# INetFwRule limits: Name/Description/Grouping must not contain "|" and Name must not be
# "all" (learn.microsoft.com, INetFwRule interface remarks). 255 keeps names within
# what the firewall UI and netsh handle.
MAX_NAME_LENGTH = 255
FORBIDDEN_CHARACTER = "|"
# Windows keeps names, descriptions and groups as NUL-terminated strings: a NUL would cut
# the value short on the host, so it is refused on the controller.
NUL = "\0"
RESERVED_NAME = "all"
# The remote script renames an owned rule to this prefix plus a GUID before removing it
# (_firewall.ps1, Invoke-Apply); a rule of an owned group still named so is the leftover of
# a removal that did not finish, and is always removed. Users cannot take such names.
TOMBSTONE_PREFIX = "ocs.firewall-removing-"

RULE_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "direction",
    "action",
    "protocol",
    "local_ports",
    "remote_ports",
    "local_addresses",
    "remote_addresses",
    "profiles",
    "enabled",
)

_PORT_RE = re.compile(r"^(\d+)$")
_PORT_RANGE_RE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
TRUE_WORDS = frozenset({"yes", "on", "1", "true", "y", "t"})
FALSE_WORDS = frozenset({"no", "off", "0", "false", "n", "f"})
# Built-in rule groups are named by indirect strings ("@FirewallAPI.dll,-28752" is Remote
# Desktop): a group name starting with it is never one the collection may manage.
INDIRECT_PREFIX = "@"

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RuleError(ValueError):
    """A rule, a group name or a value in it is not valid; the message says which."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One firewall rule in canonical form (equal values = same rule on the host)."""

    name: str
    description: str = ""
    direction: str = "in"
    action: str = "allow"
    protocol: str = "tcp"
    local_ports: tuple[str, ...] = ()
    remote_ports: tuple[str, ...] = ()
    local_addresses: tuple[str, ...] = ()
    remote_addresses: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ALL_PROFILES
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The rule as module results show it (lists, not tuples)."""
        return {
            "name": self.name,
            "description": self.description,
            "direction": self.direction,
            "action": self.action,
            "protocol": self.protocol,
            "local_ports": list(self.local_ports),
            "remote_ports": list(self.remote_ports),
            "local_addresses": list(self.local_addresses),
            "remote_addresses": list(self.remote_addresses),
            "profiles": list(self.profiles),
            "enabled": self.enabled,
        }


@dataclasses.dataclass(frozen=True)
class HostRule:
    """A rule as read from a host, with the properties this collection does not manage."""

    rule: Rule
    group: str = ""
    application: str = ""
    service: str = ""
    # The managed properties exactly as Windows stored them (strings and numbers of the
    # RULE record), for the real-host acceptance record; compared by nobody.
    stored: tuple[tuple[str, Any], ...] = dataclasses.field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        result = self.rule.to_dict()
        result.update(group=self.group, application=self.application, service=self.service)
        return result


@dataclasses.dataclass(frozen=True)
class WindowsRule:
    """A rule in the numbers and strings INetFwRule takes (for an ``ADD`` request line)."""

    name: str
    description: str
    direction: int
    action: int
    protocol: int
    local_ports: str
    remote_ports: str
    local_addresses: str
    remote_addresses: str
    profiles: int
    enabled: bool


def name_key(name: str) -> str:
    """Key under which Windows considers two rule or group names equal.

    Windows compares them ignoring case, character by character (like .NET's
    OrdinalIgnoreCase); ``str.upper`` alone would also fold "ß" into "SS", so characters
    whose upper case is longer keep their own spelling.
    """
    if name.isascii():
        return name.upper()
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in name)


# --- ports -------------------------------------------------------------------------------


def _port_tokens(value: Any, where: str) -> list[str]:
    """Split an option value (int, "N-M", "N,M", list of those) into single tokens."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    tokens: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise RuleError(
                f"{where}: {item!r} is not a port; use a number, 'N-M', 'N,M' or a list of those"
            )
        if isinstance(item, int):
            tokens.append(str(item))
        else:
            tokens.extend(t.strip() for t in item.split(",") if t.strip())
    return tokens


def canonical_ports(value: Any, where: str = "ports", *, strict: bool = True) -> tuple[str, ...]:
    """Canonical ports: sorted, ranges merged; ``()`` for any.

    With ``strict=False`` (values read from a host), tokens that are not port numbers,
    such as Windows' ``RPC`` or ``IPHTTPS`` keywords, are kept verbatim after the numbers
    instead of being an error.
    """
    tokens = _port_tokens(value, where)
    if any(t.lower() in ANY_WORDS for t in tokens):
        if len(tokens) > 1 and strict:
            raise RuleError(
                f"{where}: {value!r} mixes 'any' with port numbers; give either any or ports"
            )
        return ()
    ranges: list[tuple[int, int]] = []
    keywords: set[str] = set()
    for token in tokens:
        single = _PORT_RE.match(token)
        pair = _PORT_RANGE_RE.match(token)
        if single:
            low = high = int(single.group(1))
        elif pair:
            low, high = int(pair.group(1)), int(pair.group(2))
        elif strict:
            raise RuleError(
                f"{where}: {token!r} is not a port number or range; "
                "valid are 1..65535, 'N-M' with N <= M, '*' or 'any'"
            )
        else:
            keywords.add(token)
            continue
        problem = ""
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            problem = "is out of range; valid ports are 1..65535"
        elif low > high:
            problem = "is a reversed range; write the lower port first (N-M with N <= M)"
        if problem:
            if strict:
                raise RuleError(f"{where}: {token!r} {problem}")
            keywords.add(token)
            continue
        ranges.append((low, high))
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    rendered = [str(low) if low == high else f"{low}-{high}" for low, high in merged]
    return tuple(rendered + sorted(keywords, key=str.lower))


# --- addresses ---------------------------------------------------------------------------


def _address_text(address: _IPAddress) -> str:
    return address.compressed


def _parse_address(token: str) -> tuple[tuple[Any, ...], str]:
    """(sort key, canonical text) of one address token; raises ValueError when invalid."""
    keyword = ADDRESS_KEYWORDS.get(token.lower())
    if keyword:
        return (0, keyword.lower()), keyword
    if "-" in token:
        low_text, high_text = (part.strip() for part in token.split("-", 1))
        low = ipaddress.ip_address(low_text)
        high = ipaddress.ip_address(high_text)
        if low.version != high.version:
            raise ValueError("a range must have both ends IPv4 or both IPv6")
        if int(low) > int(high):
            raise ValueError("a range must have the lower address first")
        key = (low.version, int(low), int(high))
        if low == high:
            return key, _address_text(low)
        return key, f"{_address_text(low)}-{_address_text(high)}"
    if "/" in token:
        network = ipaddress.ip_network(token, strict=False)
        key = (network.version, int(network.network_address), int(network.broadcast_address))
        if network.prefixlen == network.max_prefixlen:
            return key, _address_text(network.network_address)
        return key, f"{_address_text(network.network_address)}/{network.prefixlen}"
    address = ipaddress.ip_address(token)
    return (address.version, int(address), int(address)), _address_text(address)


def canonical_addresses(
    value: Any, where: str = "addresses", *, strict: bool = True, keywords: bool = True
) -> tuple[str, ...]:
    """Canonical addresses (see the module docstring); ``()`` for any.

    Accepts a string (comma-separated) or a list of strings. With ``strict=False``
    (values read from a host) unknown tokens are kept verbatim at the end. With
    ``keywords=False`` (local addresses) the keywords of :data:`ADDRESS_KEYWORDS` are an
    error, as Windows refuses them there.
    """
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    tokens: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise RuleError(
                f"{where}: {item!r} is not an address; use a string such as '10.0.0.0/24'"
            )
        tokens.extend(t.strip() for t in item.split(",") if t.strip())
    if any(t.lower() in ANY_WORDS for t in tokens):
        if len(tokens) > 1 and strict:
            raise RuleError(
                f"{where}: {value!r} mixes 'any' with addresses; give either any or addresses"
            )
        return ()
    valid = (
        "an IPv4 or IPv6 address, a network 'address/prefix' or 'address/mask', a range "
        "'low-high', '*'/'any'"
    )
    if keywords:
        valid += " or one of the keywords " + ", ".join(ADDRESS_KEYWORDS.values())
    parsed: dict[str, tuple[Any, ...]] = {}
    for token in tokens:
        if strict and not keywords and token.lower() in ADDRESS_KEYWORDS:
            raise RuleError(
                f"{where}: {token!r} is a keyword Windows Firewall only accepts in remote "
                f"addresses; valid local addresses are {valid}"
            )
        try:
            key, text = _parse_address(token)
        except ValueError as exc:
            if strict:
                raise RuleError(
                    f"{where}: {token!r} is not a valid address ({exc}); valid are {valid}"
                ) from None
            key, text = (9, token.lower()), token
        parsed[text] = key
    return tuple(sorted(parsed, key=lambda text: (parsed[text], text)))


# --- profiles, choices, booleans -----------------------------------------------------------


def canonical_profiles(value: Any, where: str = "profiles") -> tuple[str, ...]:
    """Sorted profile names from a list of names, a comma-separated string or 'all'."""
    if value is None:
        return ALL_PROFILES
    items = value if isinstance(value, (list, tuple)) else [value]
    names: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise RuleError(
                f"{where}: {item!r} is not a profile; valid are domain, private, public"
            )
        for token in (t.strip().lower() for t in item.split(",")):
            if not token:
                continue
            if token in ("all", "any"):
                names.update(ALL_PROFILES)
            elif token in PROFILE_BITS:
                names.add(token)
            else:
                raise RuleError(
                    f"{where}: {token!r} is not a profile; valid are domain, private, public"
                )
    if not names:
        raise RuleError(
            f"{where}: {value!r} names no profile; give at least one of domain, private, public"
        )
    return tuple(p for p in ALL_PROFILES if p in names)


def profiles_from_mask(mask: int) -> tuple[str, ...]:
    """Profile names of an NET_FW_PROFILE_TYPE2 mask (2147483647 = all reads as all three)."""
    return tuple(p for p in ALL_PROFILES if mask & PROFILE_BITS[p])


def profiles_to_mask(profiles: Iterable[str]) -> int:
    mask = 0
    for profile in profiles:
        mask |= PROFILE_BITS[profile]
    return mask


def _choice(value: Any, choices: Iterable[str], where: str) -> str:
    options = list(choices)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    raise RuleError(f"{where}: {value!r} is not valid; valid are {', '.join(options)}")


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise RuleError(f"{where}: {value!r} is not a boolean; valid are true, false")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RuleError(f"{where}: {value!r} is not a string")
    return str(value)


# --- names -------------------------------------------------------------------------------


def check_name(value: Any, where: str) -> str:
    """A rule name Windows accepts, returned unchanged (any character but '|' is data)."""
    name = _text(value, where)
    if not name:
        raise RuleError(f"{where}: the name is empty; give a non-empty name")
    if len(name) > MAX_NAME_LENGTH:
        raise RuleError(
            f"{where}: {name[:40]!r}... is {len(name)} characters long; "
            f"at most {MAX_NAME_LENGTH} are allowed"
        )
    _check_characters(name, where)
    if name.strip().lower() == RESERVED_NAME:
        raise RuleError(f"{where}: {name!r} is reserved by Windows Firewall; choose another")
    if is_tombstone(name):
        raise RuleError(
            f"{where}: {name!r} starts with {TOMBSTONE_PREFIX!r}, which this collection uses "
            "for rules it is removing; choose another name"
        )
    return name


def is_tombstone(name: str) -> bool:
    """True for the name a rule gets while the remote script removes it."""
    return name_key(name).startswith(name_key(TOMBSTONE_PREFIX))


def group_problem(value: Any, *, managed: bool = True) -> str | None:
    """What is wrong with a rule group name (without the name and value), or None."""
    if not isinstance(value, str) or not value.strip():
        return "is not a group name; give a non-empty string"
    if managed and value.lstrip().startswith(INDIRECT_PREFIX):
        return (
            "starts with '@', the indirect name of a built-in Windows group; the collection "
            "never changes built-in rules, so give a group of your own"
        )
    if len(value) > MAX_NAME_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    return _character_problem(value)


def check_group(value: Any, where: str = "group", *, managed: bool = True) -> str:
    """A rule group (INetFwRule.Grouping) to read, or with ``managed`` to change."""
    problem = group_problem(value, managed=managed)
    if problem:
        shown = f"{value[:40]!r}..." if isinstance(value, str) and len(value) > 60 else repr(value)
        raise RuleError(f"{where}: {shown} {problem}")
    return str(value)


def _character_problem(text: str) -> str | None:
    if FORBIDDEN_CHARACTER in text:
        return "contains '|', which Windows Firewall forbids"
    if NUL in text:
        return (
            "contains a NUL character, which Windows Firewall cannot store (the host would "
            "cut the text there); remove it"
        )
    return None


def _check_characters(text: str, where: str) -> None:
    """Refuse the characters Windows Firewall cannot store in a name or description."""
    problem = _character_problem(text)
    if problem:
        raise RuleError(f"{where}: {text!r} {problem}")


def same_name(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)


# --- rules from the user ---------------------------------------------------------------------


def normalise_rule(raw: Any, index: int) -> Rule:
    """Validate one entry of the ``rules`` option; errors name the entry and the field."""
    label = f"rules[{index}]"
    if not isinstance(raw, Mapping):
        raise RuleError(f"{label}: {raw!r} is not a dictionary; each rule needs at least a name")
    unknown = sorted(str(k) for k in raw if k not in RULE_FIELDS)
    if unknown:
        raise RuleError(
            f"{label}: unknown field(s) {', '.join(unknown)}; valid are {', '.join(RULE_FIELDS)}"
        )
    if "name" not in raw:
        raise RuleError(f"{label}: the field name is required")
    name = check_name(raw["name"], f"{label}.name")
    label = f"rules[{index}] ({name!r})"

    def get(field: str, default: Any) -> Any:
        value = raw.get(field)
        return default if value is None else value

    description = _text(get("description", ""), f"{label}.description")
    _check_characters(description, f"{label}.description")
    protocol = _choice(get("protocol", "tcp"), PROTOCOL_NUMBERS, f"{label}.protocol")
    local_ports = canonical_ports(raw.get("local_ports"), f"{label}.local_ports")
    remote_ports = canonical_ports(raw.get("remote_ports"), f"{label}.remote_ports")
    if protocol == "any":
        for field, ports in (("local_ports", local_ports), ("remote_ports", remote_ports)):
            if ports:
                raise RuleError(
                    f"{label}.{field}: {raw.get(field)!r} needs protocol tcp or udp; "
                    "Windows Firewall only filters ports for those (protocol is any)"
                )
    return Rule(
        name=name,
        description=description,
        direction=_choice(get("direction", "in"), DIRECTION_NUMBERS, f"{label}.direction"),
        action=_choice(get("action", "allow"), ACTION_NUMBERS, f"{label}.action"),
        protocol=protocol,
        local_ports=local_ports,
        remote_ports=remote_ports,
        local_addresses=canonical_addresses(
            raw.get("local_addresses"), f"{label}.local_addresses", keywords=False
        ),
        remote_addresses=canonical_addresses(
            raw.get("remote_addresses"), f"{label}.remote_addresses"
        ),
        profiles=canonical_profiles(raw.get("profiles"), f"{label}.profiles"),
        enabled=_boolean(get("enabled", True), f"{label}.enabled"),
    )


def normalise_rules(raws: Any) -> list[Rule]:
    """Validate the ``rules`` option; names must be unique as Windows compares them."""
    if raws is None:
        return []
    if not isinstance(raws, (list, tuple)):
        raise RuleError(f"rules: {raws!r} is not a list of rule dictionaries")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raws):
        rule = normalise_rule(raw, index)
        key = name_key(rule.name)
        if key in seen:
            first = seen[key]
            raise RuleError(
                f"rules[{index}].name: {rule.name!r} is already used by rules[{first}] "
                f"({rules[first].name!r}); Windows compares rule names ignoring case, "
                "so every name must be unique"
            )
        seen[key] = index
        rules.append(rule)
    return rules


# --- rules from the host ---------------------------------------------------------------------


def rule_from_host(
    *,
    name: str,
    description: str,
    direction: int,
    action: int,
    protocol: int,
    local_ports: str,
    remote_ports: str,
    local_addresses: str,
    remote_addresses: str,
    profiles: int,
    enabled: bool,
) -> Rule:
    """Canonical :class:`Rule` of what a host reports; never rejects what Windows stores."""
    return Rule(
        name=name,
        description=description,
        direction={1: "in", 2: "out"}.get(direction, str(direction)),
        action={0: "block", 1: "allow"}.get(action, str(action)),
        protocol=PROTOCOL_NAMES.get(protocol, str(protocol)),
        local_ports=canonical_ports(local_ports, strict=False),
        remote_ports=canonical_ports(remote_ports, strict=False),
        local_addresses=canonical_addresses(local_addresses, strict=False),
        remote_addresses=canonical_addresses(remote_addresses, strict=False),
        profiles=profiles_from_mask(profiles),
        enabled=enabled,
    )


def to_windows(rule: Rule) -> WindowsRule:
    """The values the remote script sets on a new INetFwRule for ``rule``."""
    return WindowsRule(
        name=rule.name,
        description=rule.description,
        direction=DIRECTION_NUMBERS[rule.direction],
        action=ACTION_NUMBERS[rule.action],
        protocol=PROTOCOL_NUMBERS[rule.protocol],
        local_ports=",".join(rule.local_ports) or "*",
        remote_ports=",".join(rule.remote_ports) or "*",
        local_addresses=",".join(rule.local_addresses) or "*",
        remote_addresses=",".join(rule.remote_addresses) or "*",
        profiles=profiles_to_mask(rule.profiles),
        enabled=rule.enabled,
    )


# --- desired vs actual -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to change in one group; ``removes``/``adds`` are the apply request."""

    removes: tuple[str, ...]
    adds: tuple[Rule, ...]
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    before: tuple[HostRule, ...]
    after: tuple[Rule, ...]

    @property
    def changed(self) -> bool:
        return bool(self.removes or self.adds)

    def diff(self) -> dict[str, dict[str, Any]]:
        """``before``/``after`` keyed by rule name, for Ansible's --diff output."""
        return {
            "before": _diff_side((h.rule, h) for h in self.before),
            "after": _diff_side((r, None) for r in self.after),
        }


def _diff_side(rules: Iterable[tuple[Rule, HostRule | None]]) -> dict[str, Any]:
    side: dict[str, Any] = {}
    for rule, host in rules:
        entry = rule.to_dict()
        del entry["name"]
        # Properties the collection never sets show only when they make a rule differ.
        if host is not None and host.application:
            entry["application"] = host.application
        if host is not None and host.service:
            entry["service"] = host.service
        key = rule.name
        copy = 2
        while key in side:
            key = f"{rule.name} (copy {copy})"
            copy += 1
        side[key] = entry
    return side


def matches(desired: Rule, actual: HostRule) -> bool:
    """True when the host rule needs no change to be ``desired``."""
    return desired == actual.rule and not actual.application and not actual.service


def plan_changes(
    desired: Sequence[Rule], actual: Sequence[HostRule], *, purge: bool, state: str
) -> Plan:
    """Compare the wanted rules of a group with the group's rules on the host.

    ``state=present``: listed rules are added or, when they differ (or the group holds
    several rules of that name), replaced; unlisted rules are removed when ``purge``.
    ``state=absent``: with ``purge`` every rule of the group is removed; without it only
    the listed names are.
    In both states, and whatever ``purge``, rules left named :data:`TOMBSTONE_PREFIX`... by
    an unfinished removal are removed first: the collection had already decided to remove
    them.
    """
    by_key: dict[str, list[HostRule]] = {}
    # Names are unique per tombstone (a GUID each), so one REMOVE takes exactly that rule.
    tombstones: list[str] = []
    for host_rule in actual:
        if is_tombstone(host_rule.rule.name):
            tombstones.append(host_rule.rule.name)
        else:
            by_key.setdefault(name_key(host_rule.rule.name), []).append(host_rule)
    wanted = {name_key(rule.name): rule for rule in desired}

    removes: list[str] = list(tombstones)
    adds: list[Rule] = []
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = list(tombstones)
    after: list[Rule] = []

    if state == "present":
        for rule in desired:
            copies = by_key.get(name_key(rule.name), [])
            if not copies:
                adds.append(rule)
                added.append(rule.name)
            elif len(copies) > 1 or not matches(rule, copies[0]):
                removes.append(copies[0].rule.name)
                adds.append(rule)
                updated.append(rule.name)
            after.append(rule)
        for key, copies in by_key.items():
            if key in wanted:
                continue
            if purge:
                removes.append(copies[0].rule.name)
                removed.append(copies[0].rule.name)
            else:
                after.extend(c.rule for c in copies)
    elif state == "absent":
        for key, copies in by_key.items():
            if purge or key in wanted:
                removes.append(copies[0].rule.name)
                removed.append(copies[0].rule.name)
            else:
                after.extend(c.rule for c in copies)
    else:
        raise RuleError(f"state: {state!r} is not valid; valid are present, absent")

    return Plan(
        removes=tuple(removes),
        adds=tuple(adds),
        added=tuple(added),
        updated=tuple(updated),
        removed=tuple(removed),
        before=tuple(actual),
        after=tuple(sorted(after, key=lambda r: (name_key(r.name), r.name))),
    )
