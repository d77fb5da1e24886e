# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what one host of the estate should have.
"""From the inventory to what one host should have: layer 3, above the catalogue.

* :mod:`._settings`: a component's settings, their defaults and the one check they go
  through (``check_host``);
* :mod:`._scope`: each rule's remote addresses from the inventory's peers
  (``ocs_firewall_scope: inventory``), pools included;
* :mod:`._component_rules`: catalogue entries and checked settings made into rules;
* :mod:`._host_request`: a host's checked request (``HostRequest``) and its plan against
  a read (``plan_host``, ``marked_elsewhere``);
* :mod:`._removals`: what a run removes, host by host, and the removal guard's verdict.

Pure: variables (templated on access) and reads in, requests and plans out.
"""
