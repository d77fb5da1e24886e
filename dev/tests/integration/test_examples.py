"""The EXAMPLES of every plugin run as written, against a converged server of the example estate.

Users copy these onto real servers; an example that no longer runs, or that removes what
it does not say it removes, is a defect. The example estate (examples/inventory.yml) is
converged with site.yml first; each plugin's EXAMPLES block then becomes the task list of
one play on its Standard Edition server (five components), the few variables an example
assumes defined here, nothing in the example text changed. Each task's removals are
counted (what the modules report, checked against the host's rules before and after): a
task that removes anything must say so in its own name. The server is converged again
after each plugin that changed it.
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
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
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
HOST = "se01.ocs.example"
# What the examples take as given, as a user's play would have it.
ASSUMED_VARS: dict[str, Any] = {
    "backup_rules": [{"name": "Backup agent - control", "local_ports": 10000}],
}
# Where a task says it removes (its name), as a reader sees it first.
SAYS_IT_REMOVES = ("remove",)
MARKER = "[ocs.firewall"


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


def _ours(lab: Lab) -> set[tuple[str, str]]:
    """The collection's rules on the server: (group, name)."""
    rules = lab.dump(HOST)[HOST]["rules"]
    return {(r["grouping"], r["name"]) for r in rules if MARKER in r["description"]}


def _removed(record: dict[str, Any]) -> list[str]:
    """The rules a task reports it removed (or would remove)."""
    result = record.get("result") or {}
    if isinstance(result.get("summary"), dict):  # win_ocs_firewall
        return [n for g in result["summary"].get("groups", {}).values() for n in g["removed"]]
    return list(result.get("removed") or [])  # win_firewall_rules


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab], run_playbook: Callable[..., PlaybookRun]) -> Lab:
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "basic")
    converged = run_playbook(SITE, lab)
    assert converged.rc == 0, converged.stdout[-3000:]
    return lab


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_examples_run_as_written_on_a_converged_server_and_say_what_they_remove(
    plugin: Path,
    estate: Lab,
    run_playbook: Callable[..., PlaybookRun],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tasks = _examples(plugin)
    playbook = tmp_path / "examples.yml"
    play = {
        "name": f"EXAMPLES of {plugin.relative_to(REPO)}",
        "hosts": HOST,
        "gather_facts": False,
        "vars": ASSUMED_VARS,
        "tasks": tasks,
    }
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    before = _ours(estate)

    run = run_playbook(str(playbook), estate)

    assert run.rc == 0, run.stdout[-4000:]
    assert [r for r in run.records if r["status"] in ("failed", "unreachable")] == []
    # A task in check mode changes nothing: what it would remove is not removed.
    removed: dict[str, list[str]] = {t["name"]: [] for t in tasks if not t.get("check_mode")}
    for record in run.records:
        if record["task"] in removed and record["host"] == HOST:
            removed[record["task"]] += _removed(record)
    with capsys.disabled():  # the counts, for whoever runs the suite with -s
        for name, names in removed.items():
            print(f"\n  {len(names):3d} removed: {plugin.relative_to(REPO)}: {name}", end="")
    silent = [
        n for n, names in removed.items() if names and not n.lower().startswith(SAYS_IT_REMOVES)
    ]
    assert silent == [], f"these examples remove rules without saying so: {silent}"
    # Every rule of ours the server lost was reported by a task that says it removes.
    lost = {name for _group, name in before - _ours(estate)}
    said = {
        n
        for name, names in removed.items()
        if name.lower().startswith(SAYS_IT_REMOVES)
        for n in names
    }
    assert lost <= said, f"{plugin.name}'s examples removed {sorted(lost - said)} unannounced"
    # The next plugin starts from the converged server again.
    if _ours(estate) != before:
        again = run_playbook(SITE, estate, None, "--limit", HOST)
        assert again.rc == 0, again.stdout[-3000:]
        assert _ours(estate) == before
