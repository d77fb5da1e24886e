"""A wrong role variable stops playbooks/site.yml in its preflight play, before any host.

These run ansible-playbook on examples/inventory.yml as it stands: its hosts have no
connection variables and do not exist, so any attempt to reach one would show as
UNREACHABLE. A passing preflight therefore also shows that the checks need no host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = str(REPO / "playbooks" / "site.yml")
INVENTORY = str(REPO / "examples" / "inventory.yml")


def run_site(collections_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_root),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        # Fail fast instead of waiting for DNS if something did try to connect.
        ANSIBLE_TIMEOUT="2",
    )
    playbook_cli = Path(sys.executable).parent / "ansible-playbook"
    return subprocess.run(
        [str(playbook_cli), "-i", INVENTORY, PLAYBOOK, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("extra_vars", "expected"),
    [
        pytest.param(
            {"ocs_edge_internal_addresses": ["10.10.1.300"]},
            'ocs_edge_internal_addresses: "10.10.1.300" is not a valid local address',
            id="bad-edge-address",
        ),
        pytest.param(
            {"ocs_sql_backend_remote_addresses": ["LocalSubnet", "10.0.0.0/33"]},
            'ocs_sql_backend_remote_addresses: "10.0.0.0/33" is not a valid address',
            id="bad-remote-network",
        ),
        pytest.param(
            {"ocs_edge_internal_addresses": ["LocalSubnet"]},
            'ocs_edge_internal_addresses: "LocalSubnet" is not a valid local address',
            id="keyword-as-local-address",
        ),
        pytest.param(
            {"ocs_edge_internal_addresses": ["192.0.2.10"]},
            "both hold",
            id="address-on-both-interfaces",
        ),
        pytest.param(
            {"ocs_mediation_state": "gone"},
            "ocs_mediation_state",
            id="unknown-state",
        ),
        pytest.param(
            {"ocs_firewall_profiles": ["domain", "work"]},
            "work",
            id="unknown-profile",
        ),
    ],
)
def test_bad_variable_stops_before_any_host(
    collections_root: Path, extra_vars: dict[str, object], expected: str
) -> None:
    # The host with the bad value and a Front End host that is fine: neither is touched.
    bad_host = {
        "ocs_sql": "sql01",
        "ocs_med": "med01",
    }.get(next(iter(extra_vars))[:7], "edge01")
    limit = f"{bad_host}.ocs.example,fe01.ocs.example"
    result = run_site(collections_root, "-e", json.dumps(extra_vars), "--limit", limit)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert expected in output, output
    # The value itself is named (the argument spec words it its own way).
    for value in extra_vars.values():
        shown = value if isinstance(value, str) else value[-1]
        assert str(shown) in output
    # Stopped in the preflight play: no component play started, no host was contacted.
    assert "PLAY [Front End Servers" not in output
    assert "UNREACHABLE" not in output
    assert "win_firewall_rules" not in output


def test_good_variables_pass_preflight_without_contacting_a_host(collections_root: Path) -> None:
    result = run_site(collections_root, "--tags", "preflight")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "UNREACHABLE" not in output
    # Every host of the example estate went through the checks.
    for host in ("fe01", "se01", "edge01", "med01", "sql01", "rp01"):
        assert f"{host}.ocs.example" in output
