"""Fixtures for the reliability suite: lab hosts on 127.0.0.1 and real ansible-playbook runs.

Every test here drives the collection the way a user does (``ansible-playbook`` with the
winrm connection against the lab's simulated Windows hosts) and checks the outcome in the
lab's own records: ``dump`` (every rule of a host's firewall) and ``trace`` (every command a
host ran). The process helpers are shared with the benchmark (``dev/bench/benchlib.py``).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib
import pytest
import yaml

# What the collection puts at the end of the description of every rule it creates
# ([ocs.firewall] for a win_firewall_rules rule, [ocs.firewall catalogue <id>] for a
# catalogue rule), and the name the remote script gives a rule while it retires it. The
# tests spell them out instead of importing the plugins, so a change to either is seen.
TASK_MARK = "[ocs.firewall]"
OWNED_DESCRIPTION = re.compile(r"\[ocs\.firewall(?: catalogue [a-z0-9][a-z0-9-]*)?\]\Z")
TOMBSTONE_PREFIX = "ocs.firewall-removing-"
SITE_TASK = "ocs.firewall.server : Windows Firewall rules of every OCS component of the host"
PREFLIGHT_TASK = (
    "ocs.firewall.server : Check the OCS firewall variables of every host of the play, "
    "contacting none"
)


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

    def connection_vars(self) -> dict[str, dict[str, Any]]:
        """Each host's ``ansible_*`` variables from the inventory the lab wrote."""
        data = yaml.safe_load(self.inventory.read_text(encoding="utf-8"))
        found: dict[str, dict[str, Any]] = {}

        def walk(groups: Mapping[str, Any]) -> None:
            for group in groups.values():
                for host, hv in ((group or {}).get("hosts") or {}).items():
                    mine = {k: v for k, v in (hv or {}).items() if k.startswith("ansible_")}
                    found.setdefault(str(host), {}).update(mine)
                walk((group or {}).get("children") or {})

        walk(data)
        return found

    def regroup(self, path: Path, groups: Mapping[str, Mapping[str, Any]]) -> Path:
        """Write an inventory for the same lab hosts with other groups and variables.

        ``groups`` is ``{group: {host: vars or None}}``; every lab host is in the
        inventory (hosts no group names are under ``all``), so a host can leave every
        ``ocs_<component>`` group and still be reached. This is how a test takes a
        component off a host, as a user does by editing the inventory.
        """
        connections = self.connection_vars()
        placed: set[str] = set()
        children: dict[str, Any] = {}
        for group, members in groups.items():
            children[group] = {
                "hosts": {h: {**connections[h], **(hv or {})} for h, hv in members.items()}
            }
            placed.update(members)
        inventory: dict[str, Any] = {"all": {"children": children}}
        rest = {h: dict(v) for h, v in connections.items() if h not in placed}
        if rest:
            inventory["all"]["hosts"] = rest
        return benchlib.write_yaml(path, inventory)


def host_rules(dump: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """Every rule of ``host`` in a lab dump (``{host: {profiles, rules}}``), in store order."""
    return list(dump[host]["rules"])


def is_owned(rule: Mapping[str, Any]) -> bool:
    """True for a rule the collection made (its description ends with the marker)."""
    return OWNED_DESCRIPTION.search(rule["description"]) is not None


def is_tombstone(rule: Mapping[str, Any]) -> bool:
    return str(rule["name"]).casefold().startswith(TOMBSTONE_PREFIX)


def marked(description: str) -> str:
    """The description a win_firewall_rules rule gets on the host: the user's text, then
    the marker (the marker alone for an empty description)."""
    return f"{description} {TASK_MARK}" if description else TASK_MARK


def records_of(run: benchlib.PlaybookRun, task: str, host: str | None = None) -> list[Any]:
    """The recorded results of ``task`` (every host, or ``host``'s), in run order."""
    return [r for r in run.records if r.get("task") == task and (host is None or r["host"] == host)]


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
