"""Every command the user documentation shows is listed in commands.PLANS, with how it is
checked; nothing is run here (test_commands.py runs them, `make docs-commands`).

A command added to a document without a plan, or a plan whose command the documents no
longer show, fails; so does a skipped command whose document no longer says why beside
it, a command said to run in CI that .ci/run does not run, and a code block the
extraction cannot read (no language, an rst literal block).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from .commands import (
    PLANS,
    REPO,
    ByCI,
    Command,
    Run,
    Skip,
    documents,
    extract,
    plan_of,
    says,
)

FOUND = extract()


def _ci_commands() -> set[str]:
    """What .ci/run runs: its command lines, and the steps of `make test` among them."""
    lines = {
        line.strip()
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    stages = re.search(r"^TEST_STAGES\s*:=\s*((?:.*\\\n)*.*)$", makefile, re.M)
    assert stages, "the Makefile has no TEST_STAGES"
    if "make test" in lines:
        steps = re.split(r"[\s,\\]+", stages.group(1))
        lines |= {f"make {s}" for s in steps if s}
    return lines


def test_the_documents_are_found_and_read() -> None:
    docs = documents()
    assert all(d.is_file() for d in docs), [str(d) for d in docs if not d.is_file()]
    assert len([d for d in docs if d.match("roles/*/README.md")]) >= 13
    assert FOUND.blocks > 0 and FOUND.commands
    assert FOUND.problems == [], "\n".join(FOUND.problems)


def test_every_command_shown_is_listed_and_every_listed_one_is_shown() -> None:
    shown = {(c.doc, c.text) for c in FOUND.commands}
    listed = {(doc, text) for doc, plans in PLANS.items() for text in plans}
    unlisted = sorted(f"{c.where}: {c.text}" for c in FOUND.commands if plan_of(c) is None)
    assert unlisted == [], (
        "commands shown in the documentation without a plan in dev/tests/docs/commands.py "
        "(run it, or say beside it why it cannot run here and list it as Skip):\n"
        + "\n".join(unlisted)
    )
    gone = sorted(f"{doc}: {text}" for doc, text in listed - shown)
    assert gone == [], "listed commands the documentation no longer shows:\n" + "\n".join(gone)


@pytest.mark.parametrize(
    "command",
    [c for c in FOUND.commands if isinstance(plan_of(c), Skip)],
    ids=lambda c: c.where,
)
def test_a_skipped_command_says_beside_it_why(command: Command) -> None:
    plan = plan_of(command)
    assert isinstance(plan, Skip)
    assert says(command, plan.reason), (
        f"{command.where}: the document no longer says beside `{command.text}` why it is "
        f"not run here ({plan.reason!r})"
    )


def test_what_is_said_to_run_in_ci_is_what_ci_runs() -> None:
    ci = _ci_commands()
    said = sorted({c.text for c in FOUND.commands if isinstance(plan_of(c), ByCI)})
    assert said, "no command is said to run in CI"
    assert [c for c in said if c not in ci] == [], f".ci/run runs {sorted(ci)}"
    # And this test's own target, which runs the others.
    assert "make docs-commands" in ci


def test_every_command_run_is_one_a_shell_can_read() -> None:
    for command in FOUND.commands:
        if isinstance(plan_of(command), Run):
            shlex.split(command.text)  # unbalanced quotes, a stray continuation


def test_the_extraction_reads_the_shapes_the_documents_use(tmp_path: Path) -> None:
    md = tmp_path / "a.md"
    md.write_text(
        "Lead in.\n\n```sh\n# about b\nb --x 'a # b' \\\n    --y   # trailing\n"
        "                  # more of it\nc\n```\n\n   ```text\n$ not a command\n   ```\n",
        encoding="utf-8",
    )
    rst = tmp_path / "b.rst"
    rst.write_text(
        "Where a thing exists:\n\n.. code-block:: console\n\n   $ d \\\n       -e 1\n"
        "   output line\n   $ e   # why\n\nText::\n\n   f\n\n```\nx\n```\n",
        encoding="utf-8",
    )
    found = extract([md, rst], root=tmp_path)
    assert [(c.where, c.text, c.comment) for c in found.commands] == [
        ("a.md:5", "b --x 'a # b' --y", "about b trailing more of it"),
        ("a.md:8", "c", ""),
        ("b.rst:5", "d -e 1", ""),
        ("b.rst:8", "e", "why"),
    ]
    assert found.commands[2].block.lead_in == "Where a thing exists:"
    assert says(found.commands[2], "a thing  exists")
    assert not says(found.commands[0], "a thing exists")
    assert found.blocks == 2
    assert found.problems == ["b.rst:10: a literal block (::), not a code-block"]
    assert extract([md], root=tmp_path).problems == []
    bare = tmp_path / "c.md"
    bare.write_text("```\nmake it\n```\n", encoding="utf-8")
    assert extract([bare], root=tmp_path).problems == ["c.md:1: a code block without a language"]
