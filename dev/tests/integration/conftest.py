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
