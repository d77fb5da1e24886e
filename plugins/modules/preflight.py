# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: preflight
short_description: Check the OCS firewall variables of every host of a play, contacting none
version_added: 0.2.0
description:
  - Runs on the controller only. For each host it works out the OCS components and
    settings M(ocs.firewall.win_ocs_firewall) would apply (from the host's
    C(ocs_<component>) groups and C(ocs_<component>_<setting>) variables) and runs the
    same checks, without connecting to any host.
  - Every problem of every host is reported in one run, each naming the host, the
    variable and the value. Use it with C(run_once), as C(playbooks/site.yml) does, so
    that a wrong value anywhere stops the play before any host is touched.
  - B(The inventory is questioned before it is acted on.) Every inventory group whose name
    starts with C(ocs_) must be a component group or C(ocs_servers) (or listed in
    C(ocs_firewall_other_groups)); every C(ocs_*) variable of a host, whatever level set
    it, must be the collection's (or listed in C(ocs_firewall_other_variables)); each
    other one is a problem naming the nearest known name. Every known variable's value
    is checked on every host, whether or not the host holds the component it is about,
    and so is C(ansible_connection). The play's own C(ocs_*) variables are checked too
    (filed under C((play vars))).
  - An Edge without its internal and external addresses is a problem (its internal-only
    ports would open on its Internet side too), unless C(ocs_edge_unbound) is true.
  - The pools (C(ocs_pool)) must hold together - once one server names its pool every
    server of a pool component must; pools served (C(ocs_<component>_pools)) and next
    hops (C(ocs_mediation_next_hop_pool)) must name pools of the inventory; a pool of one
    Front End Server may not admit another pool's load balancer.
options:
  hosts:
    description:
      - The hosts to check. Defaults to every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
extends_documentation_fragment:
  - ocs.firewall.attributes
attributes:
  check_mode:
    description: Runs in check mode as in normal mode; it changes nothing.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
  platform:
    description: Runs on the controller; the hosts are only named.
    support: full
    platforms: posix
seealso:
  - module: ocs.firewall.win_ocs_firewall
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check every host's OCS firewall variables before any host is contacted
  ocs.firewall.preflight:
  run_once: true
"""

RETURN = r"""
components:
  description: The components of each host whose variables are fine, keyed by host.
  returned: always
  type: dict
  sample: {fe01.ocs.example: [front_end, av_conferencing]}
address_book:
  description:
    - With C(ocs_firewall_scope=inventory) on any host of the play, the address every
      holder of every server component shows its peers, by component then host, for
      the C(peer_addresses) option of M(ocs.firewall.win_ocs_firewall); empty otherwise.
  returned: always
  type: dict
  sample: {archiving: {arch01.ocs.example: {addresses: [10.10.0.70]}}}
  version_added: 0.2.0
problems:
  description: Every problem found, keyed by host (empty when all is well).
  returned: always
  type: dict
  sample:
    edge01.ocs.example:
      - 'ocs_edge_internal_addresses: "10.10.1.999" is not a valid local address; ...'
"""
