"""The two steps of ``make docs`` that antsibull-docs does not do itself.

Usage::

    python scripts/docs_site.py offline SRC   # after antsibull-docs sphinx-init --dest-dir SRC
    python scripts/docs_site.py check SITE    # after sphinx-build wrote the HTML into SITE

``offline`` makes the Sphinx project that ``sphinx-init`` wrote build without the network
and say only what is true, read from disk or online:

* Sphinx resolves the Ansible docs' labels from a local inventory: ``sphinx-init`` points
  ``intersphinx_mapping`` at inventories on the Internet, which fail (and fail the build,
  with ``-W``) on a machine without access. It writes a Sphinx inventory of the labels
  the generated pages use into ``SRC/ansible_devel.inv`` and appends to ``SRC/conf.py`` an
  ``intersphinx_mapping`` that reads only that file. The links keep their real
  docs.ansible.com addresses. When antsibull-docs starts linking to another label,
  Sphinx's warning names it: add it to ``ANSIBLE_LABELS``.
* The landing page (``SRC/rst/index.rst``) says what the collection is (galaxy.yml's
  description and version), how to install it while it is not on Galaxy, and links every
  guide of ``docs/docsite/extra-docs.yml`` (so the sidebar of every page does too).
* ``conf.py`` names the site after the collection, and the theme's logo links the landing
  page by a relative address (the theme's ``/`` is the file system's root from disk).
* ``antsibull-docs.cfg``: each plugin's and role's note links the collection's own page
  and says how to install the tarball, not a Galaxy page and ``ansible-galaxy collection
  install ocs.firewall``, which fail while the collection is unpublished.

``check`` fails unless the site has a page for every guide of
``docs/docsite/extra-docs.yml``, every documented plugin under ``plugins/`` and every role
with a ``meta/argument_specs.yml``, each found from the checkout, not from what
antsibull-docs generated. It also fails when a page links Galaxy, tells to install the
collection from it, has a link to ``/``, or says "Welcome to my Ansible collection"; when
the landing page stops linking every guide; and when the platform guide stops naming
exactly the Windows versions of the README's platform table, the one source of truth it
sums up. It prints the pages it found.
"""

from __future__ import annotations

import html.parser
import re
import sys
import zlib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DOCSITE = REPO / "docs" / "docsite"
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# label -> (page under ANSIBLE_DOCS, title): what antsibull-docs' plugin pages refer to.
ANSIBLE_LABELS = {
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "common_return_values": (
        "reference_appendices/common_return_values.html#common-return-values",
        "Return Values",
    ),
    "ansible_configuration_settings": (
        "reference_appendices/config.html#ansible-configuration-settings",
        "Ansible Configuration Settings",
    ),
}
# plugins/<folder> -> the plugin type in antsibull-docs' page names (<name>_<type>.html).
# action/ holds the code of the modules, documented by plugins/modules/.
PLUGIN_TYPES = {"modules": "module", "lookup": "lookup", "filter": "filter", "test": "test"}
PAGES = Path("collections") / "ocs" / "firewall"


def write_inventory(path: Path) -> None:
    """Write a Sphinx version 2 inventory of ANSIBLE_LABELS."""
    lines = "".join(
        f"{label} std:label -1 {uri} {title}\n" for label, (uri, title) in ANSIBLE_LABELS.items()
    )
    header = (
        "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))


def galaxy() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8")))


def guides() -> list[str]:
    """The guides of docs/docsite/extra-docs.yml, in its order."""
    extra = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text(encoding="utf-8"))
    return [name for section in extra["sections"] for name in section["toctree"]]


def tarball() -> str:
    """The file ``ansible-galaxy collection build`` writes."""
    meta = galaxy()
    return f"{meta['namespace']}-{meta['name']}-{meta['version']}.tar.gz"


def install_command() -> str:
    """How the README installs the built tarball. ``-p`` names the user's collections
    folder: at a checkout's root, ansible.cfg puts the checkout's own copy first on the
    collections path, where a plain install finds the collection and does nothing."""
    return f"ansible-galaxy collection install --force -p ~/.ansible/collections {tarball()}"


def landing_page() -> str:
    """The site's index.rst: what the collection is, how to install it, its guides."""
    meta = galaxy()
    fqcn = f"{meta['namespace']}.{meta['name']}"
    title = f"{fqcn} {meta['version']}"
    entries = "".join(f"   {PAGES.as_posix()}/docsite/{guide}\n" for guide in guides())
    return f"""\
.. scripts/docs_site.py: from galaxy.yml and docs/docsite/extra-docs.yml.

.. _docsite_root_index:

{title}
{"=" * len(title)}

{" ".join(str(meta["description"]).split())}

{fqcn} is not published on Ansible Galaxy: build it in a checkout with
``ansible-galaxy collection build`` and install the tarball with
``{install_command()}``, as
:ref:`Getting started <ansible_collections.{fqcn}.docsite.getting_started>` shows.
The :ref:`collection's page <plugins_in_{fqcn}>` lists its roles, modules and other
plugins.

.. toctree::
   :maxdepth: 1
   :caption: Guides

{entries}
.. toctree::
   :maxdepth: 1
   :caption: Reference

   {PAGES.as_posix()}/index
   collections/environment_variables

.. toctree::
   :maxdepth: 1
   :caption: Indexes
   :glob:

   collections/index_*

.. toctree::
   :hidden:

   collections/index
"""


# The theme's extrabody.html, but for the logo's link: the theme option is one address for
# every page, so the landing page's relative address is given per page.
EXTRABODY = """\
{#- scripts/docs_site.py: the logo links the landing page relatively, from disk too. -#}
{%- set theme_documentation_home_url = pathto(root_doc) -%}
{%- include "!extrabody.html" %}
"""


def _config_block(key: str, value: str) -> str:
    """An antsibull-docs.cfg mapping that gives every collection ``value``."""
    if '"' in value:
        sys.exit(f"docs_site: {key}: a quote in {value!r}")
    escaped = value.replace("{", "{{").replace("}", "}}")
    return f'{key} = {{\n  * = "{escaped}"\n}}'


def antsibull_config(text: str) -> str:
    """antsibull-docs.cfg with the link and the install line of each plugin's note."""
    values = {
        # The collection's page, beside every plugin's and role's page.
        "collection_url": "index.html",
        "collection_install": f"ansible-galaxy collection build && {install_command()}",
    }
    for key, value in values.items():
        found = re.search(rf"(?ms)^{key} = \{{\n.*?^\}}", text)
        if not found:
            sys.exit(f"docs_site: antsibull-docs.cfg has no {key} block")
        text = text[: found.start()] + _config_block(key, value) + text[found.end() :]
    return text


def offline(src: Path) -> None:
    conf = src / "conf.py"
    if not conf.is_file():
        sys.exit(f"docs_site: {conf} is missing: run antsibull-docs sphinx-init first")
    inventory = (src / "ansible_devel.inv").resolve()
    write_inventory(inventory)
    mapping = {"ansible_devel": (ANSIBLE_DOCS, str(inventory))}
    meta = galaxy()
    fqcn = f"{meta['namespace']}.{meta['name']}"
    templates = src / "_templates"
    templates.mkdir(exist_ok=True)
    (templates / "extrabody.html").write_text(EXTRABODY, encoding="utf-8")
    with conf.open("a") as f:
        f.write(
            "\n# scripts/docs_site.py offline: no inventory from the network, only the"
            " local one.\n"
            f"intersphinx_mapping = {mapping!r}\n"
            "# The site is the collection's; its logo links its landing page (_templates).\n"
            f"project = {fqcn!r}\n"
            f"title = html_short_title = {fqcn + ' documentation'!r}\n"
            f"html_title = {fqcn + ' ' + str(meta['version'])!r}\n"
            "templates_path = ['_templates']\n"
        )
    (src / "rst").mkdir(exist_ok=True)
    (src / "rst" / "index.rst").write_text(landing_page(), encoding="utf-8")
    config = src / "antsibull-docs.cfg"
    if not config.is_file():
        sys.exit(f"docs_site: {config} is missing: run antsibull-docs sphinx-init first")
    config.write_text(antsibull_config(config.read_text(encoding="utf-8")), encoding="utf-8")


def documented_plugins() -> list[str]:
    """<name>_<type>.html of every plugin with documentation in the checkout."""
    pages = []
    for folder, kind in PLUGIN_TYPES.items():
        for path in sorted((REPO / "plugins" / folder).glob("*")):
            if path.suffix == ".yml" or (
                path.suffix == ".py"
                and re.search(r"^DOCUMENTATION\s*=", path.read_text(), re.MULTILINE)
            ):
                pages.append(f"{path.stem}_{kind}.html")
    return sorted(set(pages))


def expected_pages() -> list[Path]:
    roles = sorted(p.parts[-3] for p in REPO.glob("roles/*/meta/argument_specs.yml"))
    return (
        [Path("index.html"), PAGES / "index.html"]
        + [PAGES / "docsite" / f"{guide}.html" for guide in guides()]
        + [PAGES / page for page in documented_plugins()]
        + [PAGES / f"{role}_role.html" for role in roles]
    )


def platform_drift() -> list[str]:
    """The Windows versions of README's platform table the platform guide does not name,
    and the ones it names that the table does not list."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Platform support", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| (Windows Server [0-9R ]+?)(?: \(| SP)", section, re.M))
    guide = (DOCSITE / "rst" / "platform_support.rst").read_text()
    named = set(re.findall(r"\*\*(Windows Server [0-9R ]+?)(?: SP\d)?\*\*", guide))
    problems = [f"README lists {v}, the platform guide does not" for v in listed - named]
    problems += [f"the platform guide names {v}, README does not" for v in named - listed]
    if not listed:
        problems.append("no Windows version found in README's platform table")
    return sorted(problems)


class _Page(html.parser.HTMLParser):
    """A page's text, as a reader sees it, and the addresses it links."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_page(text: str) -> tuple[str, list[str]]:
    """(the text of an HTML page, whitespace collapsed; the href of each of its links)."""
    page = _Page()
    page.feed(text)
    return " ".join("".join(page.text).split()), page.links


# What a page of the site must not say or link while the collection is unpublished (and
# what antsibull-docs and the theme write unless told otherwise).
UNTRUE = {
    "a link to Galaxy": lambda text, links: any("galaxy.ansible.com" in h for h in links),
    "an install from Galaxy": lambda text, links: bool(
        re.search(r"ansible-galaxy collection install ocs\.firewall(?![\w-]|\.\w)", text)
    ),
    'a link to "/"': lambda text, links: "/" in links,
    "the template's welcome": lambda text, links: "Welcome to my Ansible collection" in text,
}


def untrue(site: Path) -> list[str]:
    """What each page of the site says or links that is not true, by page."""
    problems = []
    for path in sorted(site.rglob("*.html")):
        text, links = read_page(path.read_text(encoding="utf-8"))
        problems += [
            f"{path.relative_to(site)}: {what}"
            for what, found in UNTRUE.items()
            if found(text, links)
        ]
    return problems


def landing_problems(site: Path) -> list[str]:
    """The guides the landing page does not link (one click from it)."""
    index = site / "index.html"
    if not index.is_file():
        return []  # a missing page already
    _text, links = read_page(index.read_text(encoding="utf-8"))
    return [
        f"index.html does not link the guide {guide}"
        for guide in guides()
        if f"{PAGES.as_posix()}/docsite/{guide}.html" not in links
    ]


def check(site: Path) -> None:
    expected = expected_pages()
    missing = [page for page in expected if not (site / page).is_file()]
    problems = [f"missing page {site / page}" for page in missing] + platform_drift()
    problems += untrue(site) + landing_problems(site)
    found = sorted(p.relative_to(site) for p in (site / PAGES).rglob("*.html"))
    print(f"docs: {len(found)} pages under {site / PAGES}:")
    for page in found:
        print(f"  {page.relative_to(PAGES)}")
    for problem in problems:
        print(f"docs: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"docs: every expected page is there ({len(expected)} checked)")


def main(argv: list[str]) -> None:
    commands = {"offline": offline, "check": check}
    if len(argv) != 2 or argv[0] not in commands:
        sys.exit("usage: docs_site.py offline SRC | check SITE")
    commands[argv[0]](Path(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
