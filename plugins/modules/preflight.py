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
  - >-
    B(One cause, one message.) Problems of one cause are said once (RV(causes)): a
    peer's address the scope needs and cannot find is one line, naming the host whose
    address it is and how many rules on how many hosts need it
    (V(ocs_firewall_address missing on dir01.ocs.example ...: 7 rules on 6 hosts need it;
    set ocs_firewall_address for dir01.ocs.example)); a wrong value that several hosts
    have (set for a group, the whole inventory or with C(-e)) is one line naming them. The
    failure's message is those lines (the first ten, then a count); every problem of every
    host is in RV(problems).
  - >-
    B(Each failure on its host.) With O(stop_hosts_in), this task leaves the failing to
    the next task of the collection that runs on every host of the play
    (M(ocs.firewall.win_ocs_firewall) in the C(ocs.firewall.server) role, tag V(apply)):
    it returns RV(stops) and does not fail; that task fails each host a cause stops, with
    its message, and skips every other, before contacting any, so that the recap counts
    each failure on the host whose variable is wrong. It fails itself, once, as without
    the option, when the run leaves that tag out (C(--tags preflight)) or a cause stops
    no host of the play (a host outside it, such as a host in a misspelt group only).
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
  - >-
    B(A run over part of the estate.) An AWX or Automation Controller sliced job gives each
    slice every Nth host and their variables only. Rules scoped from the inventory, and
    the pools' checks, need the whole estate: such a run takes it from
    C(ocs_firewall_address_book) (or the file C(ocs_firewall_address_book_file)), the
    book O(snapshot) made over the whole inventory; what the run sees of its own hosts
    must match the book, or it stops as stale. Without one, a run said to be a slice
    (C(ocs_firewall_slice=true)) or that looks like one (a job of an AWX workflow, as
    every slice is) stops when a host is scoped from the inventory or pools are
    named, and says what to do; C(ocs_firewall_slice=false) says the inventory is the
    whole estate.
options:
  hosts:
    description:
      - The hosts to check. Defaults to every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  stop_hosts_in:
    description:
      - The tag of the task that runs next on every host of the play and fails the hosts
        the problems stop (the C(ocs.firewall.server) role's plan task, V(apply)). Register
        this task's result as C(ocs_firewall_preflight), which that task reads.
      - When the run includes that tag, problems do not fail this task, which returns
        RV(stops) instead; the collection's task of each host fails that host with its
        message, or skips it, before contacting it.
      - Unset (the default), problems fail this task.
    type: str
    version_added: 0.3.0
  snapshot:
    description:
      - Make the whole estate's address book (RV(snapshot)), for the runs over part of it
        (AWX sliced jobs), whatever the hosts' scope. C(playbooks/address_book.yml) runs
        it so, over the whole inventory, and passes the book on.
      - A run that is, or looks like, a slice of the estate (see the description) is
        refused, since its book would not be the whole estate's.
    type: bool
    default: false
    version_added: 0.3.0
extends_documentation_fragment:
  - ocs.firewall.attributes.controller
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

# As the ocs.firewall.server role does: each host a problem stops fails in the collection's
# next task on it (tagged apply), with its own message, before any host is contacted.
- name: Check every host's OCS firewall variables; the hosts' own task fails them
  ocs.firewall.preflight:
    stop_hosts_in: apply
  run_once: true
  register: ocs_firewall_preflight
  tags:
    - preflight
    - always

- name: Read and plan the host, or fail it with the problems of its variables
  ocs.firewall.win_ocs_firewall:
    stage: plan
  register: ocs_firewall_result
  tags:
    - apply
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
peer_scopes:
  description:
    - With C(ocs_firewall_scope=inventory) on any host of the play, the remote addresses of
      every list of peers the play's hosts' rules have, worked out once for the estate;
      M(ocs.firewall.win_ocs_firewall) takes each host's from there (registered as
      C(ocs_firewall_preflight)). Keyed by what the addresses depend on (the peers, the
      pools, the networks of peer kinds), as text.
  returned: always
  type: dict
  sample: {'[["front_end","director"],"",[],false,[],[]]': [10.10.0.11-10.10.0.13]}
  version_added: 0.3.0
snapshot:
  description:
    - With O(snapshot), the whole estate's address book, for C(ocs_firewall_address_book)
      (or, written as JSON, C(ocs_firewall_address_book_file)) of the runs over part of
      it.
  returned: with O(snapshot), when there is no problem
  type: dict
  contains:
    format:
      description: The layout of the book (1).
      type: int
    made:
      description: When it was made (UTC, ISO 8601).
      type: str
    servers:
      description: How many servers it holds.
      type: int
    book:
      description: The address book, as RV(address_book).
      type: dict
  sample:
    format: 1
    made: "2026-12-07T17:00:00+00:00"
    servers: 12
    book: {archiving: {arch01.ocs.example: {addresses: [10.10.0.70]}}}
  version_added: 0.3.0
problems:
  description:
    - Every problem found, keyed by host (V((play vars)) for the play's own variables;
      empty when all is well).
  returned: always
  type: dict
  sample:
    edge01.ocs.example:
      - 'ocs_edge_internal_addresses: "10.10.1.999" is not a valid local address; ...'
causes:
  description:
    - The causes of RV(problems), each said once, in the order they were found (empty
      when all is well).
  returned: always
  type: list
  elements: dict
  contains:
    msg:
      description: The cause, in one line.
      type: str
    hosts:
      description:
        - The hosts of the play it stops, the hosts whose variable it is (every host of
          the play for the play's own variables); empty when that host is not in the
          play.
      type: list
      elements: str
    reported_by:
      description: The hosts (keys of RV(problems)) whose problems it is among.
      type: list
      elements: str
  sample:
    - msg: >-
        ocs_firewall_address missing on dir01.ocs.example (its ansible_host "127.0.0.1"
        is not an address its peers reach): 7 rules on 6 hosts need it; set
        ocs_firewall_address for dir01.ocs.example
      hosts: [dir01.ocs.example]
      reported_by:
        - fe01.ocs.example
        - fe02.ocs.example
        - se01.ocs.example
        - dir01.ocs.example
        - edge01.ocs.example
        - med01.ocs.example
  version_added: 0.3.0
msg:
  description:
    - With problems, their causes said once each (RV(causes)), in one message; this task
      fails with it unless the hosts' own tasks are left to fail them (O(stop_hosts_in)).
  returned: when there are problems
  type: str
  sample: >-
    1 problem, no host was contacted: ocs_firewall_address missing on dir01.ocs.example
    (its ansible_host "127.0.0.1" is not an address its peers reach): 7 rules on 6 hosts
    need it; set ocs_firewall_address for dir01.ocs.example
  version_added: 0.3.0
stops:
  description:
    - With O(stop_hosts_in), when there are problems and the run includes that tag, what
      each host the causes stop fails with, keyed by host.
  returned: when the hosts' own tasks are left to fail them (O(stop_hosts_in))
  type: dict
  sample:
    dir01.ocs.example: >-
      1 problem, no host was contacted: ocs_firewall_address missing on dir01.ocs.example
      (...): 7 rules on 6 hosts need it; set ocs_firewall_address for dir01.ocs.example
  version_added: 0.3.0
"""
