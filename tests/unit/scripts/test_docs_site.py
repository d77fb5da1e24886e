"""scripts/docs_site.py: what it adds to the Sphinx project (the offline intersphinx
inventory, the landing page, the site's name and logo link, the plugins' notes) and the
check of the built site.

The build itself (antsibull-docs and Sphinx) runs in ``make docs``, whose last step is the
check; these tests pin what the script adds to it and what the check finds, without the
docs tools.
"""

from __future__ import annotations

import runpy
import zlib
from pathlib import Path

import pytest
import yaml
from checkout import REPO
from harness import load_script

docs_site = load_script("ocs_docs_site", REPO / "scripts" / "docs_site.py")


def test_offline_replaces_the_network_inventories_with_a_local_one(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(
        "intersphinx_mapping = {'python3': ('https://docs.python.org/3/', None)}\n"
    )
    (tmp_path / "antsibull-docs.cfg").write_text(SPHINX_INIT_CONFIG)
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


# What antsibull-docs sphinx-init writes into antsibull-docs.cfg (2.28.0), comments aside.
SPHINX_INIT_CONFIG = """\
breadcrumbs = true
indexes = true
collection_url = {
  * = "https://galaxy.ansible.com/ui/repo/published/{namespace}/{name}/"
}

# The same wildcard rules and formatting rules as for collection_url apply.
collection_install = {
  * = "ansible-galaxy collection install {namespace}.{name}"
}
"""


def _sphinx_init(tmp_path: Path) -> Path:
    (tmp_path / "conf.py").write_text("html_theme = 'sphinx_ansible_theme'\n")
    (tmp_path / "antsibull-docs.cfg").write_text(SPHINX_INIT_CONFIG)
    (tmp_path / "rst").mkdir()
    (tmp_path / "rst" / "index.rst").write_text(
        "Welcome to my Ansible collection documentation\n"
        "==============================================\n"
    )
    docs_site.offline(tmp_path)
    return tmp_path


def test_offline_writes_a_landing_page_that_says_what_the_collection_is(
    tmp_path: Path,
) -> None:
    index = (_sphinx_init(tmp_path) / "rst" / "index.rst").read_text()
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert "Welcome to my" not in index
    assert f"\nocs.firewall {galaxy['version']}\n====" in index
    assert " ".join(galaxy["description"].split()) in index
    assert "is not published on Ansible Galaxy" in index
    # As the README installs it: into the user's collections, not the checkout's own copy.
    assert (
        "ansible-galaxy collection install --force -p ~/.ansible/collections "
        f"ocs-firewall-{galaxy['version']}.tar.gz"
    ) in index
    assert "install ocs.firewall" not in index
    # Every guide one click away, in the order of extra-docs.yml.
    extra = yaml.safe_load((REPO / "docs/docsite/extra-docs.yml").read_text())
    guides = [g for section in extra["sections"] for g in section["toctree"]]
    assert len(guides) >= 9
    listed = [
        line.strip().rsplit("/", 1)[1]
        for line in index.splitlines()
        if line.startswith("   collections/ocs/firewall/docsite/")
    ]
    assert listed == guides


def test_offline_names_the_site_and_links_the_logo_relatively(tmp_path: Path) -> None:
    src = _sphinx_init(tmp_path)
    conf = runpy.run_path(str(src / "conf.py"))
    assert conf["project"] == "ocs.firewall"
    assert conf["html_short_title"] == "ocs.firewall documentation"
    assert conf["templates_path"] == ["_templates"]
    template = (src / "_templates" / "extrabody.html").read_text()
    # The theme's own template, with the landing page's address relative to each page.
    assert "{%- set theme_documentation_home_url = pathto(root_doc) -%}" in template
    assert '{%- include "!extrabody.html" %}' in template


def test_offline_points_the_plugins_notes_at_the_collection_not_galaxy(tmp_path: Path) -> None:
    config = (_sphinx_init(tmp_path) / "antsibull-docs.cfg").read_text()
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert 'collection_url = {\n  * = "index.html"\n}' in config
    assert (
        'collection_install = {\n  * = "ansible-galaxy collection build && '
        "ansible-galaxy collection install --force -p ~/.ansible/collections "
        f'ocs-firewall-{version}.tar.gz"\n}}'
    ) in config
    assert "galaxy.ansible.com" not in config
    assert "breadcrumbs = true" in config  # the rest as sphinx-init wrote it


def test_offline_fails_when_sphinx_init_s_config_changes_shape(tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text("")
    (tmp_path / "antsibull-docs.cfg").write_text("collection_url = {}\n")
    with pytest.raises(SystemExit, match="has no collection_url block"):
        docs_site.offline(tmp_path)


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
    links = "".join(
        f'<li><a href="collections/ocs/firewall/docsite/{guide}.html">{guide}</a></li>'
        for guide in docs_site.guides()
    )
    (tmp_path / "index.html").write_text(f'<html><a href="#">ocs.firewall</a>{links}</html>')
    return tmp_path


# What antsibull-docs and the theme write unless told otherwise, as they write it.
GALAXY_NOTE = (
    '<p>This role is part of the <a class="reference external" '
    'href="https://galaxy.ansible.com/ui/repo/published/ocs/firewall/">ocs.firewall '
    "collection</a> (version 0.2.0).</p>"
)
GALAXY_INSTALL = (
    '<p>To install it use: <code class="code docutils literal notranslate"><span class="pre">'
    'ansible-galaxy</span> <span class="pre">collection</span> <span class="pre">install</span>'
    ' <span class="pre">ocs.firewall</span></code>.</p>'
)
LOGO = '<a class="DocSite-nav" href="/" style="padding-bottom: 30px;">'
WELCOME = "<h1>Welcome to my Ansible collection documentation</h1>"


@pytest.mark.parametrize(
    ("html", "what"),
    [
        (GALAXY_NOTE, "a link to Galaxy"),
        (GALAXY_INSTALL, "an install from Galaxy"),
        (LOGO, 'a link to "/"'),
        (WELCOME, "the template's welcome"),
    ],
)
def test_check_fails_on_what_is_untrue_of_an_unpublished_collection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], html: str, what: str
) -> None:
    site = _site(tmp_path)
    page = site / "collections/ocs/firewall/edge_role.html"
    page.write_text(f"<html><body>{html}</body></html>")
    with pytest.raises(SystemExit):
        docs_site.check(site)
    assert capsys.readouterr().err.splitlines() == [
        f"docs: collections/ocs/firewall/edge_role.html: {what}"
    ]


def test_check_takes_the_tarball_install_and_relative_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    (site / "collections/ocs/firewall/edge_role.html").write_text(
        '<a class="DocSite-nav" href="../../../index.html">ocs.firewall</a>'
        '<a href="index.html">ocs.firewall collection</a> <code><span>ansible-galaxy</span> '
        "<span>collection</span> <span>install</span> "
        "<span>ocs-firewall-0.2.0.tar.gz</span></code>"
    )
    docs_site.check(site)
    assert capsys.readouterr().err == ""


def test_check_fails_when_the_landing_page_does_not_link_a_guide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path)
    index = site / "index.html"
    guide = "collections/ocs/firewall/docsite/reports.html"
    index.write_text(index.read_text().replace(f'href="{guide}"', 'href="reports.html"'))
    with pytest.raises(SystemExit):
        docs_site.check(site)
    assert capsys.readouterr().err.splitlines() == [
        "docs: index.html does not link the guide reports"
    ]


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
