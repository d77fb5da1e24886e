"""The modules', plugins' and roles' documentation as the docs site builds it (``make docs``,
run by .ci/run)."""

from __future__ import annotations

import ast
import re
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


ROOT = Path(__file__).resolve().parents[3]
DOCUMENTED = sorted(
    [p for p in (ROOT / "plugins").glob("*/*.py") if p.parent.name != "plugin_utils"]
    + list((ROOT / "roles").glob("*/meta/argument_specs.yml"))
)
# A module or plugin reference in Ansible's markup: M(ns.coll.name) or P(ns.coll.name#type).
_REFERENCE = re.compile(r"\b[MP]\(([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_.]+[#)]")


@pytest.mark.parametrize("path", DOCUMENTED, ids=[str(p.relative_to(ROOT)) for p in DOCUMENTED])
def test_markup_links_only_to_this_collection(path: Path) -> None:
    """M() and P() are links, and the site has no page for another collection's plugin:
    antsibull-docs' lint passes M(ansible.builtin.copy), the site's build then stops on
    an undefined label. Another collection's module is named with C() instead."""
    text = path.read_text(encoding="utf-8")
    others = sorted({m.group(0) for m in _REFERENCE.finditer(text) if m.group(1) != "ocs.firewall"})
    assert others == []
