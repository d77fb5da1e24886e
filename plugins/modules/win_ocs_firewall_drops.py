# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_ocs_firewall_drops
short_description: Tell which inbound flows an OCS server's firewall dropped, from its log
version_added: 0.3.0
description:
  - Read-only. Reads the last lines of the host's Windows Firewall log (C(pfirewall.log),
    the W3C text log Windows Server 2003 and 2008 write alike), bounded by O(max_lines)
    and O(max_bytes), and summarises the inbound packets it dropped (action C(DROP), path
    C(RECEIVE)) by source address, local port and protocol - how many, first and last
    seen, to which of the host's addresses - with what each is to the inventory.
  - V(held_port) is a port a component of the host opens (its catalogue entry is in
    RV(findings[].entries)). The collection's rule is there once C(playbooks/site.yml)
    ran, so the source is outside its scope, or the destination outside its local
    addresses; the remedy names what widens it (the peers in the inventory,
    C(ocs_<component>_remote_addresses), the component's local addresses), or what else
    to check when the rule should have let it in (the profiles, a block rule, group
    policy), or the setting that leaves the entry out (an opt-in).
  - V(component_port) is a port only components the host does not hold open; the remedy
    names the inventory group (C(ocs_<component>)) that would open it, if the host
    serves that. V(unknown_port) is a port (or a protocol) no catalogue entry opens -
    leave it blocked, or a rule of your own. V(icmp) is ICMP, grouped by type and code,
    which the catalogue does not carry.
  - A C(#Fields:) header sets the order of the lines after it (a log that rotated has
    one in the middle); without one in the lines read, Windows' default order is taken.
    Other entries of the log (allowed connections, outbound drops, lost events) are
    counted as skipped, and lines that do not read as the log's as unparsed
    (RV(lines)).
  - Windows Firewall logs dropped packets only when told to. C(ocs_firewall_log_dropped)
    turns the log on (C(playbooks/site.yml)), as C(netsh advfirewall set allprofiles
    logging droppedconnections enable) does on 2008 and C(netsh firewall set logging
    droppedpackets=enable) on 2003. A host without a log says so in RV(msg); a log
    without drops may be a log of dropped packets turned off.
  - The settings are checked on the controller before the host is contacted, as
    M(ocs.firewall.win_ocs_firewall) checks them.
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
  max_lines:
    description:
      - How many of the last lines of each log file to read, from 1 to 100000.
    type: int
    default: 2000
  max_bytes:
    description:
      - How many of the last bytes of each log file to read at most, from 1 to 1048576
        (1 MiB); the first line of those bytes, cut short, is left out.
    type: int
    default: 262144
extends_documentation_fragment:
  - ocs.firewall.attributes
  - ocs.firewall.attributes.read_only
notes:
  - One WinRM command per host.
  - The log's times are the host's local time, as Windows writes them.
  - C(playbooks/dropped.yml) runs it on every OCS server and writes the reports.
seealso:
  - module: ocs.firewall.win_ocs_firewall_readiness
  - module: ocs.firewall.win_firewall_flow
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Which inbound flows did the firewall of this server drop lately?
  ocs.firewall.win_ocs_firewall_drops:
    max_lines: 5000
  register: dropped

- name: Show each blocked flow and what to do about it
  ansible.builtin.debug:
    msg: "{{ dropped.findings | map(attribute='text') | list }}"
"""

RETURN = r"""
findings:
  description: A finding per source, protocol and local port (ICMP type and code), the
    most drops first, then by source and port.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: V(held_port), V(component_port), V(unknown_port) or V(icmp).
      type: str
    protocol:
      description: The protocol as the log names it, in lower case (V(tcp), V(udp),
        V(icmp), or another protocol's name or number).
      type: str
    port:
      description: The local port the packets were sent to (null for ICMP and for
        protocols without ports).
      type: int
    icmp_type:
      description: ICMP's type (null for other protocols).
      type: int
    icmp_code:
      description: ICMP's code (null for other protocols).
      type: int
    source:
      description: The address the packets came from.
      type: str
    destinations:
      description: The host's addresses they were sent to, in the order first seen.
      type: list
      elements: str
    count:
      description: How many packets were dropped, in the lines read.
      type: int
    first_seen:
      description: When the first was dropped (C(YYYY-MM-DD hh:mm:ss), the log's time).
      type: str
    last_seen:
      description: When the last was dropped.
      type: str
    entries:
      description: The catalogue entries that open that port and protocol inbound, as
        C(<id> (<component>)).
      type: list
      elements: str
    held:
      description: Whether one of those entries is of a component the host holds.
      type: bool
    components:
      description: The components it is a port of - the host's own for a V(held_port),
        those whose inventory group would open it for a V(component_port); empty
        otherwise.
      type: list
      elements: str
    inventory:
      description: The inventory groups and variables the remedy names.
      type: list
      elements: str
    text:
      description: What was dropped, in one line.
      type: str
    remedy:
      description: What to do about it.
      type: str
  sample:
    - kind: held_port
      protocol: tcp
      port: 5061
      icmp_type: null
      icmp_code: null
      source: 10.20.0.7
      destinations: [10.10.0.11]
      count: 12
      first_seen: "2026-12-07 10:00:02"
      last_seen: "2026-12-07 10:14:40"
      entries: ["seed-01 (front_end)", "seed-45 (director)"]
      held: true
      components: [director]
      inventory: [ocs_director_remote_addresses]
      text: >-
        5061/tcp from 10.20.0.7 to 10.10.0.11: 12 drop(s) 2026-12-07 10:00:02 to
        2026-12-07 10:14:40; a port of the host's director
      remedy: >-
        a component of the host opens it (seed-45 (director)) to other addresses only
        (10.0.0.0/24): if 10.20.0.7 must connect, widen ocs_director_remote_addresses;
        otherwise leave it blocked
counts:
  description: How many findings of each kind (every kind, 0 included).
  returned: success
  type: dict
  sample: {held_port: 1, component_port: 0, unknown_port: 2, icmp: 1}
lines:
  description: What the lines read were - V(read) every line, V(dropped) the inbound
    drops, V(skipped) the log's other entries, V(unparsed) the lines that are not the
    log's, V(lost) the events the log says it lost.
  returned: success
  type: dict
  sample: {read: 2000, dropped: 311, skipped: 1689, unparsed: 0, lost: 0}
files:
  description: The log files read (C(path), C(size) in bytes, -1 when the file does not
    exist).
  returned: success
  type: list
  elements: dict
  sample:
    - path: 'C:\Windows\system32\LogFiles\Firewall\pfirewall.log'
      size: 4194304
msg:
  description: The host's dropped packets in one line.
  returned: always
  type: str
"""
