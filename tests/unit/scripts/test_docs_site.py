"""scripts/docs_site.py: the offline intersphinx inventory and the check of the built site.

The build itself (antsibull-docs and Sphinx) runs in ``make docs``; these tests pin what
the script adds to it without the docs tools.
"""

from __future__ import annotations

import importlib.util
import runpy
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest
from checkout import REPO


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ocs_docs_site", REPO / "scripts" / "docs_site.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


docs_site = _load()


def test_offline_replaces_the_network_inventories_with_a_local_one(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(
        "intersphinx_mapping = {'python3': ('https://docs.python.org/3/', None)}\n"
    )
    docs_site.offline(tmp_path)

    mapping = runpy.run_path(str(tmp_path / "conf.py"))["intersphinx_mapping"]
    inventory = tmp_path / "ansible_devel.inv"
    assert mapping == {"ansible_devel": (docs_site.ANSIBLE_DOCS, str(inventory.resolve()))}
    header, marker, compressed = inventory.read_bytes().partition(b"zlib.\n")
    assert marker and header.startswith(b"# Sphinx inventory version 2\n")
    entries = zlib.decompress(compressed).decode().splitlines()
    assert "action_plugins std:label -1 plugins/action.html#action-plugins Action plugins" in (
        entries
    )
    assert len(entries) == len(docs_site.ANSIBLE_LABELS)


def test_offline_needs_the_sphinx_project(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="conf.py is missing"):
        docs_site.offline(tmp_path)


def test_every_guide_plugin_and_role_of_the_checkout_is_expected() -> None:
    pages = {str(p) for p in docs_site.expected_pages()}
    base = "collections/ocs/firewall/"
    for page in (
        "docsite/getting_started.html",
        "docsite/inventory.html",
        "docsite/platform_support.html",
        "docsite/reports.html",
        "win_ocs_firewall_module.html",
        "ports_lookup.html",
        "csv_table_filter.html",  # documented in plugins/filter/csv_table.yml
        "change_summary_filter.html",  # documented in its .py file
        "server_role.html",
        "edge_role.html",
    ):
        assert base + page in pages
    # The code of filters documented elsewhere and the action plugins get no page.
    assert base + "tables_filter.html" not in pages
    assert not any(p.endswith("_action.html") for p in pages)


def _site(tmp_path: Path) -> Path:
    for page in docs_site.expected_pages():
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("<html></html>")
    return tmp_path


def test_check_passes_a_complete_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_site.check(_site(tmp_path))
    assert "every expected page is there" in capsys.readouterr().out


def test_check_fails_naming_the_missing_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    (site / "collections/ocs/firewall/edge_role.html").unlink()
    with pytest.raises(SystemExit) as exit_:
        docs_site.check(site)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"missing page {site / 'collections/ocs/firewall/edge_role.html'}" in err
    assert err.count("missing page") == 1


def test_the_platform_guide_names_the_readme_s_windows_versions() -> None:
    assert docs_site.platform_drift() == []
