# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_firewall_rules
short_description: Manage the Windows Firewall rules of one rule group
version_added: 0.1.0
description:
  - Makes the rules of one Windows Firewall rule group (the C(Grouping) of each rule) match
    a list, and by default removes the group's rules that are not listed.
  - Rules outside O(group) are never changed, even when they have the same name as a rule
    of the group. Inside it, only the rules a task of this module wrote (their description
    ends with C([ocs.firewall])) are ever replaced or removed - O(purge) included. Rules the
    collection did not make stay as they are, and so do the rules
    M(ocs.firewall.win_ocs_firewall) built from the catalogue (C([ocs.firewall catalogue
    <entry id>])), which that module manages. Naming a component's group adds rules beside
    them, and a rule may not take one of their names. Both kinds are reported (RV(foreign),
    RV(others)).
  - Rules are compared by meaning, not by spelling, so a task that matches the host
    reports no change. Ports are compared as sets (V(5060,5061), V(5061,5060) and
    V(5060-5061) are equal); addresses as Windows stores them (V(10.0.0.0/24) equals
    V(10.0.0.0/255.255.255.0), a single address equals the same address with a
    full-length mask); profiles as a set.
  - A rule that differs is replaced (removed and added again), because Windows Firewall
    validates each property change on its own and some changes (such as the protocol of
    a rule with ports) cannot be made in place. A group holding several rules of one name
    gets exactly one afterwards.
  - Every option is checked on the controller before the host is contacted; an error names
    the rule (index and name), the field and the bad value.
  - One round trip reads the group; when something must change, a second one applies
    every change. Nothing else runs on the host (no temporary files, no module upload),
    so the target only needs PowerShell 2.0 and the C(HNetCfg.FwPolicy2) COM API
    (Windows Server 2008 or later).
  - Rule names and descriptions may hold any character except C(|) (quotes, C($), back
    ticks, new lines, non-ASCII letters...), because they are sent to the host as data, never as
    script text.
options:
  group:
    description:
      - The rule group to manage, for example C(OCS 2007 R2 - Front End).
      - Compared with the rules' group ignoring case, as Windows does.
      - At most 255 characters, and no C(|).
      - Never a built-in group - neither its indirect name (starting with C(@), such as
        C(@FirewallAPI.dll,-28752)) nor the name Windows shows for it (C(Remote Desktop),
        C(Core Networking)...) - nor OCS setup's group
        (C(Office Communications Server 2007 R2)).
    type: str
    required: true
  rules:
    description:
      - The rules the group must hold.
      - With O(state=present), each listed rule is created or replaced to match. With
        O(state=absent) and O(purge=false), only the names matter and the listed rules are
        removed. With O(state=absent) and O(purge=true) the list is not used.
      - Names must be unique, ignoring case.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Rule name. Unique inside O(rules), compared ignoring case.
          - At most 255 characters; no C(|); not the word C(all) (both reserved by Windows).
        type: str
        required: true
      description:
        description:
          - Rule description. No C(|). At most 10,000 characters with the C( [ocs.firewall])
            the collection puts at its end (so 9,985 of yours; Windows Firewall stores no
            longer one, and counts a character beyond U+FFFF as two).
        type: str
        default: ""
      direction:
        description:
          - Traffic the rule applies to, from the host's point of view.
        type: str
        choices: [in, out]
        default: in
      action:
        description:
          - Whether matching traffic is allowed or blocked.
        type: str
        choices: [allow, block]
        default: allow
      protocol:
        description:
          - IP protocol. Ports can only be given with V(tcp) or V(udp).
        type: str
        choices: [tcp, udp, any]
        default: tcp
      local_ports:
        description:
          - Local ports, as a number, a range V(N-M), a comma-separated string V(N,M), or a list
            of those. Ports are 1 to 65535 and ranges go from low to high.
          - Omitted, empty, V(*) or V(any) means any port.
        type: raw
      remote_ports:
        description:
          - Remote ports, in the same forms as O(rules[].local_ports).
        type: raw
      local_addresses:
        description:
          - Local addresses, as a string (comma-separated) or a list of IPv4 or IPv6 addresses,
            networks (V(10.0.0.0/24) or V(10.0.0.0/255.255.255.0)) and ranges
            (V(10.0.0.1-10.0.0.9)).
          - A network with host bits set is reduced to its network (V(10.0.0.5/24) is
            V(10.0.0.0/24)).
          - Omitted, empty, V(*) or V(any) means any address.
          - The keywords of O(rules[].remote_addresses) are refused here, as Windows Firewall
            stores them for remote addresses only.
        type: raw
      remote_addresses:
        description:
          - Remote addresses, in the same forms as O(rules[].local_addresses), or the keywords
            V(LocalSubnet), V(DNS), V(DHCP), V(WINS), V(DefaultGateway) (any case).
        type: raw
      profiles:
        description:
          - Network profiles the rule is active in.
        type: list
        elements: str
        choices: [domain, private, public]
        default: [domain, private, public]
      enabled:
        description:
          - Whether the rule is enabled.
        type: bool
        default: true
  purge:
    description:
      - With O(state=present), remove the rules of O(group) that are not listed in O(rules).
      - With O(state=absent), remove every rule of O(group) (V(true)) or only the rules
        named in O(rules) (V(false)).
    type: bool
    default: true
  state:
    description:
      - V(present) makes the listed rules exist as described.
      - V(absent) removes rules from the group, see O(purge).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ocs.firewall.attributes
attributes:
  check_mode:
    description:
      - Can run in check mode and return the changed status, and what would be added,
        updated and removed, without modifying the target (only the read runs on the host).
    support: full
  diff_mode:
    description:
      - Returns, also in check mode, one diff per rule added, updated or removed (RV(diff)),
        its fields one per line before and after.
    support: full
notes:
  - Windows Server 2003 has no rules or rule groups, only open-port entries; on such a host
    the task fails after its read, before any change, and says that
    M(ocs.firewall.win_ocs_firewall) manages it.
  - Run with C(gather_facts=false) against hosts with PowerShell 2.0, or wherever facts are
    not needed; this module does not need them.
  - Changing rules needs a member of the local Administrators group (an elevated token
    when UAC applies) and the Windows Firewall service (MpsSvc) running; both are reported
    with a clear message.
  - When a change fails part way, the result lists what was already removed and added;
    running the task again converges.
  - When the connection breaks while the host is changing rules, the task fails with
    C(changed=true) (the host may have applied all, part or none of the change) rather
    than marking the host unreachable, since it was reached; running the task again
    converges.
  - A rule of O(group) named C(ocs.firewall-removing-...) is what an interrupted removal
    leaves behind; it is always removed (and listed in RV(removed)), even with
    O(purge=false). Such names cannot be used in O(rules).
seealso:
  - module: ocs.firewall.win_firewall_info
  - name: INetFwRule interface
    description: The COM interface whose properties the rule options map to.
    link: https://learn.microsoft.com/en-us/windows/win32/api/netfw/nn-netfw-inetfwrule
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
# A group of its own: the rules OCS needs are win_ocs_firewall's (playbooks/site.yml).
- name: Open the ports of the backup agent on the OCS servers
  ocs.firewall.win_firewall_rules:
    group: Backup agent
    rules:
      - name: Backup agent - control
        description: Backup console to the agent
        local_ports: 10000
      - name: Backup agent - data
        local_ports: [10001, "10002-10003"]
        remote_addresses: [10.0.0.0/8, LocalSubnet]
        profiles: [domain]

- name: Show what would change, without changing it
  ocs.firewall.win_firewall_rules:
    group: Backup agent
    rules: "{{ backup_rules }}"
  check_mode: true
  diff: true
  register: planned

- name: Add a rule and keep the group's other rules
  ocs.firewall.win_firewall_rules:
    group: Backup agent
    purge: false
    rules:
      - name: Backup agent - temporary restore range
        protocol: udp
        local_ports: 50000-50019

# Removes: the one rule named.
- name: Remove one rule of the group
  ocs.firewall.win_firewall_rules:
    group: Backup agent
    state: absent
    purge: false
    rules:
      - name: Backup agent - temporary restore range

# Removes: every rule a task of this module wrote in the group (never one it did not).
- name: Remove every rule of the group
  ocs.firewall.win_firewall_rules:
    group: Backup agent
    state: absent
"""

RETURN = r"""
added:
  description: Names of the rules created (or that would be created in check mode).
  returned: success
  type: list
  elements: str
  sample: ["OCS FE - SIP MTLS"]
updated:
  description:
    - Names of the rules replaced because they differed from O(rules) (or that would be).
    - Includes names the group held more than once.
  returned: success
  type: list
  elements: str
  sample: []
removed:
  description:
    - Names of the rules removed from the group (or that would be).
    - Includes the leftovers of interrupted removals (C(ocs.firewall-removing-...)).
  returned: success
  type: list
  elements: str
  sample: ["OCS FE - Old rule"]
foreign:
  description:
    - The group's rules the collection did not make, left as they are, each in the form of
      RV(rules) with its C(group), C(application) and C(service).
  returned: success
  type: list
  elements: dict
others:
  description:
    - The group's rules that M(ocs.firewall.win_ocs_firewall) built from the catalogue, left
      to it, in the form of RV(foreign).
  returned: success
  type: list
  elements: dict
  version_added: 0.3.0
replans:
  description:
    - How many times the apply found the group changed since its read (another run, or an
      administrator), read it again and planned again; the host changes nothing for a
      request made from an outdated read. After three outdated reads in a row the task
      fails.
  returned: success
  type: int
  version_added: 0.3.0
rules:
  description:
    - The group's rules after the task (in check mode, as they would be), in canonical
      form, sorted by name.
    - Ports are sorted strings with ranges merged (V([]) is any port); addresses sorted
      canonical strings (V([]) is any address); profiles sorted.
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
  sample:
    - name: OCS FE - SIP MTLS
      description: SIP over mutual TLS between OCS servers
      direction: in
      action: allow
      protocol: tcp
      local_ports: ["5061"]
      remote_ports: []
      local_addresses: []
      remote_addresses: []
      profiles: [domain, private, public]
      enabled: true
msg:
  description:
    - The group's changes on one line (see the sample); in check mode C(to add),
      C(to update), C(to remove); C(in sync) when nothing changes.
  returned: success
  type: str
  version_added: 0.2.0
  sample: "fe01.ocs.example: 1 added, 0 updated, 1 removed (OCS FE: 1 added, 1 removed)"
diff:
  description:
    - In diff mode, a list of Ansible diffs, which C(--diff) prints in order. The first
      holds only C(prepared), the line of RV(msg).
    - Then one per rule added, updated or removed, sorted by name, as
      M(ocs.firewall.win_ocs_firewall) returns them; C(before_header) and C(after_header)
      are C(<host> | <group> | <rule> (<what happens>)), C(before) and C(after) the rule's
      fields, one line each (the field's name, a colon, its value; the fields of
      RV(rules)); an added rule has an
      empty C(before), a removed one an empty C(after). Rules that do not change are not
      shown.
  returned: diff mode
  type: list
  elements: dict
  version_added: 0.2.0
  sample:
    - prepared: "fe01.ocs.example: 1 added, 0 updated, 0 removed (OCS FE: 1 added)\n"
    - before_header: fe01.ocs.example | OCS FE | OCS FE - SIP MTLS (added)
      after_header: fe01.ocs.example | OCS FE | OCS FE - SIP MTLS (added)
      before: ""
      after: "name: OCS FE - SIP MTLS\ndescription: SIP over mutual TLS [ocs.firewall]\n...\n"
"""
