"""Every command the user documentation shows, run as written (``make docs-commands``).

The commands come from the documents themselves (commands.extract: the README, the docs
site's guides, the lab's README, the roles' READMEs) and are checked as commands.PLANS
says; test_listed.py, in ``make unit``, keeps that list and the documents in step. Here
each command marked Run runs in bash, as a reader's shell session would run it, in the
order of the documents:

* on a machine as fresh as this one allows: HOME is an empty folder (so ``~/ocs-ansible``
  and ``~/.ansible/collections`` start empty), no ANSIBLE_* or PYTHONPATH variable, the
  development venv off PATH; only pip's own settings and its download cache are kept;
* ``checkout`` commands at the root of a copy of this checkout (every file git would
  track, its ``.venv`` the development one), ``project`` commands in a folder of the
  user's; both hold ``inventory.yml``: lab hosts of the example estate (examples/) over
  NTLM with message encryption, what the documented install's pywinrm must speak;
* ``export`` and a venv's activation carry on to the later commands of the document,
  ``cd`` to the later commands of its block, as in a shell;
* pip runs with PIP_ONLY_BINARY=:all: where the document says it compiles nothing;
* a command run before with the same state and in the same place is not run again: it is
  reported as the same as that one.

The result is a table of every command (ran, with its time; skipped, with why; run by
.ci/run), printed and written to .build/docs-commands.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from harness.lab import Lab, stop_lab

from .commands import REPO, Command, Run, extract, plan_of

FOUND = extract()
RUNS = [c for c in FOUND.commands if isinstance(plan_of(c), Run)]
EXAMPLE = REPO / "examples" / "inventory.yml"
TABLE = REPO / ".build" / "docs-commands.md"
TIMEOUT_S = 900
# The venv the install instructions make, under the test's HOME.
DOC_VENV = "ocs-ansible"


@dataclass
class Outcome:
    status: str  # "ran", "FAILED", or "same as <where>"
    seconds: float = 0.0


@dataclass
class Session:
    home: Path
    checkout: Path
    project: Path
    env: dict[str, str]
    doc_state: dict[str, list[str]] = field(default_factory=dict)
    block_state: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    done: dict[tuple[str, tuple[str, ...], str], str] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def folder(self, plan: Run) -> Path:
        return {"checkout": self.checkout, "project": self.project}[plan.where]


def _copy_checkout(dest: Path) -> None:
    """Every file git would track (tracked or new, not ignored), links kept as links."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not (source.exists() or source.is_symlink()):
            continue  # tracked, deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


def _fresh_env(home: Path) -> dict[str, str]:
    """This environment as a fresh machine would have it: see the module's docstring."""
    dev_bins = {str(REPO / ".venv" / "bin"), str(Path(os.environ.get("VIRTUAL_ENV", "/-")) / "bin")}
    dropped = ("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "OCS_", "MAKE", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in dev_bins]
    env["PATH"] = os.pathsep.join([str(home / DOC_VENV / "bin"), *path])
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["HOME"] = str(home)
    env["ANSIBLE_NOCOLOR"] = "1"  # output read by people, here and in failures
    return env


def _write_table(session: Session) -> str:
    rows = ["| where | command | how | result |", "|---|---|---|---|"]
    for command in FOUND.commands:
        plan = plan_of(command)
        how = plan.describe() if plan else "NOT LISTED"
        outcome = session.outcomes.get(command.where)
        if isinstance(plan, Run):
            result = (
                f"{outcome.status} ({outcome.seconds:.1f} s)"
                if outcome and outcome.status == "ran"
                else (outcome.status if outcome else "not reached")
            )
        else:
            result = "not run here"
        rows.append(f"| {command.where} | `{command.text}` | {how} | {result} |")
    ran = sum(1 for o in session.outcomes.values() if o.status == "ran")
    total = sum(o.seconds for o in session.outcomes.values())
    text = "\n".join(
        [
            "# The documentation's commands (dev/tests/docs/test_commands.py)",
            "",
            f"{len(FOUND.commands)} commands in {FOUND.blocks} shell blocks; {ran} run "
            f"({total:.0f} s), the rest the same as one run before, run by .ci/run, "
            "or skipped as their document says.",
            "",
            *rows,
            "",
        ]
    )
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text, encoding="utf-8")
    return text


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory, start_lab: Callable[..., Lab]
) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("docs")
    checkout, project, home = root / "ocs.firewall", root / "project", root / "home"
    for folder in (project, home):
        folder.mkdir()
    _copy_checkout(checkout)
    (checkout / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "ntlm")
    for folder in (checkout, project):
        shutil.copy(lab.inventory, folder / "inventory.yml")
    session = Session(home, checkout, project, _fresh_env(home))
    try:
        yield session
    finally:
        stop_lab(checkout / ".lab")  # the lab README's lab, should a command fail before its stop
        print("\n" + _write_table(session))


def _before(step: str, session: Session) -> None:
    if step == "baseline":
        # "Keep a run's port-matrix.json and give it as the baseline of the next one": the
        # one the earlier port_matrix command wrote, into its default folder.
        earlier = session.project / "ocs-firewall-reports" / "port-matrix.json"
        assert earlier.is_file(), "no earlier run of port_matrix wrote ocs-firewall-reports/"
        (session.project / "old").mkdir(exist_ok=True)
        shutil.copy(earlier, session.project / "old" / "port-matrix.json")
    elif step:
        raise AssertionError(f"unknown set-up step {step!r}")


def _after(command: Command, session: Session) -> None:
    """What a command must have done beyond exiting 0."""
    if command.text == "make demo":
        # With the development venv as it is: a rebuilt one would mean the demo did not
        # run on what the tests run.
        assert (session.checkout / ".venv").is_symlink(), "make demo rebuilt .venv"
    if command.text.startswith("ansible-galaxy collection install"):
        manifest = (
            session.home / ".ansible/collections/ansible_collections/ocs/firewall/MANIFEST.json"
        )
        assert manifest.is_file(), "the collection was not installed under ~/.ansible"
        assert json.loads(manifest.read_text())["collection_info"]["name"] == "firewall"


@pytest.mark.parametrize("command", RUNS, ids=lambda c: c.where)
def test_the_command_runs_as_written(command: Command, session: Session) -> None:
    plan = plan_of(command)
    assert isinstance(plan, Run)
    block = (command.doc, command.block.line)
    prelude = tuple(session.doc_state.get(command.doc, []) + session.block_state.get(block, []))
    key = (plan.where, prelude, command.text)
    if key in session.done:
        session.outcomes[command.where] = Outcome(f"same as {session.done[key]}")
        _keep_state(command, session)
        return
    _before(plan.before, session)
    env = dict(session.env)
    if plan.wheels_only:
        env["PIP_ONLY_BINARY"] = ":all:"
    script = "\n".join(["set -eu", *prelude, command.text])
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=session.folder(plan),
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    finally:
        seconds = time.monotonic() - started
        session.outcomes[command.where] = Outcome("FAILED", seconds)
    output = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, f"`{command.text}` exited {proc.returncode}:\n{output}"
    _after(command, session)
    session.outcomes[command.where] = Outcome("ran", seconds)
    session.done[key] = command.where
    _keep_state(command, session)


def _keep_state(command: Command, session: Session) -> None:
    """A state command's effect on the commands after it (see the module's docstring)."""
    if command.is_state:
        block = (command.doc, command.block.line)
        scope = (
            session.block_state.setdefault(block, [])
            if command.text.startswith("cd ")
            else session.doc_state.setdefault(command.doc, [])
        )
        scope.append(command.text)


def test_each_folder_runs_the_copy_it_should(session: Session) -> None:
    """What the runs above used: at the checkout's root, the checkout itself (its
    ansible.cfg, dev/collections); in the user's folder, the copy the README installed."""
    used = {}
    for name, folder in (("checkout", session.checkout), ("project", session.project)):
        doc = subprocess.run(
            ["ansible-doc", "--json", "-t", "lookup", "ocs.firewall.ports"],
            cwd=folder,
            env=session.env,
            capture_output=True,
            text=True,
            check=True,
        )
        filename = json.loads(doc.stdout)["ocs.firewall.ports"]["doc"]["filename"]
        used[name] = Path(filename).resolve()
    assert used["checkout"].is_relative_to(session.checkout.resolve()), used
    installed = session.home / ".ansible" / "collections" / "ansible_collections"
    assert used["project"].is_relative_to(installed.resolve()), used
