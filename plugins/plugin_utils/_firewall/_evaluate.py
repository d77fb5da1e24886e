# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: which rule lets a flow in, as Windows Firewall decides it.
"""Is this flow allowed, and by which rule? Windows Firewall's answer, worked out from a read.

Windows Firewall with Advanced Security (Windows Server 2008 / 2008 R2) decides a packet
that no IPsec rule covers like this, and so does :func:`evaluate`:

1. a profile whose firewall is off lets everything through;
2. a profile that blocks all inbound traffic (``BlockAllInboundTraffic``, "Block all
   connections") drops every inbound packet, whatever the rules say;
3. an enabled block rule that matches the packet drops it: block beats allow;
4. else an enabled allow rule that matches lets it through;
5. else the profile's default action for that direction decides.

A rule matches when every condition it sets holds: direction, one of its profiles,
protocol (``any`` is every protocol), local and remote ports, local and remote addresses,
program and service. Some conditions depend on the host and are not in a read, and are
answered "depends" rather than guessed: the port keywords (``RPC``, ``RPC-EPMap``,
``IPHTTPS``, ``Teredo``), the address keywords (``LocalSubnet``, ``DNS``, ``DHCP``,
``WINS``, ``DefaultGateway``: the host's own subnets and servers), and the ICMP type, the
program, service, remote port or local address of a rule that sets one the flow does not
name. A verdict that hangs on one of them is ``undecided`` and names the rules it hangs
on. The policy that keeps local rules from counting at all (group policy's "Apply local
firewall rules: No") is :mod:`._policy`'s business, before any flow is asked about.

The lab answers the same questions with its own code (dev/lab/ocs_lab/evaluate.py); both
run the case table tests/data/flow_cases.yml.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
    choice,
    contains,
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ADDRESS_KEYWORDS,
    ALL_PROFILES,
    DIRECTION_NUMBERS,
    PORT_PROTOCOLS,
    PROTOCOL_NAMES,
)

ALLOWED = "allowed"
BLOCKED = "blocked"
UNDECIDED = "undecided"
# What decided: matching rules, the profile's default action, a profile that is off, or
# a profile that blocks all inbound traffic.
BY_RULE = "rule"
BY_DEFAULT = "default"
BY_FIREWALL_OFF = "firewall_off"
BY_BLOCK_ALL_INBOUND = "block_all_inbound"

_PROTOCOL_NUMBERS: dict[str, int] = {name: number for number, name in PROTOCOL_NAMES.items()}
_ANY_PROTOCOL = _PROTOCOL_NUMBERS["any"]
_ICMP = frozenset({_PROTOCOL_NUMBERS["icmpv4"], _PROTOCOL_NUMBERS["icmpv6"]})
_ADDRESS_KEYWORDS = frozenset(ADDRESS_KEYWORDS.values())

# A rule condition's answer.
_YES, _DEPENDS, _NO = "yes", "depends", "no"


@dataclasses.dataclass(frozen=True)
class ProfileState:
    """What one profile does with a packet no rule decides, as the host enforces it."""

    enabled: bool = True
    inbound_action: str = "block"
    outbound_action: str = "allow"
    block_all_inbound: bool = False


@dataclasses.dataclass(frozen=True)
class Flow:
    """A packet to judge: what Windows sees of it. Unknown optional parts are None; a
    ``remote_address`` of None asks about some address, any one a rule takes (whether
    the port is open at all)."""

    protocol: int
    remote_address: str | None
    profile: str
    direction: str = "in"
    local_port: int | None = None
    remote_port: int | None = None
    local_address: str | None = None
    program: str | None = None
    service: str | None = None

    def label(self) -> str:
        """``5061/tcp from 10.0.0.5 (domain profile)``."""
        protocol = PROTOCOL_NAMES.get(self.protocol, str(self.protocol))
        port = f"{self.local_port}/{protocol}" if self.local_port is not None else protocol
        way = "from" if self.direction == "in" else "to"
        peer = self.remote_address or "some address"
        return f"{port} {way} {peer} ({self.profile} profile)"


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The answer for one flow: ``verdict`` (allowed, blocked, undecided), what decided it
    (``by``), the deciding rules, and what an undecided verdict depends on."""

    verdict: str
    by: str
    rules: tuple[HostRule, ...] = ()
    depends: tuple[str, ...] = ()

    def rule_names(self) -> list[str]:
        return sorted(h.rule.name for h in self.rules)


def flow(raw: Mapping[str, Any], where: str = "flow") -> Flow:
    """A :class:`Flow` from a dictionary (the ``flows`` option, a case of the table);
    bad values are an :class:`InputError` naming ``where`` and the field."""
    known = {f.name for f in dataclasses.fields(Flow)}
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(unknown)}; valid are {', '.join(sorted(known))}"
        )
    for needed in ("protocol", "remote_address"):
        if raw.get(needed) in (None, ""):
            raise InputError(f"{where}.{needed} is required")
    return Flow(
        protocol=_protocol(raw["protocol"], f"{where}.protocol"),
        remote_address=_address(raw["remote_address"], f"{where}.remote_address"),
        profile=choice(raw.get("profile") or "domain", ALL_PROFILES, f"{where}.profile"),
        direction=choice(raw.get("direction") or "in", DIRECTION_NUMBERS, f"{where}.direction"),
        local_port=_port(raw.get("local_port"), f"{where}.local_port"),
        remote_port=_port(raw.get("remote_port"), f"{where}.remote_port"),
        local_address=(
            None
            if raw.get("local_address") in (None, "")
            else _address(raw["local_address"], f"{where}.local_address")
        ),
        program=_optional_text(raw.get("program"), f"{where}.program"),
        service=_optional_text(raw.get("service"), f"{where}.service"),
    )


def _protocol(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().lower() in _PROTOCOL_NUMBERS:
        number = _PROTOCOL_NUMBERS[value.strip().lower()]
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        number = -1
    if not 0 <= number <= 255 or number == _ANY_PROTOCOL:
        names = ", ".join(n for n in _PROTOCOL_NUMBERS if n != "any")
        raise InputError(f"{where}: {value!r} is not a protocol; give {names} or a number 0..255")
    return number


def _port(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    bounds = port_bounds(str(value).strip()) if isinstance(value, (int, str)) else None
    if (
        isinstance(value, bool)
        or bounds is None
        or bounds[0] != bounds[1]
        or not 1 <= bounds[0] <= 65535
    ):
        raise InputError(f"{where}: {value!r} is not one port; give a number 1..65535")
    return bounds[0]


def _address(value: Any, where: str) -> str:
    """One address, canonical (a flow comes from one address, not a network)."""
    if not isinstance(value, str):
        raise InputError(f"{where}: {value!r} is not an address")
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        raise InputError(f"{where}: {value!r} is not one IPv4 or IPv6 address") from None


def _optional_text(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: {value!r} is not a string")
    return value


# --- one rule --------------------------------------------------------------------------------


def _port_answer(ports: Sequence[str], port: int | None, what: str, depends: list[str]) -> str:
    if not ports:
        return _YES
    if port is None:
        depends.append(f"the {what} port")
        return _DEPENDS
    answer = _NO
    for token in ports:
        bounds = port_bounds(token)
        if bounds is None:
            # RPC, RPC-EPMap, IPHTTPS, Teredo: ports the host hands out or listens on.
            depends.append(f"what the host's {token} {what} port is")
            answer = _DEPENDS
        elif bounds[0] <= port <= bounds[1]:
            return _YES
    return answer


def _address_answer(
    addresses: Sequence[str], address: str | None, what: str, depends: list[str]
) -> str:
    if not addresses:
        return _YES
    if address is None:
        depends.append(f"the {what} address")
        return _DEPENDS
    answer = _NO
    for token in addresses:
        try:
            if contains(token, address):
                return _YES
        except ValueError:
            pass
        if token in _ADDRESS_KEYWORDS or not _is_address(token):
            # The host's own subnets and servers (LocalSubnet, DNS...), or a keyword of a
            # later Windows: not in a read.
            depends.append(f"whether {address} is the host's {token}")
            answer = _DEPENDS
    return answer


def _is_address(token: str) -> bool:
    try:
        canonical_addresses(token, strict=True)
    except InputError:
        return False
    return True


def _text_answer(wanted: str, given: str | None, what: str, depends: list[str]) -> str:
    if not wanted:
        return _YES
    if given is None:
        depends.append(f"the {what} ({wanted})")
        return _DEPENDS
    if wanted == "*" and what == "service":
        return _YES
    return _YES if wanted.casefold() == given.casefold() else _NO


def match(host_rule: HostRule, packet: Flow, depends: list[str]) -> str:
    """Whether ``host_rule`` matches ``packet``: yes, depends (reasons added to
    ``depends``) or no. Disabled rules match nothing."""
    rule = host_rule.rule
    protocol = _PROTOCOL_NUMBERS.get(rule.protocol)
    if protocol is None:
        protocol = int(rule.protocol) if rule.protocol.isdigit() else -1
    if (
        not rule.enabled
        or rule.direction != packet.direction
        or packet.profile not in rule.profiles
        or protocol not in (_ANY_PROTOCOL, packet.protocol)
    ):
        return _NO
    reasons: list[str] = []
    answers = []
    if rule.protocol in PORT_PROTOCOLS:
        answers.append(_port_answer(rule.local_ports, packet.local_port, "local", reasons))
        answers.append(_port_answer(rule.remote_ports, packet.remote_port, "remote", reasons))
    elif packet.protocol in _ICMP and host_rule.icmp_types not in ("", "*"):
        # A flow names no ICMP type: a rule for some types only may or may not take it.
        reasons.append(f"the ICMP type (the rule takes {host_rule.icmp_types})")
        answers.append(_DEPENDS)
    answers.append(_address_answer(rule.local_addresses, packet.local_address, "local", reasons))
    if packet.remote_address is not None:
        remote = rule.remote_addresses
        answers.append(_address_answer(remote, packet.remote_address, "remote", reasons))
    answers.append(_text_answer(host_rule.application, packet.program, "program", reasons))
    answers.append(_text_answer(host_rule.service, packet.service, "service", reasons))
    if _NO in answers:
        return _NO
    if _DEPENDS in answers:
        depends.extend(reasons)
        return _DEPENDS
    return _YES


# --- the verdict -----------------------------------------------------------------------------


def evaluate(
    rules: Sequence[HostRule], profiles: Mapping[str, ProfileState], packet: Flow
) -> Verdict:
    """The verdict Windows Firewall gives ``packet`` on a host with ``rules`` (every rule
    of a read) and ``profiles`` (by profile name)."""
    state = profiles.get(packet.profile, ProfileState())
    if not state.enabled:
        return Verdict(ALLOWED, BY_FIREWALL_OFF)
    if packet.direction == "in" and state.block_all_inbound:
        return Verdict(BLOCKED, BY_BLOCK_ALL_INBOUND)
    found: dict[tuple[str, str], list[tuple[HostRule, list[str]]]] = {}
    for host_rule in rules:
        reasons: list[str] = []
        answer = match(host_rule, packet, reasons)
        if answer != _NO:
            found.setdefault((host_rule.rule.action, answer), []).append((host_rule, reasons))
    if found.get(("block", _YES)):
        return _decided(BLOCKED, found[("block", _YES)])
    default = state.inbound_action if packet.direction == "in" else state.outbound_action
    if found.get(("allow", _YES)):
        verdict = _decided(ALLOWED, found[("allow", _YES)])
    elif found.get(("allow", _DEPENDS)) and default != "allow":
        return _decided(UNDECIDED, found[("allow", _DEPENDS)])
    else:
        verdict = Verdict(ALLOWED if default == "allow" else BLOCKED, BY_DEFAULT)
    if verdict.verdict == ALLOWED and found.get(("block", _DEPENDS)):
        return _decided(UNDECIDED, found[("block", _DEPENDS)])
    return verdict


def _decided(verdict: str, matches: list[tuple[HostRule, list[str]]]) -> Verdict:
    depends = dict.fromkeys(reason for _rule, reasons in matches for reason in reasons)
    return Verdict(verdict, BY_RULE, tuple(rule for rule, _reasons in matches), tuple(depends))
