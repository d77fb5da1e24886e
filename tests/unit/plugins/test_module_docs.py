"""The modules' documentation as the docs site builds it (``make docs``, run by .ci/run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[3] / "plugins" / "modules").glob("*.py"))


def _documentation(path: Path) -> dict[str, object]:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            found: dict[str, object] = yaml.safe_load(ast.literal_eval(node.value))
            return found
    raise AssertionError(f"{path.name} has no DOCUMENTATION")


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_see_also_names_only_this_collections_modules(path: Path) -> None:
    """The site holds this collection's pages only: a See Also entry for another
    collection's module (ansible.builtin.copy) is a link to nowhere, which fails the
    site's build."""
    entries = _documentation(path).get("seealso") or []
    assert isinstance(entries, list)
    others = [e["module"] for e in entries if "module" in e and not e["module"].startswith("ocs.")]
    assert others == []
