"""Loading, schema checks and queries of the port catalogue (plugins/plugin_utils/_catalogue/).

The shipped file's content is tested against the published table in
tests/unit/catalogue/test_catalogue_data.py.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue as cat
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import CatalogueError

CATALOGUE = cat.load_catalogue()


# ---- schema validation ----


def _document() -> dict[str, Any]:
    with open(cat.CATALOGUE_PATH, encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def _entry(document: dict[str, Any], entry_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in document["entries"] if e["id"] == entry_id)
    return entry


def _set(entry_id: str, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _entry(doc, entry_id).__setitem__(field, value)


def _drop(entry_id: str, field: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _entry(doc, entry_id).pop(field)


def _duplicate_id(doc: dict[str, Any]) -> None:
    clone = copy.deepcopy(_entry(doc, "extra-sql-backend-1433"))
    doc["entries"].append(clone)


def _drop_seed_row(doc: dict[str, Any]) -> None:
    doc["entries"] = [e for e in doc["entries"] if e["id"] != "seed-76"]


def _correction_without_source(doc: dict[str, Any]) -> None:
    _entry(doc, "seed-16")["corrections"][0]["source"] = ""


def _correction_value_mismatch(doc: dict[str, Any]) -> None:
    _entry(doc, "seed-13")["corrections"][0]["value"] = "MTLS"


def _problem_of(mutate: Callable[[dict[str, Any]], None], prefix: str) -> str:
    """The catalogue's problem line that starts with ``prefix`` once ``mutate`` broke it."""
    document = _document()
    mutate(document)
    with pytest.raises(CatalogueError) as caught:
        cat.validate_catalogue(document)
    line = next((p for p in caught.value.problems if p.startswith(prefix)), None)
    assert line is not None, str(caught.value)
    return line


@pytest.mark.parametrize(
    ("mutate", "entry_id", "field", "words"),
    [
        (_drop("seed-05", "ports"), "seed-05", "ports", "missing"),
        (
            _drop("extra-front-end-5069", "direction"),
            "extra-front-end-5069",
            "direction",
            "missing",
        ),
        (
            _set("seed-06", "ports", ["0"]),
            "seed-06",
            "ports",
            "out of range; valid ports are 1..65535",
        ),
        (
            _set("seed-06", "ports", ["70000"]),
            "seed-06",
            "ports",
            "out of range; valid ports are 1..65535",
        ),
        (_set("seed-06", "ports", ["5063-5062"]), "seed-06", "ports", "reversed"),
        (_set("seed-06", "ports", [5062]), "seed-06", "ports", "must be a string"),
        (_set("seed-06", "ports", []), "seed-06", "ports", "non-empty"),
        (_set("seed-06", "component", "frontend"), "seed-06", "component", "'frontend'"),
        (_set("seed-06", "direction", "sideways"), "seed-06", "direction", "'sideways'"),
        (_set("seed-06", "interface", "dmz"), "seed-06", "interface", "'dmz'"),
        (_set("seed-06", "transports", ["sctp"]), "seed-06", "transports", "'sctp'"),
        (_set("seed-06", "host_kind", "client"), "seed-06", "host_kind", "does not match"),
        (_set("seed-06", "component_title", "FE"), "seed-06", "component_title", "'FE'"),
        (_set("seed-06", "seed_row", 7), "seed-06", "seed_row", "does not match"),
        (_set("seed-06", "seed_row", 77), "seed-06", "seed_row", "1..76"),
        (_set("seed-06", "colour", "blue"), "seed-06", "colour", "unknown field"),
        (_set("seed-06", "inferred", ["ports"]), "seed-06", "inferred", "'ports'"),
        (_set("seed-28", "inferred", []), "seed-28", "inferred", "transports must be inferred"),
        (_set("extra-sql-backend-1434", "source", None), "extra-sql-backend-1434", "source", ""),
        (_set("extra-sql-backend-1434", "source", "kb0"), "extra-sql-backend-1434", "source", ""),
        (_duplicate_id, "extra-sql-backend-1433", "id", "duplicate"),
        (_correction_without_source, "seed-16", "corrections[0].source", "source"),
        (_correction_value_mismatch, "seed-13", "corrections[0].value", "differs"),
    ],
)
def test_schema_errors_name_entry_and_field(
    mutate: Callable[[dict[str, Any]], None], entry_id: str, field: str, words: str
) -> None:
    line = _problem_of(mutate, f"entry {entry_id!r}: {field}")
    assert words in line


def test_a_description_too_long_for_windows_with_its_marker_is_refused() -> None:
    marker = " [ocs.firewall catalogue extra-sql-backend-1434]"
    fits = _document()
    _entry(fits, "extra-sql-backend-1434")["description"] = "d" * (10_000 - len(marker))
    cat.validate_catalogue(fits)

    line = _problem_of(
        _set("extra-sql-backend-1434", "description", "d" * (10_001 - len(marker))),
        "entry 'extra-sql-backend-1434': description",
    )
    assert "is 9,953 characters long, 10,001 with the" in line
    assert "at most 10,000, so give at most 9,952" in line


def test_missing_seed_row_is_reported() -> None:
    document = _document()
    _drop_seed_row(document)
    with pytest.raises(CatalogueError, match=r"seed_row: seed row\(s\) 76 missing"):
        cat.validate_catalogue(document)


def test_shipped_catalogue_validates() -> None:
    checked = cat.validate_catalogue(_document())
    assert len(checked.entries) == len(CATALOGUE)
    assert checked.components == cat.components()
    assert checked.peers == cat.peer_kinds()
    assert checked.services == cat.services()


def test_broken_file_names_path_entry_and_field(tmp_path: Path) -> None:
    document = _document()
    _entry(document, "seed-40")["ports"] = ["65536"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        cat.load_catalogue(str(path))
    assert str(path) in str(caught.value)
    assert "entry 'seed-40': ports: port '65536' is out of range; valid ports are 1..65535" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("entries: [\n", "not valid YAML"),
        ("- just a list\n", "top level must be a mapping"),
        ("version: 1\nentries: []\n", "entries: must be a non-empty list"),
    ],
)
def test_unusable_files(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "catalogue.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape(words)):
        cat.load_catalogue(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read the file"):
        cat.load_catalogue(str(tmp_path / "absent.yml"))


# ---- ports and queries ----


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", (1, 1)), ("443", (443, 443)), ("5060-5061", (5060, 5061)), ("65535", (65535, 65535))],
)
def test_parse_port(text: str, expected: tuple[int, int]) -> None:
    assert cat.parse_port(text) == expected


@pytest.mark.parametrize("text", ["0", "65536", "10-5", "1-", "-1", "80,443", " 80", "", 80, None])
def test_parse_port_rejects(text: object) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        cat.parse_port(text)


def test_load_returns_copies() -> None:
    first = cat.load_catalogue()
    first[0]["ports"].append("1")
    assert cat.load_catalogue()[0]["ports"] == ["5060", "5061"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"direction": "inbound"}, lambda e: e["direction"] in ("inbound", "both")),
        ({"direction": "outbound"}, lambda e: e["direction"] in ("outbound", "both")),
        ({"direction": "both"}, lambda e: e["direction"] == "both"),
        ({"interface": "internal"}, lambda e: e["interface"] in ("internal", "any")),
        ({"interface": "external"}, lambda e: e["interface"] in ("external", "any")),
        ({"interface": "any"}, lambda e: e["interface"] == "any"),
        ({"host_kind": "client"}, lambda e: e["host_kind"] == "client"),
        ({"transport": "udp"}, lambda e: "udp" in e["transports"]),
        ({"seed_only": True}, lambda e: e["seed_row"] is not None),
        ({"components": ["edge", "cwa"]}, lambda e: e["component"] in ("edge", "cwa")),
    ],
)
def test_select_filters(kwargs: dict[str, Any], expected: Callable[[dict[str, Any]], bool]) -> None:
    got = [e["id"] for e in cat.select(CATALOGUE, **kwargs)]
    want = [e["id"] for e in CATALOGUE if expected(e)]
    assert got == want
    assert 0 < len(got) < len(CATALOGUE)


def test_select_as_published_filters_on_seed_values() -> None:
    # Edge 50,000-59,999 is outbound once corrected, inbound-and-outbound as published.
    corrected = cat.select(CATALOGUE, components=["edge"], direction="inbound", seed_only=True)
    published = cat.select(
        CATALOGUE, components=["edge"], direction="inbound", seed_only=True, as_published=True
    )
    assert "seed-56" not in [e["id"] for e in corrected]
    (row,) = [e for e in published if e["id"] == "seed-56"]
    assert row["direction"] == "both" and row["corrections"]


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"components": ["front_end", "frontend"]}, "'frontend'"),
        ({"direction": "in"}, "'in'"),
        ({"interface": "dmz"}, "'dmz'"),
        ({"host_kind": "vip"}, "'vip'"),
        ({"transport": "sctp"}, "'sctp'"),
    ],
)
def test_select_rejects_unknown_values(kwargs: dict[str, Any], bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(bad) + ".*valid values: "):
        cat.select(CATALOGUE, **kwargs)


# ---- flow fields: service, peers, flow_sources, opt_in ----


def _drop_opt_in_users(doc: dict[str, Any]) -> None:
    _entry(doc, "extra-edge-av-r1-federation")["opt_in"] = None


def _add_unused_opt_in(doc: dict[str, Any]) -> None:
    doc["components"]["edge"]["opt_ins"]["ocs2005_federation"] = "Federation with OCS 2005"


def _peer_scope(scope: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["peers"]["internal_clients"].__setitem__("scope", scope)


def _edge_service(doc: dict[str, Any]) -> None:
    doc["components"]["edge"]["services"]["sip_edge"] = "sip_addresses"


def _drop_service(doc: dict[str, Any]) -> None:
    # The Edge's own services table still names it.
    del doc["services"]["av_edge"]


def _peer_named_like_a_component(doc: dict[str, Any]) -> None:
    doc["peers"]["front_end"] = {"title": "Pool", "scope": "any", "required": False}


def _peer_required_word(doc: dict[str, Any]) -> None:
    doc["peers"]["load_balancers"]["required"] = "no"


@pytest.mark.parametrize(
    ("mutate", "entry_id", "field", "words"),
    [
        (_drop("seed-05", "service"), "seed-05", "service", "missing required field"),
        (_drop("seed-05", "peers"), "seed-05", "peers", "missing required field"),
        (_drop("seed-05", "flow_sources"), "seed-05", "flow_sources", "missing required field"),
        (_drop("seed-05", "opt_in"), "seed-05", "opt_in", "missing required field"),
        (_set("seed-05", "service", []), "seed-05", "service", "non-empty list"),
        (_set("seed-05", "service", ["sip"]), "seed-05", "service", "has 'sip'; valid values"),
        (_set("seed-05", "peers", []), "seed-05", "peers", "non-empty list"),
        (
            _set("seed-05", "peers", ["front_end", "pbx"]),
            "seed-05",
            "peers",
            "has 'pbx'; valid values: front_end,",
        ),
        # A load balancer is a peer kind, not a component's host.
        (
            _set("seed-05", "peers", ["front_end_load_balancer"]),
            "seed-05",
            "peers",
            "has 'front_end_load_balancer'",
        ),
        (
            _set("seed-05", "peers", ["front_end", "front_end"]),
            "seed-05",
            "peers",
            "lists a value twice",
        ),
        (
            _set("seed-53", "service", ["access_edge", "front_end"]),
            "seed-53",
            "service",
            "has 'front_end'; valid values: access_edge, webconf_edge, av_edge",
        ),
        (_set("seed-17", "peers", ["front_end"]), "seed-17", "peers", "only a server entry"),
        (_set("seed-62", "service", ["front_end"]), "seed-62", "service", "only a server entry"),
        (_set("seed-17", "opt_in", None), "seed-17", "opt_in", "only a server entry"),
        (_set("seed-05", "flow_sources", ["kb0"]), "seed-05", "flow_sources", "has 'kb0'"),
        (_set("seed-05", "flow_sources", "dd425238"), "seed-05", "flow_sources", "must be a list"),
        # seed-54 infers neither its service nor its peers; seed-02 infers its service only.
        (
            _set("seed-54", "flow_sources", []),
            "seed-54",
            "flow_sources",
            "names no document, so service and peers must be listed in inferred",
        ),
        (
            _set("seed-02", "flow_sources", []),
            "seed-02",
            "flow_sources",
            "names no document, so peers must be listed in inferred",
        ),
        (_set("seed-05", "inferred", ["flow_sources"]), "seed-05", "inferred", "'flow_sources'"),
        (
            _set("seed-53", "opt_in", "r2_federation"),
            "seed-53",
            "opt_in",
            "'r2_federation' is not an opt-in of component 'edge'; valid: r1_federation",
        ),
        (
            _set("seed-05", "opt_in", "r1_federation"),
            "seed-05",
            "opt_in",
            "'r1_federation' is not an opt-in of component 'front_end' (it has none)",
        ),
    ],
)
def test_flow_field_errors_name_entry_and_field(
    mutate: Callable[[dict[str, Any]], None], entry_id: str, field: str, words: str
) -> None:
    line = _problem_of(mutate, f"entry {entry_id!r}: {field}:")
    assert words in line, line


def test_flow_sources_may_be_empty_when_service_and_peers_are_inferred() -> None:
    document = _document()
    entry = _entry(document, "seed-54")
    entry["flow_sources"] = []
    entry["inferred"] = ["service", "peers"]
    checked = cat.validate_catalogue(document)
    assert next(e for e in checked.entries if e["id"] == "seed-54")["flow_sources"] == []


@pytest.mark.parametrize(
    ("mutate", "start", "words"),
    [
        pytest.param(
            _peer_scope("client_networks"),
            "peers.internal_clients.scope:",
            "must be 'any' or an ocs_firewall_* variable name, got 'client_networks'",
            id="peer-scope-not-a-variable",
        ),
        pytest.param(
            _peer_scope("ocs_client_networks"),
            "peers.internal_clients.scope:",
            "got 'ocs_client_networks'",
            id="peer-scope-not-collection-wide",
        ),
        pytest.param(
            _peer_scope(None),
            "peers.internal_clients.scope:",
            "got None",
            id="peer-scope-null",
        ),
        pytest.param(
            _peer_required_word,
            "peers.load_balancers.required:",
            "must be true or false, got 'no'",
            id="peer-required-not-bool",
        ),
        pytest.param(
            _peer_named_like_a_component,
            "peers.front_end:",
            "is a component key",
            id="peer-is-a-component",
        ),
        pytest.param(
            _edge_service,
            "components.edge.services:",
            "must map services of the services table",
            id="component-service-unknown",
        ),
        pytest.param(
            _drop_service,
            "components.edge.services:",
            "must map services of the services table",
            id="component-service-dropped-from-table",
        ),
        pytest.param(
            _drop_opt_in_users,
            "components.edge.opt_ins.r1_federation:",
            "no entry needs this opt-in",
            id="opt-in-no-longer-used",
        ),
        pytest.param(
            _add_unused_opt_in,
            "components.edge.opt_ins.ocs2005_federation:",
            "no entry needs this opt-in",
            id="opt-in-never-used",
        ),
    ],
)
def test_flow_table_errors_name_the_table_row(
    mutate: Callable[[dict[str, Any]], None], start: str, words: str
) -> None:
    line = _problem_of(mutate, start)
    assert words in line, line


@pytest.mark.parametrize("label", ["Front End: pool", "Front End, Director"])
def test_a_label_holds_nothing_that_separates_a_2003_entry_name(label: str) -> None:
    def relabel(doc: dict[str, Any]) -> None:
        doc["components"]["front_end"]["label"] = label

    line = _problem_of(relabel, "components.front_end.label:")
    assert line == f"components.front_end.label: {label!r} must hold no ',' or ':'"


def test_the_flow_tables_are_checked() -> None:
    checked = cat.validate_catalogue(_document())
    assert checked.services["av_edge"] == "A/V Edge service"
    clients = checked.peers["internal_clients"]
    assert (clients.scope, clients.required, clients.open) == (
        "ocs_firewall_client_networks",
        True,
        False,
    )
    assert checked.peers["external_users"].open
    edge = checked.components["edge"]
    assert edge.service_addresses == (
        ("access_edge", "access_addresses"),
        ("webconf_edge", "webconf_addresses"),
        ("av_edge", "av_addresses"),
    )
    assert [name for name, _text in edge.opt_ins] == ["r1_federation"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"service": "av_edge"}, lambda e: "av_edge" in e.get("service", ())),
        ({"service": "msmq"}, lambda e: "msmq" in e.get("service", ())),
        ({"peer": "domain_controllers"}, lambda e: "domain_controllers" in e.get("peers", ())),
        ({"peer": "front_end"}, lambda e: "front_end" in e.get("peers", ())),
    ],
)
def test_query_flow_filters(
    kwargs: dict[str, Any], expected: Callable[[dict[str, Any]], bool]
) -> None:
    got = [e["id"] for e in cat.query(**kwargs)]
    want = [e["id"] for e in CATALOGUE if expected(e)]
    assert got == want
    assert 0 < len(got) < len(CATALOGUE)
    assert all(e["host_kind"] == "server" for e in cat.query(**kwargs))


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"service": "sip"}, "service: unknown value 'sip'"),
        ({"peer": "pbx"}, "peer: unknown value 'pbx'"),
    ],
)
def test_query_rejects_unknown_flow_values(kwargs: dict[str, Any], bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(bad) + ".*valid values: "):
        cat.query(**kwargs)
    with pytest.raises(ValueError, match=re.escape(bad)):
        cat.select(CATALOGUE, **kwargs)
