# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: show
short_description: Show lines of text, such as a table, as they are
version_added: 0.3.0
description:
  - Runs on the controller only and contacts no host. Shows each line of O(msg) under the
    task's name as it is, one per line, so that a table reads as a table; C(ansible.builtin.debug)
    shows the same lines as JSON strings, in quotes, a comma after each.
  - The lines are printed so with Ansible's default output (the V(default) stdout callback).
    With any other (V(json), V(yaml), the one of AWX or ansible-navigator) nothing is printed
    beside it, and the task's result shows them as C(ansible.builtin.debug) would.
  - The result's RV(msg) holds the lines either way.
  - C(playbooks/site.yml) shows its closing table with it, C(playbooks/report.yml) each host's
    rules and C(playbooks/audit.yml) each host's findings.
options:
  msg:
    description:
      - The lines to show; a string is split into lines.
    type: raw
    required: true
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
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Show a table of the host's rules (the lines of ocs.firewall.text_table)
  ocs.firewall.show:
    msg: >-
      {{ [{'name': 'OCS Front End 5061/TCP In', 'ports': 5061},
          {'name': 'OCS Front End 444/TCP In', 'ports': 444}]
         | ocs.firewall.text_table([{'key': 'name', 'header': 'NAME'},
                                    {'key': 'ports', 'header': 'PORTS'}]) }}
"""

RETURN = r"""
msg:
  description: The lines shown.
  returned: always
  type: list
  elements: str
  sample:
    - "NAME                       PORTS"
    - "OCS Front End 5061/TCP In  5061"
    - "OCS Front End 444/TCP In   444"
"""
