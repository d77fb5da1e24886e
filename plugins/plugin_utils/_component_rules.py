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

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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
