"""Is a flow allowed on a lab host, and by which rule? The lab's own answer.

Windows Firewall with Advanced Security as Windows Server 2008 and 2008 R2 decide it, on
a 2008 store (:mod:`ocs_lab.firewall`) with the profiles under group policy
(:func:`policy.effective_profile`). The semantics is the one ``tests/data/flow_cases.yml``
states in its ``about``; in short:

1. the flow's profile is off: allowed (``firewall_off``);
2. inbound, and the profile blocks all incoming connections: blocked
   (``block_all_inbound``);
3. each rule matches the flow yes, no, or "depends" (on what only the host knows: the
   addresses behind LocalSubnet or DNS, the ports behind RPC, the program or service a
   flow does not name, ICMP types). A block rule that matches blocks; else an allow rule
   that matches allows; else the profile's default action, unless an allow rule that
   depends would make the difference (then ``undecided``);
4. an outcome "allowed" that a depending block rule could turn is ``undecided``.

In a profile where group policy turns local rules off (``AllowLocalPolicyMerge`` 0) no rule
of the store's ``rules`` counts: they are all local. A store's ``policy_rules`` (the rules a
GPO brings, which a read does not report: :mod:`ocs_lab.api` gives a host whose policy
voids local rules the GPO's WinRM rule) count in every profile they name.

Independent of ``plugins/`` (the collection has its own evaluator; both answer the table):
the port and address lists are read here from the forms the lab stores
(``5060-5061,443``, ``10.0.0.0/255.255.255.0``, ``fe80::/64``, ``a-b``, keywords).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import policy
from .firewall import ADDRESS_KEYWORDS, ANY_PROTOCOL, LOCAL_PORT_KEYWORDS, PORT_PROTOCOLS

YES = "yes"
NO = "no"
DEPENDS = "depends"

PROTOCOLS = {"tcp": 6, "udp": 17, "icmpv4": 1, "icmpv6": 58}
ICMP_PROTOCOLS = (PROTOCOLS["icmpv4"], PROTOCOLS["icmpv6"])
DIRECTIONS = {"in": 1, "out": 2}
# NET_FW_ACTION
BLOCK = 0
ALLOW = 1
FLOW_KEYS = (
    "direction",
    "protocol",
    "profile",
    "remote_address",
    "local_port",
    "remote_port",
    "local_address",
    "program",
    "service",
)
REQUIRED_FLOW_KEYS = ("direction", "protocol", "profile", "remote_address")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FlowError(ValueError):
    """A flow, or a stored rule value, the evaluator cannot read; the message says which."""


@dataclass(frozen=True)
class Flow:
    direction: int
    protocol: int
    ptype: int
    remote_address: Address
    local_port: int | None = None
    remote_port: int | None = None
    local_address: Address | None = None
    program: str | None = None
    service: str | None = None

    @property
    def inbound(self) -> bool:
        return self.direction == DIRECTIONS["in"]


# --------------------------------------------------------------------------- the flow


def read_flow(flow: dict[str, Any]) -> Flow:
    """The flow of a case (or of the CLI) checked; a bad value is a :class:`FlowError`."""
    unknown = sorted(set(flow) - set(FLOW_KEYS))
    if unknown:
        raise FlowError(f"unknown flow keys {unknown}; valid: {list(FLOW_KEYS)}")
    missing = [key for key in REQUIRED_FLOW_KEYS if flow.get(key) is None]
    if missing:
        raise FlowError(f"the flow needs {missing}")
    direction = _choice("direction", flow["direction"], DIRECTIONS)
    protocol = _protocol(flow["protocol"])
    ptype = _choice("profile", flow["profile"], policy.PROFILE_TYPES)
    ports = {key: _port(key, flow.get(key)) for key in ("local_port", "remote_port")}
    if protocol not in PORT_PROTOCOLS and any(port is not None for port in ports.values()):
        raise FlowError(f"ports apply to tcp and udp flows only, not protocol {protocol}")
    local = flow.get("local_address")
    return Flow(
        direction=direction,
        protocol=protocol,
        ptype=ptype,
        remote_address=_address("remote_address", flow["remote_address"]),
        local_address=None if local is None else _address("local_address", local),
        program=_text("program", flow.get("program")),
        service=_text("service", flow.get("service")),
        **ports,
    )


def _choice(key: str, value: Any, choices: dict[str, int]) -> int:
    if value not in choices:
        raise FlowError(f"flow {key} {value!r} is not one of {list(choices)}")
    return choices[value]


def _protocol(value: Any) -> int:
    if isinstance(value, str) and value.lower() in PROTOCOLS:
        return PROTOCOLS[value.lower()]
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise FlowError(
            f"flow protocol {value!r} is not one of {list(PROTOCOLS)} or a number 0-255"
        )
    return value


def _port(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise FlowError(f"flow {key} {value!r} is not a port (1-65535)")
    return value


def _address(key: str, value: Any) -> Address:
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise FlowError(f"flow {key} {value!r} is not an IPv4 or IPv6 address") from None


def _text(key: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise FlowError(f"flow {key} {value!r} must be text")
    return value


# --------------------------------------------------------------------------- one rule


@dataclass(frozen=True)
class Match:
    """How one rule matches the flow, and what a "depends" depends on."""

    verdict: str
    reasons: tuple[str, ...] = ()


def _combine(matches: list[Match]) -> Match:
    """Any no: no; else any depends: depends (with every reason); else yes."""
    if any(m.verdict == NO for m in matches):
        return Match(NO)
    depending = [m for m in matches if m.verdict == DEPENDS]
    if depending:
        return Match(DEPENDS, tuple(r for m in depending for r in m.reasons))
    return Match(YES)


def _yes_if(condition: bool) -> Match:
    return Match(YES) if condition else Match(NO)


def match_rule(rule: dict[str, Any], flow: Flow) -> Match:
    """Whether ``rule`` (a store rule) applies to ``flow``: yes, no or depends."""
    protocol = rule["protocol"]
    ports_apply = protocol in PORT_PROTOCOLS
    try:
        return _combine(
            [
                _yes_if(rule["enabled"] == 1),
                _yes_if(rule["direction"] == flow.direction),
                _yes_if(bool(rule["profiles"] & flow.ptype)),
                _yes_if(protocol in (ANY_PROTOCOL, flow.protocol)),
                _ports(rule["local_ports"], flow.local_port, "local")
                if ports_apply
                else Match(YES),
                _ports(rule["remote_ports"], flow.remote_port, "remote")
                if ports_apply
                else Match(YES),
                _addresses(rule["local_addresses"], flow.local_address, "local"),
                _addresses(rule["remote_addresses"], flow.remote_address, "remote"),
                _named(rule["application"], flow.program, "program"),
                _service(rule["service"], flow.service),
                _icmp(rule, flow),
            ]
        )
    except FlowError as exc:
        raise FlowError(f"rule {rule['name']!r}: {exc}") from None


def _ports(stored: str, port: int | None, side: str) -> Match:
    """A LocalPorts or RemotePorts list (``*``, ``N``, ``N-M``, keywords) against a port."""
    if stored.strip() in ("", "*"):
        return Match(YES)
    if port is None:
        return Match(DEPENDS, (f"{side} port: the flow names none, the rule says {stored}",))
    keywords = []
    for token in (t.strip() for t in stored.split(",")):
        keyword = LOCAL_PORT_KEYWORDS.get(token.lower())
        if keyword:
            # Which ports RPC, IPHTTPS or Teredo mean is known on the host only.
            keywords.append(keyword)
            continue
        low, sep, high = token.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise FlowError(f"{side} ports {stored!r}: {token!r} is not a port or range")
        if int(low) <= port <= int(high if sep else low):
            return Match(YES)
    if keywords:
        return Match(DEPENDS, (f"{side} port {port}: {', '.join(keywords)} is the host's",))
    return Match(NO)


def _addresses(stored: str, address: Address | None, side: str) -> Match:
    """A LocalAddresses or RemoteAddresses list against an address, by containment."""
    if stored.strip() in ("", "*"):
        return Match(YES)
    if address is None:
        return Match(DEPENDS, (f"{side} address: the flow names none, the rule says {stored}",))
    keywords = []
    for token in (t.strip() for t in stored.split(",")):
        keyword = ADDRESS_KEYWORDS.get(token.lower())
        if keyword:
            # LocalSubnet, DNS, DHCP, WINS, DefaultGateway: the host's networks and servers.
            keywords.append(keyword)
        elif _contains(token, address):
            return Match(YES)
    if keywords:
        return Match(DEPENDS, (f"{side} address {address}: {', '.join(keywords)} is the host's",))
    return Match(NO)


def _contains(token: str, address: Address) -> bool:
    """Whether a stored token (``a-b``, ``net/mask``, ``net/prefix``, an address) holds it."""
    try:
        if "-" in token:
            low_text, _, high_text = token.partition("-")
            low = ipaddress.ip_address(low_text.strip())
            high = ipaddress.ip_address(high_text.strip())
            same = low.version == high.version == address.version
            return same and int(low) <= int(address) <= int(high)
        # The dotted mask of an IPv4 network (10.0.0.0/255.255.255.0) reads as its prefix.
        return address in ipaddress.ip_network(token, strict=False)
    except ValueError:
        raise FlowError(f"address {token!r} is not an address, network or range") from None


def _named(stored: str, given: str | None, what: str) -> Match:
    """A rule's program against the flow's: empty is any, else the same path, any case."""
    if stored == "":
        return Match(YES)
    if given is None:
        return Match(DEPENDS, (f"{what}: the flow names none, the rule says {stored}",))
    return _yes_if(stored.casefold() == given.casefold())


def _service(stored: str, given: str | None) -> Match:
    """A rule's service: empty is any traffic, ``*`` any service, else one service."""
    if stored == "*":
        if given is None:
            return Match(DEPENDS, ("service: the flow names none, the rule takes any service",))
        return Match(YES)
    return _named(stored, given, "service")


def _icmp(rule: dict[str, Any], flow: Flow) -> Match:
    """An ICMP rule limited to some types and codes: the flow's type is not known."""
    types = rule["icmp_types_and_codes"].strip()
    if rule["protocol"] in ICMP_PROTOCOLS and rule["protocol"] == flow.protocol:
        if types not in ("", "*"):
            return Match(DEPENDS, (f"ICMP type: the rule takes {types} only",))
    return Match(YES)


# --------------------------------------------------------------------------- the host


def evaluate(state: dict[str, Any], flow: dict[str, Any]) -> dict[str, Any]:
    """The verdict on ``flow`` for a 2008 store: ``{verdict, by, rules, depends}``.

    ``verdict``: allowed, blocked or undecided; ``by``: rule, default, firewall_off or
    block_all_inbound (an undecided verdict is by rule: the depending rules it names);
    ``rules``: the names of the rules that decide, sorted by code point (each once);
    ``depends``: what an undecided verdict depends on, one text per deciding rule's
    condition. A bad flow or stored value is a :class:`FlowError`.
    """
    checked = read_flow(flow)
    profile = policy.effective_profile(state, checked.ptype)
    if not profile["enabled"]:
        return _verdict("allowed", "firewall_off")
    if checked.inbound and profile["block_all_inbound"]:
        return _verdict("blocked", "block_all_inbound")
    rules = state["rules"] if policy.merges_local_rules(state, checked.ptype) else []
    rules = [*rules, *(state.get("policy_rules") or [])]
    matched: dict[tuple[int, str], list[tuple[str, Match]]] = {
        (action, verdict): [] for action in (BLOCK, ALLOW) for verdict in (YES, DEPENDS)
    }
    for rule in rules:
        match = match_rule(rule, checked)
        if match.verdict != NO:
            matched[rule["action"], match.verdict].append((rule["name"], match))
    if matched[BLOCK, YES]:
        return _verdict("blocked", "rule", matched[BLOCK, YES])
    default = profile["inbound_action" if checked.inbound else "outbound_action"]
    if matched[ALLOW, YES]:
        outcome = _verdict("allowed", "rule", matched[ALLOW, YES])
    elif matched[ALLOW, DEPENDS] and default != ALLOW:
        return _verdict("undecided", "rule", matched[ALLOW, DEPENDS], depends=True)
    else:
        outcome = _verdict("allowed" if default == ALLOW else "blocked", "default")
    if outcome["verdict"] == "allowed" and matched[BLOCK, DEPENDS]:
        return _verdict("undecided", "rule", matched[BLOCK, DEPENDS], depends=True)
    return outcome


def _verdict(
    verdict: str, by: str, deciding: Sequence[tuple[str, Match]] = (), depends: bool = False
) -> dict[str, Any]:
    reasons = [f"{name}: {reason}" for name, match in deciding for reason in match.reasons]
    return {
        "verdict": verdict,
        "by": by,
        "rules": sorted({name for name, _match in deciding}),
        "depends": sorted(set(reasons)) if depends else [],
    }
