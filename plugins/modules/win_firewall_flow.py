# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_firewall_flow
short_description: Tell whether Windows Firewall lets a flow through, and by which rule
version_added: 0.3.0
description:
  - Answers, for each flow, what ops and network engineers ask of a server - "is 5061/TCP
    from 10.10.0.30 allowed on fe01 right now, and by which rule?" - from one read of
    every rule of the host, its profiles and group policy.
  - Windows Firewall's order is followed - a profile that is off lets everything through,
    one that blocks all inbound traffic nothing, then an enabled block rule that matches
    beats any allow rule, then an enabled allow rule that matches lets the flow in, and
    else the profile's default action decides. A rule matches when its direction,
    profiles, protocol, ports, addresses, program, service and ICMP types all take the
    flow.
  - What depends on the host and is not in a read is not guessed - the port keywords
    (V(RPC), V(RPC-EPMap), V(IPHTTPS), V(Teredo)), the address keywords (V(LocalSubnet),
    V(DNS), V(DHCP), V(WINS), V(DefaultGateway)) and any program, service, remote port,
    local address or ICMP type a rule sets and the flow does not name. A verdict that
    hangs on one of them is V(undecided) and says what it depends on; name the program
    or service to decide it.
  - Where group policy keeps local rules from taking effect in the flow's profile ("Apply
    local firewall rules" No), the rules read say nothing and the verdict is
    V(undecided).
  - It never changes the host. Windows Server 2003 hosts are refused (their entries are
    read by M(ocs.firewall.win_firewall_info)).
options:
  flows:
    description: The flows to judge.
    type: list
    elements: dict
    required: true
    suboptions:
      protocol:
        description: V(tcp), V(udp), V(icmpv4), V(icmpv6) or a protocol number (0-255).
        type: str
        required: true
      local_port:
        description: The host's port the flow reaches (inbound) or leaves from (outbound).
        type: int
      remote_address:
        description: The one address at the other end (IPv4 or IPv6).
        type: str
        required: true
      profile:
        description: The profile the flow arrives in; by default the one the host is on.
        type: str
        choices: [domain, private, public]
      direction:
        description: V(in) for a flow to the host, V(out) for one from it.
        type: str
        choices: [in, out]
        default: in
      remote_port:
        description: The port at the other end, when rules may restrict it.
        type: int
      local_address:
        description: The host's address the flow uses, when rules may restrict it.
        type: str
      program:
        description: The program that listens (inbound) or sends (outbound), as rules
          name it, such as C(C:\Program Files\...\RtcHost.exe); compared ignoring case.
        type: str
      service:
        description: The service's short name, such as C(RTCSRV); compared ignoring case.
        type: str
extends_documentation_fragment:
  - ocs.firewall.attributes
  - ocs.firewall.attributes.read_only
notes:
  - One round trip to the host, whatever the number of flows.
  - IPsec rules (authenticated bypass, "allow if secure") are not read and not modelled.
seealso:
  - module: ocs.firewall.win_firewall_info
  - module: ocs.firewall.win_ocs_firewall_audit
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Is SIP over TLS allowed on the Front End from a client, and from the Internet?
  ocs.firewall.win_firewall_flow:
    flows:
      - protocol: tcp
        local_port: 5061
        remote_address: 10.20.0.30
        # The program that listens: rules made for it (OCS setup's) count too.
        program: "{{ rtc_host }}"
      - protocol: tcp
        local_port: 5061
        remote_address: 203.0.113.10
        program: "{{ rtc_host }}"
  vars:
    rtc_host: >-
      C:\Program Files\Microsoft Office Communications Server 2007 R2\Server\Core\RtcHost.exe
  register: sip

- name: Show each verdict and the rules behind it
  ansible.builtin.debug:
    msg: "{{ sip.flows | map(attribute='text') | list }}"

- name: Fail unless the client gets in
  ansible.builtin.assert:
    that: sip.flows[0].verdict == 'allowed'
    fail_msg: "{{ sip.flows[0].text }}"
"""

RETURN = r"""
flows:
  description: A verdict per flow, in the order of O(flows).
  returned: success
  type: list
  elements: dict
  contains:
    flow:
      description: The flow as judged (its profile filled in).
      type: dict
    verdict:
      description: V(allowed), V(blocked) or V(undecided).
      type: str
    by:
      description:
        - What decided - V(rule) (the rules in RV(flows[].rules)), V(default) (the
          profile's default action), V(firewall_off) or V(block_all_inbound), or
          V(group_policy) when group policy keeps local rules from counting.
      type: str
    rules:
      description:
        - The deciding rules - the block rules that drop the flow, the allow rules that
          let it in, or those an undecided verdict hangs on - each with its C(name) and
          C(group).
      type: list
      elements: dict
    depends:
      description: What an undecided verdict depends on.
      type: list
      elements: str
    text:
      description: The verdict in one line.
      type: str
  sample:
    - flow: {protocol: tcp, local_port: 5061, remote_address: 10.20.0.30, profile: domain,
             direction: in}
      verdict: allowed
      by: rule
      rules: [{name: "OCS Front End 5060-5061/TCP In (seed-01)", group: OCS 2007 R2 - Front End}]
      depends: []
      text: >-
        5061/tcp from 10.20.0.30 (domain profile): allowed by
        'OCS Front End 5060-5061/TCP In (seed-01)' (group 'OCS 2007 R2 - Front End')
profile:
  description: The profile the host is on (the flows' default).
  returned: success
  type: str
  sample: domain
"""
