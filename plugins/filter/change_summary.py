# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ocs.firewall.change_summary`` filter (plugins/plugin_utils/_closing_table.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _closing_table

DOCUMENTATION = r"""
name: change_summary
author: ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
version_added: 0.2.0
short_description: Table of what a run changed on each host, and the total
description:
  - Takes the hosts of a play and returns the lines of a plain-text table with one line per
    host, sorted by name, then a total line. Columns are HOST, ADDED, UPDATED, REMOVED (the
    rules the host's M(ocs.firewall.win_ocs_firewall) task added, updated and removed, or
    in check mode would), FOREIGN LEFT ALONE (rules the collection did not make, found in
    its groups, and rules that carry its marker but are not its own, left as they are),
    2003 APPLIED/N.A./REFUSED (a Windows Server 2003 host's rules by verdict, in the
    reduced mode; the column is there only when such a host is in the run), SETUP OFF/BACK
    (OCS setup's rules disabled and enabled again under C(ocs_firewall_setup_rules); there
    only when a host of the run has some), FIREWALL (V(enforced) for a host whose firewall
    is on and blocks what no rule allows under C(ocs_firewall_enforce), V(would enforce)
    in check mode, or the number of settings changed, such as the log of dropped packets;
    there only when a host of the run has these settings) and RESULT.
  - "RESULT is one of V(changed), V(would change) (check mode), V(in sync), V(not in
    effect) (nothing to change, but group policy keeps the host's rules from taking effect;
    C(ocs_firewall_policy_check=warn)), V(not applied)
    (its plan was held by M(ocs.firewall.removal_guard)), V(FAILED), V(UNREACHABLE),
    V(not contacted) (the preflight's problems, of other hosts, stopped the run before the
    host was read), V(skipped) or V(no result) (the host has no registered result, for
    example when the task did not run on it). A host that did not finish has no counts
    (C(-))."
  - The total line counts the hosts and each result, sums the counts, and counts the
    enforced hosts.
  - Reads each host's registered result through O(hostvars), which merges that host's
    variables once; C(playbooks/site.yml) prints it once per run, for every host of the
    run.
options:
  _input:
    description: The hosts, for example C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: dict
    required: true
  check_mode:
    description:
      - Whether the run is in check mode (C(ansible_check_mode)); a change is then
        V(would change).
    type: bool
    default: false
  variable:
    description:
      - The name under which each host registered its M(ocs.firewall.win_ocs_firewall)
        result.
    type: str
    default: ocs_firewall_result
"""

EXAMPLES = r"""
- name: Apply the rules of every component of the host
  ocs.firewall.win_ocs_firewall:
  register: ocs_firewall_result

- name: What changed, host by host
  ansible.builtin.debug:
    msg: >-
      {{ ansible_play_hosts_all
         | ocs.firewall.change_summary(hostvars, check_mode=ansible_check_mode) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The header line, a line per host, then the total line.
  type: list
  elements: str
  sample:
    - "HOST              ADDED  UPDATED  REMOVED  FOREIGN LEFT ALONE  RESULT"
    - "fe01.ocs.example  0      1        0        1                   would change"
    - "fe02.ocs.example  0      0        0        0                   in sync"
    - "total: 2 host(s)  0      1        0        1                   1 would change, 1 in sync"
"""


def _registered(hostvars: Any, host: str, variable: str) -> Mapping[str, Any] | None:
    # Ansible's hostvars read untemplated (raw_get): a registered result is data, and
    # templating the whole of it (every rule of every group) for each host costs more
    # than the table does.
    raw_get = getattr(hostvars, "raw_get", None)
    try:
        found = (raw_get(host) if raw_get is not None else hostvars[host]).get(variable)
    except (KeyError, AttributeError, TypeError):
        return None
    return found if isinstance(found, Mapping) else None


def change_summary(
    hosts: Any, hostvars: Any, check_mode: bool = False, variable: str = _variables.RESULT
) -> list[str]:
    if isinstance(hosts, (str, bytes, Mapping)) or not isinstance(hosts, Iterable):
        raise AnsibleFilterError(f"ocs.firewall.change_summary: {hosts!r} is not a list of hosts")
    results = {str(h): _registered(hostvars, str(h), variable) for h in hosts}
    return _closing_table.table(results, check_mode=bool(check_mode))


class FilterModule:
    """Ansible filter plugin loader entry."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"change_summary": change_summary}
