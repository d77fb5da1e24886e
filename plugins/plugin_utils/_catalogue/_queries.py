# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port catalogue, loaded once and queried.
"""The catalogue file loaded (checked by :mod:`._schema`, cached per path) and queried:
its tables, a component's server entries, the entry ids, and :func:`select` /
:func:`query`, what the ``ocs.firewall.ports`` lookup returns.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue._model import (
    DIRECTIONS,
    HOST_KINDS,
    INTERFACES,
    TRANSPORTS,
    Catalogue,
    Component,
    Entry,
    PeerKind,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue._schema import (
    peer_keys,
    validate_catalogue,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError

# plugins/plugin_utils/_catalogue/_queries.py -> three levels up is the collection's root, in
# a git checkout and in an installed collection alike.
_COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 3))
CATALOGUE_PATH = os.path.join(_COLLECTION_ROOT, "catalogue", "ocs-2007-r2-ports.yml")


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Catalogue:
    try:
        with open(path, encoding="utf-8") as handle:
            # Each task loads the catalogue afresh in its worker; libyaml makes that ~6x faster.
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise CatalogueError([f"cannot read the file: {exc.strerror}"], path) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError([f"not valid YAML: {exc}"], path) from exc
    return validate_catalogue(document, path)


def _catalogue(path: str | None = None) -> Catalogue:
    return _load(os.path.abspath(path or CATALOGUE_PATH))


def load_catalogue(path: str | None = None) -> list[Entry]:
    """Return all entries (validated, cached per path); the caller owns the copies."""
    return copy.deepcopy(list(_catalogue(path).entries))


@functools.lru_cache(maxsize=256)
def server_entries(component: str, as_published: bool = False) -> tuple[Entry, ...]:
    """The server entries of one component, shared and read-only (the engine's view).

    Built once per worker; callers must not change them (``query`` returns copies).
    """
    return tuple(query([component], host_kind="server", as_published=as_published))


@functools.cache
def entry_ids(component: str | None = None) -> frozenset[str]:
    """The ids of the catalogue's entries, or of one server component's (the ids a rule's
    ownership marker may name)."""
    if component is None:
        return frozenset(e["id"] for e in _catalogue().entries)
    return frozenset(e["id"] for e in server_entries(component))


def components(path: str | None = None) -> dict[str, Component]:
    """The components table, in the file's order (validated, cached per path)."""
    return dict(_catalogue(path).components)


def server_components(path: str | None = None) -> dict[str, Component]:
    """The components a role configures: those whose host is a Windows server."""
    return {k: c for k, c in components(path).items() if c.host_kind == "server"}


def services(path: str | None = None) -> dict[str, str]:
    """The services table: key -> title."""
    return dict(_catalogue(path).services)


def peer_kinds(path: str | None = None) -> dict[str, PeerKind]:
    """The peers that are not servers of the inventory (the ``peers`` table)."""
    return dict(_catalogue(path).peers)


# ---- queries ----


def published_entry(entry: Mapping[str, Any]) -> Entry:
    """Return a copy of ``entry`` with every correction reverted to the seed's value."""
    published = copy.deepcopy(dict(entry))
    for correction in entry.get("corrections", []):
        published[correction["field"]] = copy.deepcopy(correction["seed_value"])
    return published


def _matches_direction(entry_direction: str, wanted: str) -> bool:
    # A "both" entry is needed for inbound and for outbound traffic.
    if wanted == "both":
        return entry_direction == "both"
    return entry_direction in (wanted, "both")


def _matches_interface(entry_interface: str, wanted: str) -> bool:
    # An "any" entry is bound to no particular interface, so it applies on each of them.
    if wanted == "any":
        return entry_interface == "any"
    return entry_interface in (wanted, "any")


def _unknown_values(values: Iterable[object], valid: Iterable[str]) -> list[object]:
    """Return the values that are not valid, in order (for error messages)."""
    allowed = set(valid)
    return [value for value in values if value not in allowed]


def select(
    entries: Iterable[Mapping[str, Any]],
    components: Sequence[str] | None = None,
    direction: str | None = None,
    interface: str | None = None,
    host_kind: str | None = None,
    transport: str | None = None,
    seed_only: bool = False,
    as_published: bool = False,
    known: Sequence[str] | None = None,
    service: str | None = None,
    peer: str | None = None,
    flows: tuple[Sequence[str], Sequence[str]] | None = None,
) -> list[Entry]:
    """Filter catalogue entries; return copies, in catalogue order.

    ``components``: keys to keep (None or empty: all). ``direction``: ``inbound`` or
    ``outbound`` keep entries of that direction and ``both`` entries; ``both`` keeps only
    ``both`` entries. ``interface``: ``internal`` or ``external`` keep entries of that
    interface and ``any`` entries; ``any`` keeps only ``any`` entries. ``host_kind`` and
    ``transport`` keep exact matches. ``seed_only`` drops the extras. ``as_published``
    reverts corrections first (the filters then see the seed's values).
    ``known``: the valid component keys (default: those of the catalogue file).
    ``service`` and ``peer`` keep the server entries that name that service, or that peer
    (a server component key or a kind of the peers table); ``flows``: the valid services
    and peers (default: those of the catalogue file).
    Raises ValueError naming the bad value and the valid ones.
    """
    if known is None:
        known = tuple(_catalogue().components)
    if flows is None and (service is not None or peer is not None):
        catalogue = _catalogue()
        flows = (tuple(catalogue.services), peer_keys(catalogue.components, catalogue.peers))
    checks: list[tuple[str, Sequence[object], Sequence[str]]] = [
        ("components", list(components or []), tuple(known)),
        ("direction", [direction] if direction is not None else [], DIRECTIONS),
        ("interface", [interface] if interface is not None else [], INTERFACES),
        ("host_kind", [host_kind] if host_kind is not None else [], HOST_KINDS),
        ("transport", [transport] if transport is not None else [], TRANSPORTS),
        ("service", [service] if service is not None else [], tuple(flows[0]) if flows else ()),
        ("peer", [peer] if peer is not None else [], tuple(flows[1]) if flows else ()),
    ]
    for option, values, valid in checks:
        bad = _unknown_values(values, valid)
        if bad:
            raise ValueError(
                f"{option}: unknown value {bad[0]!r}; valid values: {', '.join(valid)}"
            )

    wanted_components = set(components or known)
    result: list[Entry] = []
    for original in entries:
        # Most queries want a few components: skip the others before copying anything.
        if original["component"] not in wanted_components:
            continue
        entry = published_entry(original) if as_published else copy.deepcopy(dict(original))
        if seed_only and entry["seed_row"] is None:
            continue
        if direction is not None and not _matches_direction(entry["direction"], direction):
            continue
        if interface is not None and not _matches_interface(entry["interface"], interface):
            continue
        if host_kind is not None and entry["host_kind"] != host_kind:
            continue
        if transport is not None and transport not in entry["transports"]:
            continue
        if service is not None and service not in entry.get("service", ()):
            continue
        if peer is not None and peer not in entry.get("peers", ()):
            continue
        result.append(entry)
    return result


def query(
    components: Sequence[str] | None = None,
    direction: str | None = None,
    interface: str | None = None,
    host_kind: str | None = None,
    transport: str | None = None,
    seed_only: bool = False,
    as_published: bool = False,
    path: str | None = None,
    service: str | None = None,
    peer: str | None = None,
) -> list[Entry]:
    """Load the catalogue (cached) and ``select`` from it."""
    catalogue = _catalogue(path)
    return select(
        catalogue.entries,
        known=tuple(catalogue.components),
        service=service,
        peer=peer,
        flows=(tuple(catalogue.services), peer_keys(catalogue.components, catalogue.peers)),
        components=components,
        direction=direction,
        interface=interface,
        host_kind=host_kind,
        transport=transport,
        seed_only=seed_only,
        as_published=as_published,
    )
