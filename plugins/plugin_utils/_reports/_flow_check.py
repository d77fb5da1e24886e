# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: every flow of the port matrix held against its host's rules.
"""Every flow checked: the port matrix's flows into one host, judged on one read of it.

The port matrix (:mod:`._port_matrix`) says which flows an estate needs; each row whose
destination is a host of the inventory is a flow that host's own firewall must let in.
:func:`check` holds each against one read of the host (every rule, the profiles, group
policy) with the rule evaluator, through :func:`._flows.judge`, the verdict
``win_firewall_flow`` gives. A row stands for many packets, so it is judged on samples
(:func:`samples`): each listed port and the first and last port of a range; from one
address, each address of a list, the first and last host address of a network or range,
and, for ``any``, :data:`SAMPLE_ADDRESS`, said to be a sample; in each profile the host is
on. A row is ``blocked`` when one sample is, else ``undecided`` when one is, else
``allowed``; what decided it (``by``: the rules, the profile's default action, the
firewall off, "Block all connections", group policy) comes from those samples.

An allowed flow is also ``wider`` when an allowing rule lets in an address that is neither
a source the matrix gives for that port and transport on any row into the host nor one
of the host's own addresses (the audit's test of a wider rule, :func:`._audit.outside`),
and the host would let that address in too (a block rule may stop it).

A row whose addresses are not set in the inventory (``(set <variable>)``) or whose ports
are not numbers is ``not_checked``, with the reason (the action does the same for every
row of a Windows Server 2003 host: its entries are not rules the evaluator models).

Pure: a read and rows in, result rows out. Each result row carries the matrix row's
fields and ``verdict``, ``kind`` (the verdict with what decided it, the key of
:data:`REMEDIES`), ``by``, ``rules``, ``deciding``, ``profiles``, ``wider``,
``wider_detail``, ``flow``, ``text``, ``detail`` (each way its samples were judged) and
``samples`` (how many).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client import RulesRead
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit, _flows

ALLOWED = _evaluate.ALLOWED
BLOCKED = _evaluate.BLOCKED
UNDECIDED = _evaluate.UNDECIDED
NOT_CHECKED = "not_checked"
VERDICTS: tuple[str, ...] = (ALLOWED, BLOCKED, UNDECIDED, NOT_CHECKED)

# The stand-in for "any address on the Internet": TEST-NET-3 (RFC 5737), which no real
# peer has, so a rule that admits it admits every address.
SAMPLE_ADDRESS = "203.0.113.10"
# The profile a read that names none is judged in, as win_firewall_flow does.
DEFAULT_PROFILE = "domain"

# The fields a row of the matrix must have to be judged.
ROW_FIELDS: tuple[str, ...] = (
    "source",
    "source_address",
    "destination_address",
    "ports",
    "transport",
)

# What to do about each kind of verdict, said once per report.
REMEDIES: dict[str, str] = {
    "blocked_by_rule": (
        "A block rule beats every allow rule in Windows Firewall: remove or disable the "
        "block rule named, or narrow it so that it leaves the flow's sources out."
    ),
    "blocked_by_default": (
        "No enabled allow rule takes the flow, so the profile's default action drops it: "
        "run playbooks/site.yml (ocs.firewall.site) for the host; if its rules are in "
        "place, check the profiles they are made for (ocs_firewall_profiles, "
        "ocs_<component>_profiles) against the profile the host is on, and the "
        "addresses they admit (ocs_firewall_scope and the peers' addresses)."
    ),
    "blocked_by_block_all_inbound": (
        "The profile blocks all inbound connections ('Block all connections'), whatever "
        "the rules say: turn that setting off (or ask whoever set it; group policy's is "
        "the domain administrators')."
    ),
    "allowed_by_firewall_off": (
        "The firewall is off in that profile, so every flow gets in, needed or not: turn "
        "it on once the rules are in place (-e ocs_firewall_enforce=true with "
        "playbooks/site.yml)."
    ),
    "allowed_by_default": (
        "The profile's default inbound action is allow, so every flow gets in, needed or "
        "not: -e ocs_firewall_enforce=true with playbooks/site.yml makes it block what no "
        "rule allows."
    ),
    "undecided_by_rule": (
        "The verdict depends on what a read does not say (named in the detail, such as a "
        "rule's program or a keyword like LocalSubnet): check it on the host, or give "
        "ocs.firewall.win_firewall_flow the program or service to decide it."
    ),
    "undecided_by_group_policy": (
        "Group policy's 'Apply local firewall rules' is No: only the rules group policy "
        "gives count, and a read does not return them. Ask the domain administrators to "
        "apply local rules, or to allow the flow in the group policy object."
    ),
    NOT_CHECKED: (
        "Give the inventory the variable the reason names, so that the matrix knows the "
        "addresses; a Windows Server 2003 host's entries are read by "
        "ocs.firewall.win_firewall_info."
    ),
    "wider": (
        "The rule named lets in addresses the flows do not need: narrow its remote "
        "addresses to the flows' sources (ocs_firewall_scope: inventory does it for the "
        "collection's rules), or disable it where the collection's rules cover the flow "
        "(OCS setup's: ocs_firewall_setup_rules: disable)."
    ),
}


@dataclasses.dataclass(frozen=True)
class Sample:
    """One packet a row stands for: a port of the host, and an address it comes from."""

    port: int
    address: str
    # True when the row's source is any address and ``address`` stands for it.
    sampled: bool = False


# --- the rows ----------------------------------------------------------------------------------


def host_rows(matrix: Mapping[str, Any], host: str, where: str = "matrix") -> list[dict[str, Any]]:
    """The rows of every boundary table of ``matrix`` (the result of ``port_matrix``)
    whose ``destination`` is ``host``, each checked (:func:`checked_rows`)."""
    tables = matrix.get("boundaries") if isinstance(matrix, Mapping) else None
    if not isinstance(tables, list):
        raise InputError(
            f"{where}: has no 'boundaries' list; give the result of ocs.firewall.port_matrix"
        )
    found: list[dict[str, Any]] = []
    for t, table in enumerate(tables):
        rows = table.get("rows") if isinstance(table, Mapping) else None
        if not isinstance(rows, list):
            raise InputError(f"{where}.boundaries[{t}]: has no 'rows' list")
        mine = [
            (i, row)
            for i, row in enumerate(rows)
            if isinstance(row, Mapping) and row.get("destination") == host
        ]
        found += [checked_row(row, f"{where}.boundaries[{t}].rows[{i}]") for i, row in mine]
    return found


def checked_rows(rows: Any, where: str = "flows") -> list[dict[str, Any]]:
    """``rows`` (a list of port matrix rows), each checked (:func:`checked_row`)."""
    if not isinstance(rows, (list, tuple)):
        raise InputError(f"{where}: {rows!r} is not a list of port matrix rows")
    return [checked_row(row, f"{where}[{i}]") for i, row in enumerate(rows)]


def checked_row(row: Any, where: str) -> dict[str, Any]:
    """``row`` as a plain dictionary; one that is not a mapping, or lacks a field of
    :data:`ROW_FIELDS` (or has one that is not text), is an InputError naming ``where``."""
    if not isinstance(row, Mapping):
        raise InputError(f"{where}: {row!r} is not a port matrix row (a mapping)")
    missing = [f for f in ROW_FIELDS if not isinstance(row.get(f), str) or not row.get(f)]
    if missing:
        raise InputError(
            f"{where}: needs {', '.join(missing)} (text), as ocs.firewall.port_matrix gives "
            f"them; got {dict(row)!r}"
        )
    return dict(row)


# --- the samples -------------------------------------------------------------------------------


def _unset(text: str) -> bool:
    return text.startswith("(set ")


def _port_token(token: str) -> tuple[int, int] | None:
    """``(low, high)`` of a matrix row's port ``N`` or range ``N-M`` (None: neither)."""
    match = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", token)
    return None if match is None else (int(match[1]), int(match[2] or match[1]))


def _ports(text: str) -> list[int] | None:
    """Each listed port, and the first and last of a range (None: not port numbers)."""
    found: list[int] = []
    for token in text.split(","):
        bounds = _port_token(token)
        if bounds is None:
            return None
        low, high = bounds
        if not 1 <= low <= high <= 65535:
            return None
        found += [low, high] if high != low else [low]
    return list(dict.fromkeys(found))


def _first_and_last(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """The first and last host address of a network (both ends of a /31 or /127)."""
    if network.num_addresses <= 2:
        ends = [network.network_address, network.broadcast_address]
    elif network.version == 4:
        ends = [network.network_address + 1, network.broadcast_address - 1]
    else:
        # IPv6 has no broadcast address; the network's first is the subnet routers'.
        ends = [network.network_address + 1, network.broadcast_address]
    return list(dict.fromkeys(a.compressed for a in ends))


def _addresses(text: str) -> tuple[list[str], bool] | None:
    """The source addresses to judge and whether they are a sample of any address
    (None: not addresses)."""
    try:
        tokens = canonical_addresses(text, "source_address", keywords=False)
    except InputError:
        return None
    if not tokens:
        return [SAMPLE_ADDRESS], True
    found: list[str] = []
    for token in tokens:
        if "-" in token:
            found += [part.strip() for part in token.split("-", 1)]
        elif "/" in token:
            found += _first_and_last(ipaddress.ip_network(token, strict=False))
        else:
            found.append(token)
    return list(dict.fromkeys(found)), False


def samples(row: Mapping[str, Any]) -> tuple[list[Sample], str]:
    """The samples a row is judged on, or none and why it cannot be judged."""
    source, destination = row["source_address"].strip(), row["destination_address"].strip()
    if _unset(source):
        return [], f"the source's addresses are not set in the inventory: {source}"
    if _unset(destination):
        return [], f"the host's address for this flow is not set in the inventory: {destination}"
    try:
        ipaddress.ip_address(destination)
    except ValueError:
        return [], f"the destination address {destination!r} is not one IP address"
    if row["transport"].strip().lower() not in ("tcp", "udp"):
        return [], f"the transport {row['transport']!r} is not TCP or UDP"
    ports = _ports(row["ports"])
    if ports is None:
        return [], f"the ports {row['ports']!r} are not port numbers"
    addresses = _addresses(source)
    if addresses is None:
        return [], f"the source address {source!r} is not addresses"
    found, sampled = addresses
    return [Sample(port, address, sampled) for port in ports for address in found], ""


# --- wider than the matrix ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Needed:
    """What one row of the matrix says the host takes: which transport and port ranges,
    from which sources (None: any address; ``known`` False: the row's sources are not set
    in the inventory, or not addresses)."""

    transport: str
    ranges: tuple[tuple[int, int], ...]
    sources: tuple[str, ...] | None
    known: bool


def _needed(row: Mapping[str, Any]) -> _Needed:
    ranges = []
    for token in str(row["ports"]).split(","):
        bounds = _port_token(token)
        if bounds is not None:
            ranges.append(bounds)
    source = str(row["source_address"]).strip()
    sources: tuple[str, ...] | None = None
    known = not _unset(source)
    if known:
        try:
            sources = canonical_addresses(source, "source_address", keywords=False) or None
        except InputError:
            known = False
    return _Needed(str(row["transport"]).strip().lower(), tuple(ranges), sources, known)


def _own(rows: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The host's own addresses, as the rows give them: traffic from one of them to the
    host does not cross its firewall (Windows does not filter loopback traffic)."""
    found = []
    for row in rows:
        try:
            found.append(ipaddress.ip_address(str(row["destination_address"]).strip()).compressed)
        except ValueError:
            continue
    return tuple(dict.fromkeys(found))


def _sources(
    needed: Sequence[_Needed], own: tuple[str, ...], transport: str, port: int
) -> tuple[str, ...] | None:
    """Every source the matrix gives for ``port``/``transport`` on the host, and the host's
    own addresses; None when there is nothing to be wider than (a row takes any address)
    or what is needed is not known (a row's sources are not set)."""
    tokens: list[str] = []
    for n in needed:
        if n.transport != transport or not any(low <= port <= high for low, high in n.ranges):
            continue
        if not n.known or n.sources is None:
            return None
        tokens += n.sources
    return tuple(dict.fromkeys([*tokens, *own])) if tokens else None


def _wider(
    read: RulesRead,
    flow: _evaluate.Flow,
    sources: tuple[str, ...],
    profiles: Mapping[str, _evaluate.ProfileState],
) -> str:
    """Why an allowed ``flow`` is allowed more widely than ``sources`` (or "")."""
    verdict = _evaluate.evaluate(read.rules, profiles, flow)
    for host_rule in verdict.rules:
        outside = _audit.outside(host_rule.rule.remote_addresses, sources)
        if outside is None:
            continue
        try:
            ipaddress.ip_address(outside)
        except ValueError:
            # A keyword (LocalSubnet...): the host's own networks, not in a read.
            admitted = True
        else:
            witness = dataclasses.replace(flow, remote_address=outside)
            admitted = _flows.judge(read, witness)["verdict"] == ALLOWED
        if admitted:
            return (
                f"{_rule_text(host_rule.rule.name, host_rule.group)} also lets in {outside}, "
                f"from which no flow of the matrix comes to the host on "
                f"{flow.local_port}/{_protocol(flow)}"
            )
    return ""


# --- the verdicts ------------------------------------------------------------------------------


def _protocol(flow: _evaluate.Flow) -> str:
    return "tcp" if flow.protocol == 6 else "udp"


def _rule_text(name: str, group: str) -> str:
    return f"{name!r} (group {group!r})" if group else repr(name)


def current_profiles(read: RulesRead) -> list[str]:
    """The profiles the host is on, as its read gives them (else :data:`DEFAULT_PROFILE`)."""
    return read.policy.current() or [DEFAULT_PROFILE]


def check(
    read: RulesRead, rows: Sequence[Mapping[str, Any]], profiles: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """A result row per row of ``rows`` (the host's flows, as :func:`checked_rows` gives
    them), judged on ``read`` in ``profiles`` (default: those the host is on)."""
    judged_in = list(profiles or current_profiles(read))
    states = _flows.profile_states(read.profiles, read.policy)
    needed = [_needed(row) for row in rows]
    own = _own(rows)
    results = []
    for row in rows:
        found, why = samples(row)
        if not found:
            results.append(not_checked(row, why))
            continue
        transport = row["transport"].strip().lower()
        destination = row["destination_address"].strip()
        checks = []
        wider = ""
        for profile in judged_in:
            for sample in found:
                flow = _evaluate.flow(
                    {
                        "protocol": transport,
                        "local_port": sample.port,
                        "remote_address": sample.address,
                        "local_address": destination,
                        "profile": profile,
                    }
                )
                judged = _flows.judge(read, flow)
                judged["sampled"] = sample.sampled
                checks.append(judged)
                if wider or judged["verdict"] != ALLOWED or judged["by"] != _evaluate.BY_RULE:
                    continue
                sources = _sources(needed, own, transport, sample.port)
                if sources is not None:
                    wider = _wider(read, flow, sources, states)
        results.append(_result(row, checks, judged_in, wider))
    return results


def not_checked(row: Mapping[str, Any], why: str) -> dict[str, Any]:
    """The result row of a flow that was not judged, and why."""
    flow = flow_text(row)
    return {
        **row,
        "verdict": NOT_CHECKED,
        "kind": NOT_CHECKED,
        "by": "",
        "rules": [],
        "deciding": "",
        "profiles": [],
        "wider": False,
        "wider_detail": "",
        "flow": flow,
        "text": f"{flow}: not checked: {why}",
        "detail": why,
        "samples": 0,
    }


def flow_text(row: Mapping[str, Any]) -> str:
    """``5060-5061/TCP from fe02.ocs.example (10.10.0.12) to 10.10.0.11``."""
    return (
        f"{row['ports']}/{row['transport'].upper()} from {row['source']} "
        f"({row['source_address']}) to {row['destination_address']}"
    )


_BY_ORDER = (
    _evaluate.BY_FIREWALL_OFF,
    _evaluate.BY_BLOCK_ALL_INBOUND,
    _flows.BY_GROUP_POLICY,
    _evaluate.BY_RULE,
    _evaluate.BY_DEFAULT,
)


def _rank(verdict: str) -> int:
    return (BLOCKED, UNDECIDED, ALLOWED).index(verdict)


def _result(
    row: Mapping[str, Any], checks: list[dict[str, Any]], profiles: list[str], wider: str
) -> dict[str, Any]:
    verdict = min((c["verdict"] for c in checks), key=_rank)
    if verdict != ALLOWED:
        wider = ""
    deciding = [c for c in checks if c["verdict"] == verdict]
    # What decided, when the samples of the verdict differ: the profile's state before
    # group policy before the rules before the default (the detail has every way).
    by = min((c["by"] for c in deciding), key=_BY_ORDER.index)
    first = [c for c in deciding if c["by"] == by]
    rules = list({(r["name"], r["group"]): r for c in first for r in c["rules"]}.values())
    profile = first[0]["flow"]["profile"]
    names = ", ".join(_rule_text(r["name"], r["group"]) for r in rules)
    # (what decided, in a word; the verdict with it, in a sentence)
    said = {
        _evaluate.BY_RULE: (names, f"{verdict} by {names}"),
        _evaluate.BY_DEFAULT: (
            f"the {profile} profile's default action",
            f"{verdict} by the {profile} profile's default action (no rule matches)",
        ),
        _evaluate.BY_FIREWALL_OFF: (
            f"the firewall is off in the {profile} profile",
            f"allowed: the firewall is off in the {profile} profile",
        ),
        _evaluate.BY_BLOCK_ALL_INBOUND: (
            f"'Block all connections' in the {profile} profile",
            f"blocked: the {profile} profile blocks all inbound connections",
        ),
        _flows.BY_GROUP_POLICY: ("group policy", ""),
    }
    deciding_text, outcome = said[by]
    flow = flow_text(row)
    if verdict == UNDECIDED:
        depends = list(dict.fromkeys(d for c in first for d in c["depends"]))
        outcome = f"undecided: depends on {'; '.join(depends)}"
        if names:
            outcome += f" ({names})"
    if len(first) < len(checks):
        # Some samples went another way (the detail has them): say which decided.
        outcome += f" for {_label(first, row['transport'])}"
    if wider:
        outcome += f"; allowed more widely than needed: {wider}"
    return {
        **row,
        "verdict": verdict,
        "kind": f"{verdict}_by_{by}",
        "by": by,
        "rules": [{"name": r["name"], "group": r["group"]} for r in rules],
        "deciding": deciding_text,
        "profiles": profiles,
        "wider": bool(wider),
        "wider_detail": wider,
        "flow": flow,
        "text": f"{flow}: {outcome}",
        "detail": "; ".join(_ways(checks, row["transport"])),
        "samples": len(checks),
    }


def _ways(checks: Sequence[Mapping[str, Any]], transport: str) -> list[str]:
    """Each way the samples were judged, with the samples judged so: the row's verdict
    first (``5060,5061/tcp from 10.10.0.12 (domain profile): allowed by 'X'``)."""
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for c in sorted(checks, key=lambda c: _rank(c["verdict"])):
        how = c["text"].split(": ", 1)[1]
        groups.setdefault((c["verdict"], c["flow"]["profile"], how), []).append(c)
    return [f"{_label(taken, transport)}: {how}" for (_v, _p, how), taken in groups.items()]


def _label(checks: Sequence[Mapping[str, Any]], transport: str) -> str:
    """``5060,5061/tcp from 10.10.0.12 and 10.10.0.13 (domain profile)``."""
    profiles = list(dict.fromkeys(c["flow"]["profile"] for c in checks))
    ports = ",".join(dict.fromkeys(str(c["flow"]["local_port"]) for c in checks))
    addresses = " and ".join(
        dict.fromkeys(
            c["flow"]["remote_address"] + (" (a sample of any address)" if c["sampled"] else "")
            for c in checks
        )
    )
    profile = " and ".join(profiles) + (" profiles" if len(profiles) > 1 else " profile")
    return f"{ports}/{transport.lower()} from {addresses} ({profile})"


# --- a host's summary --------------------------------------------------------------------------


def counts(results: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many flows of each verdict (every verdict, 0 included), and how many are
    allowed more widely than needed."""
    listed = list(results)
    found = {v: sum(1 for r in listed if r["verdict"] == v) for v in VERDICTS}
    found["wider"] = sum(1 for r in listed if r["wider"])
    return found


def remedies(results: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """What to do about each kind found among ``results`` (allowed by a rule needs
    nothing), each once."""
    kinds: dict[str, None] = {}
    for r in results:
        if r["kind"] in REMEDIES:
            kinds[r["kind"]] = None
        if r["wider"]:
            kinds["wider"] = None
    return {k: REMEDIES[k] for k in REMEDIES if k in kinds}


def message(host: str, results: Sequence[Mapping[str, Any]]) -> str:
    """``fe01: 40 flow(s): 39 allowed (2 more widely than needed), 1 blocked``."""
    found = counts(results)
    parts = []
    for verdict in VERDICTS:
        if found[verdict]:
            text = f"{found[verdict]} {verdict.replace('_', ' ')}"
            if verdict == ALLOWED and found["wider"]:
                text += f" ({found['wider']} more widely than needed)"
            parts.append(text)
    return f"{host}: {len(results)} flow(s): {', '.join(parts) or 'none ends on this host'}"
