"""A host's plan costs the same in a small estate and a large one (ocs_firewall_scope:
inventory): the preflight works out each list of peers once for the estate, and a host's
task takes its rules' addresses from there, reading no other host's variables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from harness.estate import estate_inventory, generate_estate
from labhost import LabHost, run_action

from ansible_collections.ocs.firewall.plugins.action.preflight import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _scope


def play(hosts: int) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """``groups`` and plain ``hostvars`` of a generated estate scoped from the inventory."""
    inventory = estate_inventory(generate_estate(hosts), scope="inventory")
    estate_vars = inventory["all"]["vars"]
    groups: dict[str, list[str]] = {"all": [], "ocs_servers": []}
    hostvars: dict[str, dict[str, Any]] = {}
    for group, data in inventory["all"]["children"].items():
        groups[group] = list(data["hosts"])
        for host, own in data["hosts"].items():
            if host not in hostvars:
                hostvars[host] = {**estate_vars, "inventory_hostname": host, "group_names": []}
                groups["all"].append(host)
                groups["ocs_servers"].append(host)
            hostvars[host].update(own or {})
            hostvars[host]["group_names"].append(group)
    for variables in hostvars.values():
        variables["group_names"] = sorted([*variables["group_names"], "ocs_servers"])
    return groups, hostvars


class Counted(Mapping[str, Any]):
    """``hostvars`` that counts the reads of each host's variables."""

    def __init__(self, hostvars: dict[str, dict[str, Any]]) -> None:
        self._hostvars = hostvars
        self.reads: dict[str, int] = {}

    def __getitem__(self, host: str) -> Any:
        self.reads[host] = self.reads.get(host, 0) + 1
        return self._hostvars[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hostvars)

    def __len__(self) -> int:
        return len(self._hostvars)


def registered(groups: dict[str, list[str]], hostvars: Mapping[str, Any]) -> dict[str, Any]:
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.preflight",
        LabHost(),
        {"hosts": None, "stop_hosts_in": None},
        task_vars={
            "inventory_hostname": groups["all"][0],
            "groups": groups,
            "hostvars": hostvars,
            "ansible_play_hosts_all": list(groups["all"]),
        },
    )
    assert not result.get("failed") and result["problems"] == {}, result.get("msg")
    return result


@pytest.mark.parametrize("hosts", [60, 1200])
def test_a_hosts_plan_reads_no_other_hosts_variables_whatever_the_estates_size(
    hosts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups, plain = play(hosts)
    preflight = registered(groups, plain)
    assert preflight["peer_scopes"], "the preflight works the lists of peers out"
    front_end = groups["ocs_front_end"][1]  # the consolidated one: four components
    counted = Counted(plain)
    worked_out: list[tuple[str, ...]] = []
    real = _scope._peer_scope

    def spy(peers: tuple[str, ...], *args: Any) -> Any:
        worked_out.append(peers)
        return real(peers, *args)

    monkeypatch.setattr(_scope, "_peer_scope", spy)
    task_vars = {
        **plain[front_end],
        "groups": groups,
        "hostvars": counted,
        "ocs_firewall_preflight": preflight,
    }
    request = _host_request.task_request(task_vars, plain[front_end])
    assert counted.reads == {}
    assert worked_out == []
    # The same addresses as a plan that works everything out from the inventory.
    monkeypatch.setattr(_scope, "_peer_scope", real)
    unbooked = {**task_vars, "ocs_firewall_preflight": {}}
    alone = _host_request.task_request(unbooked, plain[front_end])
    assert request.remotes == alone.remotes
    assert len(request.remotes) == 4
    every_front_end = request.remotes["front_end"]["seed-01"]
    # The Front Ends' addresses in a row (10.10.0.1 on), merged in one range.
    assert every_front_end[0].startswith("10.10.0.1-")
