"""The files scripts/render.py derives from the catalogue's components table are up to date.

What ``python scripts/render.py --check`` checks, done in-process: every generated file on
disk is what ``rendered()`` gives. And the derivation really follows the table: a
component added to it gives its role, its variables and its place in the playbooks.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkout import REPO
from harness import load_script

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue import _queries

render = load_script("ocs_render", REPO / "scripts" / "render.py")
RENDERED = dict(render.rendered())


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_generated_file_is_up_to_date(name: str) -> None:
    path = REPO / name
    assert path.exists(), f"{name} is missing: run python scripts/render.py"
    assert path.read_text(encoding="utf-8") == RENDERED[name], (
        f"{name} is stale: run python scripts/render.py"
    )


def test_check_mode_reports_nothing_stale(capsys: pytest.CaptureFixture[str]) -> None:
    assert render.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_every_server_component_has_its_generated_role() -> None:
    for key in _catalogue.server_components():
        for part in ("tasks/main.yml", "meta/main.yml", "meta/argument_specs.yml", "README.md"):
            assert f"roles/{key}/{part}" in RENDERED
    assert {n.split("/")[1] for n in RENDERED if n.startswith("roles/")} == set(
        _catalogue.server_components()
    ) | {"server"}
    # Of the hand-written server role, only its README, its meta/main.yml and the author of
    # its argument spec are generated: its tasks are not.
    assert {n for n in RENDERED if n.startswith("roles/server/")} == {
        "roles/server/README.md",
        "roles/server/meta/main.yml",
        "roles/server/meta/argument_specs.yml",
    }


def test_every_role_has_a_generated_readme() -> None:
    roles = {p.name for p in (REPO / "roles").iterdir() if p.is_dir()}
    assert len(roles) == len(_catalogue.server_components()) + 1
    for role in roles:
        text = RENDERED[f"roles/{role}/README.md"]
        assert text.startswith(render.README_NOTE + "\n\n# ocs.firewall." + role + "\n"), role
        assert "## Entry point `main`" in text, role


def test_generated_yaml_is_marked_and_valid() -> None:
    for name, text in RENDERED.items():
        if name == "roles/server/meta/argument_specs.yml":
            continue  # hand-written but for its author
        if name.startswith("roles/") and name.endswith(".yml"):
            header = render.GENERATED_META if name.startswith("roles/server/") else render.GENERATED
            assert text.startswith("---\n" + header + "\n"), name
            yaml.safe_load(text)


def test_component_readme_documents_every_variable_of_the_spec() -> None:
    spec = yaml.safe_load(RENDERED["roles/edge/meta/argument_specs.yml"])
    readme = RENDERED["roles/edge/README.md"]
    for name in spec["argument_specs"]["main"]["options"]:
        assert f"\n- `{name}` (" in readme, name
    assert "- `ocs_edge_state` (`str`; default `present`; of `present`, `absent`): " in readme
    # Ansible markup is rendered as Markdown.
    assert "C(" not in readme and "P(" not in readme and "M(" not in readme


def test_server_readme_documents_its_entry_points_and_registered_variables() -> None:
    readme = RENDERED["roles/server/README.md"]
    spec = yaml.safe_load((REPO / "roles/server/meta/argument_specs.yml").read_text("utf-8"))
    # converge is documented in the README, not in the argument spec (that would add an
    # argument validation task per host to what site.yml imports).
    assert set(spec["argument_specs"]) == {"main"}
    assert "## Entry point `main`" in readme
    assert "## Entry point `converge` (`tasks_from: converge`)" in readme
    for variable in ("ocs_firewall_preflight", "ocs_firewall_result"):
        assert f"- `{variable}`: " in readme
    for key in _catalogue.server_components():
        assert f"\n    - ocs_{key}\n" in readme


@pytest.mark.parametrize(
    ("markup", "markdown"),
    [
        ("C(ocs_edge_state) is V(present)", "`ocs_edge_state` is `present`"),
        (
            "M(ocs.firewall.preflight) and P(ocs.firewall.ports#lookup)",
            "`ocs.firewall.preflight` and `ocs.firewall.ports`",
        ),
        ("I(one)  line\nbreaks", "*one* line breaks"),
        ("L(the table, https://example.invalid/t)", "[the table](https://example.invalid/t)"),
    ],
)
def test_markup_becomes_markdown(markup: str, markdown: str) -> None:
    assert render.markdown(markup) == markdown


# ---- the hand-written server spec ----------------------------------------------------------


def _server_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    text = render.SERVER_SPEC.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "argument_specs.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(render, "SERVER_SPEC", path)


def test_check_mode_reports_a_stale_server_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _server_spec(tmp_path, monkeypatch, "Gives each host of the play", "Gives every host")
    assert render.main(["--check"]) == 1
    assert "stale: roles/server/README.md" in capsys.readouterr().out.splitlines()
    assert "Gives every host" in dict(render.rendered())["roles/server/README.md"]


def test_every_role_author_follows_galaxy_yml(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(render, "author", lambda: "Someone Else <someone@example.invalid>")
    assert render.main(["--check"]) == 1
    stale = capsys.readouterr().out.splitlines()
    for name in (
        "roles/server/meta/argument_specs.yml",
        "roles/server/meta/main.yml",
        "roles/server/README.md",
        "roles/edge/meta/argument_specs.yml",
        "roles/edge/meta/main.yml",
        "roles/edge/README.md",
    ):
        assert f"stale: {name}" in stale
    spec = yaml.safe_load(dict(render.rendered())["roles/server/meta/argument_specs.yml"])
    assert spec["argument_specs"]["main"]["author"] == ["Someone Else <someone@example.invalid>"]


# ---- one author everywhere -----------------------------------------------------------------


def _plugin_docs() -> dict[str, Any]:
    """DOCUMENTATION of every plugin file (a .py's string, or a .yml's own), by path."""
    docs: dict[str, Any] = {}
    for path in sorted((REPO / "plugins").rglob("*")):
        if path.suffix == ".py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and [getattr(t, "id", None) for t in node.targets] == ["DOCUMENTATION"]
                    and isinstance(node.value, ast.Constant)
                ):
                    docs[str(path.relative_to(REPO))] = yaml.safe_load(node.value.value)
        elif path.suffix == ".yml" and path.parent.name == "filter":
            docs[str(path.relative_to(REPO))] = yaml.safe_load(path.read_text("utf-8"))[
                "DOCUMENTATION"
            ]
    return docs


def test_every_role_and_plugin_names_galaxy_yml_author() -> None:
    author = render.author()
    assert author == "ocs.firewall <maintainers@users.noreply.r-seed-e01801d1.example>"
    assert len(author) <= 64  # galaxy-importer's limit for each of galaxy.yml's authors
    for name, text in RENDERED.items():
        if name.endswith("meta/main.yml"):
            assert yaml.safe_load(text)["galaxy_info"]["author"] == author, name
        elif name.endswith("meta/argument_specs.yml"):
            for entry in yaml.safe_load(text)["argument_specs"].values():
                assert entry["author"] == [author], name
    docs = _plugin_docs()
    assert len(docs) >= 15
    for name, doc in docs.items():
        if "author" not in doc:
            continue  # doc fragments
        # validate-modules takes an author line only with a GitHub (@handle) or !UNKNOWN:
        # the team has no GitHub account.
        assert doc["author"] in (f"{author} (!UNKNOWN)", [f"{author} (!UNKNOWN)"]), name


# ---- a component added to the table ---------------------------------------------------------

NEW = "xmpp_gateway"
NEW_COMPONENT = {
    "title": "XMPP Gateway",
    "host_kind": "server",
    "label": "XMPP Gateway",
    "group": "OCS 2007 R2 - XMPP Gateway",
    "server": "XMPP Gateway server",
    "interfaces": {"internal": "inside_addresses", "external": "outside_addresses"},
}
NEW_ENTRY = {
    "id": "extra-xmpp-gateway-5269",
    "component": NEW,
    "component_title": "XMPP Gateway",
    "host_kind": "server",
    "ports": ["5269"],
    "seed_ports": None,
    "transports": ["tcp"],
    "protocol": "TCP",
    "direction": "inbound",
    "interface": "external",
    "description": "XMPP federation",
    "seed_row": None,
    "inferred": ["service", "peers"],
    "corrections": [],
    "source": "dd425238",
    "service": ["access_edge"],
    "peers": ["federated_partners"],
    "flow_sources": [],
    "opt_in": None,
}


@functools.cache
def _extended_text() -> str:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = Path(_catalogue.CATALOGUE_PATH).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.load(text, Loader=loader)
    document["components"][NEW] = NEW_COMPONENT
    document["entries"].append(NEW_ENTRY)
    return yaml.dump(document, Dumper=dumper, sort_keys=False)


@pytest.fixture
def extended_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shipped catalogue plus one server component; returns what renders from it."""
    path = tmp_path / "catalogue.yml"
    path.write_text(_extended_text(), encoding="utf-8")
    monkeypatch.setattr(_queries, "CATALOGUE_PATH", str(path))
    return dict(render.rendered())


def test_a_component_added_to_the_table_gets_a_role(extended_catalogue: dict[str, str]) -> None:
    (task,) = yaml.safe_load(extended_catalogue[f"roles/{NEW}/tasks/main.yml"])
    assert task["ocs.firewall.win_ocs_firewall"] == {
        "components": [NEW],
        "remove_unassigned": False,
    }
    assert task["tags"] == [f"ocs_{NEW}"]
    spec = yaml.safe_load(extended_catalogue[f"roles/{NEW}/meta/argument_specs.yml"])
    options = spec["argument_specs"]["main"]["options"]
    assert f"ocs_{NEW}_inside_addresses" in options and f"ocs_{NEW}_outside_addresses" in options
    assert options[f"ocs_{NEW}_group"]["default"] == "OCS 2007 R2 - XMPP Gateway"
    assert "OCS 2007 R2 - XMPP Gateway" in extended_catalogue[f"roles/{NEW}/README.md"]
    # Its ports, from its one entry: listed by its argument spec and so by its README.
    ports = spec["argument_specs"]["main"]["description"][1]
    assert ports.startswith(
        "Ports: with the default settings the role opens, inbound, C(5269/TCP) (external side). "
    )
    assert "`5269/TCP` (external side)" in extended_catalogue[f"roles/{NEW}/README.md"]


@pytest.fixture
def fresh_queries() -> Iterator[None]:
    """A component's entries are cached by its key alone: start and end with none cached."""
    _queries.server_entries.cache_clear()
    yield
    _queries.server_entries.cache_clear()


@pytest.mark.usefixtures("fresh_queries")
def test_a_port_changed_in_the_catalogue_changes_its_role_s_documentation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = Path(_catalogue.CATALOGUE_PATH).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.load(text, Loader=loader)
    (entry,) = [e for e in document["entries"] if e["id"] == "seed-54"]  # Edge 8057/TCP
    entry["ports"] = ["8058"]
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(_queries, "CATALOGUE_PATH", str(path))
    changed = dict(render.rendered())
    for name in ("roles/edge/meta/argument_specs.yml", "roles/edge/README.md"):
        assert "8057/TCP" in RENDERED[name] and "8057/TCP" not in changed[name], name
        assert "8058/TCP" in changed[name], name
    assert changed["roles/front_end/README.md"] == RENDERED["roles/front_end/README.md"]


def test_a_component_added_to_the_table_joins_the_playbooks(
    extended_catalogue: dict[str, str],
) -> None:
    plays = {
        name: yaml.safe_load(extended_catalogue[name])
        for name in (
            "playbooks/site.yml",
            "playbooks/report.yml",
            "playbooks/audit.yml",
            "playbooks/readiness.yml",
            "playbooks/flow_check.yml",
            "playbooks/dropped.yml",
            "playbooks/address_book.yml",
        )
    }
    # Every play of each covers the same hosts: the audit's, the readiness check's and the
    # report's second plays and site.yml's closing table (the run summary) too.
    assert len(plays["playbooks/audit.yml"]) == len(plays["playbooks/readiness.yml"]) == 2
    assert len(plays["playbooks/dropped.yml"]) == len(plays["playbooks/flow_check.yml"]) == 2
    for playbook, found in plays.items():
        for play in found:
            if play["hosts"] == "_ocs_firewall_pending":
                continue  # site.yml's apply: the hosts the first play found with changes
            hosts = [h for h in play["hosts"] if h != "ocs_servers"]
            assert hosts[-1] == f"ocs_{NEW}", playbook
            assert hosts[:-1] == [f"ocs_{k}" for k in _catalogue_keys_without_new()]
    assert f"`ocs_{NEW}`" in extended_catalogue["README.md"]


def _catalogue_keys_without_new() -> list[str]:
    return [k for k in _catalogue.server_components() if k != NEW]


def test_a_component_added_to_the_table_leaves_the_other_roles_alone(
    extended_catalogue: dict[str, str],
) -> None:
    changed = {n for n, text in extended_catalogue.items() if RENDERED.get(n) != text}
    new_role = {n for n in extended_catalogue if n.startswith(f"roles/{NEW}/")}
    assert new_role and new_role <= changed
    assert changed - new_role <= {
        "playbooks/site.yml",
        "playbooks/report.yml",
        "playbooks/audit.yml",
        "playbooks/readiness.yml",
        "playbooks/flow_check.yml",
        "playbooks/dropped.yml",
        "playbooks/address_book.yml",
        "molecule/default/verify.yml",
        "README.md",
        "roles/server/README.md",  # its example play's hosts
        "roles/server/meta/argument_specs.yml",  # the component roles it names
    }
    assert {"playbooks/site.yml", "playbooks/audit.yml", "README.md"} <= changed


def test_check_mode_reports_a_stale_checkout(
    extended_catalogue: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert render.main(["--check"]) == 1
    stale = capsys.readouterr().out.splitlines()
    assert f"stale: roles/{NEW}/tasks/main.yml" in stale
    assert "stale: playbooks/site.yml" in stale
    # --check writes nothing.
    assert not (REPO / "roles" / NEW).exists()
