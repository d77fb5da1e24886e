"""The lab's Windows Server 2003 SP2 flavour: the legacy firewall behind OCSFW2.

docs/dev/contracts.md, "Windows Server 2003 (the legacy firewall, same protocol)": entries
keyed by (port, protocol) within the Domain (0) and Standard (1) profiles, Add overwrites,
the refusals Windows gives, the three phases of an apply, the request kinds each Windows
refuses, and a host that takes HTTP with NTLM message encryption only. Requests are
written here as protocol text: the controller's encoder is not the lab's test oracle.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ocs_lab import api, firewall, legacy, seed
from ocs_lab.state import LabError
from test_lab_firewall import add_line, b, error_of, records
from test_lab_firewall import apply as group_apply
from test_lab_wsman import protocol, run

from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

REPO = Path(__file__).resolve().parents[3]
# _ownership.LEGACY_PATTERN as the contract spells it: the name prefix of our entries.
MARKER = r"^\[ocs\.firewall\] "
OURS = "[ocs.firewall] Front End: SIP (TLS)"
E_INVALIDARG = "Value does not fall within the expected range."
DOMAIN, STANDARD = 0, 1


def open_line(
    profile: int,
    port: int,
    name: str = OURS,
    *,
    protocol: int = 6,
    remote: str = "*",
    enabled: int = 1,
    adopt: int = 0,
) -> str:
    fields = [str(profile), str(port), str(protocol), b(name), b(remote), str(enabled)]
    return "\t".join(["OPEN", *fields, str(adopt)])


def close_line(profile: int, port: int, name: str = OURS, *, protocol: int = 6) -> str:
    return "\t".join(["CLOSE", str(profile), str(port), str(protocol), b(name)])


def request(op: str, *lines: str, marker: str = MARKER) -> str:
    head = ["OCSFW2", f"OP\t{op}"] + ([f"MARKER\t{b(marker)}"] if marker else [])
    return "\n".join([*head, *lines, "END", ""])


def run_legacy(state: dict[str, Any], text: str, **faults: Any) -> firewall.Outcome:
    return firewall.run(state, text, os_version="5.2", **faults)


def entry(name: str, port: int, **values: Any) -> dict[str, Any]:
    """A stored entry as Windows reads it back (TCP, enabled, every address, not built in)."""
    stored = {"name": name, "port": port, "protocol": 6, "enabled": 1, "scope": 0}
    return {**stored, "remote_addresses": "*", "builtin": 0, **values}


def ports(state: dict[str, Any], profile: int) -> list[dict[str, Any]]:
    return list(state["legacy"][str(profile)]["ports"])


def unb(field: str) -> str:
    return base64.b64decode(field).decode("utf-8")


def legacy_store_with(*specs: dict[str, Any]) -> dict[str, Any]:
    store = seed.empty_legacy_state()
    seed.add_legacy_entries(store, list(specs))
    return store


@pytest.fixture
def empty() -> dict[str, Any]:
    return seed.empty_legacy_state()


@pytest.fixture
def state() -> dict[str, Any]:
    return seed.legacy_state()


# --------------------------------------------------------------------------- store, seed


def test_a_fresh_2003_host_has_two_profiles_and_a_few_foreign_entries(state: dict) -> None:
    assert set(state) == {"legacy", "current_profile"}
    assert state["current_profile"] == DOMAIN
    for number in ("0", "1"):
        profile = state["legacy"][number]
        assert (profile["enabled"], profile["exceptions_not_allowed"]) == (1, 0)
        assert all(tuple(e) == legacy.ENTRY_KEYS for e in profile["ports"])
    assert ports(state, DOMAIN) == [
        entry(
            "Backup Exec Remote Agent",
            10000,
            scope=2,
            remote_addresses="10.20.30.40/255.255.255.255",
        ),
        entry("SNMP", 161, protocol=17, scope=1, remote_addresses="LocalSubnet"),
    ]
    assert ports(state, STANDARD) == [
        *ports(state, DOMAIN),
        entry("HP System Management Homepage", 2381, enabled=0),
    ]
    # None of them is the collection's.
    assert not any(e["name"].startswith("[ocs.firewall]") for p in (0, 1) for e in ports(state, p))


def test_foreign_entries_default_to_both_profiles_tcp_and_every_address() -> None:
    store = seed.legacy_state(
        [
            {"name": "Partner SIP", "port": 5061},
            {"name": "Trap", "port": 162, "protocol": 17, "profile": 1, "builtin": True},
            {"name": "SNMP by hand", "port": 161, "protocol": 17, "remote_addresses": ["*"]},
        ]
    )
    assert ports(store, DOMAIN)[-1] == entry("Partner SIP", 5061)
    assert ports(store, STANDARD)[-2:] == [
        entry("Partner SIP", 5061),
        entry("Trap", 162, protocol=17, builtin=1),
    ]
    # Added as Add adds: the seed's SNMP entry on 161/UDP is overwritten where it stood.
    assert ports(store, DOMAIN)[1] == entry("SNMP by hand", 161, protocol=17)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"name": "x", "port": 0}, 'Exception setting "Port"'),
        ({"name": "x", "port": 1, "protocol": 1}, 'Exception setting "Protocol"'),
        ({"name": "", "port": 1}, 'Exception setting "Name"'),
        ({"name": "x", "port": 1, "remote_addresses": "10.0.0.1-10.0.0.2"}, "RemoteAddresses"),
        ({"name": "x", "port": 1, "profile": 2}, "profile must be one of [0, 1]"),
        ({"name": "x", "port": "5061"}, "port must be a whole number"),
        ({"name": "x", "port": 1, "group": "g"}, "unknown keys ['group']"),
    ],
)
def test_a_foreign_entry_windows_refuses_is_an_error_naming_the_host(
    tmp_path: Path, spec: dict, problem: str
) -> None:
    inventory = {"all": {"hosts": {"fe03": {"ocs_lab_os": "5.2", "ocs_lab_foreign_rules": [spec]}}}}
    with pytest.raises(LabError) as caught:
        api.start(inventory, tmp_path, transport="ntlm")
    assert str(caught.value).startswith("host fe03: bad ocs_lab_foreign_rules: entry ")
    assert problem in str(caught.value)


# --------------------------------------------------------------------------- read


def test_the_read_returns_host_both_profiles_and_every_entry(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = run_legacy(state, request("read", marker=""))
    recs = records(outcome.stdout)
    assert outcome.rc == 0 and recs[-1] == ["DONE"]
    assert recs[0] == ["HOST", b("5.2.3790.131072"), b("2.0")]
    assert recs[1:3] == [["LEGACY", "0", "1", "0", "1"], ["LEGACY", "1", "1", "0", "0"]]
    # No group policy: -1 for each value it could set.
    assert recs[3:5] == [["LEGACYPOLICY", p, "-1", "-1", "-1"] for p in ("0", "1")]
    assert recs[5:-1] == [
        ["OPENPORT", "0", "10000", "6", b("Backup Exec Remote Agent"), "1", "2"]
        + [b("10.20.30.40/255.255.255.255"), "0"],
        ["OPENPORT", "0", "161", "17", b("SNMP"), "1", "1", b("LocalSubnet"), "0"],
        ["OPENPORT", "1", "10000", "6", b("Backup Exec Remote Agent"), "1", "2"]
        + [b("10.20.30.40/255.255.255.255"), "0"],
        ["OPENPORT", "1", "161", "17", b("SNMP"), "1", "1", b("LocalSubnet"), "0"],
        ["OPENPORT", "1", "2381", "6", b("HP System Management Homepage"), "0", "0", b("*"), "0"],
    ]
    assert (outcome.op, outcome.counts, outcome.changed) == ("read", {"entries": 5}, False)
    assert state == before
    # GROUP and MARKER are ignored: every entry of both profiles is read.
    grouped = request("read", f"GROUP\t{b('ocs.firewall - Front End')}")
    assert run_legacy(state, grouped).stdout == outcome.stdout


def test_the_current_profile_is_the_one_marked(state: dict) -> None:
    state["current_profile"] = STANDARD
    recs = records(run_legacy(state, request("read")).stdout)
    assert [r[4] for r in recs if r[0] == "LEGACY"] == ["0", "1"]


# --------------------------------------------------------------------------- apply


def test_open_adds_an_entry_and_add_over_its_key_overwrites_it(empty: dict) -> None:
    outcome = run_legacy(empty, request("apply", open_line(DOMAIN, 5061, remote="10.0.0.1")))
    assert records(outcome.stdout) == [["OPENED", "0", "5061", "6"], ["DONE"]]
    assert ports(empty, DOMAIN) == [
        entry(OURS, 5061, scope=2, remote_addresses="10.0.0.1/255.255.255.255")
    ]
    assert outcome.counts == {"open": 1, "close": 0, "opened": 1, "closed": 0}
    assert outcome.changed

    renamed = "[ocs.firewall] Front End + Archiving: SIP (TLS)"
    again = open_line(DOMAIN, 5061, renamed, remote="LocalSubnet", enabled=0)
    assert run_legacy(empty, request("apply", again)).rc == 0
    # One entry for the key, every property the new one's.
    assert ports(empty, DOMAIN) == [
        entry(renamed, 5061, enabled=0, scope=1, remote_addresses="LocalSubnet")
    ]


def test_entries_are_keyed_by_port_and_protocol_within_a_profile(empty: dict) -> None:
    lines = [
        open_line(DOMAIN, 5061),
        open_line(DOMAIN, 5061, "[ocs.firewall] udp", protocol=17),
        open_line(STANDARD, 5061, "[ocs.firewall] standard"),
    ]
    assert run_legacy(empty, request("apply", *lines)).rc == 0
    assert ports(empty, DOMAIN) == [
        entry(OURS, 5061),
        entry("[ocs.firewall] udp", 5061, protocol=17),
    ]
    assert ports(empty, STANDARD) == [entry("[ocs.firewall] standard", 5061)]


@pytest.mark.parametrize(
    ("given", "scope", "stored"),
    [
        ("*", 0, "*"),
        # The script leaves an empty value unset: the entry keeps its default, all.
        ("", 0, "*"),
        ("LocalSubnet", 1, "LocalSubnet"),
        ("localsubnet", 1, "LocalSubnet"),
        ("10.0.0.1", 2, "10.0.0.1/255.255.255.255"),
        ("10.0.0.0/24", 2, "10.0.0.0/255.255.255.0"),
        ("10.1.2.3/255.255.0.0", 2, "10.1.0.0/255.255.0.0"),
        ("10.0.0.0/8, 192.168.1.7", 2, "10.0.0.0/255.0.0.0,192.168.1.7/255.255.255.255"),
        ("LocalSubnet,10.0.0.1", 2, "LocalSubnet,10.0.0.1/255.255.255.255"),
    ],
)
def test_remote_addresses_read_back_canonical_with_their_scope(
    empty: dict, given: str, scope: int, stored: str
) -> None:
    assert run_legacy(empty, request("apply", open_line(DOMAIN, 5061, remote=given))).rc == 0
    (held,) = ports(empty, DOMAIN)
    assert (held["scope"], held["remote_addresses"]) == (scope, stored)


@pytest.mark.parametrize(
    ("values", "key", "prop"),
    [
        ({"port": 0}, "0/TCP", "Port"),
        ({"port": 65536}, "65536/TCP", "Port"),
        ({"protocol": 1}, "5061/protocol 1", "Protocol"),
        ({"protocol": 256}, "5061/protocol 256", "Protocol"),
        ({"name": ""}, "5061/TCP", "Name"),
        ({"remote": "10.0.0.1-10.0.0.9"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "fe80::1"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "2001:db8::/32"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "DNS"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "DHCP"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "WINS"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "DefaultGateway"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "*,10.0.0.1"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "10.0.0.1,"}, "5061/TCP", "RemoteAddresses"),
        ({"remote": "10.0.0.0/0.0.0.255"}, "5061/TCP", "RemoteAddresses"),
    ],
)
def test_a_value_windows_refuses_stops_the_apply_naming_the_entry(
    state: dict, values: dict, key: str, prop: str
) -> None:
    before = copy.deepcopy(state)
    line = {"profile": DOMAIN, "port": 5061, "name": OURS, **values}

    outcome = run_legacy(state, request("apply", open_line(**line), close_line(STANDARD, 2381)))

    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"Domain profile: entry '{line['name']}' ({key}) was refused, nothing was closed: "
        f'Exception setting "{prop}": "{E_INVALIDARG}"'
    )
    assert [r[0] for r in records(outcome.stdout)] == ["ERROR"]
    assert state == before and not outcome.changed


def test_a_refusal_in_phase_2_leaves_what_was_opened_open_and_closes_nothing(
    empty: dict,
) -> None:
    run_legacy(empty, request("apply", open_line(STANDARD, 444, "[ocs.firewall] old")))
    lines = [
        open_line(DOMAIN, 5061),
        open_line(DOMAIN, 5062, "[ocs.firewall] bad", remote="DNS"),
        close_line(STANDARD, 444, "[ocs.firewall] old"),
    ]
    outcome = run_legacy(empty, request("apply", *lines))
    assert [r[0] for r in records(outcome.stdout)] == ["OPENED", "ERROR"]
    assert ports(empty, DOMAIN) == [entry(OURS, 5061)]
    assert ports(empty, STANDARD) == [entry("[ocs.firewall] old", 444)]
    assert outcome.changed and outcome.counts["opened"] == 1


# --------------------------------------------------------------------------- ownership


def test_an_open_over_a_foreign_entry_is_refused_before_anything_changes(state: dict) -> None:
    before = copy.deepcopy(state)
    lines = [open_line(DOMAIN, 5061), open_line(STANDARD, 161, protocol=17)]
    outcome = run_legacy(state, request("apply", *lines))
    assert outcome.rc == 2
    assert error_of(outcome) == (
        "Standard profile: entry 'SNMP' holds 161/UDP and is not the collection's; "
        "nothing was changed"
    )
    assert [r[0] for r in records(outcome.stdout)] == ["ERROR"]
    assert state == before and not outcome.changed


def test_adopt_overwrites_a_foreign_entry(state: dict) -> None:
    outcome = run_legacy(state, request("apply", open_line(DOMAIN, 161, protocol=17, adopt=1)))
    assert outcome.rc == 0
    assert ports(state, DOMAIN)[1] == entry(OURS, 161, protocol=17)
    # The other profile's entry on the same key is another entry, still the foreign one.
    assert ports(state, STANDARD)[1]["name"] == "SNMP"


def test_a_built_in_entry_is_never_overwritten_even_with_adopt() -> None:
    store = seed.legacy_state([{"name": "Remote Desktop", "port": 3389, "builtin": 1}])
    before = copy.deepcopy(store)
    lines = [open_line(DOMAIN, 3389, adopt=1)]
    outcome = run_legacy(store, request("apply", *lines))
    assert error_of(outcome) == (
        "Domain profile: entry 'Remote Desktop' holds 3389/TCP and is built in; nothing was changed"
    )
    assert store == before


def test_an_entry_named_as_ours_may_be_overwritten_without_adopt(empty: dict) -> None:
    run_legacy(empty, request("apply", open_line(DOMAIN, 5061, "[ocs.firewall] Archiving: SIP")))
    assert run_legacy(empty, request("apply", open_line(DOMAIN, 5061))).rc == 0
    assert ports(empty, DOMAIN) == [entry(OURS, 5061)]


def test_close_of_a_foreign_entry_counts_0_and_leaves_it_byte_identical(state: dict) -> None:
    before = json.dumps(state, ensure_ascii=False)
    lines = [
        close_line(DOMAIN, 10000, "Backup Exec Remote Agent"),
        close_line(STANDARD, 161, "SNMP", protocol=17),
        close_line(DOMAIN, 5061),
    ]
    outcome = run_legacy(state, request("apply", *lines))
    assert records(outcome.stdout) == [
        ["CLOSED", "0", "10000", "6", "0"],
        ["CLOSED", "1", "161", "17", "0"],
        ["CLOSED", "0", "5061", "6", "0"],
        ["DONE"],
    ]
    assert json.dumps(state, ensure_ascii=False) == before
    assert not outcome.changed and outcome.counts["closed"] == 0


def test_close_removes_only_our_entry_of_exactly_that_name(empty: dict) -> None:
    opened = [open_line(DOMAIN, 5061), open_line(STANDARD, 5061)]
    run_legacy(empty, request("apply", *opened))
    outcome = run_legacy(
        empty,
        request(
            "apply",
            close_line(DOMAIN, 5061),
            close_line(STANDARD, 5061, OURS.upper()),
        ),
    )
    assert records(outcome.stdout)[:2] == [
        ["CLOSED", "0", "5061", "6", "1"],
        ["CLOSED", "1", "5061", "6", "0"],
    ]
    assert ports(empty, DOMAIN) == [] and ports(empty, STANDARD) == [entry(OURS, 5061)]
    assert outcome.changed and outcome.counts["closed"] == 1


def test_a_built_in_entry_named_as_ours_is_never_closed() -> None:
    store = legacy_store_with({"name": OURS, "port": 5061, "builtin": 1, "profile": 0})
    outcome = run_legacy(store, request("apply", close_line(DOMAIN, 5061)))
    assert records(outcome.stdout)[0] == ["CLOSED", "0", "5061", "6", "0"]
    assert ports(store, DOMAIN) == [entry(OURS, 5061, builtin=1)]


def test_every_open_comes_before_every_close(empty: dict) -> None:
    run_legacy(empty, request("apply", open_line(DOMAIN, 444, "[ocs.firewall] old")))
    lines = [close_line(DOMAIN, 444, "[ocs.firewall] old"), open_line(DOMAIN, 5061)]
    recs = records(run_legacy(empty, request("apply", *lines)).stdout)
    assert [r[0] for r in recs] == ["OPENED", "CLOSED", "DONE"]


# --------------------------------------------------------------------------- requests

NO_GROUPS = (
    "bad request: this host runs Windows Server 2003 (5.2.3790.131072), which has no rule groups"
)


@pytest.mark.parametrize(
    "text",
    [
        group_apply("ocs.firewall - Front End", adds=[add_line("OCS - SIP", local_ports="5061")]),
        group_apply("ocs.firewall - Front End", removes=["OCS - SIP"]),
        request("apply", f"GROUP\t{b('g')}", open_line(DOMAIN, 5061)),
        request("read", f"GROUP\t{b('g')}", f"REMOVE\t{b('n')}"),
    ],
    ids=["add", "remove", "group-with-open", "remove-in-a-read"],
)
def test_a_2008_request_to_a_2003_host_is_refused(state: dict, text: str) -> None:
    before = copy.deepcopy(state)
    outcome = run_legacy(state, text)
    assert (outcome.rc, error_of(outcome)) == (2, NO_GROUPS)
    assert state == before


@pytest.mark.parametrize("os_version", ["6.0", "6.1"])
@pytest.mark.parametrize(
    "line", [open_line(DOMAIN, 5061), close_line(DOMAIN, 5061)], ids=["open", "close"]
)
def test_open_and_close_to_a_2008_host_are_refused(os_version: str, line: str) -> None:
    store = seed.initial_state()
    before = copy.deepcopy(store)
    outcome = firewall.run(store, request("apply", line), os_version=os_version)
    assert outcome.rc == 2
    assert error_of(outcome) == "bad request: OPEN and CLOSE are for Windows Server 2003 hosts"
    assert store == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            request("apply", open_line(DOMAIN, 5061), marker=""),
            "apply needs a MARKER and at least one OPEN or CLOSE line",
        ),
        (request("apply"), "apply needs a MARKER and at least one OPEN or CLOSE line"),
        (request("read", close_line(DOMAIN, 5061)), "a read carries no OPEN or CLOSE lines"),
        (
            request("apply", open_line(2, 5061)),
            "line 4: profile 2 is not 0 (Domain) or 1 (Standard)",
        ),
        (
            request("apply", open_line(DOMAIN, 5061) + "\tx"),
            "unexpected line 4",
        ),
    ],
    ids=["no-marker", "nothing-to-do", "close-in-a-read", "profile-2", "extra-field"],
)
def test_a_bad_legacy_request_is_refused(state: dict, text: str, message: str) -> None:
    before = copy.deepcopy(state)
    outcome = run_legacy(state, text)
    assert (outcome.rc, error_of(outcome)) == (2, f"bad request: {message}")
    assert state == before


# --------------------------------------------------------------------------- faults


def test_fail_midway_leaves_what_was_opened_open_and_closes_nothing(empty: dict) -> None:
    old = [open_line(DOMAIN, 80 + n, f"[ocs.firewall] old{n}") for n in range(2)]
    run_legacy(empty, request("apply", *old))
    lines = [open_line(DOMAIN, 5060 + n, f"[ocs.firewall] new{n}") for n in range(3)]
    lines += [close_line(DOMAIN, 80 + n, f"[ocs.firewall] old{n}") for n in range(2)]

    # Five calls (three Add, two Remove): two happen, then access is denied.
    outcome = run_legacy(empty, request("apply", *lines), fail_midway=True)

    assert [r[0] for r in records(outcome.stdout)] == ["OPENED", "OPENED", "ERROR"]
    assert error_of(outcome) == firewall.access_denied("Add", 1, firewall.LEGACY_ACCESS_DENIED_HINT)
    assert 'Exception calling "Add" with "1" argument(s)' in error_of(outcome)
    assert [e["port"] for e in ports(empty, DOMAIN)] == [80, 81, 5060, 5061]
    assert outcome.changed
    assert outcome.counts == {"open": 3, "close": 2, "opened": 2, "closed": 0}


def test_fail_midway_in_phase_3_names_the_remove_call(empty: dict) -> None:
    old = [open_line(DOMAIN, 80 + n, f"[ocs.firewall] old{n}") for n in range(3)]
    run_legacy(empty, request("apply", *old))
    lines = [open_line(DOMAIN, 5061)]
    lines += [close_line(DOMAIN, 80 + n, f"[ocs.firewall] old{n}") for n in range(3)]
    outcome = run_legacy(empty, request("apply", *lines), fail_midway=True)
    assert [r[0] for r in records(outcome.stdout)] == ["OPENED", "CLOSED", "ERROR"]
    assert 'Exception calling "Remove" with "2" argument(s)' in error_of(outcome)
    assert [e["port"] for e in ports(empty, DOMAIN)] == [81, 82, 5061]


def test_fail_midway_on_a_read_is_access_denied(state: dict) -> None:
    outcome = run_legacy(state, request("read"), fail_midway=True)
    assert outcome.rc == 2 and 'Exception calling "GetProfileByType"' in error_of(outcome)


@pytest.mark.parametrize(
    ("hresult", "text"),
    [
        ("0x800706D9", "There are no more endpoints available from the endpoint mapper."),
        ("0x8007042C", "The dependency service or group failed to start."),
    ],
)
def test_a_stopped_firewall_service_is_sharedaccess_on_2003(
    state: dict, hresult: str, text: str
) -> None:
    before = copy.deepcopy(state)
    outcome = run_legacy(state, request("apply", open_line(DOMAIN, 5061)), service_stopped=hresult)
    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"the Windows Firewall service (SharedAccess) is not running (HRESULT {hresult}): "
        f'start it, for example with "sc.exe start SharedAccess" ({text} '
        f"(Exception from HRESULT: {hresult}))"
    )
    assert state == before


# --------------------------------------------------------------------------- start


@pytest.mark.parametrize(
    ("variables", "transport", "chosen"),
    [
        ({"ocs_lab_transport": "https"}, "basic", "https transport (its ocs_lab_transport)"),
        ({"ocs_lab_transport": "basic"}, "ntlm", "basic transport (its ocs_lab_transport)"),
        ({}, "https", "https transport (the lab's transport)"),
        ({}, "basic", "basic transport (the lab's transport)"),
    ],
)
def test_a_2003_host_refuses_https_and_basic_at_start(
    tmp_path: Path, variables: dict, transport: str, chosen: str
) -> None:
    inventory = {"all": {"hosts": {"fe03": {"ocs_lab_os": "5.2", **variables}}}}
    with pytest.raises(LabError) as caught:
        api.start(inventory, tmp_path, transport=transport)
    assert str(caught.value) == (
        f"host fe03: ocs_lab_os 5.2 (Windows Server 2003) cannot use the {chosen}: "
        "Windows Server 2003 has no TLS 1.2, which current controllers need, so only HTTP "
        "with NTLM or Kerberos message encryption works; give it ocs_lab_transport ntlm"
    )
    assert api.running_pid(tmp_path) is None


def test_ocs_lab_tls_does_not_apply_to_a_2003_host(tmp_path: Path) -> None:
    inventory = {"all": {"hosts": {"fe03": {"ocs_lab_os": "5.2", "ocs_lab_tls": "1.0"}}}}
    with pytest.raises(LabError, match="host fe03: ocs_lab_tls applies to the https"):
        api.start(inventory, tmp_path, transport="ntlm")


# --------------------------------------------------------------------------- a real lab

LAB = {
    "all": {
        "hosts": {
            # With --transport mixed these would be basic, ntlm and https by turn.
            "fe03": {
                "ocs_lab_os": "5.2",
                "ocs_lab_foreign_rules": [{"name": "Partner SIP", "port": 5061, "profile": 1}],
            },
            "edge01": {},
            "arch03": {"ocs_lab_os": 5.2},
        }
    }
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    state_dir = tmp_path_factory.mktemp("lab")
    written = api.start(
        LAB, state_dir, transport="mixed", scripts_dir=REPO / "plugins/plugin_utils/_remote"
    )
    yield state_dir, written["all"]["hosts"]
    api.stop(state_dir)


def test_mixed_gives_2003_hosts_ntlm_over_http(lab: tuple[Path, dict[str, Any]]) -> None:
    hosts = lab[1]
    for name in ("fe03", "arch03"):
        connection = {k: hosts[name][k] for k in hosts[name] if k.startswith("ansible_winrm")}
        assert connection == {
            "ansible_winrm_transport": "ntlm",
            "ansible_winrm_scheme": "http",
            "ansible_winrm_message_encryption": "always",
        }
    assert hosts["edge01"]["ansible_winrm_transport"] == "ntlm"  # its turn in the rotation


def test_a_2003_host_over_ntlm_reads_and_applies(lab: tuple[Path, dict[str, Any]]) -> None:
    state_dir, hosts = lab
    proto = protocol(hosts["fe03"])
    api.trace(state_dir, ["fe03"], reset=True)

    stdout, stderr, rc = run(proto, _client.build_stdin(request("read")))
    recs = records(stdout.decode("utf-8"))
    assert (rc, stderr) == (0, b"")
    assert recs[0] == ["HOST", b("5.2.3790.131072"), b("2.0")]
    assert ["OPENPORT", "1", "5061", "6", b("Partner SIP"), "1", "0", b("*"), "0"] in recs
    # winrm quickconfig's entry, in both profiles: what lets the controller in.
    winrm = [r for r in recs if r[0] == "OPENPORT" and r[4] == b("Windows Remote Management")]
    assert [r[1:4] + r[5:8] for r in winrm] == [[p, "5985", "6", "1", "0", b("*")] for p in "01"]

    text = request("apply", open_line(DOMAIN, 5061, remote="10.0.0.0/24"))
    stdout, _stderr, rc = run(proto, _client.build_stdin(text))
    assert rc == 0 and records(stdout.decode())[0] == ["OPENED", "0", "5061", "6"]
    store = api.dump(state_dir, ["fe03"])["fe03"]
    assert store["legacy"]["0"]["ports"][-1] == entry(
        OURS, 5061, scope=2, remote_addresses="10.0.0.0/255.255.255.0"
    )
    assert store["legacy"]["1"]["ports"][-1]["name"] == "Partner SIP"
    read, applied = api.trace(state_dir, ["fe03"])["fe03"]
    # The seed's five entries, the WinRM entry in both profiles, Partner SIP.
    assert (read["op"], read["counts"]) == ("read", {"entries": 8})
    assert (applied["op"], applied["counts"]["opened"], applied["counts"]["closed"]) == (
        "apply",
        1,
        0,
    )


def test_a_2003_host_with_its_firewall_stopped_names_sharedaccess(
    lab: tuple[Path, dict[str, Any]],
) -> None:
    state_dir, hosts = lab
    api.set_fault(state_dir, "arch03", stop_firewall=True)
    try:
        stdout, _stderr, rc = run(protocol(hosts["arch03"]), _client.build_stdin(request("read")))
    finally:
        api.set_fault(state_dir, "arch03", clear=True)
    assert rc == 2
    assert '"sc.exe start SharedAccess"' in unb(records(stdout.decode())[-1][1])


# --------------------------------------------------------------------------- LabHost


def test_labhost_plays_a_2003_host() -> None:
    # labhost is tests/unit's helper; tests/unit/conftest.py puts that folder on sys.path.
    unit = str(REPO / "tests" / "unit")
    if unit not in sys.path:
        sys.path.insert(0, unit)
    from labhost import LabHost

    host = LabHost(os_version="5.2", legacy_entries=[{"name": "Partner SIP", "port": 5061}])
    assert host.entries(DOMAIN) == host.entries(STANDARD) == [entry("Partner SIP", 5061)]
    text = request("apply", open_line(DOMAIN, 444), open_line(DOMAIN, 5061))
    result = host.execute(_client.bootstrap_text(), False, _client.build_stdin(text))
    assert result["rc"] == 2
    assert unb(records(result["stdout"])[-1][1]).startswith("Domain profile: entry 'Partner SIP'")
    assert [r.op for r in host.legacy_requests] == [r.op for r in host.requests] == ["apply"]

    host.fail_apply_midway = True
    text = request("apply", *(open_line(DOMAIN, 80 + n, f"{OURS} {n}") for n in range(2)))
    result = host.execute(_client.bootstrap_text(), False, _client.build_stdin(text))
    assert result["rc"] == 2 and [e["port"] for e in host.entries(DOMAIN)] == [5061, 80]
    with pytest.raises(ValueError, match="legacy_entries, not rules"):
        LabHost([{"name": "r"}], os_version="5.2")


# ------------------------------------------------------------ stale reads, ownership


def legacy_digest(state: dict[str, Any]) -> str:
    """The contract's 2003 digest, from a read: SHA-1 of the sorted OPENPORT lines."""
    stdout = run_legacy(state, request("read", marker="")).stdout
    lines = sorted(line for line in stdout.split("\n") if line.startswith("OPENPORT\t"))
    return hashlib.sha1("".join(f"{line}\n" for line in lines).encode("utf-8")).hexdigest()


def test_a_2003_apply_from_an_outdated_read_changes_nothing(state: dict) -> None:
    seen = legacy_digest(state)
    # An administrator closes an entry between this run's read and its apply.
    state["legacy"]["0"]["ports"].pop()
    before = copy.deepcopy(state)
    outcome = run_legacy(state, request("apply", f"SEEN\t{seen}", open_line(DOMAIN, 5061)))
    assert records(outcome.stdout) == [["STALE", legacy_digest(state)], ["DONE"]]
    assert state == before and not outcome.changed


def test_a_2003_apply_from_a_current_read_ends_with_the_new_digest(state: dict) -> None:
    seen = legacy_digest(state)
    outcome = run_legacy(state, request("apply", f"SEEN\t{seen}", open_line(DOMAIN, 5061)))
    assert [r[0] for r in records(outcome.stdout)] == ["OPENED", "DIGEST", "DONE"]
    assert records(outcome.stdout)[1][1] == legacy_digest(state) != seen


def test_a_2003_apply_takes_no_watch_line(state: dict) -> None:
    outcome = run_legacy(state, request("apply", f"WATCH\t{b('x')}", open_line(DOMAIN, 5061)))
    assert outcome.rc == 2 and error_of(outcome).startswith("bad request")


def test_a_prefixed_entry_the_pattern_does_not_match_is_never_closed() -> None:
    # The controller's pattern names its component labels: "[ocs.firewall] Admin: ..." is
    # an administrator's entry that borrowed the prefix.
    pattern = r"^\[ocs\.firewall\] (?:Front End|Archiving)(?:, (?:Front End|Archiving))*: "
    store = legacy_store_with(
        {"name": "[ocs.firewall] Admin: 9999/TCP", "port": 9999, "profile": 0}
    )
    before = copy.deepcopy(store)
    outcome = run_legacy(
        store,
        request(
            "apply", close_line(DOMAIN, 9999, "[ocs.firewall] Admin: 9999/TCP"), marker=pattern
        ),
    )
    assert records(outcome.stdout)[0] == ["CLOSED", "0", "9999", "6", "0"]
    assert store == before
