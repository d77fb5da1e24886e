# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.catalogue_rules`` filter: catalogue entries -> firewall rule dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils._component_rules import (
    VALID_PROFILES,
    ComponentRulesError,
    build_rules,
)

DOCUMENTATION = r"""
name: catalogue_rules
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: Turn OCS port catalogue entries into Windows Firewall rules
description:
  - Takes entries of the OCS 2007 R2 port catalogue (as returned by the
    P(ocs.firewall.ports#lookup) lookup) and returns the rule list that
    M(ocs.firewall.win_firewall_rules) takes in its
    O(ocs.firewall.win_firewall_rules#module:rules) option.
  - An entry with transports V(tcp) and V(udp) becomes two rules; direction V(both)
    becomes an inbound and an outbound rule.
  - An inbound entry's ports are the host's local ports; an outbound entry's ports are
    the remote ports the host connects to.
  - Rule names are built from the label, the ports, the transport, the direction and
    the entry id, for example C(OCS Front End 5060-5061/TCP In (seed-01)); they are
    stable from run to run and unique within one component's rule group.
  - Each rule's description is the catalogue description followed by the entry id.
options:
  _input:
    description: Catalogue entries.
    type: list
    elements: dict
    required: true
  label:
    description:
      - Component name used in rule names, for example V(Front End).
    type: str
    required: true
  profiles:
    description: Firewall profiles the rules apply to.
    type: list
    elements: str
    choices: [domain, private, public]
    default: [domain, private, public]
  include_outbound:
    description:
      - Also make outbound rules for entries whose direction is V(outbound) or V(both).
      - Windows Firewall allows outbound traffic by default, so these are only needed
        where outbound traffic is blocked.
    type: bool
    default: false
  include_extras:
    description:
      - Keep entries that are not in the published seed table (ids C(extra-*)), which
        come from other Microsoft documents.
    type: bool
    default: true
  internal_addresses:
    description:
      - Local addresses for entries whose interface is V(internal) (for the Edge Server
        its internal interface, for the Mediation Server its pool side).
      - Entries whose interface is V(any) are bound to the internal and external
        addresses together when both lists are given, and left unbound otherwise.
      - Empty means any local address.
    type: list
    elements: str
    default: []
  external_addresses:
    description:
      - Local addresses for entries whose interface is V(external) (for the Edge Server
        its external interface, for the Mediation Server its gateway side).
      - Empty means any local address.
    type: list
    elements: str
    default: []
  remote_addresses:
    description:
      - Remote addresses every rule is limited to. Empty means any remote address.
    type: list
    elements: str
    default: []
  enabled:
    description: Whether the rules are enabled.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Front End rules for the domain profile only
  ansible.builtin.set_fact:
    front_end_rules: >-
      {{ lookup('ocs.firewall.ports', 'front_end')
         | ocs.firewall.catalogue_rules(label='Front End', profiles=['domain']) }}

- name: Edge rules bound to the Edge Server's two interfaces
  ansible.builtin.set_fact:
    edge_rules: >-
      {{ lookup('ocs.firewall.ports', 'edge')
         | ocs.firewall.catalogue_rules(label='Edge',
                                        internal_addresses=['10.10.0.20'],
                                        external_addresses=['192.0.2.10', '192.0.2.11']) }}
"""

RETURN = r"""
_value:
  description: Rule dicts for M(ocs.firewall.win_firewall_rules).
  type: list
  elements: dict
  contains:
    name:
      description: Rule name, unique within the component's group.
      type: str
      sample: OCS Front End 5060-5061/TCP In (seed-01)
    description:
      description: Catalogue description and entry id.
      type: str
    direction:
      description: V(in) or V(out).
      type: str
    action:
      description: Always V(allow).
      type: str
    protocol:
      description: V(tcp) or V(udp).
      type: str
    local_ports:
      description: Ports of an inbound rule.
      type: list
      elements: str
    remote_ports:
      description: Ports of an outbound rule.
      type: list
      elements: str
    local_addresses:
      description: Local addresses (empty for any).
      type: list
      elements: str
    remote_addresses:
      description: Remote addresses (empty for any).
      type: list
      elements: str
    profiles:
      description: Profiles, sorted.
      type: list
      elements: str
    enabled:
      description: Whether the rule is enabled.
      type: bool
"""


def catalogue_rules(
    entries: Any,
    label: str,
    profiles: Any = VALID_PROFILES,
    include_outbound: bool = False,
    include_extras: bool = True,
    internal_addresses: Any = None,
    external_addresses: Any = None,
    remote_addresses: Any = None,
    enabled: bool = True,
) -> list[dict[str, Any]]:
    """Filter entry point; see DOCUMENTATION."""
    try:
        return build_rules(
            entries,
            label=label,
            profiles=profiles,
            include_outbound=include_outbound,
            include_extras=include_extras,
            internal_addresses=internal_addresses,
            external_addresses=external_addresses,
            remote_addresses=remote_addresses,
            enabled=enabled,
        )
    except ComponentRulesError as exc:
        raise AnsibleFilterError(f"ocs.firewall.catalogue_rules: {exc}") from exc


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"catalogue_rules": catalogue_rules}
