"""The lab's simulated firewall: request parsing, Windows canonicalisation, ownership.

These pin the behaviour the integration tests rely on: that the lab stores values the way
Windows does and refuses what Windows refuses, so a bug in the collection's canonical form
or diff shows up as a non-idempotent run against the lab.
"""

from __future__ import annotations

import ast
import base64
import copy
import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from ocs_lab import firewall, seed
from ocs_lab.seed import OCS_GROUP, initial_state

GROUP = "ocs.firewall - Front End"


def b(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text else ""


def add_line(
    name: str,
    *,
    description: str = "",
    direction: int = 1,
    action: int = 1,
    protocol: int = 6,
    local_ports: str = "*",
    remote_ports: str = "*",
    local_addresses: str = "*",
    remote_addresses: str = "*",
    profiles: int = 7,
    enabled: int = 1,
) -> str:
    fields = [
        "ADD",
        b(name),
        b(description),
        str(direction),
        str(action),
        str(protocol),
        b(local_ports),
        b(remote_ports),
        b(local_addresses),
        b(remote_addresses),
        str(profiles),
        str(enabled),
    ]
    return "\t".join(fields)


# The ownership pattern the controller sends (a regular expression, see _ownership).
MARKER = r"\[ocs\.firewall(?: catalogue ([a-z0-9][a-z0-9-]*))?\](?![\s\S])"
OWNED = "ours [ocs.firewall]"


def apply(
    group: str,
    removes: Sequence[str] = (),
    adds: Sequence[str] = (),
    *,
    more: Sequence[tuple[str, Sequence[str], Sequence[str]]] = (),
    marker: str = MARKER,
    watch: Sequence[str] = (),
    seen: str = "",
    owns: dict[str, str] | None = None,
) -> str:
    """An apply request: one section for ``group``, then the ``more`` sections (``owns``:
    a section's own pattern, by group)."""
    lines = ["OCSFW2", "OP\tapply"]
    if marker:
        lines.append(f"MARKER\t{b(marker)}")
    lines += [f"WATCH\t{b(g)}" for g in watch]
    if seen:
        lines.append(f"SEEN\t{seen}")
    for name, section_removes, section_adds in [(group, removes, adds), *more]:
        lines.append(f"GROUP\t{b(name)}")
        if owns and name in owns:
            lines.append(f"OWNS\t{b(owns[name])}")
        lines += [f"REMOVE\t{b(n)}" for n in section_removes]
        lines += list(section_adds)
    return "\n".join(lines + ["END", ""])


def read(*groups: str, marker: str = "") -> str:
    lines = ["OCSFW2", "OP\tread"]
    if marker:
        lines.append(f"MARKER\t{b(marker)}")
    lines += [f"GROUP\t{b(g)}" for g in groups]
    return "\n".join([*lines, "END", ""])


def records(stdout: str) -> list[list[str]]:
    lines = stdout.split("\n")
    assert lines[0] == "OCSFW2"
    assert lines[-1] == ""
    return [line.split("\t") for line in lines[1:-1]]


def error_of(outcome: firewall.Outcome) -> str:
    recs = records(outcome.stdout)
    assert recs[-1][0] == "ERROR", recs
    return base64.b64decode(recs[-1][1]).decode("utf-8")


@pytest.fixture
def state() -> dict:
    return initial_state()


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("", "*"),
        ("*", "*"),
        ("any", "*"),
        ("10.0.0.1", "10.0.0.1/255.255.255.255"),
        ("10.0.0.0/24", "10.0.0.0/255.255.255.0"),
        ("10.0.0.0/255.255.0.0", "10.0.0.0/255.255.0.0"),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"),
        ("fe80::1", "fe80::1/128"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("localsubnet", "LocalSubnet"),
        ("dns,DHCP,wins,defaultgateway", "DNS,DHCP,WINS,DefaultGateway"),
        ("10.0.0.1, 192.168.0.0/16", "10.0.0.1/255.255.255.255,192.168.0.0/255.255.0.0"),
    ],
)
def test_addresses_are_stored_as_windows_stores_them(given: str, stored: str) -> None:
    assert firewall.canonical_addresses(given) == stored


@pytest.mark.parametrize("keyword", ["LocalSubnet", "dns", "DHCP", "WINS", "defaultgateway"])
def test_address_keywords_are_refused_in_local_addresses(keyword: str) -> None:
    assert firewall.canonical_addresses(keyword) == firewall.ADDRESS_KEYWORDS[keyword.lower()]
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_addresses(f"10.0.0.1,{keyword}", local=True)
    assert firewall.canonical_addresses("10.0.0.1", local=True) == "10.0.0.1/255.255.255.255"


@pytest.mark.parametrize(
    "given", ["10.0.0.256", "10.0.0.9-10.0.0.1", "10.0.0.1-fe80::1", "*,10.0.0.1", "nonsense"]
)
def test_invalid_addresses_are_refused(given: str) -> None:
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_addresses(given)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("", "*"), ("*", "*"), ("443", "443"), ("5061,5060", "5061,5060"), ("1-1024", "1-1024")],
)
def test_ports_are_stored_as_given(given: str, stored: str) -> None:
    assert firewall.canonical_ports(given, 6, local=True) == stored


def test_port_keywords_only_for_local_ports() -> None:
    assert firewall.canonical_ports("rpc-epmap", 6, local=True) == "RPC-EPMap"
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_ports("RPC", 6, local=False)


@pytest.mark.parametrize("given", ["65536", "10-5", "abc", "1,,2"])
def test_invalid_ports_are_refused(given: str) -> None:
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_ports(given, 17, local=True)


def test_profiles_all_read_back_as_windows_reports_them() -> None:
    assert firewall.canonical_profiles(7) == firewall.PROFILES_ALL
    assert firewall.canonical_profiles(3) == 3
    with pytest.raises(firewall.FirewallError):
        firewall.canonical_profiles(0)


# --------------------------------------------------------------------------- apply/read


def test_apply_adds_rules_in_the_group_with_windows_values(state: dict) -> None:
    before = len(state["rules"])
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            adds=[
                add_line(
                    "SIP",
                    description="d",
                    local_ports="5061,5060",
                    remote_addresses="10.0.0.0/24",
                    profiles=7,
                )
            ],
        ),
    )
    assert outcome.rc == 0
    assert records(outcome.stdout) == [["ADDED", b(GROUP), b("SIP")], ["DONE"]]
    assert len(state["rules"]) == before + 1
    rule = state["rules"][-1]
    assert rule["grouping"] == GROUP
    assert rule["local_ports"] == "5061,5060"
    assert rule["remote_addresses"] == "10.0.0.0/255.255.255.0"
    assert rule["profiles"] == firewall.PROFILES_ALL
    assert outcome.changed


def test_read_returns_profiles_then_rules_of_the_groups(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("A", local_ports="443")]))
    outcome = firewall.run(state, read(GROUP.upper()))
    host, *recs = records(outcome.stdout)
    # The host's versions first: Windows Server 2008 R2 SP1, PowerShell 2.0.
    assert host == ["HOST", b("6.1.7601.65536"), b("2.0")]
    assert [r[0] for r in recs] == ["PROFILE"] * 3 + ["CURRENT"] + ["POLICY"] * 3 + [
        "RULE",
        "DONE",
    ]
    assert [r[1] for r in recs[:3]] == ["1", "2", "4"]
    # On the domain profile, changes take effect, no group policy (-1: not set).
    assert recs[3:7] == [["CURRENT", "1", "0"]] + [
        ["POLICY", t, "0", "-1", "-1", "-1", "-1"] for t in ("1", "2", "4")
    ]
    rule = recs[7]
    assert base64.b64decode(rule[1]).decode() == "A"
    assert base64.b64decode(rule[3]).decode() == GROUP
    assert rule[4:7] == ["1", "1", "6"]
    assert base64.b64decode(rule[7]).decode() == "443"
    assert rule[11:13] == [str(firewall.PROFILES_ALL), "1"]
    assert len(rule) == 16
    assert not outcome.changed


def test_read_without_groups_returns_every_rule(state: dict) -> None:
    outcome = firewall.run(state, read())
    assert outcome.counts["rules"] == len(state["rules"]) > 30


def rule_names(outcome: firewall.Outcome) -> list[tuple[str, str]]:
    """(group, name) of each RULE record."""
    return [
        (base64.b64decode(r[3]).decode(), base64.b64decode(r[1]).decode())
        for r in records(outcome.stdout)
        if r[0] == "RULE"
    ]


def test_marked_read_adds_every_marked_rule_of_any_group(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("A", description=OWNED)]))
    firewall.run(
        state,
        apply(
            "Other",
            adds=[add_line("B", description=OWNED), add_line("C", description="not ours")],
        ),
    )
    # A marker alone: only the marked rules, wherever they are; not every rule.
    assert rule_names(firewall.run(state, read(marker=MARKER))) == [(GROUP, "A"), ("Other", "B")]
    # Groups and a marker: the groups' rules plus the marked ones.
    assert rule_names(firewall.run(state, read("other", marker=MARKER))) == [
        (GROUP, "A"),
        ("Other", "B"),
        ("Other", "C"),
    ]


def test_remove_touches_only_the_named_group_even_for_shared_names(state: dict) -> None:
    shared = "Office Communications Server 2007 R2 - Front End - SIP (TLS-In)"
    assert any(r["name"] == shared and r["grouping"] == OCS_GROUP for r in state["rules"])
    firewall.run(
        state, apply(GROUP, adds=[add_line(shared, local_ports="5061", description=OWNED)])
    )
    foreign_before = copy.deepcopy([r for r in state["rules"] if r["grouping"] != GROUP])

    outcome = firewall.run(state, apply(GROUP, removes=[shared.lower(), "absent"]))

    assert records(outcome.stdout) == [
        ["RETIRED", b(GROUP), b(shared.lower()), "1"],
        ["RETIRED", b(GROUP), b("absent"), "0"],
        ["REMOVED", b(GROUP), b(shared.lower()), "1"],
        ["REMOVED", b(GROUP), b("absent"), "0"],
        ["DONE"],
    ]
    assert [r for r in state["rules"] if r["grouping"] != GROUP] == foreign_before
    assert not [r for r in state["rules"] if r["grouping"] == GROUP]


def test_retire_never_touches_a_rule_without_the_marker(state: dict) -> None:
    """A hand-made rule of the group with our rule's name stays byte-identical."""
    firewall.run(
        state,
        apply(
            GROUP,
            adds=[
                add_line("SIP", local_ports="5061", description=OWNED),
                add_line("SIP", local_ports="5061", description="made by hand"),
            ],
        ),
    )
    hand_made = copy.deepcopy(state["rules"][-1])

    outcome = firewall.run(state, apply(GROUP, removes=["SIP"]))

    assert records(outcome.stdout)[0] == ["RETIRED", b(GROUP), b("SIP"), "1"]
    assert [r for r in state["rules"] if r["grouping"] == GROUP] == [hand_made]


def test_apply_retires_then_adds_then_removes_across_sections(state: dict) -> None:
    firewall.run(
        state,
        apply(
            GROUP,
            adds=[add_line("old", local_ports="80", description=OWNED)],
            more=[("Second", (), [add_line("gone", local_ports="81", description=OWNED)])],
        ),
    )
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            removes=["old"],
            adds=[add_line("new", local_ports="8080", description=OWNED)],
            more=[("Second", ["gone"], [])],
        ),
    )
    assert outcome.rc == 0
    assert [(r[0], base64.b64decode(r[2]).decode()) for r in records(outcome.stdout)[:-1]] == [
        ("RETIRED", "old"),
        ("RETIRED", "gone"),
        ("ADDED", "new"),
        ("REMOVED", "old"),
        ("REMOVED", "gone"),
    ]
    assert outcome.counts == {
        "groups": 2,
        "remove": 2,
        "add": 1,
        "hold": 0,
        "release": 0,
        "removed": 2,
        "added": 1,
        "held": 0,
        "released": 0,
    }
    names = {(r["grouping"], r["name"]) for r in state["rules"]}
    assert (GROUP, "new") in names
    assert not names & {(GROUP, "old"), ("Second", "gone")}
    assert not any(r["name"].startswith(firewall.TOMBSTONE_PREFIX) for r in state["rules"])


def test_ports_with_protocol_any_fail_like_windows(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(
        state, apply(GROUP, adds=[add_line("x", protocol=256, local_ports="80")])
    )
    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"rule x of group {GROUP} was refused, nothing was removed: "
        'Exception setting "LocalPorts": "Value does not fall within the expected range."'
    )
    assert state == before


def test_local_address_keyword_fails_like_windows(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, apply(GROUP, adds=[add_line("x", local_addresses="LocalSubnet")]))
    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"rule x of group {GROUP} was refused, nothing was removed: "
        'Exception setting "LocalAddresses": "Value does not fall within the expected range."'
    )
    assert state == before


def test_foreign_rule_with_a_local_address_keyword_is_refused() -> None:
    with pytest.raises(ValueError, match="local_addresses 'DNS' is refused"):
        seed.foreign_rule({"name": "x", "local_addresses": "DNS"})


@pytest.mark.parametrize(
    ("group", "name", "description", "prop"),
    [
        (GROUP, "a|b", "", "Name"),
        (GROUP, "", "", "Name"),
        (GROUP, "a", "x|y", "Description"),
        ("g|h", "a", "", "Grouping"),
    ],
)
def test_pipe_and_empty_names_are_refused(
    state: dict, group: str, name: str, description: str, prop: str
) -> None:
    outcome = firewall.run(state, apply(group, adds=[add_line(name, description=description)]))
    assert outcome.rc == 2
    assert error_of(outcome).startswith(
        f'rule {name} of group {group} was refused, nothing was removed: Exception setting "{prop}"'
    )


def test_fail_midway_applies_half_then_reports_access_denied(state: dict) -> None:
    adds = [add_line(f"r{i}", local_ports=str(1000 + i)) for i in range(4)]
    outcome = firewall.run(state, apply(GROUP, adds=adds), fail_midway=True)
    assert outcome.rc == 2
    assert [r[0] for r in records(outcome.stdout)] == ["ADDED", "ADDED", "ERROR"]
    assert "access denied (HRESULT 0x80070005)" in error_of(outcome)
    assert [r["name"] for r in state["rules"] if r["grouping"] == GROUP] == ["r0", "r1"]
    assert outcome.changed


def test_fail_midway_leaves_the_retired_rules_in_place_as_tombstones(state: dict) -> None:
    firewall.run(
        state,
        apply(
            GROUP,
            adds=[
                add_line(f"old{i}", local_ports=str(80 + i), description=OWNED) for i in range(2)
            ],
        ),
    )
    # 2 renames + 2 adds + 2 removals = 6 steps: 3 happen, then access is denied.
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            removes=["old0", "old1"],
            adds=[
                add_line(f"new{i}", local_ports=str(90 + i), description=OWNED) for i in range(2)
            ],
        ),
        fail_midway=True,
    )
    assert outcome.rc == 2
    assert [r[0] for r in records(outcome.stdout)] == ["RETIRED", "RETIRED", "ADDED", "ERROR"]
    assert 'Exception calling "Add"' in error_of(outcome)
    in_group = [r for r in state["rules"] if r["grouping"] == GROUP]
    tombstones = [r for r in in_group if r["name"].startswith(firewall.TOMBSTONE_PREFIX)]
    # The old rules still filter (renamed, not removed) with their ports and their marker.
    assert sorted(r["local_ports"] for r in tombstones) == ["80", "81"]
    assert all(r["description"] == OWNED for r in tombstones)
    assert [r["name"] for r in in_group if r not in tombstones] == ["new0"]


def test_a_refused_add_removes_nothing(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("old", local_ports="80", description=OWNED)]))
    outcome = firewall.run(
        state, apply(GROUP, removes=["old"], adds=[add_line("bad", protocol=256, local_ports="80")])
    )
    assert outcome.rc == 2
    assert error_of(outcome).startswith(
        f"rule bad of group {GROUP} was refused, nothing was removed: "
        'Exception setting "LocalPorts"'
    )
    (left,) = [r for r in state["rules"] if r["grouping"] == GROUP]
    assert left["local_ports"] == "80" and left["name"].startswith(firewall.TOMBSTONE_PREFIX)


def test_service_stopped_reports_the_script_message_and_changes_nothing(state: dict) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, apply(GROUP, adds=[add_line("x")]), service_stopped=True)
    assert outcome.rc == 2
    assert "MpsSvc" in error_of(outcome)
    assert state == before


NO_APPLY = "bad request: apply needs a MARKER and at least one GROUP, HOLD or RELEASE"


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        ("nonsense\nEND\n", "bad request: it does not start with OCSFW2"),
        ("OCSFW1\nOP\tread\nEND\n", "bad request: it does not start with OCSFW2"),
        ("OCSFW2\nOP\tread\n", "bad request: no END line (truncated input?)"),
        ("OCSFW2\nOP\twrite\nEND\n", "bad request: OP must be read or apply"),
        ("OCSFW2\nOP\tapply\nEND\n", NO_APPLY),
        (
            f"OCSFW2\nOP\tapply\nGROUP\t{b(GROUP)}\nEND\n",
            NO_APPLY,
        ),
        (
            f"OCSFW2\nOP\tapply\nMARKER\t{b(MARKER)}\nEND\n",
            NO_APPLY,
        ),
        (
            f"OCSFW2\nOP\tapply\nMARKER\t{b(MARKER)}\nREMOVE\t{b('x')}\nEND\n",
            "bad request: unexpected line 4",
        ),
        ("OCSFW2\nOP\tread\nEND\nGROUP\t\n", "bad request: text after END"),
        ("OCSFW2\nOP\tread\nWHAT\nEND\n", "bad request: unexpected line 3"),
    ],
)
def test_bad_requests_are_errors_with_rc_2(state: dict, request_text: str, message: str) -> None:
    outcome = firewall.run(state, request_text)
    assert outcome.rc == 2
    assert error_of(outcome) == message


def test_non_ascii_and_hostile_text_is_stored_verbatim(state: dict) -> None:
    name = "Ünïcode 'q' \"dq\" $(calc) `tick`; 50% \n line2 " + "x" * 200
    description = "→ 東京 $env:PATH `$x`"
    outcome = firewall.run(state, apply(GROUP, adds=[add_line(name, description=description)]))
    assert outcome.rc == 0
    assert state["rules"][-1]["name"] == name
    assert state["rules"][-1]["description"] == description


# ------------------------------------------------------------ runs that cannot interleave


def digest_of_read(state: dict, *groups: str) -> str:
    """What the contract says the digest is, worked out here from a read's RULE lines:
    SHA-1 hex of their UTF-8 bytes, sorted ordinally, each followed by a line feed."""
    stdout = firewall.run(state, read(*groups)).stdout
    lines = sorted(line for line in stdout.split("\n") if line.startswith("RULE\t"))
    return hashlib.sha1("".join(f"{line}\n" for line in lines).encode("utf-8")).hexdigest()


def test_an_apply_from_a_current_read_runs_and_reports_the_new_digest(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("A", description=OWNED)]))
    seen = digest_of_read(state, GROUP)
    outcome = firewall.run(
        state,
        apply(
            GROUP, removes=["A"], adds=[add_line("B", description=OWNED)], watch=[GROUP], seen=seen
        ),
    )
    assert outcome.rc == 0
    kinds = [r[0] for r in records(outcome.stdout)]
    assert kinds == ["RETIRED", "ADDED", "REMOVED", "DIGEST", "DONE"]
    assert records(outcome.stdout)[-2][1] == digest_of_read(state, GROUP) != seen


def test_an_apply_from_an_outdated_read_changes_nothing_and_says_stale(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("A", description=OWNED)]))
    seen = digest_of_read(state, GROUP)
    # Another run adds its copy of the rule between this run's read and its apply.
    firewall.run(state, apply(GROUP, adds=[add_line("B", description=OWNED)]))
    before = copy.deepcopy(state)
    outcome = firewall.run(
        state, apply(GROUP, adds=[add_line("B", description=OWNED)], watch=[GROUP], seen=seen)
    )
    assert outcome.rc == 0 and not outcome.changed
    assert records(outcome.stdout) == [["STALE", digest_of_read(state, GROUP)], ["DONE"]]
    assert state == before


def test_the_digest_covers_only_the_watched_groups_in_any_case(state: dict) -> None:
    seen = digest_of_read(state, GROUP)
    # A change elsewhere (an administrator's own group) is not this apply's business.
    firewall.run(state, apply("Admin tools", adds=[add_line("X", description="by hand")]))
    outcome = firewall.run(
        state,
        apply(GROUP, adds=[add_line("A", description=OWNED)], watch=[GROUP.upper()], seen=seen),
    )
    assert [r[0] for r in records(outcome.stdout)] == ["ADDED", "DIGEST", "DONE"]


@pytest.mark.parametrize("seen", ["ABCDEF" * 7, "0" * 39, "not a digest"])
def test_a_seen_that_is_not_a_digest_is_a_bad_request(state: dict, seen: str) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, apply(GROUP, adds=[add_line("A")], watch=[GROUP], seen=seen))
    assert outcome.rc == 2 and error_of(outcome).startswith("bad request: unexpected line")
    assert state == before


# ------------------------------------------------------------ ownership on the host


def test_a_section_retires_only_what_its_own_pattern_matches(state: dict) -> None:
    firewall.run(
        state,
        apply(
            GROUP,
            adds=[
                add_line("SIP", description="SIP [ocs.firewall catalogue seed-01]"),
                # A copy of another component's rule, or of an id the catalogue lacks.
                add_line("SIP", description="SIP [ocs.firewall catalogue zz-999]"),
            ],
        ),
    )
    copied = copy.deepcopy(state["rules"][-1])
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            removes=["SIP"],
            owns={GROUP: r"\[ocs\.firewall catalogue (?:seed-01)\](?![\s\S])"},
        ),
    )
    assert records(outcome.stdout)[0] == ["RETIRED", b(GROUP), b("SIP"), "1"]
    assert [r for r in state["rules"] if r["grouping"] == GROUP] == [copied]


@pytest.mark.parametrize("group", ["@FirewallAPI.dll,-28752", "@%SystemRoot%\\system32\\x.dll,-1"])
def test_a_section_in_a_built_in_group_is_refused_before_any_change(
    state: dict, group: str
) -> None:
    # A hand-made rule in Remote Desktop's group whose description ends with our marker.
    state["rules"].append(
        firewall.new_rule(
            name="Remote Desktop (TCP-In) 3390",
            grouping=group,
            description="copied [ocs.firewall catalogue zz-999]",
        )
    )
    before = copy.deepcopy(state)
    outcome = firewall.run(
        state,
        apply(
            GROUP,
            adds=[add_line("A", description=OWNED)],
            more=[(group, ["Remote Desktop (TCP-In) 3390"], [])],
        ),
    )
    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"bad request: group {group} is a built-in group, which the collection never "
        "changes; nothing was changed"
    )
    assert state == before


# ------------------------------------------------- holding and releasing others' rules

HOLDMARK = " [held by ocs.firewall]"
SETUP_SIP = "Office Communications Server 2007 R2 - Front End - SIP (TLS-In)"
SETUP_DCOM = "Office Communications Server 2007 R2 - Front End - DCOM (TCP-In)"


def holding(
    holds: Sequence[tuple[str, str]] = (),
    releases: Sequence[tuple[str, str]] = (),
    *,
    holdmark: str = HOLDMARK,
    sections: Sequence[tuple[str, Sequence[str], Sequence[str]]] = (),
    marker: str = MARKER,
    watch: Sequence[str] = (),
    seen: str = "",
    op: str = "apply",
) -> str:
    """A request with HOLD and RELEASE lines (each (group, name)) after its sections."""
    lines = ["OCSFW2", f"OP\t{op}"]
    if marker:
        lines.append(f"MARKER\t{b(marker)}")
    if holdmark:
        lines.append(f"HOLDMARK\t{b(holdmark)}")
    lines += [f"WATCH\t{b(g)}" for g in watch]
    if seen:
        lines.append(f"SEEN\t{seen}")
    for group, removes, adds in sections:
        lines.append(f"GROUP\t{b(group)}")
        lines += [f"REMOVE\t{b(n)}" for n in removes]
        lines += list(adds)
    lines += [f"HOLD\t{b(g)}\t{b(n)}" for g, n in holds]
    lines += [f"RELEASE\t{b(g)}\t{b(n)}" for g, n in releases]
    return "\n".join([*lines, "END", ""])


def setup_rule(state: dict, name: str) -> dict:
    (rule,) = [r for r in state["rules"] if r["grouping"] == OCS_GROUP and r["name"] == name]
    return rule


def test_a_hold_disables_each_enabled_rule_of_its_group_and_name_and_marks_it(
    state: dict,
) -> None:
    before = copy.deepcopy(state)
    # Group and name compare ignoring case, as Windows compares them.
    outcome = firewall.run(state, holding([(OCS_GROUP.upper(), SETUP_SIP.lower())]))

    assert outcome.rc == 0 and outcome.changed
    assert records(outcome.stdout) == [
        ["HELD", b(OCS_GROUP.upper()), b(SETUP_SIP.lower()), "1"],
        ["DONE"],
    ]
    held = setup_rule(state, SETUP_SIP)
    assert (held["enabled"], held["description"]) == (0, HOLDMARK)
    assert {k: outcome.counts[k] for k in ("hold", "held", "release", "released")} == {
        "hold": 1,
        "held": 1,
        "release": 0,
        "released": 0,
    }
    # Nothing else changed.
    assert [r for r in state["rules"] if r is not held] == [
        r for r in before["rules"] if r["name"] != SETUP_SIP
    ]


def test_a_hold_leaves_a_held_or_disabled_rule_alone(state: dict) -> None:
    firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)]))
    setup_rule(state, SETUP_DCOM)["enabled"] = 0
    before = copy.deepcopy(state)

    outcome = firewall.run(state, holding([(OCS_GROUP, SETUP_SIP), (OCS_GROUP, SETUP_DCOM)]))

    assert outcome.rc == 0 and not outcome.changed
    assert records(outcome.stdout) == [
        ["HELD", b(OCS_GROUP), b(SETUP_SIP), "0"],
        ["HELD", b(OCS_GROUP), b(SETUP_DCOM), "0"],
        ["DONE"],
    ]
    assert state == before


def test_a_hold_disables_a_marked_rule_left_enabled_without_marking_it_twice(
    state: dict,
) -> None:
    # An apply that set the mark and stopped before it disabled the rule: the script
    # disables it now, the mark once.
    rule = setup_rule(state, SETUP_SIP)
    rule["description"] = "by setup" + HOLDMARK

    outcome = firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)]))

    assert records(outcome.stdout)[0] == ["HELD", b(OCS_GROUP), b(SETUP_SIP), "1"]
    assert (rule["enabled"], rule["description"]) == (0, "by setup" + HOLDMARK)


def test_a_release_brings_back_what_a_hold_disabled(state: dict) -> None:
    before = copy.deepcopy(state)
    firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)]))

    outcome = firewall.run(state, holding(releases=[(OCS_GROUP, SETUP_SIP.upper())]))

    assert outcome.rc == 0 and outcome.changed
    assert records(outcome.stdout) == [
        ["RELEASED", b(OCS_GROUP), b(SETUP_SIP.upper()), "1"],
        ["DONE"],
    ]
    assert outcome.counts["release"] == 1 and outcome.counts["released"] == 1
    assert state == before
    # Released once: a second RELEASE finds nothing to bring back.
    again = firewall.run(state, holding(releases=[(OCS_GROUP, SETUP_SIP)]))
    assert records(again.stdout)[0][-1] == "0" and not again.changed


def test_a_release_takes_the_holdmark_as_written_and_enables_even_a_disabled_rule(
    state: dict,
) -> None:
    rule = setup_rule(state, SETUP_SIP)
    rule.update(description="hand-made" + HOLDMARK.upper(), enabled=0)
    dcom = setup_rule(state, SETUP_DCOM)
    dcom.update(description="by hand" + HOLDMARK, enabled=0)

    outcome = firewall.run(
        state, holding(releases=[(OCS_GROUP, SETUP_SIP), (OCS_GROUP, SETUP_DCOM)])
    )

    # The HOLDMARK is compared ordinally: another case is not the collection's mark.
    assert [r[-1] for r in records(outcome.stdout)[:2]] == ["0", "1"]
    assert (rule["enabled"], rule["description"]) == (0, "hand-made" + HOLDMARK.upper())
    assert (dcom["enabled"], dcom["description"]) == (1, "by hand")


def test_an_apply_retires_adds_releases_holds_then_removes(state: dict) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("old", description=OWNED)]))
    firewall.run(state, holding([(OCS_GROUP, SETUP_DCOM)]))

    outcome = firewall.run(
        state,
        holding(
            # Every HOLD comes after every RELEASE, whatever the order of the lines.
            [(OCS_GROUP, SETUP_SIP)],
            [(OCS_GROUP, "no such rule"), (OCS_GROUP, SETUP_DCOM)],
            sections=[(GROUP, ["old"], [add_line("new", description=OWNED)])],
        ),
    )

    assert outcome.rc == 0
    assert [r[:3] for r in records(outcome.stdout)] == [
        ["RETIRED", b(GROUP), b("old")],
        ["ADDED", b(GROUP), b("new")],
        ["RELEASED", b(OCS_GROUP), b("no such rule")],
        ["RELEASED", b(OCS_GROUP), b(SETUP_DCOM)],
        ["HELD", b(OCS_GROUP), b(SETUP_SIP)],
        ["REMOVED", b(GROUP), b("old")],
        ["DONE"],
    ]
    assert setup_rule(state, SETUP_DCOM)["enabled"] == 1
    assert setup_rule(state, SETUP_SIP)["enabled"] == 0


def test_hold_and_release_lines_do_not_end_a_section(state: dict) -> None:
    text = holding(
        [(OCS_GROUP, SETUP_SIP)], sections=[(GROUP, [], [add_line("A", description=OWNED)])]
    )
    # An ADD after the HOLD line still belongs to the GROUP before it.
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("HOLD\t"))
    lines.insert(at + 1, add_line("B", description=OWNED))
    outcome = firewall.run(state, "\n".join(lines))
    assert outcome.rc == 0
    assert [r["name"] for r in state["rules"] if r["grouping"] == GROUP] == ["A", "B"]


def test_a_hold_never_touches_a_rule_the_same_apply_added(state: dict) -> None:
    outcome = firewall.run(
        state,
        holding([(GROUP, "A")], sections=[(GROUP, [], [add_line("A", description=OWNED)])]),
    )
    assert records(outcome.stdout)[1] == ["HELD", b(GROUP), b("A"), "0"]
    assert [r["enabled"] for r in state["rules"] if r["grouping"] == GROUP] == [1]


def test_a_hold_over_the_description_limit_is_refused_as_windows_refuses_it(
    state: dict,
) -> None:
    firewall.run(state, apply(GROUP, adds=[add_line("old", description=OWNED)]))
    fits = setup_rule(state, SETUP_DCOM)
    fits["description"] = "d" * (firewall.MAX_DESCRIPTION_LENGTH - len(HOLDMARK))
    too_long = setup_rule(state, SETUP_SIP)
    too_long["description"] = "s" * (firewall.MAX_DESCRIPTION_LENGTH - len(HOLDMARK) + 1)
    kept = copy.deepcopy(too_long)

    outcome = firewall.run(
        state,
        holding(
            [(OCS_GROUP, SETUP_DCOM), (OCS_GROUP, SETUP_SIP)],
            sections=[(GROUP, ["old"], [add_line("new", description=OWNED)])],
        ),
    )

    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"rule {SETUP_SIP} of group {OCS_GROUP} was refused, nothing was removed: "
        'Exception setting "Description": "Value does not fall within the expected range."'
    )
    assert [r[0] for r in records(outcome.stdout)] == [
        "RETIRED",
        "ADDED",
        "HELD",
        "ERROR",
    ]
    # What came before stays (the rule of exactly 10,000 characters is held); the refused
    # rule is as it was and the retired rule still filters as a tombstone.
    assert len(fits["description"]) == firewall.MAX_DESCRIPTION_LENGTH and fits["enabled"] == 0
    assert too_long == kept
    assert any(r["name"].startswith(firewall.TOMBSTONE_PREFIX) for r in state["rules"])
    assert outcome.changed and outcome.counts["held"] == 1


def test_the_description_limit_counts_utf16_code_units(state: dict) -> None:
    # U+1F600 is two UTF-16 code units: 5,000 of them are 10,000, 5,001 too many.
    fits = add_line("fits", description="\U0001f600" * 5000)
    assert firewall.run(state, apply(GROUP, adds=[fits])).rc == 0
    outcome = firewall.run(
        state, apply(GROUP, adds=[add_line("no", description="\U0001f600" * 5001)])
    )
    assert outcome.rc == 2
    assert 'Exception setting "Description"' in error_of(outcome)


def test_each_hold_and_release_is_one_step_of_a_fault(state: dict) -> None:
    firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)]))
    # 2 releases + 2 holds = 4 steps: both releases happen, then access is denied.
    outcome = firewall.run(
        state,
        holding(
            [(OCS_GROUP, SETUP_DCOM), (OCS_GROUP, SETUP_SIP)],
            [(OCS_GROUP, SETUP_SIP), (OCS_GROUP, "none")],
        ),
        fail_midway=True,
    )
    assert outcome.rc == 2
    assert [r[0] for r in records(outcome.stdout)] == ["RELEASED", "RELEASED", "ERROR"]
    assert 'Exception calling "Description"' in error_of(outcome)
    assert outcome.changed and outcome.counts["released"] == 1
    assert setup_rule(state, SETUP_SIP)["enabled"] == 1
    assert setup_rule(state, SETUP_DCOM)["enabled"] == 1


@pytest.mark.parametrize("where", ["hold", "release"])
@pytest.mark.parametrize("group", ["@FirewallAPI.dll,-28752", "@%SystemRoot%\\system32\\x.dll,-1"])
def test_a_hold_or_release_of_a_built_in_group_is_refused_before_any_change(
    state: dict, where: str, group: str
) -> None:
    before = copy.deepcopy(state)
    line = [(group, "Remote Desktop (TCP-In)")]
    outcome = firewall.run(
        state,
        holding(
            line if where == "hold" else (),
            line if where == "release" else (),
            sections=[(GROUP, [], [add_line("A", description=OWNED)])],
        ),
    )
    assert outcome.rc == 2
    assert error_of(outcome) == (
        f"bad request: group {group} is a built-in group, which the collection never "
        "changes; nothing was changed"
    )
    assert state == before


def test_the_digest_sees_what_a_hold_changed(state: dict) -> None:
    seen = digest_of_read(state, OCS_GROUP)
    outcome = firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)], watch=[OCS_GROUP], seen=seen))
    assert records(outcome.stdout)[-2] == ["DIGEST", digest_of_read(state, OCS_GROUP)]
    assert digest_of_read(state, OCS_GROUP) != seen
    # The same apply from that outdated read now changes nothing.
    before = copy.deepcopy(state)
    stale = firewall.run(
        state, holding(releases=[(OCS_GROUP, SETUP_SIP)], watch=[OCS_GROUP], seen=seen)
    )
    assert records(stale.stdout)[0][0] == "STALE" and state == before


HOLD_LINE = f"HOLD\t{b(OCS_GROUP)}\t{b(SETUP_SIP)}"


@pytest.mark.parametrize(
    ("request_text", "message"),
    [
        (holding([(OCS_GROUP, SETUP_SIP)], holdmark=""), "HOLD and RELEASE need a HOLDMARK"),
        (
            holding(releases=[(OCS_GROUP, SETUP_SIP)], holdmark=""),
            "HOLD and RELEASE need a HOLDMARK",
        ),
        (
            holding([(OCS_GROUP, SETUP_SIP)], marker="", op="read"),
            "a read carries no HOLD, RELEASE or HOLDMARK line",
        ),
        (holding(marker="", op="read"), "a read carries no HOLD, RELEASE or HOLDMARK line"),
        (holding(), "apply needs a MARKER and at least one GROUP, HOLD or RELEASE"),
        (
            holding([(OCS_GROUP, SETUP_SIP)], marker=""),
            "apply needs a MARKER and at least one GROUP, HOLD or RELEASE",
        ),
        (
            holding().replace("END\n", f"HOLD\t{b(OCS_GROUP)}\nEND\n"),
            "unexpected line 5",
        ),
        (
            holding().replace("END\n", f"{HOLD_LINE}\t{b('x')}\nEND\n"),
            "unexpected line 5",
        ),
    ],
    ids=[
        "hold-without-holdmark",
        "release-without-holdmark",
        "hold-in-a-read",
        "holdmark-in-a-read",
        "holdmark-alone",
        "no-marker",
        "hold-of-two-fields",
        "hold-of-four-fields",
    ],
)
def test_bad_hold_requests_change_nothing(state: dict, request_text: str, message: str) -> None:
    before = copy.deepcopy(state)
    outcome = firewall.run(state, request_text)
    assert outcome.rc == 2
    assert error_of(outcome) == f"bad request: {message}"
    assert state == before


def test_hold_needs_no_group_section(state: dict) -> None:
    outcome = firewall.run(state, holding([(OCS_GROUP, SETUP_SIP)]))
    assert outcome.rc == 0 and outcome.counts["groups"] == 0


@pytest.mark.parametrize(
    "line", ["HOLDMARK\tYQ==", HOLD_LINE, HOLD_LINE.replace("HOLD", "RELEASE")]
)
def test_a_2003_host_refuses_hold_records_as_it_refuses_remove_and_add(line: str) -> None:
    state = seed.legacy_state([])
    before = copy.deepcopy(state)
    text = f"OCSFW2\nOP\tapply\nMARKER\t{b('^x')}\n{line}\nEND\n"
    outcome = firewall.run(state, text, os_version=firewall.LEGACY_OS)
    assert outcome.rc == 2
    assert error_of(outcome) == (
        "bad request: this host runs Windows Server 2003 "
        f"({firewall.OS_VERSIONS[firewall.LEGACY_OS]}), which has no rule groups"
    )
    assert state == before


def test_the_lab_imports_nothing_of_the_plugins() -> None:
    # The lab is the second opinion on Windows' behaviour: its canonical forms must stay
    # its own code, never the plugins' (see the docstring of ocs_lab.firewall).
    package = Path(firewall.__file__).parent
    for module in sorted(package.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith(("ansible_collections", "plugins")), (module, name)
