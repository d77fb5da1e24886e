"""site.yml as AWX and Ansible Automation Platform run it: through ansible-runner.

AWX hands a job to ansible-runner (a private data folder holding the project, the
inventory and the environment), which runs ansible-playbook and reports the job's status,
its stats and one event per task result. This runs the collection's site playbook that way
on the example estate's lab hosts, through ansible-runner's Python API, and checks what
AWX shows: the job successful, every host converged on the first run, nothing changed on
the second, an event per host for the apply task and the closing stats event.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml
from harness.lab import Lab

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "inventory.yml"
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"
PLAN_TASK = "Read the host's firewall and plan every change of its components"
# What an AWX project holding only this playbook runs: the collection's own site.yml.
PROJECT_PLAYBOOK = "- ansible.builtin.import_playbook: ocs.firewall.site\n"


def _example_hosts() -> set[str]:
    hosts: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        hosts.update((node.get("hosts") or {}).keys())
        for child in (node.get("children") or {}).values():
            walk(child or {})

    walk(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["all"])
    return hosts


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab(EXAMPLE, "basic")


@pytest.fixture(scope="module")
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdd = tmp_path_factory.mktemp("runner")
    (pdd / "project").mkdir()
    (pdd / "project" / "site.yml").write_text(PROJECT_PLAYBOOK, encoding="utf-8")
    return pdd


def _run(pdd: Path, lab: Lab, collections_root: Path) -> Any:
    # ansible-runner starts ansible-playbook from PATH, as in an execution environment
    # where the image's Python is the only one: this venv's first.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return ansible_runner.run(
        private_data_dir=str(pdd),
        playbook="site.yml",
        inventory=str(lab.inventory),
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": path,
        },
        quiet=True,
    )


def _report(label: str, run: Any) -> None:
    print(f"{label}: status={run.status} rc={run.rc}")
    print(f"{label}: stats={run.stats}")


def _events(run: Any, name: str) -> list[dict[str, Any]]:
    return [e["event_data"] for e in run.events if e["event"] == name]


def test_site_through_ansible_runner_converges_then_changes_nothing(
    estate: Lab, private_data_dir: Path, collections_root: Path
) -> None:
    hosts = _example_hosts()

    first = _run(private_data_dir, estate, collections_root)
    _report("first run", first)

    assert (first.status, first.rc) == ("successful", 0), first.stdout.read()[-3000:]
    stats = first.stats
    assert set(stats["ok"]) == set(stats["processed"]) == hosts
    assert set(stats["changed"]) == hosts  # each host had its rules created
    assert not stats["failures"] and not stats["dark"]
    applied = [e for e in _events(first, "runner_on_ok") if e["task"].endswith(APPLY_TASK)]
    assert sorted(e["host"] for e in applied) == sorted(hosts)
    assert all(e["res"]["changed"] for e in applied)
    assert not _events(first, "runner_on_failed") and not _events(first, "runner_on_unreachable")
    closing = _events(first, "playbook_on_stats")
    assert len(closing) == 1 and set(closing[0]["changed"]) == hosts

    second = _run(private_data_dir, estate, collections_root)
    _report("second run", second)

    assert (second.status, second.rc) == ("successful", 0), second.stdout.read()[-3000:]
    assert set(second.stats["ok"]) == hosts
    assert not second.stats["changed"]
    assert not second.stats["failures"] and not second.stats["dark"]
    # In sync: every host is read and planned, and none has anything to apply.
    planned = [e for e in _events(second, "runner_on_ok") if e["task"].endswith(PLAN_TASK)]
    assert sorted(e["host"] for e in planned) == sorted(hosts)
    assert all(e["res"]["in_sync"] and not e["res"]["changed"] for e in planned)
    assert not [e for e in _events(second, "runner_on_ok") if e["task"].endswith(APPLY_TASK)]
