"""Helpers shared by the benchmark (bench/run.py) and the reliability suite (tests/reliability).

Not shipped with the collection (galaxy.yml ignores bench/). Everything here drives real
processes: the lab's command line (``python -m ocs_lab``) and ``ansible-playbook``, so the
figures and the tests see what a user running the collection would see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_DIR = REPO_ROOT / "dev" / "lab"
SITE_PLAYBOOK = REPO_ROOT / "playbooks" / "site.yml"
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"

# Role groups of the example inventory, with the share of hosts each gets in a generated
# estate. Front End servers dominate real pools; every other role has a few hosts.
ROLE_WEIGHTS: dict[str, int] = {
    "ocs_front_end": 30,
    "ocs_director": 8,
    "ocs_edge": 12,
    "ocs_cwa": 8,
    "ocs_group_chat": 8,
    "ocs_mediation": 12,
    "ocs_archiving": 8,
    "ocs_monitoring": 8,
    "ocs_reverse_proxy": 6,
    "ocs_sql_backend": 4,
}

# Short host-name prefix per group.
ROLE_PREFIX: dict[str, str] = {
    "ocs_front_end": "fe",
    "ocs_director": "dir",
    "ocs_edge": "edge",
    "ocs_cwa": "cwa",
    "ocs_group_chat": "gc",
    "ocs_mediation": "med",
    "ocs_archiving": "arch",
    "ocs_monitoring": "mon",
    "ocs_reverse_proxy": "rp",
    "ocs_sql_backend": "sql",
}

# Roles a consolidated Front End also carries: with them it holds 4 components.
CONSOLIDATED = ("ocs_av_conferencing", "ocs_web_conferencing", "ocs_web_components")
# Roles the most collocated Front End holds on top of those: 6 components in all.
FULLY_COLLOCATED = (*CONSOLIDATED, "ocs_archiving", "ocs_monitoring")
# Position, among every ten Front End hosts (0-based), of the consolidated (4 components)
# and the fully collocated (6 components) one. The first Front End is never collocated;
# from the third on, an estate holds both kinds.
CONSOLIDATED_AT = 1
FULLY_COLLOCATED_AT = 2


def collections_root(base: Path) -> Path:
    """Make ``base/ansible_collections/ocs/firewall`` a link to this checkout; return ``base``."""
    namespace = base / "ansible_collections" / "ocs"
    namespace.mkdir(parents=True, exist_ok=True)
    link = namespace / "firewall"
    if not link.exists():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return base


def _host_vars(group: str, index: int) -> dict[str, Any]:
    """Per-host role variables that a real estate would set (addresses are documentation
    ranges, RFC 5737: they are rule data only, nothing ever connects to them)."""
    if group == "ocs_edge":
        return {
            "ocs_edge_internal_addresses": [f"192.0.2.{10 + index % 200}"],
            "ocs_edge_external_addresses": [f"198.51.100.{10 + index % 200}"],
        }
    if group == "ocs_sql_backend":
        return {"ocs_sql_backend_remote_addresses": ["192.0.2.0/24"]}
    if group == "ocs_mediation":
        return {
            "ocs_mediation_pool_addresses": [f"192.0.2.{10 + index % 200}"],
            "ocs_mediation_gateway_addresses": [f"203.0.113.{10 + index % 200}"],
        }
    return {}


def generate_estate(hosts: int) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Spread ``hosts`` host names over the role groups (every group gets at least one host
    when there are enough). Some Front End hosts are collocated, as in real estates: of
    every ten, the second is consolidated (also the A/V Conferencing, Web Conferencing and
    Web Components roles: 4 components) and the third holds those and the Archiving and
    Monitoring roles too (6 components). An estate with three Front End hosts or more
    (15 hosts or more) holds both kinds; the first Front End is never collocated.

    Returns ``{group: [(host, host_vars), ...]}``; a collocated host appears in several
    groups.
    """
    if hosts < 1:
        raise ValueError(f"hosts must be at least 1, got {hosts}")
    groups = list(ROLE_WEIGHTS)
    total_weight = sum(ROLE_WEIGHTS.values())
    counts = {g: 0 for g in groups}
    if hosts >= len(groups):
        for g in groups:
            counts[g] = 1
    remaining = hosts - sum(counts.values())
    # Largest-remainder allocation of the rest, so the split is stable for any count.
    shares = {g: remaining * ROLE_WEIGHTS[g] / total_weight for g in groups}
    for g in groups:
        counts[g] += int(shares[g])
    left = hosts - sum(counts.values())
    for g in sorted(groups, key=lambda g: shares[g] - int(shares[g]), reverse=True)[:left]:
        counts[g] += 1
    estate: dict[str, list[tuple[str, dict[str, Any]]]] = {g: [] for g in groups}
    for g in groups:
        for i in range(1, counts[g] + 1):
            name = f"ocs-{ROLE_PREFIX[g]}-{i:03d}"
            estate[g].append((name, _host_vars(g, i)))
    for extra in CONSOLIDATED:
        estate[extra] = []
    for i, (name, _hv) in enumerate(estate["ocs_front_end"]):
        if i % 10 == CONSOLIDATED_AT:
            extras: tuple[str, ...] = CONSOLIDATED
        elif i % 10 == FULLY_COLLOCATED_AT:
            extras = FULLY_COLLOCATED
        else:
            continue
        for extra in extras:
            estate[extra].append((name, {}))
    return estate


def components_per_host(
    estate: Mapping[str, Sequence[tuple[str, Any]]],
) -> dict[str, int]:
    """How many component groups each host of an estate is in (1 unless collocated)."""
    counts: dict[str, int] = {}
    for members in estate.values():
        for name, _hv in members:
            counts[name] = counts.get(name, 0) + 1
    return counts


def sub_estate(
    estate: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]], hosts: Iterable[str]
) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """The part of an estate that holds only ``hosts`` (in every group they are in)."""
    keep = set(hosts)
    return {g: [(h, hv) for h, hv in members if h in keep] for g, members in estate.items()}


def estate_inventory(
    estate: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
) -> dict[str, Any]:
    """An Ansible YAML inventory (``all.children.<group>.hosts``) for an estate."""
    children: dict[str, Any] = {}
    for group, members in estate.items():
        if not members:
            continue
        hosts: dict[str, Any] = {}
        for name, hv in members:
            hosts[name] = dict(hv) if hv else None
        children[group] = {"hosts": hosts}
    return {"all": {"children": children}}


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def hosts_of(estate: Mapping[str, Sequence[tuple[str, Any]]]) -> list[str]:
    seen: dict[str, None] = {}
    for members in estate.values():
        for name, _hv in members:
            seen[name] = None
    return list(seen)


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


class LabError(RuntimeError):
    pass


@dataclass
class Lab:
    """The lab's command line (``python -m ocs_lab``), one state folder per lab."""

    state_dir: Path
    python: str = sys.executable

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(LAB_DIR), env.get("PYTHONPATH", "")) if p
        )
        proc = subprocess.run(
            [self.python, "-m", "ocs_lab", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and proc.returncode != 0:
            raise LabError(
                f"ocs_lab {' '.join(args)} failed (rc {proc.returncode}): "
                f"{proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc

    def start(self, inventory: Path, output: Path, transport: str = "basic") -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._run(
            "start",
            "--inventory",
            str(inventory),
            "--state-dir",
            str(self.state_dir),
            "--output",
            str(output),
            "--transport",
            transport,
        )
        return output

    def stop(self) -> None:
        self._run("stop", "--state-dir", str(self.state_dir), check=False)

    def dump(self, hosts: Iterable[str] = ()) -> dict[str, Any]:
        out = self._run("dump", "--state-dir", str(self.state_dir), *hosts).stdout
        data: dict[str, Any] = json.loads(out)
        return data

    def trace(self, hosts: Iterable[str] = (), reset: bool = False) -> dict[str, Any]:
        args = ["trace", "--state-dir", str(self.state_dir), *hosts]
        if reset:
            args.append("--reset")
        out = self._run(*args).stdout
        data: dict[str, Any] = json.loads(out) if out.strip() else {}
        return data

    def fault(self, host: str, *fault_args: str) -> None:
        self._run("fault", "--state-dir", str(self.state_dir), host, *fault_args)


def commands_per_host(trace: Mapping[str, Any]) -> dict[str, int]:
    """Number of WinRM commands each host ran, from ``ocs_lab trace`` output (which maps
    each host to the list of commands it ran)."""
    return {host: len(commands) for host, commands in trace.items()}


@dataclass
class PlaybookRun:
    argv: list[str]
    rc: int
    wall_s: float
    cpu_s: float
    maxrss_mib: float
    stdout: str
    stderr: str
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def play_s(self) -> float:
        """Seconds from playbook start to the recap (no interpreter start-up); wall if unknown."""
        times = {
            r["event"]: r["t"] for r in self.records if r["event"] in ("playbook_start", "stats")
        }
        if "playbook_start" in times and "stats" in times:
            return float(times["stats"] - times["playbook_start"])
        return self.wall_s

    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("failed")]

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def tail(self, lines: int = 40) -> str:
        text = (self.stdout + "\n" + self.stderr).strip().splitlines()
        return "\n".join(text[-lines:])


def ansible_env(
    collections: Path, work: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(collections),
            "ANSIBLE_HOME": str(work / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-tmp"),
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "PYTHONWARNINGS": "ignore",
        }
    )
    if extra:
        env.update(extra)
    return env


def ansible_playbook_bin() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise FileNotFoundError("ansible-playbook not found beside the interpreter or on PATH")
    return found


def parse_recap(stdout: str) -> dict[str, dict[str, int]]:
    """``PLAY RECAP`` lines -> ``{host: {"ok": n, "changed": n, "failed": n, ...}}``."""
    recap: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in stdout.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if not in_recap or ":" not in line:
            continue
        host, _, rest = line.partition(":")
        counts: dict[str, int] = {}
        for item in rest.split():
            key, sep, value = item.partition("=")
            if sep and value.isdigit():
                counts[key] = int(value)
        if counts:
            recap[host.strip()] = counts
    return recap


def run_playbook(
    playbook: Path,
    inventory: Path,
    env: Mapping[str, str],
    *args: str,
    forks: int = 25,
    cwd: Path = REPO_ROOT,
    timeout: float = 900,
    record: Path | None = None,
) -> PlaybookRun:
    """Run ``ansible-playbook``; wall time, and CPU time and peak RSS of its process tree.

    ``os.wait4`` returns the rusage of the child including its waited-for descendants (the
    forks), which is the RUSAGE_CHILDREN delta this call causes; ``ru_maxrss`` is the
    largest single process of that tree.
    """
    argv = [ansible_playbook_bin(), "-i", str(inventory), "-f", str(forks), *args, str(playbook)]
    env = dict(env)
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text("", encoding="utf-8")
        env["ANSIBLE_CALLBACK_PLUGINS"] = str(CALLBACK_DIR)
        enabled = [c for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c]
        env["ANSIBLE_CALLBACKS_ENABLED"] = ",".join([*enabled, "ocs_record"])
        env["OCS_RECORD_FILE"] = str(record)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=out, stderr=err)
        deadline = start + timeout
        status = None
        usage = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return PlaybookRun(
        argv=argv,
        rc=proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_mib=usage.ru_maxrss / 1024.0,
        stdout=stdout,
        stderr=stderr,
        recap=parse_recap(stdout),
        records=read_records(record) if record is not None else [],
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
