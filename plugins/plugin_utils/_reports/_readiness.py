# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what turning the firewall on would break, read-only.
"""Readiness: what a host's firewall would drop, once enforced, of what the host serves now.

Before a firewall is switched on (or its profile told to block what no rule allows), the
question is what would break. A read of the settings that asks for them
(:meth:`.._remote._client.RemoteFirewall.settings` with ``listeners``, given to a read of
every rule by :func:`.._remote._client.with_listeners`) returns every TCP and UDP endpoint
the host listens on and every established TCP connection. Each is held against the rules as they
would be after ``site.yml`` - the host's rules outside the collection's groups (OCS
setup's held or released as ``ocs_firewall_setup_rules`` says), the rules others keep in
its groups, and the collection's planned rules - in the profile the host is on, with the
firewall on and inbound traffic blocked by default:

* a listener no rule opens, from any address, would stop answering: ``blocked_listener``;
* an established connection from an address no rule admits would be dropped:
  ``blocked_connection``, with the remote addresses seen;
* a verdict that depends on what a read cannot say (a port keyword such as ``RPC``, an
  address keyword such as ``LocalSubnet``) is ``undecided_listener``.

A read does not say which program listens on a port (.NET 2.0 gives no process id). A rule
for a program counts for a listener when it names that listener's port (OCS setup's rule
for RtcHost.exe on 5061 is that listener's), and not when it takes any port or a keyword
(WMI's rule for its own service): such a rule is that program's, not the port's.

Each finding names the catalogue entries that open its port (``entries``) and says whether
one is of a component the host holds (``held``: then the collection's own rule should open
it, and something else is wrong, such as the profile the host is on); other entries name
the component the host would need in the inventory. Loopback endpoints are left out
(Windows Firewall does not filter loopback traffic). Pure: a read and a request in,
findings out.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._setup_rules import (
    GROUP as SETUP_GROUP,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate, _ownership
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    HostRule,
    name_key,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client import RulesRead

KINDS: tuple[str, ...] = ("blocked_listener", "blocked_connection", "undecided_listener")
_PROTOCOLS = {6: "tcp", 17: "udp"}
# What the host's profile is once enforced: on, unsolicited inbound blocked.
_ENFORCED = _evaluate.ProfileState(enabled=True, inbound_action="block")


def _with_setup(rules: Iterable[HostRule], hold: set[str], release: set[str]) -> list[HostRule]:
    """OCS setup's rules as the plan leaves them: those held disabled, those released on."""
    found = []
    for host_rule in rules:
        if name_key(host_rule.group) == name_key(SETUP_GROUP):
            key = name_key(host_rule.rule.name)
            if key in hold or key in release:
                rule = dataclasses.replace(host_rule.rule, enabled=key in release)
                host_rule = dataclasses.replace(host_rule, rule=rule)
        found.append(host_rule)
    return found


def rules_after(request: _host_request.HostRequest, read: RulesRead) -> list[HostRule]:
    """The host's rules as ``site.yml`` would leave them (from a read of every rule)."""
    plans = _host_request.plan_host(request, read.rules)
    setup = _host_request.plan_setup(request, plans, read.rules)
    planned = {name_key(p.group) for p in plans}
    kept = [h for h in read.rules if name_key(h.group) not in planned]
    kept = _with_setup(
        kept, {name_key(n) for n in setup.hold}, {name_key(n) for n in setup.release}
    )
    for plan in plans:
        kept += [*plan.foreign, *plan.others, *plan.marked]
        kept += [HostRule(rule, plan.group) for rule in plan.after]
    return kept


def for_listeners(rules: Iterable[HostRule]) -> list[HostRule]:
    """The rules as they bear on a listener whose program is not known: a rule for a
    program that names ports counts as the listener's (its program dropped), one for a
    program that takes any port or a port keyword does not count."""
    found = []
    for host_rule in rules:
        if not (host_rule.application or host_rule.service):
            found.append(host_rule)
            continue
        ports = host_rule.rule.local_ports
        if ports and all(port_bounds(p) is not None for p in ports):
            found.append(dataclasses.replace(host_rule, application="", service=""))
    return found


def any_local(rules: Iterable[HostRule]) -> list[HostRule]:
    """The rules as they bear on a listener on every address (``0.0.0.0``, ``::``): one
    bound to some of the host's addresses lets it be reached on those."""
    return [
        dataclasses.replace(h, rule=dataclasses.replace(h.rule, local_addresses=()))
        if h.rule.local_addresses
        else h
        for h in rules
    ]


def _wildcard(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_unspecified
    except ValueError:
        return False


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def entries_for(protocol: str, port: int) -> list[tuple[str, str]]:
    """``(entry id, component)`` of each server entry that opens ``port``/``protocol``
    inbound (an outbound entry is a port the server connects to, not one it serves)."""
    found = []
    for key in _catalogue.server_components():
        for entry in _catalogue.server_entries(key):
            if protocol not in entry.get("transports", ()) or entry.get("direction") == "outbound":
                continue
            for token in entry.get("ports", ()):
                bounds = port_bounds(str(token))
                if bounds is not None and bounds[0] <= port <= bounds[1]:
                    found.append((entry["id"], key))
                    break
    return list(dict.fromkeys(found))


def findings(request: _host_request.HostRequest, read: RulesRead) -> list[dict[str, Any]]:
    """Every readiness finding of the host ``read`` came from, in the order of KINDS."""
    after = rules_after(request, read)
    # The entries the host's own planned rules come from (a held component's opt-in entry
    # the host's settings leave out is not among them).
    planned = {
        _ownership.entry_of(h.rule.description)
        for h in after
        if _ownership.owner_of(h.rule.description) == _ownership.CATALOGUE
    }
    held = {settings.component.key for settings in request.settings}
    bound = for_listeners(after)
    unbound = any_local(bound)
    current = read.policy.current()
    profile = current[0] if current else "domain"
    profiles = {profile: _ENFORCED}
    found: list[dict[str, Any]] = []
    seen: dict[tuple[int, int], list[str]] = {}
    for connection in read.connections:
        if not _loopback(connection.remote_address):
            seen.setdefault((6, connection.local_port), []).append(connection.remote_address)
    done: set[tuple[int, int]] = set()
    for listener in read.listeners:
        key = (listener.protocol, listener.port)
        if key in done or _loopback(listener.address) or listener.protocol not in _PROTOCOLS:
            continue
        done.add(key)
        protocol = _PROTOCOLS[listener.protocol]
        wildcard = _wildcard(listener.address)
        rules = unbound if wildcard else bound
        local = None if wildcard else listener.address
        flow = _evaluate.Flow(
            listener.protocol, None, profile, local_port=listener.port, local_address=local
        )
        verdict = _evaluate.evaluate(rules, profiles, flow)
        entries = entries_for(protocol, listener.port)
        where = {
            "protocol": protocol,
            "port": listener.port,
            "address": listener.address,
            "profile": profile,
            "entries": [f"{entry} ({component})" for entry, component in entries],
            "held": any(entry in planned for entry, _component in entries),
            "left_out": [f"{e} ({c})" for e, c in entries if c in held and e not in planned],
        }
        if verdict.verdict == _evaluate.BLOCKED:
            found.append(_finding("blocked_listener", where, verdict, seen.get(key, [])))
            continue
        if verdict.verdict == _evaluate.UNDECIDED:
            found.append(_finding("undecided_listener", where, verdict, seen.get(key, [])))
        blocked = [
            address
            for address in dict.fromkeys(seen.get(key, []))
            if _evaluate.evaluate(
                rules, profiles, dataclasses.replace(flow, remote_address=address)
            ).verdict
            == _evaluate.BLOCKED
        ]
        if blocked:
            found.append(_finding("blocked_connection", where, verdict, blocked))
    return sorted(found, key=lambda f: (KINDS.index(f["kind"]), f["protocol"], f["port"]))


def _finding(
    kind: str, where: Mapping[str, Any], verdict: _evaluate.Verdict, addresses: Sequence[str]
) -> dict[str, Any]:
    port = f"{where['port']}/{where['protocol']}"
    entries = where["entries"]
    if kind == "blocked_connection":
        need = (
            "the rules take other addresses only: if these must connect, make them peers in "
            "the inventory (a host of the component, ocs_firewall_client_networks, "
            "ocs_firewall_gateway_networks...) or widen the component's remote_addresses"
        )
    elif where["held"]:
        need = (
            f"a component of the host opens it ({', '.join(entries)}), but not in the "
            f"{where['profile']} profile the host is on: check ocs_<component>_profiles"
        )
    elif where["left_out"]:
        need = (
            f"an entry of a component of the host opens it ({', '.join(where['left_out'])}), "
            "but the host's settings leave that entry out (an opt-in)"
        )
    elif entries:
        need = f"the catalogue opens it for {', '.join(entries)}: give the host that component"
    else:
        need = (
            "no catalogue entry opens it: a rule of your own (win_firewall_rules) if it "
            "must stay reachable"
        )
    if kind == "blocked_listener":
        detail = f"{port} (listening on {where['address']}) would be blocked from every address"
        if addresses:
            detail += f"; connected now from {', '.join(dict.fromkeys(addresses))}"
    elif kind == "blocked_connection":
        detail = f"connections to {port} from {', '.join(addresses)} would be dropped"
    else:
        detail = f"{port} would be open or not depending on {'; '.join(verdict.depends)}"
    shown = {k: v for k, v in where.items() if k != "left_out"}
    return {
        "kind": kind,
        **shown,
        "remote_addresses": list(dict.fromkeys(addresses)),
        "rules": [{"name": h.rule.name, "group": h.group} for h in verdict.rules],
        "detail": detail,
        "remedy": need
        if kind != "undecided_listener"
        else "Check which program listens there; " + need,
    }


def counts(found: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    totals = dict.fromkeys(KINDS, 0)
    for finding in found:
        totals[finding["kind"]] += 1
    return totals


def message(host: str, found: Sequence[Mapping[str, Any]]) -> str:
    if not found:
        return f"{host}: ready: nothing it serves now would be blocked"
    parts = ", ".join(f"{n} {kind}" for kind, n in counts(found).items() if n)
    return f"{host}: {len(found)} finding(s): {parts}"
