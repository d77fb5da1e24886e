"""The catalogue's zones and balanced components (plugins/plugin_utils/_catalogue/).

The port matrix takes where each server and each kind of peer stands, and what each load
balancer balances, from the catalogue: a broken value is reported there, naming the row
and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue as cat
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError


def _document() -> dict[str, Any]:
    with open(cat.CATALOGUE_PATH, encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def _component(key: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["components"][key].__setitem__(field, value)


def _drop_component_field(key: str, field: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["components"][key].pop(field)


def _peer(key: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["peers"][key].__setitem__(field, value)


def _drop_peer_zone(doc: dict[str, Any]) -> None:
    doc["peers"]["internet"].pop("zone")


@pytest.mark.parametrize(
    ("mutate", "start", "words"),
    [
        pytest.param(
            _component("edge", "zone", "dmz"),
            "components.edge.zone:",
            "'dmz' is not one of internal, perimeter",
            id="component-zone-unknown",
        ),
        pytest.param(
            _component("office_communicator", "zone", "internal"),
            "components.office_communicator.zone:",
            "only a server component has one",
            id="client-zone",
        ),
        pytest.param(
            _drop_component_field("edge_load_balancer", "balances"),
            "components.edge_load_balancer.balances:",
            "must name the server component it balances",
            id="balances-missing",
        ),
        pytest.param(
            _component("director_load_balancer", "balances", "office_communicator"),
            "components.director_load_balancer.balances:",
            "'office_communicator' is not a server component",
            id="balances-a-client",
        ),
        pytest.param(
            _component("director_load_balancer", "balances", "pool"),
            "components.director_load_balancer.balances:",
            "'pool' is not a server component",
            id="balances-unknown",
        ),
        pytest.param(
            _component("director", "balances", "front_end"),
            "components.director.balances:",
            "only a load balancer component has one",
            id="server-balances",
        ),
        pytest.param(
            _peer("internet", "zone", "perimeter"),
            "peers.internet.zone:",
            "'perimeter' is not one of internal, internet",
            id="peer-zone-unknown",
        ),
        pytest.param(
            _drop_peer_zone,
            "peers.internet:",
            "must be a mapping with title, scope, required and zone",
            id="peer-zone-missing",
        ),
    ],
)
def test_zone_and_balances_errors_name_the_row_and_field(
    mutate: Callable[[dict[str, Any]], None], start: str, words: str
) -> None:
    document = _document()
    mutate(document)
    with pytest.raises(CatalogueError) as caught:
        cat.validate_catalogue(document)
    line = next((p for p in caught.value.problems if p.startswith(start)), None)
    assert line is not None, str(caught.value)
    assert words in line, line


def test_a_server_component_is_internal_unless_the_catalogue_says_perimeter() -> None:
    document = _document()
    components = cat.validate_catalogue(document).components
    for key, row in document["components"].items():
        if row["host_kind"] == "server":
            assert components[key].zone == row.get("zone", "internal")
    assert components["edge"].zone == "perimeter"
    assert components["front_end"].zone == "internal"


def test_each_load_balancer_balances_a_server_component() -> None:
    components = cat.components()
    balancers = {k: c.balances for k, c in components.items() if c.host_kind == "load_balancer"}
    assert balancers == {
        "front_end_load_balancer": "front_end",
        "director_load_balancer": "director",
        "edge_load_balancer": "edge",
    }
    assert all(components[b].host_kind == "server" for b in balancers.values())


def test_each_peer_kind_has_a_zone_and_open_kinds_are_on_the_internet() -> None:
    kinds = cat.peer_kinds()
    assert {k.zone for k in kinds.values()} <= set(cat.PEER_ZONES)
    # A kind open to any address is the Internet's; an internal kind has its networks.
    assert {k.key for k in kinds.values() if k.open} == {
        k.key for k in kinds.values() if k.zone == "internet"
    }
