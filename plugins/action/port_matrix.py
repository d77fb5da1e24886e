# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.port_matrix (documentation in plugins/modules/)."""

from __future__ import annotations

import os
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _files
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _slices
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import shown
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _aerleon,
    _matrix_changes,
    _port_matrix,
    _tables,
)

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()


class ActionModule(_action.TaskAction):
    """The flows of the inventory's OCS servers, worked out on the controller; no host is
    contacted."""

    def _part_of_estate(self, task_vars: dict[str, Any]) -> str | None:
        """Why the inventory is taken for part of the estate, or None."""
        value = task_vars.get(_slices.SLICE)
        said, signs, problems = _slices.said_or_seen(
            None if value is None else self._templar.template(value), task_vars
        )
        if problems:
            return "; ".join(problems)
        return _slices.whole_estate_problem(said, signs, "the port matrix")

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        vips, name = args["vips"], "vips"
        if vips is None:
            name = _port_matrix.VIPS_VARIABLE
            vips = self._templar.template(task_vars.get(name)) if name in task_vars else None
        groups = task_vars.get("groups", {})
        # A slice of the estate (an AWX sliced job) would draw part of the estate's flows
        # as if they were all of them.
        part = self._part_of_estate(task_vars)
        if part is not None:
            return {"failed": True, "msg": part, "problems": [part]}
        # The baseline is read before anything is written: it may be the very
        # port-matrix.json the playbook writes again into dest's folder.
        baseline: dict[str, Any] | None = None
        problems: list[InputError] = []
        try:
            if args["baseline"] is not None:
                baseline = read_baseline(args["baseline"])
        except InputError as exc:
            problems = [exc]
        try:
            found = _port_matrix.matrix(groups, task_vars["hostvars"], args["hosts"], vips, name)
        except InputError as exc:
            problems.append(exc)
        if problems:
            return {
                "failed": True,
                "msg": "; ".join(str(p) for p in problems),
                "problems": [each for p in problems for each in p.problems],
            }
        if baseline is not None:
            found["changes"] = _matrix_changes.changes(baseline, found)
        result: dict[str, Any] = {"changed": False}
        if args["dest"]:
            try:
                result["changed"], result["files"] = write_tables(found, args["dest"])
            except (OSError, UnicodeError) as exc:
                return {
                    "failed": True,
                    "msg": f"dest: cannot write the tables into {args['dest']!r} ({exc})",
                }
        result.update(found)
        return result


def read_baseline(path: str) -> dict[str, Any]:
    """The option ``baseline``: an earlier run's port-matrix.json, read and checked."""
    name = f"baseline: {shown(path)}"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(
            f"{name} cannot be read ({reason}): give an earlier run's port-matrix.json"
        ) from None
    return _matrix_changes.baseline_from_text(text, name)


def _tables_of(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *found["boundaries"],
        *found["grouped"],
        found["object_groups"],
        found["load_balancers"],
        found["clients"],
    ]


def table_files(found: dict[str, Any]) -> dict[str, str]:
    """File name -> text of each table as CSV and as Markdown (with its title), and of
    the Aerleon policies and definitions (in their folder)."""
    files: dict[str, str] = {}
    for table in _tables_of(found):
        files[f"{table['file']}.csv"] = _tables.csv_text(table["rows"], table["columns"])
        markdown = _tables.markdown(table["rows"], table["columns"])
        files[f"{table['file']}.md"] = f"# {table['title']}\n\n{markdown}"
    for name, text in _aerleon.files(found).items():
        files[f"{_aerleon.FOLDER}/{name}"] = text
    return files


def write_tables(found: dict[str, Any], dest: str) -> tuple[bool, list[str]]:
    """Write the tables into ``dest`` (created when missing), each file replaced whole
    and only when its text changed. Returns whether any file changed, and their paths."""
    os.makedirs(dest, mode=0o755, exist_ok=True)
    changed = False
    paths = []
    for name, text in table_files(found).items():
        path = os.path.join(dest, name)
        folder = os.path.dirname(path)
        os.makedirs(folder, mode=0o755, exist_ok=True)
        paths.append(path)
        try:
            with open(path, encoding="utf-8", newline="") as old:
                if old.read() == text:
                    continue
        except FileNotFoundError:
            pass
        _files.replace(path, text.encode("utf-8"), 0o644)
        changed = True
    # aclgen reads every policy and definition there: one an earlier run wrote for a
    # server since gone from the matrix goes.
    for folder in _aerleon.GENERATED_DIRS:
        for root, _dirs, names in os.walk(os.path.join(dest, _aerleon.FOLDER, folder)):
            for stale in (os.path.join(root, n) for n in names if n.endswith(".yaml")):
                if stale not in paths:
                    os.unlink(stale)
                    changed = True
    return changed, paths
