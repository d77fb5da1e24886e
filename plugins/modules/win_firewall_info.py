# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_firewall_info
short_description: Read Windows Firewall rules and profile settings
version_added: 0.1.0
description:
  - Returns the Windows Firewall rules of some rule groups, or every rule, and the state
    of the domain, private and public profiles.
  - Rules are returned in the canonical form M(ocs.firewall.win_firewall_rules) uses, so
    they can be compared with its O(ocs.firewall.win_firewall_rules#module:rules) option.
  - One round trip to the host; it never changes anything.
options:
  groups:
    description:
      - Only return the rules whose group is one of these (compared ignoring case).
      - Omitted or empty returns every rule of the host.
    type: list
    elements: str
    default: []
  owned:
    description:
      - Also return every rule the collection made (whose description ends with its
        C([ocs.firewall ...]) marker), in any group. With no O(groups), only those.
    type: bool
    default: false
  stored:
    description:
      - Also return, for each rule, its managed properties exactly as Windows stored
        them (RV(rules[].stored)), before the collection's canonical form. The real-host
        acceptance record of the C(molecule/windows) scenario uses it.
    type: bool
    default: false
extends_documentation_fragment:
  - ocs.firewall.attributes
  - ocs.firewall.attributes.read_only
notes:
  - The target needs PowerShell 2.0 or later and Windows Server 2008 or later
    (C(HNetCfg.FwPolicy2)); no module is uploaded.
seealso:
  - module: ocs.firewall.win_firewall_rules
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Read the rules this collection manages on a Front End server
  ocs.firewall.win_firewall_info:
    groups:
      - OCS 2007 R2 - Front End
  register: fe_firewall

- name: Fail when the domain profile is off
  ansible.builtin.assert:
    that: fe_firewall.profiles.domain.enabled
    fail_msg: Windows Firewall is off in the domain profile
"""

RETURN = r"""
host:
  description: The host's versions, as its read reported them.
  returned: success
  type: dict
  contains:
    os_version:
      description:
        - The Windows version as the host gives it, for example C(6.1.7601.65536) (Windows
          Server 2008 R2 SP1; the fourth part is the service pack).
      type: str
    powershell_version:
      description: The PowerShell version that ran the script, for example C(2.0).
      type: str
  sample: {os_version: 6.1.7601.65536, powershell_version: "2.0"}
rules:
  description:
    - The rules, in the order Windows lists them, in the canonical form of
      M(ocs.firewall.win_firewall_rules) plus three read-only properties and RV(rules[].owned).
  returned: success
  type: list
  elements: dict
  contains:
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
    owned:
      description:
        - Whether the collection made the rule (its description ends with the marker);
          only such rules are ever changed or removed by the collection.
      type: bool
    stored:
      description:
        - With O(stored), the rule's managed properties as Windows stored them (ports
          and addresses as strings, profiles as a bit mask, direction, action and
          protocol as numbers).
      type: dict
      returned: when O(stored) is true
    group:
      description:
        - The rule's group (C(Grouping)).
        - Built-in rules hold a resource reference such as C(@FirewallAPI.dll,-28502).
      type: str
    application:
      description: Program the rule is restricted to, or empty.
      type: str
    service:
      description: Service the rule is restricted to, or empty.
      type: str
profiles:
  description: State of each firewall profile.
  returned: success
  type: dict
  contains:
    domain:
      description: The domain profile.
      type: dict
      contains:
        enabled:
          description: Whether the firewall is on in this profile.
          type: bool
        default_inbound_action:
          description: V(allow) or V(block), for inbound traffic no rule matches.
          type: str
        default_outbound_action:
          description: V(allow) or V(block), for outbound traffic no rule matches.
          type: str
    private:
      description: The private profile, as RV(profiles.domain).
      type: dict
    public:
      description: The public profile, as RV(profiles.domain).
      type: dict
    standard:
      description:
        - Windows Server 2003 only, which has the profiles C(domain) and C(standard), each
          with C(enabled), C(exceptions_not_allowed) (the profile ignores every entry) and
          C(current) (the profile in effect), and no default actions.
      type: dict
  sample:
    domain: {enabled: true, default_inbound_action: block, default_outbound_action: allow}
    private: {enabled: true, default_inbound_action: block, default_outbound_action: allow}
    public: {enabled: true, default_inbound_action: block, default_outbound_action: allow}
entries:
  description:
    - Windows Server 2003 only - the open-port entries (C(GloballyOpenPorts)) of both
      profiles, those the collection made only with O(owned). RV(rules) then holds each
      entry as the rule it amounts to (an inbound allow of its one port, profiles
      V(domain) for the Domain profile and V(private), V(public) for Standard, no group,
      and C(legacy_profile), C(Domain) or C(Standard)); C(playbooks/report.yml) shows
      them by profile.
  returned: success on a Windows Server 2003 host
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    profile:
      description: C(Domain) or C(Standard).
      type: str
    port:
      description: The port.
      type: int
    protocol:
      description: V(tcp) or V(udp).
      type: str
    name:
      description: The entry's name; the collection's start with C([ocs.firewall] ).
      type: str
    remote_addresses:
      description: >-
        The entry's scope as Windows stores it (C(*), C(LocalSubnet),
        C(a.b.c.d/m.m.m.m)).
      type: str
    enabled:
      description: Whether the entry is on.
      type: bool
    builtin:
      description: Whether Windows made the entry.
      type: bool
    owned:
      description: Whether the collection made the entry.
      type: bool
  sample:
    - {profile: Domain, port: 5061, protocol: tcp, name: "[ocs.firewall] Front End - 5061/TCP",
       remote_addresses: "*", enabled: true, builtin: false, owned: true}
"""
