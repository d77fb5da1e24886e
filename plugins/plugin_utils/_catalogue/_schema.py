# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port catalogue's schema, checked.
"""Every check of the catalogue's document: its top level, the components, services and
peers tables, and each entry, each problem naming the entry id (or its position) and the
field. :func:`validate_catalogue` reports them all at once as a
:class:`~.._errors.CatalogueError`, or returns the :class:`._model.Catalogue`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue._model import (
    ANY_SCOPE,
    CATALOGUE_VERSION,
    COMPONENT_FIELDS,
    COMPONENT_ZONES,
    CORRECTABLE_FIELDS,
    CORRECTION_FIELDS,
    DIRECTIONS,
    FIELDS,
    FLOW_FIELDS,
    HOST_KINDS,
    INFERABLE_FIELDS,
    INTERFACES,
    ONE_WAY,
    PEER_DIRECTIONS,
    PEER_ZONES,
    POOL_MEMBER,
    POOL_NEXT_HOP,
    POOL_PARTS,
    POOL_RELATIONS,
    POOL_SCOPE,
    POOL_SERVES,
    SEED_ROW_COUNT,
    SERVER_COMPONENT_FIELDS,
    SIDES,
    TRANSPORTS,
    Catalogue,
    Component,
    PeerKind,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    port_bounds,
    port_problem,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    description_problem,
)

_COMPONENT_KEY = re.compile(r"[a-z][a-z0-9_]*")
_SETTING_NAME = re.compile(r"[a-z][a-z0-9_]*_addresses")
_SEED_ID = re.compile(r"seed-(\d{2})")
_EXTRA_ID = re.compile(r"extra-[a-z0-9]+(?:-[a-z0-9]+)*")
_SOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SCOPE_VARIABLE = re.compile(r"ocs_firewall_[a-z0-9_]+")
# What a label may not hold: it goes into the names of Windows Server 2003 entries.
_LABEL_SEPARATORS = (",", ":")


def _check_component(
    key: object, row: object, services: Mapping[str, str]
) -> tuple[Component | None, list[str]]:
    where = f"components.{key}"
    if not isinstance(key, str) or not _COMPONENT_KEY.fullmatch(key):
        return None, [f"components: {key!r} is not a component key (lower case, digits, _)"]
    if not isinstance(row, dict):
        return None, [f"{where}: must be a mapping, got {row!r}"]
    problems = [f"{where}.{name}: unknown field" for name in row if name not in COMPONENT_FIELDS]
    kind = row.get("host_kind")
    if kind not in HOST_KINDS:
        problems.append(f"{where}.host_kind: {kind!r} is not one of {', '.join(HOST_KINDS)}")
    needed = ("title", "label", "group", "server") if kind == "server" else ("title",)
    for name in needed:
        value = row.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}.{name}: must be a non-empty string, got {value!r}")
    label = row.get("label")
    if isinstance(label, str) and any(c in label for c in _LABEL_SEPARATORS):
        # A 2003 entry's name lists labels with ", " before its port; ':' separates the
        # fields of 2003's own port exceptions.
        problems.append(f"{where}.label: {label!r} must hold no ',' or ':'")
    if kind != "server":
        problems += [
            f"{where}.{name}: only a server component has one"
            for name in SERVER_COMPONENT_FIELDS
            if name in row
        ]
    pool = row.get("pool", "")
    if pool and pool not in POOL_PARTS:
        problems.append(f"{where}.pool: {pool!r} is not one of {', '.join(POOL_PARTS)}")
    zone = row.get("zone", "internal")
    if zone not in COMPONENT_ZONES:
        problems.append(f"{where}.zone: {zone!r} is not one of {', '.join(COMPONENT_ZONES)}")
    balances = row.get("balances", "")
    if kind == "load_balancer":
        if not isinstance(balances, str) or not _COMPONENT_KEY.fullmatch(balances):
            problems.append(
                f"{where}.balances: a load balancer must name the server component it "
                f"balances, got {balances!r}"
            )
    elif "balances" in row:
        problems.append(f"{where}.balances: only a load balancer component has one")
    interfaces = row.get("interfaces", {})
    if not isinstance(interfaces, dict) or any(
        side not in SIDES or not isinstance(setting, str) or not _SETTING_NAME.fullmatch(setting)
        for side, setting in interfaces.items()
    ):
        problems.append(
            f"{where}.interfaces: must map internal/external to a setting name ending in "
            f"_addresses, got {interfaces!r}"
        )
        interfaces = {}
    own = row.get("services", {})
    if not isinstance(own, dict) or any(
        service not in services
        or not isinstance(setting, str)
        or not _SETTING_NAME.fullmatch(setting)
        for service, setting in own.items()
    ):
        problems.append(
            f"{where}.services: must map services of the services table to a setting name "
            f"ending in _addresses, got {own!r}"
        )
        own = {}
    elif own and "external" not in interfaces:
        problems.append(f"{where}.services: a component with services needs an external side")
    opt_ins = row.get("opt_ins", {})
    if not isinstance(opt_ins, dict) or any(
        not isinstance(name, str)
        or not _COMPONENT_KEY.fullmatch(name)
        or name.endswith("_addresses")
        or not isinstance(text, str)
        or not text.strip()
        for name, text in opt_ins.items()
    ):
        problems.append(
            f"{where}.opt_ins: must map setting names (lower case, not ending in _addresses) "
            f"to what they add, got {opt_ins!r}"
        )
        opt_ins = {}
    sides_optional = row.get("sides_optional", False)
    if not isinstance(sides_optional, bool):
        problems.append(f"{where}.sides_optional: must be true or false, got {sides_optional!r}")
    elif sides_optional and (zone != "perimeter" or len(interfaces) != len(SIDES)):
        problems.append(f"{where}.sides_optional: only a perimeter server with two sides has one")
    settings = [*interfaces.values(), *own.values(), *opt_ins]
    if len(set(settings)) != len(settings):
        problems.append(f"{where}: a setting name is used twice in {settings!r}")
    if problems:
        return None, problems
    component = Component(
        key=key,
        title=row["title"],
        host_kind=str(kind),
        label=row.get("label", ""),
        group=row.get("group", ""),
        server=row.get("server", ""),
        interfaces=tuple((side, interfaces[side]) for side in SIDES if side in interfaces),
        service_addresses=tuple(own.items()),
        opt_ins=tuple(opt_ins.items()),
        zone=str(zone),
        balances=str(balances),
        pool=str(pool),
        sides_optional=sides_optional is True,
    )
    return component, []


def _validate_components(
    table: object, services: Mapping[str, str] | None = None
) -> tuple[dict[str, Component], list[str]]:
    """The ``components`` table as :class:`Component` rows, and its problems.

    ``services``: the catalogue's services table (key -> title) that a component's
    ``services`` must name.
    """
    if not isinstance(table, dict) or not table:
        return {}, ["components: must be a non-empty mapping of component keys"]
    components: dict[str, Component] = {}
    problems: list[str] = []
    for key, row in table.items():
        component, found = _check_component(key, row, services or {})
        problems += found
        if component is not None:
            components[component.key] = component
    groups: dict[str, str] = {}
    for component in components.values():
        if component.group:
            folded = component.group.casefold()
            if folded in groups:
                problems.append(
                    f"components.{component.key}.group: {component.group!r} is also the group "
                    f"of {groups[folded]!r}"
                )
            groups.setdefault(folded, component.key)
    for component in components.values():
        balanced = components.get(component.balances)
        if component.balances and (balanced is None or balanced.host_kind != "server"):
            problems.append(
                f"components.{component.key}.balances: {component.balances!r} is not a server "
                "component"
            )
    return components, problems


# An entry's transports are the protocols a rule may name ports for.
# ---- field checks: each returns a problem description, or None when the value is fine ----


def parse_port(value: object) -> tuple[int, int]:
    """Return ``(low, high)`` for a port string ``"N"`` or ``"N-M"``; raise ValueError.

    The port grammar of rules (:mod:`.._firewall._grammar`), written without spaces.
    """
    if not isinstance(value, str):
        raise ValueError(f"port {value!r} must be a string like '443' or '5060-5061'")
    bounds = None if any(c.isspace() for c in value) else port_bounds(value)
    if bounds is None:
        raise ValueError(f"port {value!r} must look like '443' or '5060-5061'")
    problem = port_problem(*bounds)
    if problem:
        raise ValueError(f"port {value!r} {problem}")
    return bounds


def _check_ports(value: object) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of port strings, got {value!r}"
    for item in value:
        try:
            parse_port(item)
        except ValueError as exc:
            return str(exc)
    if len(set(value)) != len(value):
        return f"lists a port twice: {value!r}"
    return None


def _check_enum_list(valid: Sequence[str], allow_empty: bool) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if not isinstance(value, list) or (not value and not allow_empty):
            kind = "a list" if allow_empty else "a non-empty list"
            return f"must be {kind} of {', '.join(valid)}, got {value!r}"
        bad = [item for item in value if item not in valid]
        if bad:
            return f"has {bad[0]!r}; valid values: {', '.join(valid)}"
        if len(set(value)) != len(value):
            return f"lists a value twice: {value!r}"
        return None

    return check


def _check_inferred(value: object) -> str | None:
    """``inferred``: field names, and ``peer_directions.<peer>`` for each one-way peer whose
    way no document states (checked against the entry's peer_directions later)."""
    check = _check_enum_list(INFERABLE_FIELDS, allow_empty=True)
    if isinstance(value, list):
        prefix = f"{PEER_DIRECTIONS}."
        value = [
            PEER_DIRECTIONS if isinstance(item, str) and item.startswith(prefix) else item
            for item in value
        ]
        if value.count(PEER_DIRECTIONS) > 1:
            value = [item for item in value if item != PEER_DIRECTIONS] + [PEER_DIRECTIONS]
    return check(value)


def _check_enum(valid: Sequence[str]) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if value not in valid:
            return f"{value!r} is not one of {', '.join(valid)}"
        return None

    return check


def _check_str(nullable: bool, allow_empty: bool = True) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            kind = "a string" if allow_empty else "a non-empty string"
            return f"must be {kind}{' or null' if nullable else ''}, got {value!r}"
        return None

    return check


def _check_seed_row(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SEED_ROW_COUNT:
        return f"must be null or an integer 1..{SEED_ROW_COUNT}, got {value!r}"
    return None


def _check_list(value: object) -> str | None:
    return None if isinstance(value, list) else f"must be a list, got {value!r}"


# The declarative schema: one check per field. Cross-field rules live in _check_entry.
_SCHEMA: dict[str, Callable[[object], str | None]] = {
    "id": _check_str(nullable=False, allow_empty=False),
    "component": _check_str(nullable=False, allow_empty=False),
    "component_title": _check_str(nullable=False, allow_empty=False),
    "host_kind": _check_enum(HOST_KINDS),
    "ports": _check_ports,
    "seed_ports": _check_str(nullable=True, allow_empty=False),
    "transports": _check_enum_list(TRANSPORTS, allow_empty=False),
    "protocol": _check_str(nullable=True, allow_empty=False),
    "direction": _check_enum(DIRECTIONS),
    "interface": _check_enum(INTERFACES),
    "description": _check_str(nullable=False),
    "seed_row": _check_seed_row,
    "inferred": _check_inferred,
    "corrections": _check_list,
    "source": _check_str(nullable=True, allow_empty=False),
}


def _check_correction(
    entry: Mapping[str, Any], index: int, item: object, sources: Mapping[str, str]
) -> list[str]:
    where = f"corrections[{index}]"
    if not isinstance(item, dict):
        return [f"{where}: must be a mapping with {', '.join(CORRECTION_FIELDS)}, got {item!r}"]
    problems = [
        f"{where}: missing field {name!r}" for name in CORRECTION_FIELDS if name not in item
    ]
    problems += [
        f"{where}: unknown field {name!r}" for name in item if name not in CORRECTION_FIELDS
    ]
    if problems:
        return problems
    field = item["field"]
    if field not in CORRECTABLE_FIELDS:
        return [f"{where}.field: {field!r} is not one of {', '.join(CORRECTABLE_FIELDS)}"]
    source = item["source"]
    if not isinstance(source, str) or not source.strip():
        problems.append(f"{where}.source: every correction must name its source document")
    elif sources and source not in sources:
        problems.append(f"{where}.source: {source!r} is not listed under 'sources'")
    for key in ("seed_value", "value"):
        problem = _SCHEMA[field](item[key])
        if problem:
            problems.append(f"{where}.{key} (for field {field!r}): {problem}")
    if item["seed_value"] == item["value"]:
        problems.append(f"{where}: seed_value and value are equal ({item['value']!r})")
    if item["value"] != entry.get(field):
        # The entry carries the corrected value; as_published reverts it to seed_value.
        problems.append(
            f"{where}.value: {item['value']!r} differs from the entry's {field}"
            f" {entry.get(field)!r}"
        )
    return problems


def _check_component_of(entry: Mapping[str, Any], row: Component) -> list[str]:
    """The entry's title and host kind against its row of the components table."""
    problems = []
    if entry["component_title"] != row.title:
        problems.append(
            f"component_title: {entry['component_title']!r} is not the title of component"
            f" {row.key!r} ({row.title!r})"
        )
    if entry["host_kind"] != row.host_kind:
        problems.append(
            f"host_kind: {entry['host_kind']!r} does not match component {row.key!r}"
            f" ({row.host_kind!r})"
        )
    return problems


def _check_id(entry: Mapping[str, Any]) -> list[str]:
    """A seed row keeps the seed's number and port text; an extra names its source."""
    problems = []
    seed_match = _SEED_ID.fullmatch(entry["id"])
    if seed_match:
        if entry["seed_row"] != int(seed_match.group(1)):
            problems.append(f"seed_row: {entry['seed_row']!r} does not match id {entry['id']!r}")
        if entry["seed_ports"] is None:
            problems.append("seed_ports: a seed row must keep the seed's port text")
    elif _EXTRA_ID.fullmatch(entry["id"]):
        if entry["seed_row"] is not None:
            problems.append("seed_row: must be null for an extra")
        if entry["seed_ports"] is not None:
            problems.append("seed_ports: must be null for an extra")
        if entry["corrections"]:
            problems.append("corrections: an extra has no seed value to correct")
        if entry["source"] is None:
            problems.append("source: an extra must name the Microsoft document it comes from")
    else:
        problems.append(f"id: {entry['id']!r} must be 'seed-NN' or 'extra-<slug>'")
    return problems


def _check_corrections(entry: Mapping[str, Any], sources: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    seen_fields: set[str] = set()
    for index, item in enumerate(entry["corrections"]):
        problems += _check_correction(entry, index, item, sources)
        if isinstance(item, dict) and "field" in item:
            if item["field"] in seen_fields:
                problems.append(f"corrections[{index}].field: {item['field']!r} corrected twice")
            seen_fields.add(item["field"])
    return problems


def _check_entry(
    entry: Mapping[str, Any],
    sources: Mapping[str, str],
    components: Mapping[str, Component],
    flows: _Flows,
) -> list[str]:
    """Return the problems of one entry, each starting with the field name."""
    problems = [f"{name}: missing required field" for name in FIELDS if name not in entry]
    problems += [
        f"{name}: unknown field"
        for name in entry
        if name not in FIELDS and name not in FLOW_FIELDS and name not in _OPTIONAL_FLOW_FIELDS
    ]
    for name, check in _SCHEMA.items():
        if name in entry:
            problem = check(entry[name])
            if problem:
                problems.append(f"{name}: {problem}")
    if problems:
        return problems

    row = components.get(entry["component"])
    if row is None:
        return [
            f"component: {entry['component']!r} is not in the components table; valid: "
            f"{', '.join(components)}"
        ]
    problems = _check_component_of(entry, row) + _check_id(entry) + _check_description(entry)
    if entry["source"] is not None and sources and entry["source"] not in sources:
        problems.append(f"source: {entry['source']!r} is not listed under 'sources'")
    if entry["protocol"] is None and entry["seed_row"] is not None:
        if "transports" not in entry["inferred"]:
            problems.append("inferred: the seed gives no protocol, so transports must be inferred")
    return problems + _check_corrections(entry, sources) + _check_flow(entry, sources, row, flows)


def _check_description(entry: Mapping[str, Any]) -> list[str]:
    """The description must fit Windows Firewall with the marker its rules end with."""
    description = entry["description"].strip()
    marked = _ownership.marked(description, _ownership.catalogue_mark(str(entry["id"])))
    problem = description_problem(description, marked[len(description) :])
    return [f"description: {problem}"] if problem else []


def _check_flow(
    entry: Mapping[str, Any], sources: Mapping[str, str], row: Component, flows: _Flows
) -> list[str]:
    """A server entry's service, peers, flow sources and opt-in; none on other entries."""
    if entry["host_kind"] != "server":
        return [
            f"{name}: only a server entry has one"
            for name in (*FLOW_FIELDS, *_OPTIONAL_FLOW_FIELDS)
            if name in entry
        ]
    problems = [f"{name}: missing required field" for name in FLOW_FIELDS if name not in entry]
    if problems:
        return problems
    # A component with services of its own (the Edge) names only those.
    services = dict(row.service_addresses) or flows.services
    checks = {
        "service": _check_enum_list(tuple(services), allow_empty=False),
        "peers": _check_enum_list(flows.peer_keys, allow_empty=False),
        "flow_sources": _check_enum_list(tuple(sources), allow_empty=True),
    }
    for name, check in checks.items():
        problem = check(entry[name])
        if problem:
            problems.append(f"{name}: {problem}")
    opt_ins = dict(row.opt_ins)
    if entry["opt_in"] is not None and entry["opt_in"] not in opt_ins:
        problems.append(
            f"opt_in: {entry['opt_in']!r} is not an opt-in of component {row.key!r}"
            + (f"; valid: {', '.join(opt_ins)}" if opt_ins else " (it has none)")
        )
    if not problems:
        problems += _check_pool_scope(entry, row, flows) + _check_peer_directions(entry)
    if not problems and not entry["flow_sources"]:
        unsourced = [name for name in ("service", "peers") if name not in entry["inferred"]]
        if unsourced:
            problems.append(
                f"flow_sources: names no document, so {' and '.join(unsourced)} must be "
                "listed in inferred"
            )
    return problems


def _check_peer_directions(entry: Mapping[str, Any]) -> list[str]:
    """An entry's ``peer_directions``: peers of a ``both`` entry that take one way only."""
    directions = entry.get(PEER_DIRECTIONS, {})
    if not isinstance(directions, dict):
        return [f"{PEER_DIRECTIONS}: must map peers to {' or '.join(ONE_WAY)}, got {directions!r}"]
    if directions and entry["direction"] != "both":
        return [f"{PEER_DIRECTIONS}: only an entry whose direction is both has one"]
    prefix = f"{PEER_DIRECTIONS}."
    problems = [
        f"inferred: {item!r} names a peer its {PEER_DIRECTIONS} does not list"
        for item in entry["inferred"]
        if item.startswith(prefix) and item[len(prefix) :] not in directions
    ]
    for peer, way in directions.items():
        if peer not in entry["peers"]:
            problems.append(f"{PEER_DIRECTIONS}.{peer}: is not one of the entry's peers")
        elif way not in ONE_WAY:
            problems.append(f"{PEER_DIRECTIONS}.{peer}: {way!r} is not one of {', '.join(ONE_WAY)}")
    return problems


def _check_pool_scope(entry: Mapping[str, Any], row: Component, flows: _Flows) -> list[str]:
    """An entry's ``pool_scope``: each peer it names is one of the entry's server peers, in
    a relation the two components' parts in the pools allow."""
    scope = entry.get(POOL_SCOPE, {})
    if not isinstance(scope, dict):
        return [f"{POOL_SCOPE}: must map peers to {', '.join(POOL_RELATIONS)}, got {scope!r}"]
    problems = []
    for peer, relation in scope.items():
        other = flows.components.get(peer) if isinstance(peer, str) else None
        if peer not in entry["peers"] or other is None:
            problems.append(f"{POOL_SCOPE}.{peer}: is not a server component among its peers")
            continue
        allowed = {
            "same": row.pool == POOL_MEMBER and other.pool == POOL_MEMBER,
            "served": row.pool == POOL_SERVES and other.pool in (POOL_MEMBER, POOL_NEXT_HOP),
            "next_hop": row.pool == POOL_MEMBER and other.pool == POOL_NEXT_HOP,
        }
        if relation not in POOL_RELATIONS:
            problems.append(
                f"{POOL_SCOPE}.{peer}: {relation!r} is not one of {', '.join(POOL_RELATIONS)}"
            )
        elif not allowed[relation]:
            problems.append(
                f"{POOL_SCOPE}.{peer}: {relation!r} does not fit component {row.key!r} "
                f"(pool: {row.pool or 'none'}) and peer {peer!r} (pool: {other.pool or 'none'})"
            )
    return problems


# The flow fields a server entry may leave out ({} when it does).
_OPTIONAL_FLOW_FIELDS: tuple[str, ...] = (POOL_SCOPE, PEER_DIRECTIONS)

_TOP_LEVEL: tuple[str, ...] = ("version", "sources", "services", "peers", "components", "entries")


@dataclasses.dataclass(frozen=True)
class _Flows:
    """The services and peers tables, as the entries' checks need them."""

    services: dict[str, str]
    peers: dict[str, PeerKind]
    peer_keys: tuple[str, ...]
    # The server components, for the entries' pool_scope.
    components: dict[str, Component] = dataclasses.field(default_factory=dict)


def peer_keys(
    components: Mapping[str, Component], peers: Mapping[str, PeerKind]
) -> tuple[str, ...]:
    """What an entry's ``peers`` may name: server component keys, then the peers table's."""
    return (*(k for k, c in components.items() if c.host_kind == "server"), *peers)


def _check_flow_tables(
    document: Mapping[Any, Any], components: Mapping[str, Component]
) -> tuple[dict[str, str], dict[str, PeerKind], list[str]]:
    """The ``services`` table (key -> title) and the ``peers`` table, with their problems."""
    problems: list[str] = []
    services = document.get("services")
    if (
        not isinstance(services, dict)
        or not services
        or not all(
            isinstance(k, str) and _COMPONENT_KEY.fullmatch(k) and isinstance(v, str) and v.strip()
            for k, v in services.items()
        )
    ):
        problems.append("services: must map service keys (lower case, digits, _) to titles")
        services = {}
    peers: dict[str, PeerKind] = {}
    table = document.get("peers")
    if not isinstance(table, dict) or not table:
        return services, {}, [*problems, "peers: must be a non-empty mapping of peer kinds"]
    for key, row in table.items():
        where = f"peers.{key}"
        if not isinstance(key, str) or not _COMPONENT_KEY.fullmatch(key):
            problems.append(f"peers: {key!r} is not a peer key (lower case, digits, _)")
        elif key in components:
            problems.append(f"{where}: is a component key; components are peers already")
        elif not isinstance(row, dict) or set(row) != {"title", "scope", "required", "zone"}:
            problems.append(
                f"{where}: must be a mapping with title, scope, required and zone, got {row!r}"
            )
        elif not isinstance(row["title"], str) or not row["title"].strip():
            problems.append(f"{where}.title: must be a non-empty string")
        elif not isinstance(row["required"], bool):
            problems.append(f"{where}.required: must be true or false, got {row['required']!r}")
        elif row["zone"] not in PEER_ZONES:
            problems.append(f"{where}.zone: {row['zone']!r} is not one of {', '.join(PEER_ZONES)}")
        elif row["scope"] != ANY_SCOPE and not (
            isinstance(row["scope"], str) and _SCOPE_VARIABLE.fullmatch(row["scope"])
        ):
            problems.append(
                f"{where}.scope: must be {ANY_SCOPE!r} or an ocs_firewall_* variable name, "
                f"got {row['scope']!r}"
            )
        else:
            peers[key] = PeerKind(key, row["title"], row["scope"], row["required"], row["zone"])
    return services, peers, problems


def _check_top(document: dict[Any, Any]) -> tuple[list[str], dict[str, str]]:
    """The problems of the top-level keys, version and sources; the sources if valid."""
    problems: list[str] = []
    unknown = sorted(set(document) - set(_TOP_LEVEL))
    if unknown:
        problems.append(f"top level: unknown key(s) {', '.join(map(str, unknown))}")
    if document.get("version") != CATALOGUE_VERSION:
        problems.append(f"version: must be {CATALOGUE_VERSION}, got {document.get('version')!r}")
    sources = document.get("sources", {})
    if not isinstance(sources, dict) or not all(
        isinstance(k, str) and _SOURCE_ID.fullmatch(k) and isinstance(v, str) and v.strip()
        for k, v in sources.items()
    ):
        problems.append("sources: must map document ids to non-empty descriptions")
        sources = {}
    return problems, sources


def _check_entries(
    entries: list[Any],
    sources: Mapping[str, str],
    components: Mapping[str, Component],
    flows: _Flows,
) -> list[str]:
    """The problems of every entry, ids unique and the seed rows first, in seed order."""
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seed_rows: list[int] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"entries[{position}]: must be a mapping, got {entry!r}")
            continue
        entry_id = entry.get("id")
        label = f"entry {entry_id!r}" if isinstance(entry_id, str) else f"entries[{position}]"
        if isinstance(entry_id, str):
            if entry_id in seen_ids:
                problems.append(f"{label}: id: duplicate id (also entries[{seen_ids[entry_id]}])")
            seen_ids.setdefault(entry_id, position)
        problems += [
            f"{label}: {problem}" for problem in _check_entry(entry, sources, components, flows)
        ]
        seed_row = entry.get("seed_row")
        if isinstance(seed_row, int) and not isinstance(seed_row, bool):
            if seed_row != position + 1:
                problems.append(
                    f"{label}: seed_row: {seed_row} is at position {position + 1};"
                    " seed rows come first, in seed order"
                )
            seed_rows.append(seed_row)
    missing = sorted(set(range(1, SEED_ROW_COUNT + 1)) - set(seed_rows))
    if missing:
        problems.append(f"seed_row: seed row(s) {', '.join(map(str, missing))} missing")
    return problems


def validate_catalogue(document: object, path: str | None = None) -> Catalogue:
    """Check a parsed catalogue document; return it as a :class:`Catalogue`, or raise
    CatalogueError.

    Every problem is reported (not just the first), each naming the entry id (or its
    position when the id itself is broken) and the field.
    """
    if not isinstance(document, dict):
        raise CatalogueError([f"top level must be a mapping, got {type(document).__name__}"], path)
    problems, sources = _check_top(document)
    raw_services = document.get("services")
    components, component_problems = _validate_components(
        document.get("components"), raw_services if isinstance(raw_services, dict) else {}
    )
    problems += component_problems
    services, peers, flow_problems = _check_flow_tables(document, components)
    problems += flow_problems
    entries = document.get("entries")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(problems + ["entries: must be a non-empty list"], path)
    servers = {k: c for k, c in components.items() if c.host_kind == "server"}
    flows = _Flows(services, peers, peer_keys(components, peers), servers)
    problems += _check_entries(entries, sources, components, flows)
    used = {entry.get("component") for entry in entries if isinstance(entry, dict)}
    problems += [
        f"components.{key}: no entry has this component" for key in components if key not in used
    ]
    opted = {
        (entry.get("component"), entry.get("opt_in"))
        for entry in entries
        if isinstance(entry, dict)
    }
    problems += [
        f"components.{key}.opt_ins.{name}: no entry needs this opt-in"
        for key, component in components.items()
        for name, _text in component.opt_ins
        if (key, name) not in opted
    ]
    if problems:
        raise CatalogueError(problems, path)
    for entry in entries:
        if entry["host_kind"] == "server":
            # Every server entry says how pools limit its peers (most: not at all) and
            # which take one way only (most: none), in this order, after its flow.
            for name in _OPTIONAL_FLOW_FIELDS:
                entry[name] = entry.pop(name, {})
    return Catalogue(components, tuple(entries), services, peers)
