# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: Windows Server 2003 hosts, all of it behind one seam.
"""Windows Server 2003 SP2 in the reduced mode: layer 6, imported by the glue only.

A 2003 host has no rules or groups, only open-port entries; each catalogue rule gets a
verdict (applied, not applicable, refused) and the applied ones become shared entries.
The package offers what the 2008 path does, in its terms, and
:mod:`.._ansible._engines` picks one or the other by the host's read:

* :mod:`._entries`: the model, the verdicts, the options (``check_options``), the plan
  (``plan_entries`` -> ``EntryPlan``) and its ``removals``;
* :mod:`._apply`: the plan's OPEN and CLOSE lines over the client's one apply loop;
* :mod:`._result`: the task result (summary, diff, warnings, ``reduced_mode``) and
  win_firewall_info's entries;
* :mod:`._audit`: the drift findings of a 2003 host.
"""
