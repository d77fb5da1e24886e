# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: not a public API, may change without notice.
"""Port-catalogue entries plus a component's settings -> the component's firewall rules.

Everything here is pure: no I/O, no Ansible objects, so the mapping is tested with plain
tables. The settings have been checked already (:mod:`._settings`); nothing here checks
them again.

Mapping, per entry:

* one rule per transport (``[tcp, udp]`` gives two rules);
* ``inbound`` gives an In rule, the entry's ports being the host's *local* ports;
  ``outbound`` gives an Out rule, the ports being the *remote* ports the host connects
  to; ``both`` gives one of each. Out rules are made only with ``include_outbound``,
  because Windows Firewall allows outbound traffic unless told otherwise;
* the entry's ``interface`` picks the local addresses the rule is bound to: ``internal``
  and ``external`` the addresses of that side, ``any`` both lists together, but only when
  both are given (binding an any-side entry to one side alone would close it on the
  other); no addresses means any local address. On the external side of a component
  whose services have addresses of their own (the Edge), an entry is bound to the
  addresses of the service(s) it names;
* extras (entries without a seed row) are dropped unless ``include_extras``; an entry
  that needs an opt-in (``opt_in``) is made only when it is on;
* the remote addresses are the component's ``remote_addresses``, or the entry's scope
  from the inventory when that is given;
* the description is the catalogue's, ending in the ownership marker with the entry id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import Settings
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
    canonical_ports,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import MAX_NAME_LENGTH


def _is_extra(entry: Mapping[str, Any]) -> bool:
    """Extras are the entries the seed table does not carry (``extra-*``, no seed row)."""
    return entry.get("seed_row") is None


def outbound_key(entry_id: str) -> str:
    """Where the remote addresses of an entry's outbound rules are kept, in ``remotes``,
    when they differ from its inbound rules' (pools can narrow inbound rules only)."""
    return f"{entry_id}/out"


def port_text(ports: Sequence[str]) -> str:
    """Ports for a rule name: sorted, adjacent ones merged (``5060``, ``5061`` -> ``5060-5061``)."""
    return ",".join(canonical_ports(list(ports), "ports")) or "any"


def rule_name(
    label: str, ports: Sequence[str], transport: str, direction: str, entry_id: str
) -> str:
    """Readable, stable name, unique within a component's group through the entry id.

    ``OCS Front End 5060-5061/TCP In (seed-01)``. A port list too long for the 255
    characters Windows allows is shortened in the middle of the name; the id at the end
    keeps the name unique.
    """
    text = port_text(ports)
    suffix = f"/{transport.upper()} {'In' if direction == 'in' else 'Out'} ({entry_id})"
    prefix = f"OCS {label} "
    room = MAX_NAME_LENGTH - len(prefix) - len(suffix)
    if room < 4:
        raise InputError(
            f"label: {label!r} is too long to build rule names of at most {MAX_NAME_LENGTH} "
            f"characters for entry {entry_id!r}"
        )
    if len(text) > room:
        text = text[: room - 3] + "..."
    return prefix + text + suffix


def _rule_description(entry: Mapping[str, Any]) -> str:
    """The catalogue description, then the marker that names the entry."""
    return _ownership.marked(
        str(entry.get("description") or "").strip(), _ownership.catalogue_mark(entry["id"])
    )


def made_entries(
    entries: Iterable[Mapping[str, Any]],
    *,
    include_outbound: bool = False,
    include_extras: bool = True,
    opt_ins: Collection[str] = (),
) -> list[tuple[Mapping[str, Any], tuple[str, ...]]]:
    """The entries that give rules, each with the directions of its rules (``in``/``out``).

    Out rules only on request: Windows Firewall allows outbound traffic by default. An
    entry that needs an opt-in is made only when the opt-in is on (whatever
    ``include_extras`` says: the opt-in asked for it by name).
    """
    made = []
    for entry in entries:
        opt_in = entry.get("opt_in")
        if opt_in is not None:
            if opt_in not in opt_ins:
                continue
        elif _is_extra(entry) and not include_extras:
            continue
        directions = tuple(
            d
            for d in _catalogue.RULE_DIRECTIONS[entry["direction"]]
            if d == "in" or include_outbound
        )
        if directions:
            made.append((entry, directions))
    return made


def _binding(
    entry: Mapping[str, Any],
    internal: tuple[str, ...],
    external: tuple[str, ...],
    services: Mapping[str, Sequence[str]],
) -> tuple[str, ...]:
    """The local addresses an entry's rules are bound to (``()``: any local address)."""
    side = entry["interface"]
    if side == "internal":
        return internal
    # An external service without addresses of its own is on the external side's.
    own = [tuple(services.get(s) or external) for s in entry.get("service") or ()]
    if side == "external":
        if not services or not own:
            return external
        # A port several services use is bound to all of their addresses, or to none
        # when one of them may be on any address.
        if any(not addresses for addresses in own):
            return ()
        return canonical_addresses([a for addresses in own for a in addresses], keywords=False)
    # interface any: both sides, and only when both are known.
    outside = [*external, *(a for addresses in services.values() for a in addresses)]
    known = bool(external) or (bool(services) and all(services.values()))
    if internal and known:
        return canonical_addresses([*internal, *outside], keywords=False)
    return ()


def build_rules(
    entries: Iterable[Mapping[str, Any]],
    *,
    label: str,
    profiles: Sequence[str],
    include_outbound: bool = False,
    include_extras: bool = True,
    internal_addresses: Sequence[str] = (),
    external_addresses: Sequence[str] = (),
    service_addresses: Mapping[str, Sequence[str]] | None = None,
    opt_ins: Collection[str] = (),
    remote_addresses: Sequence[str] = (),
    remotes: Mapping[str, Sequence[str]] | None = None,
    enabled: bool = True,
) -> list[Rule]:
    """Rules for one component, in catalogue order (In before Out, TCP before UDP).

    Addresses and profiles are in canonical form (:mod:`.._firewall._grammar`), as checked settings
    hold them. ``service_addresses``: an external service's own local addresses (a
    service left out, or given none, is on ``external_addresses``). ``remotes``: the
    remote addresses of an entry (by id; its outbound rules' under :func:`outbound_key`
    when they differ), in place of ``remote_addresses`` (the scope worked out from the
    inventory, :mod:`._scope`).
    """
    internal = tuple(internal_addresses)
    external = tuple(external_addresses)
    services = dict(service_addresses or {})
    remote = tuple(remote_addresses)
    scoped = dict(remotes or {})
    rules: list[Rule] = []
    made = made_entries(
        entries, include_outbound=include_outbound, include_extras=include_extras, opt_ins=opt_ins
    )
    for entry, directions in made:
        ports = canonical_ports(list(entry["ports"]), f"catalogue entry {entry['id']}")
        bound = _binding(entry, internal, external, services)
        peers = tuple(scoped.get(entry["id"], remote))
        for direction in directions:
            if direction == "out":
                peers = tuple(scoped.get(outbound_key(entry["id"]), peers))
            for transport in dict.fromkeys(entry["transports"]):
                # An inbound entry's ports are where this host listens; an outbound
                # entry's ports are where the peer listens.
                rules.append(
                    Rule(
                        name=rule_name(label, entry["ports"], transport, direction, entry["id"]),
                        description=_rule_description(entry),
                        direction=direction,
                        protocol=transport,
                        local_ports=ports if direction == "in" else (),
                        remote_ports=ports if direction == "out" else (),
                        local_addresses=bound,
                        remote_addresses=peers,
                        profiles=tuple(profiles),
                        enabled=enabled,
                    )
                )
    return rules


def component_rules(
    settings: Settings, remotes: Mapping[str, Sequence[str]] | None = None
) -> list[Rule]:
    """The rules ``settings`` give its component (``[]`` when its state is absent).

    ``remotes``: the remote addresses of each entry (by id) that the inventory's scope
    gives, in place of the component's ``remote_addresses``.
    """
    if settings.state == "absent":
        return []
    component = settings.component
    entries = _catalogue.server_entries(component.key, settings.as_published)
    return build_rules(
        entries,
        label=component.label,
        profiles=settings.profiles,
        include_outbound=settings.include_outbound,
        include_extras=settings.include_extras,
        internal_addresses=settings.addresses_of("internal"),
        external_addresses=settings.addresses_of("external"),
        # Every service, those without addresses too: an any-interface entry is bound only
        # when every external address is known.
        service_addresses=dict(settings.service_addresses),
        opt_ins=settings.opt_ins,
        remote_addresses=settings.remote_addresses,
        remotes=remotes,
    )
