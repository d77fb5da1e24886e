"""The firewall a fresh lab host starts with.

A Windows Server 2008 R2 box with OCS 2007 R2 activated: built-in rules (their groups are
indirect strings, as ``INetFwRule.Grouping`` returns them), the rules OCS set-up created,
and a few rules an administrator added by hand (the same rules whatever Windows a host
plays). Everything here is "not ours": the collection must leave it byte-identical.

The rules themselves are data, in ``seed_rules.json`` beside this file (its ``about``
says how a rule is written there); this module reads that file once, builds each rule
with :func:`firewall.new_rule`, and adds the rules an inventory asks for
(``ocs_lab_foreign_rules``).

A Windows Server 2003 host (``ocs_lab_os: "5.2"``) starts from the file's ``legacy`` set
instead: its two profiles and a few port entries an administrator opened, in the store
shape :mod:`ocs_lab.legacy` describes (:func:`legacy_state`); its
``ocs_lab_foreign_rules`` are port entries (:func:`legacy_entry`).

What a host listens on, and who is connected to it, is not the firewall but is in the same
store (``listeners`` and ``connections``, which the switch script's state writes when it
asks: ``LISTENERS``, :func:`ocs_lab.switch.emit_listeners`): the file's
``listeners`` set says what every Windows Server of a version listens on and what each OCS
2007 R2 server role does, by inventory group (:func:`listening`); the host variables
``ocs_lab_listeners`` and ``ocs_lab_connections`` add their own (:func:`connections`).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .firewall import PROFILE_TYPES, TCP, UDP, FirewallError, canonical_addresses, new_rule
from .legacy import PROFILE_NAMES, build_entry, key_text, put_entry

DATA_FILE = Path(__file__).with_name("seed_rules.json")
# The set of the data file that is a 2003 host's (profiles and entries, not rule groups).
LEGACY_SET = "legacy"
# The set of the data file that says what hosts listen on (not rules either).
LISTENERS_SET = "listeners"
# The set of what lets the controller's WinRM connections in beyond the builtin rules.
WINRM_SET = "winrm"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _load_sets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each rule set of ``path`` as a list of groups: ``{"title", "grouping", "rules"}``."""
    sets = _load(path)["sets"]
    others = (LEGACY_SET, LISTENERS_SET, WINRM_SET)
    return {name: rule_set["groups"] for name, rule_set in sets.items() if name not in others}


_SETS = _load_sets(DATA_FILE)
_LEGACY = _load(DATA_FILE)["sets"][LEGACY_SET]
# A group's indirect string by the title Windows shows for it.
_GROUPINGS = {group["title"]: group["grouping"] for groups in _SETS.values() for group in groups}

CORE = _GROUPINGS["Core Networking"]
REMOTE_DESKTOP = _GROUPINGS["Remote Desktop"]
FILE_PRINTER = _GROUPINGS["File and Printer Sharing"]
WINRM = _GROUPINGS["Windows Remote Management"]
REMOTE_ADMIN = _GROUPINGS["Remote Administration"]
WMI = _GROUPINGS["Windows Management Instrumentation (WMI)"]
EVENT_LOG = _GROUPINGS["Remote Event Log Management"]
NETWORK_DISCOVERY = _GROUPINGS["Network Discovery"]
OCS_GROUP = _GROUPINGS["Office Communications Server 2007 R2"]


def _rules(set_name: str) -> list[dict[str, Any]]:
    """The rules of one set of the data file, new dicts on every call, in file order."""
    return [
        new_rule(grouping=group["grouping"], **rule)
        for group in _SETS[set_name]
        for rule in group["rules"]
    ]


def builtin_rules() -> list[dict[str, Any]]:
    """Rules a fresh Windows Server 2008 R2 carries (a selection)."""
    return _rules("builtin")


def ocs_setup_rules() -> list[dict[str, Any]]:
    """Rules that OCS 2007 R2 activation created: same product, not this collection's."""
    return _rules("ocs_setup")


def admin_rules() -> list[dict[str, Any]]:
    """Rules someone added by hand: no group, odd values."""
    return _rules("admin")


def default_profiles() -> dict[str, dict[str, int]]:
    # Inbound blocked by default, outbound allowed: the 2008 R2 defaults.
    return {
        str(ptype): {"enabled": 1, "inbound_action": 0, "outbound_action": 1}
        for ptype in PROFILE_TYPES
    }


def foreign_rule(spec: dict[str, Any]) -> dict[str, Any]:
    """A rule from the ``ocs_lab_foreign_rules`` host var: ``name`` plus any rule property.

    ``group`` is accepted as a short form of ``grouping``; the default group is the one
    OCS set-up uses, so a foreign rule can share a name with a rule the collection creates.
    Addresses are stored as Windows stores them; one Windows refuses is a ``ValueError``.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"ocs_lab_foreign_rules entries need a string 'name', got {spec!r}")
    values = dict(spec)
    if "group" in values:
        values["grouping"] = values.pop("group")
    values.setdefault("grouping", OCS_GROUP)
    values.setdefault("protocol", TCP)
    values.setdefault("enabled", 1)
    for key, local in (("remote_addresses", False), ("local_addresses", True)):
        if key in values:
            try:
                values[key] = canonical_addresses(str(values[key]), local)
            except FirewallError:
                raise ValueError(f"{key} {values[key]!r} is refused by Windows Firewall") from None
    for key in ("local_ports", "remote_ports"):
        if key in values:
            values[key] = str(values[key])
    return new_rule(**values)


def initial_state(
    foreign: list[dict[str, Any]] | None = None,
    *,
    setup: bool = True,
    winrm: bool = True,
    https_port: int | None = None,
) -> dict[str, Any]:
    """A host's whole firewall: default profiles, the seed rules (OCS set-up's only with
    ``setup``: a Front End's activation made them), then ``foreign`` ones.

    ``winrm`` false leaves out the builtin rules that admit WinRM over HTTP (a host without
    a management rule); ``https_port`` (with ``winrm``) adds the rule an HTTPS listener on
    that port needs (:func:`winrm_https_rule`) after the seed's rules.
    """
    rules = builtin_rules() + (ocs_setup_rules() if setup else []) + admin_rules()
    if not winrm:
        rules = [rule for rule in rules if not is_winrm_http_rule(rule)]
    elif https_port is not None:
        rules.append(winrm_https_rule(https_port))
    rules += [foreign_rule(spec) for spec in foreign or []]
    return {"profiles": default_profiles(), "rules": rules}


_WINRM = _load(DATA_FILE)["sets"][WINRM_SET]


def is_winrm_http_rule(rule: dict[str, Any]) -> bool:
    """One of the builtin rules that admit WinRM over HTTP (Windows Remote Management
    (HTTP-In), in Windows' own group)."""
    return bool(rule["grouping"] == WINRM and rule["name"] == _WINRM["builtin_http_in"])


def winrm_https_rule(port: int) -> dict[str, Any]:
    """The rule ConfigureRemotingForAnsible.ps1 adds for an HTTPS listener on ``port``."""
    return new_rule(**{**_WINRM["https_rule"], "local_ports": str(port)})


def winrm_legacy_entry() -> dict[str, Any]:
    """The port entry ``winrm quickconfig`` makes on 2003 (ocs_lab_foreign_rules form)."""
    return dict(_WINRM["legacy_entry"])


# --------------------------------------------------------------------------- 2003

# What an entry of ocs_lab_foreign_rules (or of the data file's legacy set) may say.
LEGACY_ENTRY_KEYS = (
    "name",
    "port",
    "protocol",
    "profile",
    "remote_addresses",
    "enabled",
    "builtin",
)


FLAG = (0, 1)


def _whole(spec: dict[str, Any], key: str, default: Any, allowed: tuple[int, ...] = ()) -> int:
    """``spec[key]`` (else ``default``) as a whole number, one of ``allowed`` if given."""
    value = spec.get(key, default)
    if allowed == FLAG and isinstance(value, bool):
        value = int(value)  # YAML's true and false
    if isinstance(value, bool) or not isinstance(value, int) or (allowed and value not in allowed):
        choices = f"one of {list(allowed)}" if allowed else "a whole number"
        raise ValueError(f"entry {spec['name']!r}: {key} must be {choices}, got {value!r}")
    return value


def legacy_entry(spec: dict[str, Any]) -> tuple[tuple[int, ...], dict[str, Any]]:
    """The profiles and the stored entry for one 2003 entry of ``ocs_lab_foreign_rules``.

    ``{name, port, protocol (default 6), profile (0, 1, or omitted = both),
    remote_addresses (default "*", a string or a list), enabled (default 1), builtin
    (default 0)}``. The entry is made as the script makes one, so a value Windows
    refuses (port 0, protocol 1, an address range, ...) is a ``ValueError`` saying so.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"ocs_lab_foreign_rules entries need a string 'name', got {spec!r}")
    unknown = sorted(set(spec) - set(LEGACY_ENTRY_KEYS))
    if unknown:
        raise ValueError(
            f"entry {spec['name']!r}: unknown keys {unknown} for a Windows Server 2003 "
            f"entry; valid: {list(LEGACY_ENTRY_KEYS)}"
        )
    port = _whole(spec, "port", None)
    protocol = _whole(spec, "protocol", TCP)
    profiles = tuple(PROFILE_NAMES)
    if spec.get("profile") is not None:
        profiles = (_whole(spec, "profile", None, profiles),)
    remote = spec.get("remote_addresses", "*")
    if isinstance(remote, list) and all(isinstance(token, str) for token in remote):
        remote = ",".join(remote)
    if not isinstance(remote, str):
        raise ValueError(f"entry {spec['name']!r}: remote_addresses must be text, got {remote!r}")
    enabled = _whole(spec, "enabled", 1, FLAG)
    builtin = _whole(spec, "builtin", 0, FLAG)
    try:
        entry = build_entry(spec["name"], port, protocol, remote, enabled)
    except FirewallError as exc:
        raise ValueError(
            f"entry {spec['name']!r} ({key_text(port, protocol)}) is refused by Windows "
            f"Firewall: {exc}"
        ) from None
    entry["builtin"] = builtin
    return profiles, entry


def empty_legacy_state() -> dict[str, Any]:
    """A 2003 host's profiles as the data file sets them, without a port entry."""
    profiles = {
        number: {**settings, "ports": []} for number, settings in _LEGACY["profiles"].items()
    }
    return {"legacy": profiles, "current_profile": _LEGACY["current_profile"]}


def add_legacy_entries(state: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    """Add ``specs`` (``legacy_entry`` form) as ``GloballyOpenPorts.Add`` adds them: an
    entry on a key a profile holds replaces the entry there."""
    for spec in specs:
        numbers, entry = legacy_entry(spec)
        for number in numbers:
            put_entry(state["legacy"][str(number)]["ports"], dict(entry))


def legacy_state(
    foreign: list[dict[str, Any]] | None = None, *, winrm: bool = False
) -> dict[str, Any]:
    """A 2003 host's whole firewall: the data file's profiles and entries, then (``winrm``)
    the entry ``winrm quickconfig`` makes, then ``foreign`` (so a foreign entry on a key the
    seed holds replaces the seed's entry)."""
    state = empty_legacy_state()
    made = [winrm_legacy_entry()] if winrm else []
    add_legacy_entries(state, [*_LEGACY["entries"], *made, *(foreign or [])])
    return state


# --------------------------------------------------------------------------- listeners

_LISTENING = _load(DATA_FILE)["sets"][LISTENERS_SET]
# The base lists of that set: what every host of the Windows it plays listens on (2008 R2
# and 2008 share one).
BASE_2008 = "windows_server_2008"
BASE_2003 = "windows_server_2003"
# The inventory groups whose hosts listen as an OCS 2007 R2 server role does, in the
# data file's order (the order a host's listeners are stored in).
LISTENER_ROLES: tuple[str, ...] = tuple(_LISTENING["roles"])
# A listener's address in the data file meaning each of the host's own IPv4 addresses.
HOST_ADDRESS = "host"
ANY_IPV4 = "0.0.0.0"
PROTOCOLS = {"tcp": TCP, "udp": UDP}
# What an ocs_lab_listeners and an ocs_lab_connections entry may say; the data file's
# listeners may say what they are besides.
LISTENER_KEYS = ("protocol", "port", "address")
ABOUT_LISTENER_KEYS = ("why", "program", "service", "allowed_by")
CONNECTION_KEYS = ("port", "remote_address", "remote_port", "local_address")
# A connection's remote port when it names none: a client's, from the dynamic range
# (49152-65535) Windows takes its outgoing ports from.
DEFAULT_REMOTE_PORT = 50000
# A connection's local address when neither it nor the inventory names the host's address.
FALLBACK_LOCAL_ADDRESS = "10.0.0.1"


def address_text(value: Any, what: str) -> str:
    """An IP address as ``IPAddress.ToString()`` writes it: IPv4 dotted, IPv6 in its short
    form (``::``, ``::1``). Anything else is a ``ValueError`` naming ``what``."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an IP address, got {value!r}")
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not an IP address") from None


def _port(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{what} must be a whole number from 1 to 65535, got {value!r}")
    return value


def _entries(specs: Any, variable: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """``specs`` checked to be a list of mappings with no key outside ``keys``."""
    if not isinstance(specs, list):
        raise ValueError(f"{variable} must be a list, got {specs!r}")
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ValueError(f"{variable}[{index}] must be a mapping, got {spec!r}")
        unknown = sorted(set(spec) - set(keys))
        if unknown:
            raise ValueError(f"{variable}[{index}]: unknown keys {unknown}; valid: {list(keys)}")
    return specs


def listener(spec: dict[str, Any], where: str) -> dict[str, Any]:
    """A stored listener, ``{protocol, address, port}``, from ``{protocol (tcp or udp),
    port, address (default 0.0.0.0)}``; a bad value is a ``ValueError`` naming ``where``."""
    protocol = spec.get("protocol")
    if not isinstance(protocol, str) or protocol.lower() not in PROTOCOLS:
        raise ValueError(f"{where}: protocol must be one of {list(PROTOCOLS)}, got {protocol!r}")
    return {
        "protocol": PROTOCOLS[protocol.lower()],
        "address": address_text(spec.get("address", ANY_IPV4), f"{where}: address"),
        "port": _port(spec.get("port"), f"{where}: port"),
    }


def _seeded(groups: Sequence[str], legacy: bool, addresses: Sequence[str]) -> list[dict[str, Any]]:
    """The data file's listeners of the host's Windows, then of each of its roles."""
    base = _LISTENING[BASE_2003 if legacy else BASE_2008]
    named = [(base["title"], spec) for spec in base["listeners"]]
    for group in LISTENER_ROLES:
        if group in groups:
            role = _LISTENING["roles"][group]
            named += [(f"{role['title']} ({group})", spec) for spec in role["listeners"]]
    own_ipv4 = [a for a in addresses if ipaddress.ip_address(a).version == 4] or [ANY_IPV4]
    found = []
    for title, spec in named:
        where = f"{DATA_FILE.name}, {LISTENERS_SET}, {title}"
        unknown = sorted(set(spec) - {*LISTENER_KEYS, *ABOUT_LISTENER_KEYS})
        if unknown:
            raise ValueError(f"{where}: unknown keys {unknown}")
        address = spec.get("address", ANY_IPV4)
        for bound in own_ipv4 if address == HOST_ADDRESS else [address]:
            values = {"protocol": spec.get("protocol"), "port": spec.get("port"), "address": bound}
            found.append(listener(values, where))
    return found


def listening(
    groups: Sequence[str],
    *,
    legacy: bool,
    addresses: Sequence[str] = (),
    extra: Any = None,
    seeded: bool = True,
) -> list[dict[str, Any]]:
    """A host's listeners in store order, each (protocol, address, port) once.

    With ``seeded``: what its Windows listens on (``legacy``: 2003's) and what each OCS role
    among ``groups`` (inventory groups) listens on, as the data file's ``listeners`` set
    says; the listeners bound to the host's own address take each IPv4 address of
    ``addresses`` (0.0.0.0 without one). Then ``extra`` (``ocs_lab_listeners``, None:
    none); a bad entry there is a ``ValueError`` naming it.
    """
    found = _seeded(groups, legacy, addresses) if seeded else []
    specs = _entries([] if extra is None else extra, "ocs_lab_listeners", LISTENER_KEYS)
    found += [listener(spec, f"ocs_lab_listeners[{index}]") for index, spec in enumerate(specs)]
    unique: dict[tuple[int, str, int], dict[str, Any]] = {}
    for item in found:
        unique.setdefault((item["protocol"], item["address"], item["port"]), item)
    return list(unique.values())


def connections(specs: Any, local_address: str = FALLBACK_LOCAL_ADDRESS) -> list[dict[str, Any]]:
    """A host's established inbound TCP connections, stored as ``{local_address, local_port,
    remote_address, remote_port}``, from ``ocs_lab_connections`` (None: none): ``{port (the
    host's), remote_address, remote_port (default 50000), local_address (default
    ``local_address``)}``. A bad entry is a ``ValueError`` naming it."""
    found = []
    given = _entries([] if specs is None else specs, "ocs_lab_connections", CONNECTION_KEYS)
    for index, spec in enumerate(given):
        where = f"ocs_lab_connections[{index}]"
        local = address_text(spec.get("local_address", local_address), f"{where}: local_address")
        remote = address_text(spec.get("remote_address"), f"{where}: remote_address")
        if ipaddress.ip_address(local).version != ipaddress.ip_address(remote).version:
            raise ValueError(
                f"{where}: local_address {local} and remote_address {remote} are not of one "
                "IP version, as the two ends of a TCP connection are"
            )
        found.append(
            {
                "local_address": local,
                "local_port": _port(spec.get("port"), f"{where}: port"),
                "remote_address": remote,
                "remote_port": _port(
                    spec.get("remote_port", DEFAULT_REMOTE_PORT), f"{where}: remote_port"
                ),
            }
        )
    return found
