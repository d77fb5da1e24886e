# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.report_rows`` filter (plugins/plugin_utils/_rules_report.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _rules_report

DOCUMENTATION = r"""
name: report_rows
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
version_added: 0.2.0
short_description: The rows of the firewall rules report, one per rule, with every field
description:
  - Takes the C(rules) that M(ocs.firewall.win_firewall_info) returns for one host and
    returns one row per rule, sorted by group and name (ignoring case), with every field
    of the rule, the host, and the group as the report shows it.
  - P(ocs.firewall.report_table#filter) turns rows into the report's screen, CSV or
    Markdown table; C(playbooks/report.yml) writes the rows themselves to C(report.json).
options:
  _input:
    description: The rules, as M(ocs.firewall.win_firewall_info) returns them.
    type: list
    elements: dict
    required: true
  host:
    description: The host the rules were read from, written in each row.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read every rule of the host
  ocs.firewall.win_firewall_info:
  register: info

- name: Show its built-in rules that are open
  ansible.builtin.debug:
    msg: >-
      {{ info.rules | ocs.firewall.report_rows(inventory_hostname)
         | selectattr('group', 'match', '@') | selectattr('enabled')
         | map(attribute='name') }}
"""

RETURN = r"""
_value:
  description:
    - The rows. Ports, addresses and profiles are lists as in
      M(ocs.firewall.win_firewall_info); an empty port or address list means any.
  type: list
  elements: dict
  contains:
    host:
      description: The host.
      type: str
    group:
      description: The rule's group as Windows holds it; empty for a rule with no group.
      type: str
      sample: "@FirewallAPI.dll,-28752"
    group_label:
      description:
        - The group as the report shows it. A built-in group's indirect name is shown as
          C(built-in (@FirewallAPI.dll,-28752)) (Windows resolves it to a title only on
          the host), a rule with no group as C((no group)).
      type: str
      sample: built-in (@FirewallAPI.dll,-28752)
    # BEGIN rule fields (scripts/render.py)
    name:
      description: The rule's name.
      type: str
    description:
      description: The rule's description.
      type: str
    direction:
      description: V(in) or V(out).
      type: str
    action:
      description: V(allow) or V(block).
      type: str
    protocol:
      description: V(tcp), V(udp), V(any), V(icmpv4), V(icmpv6) or another protocol's number.
      type: str
    local_ports:
      description:
        - Sorted local ports with ranges merged; V([]) is any.
        - Windows keywords such as V(RPC) are kept as they are.
      type: list
      elements: str
    remote_ports:
      description: Sorted remote ports with ranges merged; V([]) is any.
      type: list
      elements: str
    local_addresses:
      description: Sorted canonical local addresses; V([]) is any.
      type: list
      elements: str
    remote_addresses:
      description: Sorted canonical remote addresses and keywords (V(LocalSubnet)...); V([]) is
        any.
      type: list
      elements: str
    profiles:
      description: The profiles the rule is active in, sorted.
      type: list
      elements: str
    enabled:
      description: Whether the rule is enabled.
      type: bool
    # END rule fields
    application:
      description: The program the rule is restricted to; empty is any.
      type: str
    service:
      description: The service the rule is restricted to; empty is any.
      type: str
    owned:
      description: Whether the collection made the rule.
      type: bool
"""


def report_rows(rules: Any, host: Any) -> Any:
    try:
        return _rules_report.report_rows(host, rules)
    except InputError as exc:
        raise AnsibleFilterError(f"ocs.firewall.report_rows: {exc}") from None


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"report_rows": report_rows}
