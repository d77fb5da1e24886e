# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the grammar of ports, addresses, profiles and plain values.
"""Ports, addresses and profiles: what a user may write, and the one canonical form of each.

The same value written two ways has one canonical form, so a rule written in a task and
the same rule read back from Windows compare equal (:mod:`._rules`):

- ports: sorted strings, overlapping and adjacent ranges merged (``["443", "5060-5061"]``);
  ``()`` means any port;
- addresses: sorted, without duplicates; a single host is the bare address (``10.0.0.1``,
  ``fe80::1``), a network ``address/prefix`` with the host bits cleared (``10.0.0.0/24``,
  which is also how ``10.0.0.0/255.255.255.0`` reads), a range ``low-high``, keywords in
  Windows' spelling (``LocalSubnet``); ``()`` means any address;
- profiles: ``domain``, ``private``, ``public``, in that order.

With ``strict=False`` (values read from a host) nothing is refused: what this grammar does
not know, such as Windows' ``RPC`` port keyword, is kept verbatim after the rest.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ADDRESS_KEYWORDS,
    ALL_PROFILES,
    PROFILE_BITS,
)

ANY_WORDS = frozenset({"*", "any"})
_TRUE_WORDS = frozenset({"yes", "on", "1", "true", "y", "t"})
_FALSE_WORDS = frozenset({"no", "off", "0", "false", "n", "f"})

PORT_MIN = 1
PORT_MAX = 65535
# ASCII digits only: Python's \d and int() take any script's digits ("٥٠٠٠", "５０００"),
# which Windows would never show back as the port they were read as.
_PORT_RANGE = re.compile(r"([0-9]+)(?:[ \t]*-[ \t]*([0-9]+))?")
_VALID_PROFILES = ", ".join(ALL_PROFILES)


def _tokens(value: Any) -> list[Any]:
    """The items of a value that may be one item or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _split(text: str) -> list[str]:
    """The comma-separated parts of ``text``, stripped, without empty ones."""
    return [t.strip() for t in text.split(",") if t.strip()]


def _means_any(tokens: list[str], strict: bool, mixed: str, what: str) -> bool:
    """True when ``tokens`` say any (``*`` or ``any``); with ``strict`` they must say only
    that, else the error is ``mixed`` and a hint to give either any or ``what``."""
    if not any(t.lower() in ANY_WORDS for t in tokens):
        return False
    if len(tokens) > 1 and strict:
        raise InputError(f"{mixed}; give either any or {what}")
    return True


# --- ports -------------------------------------------------------------------------------


def port_bounds(token: str) -> tuple[int, int] | None:
    """``(low, high)`` of a port ``N`` or a range ``N-M``; None for any other text."""
    found = _PORT_RANGE.fullmatch(token)
    if found is None:
        return None
    low = int(found.group(1))
    return low, int(found.group(2)) if found.group(2) is not None else low


def port_problem(low: int, high: int) -> str | None:
    """What is wrong with the port range ``low``-``high`` (to follow the value), or None."""
    if not (PORT_MIN <= low <= PORT_MAX and PORT_MIN <= high <= PORT_MAX):
        return f"is out of range; valid ports are {PORT_MIN}..{PORT_MAX}"
    if low > high:
        return "is a reversed range; write the lower port first (N-M with N <= M)"
    return None


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges with the overlapping and adjacent ones merged."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _port_tokens(value: Any, where: str) -> list[str]:
    """Split an option value (int, "N-M", "N,M", list of those) into single tokens."""
    tokens: list[str] = []
    for item in _tokens(value):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise InputError(
                f"{where}: {item!r} is not a port; use a number, 'N-M', 'N,M' or a list of those"
            )
        tokens.extend([str(item)] if isinstance(item, int) else _split(item))
    return tokens


def canonical_ports(value: Any, where: str = "ports", *, strict: bool = True) -> tuple[str, ...]:
    """Canonical ports: sorted, ranges merged; ``()`` for any.

    With ``strict=False`` (values read from a host), tokens that are not port numbers,
    such as Windows' ``RPC`` or ``IPHTTPS`` keywords, are kept verbatim after the numbers
    instead of being an error.
    """
    tokens = _port_tokens(value, where)
    if _means_any(tokens, strict, f"{where}: {value!r} mixes 'any' with port numbers", "ports"):
        return ()
    ranges: list[tuple[int, int]] = []
    keywords: set[str] = set()
    for token in tokens:
        bounds = port_bounds(token)
        problem = (
            f"is not a port number or range; valid are {PORT_MIN}..{PORT_MAX}, 'N-M' with "
            "N <= M, '*' or 'any'"
            if bounds is None
            else port_problem(*bounds)
        )
        if problem is not None and strict:
            raise InputError(f"{where}: {token!r} {problem}")
        if bounds is None or problem is not None:
            keywords.add(token)
        else:
            ranges.append(bounds)
    rendered = [str(low) if low == high else f"{low}-{high}" for low, high in merge_ranges(ranges)]
    return tuple(rendered + sorted(keywords, key=str.lower))


# --- addresses ---------------------------------------------------------------------------


ZONE_ID_PROBLEM = (
    "an IPv6 zone id ('%' and what follows) names an interface of one machine; a firewall "
    "rule takes the address without it"
)


def contains(outer: str, inner: str) -> bool:
    """Whether the canonical address ``outer`` holds every address of ``inner``."""
    (version_o, *span_o), _text = _parse_address(outer)
    (version_i, *span_i), _text = _parse_address(inner)
    if version_o != version_i:
        return False
    if version_o == 0:
        return span_o == span_i
    return bool(span_o[0] <= span_i[0] and span_i[1] <= span_o[1])


# The same addresses come back again and again: every rule of a host read back, and the
# peers of every rule scoped from the inventory (a large estate's hosts, once per rule).
@functools.lru_cache(maxsize=16384)
def _parse_address(token: str) -> tuple[tuple[Any, ...], str]:
    """(sort key, canonical text) of one address token; raises ValueError when invalid."""
    keyword = ADDRESS_KEYWORDS.get(token.lower())
    if keyword:
        return (0, keyword.lower()), keyword
    if "%" in token:
        # ipaddress keeps a zone id (or drops it from a network), Windows Firewall takes
        # none: it names an interface of one machine, not an address of the network.
        raise ValueError(ZONE_ID_PROBLEM)
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
            return key, low.compressed
        return key, f"{low.compressed}-{high.compressed}"
    if "/" in token:
        network = ipaddress.ip_network(token, strict=False)
        key = (network.version, int(network.network_address), int(network.broadcast_address))
        if network.prefixlen == network.max_prefixlen:
            return key, network.network_address.compressed
        return key, f"{network.network_address.compressed}/{network.prefixlen}"
    address = ipaddress.ip_address(token)
    return (address.version, int(address), int(address)), address.compressed


def _address_tokens(value: Any, where: str) -> list[str]:
    tokens: list[str] = []
    for item in _tokens(value):
        if not isinstance(item, str):
            raise InputError(
                f"{where}: {item!r} is not an address; use a string such as '10.0.0.0/24'"
            )
        tokens.extend(_split(item))
    return tokens


def canonical_addresses(
    value: Any, where: str = "addresses", *, strict: bool = True, keywords: bool = True
) -> tuple[str, ...]:
    """Canonical addresses (see the module docstring); ``()`` for any.

    Accepts a string (comma-separated) or a list of strings. With ``strict=False``
    (values read from a host) unknown tokens are kept verbatim at the end. With
    ``keywords=False`` (local addresses) the keywords of ``ADDRESS_KEYWORDS`` are an
    error, as Windows refuses them there.
    """
    tokens = _address_tokens(value, where)
    if _means_any(tokens, strict, f"{where}: {value!r} mixes 'any' with addresses", "addresses"):
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
            raise InputError(
                f"{where}: {token!r} is a keyword Windows Firewall only accepts in remote "
                f"addresses; valid local addresses are {valid}"
            )
        try:
            key, text = _parse_address(token)
        except ValueError as exc:
            if strict:
                raise InputError(
                    f"{where}: {token!r} is not a valid address ({exc}); valid are {valid}"
                ) from None
            key, text = (9, token.lower()), token
        parsed[text] = key
    return tuple(sorted(parsed, key=lambda text: (parsed[text], text)))


def merged_addresses(value: Any, where: str = "addresses") -> tuple[str, ...]:
    """Canonical addresses with the overlapping and adjacent ones merged: the same set of
    addresses, written as few items as it can be (``10.0.0.1``, ``10.0.0.2`` ->
    ``10.0.0.1-10.0.0.2``; a span that is exactly a network reads ``address/prefix``).

    For lists the collection builds from many hosts (the scope from the inventory), so a
    rule does not carry one item per server where the servers' addresses run on.
    """
    spans: list[tuple[int, int, int]] = []
    words: list[str] = []
    for text in canonical_addresses(value, where):
        key, _text = _parse_address(text)
        if key[0] == 0:
            words.append(text)
            continue
        version, low, high = key
        if spans and spans[-1][0] == version and low <= spans[-1][2] + 1:
            spans[-1] = (version, spans[-1][1], max(spans[-1][2], high))
        else:
            spans.append((version, low, high))
    return (*words, *(_span_text(*span) for span in spans))


def overlaps(first: Iterable[str], second: Iterable[str]) -> list[tuple[str, str]]:
    """The pairs of canonical addresses, one of each list, that share an address (an
    address inside a network or range of the other, or the same one); keywords compare
    by name."""
    found = []
    for a in first:
        (version_a, *span_a), _text = _parse_address(a)
        for b in second:
            (version_b, *span_b), _text = _parse_address(b)
            if version_a != version_b:
                continue
            if version_a == 0:
                if span_a == span_b:
                    found.append((a, b))
            elif span_a[0] <= span_b[1] and span_b[0] <= span_a[1]:
                found.append((a, b))
    return found


def _span_text(version: int, low: int, high: int) -> str:
    kind = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    first, last = kind(low), kind(high)
    if low == high:
        return first.compressed
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = list(
        ipaddress.summarize_address_range(first, last)
    )
    if len(networks) == 1:
        return f"{networks[0].network_address.compressed}/{networks[0].prefixlen}"
    return f"{first.compressed}-{last.compressed}"


# --- profiles ----------------------------------------------------------------------------


def canonical_profiles(value: Any, where: str = "profiles") -> tuple[str, ...]:
    """Profile names in canonical order from a list of names, a comma-separated string or
    'all'; None is all three."""
    if value is None:
        return ALL_PROFILES
    names: set[str] = set()
    for item in _tokens(value):
        if not isinstance(item, str):
            raise InputError(f"{where}: {item!r} is not a profile; valid are {_VALID_PROFILES}")
        for token in (t.lower() for t in _split(item)):
            if token in ("all", "any"):
                names.update(ALL_PROFILES)
            elif token in PROFILE_BITS:
                names.add(token)
            else:
                raise InputError(
                    f"{where}: {token!r} is not a profile; valid are {_VALID_PROFILES}"
                )
    if not names:
        raise InputError(
            f"{where}: {value!r} names no profile; give at least one of {_VALID_PROFILES}"
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


# --- choices, booleans, text ---------------------------------------------------------------


def choice(value: Any, choices: Iterable[str], where: str) -> str:
    """``value`` in lower case when it is one of ``choices`` (compared ignoring case)."""
    options = list(choices)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    raise InputError(f"{where}: {value!r} is not valid; valid are {', '.join(options)}")


def boolean_word(text: str) -> bool | None:
    """The boolean a word such as ``yes`` or ``off`` means (any case, spaces around), or
    None when it is no such word."""
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    return False if word in _FALSE_WORDS else None


def boolean(value: Any, where: str) -> bool:
    """A boolean, or a string :func:`boolean_word` reads."""
    if isinstance(value, bool):
        return value
    word = boolean_word(value) if isinstance(value, str) else None
    if word is None:
        raise InputError(f"{where}: {value!r} is not a boolean; valid are true, false")
    return word


def text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where}: {value!r} is not a string")
    return str(value)
