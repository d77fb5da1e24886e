"""One cause, one message (plugin_utils/_ansible/_preflight.py ``causes``, ``message``,
``stops``, ``runs_tag``).

Problems many hosts share are said once: those of one cause (a peer's address, a network
variable left unset) with how many rules on how many hosts need it, those of one text
(a wrong value set for the whole inventory) with the hosts that have it; each stops the
host whose variable it is.
"""

from __future__ import annotations

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _preflight
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import Cause, Problem

PLAY = ("fe01", "fe02", "se01", "dir01", "edge01")
DIR01 = Cause(
    "ocs_firewall_address missing on dir01 (no IP): ",
    "; set ocs_firewall_address for dir01",
    "dir01",
)


def peer(host: str, rules: int) -> Problem:
    return Problem(f"ocs_firewall_scope: dir01 is a peer of {host}'s rules", DIR01, rules)


def test_problems_of_one_cause_are_one_line_counting_rules_and_hosts() -> None:
    problems = {"fe01": [peer("fe01", 2)], "fe02": [peer("fe02", 2)], "dir01": [peer("dir01", 1)]}
    (cause,) = _preflight.causes(problems, PLAY)
    assert cause.message == (
        "ocs_firewall_address missing on dir01 (no IP): 5 rules on 3 hosts need it; "
        "set ocs_firewall_address for dir01"
    )
    assert cause.hosts == ("dir01",)
    assert cause.reported_by == ("fe01", "fe02", "dir01")


def test_one_rule_on_one_host_needs_it() -> None:
    (cause,) = _preflight.causes({"fe01": [peer("fe01", 1)]}, PLAY)
    assert "1 rule on 1 host needs it" in cause.message


def test_a_cause_whose_host_is_outside_the_play_stops_the_hosts_that_report_it() -> None:
    (cause,) = _preflight.causes({"fe01": [peer("fe01", 1)]}, ("fe01",))
    assert cause.hosts == ("fe01",)


@pytest.mark.parametrize(
    ("hosts", "where"),
    [
        pytest.param(["fe01"], "fe01", id="one"),
        pytest.param(list(PLAY), "every host of the play (5)", id="every"),
        pytest.param(["fe01", "fe02", "se01", "dir01"], "fe01, fe02, se01, dir01", id="four"),
    ],
)
def test_the_same_text_on_several_hosts_is_one_line_naming_them(
    hosts: list[str], where: str
) -> None:
    problem = 'ocs_firewall_client_networks: "10.20.0.0/33" is not a valid address'
    (cause,) = _preflight.causes({h: [problem] for h in hosts}, PLAY)
    assert cause.message == f"{where}: {problem}"
    assert cause.hosts == tuple(hosts)


def test_more_hosts_than_shown_are_counted() -> None:
    play = [f"h{i}" for i in range(10)]
    (cause,) = _preflight.causes({h: ["x: bad"] for h in play[:6]}, play)
    assert cause.message == "h0, h1, h2 and 3 more hosts: x: bad"


def test_the_plays_own_variables_stop_every_host_of_the_play() -> None:
    (cause,) = _preflight.causes({_preflight.PLAY_VARS: ["ocs_firewall_scop: typo"]}, PLAY)
    assert cause.message == "(play vars): ocs_firewall_scop: typo"
    assert cause.hosts == PLAY


def test_a_host_outside_the_play_stops_none() -> None:
    (cause,) = _preflight.causes({"med02": ["inventory group ocs_mediatoin: no"]}, PLAY)
    assert cause.hosts == ()


def test_a_peers_wrong_address_is_said_with_the_holders_own_problem() -> None:
    own = 'ocs_edge_internal_addresses: "10.10.1.300" is not a valid local address'
    wrong = Cause("the address of edge01 is wrong (reported for it): ", host="edge01", own=own)
    problems = {
        "fe01": [Problem("edge01 is a peer of fe01's rules", wrong, 3)],
        "edge01": [own],
        "fe02": [Problem("edge01 is a peer of fe02's rules", wrong, 3)],
    }
    (cause,) = _preflight.causes(problems, PLAY)
    assert cause.message == f"edge01: {own} (6 rules on 2 hosts need this address)"
    assert cause.hosts == ("edge01",)
    assert cause.reported_by == ("edge01", "fe01", "fe02")


def test_causes_keep_the_order_they_were_found_in() -> None:
    problems = {"fe01": ["b: 1", peer("fe01", 1)], "fe02": ["a: 2", "b: 1"]}
    assert [c.message.split(":")[0] for c in _preflight.causes(problems, PLAY)] == [
        "fe01, fe02",
        "ocs_firewall_address missing on dir01 (no IP)",
        "fe02",
    ]


def test_each_host_is_stopped_with_its_own_causes_only() -> None:
    problems = {"fe01": [peer("fe01", 1), "x: fe01's own"], "dir01": ["y: dir01's own"]}
    stops = _preflight.stops(_preflight.causes(problems, PLAY), PLAY)
    assert list(stops) == ["fe01", "dir01"]
    assert stops["fe01"] == "1 problem, no host was contacted: fe01: x: fe01's own"
    assert stops["dir01"] == (
        "2 problems, no host was contacted:\n"
        "- ocs_firewall_address missing on dir01 (no IP): 1 rule on 1 host needs it; set "
        "ocs_firewall_address for dir01\n"
        "- dir01: y: dir01's own"
    )


def test_a_host_no_cause_stops_is_told_why_it_is_left_alone() -> None:
    assert _preflight.not_contacted(["dir01"]) == (
        "not contacted: the inventory's problems stop the run (on dir01; this host has none)"
    )


@pytest.mark.parametrize(
    ("run_tags", "skip_tags", "runs"),
    [
        ([], [], True),
        (["all"], [], True),
        (["apply"], [], True),
        (["tagged"], [], True),
        (["preflight"], [], False),
        (["preflight", "apply"], [], True),
        (["all"], ["apply"], False),
        (["all"], ["tagged"], False),
        (["all"], ["all"], False),
        (["all"], ["preflight"], True),
    ],
)
def test_whether_the_hosts_task_runs_is_worked_out_as_ansible_does(
    run_tags: list[str], skip_tags: list[str], runs: bool
) -> None:
    assert _preflight.runs_tag("apply", run_tags, skip_tags) is runs
