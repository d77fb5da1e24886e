"""Enforcement in a host's run (plugins/plugin_utils/_ansible/_enforce.py).

The plan refuses a host, changing nothing, while a rollback an earlier run armed is still
due there, or when the firewall turned on would keep the management out (the message
names the host, the flow and the variable to correct); it carries the readiness findings
when it enforces a 2008 host. Its result says what changes (message, diff, ``enforcement``).
The switch arms the rollback and changes the settings, then confirms over a new
connection: the host rolled back, or could not be reached again, is a failed host that
says when its settings come back. The host is a fake here: what reaches it is the request
_remote/_switch.py builds, checked in tests/unit/plugins/plugin_utils/_remote/test_switch.py.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from ansible.errors import AnsibleConnectionFailure

from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _enforce
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import HostError, InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _host_request,
    _setup_rules,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import HostRule, Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    Log,
    Settings,
    Switches,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _switch, _wire

HOST = "sip01.example.com"
NETWORK = "10.10.5.0/24"
DUE = "2024-05-01 14:07"
DIRECTOR = {"director": {"remote_addresses": ["10.0.0.0/24"]}}
WINRM_RULE = HostRule(
    Rule("Windows Remote Management (HTTP-In)", protocol="tcp", local_ports=("5985",)),
    "Windows Remote Management",
)
ENFORCE = {
    "ocs_firewall_enforce": True,
    "ocs_firewall_management_addresses": [NETWORK],
}


def request(**variables: Any) -> _host_request.HostRequest:
    found, problems = _host_request.host_request(
        [], variables, components=DIRECTOR, remove_unassigned=True
    )
    assert found is not None, problems
    return found


def policy(
    current: str = "domain", legacy: bool = False, enabled: bool = True, **settings: int
) -> HostPolicy:
    """The host's profiles as a read reports them; group policy's ``settings`` are those
    of the ``current`` one."""
    names = ("domain", "standard") if legacy else ("domain", "private", "public")
    return HostPolicy(
        tuple(
            ProfilePolicy(
                p,
                current=p == current,
                enabled=enabled,
                settings=tuple(settings.items()) if p == current else (),
            )
            for p in names
        ),
        legacy=legacy,
    )


def read(
    *rules: HostRule, listeners: tuple[tuple[int, str, int], ...] = (), current: str = "domain"
) -> _client.RulesRead:
    return _client.RulesRead(
        _wire.HostVersions("6.1.7601.65536", "2.0"),
        "",
        rules,
        {},
        policy(current),
        tuple(_wire.Listener(*item) for item in listeners),
    )


def legacy_read(
    *entries: _wire.OpenPort, host_policy: HostPolicy | None = None
) -> _client.EntriesRead:
    return _client.EntriesRead(
        _wire.HostVersions("5.2.3790.131072", "2.0"),
        "",
        (_wire.LegacyProfile(0, False, False, True), _wire.LegacyProfile(1, False, False, False)),
        entries,
        host_policy or policy(legacy=True, enabled=False),
    )


def settings(
    *, start: int = 3, running: bool = False, pending: str | None = None, **profiles: Switches
) -> Settings:
    """A 2008 host's settings: every profile off unless given."""
    off = Switches(enabled=False)
    found = {"domain": off, "private": off, "public": off, **profiles}
    return Settings(
        legacy=False,
        service="MpsSvc",
        start=start,
        running=running,
        profiles=tuple(found.items()),
        logs=tuple((n, Log(False)) for n in found),
        pending=pending,
    )


def legacy_settings(**profiles: Switches) -> Settings:
    off = Switches(enabled=False)
    found = {"domain": off, "standard": off, **profiles}
    return Settings(
        legacy=True,
        service="SharedAccess",
        start=3,
        running=False,
        profiles=tuple(found.items()),
        logs=tuple((n, Log(False)) for n in found),
    )


ENFORCED = settings(
    start=2,
    running=True,
    domain=Switches(True),
    private=Switches(True),
    public=Switches(True),
)


def options(**more: Any) -> _enforce.Options:
    return _enforce.options({**ENFORCE, **more})


def plan(
    the_read: _client.Read | None = None,
    before: Settings | None = None,
    found: _enforce.Options | None = None,
    holds: tuple[str, ...] = (),
    the_request: _host_request.HostRequest | None = None,
) -> _enforce.SwitchPlan:
    return _enforce.plan(
        HOST,
        the_request or request(),
        the_read if the_read is not None else read(WINRM_RULE),
        before if before is not None else settings(),
        found or options(),
        5985,
        holds,
    )


# --- options ---------------------------------------------------------------------------------


def test_options_come_from_the_hosts_variables() -> None:
    found = _enforce.options(
        {
            **ENFORCE,
            "ocs_firewall_management_ports": ["3389/tcp"],
            "ocs_firewall_confirm_minutes": "10",
            "ocs_firewall_log_dropped": "yes",
            "unrelated": object(),
        }
    )
    assert found == _enforce.Options(
        enforce=True,
        addresses=(NETWORK,),
        ports=((3389, "tcp"),),
        confirm_minutes=10,
        log_dropped=True,
    )


def test_bad_options_are_one_error_with_every_problem() -> None:
    with pytest.raises(InputError) as caught:
        _enforce.options({"ocs_firewall_enforce": True, "ocs_firewall_confirm_minutes": 0})
    text = str(caught.value)
    assert "ocs_firewall_confirm_minutes: 0 is not" in text
    assert "ocs_firewall_management_addresses is not set" in text


class Failing(Mapping[str, Any]):
    """Host variables one of which cannot be templated."""

    def __getitem__(self, key: str) -> Any:
        if key == "ocs_firewall_management_addresses":
            raise RuntimeError("'mgmt_net' is undefined")
        return {"ocs_firewall_enforce": True}[key]

    def __iter__(self) -> Iterator[str]:
        return iter(["ocs_firewall_enforce", "ocs_firewall_management_addresses"])

    def __len__(self) -> int:
        return 2


def test_a_variable_that_cannot_be_worked_out_is_named() -> None:
    with pytest.raises(InputError, match="ocs_firewall_management_addresses: its value cannot"):
        _enforce.options(Failing())


# --- plan: a rollback still armed ------------------------------------------------------------


@pytest.mark.parametrize(
    "before",
    [
        settings(pending=DUE),
        # Nothing would change: still refused, the rollback will change the host.
        dataclasses.replace(ENFORCED, pending=DUE),
    ],
)
def test_a_rollback_still_armed_refuses_the_host(before: Settings) -> None:
    with pytest.raises(HostError) as caught:
        plan(before=before)
    assert caught.value.message.startswith(
        f"{HOST}: a rollback an earlier run armed is due at {DUE}"
    )
    assert "Nothing was changed" in caught.value.message
    assert caught.value.result == {
        "changed": False,
        "in_sync": False,
        "failed": True,
        "msg": caught.value.message,
    }


def test_a_rollback_still_armed_is_the_only_reason_given() -> None:
    # No rule lets WinRM in: the guard would refuse too, but the armed rollback comes first.
    with pytest.raises(HostError) as caught:
        plan(read(), before=settings(pending=DUE))
    assert "rollback" in caught.value.message
    assert "cut the management off" not in caught.value.message


def test_a_rollback_still_armed_refuses_a_log_only_run_too() -> None:
    with pytest.raises(HostError, match="rollback"):
        plan(
            before=settings(pending=DUE), found=_enforce.options({"ocs_firewall_log_dropped": True})
        )


# --- plan: the lockout guard -----------------------------------------------------------------


def test_a_host_the_management_could_not_reach_is_refused() -> None:
    with pytest.raises(HostError) as caught:
        plan(read())
    message = caught.value.message
    assert message.startswith(f"{HOST}: turning the firewall on would cut the management off")
    assert (
        "5985/tcp from 10.10.5.0 (domain profile) (WinRM, the controller's connection)" in message
    )
    assert f"ocs_firewall_management_addresses ({NETWORK})" in message
    assert caught.value.result["changed"] is False
    assert caught.value.result["in_sync"] is False


def test_the_guard_judges_the_rules_the_run_adds() -> None:
    # The Director's own rule (planned, not on the host yet) opens 5060-5061 from 10.0.0.0/24.
    planned = plan(
        found=options(
            ocs_firewall_management_addresses=["10.0.0.0/24"],
            ocs_firewall_management_ports=["5061/tcp"],
        )
    )
    assert planned.changed
    with pytest.raises(
        HostError, match=r"5061/tcp from 10\.10\.5\.0 \(domain profile\) \(a management port\)"
    ):
        plan(found=options(ocs_firewall_management_ports=["5061/tcp"]))


def test_the_guard_judges_the_profile_the_host_is_on() -> None:
    public_only = HostRule(
        dataclasses.replace(WINRM_RULE.rule, profiles=("public",)), WINRM_RULE.group
    )
    with pytest.raises(HostError, match=r"\(domain profile\)"):
        plan(read(public_only))
    assert plan(read(public_only, current="public")).changed


def test_an_enforced_host_is_not_judged_again() -> None:
    planned = plan(read(), before=ENFORCED)
    assert not planned.changed
    assert planned.after == ENFORCED


def test_a_log_only_run_is_not_judged_and_reads_no_readiness() -> None:
    found = _enforce.options({"ocs_firewall_log_dropped": True, "ocs_firewall_log_size_kb": 8192})
    planned = plan(read(), found=found)
    assert planned.readiness is None
    assert [c.setting for c in planned.changes] == [
        f"{p} profile: {what}"
        for p in ("domain", "private", "public")
        for what in ("log dropped packets", "log size (KB)")
    ]


def test_a_2003_host_is_judged_by_its_entries() -> None:
    open_winrm = _wire.OpenPort(0, 5985, 6, "WinRM", True, 0, "*")
    planned = plan(legacy_read(open_winrm), before=legacy_settings())
    assert planned.changed
    assert planned.readiness is None
    with pytest.raises(
        HostError, match=r"5985/tcp from 10\.10\.5\.0 \(domain profile\).*no port entry opens it"
    ):
        plan(legacy_read(), before=legacy_settings())
    scoped = _wire.OpenPort(0, 5985, 6, "WinRM", True, 2, "10.10.5.0/255.255.255.128")
    with pytest.raises(HostError, match=r"5985/tcp from 10\.10\.5\.128 "):
        plan(legacy_read(scoped), before=legacy_settings())


def test_a_2003_group_policy_that_allows_no_exceptions_is_judged() -> None:
    """docs/dev/contracts.md: on 2003 a value group policy sets wins both ways. The domain
    profile is off now; once enforcement turns it on, the policy's "Do not allow
    exceptions" voids the entry that opens WinRM."""
    open_winrm = _wire.OpenPort(0, 5985, 6, "WinRM", True, 0, "*")
    ruled = policy(legacy=True, enabled=False, DoNotAllowExceptions=1)
    with pytest.raises(HostError, match="cut the management off"):
        plan(legacy_read(open_winrm, host_policy=ruled), before=legacy_settings())


# --- plan: what it carries -------------------------------------------------------------------


def test_an_enforcing_plan_turns_on_the_profiles_the_rules_use() -> None:
    planned = plan(the_request=request(ocs_firewall_profiles=["domain"]))
    assert planned.profiles == ("domain",)
    assert planned.after.profile("domain") == Switches(True)
    assert planned.after.profile("public") == Switches(False)
    assert (planned.after.start, planned.after.running) == (2, True)


def test_an_enforcing_plan_of_a_2008_host_carries_the_readiness() -> None:
    assert plan().readiness == ()
    planned = plan(read(WINRM_RULE, listeners=((6, "0.0.0.0", 8404), (6, "0.0.0.0", 5985))))
    assert planned.readiness is not None
    assert [(f["kind"], f["port"]) for f in planned.readiness] == [("blocked_listener", 8404)]
    warning = _enforce.readiness_warning(HOST, planned)
    assert len(warning) == 1 and warning[0].startswith(f"{HOST}: 1 thing(s) the host serves now")


def test_held_rules_are_released_by_a_rollback() -> None:
    planned = plan(holds=("OCS Director (TCP-In)",))
    assert planned.releases == (_wire.Hold(_setup_rules.GROUP, "OCS Director (TCP-In)"),)


# --- the result ------------------------------------------------------------------------------


def result_of(
    planned: _enforce.SwitchPlan, *, check_mode: bool, diff: bool = True
) -> dict[str, Any]:
    result: dict[str, Any] = {"msg": f"{HOST}: 2 rules to add", "changed": False}
    if diff:
        result["diff"] = [{"before": "", "after": "rule\n"}]
    _enforce.add_to_result(result, planned, check_mode=check_mode)
    return result


def test_the_result_lists_the_changes_in_its_message() -> None:
    planned = plan(the_request=request(ocs_firewall_profiles=["domain"]))
    result = result_of(planned, check_mode=True)
    assert result["msg"] == (
        f"{HOST}: 2 rules to add; firewall settings: 3 to change (service MpsSvc: start: "
        "manual -> automatic, service MpsSvc: running: no -> yes, domain profile: firewall: "
        "off -> on)"
    )
    assert result["changed"] is True
    applied = result_of(planned, check_mode=False)
    assert "firewall settings: 3 changed (" in applied["msg"]


def test_the_diff_shows_each_setting_before_and_after() -> None:
    planned = plan(the_request=request(ocs_firewall_profiles=["domain"]))
    result = result_of(planned, check_mode=True)
    assert result["diff"][0] == {"before": "", "after": "rule\n"}
    assert result["diff"][1] == {
        "before_header": "firewall settings",
        "after_header": "firewall settings",
        "before": "service MpsSvc: start: manual\nservice MpsSvc: running: no\n"
        "domain profile: firewall: off\n",
        "after": "service MpsSvc: start: automatic\nservice MpsSvc: running: yes\n"
        "domain profile: firewall: on\n",
    }
    assert "diff" not in result_of(planned, check_mode=True, diff=False)


def test_the_result_carries_the_enforcement_fields() -> None:
    planned = plan(the_request=request(ocs_firewall_profiles=["domain"]))
    enforcement = result_of(planned, check_mode=True)["enforcement"]
    assert enforcement == {
        "enforce": True,
        "enforced": True,
        "changes": [c.to_dict() for c in planned.changes],
        "confirmed": None,
        "due": None,
    }
    assert enforcement["changes"][0] == {
        "setting": "service MpsSvc: start",
        "before": "manual",
        "after": "automatic",
    }


def test_a_log_only_run_does_not_claim_enforcement() -> None:
    found = _enforce.options({"ocs_firewall_log_dropped": True})
    enforcement = result_of(plan(found=found, before=ENFORCED), check_mode=True)["enforcement"]
    assert (enforcement["enforce"], enforcement["enforced"]) == (False, False)


def test_nothing_to_change_leaves_the_message_and_the_diff_alone() -> None:
    result = result_of(plan(before=ENFORCED), check_mode=True)
    assert result["msg"] == f"{HOST}: 2 rules to add"
    assert result["changed"] is False
    assert result["diff"] == [{"before": "", "after": "rule\n"}]
    assert result["enforcement"]["changes"] == []
    assert result["enforcement"]["enforced"] is True


def test_the_readiness_is_in_the_result_with_its_counts() -> None:
    planned = plan(read(WINRM_RULE, listeners=((6, "0.0.0.0", 8404),)))
    result = result_of(planned, check_mode=True)
    assert [f["port"] for f in result["readiness"]] == [8404]
    assert result["readiness_counts"]["blocked_listener"] == 1


# --- the switch ------------------------------------------------------------------------------

ARMED = _switch.Armed("[ocs.firewall] rollback", DUE, ("service", "profile 1"))


class FakeFirewall:
    """The host: each confirmation answers the next of ``confirms`` (an exception is
    raised, as a connection that cannot be made again)."""

    def __init__(
        self, *confirms: bool | BaseException, switch: BaseException | None = None
    ) -> None:
        self.confirms = list(confirms)
        self.failure = switch
        self.calls: list[str] = []
        self.requests: list[str] = []

    def switch(self, request: str) -> _switch.Armed:
        self.calls.append("switch")
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        return ARMED

    def reconnect(self) -> None:
        self.calls.append("reconnect")

    def confirm(self) -> bool:
        self.calls.append("confirm")
        answer = self.confirms.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    found: list[float] = []
    monkeypatch.setattr(_enforce.time, "sleep", found.append)
    return found


def switched(firewall: FakeFirewall, planned: _enforce.SwitchPlan | None = None) -> dict[str, Any]:
    return _enforce.switch(HOST, firewall, planned or plan())  # type: ignore[arg-type]


def test_a_confirmed_switch_says_so(sleeps: list[float]) -> None:
    firewall = FakeFirewall(True)
    assert switched(firewall) == {"confirmed": True, "due": DUE, "set": ["service", "profile 1"]}
    # The confirmation goes over a new connection, after the switch.
    assert firewall.calls == ["switch", "reconnect", "confirm"]
    assert sleeps == []


def test_the_switch_sends_the_planned_settings_armed_with_the_runner(sleeps: list[float]) -> None:
    firewall = FakeFirewall(True)
    found = options(ocs_firewall_confirm_minutes=7)
    planned = plan(
        found=found,
        holds=("OCS Director (TCP-In)",),
        the_request=request(ocs_firewall_profiles=["domain"]),
    )
    switched(firewall, planned)
    (sent,) = firewall.requests
    lines = sent.splitlines()
    runner = base64.b64encode(_client.script_text("switch").encode()).decode()
    assert lines[:4] == ["OCSFW2", "OP\tswitch", f"ARM\t7\t{runner}", "SERVICE\t2\t1"]
    # Only the domain profile is the rules': only it is set, outbound as it was.
    assert [line for line in lines if line.startswith("SWITCH")] == ["SWITCH\t1\t1\t0\t1\t0"]
    assert not any(line.startswith("LOG") for line in lines)
    b64 = _wire.b64
    assert lines[-3:] == [
        f"HOLDMARK\t{b64(_setup_rules.HOLD_MARK)}",
        f"RELEASE\t{b64(_setup_rules.GROUP)}\t{b64('OCS Director (TCP-In)')}",
        "END",
    ]


def test_a_switch_the_host_refused_is_not_confirmed(sleeps: list[float]) -> None:
    firewall = FakeFirewall(switch=HostError("Switching the firewall failed on the host: x"))
    with pytest.raises(HostError, match="Switching the firewall failed"):
        switched(firewall)
    assert firewall.calls == ["switch"]


def test_a_rollback_that_ran_first_is_a_failed_host(sleeps: list[float]) -> None:
    with pytest.raises(HostError) as caught:
        switched(FakeFirewall(False))
    message = caught.value.message
    assert message.startswith(f"{HOST}: the firewall's settings were changed, and the rollback ran")
    assert f"due {DUE}" in message
    assert "ocs_firewall_confirm_minutes" in message
    assert caught.value.result["rolled_back"] is True
    assert caught.value.result["changed"] is True
    assert caught.value.result["in_sync"] is False


def test_a_host_that_cannot_be_reached_again_says_when_it_rolls_back(sleeps: list[float]) -> None:
    lost = AnsibleConnectionFailure("connection refused")
    firewall = FakeFirewall(lost, lost, lost)
    with pytest.raises(HostError) as caught:
        switched(firewall)
    message = caught.value.message
    assert message.startswith(
        f"{HOST}: after the firewall's settings were changed, the controller could not reach"
    )
    assert f"rolls its settings back at {DUE}" in message
    assert "connection refused" in message
    assert "ocs_firewall_management_addresses" in message
    assert caught.value.result["rolling_back"] == DUE
    assert caught.value.result["changed"] is True
    assert firewall.calls == ["switch"] + ["reconnect", "confirm"] * 3
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize(
    "first",
    [AnsibleConnectionFailure("timed out"), HostError("Confirming the switch did not complete")],
)
def test_a_confirmation_is_tried_again(sleeps: list[float], first: BaseException) -> None:
    firewall = FakeFirewall(first, True)
    assert switched(firewall)["confirmed"] is True
    assert firewall.calls == ["switch", "reconnect", "confirm", "reconnect", "confirm"]
    assert sleeps == [2.0]


def test_a_rollback_found_after_a_lost_attempt_is_still_reported(sleeps: list[float]) -> None:
    with pytest.raises(HostError, match="the rollback ran before the confirmation"):
        switched(FakeFirewall(AnsibleConnectionFailure("timed out"), False))
