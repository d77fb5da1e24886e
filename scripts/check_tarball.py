"""Check that a built collection tarball holds only what runs once installed.

Usage: ``python scripts/check_tarball.py dist/ocs-firewall-X.tar.gz`` (scripts/smoke.sh
runs it on the tarball it builds). Exit 1, naming each file, when the tarball ships

- a development or test file: anything under ``tests/``, ``dev/``, ``molecule/``,
  ``scripts/``, ``docs/dev/``, a dot-file, a ``conftest.py``, a ``test_*.py``, a
  ``__pycache__`` or ``.pyc``;
- a Python file that imports anything but the standard library, ansible-core (and the
  packages it installs with itself), this collection, or the runtime requirements of the
  connection the collection uses (pywinrm and what its message encryption needs).

Imports are read with :mod:`ast`, so a name in a comment or a string does not count, and
imports under ``if TYPE_CHECKING:`` count like any other (they must resolve for mypy).
"""

from __future__ import annotations

import ast
import sys
import tarfile
from collections.abc import Iterator
from pathlib import PurePosixPath

COLLECTION = "ansible_collections.ocs.firewall"
# ansible-core itself, and what it installs with it and lets plugins use.
ANSIBLE = frozenset({"ansible", "jinja2", "yaml"})
# pywinrm (import name winrm) and the packages its NTLM, CredSSP and Kerberos message
# encryption use: what the controller needs to reach the hosts.
RUNTIME = frozenset({"winrm", "requests", "requests_ntlm", "requests_credssp", "krb5", "spnego"})
DEV_DIRS = frozenset({"tests", "dev", "molecule", "scripts"})


def dev_only(name: str) -> str | None:
    """Why the tarball member ``name`` is development-only, or None."""
    parts = PurePosixPath(name).parts
    if not parts:
        return None
    if parts[0] in DEV_DIRS:
        return f"under {parts[0]}/"
    if parts[:2] == ("docs", "dev"):
        return "under docs/dev/"
    if any(p.startswith(".") for p in parts):
        return "a dot-file"
    leaf = parts[-1]
    if leaf == "conftest.py" or (leaf.startswith("test_") and leaf.endswith(".py")):
        return "a test module"
    if "__pycache__" in parts or leaf.endswith(".pyc"):
        return "compiled Python"
    return None


def imported(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import; relative ones stay in the package."""
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if module == COLLECTION or module.startswith(COLLECTION + "."):
        return True
    if top == "ansible_collections":
        return False  # another collection: galaxy.yml declares no dependency
    return top in sys.stdlib_module_names or top in ANSIBLE or top in RUNTIME


def problems(tarball: str) -> list[str]:
    found = []
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            why = dev_only(member.name)
            if why:
                found.append(f"{member.name}: development-only ({why})")
                continue
            if not (member.isfile() and member.name.endswith(".py")):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            source = handle.read().decode("utf-8")
            for line, module in imported(source, member.name):
                if not allowed(module):
                    found.append(
                        f"{member.name}:{line}: imports {module}, which an installed "
                        "collection does not have"
                    )
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: check_tarball.py TARBALL", file=sys.stderr)
        return 2
    found = problems(args[0])
    for problem in found:
        print(f"check_tarball: {problem}")
    if found:
        print(f"check_tarball: FAILED: {len(found)} problem(s) in {args[0]}")
        return 1
    with tarfile.open(args[0], "r:gz") as archive:
        python = [m.name for m in archive.getmembers() if m.name.endswith(".py")]
    print(
        f"check_tarball: {args[0]}: no development file; the {len(python)} Python files "
        "import only the standard library, ansible, the collection and its runtime requirements"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
