"""Lab hosts for every harness user: started, read, faulted and stopped in one way.

A lab is a set of simulated Windows hosts (dev/lab/ocs_lab) listening on 127.0.0.1. It is
always started in-process through ``ocs_lab.api.start``, which spawns the lab server
process itself: by the pytest fixtures, the benchmark, ``python -m harness lab start``
(``make demo``, Molecule's create step). :class:`Lab` is one running lab and what it is
asked afterwards (its dumps, traces and faults); :class:`Labs` starts several under one
folder and stops them all. Errors are the lab's own :class:`ocs_lab.state.LabError`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from ocs_lab import api
from ocs_lab import inventory as lab_inventory
from ocs_lab.state import LabError

__all__ = [
    "TRANSPORTS",
    "Lab",
    "LabError",
    "Labs",
    "commands_per_host",
    "raise_open_file_limit",
    "start_lab",
    "stop_lab",
    "write_inventory",
]

TRANSPORTS = api.TRANSPORT_CHOICES
Inventory = Mapping[str, Any] | str | os.PathLike[str]


def write_inventory(path: Path, data: Any) -> Path:
    """Write an Ansible YAML inventory (or any YAML) to ``path``; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def commands_per_host(trace: Mapping[str, Any]) -> dict[str, int]:
    """Number of WinRM commands each host ran, from a lab trace (each host's commands)."""
    return {host: len(commands) for host, commands in trace.items()}


@dataclasses.dataclass
class Lab:
    """One running lab: its state folder, the inventory it wrote for Ansible, its hosts.

    ``dataclasses.replace(lab, inventory=other)`` is the same hosts under another
    inventory (see :meth:`regroup`).
    """

    state_dir: Path
    inventory: Path
    hosts: list[str]

    def dump(self, *hosts: str) -> dict[str, dict[str, Any]]:
        """Each host's whole firewall (every host, or ``hosts``): profiles and rules."""
        return api.dump(self.state_dir, list(hosts) or None)

    def trace(self, *hosts: str, reset: bool = False) -> dict[str, list[dict[str, Any]]]:
        """The commands each host ran (since the last reset); ``reset`` clears them."""
        return api.trace(self.state_dir, list(hosts) or None, reset=reset)

    def reset_trace(self) -> None:
        api.trace(self.state_dir, reset=True)

    def commands(self, *hosts: str) -> dict[str, int]:
        """How many commands each host ran since the last reset."""
        return commands_per_host(self.trace(*hosts))

    def fault(self, host: str, **faults: Any) -> dict[str, Any]:
        """Add a fault to ``host`` (``ocs_lab.api.set_fault`` keywords: ``refuse_auth``,
        ``fail_command``, ``drop_command``, ``delay``, ``stop_firewall``, ``clear``)."""
        return api.set_fault(self.state_dir, host, **faults)

    def clear_faults(self, *hosts: str) -> None:
        for host in hosts or self.hosts:
            api.set_fault(self.state_dir, host, clear=True)

    def stop(self) -> bool:
        return stop_lab(self.state_dir)

    def connection_vars(self) -> dict[str, dict[str, Any]]:
        """Each host's connection variables in the inventory the lab wrote: its
        ``ansible_*`` ones and ``ocs_firewall_winrm_port`` (WinRM's port as the host sees
        it; the connection's port is the lab's loopback one, a NAT in front of the host)."""
        data = yaml.safe_load(self.inventory.read_text(encoding="utf-8"))
        kept = lab_inventory.WINRM_PORT_VARIABLE
        return {
            host: {k: v for k, v in variables.items() if k.startswith("ansible_") or k == kept}
            for host, variables in lab_inventory.hosts(data).items()
        }

    def regroup(self, path: Path, groups: Mapping[str, Mapping[str, Any]]) -> Path:
        """Write an inventory for the same lab hosts with other groups and variables.

        ``groups`` is ``{group: {host: vars or None}}``; every lab host is in the
        inventory (hosts no group names are under ``all``), so a host can leave every
        ``ocs_<component>`` group and still be reached. This is how a test takes a
        component off a host, as a user does by editing the inventory. The lab's own
        variables (``ocs_lab_*``) are left out, as from the inventory the lab writes.
        """
        connections = self.connection_vars()
        placed: set[str] = set()
        children: dict[str, Any] = {}
        for group, members in groups.items():
            children[group] = {
                "hosts": {
                    h: {**connections[h], **lab_inventory.without_lab_vars(hv or {})}
                    for h, hv in members.items()
                }
            }
            placed.update(members)
        inventory: dict[str, Any] = {"all": {"children": children}}
        rest = {h: dict(v) for h, v in connections.items() if h not in placed}
        if rest:
            inventory["all"]["hosts"] = rest
        return write_inventory(path, inventory)


def start_lab(
    inventory: Inventory,
    state_dir: Path,
    output: Path,
    transport: str = "basic",
    *,
    replace: bool = False,
) -> Lab:
    """Start one simulated host per host of ``inventory`` (a dict or a YAML file), with
    its state in ``state_dir``; the inventory Ansible uses to reach them goes to ``output``.
    ``transport``: basic, ntlm, https, or mixed (the three in turn)."""
    source = dict(inventory) if isinstance(inventory, Mapping) else inventory
    output.parent.mkdir(parents=True, exist_ok=True)
    written = api.start(source, state_dir, transport, output=output, replace=replace)
    return Lab(Path(state_dir), Path(output), list(lab_inventory.hosts(written)))


def stop_lab(state_dir: str | os.PathLike[str]) -> bool:
    """Stop the lab server of ``state_dir``; True if it was running. Safe to repeat."""
    return api.stop(state_dir)


class Labs:
    """Labs started under one folder, each in a numbered sub-folder, stopped together.

    ``start`` is the ``start_lab`` fixture of the suites and the benchmark's way to get
    fresh hosts; ``stop_all`` (or leaving the ``with`` block) stops every lab still running.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.running: list[Lab] = []
        self._count = 0

    def start(self, inventory: Inventory, transport: str = "basic", *, name: str = "lab") -> Lab:
        """Start a lab; its folder is ``<root>/<number>-<name>`` (state/, inventory.yml)."""
        self._count += 1
        folder = self.root / f"{self._count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}"
        try:
            lab = start_lab(inventory, folder / "state", folder / "inventory.yml", transport)
        except BaseException:
            # A server that was spawned but never became ready must not outlive us.
            stop_lab(folder / "state")
            raise
        self.running.append(lab)
        return lab

    def stop(self, lab: Lab) -> None:
        lab.stop()
        if lab in self.running:
            self.running.remove(lab)

    def stop_all(self) -> None:
        for lab in list(self.running):
            self.stop(lab)

    def __enter__(self) -> Labs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def raise_open_file_limit(needed: int) -> tuple[int, int]:
    """Raise this process's soft limit on open files to at least ``needed`` when the hard
    limit allows (the lab server started from here inherits it: it holds one listening
    socket per host, plus one per open connection). Returns the (soft, hard) limits now."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft, hard
