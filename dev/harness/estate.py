"""Generated estates: many hosts spread over the OCS roles, as a real estate holds them.

Used by the benchmark (dev/bench/run.py) and the reliability suite's load test. An estate
is ``{group: [(host, host_vars), ...]}``; :func:`estate_inventory` turns it into the
inventory ``harness.lab`` starts lab hosts from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Role groups of the example inventory, with the share of hosts each gets in a generated
# estate. Front End servers dominate real pools; every other role has a few hosts.
ROLE_WEIGHTS: dict[str, int] = {
    "ocs_front_end": 30,
    "ocs_director": 8,
    "ocs_edge": 12,
    "ocs_cwa": 8,
    "ocs_group_chat": 8,
    "ocs_mediation": 12,
    "ocs_archiving": 8,
    "ocs_monitoring": 8,
    "ocs_reverse_proxy": 6,
    "ocs_sql_backend": 4,
}

# Short host-name prefix per group.
ROLE_PREFIX: dict[str, str] = {
    "ocs_front_end": "fe",
    "ocs_director": "dir",
    "ocs_edge": "edge",
    "ocs_cwa": "cwa",
    "ocs_group_chat": "gc",
    "ocs_mediation": "med",
    "ocs_archiving": "arch",
    "ocs_monitoring": "mon",
    "ocs_reverse_proxy": "rp",
    "ocs_sql_backend": "sql",
}

# Roles a consolidated Front End also carries: with them it holds 4 components.
CONSOLIDATED = ("ocs_av_conferencing", "ocs_web_conferencing", "ocs_web_components")
# Roles the most collocated Front End holds on top of those: 6 components in all.
FULLY_COLLOCATED = (*CONSOLIDATED, "ocs_archiving", "ocs_monitoring")
# Position, among every ten Front End hosts (0-based), of the consolidated (4 components)
# and the fully collocated (6 components) one. The first Front End is never collocated;
# from the third on, an estate holds both kinds.
CONSOLIDATED_AT = 1
FULLY_COLLOCATED_AT = 2


def _host_vars(group: str, index: int) -> dict[str, Any]:
    """Per-host role variables that a real estate would set (addresses are documentation
    ranges, RFC 5737: they are rule data only, nothing ever connects to them)."""
    if group == "ocs_edge":
        return {
            "ocs_edge_internal_addresses": [f"192.0.2.{10 + index % 200}"],
            "ocs_edge_external_addresses": [f"198.51.100.{10 + index % 200}"],
        }
    if group == "ocs_sql_backend":
        return {"ocs_sql_backend_remote_addresses": ["192.0.2.0/24"]}
    if group == "ocs_mediation":
        return {
            "ocs_mediation_pool_addresses": [f"192.0.2.{10 + index % 200}"],
            "ocs_mediation_gateway_addresses": [f"203.0.113.{10 + index % 200}"],
        }
    return {}


def _group_counts(hosts: int) -> dict[str, int]:
    """How many of ``hosts`` each role group gets: one each when there are enough, the
    rest by ROLE_WEIGHTS."""
    groups = list(ROLE_WEIGHTS)
    total_weight = sum(ROLE_WEIGHTS.values())
    counts = dict.fromkeys(groups, 1 if hosts >= len(groups) else 0)
    remaining = hosts - sum(counts.values())
    # Largest-remainder allocation of the rest, so the split is stable for any count.
    shares = {g: remaining * ROLE_WEIGHTS[g] / total_weight for g in groups}
    for g in groups:
        counts[g] += int(shares[g])
    left = hosts - sum(counts.values())
    for g in sorted(groups, key=lambda g: shares[g] - int(shares[g]), reverse=True)[:left]:
        counts[g] += 1
    return counts


def generate_estate(hosts: int) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Spread ``hosts`` host names over the role groups (every group gets at least one host
    when there are enough). Some Front End hosts are collocated, as in real estates: of
    every ten, the second is consolidated (also the A/V Conferencing, Web Conferencing and
    Web Components roles: 4 components) and the third holds those and the Archiving and
    Monitoring roles too (6 components). An estate with three Front End hosts or more
    (15 hosts or more) holds both kinds; the first Front End is never collocated.

    Returns ``{group: [(host, host_vars), ...]}``; a collocated host appears in several
    groups.
    """
    if hosts < 1:
        raise ValueError(f"hosts must be at least 1, got {hosts}")
    counts = _group_counts(hosts)
    estate: dict[str, list[tuple[str, dict[str, Any]]]] = {g: [] for g in counts}
    for g in counts:
        for i in range(1, counts[g] + 1):
            name = f"ocs-{ROLE_PREFIX[g]}-{i:03d}"
            estate[g].append((name, _host_vars(g, i)))
    for extra in CONSOLIDATED:
        estate[extra] = []
    for i, (name, _hv) in enumerate(estate["ocs_front_end"]):
        if i % 10 == CONSOLIDATED_AT:
            extras: tuple[str, ...] = CONSOLIDATED
        elif i % 10 == FULLY_COLLOCATED_AT:
            extras = FULLY_COLLOCATED
        else:
            continue
        for extra in extras:
            estate[extra].append((name, {}))
    return estate


def components_per_host(
    estate: Mapping[str, Sequence[tuple[str, Any]]],
) -> dict[str, int]:
    """How many component groups each host of an estate is in (1 unless collocated)."""
    counts: dict[str, int] = {}
    for members in estate.values():
        for name, _hv in members:
            counts[name] = counts.get(name, 0) + 1
    return counts


def sub_estate(
    estate: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]], hosts: Iterable[str]
) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """The part of an estate that holds only ``hosts`` (in every group they are in)."""
    keep = set(hosts)
    return {g: [(h, hv) for h, hv in members if h in keep] for g, members in estate.items()}


# The scope variables of an estate whose rules are limited to their peers (documentation
# ranges: rule data only).
SCOPED_VARS: dict[str, Any] = {
    "ocs_firewall_scope": "inventory",
    "ocs_firewall_client_networks": ["10.20.0.0/16"],
    "ocs_firewall_gateway_networks": ["203.0.113.0/24"],
    "ocs_firewall_domain_controllers": ["10.10.0.5"],
}


def estate_inventory(
    estate: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
    *,
    scope: str = "any",
) -> dict[str, Any]:
    """An Ansible YAML inventory (``all.children.<group>.hosts``) for an estate.

    ``scope="inventory"``: every rule limited to its peers (``ocs_firewall_scope``), each
    host with an ``ocs_firewall_address`` of its own, and no component's own
    ``remote_addresses``.
    """
    children: dict[str, Any] = {}
    numbers: dict[str, int] = {}
    for group, members in estate.items():
        if not members:
            continue
        hosts: dict[str, Any] = {}
        for name, hv in members:
            values = dict(hv)
            if scope == "inventory":
                values = {k: v for k, v in values.items() if not k.endswith("_remote_addresses")}
                # One address per host, the same in every group the host is in.
                number = numbers.setdefault(name, len(numbers) + 1)
                values["ocs_firewall_address"] = f"10.10.{number // 250}.{number % 250}"
            hosts[name] = values or None
        children[group] = {"hosts": hosts}
    inventory: dict[str, Any] = {"all": {"children": children}}
    if scope == "inventory":
        inventory["all"]["vars"] = dict(SCOPED_VARS)
    return inventory


# What makes a lab host play Windows Server 2003 SP2 (HTTP with NTLM encryption only).
WINDOWS_2003_VARS = {"ocs_lab_os": "5.2", "ocs_lab_transport": "ntlm"}


def on_windows_2003(inventory: dict[str, Any], every: int) -> list[str]:
    """Make every ``every``-th host of an estate inventory that binds no local addresses
    play Windows Server 2003 (the reduced mode: a host whose rules are bound to its
    addresses would have them all refused). Changes ``inventory``; returns those hosts."""
    if every < 1:
        return []
    groups = inventory["all"]["children"]
    binding = {
        host
        for group in groups.values()
        for host, values in (group["hosts"] or {}).items()
        if any(
            k.endswith("_addresses") and not k.endswith("_remote_addresses") for k in values or {}
        )
    }
    seen = [h for g in groups.values() for h in g["hosts"] or {}]
    candidates = [h for h in dict.fromkeys(seen) if h not in binding]
    chosen = set(candidates[every - 1 :: every])
    for group in groups.values():
        for host in group["hosts"] or {}:
            if host in chosen:
                group["hosts"][host] = {**(group["hosts"][host] or {}), **WINDOWS_2003_VARS}
    return [h for h in candidates if h in chosen]


def hosts_of(estate: Mapping[str, Sequence[tuple[str, Any]]]) -> list[str]:
    """Every host of an estate once, in first-seen order."""
    seen: dict[str, None] = {}
    for members in estate.values():
        for name, _hv in members:
            seen[name] = None
    return list(seen)
