# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what has drifted on one host, and what to do about it.
"""The drift audit of one host: its request and its one read -> findings.

The host's plan (:func:`.._estate._host_request.plan_host`, decommissioning on, so groups
of components the host no longer holds are planned too) says what ``site.yml`` would
change: each rule it would add or replace is a ``missing_rule``, each it would remove an
``extra_rule``, each group of a component the host no longer holds an ``orphan_group``. A rule that
carries the collection's marker but is not its own (a copy: another component's entry,
an id the catalogue lacks, a group that is not the collection's) is ``marked_not_ours``.
Outside those groups, an enabled inbound allow rule that opens a port no held component
needs (or any port) is a ``foreign_open_port``, unless it is accepted by name or group.
The profiles give ``profile_disabled`` and ``default_inbound_allow``.

A finding is a plain dictionary: ``kind``, ``group``, ``rule``, ``port`` (None where they
do not apply), ``detail`` (what was found, one line) and ``remedy`` (what to do, one
sentence), plus ``component``, ``differences`` or ``rules`` where they apply. On screen
(:func:`text`) the findings are grouped by kind, each remedy said once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _evaluate,
    _ownership,
    _plan,
    _policy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    PORT_MAX,
    PORT_MIN,
    contains,
    merge_ranges,
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    RULE_FIELDS,
    HostRule,
    Rule,
    is_tombstone,
    name_key,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    PORT_PROTOCOLS,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _flows

KINDS: tuple[str, ...] = (
    "missing_rule",
    "extra_rule",
    "orphan_group",
    "marked_not_ours",
    "foreign_open_port",
    # A rule of someone else's that lets in, on a port a component uses, more than the
    # collection's rule does (any address where ours is scoped, a wider profile or ports).
    "wider_rule",
    # Group policy (or a profile's switch) keeps local rules from taking effect.
    "policy_blocks_rules",
    "profile_disabled",
    "default_inbound_allow",
    # Windows Server 2003: a profile that ignores every open-port entry.
    "exceptions_not_allowed",
)

ACCEPTED_VARIABLE = _variables.AUDIT_ACCEPTED
DEFAULT_ACCEPTED = _variables.DEFAULT_AUDIT_ACCEPTED

SITE = "run playbooks/site.yml (ocs.firewall.site) for the host"
Ranges = dict[str, list[tuple[int, int]]]


def check_accepted(value: Any, where: str = ACCEPTED_VARIABLE) -> tuple[list[str], list[str]]:
    """The accepted rule names and groups, and the problems (naming ``where``)."""
    if not isinstance(value, (list, tuple)):
        return [], [f"{where}: {value!r} is not a list of rule names or rule groups"]
    problems = [
        f"{where}[{i}]: {item!r} is not a rule name or group; give a non-empty string"
        for i, item in enumerate(value)
        if not isinstance(item, str) or not item.strip()
    ]
    return ([] if problems else [str(v) for v in value]), problems


def audit(
    request: _host_request.HostRequest,
    rules: Sequence[HostRule],
    profiles: Mapping[str, Mapping[str, Any]],
    accepted: Iterable[str] = DEFAULT_ACCEPTED,
    policy: _policy.HostPolicy | None = None,
) -> list[dict[str, Any]]:
    """Every finding of a host, in the order of :data:`KINDS`.

    ``rules`` is every rule of the host, ``profiles`` the profiles of the same read
    (``_remote.profile_dict`` per profile name), ``accepted`` rule names and groups that
    are never a finding of theirs (``foreign_open_port``, ``extra_rule``, ``wider_rule``),
    ``policy`` the profiles in use and group policy of the read.
    """
    policy = policy or _policy.HostPolicy()
    plans = _host_request.plan_host(request, rules)
    keys = {name_key(a) for a in accepted}
    findings: list[dict[str, Any]] = []
    for plan in plans:
        findings += _plan_findings(plan, keys)
    planned = {name_key(p.group) for p in plans}
    marked = [*(h for p in plans for h in p.marked), *_host_request.marked_elsewhere(plans, rules)]
    findings += [_marked(h) for h in marked]
    needed = _needed(p for p in plans if p.reason == _plan.COMPONENT)
    for host_rule in rules:
        if name_key(host_rule.group) not in planned and not _accepted(host_rule, keys):
            finding = _open_port(host_rule, needed)
            if finding is not None:
                findings.append(finding)
    others = [h for h in rules if not _accepted(h, keys)]
    findings += wider_rules(plans, others, rules, _flows.profile_states(profiles, policy))
    findings += policy_findings(_policy.obstacles(policy))
    findings += _profile_findings(profiles)
    return sorted(findings, key=lambda f: KINDS.index(f["kind"]))


def counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many findings of each kind (every kind, 0 included)."""
    found = dict.fromkeys(KINDS, 0)
    for finding in findings:
        found[finding["kind"]] += 1
    return found


def message(findings: Sequence[Mapping[str, Any]]) -> str:
    if not findings:
        return "no drift: 0 findings"
    parts = [f"{n} {kind}" for kind, n in counts(findings).items() if n]
    return f"{len(findings)} finding(s): {', '.join(parts)}"


def text(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The findings for the screen, a line each: :func:`message`, then each kind with its
    count, its findings' details and, once, the remedy they share (findings of one kind
    with different remedies: each remedy after its own findings)."""
    lines = [message(findings)]
    by_kind: dict[str, dict[str, list[str]]] = {}
    for found in findings:
        remedies = by_kind.setdefault(str(found["kind"]), {})
        remedies.setdefault(str(found.get("remedy") or ""), []).append(str(found["detail"]))
    for kind, remedies in by_kind.items():
        lines.append(f"{kind} ({sum(len(d) for d in remedies.values())}):")
        for remedy, details in remedies.items():
            lines += [f"  {detail}" for detail in details]
            if remedy:
                lines.append(f"  remedy: {remedy}")
    return lines


def finding(kind: str, detail: str, remedy: str, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": kind, "group": None, "rule": None, "port": None}
    found.update(fields)
    found.update(detail=detail, remedy=remedy)
    return found


def _accepted(host_rule: HostRule, keys: set[str]) -> bool:
    return name_key(host_rule.rule.name) in keys or name_key(host_rule.group) in keys


def port_label(rule: Rule) -> str:
    """The traffic a rule lets through: ``tcp 5061``, ``udp any``, ``tcp 389 out``, ``any``."""
    if rule.protocol not in PORT_PROTOCOLS:
        return rule.protocol
    if rule.direction == "out":
        return f"{rule.protocol} {','.join(rule.remote_ports) or 'any'} out"
    return f"{rule.protocol} {','.join(rule.local_ports) or 'any'}"


# --- the collection's groups ---------------------------------------------------------------


def _plan_findings(plan: _plan.GroupPlan, accepted: set[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    ours = {name_key(r.name): r for r in plan.after}
    where = {"group": plan.group, "component": plan.component}
    if plan.reason == _plan.UNASSIGNED:
        found.append(_orphan(plan))
    else:
        for name in plan.added:
            rule = ours[name_key(name)]
            found.append(
                finding(
                    "missing_rule",
                    f"{name!r} ({port_label(rule)}) is absent from group {plan.group!r}",
                    f"To add it, {SITE}.",
                    rule=name,
                    port=port_label(rule),
                    **where,
                )
            )
        for name in plan.updated:
            found.append(_changed(plan, ours[name_key(name)]))
        for name in plan.removed:
            found.append(_removed(plan, name))
    for host_rule in plan.foreign:
        if not _accepted(host_rule, accepted):
            found.append(
                finding(
                    "extra_rule",
                    f"{host_rule.rule.name!r} ({port_label(host_rule.rule)}) in group "
                    f"{plan.group!r} was not made by the collection, which never changes it",
                    "Delete it by hand, or move it to a group of its own and add its name "
                    f"to {ACCEPTED_VARIABLE} if it is wanted.",
                    rule=host_rule.rule.name,
                    port=port_label(host_rule.rule),
                    owned=False,
                    **where,
                )
            )
    return found


def _marked(host_rule: HostRule) -> dict[str, Any]:
    group = host_rule.group or "(no group)"
    return finding(
        "marked_not_ours",
        f"{host_rule.rule.name!r} ({port_label(host_rule.rule)}) in group {group!r} ends its "
        "description with the collection's marker, but is not the collection's (a copy, "
        "another component's entry, or a group that is not the collection's): it is left "
        "as it is",
        "Remove the marker from its description (the text from '[ocs.firewall'), or delete "
        "it if it is not wanted.",
        group=host_rule.group,
        rule=host_rule.rule.name,
        port=port_label(host_rule.rule),
        owned=False,
    )


def _copies(plan: _plan.GroupPlan, name: str) -> list[HostRule]:
    return [h for h in plan.before if name_key(h.rule.name) == name_key(name)]


def _changed(plan: _plan.GroupPlan, wanted: Rule) -> dict[str, Any]:
    copies = _copies(plan, wanted.name)
    found = copies[0]
    differences = {
        field: {
            "wanted": _shown(getattr(wanted, field)),
            "found": _shown(getattr(found.rule, field)),
        }
        for field in RULE_FIELDS
        if getattr(wanted, field) != getattr(found.rule, field)
    }
    for field in ("application", "service"):
        if getattr(found, field):
            differences[field] = {"wanted": "", "found": getattr(found, field)}
    shown = ", ".join(
        f"{field} (wanted {_text(d['wanted'])}, found {_text(d['found'])})"
        for field, d in differences.items()
    )
    detail = f"{wanted.name!r} in group {plan.group!r} differs: {shown or 'no field'}"
    if len(copies) > 1:
        detail += f"; the group holds {len(copies)} rules of this name"
    return finding(
        "missing_rule",
        detail,
        f"To replace it with the catalogue's rule, {SITE}.",
        group=plan.group,
        rule=wanted.name,
        port=port_label(wanted),
        component=plan.component,
        differences=differences,
    )


def _shown(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value) or "any"
    return str(value) if value != "" else "(empty)"


def _removed(plan: _plan.GroupPlan, name: str) -> dict[str, Any]:
    host_rule = _copies(plan, name)[0]
    if is_tombstone(name):
        why = "is the leftover of a change that did not finish"
    elif plan.component is not None:
        why = f"is one no setting of component {plan.component} asks for"
    else:
        why = "is not wanted"
    return finding(
        "extra_rule",
        f"{name!r} ({port_label(host_rule.rule)}) in group {plan.group!r} was made by the "
        f"collection and {why}",
        f"To remove it, {SITE}.",
        group=plan.group,
        rule=name,
        port=port_label(host_rule.rule),
        component=plan.component,
        owned=True,
    )


def _orphan(plan: _plan.GroupPlan) -> dict[str, Any]:
    if plan.component is not None:
        whose = (
            f"of component {plan.component}, which the host no longer holds (it is not in "
            f"ocs_{plan.component})"
        )
        back = f"or put the host back in ocs_{plan.component} if it still runs that component"
    else:
        whose = "of catalogue rules of no component the host holds"
        back = "or give the host the component again if it still runs it"
    return finding(
        "orphan_group",
        f"group {plan.group!r} {whose}: {len(plan.removed)} rule(s) of the collection",
        f"To close its ports, {SITE} (unless ocs_firewall_remove_unassigned is false), {back}.",
        group=plan.group,
        component=plan.component,
        rules=list(plan.removed),
    )


# --- rules outside the collection's groups ----------------------------------------------------


def _needed(plans: Iterable[_plan.GroupPlan]) -> Ranges:
    """The local ports each protocol's wanted inbound allow rules open."""
    needed: Ranges = {p: [] for p in PORT_PROTOCOLS}
    for plan in plans:
        for rule in plan.after:
            if rule.direction == "in" and rule.action == "allow" and rule.enabled:
                for protocol in PORT_PROTOCOLS if rule.protocol == "any" else (rule.protocol,):
                    if protocol in needed:
                        needed[protocol] += _ranges(rule.local_ports)
    return {p: merge_ranges(r) for p, r in needed.items()}


def _ranges(ports: Sequence[str]) -> list[tuple[int, int]]:
    if not ports:
        return [(PORT_MIN, PORT_MAX)]
    return [b for b in (port_bounds(p) for p in ports) if b is not None]


def _uncovered(ports: Sequence[str], needed: list[tuple[int, int]]) -> list[str]:
    """The ports (and port keywords, such as RPC) of ``ports`` that ``needed`` leaves out."""
    left: list[str] = []
    for token in ports:
        bounds = port_bounds(token)
        if bounds is None:
            left.append(token)
            continue
        low, high = bounds
        for n_low, n_high in needed:
            if n_high < low or n_low > high:
                continue
            if n_low > low:
                left.append(_span(low, n_low - 1))
            low = max(low, n_high + 1)
            if low > high:
                break
        if low <= high:
            left.append(_span(low, high))
    return left


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def _open_port(host_rule: HostRule, needed: Ranges) -> dict[str, Any] | None:
    """The ``foreign_open_port`` finding of a rule outside the collection's groups, if any.

    Rules the collection made (a ``win_firewall_rules`` task's, in a group of the user's)
    are what the user asked for; rules that filter no port (ICMP, IGMP...) open none.
    """
    rule = host_rule.rule
    if _ownership.is_owned(rule.description) or not _opens(rule):
        return None
    if rule.protocol == "any":
        port, what = "any", "every port of every protocol"
    elif rule.protocol not in PORT_PROTOCOLS:
        return None
    elif not rule.local_ports:
        port, what = f"{rule.protocol} any", f"every {rule.protocol} port"
    else:
        left = _uncovered(rule.local_ports, needed[rule.protocol])
        if not left:
            return None
        port = f"{rule.protocol} {','.join(left)}"
        what = f"{port}, which no component of the host needs"
    group = f"group {host_rule.group!r}" if host_rule.group else "no group"
    return finding(
        "foreign_open_port",
        f"{rule.name!r} ({group}), not made by the collection, opens {what}",
        "Disable or delete the rule if nothing on the host needs it; if it is wanted, add "
        f"its name or group to {ACCEPTED_VARIABLE}.",
        group=host_rule.group,
        rule=rule.name,
        port=port,
    )


def _opens(rule: Rule) -> bool:
    return rule.enabled and rule.direction == "in" and rule.action == "allow"


# --- profiles --------------------------------------------------------------------------------


def _profile_findings(profiles: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, profile in profiles.items():
        if not profile.get("enabled"):
            found.append(
                finding(
                    "profile_disabled",
                    f"the {name} profile is off: no firewall rule filters traffic on its networks",
                    f"Turn it back on (netsh advfirewall set {name}profile state on), and fix "
                    "the Group Policy that turned it off, if one did.",
                    profile=name,
                )
            )
        if profile.get("default_inbound_action") == "allow":
            found.append(
                finding(
                    "default_inbound_allow",
                    f"the {name} profile lets in all inbound traffic no rule blocks",
                    f"Set it back to block (netsh advfirewall set {name}profile "
                    "firewallpolicy blockinbound,allowoutbound).",
                    profile=name,
                )
            )
    return found


# --- rules wider than the collection's ----------------------------------------------------------

# Addresses to show a wider rule with, when it takes any address: documentation networks
# (RFC 5737, RFC 3849), then private ones, the first that the collection's rule leaves out.
_OUTSIDE = ("203.0.113.10", "198.51.100.10", "192.0.2.10", "172.31.255.10", "2001:db8::10")


def _opens_inbound(rule: Rule) -> bool:
    return rule.enabled and rule.direction == "in" and rule.action == "allow"


def _numbers(ports: Sequence[str]) -> list[tuple[int, int]]:
    return merge_ranges(_ranges(ports))


def _shared(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> tuple[int, int] | None:
    for low_a, high_a in a:
        for low_b, high_b in b:
            if low_a <= high_b and low_b <= high_a:
                return max(low_a, low_b), min(high_a, high_b)
    return None


def outside(theirs: Sequence[str], ours: Sequence[str]) -> str | None:
    """An address ``theirs`` admits that ``ours`` does not (None: none, or ours is any)."""
    if not ours:
        return None
    candidates = list(_OUTSIDE) if not theirs else []
    for token in theirs:
        bounds = _address_bounds(token)
        if bounds is None:
            # LocalSubnet, DNS...: the host's own; a sample cannot be named.
            if token not in ours:
                return token
            continue
        candidates += bounds
    for candidate in candidates:
        if not any(_contains(o, candidate) for o in ours):
            return candidate
    return None


def _address_bounds(token: str) -> list[str] | None:
    """The first and last address of a network or range (None: a keyword)."""
    try:
        if "-" in token:
            low, high = token.split("-", 1)
            return [low, high]
        network = ipaddress.ip_network(token, strict=False)
    except ValueError:
        return None
    return [network.network_address.compressed, network.broadcast_address.compressed]


def _contains(outer: str, address: str) -> bool:
    try:
        return contains(outer, address)
    except ValueError:
        return False


def _scope_text(rule: Rule, host_rule: HostRule | None = None) -> str:
    parts = [
        f"{rule.protocol} {','.join(rule.local_ports) or 'any port'}",
        f"from {','.join(rule.remote_addresses) or 'any address'}",
        f"profiles {','.join(rule.profiles)}",
    ]
    if host_rule is not None and host_rule.application:
        parts.append(f"program {host_rule.application}")
    if host_rule is not None and host_rule.service:
        parts.append(f"service {host_rule.service}")
    return ", ".join(parts)


def wider_rules(
    plans: Sequence[_plan.GroupPlan],
    candidates: Sequence[HostRule],
    rules: Sequence[HostRule],
    profiles: Mapping[str, _evaluate.ProfileState],
) -> list[dict[str, Any]]:
    """A ``wider_rule`` finding for each enabled inbound allow rule of ``candidates``
    outside the collection's groups that lets in, on a port a held component's rule
    opens, more than that rule: an address it leaves out, or a profile it is not in (ports
    no component needs are a ``foreign_open_port``). Each is shown with a flow the
    evaluator, given ``rules`` (every rule of the host), finds allowed by it: a rule whose
    extra traffic a block rule stops is no finding."""
    ours = [
        rule
        for plan in plans
        if plan.reason == _plan.COMPONENT
        for rule in plan.after
        if _opens_inbound(rule) and rule.protocol in PORT_PROTOCOLS
    ]
    if not ours:
        return []
    planned = {name_key(p.group) for p in plans}
    found = []
    for host_rule in candidates:
        theirs = host_rule.rule
        if (
            name_key(host_rule.group) in planned
            or _ownership.is_owned(theirs.description)
            or not _opens_inbound(theirs)
        ):
            continue
        finding = _wider(host_rule, ours, rules, profiles)
        if finding is not None:
            found.append(finding)
    return found


def _wider(
    host_rule: HostRule,
    ours: Sequence[Rule],
    rules: Sequence[HostRule],
    profiles: Mapping[str, _evaluate.ProfileState],
) -> dict[str, Any] | None:
    theirs = host_rule.rule
    theirs_ports = (
        _numbers(theirs.local_ports)
        if theirs.protocol in PORT_PROTOCOLS
        else [(PORT_MIN, PORT_MAX)]
    )
    for rule in ours:
        if theirs.protocol not in ("any", rule.protocol):
            continue
        port = _shared(theirs_ports, _numbers(rule.local_ports))
        if port is None:
            continue
        address = outside(theirs.remote_addresses, rule.remote_addresses)
        extra_profiles = [p for p in theirs.profiles if p not in rule.profiles]
        how = []
        if address is not None:
            how.append(f"addresses the collection's rule leaves out (such as {address})")
        if extra_profiles:
            how.append(f"the {', '.join(extra_profiles)} profile(s)")
        if not how:
            continue
        witness = _witness(host_rule, rule, port[0], address, extra_profiles)
        verdict = _evaluate.evaluate(rules, profiles, witness)
        if verdict.verdict == _evaluate.BLOCKED or (
            verdict.verdict == _evaluate.ALLOWED and host_rule not in verdict.rules
        ):
            continue
        shown = (
            "is allowed by it"
            if verdict.verdict == _evaluate.ALLOWED
            else (f"depends on {', '.join(verdict.depends)}")
        )
        group = f"group {host_rule.group!r}" if host_rule.group else "no group"
        return finding(
            "wider_rule",
            f"{theirs.name!r} ({group}: {_scope_text(theirs, host_rule)}), not made by the "
            f"collection, lets in {'; '.join(how)} where the collection's {rule.name!r} "
            f"({_scope_text(rule)}) does not: {witness.label()} {shown}",
            "Disable it if the collection's rules are to decide who gets in (for OCS setup's "
            "rules, ocs_firewall_setup_rules: disable does it, reversibly), or narrow it to "
            "the collection's scope.",
            group=host_rule.group,
            rule=theirs.name,
            port=f"{rule.protocol} {port[0]}",
            ours=rule.name,
            flow=witness.label(),
        )
    return None


def _witness(
    host_rule: HostRule,
    rule: Rule,
    port: int,
    address: str | None,
    extra_profiles: Sequence[str],
) -> _evaluate.Flow:
    """A flow that the foreign rule admits beyond the collection's ``rule``: from
    ``address`` (one the collection's rule leaves out) in a profile both rules are in,
    else from an address the foreign rule takes in a profile only it is in."""
    both = [p for p in host_rule.rule.profiles if p in rule.profiles]
    if address is not None and both:
        profile = both[0]
    else:
        profile = (extra_profiles or both or host_rule.rule.profiles)[0]
    if address is None or not _is_single(address):
        address = _first_address(host_rule.rule.remote_addresses) or _OUTSIDE[0]
    return _evaluate.Flow(
        protocol=6 if rule.protocol == "tcp" else 17,
        remote_address=address,
        profile=profile,
        local_port=port,
        program=host_rule.application or None,
        service=host_rule.service or None,
    )


def _is_single(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


def _first_address(tokens: Sequence[str]) -> str | None:
    for token in tokens:
        bounds = _address_bounds(token)
        if bounds is not None:
            return bounds[0]
    return None


# --- policy ------------------------------------------------------------------------------------


def policy_findings(found: Sequence[_policy.Obstacle]) -> list[dict[str, Any]]:
    """A ``policy_blocks_rules`` finding per obstacle (a profile's setting that keeps local
    rules, the collection's among them, from taking effect)."""
    return [
        finding(
            "policy_blocks_rules",
            f"{o.text()}{' (a profile the host is on)' if o.current else ''}",
            _policy.remedy([o])[:1].upper() + _policy.remedy([o])[1:] + ".",
            profile=o.profile,
            setting=o.where,
            current=o.current,
        )
        for o in found
    ]
