# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what people read of a run, a host and an estate.
"""What people read: layer 5. Pure: plans, reads and results in, plain data out.

* :mod:`._tables`: rows to CSV, Markdown and aligned text;
* :mod:`._task_result`: a host's plans as win_ocs_firewall's result (summary line,
  ``summary``, diff, warnings) and its vocabulary (added, updated, removed; the 2003
  verdicts);
* :mod:`._closing_table`: the table ``site.yml`` ends with, a line per host;
* :mod:`._rules_report`: the rules report's rows (``playbooks/report.yml``);
* :mod:`._audit`: a host's drift findings, and what to do about each;
* :mod:`._port_matrix`: the network team's port matrix, from the inventory;
  :mod:`._matrix_flows` its flows host pair by host pair, :mod:`._matrix_groups` grouped
  with object groups, :mod:`._matrix_diagram` its drawings, :mod:`._matrix_changes` the
  change since a baseline, :mod:`._aerleon` its Aerleon policies;
* :mod:`._flows`: a host's verdicts on flows; :mod:`._flow_check` the matrix's flows held
  against each destination's rules (``playbooks/flow_check.yml``);
* :mod:`._readiness`, :mod:`._drops`: what enforcing would block, and what was dropped.
"""
