# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a host's OCS components and their settings, checked once.
"""The settings of a host's OCS components, and the one check they go through.

A host holds components (``front_end``, ``edge``, ...). Each component has the same
settings (:data:`SETTINGS`), plus one list of local addresses per interface it binds
(``edge``: ``internal_addresses`` and ``external_addresses``), one per external service
with its own addresses (``edge``: ``access_addresses``, ``webconf_addresses``,
``av_addresses``) and one boolean per opt-in (``edge``: ``r1_federation``); the
catalogue's ``components`` table says which. Settings come either from the host's inventory
variables (``ocs_<component>_<setting>``, with ``ocs_firewall_profiles`` as the
collection-wide default for profiles) or from a module option; only the names shown in
messages differ, which is why every check takes a :data:`Namer`.

:func:`check_host` is the only place where setting values are checked: types, choices,
address grammar, groups (no built-in ``@`` group, no two components on one group) and the
interface addresses. Everything after it trusts the :class:`Settings` it returns.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._catalogue import Component
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _grammar, _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import STATES
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ADDRESS_KEYWORDS,
    ALL_PROFILES,
)

# setting -> (kind, default, what the setting does). A default of None is worked out per
# component: the component's group, or the collection-wide profiles.
SETTINGS: dict[str, tuple[str, Any, str]] = {
    "state": (
        "state",
        "present",
        "V(present): the rule group holds exactly the component's catalogue rules. "
        "V(absent): every rule the collection made in the group is removed.",
    ),
    "group": (
        "group",
        None,
        "The Windows Firewall rule group (INetFwRule.Grouping) the component's rules go "
        "into. It must not be a built-in group (a name starting with C(@), or the name "
        "Windows shows for one, such as C(Remote Desktop)), OCS setup's group "
        "(C(Office Communications Server 2007 R2)) or another component's default group, "
        "and no two components of a host may share it (names compare as Windows compares "
        "them, ignoring case).",
    ),
    "profiles": (
        "profiles",
        None,
        "Firewall profiles the rules apply to: V(domain), V(private), V(public). Defaults "
        "to the collection-wide variable C(ocs_firewall_profiles) when it is set, and to "
        "all three profiles otherwise.",
    ),
    "remote_addresses": (
        "remote_addresses",
        [],
        "Remote addresses every rule of the component is limited to: IPv4 or IPv6 "
        "addresses, networks (C(10.10.0.0/16)), ranges (C(10.10.0.1-10.10.0.9)) or the "
        "keywords C(LocalSubnet), C(DNS), C(DHCP), C(WINS), C(DefaultGateway). Empty "
        "means any remote address.",
    ),
    "include_outbound": (
        "bool",
        False,
        "Also make outbound rules for catalogue entries whose direction is outbound or "
        "both (their ports are then the remote ports this server connects to). Windows "
        "Firewall allows outbound traffic by default; set this where a policy blocks it.",
    ),
    "include_extras": (
        "bool",
        True,
        "Include catalogue entries that the published OCS 2007 R2 ports table lacks but "
        "Microsoft documents (ids C(extra-*); each names its source document).",
    ),
    "as_published": (
        "bool",
        False,
        "Use the published ports table's values as they stand instead of the catalogue's "
        "corrections (for example the media range 49152-65335 instead of 49152-65535).",
    ),
}
# The description of an interface's address setting; {side} and {server} are filled in.
_ADDRESS_SETTING_HELP = (
    "Local addresses of the {server}'s {side} side: the catalogue's {side} entries are "
    "bound to them (rule local addresses), and entries for any interface to both sides "
    "when both are given. Addresses of this server only, no keywords. Empty means any "
    "local address."
)
# The description of an external service's address setting; {service}, {server}, {external}.
_SERVICE_SETTING_HELP = (
    "Local addresses of the {server}'s {service} on its external side: the catalogue's "
    "external entries of this service are bound to them, and an entry several services "
    "use to all of theirs. Empty means the service uses C({external}). Addresses of this "
    "server only, no keywords."
)
# The setting of a component that must bind its sides (the Edge) saying it binds to any
# local address on purpose (one network card in a lab, a test).
UNBOUND = "unbound"
# The settings of a component's part in the estate's pools (_catalogue POOL_PARTS).
POOLS = "pools"
NEXT_HOP_POOL = "next_hop_pool"
_POOLS_HELP = (
    "The pools (their C(ocs_pool)) the {server} serves: with the inventory's scope, its "
    "rules for their servers admit those pools' only. Empty means every pool (and an "
    "estate without C(ocs_pool) is one pool)."
)
_NEXT_HOP_POOL_HELP = (
    "The pool (the C(ocs_pool) of its Front End Servers, or of a Director array) that is the "
    "{server}'s next hop: with the inventory's scope, only that pool's servers admit its "
    "calls. Not set, its next hop is a Front End pool, any of them (Directors then admit "
    "none of its calls)."
)
_UNBOUND_HELP = (
    "The {server}'s rules take any local address on purpose. Without it, the {server} must "
    "have its internal addresses and its external ones (or each external service's): "
    "unbound, its internal-only ports would open on its Internet side too."
)
# Collection-wide variables: the default of a setting for every component at once.
COLLECTION_DEFAULTS: dict[str, str] = {"profiles": _variables.PROFILES}

# How a setting is named in a message: an inventory variable or a module option path.
Namer = Callable[[Component, str], str]


def variable_name(component: Component, setting: str) -> str:
    return component.variable(setting)


def option_name(component: Component, setting: str) -> str:
    return f"components.{component.key}.{setting}"


def shown(value: Any) -> str:
    """A value as messages show it: JSON, so a string reads "x" and a list [..]."""
    return json.dumps(value, default=str, ensure_ascii=False)


@dataclasses.dataclass(frozen=True)
class Settings:
    """One component of one host, every setting checked and in canonical form."""

    component: Component
    state: str
    group: str
    profiles: tuple[str, ...]
    remote_addresses: tuple[str, ...]
    include_outbound: bool
    include_extras: bool
    as_published: bool
    # interface (internal/external) -> canonical local addresses; () means any address.
    local_addresses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # external service -> its own canonical local addresses; () means the external side's.
    service_addresses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The component's opt-ins that are on.
    opt_ins: frozenset[str] = frozenset()
    # A server that serves pools (Archiving, Monitoring, Edge): the pools it serves; ()
    # means every pool.
    pools: tuple[str, ...] = ()
    # A Mediation Server: the pool of its next hop ("": a Front End pool, any).
    next_hop_pool: str = ""

    def addresses_of(self, side: str) -> tuple[str, ...]:
        return dict(self.local_addresses).get(side, ())


def settings_of(component: Component) -> tuple[str, ...]:
    """Every setting of ``component``, in documentation order."""
    return (
        *SETTINGS,
        *component.address_settings,
        *((UNBOUND,) if component.must_bind else ()),
        *(name for name, _text in component.opt_ins),
        *_pool_settings(component),
    )


def _pool_settings(component: Component) -> tuple[str, ...]:
    if component.pool == _catalogue.POOL_SERVES:
        return (POOLS,)
    if component.pool == _catalogue.POOL_NEXT_HOP:
        return (NEXT_HOP_POOL,)
    return ()


def describe(component: Component, setting: str) -> tuple[str, Any, str]:
    """``(kind, default, help)`` of one of the component's settings, for documentation."""
    if setting in SETTINGS:
        return SETTINGS[setting]
    opt_ins = dict(component.opt_ins)
    if setting in opt_ins:
        return "bool", False, opt_ins[setting]
    if setting == UNBOUND and component.must_bind:
        return "bool", False, _UNBOUND_HELP.format(server=component.label)
    if setting in _pool_settings(component):
        text = _POOLS_HELP if setting == POOLS else _NEXT_HOP_POOL_HELP
        kind = "pool_names" if setting == POOLS else "pool_name"
        return kind, [] if setting == POOLS else None, text.format(server=component.label)
    services = {name: service for service, name in component.service_addresses}
    if setting in services:
        title = _catalogue.services()[services[setting]]
        external = component.side_setting("external") or ""
        return (
            "local_addresses",
            [],
            _SERVICE_SETTING_HELP.format(
                service=title, server=component.label, external=component.variable(external)
            ),
        )
    side = next(s for s, name in component.interfaces if name == setting)
    label = {"pool_addresses": "pool", "gateway_addresses": "gateway"}.get(setting, side)
    return "local_addresses", [], _ADDRESS_SETTING_HELP.format(side=label, server=component.label)


def _default_value(component: Component, setting: str, collection: Mapping[str, Any]) -> Any:
    """The value a setting has when nobody set it (``collection``: collection-wide values)."""
    if setting == "group":
        return component.group
    if setting in COLLECTION_DEFAULTS and COLLECTION_DEFAULTS[setting] in collection:
        return collection[COLLECTION_DEFAULTS[setting]]
    if setting == "profiles":
        return list(ALL_PROFILES)
    if setting in SETTINGS:
        return SETTINGS[setting][1]
    if setting in dict(component.opt_ins) or setting == UNBOUND:
        return False
    if setting == NEXT_HOP_POOL:
        return None
    return []


# ---- value checks: each returns (value, problems) -------------------------------------


def _items(value: Any) -> list[Any] | None:
    """A list setting as its items (None: empty; a string: one item); None if not a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


def _check_state(name: str, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str) and value in STATES:
        return value, []
    return None, [f"{name}: {shown(value)} is not a state; valid states are {', '.join(STATES)}"]


def check_bool(name: str, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool):
        return value, []
    word = _grammar.boolean_word(str(value)) if isinstance(value, (str, int)) else None
    if word is not None:
        return word, []
    return None, [f"{name}: {shown(value)} is not a boolean; give true or false"]


def check_count(name: str, value: Any) -> tuple[int | None, list[str]]:
    """A whole number of 0 or more, in ASCII digits when written as text."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or number < 0:
        return None, [f"{name}: {shown(value)} is not a number of rules (0 or more)"]
    return number, []


def check_pool_name(name: str, value: Any) -> tuple[str | None, list[str]]:
    """A name: text on one line, not empty."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        if text and text.isprintable():
            return text, []
    return None, [f"{name}: {shown(value)} is not a name (text on one line, not empty)"]


def _check_group_name(name: str, value: Any) -> tuple[Any, list[str]]:
    """A rule group the collection may manage; built-in (``@``) groups are refused."""
    problem = _rules.group_problem(value)
    if problem:
        return None, [f"{name}: {shown(value)} {problem}"]
    return value, []


def check_profiles(name: str, value: Any) -> tuple[Any, list[str]]:
    items = _items(value)
    valid = ", ".join(ALL_PROFILES)
    if not items:
        return None, [f"{name}: {shown(value)} names no profile; give one or more of {valid}"]
    bad = [item for item in items if item not in ALL_PROFILES]
    if bad:
        return None, [
            f"{name}: {shown(b)} is not a profile; valid profiles are {valid}" for b in bad
        ]
    return tuple(p for p in ALL_PROFILES if p in items), []


_REMOTE_HINT = (
    "address; give IPv4 or IPv6 addresses, networks (10.10.0.0/16), ranges "
    "(10.10.0.1-10.10.0.9) or the keywords " + ", ".join(ADDRESS_KEYWORDS.values())
)
_LOCAL_HINT = (
    "local address; give this server's own IPv4 or IPv6 addresses, networks or ranges (no keywords)"
)


def check_addresses(name: str, value: Any, *, local: bool) -> tuple[Any, list[str]]:
    """A list of single addresses, networks or ranges (remote: keywords too), canonical."""
    items = _items(value)
    if items is None:
        return None, [f"{name}: {shown(value)} is not a list of addresses"]
    hint = _LOCAL_HINT if local else _REMOTE_HINT
    # One item is one address: a comma would make one list entry several addresses.
    well_formed = [
        isinstance(item, str)
        and bool(item.strip())
        and "," not in item
        and item.strip().lower() not in _grammar.ANY_WORDS
        for item in items
    ]
    if all(well_formed):
        try:
            canonical = _grammar.canonical_addresses(
                [i.strip() for i in items], name, keywords=not local
            )
            return canonical, []
        except InputError:
            pass
    # Something is wrong: look at each item, so that every bad one is named, in order.
    return None, [
        f"{name}: {shown(item)} is not a valid "
        + (f"address: {_grammar.ZONE_ID_PROBLEM}" if "%" in str(item) else hint)
        for item, ok in zip(items, well_formed, strict=True)
        if not ok or not _parses(item.strip(), name, local)
    ]


def _parses(address: str, name: str, local: bool) -> bool:
    try:
        _grammar.canonical_addresses(address, name, keywords=not local)
    except InputError:
        return False
    return True


def _check(kind: str, name: str, value: Any) -> tuple[Any, list[str]]:
    if kind == "state":
        return _check_state(name, value)
    if kind == "bool":
        return check_bool(name, value)
    if kind == "group":
        return _check_group_name(name, value)
    if kind == "profiles":
        return check_profiles(name, value)
    if kind == "remote_addresses":
        return check_addresses(name, value, local=False)
    if kind == "pool_names":
        return check_names(name, value)
    if kind == "pool_name":
        return (None, []) if value in (None, "") else check_pool_name(name, value)
    return check_addresses(name, value, local=True)


def check_names(name: str, value: Any) -> tuple[tuple[str, ...] | None, list[str]]:
    """A list of names (one name alone is a list of one); empty is none."""
    items = _items(value)
    if items is None:
        return None, [f"{name}: {shown(value)} is not a list of names"]
    found = [check_pool_name(name, item) for item in items]
    problems = [p for _value, problems in found for p in problems]
    if problems:
        return None, problems
    return tuple(dict.fromkeys(str(value) for value, _p in found)), []


def _kind(component: Component, setting: str) -> str:
    if setting in SETTINGS:
        return SETTINGS[setting][0]
    if setting == POOLS:
        return "pool_names"
    if setting == NEXT_HOP_POOL:
        return "pool_name"
    return "bool" if setting in (*dict(component.opt_ins), UNBOUND) else "local_addresses"


def check_setting(component: Component, setting: str, name: str, value: Any) -> list[str]:
    """The problems of one setting's value on its own (``name``: how to call it)."""
    return _check(_kind(component, setting), name, value)[1]


def _binding_problems(component: Component, values: Mapping[str, Any], namer: Namer) -> list[str]:
    """A component that must bind its sides (the Edge) without its addresses: refused, unless
    it says it takes any local address on purpose."""
    if not component.must_bind or values["state"] != "present" or values[UNBOUND]:
        return []
    internal = component.side_setting("internal") or ""
    external = component.side_setting("external") or ""
    services = [setting for _service, setting in component.service_addresses]
    missing = [] if values[internal] else [internal]
    if not values[external] and not (services and all(values[s] for s in services)):
        missing.append(external)
    if not missing:
        return []
    names = " and ".join(namer(component, s) for s in missing)
    service_names = ", ".join(namer(component, s) for s in services)
    if internal in missing:
        inner = ", ".join(_internal_only_ports(component))
        harm = f"its internal-only ports ({inner}) would open on its Internet side too"
    else:
        harm = "its Internet-facing ports would open on its internal side too"
    return [
        f"{names} {'is' if len(missing) == 1 else 'are'} not set: {harm}; give the "
        f"{component.label}'s addresses"
        + (f" (on the external side, or one per service: {service_names})" if service_names else "")
        + f", or set {namer(component, UNBOUND)}: true to take any local address on purpose"
    ]


def _internal_only_ports(component: Component) -> list[str]:
    """``5062/TCP``, ... : the inbound ports of the component's internal side only."""
    entries = _catalogue.server_entries(component.key)
    outside = {
        (port, transport)
        for e in entries
        if e["interface"] != "internal"
        for port in e["ports"]
        for transport in e["transports"]
    }
    found = [
        f"{port}/{transport.upper()}"
        for e in entries
        if e["interface"] == "internal" and e["direction"] != "outbound"
        for port in e["ports"]
        for transport in e["transports"]
        if (port, transport) not in outside
    ]
    return list(dict.fromkeys(found))


# ---- a component, a host ---------------------------------------------------------------


def check_component(
    component: Component,
    given: Mapping[str, Any],
    namer: Namer,
    collection: Mapping[str, Any] | None = None,
) -> tuple[Settings | None, list[str]]:
    """Check the settings ``given`` for ``component`` (the rest take their defaults)."""
    collection = collection or {}
    valid = settings_of(component)
    problems = [
        f"{namer(component, str(setting))}: unknown setting; valid settings of "
        f"{component.key} are {', '.join(valid)}"
        for setting in given
        if setting not in valid
    ]
    values: dict[str, Any] = {}
    for setting in valid:
        name = namer(component, setting)
        if setting in given:
            raw = given[setting]
        else:
            raw = _default_value(component, setting, collection)
            # A bad collection-wide value is the collection-wide variable's fault.
            if COLLECTION_DEFAULTS.get(setting) in collection:
                name = COLLECTION_DEFAULTS[setting]
        value, found = _check(_kind(component, setting), name, raw)
        values[setting] = value
        problems += found
    if not problems:
        problems += _binding_problems(component, values, namer)
    sides = component.interfaces
    if len(sides) == 2 and not problems:
        internal = sides[0][1]
        # The external side's addresses are its own and its services'.
        for other in (sides[1][1], *(setting for _s, setting in component.service_addresses)):
            shared = _grammar.overlaps(values[internal], values[other])
            if shared:
                held = [_overlap_text(a, b) for a, b in shared]
                problems.append(
                    f"{namer(component, internal)} and {namer(component, other)} both hold "
                    f"{', '.join(held)}; an address belongs to one interface, and the "
                    "internal side's addresses are never inside the external side's"
                )
    if problems:
        return None, problems
    return (
        Settings(
            component=component,
            state=values["state"],
            group=values["group"],
            profiles=values["profiles"],
            remote_addresses=values["remote_addresses"],
            include_outbound=values["include_outbound"],
            include_extras=values["include_extras"],
            as_published=values["as_published"],
            local_addresses=tuple((side, values[setting]) for side, setting in sides),
            service_addresses=tuple(
                (service, values[setting]) for service, setting in component.service_addresses
            ),
            opt_ins=frozenset(name for name, _text in component.opt_ins if values[name]),
            pools=values.get(POOLS) or (),
            next_hop_pool=values.get(NEXT_HOP_POOL) or "",
        ),
        [],
    )


def _overlap_text(a: str, b: str) -> str:
    if a == b:
        return shown(a)
    if _grammar.contains(a, b):
        return f"{shown(b)} (inside {shown(a)})"
    if _grammar.contains(b, a):
        return f"{shown(a)} (inside {shown(b)})"
    return f"part of {shown(a)} and {shown(b)}"


def server_component(key: Any, where: str) -> tuple[Component | None, str]:
    """The server component ``key`` names, or why it names none (``where``: the option or
    variable that gave it)."""
    known = _catalogue.server_components()
    component = known.get(key) if isinstance(key, str) else None
    if component is not None:
        return component, ""
    return None, (
        f"{where}: {shown(key)} is not an OCS server component; valid components are "
        f"{', '.join(known)}"
    )


def check_host(
    requested: Mapping[Any, Any],
    namer: Namer,
    collection: Mapping[str, Any] | None = None,
    *,
    where: str = "components",
) -> tuple[list[Settings], list[str]]:
    """Check every component a host is given; all problems at once, none if it is fine.

    ``requested`` maps component keys to the settings given for them (``None``: all
    defaults). Two components whose groups Windows would take for one group are refused
    with both named: each would remove the other's rules on every run.
    """
    problems: list[str] = []
    checked: list[Settings] = []
    for key, given in requested.items():
        component, problem = server_component(key, where)
        if component is None:
            problems.append(problem)
            continue
        if given is not None and not isinstance(given, Mapping):
            problems.append(
                f"{where}.{key}: {shown(given)} is not a dictionary of settings; valid "
                f"settings are {', '.join(settings_of(component))}"
            )
            continue
        settings, found = check_component(component, given or {}, namer, collection)
        problems += found
        if settings is not None:
            checked.append(settings)
    problems += _group_clashes(checked, namer)
    # A collection-wide variable shared by several components is reported once.
    problems = list(dict.fromkeys(problems))
    return (checked if not problems else []), problems


def _group_clashes(checked: Iterable[Settings], namer: Namer) -> list[str]:
    """Two components on one group, or a component on another component's default group
    (a host that holds that one takes the group's rules for its own)."""
    checked = list(checked)
    defaults = {_rules.name_key(c.group): c for c in _catalogue.server_components().values()}
    first: dict[str, Settings] = {}
    problems: list[str] = []
    for settings in checked:
        key = _rules.name_key(settings.group)
        other = first.setdefault(key, settings)
        if other is not settings:
            problems.append(
                f"{namer(settings.component, 'group')} and {namer(other.component, 'group')} "
                f"both name the rule group {shown(settings.group)}"
                + ("" if settings.group == other.group else f" ({shown(other.group)})")
                + "; two components cannot share a group, each would remove the other's "
                "rules on every run"
            )
    for settings in checked:
        owner = defaults.get(_rules.name_key(settings.group))
        if owner is None or owner.key == settings.component.key:
            continue
        sharing = [
            s for s in checked if _rules.name_key(s.group) == _rules.name_key(settings.group)
        ]
        if len(sharing) > 1:
            continue  # said above: components of this host share the group
        problems.append(
            f"{namer(settings.component, 'group')}: {shown(settings.group)} is the default "
            f"group of {owner.key}; on a host that holds {owner.key} each would remove the "
            f"other's rules, so give {settings.component.key} a group of its own"
        )
    return problems


# ---- from the inventory ------------------------------------------------------------------


# The inventory group of every OCS server, held components or not (playbooks/site.yml).
SERVERS_GROUP = "ocs_servers"


def held_components(group_names: Sequence[str]) -> list[str]:
    """The server components whose inventory group (``ocs_<key>``) the host is in."""
    groups = set(group_names)
    return [key for key, c in _catalogue.server_components().items() if c.inventory_group in groups]


def variables_wanted(keys: Iterable[str]) -> list[str]:
    """The inventory variables that can set something for the components ``keys``."""
    known = _catalogue.server_components()
    names = list(COLLECTION_DEFAULTS.values())
    for key in keys:
        component = known[key]
        names += [component.variable(setting) for setting in settings_of(component)]
    return names


def from_variables(
    keys: Iterable[str], defined: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """``(requested, collection)`` for :func:`check_host` from a host's variables.

    ``defined`` holds the host's values of (some of) :func:`variables_wanted`: a variable
    that is not defined takes its default.
    """
    known = _catalogue.server_components()
    requested: dict[str, dict[str, Any]] = {}
    for key in keys:
        component = known[key]
        requested[key] = {
            setting: defined[component.variable(setting)]
            for setting in settings_of(component)
            if component.variable(setting) in defined
        }
    collection = {name: defined[name] for name in COLLECTION_DEFAULTS.values() if name in defined}
    return requested, collection
