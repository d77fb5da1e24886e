"""The inbound flows a host's firewall dropped, from its log (plugin_utils/_reports/_drops.py).

The lines are Windows Firewall's own (pfirewall.log, the W3C format Windows Server 2003
and 2008 write alike); the hosts are requests as win_ocs_firewall works them out.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request, _scope
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _drops

HEADER = [
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path",
    "",
]
# The example of the log's documentation: a WinRM probe, and STUN to a host without an Edge.
EXAMPLE = [
    *HEADER,
    "2026-12-07 10:00:00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 123456 0 8192 - - - "
    "RECEIVE",
    "2026-12-07 10:00:01 DROP UDP 10.20.0.7 10.10.0.11 50000 3478 60 - - - - - - - RECEIVE",
]
DIRECTOR = {"director": {"remote_addresses": ["10.0.0.0/24"]}}
# A small estate whose scope comes from the inventory.
GROUPS = {
    "ocs_director": ["dir01"],
    "ocs_front_end": ["fe01"],
    "ocs_edge": ["edge01"],
    "ocs_mediation": ["med01"],
}
HOSTVARS = {
    "dir01": {"ocs_firewall_address": "10.10.0.30"},
    "fe01": {"ocs_firewall_address": "10.10.0.11"},
    "edge01": {"ocs_firewall_address": "10.10.1.10"},
    "med01": {"ocs_firewall_address": "10.10.0.40"},
}
INVENTORY_SCOPE = {
    "ocs_firewall_scope": "inventory",
    "ocs_firewall_client_networks": ["10.20.0.0/16"],
    "ocs_firewall_domain_controllers": ["10.10.0.5"],
}
EDGE = {
    "ocs_edge_internal_addresses": ["10.10.1.10"],
    "ocs_edge_external_addresses": ["192.0.2.10"],
}


def request(components: dict[str, Any] | None = None) -> _host_request.HostRequest:
    found, problems = _host_request.host_request(
        [], {}, components=components if components is not None else DIRECTOR
    )
    assert found is not None, problems
    return found


def held_by_groups(groups: list[str], variables: dict[str, Any]) -> _host_request.HostRequest:
    found, problems = _host_request.host_request(
        groups, variables, inventory=_scope.Inventory(GROUPS, HOSTVARS)
    )
    assert found is not None, problems
    return found


def drop(
    source: str,
    port: int | str,
    *,
    protocol: str = "TCP",
    destination: str = "10.10.0.30",
    at: str = "2026-12-07 10:00:00",
    action: str = "DROP",
    path: str = "RECEIVE",
) -> str:
    """A line of the log in Windows' default order."""
    flags = "S 123456 0 8192" if protocol == "TCP" else "- - - -"
    return f"{at} {action} {protocol} {source} {destination} 50123 {port} 52 {flags} - - - {path}"


def icmp(source: str, kind: int, code: int, at: str = "2026-12-07 10:00:00") -> str:
    return f"{at} DROP ICMP {source} 10.10.0.30 - - 60 - - - - {kind} {code} - RECEIVE"


def summary(
    lines: list[str], host: _host_request.HostRequest | None = None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    return _drops.summarise(host or request(), lines)


def keys(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["kind"], f["source"], f["protocol"], f["port"], f["count"]) for f in found]


# ---- reading the log ----------------------------------------------------------------------


def test_the_documented_example_reads_as_two_inbound_drops() -> None:
    drops, lines = _drops.parse(EXAMPLE)
    assert drops == [
        _drops.Drop("2026-12-07 10:00:00", "tcp", "10.10.5.10", "10.10.0.11", port=5985),
        _drops.Drop("2026-12-07 10:00:01", "udp", "10.20.0.7", "10.10.0.11", port=3478),
    ]
    # Headers and the blank line are read, not counted as anything else.
    assert lines.as_dict() == {"read": 7, "dropped": 2, "skipped": 0, "unparsed": 0, "lost": 0}


def test_without_a_header_in_the_window_the_default_order_is_read() -> None:
    drops, lines = _drops.parse(EXAMPLE[len(HEADER) :])
    assert [(d.source, d.port) for d in drops] == [("10.10.5.10", 5985), ("10.20.0.7", 3478)]
    assert lines.unparsed == 0


def test_a_header_in_the_middle_sets_the_order_of_the_lines_after_it() -> None:
    # The log rotated: the old file's last lines (no header in the window), then the new
    # file with its header - a later Windows that adds the process id at the end.
    lines = [
        drop("10.20.0.7", 5061, at="2026-12-07 09:59:58"),
        "#Version: 1.5",
        "#Software: Microsoft Windows Firewall",
        "#Time Format: Local",
        "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags "
        "tcpsyn tcpack tcpwin icmptype icmpcode info path pid",
        "",
        drop("10.20.0.7", 5061, at="2026-12-07 10:00:03") + " 4",
        # The old order, under the new header: one field short.
        drop("10.20.0.8", 5061, at="2026-12-07 10:00:04"),
    ]
    drops, counts = _drops.parse(lines)
    assert [(d.when, d.source) for d in drops] == [
        ("2026-12-07 09:59:58", "10.20.0.7"),
        ("2026-12-07 10:00:03", "10.20.0.7"),
    ]
    assert (counts.dropped, counts.unparsed) == (2, 1)


def test_a_header_may_order_the_fields_otherwise() -> None:
    lines = [
        "#Fields: path action date time protocol dst-port src-ip dst-ip icmptype icmpcode",
        "RECEIVE DROP 2026-12-07 10:00:00 UDP 5062 10.20.0.7 10.10.0.30 - -",
    ]
    (found,) = _drops.parse(lines)[0]
    assert (found.protocol, found.port, found.source, found.destination) == (
        "udp",
        5062,
        "10.20.0.7",
        "10.10.0.30",
    )


def test_a_header_without_a_needed_field_is_unparsed_and_the_order_stays() -> None:
    lines = [
        "#Fields: date time action protocol src-ip dst-ip",
        drop("10.20.0.7", 5061),
    ]
    drops, counts = _drops.parse(lines)
    assert [d.port for d in drops] == [5061]
    assert counts.unparsed == 1


@pytest.mark.parametrize(
    "line",
    [
        # The first line of a window cut short (the host drops it; a line cut anyway).
        "0:00:00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 123456 0 8192 - - - RECEIVE",
        # The last line, still being written.
        "2026-12-07 10:00:00 DROP TCP 10.10.5.10 10.10.0.11 512",
        "garbage",
        "2026-12-07 10:00:00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 123456 0 8192 - - - "
        "RECEIVE extra",
        "2026-13-07x 10:00:00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 1 0 8192 - - - "
        "RECEIVE",
        "2026-12-07 10h00 DROP TCP 10.10.5.10 10.10.0.11 51234 5985 48 S 1 0 8192 - - - RECEIVE",
        drop("10.10.5.300", 5985),
        drop("10.10.5.10", 5985, destination="host.example"),
        drop("10.10.5.10", "-"),
        drop("10.10.5.10", 70000),
        drop("10.10.5.10", "５９８５"),  # fullwidth digits: isdigit() is not enough
        drop("10.10.5.10", 80, protocol="T/CP"),
        "2026-12-07 10:00:00 DROP ICMP 10.20.0.7 10.10.0.30 - - 60 - - - - - - - RECEIVE",
        "2026-12-07 10:00:00 DROP ICMP 10.20.0.7 10.10.0.30 - - 60 - - - - 300 0 - RECEIVE",
    ],
)
def test_a_line_that_is_not_the_logs_is_unparsed_never_guessed(line: str) -> None:
    drops, counts = _drops.parse([*HEADER, line])
    assert drops == []
    assert (counts.unparsed, counts.dropped, counts.skipped) == (1, 0, 0)


def test_only_inbound_drops_count_the_rest_is_skipped_and_lost_events_summed() -> None:
    lines = [
        *HEADER,
        drop("10.20.0.7", 5061, action="ALLOW"),
        drop("10.20.0.7", 5061, path="SEND"),
        # Windows Server 2003's own actions.
        drop("10.20.0.7", 5061, action="OPEN"),
        drop("10.20.0.7", 5061, action="CLOSE"),
        drop("10.20.0.7", 5061, action="OPEN-INBOUND"),
        "2026-12-07 10:00:00 INFO-EVENTS-LOST - - - - - - - - - - - - 17 -",
        "2026-12-07 10:00:05 INFO-EVENTS-LOST - - - - - - - - - - - - 3 -",
        drop("10.20.0.7", 5061).lower(),  # case is Windows' choice, not the meaning
        "",
        "   ",
    ]
    drops, counts = _drops.parse(lines)
    assert [(d.protocol, d.port) for d in drops] == [("tcp", 5061)]
    assert counts.as_dict() == {
        "read": len(lines),
        "dropped": 1,
        "skipped": 7,
        "unparsed": 0,
        "lost": 20,
    }


def test_ipv6_sources_are_read_and_written_one_way() -> None:
    lines = [
        drop("2001:DB8::10", 5061, destination="2001:db8::30"),
        drop("2001:db8:0:0::10", 5061, destination="2001:db8::30", at="2026-12-07 10:00:09"),
        drop("fe80::1%11", 5061, destination="fe80::30%11"),
    ]
    found, lines_ = summary(lines)
    assert [(f["source"], f["count"], f["destinations"]) for f in found] == [
        ("2001:db8::10", 2, ["2001:db8::30"]),
        ("fe80::1%11", 1, ["fe80::30%11"]),
    ]
    assert lines_["unparsed"] == 0
    # Outside the Director's IPv4 scope, a zone id or not.
    assert {f["kind"] for f in found} == {"held_port"}
    assert all("10.0.0.0/24" in f["remedy"] for f in found)


# ---- grouping and order ---------------------------------------------------------------------


def test_a_group_counts_its_drops_their_first_and_last_time_and_destinations() -> None:
    lines = [
        drop("10.20.0.7", 8404, destination="10.10.0.30", at="2026-12-07 10:00:05"),
        drop("10.20.0.7", 8404, destination="10.10.0.31", at="2026-12-07 10:00:07"),
        # A second log file (another profile's) need not be in time order after the first.
        drop("10.20.0.7", 8404, destination="10.10.0.30", at="2026-12-07 09:59:59"),
        # Another protocol on the same port is another group.
        drop("10.20.0.7", 8404, protocol="UDP"),
    ]
    found, _lines = summary(lines)
    tcp = next(f for f in found if f["protocol"] == "tcp")
    assert (tcp["count"], tcp["first_seen"], tcp["last_seen"]) == (
        3,
        "2026-12-07 09:59:59",
        "2026-12-07 10:00:07",
    )
    assert tcp["destinations"] == ["10.10.0.30", "10.10.0.31"]
    assert "3 drop(s) 2026-12-07 09:59:59 to 2026-12-07 10:00:07" in tcp["text"]
    udp = next(f for f in found if f["protocol"] == "udp")
    assert udp["count"] == 1 and "at 2026-12-07 10:00:00" in udp["text"]


def test_findings_come_most_drops_first_then_by_source_address_then_port() -> None:
    lines = [
        drop("10.0.0.10", 445),
        drop("10.0.0.9", 445),
        drop("10.0.0.9", 139),
        drop("2001:db8::1", 139),
        *[drop("192.168.1.1", 3389)] * 3,
        *[drop("10.0.0.200", 3389)] * 3,
    ]
    found, _lines = summary(lines)
    assert [(f["source"], f["port"], f["count"]) for f in found] == [
        ("10.0.0.200", 3389, 3),
        ("192.168.1.1", 3389, 3),
        # 10.0.0.9 before 10.0.0.10: addresses, not text; IPv4 before IPv6.
        ("10.0.0.9", 139, 1),
        ("10.0.0.9", 445, 1),
        ("10.0.0.10", 445, 1),
        ("2001:db8::1", 139, 1),
    ]


# ---- what each group is to the inventory ---------------------------------------------------


def test_a_port_no_entry_opens_is_unknown_leave_it_blocked() -> None:
    (found,), _lines = summary([drop("10.10.5.10", 5985)])
    assert found["kind"] == "unknown_port"
    assert (found["entries"], found["held"], found["components"], found["inventory"]) == (
        [],
        False,
        [],
        [],
    )
    assert found["text"] == (
        "5985/tcp from 10.10.5.10 to 10.10.0.30: 1 drop(s) at 2026-12-07 10:00:00; "
        "no catalogue entry opens it"
    )
    assert found["remedy"].startswith("leave it blocked, or a rule of your own")


def test_another_protocol_is_unknown_with_no_port() -> None:
    line = "2026-12-07 10:00:00 DROP 47 10.20.0.7 10.10.0.30 - - 60 - - - - - - - RECEIVE"
    (found,), _lines = summary([line])
    assert (found["kind"], found["protocol"], found["port"]) == ("unknown_port", "47", None)
    assert found["text"].startswith("protocol 47 from 10.20.0.7")


def test_a_port_two_components_open_names_both_groups_when_the_host_holds_neither() -> None:
    # 135/tcp: the Front End's, the Monitoring Server's and the Archiving Server's.
    (found,), _lines = summary([drop("10.20.0.7", 135)])
    assert found["kind"] == "component_port"
    assert found["held"] is False
    assert found["entries"] == [
        "seed-05 (front_end)",
        "seed-42 (monitoring)",
        "seed-44 (archiving)",
    ]
    assert found["components"] == ["front_end", "monitoring", "archiving"]
    assert found["inventory"] == ["ocs_front_end", "ocs_monitoring", "ocs_archiving"]
    assert "put it in ocs_front_end or ocs_monitoring or ocs_archiving" in found["remedy"]
    assert found["remedy"].endswith("otherwise leave it blocked")
    assert found["text"].endswith(
        "a port of front_end, monitoring, archiving, which the host does not hold"
    )


def test_a_held_components_port_names_the_variable_that_widens_its_scope() -> None:
    # 5061/tcp: the Director's (held, scoped to 10.0.0.0/24) and six others' entries.
    (found,), _lines = summary([drop("10.20.0.7", 5061)])
    assert found["kind"] == "held_port"
    assert found["held"] is True
    assert "seed-45 (director)" in found["entries"] and "seed-01 (front_end)" in found["entries"]
    assert found["components"] == ["director"]
    assert found["inventory"] == ["ocs_director_remote_addresses"]
    assert found["remedy"] == (
        "a component of the host opens it (seed-45 (director)) to other addresses only "
        "(10.0.0.0/24): if 10.20.0.7 must connect, widen ocs_director_remote_addresses; "
        "otherwise leave it blocked"
    )
    assert found["text"].endswith("a port of the host's director")


def test_a_held_port_whose_rule_admits_the_source_points_at_the_profile() -> None:
    (found,), _lines = summary([drop("10.0.0.7", 5061)])
    assert found["kind"] == "held_port"
    assert found["inventory"] == ["ocs_director_profiles"]
    assert "opens it to 10.0.0.7 (seed-45 (director))" in found["remedy"]
    assert "check ocs_director_profiles against the profile the host is on" in found["remedy"]


def test_a_held_port_scoped_from_the_inventory_names_the_peers_that_would_admit_it() -> None:
    host = held_by_groups(["ocs_director"], INVENTORY_SCOPE)
    (inside, outside), _lines = summary(
        [drop("10.30.0.7", 5061), drop("10.20.0.7", 5061, at="2026-12-07 10:00:01")], host
    )
    assert outside["source"] == "10.30.0.7" and outside["kind"] == "held_port"
    assert outside["inventory"] == [
        "ocs_front_end",
        "ocs_director",
        "ocs_edge",
        "ocs_mediation",
        "ocs_firewall_client_networks",
        "ocs_firewall_load_balancer_addresses",
        "ocs_director_remote_addresses",
    ]
    assert (
        "if 10.30.0.7 must connect, make it a peer in the inventory (a host of ocs_front_end "
        "or ocs_director or ocs_edge or ocs_mediation, ocs_firewall_client_networks, "
        "ocs_firewall_load_balancer_addresses), or set ocs_director_remote_addresses"
    ) in outside["remedy"]
    # The scope's addresses: the peers' and the client networks, four shown.
    assert "(10.10.0.11, 10.10.0.30, 10.10.1.10, 10.20.0.0/16)" in outside["remedy"]
    # A client of the client networks (sorted first, by address) is in the scope: the
    # drop is not the scope's doing.
    assert inside["inventory"] == ["ocs_director_profiles"]


def test_a_held_port_on_another_local_address_names_the_address_settings() -> None:
    host = held_by_groups(["ocs_edge"], EDGE)
    (found,), _lines = summary([drop("10.30.0.7", 5061, destination="192.0.2.99")], host)
    assert found["kind"] == "held_port"
    assert "on other local addresses only (192.0.2.10, 10.10.1.10)" in found["remedy"]
    assert "if it must be reached on 192.0.2.99" in found["remedy"]
    assert "ocs_edge_internal_addresses" in found["inventory"]
    assert "ocs_edge_external_addresses" in found["inventory"]


def test_a_held_components_entry_its_settings_leave_out_names_the_opt_in() -> None:
    # 50001/udp: the Edge's R1 federation range (an opt-in, off), the Front End's and the
    # A/V Conferencing Server's media.
    host = held_by_groups(["ocs_edge"], EDGE)
    (found,), _lines = summary(
        [drop("203.0.113.5", 50001, protocol="UDP", destination="192.0.2.10")], host
    )
    assert found["kind"] == "held_port"
    assert found["components"] == ["edge"]
    assert found["inventory"] == ["ocs_edge_r1_federation"]
    assert "(ocs_edge_r1_federation is off (an opt-in))" in found["remedy"]


def test_a_held_component_that_is_absent_says_so() -> None:
    (found,), _lines = summary([drop("10.0.0.7", 5061)], request({"director": {"state": "absent"}}))
    assert found["kind"] == "held_port"
    assert found["inventory"] == ["ocs_director_state"]
    assert "ocs_director_state is absent" in found["remedy"]


def test_icmp_is_grouped_by_type_and_code_with_no_port_never_mapped() -> None:
    lines = [
        icmp("10.20.0.7", 8, 0),
        icmp("10.20.0.7", 8, 0, at="2026-12-07 10:00:01"),
        icmp("10.20.0.7", 3, 3),
        "2026-12-07 10:00:00 DROP ICMPv6 2001:db8::7 2001:db8::30 - - 60 - - - - 128 0 - RECEIVE",
    ]
    found, _lines = summary(lines)
    assert [
        (f["kind"], f["protocol"], f["port"], f["icmp_type"], f["icmp_code"], f["count"])
        for f in found
    ] == [
        ("icmp", "icmp", None, 8, 0, 2),
        ("icmp", "icmp", None, 3, 3, 1),
        ("icmp", "icmpv6", None, 128, 0, 1),
    ]
    assert all(f["entries"] == [] and f["held"] is False for f in found)
    assert found[0]["text"].startswith("ICMP type 8 code 0 from 10.20.0.7")
    assert found[2]["text"].startswith("ICMPV6 type 128 code 0 from 2001:db8::7")


def test_a_finding_has_every_field_of_the_documented_shape() -> None:
    found, lines = summary(EXAMPLE)
    assert {tuple(f) for f in found} == {
        (
            "kind",
            "protocol",
            "port",
            "icmp_type",
            "icmp_code",
            "source",
            "destinations",
            "count",
            "first_seen",
            "last_seen",
            "entries",
            "held",
            "components",
            "inventory",
            "text",
            "remedy",
        )
    }
    assert keys(found) == [
        ("unknown_port", "10.10.5.10", "tcp", 5985, 1),
        ("component_port", "10.20.0.7", "udp", 3478, 1),
    ]
    assert lines["dropped"] == 2


# ---- counts, files, message, bounds -------------------------------------------------------


def test_counts_name_every_kind() -> None:
    found, _lines = summary([*EXAMPLE, icmp("10.20.0.7", 8, 0), drop("10.20.0.7", 5061)])
    assert _drops.counts(found) == {
        "held_port": 1,
        "component_port": 1,
        "unknown_port": 1,
        "icmp": 1,
    }
    assert _drops.counts([]) == dict.fromkeys(_drops.KINDS, 0)


LOG = r"C:\Windows\system32\LogFiles\Firewall\pfirewall.log"


def test_the_message_says_what_was_read_and_found() -> None:
    files = _drops.files([(LOG, 4096)])
    assert files == [{"path": LOG, "size": 4096}]
    found, lines = summary([*EXAMPLE, "garbage"])
    assert _drops.message("fe01", found, lines, files) == (
        f"fe01: 2 finding(s) from 2 inbound drop(s) in the last 8 line(s) of {LOG}: "
        "1 component_port, 1 unknown_port; 1 line(s) unparsed"
    )
    found, lines = summary(HEADER)
    assert _drops.message("fe01", found, lines, files) == (
        f"fe01: no inbound drops in the last 5 line(s) of {LOG}"
    )


def test_a_host_without_a_log_is_told_how_to_get_one() -> None:
    files = _drops.files([(LOG, -1)])
    message = _drops.message("fe01", [], _drops.LineCounts().as_dict(), files)
    assert message.startswith(f"fe01: no firewall log ({LOG})")
    assert "ocs_firewall_log_dropped: true" in message


@pytest.mark.parametrize(("max_lines", "max_bytes"), [(1, 1), (2000, 262144), (100000, 1048576)])
def test_bounds_within_range_pass(max_lines: int, max_bytes: int) -> None:
    assert _drops.check_bounds(max_lines, max_bytes) == (max_lines, max_bytes)


@pytest.mark.parametrize(
    ("max_lines", "max_bytes", "problem"),
    [
        (0, 1, "max_lines: 0 is out of range: from 1 to 100000"),
        (100001, 1, "max_lines: 100001 is out of range: from 1 to 100000"),
        (-5, 1, "max_lines: -5 is out of range"),
        (True, 1, "max_lines: true is not a whole number from 1 to 100000"),
        ("10", 1, 'max_lines: "10" is not a whole number'),
        (1, 0, "max_bytes: 0 is out of range: from 1 to 1048576"),
        (1, 1048577, "max_bytes: 1048577 is out of range: from 1 to 1048576"),
        (1, None, "max_bytes: null is not a whole number from 1 to 1048576"),
    ],
)
def test_bounds_out_of_range_name_the_option_and_value(
    max_lines: Any, max_bytes: Any, problem: str
) -> None:
    with pytest.raises(InputError, match="^" + problem.replace("(", r"\(").replace(")", r"\)")):
        _drops.check_bounds(max_lines, max_bytes)


def test_both_bounds_wrong_are_both_named() -> None:
    with pytest.raises(InputError) as caught:
        _drops.check_bounds(0, 0)
    assert [p.split(":")[0] for p in caught.value.problems] == ["max_lines", "max_bytes"]


def test_a_window_of_many_lines_is_read_once_per_port() -> None:
    # A port scan: every line another port. Each is a finding of its own, each read once.
    lines = [drop("10.66.0.1", port) for port in range(1, 2001)]
    found, counts = summary(lines)
    assert len(found) == 2000 and counts["dropped"] == 2000
    assert {f["count"] for f in found} == {1}
    assert [f["port"] for f in found[:3]] == [1, 2, 3]
