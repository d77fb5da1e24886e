# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the OCSFW2 line protocol between controller and remote script.
"""Encode and decode the ``OCSFW2`` protocol (docs/dev/contracts.md, "Wire protocol").

The controller encodes requests (:func:`encode_read`, :func:`encode_apply`, cut to size by
:func:`split_apply`) and decodes replies (:func:`decode_reply`); the other half,
:func:`decode_request` and :func:`encode_reply`, lets the tests read what the controller
sent and stand in for a host. The lab's simulated hosts parse the protocol with their own
code (dev/lab/ocs_lab/firewall.py), a second reading of the same contract. Every text
value travels as base64 of its UTF-8 bytes: names and descriptions are data whatever
characters they hold, and the host's output stays ASCII whatever its code page.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import WireError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ACTION_NUMBERS,
    ALL_PROFILES_MASK,
    ANY,
    DEFAULT_ACTION,
    DEFAULT_DIRECTION,
    DEFAULT_PROTOCOL,
    DIRECTION_NUMBERS,
    PROTOCOL_NUMBERS,
)

VERSION = "OCSFW2"
# Separates the script text from the request on the script's stdin.
SEPARATOR = b"\0\0\0\0"

_INT_RE = re.compile(r"^-?[0-9]+$")
# A digest: SHA-1 in lower-case hex (change detection, not security: see digest()).
_DIGEST_RE = re.compile(r"^[0-9a-f]{40}$")


def b64(text: str) -> str:
    """``B(x)``: base64 of the UTF-8 bytes; the empty string stays empty."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii") if text else ""


def unb64(field: str, what: str = "field") -> str:
    """Inverse of :func:`b64`; a bad field is a :class:`WireError` naming ``what``."""
    if not field:
        return ""
    try:
        return base64.b64decode(field.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise WireError(f"{what}: {field[:60]!r} is not base64 of UTF-8 text ({exc})") from None


def int_field(field: str, what: str) -> int:
    """A field of invariant digits (a sign allowed); anything else names ``what``."""
    if not _INT_RE.match(field):
        raise WireError(f"{what}: {field[:60]!r} is not an integer")
    return int(field)


def flag_field(field: str, what: str) -> bool:
    """A ``0``/``1`` field as a boolean; anything else names ``what``."""
    if field not in ("0", "1"):
        raise WireError(f"{what}: {field[:60]!r} is not 0 or 1")
    return field == "1"


# --- records -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WireRule:
    """A firewall rule as the protocol carries it (Windows numbers and strings).

    The one record between the rule model and the wire: ``_rules.to_windows`` makes the
    one an ADD line carries, ``_rules.rule_from_host`` reads the one of a RULE line. The
    defaults are the collection's rule defaults in Windows' numbers.
    """

    name: str
    description: str = ""
    direction: int = DIRECTION_NUMBERS[DEFAULT_DIRECTION]
    action: int = ACTION_NUMBERS[DEFAULT_ACTION]
    protocol: int = PROTOCOL_NUMBERS[DEFAULT_PROTOCOL]
    local_ports: str = ANY
    remote_ports: str = ANY
    local_addresses: str = ANY
    remote_addresses: str = ANY
    profiles: int = ALL_PROFILES_MASK
    enabled: bool = True
    # Only on RULE lines of a reply:
    grouping: str = ""
    application: str = ""
    service: str = ""
    # The ICMP types and codes an ICMP rule takes ("" or "*": every one).
    icmp_types_and_codes: str = ""


@dataclasses.dataclass(frozen=True)
class WireProfile:
    """One PROFILE line: type 1 domain, 2 private, 4 public; actions 0 block, 1 allow."""

    type: int
    enabled: bool
    inbound_action: int
    outbound_action: int


@dataclasses.dataclass(frozen=True)
class WirePolicy:
    """A POLICY line: what decides whether profile ``type``'s rules count. Group policy's
    values (``EnableFirewall``...) are None where the policy does not set them."""

    type: int
    block_all_inbound: bool
    enable_firewall: int | None = None
    default_inbound_action: int | None = None
    allow_local_policy_merge: int | None = None
    do_not_allow_exceptions: int | None = None


@dataclasses.dataclass(frozen=True)
class CurrentProfiles:
    """The CURRENT line: the profiles in use (a NET_FW_PROFILE_TYPE2 mask) and whether a
    change to local rules takes effect in them (NET_FW_MODIFY_STATE: 0 yes, 1 group policy
    overrides it, 2 inbound rules are not allowed)."""

    mask: int
    modify_state: int


@dataclasses.dataclass(frozen=True)
class LegacyPolicy:
    """A LEGACYPOLICY line of a 2003 read: group policy's values for profile ``type``
    (None where it does not set them)."""

    type: int
    enable_firewall: int | None = None
    do_not_allow_exceptions: int | None = None
    allow_user_pref_merge: int | None = None


@dataclasses.dataclass(frozen=True)
class Listener:
    """A TCP (6) or UDP (17) endpoint the host listens on (the switch script's LISTENER
    record)."""

    protocol: int
    address: str
    port: int


@dataclasses.dataclass(frozen=True)
class Connection:
    """An established TCP connection of the host (the switch script's CONNECTION record)."""

    local_address: str
    local_port: int
    remote_address: str
    remote_port: int


@dataclasses.dataclass(frozen=True)
class Hold:
    """A HOLD or RELEASE line: the rules of that name in someone else's group that an
    apply disables (holds) or brings back (releases)."""

    group: str
    name: str


@dataclasses.dataclass(frozen=True)
class Section:
    """The part of an apply request about one group: rules to retire, rules to add, and
    the pattern a rule's description must match to be retired ("": the request's MARKER)."""

    group: str
    removes: tuple[str, ...] = ()
    adds: tuple[WireRule, ...] = ()
    owns: str = ""


@dataclasses.dataclass(frozen=True)
class LegacyProfile:
    """A LEGACY line of a Windows Server 2003 read: profile 0 Domain, 1 Standard."""

    type: int
    enabled: bool
    exceptions_not_allowed: bool
    current: bool


@dataclasses.dataclass(frozen=True)
class OpenPort:
    """An OPENPORT line: one entry of a 2003 profile's GloballyOpenPorts."""

    profile: int
    port: int
    protocol: int
    name: str
    enabled: bool = True
    scope: int = 0
    remote_addresses: str = ANY
    builtin: bool = False

    @property
    def key(self) -> tuple[int, int, int]:
        """What the host keys entries by: (profile, port, protocol)."""
        return (self.profile, self.port, self.protocol)


@dataclasses.dataclass(frozen=True)
class Open:
    """An OPEN line: add (or overwrite) the entry of (profile, port, protocol)."""

    profile: int
    port: int
    protocol: int
    name: str
    remote_addresses: str = ANY
    enabled: bool = True
    # Overwrite an entry that is not the collection's (the user opted in).
    adopt: bool = False


@dataclasses.dataclass(frozen=True)
class Close:
    """A CLOSE line: remove the entry of (profile, port, protocol) if it is ``name``."""

    profile: int
    port: int
    protocol: int
    name: str


@dataclasses.dataclass(frozen=True)
class PortChange:
    """An OPENED or CLOSED line (count: entries closed, 0 when none was ours)."""

    profile: int
    port: int
    protocol: int
    count: int = 1


@dataclasses.dataclass(frozen=True)
class Request:
    op: str
    # Only rules whose description holds the marker are retired; a read also returns
    # every rule holding it, in any group. On a 2003 host: the pattern of our entry names.
    marker: str = ""
    groups: tuple[str, ...] = ()  # read
    sections: tuple[Section, ...] = ()  # apply (2008 and later)
    opens: tuple[Open, ...] = ()  # apply (2003)
    closes: tuple[Close, ...] = ()  # apply (2003)
    # apply: the groups whose rules the SEEN digest covers (2003: every entry, no groups),
    # and that digest as the controller read them ("": not checked).
    watch: tuple[str, ...] = ()
    seen: str = ""
    # apply (2008 and later): rules of other groups to disable or bring back, and the
    # text a held rule's description ends with.
    holds: tuple[Hold, ...] = ()
    releases: tuple[Hold, ...] = ()
    hold_mark: str = ""


@dataclasses.dataclass(frozen=True)
class RuleChange:
    """A RETIRED, ADDED or REMOVED line: what the host did to rules of one name."""

    group: str
    name: str
    count: int = 1


@dataclasses.dataclass(frozen=True)
class HostVersions:
    """The HOST line of a read: the OS version as .NET gives it (``6.1.7601.65536``: the
    fourth part is the service pack) and PowerShell's (``2.0``)."""

    os_version: str
    powershell_version: str


@dataclasses.dataclass(frozen=True)
class Reply:
    host: HostVersions | None = None
    profiles: tuple[WireProfile, ...] = ()
    rules: tuple[WireRule, ...] = ()
    retired: tuple[RuleChange, ...] = ()
    added: tuple[RuleChange, ...] = ()
    removed: tuple[RuleChange, ...] = ()
    held: tuple[RuleChange, ...] = ()
    released: tuple[RuleChange, ...] = ()
    # What Windows enforces above the local rules (a read).
    current: CurrentProfiles | None = None
    policies: tuple[WirePolicy, ...] = ()
    legacy_policies: tuple[LegacyPolicy, ...] = ()
    # A Windows Server 2003 host: its profiles, entries, and what an apply did.
    legacy_profiles: tuple[LegacyProfile, ...] = ()
    open_ports: tuple[OpenPort, ...] = ()
    opened: tuple[PortChange, ...] = ()
    closed: tuple[PortChange, ...] = ()
    # An apply: the host's digest when it refused (the watched rules changed since the
    # read; nothing was changed), or after the change.
    stale: str | None = None
    digest: str | None = None
    error: str | None = None
    done: bool = False

    @property
    def legacy(self) -> bool:
        """True for the read of a Windows Server 2003 host (it reports LEGACY profiles)."""
        return bool(self.legacy_profiles)


# --- requests ------------------------------------------------------------------------------


# The fields of an ADD line, in order, and how each travels: B(text), a number or a 0/1
# flag, from the type of the WireRule field (a string: annotations are not evaluated here).
# A RULE line carries the same fields, with the grouping after the description and the
# application and service at the end.
_REPLY_ONLY = ("grouping", "application", "service", "icmp_types_and_codes")
_KIND_OF_TYPE: dict[object, str] = {"str": "text", "int": "int", "bool": "flag"}
_RULE_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (field.name, _KIND_OF_TYPE[field.type])
    for field in dataclasses.fields(WireRule)
    if field.name not in _REPLY_ONLY
)


def _encode_field(kind: str, value: str | int | bool) -> str:
    if kind == "text":
        return b64(str(value))
    if kind == "flag":
        return "1" if value else "0"
    return str(value)


def _decode_field(kind: str, field: str, what: str) -> str | int | bool:
    if kind == "text":
        return unb64(field, what)
    if kind == "flag":
        return flag_field(field, what)
    return int_field(field, what)


def _add_fields(rule: WireRule) -> list[str]:
    return [_encode_field(kind, getattr(rule, name)) for name, kind in _RULE_FIELDS]


def _rule_values(fields: Sequence[str], what: str) -> dict[str, Any]:
    """The values of the ADD fields ``fields`` (without the record name), by field name."""
    return {
        name: _decode_field(kind, field, what)
        for (name, kind), field in zip(_RULE_FIELDS, fields, strict=True)
    }


def _open_line(item: Open) -> str:
    fields = (item.profile, item.port, item.protocol, b64(item.name), b64(item.remote_addresses))
    flags = "1" if item.enabled else "0", "1" if item.adopt else "0"
    return "\t".join(["OPEN", *map(str, fields), *flags])


def _close_line(item: Close) -> str:
    return f"CLOSE\t{item.profile}\t{item.port}\t{item.protocol}\t{b64(item.name)}"


def _check_request(request: Request) -> None:
    """Refuse a request the script would refuse (the same checks both ways)."""
    legacy = bool(request.opens or request.closes)
    holding = bool(request.holds or request.releases)
    if request.op == "read" and (holding or request.hold_mark):
        raise WireError("a read request carries no HOLD, RELEASE or HOLDMARK line")
    if holding and not request.hold_mark:
        raise WireError("HOLD and RELEASE need a HOLDMARK")
    if holding and legacy:
        raise WireError("a 2003 host has no rule groups: no HOLD or RELEASE lines")
    if request.op not in ("read", "apply"):
        raise WireError(f"op: {request.op!r} is not valid; valid are read, apply")
    if request.op == "read" and (request.sections or legacy):
        raise WireError("a read request carries no REMOVE or ADD lines, and no OPEN or CLOSE")
    if request.op == "read" and (request.watch or request.seen):
        raise WireError("a read request carries no WATCH or SEEN line")
    if request.seen and not _DIGEST_RE.match(request.seen):
        raise WireError(f"SEEN: {request.seen[:60]!r} is not a digest (40 lower-case hex)")
    if legacy and request.watch:
        raise WireError("an apply to a 2003 host watches every entry: it carries no WATCH line")
    if request.op == "apply":
        if request.groups:
            raise WireError("an apply request carries group sections and no read groups")
        if request.sections and legacy:
            raise WireError(
                "an apply request carries group sections (2008 and later) or OPEN and CLOSE "
                "lines (2003), never both"
            )
        if not (request.sections or legacy or holding):
            raise WireError(
                "an apply request carries group sections, HOLD or RELEASE lines, or OPEN and "
                "CLOSE lines"
            )
        if not request.marker:
            raise WireError("an apply request needs the ownership marker")


def encode_request(request: Request) -> str:
    _check_request(request)
    lines = [VERSION, f"OP\t{request.op}"]
    if request.marker:
        lines.append(f"MARKER\t{b64(request.marker)}")
    if request.hold_mark:
        lines.append(f"HOLDMARK\t{b64(request.hold_mark)}")
    lines.extend(f"WATCH\t{b64(g)}" for g in request.watch)
    if request.seen:
        lines.append(f"SEEN\t{request.seen}")
    lines.extend(f"GROUP\t{b64(g)}" for g in request.groups)
    for section in request.sections:
        lines.append(f"GROUP\t{b64(section.group)}")
        if section.owns:
            lines.append(f"OWNS\t{b64(section.owns)}")
        lines.extend(f"REMOVE\t{b64(n)}" for n in section.removes)
        lines.extend("\t".join(["ADD", *_add_fields(r)]) for r in section.adds)
    lines.extend(f"RELEASE\t{b64(h.group)}\t{b64(h.name)}" for h in request.releases)
    lines.extend(f"HOLD\t{b64(h.group)}\t{b64(h.name)}" for h in request.holds)
    lines.extend(_open_line(item) for item in request.opens)
    lines.extend(_close_line(item) for item in request.closes)
    lines.append("END")
    return "".join(line + "\n" for line in lines)


def encode_read(groups: Sequence[str] = (), marker: str = "") -> str:
    return encode_request(Request(op="read", groups=tuple(groups), marker=marker))


def encode_apply(
    sections: Sequence[Section],
    marker: str,
    watch: Sequence[str] = (),
    seen: str = "",
    *,
    holds: Sequence[Hold] = (),
    releases: Sequence[Hold] = (),
    hold_mark: str = "",
) -> str:
    return encode_request(
        Request(
            op="apply",
            sections=tuple(sections),
            marker=marker,
            watch=tuple(watch),
            seen=seen,
            holds=tuple(holds),
            releases=tuple(releases),
            hold_mark=hold_mark if holds or releases else "",
        )
    )


def encode_legacy_apply(
    opens: Sequence[Open], closes: Sequence[Close], marker: str, seen: str = ""
) -> str:
    return encode_request(
        Request(op="apply", opens=tuple(opens), closes=tuple(closes), marker=marker, seen=seen)
    )


def digest(lines: Sequence[str]) -> str:
    """The digest of reply lines (RULE or OPENPORT, without their line end), as the script
    works it out: SHA-1 of their UTF-8 bytes, sorted ordinally, each followed by a line end.
    SHA-1 is only change detection here; .NET 2.0 has it FIPS-validated."""
    text = "".join(line + "\n" for line in sorted(lines))
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def rule_lines(reply_text: str, groups: Sequence[str], key: Callable[[str], str]) -> list[str]:
    """The RULE lines of a reply whose rule is in one of ``groups`` (``key``: how Windows
    compares group names), as the host wrote them."""
    wanted = {key(g) for g in groups}
    found = []
    for _number, fields in _lines(reply_text):
        if fields[0] == "RULE" and len(fields) == 16 and key(unb64(fields[3])) in wanted:
            found.append("\t".join(fields))
    return found


def open_port_lines(reply_text: str) -> list[str]:
    """The OPENPORT lines of a 2003 host's reply, as the host wrote them."""
    return ["\t".join(f) for _n, f in _lines(reply_text) if f[0] == "OPENPORT"]


def _size(line: str) -> int:
    return len(line.encode("utf-8")) + 1


def split_legacy_apply(
    opens: Sequence[Open], closes: Sequence[Close], marker: str, budget: int
) -> list[tuple[tuple[Open, ...], tuple[Close, ...]]]:
    """A 2003 apply cut into requests of at most ``budget`` bytes, opens before closes.

    Every OPEN goes out before any CLOSE, so no request closes a port that a later one
    would open again: an overwrite never closes its key, and only ports no longer wanted
    are closed.
    """
    header = sum(_size(line) for line in (VERSION, "OP\tapply", f"MARKER\t{b64(marker)}", "END"))
    header += _size(f"SEEN\t{'0' * 40}")
    batches: list[tuple[list[Open], list[Close]]] = []
    size = budget
    items: list[Open | Close] = [*opens, *closes]
    for item in items:
        line = _open_line(item) if isinstance(item, Open) else _close_line(item)
        if header + _size(line) > budget:
            raise WireError(f"the entry {item.name!r} takes more than one WinRM message")
        if size + _size(line) > budget:
            batches.append(([], []))
            size = header
        batch = batches[-1]
        if isinstance(item, Open):
            batch[0].append(item)
        else:
            batch[1].append(item)
        size += _size(line)
    return [(tuple(o), tuple(c)) for o, c in batches]


# One change in a group: (group, names retired, rules added).
_Unit = tuple[str, tuple[str, ...], tuple[WireRule, ...]]


def split_apply(
    sections: Sequence[Section],
    marker: str,
    budget: int,
    key: Callable[[str], str],
    watch: Sequence[str] = (),
) -> list[tuple[Section, ...]]:
    """The apply request cut into requests of at most ``budget`` bytes each (each carrying
    the ``watch`` groups and a SEEN digest).

    One request when it fits. Otherwise the changes go out in an order that never closes a
    wanted port between two requests: first the rules that only add, then each replaced
    rule together with its replacement (``key`` pairs their names as Windows compares
    them), then the removals. A single change larger than ``budget`` is a WireError.
    """
    seen = "0" * 40
    if len(encode_apply(sections, marker, watch, seen).encode("utf-8")) <= budget:
        return [tuple(sections)]
    owns = {section.group: section.owns for section in sections}
    adds: list[_Unit] = []
    pairs: list[_Unit] = []
    removes: list[_Unit] = []
    for section in sections:
        retiring = {key(name): name for name in section.removes}
        for rule in section.adds:
            old = retiring.pop(key(rule.name), None)
            change = (section.group, (old,) if old is not None else (), (rule,))
            (pairs if old is not None else adds).append(change)
        removes.extend((section.group, (name,), ()) for name in retiring.values())
    header = sum(_size(line) for line in (VERSION, "OP\tapply", f"MARKER\t{b64(marker)}", "END"))
    header += _size(f"SEEN\t{seen}") + sum(_size(f"WATCH\t{b64(g)}") for g in watch)
    batches: list[tuple[Section, ...]] = []
    current: dict[str, tuple[list[str], list[WireRule]]] = {}
    size = header
    for group, names, rules in adds + pairs + removes:
        group_size = _size(f"GROUP\t{b64(group)}")
        if owns.get(group):
            group_size += _size(f"OWNS\t{b64(owns[group])}")
        unit = sum(_size(f"REMOVE\t{b64(n)}") for n in names)
        unit += sum(_size("\t".join(["ADD", *_add_fields(r)])) for r in rules)
        if header + group_size + unit > budget:
            what = rules[0].name if rules else names[0]
            raise WireError(
                f"the change of rule {what!r} in group {group!r} takes {unit} bytes, more than "
                f"the {budget - header - group_size} one WinRM message can carry"
            )
        need = unit + (0 if group in current else group_size)
        if current and size + need > budget:
            batches.append(_sections_of(current, owns))
            current, size = {}, header
            need = unit + group_size
        removes_of, adds_of = current.setdefault(group, ([], []))
        removes_of.extend(names)
        adds_of.extend(rules)
        size += need
    if current:
        batches.append(_sections_of(current, owns))
    return batches


def _sections_of(
    batch: dict[str, tuple[list[str], list[WireRule]]], owns: dict[str, str]
) -> tuple[Section, ...]:
    return tuple(Section(g, tuple(r), tuple(a), owns.get(g, "")) for g, (r, a) in batch.items())


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty lines (CR LF tolerated, a leading BOM ignored) split into fields."""
    text = text.lstrip("\ufeff")
    return [
        (number, line.rstrip("\r").split("\t"))
        for number, line in enumerate(text.split("\n"), start=1)
        if line.rstrip("\r")
    ]


def _expect(fields: list[str], count: int, number: int) -> None:
    if len(fields) != count:
        raise WireError(
            f"line {number}: {fields[0]} needs {count - 1} field(s), got {len(fields) - 1}"
        )


def decode_request(text: str) -> Request:
    lines = _lines(text)
    if not lines or lines[0][1] != [VERSION]:
        raise WireError(f"a request starts with a line {VERSION!r}")
    op = ""
    marker = ""
    groups: list[str] = []
    sections: list[dict[str, Any]] = []
    opens: list[Open] = []
    closes: list[Close] = []
    watch: list[str] = []
    seen = ""
    hold_mark = ""
    held: dict[str, list[Hold]] = {"HOLD": [], "RELEASE": []}
    ended = False
    for number, fields in lines[1:]:
        if ended:
            raise WireError(f"line {number}: text after END")
        kind = fields[0]
        if kind == "WATCH":
            _expect(fields, 2, number)
            watch.append(unb64(fields[1], f"line {number} WATCH"))
        elif kind == "SEEN":
            _expect(fields, 2, number)
            seen = fields[1]
        elif kind == "HOLDMARK":
            _expect(fields, 2, number)
            hold_mark = unb64(fields[1], f"line {number} HOLDMARK")
        elif kind in held:
            _expect(fields, 3, number)
            at = f"line {number} {kind}"
            held[kind].append(Hold(unb64(fields[1], at), unb64(fields[2], at)))
        elif kind == "OWNS":
            _expect(fields, 2, number)
            if not sections or sections[-1]["removes"] or sections[-1]["adds"]:
                raise WireError(f"line {number}: OWNS comes right after its GROUP")
            sections[-1]["owns"] = unb64(fields[1], f"line {number} OWNS")
        elif kind == "OP":
            _expect(fields, 2, number)
            op = fields[1]
        elif kind == "MARKER":
            _expect(fields, 2, number)
            marker = unb64(fields[1], f"line {number} MARKER")
        elif kind == "GROUP":
            _expect(fields, 2, number)
            group = unb64(fields[1], f"line {number} GROUP")
            groups.append(group)
            sections.append({"group": group, "removes": [], "adds": [], "owns": ""})
        elif kind in ("REMOVE", "ADD"):
            if not sections:
                raise WireError(f"line {number}: {kind} before any GROUP")
            if kind == "REMOVE":
                _expect(fields, 2, number)
                sections[-1]["removes"].append(unb64(fields[1], f"line {number} REMOVE"))
            else:
                _expect(fields, 12, number)
                values = _rule_values(fields[1:], f"line {number} ADD")
                sections[-1]["adds"].append(WireRule(**values))
        elif kind == "OPEN":
            _expect(fields, 8, number)
            at = f"line {number} OPEN"
            profile, port, protocol = (int_field(f, at) for f in fields[1:4])
            opens.append(
                Open(
                    profile,
                    port,
                    protocol,
                    name=unb64(fields[4], at),
                    remote_addresses=unb64(fields[5], at),
                    enabled=flag_field(fields[6], at),
                    adopt=flag_field(fields[7], at),
                )
            )
        elif kind == "CLOSE":
            _expect(fields, 5, number)
            at = f"line {number} CLOSE"
            profile, port, protocol = (int_field(f, at) for f in fields[1:4])
            closes.append(Close(profile, port, protocol, unb64(fields[4], at)))
        elif kind == "END":
            _expect(fields, 1, number)
            ended = True
        else:
            raise WireError(f"line {number}: unknown record {kind[:40]!r}")
    if not ended:
        raise WireError("the request has no END line (truncated?)")
    if op == "apply":
        request = Request(
            op=op,
            marker=marker,
            sections=tuple(
                Section(s["group"], tuple(s["removes"]), tuple(s["adds"]), s["owns"])
                for s in sections
            ),
            opens=tuple(opens),
            closes=tuple(closes),
            watch=tuple(watch),
            seen=seen,
            holds=tuple(held["HOLD"]),
            releases=tuple(held["RELEASE"]),
            hold_mark=hold_mark,
        )
    else:
        if any(s["removes"] or s["adds"] or s["owns"] for s in sections) or opens or closes:
            raise WireError("a read request carries no REMOVE or ADD lines, and no OPEN or CLOSE")
        request = Request(
            op=op,
            marker=marker,
            groups=tuple(groups),
            watch=tuple(watch),
            seen=seen,
            holds=tuple(held["HOLD"]),
            releases=tuple(held["RELEASE"]),
            hold_mark=hold_mark,
        )
    # The same checks as encoding, so a decoded request is one the controller could send.
    _check_request(request)
    return request


# --- replies -------------------------------------------------------------------------------

# The change records of a reply, and the Reply field of each.
_CHANGES = {
    "RETIRED": "retired",
    "ADDED": "added",
    "REMOVED": "removed",
    "RELEASED": "released",
    "HELD": "held",
}


def _policy_field(value: int | None) -> str:
    return "-1" if value is None else str(value)


def _policy_value(field: str, at: str) -> int | None:
    value = int_field(field, at)
    return None if value == -1 else value


def encode_reply(reply: Reply) -> str:
    lines = [VERSION]
    if reply.host is not None:
        lines.append(f"HOST\t{b64(reply.host.os_version)}\t{b64(reply.host.powershell_version)}")
    for p in reply.profiles:
        lines.append(
            f"PROFILE\t{p.type}\t{int(p.enabled)}\t{p.inbound_action}\t{p.outbound_action}"
        )
    if reply.current is not None:
        lines.append(f"CURRENT\t{reply.current.mask}\t{reply.current.modify_state}")
    for w in reply.policies:
        values = (
            w.enable_firewall,
            w.default_inbound_action,
            w.allow_local_policy_merge,
            w.do_not_allow_exceptions,
        )
        fields = [str(w.type), str(int(w.block_all_inbound)), *map(_policy_field, values)]
        lines.append("\t".join(["POLICY", *fields]))
    for r in reply.rules:
        fields = _add_fields(r)
        # RULE carries the grouping after the description, then application, service and
        # ICMP types.
        fields.insert(2, b64(r.grouping))
        rest = (r.application, r.service, r.icmp_types_and_codes)
        lines.append("\t".join(["RULE", *fields, *map(b64, rest)]))
    for kind, field in _CHANGES.items():
        for c in getattr(reply, field):
            count = "" if kind == "ADDED" else f"\t{c.count}"
            lines.append(f"{kind}\t{b64(c.group)}\t{b64(c.name)}{count}")
    for lp in reply.legacy_profiles:
        flags = (lp.enabled, lp.exceptions_not_allowed, lp.current)
        lines.append("\t".join(["LEGACY", str(lp.type), *(str(int(f)) for f in flags)]))
    for lw in reply.legacy_policies:
        legacy = (lw.enable_firewall, lw.do_not_allow_exceptions, lw.allow_user_pref_merge)
        lines.append("\t".join(["LEGACYPOLICY", str(lw.type), *map(_policy_field, legacy)]))
    for e in reply.open_ports:
        fields = [str(e.profile), str(e.port), str(e.protocol), b64(e.name), str(int(e.enabled))]
        fields += [str(e.scope), b64(e.remote_addresses), str(int(e.builtin))]
        lines.append("\t".join(["OPENPORT", *fields]))
    for pc in reply.opened:
        lines.append(f"OPENED\t{pc.profile}\t{pc.port}\t{pc.protocol}")
    for pc in reply.closed:
        lines.append(f"CLOSED\t{pc.profile}\t{pc.port}\t{pc.protocol}\t{pc.count}")
    if reply.stale is not None:
        lines.append(f"STALE\t{reply.stale}")
    if reply.digest is not None:
        lines.append(f"DIGEST\t{reply.digest}")
    if reply.error is not None:
        lines.append(f"ERROR\t{b64(reply.error)}")
    if reply.done:
        lines.append("DONE")
    return "".join(line + "\n" for line in lines)


def _reply_record(reply: dict[str, Any], kind: str, fields: list[str], number: int) -> None:
    """Add one record (other than DONE) of a reply to ``reply``, the Reply's fields so far."""
    at = f"line {number} {kind[:20]}"
    if kind == "HOST":
        _expect(fields, 3, number)
        reply["host"] = HostVersions(unb64(fields[1], at), unb64(fields[2], at))
    elif kind == "PROFILE":
        _expect(fields, 5, number)
        profile_type, enabled, inbound, outbound = fields[1:]
        profile = (
            int_field(profile_type, at),
            flag_field(enabled, at),
            int_field(inbound, at),
            int_field(outbound, at),
        )
        reply["profiles"].append(WireProfile(*profile))
    elif kind == "CURRENT":
        _expect(fields, 3, number)
        reply["current"] = CurrentProfiles(int_field(fields[1], at), int_field(fields[2], at))
    elif kind == "POLICY":
        _expect(fields, 7, number)
        values = [_policy_value(f, at) for f in fields[3:]]
        reply["policies"].append(
            WirePolicy(int_field(fields[1], at), flag_field(fields[2], at), *values)
        )
    elif kind == "RULE":
        _expect(fields, 16, number)
        reply["rules"].append(
            WireRule(
                **_rule_values([*fields[1:3], *fields[4:13]], at),
                grouping=unb64(fields[3], at),
                application=unb64(fields[13], at),
                service=unb64(fields[14], at),
                icmp_types_and_codes=unb64(fields[15], at),
            )
        )
    elif kind in _CHANGES:
        _expect(fields, 3 if kind == "ADDED" else 4, number)
        count = 1 if kind == "ADDED" else int_field(fields[3], at)
        change = RuleChange(unb64(fields[1], at), unb64(fields[2], at), count)
        reply[_CHANGES[kind]].append(change)
    elif kind in _LEGACY_RECORDS:
        _legacy_record(reply, kind, fields, number, at)
    elif kind in ("STALE", "DIGEST"):
        _expect(fields, 2, number)
        if not _DIGEST_RE.match(fields[1]):
            raise WireError(f"{at}: {fields[1][:60]!r} is not a digest (40 lower-case hex)")
        reply[kind.lower()] = fields[1]
    elif kind == "ERROR":
        _expect(fields, 2, number)
        reply["error"] = unb64(fields[1], at)
    else:
        raise WireError(f"line {number}: unknown record {kind[:40]!r}")


# The records of a 2003 host's reply, their field counts (with the record name), and the
# Reply field of each.
_LEGACY_RECORDS = {
    "LEGACY": (5, "legacy_profiles"),
    "LEGACYPOLICY": (5, "legacy_policies"),
    "OPENPORT": (9, "open_ports"),
    "OPENED": (4, "opened"),
    "CLOSED": (5, "closed"),
}


def _legacy_record(
    reply: dict[str, Any], kind: str, fields: list[str], number: int, at: str
) -> None:
    count, field = _LEGACY_RECORDS[kind]
    _expect(fields, count, number)
    record: Any
    if kind == "LEGACY":
        enabled, exceptions, current = (flag_field(f, at) for f in fields[2:5])
        record = LegacyProfile(int_field(fields[1], at), enabled, exceptions, current)
    elif kind == "LEGACYPOLICY":
        record = LegacyPolicy(
            int_field(fields[1], at), *(_policy_value(f, at) for f in fields[2:5])
        )
    elif kind == "OPENPORT":
        profile, port, protocol, scope = (int_field(fields[i], at) for i in (1, 2, 3, 6))
        record = OpenPort(
            profile,
            port,
            protocol,
            name=unb64(fields[4], at),
            enabled=flag_field(fields[5], at),
            scope=scope,
            remote_addresses=unb64(fields[7], at),
            builtin=flag_field(fields[8], at),
        )
    else:
        numbers = [int_field(f, at) for f in fields[1:]]
        record = PortChange(numbers[0], numbers[1], numbers[2], *numbers[3:])
    reply[field].append(record)


def decode_reply(text: str) -> Reply:
    """Parse the script's stdout. A reply may stop early (ERROR, or a crash): ``done`` says."""
    lines = _lines(text)
    if not lines or lines[0][1] != [VERSION]:
        first = lines[0][1][0][:80] if lines else ""
        raise WireError(f"the output does not start with {VERSION!r} (first line: {first!r})")
    lists = [
        "profiles",
        "policies",
        "rules",
        *_CHANGES.values(),
        *(f for _n, f in _LEGACY_RECORDS.values()),
    ]
    reply: dict[str, Any] = {name: [] for name in lists}
    done = False
    for number, fields in lines[1:]:
        if done:
            raise WireError(f"line {number}: output after DONE")
        if fields[0] == "DONE":
            _expect(fields, 1, number)
            done = True
        else:
            _reply_record(reply, fields[0], fields, number)
    listed = {name: tuple(value) for name, value in reply.items() if isinstance(value, list)}
    return Reply(**{**reply, **listed}, done=done)
