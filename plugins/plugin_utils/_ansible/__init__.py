# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the glue between ansible-core and the packages below.
"""Everything that knows ansible-core: layer 7, the top; the plugins stand on it.

* :mod:`._action`: the action plugins' shared run (``TaskAction``, ``FirewallAction``:
  arguments checked, errors made into results, stale applies planned again) and
  ``TaskVariables``, the task's variables templated one at a time;
* :mod:`._argument_spec`: each action's argument spec, derived from its module's
  DOCUMENTATION;
* :mod:`._engines`: the rule groups engine or the reduced mode's, picked by the read;
* :mod:`._files`: a report's files in a folder on the controller, each written whole and
  only when it changed (``report_files``, ``port_matrix``);
* :mod:`._preflight`: the inventory questioned before any host is contacted.
"""
