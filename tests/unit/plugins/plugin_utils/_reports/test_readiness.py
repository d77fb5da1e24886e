"""What a host's firewall would block once enforced (plugin_utils/_reports/_readiness.py)."""

from __future__ import annotations

from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import (
    GROUP as SETUP,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client import RulesRead
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _readiness

DIRECTOR = {"director": {"remote_addresses": ["10.0.0.0/24"]}}


def request(
    components: dict[str, Any] | None = None, **variables: Any
) -> _host_request.HostRequest:
    found, problems = _host_request.host_request(
        [], variables, components=components or DIRECTOR, remove_unassigned=True
    )
    assert found is not None, problems
    return found


def read(
    *listeners: tuple[int, str, int],
    connections: tuple[tuple[int, str], ...] = (),
    rules: tuple[HostRule, ...] = (),
    current: str = "domain",
) -> RulesRead:
    policy = HostPolicy(
        tuple(
            ProfilePolicy(p, current=p == current, enabled=True)
            for p in ("domain", "private", "public")
        )
    )
    return RulesRead(
        None,
        "",
        rules,
        {},
        policy,
        tuple(_wire.Listener(*item) for item in listeners),
        tuple(_wire.Connection("10.0.0.1", port, address, 50000) for port, address in connections),
    )


def kinds(found: list[dict[str, Any]]) -> list[tuple[str, str, int, list[str]]]:
    return [(f["kind"], f["protocol"], f["port"], f["remote_addresses"]) for f in found]


def test_what_the_planned_rules_open_is_ready_the_rest_is_not() -> None:
    found = _readiness.findings(
        request(),
        read(
            (6, "0.0.0.0", 5061),
            (6, "0.0.0.0", 8404),
            (17, "0.0.0.0", 3478),
            (6, "127.0.0.1", 47001),
        ),
    )
    # 5061 is the Director's own (planned, even before site.yml ran); no rule opens 8404 or
    # 3478/udp; loopback is never filtered.
    assert kinds(found) == [
        ("blocked_listener", "tcp", 8404, []),
        ("blocked_listener", "udp", 3478, []),
    ]
    by_port = {f["port"]: f for f in found}
    assert (
        any(e.endswith("(director)") for e in by_port[8404]["entries"]) or by_port[8404]["entries"]
    )
    assert any(e.endswith("(edge)") for e in by_port[3478]["entries"])
    assert "would be blocked from every address" in by_port[8404]["detail"]


def test_a_connection_from_outside_the_scope_would_be_dropped() -> None:
    found = _readiness.findings(
        request(), read((6, "0.0.0.0", 5061), connections=((5061, "10.0.0.7"), (5061, "192.0.2.9")))
    )
    assert kinds(found) == [("blocked_connection", "tcp", 5061, ["192.0.2.9"])]
    assert found[0]["detail"] == "connections to 5061/tcp from 192.0.2.9 would be dropped"
    assert found[0]["remedy"].startswith("the rules take other addresses only")


def test_rules_others_keep_count_and_programs_are_judged_by_their_ports() -> None:
    others = (
        HostRule(Rule("Backup", "by hand", local_ports=("10000",)), ""),
        # The program of a rule that names the port is taken for the port's listener.
        HostRule(Rule("OCS", "", local_ports=("5063",)), SETUP, application="AVMCUSvc.exe"),
        # A program's rule for any port is that program's: it opens no other listener.
        HostRule(Rule("WMI", "", local_ports=()), "@wmi", application="svchost.exe"),
        # A port keyword the read cannot resolve.
        HostRule(Rule("RPC", "", local_ports=("RPC",)), "@rpc"),
    )
    found = _readiness.findings(
        request(),
        read((6, "0.0.0.0", 10000), (6, "0.0.0.0", 5063), (6, "0.0.0.0", 8404), rules=others),
    )
    # 10000 and 5063 are open; 8404 only if RPC's ports hold it.
    assert kinds(found) == [("undecided_listener", "tcp", 8404, [])]
    (undecided,) = [f for f in found if f["kind"] == "undecided_listener"]
    assert undecided["rules"] == [{"name": "RPC", "group": "@rpc"}]
    assert "what the host's RPC local port is" in undecided["detail"]


def test_a_listener_nothing_opens_is_found_and_whose_port_it_is_said() -> None:
    found = _readiness.findings(request(), read((17, "0.0.0.0", 123), (6, "0.0.0.0", 8404)))
    by_port = {f["port"]: f for f in found}
    # No catalogue entry: a rule of one's own, if it must stay reachable.
    assert (by_port[123]["entries"], by_port[123]["held"]) == ([], False)
    assert by_port[123]["remedy"].startswith("no catalogue entry opens it")
    # Another component's port: the inventory may be missing it.
    assert (by_port[8404]["entries"], by_port[8404]["held"]) == (["seed-15 (front_end)"], False)


def test_a_port_of_a_held_component_blocked_in_the_profile_in_use_says_so() -> None:
    # The Director's rules are in the domain profile; the host is on the public one.
    domain_only = {"director": {"profiles": ["domain"]}}
    found = _readiness.findings(request(domain_only), read((6, "0.0.0.0", 5061), current="public"))
    (blocked,) = found
    assert (blocked["kind"], blocked["profile"], blocked["held"]) == (
        "blocked_listener",
        "public",
        True,
    )
    assert "but not in the public profile the host is on" in blocked["remedy"]


def test_setup_rules_held_by_the_plan_no_longer_count() -> None:
    setup = HostRule(Rule("OCS SIP", "", local_ports=("5061",)), SETUP)
    wide = read((6, "0.0.0.0", 5061), connections=((5061, "192.0.2.9"),), rules=(setup,))
    # Kept, OCS setup's rule lets everyone in; held, only the Director's scope does.
    assert _readiness.findings(request(), wide) == []
    held = _readiness.findings(request(ocs_firewall_setup_rules="disable"), wide)
    assert kinds(held) == [("blocked_connection", "tcp", 5061, ["192.0.2.9"])]


def test_the_message_says_ready_or_counts() -> None:
    assert _readiness.message("dir01", []) == "dir01: ready: nothing it serves now would be blocked"
    found = _readiness.findings(request(), read((6, "0.0.0.0", 8404)))
    assert _readiness.message("dir01", found) == "dir01: 1 finding(s): 1 blocked_listener"
    assert _readiness.counts(found) == {
        "blocked_listener": 1,
        "blocked_connection": 0,
        "undecided_listener": 0,
    }


def test_the_planned_rules_are_the_components_own() -> None:
    (settings,) = request().settings
    planned = {r.name for r in _component_rules.component_rules(settings, None)}
    after = {h.rule.name for h in _readiness.rules_after(request(), read())}
    assert planned <= after
