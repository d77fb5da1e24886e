# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ocs_firewall_flow_check
short_description: Hold every flow of the port matrix into an OCS server against its rules
version_added: 0.3.0
description:
  - Read-only. Takes the flows of the port matrix (M(ocs.firewall.port_matrix)) that end
    on this host, reads the host once (every rule, its profiles and group policy, as
    M(ocs.firewall.win_firewall_flow) reads it) and judges each flow with the same rule
    evaluator - V(allowed) (by which rules, and their groups), V(blocked) (by which block
    rule, by the profile's default action, or by "Block all connections"), or
    V(undecided) (and what it depends on, such as group policy's "Apply local firewall
    rules" No). A host that no flow ends on is not read.
  - A row of the matrix stands for many packets, so it is judged on samples - each listed
    port, and the first and last port of a range; from each address of the source, the
    first and last host address of a network or range, and for a source of V(any) the
    documentation address V(203.0.113.10) (RFC 5737), said to be a sample; in each
    profile the host is on (V(domain) when the read names none). A flow is V(blocked)
    when one sample is, else V(undecided) when one is, else V(allowed). The host's
    address of the row is the flow's local address, so rules bound to one address (the
    Edge's services) count only there.
  - An allowed flow is also RV(flows[].wider) when a rule that lets it in admits an
    address from which no flow of the matrix comes into the host on that port and
    transport (the host's own addresses aside, as Windows does not filter loopback traffic),
    and the host would let that address in (the test of the audit's V(wider_rule)
    finding, M(ocs.firewall.win_ocs_firewall_audit)). A port some of whose sources are
    not set in the inventory, or open to any address, is never wider. A rule that covers
    a range of ports for all its peers is wider on a port only some of them use.
  - A flow whose addresses the inventory does not set (C((set <variable>)) in the matrix),
    or whose ports are not numbers, is V(not_checked) with the reason. So is every flow of
    a Windows Server 2003 host, whose open-port entries the evaluator does not judge (read
    them with M(ocs.firewall.win_firewall_info)).
options:
  matrix:
    description:
      - The result of M(ocs.firewall.port_matrix) (registered); the rows of its
        RV(ocs.firewall.port_matrix#module:boundaries) whose C(destination) is this host
        (C(inventory_hostname)) are judged.
      - Give O(matrix) or O(flows), not both.
    type: dict
  flows:
    description:
      - Rows of the port matrix's boundary tables to judge on this host, whatever their
        C(destination) - each with at least C(source), C(source_address),
        C(destination_address), C(ports) (such as V(5060-5061) or V(2101,2103,2105)) and
        C(transport) (V(TCP) or V(UDP)); the other fields are kept in the result.
      - Give O(matrix) or O(flows), not both.
    type: list
    elements: dict
extends_documentation_fragment:
  - ocs.firewall.attributes
  - ocs.firewall.attributes.read_only
notes:
  - One WinRM command per host (none for a host no flow ends on), whatever the number of
    flows.
  - C(playbooks/flow_check.yml) (C(ocs.firewall.flow_check)) works the matrix out once on
    the controller, runs this on every OCS server, and writes C(flow-check.json), C(.md)
    and C(.csv) with C(-e ocs_firewall_report_dir=DIR);
    C(-e ocs_firewall_flow_check_fail=true) fails the run when a flow is blocked.
  - IPsec rules (authenticated bypass, "allow if secure") are not read and not modelled.
seealso:
  - module: ocs.firewall.port_matrix
  - module: ocs.firewall.win_firewall_flow
  - module: ocs.firewall.win_ocs_firewall_audit
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Work out the port matrix once, on the controller
  ocs.firewall.port_matrix:
  run_once: true
  register: matrix

- name: Judge every flow of the matrix into this host
  ocs.firewall.win_ocs_firewall_flow_check:
    matrix: "{{ matrix }}"
  register: checked

- name: Fail on a blocked flow, naming what blocks it
  ansible.builtin.assert:
    that: checked.counts.blocked == 0
    fail_msg: >-
      {{ checked.flows | selectattr('verdict', 'equalto', 'blocked')
         | map(attribute='text') | list }}

- name: Is SIP from the Director let in on this Front End?
  ocs.firewall.win_ocs_firewall_flow_check:
    flows:
      - source: dir01.ocs.example
        source_address: 10.10.0.30
        destination_address: 10.10.0.11
        ports: 5060-5061
        transport: TCP
"""

RETURN = r"""
flows:
  description: A result per flow, in the order of the matrix's tables (or of O(flows)).
  returned: success
  type: list
  elements: dict
  contains:
    verdict:
      description: V(allowed), V(blocked), V(undecided) or V(not_checked).
      type: str
    kind:
      description:
        - The verdict with what decided it, C(<verdict>_by_<by>) (V(blocked_by_rule),
          V(allowed_by_firewall_off), ...), or V(not_checked); the key of RV(remedies).
      type: str
    by:
      description:
        - What decided, as M(ocs.firewall.win_firewall_flow) says it - V(rule),
          V(default), V(firewall_off), V(block_all_inbound) or V(group_policy); empty
          when not checked.
      type: str
    rules:
      description: The deciding rules, each with its C(name) and C(group).
      type: list
      elements: dict
    deciding:
      description:
        - What decided, in words - the rules' names and groups, the profile's default
          action, the firewall being off in a profile.
      type: str
    profiles:
      description: The profiles the flow was judged in (those the host is on).
      type: list
      elements: str
    wider:
      description: Whether a rule that lets the flow in admits addresses the matrix does not need.
      type: bool
    wider_detail:
      description: Which rule, and an address it admits beyond the flow's sources.
      type: str
    flow:
      description:
        - The flow, such as C(5060-5061/TCP from dir01.ocs.example (10.10.0.30) to 10.10.0.11).
      type: str
    text:
      description:
        - The flow and its verdict in one line; when its samples went different ways, the
          samples that decided.
      type: str
    detail:
      description:
        - Each way the samples were judged, with the samples judged so (the verdict's
          first); for a flow not checked, why.
      type: str
    samples:
      description: How many samples (port, address and profile) the flow was judged on.
      type: int
    source:
      description: The matrix row's source (a host, or a peer kind such as V(internal_clients)).
      type: str
    source_address:
      description: Its address(es), a network, V(any) or C((set <variable>)).
      type: str
    destination:
      description:
        - The host. The row's other fields, such as C(purpose) and C(catalogue_ids), are kept too.
      type: str
    destination_address:
      description: The host's address the flow reaches (the flows' local address).
      type: str
    ports:
      description: The host's ports, such as V(5060-5061) or V(2101,2103,2105).
      type: str
    transport:
      description: V(TCP) or V(UDP).
      type: str
  sample:
    - source: dir01.ocs.example
      source_address: 10.10.0.30
      destination: fe01.ocs.example
      destination_address: 10.10.0.11
      ports: 5060-5061
      transport: TCP
      verdict: blocked
      kind: blocked_by_rule
      by: rule
      rules: [{name: Block SIP, group: ""}]
      deciding: "'Block SIP'"
      profiles: [domain]
      wider: false
      wider_detail: ""
      flow: 5060-5061/TCP from dir01.ocs.example (10.10.0.30) to 10.10.0.11
      text: >-
        5060-5061/TCP from dir01.ocs.example (10.10.0.30) to 10.10.0.11: blocked by
        'Block SIP' (for 5061/tcp from 10.10.0.30 (domain profile))
      detail: >-
        5061/tcp from 10.10.0.30 (domain profile): blocked by 'Block SIP'; 5060/tcp from
        10.10.0.30 (domain profile): allowed by 'OCS Front End 5060-5061/TCP In (seed-01)'
        (group 'OCS 2007 R2 - Front End')
counts:
  description: How many flows of each verdict (every verdict, 0 included), and C(wider).
  returned: success
  type: dict
  sample: {allowed: 39, blocked: 1, undecided: 0, not_checked: 2, wider: 0}
remedies:
  description: What to do about each kind found (and C(wider)), each once.
  returned: success
  type: dict
profiles:
  description: The profiles the host is on, as its read gives them; empty when it was not read.
  returned: success
  type: list
  elements: str
read:
  description: Whether the host was read (no flow ends on it, it is not).
  returned: success
  type: bool
msg:
  description: The host's verdicts in one line.
  returned: always
  type: str
"""
