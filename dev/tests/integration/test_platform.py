"""What a real Windows Server 2008 / 2008 R2 host refuses, the lab refuses, and the task
says what to do, with nothing lost.

Each lab host plays one Windows: 2008 (6.0) without the DNS/DHCP/WINS/DefaultGateway
address keywords, 2008 without WMF 2.0 (PowerShell 1.0), an HTTPS listener with only
TLS 1.0 (2008 R2 as it ships), and WinRM 2.0's MaxEnvelopeSizekb of 150 on every host.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab, write_inventory
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform

TASK = "Firewall rules"
REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"
INVENTORY = {
    "all": {
        "hosts": {
            "r2": {"ocs_lab_transport": "basic"},
            "w2008": {"ocs_lab_transport": "ntlm", "ocs_lab_os": "6.0"},
            "w2008ps1": {"ocs_lab_os": "6.0", "ocs_lab_powershell": "1.0"},
            "tls10": {"ocs_lab_transport": "https", "ocs_lab_tls": "1.0"},
        }
    }
}

Run = Callable[..., PlaybookRun]


@pytest.fixture(scope="module")
def lab(start_lab: Callable[..., Lab]) -> Lab:
    return start_lab(INVENTORY, "basic")


def _ops(lab: Lab) -> dict[str, list[str]]:
    return {host: [e["op"] for e in entries] for host, entries in lab.trace().items()}


def _apply(run_playbook: Run, lab: Lab, variables: dict[str, Any], *options: str) -> PlaybookRun:
    lab.reset_trace()
    return run_playbook("rules.yml", lab, variables, *options)


def _many_rules(count: int, description: str = "") -> list[dict[str, Any]]:
    return [
        {"name": f"bulk {n:04d}", "local_ports": 20000 + n, "description": description}
        for n in range(count)
    ]


def test_an_address_keyword_on_2008_is_refused_before_any_change(
    lab: Lab, run_playbook: Run
) -> None:
    rule = {"name": "SQL from DNS", "local_ports": 1433, "remote_addresses": ["DNS", "10.0.0.0/8"]}
    before = lab.dump()

    run = _apply(
        run_playbook, lab, {"group": "platform - keyword", "rules": [rule]}, "--limit", "r2,w2008"
    )

    assert run.statuses(TASK) == {"r2": "changed", "w2008": "failed"}
    message = run.results(TASK)["w2008"]["result"]["msg"]
    for text in ("w2008", "SQL from DNS", "DNS", "Windows Server 2008 (6.0.6002.131072)"):
        assert text in message
    # 2008 was read (that is how the controller learns its version) and never changed.
    assert _ops(lab)["w2008"] == ["read"]
    assert lab.dump()["w2008"] == before["w2008"]


def test_the_lab_itself_refuses_a_keyword_on_2008() -> None:
    """The second opinion: the simulated 2008 refuses what the controller refuses."""
    from ocs_lab import firewall
    from ocs_lab.seed import initial_state

    request = (
        "OCSFW2\nOP\tapply\nMARKER\tW29jcy5maXJld2FsbA==\nGROUP\tZw==\n"
        "ADD\tYQ==\tYSBbb2NzLmZpcmV3YWxsXQ==\t1\t1\t6\tNTA2MQ==\t\t\tRE5T\t7\t1\nEND\n"
    )
    state = initial_state([])
    outcome = firewall.run(state, request, os_version="6.0")
    assert outcome.rc == 2
    assert 'Exception setting "RemoteAddresses"' in outcome.error
    assert firewall.run(state, request, os_version="6.1").rc == 0


def test_powershell_1_gets_the_wmf_2_message(lab: Lab, run_playbook: Run) -> None:
    run = _apply(
        run_playbook,
        lab,
        {"group": "platform - ps1", "rules": _many_rules(1)},
        "--limit",
        "w2008ps1",
    )

    assert run.statuses(TASK) == {"w2008ps1": "failed"}
    message = run.results(TASK)["w2008ps1"]["result"]["msg"]
    assert "PowerShell 1.0" in message and "KB968930" in message


def test_tls_1_0_only_https_names_the_fix(lab: Lab, run_playbook: Run) -> None:
    run = _apply(
        run_playbook, lab, {"group": "platform - tls", "rules": _many_rules(1)}, "--limit", "tls10"
    )

    assert run.statuses(TASK) == {"tls10": "unreachable"}
    message = run.results(TASK)["tls10"]["result"]["msg"]
    assert "TLS 1.2" in message
    assert "5985 with message encryption" in message
    assert _ops(lab)["tls10"] == []


def test_large_requests_are_split_under_max_envelope_size(lab: Lab, run_playbook: Run) -> None:
    group = "platform - bulk"
    rules = _many_rules(400, "x" * 300)
    budget = _platform.stdin_budget(_platform.DEFAULT_MAX_ENVELOPE_KB)

    run = _apply(run_playbook, lab, {"group": group, "rules": rules}, "--limit", "r2")

    assert run.statuses(TASK) == {"r2": "changed"}, run.stdout[-2000:]
    trace = lab.trace()["r2"]
    applies = [e for e in trace if e["op"] == "apply"]
    assert len(applies) >= 2
    assert all(e["stdin_bytes"] <= budget for e in trace)
    stored = [r["name"] for r in lab.dump()["r2"]["rules"] if r["grouping"] == group]
    assert sorted(stored) == sorted(r["name"] for r in rules)

    again = _apply(run_playbook, lab, {"group": group, "rules": rules}, "--limit", "r2")
    assert again.statuses(TASK) == {"r2": "ok"}


def test_an_oversized_envelope_is_refused_by_the_lab_and_nothing_is_lost(
    lab: Lab, run_playbook: Run
) -> None:
    group = "platform - oversized"
    rules = _many_rules(400, "y" * 300)
    before = lab.dump()["r2"]

    run = _apply(
        run_playbook,
        lab,
        {"group": group, "rules": rules, "ocs_firewall_winrm_max_envelope_kb": 1000},
        "--limit",
        "r2",
    )

    assert run.statuses(TASK) == {"r2": "failed"}
    result = run.results(TASK)["r2"]["result"]
    assert result["changed"] is False
    assert "ocs_firewall_winrm_max_envelope_kb" in result["msg"] and "1000" in result["msg"]
    assert [e["op"] for e in lab.trace()["r2"]] == ["read", "refused-envelope"]
    assert lab.dump()["r2"] == before


def test_a_rule_too_large_for_one_message_is_refused_before_the_host_is_contacted(
    lab: Lab, run_playbook: Run
) -> None:
    # 8,000 remote addresses no two of which merge: over 150 KB once sent.
    remote = [f"10.0.{n // 128}.{n % 128 * 2}" for n in range(8000)]
    rules = [{"name": "huge", "local_ports": 1000, "remote_addresses": remote}]

    run = _apply(run_playbook, lab, {"group": "platform - huge", "rules": rules}, "--limit", "r2")

    assert run.statuses(TASK) == {"r2": "failed"}
    message = run.results(TASK)["r2"]["result"]["msg"]
    assert "'huge'" in message and "150 KB" in message
    assert _ops(lab)["r2"] == []


def test_a_description_windows_would_refuse_is_refused_before_the_host_is_contacted(
    lab: Lab, run_playbook: Run
) -> None:
    # 9,986 characters and the marker " [ocs.firewall]": 10,001, one over what Windows stores.
    rules = [{"name": "long", "local_ports": 1000, "description": "z" * 9_986}]

    run = _apply(run_playbook, lab, {"group": "platform - long", "rules": rules}, "--limit", "r2")

    assert run.statuses(TASK) == {"r2": "failed"}
    message = run.results(TASK)["r2"]["result"]["msg"]
    assert "rules[0] ('long').description:" in message
    assert "is 9,986 characters long, 10,001 with the '[ocs.firewall]'" in message
    assert _ops(lab)["r2"] == []


def test_nul_in_a_name_is_refused_before_the_host_is_contacted(lab: Lab, run_playbook: Run) -> None:
    rules = [{"name": "tab\there\0nul", "local_ports": 1000}]

    run = _apply(run_playbook, lab, {"group": "platform - nul", "rules": rules}, "--limit", "r2")

    assert run.statuses(TASK) == {"r2": "failed"}
    message = run.results(TASK)["r2"]["result"]["msg"]
    assert "NUL" in message and "tab\\there\\x00nul" in message
    assert _ops(lab)["r2"] == []


@pytest.mark.parametrize("hresult", ["0x800706D9", "0x8007042C"])
def test_both_stopped_service_hresults_name_the_service(
    lab: Lab, run_playbook: Run, hresult: str
) -> None:
    lab.fault("r2", stop_firewall=hresult)
    try:
        run = _apply(
            run_playbook,
            lab,
            {"group": "platform - stopped", "rules": _many_rules(1)},
            "--limit",
            "r2",
        )
    finally:
        lab.clear_faults("r2")

    message = run.results(TASK)["r2"]["result"]["msg"]
    assert "MpsSvc" in message and hresult in message and "sc.exe start MpsSvc" in message


def test_psrp_is_refused_before_anything_is_sent(
    lab: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    inventory = yaml.safe_load(lab.inventory.read_text(encoding="utf-8"))
    inventory["all"]["hosts"]["r2"]["ansible_connection"] = "psrp"
    psrp_lab = dataclasses.replace(lab, inventory=write_inventory(tmp_path / "psrp.yml", inventory))

    run = _apply(
        run_playbook,
        psrp_lab,
        {"group": "platform - psrp", "rules": _many_rules(1)},
        "--limit",
        "r2",
    )

    assert run.statuses(TASK) == {"r2": "failed"}
    message = run.results(TASK)["r2"]["result"]["msg"]
    assert "psrp is not supported" in message and "ansible_connection: winrm" in message
    assert _ops(lab)["r2"] == []


def test_the_example_estate_sends_requests_far_below_the_envelope_limit(
    start_lab: Callable[..., Lab], run_playbook: Run, record_property: Callable[..., None]
) -> None:
    """The largest request of a cold converge of the example estate, against 150 KB."""
    inventory = yaml.safe_load((REPO / "examples" / "inventory.yml").read_text(encoding="utf-8"))
    estate = start_lab(inventory, "basic")
    estate.reset_trace()

    run = run_playbook(SITE, estate)

    assert run.rc == 0, run.stdout[-2000:]
    largest = max(e["stdin_bytes"] for entries in estate.trace().values() for e in entries)
    fixed = len(_client.script_text()) + 4
    budget = _platform.stdin_budget(_platform.DEFAULT_MAX_ENVELOPE_KB)
    record_property("largest_stdin_bytes", largest)
    print(
        json.dumps(
            {
                "largest_stdin_bytes": largest,
                "largest_request_bytes": largest - fixed,
                "largest_envelope_bytes_estimate": largest * 4 // 3 + _platform.ENVELOPE_OVERHEAD,
                "limit_bytes": 150 * 1024,
            }
        )
    )
    assert largest <= budget
    # One apply per host: nothing was split.
    assert all(
        [e["op"] for e in entries] == ["read", "apply"] for entries in estate.trace().values()
    )
