"""The inventory you meant: typos stop site.yml before any host is contacted, and mass
removals wait for a yes.

What a user relies on, with the example estate on lab hosts (one more Mediation Server, so
that three servers hold the component):

* a misspelt component group, a misspelt variable, an unknown key of a dictionary variable
  and an Edge without its addresses each stop the run in the preflight, naming host, group
  or variable, value and the nearest known name; no host runs a single command;
* one server decommissioned goes through;
* the same component taken off three servers stops after every host was read, before any
  was changed, with what would go host by host; ``--check`` shows the same list and stops
  nothing; ``-e ocs_firewall_confirm_removals=true`` lets it through.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

from .conftest import preflight_stop

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
GUARD_TASK = "Hold a run with mass removals until it is confirmed"
MEDIATION = ("med01.ocs.example", "med02.ocs.example", "se01.ocs.example")
MEDIATION_GROUP = "OCS 2007 R2 - Mediation"

Run = Callable[..., PlaybookRun]


def _estate() -> dict[str, Any]:
    """The example estate with a second Mediation Server."""
    inventory: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    children = inventory["all"]["children"]
    children["ocs_servers"]["hosts"]["med02.ocs.example"] = {"ocs_firewall_address": "10.10.0.41"}
    children["ocs_mediation"]["hosts"]["med02.ocs.example"] = {
        "ocs_mediation_pool_addresses": ["10.10.0.41"],
        "ocs_mediation_gateway_addresses": ["198.51.100.41"],
    }
    return inventory


def _write(lab: Lab, inventory: dict[str, Any], path: Path) -> Lab:
    """The same lab hosts under ``inventory`` (their connection variables added)."""
    connections = lab.connection_vars()
    data = copy.deepcopy(inventory)

    def walk(node: dict[str, Any]) -> None:
        for group in (node.get("children") or {}).values():
            hosts = (group or {}).get("hosts") or {}
            for host in hosts:
                hosts[host] = {**(hosts[host] or {}), **connections[host]}
            walk(group or {})

    walk(data["all"])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return dataclasses.replace(lab, inventory=path)


def _preflight_message(run: PlaybookRun) -> str:
    """Every cause, said once; each host one stops failed on its own (preflight_stop)."""
    message: str = preflight_stop(run)["msg"]
    print(f"\n{message}")  # quoted in the closing note of the issue
    return message


@pytest.fixture(scope="module")
def lab(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab(_estate(), "basic", name="meant")


# ---- typos ---------------------------------------------------------------------------------


def _misspelt_group(inventory: dict[str, Any]) -> None:
    children = inventory["all"]["children"]
    children["ocs_mediatoin"] = children.pop("ocs_mediation")


def _misspelt_edge_variable(inventory: dict[str, Any]) -> None:
    edge = inventory["all"]["children"]["ocs_edge"]["hosts"]["edge01.ocs.example"]
    edge["ocs_edge_internal_address"] = edge.pop("ocs_edge_internal_addresses")


def _unknown_key(inventory: dict[str, Any]) -> None:
    inventory["all"]["vars"]["ocs_firewall_vips"] = {"front_end": "10.10.0.10", "frontend": "x"}


def _edge_without_addresses(inventory: dict[str, Any]) -> None:
    edge = inventory["all"]["children"]["ocs_edge"]["hosts"]["edge01.ocs.example"]
    for name in [n for n in edge if n.endswith("_addresses")]:
        del edge[name]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _misspelt_group,
            [
                "1 problem, no host was contacted: med01.ocs.example, se01.ocs.example, "
                "med02.ocs.example: inventory group ocs_mediatoin: is not an OCS component "
                "group; did you mean ocs_mediation? The run stops rather than take the host's "
                "component off it. A group of your own: add it to ocs_firewall_other_groups",
            ],
            id="misspelt-group",
        ),
        pytest.param(
            _misspelt_edge_variable,
            [
                'edge01.ocs.example: ocs_edge_internal_address: ["10.10.1.10"] is not a '
                "variable of ocs.firewall; did you mean ocs_edge_internal_addresses?",
                "edge01.ocs.example: ocs_edge_internal_addresses is not set: its internal-only "
                "ports (5062/TCP, 8057/TCP) would open on its Internet side too",
            ],
            id="misspelt-edge-variable",
        ),
        pytest.param(
            _unknown_key,
            [
                # Every host of the estate but the head office pool's, which set their own.
                "se01.ocs.example, dir01.ocs.example, edge01.ocs.example and 7 more hosts: "
                'ocs_firewall_vips: "frontend" is not a component a load balancer balances; '
                "valid keys are front_end, director, edge"
            ],
            id="unknown-key",
        ),
        pytest.param(
            _edge_without_addresses,
            [
                "edge01.ocs.example: ocs_edge_internal_addresses and ocs_edge_external_addresses "
                "are not set: its internal-only ports (5062/TCP, 8057/TCP) would open on its "
                "Internet side too; give the Edge's addresses (on the external side, or one per "
                "service: ocs_edge_access_addresses, ocs_edge_webconf_addresses, "
                "ocs_edge_av_addresses), or set ocs_edge_unbound: true to take any local "
                "address on purpose"
            ],
            id="edge-without-addresses",
        ),
    ],
)
def test_a_typo_stops_the_run_before_any_host_is_contacted(
    lab: Lab,
    run_playbook: Run,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    expected: list[str],
) -> None:
    inventory = _estate()
    change(inventory)
    typo = _write(lab, inventory, tmp_path / "inventory.yml")
    before = lab.dump()
    lab.reset_trace()

    run = run_playbook(SITE, typo)

    assert run.rc != 0
    message = _preflight_message(run)
    for text in expected:
        assert text in message
    assert all(not entries for entries in lab.trace().values()), "a host was contacted"
    assert lab.dump() == before


# ---- mass removals -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converged(lab: Lab, run_playbook: Run) -> Lab:
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def _without(inventory: dict[str, Any], group: str, hosts: tuple[str, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(inventory)
    members = changed["all"]["children"][group]["hosts"]
    for host in hosts:
        members.pop(host)
    return changed


def _decommissioned(inventory: dict[str, Any], host: str) -> dict[str, Any]:
    """``host`` out of every component group (it stays in ocs_servers)."""
    changed = copy.deepcopy(inventory)
    for name, group in changed["all"]["children"].items():
        if name != "ocs_servers":
            (group.get("hosts") or {}).pop(host, None)
    return changed


def _guard(run: PlaybookRun) -> dict[str, Any]:
    (record,) = [r for r in run.records if r["task"].endswith(GUARD_TASK)]
    result: dict[str, Any] = record["result"]
    print(f"\n{result['msg']}")  # quoted in the closing note of the issue
    return result


def _ops(lab: Lab) -> dict[str, list[str]]:
    return {h: [e["op"] for e in t] for h, t in lab.trace().items() if t}


def test_mediation_taken_off_three_servers_waits_for_a_yes(
    converged: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    off = _write(converged, _without(_estate(), "ocs_mediation", MEDIATION), tmp_path / "off.yml")
    before = converged.dump()

    # --check shows the list and stops nothing.
    converged.reset_trace()
    check = run_playbook(SITE, off, None, "--check")
    assert check.rc == 0, check.stdout[-3000:]
    checked = _guard(check)
    assert checked["waits"] is True and checked["count"] == 12
    assert "it would stop without a yes" in checked["msg"]
    assert (
        list(_ops(converged).values()) == [["read"]] * len(converged.hosts)
        and converged.dump() == before
    )

    # The run reads every host, then stops before any is changed, with the same list.
    converged.reset_trace()
    stopped = run_playbook(SITE, off)
    assert stopped.rc != 0
    held = _guard(stopped)
    assert held["waits"] is True and held["count"] == 12
    assert held["msg"].startswith(
        "The run removes 12 of the collection's rules, and it takes mediation off 3 hosts "
        "(med01.ocs.example, med02.ocs.example, se01.ocs.example)"
    )
    for host in MEDIATION:
        assert f"{host}: mediation taken off, 4 rule(s): " in held["msg"]
    assert held["msg"].split("host by host: ")[1] == checked["msg"].split("host by host: ")[1]
    assert list(_ops(converged).values()) == [["read"]] * len(converged.hosts), "a host was changed"
    assert converged.dump() == before

    # The yes lets it through: the three servers lose their Mediation rules, and only them.
    converged.reset_trace()
    confirmed = run_playbook(SITE, off, {"ocs_firewall_confirm_removals": True})
    assert confirmed.rc == 0, confirmed.stdout[-3000:]
    assert _guard(confirmed)["waits"] is False
    after = converged.dump()
    for host in MEDIATION:
        assert [r for r in after[host]["rules"] if r["grouping"] == MEDIATION_GROUP] == []
    ops = _ops(converged)
    assert all(ops[host] == ["read", "apply"] for host in MEDIATION)

    # Put back, for the next test: the Mediation rules come back without a yes.
    back = run_playbook(SITE, converged)
    assert back.rc == 0, back.stdout[-3000:]


def test_one_server_decommissioned_goes_through(
    converged: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    host = "fe02.ocs.example"
    gone = _write(converged, _decommissioned(_estate(), host), tmp_path / "gone.yml")
    ours = [r for r in converged.dump(host)[host]["rules"] if "[ocs.firewall" in r["description"]]
    converged.reset_trace()

    run = run_playbook(SITE, gone)

    assert run.rc == 0, run.stdout[-3000:]
    guard = _guard(run)
    assert guard["waits"] is False and guard["count"] == len(ours) == 25
    assert set(guard["removals"]) == {host}
    left = [r for r in converged.dump(host)[host]["rules"] if "[ocs.firewall" in r["description"]]
    assert left == []
    # Every other host read once; the decommissioned one and its peers (their scopes lose
    # its address) applied.
    assert _ops(converged)[host] == ["read", "apply"]

    back = run_playbook(SITE, converged)
    assert back.rc == 0, back.stdout[-3000:]
