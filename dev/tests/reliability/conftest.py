"""The reliability suite: lab hosts on 127.0.0.1 and real ansible-playbook runs.

Every test here drives the collection the way a user does (``ansible-playbook`` with the
winrm connection against the lab's simulated Windows hosts) and checks the outcome in the
lab's own records: ``dump`` (every rule of a host's firewall) and ``trace`` (every command a
host ran). The fixtures ``start_lab`` and ``play`` are the harness's
(dev/harness/pytest_plugin.py), as are the helpers on lab dumps (:mod:`harness.rules`);
what is left here are the names of the tasks the suite looks for.
"""

from __future__ import annotations

# The server role's plan and apply tasks (each host's last result among them is its
# outcome: harness.playbook.PlaybookRun.host_results), as site.yml names them: it imports
# the role's task files, so without the role's "ocs.firewall.server : " before them.
PLAN_TASK = "Read the host's firewall and plan every change of its components"
SITE_TASK = "Windows Firewall rules of every OCS component of the host"
PREFLIGHT_TASK = "Check the OCS firewall variables of every host of the play, contacting none"
