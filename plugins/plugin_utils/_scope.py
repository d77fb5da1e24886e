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

Everything here is pure but for the reads of the inventory's variables, which go through
the mappings given (the hosts' variables, templated on access).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _grammar
from ansible_collections.ocs.firewall.plugins.plugin_utils._component_rules import (
    made_entries,
    port_text,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._settings import (
    Settings,
    check_addresses,
    shown,
)

SCOPE_VARIABLE = "ocs_firewall_scope"
# any: rules open to every remote address unless a component sets remote_addresses.
# inventory: each rule limited to the addresses of its peers.
SCOPES: tuple[str, ...] = ("any", "inventory")
ADDRESS_VARIABLE = "ocs_firewall_address"
# The variable the ocs.firewall.server role registers the preflight's result in; the
# win_ocs_firewall action reads its address book from there. Read as it is, not through
# a module option: templating and checking an option copies it, once per host, and the
# book holds every server of the estate.
PREFLIGHT_RESULT = "ocs_firewall_preflight"

# Remote addresses per component key, then per entry id; () means any address.
Remotes = dict[str, dict[str, tuple[str, ...]]]


def preflight_book(task_vars: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The address book the play's preflight registered, if it did."""
    result = task_vars.get(PREFLIGHT_RESULT)
    book = result.get("address_book") if isinstance(result, Mapping) else None
    return book if isinstance(book, Mapping) else None


def network_variables() -> list[str]:
    """The collection-wide variables holding the networks of peer kinds, in table order."""
    found = [k.scope for k in _catalogue.peer_kinds().values() if not k.open]
    return list(dict.fromkeys(found))


def variables() -> list[str]:
    """Every host variable this module reads from the host itself."""
    return [SCOPE_VARIABLE, ADDRESS_VARIABLE, *network_variables()]


@dataclasses.dataclass(frozen=True)
class Scope:
    """A host's scope settings, checked: the mode and each peer kind's networks that are set."""

    mode: str = "any"
    networks: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def networks_of(self, variable: str) -> tuple[str, ...] | None:
        return dict(self.networks).get(variable)


def check_scope(values: Mapping[str, Any]) -> tuple[Scope | None, list[str]]:
    """Check the scope variables among ``values`` (a host's defined variables)."""
    problems: list[str] = []
    mode = values.get(SCOPE_VARIABLE, "any")
    if mode not in SCOPES:
        problems.append(
            f"{SCOPE_VARIABLE}: {shown(mode)} is not a scope; valid scopes are {', '.join(SCOPES)}"
        )
    if ADDRESS_VARIABLE in values:
        problems += check_addresses(ADDRESS_VARIABLE, values[ADDRESS_VARIABLE], local=True)[1]
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
    return Scope(str(mode), tuple(networks)), []


class Inventory:
    """The play's inventory seen as peers: the hosts holding a component, and the address
    each shows its peers (worked out once per host and component)."""

    def __init__(
        self,
        groups: Mapping[str, Sequence[str]],
        hostvars: Mapping[str, Mapping[str, Any]],
        checked: Iterable[str] = (),
        book: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """``checked``: hosts whose own variables are checked in the same run (the
        preflight's hosts): a wrong address of theirs is reported once, as theirs.
        ``book``: the addresses worked out already, as :meth:`book` gives them (reading
        a host's variables costs a merge of all of its variables: the preflight does it
        once for the play, instead of once per host)."""
        self._groups = groups
        self._hostvars = hostvars
        self.checked = frozenset(checked)
        self._addresses: dict[tuple[str, str], tuple[tuple[str, ...] | None, str, bool]] = {}
        for key, holders in (book or {}).items():
            for host, found in holders.items():
                addresses = found.get("addresses")
                self._addresses[str(host), str(key)] = (
                    tuple(map(str, addresses)) if addresses is not None else None,
                    str(found.get("why", "")),
                    bool(found.get("wrong", False)),
                )

    def book(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The address every holder of every server component shows its peers (plain
        data, for :class:`Inventory` ``book=``)."""
        book: dict[str, dict[str, dict[str, Any]]] = {}
        for key in _catalogue.server_components():
            for holder in self.holders(key):
                addresses, why, wrong = self.address(holder, key)
                book.setdefault(key, {})[holder] = (
                    {"addresses": list(addresses)}
                    if addresses is not None
                    else {"addresses": None, "why": why, "wrong": wrong}
                )
        return book

    def holders(self, key: str) -> list[str]:
        """The inventory hosts in the component's group, in inventory order."""
        return list(self._groups.get(f"ocs_{key}", ()))

    def address(self, host: str, key: str) -> tuple[tuple[str, ...] | None, str, bool]:
        """``(addresses, "", False)`` the host shows peers of its component ``key``, or
        ``(None, why, wrong)`` when it has none; ``wrong``: a variable of its own is wrong."""
        if (host, key) not in self._addresses:
            self._addresses[host, key] = self._work_out(host, key)
        return self._addresses[host, key]

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
    are), the required network variables left unset, and whether it names no address."""

    addresses: tuple[str, ...]
    problems: tuple[tuple[str, str], ...] = ()
    unset: tuple[str, ...] = ()
    empty: bool = False


def _peer_scope(
    peers: tuple[str, ...],
    kinds: Mapping[str, _catalogue.PeerKind],
    scope: Scope,
    inventory: Inventory,
) -> _PeerScope:
    if any(kinds[p].open for p in peers if p in kinds):
        return _PeerScope(())
    found: list[str] = []
    problems: list[tuple[str, str]] = []
    unset: list[str] = []
    for peer in peers:
        if peer in kinds:
            networks = scope.networks_of(kinds[peer].scope)
            if networks:
                found += networks
            elif kinds[peer].required:
                unset.append(kinds[peer].scope)
            continue
        for holder in inventory.holders(peer):
            addresses, why, wrong = inventory.address(holder, peer)
            before = f"{SCOPE_VARIABLE}: {holder} (ocs_{peer}) is a peer of this host's "
            if addresses is None and wrong and holder in inventory.checked:
                # The holder's own check reports the wrong value in full.
                problems.append(
                    (before, f" rules and its address is wrong (reported for {holder})")
                )
            elif addresses is None:
                fix = "fix it" if wrong else f"set {ADDRESS_VARIABLE} for {holder}"
                problems.append((before, f" rules and has no address ({why}): {fix}"))
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
        return {}, [f"{SCOPE_VARIABLE}: inventory needs the play's inventory (groups, hostvars)"]
    kinds = _catalogue.peer_kinds()
    result: Remotes = {}
    problems: list[str] = []
    # variable -> component key -> entry ids whose rules need it.
    unset: dict[str, dict[str, list[str]]] = {}
    # Entries of a host share a few lists of peers: each is worked out once.
    known: dict[tuple[str, ...], _PeerScope] = {}
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
        for entry, _directions in made:
            peers = tuple(entry["peers"])
            if peers not in known:
                known[peers] = _peer_scope(peers, kinds, scope, inventory)
            found = known[peers]
            problems += [before + key + after for before, after in found.problems]
            for variable in found.unset:
                unset.setdefault(variable, {}).setdefault(key, []).append(entry["id"])
            if found.empty:
                problems.append(
                    f"{SCOPE_VARIABLE}: {key} entry {entry['id']} "
                    f"({port_text(entry['ports'])}/{'+'.join(entry['transports']).upper()}): "
                    f"none of its peers ({', '.join(peers)}) has a host in the inventory, so "
                    f"nobody could reach it; add them to their groups "
                    f"({', '.join('ocs_' + p for p in peers if p not in kinds)}) or set "
                    f"{s.component.variable('remote_addresses')}"
                )
            result[key][entry["id"]] = found.addresses
    for variable, needing in unset.items():
        kind = next(k for k in kinds.values() if k.scope == variable)
        rules = "; ".join(f"{key} ({', '.join(ids)})" for key, ids in needing.items())
        problems.append(
            f"{variable}: is not set, and with {SCOPE_VARIABLE} inventory rules of this host "
            f"are opened to {kind.title[0].lower() + kind.title[1:]}: {rules}; give their "
            "networks (a list of addresses, networks or ranges)"
        )
    if problems:
        return {}, list(dict.fromkeys(problems))
    return result, []
