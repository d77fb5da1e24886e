# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ports
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
short_description: Entries of the OCS 2007 R2 port catalogue
version_added: 0.1.0
description:
  - Returns entries of the collection's port catalogue for Microsoft Office Communications
    Server 2007 R2, filtered by component, direction, interface, host kind and transport.
  - The catalogue carries every row of the published OCS 2007 R2 ports table (seed rows
    C(seed-01) to C(seed-76)) and the extra ports that Microsoft documents and the table
    lacks (C(extra-*) entries, each naming its source document).
  - Where Microsoft's documentation differs from the published table the entry holds
    Microsoft's value and lists the table's value under RV(_raw[].corrections); set
    O(as_published=true) to get the table's values instead.
  - Entries come back in catalogue order (seed order, then the extras).
options:
  _terms:
    description:
      - Component keys to return entries for. No terms returns every component.
      - A term may also be a list of keys.
      - Valid keys are V(front_end), V(front_end_load_balancer), V(cwa), V(group_chat),
        V(monitoring), V(archiving), V(director), V(director_load_balancer), V(mediation),
        V(reverse_proxy), V(edge), V(edge_load_balancer), V(office_communicator),
        V(live_meeting_client), V(communicator_mobile), V(av_conferencing),
        V(web_conferencing), V(web_components) and V(sql_backend).
    type: list
    elements: str
    required: false
  direction:
    description:
      - Keep entries needed in this direction, from the host's own point of view.
      - V(inbound) returns entries whose direction is V(inbound) or V(both); V(outbound)
        returns entries whose direction is V(outbound) or V(both); V(both) returns only
        entries needed in both directions.
      - Not set returns every direction.
    type: str
    choices: [inbound, outbound, both]
  interface:
    description:
      - Keep entries that apply on this interface. Only Edge Server and Edge load balancer
        entries name an interface; all others are V(any).
      - V(internal) returns entries whose interface is V(internal) or V(any); V(external)
        returns entries whose interface is V(external) or V(any); V(any) returns only the
        entries bound to no particular interface.
      - Not set returns every interface.
    type: str
    choices: [internal, external, any]
  host_kind:
    description:
      - Keep entries of this kind of host. V(server) entries are Windows hosts a role can
        configure; V(load_balancer) (hardware load balancer VIPs) and V(client) entries are
        carried for completeness.
      - Not set returns every kind.
    type: str
    choices: [server, load_balancer, client]
  transport:
    description:
      - Keep entries that use this transport (an entry may list both).
      - Not set returns every transport.
    type: str
    choices: [tcp, udp]
  service:
    description:
      - Keep the server entries of this OCS service (RV(_raw[].service)), for example
        V(access_edge), V(webconf_edge), V(av_edge), V(focus) or V(msmq). The catalogue's
        C(services) table lists them all.
      - Not set returns every entry.
    type: str
    version_added: 0.2.0
  peer:
    description:
      - Keep the server entries whose traffic has this peer at its other end
        (RV(_raw[].peers)). A peer is a server component key such as V(front_end), or a
        kind of peer outside the inventory, V(internal_clients), V(external_users),
        V(federated_partners), V(internet), V(pstn_gateways), V(load_balancers) or
        V(domain_controllers).
      - Not set returns every entry.
    type: str
    version_added: 0.2.0
  seed_only:
    description:
      - Return only the rows of the published table, without the extras.
    type: bool
    default: false
  as_published:
    description:
      - Return the published table's values, with every correction reverted to the seed
        value (RV(_raw[].corrections) is kept, so the correction stays visible).
      - Filters apply to the values returned. Combine with O(seed_only=true) to get exactly
        the published table.
    type: bool
    default: false
notes:
  - The result is a list of dictionaries. Use C(query()) or
    C(wantlist=true); plain C(lookup) returns a single dictionary when one entry matches.
  - Options are given as keyword arguments; inline C(key=value) terms are not parsed.
seealso:
  - name: Ports and Protocols for Internal Servers (OCS 2007 R2)
    description: Microsoft's table of the ports used by OCS 2007 R2 servers and clients.
    link: https://technet.microsoft.com/en-us/library/dd425238(office.13).aspx
"""

EXAMPLES = r"""
- name: Inbound ports a Front End Server needs
  ansible.builtin.debug:
    msg: "{{ item.ports | join(',') }}/{{ item.transports | join('+') }}: {{ item.description }}"
  loop: "{{ query('ocs.firewall.ports', 'front_end', direction='inbound') }}"

- name: Everything the internal interface of an Edge Server listens on
  ansible.builtin.set_fact:
    edge_internal: >-
      {{ query('ocs.firewall.ports', 'edge', direction='inbound', interface='internal') }}

- name: UDP entries of several components (a term may be a list)
  ansible.builtin.debug:
    msg: >-
      {{ query('ocs.firewall.ports', ['mediation', 'edge'], transport='udp')
         | map(attribute='id') }}

- name: The published table as it stands, with no correction applied and no extras
  ansible.builtin.set_fact:
    published_table: "{{ query('ocs.firewall.ports', seed_only=true, as_published=true) }}"

- name: Where the published table was corrected, and on whose authority
  ansible.builtin.debug:
    msg: >-
      {{ item.id }}: {{ item.corrections | map(attribute='field') | join(', ') }}
      ({{ item.corrections | map(attribute='source') | unique | join(', ') }})
  loop: "{{ query('ocs.firewall.ports') | selectattr('corrections') }}"

- name: The ports the Archiving Server opens to the Front End Servers
  ansible.builtin.debug:
    msg: "{{ query('ocs.firewall.ports', 'archiving', peer='front_end') | map(attribute='ports') }}"

- name: Everything the A/V Edge service listens on, on either side
  ansible.builtin.debug:
    msg: >-
      {{ query('ocs.firewall.ports', 'edge', service='av_edge', direction='inbound')
         | map(attribute='id') }}

- name: Number of Front End entries
  ansible.builtin.debug:
    msg: "{{ lookup('ocs.firewall.ports', 'front_end', wantlist=true) | length }}"
"""

RETURN = r"""
_raw:
  description: Catalogue entries, in catalogue order.
  type: list
  elements: dict
  contains:
    id:
      description: >-
        Unique id, V(seed-01) to V(seed-76) for the published rows, V(extra-<slug>) for
        extras.
      type: str
      sample: seed-06
    component:
      description: Component key (see O(_terms)).
      type: str
      sample: front_end
    component_title:
      description: Component title; for seed rows the published table's text verbatim.
      type: str
      sample: Front End Servers
    host_kind:
      description: V(server), V(load_balancer) or V(client).
      type: str
      sample: server
    ports:
      description: Ports, each V(N) or V(N-M), with corrections applied.
      type: list
      elements: str
      sample: ["5060", "5061"]
    seed_ports:
      description: The published table's port text verbatim; V(null) for extras.
      type: str
      sample: 5060/5061
    transports:
      description: Transports the port needs, V(tcp) and/or V(udp).
      type: list
      elements: str
      sample: [tcp]
    protocol:
      description: >-
        Protocol as written in the published table (or in Microsoft's document for extras);
        V(null) where the table leaves it blank.
      type: str
      sample: HTTPS
    direction:
      description: V(inbound), V(outbound) or V(both), from the host's own point of view.
      type: str
      sample: inbound
    interface:
      description: V(internal), V(external) or V(any) (bound to no particular interface).
      type: str
      sample: any
    description:
      description: The published table's notes (whitespace-normalised), or the extra's explanation.
      type: str
      sample: Used for incoming SIP listening requests for IM conferencing
    seed_row:
      description: Row number 1..76 in the published table; V(null) for extras.
      type: int
      sample: 6
    inferred:
      description: >-
        Names of fields inferred because the published table (for RV(_raw[].service) and
        RV(_raw[].peers): Microsoft's documentation) is silent on them.
      type: list
      elements: str
      sample: [transports, direction]
    corrections:
      description: >-
        Values changed because Microsoft's documentation differs from the published table.
      type: list
      elements: dict
      contains:
        field:
          description: Name of the corrected field.
          type: str
          sample: ports
        seed_value:
          description: The published table's value.
          type: raw
          sample: ["49152-65335"]
        value:
          description: >-
            The corrected value (the field's value in the entry unless
            O(as_published=true)).
          type: raw
          sample: ["49152-65535"]
        source:
          description: Id of the Microsoft document the correction comes from.
          type: str
          sample: bb967672
    source:
      description: >-
        For extras, the id of the Microsoft document that lists the port; V(null) for seed
        rows.
      type: str
      sample: dd425238
    service:
      description: >-
        Server entries only: the OCS service(s) of the host that listen on, or connect
        from, these ports (the catalogue's C(services) table).
      type: list
      elements: str
      sample: [access_edge, webconf_edge, av_edge]
      version_added: 0.2.0
    peers:
      description: >-
        Server entries only: who is at the other end of the traffic. For an inbound entry
        they connect to this host; for an outbound one this host connects to them. Server
        component keys, or kinds of peer outside the inventory (see O(peer)).
      type: list
      elements: str
      sample: [front_end, director, internal_clients]
      version_added: 0.2.0
    flow_sources:
      description: >-
        Server entries only: ids of the Microsoft documents that RV(_raw[].service) and
        RV(_raw[].peers) come from; a field they do not state is listed in
        RV(_raw[].inferred).
      type: list
      elements: str
      sample: [dd425238, dd572362]
      version_added: 0.2.0
    opt_in:
      description: >-
        Server entries only: the setting of the component that must be on for the entry
        to give rules (for example V(r1_federation) of the Edge); V(null) when always made.
      type: str
      sample: null
      version_added: 0.2.0
    pool_scope:
      description:
        - >-
          Server entries only: how the estate's pools (C(ocs_pool)) limit the peers that
          are servers, peer by peer - V(same) (only the servers of the host's own pool:
          flows inside a pool), V(served) (only those of the pools the host serves, the
          setting C(ocs_<component>_pools) of an Archiving, Monitoring or Edge Server; a
          Mediation Server counts in its next hop's pool), V(next_hop) (only the Mediation
          Servers whose C(ocs_mediation_next_hop_pool) is the host's pool, inbound). A peer
          not named is every server of its component, in any pool. Empty for most entries.
      type: dict
      sample: {front_end: same}
      version_added: 0.3.0
    peer_directions:
      description:
        - >-
          Server entries whose C(direction) is V(both) only: the peers whose traffic goes one
          way, peer by peer - V(inbound) (the peer opens the connections to the host) or
          V(outbound) (the host opens them). A peer not named goes both ways. The port
          matrix draws a flow only the way it goes; the rules are the same either way. Its
          way is inferred, not stated by a document, where C(inferred) lists
          C(peer_directions.<peer>).
      type: dict
      sample: {internal_clients: inbound}
      version_added: 0.3.0
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleLookupError, AnsibleOptionsError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue import (
    DIRECTIONS,
    HOST_KINDS,
    INTERFACES,
    TRANSPORTS,
    query,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue import (
    components as catalogue_components,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError

# Valid values per option, for error messages; a unit test keeps DOCUMENTATION in step.
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "direction": DIRECTIONS,
    "interface": INTERFACES,
    "host_kind": HOST_KINDS,
    "transport": TRANSPORTS,
}
BOOL_OPTIONS: tuple[str, ...] = ("seed_only", "as_published")


def _explain_option_error(options: Mapping[str, Any]) -> str | None:
    """Name the option and value that ansible's option handling rejected."""
    for name, valid in OPTION_CHOICES.items():
        value = options.get(name)
        if value is not None and value not in valid:
            return f"option {name!r}: unknown value {value!r}; valid values: {', '.join(valid)}"
    for name in BOOL_OPTIONS:
        if name in options:
            try:
                boolean(options[name], strict=True)
            except TypeError:
                return (
                    f"option {name!r}: {options[name]!r} is not a boolean;"
                    " valid values: true, false"
                )
    return None


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        try:
            self.set_options(var_options=variables, direct=kwargs)
        except AnsibleOptionsError:
            # Core names the option and value but keeps the valid values out of the message.
            reason = _explain_option_error(kwargs)
            if reason is None:
                raise
            raise AnsibleLookupError(f"ocs.firewall.ports: {reason}") from None

        # Core ignores unknown keyword arguments; a misspelt filter would silently match all.
        known = [name for name in self.option_definitions if name != "_terms"]
        for name in kwargs:
            if name not in known:
                raise AnsibleLookupError(
                    f"ocs.firewall.ports: unknown option {name!r};"
                    f" valid options: {', '.join(known)}"
                )
        # Core reads any unrecognised string as false; a typo must not quietly mean false.
        reason = _explain_option_error(kwargs)
        if reason is not None:
            raise AnsibleLookupError(f"ocs.firewall.ports: {reason}")

        try:
            valid_components = catalogue_components()
        except CatalogueError as exc:
            raise AnsibleLookupError(f"ocs.firewall.ports: {exc}") from exc
        components: list[str] = []
        for term in terms:
            # A list variable passed as one term is as natural as separate terms.
            items = term if isinstance(term, Sequence) and not isinstance(term, str) else [term]
            for item in items:
                if not isinstance(item, str) or item not in valid_components:
                    raise AnsibleLookupError(
                        f"ocs.firewall.ports: unknown component {item!r};"
                        f" valid components: {', '.join(valid_components)}"
                    )
                if item not in components:
                    components.append(item)

        try:
            return query(
                components=components or None,
                direction=self.get_option("direction"),
                interface=self.get_option("interface"),
                host_kind=self.get_option("host_kind"),
                transport=self.get_option("transport"),
                seed_only=self.get_option("seed_only"),
                as_published=self.get_option("as_published"),
                service=self.get_option("service"),
                peer=self.get_option("peer"),
            )
        except (CatalogueError, ValueError) as exc:
            raise AnsibleLookupError(f"ocs.firewall.ports: {exc}") from exc
