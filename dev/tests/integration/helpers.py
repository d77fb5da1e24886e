"""Types shared by the integration tests and their fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocs_lab import api


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    records: list[dict[str, Any]]

    def results(self, task: str) -> dict[str, dict[str, Any]]:
        """``{host: {"status": ..., "result": {...}}}`` for the task named ``task``."""
        return {
            r["host"]: {"status": r["status"], "result": r["result"]}
            for r in self.records
            if r["task"] == task
        }

    def statuses(self, task: str) -> dict[str, str]:
        return {host: r["status"] for host, r in self.results(task).items()}


@dataclass
class Lab:
    state_dir: Path
    inventory_file: Path
    hosts: list[str]

    def dump(self) -> dict[str, dict[str, Any]]:
        return api.dump(self.state_dir)

    def trace(self, reset: bool = False) -> dict[str, list[dict[str, Any]]]:
        return api.trace(self.state_dir, reset=reset)

    def reset_trace(self) -> None:
        api.trace(self.state_dir, reset=True)
