"""What a lab host listens on and who is connected to it: the LISTENERS line of a state.

The switch script's ``state`` that carries ``LISTENERS`` (docs/dev/contracts.md, "The
switch", "Listeners") writes, after everything else and before DONE, a LISTENER line per
listening endpoint (TCP's, then UDP's) and a CONNECTION line per established TCP
connection, on 2008 and 2003 alike; any other op that carries it is a bad request, and the
rules script has no such line at all (an unexpected line, in a read as in an apply). The
store's ``listeners`` come from the data file's ``listeners`` set (the Windows' own, then
each OCS role's by inventory group) and ``ocs_lab_listeners``; its ``connections`` from
``ocs_lab_connections``. Requests are written here as protocol text.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ocs_lab import api, evaluate, firewall, inventory, seed, switch
from ocs_lab.state import LabError
from test_lab_firewall import add_line, apply, error_of, records
from test_lab_legacy import open_line
from test_lab_legacy import request as legacy_request
from test_lab_wsman import protocol, run

from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_INVENTORY = REPO / "examples" / "inventory.yml"
TCP, UDP = 6, 17
STATE = "OCSFW2\nOP\tstate\nEND\n"
STATE_LISTENERS = "OCSFW2\nOP\tstate\nLISTENERS\nEND\n"
ONLY_STATE = "bad request: only a state read carries LISTENERS"
NEEDS_ARM = (
    "bad request: a switch needs ARM (1 to 1439 minutes, and the runner) and a setting to change"
)


def unb(field: str) -> str:
    return base64.b64decode(field).decode("utf-8")


def listening_records(stdout: str) -> list[tuple[str, ...]]:
    """The LISTENER and CONNECTION lines of a reply, addresses decoded."""
    found: list[tuple[str, ...]] = []
    for rec in records(stdout):
        if rec[0] == "LISTENER":
            found.append(("LISTENER", rec[1], unb(rec[2]), rec[3]))
        elif rec[0] == "CONNECTION":
            found.append(("CONNECTION", unb(rec[1]), rec[2], unb(rec[3]), rec[4]))
    return found


def with_listening(store: dict[str, Any]) -> dict[str, Any]:
    """``store`` with listeners of both protocols interleaved, loopback ones included, and
    two connections."""
    store["listeners"] = [
        {"protocol": UDP, "address": "0.0.0.0", "port": 123},
        {"protocol": TCP, "address": "0.0.0.0", "port": 5061},
        {"protocol": UDP, "address": "::1", "port": 1900},
        {"protocol": TCP, "address": "127.0.0.1", "port": 47001},
        {"protocol": TCP, "address": "::", "port": 445},
    ]
    store["connections"] = [
        {
            "local_address": "10.10.0.11",
            "local_port": 5061,
            "remote_address": "10.20.0.7",
            "remote_port": 50000,
        },
        {"local_address": "::1", "local_port": 445, "remote_address": "::1", "remote_port": 49200},
    ]
    return store


EXPECTED = [
    ("LISTENER", "6", "0.0.0.0", "5061"),
    ("LISTENER", "6", "127.0.0.1", "47001"),
    ("LISTENER", "6", "::", "445"),
    ("LISTENER", "17", "0.0.0.0", "123"),
    ("LISTENER", "17", "::1", "1900"),
    ("CONNECTION", "10.10.0.11", "5061", "10.20.0.7", "50000"),
    ("CONNECTION", "::1", "445", "::1", "49200"),
]


def legacy_store() -> dict[str, Any]:
    return seed.legacy_state()


def base_store(os_version: str) -> dict[str, Any]:
    return legacy_store() if os_version == "5.2" else seed.initial_state()


def state_of(store: dict[str, Any], text: str, os_version: str = "6.1") -> firewall.Outcome:
    return switch.run(store, text, os_version=os_version)


# --------------------------------------------------------------------------- the state


@pytest.mark.parametrize("os_version", ["6.1", "6.0", "5.2"])
def test_the_records_are_written_only_when_the_state_asks(os_version: str) -> None:
    plain = state_of(copy.deepcopy(base_store(os_version)), STATE, os_version)
    store = with_listening(base_store(os_version))
    unasked = state_of(store, STATE, os_version)
    # Byte for byte the state it is without them, counts included.
    assert unasked.stdout == plain.stdout
    assert unasked.counts == plain.counts
    assert "listeners" not in unasked.counts and "connections" not in unasked.counts
    asked = state_of(store, STATE_LISTENERS, os_version)
    assert asked.rc == 0
    assert listening_records(asked.stdout) == EXPECTED
    assert asked.counts == {**plain.counts, "listeners": 5, "connections": 2}
    assert not asked.changed


@pytest.mark.parametrize("os_version", ["6.1", "5.2"])
def test_the_records_come_after_everything_else_and_before_done(os_version: str) -> None:
    base = base_store(os_version)
    # A rollback armed: PENDING is the state's last line.
    temp = switch.Machine(base, os_version).saved_path
    base["files"] = {temp: "OCSFW2\nOP\trollback\nDUE\t" + switch.b64e("2026-01-05 10:06") + "\n"}
    plain = records(state_of(copy.deepcopy(base), STATE, os_version).stdout)
    asked = records(state_of(with_listening(base), STATE_LISTENERS, os_version).stdout)
    # What the state wrote, unchanged, then TCP's listeners, UDP's, the connections, DONE.
    assert plain[-2][0] == "PENDING"
    assert asked[: len(plain) - 1] == plain[:-1]
    tail = [rec[0] for rec in asked[len(plain) - 1 :]]
    assert tail == ["LISTENER"] * 5 + ["CONNECTION"] * 2 + ["DONE"]


def test_the_line_may_stand_anywhere_after_the_version() -> None:
    store = with_listening(seed.initial_state())
    for text in (
        "OCSFW2\nLISTENERS\nOP\tstate\nEND\n",
        "OCSFW2\nOP\tstate\nLISTENERS\nLISTENERS\nEND\n",
    ):
        outcome = state_of(store, text)
        assert outcome.rc == 0
        assert listening_records(outcome.stdout) == EXPECTED


def test_a_store_without_the_keys_reads_as_none() -> None:
    # As the unit tests build stores, and as a lab started before listeners existed wrote them.
    for os_version, store in (("6.1", seed.initial_state()), ("5.2", legacy_store())):
        outcome = state_of(store, STATE_LISTENERS, os_version)
        assert outcome.rc == 0
        assert listening_records(outcome.stdout) == []
        assert outcome.counts["listeners"] == outcome.counts["connections"] == 0


def test_a_listening_line_with_fields_is_an_unexpected_line() -> None:
    outcome = state_of(seed.initial_state(), "OCSFW2\nOP\tstate\nLISTENERS\t1\nEND\n")
    assert outcome.rc == 2
    assert error_of(outcome) == "bad request: unexpected line 3"


ARM = "ARM\t5\t" + switch.b64e(_client.script_text("switch"))
ON = "SWITCH\t1\t1\t0\t1\t0"
HOLD = "HOLDMARK\t" + switch.b64e(" [held]")
RELEASE = "RELEASE\t" + switch.b64e("g") + "\t" + switch.b64e("n")


def ask(op: str, *lines: str) -> str:
    return "\n".join(["OCSFW2", f"OP\t{op}", *lines, "LISTENERS", "END", ""])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ask("switch", ARM, ON), ONLY_STATE),
        (ask("confirm"), ONLY_STATE),
        (ask("tail", "TAIL\t5\t100"), ONLY_STATE),
        (ask("rollback", ON), ONLY_STATE),
        # Read-Switch's checks in its order: ARM's and TAIL's before it, RELEASE's after.
        (ask("switch", ON), NEEDS_ARM),
        (ask("tail"), "bad request: a tail needs TAIL (lines from 1, bytes 1 to 1048576)"),
        (ask("rollback", RELEASE), ONLY_STATE),
        (ask("confirm", HOLD, RELEASE), ONLY_STATE),
    ],
    ids=[
        "switch", "confirm", "tail", "rollback",
        "arm-first", "tail-first", "before-release", "confirm-release",
    ],
)  # fmt: skip
def test_any_other_op_carrying_it_is_refused(text: str, message: str) -> None:
    store = with_listening(seed.initial_state())
    before = copy.deepcopy(store)
    outcome = state_of(store, text)
    assert outcome.rc == 2
    assert error_of(outcome) == message
    assert store == before


def test_a_state_that_fails_writes_none() -> None:
    # Invoke-State throws before Emit-Listeners runs: a stopped service, access denied.
    stopped = with_listening(seed.initial_state())
    stopped["service"] = {"start": 2, "running": False}
    outcome = state_of(stopped, STATE_LISTENERS)
    assert outcome.rc == 2 and listening_records(outcome.stdout) == []
    denied = switch.run(with_listening(seed.initial_state()), STATE_LISTENERS, fail_midway=True)
    assert denied.rc == 2 and listening_records(denied.stdout) == []


def test_a_2003_state_counts_its_profiles_and_what_it_wrote() -> None:
    outcome = state_of(with_listening(legacy_store()), STATE_LISTENERS, "5.2")
    assert outcome.rc == 0
    assert outcome.counts == {"profiles": 2, "listeners": 5, "connections": 2}


# --------------------------------------------------------------------------- the rules script


@pytest.mark.parametrize("os_version", ["6.1", "5.2"])
def test_the_rules_script_has_no_listeners_line(os_version: str) -> None:
    """They are the switch script's (the rules script, which every command carries, stays
    small): in a read or an apply of the rules script, an unexpected line."""
    store = with_listening(base_store(os_version))
    before = copy.deepcopy(store)
    read = "OCSFW2\nOP\tread\nLISTENERS\nEND\n"
    if os_version == "5.2":
        text = legacy_request("apply", open_line(0, 5061), "LISTENERS")
        where = 5
    else:
        text = apply("ocs.firewall - Front End", adds=[add_line("SIP", local_ports="5061")])
        text = text.replace("OP\tapply\n", "OP\tapply\nLISTENERS\n")
        where = 3
    for request, number in ((read, 3), (text, where)):
        outcome = firewall.run(store, request, os_version=os_version)
        assert outcome.rc == 2
        assert error_of(outcome) == f"bad request: unexpected line {number}"
        assert listening_records(outcome.stdout) == []
    assert store == before


# --------------------------------------------------------------------------- the seed


def test_the_roles_are_the_collections_inventory_groups() -> None:
    assert seed.LISTENER_ROLES == (
        "ocs_front_end",
        "ocs_director",
        "ocs_edge",
        "ocs_mediation",
        "ocs_archiving",
        "ocs_monitoring",
        "ocs_cwa",
        "ocs_group_chat",
        "ocs_web_components",
        "ocs_av_conferencing",
        "ocs_web_conferencing",
        "ocs_sql_backend",
        "ocs_reverse_proxy",
    )


def keys(listeners: list[dict[str, Any]]) -> list[tuple[int, str, int]]:
    return [(item["protocol"], item["address"], item["port"]) for item in listeners]


def test_a_2008_host_in_no_role_listens_as_windows_does() -> None:
    assert keys(seed.listening([], legacy=False)) == [
        (TCP, "0.0.0.0", 135),
        (TCP, "::", 135),
        (TCP, "0.0.0.0", 445),
        (TCP, "::", 445),
        (TCP, "0.0.0.0", 139),
        (TCP, "0.0.0.0", 3389),
        (TCP, "0.0.0.0", 5985),
        (UDP, "0.0.0.0", 123),
        (UDP, "0.0.0.0", 137),
        (UDP, "0.0.0.0", 138),
    ]


def test_a_2003_host_listens_as_windows_server_2003_does() -> None:
    assert keys(seed.listening([], legacy=True)) == [
        (TCP, "0.0.0.0", 135),
        (TCP, "0.0.0.0", 445),
        (TCP, "0.0.0.0", 3389),
        (TCP, "0.0.0.0", 5985),
    ]


def test_netbios_listens_on_each_own_ipv4_address() -> None:
    found = keys(
        seed.listening([], legacy=False, addresses=["10.10.0.40", "2001:db8::40", "10.10.2.40"])
    )
    netbios = [key for key in found if key[2] in (137, 138, 139)]
    assert netbios == [
        (TCP, "10.10.0.40", 139),
        (TCP, "10.10.2.40", 139),
        (UDP, "10.10.0.40", 137),
        (UDP, "10.10.2.40", 137),
        (UDP, "10.10.0.40", 138),
        (UDP, "10.10.2.40", 138),
    ]
    # Everything else stays on every address.
    assert (TCP, "0.0.0.0", 3389) in found


def test_each_role_of_the_host_adds_its_listeners_once() -> None:
    base = keys(seed.listening([], legacy=False))
    front_end = keys(seed.listening(["ocs_front_end"], legacy=False))
    mediation = keys(seed.listening(["ocs_mediation"], legacy=False))
    both = keys(seed.listening(["ocs_mediation", "ocs_front_end"], legacy=False))
    assert len(both) == len(set(both))
    assert set(both) == set(front_end) | set(mediation)
    # The Windows' listeners first, then the roles in the data file's order, whatever the
    # order the groups were given in.
    assert both[: len(base)] == base
    assert both == list(dict.fromkeys(front_end + mediation))
    assert (TCP, "0.0.0.0", 5062) in both and (UDP, "0.0.0.0", 60000) in both
    # SIP 5060 and 5061 are both roles', and DCOM 135 the Windows' too: each once.
    assert both.count((TCP, "0.0.0.0", 5061)) == 1
    assert both.count((TCP, "0.0.0.0", 135)) == 1


@pytest.mark.parametrize("group", seed.LISTENER_ROLES)
def test_every_role_listens_beyond_the_windows_it_runs_on(group: str) -> None:
    base = set(keys(seed.listening([], legacy=False)))
    assert set(keys(seed.listening([group], legacy=False))) - base


def test_a_port_range_gets_one_listener_its_first_port() -> None:
    av = keys(seed.listening(["ocs_av_conferencing"], legacy=False))
    edge = keys(seed.listening(["ocs_edge"], legacy=False))
    assert [key for key in av if key[0] == UDP and key[2] >= 49152] == [(UDP, "0.0.0.0", 49152)]
    assert [key for key in edge if key[2] >= 50000] == [(TCP, "0.0.0.0", 50000)]


def data_listeners(base: str) -> list[dict[str, Any]]:
    data = json.loads(seed.DATA_FILE.read_text(encoding="utf-8"))
    listeners: list[dict[str, Any]] = data["sets"][seed.LISTENERS_SET][base]["listeners"]
    return listeners


@pytest.mark.parametrize(
    "spec", data_listeners(seed.BASE_2008), ids=lambda s: f"{s['protocol']}-{s['port']}"
)
def test_a_2008_base_listener_is_admitted_as_the_data_file_says(spec: dict[str, Any]) -> None:
    # A Front End's store, OCS set-up's rules included: they name OCS programs, so they
    # admit none of these.
    flow = {
        "direction": "in",
        "protocol": spec["protocol"],
        "profile": "domain",
        "remote_address": "10.20.0.7",
        "local_port": spec["port"],
        "program": spec["program"],
    }
    if "service" in spec:
        flow["service"] = spec["service"]
    verdict = evaluate.evaluate(seed.initial_state(), flow)
    if spec["allowed_by"] is None:
        assert verdict["verdict"] == "blocked", verdict
    else:
        assert verdict["verdict"] == "allowed", verdict
        assert spec["allowed_by"] in verdict["rules"]


def test_a_2003_base_listener_is_opened_only_by_the_entry_it_names() -> None:
    # A started 2003 host's entries: the legacy set's and winrm quickconfig's (WinRM).
    opened = {
        entry["port"]: entry["name"]
        for profile in seed.legacy_state(winrm=True)["legacy"].values()
        for entry in profile["ports"]
    }
    for spec in data_listeners(seed.BASE_2003):
        assert opened.get(spec["port"]) == spec["allowed_by"], spec
    assert [s["port"] for s in data_listeners(seed.BASE_2003) if s["allowed_by"]] == [5985]


# --------------------------------------------------------------------------- host variables


def first_store(variables: dict[str, Any], groups: list[str] | None = None) -> dict[str, Any]:
    os_version = str(variables.get("ocs_lab_os", "6.1"))
    return api._first_store("fe01", variables, os_version, groups or [])


def test_ocs_lab_listeners_are_added_after_the_seed() -> None:
    store = first_store(
        {
            "ocs_lab_listeners": [
                {"protocol": "tcp", "port": 8080},
                {"protocol": "UDP", "port": 161, "address": "10.10.0.11"},
                {"protocol": "tcp", "port": 5354, "address": "127.0.0.1"},
                {"protocol": "tcp", "port": 3389},
            ]
        }
    )
    found = keys(store["listeners"])
    seeded = keys(seed.listening([], legacy=False))
    assert found == seeded + [
        (TCP, "0.0.0.0", 8080),
        (UDP, "10.10.0.11", 161),
        (TCP, "127.0.0.1", 5354),
    ]
    assert store["connections"] == []


def test_no_seed_leaves_only_the_variables_listeners() -> None:
    variables = {
        "ocs_lab_listeners_seed": False,
        "ocs_lab_listeners": [{"protocol": "udp", "port": 3478, "address": "::"}],
    }
    assert keys(first_store(variables, ["ocs_edge"])["listeners"]) == [(UDP, "::", 3478)]
    assert first_store({"ocs_lab_listeners_seed": False})["listeners"] == []


def test_a_2003_host_takes_the_same_variables() -> None:
    store = first_store(
        {
            "ocs_lab_os": "5.2",
            "ocs_lab_listeners": [{"protocol": "tcp", "port": 10000}],
            "ocs_lab_connections": [{"port": 3389, "remote_address": "10.20.0.7"}],
        },
        ["ocs_front_end"],
    )
    assert "legacy" in store
    found = keys(store["listeners"])
    assert found[:4] == keys(seed.listening([], legacy=True))
    assert (TCP, "0.0.0.0", 5061) in found and found[-1] == (TCP, "0.0.0.0", 10000)
    assert store["connections"] == [
        {
            "local_address": "10.0.0.1",
            "local_port": 3389,
            "remote_address": "10.20.0.7",
            "remote_port": 50000,
        }
    ]


@pytest.mark.parametrize(
    ("variables", "local"),
    [
        ({}, seed.FALLBACK_LOCAL_ADDRESS),
        ({"ocs_firewall_address": "10.10.0.11"}, "10.10.0.11"),
        ({"ocs_firewall_address": ["10.10.0.40", "10.10.2.40"]}, "10.10.0.40"),
        ({"ansible_host": "10.10.0.12"}, "10.10.0.12"),
        ({"ansible_host": "fe02.ocs.example"}, seed.FALLBACK_LOCAL_ADDRESS),
    ],
)
def test_a_connections_local_address_defaults_to_the_hosts_own(
    variables: dict[str, Any], local: str
) -> None:
    variables["ocs_lab_connections"] = [{"port": 5061, "remote_address": "10.20.0.7"}]
    (connection,) = first_store(variables)["connections"]
    assert connection == {
        "local_address": local,
        "local_port": 5061,
        "remote_address": "10.20.0.7",
        "remote_port": 50000,
    }


def test_a_connection_says_all_it_can() -> None:
    spec = {"port": 445, "remote_address": "::1", "remote_port": 49200, "local_address": "::1"}
    store = first_store({"ocs_lab_connections": [spec]})
    assert store["connections"] == [
        {"local_address": "::1", "local_port": 445, "remote_address": "::1", "remote_port": 49200}
    ]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 0}]},
            "ocs_lab_listeners[0]: port must be a whole number from 1 to 65535, got 0",
        ),
        ({"ocs_lab_listeners": [{"protocol": "tcp", "port": 70000}]}, "got 70000"),
        ({"ocs_lab_listeners": [{"protocol": "tcp", "port": "443"}]}, "got '443'"),
        ({"ocs_lab_listeners": [{"protocol": "tcp", "port": True}]}, "got True"),
        (
            {"ocs_lab_listeners": [{"protocol": "sctp", "port": 5061}]},
            "ocs_lab_listeners[0]: protocol must be one of ['tcp', 'udp'], got 'sctp'",
        ),
        ({"ocs_lab_listeners": [{"port": 5061}]}, "protocol must be one of"),
        (
            {"ocs_lab_listeners": {"protocol": "tcp", "port": 5061}},
            "ocs_lab_listeners must be a list",
        ),
        ({"ocs_lab_listeners": "tcp/5061"}, "ocs_lab_listeners must be a list"),
        ({"ocs_lab_listeners": [5061]}, "ocs_lab_listeners[0] must be a mapping"),
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 1, "address": "10.0.0.300"}]},
            "ocs_lab_listeners[0]: address '10.0.0.300' is not an IP address",
        ),
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 1, "address": "fe01.ocs.example"}]},
            "is not an IP address",
        ),
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 1, "address": "10.0.0.0/24"}]},
            "is not an IP address",
        ),
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 1, "address": 167772161}]},
            "address must be an IP address, got 167772161",
        ),
        (
            {"ocs_lab_listeners": [{"protocol": "tcp", "port": 1, "program": "x"}]},
            "unknown keys ['program']",
        ),
        (
            {"ocs_lab_listeners_seed": "no"},
            "ocs_lab_listeners_seed must be true or false, got 'no'",
        ),
        (
            {"ocs_lab_connections": [{"port": 0, "remote_address": "10.20.0.7"}]},
            "ocs_lab_connections[0]: port must be a whole number from 1 to 65535, got 0",
        ),
        (
            {"ocs_lab_connections": [{"port": 5061}]},
            "ocs_lab_connections[0]: remote_address must be an IP address, got None",
        ),
        (
            {"ocs_lab_connections": [{"port": 5061, "remote_address": "client"}]},
            "remote_address 'client' is not an IP address",
        ),
        (
            {
                "ocs_lab_connections": [
                    {"port": 5061, "remote_address": "10.20.0.7", "remote_port": 65536}
                ]
            },
            "remote_port must be a whole number from 1 to 65535",
        ),
        (
            {"ocs_lab_connections": [{"port": 5061, "remote_address": "2001:db8::7"}]},
            "are not of one IP version",
        ),
        (
            {
                "ocs_lab_connections": [
                    {"port": 5061, "remote_address": "10.20.0.7", "state": "Established"}
                ]
            },
            "unknown keys ['state']",
        ),
        ({"ocs_lab_connections": "10.20.0.7:5061"}, "ocs_lab_connections must be a list"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_host(variables: dict[str, Any], message: str) -> None:
    with pytest.raises(LabError) as raised:
        first_store(variables)
    assert str(raised.value).startswith("host fe01: ")
    assert message in str(raised.value)


def test_memberships_follow_children_in_the_order_asked() -> None:
    data = {
        "all": {
            "children": {
                "ocs_mediation": {"hosts": {"se01": None, "med01": None}},
                "ocs_front_end": {"children": {"standard": {"hosts": {"se01": None}}}},
            }
        }
    }
    found = inventory.memberships(data, ["ocs_front_end", "ocs_mediation", "ocs_edge"])
    assert found == {"se01": ["ocs_front_end", "ocs_mediation"], "med01": ["ocs_mediation"]}


# --------------------------------------------------------------------------- a started lab


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("listeners")
    written = api.start(EXAMPLE_INVENTORY, folder / "state", output=folder / "out.yml")
    yield folder / "state", written
    api.stop(folder / "state")


def test_every_host_of_the_example_estate_listens(estate: tuple[Path, dict[str, Any]]) -> None:
    state, _written = estate
    dumped = api.dump(state)
    source = inventory.load(EXAMPLE_INVENTORY)
    assert set(dumped) == set(inventory.hosts(source))
    for host, store in dumped.items():
        assert store["listeners"], host
        assert store["connections"] == [], host
        assert len(keys(store["listeners"])) == len(set(keys(store["listeners"]))), host
    fe01 = keys(dumped["fe01.ocs.example"]["listeners"])
    # Its own address from ocs_firewall_address; its roles: Front End, A/V and Web
    # Conferencing, Web Components.
    assert (TCP, "10.10.0.11", 139) in fe01 and (UDP, "10.10.0.11", 137) in fe01
    for key in (
        (TCP, "0.0.0.0", 5061),
        (TCP, "0.0.0.0", 5063),
        (TCP, "0.0.0.0", 8057),
        (TCP, "0.0.0.0", 443),
    ):
        assert key in fe01
    se01 = keys(dumped["se01.ocs.example"]["listeners"])
    assert (UDP, "0.0.0.0", 60000) in se01 and se01.count((TCP, "0.0.0.0", 5061)) == 1
    assert (TCP, "0.0.0.0", 1433) in keys(dumped["sql01.ocs.example"]["listeners"])
    assert (UDP, "0.0.0.0", 3478) in keys(dumped["edge01.ocs.example"]["listeners"])


def test_the_written_inventory_keeps_no_listener_variable(
    tmp_path: Path,
) -> None:
    source = {
        "all": {
            "vars": {"ocs_lab_listeners_seed": False},
            "hosts": {
                "fe09": {
                    "ocs_lab_listeners": [{"protocol": "tcp", "port": 5061}],
                    "ocs_lab_connections": [{"port": 5061, "remote_address": "10.20.0.7"}],
                }
            },
        }
    }
    try:
        written = api.start(source, tmp_path / "state", output=tmp_path / "out.yml")
        assert "ocs_lab_" not in (tmp_path / "out.yml").read_text(encoding="utf-8")
        assert "ocs_lab_" not in yaml.safe_dump(written)
        store = api.dump(tmp_path / "state")["fe09"]
        assert keys(store["listeners"]) == [(TCP, "0.0.0.0", 5061)]
        assert len(store["connections"]) == 1
    finally:
        api.stop(tmp_path / "state")


def test_a_bad_listener_stops_start_naming_the_host(tmp_path: Path) -> None:
    bad = {"all": {"hosts": {"fe09": {"ocs_lab_listeners": [{"protocol": "tcp", "port": 0}]}}}}
    with pytest.raises(LabError, match=r"host fe09: ocs_lab_listeners\[0\]: port"):
        api.start(bad, tmp_path / "state")
    assert api.running_pid(tmp_path / "state") is None


def test_a_state_over_winrm_writes_them_and_the_trace_counts_them(
    estate: tuple[Path, dict[str, Any]],
) -> None:
    state, written = estate
    host = "fe01.ocs.example"
    proto = protocol(inventory.hosts(written)[host])
    api.trace(state, [host], reset=True)
    stdout, stderr, rc = run(proto, _client.build_stdin(STATE_LISTENERS, "switch"))
    assert rc == 0, stderr
    stored = api.dump(state, [host])[host]["listeners"]
    lines = listening_records(stdout.decode("utf-8"))
    tcp_first = [item for item in stored if item["protocol"] == TCP] + [
        item for item in stored if item["protocol"] == UDP
    ]
    assert lines == [
        ("LISTENER", str(item["protocol"]), item["address"], str(item["port"]))
        for item in tcp_first
    ]
    stdout, stderr, rc = run(proto, _client.build_stdin(STATE, "switch"))
    assert rc == 0, stderr
    assert listening_records(stdout.decode("utf-8")) == []
    asked, unasked = api.trace(state, [host])[host]
    assert (asked["script"], asked["op"]) == ("switch", "state")
    assert asked["counts"]["listeners"] == len(stored)
    assert asked["counts"]["connections"] == 0
    assert "listeners" not in unasked["counts"] and "connections" not in unasked["counts"]
