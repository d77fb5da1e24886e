# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ocs.firewall.preflight (documentation in plugins/modules/)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _action, _preflight
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _host_request,
    _scope,
    _slices,
)

# Parsed once in the controller's main process (see win_ocs_firewall).
_catalogue.components()

PLAY_VARS = _preflight.PLAY_VARS


class ActionModule(_action.TaskAction):
    """Check the OCS firewall variables of many hosts on the controller; contact none."""

    def run_task(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        hosts = args["hosts"]
        if hosts is None:
            hosts = list(task_vars.get("ansible_play_hosts_all", []))
        make = bool(args["snapshot"])
        # Each host's variables are merged once (every hostvars[host] merges them again).
        hostvars = _Memo(task_vars["hostvars"])
        groups = task_vars.get("groups", {})
        this = str(task_vars.get("inventory_hostname", ""))
        # The run's own variables (extra vars, the play's, the whole inventory's), templated.
        own_vars = hostvars[this] if this in hostvars else task_vars
        estate = _Estate(own_vars, groups, hosts, hostvars, make)
        # One view of the inventory for every host: each peer's address is worked out once.
        # Over part of the estate, the whole estate's book makes it.
        inventory = (
            _scope.Inventory(
                _slices.holders(estate.book), hostvars, checked=hosts, book=estate.book
            )
            if estate.book is not None
            else _scope.Inventory(groups, hostvars, checked=hosts)
        )
        inventory.partial = estate.partial
        # The whole inventory's groups (a host only in a misspelt group is in no play), and
        # each play host's own.
        members = {g: list(h) for g, h in groups.items()}
        for host in hosts:
            for group in hostvars[host].get("group_names", ()):
                if host not in members.setdefault(group, []):
                    members[group].append(host)
        problems: dict[str, list[str]] = _preflight.group_problems(members, hostvars)
        # The pools hold together over the whole estate: not judged on part of it alone.
        pools = {} if estate.partial else _preflight.pool_problems(groups, hostvars, estate.book)
        for host, found in pools.items():
            problems.setdefault(host, []).extend(found)
        components: dict[str, list[str]] = {}
        scoped = False
        for host in hosts:
            variables = hostvars[host]
            found = _preflight.variable_problems(variables)
            request, more = _host_request.host_request(
                list(variables["group_names"]), variables, inventory=inventory
            )
            found = list(dict.fromkeys([*problems.get(host, []), *more, *found]))
            if found:
                problems[host] = found
            elif request is not None:
                components[host] = [s.component.key for s in request.settings]
                scoped = scoped or request.scope == "inventory"
        # The play's (and roles') own variables: in the task's, not in its host's.
        own = set(hostvars[this]) if this in hostvars else set()
        play_vars = [n for n in task_vars if isinstance(n, str) and n not in own]
        found = _preflight.variable_problems(task_vars, play_vars, connection=False)
        found += estate.problems(scoped)
        if found:
            problems[PLAY_VARS] = found
        # The peers' addresses, worked out once here for every host's task to reuse.
        book = inventory.book() if (scoped or make) and not problems else {}
        # And the addresses each list of peers gives, worked out once for the estate: each
        # host's task takes its rules' from there, at a cost that does not grow with it.
        peer_scopes = inventory.scopes() if book and scoped else {}
        grouped = _preflight.causes(problems, hosts)
        result: dict[str, Any] = {
            "changed": False,
            # Plain strings: a Problem is one, with its cause.
            "problems": {host: [str(p) for p in found] for host, found in problems.items()},
            "causes": [cause.to_dict() for cause in grouped],
            "components": components,
            "address_book": book,
            "peer_scopes": peer_scopes,
        }
        if make and book:
            made = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            result["snapshot"] = _slices.snapshot(book, made)
        if not grouped:
            return result
        # Said in full either way: when the hosts' tasks fail them, each says its own part.
        result["msg"] = _preflight.message([c.message for c in grouped])
        tag = args["stop_hosts_in"]
        if (
            tag is not None
            and _preflight.runs_tag(
                tag, task_vars.get("ansible_run_tags", ()), task_vars.get("ansible_skip_tags", ())
            )
            and all(cause.hosts for cause in grouped)
        ):
            # Each host a cause stops fails in that task, before it is contacted, so that
            # the recap counts the failure on the host whose variable is wrong.
            result["stops"] = _preflight.stops(grouped, hosts)
            return result
        result["failed"] = True
        return result


class _Memo(Mapping[str, Any]):
    """``hostvars`` with each host's view made once."""

    def __init__(self, hostvars: Mapping[str, Any]) -> None:
        self._hostvars = hostvars
        self._seen: dict[str, Any] = {}

    def __getitem__(self, host: str) -> Any:
        if host not in self._seen:
            self._seen[host] = self._hostvars[host]
        return self._seen[host]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hostvars)

    def __len__(self) -> int:
        return len(self._hostvars)

    def __contains__(self, host: object) -> bool:
        return host in self._hostvars


class _Estate:
    """Whether the run's inventory is the whole estate, and if not, the whole estate's
    address book (a snapshot) it was given (plugins/plugin_utils/_estate/_slices.py)."""

    def __init__(
        self,
        variables: Mapping[str, Any],
        groups: Mapping[str, Sequence[str]],
        hosts: Sequence[str],
        hostvars: Mapping[str, Any],
        make: bool,
    ) -> None:
        self._groups = groups
        self._hosts = hosts
        self._hostvars = hostvars
        self._found: list[str] = []
        self._snapshot: dict[str, Any] | None = None
        read = _variables.read_values(
            variables, [_slices.SLICE, _slices.SNAPSHOT, _slices.SNAPSHOT_FILE], self._found
        )
        said, self.signs, bad = _slices.said_or_seen(read.get(_slices.SLICE), variables)
        self._found += bad
        self.said = said
        self.sliced = bool(said) or bool(self.signs)
        # Making a snapshot reads the inventory, never an earlier snapshot.
        if not make and not self._found:
            self._read(read)
        self.make = make

    def _read(self, read: Mapping[str, Any]) -> None:
        value, name = read.get(_slices.SNAPSHOT), _slices.SNAPSHOT
        if value is None and read.get(_slices.SNAPSHOT_FILE) not in (None, ""):
            path = str(read[_slices.SNAPSHOT_FILE])
            text, error = None, None
            try:
                with open(os.path.expanduser(path), encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeError) as exc:
                error = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            value, found = _slices.read_file(path, text, error)
            self._found += found
            name = _slices.SNAPSHOT_FILE
        if value is not None:
            self._snapshot, found = _slices.check_snapshot(value, name)
            self._found += found

    @property
    def book(self) -> Mapping[str, Mapping[str, Any]] | None:
        """The whole estate's address book, when the run was given one."""
        return self._snapshot["book"] if self._snapshot is not None else None

    @property
    def partial(self) -> bool:
        """Whether the run holds part of the estate, without the whole estate's book (or
        with one that cannot be read): it works out no peer, and stops."""
        return self.book is None and (self.sliced or bool(self._found))

    def problems(self, scoped: bool) -> list[str]:
        """The run's problems as a part of the estate, once its hosts were checked
        (``scoped``: a host of the play is scoped from the inventory)."""
        if self._found:
            return list(self._found)
        if self._snapshot is not None:
            own = _scope.Inventory(self._groups, self._hostvars).book()
            held = {h for key in own for h in own[key]}
            differences = _slices.stale(self.book or {}, own, [h for h in self._hosts if h in held])
            return [_slices.stale_problem(self._snapshot, differences)] if differences else []
        if not self.sliced:
            return []
        if self.make:
            why = "a snapshot of it would not be the whole estate's"
        elif scoped:
            why = f"hosts of it are scoped from the inventory ({_variables.SCOPE}: inventory)"
        elif any(_named_pool(self._hostvars[h]) for h in self._hosts):
            why = f"its servers name their pools ({_variables.POOL})"
        else:
            return []
        return [_slices.refusal(bool(self.said), self.signs, why)]


def _named_pool(variables: Mapping[str, Any]) -> bool:
    try:
        return variables.get(_variables.POOL) not in (None, "")
    except Exception:  # templating: the host's own check reports it
        return False
