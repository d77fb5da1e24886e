"""Loading, schema checks and queries of the port catalogue (plugins/plugin_utils/_catalogue.py).

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
    document = _document()
    mutate(document)
    with pytest.raises(cat.CatalogueError) as caught:
        cat.validate_catalogue(document)
    message = str(caught.value)
    line = next(
        (p for p in caught.value.problems if p.startswith(f"entry {entry_id!r}: {field}")), None
    )
    assert line is not None, message
    assert words in line


def test_missing_seed_row_is_reported() -> None:
    document = _document()
    _drop_seed_row(document)
    with pytest.raises(cat.CatalogueError, match=r"seed_row: seed row\(s\) 76 missing"):
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
    with pytest.raises(cat.CatalogueError) as caught:
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
    with pytest.raises(cat.CatalogueError, match=re.escape(words)):
        cat.load_catalogue(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(cat.CatalogueError, match="cannot read the file"):
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
