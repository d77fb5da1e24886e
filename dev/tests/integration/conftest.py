"""Integration tests: real ansible-playbook + pywinrm against the lab's simulated hosts.

Every test here carries the ``integration`` marker (select with ``-m integration``, skip
with ``-m "not integration"``). Each test module starts its own lab in a temporary
folder through :mod:`ocs_lab.api` and stops it when the module ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchlib import CALLBACK_DIR, read_records
from ocs_lab import api
from ocs_lab.inventory import hosts as inventory_hosts

from .helpers import Lab, PlaybookRun

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: runs ansible-playbook against the lab's simulated hosts"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="module")
def start_lab(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Lab]]:
    """Start a lab for an inventory dict; every lab started is stopped after the module."""
    started: list[Path] = []

    def start(inventory: dict[str, Any], transport: str = "mixed") -> Lab:
        state_dir = tmp_path_factory.mktemp("lab")
        started.append(state_dir)
        written = api.start(inventory, state_dir, transport, output=state_dir / "lab-inventory.yml")
        hosts = list(inventory_hosts(written))
        return Lab(state_dir, state_dir / "lab-inventory.yml", hosts)

    yield start
    for state_dir in started:
        api.stop(state_dir)


@pytest.fixture(scope="session")
def run_playbook(
    collections_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., PlaybookRun]:
    """Run one of playbooks/ with ansible-playbook; results come from the ocs_record callback."""
    work = tmp_path_factory.mktemp("runs")
    counter = iter(range(1_000_000))

    def run(
        playbook: str,
        lab: Lab,
        extra_vars: dict[str, Any] | None = None,
        *options: str,
    ) -> PlaybookRun:
        number = next(counter)
        results_file = work / f"results-{number}.jsonl"
        vars_file = work / f"vars-{number}.json"
        vars_file.write_text(json.dumps(extra_vars or {}), encoding="utf-8")
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(collections_root),
            # dev/bench/callback_plugins: the recorder the benchmark and reliability suite use too.
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
            ANSIBLE_CALLBACKS_ENABLED="ocs_record",
            OCS_RECORD_FILE=str(results_file),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_FORKS="5",
            ANSIBLE_HOME=str(work / "ansible-home"),
        )
        completed = subprocess.run(
            [
                str(ANSIBLE_PLAYBOOK),
                "-i",
                str(lab.inventory_file),
                "-e",
                f"@{vars_file}",
                *options,
                str(PLAYBOOKS / playbook),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        records = [_task_record(e) for e in read_records(results_file) if "host" in e]
        return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, records)

    return run


def _task_record(event: dict[str, Any]) -> dict[str, Any]:
    """One task result as the tests read it: host, task, status (``changed`` when an ok
    result changed something), result."""
    status = "changed" if event["event"] == "ok" and event["changed"] else event["event"]
    return {
        "host": event["host"],
        "task": event["task"],
        "status": status,
        "result": event["result"],
    }
