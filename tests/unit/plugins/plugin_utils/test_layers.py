"""The layer rule of plugins/plugin_utils: a package imports only the packages below it.

The packages stand in the order the data flows (docs/dev/architecture.md): the words and
the registry of variables, what a rule is, the catalogue, what one host of the estate
should have, the host's firewall over WinRM, the reports, Windows Server 2003's reduced
mode, and the ansible-core glue on top. An import that points up the list (the rule model
reaching for the wire codec, a report reaching for the reduced mode) is a failure naming
the file, the line and both packages. The plugins themselves (plugins/action, filter,
lookup) stand above every package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from checkout import PLUGIN_UTILS

PACKAGE = "ansible_collections.ocs.firewall.plugins.plugin_utils"
# Bottom first. Names on one line are one layer: they import neither each other nor above.
LAYERS: list[tuple[str, ...]] = [
    ("_errors", "_variables"),
    ("_firewall",),
    ("_catalogue",),
    ("_estate",),
    ("_remote",),
    ("_reports",),
    ("_reduced_mode",),
    ("_ansible",),
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def package_of(path: Path) -> str:
    """The top package (or module) of plugin_utils that ``path`` belongs to."""
    relative = path.relative_to(PLUGIN_UTILS)
    return relative.parts[0].removesuffix(".py")


def imported_packages(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, package)`` of every import of a plugin_utils package, wherever it stands
    (a function's own import counts as much as the module's)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.module.startswith(PACKAGE + "."):
                found.append((node.lineno, node.module[len(PACKAGE) + 1 :].split(".")[0]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.append((node.lineno, alias.name[len(PACKAGE) + 1 :].split(".")[0]))
    return found


def violations(path: Path, source: str) -> list[str]:
    """What in ``source`` (a file of plugin_utils at ``path``) breaks the layer rule."""
    own = package_of(path)
    found = []
    for line, imported in imported_packages(ast.parse(source)):
        if imported == own:
            continue
        if imported not in LEVEL:
            found.append(f"{path.name}:{line}: {imported} is in no layer")
        elif LEVEL[imported] >= LEVEL[own]:
            found.append(
                f"{path.relative_to(PLUGIN_UTILS)}:{line}: {own} (layer {LEVEL[own]}) imports "
                f"{imported} (layer {LEVEL[imported]}), which is not below it"
            )
    return found


MODULES = sorted(PLUGIN_UTILS.rglob("*.py"))


def test_every_package_and_module_of_plugin_utils_has_a_layer() -> None:
    assert {package_of(p) for p in MODULES} == set(LEVEL)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PLUGIN_UTILS)) for p in MODULES])
def test_imports_point_down(path: Path) -> None:
    assert violations(path, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        pytest.param(
            "_firewall/_rules.py",
            f"from {PACKAGE}._remote import _wire\n",
            "_firewall/_rules.py:1: _firewall (layer 1) imports _remote (layer 4)",
            id="model-imports-the-wire",
        ),
        pytest.param(
            "_reports/_closing_table.py",
            f"def f():\n    from {PACKAGE} import _reduced_mode\n",
            "_reports/_closing_table.py:2: _reports (layer 5) imports _reduced_mode (layer 6)",
            id="a-function-import-counts",
        ),
        pytest.param(
            "_errors.py",
            f"import {PACKAGE}._variables as v\n",
            "_errors.py:1: _errors (layer 0) imports _variables (layer 0)",
            id="one-layer-does-not-import-itself",
        ),
    ],
)
def test_an_import_up_the_list_is_named(path: str, source: str, expected: str) -> None:
    (found,) = violations(PLUGIN_UTILS / path, source)
    assert found.startswith(expected)
