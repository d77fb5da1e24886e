# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, may change without notice.
"""Turn port-catalogue entries plus a role's options into ``win_firewall_rules`` rule dicts.

The roles call this through the ``ocs.firewall.catalogue_rules`` filter. Everything here is
pure: no I/O, no Ansible objects, so the mapping is tested with plain tables.

Mapping, per entry:

* one rule per transport (``[tcp, udp]`` gives two rules);
* ``inbound`` gives an In rule, the entry's ports being the host's *local* ports;
  ``outbound`` gives an Out rule, the ports being the *remote* ports the host connects
  to; ``both`` gives one of each. Out rules are made only when ``include_outbound`` is
  set, because Windows Firewall allows outbound traffic unless told otherwise;
* the entry's ``interface`` picks the local addresses the rule is bound to:
  ``internal`` -> ``internal_addresses``, ``external`` -> ``external_addresses``,
  ``any`` -> both lists together, but only when both are given (binding an any-side
  entry to one side alone would close it on the other);
  an empty list means "any local address", so a host whose sides are not described
  gets unbound rules;
* extras (entries without a seed row) are dropped unless ``include_extras``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._rules import (
    ADDRESS_KEYWORDS,
    ANY_WORDS,
    MAX_NAME_LENGTH,
    RuleError,
    canonical_addresses,
)

RULE_NAME_MAX = 255

VALID_PROFILES = ("domain", "private", "public")
VALID_DIRECTIONS = ("inbound", "outbound", "both")
VALID_TRANSPORTS = ("tcp", "udp")
VALID_INTERFACES = ("internal", "external", "any")

_REQUIRED_FIELDS = ("id", "ports", "transports", "direction", "description")


class ComponentRulesError(ValueError):
    """An entry or an option cannot be turned into rules; the message names the value."""


def _as_str_list(option: str, value: Any) -> list[str]:
    """Accept a string or a list of strings (the shapes a role variable comes in)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item:
                raise ComponentRulesError(
                    f"{option}: {item!r} is not a non-empty string; "
                    f"give a list of strings, e.g. ['10.10.0.5']"
                )
            out.append(item)
        return out
    raise ComponentRulesError(
        f"{option}: {value!r} is not a string or a list of strings; "
        f"give a list of strings, e.g. ['10.10.0.5']"
    )


def _check_profiles(profiles: Any) -> list[str]:
    values = _as_str_list("profiles", profiles)
    if not values:
        raise ComponentRulesError(
            f"profiles: {profiles!r} is empty; give one or more of {', '.join(VALID_PROFILES)}"
        )
    for value in values:
        if value not in VALID_PROFILES:
            raise ComponentRulesError(
                f"profiles: {value!r} is not a firewall profile; "
                f"valid profiles are {', '.join(VALID_PROFILES)}"
            )
    return sorted(set(values))


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def _entry_field(entry: Mapping[str, Any], field: str) -> Any:
    if field not in entry:
        raise ComponentRulesError(
            f"catalogue entry {entry.get('id', '<no id>')!r} has no {field!r} field"
        )
    return entry[field]


def _check_choice(entry_id: str, field: str, value: Any, valid: Sequence[str]) -> str:
    if value not in valid:
        raise ComponentRulesError(
            f"catalogue entry {entry_id!r}: {field} {value!r} is not one of {', '.join(valid)}"
        )
    return str(value)


def is_extra(entry: Mapping[str, Any]) -> bool:
    """Extras are the entries the seed table does not carry (``extra-*``, no seed row)."""
    return entry.get("seed_row") is None


def _port_bounds(entry_id: str, text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        first, last = int(low), int(high if sep else low)
    except ValueError:
        first, last = 0, -1
    if not (1 <= first <= last <= 65535):
        raise ComponentRulesError(
            f"catalogue entry {entry_id!r}: port {text!r} is not a port 'N' or a range 'N-M' "
            f"within 1-65535"
        )
    return first, last


def port_text(entry_id: str, ports: Sequence[str]) -> str:
    """Ports for a rule name: sorted, adjacent ones merged (``5060``, ``5061`` -> ``5060-5061``)."""
    spans: list[list[int]] = []
    for first, last in sorted(_port_bounds(entry_id, p) for p in ports):
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans) or "any"


def rule_name(
    label: str, ports: Sequence[str], transport: str, direction: str, entry_id: str
) -> str:
    """Readable, stable name, unique within a role's group through the entry id.

    ``OCS Front End 5060-5061/TCP In (seed-01)``. A port list too long for the 255
    characters Windows allows is shortened in the middle of the name; the id at the end
    keeps the name unique.
    """
    text = port_text(entry_id, ports)
    suffix = f"/{transport.upper()} {'In' if direction == 'in' else 'Out'} ({entry_id})"
    prefix = f"OCS {label} "
    room = RULE_NAME_MAX - len(prefix) - len(suffix)
    if room < 4:
        raise ComponentRulesError(
            f"label: {label!r} is too long to build rule names of at most {RULE_NAME_MAX} "
            f"characters for entry {entry_id!r}"
        )
    if len(text) > room:
        text = text[: room - 3] + "..."
    return prefix + text + suffix


def rule_description(entry: Mapping[str, Any]) -> str:
    """The catalogue description, then the entry id for tracing a rule back to its row."""
    text = str(entry.get("description") or "").strip()
    trace = f"[ocs.firewall catalogue {entry['id']}]"
    return f"{text} {trace}" if text else trace


def build_rules(
    entries: Iterable[Mapping[str, Any]],
    *,
    label: str,
    profiles: Any = VALID_PROFILES,
    include_outbound: bool = False,
    include_extras: bool = True,
    internal_addresses: Any = None,
    external_addresses: Any = None,
    remote_addresses: Any = None,
    enabled: bool = True,
) -> list[dict[str, Any]]:
    """Rules for one role's group, in catalogue order (In before Out, TCP before UDP)."""
    if not isinstance(label, str) or not label.strip():
        raise ComponentRulesError(f"label: {label!r} must be a non-empty string, e.g. 'Edge'")
    for option, flag in (
        ("include_outbound", include_outbound),
        ("include_extras", include_extras),
        ("enabled", enabled),
    ):
        if not isinstance(flag, bool):
            raise ComponentRulesError(f"{option}: {flag!r} is not a boolean (true or false)")
    rule_profiles = _check_profiles(profiles)
    internal = _dedupe(_as_str_list("internal_addresses", internal_addresses))
    external = _dedupe(_as_str_list("external_addresses", external_addresses))
    remote = _dedupe(_as_str_list("remote_addresses", remote_addresses))
    both_sides = _dedupe(internal + external) if internal and external else []
    bind = {"internal": internal, "external": external, "any": both_sides}

    if isinstance(entries, (str, bytes, Mapping)):
        raise ComponentRulesError(
            f"entries: expected a list of catalogue entries, got {type(entries).__name__}"
        )

    rules: list[dict[str, Any]] = []
    names: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ComponentRulesError(f"entries: {entry!r} is not a catalogue entry (a mapping)")
        for field in _REQUIRED_FIELDS:
            _entry_field(entry, field)
        entry_id = entry["id"]
        if not isinstance(entry_id, str) or not entry_id:
            raise ComponentRulesError(f"catalogue entry id {entry_id!r} is not a non-empty string")
        if is_extra(entry) and not include_extras:
            continue
        direction = _check_choice(entry_id, "direction", entry["direction"], VALID_DIRECTIONS)
        interface = _check_choice(
            entry_id,
            "interface",
            entry.get("interface", "any"),
            VALID_INTERFACES,
        )
        transports = entry["transports"]
        if not isinstance(transports, (list, tuple)) or not transports:
            raise ComponentRulesError(
                f"catalogue entry {entry_id!r}: transports {transports!r} is not a "
                f"non-empty list of {', '.join(VALID_TRANSPORTS)}"
            )
        for transport in transports:
            _check_choice(entry_id, "transport", transport, VALID_TRANSPORTS)
        ports = entry["ports"]
        if not isinstance(ports, (list, tuple)) or not all(isinstance(p, str) for p in ports):
            raise ComponentRulesError(
                f"catalogue entry {entry_id!r}: ports {ports!r} is not a list of "
                f"'N' or 'N-M' strings"
            )
        ports = list(ports)

        rule_dirs = []
        if direction in ("inbound", "both"):
            rule_dirs.append("in")
        if direction in ("outbound", "both") and include_outbound:
            rule_dirs.append("out")

        for rule_dir in rule_dirs:
            for transport in _dedupe(transports):
                name = rule_name(label, ports, transport, rule_dir, entry_id)
                if name in names:
                    raise ComponentRulesError(
                        f"catalogue entry {entry_id!r}: rule name {name!r} is not unique; "
                        f"catalogue entry ids must be unique"
                    )
                names.add(name)
                rule: dict[str, Any] = {
                    "name": name,
                    "description": rule_description(entry),
                    "direction": rule_dir,
                    "action": "allow",
                    "protocol": transport,
                    "profiles": list(rule_profiles),
                    "enabled": enabled,
                    "local_addresses": list(bind[interface]),
                    "remote_addresses": list(remote),
                }
                # An inbound entry's ports are where this host listens; an outbound
                # entry's ports are where the peer listens.
                rule["local_ports" if rule_dir == "in" else "remote_ports"] = list(ports)
                rules.append(rule)
    return rules


# --- role variables ------------------------------------------------------------------------

VALID_STATES = ("present", "absent")
ROLE_FLAGS = ("include_outbound", "include_extras", "as_published")
# The spellings Ansible's bool filter turns into true or false.
_BOOLEAN_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "1", "0"})
SIDES = ("internal", "external")

_REMOTE_ADDRESS_HINT = (
    "address; give IPv4 or IPv6 addresses, networks (10.10.0.0/16), ranges "
    "(10.10.0.1-10.10.0.9) or the keywords " + ", ".join(ADDRESS_KEYWORDS.values())
)
_LOCAL_ADDRESS_HINT = (
    "local address; give this server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)"
)


def _shown(value: Any) -> str:
    """A value as the messages show it: JSON, so a string reads "x" and a list [..]."""
    return json.dumps(value, default=str)


def is_firewall_address(value: Any, *, local: bool = False) -> bool:
    """One address Windows Firewall takes (the engine's own parser decides).

    A local address (what a rule is bound to) must be the host's own: Windows takes the
    keywords only as remote addresses, and ``*``/``any`` would bind to nothing in
    particular. A comma-separated string is several addresses, not one.
    """
    if not isinstance(value, str) or not value.strip() or "," in value:
        return False
    token = value.strip()
    if local and (token.lower() in ADDRESS_KEYWORDS or token.lower() in ANY_WORDS):
        return False
    try:
        canonical_addresses(token, "address")
    except RuleError:
        return False
    return True


def _as_items(value: Any) -> list[Any] | None:
    """A list variable as its items (None: empty; a string: one item); None if not a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


def _address_problems(name: str, value: Any, *, local: bool) -> list[str]:
    items = _as_items(value)
    if items is None:
        return [f"{name}: {_shown(value)} is not a list of addresses"]
    hint = _LOCAL_ADDRESS_HINT if local else _REMOTE_ADDRESS_HINT
    return [
        f"{name}: {_shown(item)} is not a valid {hint}"
        for item in items
        if not is_firewall_address(item, local=local)
    ]


def _canonical_address(item: Any) -> str | None:
    if not is_firewall_address(item, local=True):
        return None
    (text,) = canonical_addresses(item.strip(), "address")
    return str(text)


def _shared_addresses(internal: Any, external: Any) -> list[str]:
    """Addresses given for both interfaces, in the internal list's spelling and order.

    Compared in canonical form, so ``10.0.0.5`` and ``10.0.0.5/32`` are the same address.
    """
    external_items = _as_items(external) or []
    taken = {_canonical_address(item) for item in external_items} - {None}
    shared: list[str] = []
    for item in _as_items(internal) or []:
        if _canonical_address(item) in taken and item not in shared:
            shared.append(item)
    return shared


def role_variable_problems(
    values: Mapping[str, Any], prefix: str, sides: Mapping[str, str] | None = None
) -> list[str]:
    """Every problem with a component role's variables, one message each; [] when all is well.

    ``values`` maps each variable name (``<prefix>_state``, ``<prefix>_group``,
    ``<prefix>_profiles``, ``<prefix>_remote_addresses``, the flags, and the side
    variables) to its value as the play sees it; ``sides`` maps an interface
    (``internal``/``external``) to the name of the variable holding that interface's local
    addresses. Each message starts with the variable's name and shows the bad value as
    JSON. These are the checks an argument spec cannot make (address syntax, an address on
    both interfaces), plus the spec's own checks again for a role used without its spec.
    """
    if not isinstance(prefix, str) or not prefix:
        raise ComponentRulesError(f"prefix: {prefix!r} is not a role variable prefix")
    sides = dict(sides or {})
    for side, name in sides.items():
        if side not in SIDES or not isinstance(name, str):
            raise ComponentRulesError(
                f"sides: {side!r}: {name!r} is not an interface and a variable name; "
                f"interfaces are {', '.join(SIDES)}"
            )
    wanted = [f"{prefix}_{v}" for v in ("state", "group", "profiles", "remote_addresses")]
    wanted += [f"{prefix}_{flag}" for flag in ROLE_FLAGS] + list(sides.values())
    missing = [name for name in wanted if name not in values]
    if missing:
        raise ComponentRulesError(f"values: no value given for {', '.join(missing)}")

    problems: list[str] = []
    name = f"{prefix}_state"
    state = values[name]
    if state not in VALID_STATES:
        problems.append(
            f"{name}: {_shown(state)} is not a state; valid states are {', '.join(VALID_STATES)}"
        )

    name = f"{prefix}_group"
    group = values[name]
    if (
        not isinstance(group, str)
        or not group.strip()
        or len(group) > MAX_NAME_LENGTH
        or "|" in group
    ):
        problems.append(
            f"{name}: {_shown(group)} is not a rule group name; give a non-empty name of at "
            f"most {MAX_NAME_LENGTH} characters without |"
        )

    name = f"{prefix}_profiles"
    profiles = _as_items(values[name])
    if not profiles:
        problems.append(
            f"{name}: {_shown(values[name] if profiles is None else profiles)} names no "
            f"profile; give one or more of {', '.join(VALID_PROFILES)}"
        )
    else:
        problems.extend(
            f"{name}: {_shown(bad)} is not a profile; valid profiles are "
            f"{', '.join(VALID_PROFILES)}"
            for bad in profiles
            if bad not in VALID_PROFILES
        )

    for flag in ROLE_FLAGS:
        name = f"{prefix}_{flag}"
        value = values[name]
        if not isinstance(value, bool) and str(value).lower() not in _BOOLEAN_WORDS:
            problems.append(f"{name}: {_shown(value)} is not a boolean; give true or false")

    name = f"{prefix}_remote_addresses"
    problems.extend(_address_problems(name, values[name], local=False))
    for side_name in sides.values():
        problems.extend(_address_problems(side_name, values[side_name], local=True))

    if all(side in sides for side in SIDES):
        internal, external = sides["internal"], sides["external"]
        shared = _shared_addresses(values[internal], values[external])
        if shared:
            problems.append(
                f"{internal} and {external} both hold {', '.join(map(_shown, shared))}; "
                f"an address belongs to one interface"
            )
    return problems
