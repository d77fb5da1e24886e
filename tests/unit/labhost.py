"""A Windows host for the action plugin tests: the lab's pure request handler behind a stub.

``LabHost.execute`` stands in for ``ActionBase._low_level_execute_command``. It checks what
the controller sends (the fixed bootstrap as the command, one of the fixed scripts then the
separator then the request on stdin), hands the request text to ``ocs_lab.firewall.run``
for the rules script (``_client.script_text("firewall")``) or to ``ocs_lab.switch.run`` for
the switch script (``_client.script_text("switch")``) (the lab's own reading of OCSFW2 and
of Windows Firewall, sharing no code with the plugins) and returns what the script
printed. The rule store is the lab's: a list of dicts with every INetFwRule property,
compared byte for byte by the tests. The switch script's ops see ``clock`` as the host's
local time; ``advance_clock`` moves it and runs the scheduled tasks whose time has come
(the rollback), as the lab server does.

``LabHost(os_version="5.2", legacy_entries=[...])`` plays a Windows Server 2003 host
instead: its store is the lab's legacy one (two profiles of port entries, see
``ocs_lab.legacy``), the entries given as ``ocs_lab_foreign_rules`` entries are
(``ocs_lab.seed.legacy_entry``), and the requests it was sent are read with the lab's
parser (``legacy_requests``): the controller's decoder is not asked to know them.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Iterable
from typing import Any
from unittest.mock import MagicMock, create_autospec

from ansible.utils.display import Display
from checkout import REPO
from ocs_lab import firewall, legacy, seed, switch
from ocs_lab import inventory as lab_inventory

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _wire

OWNED = "[ocs.firewall]"


def example_estate() -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Each host of examples/inventory.yml: its group names and its variables."""
    data = lab_inventory.load(REPO / "examples" / "inventory.yml")
    children = data["all"]["children"]
    return {
        host: (
            [name for name, group in children.items() if host in (group.get("hosts") or {})],
            {**(data["all"].get("vars") or {}), **variables},
        )
        for host, variables in lab_inventory.hosts(data).items()
    }


def example_inventory() -> dict[str, Any]:
    """``groups`` and ``hostvars`` of examples/inventory.yml, as a task's variables hold them."""
    estate = example_estate()
    groups: dict[str, list[str]] = {"all": list(estate)}
    for host, (names, _variables) in estate.items():
        for name in names:
            groups.setdefault(name, []).append(host)
    hostvars = {
        host: {"group_names": names, **variables} for host, (names, variables) in estate.items()
    }
    return {"groups": groups, "hostvars": hostvars}


def lab_rule(name: str, group: str, **values: Any) -> dict[str, Any]:
    """A rule of the lab's store, values as Windows stores them (TCP, enabled, all profiles).

    ``description`` defaults to the task marker: a rule the collection made.
    """
    values.setdefault("description", OWNED)
    values.setdefault("protocol", 6)
    values.setdefault("enabled", 1)
    for key, local in (("local_addresses", True), ("remote_addresses", False)):
        if key in values:
            values[key] = firewall.canonical_addresses(values[key], local)
    return firewall.new_rule(name=name, grouping=group, **values)


def empty_state() -> dict[str, Any]:
    return {"profiles": seed.default_profiles(), "rules": []}


def legacy_state(entries: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A Windows Server 2003 host's store holding only ``entries`` (``legacy_entry`` form:
    ``{name, port, protocol, profile, remote_addresses, enabled, builtin}``)."""
    state = seed.empty_legacy_state()
    seed.add_legacy_entries(state, list(entries))
    return state


class LabHost:
    """One host's firewall behind the OCSFW2 protocol, as ``_firewall.ps1`` serves it."""

    def __init__(
        self,
        rules: Iterable[dict[str, Any]] = (),
        *,
        state: dict[str, Any] | None = None,
        os_version: str = "6.1",
        legacy_entries: Iterable[dict[str, Any]] = (),
    ) -> None:
        rules = list(rules)
        legacy_entries = list(legacy_entries)
        if os_version == firewall.LEGACY_OS:
            if rules:
                raise ValueError("a Windows Server 2003 host holds legacy_entries, not rules")
            self.state = state if state is not None else legacy_state()
            seed.add_legacy_entries(self.state, legacy_entries)
        else:
            if legacy_entries:
                raise ValueError("legacy_entries are for a Windows Server 2003 host (5.2)")
            self.state = state if state is not None else empty_state()
            self.state["rules"].extend(copy.deepcopy(rules))
        self.requests: list[_wire.Request] = []
        # What the switch script was sent (the controller's codec of it is not asked here).
        self.switch_requests: list[str] = []
        # The host's local time for the switch script (the lab clock), and each run of its
        # scheduled tasks (the rollback), as the lab server traces them.
        self.clock = datetime.datetime(2026, 1, 5, 10, 0, 30)
        self.task_runs: list[dict[str, Any]] = []
        # What a 2003 host was sent, as the lab read it too (a request it refused is not here).
        self.legacy_requests: list[legacy.Request] = []
        self.commands: list[str] = []
        self.stdins: list[bytes] = []
        self.outcomes: list[firewall.Outcome] = []
        # The Windows version the host plays (the lab's "6.0", "6.1" or "5.2"), and faults,
        # as the lab server injects them.
        self.os_version = os_version
        self.service_stopped: bool | str = False
        self.fail_apply_midway = False
        # A reply of our own instead of the lab's, for every command or for applies only.
        self.raw_reply: dict[str, Any] | None = None
        self.apply_reply: dict[str, Any] | None = None
        # (when, error): the connection raises ``error`` on the apply command, "before" the
        # host ran it or "after" (the host ran it, the reply was lost). A callable error is
        # called with what the script printed.
        self.lose_apply: tuple[str, BaseException | Callable[[str], BaseException]] | None = None

    @property
    def rules(self) -> list[dict[str, Any]]:
        return list(self.state["rules"])

    def execute(
        self, cmd: str, sudoable: bool = True, in_data: bytes | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        assert sudoable is False
        assert in_data is not None
        assert cmd == _client.bootstrap_text()
        self.commands.append(cmd)
        self.stdins.append(in_data)
        script, separator, request_bytes = in_data.partition(_wire.SEPARATOR)
        assert separator
        text = request_bytes.decode("utf-8")
        if script == _client.script_text("switch").encode("ascii"):
            return self._run_switch(text)
        assert script == _client.script_text().encode("ascii")
        op = self._read_request(text)
        if self.raw_reply is not None:
            return self.raw_reply
        lose_when, lose_error = self.lose_apply or ("", None)
        if op == "apply":
            if lose_when == "before" and lose_error is not None:
                # Nothing ran: the host printed nothing.
                raise _error(lose_error, "")
            if self.apply_reply is not None:
                return self.apply_reply
        outcome = firewall.run(
            self.state,
            text,
            service_stopped=self.service_stopped,
            fail_midway=self.fail_apply_midway and op == "apply",
            os_version=self.os_version,
        )
        self.outcomes.append(outcome)
        if op == "apply" and lose_when == "after" and lose_error is not None:
            raise _error(lose_error, outcome.stdout)
        return {"rc": outcome.rc, "stdout": outcome.stdout, "stderr": ""}

    def _run_switch(self, text: str) -> dict[str, Any]:
        """The switch script's request on this host's store, its due tasks run first."""
        self.switch_requests.append(text)
        if self.service_stopped:
            # The fault is the service's state, which the switch script reads and changes.
            self.state["service"] = {**self.state.get("service", {"start": 2}), "running": False}
        self._fire_due()
        if self.raw_reply is not None:
            return self.raw_reply
        outcome = switch.run(
            self.state,
            text,
            os_version=self.os_version,
            now=self.clock,
            fail_midway=self.fail_apply_midway,
            stopped_hresult=self.service_stopped
            if isinstance(self.service_stopped, str)
            else "0x800706D9",
        )
        self.outcomes.append(outcome)
        return {"rc": outcome.rc, "stdout": outcome.stdout, "stderr": ""}

    def advance_clock(self, minutes: float) -> list[dict[str, Any]]:
        """Move the host's clock; the tasks whose time has come run (what they did)."""
        self.clock += datetime.timedelta(minutes=minutes)
        return self._fire_due()

    def _fire_due(self) -> list[dict[str, Any]]:
        runner = _client.script_text("switch")
        runs = switch.fire_due(self.state, self.clock, runner, os_version=self.os_version)
        self.task_runs.extend(runs)
        return runs

    def _read_request(self, text: str) -> str:
        """Keep what the controller sent (decoded by its own decoder, which must accept it,
        and on a 2003 host by the lab's too) and return its op ("" for a 2003 request the
        lab refuses)."""
        request = _wire.decode_request(text)
        self.requests.append(request)
        if self.os_version != firewall.LEGACY_OS:
            return request.op
        try:
            legacy_request = legacy.parse_request(text)
        except firewall.RequestError:
            return ""
        self.legacy_requests.append(legacy_request)
        return legacy_request.op

    def entries(self, profile: int) -> list[dict[str, Any]]:
        """A 2003 host's entries of ``profile`` (0 Domain, 1 Standard), in store order."""
        return list(self.state["legacy"][str(profile)]["ports"])

    def group(self, group: str) -> list[dict[str, Any]]:
        """The rules of ``group``, compared as Windows compares group names."""
        return [r for r in self.state["rules"] if _rules.same_name(r["grouping"], group)]

    def names(self, group: str) -> list[str]:
        return [r["name"] for r in self.group(group)]

    def tombstones(self) -> list[dict[str, Any]]:
        return [r for r in self.state["rules"] if _rules.is_tombstone(r["name"])]


def run_action(
    action_class: type,
    name: str,
    host: LabHost,
    args: dict[str, Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
    task_vars: dict[str, Any] | None = None,
    templar: Any = None,
    execute: Callable[..., dict[str, Any]] | None = None,
    connection: Any = None,
) -> tuple[dict[str, Any], MagicMock]:
    """Run an action plugin of the collection once; returns its result and its display."""
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.action = name
    task.get_name.return_value = name
    action = action_class(
        task,
        connection if connection is not None else MagicMock(),
        MagicMock(),
        loader=None,
        templar=templar,
        shared_loader_obj=None,
    )
    action._load_name = name
    action._low_level_execute_command = MagicMock(side_effect=execute or host.execute)
    # A stand-in with ansible-core's own signatures: a call the real Display refuses fails.
    display = create_autospec(Display, instance=True)
    action._display = display
    return action.run(task_vars=task_vars or {}), display


def _error(error: BaseException | Callable[[str], BaseException], printed: str) -> BaseException:
    """The exception a lost connection raises; a callable gets what the script printed."""
    return error if isinstance(error, BaseException) else error(printed)
