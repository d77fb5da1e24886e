# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the inventory questioned before it is acted on.
"""What ``ocs.firewall.preflight`` asks of the inventory besides each host's request.

The inventory is the truth, so a typo in it must not be acted on: a misspelt component
group would close the component's ports, a misspelt variable would silently widen a rule.
Before any host is contacted:

* every inventory group whose name starts with ``ocs_`` is a component group, the
  ``ocs_servers`` group, or one the user lists in ``ocs_firewall_other_groups`` (names or
  shell patterns); any other is refused for each host in it, with the nearest known name;
* every ``ocs_*`` variable of a host (whatever level set it: host, group, extra vars) is
  one of the registry's (``_variables``) or a component setting ``ocs_<component>_<setting>``,
  or listed in ``ocs_firewall_other_variables``; any other is refused, with the nearest
  known name;
* every known variable's value is checked, on every host, whether or not the host holds
  the component it is about (a wrong value waiting in the inventory is still wrong), and
  so is a host's ``ansible_connection`` when it is set.

One mistake is said once (:func:`causes`): the problems hosts share are merged, those of
one :class:`~.._errors.Cause` (a peer's missing address: "ocs_firewall_address missing on
dir01: 7 rules on 6 hosts need it") and those of the same text (a wrong value every
host has), each with the hosts whose variable it is, the hosts it stops.

Pure but for the reads of the hosts' variables, which go through the mappings given
(templated on access; a value that cannot be worked out is a problem naming it).
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import (
    Cause,
    Problem,
    cause_of,
    counted,
    needing,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _enforcement,
    _scope,
    _settings,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import shown
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _platform
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit, _port_matrix

# The inventory group of every OCS server, held components or not (playbooks/site.yml).
SERVERS_GROUP = _settings.SERVERS_GROUP
# Where the problems of the play's own variables (not any host's) are filed.
PLAY_VARS = "(play vars)"
# Causes a message lists before it only counts the rest.
_SHOWN_CAUSES = 10
# Hosts a cause's line names before it only counts the rest.
_SHOWN_HOSTS = 3
_CONNECTION_VARIABLE = "ansible_connection"
# Variables of the whole estate, checked once by the preflight, not on every host.
_SNAPSHOTS = frozenset(v.name for v in _variables.ESTATE if v.kind == "snapshot")
# How close a name must be to a known one to be offered as what was meant.
_CLOSE = 0.75


@functools.cache
def _component_variables() -> dict[str, tuple[str, str]]:
    """``ocs_<component>_<setting>`` -> (component key, setting), for every component."""
    return {
        component.variable(setting): (key, setting)
        for key, component in _catalogue.server_components().items()
        for setting in _settings.settings_of(component)
    }


@functools.cache
def _known_variables() -> tuple[str, ...]:
    return (*_variables.estate_names(), *_component_variables())


@functools.cache
def _known_groups() -> tuple[str, ...]:
    groups = [c.inventory_group for c in _catalogue.server_components().values()]
    return (*groups, SERVERS_GROUP)


def nearest(name: str, known: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(name, known, n=1, cutoff=_CLOSE)
    return found[0] if found else None


def _check_patterns(name: str, value: Any) -> tuple[tuple[str, ...], list[str]]:
    """A list of names or shell patterns (``ocs_pool_*``)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        return (), [f"{name}: {shown(value)} is not a list of names or patterns"]
    bad = [item for item in items if not isinstance(item, str) or not item.strip()]
    if bad:
        return (), [f"{name}: {shown(b)} is not a name or pattern" for b in bad]
    return tuple(item.strip() for item in items), []


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


# ---- groups ----------------------------------------------------------------------------


def group_problems(
    groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[str]]:
    """Each host in an ``ocs_`` group that is not the collection's nor listed as the user's,
    with the problem; every group of the inventory is looked at, so a host that is only in
    a misspelt group (and so in no play of the collection) is found too."""
    known = _known_groups()
    problems: dict[str, list[str]] = {}
    for group, members in groups.items():
        if not group.startswith(_variables.PREFIX) or group in known:
            continue
        meant = nearest(group, known)
        for host in members:
            found: list[str] = []
            values = _variables.read_values(
                hostvars.get(host, {}), [_variables.OTHER_GROUPS], found
            )
            others, bad = _check_patterns(
                _variables.OTHER_GROUPS, values.get(_variables.OTHER_GROUPS, [])
            )
            found += bad
            if not bad and not matches_any(group, others):
                found.append(
                    f"inventory group {group}: is not an OCS component group"
                    + (f"; did you mean {meant}?" if meant else ".")
                    + " The run stops rather than take the host's component off it. A group "
                    f"of your own: add it to {_variables.OTHER_GROUPS}"
                )
            if found:
                problems.setdefault(host, []).extend(found)
    return problems


# ---- variables ---------------------------------------------------------------------------


def variable_problems(
    variables: Mapping[str, Any], names: Iterable[str] | None = None, *, connection: bool = True
) -> list[str]:
    """Every unknown ``ocs_*`` variable among ``names`` (default: all of ``variables``) and
    every problem of the known ones' values; with ``connection``, ``ansible_connection``'s."""
    problems: list[str] = []
    names = [n for n in (names if names is not None else variables) if isinstance(n, str)]
    ours = [n for n in names if n.startswith(_variables.PREFIX)]
    # A snapshot holds the whole estate: templated on every host, it would cost the
    # preflight the estate's size once per host. The preflight checks it once.
    read = [n for n in ours if n not in _SNAPSHOTS]
    values = _variables.read_values(
        variables, [*read, *([_CONNECTION_VARIABLE] if connection else [])], problems
    )
    others, bad = _check_patterns(
        _variables.OTHER_VARIABLES, values.get(_variables.OTHER_VARIABLES, [])
    )
    problems += bad
    known = _known_variables()
    known_set = set(known)
    for name in ours:
        if name in known_set or matches_any(name, others) or name not in values:
            continue
        meant = nearest(name, known)
        problems.append(
            f"{name}: {shown(values[name])} is not a variable of ocs.firewall"
            + (f"; did you mean {meant}?" if meant else ".")
            + " A variable of your own: add it to "
            f"{_variables.OTHER_VARIABLES}"
        )
    problems += _value_problems({n: v for n, v in values.items() if n in known_set})
    if _CONNECTION_VARIABLE in values:
        # ansible.builtin.psrp is psrp.
        transport = str(values[_CONNECTION_VARIABLE]).rsplit(".", 1)[-1]
        problem = _platform.connection_problem(transport)
        if problem:
            problems.append(problem)
    return list(dict.fromkeys(problems))


def _value_problems(values: Mapping[str, Any]) -> list[str]:
    """The problems of the values of known variables (``values``: those defined)."""
    problems: list[str] = []
    by_kind: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        if name in _component_variables():
            key, setting = _component_variables()[name]
            component = _catalogue.server_components()[key]
            problems += _settings.check_setting(component, setting, name, value)
            continue
        by_kind.setdefault(_variables.BY_NAME[name].kind, {})[name] = value
    for kind, given in by_kind.items():
        problems += _CHECKS.get(kind, _unchecked)(given)
    return problems


def _unchecked(_values: Mapping[str, Any]) -> list[str]:
    return []


def _each(check: Callable[[str, Any], list[str]]) -> Callable[[Mapping[str, Any]], list[str]]:
    def run(values: Mapping[str, Any]) -> list[str]:
        return [p for name, value in values.items() for p in check(name, value)]

    return run


def _bool(name: str, value: Any) -> list[str]:
    return _settings.check_bool(name, value)[1]


def _profiles(name: str, value: Any) -> list[str]:
    return _settings.check_profiles(name, value)[1]


def _envelope(_name: str, value: Any) -> list[str]:
    try:
        _platform.check_max_envelope_kb(value)
    except ValueError as exc:
        return [str(exc)]
    return []


def _vips(name: str, value: Any) -> list[str]:
    return _port_matrix.check_vips(value, name)[1]


def _names(name: str, value: Any) -> list[str]:
    return _audit.check_accepted(value, name)[1]


def _patterns(name: str, value: Any) -> list[str]:
    return _check_patterns(name, value)[1]


def _count(name: str, value: Any) -> list[str]:
    return _settings.check_count(name, value)[1]


def _name(name: str, value: Any) -> list[str]:
    return _settings.check_pool_name(name, value)[1]


def _path(name: str, value: Any) -> list[str]:
    if isinstance(value, str) and value.strip() and "\0" not in value:
        return []
    return [f"{name}: {shown(value)} is not a path"]


def _scope_values(values: Mapping[str, Any]) -> list[str]:
    return _scope.check_scope(values)[1]


def _legacy_values(values: Mapping[str, Any]) -> list[str]:
    return _entries.check_options(values)[1]


def _enforcement_values(values: Mapping[str, Any]) -> list[str]:
    return _enforcement.check_options(values)[1]


_CHECKS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "bool": _each(_bool),
    "profiles": _each(_profiles),
    "scope": _scope_values,
    "local_addresses": _scope_values,
    "networks": _scope_values,
    "envelope": _each(_envelope),
    "legacy_adopt": _legacy_values,
    "legacy_rpc_ports": _legacy_values,
    "enforcement": _enforcement_values,
    "vips": _each(_vips),
    "names": _each(_names),
    "patterns": _each(_patterns),
    "count": _each(_count),
    "name": _each(_name),
    "path": _each(_path),
    "choice": _each(_variables.choice_problems),
    # Checked once for the play (plugins/action/preflight.py), not per host.
    "snapshot": _unchecked,
}


def unchecked_kinds() -> list[str]:
    """Kinds of the registry no check is written for (the tests keep this empty but for
    the registered results, which the collection sets itself)."""
    return sorted({v.kind for v in _variables.ESTATE} - set(_CHECKS) - {"registered"})


# ---- pools -------------------------------------------------------------------------------


def pool_problems(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    book: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, list[str]]:
    """What the estate's pools (``ocs_pool``) must hold together, host by host.

    Once any server of a pool component names its pool, every one must (a server without
    one would be in no pool, and flows inside its pool would shut it out). The pools a
    server serves and a Mediation Server's next hop must name pools the inventory has. A
    pool of one Front End Server needs no load balancer (Microsoft's Pool Components,
    bb964044): one that admits the load balancer of another pool was given it by mistake,
    most often for the whole estate.

    ``book``: the whole estate's address book, for a run over part of it (a slice): the
    pools of the servers it does not hold count as the inventory's.
    """
    components = _catalogue.server_components()
    members = [k for k, c in components.items() if c.pool == _catalogue.POOL_MEMBER]
    pool_of: dict[str, str] = {}
    for key in members:
        for host in groups.get(components[key].inventory_group, ()):
            pool_of.setdefault(host, _text(hostvars.get(host, {}), _variables.POOL))
    # The servers of the rest of the estate, by the book: host -> (component key, pool).
    others = {
        host: (key, str(found.get("pool") or ""))
        for key in members
        for host, found in ((book or {}).get(key) or {}).items()
        if host not in pool_of and isinstance(found, Mapping)
    }
    problems: dict[str, list[str]] = {}
    pools = {p for p in pool_of.values() if p} | {p for _k, p in others.values() if p}
    if not pools:
        return problems
    for host, pool in pool_of.items():
        if not pool:
            held = [k for k in members if host in groups.get(components[k].inventory_group, ())]
            problems.setdefault(host, []).append(
                f"{_variables.POOL}: is not set, and other servers name their pools: a server "
                f"of {', '.join(held)} is in a pool too (its own, for a Standard Edition "
                "server); without one, the flows that stay inside a pool would leave it out"
            )
    hop_pools = {
        pool_of[h]
        for key in ("front_end", "director")
        for h in groups.get(components[key].inventory_group, ())
        if pool_of.get(h)
    } | {p for k, p in others.values() if p and k in ("front_end", "director")}
    for component in components.values():
        for host in groups.get(component.inventory_group, ()):
            variables = hostvars.get(host, {})
            if component.pool == _catalogue.POOL_SERVES:
                name = component.variable(_settings.POOLS)
                served, _found = _settings.check_names(name, _value(variables, name))
                unknown = [p for p in served or () if p not in pools]
                if unknown:
                    problems.setdefault(host, []).append(
                        f"{name}: {shown(unknown)} names no pool of the inventory; its pools "
                        f"are {', '.join(sorted(pools))}"
                    )
            elif component.pool == _catalogue.POOL_NEXT_HOP:
                name = component.variable(_settings.NEXT_HOP_POOL)
                hop = _text(variables, name)
                if hop and hop not in hop_pools:
                    problems.setdefault(host, []).append(
                        f"{name}: {shown(hop)} is not the pool of a Front End Server or a "
                        f"Director of the inventory; those are {', '.join(sorted(hop_pools))}"
                    )
    elsewhere = [p for k, p in others.values() if k == "front_end"]
    for host, problem in _borrowed_load_balancers(groups, hostvars, pool_of, elsewhere).items():
        problems.setdefault(host, []).append(problem)
    return problems


def _borrowed_load_balancers(
    groups: Mapping[str, Sequence[str]],
    hostvars: Mapping[str, Mapping[str, Any]],
    pool_of: Mapping[str, str],
    elsewhere: Sequence[str] = (),
) -> dict[str, str]:
    """The Front End Servers alone in their pool that admit another pool's load balancer
    (``elsewhere``: the pool of each Front End Server of the estate the run does not hold)."""
    front_ends = list(groups.get("ocs_front_end", ()))
    by_pool: dict[str, list[str]] = {}
    for host in front_ends:
        by_pool.setdefault(pool_of.get(host, ""), []).append(host)
    counts = {pool: len(hosts) for pool, hosts in by_pool.items()}
    for pool in elsewhere:
        counts[pool] = counts.get(pool, 0) + 1
    balancers: dict[str, dict[str, tuple[str, ...]]] = {}
    for pool, hosts in by_pool.items():
        for host in hosts:
            value = _value(hostvars.get(host, {}), _variables.LOAD_BALANCER_ADDRESSES)
            checked, found = _settings.check_addresses(
                _variables.LOAD_BALANCER_ADDRESSES, value, local=False
            )
            if checked and not found:
                balancers.setdefault(pool, {})[host] = tuple(checked)
    problems = {}
    for pool, hosts in by_pool.items():
        if counts[pool] != 1 or hosts[0] not in balancers.get(pool, {}):
            continue
        (host,) = hosts
        own = set(balancers[pool][host])
        for other, holders in balancers.items():
            if other == pool or counts.get(other, 0) < 2:
                continue
            shared = sorted(own & {a for addresses in holders.values() for a in addresses})
            if shared:
                problems[host] = (
                    f"{_variables.LOAD_BALANCER_ADDRESSES}: {shown(shared)} is the load "
                    f"balancer of pool {other}, and this host is the one Front End Server of "
                    f"pool {pool}, which needs none; set the variable for each pool that has a "
                    "load balancer (its group's vars), not for the whole estate"
                )
                break
    return problems


def _value(variables: Mapping[str, Any], name: str) -> Any:
    try:
        return variables[name] if name in variables else None
    except Exception:  # templating: the host's own check reports it
        return None


def _text(variables: Mapping[str, Any], name: str) -> str:
    value = _value(variables, name)
    return str(value).strip() if isinstance(value, (str, int)) and value != "" else ""


# ---- one cause, one message ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Grouped:
    """One cause of the play's problems, said once: ``message``; ``hosts``, those it stops
    (the hosts whose variable it is, of the play); ``reported_by``, every host whose
    problems it is among."""

    message: str
    hosts: tuple[str, ...]
    reported_by: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "msg": self.message,
            "hosts": list(self.hosts),
            "reported_by": list(self.reported_by),
        }


def causes(problems: Mapping[str, Sequence[str]], play: Sequence[str]) -> list[Grouped]:
    """The causes of ``problems`` (host -> its problems, :data:`PLAY_VARS` for the play's
    own variables), in the order they were first found, for a play of the hosts ``play``.

    A problem with a :class:`~.._errors.Cause` is merged with every other of that cause,
    its rules added up, and said with its host's own problem of the same value when there
    is one (a peer's wrong address); any other with every problem of the same text. A
    cause stops the host whose variable it is when that host is in the play; the play's
    own variables stop every host of the play; any other cause stops the hosts of the play
    that report it. A cause that stops no host of the play (it is a host's outside it) has
    no ``hosts``.
    """
    found: dict[Any, tuple[Cause | None, str, dict[str, None], int]] = {}
    for host, listed in problems.items():
        for problem in listed:
            cause = cause_of(problem)
            key: Any = cause if cause is not None else str(problem)
            _cause, text, reporters, rules = found.get(key, (cause, str(problem), {}, 0))
            reporters[host] = None
            more = problem.rules if isinstance(problem, Problem) else 0
            found[key] = (cause, text, reporters, rules + more)
    # The rules that need a value a host's own problem is about, and the hosts they are on,
    # by that problem's key.
    needs: dict[Any, tuple[int, dict[str, None]]] = {}
    for key, (cause, _text, reporters, rules) in list(found.items()):
        if cause is None or not cause.own:
            continue
        own = next(
            (
                k
                for k, (c, text, by, _rules) in found.items()
                if c is None and cause.host in by and cause.own.startswith(text)
            ),
            None,
        )
        if own is not None:
            counted_rules, hosts = needs.get(own, (0, {}))
            needs[own] = (counted_rules + rules, {**hosts, **reporters})
            del found[key]
    members = set(play)
    grouped = []
    for key, (cause, text, reporters, rules) in found.items():
        reported = tuple(reporters)
        if cause is not None:
            message = cause.said(rules, len(reported))
        else:
            message = f"{_where(reported, play)}: {text}"
            if key in needs:
                rules, needers = needs[key]
                message += f" ({needing(rules, len(needers), 'this address')})"
        if cause is not None and cause.host in members:
            stops: tuple[str, ...] = (cause.host,)
        elif PLAY_VARS in reporters:
            stops = tuple(play)
        else:
            stops = tuple(h for h in reported if h in members)
        also = tuple(h for h in needs.get(key, (0, {}))[1] if h not in reporters)
        grouped.append(Grouped(message, stops, reported + also))
    return grouped


def _where(hosts: Sequence[str], play: Sequence[str]) -> str:
    """The hosts a problem of the same text is reported for, as a cause's line names them."""
    if len(hosts) == 1:
        return hosts[0]
    if set(hosts) == set(play):
        return f"every host of the play ({len(hosts)})"
    if len(hosts) <= _SHOWN_HOSTS + 1:
        return ", ".join(hosts)
    return f"{', '.join(hosts[:_SHOWN_HOSTS])} and {len(hosts) - _SHOWN_HOSTS} more hosts"


def message(lines: Sequence[str]) -> str:
    """The message of the problems whose causes' lines are ``lines``: the first
    :data:`_SHOWN_CAUSES` said, the others counted (every problem is in the result)."""
    head = f"{counted(len(lines), 'problem')}, no host was contacted"
    if len(lines) == 1:
        return f"{head}: {lines[0]}"
    shown = [f"- {line}" for line in lines[:_SHOWN_CAUSES]]
    if len(lines) > _SHOWN_CAUSES:
        shown.append(f"- and {len(lines) - _SHOWN_CAUSES} more: see the result's causes")
    return head + ":\n" + "\n".join(shown)


def stops(grouped: Sequence[Grouped], play: Sequence[str]) -> dict[str, str]:
    """What each host of ``play`` that a cause stops fails with: its causes' message."""
    lines: dict[str, list[str]] = {}
    for cause in grouped:
        for host in cause.hosts:
            lines.setdefault(host, []).append(cause.message)
    return {host: message(lines[host]) for host in play if host in lines}


def not_contacted(stopped: Iterable[str]) -> str:
    """Why a host that no problem stops is left alone, while others' problems stop the run."""
    hosts = list(stopped)
    return (
        f"not contacted: the inventory's problems stop the run (on {_where(hosts, ())}; "
        "this host has none)"
    )


def runs_tag(tag: str, run_tags: Iterable[str], skip_tags: Iterable[str]) -> bool:
    """Whether a task tagged ``tag`` (and nothing else) runs under ``--tags run_tags`` and
    ``--skip-tags skip_tags`` (``ansible_run_tags``, ``ansible_skip_tags``), as Ansible
    decides it."""
    own = {tag, "all", "tagged"}
    only = set(run_tags) or {"all"}
    return bool(own & only) and not (own & set(skip_tags))
