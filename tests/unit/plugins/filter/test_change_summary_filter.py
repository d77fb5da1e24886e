"""The ocs.firewall.change_summary filter: the table playbooks/site.yml ends with."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ocs.firewall.plugins.filter.change_summary import (
    FilterModule,
    change_summary,
)

RESULT = {
    "changed": True,
    "summary": {"added": 0, "updated": 1, "removed": 0, "foreign": 0, "groups": {}},
}


def test_reads_each_hosts_registered_result_from_hostvars() -> None:
    hostvars: dict[str, Any] = {
        "fe01": {"ocs_firewall_result": RESULT, "other": 1},
        "fe02": {"other": 1},  # the apply never ran there
        "fe03": {"mine": {**RESULT, "changed": False}},
    }
    lines = change_summary(["fe02", "fe01"], hostvars, check_mode=True)
    assert [line.split()[-1] for line in lines[1:3]] == ["change", "result"]
    assert lines[1].startswith("fe01 ") and lines[2].startswith("fe02 ")
    assert lines[-1].endswith("1 would change, 1 no result")
    assert change_summary(["fe03"], hostvars, variable="mine")[1].endswith("in sync")


class HostVars:
    """Ansible's hostvars: ``raw_get`` gives a host's variables untemplated; indexing
    would template them (every value of every result, for each host)."""

    def __init__(self, variables: dict[str, dict[str, Any]]) -> None:
        self.variables = variables

    def raw_get(self, host: str) -> dict[str, Any]:
        return self.variables[host]

    def __getitem__(self, host: str) -> Any:
        raise AssertionError("templated every variable of " + host)


def test_reads_ansible_hostvars_untemplated() -> None:
    lines = change_summary(["fe01"], HostVars({"fe01": {"ocs_firewall_result": RESULT}}))
    assert lines[1].split()[-1] == "changed"


@pytest.mark.parametrize("hosts", ["fe01", {"fe01": 1}, 3])
def test_hosts_must_be_a_list(hosts: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="is not a list of hosts"):
        change_summary(hosts, {})


def test_is_registered() -> None:
    assert FilterModule().filters() == {"change_summary": change_summary}
