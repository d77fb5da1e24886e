"""Integration tests: real ansible-playbook + pywinrm against the lab's simulated hosts.

Every test here carries the ``integration`` marker (select with ``-m integration``, skip
with ``-m "not integration"``). Lab hosts come from the harness's ``start_lab`` fixture
(stopped when the test module ends) and runs from its ``play`` fixture; ``run_playbook``
is ``play`` with the suite's playbooks/ folder, extra variables and smaller limits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness.lab import Lab
from harness.playbook import PlaybookRun

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
FORKS = 5
TIMEOUT_S = 300


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: runs ansible-playbook against the lab's simulated hosts"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def run_playbook(play: Callable[..., PlaybookRun]) -> Callable[..., PlaybookRun]:
    """``run_playbook(playbook, lab, extra_vars=None, *options)``: ``playbook`` is a file of
    playbooks/ or a path; results come from the harness's ocs_record callback."""

    def run(
        playbook: str | Path,
        lab: Lab,
        extra_vars: dict[str, Any] | None = None,
        *options: str,
    ) -> PlaybookRun:
        return play(
            PLAYBOOKS / playbook,
            lab.inventory,
            *options,
            label=Path(playbook).stem,
            extra_vars=extra_vars,
            forks=FORKS,
            timeout=TIMEOUT_S,
        )

    return run


# The server role's preflight and plan tasks (roles/server/tasks/plan.yml).
PREFLIGHT_TASK = "Check the OCS firewall variables of every host of the play, contacting none"
PLAN_TASK = "Read the host's firewall and plan every change of its components"


def preflight_stop(run: PlaybookRun) -> dict[str, Any]:
    """The preflight's result of a run its problems stopped, every cause said once in its
    ``msg``. Each host a cause stops failed in the plan task with its part of that message
    (the recap counts the failure on it), and every other host was skipped: none was read.
    The preflight fails itself only for a cause no host of the play has."""
    (preflight,) = [r for r in run.records if r["task"].endswith(PREFLIGHT_TASK)]
    result: dict[str, Any] = preflight["result"]
    assert result["causes"], result
    if preflight["status"] == "failed":
        assert any(not cause["hosts"] for cause in result["causes"]), result
        return result
    plan = {r["host"]: r for r in run.records if r["task"].endswith(PLAN_TASK)}
    failed = {host: r["result"]["msg"] for host, r in plan.items() if r["status"] == "failed"}
    assert failed == result["stops"]
    assert all(r["status"] == "skipped" for host, r in plan.items() if host not in failed)
    for host in plan:
        assert run.recap[host]["failed"] == (1 if host in failed else 0), run.recap
    return result
