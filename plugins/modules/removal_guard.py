# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: removal_guard
short_description: Hold a run that would remove many of the collection's rules until it is confirmed
version_added: 0.3.0
description:
  - Runs on the controller only, once (C(run_once)), after the plan stage of
    M(ocs.firewall.win_ocs_firewall) (C(stage=plan)) has read and planned every host of the
    play, and before any host is changed. C(playbooks/site.yml) runs it so.
  - B(The inventory is the truth, so it is questioned before it is acted on.) A misspelt
    component group reads exactly like a decommission. Like the deletion threshold of a
    directory sync, the run stops, changing nothing, when its plans together would remove
    more of the collection's rules than O(max_removals), or would take one component off
    more than one host, and the result lists what would go, host by host.
  - A removal is a rule the collection made that goes without a replacement (on Windows
    Server 2003, an entry of ours that is closed); an updated rule is replaced, new before
    old, and does not count. A component is taken off a host when the host keeps none of
    its rules.
  - In check mode the same list is a warning, and the run goes on (it changes nothing).
options:
  hosts:
    description:
      - The hosts whose plans are judged. Defaults to every host of the play
        (C(ansible_play_hosts_all)). Each one's plan is its registered
        C(ocs_firewall_result); a host whose plan failed, or that was unreachable, is out
        of the run and not judged. A host that has no plan yet stops the task (with the
        free strategy hosts do not wait for each other, so the guard cannot judge the run).
    type: list
    elements: str
  max_removals:
    description:
      - The most of the collection's rules the run removes without a yes.
      - Defaults to the variable C(ocs_firewall_max_removals), else 60 - more than one
        server holds, with every component collocated (55), so decommissioning any one
        server passes, while taking the Front End off four servers (64) does not.
    type: int
  confirm:
    description:
      - The yes. Defaults to the variable C(ocs_firewall_confirm_removals), else V(false).
        Give it for the one run that is meant to remove, on the command line
        (C(-e ocs_firewall_confirm_removals=true)), not in the inventory.
    type: bool
extends_documentation_fragment:
  - ocs.firewall.attributes.controller
  - ocs.firewall.attributes
attributes:
  check_mode:
    description: Judges the plans in check mode too; what would stop the run is a warning.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff; the plans' diffs say what would.
    support: none
  platform:
    description: Runs on the controller; the hosts' plans are read from the host variables.
    support: full
    platforms: posix
seealso:
  - module: ocs.firewall.win_ocs_firewall
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Read and plan every host, changing nothing
  ocs.firewall.win_ocs_firewall:
    stage: plan
  register: ocs_firewall_result

- name: Mass removals wait for a yes
  ocs.firewall.removal_guard:
  run_once: true
  any_errors_fatal: true

- name: Apply each host's plan (the ocs_firewall_result registered above)
  ocs.firewall.win_ocs_firewall:
    stage: apply
  when: ocs_firewall_result.pending
  register: ocs_firewall_result
"""

RETURN = r"""
count:
  description: How many of the collection's rules the run removes (would remove).
  returned: success
  type: int
  sample: 12
waits:
  description: Whether the run waits for a yes (it then fails, outside check mode).
  returned: success
  type: bool
max_removals:
  description: The threshold applied.
  returned: success
  type: int
  sample: 60
confirmed:
  description: Whether the run had the yes.
  returned: success
  type: bool
removals:
  description:
    - What each host would remove, keyed by host - per component (or group) its
      C(component), C(group), the C(rules) going, and C(whole) (the host keeps none).
  returned: success
  type: dict
  sample:
    med01.ocs.example:
      - component: mediation
        group: OCS 2007 R2 - Mediation
        rules: ["OCS Mediation 5061/TCP In (seed-48)"]
        whole: true
pending:
  description:
    - The hosts whose plan has something to apply, in the order of the play.
      C(playbooks/site.yml) gives the apply a play of its own over them, so that a host
      in sync costs nothing after its read.
  returned: success
  type: list
  elements: str
  sample: [fe01.ocs.example, edge01.ocs.example]
  version_added: 0.3.0
msg:
  description: The verdict, then what would go, host by host.
  returned: always
  type: str
"""
