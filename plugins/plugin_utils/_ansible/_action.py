# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the run every action plugin of the collection shares.
"""The ``run`` of the collection's action plugins: arguments checked, then the task's work.

:class:`TaskAction` validates the task's arguments against the spec its module's
DOCUMENTATION gives (:mod:`._argument_spec`; an argument that does not fit is a failed
result naming it) and merges what :meth:`TaskAction.run_task` returns into the task result.
Check mode is supported and async is not, for every one of them. The controller-only
actions (``preflight``, ``port_matrix``, ``removal_guard``) use it as it is;
:class:`FirewallAction` adds the host's firewall: an :class:`~.._errors.InputError` becomes
a failed result named after the host, a :class:`~.._errors.HostError` the result it carries.
Before anything, it honours the play's preflight (registered as ``ocs_firewall_preflight``)
when that left its problems to the hosts (its ``stops``): a host they stop fails with its
message, any other is skipped; neither is contacted.
:class:`TaskVariables` reads the task's variables templated, one at a time.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import (
    _argument_spec,
    _preflight,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import (
    HostError,
    InputError,
    StaleRead,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _platform

# Ansible forks a worker for each task on each host, and the worker inherits the
# controller's whole heap: at 5,000 hosts some 450 MB of inventory, variables and results.
# The garbage collections a worker runs walk the objects it inherited (a full one, all of
# them), writing to their headers, and the kernel copies each page written to: right after
# the fork the worker moves them out of its collector's reach (gc.freeze), so it collects
# only what it makes itself (docs/dev/performance.md has the figures). Registered when
# the controller first loads one of this collection's action plugins, in its main process;
# a worker is short-lived, and what it inherited is the main process's to free. (Importing
# the module again registers the hook again: freezing twice is the same as once.)
os.register_at_fork(after_in_child=gc.freeze)

# How many applies a task sends, in all, when the host's rules keep changing under it.
MAX_ATTEMPTS = 3


class TaskAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    # Options whose spec differs from the documentation's on purpose (the action checks
    # them itself, with messages of its own), with why.
    ARGUMENT_OVERRIDES: dict[str, dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The spec is read from the module's documentation when the plugin is loaded: the
        # strategy loads it in the controller's main process, so every worker it forks per
        # host inherits the spec parsed instead of parsing the YAML again.
        if cls.__module__.startswith(_argument_spec.ACTIONS):
            _argument_spec.of_module(cls.__module__)

    def run(
        self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result: dict[str, Any] = super().run(tmp, task_vars)
        del tmp
        try:
            spec = {**_argument_spec.of_module(type(self).__module__), **self.ARGUMENT_OVERRIDES}
            args = self.validate_argument_spec(argument_spec=spec)[1]
            result.update(self.run_task(args, task_vars or {}))
        except AnsibleActionFail as exc:
            result.update(exc.result)
        return result

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """The task result's fields, from its validated ``args``."""
        raise NotImplementedError


def preflight_stop(task_vars: Mapping[str, Any]) -> dict[str, Any] | None:
    """The result of a host the play's preflight stops, or None when it stops none.

    A preflight run with ``stop_hosts_in`` leaves the failing to the hosts' own tasks: its
    ``stops`` gives each host a problem stops its message. Such a host fails with it, and
    every other host is skipped, the run being stopped (``pending`` false: there is nothing
    to apply; ``contacted`` false: the closing table says ``not contacted``). The
    registered result is read as it is, not templated.
    """
    result = task_vars.get(_variables.PREFLIGHT_RESULT)
    stops = result.get("stops") if isinstance(result, Mapping) else None
    if not isinstance(stops, Mapping) or not stops:
        return None
    host = str(task_vars.get("inventory_hostname", ""))
    if host in stops:
        return {"failed": True, "changed": False, "msg": str(stops[host])}
    return {
        "skipped": True,
        "changed": False,
        "pending": False,
        "contacted": False,
        "msg": _preflight.not_contacted(stops),
    }


class TaskVariables(Mapping[str, Any]):
    """The task's variables, each templated when it is read (only those the engine asks for)."""

    def __init__(self, variables: Mapping[str, Any], templar: Any) -> None:
        self._variables = variables
        self._templar = templar

    def __getitem__(self, name: str) -> Any:
        return self._templar.template(self._variables[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __contains__(self, name: object) -> bool:
        return name in self._variables


@dataclasses.dataclass
class Applied:
    """How an apply went: the plans made again after a stale read, and whether a request
    before the stale one had changed the host."""

    replans: int = 0
    changed_before: bool = False


class FirewallAction(TaskAction):
    """The ``run_task`` the collection's host-facing action plugins share.

    It hands the validated arguments to :meth:`run_firewall` with the host's firewall; a
    bad value (:class:`~.._errors.InputError`, named after the host) or a host failure
    (:class:`~.._errors.HostError`) becomes a failed result. ``run_firewall`` checks its
    values before its first call to the firewall, so bad input never reaches a host.
    """

    _requires_connection = True

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        stopped = preflight_stop(task_vars)
        if stopped is not None:
            return stopped
        try:
            problem = _platform.connection_problem(getattr(self._connection, "transport", None))
            if problem:
                raise InputError(problem)
            firewall = _client.RemoteFirewall(self, self._max_envelope_kb(task_vars))
            return self.run_firewall(args, firewall, task_vars)
        except InputError as exc:
            message = str(exc)
            host = task_vars.get("inventory_hostname")
            if host and not message.startswith(f"{host}: "):
                message = f"{host}: {message}"
            return {"failed": True, "msg": message}
        except HostError as exc:
            return exc.result

    def _max_envelope_kb(self, task_vars: dict[str, Any]) -> int:
        name = _platform.MAX_ENVELOPE_VARIABLE
        if name not in task_vars:
            return _platform.DEFAULT_MAX_ENVELOPE_KB
        try:
            return _platform.check_max_envelope_kb(self._templar.template(task_vars[name]))
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def run_firewall(
        self, args: dict[str, Any], firewall: _client.RemoteFirewall, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        """The task result's fields, from its validated ``args``."""
        raise NotImplementedError

    def warn(self, warnings: list[str]) -> None:
        """Give each warning, after the task's name."""
        for warning in warnings:
            self._display.warning(f"{self._task.get_name()}: {warning}")

    def apply_fresh(
        self,
        host: str,
        apply: Callable[[], None],
        replan: Callable[[], Callable[[], None] | None],
    ) -> Applied:
        """Run ``apply``; when the host's rules changed since they were read (another run,
        an administrator: the host replies STALE and changes nothing), say so, ``replan``
        (read again and plan again: the next apply, or None when nothing is left to do) and
        apply that, :data:`MAX_ATTEMPTS` times at most. Two runs on one host thus never act
        on each other's stale reads: the later one plans from what the first left.
        ``replan`` raises :class:`~.._errors.InputError` to stop (the host changed in a way
        the run may not follow without a person)."""
        applied = Applied()
        while True:
            try:
                apply()
                return applied
            except StaleRead as exc:
                applied.changed_before = applied.changed_before or exc.number > 0
                before = f"; the {exc.number} before it were applied" if exc.number else ""
                said = (
                    f"{self._task.get_name()}: the firewall of {host} changed between the "
                    f"read and the apply (another run, or an administrator): {exc}, and it "
                    f"changed nothing{before}"
                )
                if applied.replans + 1 >= MAX_ATTEMPTS:
                    raise HostError(
                        f"{said}. Read and planned again {applied.replans} time(s), it had "
                        "changed every time: find what keeps changing it, then run again",
                        {"changed": applied.changed_before},
                    ) from None
                self._display.warning(f"{said}; reading it and planning again")
            applied.replans += 1
            try:
                following = replan()
            except InputError as exc:
                raise HostError(str(exc), {"changed": applied.changed_before}) from None
            if following is None:
                return applied
            apply = following
