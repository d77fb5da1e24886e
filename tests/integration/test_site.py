"""playbooks/site.yml on the example estate, as an ops team runs it, against lab hosts.

What a user relies on: ``--check`` reports the changes and applies nothing; a converge
gives each host exactly its roles' groups, with Edge rules bound to the right interface;
a second run changes nothing with one read per role group; a wrong role variable stops
the run before any host is contacted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

from .helpers import Lab, PlaybookRun

REPO = Path(__file__).resolve().parents[2]
SITE = str(REPO / "playbooks" / "site.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
APPLY_TASK = "Make the component's rule group hold exactly its catalogue rules"
OWNED_PREFIX = "OCS 2007 R2 - "

Run = Callable[..., PlaybookRun]


def _apply_results(run: PlaybookRun) -> list[dict[str, Any]]:
    return [r for r in run.records if r["task"].endswith(APPLY_TASK)]


def _owned_rules(dump: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        host: [r for r in firewall["rules"] if str(r["grouping"]).startswith(OWNED_PREFIX)]
        for host, firewall in dump.items()
    }


def _role_groups_per_host() -> Counter[str]:
    """How many ocs_* groups (roles) each example host is in: one rule group per role."""
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    roles: Counter[str] = Counter()
    for group, body in inventory["all"]["children"].items():
        if group.startswith("ocs_"):
            for host in (body or {}).get("hosts", {}):
                roles[host] += 1
    return roles


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab]) -> Lab:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return start_lab(inventory, "mixed")


def test_check_mode_reports_changes_and_applies_nothing(estate: Lab, run_playbook: Run) -> None:
    before = estate.dump()
    estate.reset_trace()

    run = run_playbook(SITE, estate, None, "--check", "--diff")

    assert run.rc == 0, run.stdout[-3000:]
    applies = _apply_results(run)
    assert applies and all(r["status"] == "changed" for r in applies)
    assert estate.dump() == before
    # Check mode only reads: one command per role group on each host.
    commands = {host: len(entries) for host, entries in estate.trace().items()}
    assert commands == dict(_role_groups_per_host())
    assert "OCS Front End 5060-5061/TCP In (seed-01)" in run.stdout  # the diff names rules


def test_converge_then_second_run_changes_nothing(estate: Lab, run_playbook: Run) -> None:
    first = run_playbook(SITE, estate)
    assert first.rc == 0, first.stdout[-3000:]
    assert all(r["status"] == "changed" for r in _apply_results(first))

    estate.reset_trace()
    second = run_playbook(SITE, estate)

    assert second.rc == 0, second.stdout[-3000:]
    assert {r["status"] for r in _apply_results(second)} == {"ok"}
    commands = {host: len(entries) for host, entries in estate.trace().items()}
    assert commands == dict(_role_groups_per_host())


def test_edge_rules_are_bound_to_their_interface(estate: Lab, run_playbook: Run) -> None:
    run = run_playbook(SITE, estate, None, "--limit", "edge01.ocs.example")
    assert run.rc == 0, run.stdout[-3000:]
    edge = _owned_rules(estate.dump())["edge01.ocs.example"]
    internal = "10.10.1.10/255.255.255.255"
    external = {f"192.0.2.{n}/255.255.255.255" for n in (10, 11, 12)}

    interface_of = {e["id"]: e["interface"] for e in _catalogue.query(["edge"])}
    by_side: Counter[str] = Counter()
    for rule in edge:
        entry_id = rule["name"].rsplit("(", 1)[1].rstrip(")")
        side = interface_of[entry_id]
        local = set(rule["local_addresses"].split(","))
        assert local == ({internal} if side == "internal" else external), rule
        by_side[side] += 1
    inbound = _catalogue.query(["edge"], direction="inbound", host_kind="server")
    assert by_side == Counter(e["interface"] for e in inbound for _t in e["transports"])


@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [
        ({"ocs_edge_internal_addresses": ["10.10.1.999"]}, "ocs_edge_internal_addresses"),
        ({"ocs_front_end_profiles": ["domain", "work"]}, "ocs_front_end_profiles"),
        ({"ocs_mediation_state": "gone"}, "ocs_mediation_state"),
    ],
    ids=["bad-ip", "unknown-profile", "unknown-state"],
)
def test_bad_role_variable_stops_before_any_host_is_touched(
    start_lab: Callable[..., Lab], run_playbook: Run, extra_vars: dict[str, Any], named: str
) -> None:
    lab = start_lab(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), "basic")
    lab.reset_trace()

    run = run_playbook(SITE, lab, extra_vars)

    assert run.rc != 0
    assert named in run.stdout
    bad_value = str(next(iter(extra_vars.values())))
    assert any(part in run.stdout for part in (bad_value, "10.10.1.999", "work", "gone"))
    assert all(not entries for entries in lab.trace().values()), "a host was contacted"
