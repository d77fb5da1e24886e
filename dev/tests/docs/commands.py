"""The shell commands of the user documentation, and how each one is checked.

:func:`extract` reads every shell block of the documents of :func:`documents` (Markdown
fences ``sh``, ``shell``, ``bash``, ``console``; reStructuredText ``code-block`` of the same
languages) and returns its commands as a shell reads them: a ``console`` block's ``$ ``
prompt and output dropped, ``\\`` continuations joined, comments kept apart.

:data:`PLANS` says, for every command of every document, how it is checked; the listing
test (test_listed.py) fails on a command it does not name and on one it names that the
documents no longer show, so none is added or dropped silently. A command is

* :class:`Run`: run as written, by test_commands.py (``make docs-commands``), in a copy of
  this checkout or in a user's folder holding ``inventory.yml`` (lab hosts);
* :class:`ByCI`: run as written by ``.ci/run`` (itself, or as a step of ``make test``):
  the very command, which this test, run by ``.ci/run``, must not run again inside itself;
* :class:`Skip`: it cannot run here; ``reason`` is what the document says beside it (in
  the command's comment, or in the paragraph that leads into its block), and the listing
  test checks the document still says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SHELL_LANGUAGES = ("sh", "shell", "bash", "console")
# State a later command of the same document relies on, as in a reader's shell session:
# `export` and a venv's activation last for the document, `cd` for its block.
STATE = re.compile(r"^(export\s|\.\s|source\s|cd\s)")


def documents() -> list[Path]:
    """The user documentation, in the order a reader (and the run) goes through it: the
    README, the docs site's guides (getting started first), the lab's README, the roles'."""
    rst = REPO / "docs" / "docsite" / "rst"
    first = rst / "getting_started.rst"
    return [
        REPO / "README.md",
        first,
        *sorted(p for p in rst.glob("*.rst") if p != first),
        REPO / "dev" / "lab" / "README.md",
        *sorted((REPO / "roles").glob("*/README.md")),
    ]


@dataclass(frozen=True)
class Block:
    doc: str  # relative to the checkout
    line: int  # 1-based line of its fence or directive
    language: str
    lead_in: str  # the paragraph just before it, whitespace collapsed


@dataclass(frozen=True)
class Command:
    block: Block
    line: int  # 1-based line where the command starts
    text: str  # as the shell reads it: one line, no comment
    comment: str  # its comments: trailing, on the lines it continues to, or just above it

    @property
    def doc(self) -> str:
        return self.block.doc

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def is_state(self) -> bool:
        return bool(STATE.match(self.text))


@dataclass(frozen=True)
class Extracted:
    commands: list[Command] = field(default_factory=list)
    # Blocks the test cannot classify: a fence or directive without a language, an rst
    # literal block (``::``). Each is a place where a command could hide.
    problems: list[str] = field(default_factory=list)
    blocks: int = 0


def split_comment(line: str) -> tuple[str, str]:
    """``line`` without its shell comment, and the comment (``#`` outside quotes, at the
    start or after a blank)."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                continue
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _commands(block: Block, lines: list[tuple[int, str]]) -> list[Command]:
    """The commands of a block's lines (``(line number, text)``, dedented)."""
    commands: list[Command] = []
    above: list[str] = []  # comment lines at the block's margin: they speak of the next command
    current: tuple[int, list[str], list[str]] | None = None  # line, parts, comments
    continued = False

    def finish() -> None:
        nonlocal current
        if current is not None:
            line, parts, comments = current
            text = _collapse(" ".join(parts))
            commands.append(Command(block, line, text, _collapse(" ".join(comments))))
        current = None

    for number, raw in lines:
        if block.language == "console" and not continued:
            if not raw.startswith("$"):
                finish()  # output, or a blank line
                continue
            raw = raw[1:].lstrip()
        stripped = raw.strip()
        if not stripped:
            finish()
            above = []
            continued = False
            continue
        body, comment = split_comment(raw)
        if not body.strip():
            # A comment line: indented, it goes on with the comment of the command above;
            # at the margin, it is about the command below.
            if current is not None and raw[: len(raw) - len(raw.lstrip())]:
                current[2].append(comment)
            else:
                finish()
                above.append(comment)
            continue
        continues = body.endswith("\\")
        part = body[:-1] if continues else body
        if continued and current is not None:
            current[1].append(part)
            if comment:
                current[2].append(comment)
        else:
            finish()
            current = (number, [part], [*above, comment] if comment else list(above))
            above = []
        continued = continues
    finish()
    return commands


_FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)\s*$")


def _lead_in(lines: list[str], start: int) -> str:
    """The paragraph that ends just before line index ``start``."""
    end = start
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    begin = end
    while begin > 0 and lines[begin - 1].strip():
        begin -= 1
    return _collapse(" ".join(lines[begin:end]))


def _markdown(doc: str, lines: list[str], out: Extracted) -> Extracted:
    commands: list[Command] = []
    problems: list[str] = []
    blocks = 0
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, language = fence.group(1), fence.group(2)
        end = i + 1
        while end < len(lines) and not re.match(rf"^{indent}```\s*$", lines[end]):
            end += 1
        if not language:
            problems.append(f"{doc}:{i + 1}: a code block without a language")
        elif language in SHELL_LANGUAGES:
            blocks += 1
            block = Block(doc, i + 1, language, _lead_in(lines, i))
            body = [(n + 1, lines[n][len(indent) :]) for n in range(i + 1, end)]
            commands += _commands(block, body)
        i = end + 1
    return Extracted(out.commands + commands, out.problems + problems, out.blocks + blocks)


def _rst(doc: str, lines: list[str], out: Extracted) -> Extracted:
    commands: list[Command] = []
    problems: list[str] = []
    blocks = 0
    for i, line in enumerate(lines):
        directive = _DIRECTIVE.match(line)
        if not directive:
            # A literal block (a paragraph ending in ``::``) has no language.
            if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
                problems.append(f"{doc}:{i + 1}: a literal block (::), not a code-block")
            continue
        indent, language = len(directive.group(1)), directive.group(2)
        if not language:
            problems.append(f"{doc}:{i + 1}: a code-block without a language")
            continue
        body: list[tuple[int, str]] = []
        j = i + 1
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            body.append((j + 1, lines[j]))
            j += 1
        # Options (":caption: ...") come first, then the content.
        content = [(n, t) for n, t in body if not t.strip().startswith(":")]
        margin = min((len(t) - len(t.lstrip()) for _, t in content if t.strip()), default=0)
        if language in SHELL_LANGUAGES:
            blocks += 1
            block = Block(doc, i + 1, language, _lead_in(lines, i))
            commands += _commands(block, [(n, t[margin:]) for n, t in content])
    return Extracted(out.commands + commands, out.problems + problems, out.blocks + blocks)


def extract(paths: list[Path] | None = None, root: Path = REPO) -> Extracted:
    """Every command of every shell block of ``paths`` (default: :func:`documents`),
    each document named relative to ``root``."""
    found = Extracted()
    for path in paths if paths is not None else documents():
        doc = str(path.relative_to(root))
        lines = path.read_text(encoding="utf-8").splitlines()
        found = _rst(doc, lines, found) if path.suffix == ".rst" else _markdown(doc, lines, found)
    return found


# --- how each command is checked ---------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Run as written. ``where``: ``checkout`` (the root of a copy of this checkout, its
    ``.venv`` the development one, with ``inventory.yml`` for the lab hosts) or
    ``project`` (a folder of the user's with ``inventory.yml``, the collection installed
    as the README installs it). ``wheels_only``: pip must find a wheel for everything it
    installs (it compiles nothing). ``before``: a set-up step of test_commands.py, for
    what the document says comes from an earlier run."""

    where: str
    wheels_only: bool = False
    before: str = ""

    def describe(self) -> str:
        return f"run in {self.where}" + (", wheels only" if self.wheels_only else "")


@dataclass(frozen=True)
class ByCI:
    """Run as written by .ci/run: the line itself, or ``make <step>`` of make test."""

    def describe(self) -> str:
        return "run by .ci/run"


@dataclass(frozen=True)
class Skip:
    """Not run here; ``reason``: the words the document says beside the command."""

    reason: str

    def describe(self) -> str:
        return f"skipped: {self.reason}"


Plan = Run | ByCI | Skip

CHECKOUT = Run("checkout")
PROJECT = Run("project")
WHEELS = Run("checkout", wheels_only=True)

# Every command of every document, in its order there. Commands the same text in two
# documents are listed in each: each document is checked as a reader follows it.
_INSTALL: dict[str, Plan] = {
    "python3 -m venv ~/ocs-ansible": CHECKOUT,
    ". ~/ocs-ansible/bin/activate": CHECKOUT,
    "pip install 'ansible-core>=2.16,<2.20' 'pywinrm[credssp]>=0.5.0'": WHEELS,
    "pip install aerleon==1.18.0": WHEELS,
    "ansible-galaxy collection build --force": CHECKOUT,
    "ansible-galaxy collection install --force -p ~/.ansible/collections ocs-firewall-*.tar.gz": (
        CHECKOUT
    ),
}
KERBEROS_REASON = "needs the compiler and Kerberos headers bindep.txt lists"

PLANS: dict[str, dict[str, Plan]] = {
    "README.md": {
        "make demo": CHECKOUT,
        "make test": ByCI(),
        "make reliability": ByCI(),
        "make docs": ByCI(),
        **_INSTALL,
        "pip install -r requirements.txt": Skip(KERBEROS_REASON),
        "ansible-playbook -i inventory.yml playbooks/site.yml --check --diff": CHECKOUT,
        "ansible-playbook -i inventory.yml playbooks/site.yml": CHECKOUT,
        "ansible-playbook -i inventory.yml ocs.firewall.site --check --diff": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.site": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.site --limit ocs_edge": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.report": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.audit": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.port_matrix": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.flow_check": PROJECT,
    },
    "docs/docsite/rst/getting_started.rst": {
        **_INSTALL,
        "pip install -r requirements.txt": Skip(KERBEROS_REASON),
        "ansible-playbook -i inventory.yml ocs.firewall.site --check --diff": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.site": PROJECT,
    },
    "docs/docsite/rst/execution_environment.rst": {
        "make ee": ByCI(),
        "ansible-builder build -f execution-environment.yml -c .build/ee/context"
        " -t ocs-firewall-ee:latest": Skip("Where podman or docker exists"),
    },
    "docs/docsite/rst/scaling.rst": {
        "ansible-playbook -i inventory.yml ocs.firewall.address_book"
        " -e ocs_firewall_address_book_file=book.json": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.site"
        " -e ocs_firewall_address_book_file=book.json": PROJECT,
        "ansible-playbook examples/awx_workflow.yml -e ocs_awx_slices=4": Skip(
            "naming your controller"
        ),
    },
    "docs/docsite/rst/platform_support.rst": {
        "OCS_FIREWALL_WINDOWS_INVENTORY=/abs/path/inventory.yml make molecule-windows": Skip(
            "With a Windows Server 2008 R2 (or 2008 with WMF 2.0) test host you may change"
        ),
    },
    "docs/docsite/rst/reports.rst": {
        "ansible-playbook -i inventory.yml ocs.firewall.site --check --diff": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.report"
        " -e ocs_firewall_report_dir=reports": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.audit -e ocs_firewall_audit_fail=true": (
            PROJECT
        ),
        "ansible-playbook -i inventory.yml ocs.firewall.readiness"
        " -e ocs_firewall_report_dir=reports": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.port_matrix": PROJECT,
        "ansible-playbook -i inventory.yml ocs.firewall.port_matrix"
        " -e ocs_firewall_report_dir=reports"
        " -e ocs_firewall_matrix_baseline=old/port-matrix.json": Run("project", before="baseline"),
        "ansible-playbook -i inventory.yml ocs.firewall.dropped"
        " -e ocs_firewall_report_dir=reports": PROJECT,
        "cd reports/port-matrix-aerleon": PROJECT,
        "aclgen --base_directory policies --definitions_directory def --output_directory out": (
            PROJECT
        ),
        "ansible-playbook -i inventory.yml ocs.firewall.flow_check"
        " -e ocs_firewall_report_dir=reports": PROJECT,
    },
    "docs/docsite/rst/turning_on.rst": {
        "ansible-playbook -i inventory.yml playbooks/readiness.yml": CHECKOUT,
    },
    "dev/lab/README.md": {
        "export PYTHONPATH=dev/lab": CHECKOUT,
        ".venv/bin/python -m ocs_lab start --inventory examples/inventory.yml --state-dir .lab"
        " --output .lab/inventory.yml": CHECKOUT,
        ".venv/bin/python -m ocs_lab dump --state-dir .lab fe01.ocs.example": CHECKOUT,
        ".venv/bin/python -m ocs_lab trace --state-dir .lab": CHECKOUT,
        ".venv/bin/python -m ocs_lab stop --state-dir .lab": CHECKOUT,
        ".venv/bin/python -m ocs_lab flow --state-dir .lab fe01.ocs.example --protocol tcp"
        " --port 5061 --from 10.0.0.7": CHECKOUT,
    },
}


def plan_of(command: Command) -> Plan | None:
    return PLANS.get(command.doc, {}).get(command.text)


def says(command: Command, reason: str) -> bool:
    """Whether the document says ``reason`` beside ``command``: in its comments, or in the
    paragraph that leads into its block."""
    wanted = _collapse(reason)
    return wanted in command.comment or wanted in command.block.lead_in
