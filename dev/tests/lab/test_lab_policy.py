"""Group policy in the lab: the host variables, the profiles it gives, the read's records.

``ocs_lab_policy`` holds the DWORD values a GPO writes ([MS-GPFAS]); the read reports the
profiles as the firewall applies them (PROFILE, LEGACY) and the values the policy sets
(POLICY, LEGACYPOLICY, -1 where it sets none), with the current profiles and
``LocalPolicyModifyState`` (CURRENT). Requests are written here as protocol text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ocs_lab import api, firewall, inventory, legacy, policy, seed
from ocs_lab.state import LabError
from test_lab_cli import lab_cli
from test_lab_firewall import records

READ = "OCSFW2\nOP\tread\nEND\n"


def read_records(state: dict[str, Any], os_version: str = "6.1") -> list[list[str]]:
    outcome = firewall.run(state, READ, os_version=os_version)
    assert outcome.rc == 0
    return records(outcome.stdout)


def of_kind(recs: list[list[str]], kind: str) -> list[list[str]]:
    return [r[1:] for r in recs if r[0] == kind]


def state_2008(group_policy: dict[str, Any] | None = None, **settings: Any) -> dict[str, Any]:
    state = seed.initial_state()
    state["policy"] = group_policy or {}
    state.update(settings)
    return state


# --------------------------------------------------------------------------- 2008 read


def test_a_store_without_policy_reads_as_no_policy_on_the_domain_profile() -> None:
    # As the unit tests build stores, and as a lab started before policy existed wrote them.
    state = {"profiles": seed.default_profiles(), "rules": []}
    recs = read_records(state)
    assert of_kind(recs, "CURRENT") == [["1", "0"]]
    assert of_kind(recs, "POLICY") == [[t, "0", "-1", "-1", "-1", "-1"] for t in ("1", "2", "4")]


def test_policy_values_are_reported_as_set_and_the_profiles_as_applied() -> None:
    state = state_2008(
        {
            "1": {"EnableFirewall": 1, "DefaultInboundAction": 0, "AllowLocalPolicyMerge": 0},
            "4": {"EnableFirewall": 0, "DoNotAllowExceptions": 1},
        }
    )
    recs = read_records(state)
    assert of_kind(recs, "PROFILE") == [
        # DefaultInboundAction 0 is allow in the registry: inbound_action 1 (NET_FW_ACTION).
        ["1", "1", "1", "1"],
        ["2", "1", "0", "1"],
        # EnableFirewall 0 turns the public profile off.
        ["4", "0", "0", "1"],
    ]
    assert of_kind(recs, "POLICY") == [
        ["1", "0", "1", "0", "0", "-1"],
        ["2", "0", "-1", "-1", "-1", "-1"],
        ["4", "1", "0", "-1", "-1", "1"],
    ]
    # AllowLocalPolicyMerge 0 on the current (domain) profile: local changes do not count.
    assert of_kind(recs, "CURRENT") == [["1", "1"]]
    # The records come after the profiles, before the rules.
    kinds = [r[0] for r in recs]
    assert kinds[:8] == ["HOST"] + ["PROFILE"] * 3 + ["CURRENT"] + ["POLICY"] * 3


def test_a_block_inbound_default_from_policy_reads_as_block() -> None:
    state = state_2008({"2": {"DefaultInboundAction": 1}})
    state["profiles"]["2"]["inbound_action"] = 1
    assert policy.effective_profile(state, 2)["inbound_action"] == policy.BLOCK
    assert of_kind(read_records(state), "PROFILE")[1] == ["2", "1", "0", "1"]


@pytest.mark.parametrize(
    ("local", "set_by_policy", "effective"),
    [
        (0, None, 0),
        (1, None, 1),
        (0, 1, 1),
        # "On" wins ([MS-FASP] 2.2.38, FW_PROFILE_CONFIG_SHIELDED): a policy 0 leaves a
        # local "Block all incoming connections" on.
        (1, 0, 1),
        (0, 0, 0),
    ],
)
def test_block_all_inbound_is_on_when_either_side_turns_it_on(
    local: int, set_by_policy: int | None, effective: int
) -> None:
    values = {} if set_by_policy is None else {"DoNotAllowExceptions": set_by_policy}
    state = state_2008({"1": values} if values else {})
    state["profiles"]["1"]["block_all_inbound"] = local
    assert policy.effective_profile(state, 1)["block_all_inbound"] == effective
    assert of_kind(read_records(state), "POLICY")[0][1] == str(effective)


@pytest.mark.parametrize(
    ("current", "group_policy", "blocked", "modify_state"),
    [
        (1, {}, 0, policy.MODIFY_STATE_OK),
        (1, {"1": {"AllowLocalPolicyMerge": 1}}, 0, policy.MODIFY_STATE_OK),
        (1, {"1": {"DoNotAllowExceptions": 1}}, 0, policy.MODIFY_STATE_INBOUND_BLOCKED),
        (1, {}, 1, policy.MODIFY_STATE_INBOUND_BLOCKED),
        # GP_OVERRIDE comes before INBOUND_BLOCKED.
        (
            1,
            {"1": {"AllowLocalPolicyMerge": 0, "DoNotAllowExceptions": 1}},
            0,
            policy.MODIFY_STATE_GP_OVERRIDE,
        ),
        # Only the current profiles count.
        (1, {"4": {"AllowLocalPolicyMerge": 0}}, 0, policy.MODIFY_STATE_OK),
        (5, {"4": {"AllowLocalPolicyMerge": 0}}, 0, policy.MODIFY_STATE_GP_OVERRIDE),
    ],
)
def test_the_modify_state_of_the_current_profiles(
    current: int, group_policy: dict[str, Any], blocked: int, modify_state: int
) -> None:
    state = state_2008(group_policy, current_profiles=current)
    state["profiles"]["1"]["block_all_inbound"] = blocked
    assert policy.modify_state(state) == modify_state
    assert of_kind(read_records(state), "CURRENT") == [[str(current), str(modify_state)]]


def test_a_2008_host_reads_the_same_records() -> None:
    state = state_2008({"1": {"EnableFirewall": 0}})
    assert read_records(state, "6.0")[1:] == read_records(state, "6.1")[1:]


# --------------------------------------------------------------------------- 2003 read


def test_a_2003_read_reports_its_policy_after_the_legacy_profiles() -> None:
    state = seed.legacy_state()
    state["policy"] = {
        "0": {"EnableFirewall": 0, "AllowUserPrefMerge": 0},
        "1": {"DoNotAllowExceptions": 1},
    }
    recs = read_records(state, legacy.LEGACY_OS)
    assert [r[0] for r in recs[:6]] == ["HOST", "LEGACY", "LEGACY"] + ["LEGACYPOLICY"] * 2 + [
        "OPENPORT"
    ]
    # LEGACY: the effective values (the policy wins both ways on 2003).
    assert of_kind(recs, "LEGACY") == [["0", "0", "0", "1"], ["1", "1", "1", "0"]]
    assert of_kind(recs, "LEGACYPOLICY") == [["0", "0", "-1", "0"], ["1", "-1", "1", "-1"]]


def test_a_2003_policy_that_turns_exceptions_off_wins_over_the_local_setting() -> None:
    state = seed.legacy_state()
    state["legacy"]["0"]["exceptions_not_allowed"] = 1
    state["policy"] = {"0": {"DoNotAllowExceptions": 0}}
    assert policy.effective_legacy_profile(state, 0) == {"enabled": 1, "exceptions_not_allowed": 0}


# --------------------------------------------------------------------------- host vars


@pytest.mark.parametrize(
    ("value", "os_version", "stored"),
    [
        (None, "6.1", {}),
        ({}, "6.1", {}),
        ({"domain": {"AllowLocalPolicyMerge": 0}}, "6.1", {"1": {"AllowLocalPolicyMerge": 0}}),
        (
            {"public": {"EnableFirewall": 1, "DefaultInboundAction": 1}, "private": {}},
            "6.0",
            {"4": {"EnableFirewall": 1, "DefaultInboundAction": 1}},
        ),
        ({"standard": {"AllowUserPrefMerge": 0}}, "5.2", {"1": {"AllowUserPrefMerge": 0}}),
    ],
)
def test_ocs_lab_policy_is_stored_by_profile_type(
    value: Any, os_version: str, stored: dict[str, Any]
) -> None:
    assert policy.read_policy("fe01", value, os_version) == stored


@pytest.mark.parametrize(
    ("value", "os_version", "message"),
    [
        ([], "6.1", "ocs_lab_policy must be a mapping"),
        (
            {"standard": {}},
            "6.1",
            "profile 'standard' is not one of ['domain', 'private', 'public']",
        ),
        ({"private": {}}, "5.2", "profile 'private' is not one of ['domain', 'standard']"),
        ({"domain": {"EnableFirewal": 1}}, "6.1", "'EnableFirewal' is not one of"),
        ({"domain": {"AllowUserPrefMerge": 1}}, "6.1", "'AllowUserPrefMerge' is not one of"),
        ({"domain": {"AllowLocalPolicyMerge": 0}}, "5.2", "'AllowLocalPolicyMerge' is not one of"),
        ({"domain": {"EnableFirewall": 2}}, "6.1", "EnableFirewall must be 0 or 1"),
        ({"domain": {"EnableFirewall": True}}, "6.1", "EnableFirewall must be 0 or 1"),
        ({"domain": {"EnableFirewall": "1"}}, "6.1", "EnableFirewall must be 0 or 1"),
        ({"domain": 1}, "6.1", "ocs_lab_policy.domain must be a mapping"),
    ],
)
def test_a_bad_ocs_lab_policy_is_an_error_naming_the_host(
    value: Any, os_version: str, message: str
) -> None:
    with pytest.raises(LabError) as raised:
        policy.read_policy("fe01", value, os_version)
    assert str(raised.value).startswith("host fe01: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("value", "os_version", "mask"),
    [
        (None, "6.1", 1),
        (None, "5.2", 1),
        (["public"], "6.1", 4),
        (["domain", "public"], "6.1", 5),
        (["private"], "6.0", 2),
    ],
)
def test_ocs_lab_current_profiles_is_a_bit_mask(value: Any, os_version: str, mask: int) -> None:
    assert policy.read_current_profiles("fe01", value, os_version) == mask


@pytest.mark.parametrize(
    ("value", "os_version", "message"),
    [
        ("domain", "6.1", "must be a non-empty list"),
        ([], "6.1", "must be a non-empty list"),
        (["home"], "6.1", "'home' is not one of"),
        (["domain", "public"], "6.0", "Windows Server 2008 (6.0) is on one profile at a time"),
        (["domain"], "5.2", "is for Windows Server 2008 and 2008 R2 hosts"),
    ],
)
def test_a_bad_ocs_lab_current_profiles_is_an_error_naming_the_host(
    value: Any, os_version: str, message: str
) -> None:
    with pytest.raises(LabError) as raised:
        policy.read_current_profiles("fe01", value, os_version)
    assert str(raised.value).startswith("host fe01: ")
    assert message in str(raised.value)


# --------------------------------------------------------------------------- a started lab


LAB = {
    "all": {
        "vars": {"ocs_lab_policy": {"domain": {"AllowLocalPolicyMerge": 0}}},
        "hosts": {
            "fe01": {"ocs_lab_transport": "basic", "ocs_lab_current_profiles": ["domain"]},
            "edge01": {
                "ocs_lab_transport": "basic",
                "ocs_lab_current_profiles": ["public", "private"],
                "ocs_lab_policy": {"public": {"DoNotAllowExceptions": 1}},
            },
            "w2003": {
                "ocs_lab_os": "5.2",
                "ocs_lab_transport": "ntlm",
                "ocs_lab_policy": {"standard": {"EnableFirewall": 1}},
            },
        },
    }
}


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("policy")
    written = api.start(LAB, folder / "state", output=folder / "out.yml")
    yield folder, written
    api.stop(folder / "state")


def test_dump_shows_the_policy_and_the_current_profiles(
    started: tuple[Path, dict[str, Any]],
) -> None:
    folder, _written = started
    result = lab_cli("dump", "--state-dir", str(folder / "state"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["fe01"]["policy"] == {"1": {"AllowLocalPolicyMerge": 0}}
    assert data["fe01"]["current_profiles"] == 1
    assert {p["block_all_inbound"] for p in data["fe01"]["profiles"].values()} == {0}
    # The host's own ocs_lab_policy replaces the group's, as Ansible merges variables.
    assert data["edge01"]["policy"] == {"4": {"DoNotAllowExceptions": 1}}
    assert data["edge01"]["current_profiles"] == 6
    assert data["w2003"]["policy"] == {"1": {"EnableFirewall": 1}}
    assert "current_profiles" not in data["w2003"]


def test_the_written_inventory_holds_no_policy_variable(
    started: tuple[Path, dict[str, Any]],
) -> None:
    folder, written = started
    text = (folder / "out.yml").read_text(encoding="utf-8")
    assert "ocs_lab_" not in text
    assert yaml.safe_load(text) == written
    for variables in inventory.hosts(written).values():
        assert not any(key.startswith("ocs_lab_") for key in variables)


def test_a_bad_policy_stops_start_naming_the_host(tmp_path: Path) -> None:
    bad = {"all": {"hosts": {"fe09": {"ocs_lab_policy": {"domain": {"EnableFirewall": 3}}}}}}
    with pytest.raises(LabError, match="host fe09: ocs_lab_policy.domain.EnableFirewall"):
        api.start(bad, tmp_path / "state")
    assert api.running_pid(tmp_path / "state") is None


def test_policy_names_the_2003_os_as_the_firewall_does() -> None:
    assert policy.LEGACY_OS == firewall.LEGACY_OS == legacy.LEGACY_OS
