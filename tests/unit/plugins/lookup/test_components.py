"""The ocs.firewall.components lookup, loaded the way ansible loads it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from expected import EDGE_SETTINGS

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue


@pytest.fixture(scope="module")
def components() -> Any:
    plugin = lookup_loader.get("ocs.firewall.components")
    assert plugin is not None, "ansible cannot find the ocs.firewall.components lookup"
    return plugin


def test_every_component_in_catalogue_order(components: Any) -> None:
    rows = components.run([], variables={})
    assert [r["key"] for r in rows] == list(_catalogue.components())
    kinds = {r["key"]: r["host_kind"] for r in rows}
    assert kinds["edge"] == "server" and kinds["edge_load_balancer"] == "load_balancer"


def test_a_server_component_row(components: Any) -> None:
    (edge,) = components.run(["edge"], variables={})
    assert edge == {
        "key": "edge",
        "title": "Edge Server",
        "host_kind": "server",
        "inventory_group": "ocs_edge",
        "role": "ocs.firewall.edge",
        "label": "Edge",
        "group": "OCS 2007 R2 - Edge",
        "interfaces": {"internal": "internal_addresses", "external": "external_addresses"},
        "services": {
            "access_edge": "access_addresses",
            "webconf_edge": "webconf_addresses",
            "av_edge": "av_addresses",
        },
        "opt_ins": {"r1_federation": edge["opt_ins"]["r1_federation"]},
        "variables": {setting: f"ocs_edge_{setting}" for setting in EDGE_SETTINGS},
    }
    assert "OCS 2007 (R1)" in edge["opt_ins"]["r1_federation"]


def test_other_components_carry_their_title_and_kind_only(components: Any) -> None:
    (client,) = components.run(["office_communicator"], variables={})
    assert client == {
        "key": "office_communicator",
        "title": "Office Communicator",
        "host_kind": "client",
    }


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (["cwa", "edge"], ["cwa", "edge"]),
        ([["mediation", "cwa"]], ["mediation", "cwa"]),
    ],
)
def test_terms_select_components(components: Any, terms: list[Any], expected: list[str]) -> None:
    assert [r["key"] for r in components.run(terms, variables={})] == expected


@pytest.mark.parametrize("kind", ["server", "load_balancer", "client"])
def test_host_kind(components: Any, kind: str) -> None:
    rows = components.run([], variables={}, host_kind=kind)
    assert rows and {r["host_kind"] for r in rows} == {kind}
    if kind == "server":
        assert [r["key"] for r in rows] == list(_catalogue.server_components())


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        (["frontend"], "ocs.firewall.components: unknown component 'frontend'; valid components: "),
        ([["edge", 3]], "unknown component 3"),
    ],
)
def test_unknown_components_are_refused(components: Any, terms: list[Any], words: str) -> None:
    with pytest.raises(AnsibleLookupError, match=re.escape(words)):
        components.run(terms, variables={})


def test_a_host_kind_outside_the_choices_is_refused(components: Any) -> None:
    with pytest.raises(AnsibleError, match="host_kind"):
        components.run([], variables={}, host_kind="router")


def test_documented_choices_match_the_catalogue() -> None:
    from ansible_collections.ocs.firewall.plugins.lookup import components as module

    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    assert options["host_kind"]["choices"] == list(_catalogue.HOST_KINDS)
