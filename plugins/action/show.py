# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.show (documentation in plugins/modules/)."""

from __future__ import annotations

from typing import Any

from ansible import constants as C

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action

# The stdout callbacks that print what a task displays beside its results, in order, as
# text: Ansible's default. Any other may write something else than text (json) or show
# display lines apart from the results (AWX): there the result shows the lines.
_TEXT_CALLBACKS = frozenset({"default", "ansible.builtin.default"})


class ActionModule(_action.TaskAction):
    """Show lines of text as they are, under the task's name."""

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        lines = lines_of(args["msg"])
        if stdout_callback() in _TEXT_CALLBACKS:
            self._display.display("\n".join(lines))
            # Shown already: not again as the result's JSON, even with -v.
            return {"changed": False, "msg": lines, "_ansible_verbose_override": True}
        return {"changed": False, "msg": lines, "_ansible_verbose_always": True}


def lines_of(value: Any) -> list[str]:
    """``value`` as lines: a string split at its line breaks, each item of a list a line
    (an item with line breaks: several), anything else its text."""
    if isinstance(value, (list, tuple)):
        return [line for item in value for line in lines_of(item)] if value else []
    if value is None:
        return []
    return str(value).splitlines() or [""]


def stdout_callback() -> str:
    return str(C.config.get_config_value("DEFAULT_STDOUT_CALLBACK"))
