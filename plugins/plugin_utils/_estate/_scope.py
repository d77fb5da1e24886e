# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: least-privilege remote addresses, from the inventory.
"""The remote addresses of each rule when ``ocs_firewall_scope`` is ``inventory``.

Every server entry of the catalogue names its ``peers``: the other end of its traffic,
as server component keys or kinds of the catalogue's ``peers`` table. With the scope
``inventory`` a rule is limited to the addresses of its peers:

* a component peer: the addresses of every inventory host in its group (``ocs_<key>``).
  A host's address is ``ocs_firewall_address`` (one or a list), else ``ansible_host``
  when that is an IP address other than a loopback one. A component with an internal
  side (the Edge, the Mediation Server) shows its internal addresses to its internal
  peers, when they are set;
* a peer kind with scope ``any`` (external users, federated partners) keeps the rule
  open to every address: the Edge's Internet side stays open;
* any other peer kind: the networks of its collection-wide variable
  (``ocs_firewall_client_networks`` for internal clients, and so on).

A rule whose peers give no address at all, a peer host without an address, or a required
variable left unset is a problem, reported before any host is contacted: the scope is
never silently "any", nor empty. A component with ``remote_addresses`` of its own keeps
them (they are the operator's explicit choice) and is not scoped from the inventory.

Pools (``ocs_pool``) limit the component peers an entry's ``pool_scope`` names
(:data:`.._catalogue.POOL_RELATIONS`): ``same``, the holders in the host's own pool;
``served``, those in the pools the host serves (its component's ``pools``; a Mediation
Server counts in its next hop's pool); ``next_hop``, the Mediation Servers whose next hop
is the host's pool (or, on a Front End, that name no next hop), for inbound rules only:
an entry with rules both ways then has its outbound rules' addresses apart, under the key
:func:`outbound_key`. An estate without ``ocs_pool`` is one pool, where none of this
narrows anything.

Everything here is pure but for the reads of the inventory's variables, which go through
the mappings given (the hosts' variables, templated on access).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import Cause, Problem
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._component_rules import (
    made_entries,
    outbound_key,
    port_text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import (
    Settings,
    check_addresses,
    check_pool_name,
    shown,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _grammar

_SCOPE_VARIABLE = _variables.SCOPE
# any: rules open to every remote address unless a component sets remote_addresses.
# inventory: each rule limited to the addresses of its peers.
_SCOPES: tuple[str, ...] = ("any", "inventory")
ADDRESS_VARIABLE = _variables.ADDRESS
_POOL_VARIABLE = _variables.POOL
_NEXT_HOP_VARIABLE = "ocs_mediation_next_hop_pool"
# The variable the ocs.firewall.server role registers the preflight's result in; the
# win_ocs_firewall action reads its address book from there. Read as it is, not through
# a module option: templating and checking an option copies it, once per host, and the
# book holds every server of the estate.
PREFLIGHT_RESULT = _variables.PREFLIGHT_RESULT

# Remote addresses per component key, then per entry id; () means any address.
Remotes = dict[str, dict[str, tuple[str, ...]]]
# What a remote address stands for: (address, inventory host or peer kind, whether it is a
# peer kind's network, which stands only for itself).
Label = tuple[str, str, bool]


def preflight_book(task_vars: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The address book the play's preflight registered, if it did."""
    result = task_vars.get(PREFLIGHT_RESULT)
    book = result.get("address_book") if isinstance(result, Mapping) else None
    return book if isinstance(book, Mapping) else None


def preflight_scopes(task_vars: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The remote addresses of lists of peers the play's preflight registered, if it did."""
    result = task_vars.get(PREFLIGHT_RESULT)
    scopes = result.get("peer_scopes") if isinstance(result, Mapping) else None
    return scopes if isinstance(scopes, Mapping) else None


def network_variables() -> list[str]:
    """The collection-wide variables holding the networks of peer kinds, in table order."""
    found = [k.scope for k in _catalogue.peer_kinds().values() if not k.open]
    return list(dict.fromkeys(found))


def variables() -> list[str]:
    """Every host variable this module reads from the host itself."""
    return [_SCOPE_VARIABLE, ADDRESS_VARIABLE, _POOL_VARIABLE, *network_variables()]


@dataclasses.dataclass(frozen=True)
class Scope:
    """A host's scope settings, checked: the mode and each peer kind's networks that are set."""

    mode: str = "any"
    networks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The host's own pool (ocs_pool), "" when not set.
    pool: str = ""

    def networks_of(self, variable: str) -> tuple[str, ...] | None:
        return dict(self.networks).get(variable)


def check_scope(values: Mapping[str, Any]) -> tuple[Scope | None, list[str]]:
    """Check the scope variables among ``values`` (a host's defined variables)."""
    problems: list[str] = []
    mode = values.get(_SCOPE_VARIABLE, "any")
    if mode not in _SCOPES:
        problems.append(
            f"{_SCOPE_VARIABLE}: {shown(mode)} is not a scope; valid scopes are "
            f"{', '.join(_SCOPES)}"
        )
    if ADDRESS_VARIABLE in values:
        problems += check_addresses(ADDRESS_VARIABLE, values[ADDRESS_VARIABLE], local=True)[1]
    pool = ""
    if values.get(_POOL_VARIABLE) not in (None, ""):
        checked_pool, found = check_pool_name(_POOL_VARIABLE, values[_POOL_VARIABLE])
        problems += found
        pool = checked_pool or ""
    networks = []
    for variable in network_variables():
        if variable in values:
            checked, found = check_addresses(variable, values[variable], local=False)
            problems += found
            # An empty list is "not set": it names no network.
            if checked:
                networks.append((variable, tuple(checked)))
    if problems:
        return None, problems
    return Scope(str(mode), tuple(networks), pool), []


class Inventory:
    """The play's inventory seen as peers: the hosts holding a component, and the address
    each shows its peers (worked out once per host and component)."""

    def __init__(
        self,
        groups: Mapping[str, Sequence[str]],
        hostvars: Mapping[str, Mapping[str, Any]],
        checked: Iterable[str] = (),
        book: Mapping[str, Mapping[str, Any]] | None = None,
        scopes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``checked``: hosts whose own variables are checked in the same run (the
        preflight's hosts): a wrong address of theirs is reported once, as theirs.
        ``book``: the addresses worked out already, as :meth:`book` gives them (reading
        a host's variables costs a merge of all of its variables: the preflight does it
        once for the play, instead of once per host). ``scopes``: the remote addresses of
        lists of peers worked out already, as :meth:`scopes` gives them. Both are read
        only for what a host's rules need: a host's plan costs the same in an estate of
        ten servers or of thousands, but for the addresses its rules carry."""
        self._groups = groups
        self._hostvars = hostvars
        self.checked = frozenset(checked)
        # Part of the estate, without the whole estate's addresses: no peer is worked out
        # (the run stops for that reason, said once, not as each rule's missing peers).
        self.partial = False
        self._book = book or {}
        self._given = scopes or {}
        self._addresses: dict[tuple[str, str], tuple[tuple[str, ...] | None, str, bool]] = {}
        # host -> (its ocs_pool, its Mediation Server's next hop pool), "" when not set.
        self._pools: dict[str, tuple[str, str]] = {}
        # What each list of peers gives, by :func:`_scope_key`, for every host of the estate.
        self._scopes: dict[str, _PeerScope] = {}

    def _booked(self, host: str, key: str | None = None) -> Mapping[str, Any] | None:
        """What the book says of ``host`` (as a holder of ``key``, or of any component)."""
        keys = [key] if key is not None else list(self._book)
        for k in keys:
            holders = self._book.get(k)
            found = holders.get(host) if isinstance(holders, Mapping) else None
            if isinstance(found, Mapping):
                return found
        return None

    def book(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The address every holder of every server component shows its peers (plain
        data, for :class:`Inventory` ``book=``)."""
        book: dict[str, dict[str, dict[str, Any]]] = {}
        for key in _catalogue.server_components():
            for holder in self.holders(key):
                addresses, why, wrong = self.address(holder, key)
                found: dict[str, Any] = (
                    {"addresses": list(addresses)}
                    if addresses is not None
                    else {"addresses": None, "why": why, "wrong": wrong}
                )
                pool, next_hop = self.pools_of(holder)
                if pool:
                    found["pool"] = pool
                if next_hop:
                    found["next_hop"] = next_hop
                book.setdefault(key, {})[holder] = found
        return book

    def pools_of(self, host: str) -> tuple[str, str]:
        """``(pool, next hop pool)`` of a host ("" where not set, or not a name: the host's
        own check reports a wrong value)."""
        if host not in self._pools:
            booked = self._booked(host)
            if booked is not None:
                self._pools[host] = (
                    str(booked.get("pool") or ""),
                    str(booked.get("next_hop") or ""),
                )
                return self._pools[host]
            found = []
            for name in (_POOL_VARIABLE, _NEXT_HOP_VARIABLE):
                try:
                    variables = self._hostvars[host]
                    value = variables[name] if name in variables else None
                except Exception:  # templating: the host's own check reports it
                    value = None
                found.append(str(value).strip() if isinstance(value, (str, int)) else "")
            self._pools[host] = (found[0], found[1])
        return self._pools[host]

    def pool(self, host: str) -> str:
        return self.pools_of(host)[0]

    def in_relation(
        self, holder: str, relation: str, pool: str, served: Sequence[str], at_front_end: bool
    ) -> bool:
        """Whether ``holder`` is a peer of a host of ``pool`` (serving ``served``, () for
        every pool; ``at_front_end``: the host's entry is a Front End's) in ``relation``."""
        holder_pool, next_hop = self.pools_of(holder)
        if relation == "same":
            return holder_pool == pool
        if relation == "served":
            # A Mediation Server is in its next hop's pool; one with none, in any.
            own = holder_pool or next_hop
            return not served or not own or own in served
        # next_hop: a Mediation Server calls its next hop only; with none named, that is a
        # Front End pool.
        return next_hop == pool if next_hop else at_front_end

    def holders(self, key: str) -> list[str]:
        """The inventory hosts in the component's group, in inventory order; with a book,
        the book's (the preflight's over the whole inventory, or a snapshot of the whole
        estate for a run over part of it)."""
        if self._book:
            return list(self._book.get(key) or ())
        return list(self._groups.get(f"ocs_{key}", ()))

    def seen(self, key: str) -> list[tuple[str, tuple[str, ...]]]:
        """Each holder of component ``key`` with an address, and the addresses it shows its
        peers (read straight from the book when there is one)."""
        holders = self._book.get(key) if self._book else None
        if isinstance(holders, Mapping):
            return [
                (str(host), tuple(map(str, found["addresses"])))
                for host, found in holders.items()
                if isinstance(found, Mapping) and found.get("addresses")
            ]
        found = ((h, self.address(h, key)[0]) for h in self.holders(key))
        return [(h, addresses) for h, addresses in found if addresses]

    def address(self, host: str, key: str) -> tuple[tuple[str, ...] | None, str, bool]:
        """``(addresses, "", False)`` the host shows peers of its component ``key``, or
        ``(None, why, wrong)`` when it has none; ``wrong``: a variable of its own is wrong."""
        if (host, key) not in self._addresses:
            booked = self._booked(host, key)
            if booked is None:
                self._addresses[host, key] = self._work_out(host, key)
            else:
                addresses = booked.get("addresses")
                self._addresses[host, key] = (
                    tuple(map(str, addresses)) if addresses is not None else None,
                    str(booked.get("why", "")),
                    bool(booked.get("wrong", False)),
                )
        return self._addresses[host, key]

    def peer_scope(self, peers: tuple[str, ...], scope: Scope, view: PoolView) -> _PeerScope:
        """What the list of component peers and peer kinds ``peers`` gives a host of
        ``scope`` seen through ``view``: worked out once for the whole estate (every Front
        End of a pool has the same peers), or taken from the ``scopes`` given."""
        kinds = _catalogue.peer_kinds()
        key = _scope_key(peers, kinds, scope, view)
        if key not in self._scopes:
            given = self._given.get(key)
            self._scopes[key] = (
                _PeerScope(tuple(map(str, given)))
                if isinstance(given, (list, tuple))
                else _peer_scope(peers, kinds, scope, self, view)
            )
        return self._scopes[key]

    def scopes(self) -> dict[str, list[str]]:
        """Every list of peers worked out so far that gives addresses and no problem, by
        its key (plain data, for :class:`Inventory` ``scopes=``)."""
        return {
            key: list(found.addresses)
            for key, found in self._scopes.items()
            if found.addresses and not (found.problems or found.unset or found.empty)
        }

    def _work_out(self, host: str, key: str) -> tuple[tuple[str, ...] | None, str, bool]:
        variables = self._hostvars[host]
        component = _catalogue.server_components()[key]
        internal = component.side_setting("internal")
        names = [component.variable(internal)] if internal else []
        try:
            values = {
                n: variables[n]
                for n in [*names, ADDRESS_VARIABLE, "ansible_host"]
                if n in variables
            }
        except Exception as exc:  # ansible_host too: reported here, not by the holder
            return None, f"its variables cannot be worked out ({exc})", False
        for name in [*names, ADDRESS_VARIABLE]:
            value = values.get(name)
            if value in (None, [], ""):
                continue
            checked, problems = check_addresses(name, value, local=True)
            if problems:
                return None, "; ".join(problems), True
            return tuple(checked), "", False
        target = values.get("ansible_host") or host
        try:
            address = ipaddress.ip_address(str(target))
        except ValueError:
            return None, f"its ansible_host {shown(target)} is not an IP address", False
        if address.is_loopback or address.is_unspecified:
            why = f"its ansible_host {shown(target)} is not an address its peers reach"
            return None, why, False
        return (str(address),), "", False


@dataclasses.dataclass(frozen=True)
class _PeerScope:
    """What one list of peers gives: the remote addresses (``()``: any), the problems of
    its holders (the text before and after the key of the component whose rules they
    are, and their cause: the holder's address), the required network variables left
    unset, and whether it names no address."""

    addresses: tuple[str, ...]
    problems: tuple[tuple[str, str, Cause], ...] = ()
    unset: tuple[str, ...] = ()
    empty: bool = False


@dataclasses.dataclass(frozen=True)
class PoolView:
    """What pools make of one component's peers on one host: the host's pool, the pools
    the component serves (() every pool), whether it is a Front End, and the entry's
    relations (peer -> relation), ``next_hop`` ones left out for outbound rules."""

    pool: str = ""
    served: tuple[str, ...] = ()
    at_front_end: bool = False
    relations: tuple[tuple[str, str], ...] = ()

    def holders(self, inventory: Inventory, peer: str) -> list[str]:
        """The holders of component ``peer`` that are this host's peers."""
        relation = dict(self.relations).get(peer)
        found = inventory.holders(peer)
        if relation is None:
            return found
        return [
            h
            for h in found
            if inventory.in_relation(h, relation, self.pool, self.served, self.at_front_end)
        ]


def pool_view(
    settings: Settings, entry: Mapping[str, Any], pool: str, *, inbound: bool = True
) -> PoolView:
    """The :class:`PoolView` of one entry of ``settings``' component on a host of ``pool``."""
    relations = tuple(
        (peer, relation)
        for peer, relation in (entry.get(_catalogue.POOL_SCOPE) or {}).items()
        if inbound or relation != "next_hop"
    )
    return PoolView(pool, settings.pools, settings.component.key == "front_end", relations)


def _scope_key(
    peers: tuple[str, ...],
    kinds: Mapping[str, _catalogue.PeerKind],
    scope: Scope,
    view: PoolView,
) -> str:
    """What a list of peers' addresses depend on, as text: the peers, the pools' view and
    the networks the host gives its peer kinds (component peers' addresses are the
    estate's, the same for every host)."""
    networks = [scope.networks_of(kinds[p].scope) for p in peers if p in kinds]
    return json.dumps(
        [peers, view.pool, view.served, view.at_front_end, view.relations, networks],
        separators=(",", ":"),
    )


def _peer_scope(
    peers: tuple[str, ...],
    kinds: Mapping[str, _catalogue.PeerKind],
    scope: Scope,
    inventory: Inventory,
    view: PoolView,
) -> _PeerScope:
    if any(kinds[p].open for p in peers if p in kinds):
        return _PeerScope(())
    found: list[str] = []
    problems: list[tuple[str, str, Cause]] = []
    unset: list[str] = []
    for peer in peers:
        if peer in kinds:
            networks = scope.networks_of(kinds[peer].scope)
            if networks:
                found += networks
            elif kinds[peer].required:
                unset.append(kinds[peer].scope)
            continue
        for holder in view.holders(inventory, peer):
            addresses, why, wrong = inventory.address(holder, peer)
            before = f"{_SCOPE_VARIABLE}: {holder} (ocs_{peer}) is a peer of this host's "
            if addresses is None and wrong and holder in inventory.checked:
                # The holder's own check reports the wrong value in full.
                problems.append(
                    (
                        before,
                        f" rules and its address is wrong (reported for {holder})",
                        Cause(
                            f"the address of {holder} is wrong (reported for it): ",
                            host=holder,
                            own=why,
                        ),
                    )
                )
            elif addresses is None:
                fix = "fix it" if wrong else f"set {ADDRESS_VARIABLE} for {holder}"
                said = (
                    f"the address of {holder} is wrong ({why}): "
                    if wrong
                    else f"{ADDRESS_VARIABLE} missing on {holder} ({why}): "
                )
                problems.append(
                    (
                        before,
                        f" rules and has no address ({why}): {fix}",
                        Cause(said, f"; {fix}", holder),
                    )
                )
            else:
                found += addresses
    empty = not found and not problems and not unset
    return _PeerScope(
        # Adjacent addresses merged: servers numbered in a row make one range, not an item each.
        _grammar.merged_addresses(found) if found else (),
        tuple(problems),
        tuple(unset),
        empty,
    )


def remotes(
    settings: Iterable[Settings], scope: Scope, inventory: Inventory | None
) -> tuple[Remotes, list[str]]:
    """The remote addresses of every rule of the components ``settings`` make, by component
    and entry id, and the problems that keep them from being worked out.

    Empty with the scope ``any``. A component whose ``remote_addresses`` are set, or whose
    state is absent, has no entry in the result (its rules take ``remote_addresses``).
    """
    if scope.mode != "inventory":
        return {}, []
    if inventory is None:
        return {}, [f"{_SCOPE_VARIABLE}: inventory needs the play's inventory (groups, hostvars)"]
    if inventory.partial:
        return {}, []
    kinds = _catalogue.peer_kinds()
    result: Remotes = {}
    # Each problem's text (once), with its cause and how many of this host's rules it
    # concerns.
    problems: dict[str, tuple[Cause | None, int]] = {}
    pool = scope.pool
    # variable -> component key -> entry ids whose rules need it.
    unset: dict[str, dict[str, list[str]]] = {}
    unset_rules: dict[str, int] = {}
    for s in settings:
        if s.state == "absent" or s.remote_addresses:
            continue
        key = s.component.key
        made = made_entries(
            _catalogue.server_entries(key, s.as_published),
            include_outbound=s.include_outbound,
            include_extras=s.include_extras,
            opt_ins=s.opt_ins,
        )
        result[key] = {}
        for entry, directions in made:
            peers = tuple(entry["peers"])
            view = pool_view(s, entry, pool)
            found = inventory.peer_scope(peers, scope, view)
            outbound = pool_view(s, entry, pool, inbound=False)
            apart: tuple[str, ...] | None = None
            if "out" in directions and outbound != view:
                other = inventory.peer_scope(peers, scope, outbound)
                if other.addresses != found.addresses:
                    apart = other.addresses
            rules = len(directions) * len(dict.fromkeys(entry["transports"]))
            for before, after, cause in found.problems:
                _cause, counted = problems.get(before + key + after, (cause, 0))
                problems[before + key + after] = (cause, counted + rules)
            for variable in found.unset:
                unset.setdefault(variable, {}).setdefault(key, []).append(entry["id"])
                unset_rules[variable] = unset_rules.get(variable, 0) + rules
            if found.empty:
                where = "has a host in the inventory"
                if view.relations:
                    where += f" in the pools it may reach ({_POOL_VARIABLE}: {pool or 'none'})"
                empty = (
                    f"{_SCOPE_VARIABLE}: {key} entry {entry['id']} "
                    f"({port_text(entry['ports'])}/{'+'.join(entry['transports']).upper()}): "
                    f"none of its peers ({', '.join(peers)}) {where}, so "
                    f"nobody could reach it; add them to their groups "
                    f"({', '.join('ocs_' + p for p in peers if p not in kinds)}) or set "
                    f"{s.component.variable('remote_addresses')}"
                )
                problems.setdefault(empty, (None, 0))
            result[key][entry["id"]] = found.addresses
            if apart is not None:
                result[key][outbound_key(entry["id"])] = apart
    for variable, needing in unset.items():
        kind = next(k for k in kinds.values() if k.scope == variable)
        who = kind.title[0].lower() + kind.title[1:]
        entries = "; ".join(f"{key} ({', '.join(ids)})" for key, ids in needing.items())
        fix = "give their networks (a list of addresses, networks or ranges)"
        problems[
            f"{variable}: is not set, and with {_SCOPE_VARIABLE} inventory rules of this host "
            f"are opened to {who}: {entries}; {fix}"
        ] = (
            Cause(
                f"{variable} not set: ",
                f" (with {_SCOPE_VARIABLE} inventory they are opened to {who}); {fix}",
            ),
            unset_rules[variable],
        )
    if problems:
        return {}, [
            text if cause is None else Problem(text, cause, rules)
            for text, (cause, rules) in problems.items()
        ]
    return result, []


def labels(
    settings: Iterable[Settings], scope: Scope, inventory: Inventory | None
) -> tuple[Label, ...]:
    """What each remote address the scope gives the components of ``settings`` stands for:
    every holder of a component peer of theirs, at its address (its inventory name), and
    each network of a peer kind (the kind's key: ``load_balancers``, ``internal_clients``).
    Empty with the scope ``any``: the addresses are then the operator's own."""
    if scope.mode != "inventory" or inventory is None:
        return ()
    kinds = _catalogue.peer_kinds()
    peers: dict[str, None] = {}
    for s in settings:
        if s.state == "absent" or s.remote_addresses:
            continue
        for entry, _directions in made_entries(
            _catalogue.server_entries(s.component.key, s.as_published),
            include_outbound=s.include_outbound,
            include_extras=s.include_extras,
            opt_ins=s.opt_ins,
        ):
            peers.update(dict.fromkeys(entry["peers"]))
    found: dict[Label, None] = {}
    for peer in peers:
        if peer in kinds:
            for network in scope.networks_of(kinds[peer].scope) or ():
                found[network, peer, True] = None
            continue
        for holder, addresses in inventory.seen(peer):
            for address in addresses:
                found[address, holder, False] = None
    return tuple(found)
