"""ocs.firewall.win_firewall_rules and win_firewall_info through real ansible-playbook runs.

Three lab hosts, one per transport (Basic over HTTP, NTLM with message encryption,
Basic over HTTPS). Each host also carries rules the collection does not own, some with
exactly the names the tests create; after every run those must be byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from harness.lab import Lab
from harness.playbook import PlaybookRun

TASK = "Firewall rules"
INFO_TASK = "Firewall info"
SHARED_NAME = "OCS FE - SIP (TLS-In)"
TOMBSTONE = "ocs.firewall-removing-5d1c0e0b3b7c4f0e9a4c2a8f0d6b1e23"
TOMBSTONE_GROUP = "ocs.firewall - tombstone"
FOREIGN_RULES = [
    # Same name, the group OCS set-up uses.
    {"name": SHARED_NAME, "group": "Office Communications Server 2007 R2", "local_ports": 5061},
    # Same name, no group, different values.
    {"name": SHARED_NAME, "group": "", "local_ports": 5062, "description": "made by hand"},
    # Same name but for case, in a built-in group.
    {"name": "ocs fe - media (udp-in)", "group": "@FirewallAPI.dll,-28752", "protocol": 17},
    # In a group the collection owns: what an interrupted apply leaves behind (the remote
    # script renames a rule it made to this prefix and a GUID, adds the new rules, then
    # removes that name). The rule keeps its description, and so its ownership marker.
    {
        "name": TOMBSTONE,
        "group": TOMBSTONE_GROUP,
        "local_ports": 5061,
        "description": "SIP over TLS [ocs.firewall]",
    },
    # In the same group, made by hand: never the collection's to remove.
    {"name": "Hand-made, same group", "group": TOMBSTONE_GROUP, "local_ports": 5062},
]
INVENTORY = {
    "all": {
        "vars": {"ocs_lab_foreign_rules": FOREIGN_RULES},
        "children": {
            "ocs_servers": {
                "hosts": {
                    "basic01": {"ocs_lab_transport": "basic"},
                    "ntlm01": {"ocs_lab_transport": "ntlm"},
                    "https01": {"ocs_lab_transport": "https"},
                }
            }
        },
    }
}
HOSTS = ["basic01", "ntlm01", "https01"]


def forty_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"name": SHARED_NAME, "local_ports": 5061, "description": "SIP over TLS"},
        {"name": "OCS FE - media (UDP-In)", "protocol": "udp", "local_ports": "49152-65535"},
    ]
    for n in range(38):
        rule: dict[str, Any] = {"name": f"OCS FE - port {n:02d}", "local_ports": 10000 + n}
        if n % 3 == 1:
            rule.update(protocol="udp", remote_addresses=["10.0.0.0/24", f"192.168.1.{n}"])
        if n % 5 == 2:
            rule.update(profiles=["domain"], local_ports=[10000 + n, f"{20000 + n}-{20010 + n}"])
        if n % 7 == 3:
            rule.update(direction="out", action="block", enabled=False, local_ports=None)
            rule["remote_ports"] = "443,80"
        if n % 11 == 4:
            rule.update(remote_addresses="LocalSubnet", local_addresses="fe80::1")
        rules.append(rule)
    return rules


def owned(dump: dict[str, Any], group: str) -> list[dict[str, Any]]:
    return [r for r in dump["rules"] if r["grouping"] == group]


def not_owned(dump: dict[str, dict[str, Any]], group: str) -> str:
    """Every rule outside ``group`` on every host, in store order, as exact JSON text."""
    return json.dumps(
        {h: [r for r in d["rules"] if r["grouping"] != group] for h, d in dump.items()},
        sort_keys=True,
        ensure_ascii=False,
    )


def ops(trace: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    return {host: [entry["op"] for entry in entries] for host, entries in trace.items()}


@pytest.fixture(scope="module")
def lab(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab(INVENTORY)


def apply(
    run_playbook: Callable[..., PlaybookRun], lab: Lab, variables: dict[str, Any], *options: str
) -> PlaybookRun:
    lab.reset_trace()
    return run_playbook("rules.yml", lab, variables, *options)


def test_create_forty_rules_then_run_again_unchanged(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    group = "ocs.firewall - create"
    rules = forty_rules()
    before = lab.dump()

    first = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert first.rc == 0, first.stdout + first.stderr
    assert first.statuses(TASK) == dict.fromkeys(HOSTS, "changed")
    for host, outcome in first.results(TASK).items():
        assert sorted(outcome["result"]["added"]) == sorted(r["name"] for r in rules), host
        assert outcome["result"]["removed"] == []
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, ["read", "apply"])
    after = lab.dump()
    for host in HOSTS:
        assert sorted(r["name"] for r in owned(after[host], group)) == sorted(
            r["name"] for r in rules
        )
    assert not_owned(after, group) == not_owned(before, group)

    second = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert second.rc == 0, second.stdout + second.stderr
    assert second.statuses(TASK) == dict.fromkeys(HOSTS, "ok")
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, ["read"])
    assert lab.dump() == after


def test_check_mode_reports_changes_and_applies_nothing(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    group = "ocs.firewall - check"
    rules = forty_rules()[:5]
    before = lab.dump()

    result = apply(run_playbook, lab, {"group": group, "rules": rules}, "--check", "--diff")

    assert result.rc == 0, result.stdout + result.stderr
    assert result.statuses(TASK) == dict.fromkeys(HOSTS, "changed")
    for outcome in result.results(TASK).values():
        assert sorted(outcome["result"]["added"]) == sorted(r["name"] for r in rules)
    assert lab.dump() == before
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, ["read"])
    # --diff shows the rules that would be created, with their values.
    for rule in rules:
        assert rule["name"] in result.stdout
    assert "49152-65535" in result.stdout


def test_purge_removes_only_owned_rules(lab: Lab, run_playbook: Callable[..., PlaybookRun]) -> None:
    group = "ocs.firewall - purge"
    rules = forty_rules()[:3]
    assert apply(run_playbook, lab, {"group": group, "rules": rules}).rc == 0
    before = lab.dump()

    result = apply(run_playbook, lab, {"group": group, "rules": rules[1:2]})

    assert result.rc == 0, result.stdout + result.stderr
    for outcome in result.results(TASK).values():
        assert sorted(outcome["result"]["removed"]) == sorted([rules[0]["name"], rules[2]["name"]])
    after = lab.dump()
    for host in HOSTS:
        assert [r["name"] for r in owned(after[host], group)] == [rules[1]["name"]]
    assert not_owned(after, group) == not_owned(before, group)
    # The foreign rules named like the purged SHARED_NAME are all still there.
    for host in HOSTS:
        foreign = [
            r
            for r in after[host]["rules"]
            if r["name"] == SHARED_NAME and not r["grouping"].startswith("ocs.firewall")
        ]
        assert [r["grouping"] for r in foreign] == ["Office Communications Server 2007 R2", ""]

    gone = apply(run_playbook, lab, {"group": group, "state": "absent"})

    assert gone.rc == 0, gone.stdout + gone.stderr
    assert gone.statuses(TASK) == dict.fromkeys(HOSTS, "changed")
    final = lab.dump()
    assert all(owned(final[h], group) == [] for h in HOSTS)
    assert not_owned(final, group) == not_owned(before, group)


HOSTILE = [
    {"name": "quote ' and \" both", "description": 'it\'s "quoted"'},
    {"name": "subexpr $(Remove-Item C:\\ -Recurse) $env:PATH", "description": "$(whoami)"},
    {"name": "backtick `n `0 `$x", "description": "tick`"},
    {"name": "semi; exit 1; #", "description": "a;b"},
    {"name": "new\nline", "description": "line1\r\nline2\n"},
    {"name": "percent %PATH% %%", "description": "100%"},
    {"name": "Ünïcödé → 東京 ✓", "description": "ñ €"},
    # NUL is refused (Windows would cut the text there: test_platform.py); other control
    # characters are data like any other.
    {"name": "tab\there\x01ctrl\x7f?", "description": "\t"},
    {"name": "L" * 255, "description": "D" * 1000},
]


def test_hostile_names_and_descriptions_are_stored_verbatim(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    group = "ocs.firewall - hostile ' $(x) `"
    rules = [dict(r, local_ports=7000 + i) for i, r in enumerate(HOSTILE)]
    before = lab.dump()

    result = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert result.rc == 0, result.stdout + result.stderr
    after = lab.dump()
    for host in HOSTS:
        stored = sorted((r["name"], r["description"]) for r in owned(after[host], group))
        # Verbatim, then the ownership marker.
        assert stored == sorted((r["name"], f"{r['description']} [ocs.firewall]") for r in rules)
    assert not_owned(after, group) == not_owned(before, group)

    again = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert again.statuses(TASK) == dict.fromkeys(HOSTS, "ok")


def test_failure_mid_apply_is_reported_and_the_next_run_converges(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    group = "ocs.firewall - fault"
    rules = forty_rules()[:10]
    # Command 1 is the read, command 2 the apply: it fails after half of its lines.
    lab.fault("basic01", fail_command=2)

    failed = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert failed.rc != 0
    statuses = failed.statuses(TASK)
    assert statuses == {"basic01": "failed", "ntlm01": "changed", "https01": "changed"}
    message = failed.results(TASK)["basic01"]["result"]["msg"]
    assert "access denied (HRESULT 0x80070005)" in message
    partial = owned(lab.dump()["basic01"], group)
    assert 0 < len(partial) < len(rules)

    again = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert again.rc == 0, again.stdout + again.stderr
    assert again.statuses(TASK) == {"basic01": "changed", "ntlm01": "ok", "https01": "ok"}
    dump = lab.dump()
    for host in HOSTS:
        names = [r["name"] for r in owned(dump[host], group)]
        assert sorted(names) == sorted(r["name"] for r in rules), host  # no duplicates

    third = apply(run_playbook, lab, {"group": group, "rules": rules})

    assert third.statuses(TASK) == dict.fromkeys(HOSTS, "ok")


def test_bad_rule_fails_before_any_host_is_touched(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    result = apply(
        run_playbook,
        lab,
        {"group": "ocs.firewall - bad", "rules": [{"name": "bad port", "local_ports": 70000}]},
    )

    assert result.rc != 0
    assert result.statuses(TASK) == dict.fromkeys(HOSTS, "failed")
    for outcome in result.results(TASK).values():
        assert "70000" in outcome["result"]["msg"]
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, [])


def test_leftover_of_an_interrupted_removal_is_removed_even_without_purge(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    rules = forty_rules()[2:3]
    before = lab.dump()
    assert all(TOMBSTONE in [r["name"] for r in owned(before[h], TOMBSTONE_GROUP)] for h in HOSTS)

    result = apply(run_playbook, lab, {"group": TOMBSTONE_GROUP, "rules": rules, "purge": False})

    assert result.rc == 0, result.stdout + result.stderr
    for outcome in result.results(TASK).values():
        assert outcome["status"] == "changed"
        assert outcome["result"]["removed"] == [TOMBSTONE]
        assert outcome["result"]["added"] == [rules[0]["name"]]
    after = lab.dump()
    for host in HOSTS:
        names = [r["name"] for r in owned(after[host], TOMBSTONE_GROUP)]
        assert names == ["Hand-made, same group", rules[0]["name"]]
        hand_made = [r for r in before[host]["rules"] if r["name"] == "Hand-made, same group"]
        assert [r for r in after[host]["rules"] if r["name"] == "Hand-made, same group"] == (
            hand_made
        )
    assert not_owned(after, TOMBSTONE_GROUP) == not_owned(before, TOMBSTONE_GROUP)
    for outcome in result.results(TASK).values():
        assert [r["name"] for r in outcome["result"]["foreign"]] == ["Hand-made, same group"]

    again = apply(run_playbook, lab, {"group": TOMBSTONE_GROUP, "rules": rules, "purge": False})

    assert again.statuses(TASK) == dict.fromkeys(HOSTS, "ok")
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, ["read"])


def test_local_address_keyword_fails_before_any_host_is_touched(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    rule = {"name": "local keyword", "local_ports": 5061, "local_addresses": ["LocalSubnet"]}

    result = apply(run_playbook, lab, {"group": "ocs.firewall - bad", "rules": [rule]})

    assert result.rc != 0
    assert result.statuses(TASK) == dict.fromkeys(HOSTS, "failed")
    for outcome in result.results(TASK).values():
        assert "local_addresses: 'LocalSubnet' is a keyword" in outcome["result"]["msg"]
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, [])


def test_info_returns_rules_and_profiles_in_one_command(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    lab.reset_trace()
    dump = lab.dump()

    result = run_playbook("info.yml", lab, {})

    assert result.rc == 0, result.stdout + result.stderr
    assert ops(lab.trace()) == dict.fromkeys(HOSTS, ["read"])
    for host, outcome in result.results(INFO_TASK).items():
        info = outcome["result"]
        assert outcome["status"] == "ok"
        assert len(info["rules"]) == len(dump[host]["rules"])
        assert {r["name"] for r in info["rules"]} == {r["name"] for r in dump[host]["rules"]}
        assert set(info["profiles"]) == {"domain", "private", "public"}
        assert info["profiles"]["domain"]["default_inbound_action"] == "block"


def test_host_errors_and_refused_credentials_are_reported(
    lab: Lab, run_playbook: Callable[..., PlaybookRun]
) -> None:
    lab.fault("https01", stop_firewall=True)
    lab.fault("ntlm01", refuse_auth=True)
    try:
        result = run_playbook("info.yml", lab, {})
    finally:
        lab.clear_faults("https01", "ntlm01")

    assert result.rc != 0
    outcomes = result.results(INFO_TASK)
    assert outcomes["basic01"]["status"] == "ok"
    assert outcomes["https01"]["status"] == "failed"
    assert "MpsSvc" in outcomes["https01"]["result"]["msg"]
    assert outcomes["ntlm01"]["status"] == "unreachable"
    assert "credentials were rejected" in outcomes["ntlm01"]["result"]["msg"]
