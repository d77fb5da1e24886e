# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ocs_firewall_audit
short_description: Find where an OCS 2007 R2 server's Windows Firewall has drifted
version_added: 0.2.0
description:
  - Reads every Windows Firewall rule of the host and its profiles in one command, and
    compares them with what the host's OCS components need, as
    M(ocs.firewall.win_ocs_firewall) works it out from the same variables. It never
    changes anything, in check mode or not.
  - Each finding has a RV(findings[].kind), the rule, group or port concerned, and a
    RV(findings[].remedy).
  - V(missing_rule) is a rule a held component needs that is absent, or present but
    different (RV(findings[].differences) says which fields, wanted and found).
  - V(extra_rule) is a rule the collection made in a component's group that nothing
    needs any more, or a rule it did not make inside one of its groups.
  - V(orphan_group) is the group of a component the host no longer holds (its
    C(ocs_<component>) inventory group), with the collection's rules still in it.
  - V(foreign_open_port) is an enabled inbound allow rule outside the collection's groups,
    not made by the collection, that opens every port (protocol any, or TCP or UDP with
    any local port) or a port none of the host's components needs. Rules that filter no
    port (ICMP, IGMP, ...) open none. Rules whose name or group is in O(accepted) are not
    findings.
  - V(wider_rule) is an enabled inbound allow rule outside the collection's groups, not
    made by the collection and not in O(accepted), that lets in, on a port one of the
    host's components opens, more than the collection's rule does - an address the
    collection's rule leaves out (any address where C(ocs_firewall_scope=inventory) scopes
    it) or a profile it is not in. Windows lets a packet in when any allow rule matches,
    so such a rule makes the collection's scope void. The finding names the rule, its
    scope and the collection's, and a flow (RV(findings[].flow)) that the rule evaluator
    of M(ocs.firewall.win_firewall_flow) finds allowed by it; a rule whose extra traffic a
    block rule stops is none. OCS setup's own rules (group C(Office Communications Server
    2007 R2)) are the usual ones; C(ocs_firewall_setup_rules=disable) takes them over.
  - V(policy_blocks_rules) is a setting above the rules that keeps local rules, the
    collection's among them, from taking effect in a profile - group policy's "Apply local
    firewall rules" No (C(AllowLocalPolicyMerge)), "Block all connections"
    (C(DoNotAllowExceptions)), a profile blocking all inbound connections, or on Windows
    Server 2003 "Do not allow exceptions" and "Allow local port exceptions" Disabled
    (C(AllowUserPrefMerge)). RV(findings[].current) says whether the host is on that
    profile (then M(ocs.firewall.win_ocs_firewall) fails the host).
  - V(profile_disabled) is a firewall profile (domain, private, public) that is off, and
    V(default_inbound_allow) a profile that lets in inbound traffic no rule matches.
  - On a Windows Server 2003 host (the reduced mode of M(ocs.firewall.win_ocs_firewall))
    the findings are about open-port entries - V(missing_rule) an entry the host's
    components need that is absent or differs, V(extra_rule) an entry of ours no component
    needs, V(foreign_open_port) an enabled entry the collection did not make (also on a
    port a component needs, a conflict) unless its name is in O(accepted), and
    V(profile_disabled) or V(exceptions_not_allowed) for the Domain and Standard profiles
    (a profile that allows no exceptions ignores every entry, so the OCS ports are closed).
  - The settings are checked on the controller before the host is contacted, exactly as
    M(ocs.firewall.win_ocs_firewall) checks them, naming the host, the variable and the
    value.
options:
  components:
    description:
      - The host's components, as O(ocs.firewall.win_ocs_firewall#module:components).
        Omitted, the C(ocs_<component>) inventory groups the host is in.
      - The groups of the other components are always looked at, to find orphan groups,
        whatever C(ocs_firewall_remove_unassigned) says.
    type: raw
  accepted:
    description:
      - Rule names and rule groups (compared as Windows compares them, ignoring case)
        whose rules are never a V(foreign_open_port) or a V(wider_rule) nor, inside one of
        the collection's groups, an V(extra_rule). Built-in groups are named by the indirect string
        Windows keeps in C(INetFwRule.Grouping), the same in every language.
      - Not set, the host variable C(ocs_firewall_audit_accepted), and without it the
        built-in groups a remotely managed Windows Server 2008 (R2) has on, namely
        C(@FirewallAPI.dll,-25000) (Core Networking, which IP needs),
        C(@FirewallAPI.dll,-30267) (Windows Remote Management, the way Ansible comes in)
        and C(@FirewallAPI.dll,-28752) (Remote Desktop). A value replaces that default,
        so list them again to keep them.
      - "Other built-in groups: C(@FirewallAPI.dll,-28502) File and Printer Sharing,
        C(@FirewallAPI.dll,-34251) Windows Management Instrumentation (WMI),
        C(@FirewallAPI.dll,-29002) Remote Administration, C(@FirewallAPI.dll,-29252)
        Remote Event Log Management, C(@FirewallAPI.dll,-32752) Network Discovery."
    type: list
    elements: str
  peer_addresses:
    description:
      - As O(ocs.firewall.win_ocs_firewall#module:peer_addresses). Not set, the address
        book of the preflight result registered as C(ocs_firewall_preflight), as in
        C(playbooks/audit.yml).
    type: dict
extends_documentation_fragment:
  - ocs.firewall.attributes
attributes:
  check_mode:
    description: The audit only reads, so check mode gives the same findings.
    support: full
  diff_mode:
    description: The audit changes nothing; the findings say what would.
    support: none
notes:
  - Like M(ocs.firewall.win_ocs_firewall), it runs the collection's fixed PowerShell 2.0
    script (C(HNetCfg.FwPolicy2), Windows Server 2008 or later); no module is uploaded.
  - C(playbooks/audit.yml) (C(ocs.firewall.audit)) runs it on every OCS server, prints
    the findings, and writes them as JSON, Markdown and CSV with
    C(-e ocs_firewall_report_dir=DIR).
seealso:
  - module: ocs.firewall.win_ocs_firewall
  - module: ocs.firewall.win_firewall_info
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Find the drift of the host's firewall against its inventory groups
  ocs.firewall.win_ocs_firewall_audit:
  register: audit

- name: Accept the file sharing rules on the server that holds the pool's file share
  ocs.firewall.win_ocs_firewall_audit:
    accepted:
      - "@FirewallAPI.dll,-25000"
      - "@FirewallAPI.dll,-30267"
      - "@FirewallAPI.dll,-28752"
      - "@FirewallAPI.dll,-28502"
      - Backup agent

- name: Show the findings by kind, with what to do about each kind
  ocs.firewall.show:
    msg: "{{ audit.text }}"
"""

RETURN = r"""
findings:
  description: Every finding, in the order of the kinds above.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description:
        - V(missing_rule), V(extra_rule), V(orphan_group), V(marked_not_ours),
          V(foreign_open_port), V(wider_rule), V(policy_blocks_rules),
          V(profile_disabled), V(default_inbound_allow) or (Windows Server 2003)
          V(exceptions_not_allowed).
      type: str
    group:
      description: The rule group concerned (empty for a rule in no group), or null.
      type: str
    rule:
      description: The name of the rule concerned, or null.
      type: str
    port:
      description:
        - What the rule lets through, for example V(tcp 5061), V(udp any), V(any), or
          V(tcp 389 out) for an outbound rule (its remote ports); for a
          V(foreign_open_port), only the ports no component needs. Null where no rule is
          concerned.
      type: str
    component:
      description:
        - The component whose group it is (V(missing_rule), V(extra_rule), V(orphan_group)).
      type: str
      returned: when a component's group is concerned
    owned:
      description: For an V(extra_rule), whether the collection made the rule.
      type: bool
      returned: for extra_rule
    differences:
      description:
        - For a V(missing_rule) that is present but different, each field that differs,
          with its C(wanted) and C(found) values.
      type: dict
      returned: for a rule that differs
    rules:
      description: For an V(orphan_group), the collection's rules in it.
      type: list
      elements: str
      returned: for orphan_group
    profile:
      description:
        - For the profile kinds, V(domain), V(private) or V(public); on Windows Server
          2003 V(domain) or V(standard), for entries too.
      type: str
      returned: >-
        for profile_disabled, default_inbound_allow, exceptions_not_allowed,
        policy_blocks_rules and 2003 entries
    ours:
      description: For a V(wider_rule), the collection's rule it lets in more than.
      type: str
      returned: for wider_rule
    flow:
      description:
        - For a V(wider_rule), a flow the rule lets in beyond the collection's rule, such
          as V(5061/tcp from 203.0.113.10 (domain profile)).
      type: str
      returned: for wider_rule
    setting:
      description:
        - For a V(policy_blocks_rules), the setting and where it lives, such as
          C(AllowLocalPolicyMerge = 0 under HKLM\SOFTWARE\Policies\...\DomainProfile).
      type: str
      returned: for policy_blocks_rules
    current:
      description: For a V(policy_blocks_rules), whether the host is on that profile.
      type: bool
      returned: for policy_blocks_rules
    detail:
      description: What was found, in one line.
      type: str
    remedy:
      description: What to do about it, in one sentence.
      type: str
  sample:
    - kind: missing_rule
      group: OCS 2007 R2 - Director
      rule: OCS 2007 R2 Director - SIP (seed-20)
      port: tcp 5061
      component: director
      detail: "'OCS 2007 R2 Director - SIP (seed-20)' (tcp 5061) is absent from group
        'OCS 2007 R2 - Director'"
      remedy: To add it, run playbooks/site.yml (ocs.firewall.site) for the host.
counts:
  description: How many findings of each kind (every kind, 0 included).
  returned: success
  type: dict
  sample: {missing_rule: 1, extra_rule: 0, orphan_group: 0, marked_not_ours: 0,
    foreign_open_port: 0, wider_rule: 0, policy_blocks_rules: 0, profile_disabled: 0,
    default_inbound_allow: 0, exceptions_not_allowed: 0}
msg:
  description: The findings in one line.
  returned: always
  type: str
  sample: "1 finding(s): 1 missing_rule"
text:
  description:
    - The findings for the screen, a line each, as C(playbooks/audit.yml) shows them - RV(msg),
      then each kind with its count, the C(detail) of each of its findings, and the remedy
      they share, said once (findings of one kind with different remedies - each remedy
      after its own findings).
  returned: success
  type: list
  elements: str
  sample:
    - "2 finding(s): 2 missing_rule"
    - "missing_rule (2):"
    - "  'OCS Front End 5062/TCP In (seed-06)' (tcp 5062) is absent from group 'OCS ...'"
    - "  'OCS Front End 5063/TCP In (seed-07)' (tcp 5063) is absent from group 'OCS ...'"
    - "  remedy: To add it, run playbooks/site.yml (ocs.firewall.site) for the host."
  version_added: 0.3.0
"""
