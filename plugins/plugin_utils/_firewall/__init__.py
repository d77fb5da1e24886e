# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what a Windows Firewall rule is. Pure.
"""What a Windows Firewall rule is, whoever wants it: layer 1, above the words
(:mod:`.._errors`, :mod:`.._variables`) and below everything else.

* :mod:`._windows`: Windows Firewall's numbers, keywords, limits and the collection's rule
  defaults, each written once;
* :mod:`._grammar`: ports, addresses, profiles and plain values, parsed to one canonical
  form (``canonical_ports``, ``canonical_addresses``, ``overlaps``...);
* :mod:`._rules`: the rule model (``Rule``, ``HostRule``), names and groups checked and
  compared as Windows compares them;
* :mod:`._ownership`: the marker that makes a rule the collection's, and its patterns;
* :mod:`._plan`: one group's plan (``GroupPlan``, ``plan_group``): what to add, replace and
  remove, and what is left alone.

Nothing here reads the catalogue, an inventory or a host.
"""
