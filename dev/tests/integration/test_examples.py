"""The EXAMPLES of every plugin run as written, against a lab host.

Users copy these; an example that no longer runs is a defect. Each plugin's EXAMPLES
block becomes the task list of one play; the few variables an example assumes are
defined here, and nothing in the example text is changed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
# A plugin's examples are in its .py file, or in its documentation file beside the code
# (<name>.yml, for a filter file that holds several filters).
PLUGINS = sorted(
    p
    for kind in ("modules", "lookup", "filter", "test")
    for pattern in ("*.py", "*.yml")
    for p in (REPO / "plugins" / kind).glob(pattern)
    if not p.name.startswith("_")
    and not (p.suffix == ".py" and p.with_suffix(".yml").exists())
    and not (p.suffix == ".py" and "DOCUMENTATION" not in p.read_text(encoding="utf-8"))
)
HOST = "examples01"
# What the examples take as given, as a user's play would have it.
ASSUMED_VARS: dict[str, Any] = {
    "fe_rules": [{"name": "OCS FE - SIP TLS", "local_ports": 5061}],
    "ocs_edge_external_addresses": ["192.0.2.10", "192.0.2.11"],
}


def _examples(plugin: Path) -> list[dict[str, Any]]:
    if plugin.suffix == ".yml":
        tasks = yaml.safe_load(yaml.safe_load(plugin.read_text(encoding="utf-8"))["EXAMPLES"])
        if isinstance(tasks, list) and tasks:
            return tasks
        raise AssertionError(f"{plugin.relative_to(REPO)} has no EXAMPLES task list")
    tree = ast.parse(plugin.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            tasks = yaml.safe_load(str(node.value.value))
            if isinstance(tasks, list) and tasks:
                return tasks
    raise AssertionError(f"{plugin.relative_to(REPO)} has no EXAMPLES task list")


@pytest.fixture(scope="module")
def lab(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab({"all": {"hosts": {HOST: {}}}}, "basic")


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_examples_run_as_written(
    plugin: Path, lab: Lab, run_playbook: Callable[..., PlaybookRun], tmp_path: Path
) -> None:
    playbook = tmp_path / "examples.yml"
    play = {
        "name": f"EXAMPLES of {plugin.relative_to(REPO)}",
        "hosts": HOST,
        "gather_facts": False,
        "vars": ASSUMED_VARS,
        "tasks": _examples(plugin),
    }
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")

    run = run_playbook(str(playbook), lab)

    assert run.rc == 0, run.stdout[-4000:]
    failed = [r for r in run.records if r["status"] in ("failed", "unreachable")]
    assert failed == []
