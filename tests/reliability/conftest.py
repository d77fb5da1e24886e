"""Fixtures for the reliability suite: lab hosts on 127.0.0.1 and real ansible-playbook runs.

Every test here drives the collection the way a user does (``ansible-playbook`` with the
winrm connection against the lab's simulated Windows hosts) and checks the outcome in the
lab's own records: ``dump`` (every rule of a host's firewall) and ``trace`` (every command a
host ran). The process helpers are shared with the benchmark (``bench/benchlib.py``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib
import pytest


@dataclass
class LabHosts:
    """One running lab: its CLI handle and the inventory it wrote for Ansible."""

    lab: benchlib.Lab
    inventory: Path
    hosts: list[str]

    def dump(self, *hosts: str) -> dict[str, Any]:
        return self.lab.dump(hosts)

    def trace(self, *hosts: str, reset: bool = False) -> dict[str, Any]:
        return self.lab.trace(hosts, reset=reset)

    def commands(self, *hosts: str) -> dict[str, int]:
        return benchlib.commands_per_host(self.trace(*hosts))

    def fault(self, host: str, *args: str) -> None:
        self.lab.fault(host, *args)


def host_rules(dump: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """Every rule of ``host`` in a lab dump (``{host: {profiles, rules}}``), in store order."""
    return list(dump[host]["rules"])


@pytest.fixture(scope="session")
def ansible_env(collections_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("ansible")
    return benchlib.ansible_env(collections_root, work)


@pytest.fixture(scope="session")
def start_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LabHosts]]:
    """Start a lab from ``{group: {host: vars}}`` (or a ready inventory dict); stopped at the
    end of the session."""
    started: list[benchlib.Lab] = []

    def start(name: str, inventory: Mapping[str, Any], transport: str = "basic") -> LabHosts:
        folder = tmp_path_factory.mktemp(f"lab-{name}")
        source = benchlib.write_yaml(folder / "estate.yml", dict(inventory))
        lab = benchlib.Lab(folder / "state")
        started.append(lab)
        out = lab.start(source, folder / "inventory.yml", transport)
        hosts = list(benchlib.commands_per_host(lab.trace(reset=True)))
        return LabHosts(lab=lab, inventory=out, hosts=hosts)

    yield start
    for lab in started:
        lab.stop()


@pytest.fixture(scope="session")
def play(
    ansible_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., benchlib.PlaybookRun]:
    """Run a playbook (a path, or YAML text written to a file) against a lab inventory."""
    folder = tmp_path_factory.mktemp("plays")
    counter = [0]

    def run(
        playbook: str | Path,
        inventory: Path,
        *args: str,
        forks: int = 10,
        env: Mapping[str, str] | None = None,
        timeout: float = 600,
    ) -> benchlib.PlaybookRun:
        counter[0] += 1
        if isinstance(playbook, str):
            path = folder / f"play-{counter[0]:03d}.yml"
            path.write_text(textwrap.dedent(playbook), encoding="utf-8")
        else:
            path = playbook
        merged = dict(ansible_env)
        if env:
            merged.update(env)
        return benchlib.run_playbook(
            path,
            inventory,
            merged,
            *args,
            forks=forks,
            timeout=timeout,
            record=folder / f"play-{counter[0]:03d}.jsonl",
        )

    return run
