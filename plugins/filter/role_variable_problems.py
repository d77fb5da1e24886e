# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.role_variable_problems`` filter: what is wrong with a role's variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils import _component_rules

DOCUMENTATION = r"""
name: role_variable_problems
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: Check the variables of an ocs.firewall component role
description:
  - Takes the variables of one component role of this collection (for example
    C(ocs_edge_state), C(ocs_edge_internal_addresses)) as a mapping of variable name to
    value and returns one message per problem; an empty list means the values are fine.
  - >-
    Each message starts with the variable's name and shows the bad value as JSON, for
    example C(ocs_edge_internal_addresses: "10.10.1.300" is not a valid local address; ...).
  - "Checks: the state is V(present) or V(absent); the group is a non-empty name of at most
    255 characters without C(|); the profiles name at least one of V(domain),
    V(private), V(public) and nothing else; the flags C(include_outbound),
    C(include_extras) and C(as_published) are booleans; every remote address is one
    address, network, range or keyword Windows Firewall takes; every interface address is
    one of the server's own addresses, networks or ranges (no keywords); and no address
    is given for both interfaces (compared in canonical form)."
  - Addresses are parsed by the same code M(ocs.firewall.win_firewall_rules) uses for the
    addresses in its O(ocs.firewall.win_firewall_rules#module:rules), so what passes here
    passes there.
  - The component roles call it in their preflight task, before any host is contacted.
options:
  _input:
    description:
      - Variable name to value, for every variable named by O(prefix) and O(sides)
        (C(<prefix>_state), C(<prefix>_group), C(<prefix>_profiles),
        C(<prefix>_remote_addresses), C(<prefix>_include_outbound),
        C(<prefix>_include_extras), C(<prefix>_as_published), and each side variable).
    type: dict
    required: true
  prefix:
    description: The role's variable prefix, for example V(ocs_edge).
    type: str
    required: true
  sides:
    description:
      - Interface (V(internal) or V(external)) to the name of the variable holding the
        local addresses that interface's rules are bound to.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check values for the Edge role before using it
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    edge_values:
      ocs_edge_state: present
      ocs_edge_group: OCS 2007 R2 - Edge
      ocs_edge_profiles: [domain]
      ocs_edge_remote_addresses: []
      ocs_edge_include_outbound: false
      ocs_edge_include_extras: true
      ocs_edge_as_published: false
      ocs_edge_internal_addresses: [10.10.0.20]
      ocs_edge_external_addresses: [192.0.2.10, 192.0.2.11]
    problems: >-
      {{ edge_values
         | ocs.firewall.role_variable_problems(
             prefix='ocs_edge',
             sides={'internal': 'ocs_edge_internal_addresses',
                    'external': 'ocs_edge_external_addresses'}) }}

# The component roles build the mapping from the play's variables by name.
- name: Check the Edge role's variables as the play sets them
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    ocs_edge_state: present
    ocs_edge_group: OCS 2007 R2 - Edge
    ocs_edge_profiles: [domain, private, public]
    ocs_edge_remote_addresses: []
    ocs_edge_include_outbound: false
    ocs_edge_include_extras: true
    ocs_edge_as_published: false
    ocs_edge_internal_addresses: [10.10.0.20]
    names: "{{ query('ansible.builtin.varnames', '^ocs_edge_') }}"
    problems: >-
      {{ dict(names | zip(query('ansible.builtin.vars', *names)))
         | ocs.firewall.role_variable_problems(
             prefix='ocs_edge',
             sides={'internal': 'ocs_edge_internal_addresses',
                    'external': 'ocs_edge_external_addresses'}) }}
"""

RETURN = r"""
_value:
  description: One message per problem, each naming the variable and the bad value.
  type: list
  elements: str
  sample:
    - 'ocs_edge_state: "gone" is not a state; valid states are present, absent'
"""


def role_variable_problems(values: Any, prefix: str, sides: Any = None) -> list[str]:
    """Filter entry point; see DOCUMENTATION."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError(
            f"ocs.firewall.role_variable_problems: {values!r} is not a mapping of variable "
            f"names to values"
        )
    if sides is not None and not isinstance(sides, Mapping):
        raise AnsibleFilterError(
            f"ocs.firewall.role_variable_problems: sides: {sides!r} is not a mapping of "
            f"interface to variable name"
        )
    try:
        return _component_rules.role_variable_problems(values, prefix, sides)
    except _component_rules.ComponentRulesError as exc:
        raise AnsibleFilterError(f"ocs.firewall.role_variable_problems: {exc}") from exc


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"role_variable_problems": role_variable_problems}
