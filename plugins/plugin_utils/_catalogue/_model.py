# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what the port catalogue is made of.
"""The catalogue's model: its tables' rows (:class:`Component`, :class:`PeerKind`), an
entry (a plain dictionary, :data:`Entry`), the checked whole (:class:`Catalogue`), and the
vocabularies of their fields. Pure data: :mod:`._schema` checks a document against it,
:mod:`._queries` loads and queries the file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import PORT_PROTOCOLS

Entry = dict[str, Any]


CATALOGUE_VERSION = 2
SEED_ROW_COUNT = 76

HOST_KINDS: tuple[str, ...] = ("server", "load_balancer", "client")
# The interfaces an entry can name, and those a component binds to local addresses.
SIDES: tuple[str, ...] = ("internal", "external")
# Where a server component's hosts stand (the port matrix's zones): the internal network,
# or the perimeter network between the internal network and the Internet.
COMPONENT_ZONES: tuple[str, ...] = ("internal", "perimeter")
# A server component's part in the estate's pools (``ocs_pool``): its servers are members of
# a pool (a Front End pool and its conferencing servers, back end and Web Components; a
# Director array), it serves one or more pools (setting ``pools``), or it hands its traffic
# to one pool, its next hop (setting ``next_hop_pool``).
POOL_MEMBER = "member"
POOL_SERVES = "serves"
POOL_NEXT_HOP = "next_hop"
POOL_PARTS: tuple[str, ...] = (POOL_MEMBER, POOL_SERVES, POOL_NEXT_HOP)
# How a server entry's peer is limited by pools (its ``pool_scope``): ``same`` the peers of
# the host's own pool; ``served`` the peers of the pools the host serves (a Mediation
# Server by its next hop's pool); ``next_hop`` the Mediation Servers whose next hop is the
# host's pool (inbound only: any pool's servers call a Mediation Server out).
POOL_RELATIONS: tuple[str, ...] = ("same", "served", "next_hop")
# Where the peers of a kind of the peers table are.
PEER_ZONES: tuple[str, ...] = ("internal", "internet")


@dataclasses.dataclass(frozen=True)
class Component:
    """One row of the catalogue's ``components`` table (see the file's header).

    Everything named after a component derives from its key: the inventory group
    ``ocs_<key>``, the role ``ocs.firewall.<key>`` and the variables ``ocs_<key>_<setting>``.
    Only server components have a label, a default group and a server description.
    """

    key: str
    title: str
    host_kind: str
    label: str = ""
    group: str = ""
    server: str = ""
    interfaces: tuple[tuple[str, str], ...] = ()
    # service -> the setting holding the local addresses of that external service (Edge).
    service_addresses: tuple[tuple[str, str], ...] = ()
    # opt-in setting -> what it adds (a boolean setting, false by default).
    opt_ins: tuple[tuple[str, str], ...] = ()
    # Server components: internal or perimeter (its hosts stand in the perimeter network).
    zone: str = "internal"
    # Load balancer components: the server component whose servers it balances.
    balances: str = ""
    # Server components: its part in the estate's pools (POOL_PARTS), or "" for none.
    pool: str = ""
    # A perimeter server with two sides whose entries all take either side (the reverse
    # proxy): its sides' addresses say where its flows arrive, and may be left unset.
    sides_optional: bool = False

    @property
    def inventory_group(self) -> str:
        return f"ocs_{self.key}"

    @property
    def role(self) -> str:
        return f"ocs.firewall.{self.key}"

    def variable(self, setting: str) -> str:
        """The inventory variable of one of this component's settings."""
        return f"ocs_{self.key}_{setting}"

    @property
    def address_settings(self) -> tuple[str, ...]:
        """The settings holding local addresses: internal side, external side, services."""
        return (
            *(setting for _side, setting in self.interfaces),
            *(setting for _service, setting in self.service_addresses),
        )

    def side_setting(self, side: str) -> str | None:
        return dict(self.interfaces).get(side)

    @property
    def must_bind(self) -> bool:
        """A perimeter server with two sides (the Edge): its rules must be bound to them, or
        its internal-only ports would open on its Internet side too."""
        return (
            self.zone == "perimeter"
            and len(self.interfaces) == len(SIDES)
            and not self.sides_optional
        )


# The fields of a row of the components table, and those only a server component has.
SERVER_COMPONENT_FIELDS: tuple[str, ...] = (
    "label",
    "group",
    "server",
    "interfaces",
    "services",
    "opt_ins",
    "zone",
    "pool",
    "sides_optional",
)
COMPONENT_FIELDS: tuple[str, ...] = ("title", "host_kind", *SERVER_COMPONENT_FIELDS, "balances")


TRANSPORTS: tuple[str, ...] = PORT_PROTOCOLS
# An entry's direction, from the host's point of view, and the directions of its rules.
RULE_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "inbound": ("in",),
    "outbound": ("out",),
    "both": ("in", "out"),
}
DIRECTIONS: tuple[str, ...] = tuple(RULE_DIRECTIONS)
# An entry's interface: one side, or any (bound to no particular interface).
INTERFACES: tuple[str, ...] = (*SIDES, "any")

FIELDS: tuple[str, ...] = (
    "id",
    "component",
    "component_title",
    "host_kind",
    "ports",
    "seed_ports",
    "transports",
    "protocol",
    "direction",
    "interface",
    "description",
    "seed_row",
    "inferred",
    "corrections",
    "source",
)

# The flow fields of a server entry (and only of a server entry): the service(s) of the
# host that listen or connect, the peers at the other end (server component keys or kinds
# of the peers table), the documents they come from, and the opt-in setting of the
# entry's component that it needs (null: always made).
FLOW_FIELDS: tuple[str, ...] = ("service", "peers", "flow_sources", "opt_in")
# A server entry may say how pools limit its peers: peer -> one of POOL_RELATIONS.
POOL_SCOPE = "pool_scope"
# A server entry whose direction is both may say that some of its peers take one way only:
# peer -> inbound (the peer opens the connections) or outbound (the host opens them), from
# the host's view as direction is. Peers it does not name go both ways. Its ``inferred``
# lists ``peer_directions.<peer>`` for each such way no document states.
PEER_DIRECTIONS = "peer_directions"
ONE_WAY: tuple[str, ...] = ("inbound", "outbound")

# Fields whose value may be inferred where the seed (or, for the flow fields, Microsoft's
# documentation) is silent, and fields a correction may change. The seed always gives the
# component, the title and the port text.
INFERABLE_FIELDS: tuple[str, ...] = (
    "transports",
    "direction",
    "interface",
    "service",
    "peers",
    POOL_SCOPE,
    PEER_DIRECTIONS,
)
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "ports",
    "transports",
    "protocol",
    "direction",
    "interface",
    "description",
)
CORRECTION_FIELDS: tuple[str, ...] = ("field", "seed_value", "value", "source")

# A peer kind outside the inventory is either open to any address or scoped by a
# collection-wide variable listing its networks.
ANY_SCOPE = "any"


@dataclasses.dataclass(frozen=True)
class PeerKind:
    """A row of the ``peers`` table: peers that are not servers of the inventory.

    ``scope`` is ``any`` (the rule stays open to every address: the Internet) or the
    collection-wide variable whose networks a rule for these peers is limited to when
    the scope comes from the inventory; ``required`` says whether such a rule needs the
    variable set.
    """

    key: str
    title: str
    scope: str
    # A rule for these peers needs the variable set (not: it may do without them).
    required: bool
    # internal or internet: where these peers are (the port matrix's zones).
    zone: str = "internal"

    @property
    def open(self) -> bool:
        return self.scope == ANY_SCOPE


@dataclasses.dataclass(frozen=True)
class Catalogue:
    """A checked catalogue: its tables and its entries (shared: callers copy what they change)."""

    components: dict[str, Component]
    entries: tuple[Entry, ...]
    services: dict[str, str]
    peers: dict[str, PeerKind]
