"""scripts/check_tarball.py fails on a tarball that ships what cannot run once installed."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from checkout import REPO
from harness import load_script

check = load_script("ocs_check_tarball", REPO / "scripts" / "check_tarball.py")

GOOD_PLUGIN = """\
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ansible.plugins.action import ActionBase
from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from . import _helpers

if TYPE_CHECKING:
    import winrm

# import ocs_lab  (a comment does not count)
TEXT = "import harness"
"""


def _tarball(tmp_path: Path, files: dict[str, str]) -> str:
    path = tmp_path / "ocs-firewall-0.2.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def test_a_clean_tarball_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tarball = _tarball(
        tmp_path,
        {
            "plugins/action/good.py": GOOD_PLUGIN,
            "roles/server/tasks/main.yml": "---\n",
            "README.md": "# ocs.firewall\n",
        },
    )
    assert check.main([tarball]) == 0
    assert "the 1 Python files import only" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name",
    [
        "tests/unit/plugins/test_x.py",
        "tests/sanity/ignore-2.19.txt",
        "dev/lab/ocs_lab/__init__.py",
        "molecule/default/converge.yml",
        "scripts/render.py",
        "docs/dev/contracts.md",
        ".ansible-lint",
        "plugins/action/conftest.py",
        "plugins/action/test_good.py",
        "plugins/action/__pycache__/good.cpython-311.pyc",
    ],
)
def test_a_development_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    tarball = _tarball(tmp_path, {"plugins/action/good.py": GOOD_PLUGIN, name: "x = 1\n"})
    assert check.main([tarball]) == 1
    out = capsys.readouterr().out
    assert f"check_tarball: {name}: development-only" in out
    assert "FAILED: 1 problem(s)" in out


@pytest.mark.parametrize(
    ("statement", "module"),
    [
        ("import ocs_lab", "ocs_lab"),
        ("from harness import lab", "harness"),
        ("import labhost", "labhost"),
        ("import pytest", "pytest"),
        ("from ansible_collections.ansible.windows.plugins import x", "ansible_collections"),
        ("if True:\n    import tree_sitter", "tree_sitter"),
    ],
)
def test_a_python_file_importing_what_does_not_ship_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str, module: str
) -> None:
    tarball = _tarball(tmp_path, {"plugins/modules/bad.py": f"import os\n{statement}\n"})
    assert check.main([tarball]) == 1
    out = capsys.readouterr().out
    assert "check_tarball: plugins/modules/bad.py:" in out
    assert f"imports {module}" in out
