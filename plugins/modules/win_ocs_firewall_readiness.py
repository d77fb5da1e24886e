# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ocs_firewall_readiness
short_description: Tell what an OCS server's firewall would block, once enforced
version_added: 0.3.0
description:
  - Read-only. Before the firewall is switched on, or told to block what no rule allows,
    it answers "what will break?" - for every TCP and UDP endpoint the host listens on
    and every established inbound TCP connection (read with .NET 2.0's
    C(IPGlobalProperties), in a second command after the rules), whether Windows Firewall
    would let it through.
  - Each is held against the rules as they would be after C(playbooks/site.yml) - the
    host's rules outside the collection's groups, OCS setup's held or released as
    C(ocs_firewall_setup_rules) says, the rules others keep in the collection's groups,
    and the collection's planned rules - in the profile the host is on, with the
    firewall on and unsolicited inbound traffic blocked, by the rule evaluator of
    M(ocs.firewall.win_firewall_flow).
  - V(blocked_listener) is a port no rule would open from any address;
    V(blocked_connection) a port open to some addresses but not to those connected now
    (RV(findings[].remote_addresses)); V(undecided_listener) a port whose fate depends on
    what a read cannot say, such as a port keyword (V(RPC)). Each names the catalogue
    entries that open that port, when some do, so the inventory can give the host that
    component. Loopback endpoints are left out (Windows
    Firewall does not filter loopback traffic).
  - A read does not say which program listens on a port. A rule for a program counts for
    a listener when it names that listener's port (OCS setup's rule for RtcHost.exe on
    5061), not when it takes any port (WMI's rule for its own service). A listener on
    every address (C(0.0.0.0)) is reachable on the addresses rules bind to.
  - The settings are checked on the controller before the host is contacted, as
    M(ocs.firewall.win_ocs_firewall) checks them. Windows Server 2003 hosts are refused
    (their readiness is not modelled yet).
options:
  components:
    description:
      - The host's components, as O(ocs.firewall.win_ocs_firewall#module:components).
        Omitted, the C(ocs_<component>) inventory groups the host is in.
    type: raw
  peer_addresses:
    description:
      - Internal (set by the role) - each host's addresses, as the preflight worked them
        out, for C(ocs_firewall_scope=inventory).
    type: dict
extends_documentation_fragment:
  - ocs.firewall.attributes
  - ocs.firewall.attributes.read_only
notes:
  - Two WinRM commands per host - a read of every rule, then one of the listeners (the
    switch script's, with the firewall's settings).
  - C(playbooks/readiness.yml) runs it on every OCS server and writes the reports.
seealso:
  - module: ocs.firewall.win_firewall_flow
  - module: ocs.firewall.win_ocs_firewall_audit
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: What would the firewall block on this server once enforced?
  ocs.firewall.win_ocs_firewall_readiness:
  register: readiness

- name: Show each finding
  ansible.builtin.debug:
    msg: "{{ readiness.findings | map(attribute='detail') | list }}"
"""

RETURN = r"""
findings:
  description: Every finding, blocked listeners first.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: V(blocked_listener), V(blocked_connection) or V(undecided_listener).
      type: str
    protocol:
      description: V(tcp) or V(udp).
      type: str
    port:
      description: The port the host listens on.
      type: int
    address:
      description: The local address it listens on, as Windows gives it (V(0.0.0.0) is every one).
      type: str
    profile:
      description: The profile it was judged in (the one the host is on).
      type: str
    remote_addresses:
      description: The addresses connected to it now (those whose connections would be
        dropped, for a V(blocked_connection)).
      type: list
      elements: str
    entries:
      description: The catalogue entries that open that port inbound, as C(<id> (<component>)).
      type: list
      elements: str
    held:
      description:
        - Whether one of those entries is among the host's own planned rules - the port is
          one of its components', blocked by something else (the profile the host is on,
          the scope for a connection).
      type: bool
    rules:
      description: The rules an undecided verdict hangs on (C(name), C(group)).
      type: list
      elements: dict
    detail:
      description: What was found, in one line.
      type: str
    remedy:
      description: What to do about it.
      type: str
  sample:
    - kind: blocked_listener
      protocol: tcp
      port: 8404
      address: 0.0.0.0
      profile: domain
      remote_addresses: []
      entries: ["seed-15 (front_end)"]
      held: false
      rules: []
      detail: 8404/tcp (listening on 0.0.0.0) would be blocked from every address
      remedy: "the catalogue opens it for seed-15 (front_end): give the host that component"
counts:
  description: How many findings of each kind (every kind, 0 included).
  returned: success
  type: dict
msg:
  description: The host's readiness in one line.
  returned: always
  type: str
"""
