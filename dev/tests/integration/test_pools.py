"""Two pools on lab hosts: least privilege stays right across them.

The example estate (the head office Enterprise pool fe01, fe02 with its back end sql01; the
Standard Edition server se01, a pool of its own) plus a branch Standard Edition server,
br01 (192.168.50.10), in its own pool. After site.yml, as the hosts' firewalls hold it:
the head office back end admits the head office Front End Servers only; the branch's
pool-internal ports admit the branch alone and not the head office load balancer; the
head office's admit neither branch; SIP between pools is open both ways. The port matrix
lists the head office pool alone behind its virtual IP.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness.lab import Lab
from harness.playbook import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
SITE = str(REPO / "playbooks" / "site.yml")
MATRIX = str(REPO / "playbooks" / "port_matrix.yml")
EXAMPLE = REPO / "examples" / "inventory.yml"
BRANCH = "br01.ocs.example"
BRANCH_IP = "192.168.50.10"
HEAD_OFFICE_LB = "10.10.0.9"
HEAD_OFFICE_FE = ("10.10.0.11", "10.10.0.12")

Run = Callable[..., PlaybookRun]


def _estate() -> dict[str, Any]:
    inventory: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    children = inventory["all"]["children"]
    children["ocs_servers"]["hosts"][BRANCH] = {
        "ocs_firewall_address": BRANCH_IP,
        "ocs_pool": "br01",
    }
    for group in ("ocs_front_end", "ocs_av_conferencing", "ocs_web_conferencing"):
        children[group]["hosts"][BRANCH] = None
    children["ocs_web_components"]["hosts"][BRANCH] = None
    return inventory


def _remote(lab: Lab, host: str, name: str) -> list[str]:
    """The remote addresses of the host's rule ``name``, as the firewall holds them."""
    (rule,) = [r for r in lab.dump(host)[host]["rules"] if r["name"] == name]
    return str(rule["remote_addresses"]).split(",")


def _covers(addresses: list[str], ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    for item in addresses:
        if "-" in item:
            low, high = (ipaddress.ip_address(a) for a in item.split("-"))
            if low <= address <= high:
                return True
        elif address in ipaddress.ip_network(item.replace("/255.255.255.255", "/32"), strict=False):
            return True
    return False


@pytest.fixture(scope="module")
def pools(start_lab: Callable[..., Lab], run_playbook: Run) -> Lab:
    lab = start_lab(_estate(), "basic", name="pools")
    run = run_playbook(SITE, lab)
    assert run.rc == 0, run.stdout[-3000:]
    return lab


def test_the_back_end_admits_its_own_pool_only(pools: Lab) -> None:
    sql = _remote(
        pools, "sql01.ocs.example", "OCS SQL Back End 1433/TCP In (extra-sql-backend-1433)"
    )
    assert all(_covers(sql, ip) for ip in HEAD_OFFICE_FE)
    assert not _covers(sql, BRANCH_IP) and not _covers(sql, "10.10.0.13")
    print(f"\nsql01 1433/TCP admits {sql}")


@pytest.mark.parametrize(
    "rule",
    [
        "OCS Front End 135/TCP In (seed-05)",
        "OCS Front End 5062/TCP In (seed-06)",
        "OCS Front End 5063/TCP In (seed-07)",
        "OCS Front End 5064/TCP In (seed-08)",
        "OCS Front End 8404/TCP In (seed-15)",
        "OCS Front End 444/TCP In (seed-03)",
    ],
)
def test_the_branchs_pool_ports_are_its_own(pools: Lab, rule: str) -> None:
    branch = _remote(pools, BRANCH, rule)
    assert _covers(branch, BRANCH_IP)
    assert not _covers(branch, HEAD_OFFICE_LB), f"{rule} admits the head office load balancer"
    assert not any(_covers(branch, ip) for ip in HEAD_OFFICE_FE)
    head_office = _remote(pools, "fe01.ocs.example", rule)
    assert not _covers(head_office, BRANCH_IP) and not _covers(head_office, "10.10.0.13")
    print(f"\n{rule}: br01 admits {branch}; fe01 admits {head_office}")


def test_sip_between_pools_stays_open(pools: Lab) -> None:
    name = "OCS Front End 5060-5061/TCP In (seed-01)"
    assert _covers(_remote(pools, BRANCH, name), HEAD_OFFICE_FE[0])
    assert _covers(_remote(pools, "fe01.ocs.example", name), BRANCH_IP)


def test_the_port_matrix_puts_only_the_head_office_behind_its_vip(
    pools: Lab, run_playbook: Run, tmp_path: Path
) -> None:
    run = run_playbook(MATRIX, pools, {"ocs_firewall_report_dir": str(tmp_path)})
    assert run.rc == 0, run.stdout[-3000:]
    csv = (tmp_path / "port-matrix-load-balancers.csv").read_text(encoding="utf-8")
    front = [line for line in csv.splitlines() if line.startswith("Load Balancer for Front End")]
    assert front and all(",head_office,10.10.0.10," in line for line in front)
    assert BRANCH not in csv and "se01.ocs.example" not in csv
    print("\n" + "\n".join(front[:2]))
