"""ansible-playbook runs for every harness user, and what each run produced.

A run is a real ``ansible-playbook`` process, as a user runs it: :func:`run_playbook`
times it (wall clock, and CPU and peak RSS of its process tree), parses its PLAY RECAP
(:mod:`harness.recap`) and reads the task results the recorder callback
(``harness/callback_plugins/ocs_record.py``) wrote. :class:`Playbooks` runs numbered
playbooks from one work folder: the suites' ``play`` fixture and the benchmark.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import CALLBACK_DIR, REPO_ROOT
from harness.recap import parse_recap

# The ocs.firewall.server role's two tasks that register a host's ocs_firewall_result: the
# plan stage on every host, then the apply stage on the hosts that have changes to make
# (roles/server/tasks/). A host's last result among them is its outcome, as site.yml's
# closing table reads it.
PLAN_TASK = "Read the host's firewall and plan every change of its components"
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"
SITE_TASKS = (PLAN_TASK, APPLY_TASK)


@dataclass
class PlaybookRun:
    """One finished ``ansible-playbook`` run.

    ``events`` are the recorder's lines: ``playbook_start``, one per task result, then
    ``stats``; ``records`` are the task results alone, each ``{"event", "status", "host",
    "task", "action", "failed", "unreachable", "skipped", "changed", "msg", "result",
    "t"}`` (``status``: the event, or ``changed`` for an ok result that changed something).
    """

    argv: list[str]
    rc: int
    wall_s: float
    cpu_s: float
    maxrss_mib: float
    stdout: str
    stderr: str
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # The file the recorder wrote ``events`` to (None: the run was not recorded).
    record: Path | None = None

    @property
    def records(self) -> list[dict[str, Any]]:
        return [e for e in self.events if "host" in e]

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def play_s(self) -> float:
        """Seconds from playbook start to the recap (no interpreter start-up); wall if unknown."""
        times = {
            e["event"]: e["t"] for e in self.events if e["event"] in ("playbook_start", "stats")
        }
        if "playbook_start" in times and "stats" in times:
            return float(times["stats"] - times["playbook_start"])
        return self.wall_s

    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("failed")]

    def records_of(self, task: str, host: str | None = None) -> list[dict[str, Any]]:
        """The results of the task named ``task`` (every host's, or ``host``'s), in order."""
        return [r for r in self.records if r["task"] == task and host in (None, r["host"])]

    def results(self, task: str) -> dict[str, dict[str, Any]]:
        """``{host: record}`` for the task named ``task`` (the last result of each host)."""
        return {r["host"]: r for r in self.records_of(task)}

    def host_results(self) -> dict[str, dict[str, Any]]:
        """``{host: record}``: each host's last result of the server role's plan or apply
        task (its ``ocs_firewall_result``): the plan's for a host in sync or in check mode,
        the apply's for a host it changed."""
        return {r["host"]: r for r in self.records if r["task"].endswith(SITE_TASKS)}

    def statuses(self, task: str) -> dict[str, str]:
        return {host: r["status"] for host, r in self.results(task).items()}

    def tail(self, lines: int = 40) -> str:
        text = (self.stdout + "\n" + self.stderr).strip().splitlines()
        return "\n".join(text[-lines:])


def ansible_env(
    collections: Path, work: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment for ansible-playbook: the checkout as ocs.firewall
    (``collections``, see :func:`harness.collections_root`), Ansible's own files under
    ``work``, no colour, retry files or noise about the machine's set-up."""
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


def read_events(path: Path) -> list[dict[str, Any]]:
    """The lines the recorder wrote to ``path`` (none if it wrote nothing)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def recorder_env(env: Mapping[str, str], record: Path) -> dict[str, str]:
    """``env`` with the ocs_record callback enabled, writing to ``record`` (emptied now)."""
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("", encoding="utf-8")
    enabled = [c for c in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if c]
    return {
        **env,
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": ",".join([*enabled, "ocs_record"]),
        "OCS_RECORD_FILE": str(record),
    }


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
    """Run ``ansible-playbook``; with ``record``, its task results are recorded there.

    A run longer than ``timeout`` seconds is killed (and fails).
    """
    argv = [ansible_playbook_bin(), "-i", str(inventory), "-f", str(forks), *args, str(playbook)]
    run_env = recorder_env(env, record) if record is not None else dict(env)
    rc, wall, usage, stdout, stderr = _measured(argv, run_env, cwd, timeout)
    return PlaybookRun(
        argv=argv,
        rc=rc,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        maxrss_mib=usage.ru_maxrss / 1024.0,
        stdout=stdout,
        stderr=stderr,
        recap=parse_recap(stdout),
        events=read_events(record) if record is not None else [],
        record=record,
    )


def _measured(
    argv: list[str], env: Mapping[str, str], cwd: Path, timeout: float
) -> tuple[int, float, Any, str, str]:
    """Run ``argv``: exit status, wall time, rusage of its process tree, stdout, stderr.

    ``os.wait4`` returns the rusage of the child including its waited-for descendants (the
    forks), which is the RUSAGE_CHILDREN delta this call causes; ``ru_maxrss`` is the
    largest single process of that tree.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=out, stderr=err)
        deadline = start + timeout
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
        return proc.returncode, wall, usage, out.read(), err.read()


class Playbooks:
    """Runs playbooks with one environment, numbering the files of each run in ``folder``:
    ``NNN-<label>.yml`` (a playbook given as YAML text), ``NNN-<label>-vars.json`` (extra
    variables) and ``NNN-<label>.jsonl`` (the recorded task results)."""

    def __init__(
        self, folder: Path, env: Mapping[str, str], *, forks: int = 10, timeout: float = 600
    ) -> None:
        self.folder = Path(folder)
        self.env = dict(env)
        self.forks = forks
        self.timeout = timeout
        self._count = 0

    def run(
        self,
        playbook: str | Path,
        inventory: Path,
        *args: str,
        label: str = "play",
        extra_vars: Mapping[str, Any] | None = None,
        forks: int | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> PlaybookRun:
        """Run ``playbook`` (a path, or YAML text: dedented and written to a file) on
        ``inventory`` with ``args``; ``env`` adds to the environment of every run."""
        self._count += 1
        stem = self.folder / f"{self._count:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}"
        stem.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(playbook, str):
            path = stem.with_name(stem.name + ".yml")
            path.write_text(textwrap.dedent(playbook), encoding="utf-8")
        else:
            path = playbook
        if extra_vars is not None:
            vars_file = stem.with_name(stem.name + "-vars.json")
            vars_file.write_text(json.dumps(dict(extra_vars)), encoding="utf-8")
            args = ("-e", f"@{vars_file}", *args)
        return run_playbook(
            path,
            inventory,
            {**self.env, **(env or {})},
            *args,
            forks=self.forks if forks is None else forks,
            timeout=self.timeout if timeout is None else timeout,
            record=stem.with_name(stem.name + ".jsonl"),
        )
