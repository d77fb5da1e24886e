"""Turning the firewall on: site.yml with ocs_firewall_enforce, against lab hosts whose
firewall is off.

What a user relies on: the example estate is enforced in one run and a second run changes
nothing; a host whose rules would not let the controller in is refused before anything
changes; a host the controller cannot reach after the switch rolls itself back when its
rollback is due, nothing else of it changes, and the next run is clean (on 2008 R2 and on
2003); bad enforcement values stop the run before any host is contacted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun
from ocs_lab import api as lab_api

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "inventory.yml"
SITE = str(REPO / "playbooks" / "site.yml")
ENFORCE = {"ocs_firewall_enforce": True}

Run = Callable[..., PlaybookRun]

# A server as OCS servers often are: the firewall service runs, every profile is off.
OFF = {
    "ocs_lab_switch": {
        "domain": {"enabled": False},
        "private": {"enabled": False},
        "public": {"enabled": False},
    }
}
OFF_2003 = {"ocs_lab_switch": {"domain": {"enabled": False}, "standard": {"enabled": False}}}


def _settings(dump: dict[str, Any]) -> dict[str, Any]:
    """What the switch changes, from a host's dump: the service, the profiles' switches
    (2003: without their port entries) and the logs."""
    found = {k: dump[k] for k in ("service", "profiles", "logging") if k in dump}
    if "legacy" in dump:
        found["legacy"] = {
            t: {k: v for k, v in p.items() if k != "ports"} for t, p in dump["legacy"].items()
        }
    return found


def _on(dump: dict[str, Any], profile: str = "1") -> bool:
    """The profile (type; 2003: 0 domain) is on and blocks unsolicited inbound traffic."""
    if "legacy" in dump:
        found = dump["legacy"]["0" if profile == "1" else profile]
        return bool(found["enabled"]) and not found["exceptions_not_allowed"]
    found = dump["profiles"][profile]
    return bool(found["enabled"]) and found["inbound_action"] == 0


def _kept(dump: dict[str, Any]) -> Any:
    """What the switch never touches: the rules (2003: the port entries)."""
    if "legacy" in dump:
        return {t: p["ports"] for t, p in dump["legacy"].items()}
    return dump["rules"]


def _recap_changed(run: PlaybookRun) -> dict[str, int]:
    return {host: counts.get("changed", 0) for host, counts in run.recap.items()}


# The perimeter servers are in no domain: the public profile is the one in force, and
# Windows' own WinRM rule admits only the local subnet there. Their administrators let
# the management network in with a rule of their own, as they must before enforcing.
PERIMETER = ("edge01.ocs.example", "rp01.ocs.example")
MANAGEMENT_RULE = {
    "name": "WinRM from the management network",
    "group": "Perimeter management",
    "protocol": 6,
    "local_ports": 5985,
    "remote_addresses": "10.10.5.0/24",
    "profiles": 4,
    "enabled": 1,
}


def _in_force(host: str) -> str:
    return "4" if host in PERIMETER else "1"


@pytest.fixture(scope="module")
def estate(start_lab: Callable[..., Lab]) -> Lab:
    inventory = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["ocs_servers"]["hosts"]
    for name in hosts:
        hosts[name] = {**(hosts[name] or {}), **copy.deepcopy(OFF)}
    for name in PERIMETER:
        hosts[name]["ocs_lab_current_profiles"] = ["public"]
        hosts[name]["ocs_lab_foreign_rules"] = [MANAGEMENT_RULE]
    return start_lab(inventory, "basic")


def test_the_example_estate_is_enforced_and_a_second_run_changes_nothing(
    estate: Lab, run_playbook: Run
) -> None:
    checked = run_playbook(SITE, estate, ENFORCE, "--check", "--diff")
    assert checked.rc == 0, checked.tail()
    planned = checked.host_results()
    assert set(planned) == set(estate.hosts)
    for host, record in planned.items():
        result = record["result"]
        changes = {c["setting"]: c["after"] for c in result["enforcement"]["changes"]}
        name = "public" if host in PERIMETER else "domain"
        assert changes[f"{name} profile: firewall"] == "on", host
        # Nothing a component of the host opens would be blocked once enforced.
        assert [f["port"] for f in result["readiness"] if f["held"]] == [], host
    assert "would enforce" in checked.stdout

    before = estate.dump()
    run = run_playbook(SITE, estate, ENFORCE)
    assert run.rc == 0, run.tail()
    after = estate.dump()
    for host in estate.hosts:
        result = run.host_results()[host]["result"]
        assert result["enforcement"]["enforced"] is True, host
        assert result["enforcement"]["confirmed"] is True, host
        # The rollback is gone: confirmed, its task and files removed.
        assert not after[host]["rollback"], host
        assert _on(after[host], _in_force(host)), host
        assert not _on(before[host], _in_force(host)), host
    table = run.stdout[run.stdout.rindex("HOST ") :]
    assert f"{len(estate.hosts)} enforced" in table

    again = run_playbook(SITE, estate, ENFORCE)
    assert again.rc == 0, again.tail()
    assert _recap_changed(again) == dict.fromkeys(estate.hosts, 0)
    assert estate.dump() == after


def _small_lab(start_lab: Callable[..., Lab], name: str, host_vars: dict[str, Any]) -> Lab:
    inventory = {
        "all": {
            "vars": {"ocs_firewall_management_addresses": ["10.10.5.0/24"]},
            "children": {
                "ocs_servers": {"hosts": {"h08": {**OFF, **host_vars.get("h08", {})}}},
                "ocs_front_end": {"hosts": {"h08": None}},
            },
        }
    }
    if "h03" in host_vars:
        inventory["all"]["children"]["ocs_servers"]["hosts"]["h03"] = {
            "ocs_lab_os": "5.2",
            **OFF_2003,
            **host_vars["h03"],
        }
        inventory["all"]["children"]["ocs_archiving"] = {"hosts": {"h03": None}}
    return start_lab(inventory, "mixed", name=name)


def test_a_host_without_a_management_rule_is_refused_before_any_change(
    start_lab: Callable[..., Lab], run_playbook: Run
) -> None:
    lab = _small_lab(start_lab, "nomgmt", {"h08": {"ocs_lab_seed_winrm_rule": False}})
    before = lab.dump()
    lab.reset_trace()
    run = run_playbook(SITE, lab, ENFORCE)
    assert run.rc != 0
    failure = run.host_results()["h08"]
    assert failure["failed"]
    assert "5985/tcp from 10.10.5.0 (domain profile)" in failure["msg"]
    assert "nothing was changed" in failure["msg"]
    assert lab.dump() == before
    # It read, and changed nothing.
    assert [e["op"] for e in lab.trace()["h08"]] == ["read", "state"]


@pytest.mark.parametrize("host", ["h08", "h03"])
def test_a_controller_cut_off_after_the_switch_is_rolled_back(
    start_lab: Callable[..., Lab], run_playbook: Run, host: str
) -> None:
    lab = _small_lab(start_lab, f"cut{host}", {"h08": {}, "h03": {}})
    lab.fault(host, cut_after_switch=True)
    before = lab.dump()[host]
    run = run_playbook(SITE, lab, {**ENFORCE, "ocs_firewall_confirm_minutes": 5})
    assert run.rc != 0
    failure = run.host_results()[host]
    assert failure["failed"]
    assert "rolls its settings back at" in failure["msg"]
    cut = lab.dump()[host]
    # Switched on, rollback armed: the host is cut off.
    assert cut["rollback"]
    assert _settings(cut) != _settings(before)
    # Four minutes later it has not rolled back; six minutes after the switch it has.
    assert lab_api.advance_clock(lab.state_dir, 4) == []
    assert lab_api.advance_clock(lab.state_dir, 2) == [host]
    restored = lab.dump()[host]
    assert _settings(restored) == _settings(before)
    assert not restored["rollback"]
    # Nothing else changed: the rules the run applied stay as they were after it.
    assert _kept(restored) == _kept(cut)
    # The next run starts from the restored settings and is clean.
    lab.clear_faults(host)
    again = run_playbook(SITE, lab, ENFORCE)
    assert again.rc == 0, again.tail()
    final = lab.dump()[host]
    assert _on(final) and not final["rollback"]
    assert again.host_results()[host]["result"]["enforcement"]["confirmed"] is True


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "ocs_firewall_management_addresses is not set"),
        ({"ocs_firewall_confirm_minutes": 0}, "ocs_firewall_confirm_minutes: 0 is not"),
        ({"ocs_firewall_confirm_minutes": 10000}, "ocs_firewall_confirm_minutes: 10000 is not"),
        (
            {"ocs_firewall_management_addresses": ["10.10.5.300"]},
            'ocs_firewall_management_addresses: "10.10.5.300" is not an address',
        ),
    ],
)
def test_bad_enforcement_values_stop_the_run_in_the_preflight(
    estate: Lab, run_playbook: Run, extra: dict[str, Any], expected: str
) -> None:
    extra_vars = {**ENFORCE, **extra}
    if not extra:
        # The example sets the management networks: take them away.
        extra_vars["ocs_firewall_management_addresses"] = None
    estate.reset_trace()
    run = run_playbook(SITE, estate, extra_vars)
    assert run.rc != 0
    assert expected in run.stdout
    assert "no host was contacted" in run.stdout
    # Every host has the value (extra vars): each fails on its own, fe01 among them.
    assert "fatal: [fe01.ocs.example]: FAILED!" in run.stdout
    assert all(not t for t in estate.trace().values())


def test_asked_for_the_collection_adds_its_management_rule_first(
    start_lab: Callable[..., Lab], run_playbook: Run
) -> None:
    lab = _small_lab(start_lab, "withrule", {"h08": {"ocs_lab_seed_winrm_rule": False}})
    asked = {**ENFORCE, "ocs_firewall_management_rule": True}
    checked = run_playbook(SITE, lab, asked, "--check", "--diff")
    assert checked.rc == 0, checked.tail()
    line = checked.host_results()["h08"]["result"]["msg"]
    assert "management rules (ocs.firewall - Management): 1 to add" in line
    assert "h08 | ocs.firewall - Management | ocs.firewall management 5985/TCP In" in (
        checked.stdout
    )
    run = run_playbook(SITE, lab, asked)
    assert run.rc == 0, run.tail()
    result = run.host_results()["h08"]["result"]
    assert result["enforcement"]["management"]["added"] == ["ocs.firewall management 5985/TCP In"]
    assert result["enforcement"]["confirmed"] is True
    rules = [
        r for r in lab.dump("h08")["h08"]["rules"] if r["grouping"] == "ocs.firewall - Management"
    ]
    assert [(r["local_ports"], r["remote_addresses"]) for r in rules] == [
        ("5985", "10.10.5.0/255.255.255.0")
    ]
    again = run_playbook(SITE, lab, asked)
    assert again.rc == 0, again.tail()
    assert _recap_changed(again) == {"h08": 0}


SETUP_GROUP = "Office Communications Server 2007 R2"


def _setup_rules(dump: dict[str, Any]) -> list[tuple[str, int, str]]:
    return sorted(
        (r["name"], r["enabled"], r["description"])
        for r in dump["rules"]
        if r["grouping"] == SETUP_GROUP
    )


def test_a_rollback_brings_back_the_setup_rules_the_run_disabled(
    start_lab: Callable[..., Lab], run_playbook: Run
) -> None:
    lab = _small_lab(start_lab, "setup", {})
    lab.fault("h08", cut_after_switch=True)
    before = lab.dump("h08")["h08"]
    assert any(enabled for _n, enabled, _d in _setup_rules(before))
    run = run_playbook(SITE, lab, {**ENFORCE, "ocs_firewall_setup_rules": "disable"})
    assert run.rc != 0
    cut = lab.dump("h08")["h08"]
    # The run disabled OCS setup's rules its own cover, then switched, and was cut off.
    assert not any(enabled for _n, enabled, _d in _setup_rules(cut))
    assert lab_api.advance_clock(lab.state_dir, 6) == ["h08"]
    restored = lab.dump("h08")["h08"]
    # The rollback brought them back exactly (enabled, description as it was); the
    # collection's own rules stay as the run applied them.
    assert _setup_rules(restored) == _setup_rules(before)
    ours = [r for r in restored["rules"] if r["grouping"] != SETUP_GROUP]
    assert ours == [r for r in cut["rules"] if r["grouping"] != SETUP_GROUP]
    assert _settings(restored) == _settings(before)
