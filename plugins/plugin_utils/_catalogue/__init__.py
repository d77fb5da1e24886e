# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the OCS 2007 R2 port catalogue.
"""The OCS 2007 R2 port catalogue: its model, its schema, and the file loaded and queried.

The catalogue is a YAML data file (``catalogue/ocs-2007-r2-ports.yml`` at the collection
root). Everything that needs a port reads it through this package, so a broken file is
reported once, here, with the entry id and the field at fault.

* :mod:`._model`: a component row, a peer kind, an entry, the checked catalogue, and the
  vocabularies of their fields;
* :mod:`._schema`: every check of a document (:func:`validate_catalogue`);
* :mod:`._queries`: the file loaded once per path, its tables, a component's server
  entries and entry ids, and :func:`select` / :func:`query` (the lookups').

The names below are the package's: other packages import ``_catalogue`` and use them.
"""

from __future__ import annotations

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
    RULE_DIRECTIONS,
    SEED_ROW_COUNT,
    SERVER_COMPONENT_FIELDS,
    SIDES,
    TRANSPORTS,
    Catalogue,
    Component,
    Entry,
    PeerKind,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue._queries import (
    CATALOGUE_PATH,
    components,
    entry_ids,
    load_catalogue,
    peer_kinds,
    published_entry,
    query,
    select,
    server_components,
    server_entries,
    services,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue._schema import (
    parse_port,
    peer_keys,
    validate_catalogue,
)

__all__ = [
    "ANY_SCOPE",
    "CATALOGUE_PATH",
    "CATALOGUE_VERSION",
    "COMPONENT_FIELDS",
    "COMPONENT_ZONES",
    "CORRECTABLE_FIELDS",
    "CORRECTION_FIELDS",
    "Catalogue",
    "Component",
    "DIRECTIONS",
    "Entry",
    "FIELDS",
    "FLOW_FIELDS",
    "HOST_KINDS",
    "INFERABLE_FIELDS",
    "INTERFACES",
    "PEER_ZONES",
    "POOL_MEMBER",
    "POOL_NEXT_HOP",
    "POOL_PARTS",
    "POOL_RELATIONS",
    "ONE_WAY",
    "PEER_DIRECTIONS",
    "POOL_SCOPE",
    "POOL_SERVES",
    "PeerKind",
    "RULE_DIRECTIONS",
    "SEED_ROW_COUNT",
    "SERVER_COMPONENT_FIELDS",
    "SIDES",
    "TRANSPORTS",
    "components",
    "entry_ids",
    "load_catalogue",
    "parse_port",
    "peer_keys",
    "peer_kinds",
    "published_entry",
    "query",
    "select",
    "server_components",
    "server_entries",
    "services",
    "validate_catalogue",
]
