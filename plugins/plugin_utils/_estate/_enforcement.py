# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: turning the firewall on, and what must get through it.
"""Enforcement's options, and the lockout guard.

``ocs_firewall_enforce: true`` turns a host's firewall on once its rules are in place
(:func:`.._firewall._switches.target`); ``ocs_firewall_log_dropped`` turns its log of
dropped packets on or off. Both are checked here, with what the guard needs: the networks
the controller and the administrators manage the host from
(``ocs_firewall_management_addresses``, required when enforcing), the other ports they use
(``ocs_firewall_management_ports``: Remote Desktop, a monitoring agent), the port WinRM
listens on as the host sees it (``ocs_firewall_winrm_port``; the connection's port when not
set), and how long the host waits for the confirmation before it rolls back
(``ocs_firewall_confirm_minutes``).

The guard (:func:`lockout`) asks the rule evaluator, before anything changes, whether each
management flow is allowed in each profile the host is on, with the rules as the run
leaves them and the profiles as enforcement leaves them. Every address of each management
network is judged: the evaluator is asked once per stretch of addresses no rule bound
falls inside (:func:`_samples`). Pure.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import (
    check_bool,
    shown,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _evaluate,
    _grammar,
    _ownership,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import HostPolicy
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    DEFAULT_LOG_KB,
    MAX_CONFIRM_MINUTES,
    MAX_LOG_KB,
    MIN_LOG_KB,
    Settings,
    legacy_profile,
)

ENFORCE = _variables.ENFORCE
ADDRESSES = _variables.MANAGEMENT_ADDRESSES
PORTS = _variables.MANAGEMENT_PORTS
WINRM_PORT = _variables.WINRM_PORT
CONFIRM_MINUTES = _variables.CONFIRM_MINUTES
LOG_DROPPED = _variables.LOG_DROPPED
LOG_SIZE_KB = _variables.LOG_SIZE_KB
MANAGEMENT_RULE = _variables.MANAGEMENT_RULE
VARIABLES = (
    ENFORCE,
    ADDRESSES,
    PORTS,
    MANAGEMENT_RULE,
    WINRM_PORT,
    CONFIRM_MINUTES,
    LOG_DROPPED,
    LOG_SIZE_KB,
)
# The group of the rules ocs_firewall_management_rule adds (a task's group: its rules carry
# the task marker, as win_firewall_rules' do, and only a task removes them).
MANAGEMENT_GROUP = "ocs.firewall - Management"

DEFAULT_CONFIRM_MINUTES = 5
# WinRM 2.0's ports: HTTP, HTTPS.
WINRM_PORTS = {"http": 5985, "https": 5986}


@dataclasses.dataclass(frozen=True)
class Options:
    """The host's enforcement options, checked. ``active``: the run changes settings."""

    enforce: bool = False
    addresses: tuple[str, ...] = ()
    ports: tuple[tuple[int, str], ...] = ()
    winrm_port: int | None = None
    confirm_minutes: int = DEFAULT_CONFIRM_MINUTES
    log_dropped: bool | None = None
    log_size_kb: int = DEFAULT_LOG_KB
    management_rule: bool = False

    @property
    def active(self) -> bool:
        return self.enforce or self.log_dropped is not None


def _whole(value: Any, low: int, high: int) -> int | None:
    """A whole number within ``low``..``high`` (ASCII digits when text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def _port_item(item: Any) -> tuple[int, str] | None:
    """``3389/tcp`` -> ``(3389, "tcp")``."""
    if not isinstance(item, str) or item.count("/") != 1:
        return None
    port, protocol = item.strip().split("/")
    number = _whole(port, 1, 65535)
    if number is None or protocol.lower() not in ("tcp", "udp"):
        return None
    return number, protocol.lower()


def check_options(values: Mapping[str, Any]) -> tuple[Options | None, list[str]]:
    """:class:`Options` from the host's variables (those defined), or every problem."""
    problems: list[str] = []
    found: dict[str, Any] = {}
    for name in (ENFORCE, LOG_DROPPED, MANAGEMENT_RULE):
        if values.get(name) is not None:
            found[name], more = check_bool(name, values[name])
            problems += more
    if values.get(ADDRESSES) is not None:
        raw = values[ADDRESSES]
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        bad = []
        for item in items:
            try:
                if not isinstance(item, str) or not item.strip() or "," in item:
                    raise InputError("")
                # "*" or "any" is every address: not a network anyone manages from.
                if not _grammar.canonical_addresses(item.strip(), ADDRESSES, keywords=False):
                    raise InputError("")
            except InputError:
                bad.append(item)
        problems += [
            f"{ADDRESSES}: {shown(b)} is not an address, a network (10.10.5.0/24) or a range "
            "(10.10.5.1-10.10.5.9)"
            for b in bad
        ]
        if not bad:
            found[ADDRESSES] = _grammar.canonical_addresses(
                [i.strip() for i in items], ADDRESSES, keywords=False
            )
    if values.get(PORTS) is not None:
        raw = values[PORTS]
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        ports = [_port_item(i) for i in items]
        problems += [
            f"{PORTS}: {shown(i)} is not a port and protocol such as '3389/tcp' (a port "
            "1-65535, then /tcp or /udp)"
            for i, p in zip(items, ports, strict=True)
            if p is None
        ]
        found[PORTS] = tuple(sorted({p for p in ports if p is not None}))
    for name, low, high, what in (
        (WINRM_PORT, 1, 65535, "a port (1-65535)"),
        (
            CONFIRM_MINUTES,
            1,
            MAX_CONFIRM_MINUTES,
            f"a number of minutes from 1 to {MAX_CONFIRM_MINUTES}",
        ),
        (
            LOG_SIZE_KB,
            MIN_LOG_KB,
            MAX_LOG_KB,
            f"a size in KB from {MIN_LOG_KB} to {MAX_LOG_KB} (Windows' bounds)",
        ),
    ):
        if values.get(name) is not None:
            found[name] = _whole(values[name], low, high)
            if found[name] is None:
                problems.append(f"{name}: {shown(values[name])} is not {what}")
    if (
        found.get(ENFORCE)
        and not found.get(ADDRESSES)
        and ADDRESSES not in {p.split(":", 1)[0] for p in problems}
    ):
        problems.append(
            f"{ENFORCE} is true and {ADDRESSES} is not set: give the networks the controller "
            "and the administrators manage the host from, so that the run can prove they "
            "still reach it once the firewall is on (for example [10.10.5.0/24])"
        )
    if problems:
        return None, problems
    return (
        Options(
            enforce=bool(found.get(ENFORCE, False)),
            addresses=found.get(ADDRESSES, ()),
            ports=found.get(PORTS, ()),
            winrm_port=found.get(WINRM_PORT),
            confirm_minutes=found.get(CONFIRM_MINUTES) or DEFAULT_CONFIRM_MINUTES,
            log_dropped=found.get(LOG_DROPPED),
            log_size_kb=found.get(LOG_SIZE_KB) or DEFAULT_LOG_KB,
            management_rule=bool(found.get(MANAGEMENT_RULE, False)),
        ),
        [],
    )


# --- the lockout guard ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Flow:
    """A management flow the host must keep letting in: a port, a protocol, what for."""

    port: int
    protocol: str
    why: str


def flows(options: Options, connection_port: int | None) -> list[Flow]:
    """WinRM's port (``ocs_firewall_winrm_port``, else the connection's), then each of
    ``ocs_firewall_management_ports``."""
    found = []
    port = options.winrm_port or connection_port
    if port:
        found.append(Flow(port, "tcp", "WinRM, the controller's connection"))
    found += [Flow(p, proto, "a management port") for p, proto in options.ports]
    return list(dict.fromkeys(found))


def management_rules(options: Options, connection_port: int | None) -> list[Rule]:
    """The rules ``ocs_firewall_management_rule`` adds: one per management flow, from the
    management networks, in every profile, carrying the task marker."""
    found = []
    for flow in flows(options, connection_port):
        what = f"{flow.port}/{flow.protocol.upper()}"
        found.append(
            Rule(
                name=f"ocs.firewall management {what} In",
                description=_ownership.marked(
                    f"Lets the management networks reach {flow.why} ({what}), so that the "
                    f"firewall can be enforced ({MANAGEMENT_RULE})."
                ),
                protocol=flow.protocol,
                local_ports=(str(flow.port),),
                remote_addresses=options.addresses,
            )
        )
    return found


@dataclasses.dataclass(frozen=True)
class LegacyEntry:
    """A Windows Server 2003 port entry as the guard judges it."""

    profile: str
    port: int
    protocol: str
    enabled: bool
    remote_addresses: tuple[str, ...]


def _bounds(token: str) -> tuple[int, int, int] | None:
    """``(version, low, high)`` of an address token, None for a keyword."""
    try:
        if "-" in token:
            low, high = (ipaddress.ip_address(p) for p in token.split("-", 1))
            return low.version, int(low), int(high)
        network = ipaddress.ip_network(token, strict=False)
    except ValueError:
        return None
    return network.version, int(network.network_address), int(network.broadcast_address)


def _samples(network: str, tokens: Iterable[str]) -> list[str]:
    """Addresses of ``network`` that stand for all of it: its ends, and each address
    where a rule's address bound starts or stops a stretch within it."""
    span = _bounds(network)
    if span is None:
        return []
    version, low, high = span
    points = {low, high}
    for token in tokens:
        bound = _bounds(token)
        if bound is None or bound[0] != version:
            continue
        for point in (bound[1] - 1, bound[1], bound[2], bound[2] + 1):
            if low <= point <= high:
                points.add(point)
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return [str(make(p)) for p in sorted(points)]


def _effective(policy: HostPolicy, profile: str, switches: Any) -> _evaluate.ProfileState:
    """A profile's state as Windows enforces it: group policy's values win."""
    state = _evaluate.ProfileState(
        enabled=switches.enabled,
        inbound_action=switches.inbound,
        outbound_action=switches.outbound,
        block_all_inbound=switches.block_all,
    )
    for found in policy.profiles:
        if found.profile != profile:
            continue
        if found.setting("EnableFirewall") is not None:
            state = dataclasses.replace(state, enabled=found.setting("EnableFirewall") == 1)
        if found.setting("DefaultInboundAction") is not None:
            inbound = "block" if found.setting("DefaultInboundAction") == 1 else "allow"
            state = dataclasses.replace(state, inbound_action=inbound)
        # Group policy can only add "block all": a local one stays on.
        if found.setting("DoNotAllowExceptions") == 1:
            state = dataclasses.replace(state, block_all_inbound=True)
    return state


def _merges(policy: HostPolicy, profile: str) -> bool:
    """Whether local rules count in ``profile`` (group policy's "Apply local firewall
    rules"); where they do not, the guard judges with none (the rules group policy
    delivers are not read)."""
    return all(
        p.setting("AllowLocalPolicyMerge") != 0 for p in policy.profiles if p.profile == profile
    )


def _nothing_to_judge(current: Sequence[str], judged: Sequence[Flow]) -> list[str]:
    """A guard that would judge nothing proves nothing: that is a problem too."""
    if not current:
        return ["the read says no profile is in use, so no flow can be judged"]
    if not judged:
        return [
            f"no management flow to judge: set {WINRM_PORT} (the connection's port is not known)"
        ]
    return []


def _why(verdict: _evaluate.Verdict) -> str:
    if verdict.by == _evaluate.BY_BLOCK_ALL_INBOUND:
        return "the profile blocks all inbound traffic"
    if verdict.verdict == _evaluate.UNDECIDED:
        return (
            f"it depends on {', '.join(verdict.depends)} (rules {', '.join(verdict.rule_names())})"
        )
    if verdict.by == _evaluate.BY_RULE:
        return f"blocked by rule(s) {', '.join(verdict.rule_names())}"
    return "no rule allows it, and the profile blocks what no rule allows"


def lockout(
    rules: Sequence[HostRule],
    policy: HostPolicy,
    after: Settings,
    options: Options,
    connection_port: int | None,
) -> list[str]:
    """Each management flow the host would not let in once enforced (2008 and later):
    ``"5985/tcp from 10.10.5.10 (domain profile): no rule allows it, ..."``."""
    judged = flows(options, connection_port)
    problems = _nothing_to_judge(policy.current(), judged)
    for profile in policy.current():
        state = _effective(policy, profile, after.profile(profile))
        local = list(rules) if _merges(policy, profile) else []
        for flow in judged:
            protocol = 6 if flow.protocol == "tcp" else 17
            # Only the rules that can match the flow from some address bound the stretches
            # of addresses to judge (a host has hundreds of rules).
            some = _evaluate.Flow(protocol, None, profile, local_port=flow.port)
            bearing = [h for h in local if _evaluate.match(h, some, []) != "no"]
            tokens = [t for h in bearing for t in h.rule.remote_addresses]
            for network in options.addresses:
                for address in _samples(network, tokens):
                    packet = dataclasses.replace(some, remote_address=address)
                    verdict = _evaluate.evaluate(bearing, {profile: state}, packet)
                    if verdict.verdict != _evaluate.ALLOWED:
                        problems.append(f"{packet.label()} ({flow.why}): {_why(verdict)}")
                        break
    return problems


def _entry_admits(entry: LegacyEntry, address: str) -> str:
    """``yes``, ``no`` or ``depends`` (LocalSubnet: the host's own subnet)."""
    if not entry.remote_addresses or "*" in entry.remote_addresses:
        return "yes"
    answer = "no"
    for token in entry.remote_addresses:
        if token.lower() == "localsubnet":
            answer = "depends"
            continue
        try:
            if ipaddress.ip_address(address) in ipaddress.ip_network(token, strict=False):
                return "yes"
        except ValueError:
            continue
    return answer


def legacy_lockout(
    entries: Sequence[LegacyEntry],
    policy: HostPolicy,
    after: Settings,
    options: Options,
    connection_port: int | None,
) -> list[str]:
    """The same guard on Windows Server 2003: a profile that is off lets everything in;
    one that allows no exceptions lets nothing in; otherwise an enabled entry of the port
    whose scope takes the address does. Group policy's values win both ways on 2003, and
    with ``AllowUserPrefMerge`` 0 no local entry counts."""
    judged = flows(options, connection_port)
    current = policy.current()
    problems = _nothing_to_judge(current, judged)
    tokens = [t for e in entries for t in e.remote_addresses]
    for profile in current:
        switches = after.profile(legacy_profile(profile))
        merged = True
        for found in policy.profiles:
            if found.profile != profile:
                continue
            if found.setting("EnableFirewall") is not None:
                switches = dataclasses.replace(
                    switches, enabled=found.setting("EnableFirewall") == 1
                )
            if found.setting("DoNotAllowExceptions") is not None:
                switches = dataclasses.replace(
                    switches, block_all=found.setting("DoNotAllowExceptions") == 1
                )
            merged = found.setting("AllowUserPrefMerge") != 0
        for flow in judged:
            mine = [
                e
                for e in entries
                if merged
                and e.enabled
                and e.profile == legacy_profile(profile)
                and (e.port, e.protocol) == (flow.port, flow.protocol)
            ]
            for network in options.addresses:
                for address in _samples(network, tokens):
                    if not switches.enabled:
                        continue
                    label = (
                        f"{flow.port}/{flow.protocol} from {address} ({profile} profile) "
                        f"({flow.why})"
                    )
                    if switches.block_all:
                        problems.append(f"{label}: the profile allows no exceptions")
                        break
                    answers = {_entry_admits(e, address) for e in mine}
                    if "yes" not in answers:
                        why = (
                            "only an entry scoped to LocalSubnet, which the guard cannot judge"
                            if "depends" in answers
                            else "no port entry opens it"
                        )
                        problems.append(f"{label}: {why}")
                        break
    return problems


def refusal(host: str, problems: Sequence[str], options: Options) -> str:
    """The message of a host the guard refuses: nothing was changed."""
    return (
        f"{host}: turning the firewall on would cut the management off, so nothing was "
        f"changed: {'; '.join(problems)}. Let these in first (a rule of your own, or the "
        f"group 'Windows Remote Management'), or correct {ADDRESSES} "
        f"({', '.join(options.addresses)}) or {PORTS}"
    )
