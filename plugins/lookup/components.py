# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: components
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
short_description: The OCS 2007 R2 components of the port catalogue
version_added: 0.2.0
description:
  - Returns the rows of the port catalogue's component table, in catalogue order, each
    with the component's key, title and kind, and for the server components a role
    configures their inventory group, role, rule label, default rule group and the names
    of their variables.
  - The collection's roles, playbooks and modules all derive their component facts from
    this table.
options:
  _terms:
    description:
      - Component keys to return. No terms returns every component.
    type: list
    elements: str
    required: false
  host_kind:
    description: Keep only components of this kind.
    type: str
    choices: [server, load_balancer, client]
"""

EXAMPLES = r"""
- name: Default rule group of each server component
  ansible.builtin.debug:
    msg: "{{ query('ocs.firewall.components', host_kind='server') | items2dict('key', 'group') }}"

- name: The components this host holds, from its inventory groups
  ansible.builtin.debug:
    msg: >-
      {{ query('ocs.firewall.components', host_kind='server')
         | selectattr('inventory_group', 'in', group_names) | map(attribute='key') | list }}
"""

RETURN = r"""
_raw:
  description: One dictionary per component.
  type: list
  elements: dict
  contains:
    key:
      description: Component key, as in the P(ocs.firewall.ports#lookup) lookup.
      type: str
      sample: edge
    title:
      description: The component's title in the published ports table.
      type: str
    host_kind:
      description: V(server), V(load_balancer) or V(client).
      type: str
    inventory_group:
      description: The inventory group of hosts holding the component (servers only).
      type: str
      sample: ocs_edge
    role:
      description: The role that configures it (servers only).
      type: str
      sample: ocs.firewall.edge
    label:
      description: The label in its rule names (servers only).
      type: str
    group:
      description: Its default Windows Firewall rule group (servers only).
      type: str
      sample: OCS 2007 R2 - Edge
    interfaces:
      description: Interface (V(internal)/V(external)) to the setting holding its local addresses.
      type: dict
      sample: {internal: internal_addresses, external: external_addresses}
    services:
      description:
        - External service to the setting holding its own local addresses (the Edge's
          Access, Web Conferencing and A/V Edge services); empty for other components.
      type: dict
      sample: {access_edge: access_addresses, webconf_edge: webconf_addresses}
    opt_ins:
      description: Opt-in setting (a boolean, false by default) to what it adds.
      type: dict
      sample: {r1_federation: "Federation with OCS 2007 (R1) partners: ..."}
    variables:
      description: Setting -> the inventory variable that sets it (servers only).
      type: dict
      sample: {state: ocs_edge_state, group: ocs_edge_group}
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _settings


def component_dict(component: _catalogue.Component) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": component.key,
        "title": component.title,
        "host_kind": component.host_kind,
    }
    if component.host_kind == "server":
        row.update(
            inventory_group=component.inventory_group,
            role=component.role,
            label=component.label,
            group=component.group,
            interfaces=dict(component.interfaces),
            services=dict(component.service_addresses),
            opt_ins=dict(component.opt_ins),
            variables={s: component.variable(s) for s in _settings.settings_of(component)},
        )
    return row


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        self.set_options(var_options=variables, direct=kwargs)
        host_kind = self.get_option("host_kind")
        try:
            table = _catalogue.components()
        except CatalogueError as exc:
            raise AnsibleLookupError(f"ocs.firewall.components: {exc}") from exc
        keys: list[str] = []
        for term in terms:
            items = term if isinstance(term, (list, tuple)) else [term]
            for item in items:
                if not isinstance(item, str) or item not in table:
                    raise AnsibleLookupError(
                        f"ocs.firewall.components: unknown component {item!r}; valid "
                        f"components: {', '.join(table)}"
                    )
                keys.append(item)
        return [
            component_dict(table[key])
            for key in (keys or list(table))
            if host_kind is None or table[key].host_kind == host_kind
        ]
