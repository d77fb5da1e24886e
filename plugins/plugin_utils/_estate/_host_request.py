# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what one host should have, and the plan to get it there.
"""One host's whole OCS firewall: its components, their rules, and the plan per group.

:func:`host_request` turns a host's variables (and the module's options) into checked
:class:`HostRequest`; ``ocs.firewall.preflight`` calls it for every host of a play and
``ocs.firewall.win_ocs_firewall`` for its own host, so both report the same problems in
the same words. :func:`plan_host` compares the request with what the host's one read
returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _scope,
    _settings,
    _setup_rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import (
    _ownership,
    _plan,
    _rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    HostRule,
    name_key,
)

_REMOVE_UNASSIGNED_VARIABLE = _variables.REMOVE_UNASSIGNED


@dataclasses.dataclass(frozen=True)
class HostRequest:
    settings: tuple[_settings.Settings, ...]
    remove_unassigned: bool
    # The remote addresses the inventory's scope gives each component's entries (empty
    # with the scope any: every rule then takes its component's remote_addresses).
    remotes: _scope.Remotes = dataclasses.field(default_factory=dict)
    # ocs_firewall_scope: any or inventory.
    scope: str = "any"
    # The groups the host's variables give components it does not hold
    # (ocs_<component>_group): the collection's too, as their default groups are.
    former: tuple[tuple[str, str], ...] = ()
    # ocs_firewall_setup_rules (keep or disable) and ocs_firewall_policy_check (fail or
    # warn).
    setup_rules: str = _setup_rules.KEEP
    policy_check: str = "fail"
    # What the scope's remote addresses stand for (inventory hosts, peer kinds), for the
    # diff; worked out only when asked for (host_request's ``labelled``).
    labels: tuple[_scope.Label, ...] = ()

    @property
    def groups(self) -> list[str]:
        return [s.group for s in self.settings]

    def unassigned(self) -> list[tuple[str, str]]:
        """``(group, component)`` of every group of the collection's the host's held
        components do not use: every component's default group and the groups its
        variables name for components it does not hold."""
        held = {name_key(g) for g in self.groups}
        found: dict[str, tuple[str, str]] = {}
        for group, key in [*self.former, *((g, k) for g, k in _default_groups().items())]:
            if name_key(group) not in held:
                found.setdefault(name_key(group), (group, key))
        return list(found.values())

    def groups_to_read(self) -> list[str]:
        """The held components' groups, when decommissioning the others of the
        collection's (:meth:`unassigned`), and OCS setup's group (its rules the collection
        may hold or release)."""
        groups = self.groups
        if self.remove_unassigned:
            groups += [g for g, _key in self.unassigned()]
        return [*groups, _setup_rules.GROUP]


def _default_groups() -> dict[str, str]:
    """Every server component's default group -> its key."""
    return {c.group: key for key, c in _catalogue.server_components().items()}


def host_request(
    group_names: Sequence[str],
    variables: Mapping[str, Any],
    *,
    components: Any = None,
    remove_unassigned: bool | None = None,
    inventory: _scope.Inventory | None = None,
    labelled: bool = False,
) -> tuple[HostRequest | None, list[str]]:
    """The checked request of one host, or every problem found.

    ``variables`` is the host's variables (values templated on access). ``components``:
    None takes the components from the host's inventory groups (``ocs_<key>``); a list of
    keys takes those, settings from the variables; a dictionary gives the settings
    themselves (key -> settings, None for defaults) and messages name its options.
    ``inventory``: the play's hosts as peers, for ``ocs_firewall_scope: inventory``;
    ``labelled``: the request carries what each of the scope's addresses stands for.
    """
    problems: list[str] = []
    namer: _settings.Namer = _settings.variable_name
    requested: Mapping[str, Any]
    if isinstance(components, Mapping):
        requested = dict(components)
        namer = _settings.option_name
        collection = _collection(variables, problems)
    else:
        keys = _component_keys(group_names, components, problems)
        wanted = _settings.variables_wanted(keys)
        defined = _variables.read_values(variables, wanted, problems)
        requested, collection = _settings.from_variables(keys, defined)
    checked, found = _settings.check_host(requested, namer, collection)
    problems += found
    # Checked whether or not it is used: a wrong value is wrong wherever it waits.
    variable = True
    read = _variables.read_values(variables, [_REMOVE_UNASSIGNED_VARIABLE], problems)
    if _REMOVE_UNASSIGNED_VARIABLE in read:
        value, found = _settings.check_bool(
            _REMOVE_UNASSIGNED_VARIABLE, read[_REMOVE_UNASSIGNED_VARIABLE]
        )
        problems += found
        variable = bool(value)
    if remove_unassigned is None:
        # A task that names its components speaks for those only: the host's other groups
        # are not its to empty (only the option itself turns that on).
        remove_unassigned = variable and components is None
    scope, found = _scope.check_scope(
        _variables.read_values(variables, _scope.variables(), problems)
    )
    problems += found
    former = _former_groups(variables, checked, problems)
    setup_rules = _variables.choice_value(variables, _variables.SETUP_RULES, problems)
    policy_check = _variables.choice_value(variables, _variables.POLICY_CHECK, problems)
    if problems or scope is None:
        return None, problems
    remotes, problems = _scope.remotes(checked, scope, inventory)
    if problems:
        return None, problems
    request = HostRequest(
        tuple(checked),
        remove_unassigned,
        remotes,
        scope.mode,
        former,
        setup_rules,
        policy_check,
        _scope.labels(checked, scope, inventory) if labelled else (),
    )
    return request, []


def _former_groups(
    variables: Mapping[str, Any], checked: Sequence[_settings.Settings], problems: list[str]
) -> tuple[tuple[str, str], ...]:
    """The groups the host's ``ocs_<component>_group`` variables give components it does
    not hold: where their rules are when the host holds them no more."""
    held = {s.component.key for s in checked}
    found = []
    for key, component in _catalogue.server_components().items():
        name = component.variable("group")
        if key in held:
            continue
        value = _variables.read_values(variables, [name], problems).get(name)
        if isinstance(value, str) and value and _rules.group_problem(value) is None:
            found.append((value, key))
    return tuple(found)


def _component_keys(group_names: Sequence[str], components: Any, problems: list[str]) -> list[str]:
    """The components named by the ``components`` option when it is not a dictionary:
    None for the host's inventory groups, or a list of keys."""
    if components is None:
        return _settings.held_components(group_names)
    if not isinstance(components, (list, tuple)):
        problems.append(
            f"components: {_settings.shown(components)} is not a list of components or "
            "a dictionary of component settings"
        )
        return []
    keys = []
    for item in components:
        component, problem = _settings.server_component(item, "components")
        if component is None:
            problems.append(problem)
        else:
            keys.append(component.key)
    return keys


def _collection(variables: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    return _variables.read_values(variables, list(_settings.COLLECTION_DEFAULTS.values()), problems)


def plan_host(request: HostRequest, actual: Sequence[HostRule]) -> list[_plan.GroupPlan]:
    """A plan per group: each held component's, then each unassigned group's (one of the
    collection's groups the held components do not use, that holds rules of its
    component's entries)."""
    grouped = _plan.by_group(actual)
    plans = [
        _plan.plan_group(
            s.group,
            _component_rules.component_rules(s, request.remotes.get(s.component.key)),
            grouped.get(name_key(s.group), []),
            reason=_plan.COMPONENT,
            component=s.component.key,
            state=s.state,
            ids=_catalogue.entry_ids(s.component.key),
        )
        for s in request.settings
    ]
    if request.remove_unassigned:
        for group, component in request.unassigned():
            plan = _plan.plan_group(
                group,
                [],
                grouped.get(name_key(group), []),
                reason=_plan.UNASSIGNED,
                component=component,
                state="absent",
                ids=_catalogue.entry_ids(component),
            )
            if plan.changed:
                plans.append(plan)
    return plans


def plan_setup(
    request: HostRequest, plans: Sequence[_plan.GroupPlan], actual: Sequence[HostRule]
) -> _setup_rules.SetupPlan:
    """What happens to OCS setup's rules: held where the rules the plans leave cover them
    (``ocs_firewall_setup_rules: disable``), released otherwise. A request for some of the
    host's components only (no decommissioning: its other groups are not read) releases
    only with ``keep``."""
    wanted = [rule for plan in plans for rule in plan.after]
    return _setup_rules.plan_setup(
        request.setup_rules, wanted, actual, whole_host=request.remove_unassigned
    )


def marked_elsewhere(
    plans: Sequence[_plan.GroupPlan], actual: Sequence[HostRule]
) -> list[HostRule]:
    """The host's rules that carry a marker, outside every group planned, but are not
    the collection's (a copy in a built-in, an administrator's or OCS set-up's group, or in
    no group): reported, never touched. A task's rule in a group a task may name (any but
    a built-in one, or none) is the task's."""
    planned = {name_key(p.group) for p in plans}
    return [
        h
        for h in actual
        if name_key(h.group) not in planned
        and _plan.owned(h)
        and not (
            _ownership.owner_of(h.rule.description) == _ownership.TASK
            and _rules.group_problem(h.group) is None
        )
    ]


def task_request(
    task_vars: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    components: Any = None,
    remove_unassigned: bool | None = None,
    peer_addresses: Mapping[str, Any] | None = None,
    labelled: bool = False,
) -> HostRequest:
    """The checked request of a task's host, as ``win_ocs_firewall`` works it out.

    ``task_vars`` are the task's variables as Ansible gives them (``group_names``,
    ``groups``, ``hostvars``, the preflight's registered result), ``variables`` the same
    templated on access. Raises :class:`~.._errors.InputError` naming the host and every
    problem: nothing has been sent to the host then.
    """
    host = str(task_vars.get("inventory_hostname", "the host"))
    request, problems = host_request(
        list(task_vars.get("group_names", [])),
        variables,
        components=components,
        remove_unassigned=remove_unassigned,
        inventory=_scope.Inventory(
            task_vars.get("groups", {}),
            task_vars.get("hostvars", {}),
            book=peer_addresses or _scope.preflight_book(task_vars),
            # The preflight's lists of peers hold for its own book only.
            scopes=None if peer_addresses else _scope.preflight_scopes(task_vars),
        ),
        labelled=labelled,
    )
    if request is None:
        raise InputError("; ".join(f"{host}: {p}" for p in problems))
    return request
