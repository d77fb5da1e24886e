"""The ocs.firewall.ports lookup, loaded the way ansible loads it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue as cat

CATALOGUE = cat.load_catalogue()


@pytest.fixture(scope="module")
def ports() -> Any:
    # The harness (dev/harness/pytest_plugin.py) has installed ansible's collection loader.
    plugin = lookup_loader.get("ocs.firewall.ports")
    assert plugin is not None, "ansible cannot find the ocs.firewall.ports lookup"
    return plugin


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in entries]


def catalogue_ids(*components: str) -> list[str]:
    return [e["id"] for e in CATALOGUE if not components or e["component"] in components]


@pytest.mark.parametrize(
    ("terms", "components"),
    [
        ([], ()),
        (["front_end"], ("front_end",)),
        (["edge", "front_end"], ("edge", "front_end")),
        ([["mediation", "edge"]], ("mediation", "edge")),
        (["cwa", "cwa"], ("cwa",)),
    ],
)
def test_terms_select_components(ports: Any, terms: list[Any], components: tuple[str, ...]) -> None:
    result = ports.run(terms, variables={})
    assert isinstance(result, list)
    assert ids(result) == catalogue_ids(*components)  # catalogue order, no duplicates


def test_entries_carry_every_field(ports: Any) -> None:
    for entry in ports.run(["edge"], variables={}):
        assert isinstance(entry, dict)
        # A server entry carries its flow too.
        assert tuple(entry) == (*cat.FIELDS, *cat.FLOW_FIELDS, cat.POOL_SCOPE, cat.PEER_DIRECTIONS)
    for entry in ports.run(["office_communicator"], variables={}):
        assert tuple(entry) == cat.FIELDS


@pytest.mark.parametrize(
    ("terms", "options", "expected"),
    [
        (
            ["edge"],
            {"direction": "inbound", "interface": "internal"},
            [
                "seed-52",
                "seed-54",
                "extra-edge-internal-5061",
                "extra-edge-internal-443",
                "extra-edge-internal-3478",
            ],
        ),
        (
            ["edge"],
            {"direction": "inbound", "interface": "external"},
            ["seed-51", "seed-53", "seed-55", "extra-edge-av-r1-federation"],
        ),
        (
            ["edge"],
            {"direction": "outbound", "interface": "external", "transport": "tcp"},
            ["seed-51", "seed-56", "extra-edge-av-r1-federation"],
        ),
        (["cwa"], {"direction": "outbound"}, [f"seed-{n}" for n in range(28, 36) if n != 33]),
        (["sql_backend"], {"transport": "udp"}, ["extra-sql-backend-1434"]),
        (["mediation"], {"direction": "both"}, ["seed-47", "seed-49"]),
        (["archiving"], {"seed_only": True}, ["seed-44"]),
        (["edge_load_balancer"], {"interface": "external"}, ["seed-61", "seed-62", "seed-63"]),
        (
            ["front_end_load_balancer", "edge_load_balancer"],
            {"interface": "any"},
            [f"seed-{n}" for n in range(17, 27)],
        ),
        (
            [],
            {"host_kind": "client", "direction": "inbound", "transport": "udp"},
            ["seed-67", "seed-72"],
        ),
    ],
)
def test_options_filter(
    ports: Any, terms: list[str], options: dict[str, Any], expected: list[str]
) -> None:
    assert ids(ports.run(terms, variables={}, **options)) == expected


@pytest.mark.parametrize(
    ("option", "value", "keep"),
    [
        ("direction", "inbound", lambda e: e["direction"] in ("inbound", "both")),
        ("direction", "outbound", lambda e: e["direction"] in ("outbound", "both")),
        ("interface", "internal", lambda e: e["interface"] in ("internal", "any")),
        ("interface", "any", lambda e: e["interface"] == "any"),
        ("host_kind", "server", lambda e: e["host_kind"] == "server"),
        ("transport", "tcp", lambda e: "tcp" in e["transports"]),
        ("seed_only", True, lambda e: e["seed_row"] is not None),
    ],
)
def test_each_option_over_the_whole_catalogue(
    ports: Any, option: str, value: Any, keep: Any
) -> None:
    assert ids(ports.run([], variables={}, **{option: value})) == [
        e["id"] for e in CATALOGUE if keep(e)
    ]


def test_as_published_reverts_corrections(ports: Any) -> None:
    corrected = {e["id"]: e for e in ports.run(["front_end"], variables={})}
    published = {e["id"]: e for e in ports.run(["front_end"], variables={}, as_published=True)}
    assert corrected["seed-16"]["ports"] == ["49152-65535"]
    assert published["seed-16"]["ports"] == ["49152-65335"]
    assert published["seed-16"]["corrections"] == corrected["seed-16"]["corrections"]
    assert (corrected["seed-13"]["protocol"], published["seed-13"]["protocol"]) == ("TLS", "TCP")
    assert published["seed-06"] == corrected["seed-06"]  # uncorrected rows unchanged


def test_published_table_has_76_rows(ports: Any) -> None:
    table = ports.run([], variables={}, seed_only=True, as_published=True)
    assert [e["seed_row"] for e in table] == list(range(1, 77))


def test_results_are_copies(ports: Any) -> None:
    ports.run(["front_end"], variables={})[0]["ports"].clear()
    assert ports.run(["front_end"], variables={})[0]["ports"] == ["5060", "5061"]


@pytest.mark.parametrize(
    ("terms", "options", "message"),
    [
        (["frontend"], {}, "unknown component 'frontend'; valid components: front_end, "),
        (["edge", 42], {}, "unknown component 42; valid components: "),
        ([["edge", "dmz"]], {}, "unknown component 'dmz'; valid components: "),
        (
            [],
            {"direction": "in"},
            "option 'direction': unknown value 'in'; valid values: inbound, outbound, both",
        ),
        (
            [],
            {"interface": "dmz"},
            "option 'interface': unknown value 'dmz'; valid values: internal, external, any",
        ),
        (
            [],
            {"host_kind": "vip"},
            "option 'host_kind': unknown value 'vip'; valid values: server, load_balancer, client",
        ),
        (
            [],
            {"transport": "sctp"},
            "option 'transport': unknown value 'sctp'; valid values: tcp, udp",
        ),
        (
            [],
            {"seed_only": "maybe"},
            "option 'seed_only': 'maybe' is not a boolean; valid values: true, false",
        ),
        ([], {"directon": "inbound"}, "unknown option 'directon'; valid options: direction, "),
    ],
)
def test_bad_input_names_value_and_valid_ones(
    ports: Any, terms: list[Any], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(AnsibleLookupError) as caught:
        ports.run(terms, variables={}, **options)
    assert message in str(caught.value)


def test_documented_choices_match_the_catalogue(ports: Any) -> None:
    from ansible_collections.ocs.firewall.plugins.lookup import ports as module

    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    for name, valid in module.OPTION_CHOICES.items():
        assert options[name]["choices"] == list(valid)
    for name in module.BOOL_OPTIONS:
        assert (options[name]["type"], options[name]["default"]) == ("bool", False)
    documented_keys = re.findall(r"V\((\w+)\)", " ".join(options["_terms"]["description"]))
    assert documented_keys == list(cat.components())
    returned = yaml.safe_load(module.RETURN)["_raw"]["contains"]
    assert tuple(returned) == (*cat.FIELDS, *cat.FLOW_FIELDS, cat.POOL_SCOPE, cat.PEER_DIRECTIONS)
    # Every kind of peer outside the inventory is documented.
    peer_kinds = re.findall(r"V\((\w+)\)", " ".join(options["peer"]["description"]))
    assert peer_kinds[1:] == list(cat.peer_kinds())


@pytest.mark.parametrize(
    ("terms", "options", "expected"),
    [
        (["archiving"], {"peer": "front_end"}, 5),
        (["archiving"], {"peer": "director"}, 0),
        (["edge"], {"service": "av_edge", "interface": "external"}, 4),
        ([], {"peer": "pstn_gateways"}, 2),
    ],
)
def test_service_and_peer_filters(
    ports: Any, terms: list[str], options: dict[str, str], expected: int
) -> None:
    found = ports.run(terms, variables={}, **options)
    assert len(found) == expected
    for entry in found:
        assert options.get("service", entry["service"][0]) in entry["service"]
        assert options.get("peer", entry["peers"][0]) in entry["peers"]


@pytest.mark.parametrize(("option", "value"), [("service", "acess_edge"), ("peer", "clients")])
def test_an_unknown_service_or_peer_names_the_valid_ones(
    ports: Any, option: str, value: str
) -> None:
    with pytest.raises(AnsibleLookupError) as caught:
        ports.run(["edge"], variables={}, **{option: value})
    message = str(caught.value)
    assert f"{option}: unknown value {value!r}" in message
    assert ("access_edge" if option == "service" else "internal_clients") in message


def _ansible(
    collections_root: Path, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / args[0]
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_root),
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),  # none: ignore any ansible.cfg around
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOME=str(tmp_path / "home"),
    )
    return subprocess.run(
        [str(executable), *args[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ansible_runs_the_lookup(collections_root: Path, tmp_path: Path) -> None:
    msg = "msg={{ lookup('ocs.firewall.ports', 'front_end', wantlist=True) | length }}"
    done = _ansible(collections_root, tmp_path, "ansible", "localhost", "-m", "debug", "-a", msg)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = re.search(r'"msg": (\d+)', done.stdout)
    assert printed is not None, done.stdout
    assert int(printed.group(1)) == len(catalogue_ids("front_end"))


def test_ansible_doc_renders(collections_root: Path, tmp_path: Path) -> None:
    done = _ansible(collections_root, tmp_path, "ansible-doc", "-t", "lookup", "ocs.firewall.ports")
    assert done.returncode == 0, done.stderr
    for word in ("as_published", "seed_only", "interface", "RETURN VALUES", "corrections"):
        assert word in done.stdout
