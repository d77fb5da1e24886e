# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the network team's port matrix, from the inventory.
"""The port matrix: every flow the network firewalls and load balancers must let through.

``ocs.firewall.port_matrix`` (and ``playbooks/port_matrix.yml``) turn the inventory and
the catalogue into tables for the people who run the perimeter firewalls and the hardware
load balancers: the flows of each boundary host pair by host pair (:mod:`._matrix_flows`,
which says how they are worked out) and grouped (:mod:`._matrix_groups`), the load
balancers' rules and the clients' ports (here), a drawing per boundary
(:mod:`._matrix_diagram`). Nothing here contacts a host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._component_rules import (
    port_text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import shown
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_diagram,
    _matrix_flows,
    _matrix_groups,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports._matrix_flows import (
    FLOW_COLUMNS,
    ZONES,
    Estate,
    purpose,
)

VIPS_VARIABLE = _variables.VIPS

_LB_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_balancer", "load balancer"),
    ("pool", "pool"),
    ("vip", "virtual IP"),
    ("members", "members"),
    ("ports", "port(s)"),
    ("transport", "transport"),
    ("direction", "direction"),
    ("purpose", "purpose"),
    ("catalogue_id", "catalogue id"),
)
_CLIENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("client", "client"),
    ("ports", "port(s)"),
    ("transport", "transport"),
    ("direction", "direction"),
    ("purpose", "purpose"),
    ("catalogue_id", "catalogue id"),
)


# ---- load balancers and clients ---------------------------------------------------------


def _balanced() -> dict[str, _catalogue.Component]:
    """Each balanced server component, by key."""
    components = _catalogue.components()
    return {c.balances: components[c.balances] for c in components.values() if c.balances}


def _sided(component: _catalogue.Component) -> bool:
    return len(component.interfaces) == len(_catalogue.SIDES)


def check_vips(value: Any, name: str = VIPS_VARIABLE) -> tuple[dict[str, Any], list[str]]:
    """The virtual IPs of the load balancers: ``{front_end: ip, director: ip, edge:
    {internal: ip, external: ip}}`` (a component with two sides takes one per side)."""
    if value is None:
        return {}, []
    balanced = _balanced()
    if not isinstance(value, Mapping):
        return {}, [
            f"{name}: {shown(value)} is not a mapping of balanced components "
            f"({', '.join(balanced)}) to virtual IP addresses"
        ]
    problems: list[str] = []
    checked: dict[str, Any] = {}
    for key, vip in value.items():
        component = balanced.get(key) if isinstance(key, str) else None
        if component is None:
            problems.append(
                f"{name}: {shown(key)} is not a component a load balancer balances; valid "
                f"keys are {', '.join(balanced)}"
            )
            continue
        if _sided(component):
            if not isinstance(vip, Mapping) or not set(vip) <= set(_catalogue.SIDES):
                problems.append(
                    f"{name}.{key}: {shown(vip)} is not a mapping of "
                    f"{' and '.join(_catalogue.SIDES)} to the virtual IP of each side"
                )
                continue
            sides = {}
            for side, address in vip.items():
                sides[side], found = _check_ip(f"{name}.{key}.{side}", address)
                problems += found
            checked[key] = sides
        else:
            checked[key], found = _check_ip(f"{name}.{key}", vip)
            problems += found
    return checked, problems


def _check_ip(name: str, value: Any) -> tuple[str, list[str]]:
    try:
        return str(ipaddress.ip_address(str(value).strip())), []
    except ValueError:
        return "", [f"{name}: {shown(value)} is not an IP address (the load balancer's virtual IP)"]


def _vip(vips: Mapping[str, Any], component: _catalogue.Component, side: str) -> str:
    key = component.key
    if not _sided(component):
        return str(vips.get(key) or f"(set {VIPS_VARIABLE}.{key})")
    sides = [side] if side in _catalogue.SIDES else list(_catalogue.SIDES)
    return ", ".join(
        str(vips.get(key, {}).get(s) or f"(set {VIPS_VARIABLE}.{key}.{s})") for s in sides
    )


def _member_addresses(estate: Estate, holder: str, key: str, lb: Mapping[str, Any]) -> list[str]:
    """Where a member takes a load balancer's traffic: the local addresses of the member's
    own entry of the same ports and side, else its address on that side."""
    host = estate.host(holder)
    settings = next((s for s in host.settings if s.component.key == key), None) if host else None
    if settings is None:
        return estate.seen_at(holder, key)
    for entry in _catalogue.server_entries(key, settings.as_published):
        same_side = lb["interface"] in (entry["interface"], "any") or entry["interface"] == "any"
        if same_side and entry["ports"] == lb["ports"]:
            bound = [
                r.local_addresses for r in _matrix_flows.rules(settings, entry) if r.local_addresses
            ]
            if bound:
                return list(bound[0])
    external = settings.component.side_setting("external")
    if lb["interface"] == "external" and external:
        found = [
            *settings.addresses_of("external"),
            *(address for _s, own in settings.service_addresses for address in own),
        ]
        return found or [f"(set {settings.component.variable(external)})"]
    return estate.seen_at(holder, key)


def _pools(estate: Estate, key: str) -> dict[str, list[str]]:
    """The holders of a balanced component by pool ("" when the estate names none), for
    the pools that have a load balancer: more than one server (bb964044: a pool of one
    Front End Server needs none; a single Director or Edge has none either)."""
    by_pool: dict[str, list[str]] = {}
    for holder in estate.inventory.holders(key):
        by_pool.setdefault(estate.inventory.pool(holder), []).append(holder)
    return {pool: hosts for pool, hosts in by_pool.items() if len(hosts) > 1}


def _pool_vips(
    estate: Estate, pool: str, hosts: Sequence[str], vips: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The virtual IPs of a pool's load balancer: its members' own ``ocs_firewall_vips``
    (each pool sets its own, in its group's vars) when they give them, alike, else the
    estate's."""
    if not pool:
        return vips
    found: dict[str, Any] = {}
    for host in hosts:
        variables = estate.hostvars.get(host, {})
        try:
            own = variables[VIPS_VARIABLE] if VIPS_VARIABLE in variables else None
        except Exception as exc:  # templating: reported for the variable
            estate.problems.append(
                f"{host}: {VIPS_VARIABLE}: its value cannot be worked out ({exc})"
            )
            continue
        checked, problems = check_vips(own, f"{host}: {VIPS_VARIABLE}")
        estate.problems += problems
        if checked:
            found[host] = checked
    values = list(found.values())
    if values and any(v != values[0] for v in values):
        estate.problems.append(
            f"{VIPS_VARIABLE}: the servers of pool {pool} give different virtual IPs "
            f"({', '.join(f'{h}: {shown(v)}' for h, v in found.items())}); a pool has one load "
            "balancer: set it once, in the pool's group"
        )
    return values[0] if values else vips


def _load_balancer_rows(estate: Estate, vips: Mapping[str, Any]) -> list[dict[str, Any]]:
    components = _catalogue.components()
    rows = []
    for entry in _catalogue.query(host_kind="load_balancer"):
        lb = components[entry["component"]]
        balanced = components[lb.balances]
        for pool, hosts in _pools(estate, balanced.key).items():
            members = [
                f"{holder} {address}"
                for holder in hosts
                for address in _member_addresses(estate, holder, balanced.key, entry)
            ]
            pool_vips = _pool_vips(estate, pool, hosts, vips)
            for transport in entry["transports"]:
                rows.append(
                    {
                        "load_balancer": lb.title,
                        "pool": pool,
                        "balances": balanced.key,
                        "interface": entry["interface"],
                        "vip": _vip(pool_vips, balanced, entry["interface"]),
                        "members": members or [f"(no host in {balanced.inventory_group})"],
                        "ports": port_text(entry["ports"]),
                        "transport": transport.upper(),
                        "direction": entry["direction"],
                        "purpose": purpose(entry),
                        "catalogue_id": entry["id"],
                    }
                )
    return rows


def _client_rows() -> list[dict[str, Any]]:
    components = _catalogue.components()
    return [
        {
            "client": components[entry["component"]].title,
            "ports": port_text(entry["ports"]),
            "transport": transport.upper(),
            "direction": entry["direction"],
            "purpose": purpose(entry),
            "catalogue_id": entry["id"],
        }
        for entry in _catalogue.query(host_kind="client")
        for transport in entry["transports"]
    ]


# ---- everything ---------------------------------------------------------------------------


def matrix(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    hosts: Sequence[str] | None = None,
    vips: Any = None,
    vips_name: str = VIPS_VARIABLE,
) -> dict[str, Any]:
    """The whole port matrix as plain data: the flow rows of each boundary, host pair by
    host pair and grouped (with the object groups), the load balancer rules, the client
    requirements, a drawing per boundary and every table's columns.

    Every problem (a host's settings, an address, a virtual IP) is found before any is
    reported: InputError lists them all.
    """
    estate = Estate(groups, hostvars)
    checked_vips, problems = check_vips(vips, vips_name)
    try:
        rows = _matrix_flows.flows(groups, hostvars, hosts, estate=estate)
    except InputError as exc:
        raise _matrix_flows.problems_error([*problems, *exc.problems]) from None
    balancers = _load_balancer_rows(estate, checked_vips)
    problems += estate.problems
    if problems:
        raise _matrix_flows.problems_error(list(dict.fromkeys(problems)))
    grouped, object_groups = _matrix_groups.grouped(rows, estate.facts)
    for row in rows:
        del row["_nodes"]
    for row in grouped:
        del row["_pairs"]
    found: dict[str, Any] = {
        "boundaries": [
            _table(zone, title, FLOW_COLUMNS, [r for r in rows if r["destination_zone"] == zone])
            for zone, title in ZONES.items()
        ],
        # The same flows, one row per destination, port and protocol, sources as groups.
        "grouped": [
            _table(
                f"{zone}_grouped",
                title,
                _matrix_groups.GROUPED_COLUMNS,
                [r for r in grouped if r["destination_zone"] == zone],
            )
            for zone, title in ZONES.items()
        ],
        "object_groups": _table(
            "object_groups",
            "Object groups",
            _matrix_groups.GROUP_COLUMNS,
            _matrix_groups.group_rows(object_groups),
        ),
        "load_balancers": _table("load_balancers", "Load balancers", _LB_COLUMNS, balancers),
        "clients": _table("clients", "Client requirements", _CLIENT_COLUMNS, _client_rows()),
    }
    found["diagrams"] = _matrix_diagram.diagrams(found["grouped"], found["object_groups"])
    return found


def _table(
    key: str, title: str, columns: Sequence[tuple[str, str]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """A table as plain data: its key, title, file name (no suffix), columns and rows."""
    return {
        "key": key,
        "title": title,
        "file": "port-matrix-" + key.replace("_", "-"),
        "columns": [{"key": k, "header": h} for k, h in columns],
        "rows": rows,
    }
