# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
module: report_files
short_description: Write a report's files into a folder on the controller
version_added: 0.3.0
description:
  - Runs on the controller only and contacts no host. Writes each file of O(files) into
    the folder O(dest), by name, with the text given, and deletes the files O(remove)
    names; all in the controller's own process, in one task, where
    C(ansible.builtin.copy) starts a module process for each file.
  - A file is written only when its text differs from the file's, or created when
    missing; one that holds its text already but not O(mode) only gets its mode. A file
    is replaced whole (a temporary file in the folder, renamed over it), so a reader never
    sees half of it.
  - O(dest) is created when missing, with each missing parent, with O(directory_mode);
    a folder that exists is left as it is.
  - C(playbooks/report.yml), C(audit.yml), C(dropped.yml), C(flow_check.yml),
    C(readiness.yml) and C(port_matrix.yml) write their files with it.
  - Every name is checked before anything is written, and so is every text.
options:
  dest:
    description:
      - The folder, on the controller; a relative one is taken from where
        C(ansible-playbook) runs.
    type: path
    required: true
  files:
    description:
      - The files to write, each name (a plain file name, without C(/) or NUL, other than
        V(.) and V(..)) with its text. The text is written as UTF-8, as it is (no newline is
        added at its end).
      - A dict or list is written as JSON, indented by two spaces, a newline at the end
        (ansible-core before 2.19 turns a template's result that reads as one, such as
        the text of C(to_nice_json), into data).
      - A name that is not a plain file name fails the task, naming it, before anything is
        written; so does a content that is neither text nor a dict or list.
    type: dict
    required: true
  mode:
    description:
      - The mode of every file of O(files), in octal, quoted (V("0644")).
    type: raw
    default: "0644"
  directory_mode:
    description:
      - The mode of O(dest) and of each missing parent, when they are created, in octal,
        quoted.
    type: raw
    default: "0755"
  remove:
    description:
      - Plain file names of O(dest) to delete when they are there (what an earlier run
        wrote that this one does not make). A name also in O(files) fails the task.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ocs.firewall.attributes.controller
  - ocs.firewall.attributes
attributes:
  check_mode:
    description:
      - "Writes, creates and deletes nothing; the result says what would change (RV(written),
        RV(removed), C(changed)). A task with C(check_mode: false) writes in C(--check) too,
        as the collection's report playbooks do."
    support: full
  diff_mode:
    description:
      - One diff per file that changes (or would), its path and what happens to it
        (V(created), V(updated), V(mode 0600 to 0644), V(removed)) as the headers, its
        text before and after (empty for a file created or removed). A text larger than
        Ansible's C(MAX_FILE_SIZE_FOR_DIFF) is not shown, as C(ansible.builtin.copy) does
        not show it.
    support: full
author:
  - ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example> (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write two hosts' rules as JSON and CSV beside the playbook, with --check too
  ocs.firewall.report_files:
    dest: "{{ playbook_dir }}/reports"
    files:
      rules.json: >-
        {{ {'fe01.ocs.example': ['OCS Front End 5061/TCP In'],
            'fe02.ocs.example': ['OCS Front End 5061/TCP In']}
           | ansible.builtin.to_nice_json(indent=2) }}
      rules.csv: >-
        {{ [{'host': 'fe01.ocs.example', 'rule': 'OCS Front End 5061/TCP In'},
            {'host': 'fe02.ocs.example', 'rule': 'OCS Front End 5061/TCP In'}]
           | ocs.firewall.csv_table(['host', 'rule']) }}
  check_mode: false
  run_once: true

- name: Write this run's drawing; delete the single drawing of earlier versions, if there
  ocs.firewall.report_files:
    dest: "{{ playbook_dir }}/reports"
    files:
      port-matrix-internal.dot: "digraph internal { fe01 -> sql01 }\n"
    remove:
      - port-matrix.dot
      - port-matrix.svg
  run_once: true
"""

RETURN = r"""
files:
  description: The path of each file of O(files), written now or holding its text already.
  returned: success
  type: list
  elements: str
  sample: [/srv/reports/audit.json, /srv/reports/audit.csv]
written:
  description: >-
    The paths of the files created, rewritten or given their mode (that would be, in check
    mode).
  returned: success
  type: list
  elements: str
  sample: [/srv/reports/audit.json]
removed:
  description: The paths of the files of O(remove) deleted (that would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: []
msg:
  description: The folder and how many files were written, left as they were and deleted.
  returned: success
  type: str
  sample: "/srv/reports: 1 written, 1 unchanged, 0 removed"
"""
