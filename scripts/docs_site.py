"""The two steps of ``make docs`` that antsibull-docs does not do itself.

Usage::

    python scripts/docs_site.py offline SRC   # after antsibull-docs sphinx-init --dest-dir SRC
    python scripts/docs_site.py check SITE    # after sphinx-build wrote the HTML into SITE

``offline`` lets Sphinx resolve the Ansible docs' labels without the network:
``sphinx-init`` points ``intersphinx_mapping`` at inventories on the Internet, which
fail (and fail the build, with ``-W``) on a machine without access. It writes a Sphinx
inventory of the labels the generated pages use into ``SRC/ansible_devel.inv`` and
appends to ``SRC/conf.py`` an ``intersphinx_mapping`` that reads only that file. The
links keep their real docs.ansible.com addresses. When antsibull-docs starts linking to
another label, Sphinx's warning names it: add it to ``ANSIBLE_LABELS``.

``check`` fails unless the site has a page for every guide of
``docs/docsite/extra-docs.yml``, every documented plugin under ``plugins/`` and every role
with a ``meta/argument_specs.yml``, each found from the checkout, not from what
antsibull-docs generated. It also fails when the platform guide stops naming exactly the
Windows versions of the README's platform table, the one source of truth it sums up.
It prints the pages it found.
"""

from __future__ import annotations

import re
import sys
import zlib
from pathlib import Path

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


def offline(src: Path) -> None:
    conf = src / "conf.py"
    if not conf.is_file():
        sys.exit(f"docs_site: {conf} is missing: run antsibull-docs sphinx-init first")
    inventory = (src / "ansible_devel.inv").resolve()
    write_inventory(inventory)
    mapping = {"ansible_devel": (ANSIBLE_DOCS, str(inventory))}
    with conf.open("a") as f:
        f.write(
            "\n# scripts/docs_site.py offline: no inventory from the network, only the"
            " local one.\n"
            f"intersphinx_mapping = {mapping!r}\n"
        )


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
    extra = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text())
    guides = [name for section in extra["sections"] for name in section["toctree"]]
    roles = sorted(p.parts[-3] for p in REPO.glob("roles/*/meta/argument_specs.yml"))
    return (
        [Path("index.html"), PAGES / "index.html"]
        + [PAGES / "docsite" / f"{guide}.html" for guide in guides]
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


def check(site: Path) -> None:
    expected = expected_pages()
    missing = [page for page in expected if not (site / page).is_file()]
    problems = [f"missing page {site / page}" for page in missing] + platform_drift()
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
