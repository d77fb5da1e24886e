"""A wrong variable stops playbooks/site.yml in its preflight task, before any host.

These run ansible-playbook on examples/inventory.yml as it stands: its hosts have no
connection variables and do not exist, so any attempt to reach one would show as
UNREACHABLE. A passing preflight therefore also shows that the checks need no host.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from checkout import REPO

PLAYBOOK = str(REPO / "playbooks" / "site.yml")
INVENTORY = str(REPO / "examples" / "inventory.yml")
# The header of the task that contacts the hosts (roles/server).
APPLY_TASK = "Windows Firewall rules of every OCS component of the host"


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
    # Stopped by the server role's argument spec or its preflight task: the apply task
    # never started, no host was contacted.
    assert APPLY_TASK not in output
    assert "UNREACHABLE" not in output
    assert "win_firewall_rules" not in output


def test_every_bad_host_is_reported_in_one_run(collections_root: Path) -> None:
    extra_vars = {"ocs_edge_internal_addresses": ["10.10.1.300"], "ocs_mediation_state": "gone"}
    limit = "edge01.ocs.example,med01.ocs.example,fe01.ocs.example"
    result = run_site(collections_root, "-e", json.dumps(extra_vars), "--limit", limit)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Each cause once: the extra vars are every host's, and the Edge's bad address says
    # how many rules of its peer fe01 need it. Each host fails on its own, none contacted.
    assert "2 problems, no host was contacted:\n" in output
    assert (
        '- every host of the play (3): ocs_edge_internal_addresses: "10.10.1.300" is not a '
        "valid local address"
    ) in output
    assert re.search(r"\(\d+ rules on 1 host need this address\)", output)
    assert '- every host of the play (3): ocs_mediation_state: "gone" is not a state' in output
    for host in limit.split(","):
        assert re.search(rf"^{re.escape(host)} +: ok=\d+ .* failed=1 ", output, re.MULTILINE)
    assert APPLY_TASK not in output
    assert "UNREACHABLE" not in output


def test_good_variables_pass_preflight_without_contacting_a_host(collections_root: Path) -> None:
    # -v shows the preflight result: the components it found for every host of the play.
    result = run_site(collections_root, "--tags", "preflight", "-v")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "UNREACHABLE" not in output
    assert APPLY_TASK not in output
    # Every host of the example estate went through the checks, in one task run once.
    found = re.search(r'"components": (\{[^}]*\})', output)
    assert found, output
    components = json.loads(found.group(1))
    assert components["se01.ocs.example"] == [
        "front_end",
        "mediation",
        "av_conferencing",
        "web_conferencing",
        "web_components",
    ]
    assert components["edge01.ocs.example"] == ["edge"]
    assert len(components) == 12
