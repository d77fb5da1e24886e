"""The real-host acceptance kit: a record of what Windows stored, against the lab.

``scripts/acceptance.py`` takes the record ``molecule/default/verify.yml`` writes (on lab
hosts in ``make molecule``, on real ones in ``make molecule-windows``) and lists every
property where the lab would store something other than the host did. These tests show
that it finds nothing on what the lab itself stored, and that it does find a difference
where Windows stored something else. ``make molecule`` and ``make molecule-windows`` run
it on the records they write; ``make acceptance`` on the real-host records kept in
``tests/data/acceptance/``.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from checkout import REPO
from harness import load_script
from ocs_lab import firewall
from ocs_lab.seed import initial_state

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert, _wire

RULES = [
    {"name": "one address", "local_ports": 5061, "remote_addresses": ["10.0.0.1"]},
    {
        "name": "network",
        "protocol": "udp",
        "local_ports": "3478",
        "remote_addresses": "10.0.0.0/24",
    },
    {
        "name": "v6 and keyword",
        "local_ports": [443, "8057"],
        "remote_addresses": ["fe80::1", "LocalSubnet"],
    },
    {"name": "outbound", "direction": "out", "remote_ports": "5060-5061", "profiles": ["domain"]},
]


def _acceptance() -> Any:
    return load_script("acceptance", REPO / "scripts" / "acceptance.py")


def _lab_record(os_version: str = "6.1") -> dict[str, Any]:
    """A record as verify.yml writes it, from rules the lab stored for the controller."""
    desired = [
        dataclasses.replace(r, description="[ocs.firewall]") for r in _rules.normalise_rules(RULES)
    ]
    state = initial_state([])
    section = _wire.Section("acceptance", (), tuple(_convert.to_windows(r) for r in desired))
    assert (
        firewall.run(
            state, _wire.encode_apply([section], "[ocs.firewall"), os_version=os_version
        ).rc
        == 0
    )
    reply = _wire.decode_reply(
        firewall.run(state, _wire.encode_read(["acceptance"]), os_version=os_version).stdout
    )
    rules = []
    for record in reply.rules:
        host_rule = _convert.host_rule(record)
        rules.append({**host_rule.to_dict(), "owned": True, "stored": dict(host_rule.stored)})
    assert reply.host is not None
    host = {
        "os_version": reply.host.os_version,
        "powershell_version": reply.host.powershell_version,
    }
    return {"scenario": "unit", "hosts": {"lab01": {"host": host, "rules": rules}}}


@pytest.mark.parametrize("os_version", ["6.0", "6.1"])
def test_a_record_of_what_the_lab_stored_shows_no_difference(os_version: str) -> None:
    record = _lab_record(os_version)
    assert len(record["hosts"]["lab01"]["rules"]) == len(RULES)
    assert _acceptance().differences(record) == []


@pytest.mark.parametrize(
    ("field", "stored", "named"),
    [
        # Had Windows kept a single address without its mask, the lab would be wrong.
        ("remote_addresses", "10.0.0.1", "'10.0.0.1/255.255.255.255'"),
        # Had Windows kept "all profiles" as 7 rather than NET_FW_PROFILE2_ALL.
        ("profiles", 7, "2147483647"),
    ],
)
def test_a_record_where_windows_stored_otherwise_is_a_difference(
    field: str, stored: Any, named: str
) -> None:
    record = _lab_record()
    rules = record["hosts"]["lab01"]["rules"]
    target = next(r for r in rules if r["name"] == "one address")
    target["stored"][field] = stored

    found = _acceptance().differences(copy.deepcopy(record))

    assert len(found) == 1
    assert "lab01" in found[0] and "'one address'" in found[0] and field in found[0]
    assert named in found[0]


def test_the_molecule_record_carries_what_the_comparison_needs() -> None:
    """verify.yml writes each host's versions and every rule with its stored properties."""
    text = (REPO / "molecule" / "default" / "verify.yml").read_text(encoding="utf-8")
    assert "stored: true" in text and "owned: true" in text
    assert "'host': info.host, 'rules': info.rules" in text
