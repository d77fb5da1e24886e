"""The reduced mode of Windows Server 2003 hosts (plugins/plugin_utils/_reduced_mode/_entries.py):
verdicts, merged entries, the plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _task_result

TCP, UDP = 6, 17
DOMAIN, STANDARD = 0, 1


@dataclasses.dataclass(frozen=True)
class Request:
    """A host's request and its reduced-mode options, as win_ocs_firewall works them out."""

    host: _host_request.HostRequest
    options: _entries.Options


def request(groups: list[str], **variables: Any) -> Request:
    found, problems = _host_request.host_request(groups, variables)
    options, more = _entries.check_options(variables)
    assert problems == more == [] and found is not None and options is not None
    return Request(found, options)


def plan(req: Request, on_host: Sequence[_wire.OpenPort] = (), **kw: Any) -> Any:
    return _entries.plan_entries(
        req.host.settings, req.host.remotes, list(on_host), options=req.options, **kw
    )


def rule(**values: Any) -> Rule:
    values.setdefault("name", "r")
    values.setdefault("local_ports", ("5061",))
    return Rule(**values)


# --- verdicts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "verdict", "why"),
    [
        ({}, _task_result.APPLIED, ""),
        (
            {"direction": "out", "local_ports": (), "remote_ports": ("389",)},
            "not_applicable",
            "inbound traffic only",
        ),
        ({"action": "block"}, "refused", "no block entries"),
        ({"protocol": "any", "local_ports": ()}, "refused", "TCP or UDP port"),
        ({"local_addresses": ("192.0.2.10",)}, "refused", "cannot be bound"),
        ({"remote_ports": ("5061",)}, "refused", "remote ports"),
        ({"remote_addresses": ("2001:db8::1",)}, "refused", "IPv6"),
        ({"remote_addresses": ("DNS",)}, "refused", "keyword DNS"),
        ({"remote_addresses": ("WINS", "10.0.0.1")}, "refused", "keyword WINS"),
        ({"local_ports": ()}, "refused", "every port"),
        ({"local_ports": ("RPC",)}, "refused", "not RPC"),
        ({"local_ports": ("5000-5063",)}, _task_result.APPLIED, ""),
        ({"local_ports": ("5000-5064",)}, "refused", "65 ports, more than the 64"),
        ({"local_ports": ("49152-65535",)}, "refused", "16384 ports"),
        (
            {"remote_addresses": ("LocalSubnet", "10.0.0.0/24", "10.1.0.1-10.1.0.3")},
            _task_result.APPLIED,
            "",
        ),
    ],
)
def test_a_rule_gets_one_verdict_saying_why(values: dict[str, Any], verdict: str, why: str) -> None:
    found = _entries.verdict_of("front_end", rule(**values), {})
    assert found.verdict == verdict
    assert why in found.why
    if verdict == "refused":
        assert found.alternative, "a refusal says what to do instead"
        assert not found.keys
    if verdict == _task_result.APPLIED:
        assert found.keys and not found.why


def test_an_applied_rule_opens_each_port_in_each_mapped_profile() -> None:
    found = _entries.verdict_of(
        "front_end", rule(local_ports=("5060-5061",), profiles=("domain", "private", "public")), {}
    )
    assert found.keys == (
        (DOMAIN, 5060, TCP),
        (DOMAIN, 5061, TCP),
        (STANDARD, 5060, TCP),
        (STANDARD, 5061, TCP),
    )
    only_domain = _entries.verdict_of("front_end", rule(profiles=("domain",)), {})
    assert only_domain.keys == ((DOMAIN, 5061, TCP),)
    public = _entries.verdict_of("front_end", rule(protocol="udp", profiles=("public",)), {})
    assert public.keys == ((STANDARD, 5061, UDP),)


def test_the_outbound_half_of_a_both_entry_says_so() -> None:
    out = rule(direction="out", local_ports=(), remote_ports=("5061",))
    assert "outbound half" in _entries.verdict_of("f", out, {"direction": "both"}).why
    assert "outbound half" not in _entries.verdict_of("f", out, {"direction": "outbound"}).why


def test_dynamic_rpc_is_2003s_range_or_the_one_the_hosts_are_restricted_to() -> None:
    rpc = rule(local_ports=("49152-65535",))
    entry = {"protocol": "RPC", "ports": ["49152-65535"]}
    refused = _entries.verdict_of("front_end", rpc, entry)
    assert refused.verdict == "refused"
    assert "1025-5000 (KB929851)" in refused.why and "3976 ports" in refused.why
    assert _entries.RPC_PORTS_VARIABLE in refused.alternative and "KB154596" in refused.alternative
    options = _entries.Options(rpc_ports=("5001-5010",))
    applied = _entries.verdict_of("front_end", rpc, entry, options)
    assert applied.verdict == _task_result.APPLIED
    assert [k[1] for k in applied.keys if k[0] == DOMAIN] == list(range(5001, 5011))
    # The same range that is not RPC is only a large range.
    media = _entries.verdict_of("front_end", rpc, {"protocol": "UDP"}, options)
    assert media.verdict == "refused" and "RPC" not in media.why


def test_the_front_end_catalogue_verdicts() -> None:
    found = plan(request(["ocs_front_end"]))
    counts = found.counts()
    assert counts == {"applied": 15, "not_applicable": 8, "refused": 2}
    refused = {v.rule.name for v in found.verdicts if v.verdict == "refused"}
    assert refused == {
        "OCS Front End 49152-65535/UDP In (seed-16)",
        "OCS Front End 49152-65535/TCP In (extra-front-end-rpc-dynamic)",
    }
    # Every applied rule is one TCP or UDP port per entry, in both profiles.
    assert {e.key[0] for e in found.wanted} == {DOMAIN, STANDARD}
    assert len(found.wanted) == 2 * 16  # 5060 and 5061 from seed-01, then 14 single ports


def test_bound_edge_rules_are_refused_and_unbound_ones_applied() -> None:
    unbound = plan(request(["ocs_edge"], ocs_edge_unbound=True)).counts()
    assert unbound["refused"] == 0 and unbound["applied"] > 0
    bound = plan(
        request(
            ["ocs_edge"],
            ocs_edge_internal_addresses=["10.10.1.10"],
            ocs_edge_external_addresses=["192.0.2.10"],
        )
    )
    assert bound.counts()["applied"] == 0
    assert all("cannot be bound" in v.why for v in bound.verdicts if v.verdict == "refused")


# --- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"ocs_firewall_legacy_adopt": "5061/tcp"}, "is not a list of ports"),
        ({"ocs_firewall_legacy_adopt": ["5061"]}, '"5061" is not a port and protocol'),
        ({"ocs_firewall_legacy_adopt": ["0/tcp"]}, '"0/tcp" is not'),
        ({"ocs_firewall_legacy_adopt": ["70000/udp"]}, '"70000/udp" is not'),
        ({"ocs_firewall_legacy_adopt": ["5061/icmp"]}, '"5061/icmp" is not'),
        ({"ocs_firewall_legacy_rpc_ports": "5000-5100"}, "101 port(s)"),
        ({"ocs_firewall_legacy_rpc_ports": "135"}, "from 1025 up"),
        ({"ocs_firewall_legacy_rpc_ports": "6000-5990"}, "ocs_firewall_legacy_rpc_ports"),
    ],
)
def test_bad_reduced_mode_variables_are_problems_of_the_host(
    variables: dict[str, Any], problem: str
) -> None:
    found, problems = _entries.check_options(variables)
    assert found is None
    assert len(problems) == 1 and problem in problems[0]
    assert next(iter(variables)) in problems[0]


def test_good_reduced_mode_variables() -> None:
    req = request(
        ["ocs_front_end"],
        ocs_firewall_legacy_adopt=["5061/TCP", " 135/udp"],
        ocs_firewall_legacy_rpc_ports="5001-5010",
    )
    assert req.options == _entries.Options(frozenset({(5061, TCP), (135, UDP)}), ("5001-5010",))


# --- scopes ----------------------------------------------------------------------------------


def test_scopes_are_stored_as_2003_stores_them_and_read_back_alike() -> None:
    scope = _entries.scope_of(("10.10.0.9", "10.10.0.11-10.10.0.13", "LocalSubnet", "10.20.0.0/16"))
    assert isinstance(scope, _entries.EntryScope)
    text = scope.text()
    assert text == (
        "LocalSubnet,10.10.0.9/255.255.255.255,10.10.0.11/255.255.255.255,"
        "10.10.0.12/255.255.255.254,10.20.0.0/255.255.0.0"
    )
    assert _entries.stored_scope(text) == scope
    assert _entries.stored_scope("*") == _entries.EntryScope(any=True)
    assert _entries.EntryScope(any=True).text() == "*"
    assert _entries.stored_scope("LocalSubnet") == _entries.EntryScope(local_subnet=True)


def test_a_shared_entry_takes_the_union_of_the_components_scopes() -> None:
    a = _entries.verdict_of(
        "monitoring", rule(local_ports=("135",), remote_addresses=("10.0.0.1",)), {}
    )
    b = _entries.verdict_of(
        "archiving", rule(name="s", local_ports=("135",), remote_addresses=("10.0.0.2",)), {}
    )
    (entry, *_rest) = _entries.wanted_entries(
        [a, b], {"monitoring": "Monitoring", "archiving": "Archiving"}
    )
    assert entry.name == "[ocs.firewall] Monitoring, Archiving - 135/TCP"
    assert entry.scope.text() == "10.0.0.1/255.255.255.255,10.0.0.2/255.255.255.255"
    assert entry.rules == ("r", "s")
    c = _entries.verdict_of("archiving", rule(name="t", local_ports=("135",)), {})
    (wide, *_rest) = _entries.wanted_entries([a, c], {"monitoring": "M", "archiving": "A"})
    assert wide.scope.text() == "*", "one component open to any address opens the entry to any"


# --- the plan --------------------------------------------------------------------------------


def held(key: tuple[int, int, int], name: str, **values: Any) -> _wire.OpenPort:
    return _wire.OpenPort(*key, name=name, **values)


def collocated() -> Request:
    return request(["ocs_archiving", "ocs_monitoring"])


def test_a_fresh_host_opens_every_wanted_entry_once() -> None:
    found = plan(collocated())
    assert found.changed and not found.closes
    keys = [(o.profile, o.port, o.protocol) for o in found.opens]
    assert len(keys) == len(set(keys)) == len(found.wanted)
    shared = [e for e in found.wanted if len(e.components) == 2]
    assert {e.key[1] for e in shared} == {135, 1801, 2101, 2103, 2105, 3527}


def test_a_host_in_sync_plans_nothing() -> None:
    wanted = plan(collocated()).wanted
    on_host = [held(e.key, e.name, remote_addresses=e.scope.text()) for e in wanted]
    again = plan(collocated(), on_host)
    assert not again.changed and not again.conflicts


def test_an_entry_of_ours_that_differs_is_overwritten_in_place() -> None:
    (first, *rest) = plan(collocated()).wanted
    on_host = [held(first.key, first.name, remote_addresses="10.9.9.9/255.255.255.255")]
    on_host += [held(e.key, e.name) for e in rest]
    found = plan(collocated(), on_host)
    assert [(h.key, e.key) for h, e in found.updated] == [(first.key, first.key)]
    assert [o.name for o in found.opens] == [first.name] and not found.closes


def test_a_foreign_entry_is_a_conflict_left_alone_unless_adopted() -> None:
    req = request(["ocs_edge"], ocs_edge_unbound=True)
    key = (DOMAIN, 5061, TCP)
    foreign = held(key, "OCS SIP (by hand)", remote_addresses="LocalSubnet", scope=1)
    found = plan(req, [foreign])
    assert [c.held for c in found.conflicts] == [foreign]
    assert key not in {(o.profile, o.port, o.protocol) for o in found.opens}
    message = found.conflicts[0].message()
    assert "'OCS SIP (by hand)'" in message and "'5061/tcp' to ocs_firewall_legacy_adopt" in message
    adopt = {"ocs_firewall_legacy_adopt": ["5061/tcp"], "ocs_edge_unbound": True}
    adopted = plan(request(["ocs_edge"], **adopt), [foreign])
    assert not adopted.conflicts
    (took,) = [o for o in adopted.opens if (o.profile, o.port, o.protocol) == key]
    assert took.adopt and took.name == "[ocs.firewall] Edge - 5061/TCP"
    # Only that profile's key was foreign: Standard's is simply added, without adopt.
    assert not any(o.adopt for o in adopted.opens if o is not took)


def test_a_built_in_entry_is_never_adopted() -> None:
    key = (DOMAIN, 5061, TCP)
    builtin = held(key, "Built in", builtin=True)
    adopt = {"ocs_firewall_legacy_adopt": ["5061/tcp"], "ocs_edge_unbound": True}
    found = plan(request(["ocs_edge"], **adopt), [builtin])
    assert [c.held for c in found.conflicts] == [builtin]
    assert "built in" in found.conflicts[0].message()


def test_decommission_keeps_a_shared_entry_while_one_component_needs_it() -> None:
    both = plan(collocated()).wanted
    on_host = [held(e.key, e.name, remote_addresses=e.scope.text()) for e in both]
    found = plan(request(["ocs_monitoring"]), on_host)
    closed = {(c.profile, c.port, c.protocol) for c in found.closes}
    renamed = {o.name for o in found.opens}
    # The shared ports stay open (renamed to the one component left), nothing is closed
    # that Monitoring still needs; Archiving's own entries (none here) would be closed.
    monitoring_keys = {e.key for e in found.wanted}
    assert not closed & monitoring_keys
    assert "[ocs.firewall] Monitoring - 135/TCP" in renamed
    assert closed == {e.key for e in both} - monitoring_keys
    gone = plan(request([]), on_host)
    assert {(c.profile, c.port, c.protocol) for c in gone.closes} == {e.key for e in both}


def test_without_decommission_entries_of_components_no_longer_held_stay() -> None:
    both = plan(collocated()).wanted
    archiving_only = [e for e in both if e.components == ("archiving",)]
    on_host = [held(e.key, "[ocs.firewall] Archiving: x") for e in archiving_only]
    on_host.append(held((DOMAIN, 9999, TCP), "[ocs.firewall] Monitoring: 9999/TCP"))
    found = plan(request(["ocs_monitoring"]), on_host, remove_unassigned=False)
    assert [c.port for c in found.closes] == [9999], "Monitoring is held: its stray entry goes"
    assert {e.key for e in found.kept} == {e.key for e in archiving_only}
    assert plan(request(["ocs_monitoring"]), on_host).kept == ()


def test_foreign_entries_on_unwanted_ports_are_never_closed() -> None:
    foreign = held((DOMAIN, 10000, TCP), "Backup agent")
    found = plan(request([]), [foreign])
    assert not found.changed and not found.conflicts


def test_adjacent_scopes_of_collocated_components_read_back_equal() -> None:
    halves = [
        _entries.verdict_of(c, rule(name=c, local_ports=("135",), remote_addresses=(net,)), {})
        for c, net in (("monitoring", "10.0.0.0/25"), ("archiving", "10.0.0.128/25"))
    ]
    (entry, *_rest) = _entries.wanted_entries(halves, {"monitoring": "M", "archiving": "A"})
    assert entry.scope.text() == "10.0.0.0/255.255.255.0"
    # The host stores what it was sent; read back, it is the same scope (no update again).
    assert _entries.stored_scope(entry.scope.text()) == entry.scope


def test_a_converged_collocated_host_with_adjacent_scopes_plans_nothing() -> None:
    req = request(
        ["ocs_archiving", "ocs_monitoring"],
        ocs_archiving_remote_addresses=["10.0.0.0/25"],
        ocs_monitoring_remote_addresses=["10.0.0.128-10.0.0.255"],
    )
    wanted = plan(req).wanted
    on_host = [held(e.key, e.name, remote_addresses=e.scope.text(), scope=2) for e in wanted]
    shared = {e.remote_addresses for e in on_host if "Monitoring, Archiving" in e.name}
    assert shared == {"10.0.0.0/255.255.255.0"}
    assert not plan(req, on_host).changed


def _converged(req: _host_request.HostRequest) -> list[_wire.OpenPort]:
    return [held(e.key, e.name, remote_addresses=e.scope.text(), scope=2) for e in plan(req).wanted]


def test_without_decommission_a_shared_entry_keeps_what_it_serves_the_component_gone() -> None:
    # Monitoring's own 5069 (an opt-in) on, so that it has an entry of its own.
    both = request(
        ["ocs_archiving", "ocs_monitoring"],
        ocs_archiving_remote_addresses=["10.0.0.0/25"],
        ocs_monitoring_remote_addresses=["10.0.1.0/25"],
        ocs_monitoring_seed_qoe_port=True,
    )
    on_host = _converged(both)
    monitoring = request(
        ["ocs_monitoring"],
        ocs_monitoring_remote_addresses=["10.0.1.0/25"],
        ocs_monitoring_seed_qoe_port=True,
    )
    found = plan(monitoring, on_host, remove_unassigned=False)
    assert not found.changed, "Archiving's peers keep their access, its label its place"
    shared = [e for e in found.wanted if e.key == (DOMAIN, 135, TCP)]
    assert [(e.name, e.scope.text()) for e in shared] == [
        (
            "[ocs.firewall] Monitoring, Archiving - 135/TCP",
            "10.0.0.0/255.255.255.128,10.0.1.0/255.255.255.128",
        )
    ]
    # Monitoring held but absent: the shared entries still serve Archiving, so they stay;
    # Monitoring's own (5069/TCP) goes.
    absent = request(
        ["ocs_monitoring"], ocs_monitoring_state="absent", ocs_monitoring_seed_qoe_port=True
    )
    found = plan(absent, on_host, remove_unassigned=False)
    assert {(c.profile, c.port) for c in found.closes} == {(DOMAIN, 5069), (STANDARD, 5069)}
    shared_keys = {e.key for e in on_host if "Monitoring, Archiving" in e.name}
    assert {e.key for e in found.kept} == shared_keys
    # Decommissioning on, the same host narrows them to Monitoring (renamed in place).
    narrowed = plan(monitoring, on_host)
    assert not narrowed.closes and len(narrowed.updated) == 2 * 7
    assert {e.name for _h, e in narrowed.updated} >= {"[ocs.firewall] Monitoring - 135/TCP"}


def test_unicode_digits_in_an_adopted_port_are_a_problem_not_a_crash() -> None:
    found, problems = _entries.check_options(
        {"ocs_firewall_legacy_adopt": ["5061\u00b2/tcp", "\u0665\u0660/udp"]}
    )
    assert found is None and len(problems) == 2
    assert all("ocs_firewall_legacy_adopt" in p for p in problems)


# --- names: the separator, and the names earlier releases wrote ------------------------------


def _old_name(name: str) -> str:
    """``name`` as earlier releases wrote it: ``: `` before the port, not `` - ``."""
    head, separator, key = name.rpartition(" - ")
    assert separator
    return f"{head}: {key}"


def test_entry_names_keep_out_of_the_colon_of_2003s_own_port_exceptions() -> None:
    # netsh and group policy write a port exception as Port:Protocol:Scope:Status:Name.
    wanted = plan(collocated()).wanted
    assert wanted and all(":" not in e.name for e in wanted)
    assert {e.name for e in wanted if e.key == (DOMAIN, 135, TCP)} == {
        "[ocs.firewall] Monitoring, Archiving - 135/TCP"
    }


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("[ocs.firewall] Front End - 5061/TCP", True),
        ("[ocs.firewall] Monitoring, Archiving - 135/UDP", True),
        # Names earlier releases wrote are still the collection's ...
        ("[ocs.firewall] Front End: 5061/TCP", True),
        ("[ocs.firewall] Monitoring, Archiving: 135/TCP", True),
        # ... on the same terms: every label a component's, the key at the end.
        ("[ocs.firewall] Admin: 9999/TCP", False),
        ("[ocs.firewall] Admin - 9999/TCP", False),
        ("[ocs.firewall] Front End, Admin: 5061/TCP", False),
        ("[ocs.firewall] Front End:5061/TCP", False),
        ("[ocs.firewall] Front End -5061/TCP", False),
        ("[ocs.firewall] Front End - 5061/TCP copy", False),
        ("[ocs.firewall] Front End - 5061/SCTP", False),
        ("Copy of [ocs.firewall] Front End - 5061/TCP", False),
    ],
)
def test_an_entry_is_ours_by_its_name_old_or_new(name: str, ours: bool) -> None:
    assert _entries.is_ours(held((DOMAIN, 5061, TCP), name)) is ours


def test_old_names_are_renamed_by_the_next_run_and_nothing_else_changes() -> None:
    req = collocated()
    converged = _converged(req)
    old = [dataclasses.replace(e, name=_old_name(e.name)) for e in converged]
    foreign = held((DOMAIN, 10000, TCP), "Backup Exec Remote Agent")

    found = plan(req, [*old, foreign])

    # Each old entry is overwritten where it is (same key, scope, state), under its new
    # name; none is closed, adopted or reported, and the foreign entry is not touched.
    assert [(h.name, e.name) for h, e in found.updated] == [
        (o.name, c.name) for o, c in zip(old, converged, strict=True)
    ]
    assert [(o.profile, o.port, o.protocol, o.name) for o in found.opens] == [
        (*c.key, c.name) for c in converged
    ]
    assert not any(o.adopt for o in found.opens)
    assert not (found.closes or found.added or found.adopted or found.conflicts or found.marked)
    assert _entries.removals(found) == []
    # The run after holds still.
    assert not plan(req, [*converged, foreign]).changed


def test_without_decommission_an_old_name_keeps_the_labels_of_a_component_gone() -> None:
    both = request(
        ["ocs_archiving", "ocs_monitoring"],
        ocs_archiving_remote_addresses=["10.0.0.0/25"],
        ocs_monitoring_remote_addresses=["10.0.1.0/25"],
    )
    old = [dataclasses.replace(e, name=_old_name(e.name)) for e in _converged(both)]
    monitoring = request(["ocs_monitoring"], ocs_monitoring_remote_addresses=["10.0.1.0/25"])

    found = plan(monitoring, old, remove_unassigned=False)

    renamed = {e.key: e.name for _held, e in found.updated}
    assert renamed[(DOMAIN, 135, TCP)] == "[ocs.firewall] Monitoring, Archiving - 135/TCP"
    assert not found.closes
