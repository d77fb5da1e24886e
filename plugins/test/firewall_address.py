# GNU General Public License v3.0+ (see LICENSES or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.firewall_address`` test: is a value one address Windows Firewall takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._component_rules import (
    is_firewall_address,
)

DOCUMENTATION = r"""
name: firewall_address
author: ocs.firewall maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: Test whether a value is one Windows Firewall address
description:
  - True when the value is one address in a form Windows Firewall rules take, as
    M(ocs.firewall.win_firewall_rules) reads it - an IPv4 or IPv6 address, a network
    C(address/prefix) or C(address/mask), or a range C(low-high).
  - Unless O(local=true), the keywords C(LocalSubnet), C(DNS), C(DHCP), C(WINS) and
    C(DefaultGateway) and the words C(*)/C(any) are also accepted.
  - The roles of this collection use it to check address variables before any host is
    contacted.
options:
  _input:
    description: The value to test.
    type: raw
    required: true
  local:
    description:
      - Test for a local address a rule can be bound to. Windows takes the keywords only
        as remote addresses, and C(*)/C(any) would bind to nothing in particular.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check an Edge Server's external addresses
  ansible.builtin.assert:
    that: bad | length == 0
    fail_msg: "ocs_edge_external_addresses: not addresses: {{ bad }}"
  vars:
    bad: >-
      {{ ocs_edge_external_addresses
         | reject('ocs.firewall.firewall_address', local=true) | list }}

- name: A remote address may be a keyword
  ansible.builtin.assert:
    that: "'LocalSubnet' is ocs.firewall.firewall_address"
"""

RETURN = r"""
_value:
  description: Whether the value is one valid address.
  type: bool
"""


def firewall_address(value: Any, local: bool = False) -> bool:
    """One address, not a comma-separated list (each list element is tested on its own)."""
    return is_firewall_address(value, local=local)


class TestModule:
    """Ansible test plugin loader entry."""

    def tests(self) -> dict[str, Callable[..., bool]]:
        return {"firewall_address": firewall_address}
