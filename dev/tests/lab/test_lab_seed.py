"""The firewall a fresh lab host starts with: the data file ``seed_rules.json`` and its loader.

The rules were Python literals until they became data; the first test pins the loaded
store to the one the literals built, so that move changed no rule, no value and no order.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from ocs_lab import firewall, seed
from ocs_lab.seed import initial_state

# sha256 of json.dumps(initial_state([]), ensure_ascii=False) as the Python literals of
# seed.py built it before the rules moved to seed_rules.json (39 rules, profiles first),
# with one change made since, on purpose: the Windows Remote Management and WMI rules in
# Windows' own groups, @FirewallAPI.dll,-30267 and -34251 (they had -34251 and -34601).
STORE_BEFORE_THE_DATA_FILE = "1439806f9fd8e76a4dbca20ed73a314ca409d67b50ab2da468c4922a029927c1"


def _digest(store: dict) -> str:
    return hashlib.sha256(json.dumps(store, ensure_ascii=False).encode("utf-8")).hexdigest()


def test_the_loaded_store_is_the_one_the_code_built() -> None:
    store = initial_state([])
    names = [rule["name"] for rule in store["rules"]]
    assert len(names) == 39, names
    assert names[0] == "Core Networking - Destination Unreachable (ICMPv6-In)"
    assert names[-1] == "Block telnet"
    assert _digest(store) == STORE_BEFORE_THE_DATA_FILE, json.dumps(store, indent=1)


def test_every_call_builds_new_rules() -> None:
    first = initial_state()
    first["rules"][0]["name"] = "changed"
    first["profiles"]["1"]["enabled"] = 0
    second = initial_state()
    assert second["rules"][0]["name"] != "changed"
    assert second["profiles"]["1"]["enabled"] == 1


def test_every_rule_has_every_property_in_windows_order() -> None:
    for rule in initial_state()["rules"]:
        assert tuple(rule) == firewall.RULE_KEYS, rule["name"]


def test_seed_values_are_already_in_the_form_windows_stores() -> None:
    # The data file holds what INetFwRule reads back, so the lab's own canonical form of
    # each value is the value itself.
    for rule in initial_state()["rules"]:
        protocol = rule["protocol"]
        canonical = {
            "local_ports": firewall.canonical_ports(rule["local_ports"], protocol, True),
            "remote_ports": firewall.canonical_ports(rule["remote_ports"], protocol, False),
            "local_addresses": firewall.canonical_addresses(rule["local_addresses"], True),
            "remote_addresses": firewall.canonical_addresses(rule["remote_addresses"]),
            "profiles": firewall.canonical_profiles(rule["profiles"]),
        }
        assert canonical == {key: rule[key] for key in canonical}, rule["name"]
        assert rule["enabled"] in (0, 1) and rule["direction"] in (1, 2), rule["name"]


def test_the_group_constants_are_the_data_files_groupings() -> None:
    groupings = [rule["grouping"] for rule in initial_state()["rules"]]
    for constant in (
        seed.CORE,
        seed.REMOTE_DESKTOP,
        seed.FILE_PRINTER,
        seed.WINRM,
        seed.REMOTE_ADMIN,
        seed.WMI,
        seed.EVENT_LOG,
        seed.NETWORK_DISCOVERY,
        seed.OCS_GROUP,
    ):
        assert constant in groupings
    assert seed.REMOTE_DESKTOP == "@FirewallAPI.dll,-28752"
    assert seed.OCS_GROUP == "Office Communications Server 2007 R2"


def test_a_rule_of_the_data_file_with_an_unknown_property_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.loads(seed.DATA_FILE.read_text(encoding="utf-8"))
    data["sets"]["admin"]["groups"][0]["rules"][0]["colour"] = "blue"
    path = tmp_path / "seed_rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(seed, "_SETS", seed._load_sets(path))
    with pytest.raises(ValueError, match="colour"):
        seed.admin_rules()
