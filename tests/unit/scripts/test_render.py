"""The files scripts/render.py derives from the catalogue's components table are up to date.

What ``python scripts/render.py --check`` checks, done in-process: every generated file on
disk is what ``rendered()`` gives. And the derivation really follows the table: a
component added to it gives its role, its variables and its place in the playbooks.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from checkout import REPO

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue


def _load_render() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ocs_render", REPO / "scripts" / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


render = _load_render()
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
    )
    # The hand-written server role is not generated.
    assert not any(n.startswith("roles/server/") for n in RENDERED)


def test_generated_yaml_is_marked_and_valid() -> None:
    for name, text in RENDERED.items():
        if name.startswith("roles/") and name.endswith(".yml"):
            assert text.startswith("---\n" + render.GENERATED + "\n"), name
            yaml.safe_load(text)


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
    monkeypatch.setattr(_catalogue, "CATALOGUE_PATH", str(path))
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


def test_a_component_added_to_the_table_joins_the_playbooks(
    extended_catalogue: dict[str, str],
) -> None:
    plays = {
        name: yaml.safe_load(extended_catalogue[name])
        for name in ("playbooks/site.yml", "playbooks/report.yml", "playbooks/audit.yml")
    }
    # Every play of each covers the same hosts: the audit's and the report's second plays and
    # site.yml's closing table (the run summary) too.
    assert len(plays["playbooks/audit.yml"]) == 2
    for playbook, found in plays.items():
        for play in found:
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
        "molecule/default/verify.yml",
        "README.md",
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
