# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the reduced mode for Windows Server 2003 hosts.
"""A host's catalogue rules as Windows Server 2003's firewall can hold them.

Windows Server 2003 (SP1 and later) has no rules and no groups: each of its two profiles
(0 Domain, 1 Standard) keeps ``GloballyOpenPorts``, entries that open one TCP or UDP port,
keyed by (port, protocol), with a name, an enabled flag and a remote scope (any, the local
subnet, or IPv4 addresses and networks). So each rule the catalogue gives a component on a
2003 host gets a verdict:

- ``applied``: an entry per port and protocol in each profile the rule's profiles map to
  (domain -> Domain, private and public -> Standard); ranges of at most
  :data:`_MAX_EXPANDED_PORTS` ports are expanded into one entry per port;
- ``not_applicable``: an outbound rule (or the outbound half of an entry for both
  directions), since 2003 filters nothing outbound;
- ``refused``: what an entry cannot express without opening more than asked (block rules,
  local addresses, remote ports, protocols other than TCP and UDP, IPv6, the address
  keywords other than LocalSubnet, more ports than :data:`_MAX_EXPANDED_PORTS`); each says
  why and what to do instead.

The components a host holds share entries: one entry per (profile, port, protocol), whose
remote scope is the union of the scopes of every rule it serves, named after every
component it serves, in catalogue order (``[ocs.firewall] Monitoring, Archiving -
135/TCP``; earlier releases wrote ``: 135/TCP``, names still the collection's, renamed by
the next run). The name prefix is the ownership mark: an entry without it is never
overwritten or closed; one on a key the collection wants is a *conflict*, reported, and
taken over only when the key is listed in ``ocs_firewall_legacy_adopt``. An entry of ours
that no rule wants any more is closed (decommission), so an entry two components share
stays while either needs it. Without decommissioning (``remove_unassigned`` false), what
an entry serves for components the host no longer holds stays: their labels and scope.

Pure: a host request and one read in, a :class:`EntryPlan` out.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _removals,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import Settings, shown
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
    canonical_ports,
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ADDRESS_KEYWORDS,
    ANY,
    DYNAMIC_RPC_PORTS,
    LEGACY_DYNAMIC_RPC_PORTS,
    LEGACY_PROFILE_NAMES,
    LEGACY_PROFILE_OF,
    LOCAL_SUBNET,
    PORT_PROTOCOL_NUMBERS,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports._task_result import (
    APPLIED,
    NOT_APPLICABLE,
    REFUSED,
    VERDICTS,
)

# A range of at most this many ports becomes one entry per port; a larger one is refused
# (49152-65535 would be 16,384 entries per protocol per profile).
_MAX_EXPANDED_PORTS = 64
ADOPT_VARIABLE = _variables.LEGACY_ADOPT
RPC_PORTS_VARIABLE = _variables.LEGACY_RPC_PORTS
VARIABLES: tuple[str, ...] = (ADOPT_VARIABLE, RPC_PORTS_VARIABLE)
# The lowest port RPC's dynamic range may start at (HKLM\SOFTWARE\Microsoft\Rpc\Internet).
_RPC_LOWEST = 1025
_TRANSPORT_NAMES = {number: name.upper() for name, number in PORT_PROTOCOL_NUMBERS.items()}
_MOVE = "or run the component on Windows Server 2008 or later, whose rules express it"

Key = tuple[int, int, int]  # (profile, port, protocol), as the host keys its entries
# A port number as a user writes one: ASCII digits only (int() also takes "²" and "٥").
_PORT_NUMBER = re.compile(r"^[0-9]{1,5}$")


def key_text(key: Key) -> str:
    """``Domain 5061/TCP``."""
    profile, port, protocol = key
    return f"{LEGACY_PROFILE_NAMES.get(profile, str(profile))} {port}/{transport(protocol)}"


def transport(protocol: int) -> str:
    return _TRANSPORT_NAMES.get(protocol, str(protocol))


# --- options -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Options:
    """The host's reduced-mode variables, checked."""

    # (port, protocol) pairs whose foreign entries the collection may take over.
    adopt: frozenset[tuple[int, int]] = frozenset()
    # The ports the host's dynamic RPC range is restricted to (None: 2003's default).
    rpc_ports: tuple[str, ...] | None = None


def check_options(values: Mapping[str, Any]) -> tuple[Options | None, list[str]]:
    """:class:`Options` from the host's variables (those defined), or the problems."""
    problems: list[str] = []
    adopt: set[tuple[int, int]] = set()
    raw = values.get(ADOPT_VARIABLE)
    if raw is not None:
        items = raw if isinstance(raw, (list, tuple)) else None
        if items is None:
            problems.append(
                f"{ADOPT_VARIABLE}: {shown(raw)} is not a list of ports such as ['5061/tcp']"
            )
        for item in items or ():
            found = _adopt_item(item)
            if found is None:
                problems.append(
                    f"{ADOPT_VARIABLE}: {shown(item)} is not a port and protocol such as "
                    "'5061/tcp' (a port 1-65535, then /tcp or /udp)"
                )
            else:
                adopt.add(found)
    rpc: tuple[str, ...] | None = None
    raw = values.get(RPC_PORTS_VARIABLE)
    if raw is not None:
        try:
            rpc = canonical_ports(raw, RPC_PORTS_VARIABLE)
        except InputError as exc:
            problems.append(str(exc))
        else:
            count = _port_count(rpc)
            if not rpc or count > _MAX_EXPANDED_PORTS or _lowest(rpc) < _RPC_LOWEST:
                problems.append(
                    f"{RPC_PORTS_VARIABLE}: {shown(raw)} must be ports from {_RPC_LOWEST} up, "
                    f"at most {_MAX_EXPANDED_PORTS} of them (the range the hosts' RPC is "
                    "restricted to), not "
                    + (f"{count} port(s)" if rpc and count > _MAX_EXPANDED_PORTS else "this")
                )
    if problems:
        return None, problems
    return Options(frozenset(adopt), rpc), []


def _adopt_item(item: Any) -> tuple[int, int] | None:
    if not isinstance(item, str) or item.count("/") != 1:
        return None
    port, name = (part.strip() for part in item.split("/"))
    number = PORT_PROTOCOL_NUMBERS.get(name.lower())
    if number is None or not _PORT_NUMBER.match(port) or not 1 <= int(port) <= 65535:
        return None
    return int(port), number


def _lowest(ports: Sequence[str]) -> int:
    return min(bounds[0] for bounds in map(port_bounds, ports) if bounds is not None)


def _port_count(ports: Sequence[str]) -> int:
    """How many ports canonical ``ports`` name (a keyword counts as none)."""
    return sum(high - low + 1 for low, high in filter(None, map(port_bounds, ports)))


def _expand(ports: Sequence[str]) -> list[int]:
    return [p for low, high in filter(None, map(port_bounds, ports)) for p in range(low, high + 1)]


# --- remote addresses ------------------------------------------------------------------------


Networks = frozenset[ipaddress.IPv4Network]


@dataclasses.dataclass(frozen=True)
class EntryScope:
    """A remote scope 2003 can store: any, or the local subnet and/or IPv4 networks.

    Build one with :func:`_scope_from`, which keeps the networks collapsed (overlapping and
    adjacent ones merged), so two scopes of the same addresses are equal however they
    were written: ``10.0.0.0/25`` with ``10.0.0.128/25`` is ``10.0.0.0/24``.
    """

    any: bool = False
    local_subnet: bool = False
    networks: Networks = frozenset()

    def union(self, other: EntryScope) -> EntryScope:
        if self.any or other.any:
            return EntryScope(any=True)
        return _scope_from(self.local_subnet or other.local_subnet, self.networks | other.networks)

    def text(self) -> str:
        """RemoteAddresses as the host stores it (``*``, ``LocalSubnet``, ``a/m.m.m.m``)."""
        if self.any:
            return ANY
        words = [LOCAL_SUBNET] if self.local_subnet else []
        words += [f"{n.network_address}/{n.netmask}" for n in sorted(self.networks)]
        return ",".join(words)


def _scope_from(local_subnet: bool, networks: Iterable[ipaddress.IPv4Network]) -> EntryScope:
    return EntryScope(
        local_subnet=local_subnet, networks=frozenset(ipaddress.collapse_addresses(networks))
    )


def scope_of(addresses: Sequence[str]) -> EntryScope | str:
    """The scope of a rule's canonical remote addresses, or why 2003 cannot hold it."""
    if not addresses:
        return EntryScope(any=True)
    networks: set[ipaddress.IPv4Network] = set()
    local_subnet = False
    for token in addresses:
        keyword = ADDRESS_KEYWORDS.get(token.lower())
        if keyword == LOCAL_SUBNET:
            local_subnet = True
            continue
        if keyword is not None:
            return f"the remote address keyword {keyword}"
        try:
            if "-" in token:
                low, high = (ipaddress.ip_address(t) for t in token.split("-", 1))
                found = list(ipaddress.summarize_address_range(low, high))
            else:
                found = [ipaddress.ip_network(token, strict=False)]
        except (ValueError, TypeError):
            return f"the remote address {token!r}"
        for network in found:
            if not isinstance(network, ipaddress.IPv4Network):
                return f"the IPv6 remote address {token}"
            networks.add(network)
    return _scope_from(local_subnet, networks)


def stored_scope(text: str) -> EntryScope | None:
    """The scope of a host entry's RemoteAddresses (None: a value we cannot read)."""
    if text.strip() in ("", ANY):
        return EntryScope(any=True)
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    found = scope_of(tokens)
    return found if isinstance(found, EntryScope) else None


# --- verdicts ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the reduced mode does with one catalogue rule of one component."""

    component: str
    rule: Rule
    verdict: str
    why: str = ""
    alternative: str = ""
    keys: tuple[Key, ...] = ()
    scope: EntryScope | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "rule": self.rule.name,
            "entry": _ownership.entry_of(self.rule.description),
            "verdict": self.verdict,
            "why": self.why,
            "alternative": self.alternative,
            "entries": [key_text(k) for k in self.keys],
        }


def _entry_of(rule: Rule, entries: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    return entries.get(_ownership.entry_of(rule.description) or "", {})


def _is_dynamic_rpc(rule: Rule, entry: Mapping[str, Any]) -> bool:
    """A rule for the dynamic RPC range of Windows Server 2008 (49152-65535, KB929851)."""
    return "RPC" in str(entry.get("protocol") or "") and rule.local_ports == (DYNAMIC_RPC_PORTS,)


def verdict_of(
    component: str, rule: Rule, entry: Mapping[str, Any], options: Options = Options()
) -> Verdict:
    """The verdict on one rule (``entry``: its catalogue entry, {} for none)."""

    def refused(why: str, alternative: str) -> Verdict:
        return Verdict(component, rule, REFUSED, why, alternative)

    if rule.direction == "out":
        half = " (the outbound half of an entry for both directions)"
        return Verdict(
            component,
            rule,
            NOT_APPLICABLE,
            "Windows Server 2003's firewall filters inbound traffic only, so an outbound "
            "rule has nothing to open" + (half if entry.get("direction") == "both" else ""),
        )
    if rule.action == "block":
        return refused(
            "Windows Server 2003's firewall has no block entries: an entry can only open a port",
            "inbound traffic no entry opens is blocked already; leave the port without an "
            f"entry, {_MOVE}",
        )
    if rule.protocol not in PORT_PROTOCOL_NUMBERS:
        return refused(
            f"an entry opens a TCP or UDP port, and the rule's protocol is {rule.protocol}",
            f"write a rule per TCP or UDP port, {_MOVE}",
        )
    if rule.local_addresses:
        return refused(
            "an entry opens its port on every interface of the host and cannot be bound to "
            f"the local addresses {', '.join(rule.local_addresses)}",
            "leave the component's local address settings empty on this host to open the "
            f"port on every interface (wider than asked), {_MOVE}",
        )
    if rule.remote_ports:
        return refused(
            "an entry cannot limit the remote ports",
            f"leave the rule's remote ports as any, {_MOVE}",
        )
    scope = scope_of(rule.remote_addresses)
    if isinstance(scope, str):
        return refused(
            f"an entry's scope is any, the local subnet or IPv4 addresses and networks, "
            f"not {scope}",
            "list the peers' IPv4 addresses or networks instead (the component's "
            "remote_addresses, or the inventory's scope)",
        )
    ports = rule.local_ports
    rpc = _is_dynamic_rpc(rule, entry)
    if rpc:
        ports = options.rpc_ports or (LEGACY_DYNAMIC_RPC_PORTS,)
    if not ports or any(port_bounds(p) is None for p in ports):
        return refused(
            f"an entry opens one port, not {', '.join(ports) or 'every port'}",
            "an AuthorizedApplications entry for the program that listens (added by hand: "
            f"the catalogue does not record programs' paths), {_MOVE}",
        )
    count = _port_count(ports)
    if count > _MAX_EXPANDED_PORTS:
        why = (
            f"{', '.join(ports)} is {count} ports, more than the {_MAX_EXPANDED_PORTS} the "
            "reduced mode opens as one entry per port"
        )
        alternative = (
            "an AuthorizedApplications entry for the program that listens on them (added by "
            "hand: the catalogue does not record programs' paths), or a narrower range"
        )
        if rpc:
            why = (
                f"Windows Server 2003 hands out dynamic RPC ports from "
                f"{LEGACY_DYNAMIC_RPC_PORTS} (KB929851), where 2008 uses {DYNAMIC_RPC_PORTS}; "
                + why
            )
            alternative = (
                "restrict the host's dynamic RPC ports to a small range "
                "(HKLM\\SOFTWARE\\Microsoft\\Rpc\\Internet, KB154596) and set "
                f"{RPC_PORTS_VARIABLE} to it, or " + alternative
            )
        return refused(why, alternative)
    number = PORT_PROTOCOL_NUMBERS[rule.protocol]
    profiles = sorted({LEGACY_PROFILE_OF[p] for p in rule.profiles})
    keys = tuple((profile, port, number) for profile in profiles for port in _expand(ports))
    return Verdict(component, rule, APPLIED, keys=keys, scope=scope)


def verdicts(
    settings: Iterable[Settings], remotes: Mapping[str, Any], options: Options = Options()
) -> list[Verdict]:
    """The verdict on every catalogue rule of every component the host holds.

    Outbound rules are judged whatever ``include_outbound`` says, so the verdicts show
    every direction of every entry; a component whose state is absent has none.
    """
    found: list[Verdict] = []
    for s in settings:
        key = s.component.key
        entries = {e["id"]: e for e in _catalogue.server_entries(key, s.as_published)}
        judged = dataclasses.replace(s, include_outbound=True)
        for rule in _component_rules.component_rules(judged, remotes.get(key)):
            found.append(verdict_of(key, rule, _entry_of(rule, entries), options))
    return found


# --- entries and the plan ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WantedEntry:
    """An entry the host should have: what every applied rule on its key asks for."""

    key: Key
    name: str
    scope: EntryScope
    enabled: bool
    components: tuple[str, ...]
    rules: tuple[str, ...]

    def open(self, adopt: bool = False) -> _wire.Open:
        profile, port, protocol = self.key
        remote = self.scope.text()
        return _wire.Open(profile, port, protocol, self.name, remote, self.enabled, adopt)

    def to_dict(self) -> dict[str, Any]:
        profile, port, protocol = self.key
        return {
            "profile": LEGACY_PROFILE_NAMES[profile],
            "port": port,
            "protocol": transport(protocol).lower(),
            "name": self.name,
            "remote_addresses": self.scope.text(),
            "enabled": self.enabled,
            "components": list(self.components),
            "rules": list(self.rules),
        }


def entry_dict(held: _wire.OpenPort) -> dict[str, Any]:
    """A host entry as results show it."""
    return {
        "profile": LEGACY_PROFILE_NAMES.get(held.profile, str(held.profile)),
        "port": held.port,
        "protocol": transport(held.protocol).lower(),
        "name": held.name,
        "remote_addresses": held.remote_addresses,
        "enabled": held.enabled,
        "builtin": held.builtin,
        "owned": is_ours(held),
    }


def labels() -> tuple[str, ...]:
    """Every server component's label: what an entry name of ours may carry."""
    return tuple(c.label for c in _catalogue.server_components().values())


def pattern() -> str:
    """The name of an entry of ours, for the host to check too (the apply's MARKER)."""
    return _ownership.legacy_pattern(labels())


def is_ours(held: _wire.OpenPort) -> bool:
    """The prefix, then labels that are all components', then the key: an entry that has
    the prefix but names no component (``[ocs.firewall] Admin - 9999/TCP``) is not ours."""
    return _ownership.is_owned_entry(held.name, labels())


def _is_marked_not_ours(held: _wire.OpenPort) -> bool:
    """An entry with the prefix of ours that is not ours (a name copied, or made by
    hand): the collection reports it and never opens, closes or renames it."""
    return not held.builtin and _ownership.is_owned_entry(held.name) and not is_ours(held)


def _entry_name(labels: Sequence[str], key: Key) -> str:
    """``[ocs.firewall] Monitoring, Archiving - 135/TCP`` (``labels`` in catalogue order)."""
    _profile, port, protocol = key
    return (
        f"{_ownership.LEGACY_PREFIX}{', '.join(labels)}{_ownership.LEGACY_SEPARATOR}"
        f"{port}/{transport(protocol)}"
    )


# The key at the end of an entry name of ours, after either separator.
_NAMED_KEY = re.compile(
    f"(?:{re.escape(_ownership.LEGACY_SEPARATOR)}|{re.escape(_ownership.OLD_LEGACY_SEPARATOR)})"
    r"[0-9]+/(?:TCP|UDP)\Z"
)


def _labels_of(name: str) -> set[str]:
    """The component labels an entry name of ours carries (old names too)."""
    body = _NAMED_KEY.sub("", name[len(_ownership.LEGACY_PREFIX) :])
    return {label.strip() for label in body.split(",") if label.strip()}


@dataclasses.dataclass(frozen=True)
class Conflict:
    """A key the collection wants, held by an entry it did not make (left as it is)."""

    held: _wire.OpenPort
    wanted: WantedEntry

    def message(self) -> str:
        port, protocol = self.held.port, transport(self.held.protocol)
        if self.held.builtin:
            remedy = "it is built in, so the collection never takes it over"
        else:
            remedy = (
                f"to take it over, add '{port}/{protocol.lower()}' to {ADOPT_VARIABLE} (it is "
                "then the collection's: renamed, scoped and, once no component needs it, closed)"
            )
        return (
            f"{key_text(self.held.key)}: entry {self.held.name!r}, not made by the collection, "
            f"holds the port the collection would open as {self.wanted.name!r} (remote "
            f"{self.wanted.scope.text()}); it is left as it is "
            f"(remote {self.held.remote_addresses}, "
            f"{'enabled' if self.held.enabled else 'disabled'}); {remedy}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**entry_dict(self.held), "wanted": self.wanted.name, "msg": self.message()}


@dataclasses.dataclass(frozen=True)
class EntryPlan:
    """What changes on a 2003 host; ``opens`` and ``closes`` are its apply request."""

    verdicts: tuple[Verdict, ...]
    wanted: tuple[WantedEntry, ...]
    opens: tuple[_wire.Open, ...]
    closes: tuple[_wire.Close, ...]
    added: tuple[WantedEntry, ...]
    updated: tuple[tuple[_wire.OpenPort, WantedEntry], ...]
    adopted: tuple[tuple[_wire.OpenPort, WantedEntry], ...]
    removed: tuple[_wire.OpenPort, ...]
    conflicts: tuple[Conflict, ...]
    # Entries of ours for components the host no longer holds, left (no decommission).
    kept: tuple[_wire.OpenPort, ...]
    # Entries named like ours that are not (no component's label): reported, left.
    marked: tuple[_wire.OpenPort, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.opens or self.closes)

    def counts(self) -> dict[str, int]:
        found = [v.verdict for v in self.verdicts]
        return {verdict: found.count(verdict) for verdict in VERDICTS}


def wanted_entries(found: Iterable[Verdict], labels: Mapping[str, str]) -> list[WantedEntry]:
    """One entry per key the applied verdicts open, for every component and rule on it.

    Its scope is the union of the rules' scopes; it is enabled when one of them is.
    """
    order = list(labels)
    on_key: dict[Key, list[Verdict]] = {}
    for v in found:
        if v.verdict == APPLIED:
            for key in v.keys:
                on_key.setdefault(key, []).append(v)
    entries = []
    for key in sorted(on_key):
        served = on_key[key]
        components = sorted({v.component for v in served}, key=order.index)
        # An enabled entry opens to the enabled rules' scopes only.
        scoped = [v for v in served if v.rule.enabled] or served
        scope = scoped[0].scope or EntryScope(any=True)
        for v in scoped[1:]:
            scope = scope.union(v.scope or EntryScope(any=True))
        entries.append(
            WantedEntry(
                key,
                _entry_name([labels[c] for c in components], key),
                scope,
                any(v.rule.enabled for v in served),
                tuple(components),
                tuple(v.rule.name for v in served),
            )
        )
    return entries


def _keeping(
    entry: WantedEntry,
    current: _wire.OpenPort | None,
    held_labels: set[str],
    labels: Mapping[str, str],
) -> WantedEntry:
    """``entry``, also serving what the host's entry of ours on its key serves for
    components the host no longer holds (decommissioning off): their labels stay in the
    name and the entry's scope keeps the host entry's (the parts cannot be told apart)."""
    if current is None or not is_ours(current) or current.builtin:
        return entry
    others = _labels_of(current.name) - held_labels
    stored = stored_scope(current.remote_addresses)
    if not others or stored is None:
        return entry
    keys = {label: key for key, label in labels.items()}
    order = list(labels.values())
    shown = sorted(
        {labels[c] for c in entry.components} | others,
        key=lambda label: (order.index(label) if label in order else len(order), label),
    )
    return dataclasses.replace(
        entry,
        name=_entry_name(shown, entry.key),
        scope=entry.scope.union(stored),
        components=(*entry.components, *(keys[label] for label in others if label in keys)),
    )


def _same(held: _wire.OpenPort, entry: WantedEntry) -> bool:
    return (
        held.name == entry.name
        and held.enabled == entry.enabled
        and stored_scope(held.remote_addresses) == entry.scope
    )


def plan_entries(
    settings: Sequence[Settings],
    remotes: Mapping[str, Any],
    on_host: Sequence[_wire.OpenPort],
    *,
    options: Options = Options(),
    remove_unassigned: bool = True,
) -> EntryPlan:
    """The plan of a 2003 host from its settings and its entries (one read)."""
    found = verdicts(settings, remotes, options)
    labels = {c.key: c.label for c in _catalogue.server_components().values()}
    held = {e.key: e for e in on_host}
    held_labels = {s.component.label for s in settings}
    wanted = wanted_entries(found, labels)
    if not remove_unassigned:
        wanted = [_keeping(e, held.get(e.key), held_labels, labels) for e in wanted]
    opens: list[_wire.Open] = []
    added: list[WantedEntry] = []
    updated: list[tuple[_wire.OpenPort, WantedEntry]] = []
    adopted: list[tuple[_wire.OpenPort, WantedEntry]] = []
    conflicts: list[Conflict] = []
    for entry in wanted:
        current = held.get(entry.key)
        if current is None:
            opens.append(entry.open())
            added.append(entry)
        elif is_ours(current) and not current.builtin:
            if not _same(current, entry):
                opens.append(entry.open())
                updated.append((current, entry))
        elif not current.builtin and (current.port, current.protocol) in options.adopt:
            opens.append(entry.open(adopt=True))
            adopted.append((current, entry))
        else:
            conflicts.append(Conflict(current, entry))
    keys = {e.key for e in wanted}
    removed: list[_wire.OpenPort] = []
    kept: list[_wire.OpenPort] = []
    for current in sorted(on_host, key=lambda e: e.key):
        if current.key in keys or not is_ours(current) or current.builtin:
            continue
        # Without decommissioning, an entry that serves a component the host no longer
        # holds stays as it is.
        if remove_unassigned or _labels_of(current.name) <= held_labels:
            removed.append(current)
        else:
            kept.append(current)
    closes = tuple(_wire.Close(*e.key, e.name) for e in removed)
    return EntryPlan(
        verdicts=tuple(found),
        wanted=tuple(wanted),
        opens=tuple(opens),
        closes=closes,
        added=tuple(added),
        updated=tuple(updated),
        adopted=tuple(adopted),
        removed=tuple(removed),
        conflicts=tuple(conflicts),
        kept=tuple(kept),
        marked=tuple(e for e in sorted(on_host, key=lambda e: e.key) if _is_marked_not_ours(e)),
    )


# What each 2003 profile covers of the three profiles rules name.
_COVERS: dict[int, tuple[str, ...]] = {
    profile: tuple(name for name, of in LEGACY_PROFILE_OF.items() if of == profile)
    for profile in LEGACY_PROFILE_NAMES
}


def removals(plan: EntryPlan) -> list[_removals.Removal]:
    """The removals of a 2003 host (what the removal guard judges): its entries of ours
    that are closed, by the components their names carry."""
    keys = {c.label: key for key, c in _catalogue.server_components().items()}
    still = {label for entry in plan.wanted for label in _labels_of(entry.name)}
    closed: dict[str, list[str]] = {}
    for entry in plan.removed:
        for label in sorted(_labels_of(entry.name)):
            closed.setdefault(label, []).append(entry.name)
    return [
        _removals.Removal(keys.get(label, label), None, tuple(names), whole=label not in still)
        for label, names in closed.items()
    ]


def entry_rule(held: _wire.OpenPort) -> dict[str, Any]:
    """A host entry as the rule it amounts to (inbound allow of one port), in the shape
    ``win_firewall_info`` returns rules, so a report reads 2003 hosts like the others."""
    remote = canonical_addresses(held.remote_addresses, "remote_addresses", strict=False)
    return {
        **Rule(
            name=held.name,
            protocol=transport(held.protocol).lower(),
            local_ports=(str(held.port),),
            remote_addresses=remote,
            profiles=_COVERS.get(held.profile, ()),
            enabled=held.enabled,
        ).to_dict(),
        "group": "",
        "application": "",
        "service": "",
        "owned": is_ours(held),
        "legacy_profile": LEGACY_PROFILE_NAMES.get(held.profile, str(held.profile)),
    }
