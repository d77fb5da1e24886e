# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation shared by the collection's modules (``ocs.firewall.attributes``)."""

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every module of this collection has in common: an action plugin that
    # runs the fixed remote script on a Windows host, synchronously. Each module documents
    # its own check_mode and diff_mode. (Ansible merges fragments into DOCUMENTATION only,
    # so the rule fields both modules return stay written out in each RETURN.)
    DOCUMENTATION = r"""
attributes:
  action:
    description: Runs as an action plugin on the controller; the host runs a small fixed script.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: windows
"""

    # A module that only reads the host (ocs.firewall.attributes.read_only).
    READ_ONLY = r"""
attributes:
  check_mode:
    description: Runs in check mode as in normal mode; it only reads.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

    # A module that runs on the controller alone (ocs.firewall.attributes.controller). List
    # it before ocs.firewall.attributes: of two fragments, the first one's attributes win.
    CONTROLLER = r"""
attributes:
  action:
    description: Runs as an action plugin on the controller; no host is contacted.
    support: full
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
"""
