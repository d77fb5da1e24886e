"""The firewall's own settings, and what enforcing them means.

The code under test: plugins/plugin_utils/_firewall/_switches.py.

What a user relies on when ``ocs_firewall_enforce`` or ``ocs_firewall_log_dropped`` is set:
the service comes up automatic and running; each profile the host's rules use is on, blocks
unsolicited inbound traffic and does not block all of it (2003: "Don't allow exceptions"
off), outbound stays as it was; profiles the rules do not use are left alone; private and
public are 2003's standard profile; the log setting reaches every profile; nothing asked is
nothing changed; and the changes read service, then profiles, then logs, before -> after.
"""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._switches import (
    Change,
    Log,
    Settings,
    Switches,
    Wanted,
    changed_parts,
    changes,
    enforced,
    legacy_profile,
    target,
)

OFF = Switches(enabled=False)
ON = Switches(enabled=True)


def host(
    *,
    start: int = 3,
    running: bool = False,
    logs: dict[str, Log] | None = None,
    **profiles: Switches,
) -> Settings:
    """A Windows Server 2008 host: every profile off unless given, default logs."""
    found = {"domain": OFF, "private": OFF, "public": OFF, **profiles}
    log = logs or {}
    return Settings(
        legacy=False,
        service="MpsSvc",
        start=start,
        running=running,
        profiles=tuple(found.items()),
        logs=tuple((n, log.get(n, Log(dropped=False))) for n in found),
        paths=tuple((n, r"%systemroot%\system32\LogFiles\Firewall\pfirewall.log") for n in found),
    )


def legacy_host(*, start: int = 2, running: bool = True, **profiles: Switches) -> Settings:
    """A Windows Server 2003 host: its domain and standard profiles."""
    found = {"domain": OFF, "standard": OFF, **profiles}
    return Settings(
        legacy=True,
        service="SharedAccess",
        start=start,
        running=running,
        profiles=tuple(found.items()),
        logs=tuple((n, Log(dropped=False)) for n in found),
    )


def texts(before: Settings, after: Settings) -> list[str]:
    return [c.text() for c in changes(before, after)]


# --- enforcing -------------------------------------------------------------------------------


def test_enforcing_starts_the_service_automatically_and_now() -> None:
    before = host(start=4, running=False)
    after = target(before, Wanted(enforce=True, profiles=("domain",)))
    assert (after.start, after.running) == (2, True)
    assert texts(before, after)[:2] == [
        "service MpsSvc: start: disabled -> automatic",
        "service MpsSvc: running: no -> yes",
    ]


@pytest.mark.parametrize(
    "profile",
    [
        Switches(enabled=False),
        Switches(enabled=True, inbound="allow"),
        Switches(enabled=True, block_all=True),
        Switches(enabled=False, inbound="allow", block_all=True),
    ],
)
def test_a_profile_the_rules_use_ends_on_blocking_unsolicited_traffic(profile: Switches) -> None:
    after = target(host(domain=profile), Wanted(enforce=True, profiles=("domain",)))
    switches = after.profile("domain")
    assert (switches.enabled, switches.inbound, switches.block_all) == (True, "block", False)


@pytest.mark.parametrize("outbound", ["allow", "block"])
def test_enforcing_leaves_outbound_as_it_is(outbound: str) -> None:
    before = host(private=Switches(enabled=False, outbound=outbound))
    after = target(before, Wanted(enforce=True, profiles=("private",)))
    assert after.profile("private").outbound == outbound
    assert not any("outbound" in c.setting for c in changes(before, after))


def test_profiles_the_rules_do_not_use_are_left_alone() -> None:
    public = Switches(enabled=False, inbound="allow", block_all=True)
    before = host(public=public, private=Switches(enabled=True, inbound="allow"))
    after = target(before, Wanted(enforce=True, profiles=("domain",)))
    assert after.profile("public") == public
    assert after.profile("private") == Switches(enabled=True, inbound="allow")
    assert not any(c.setting.startswith(("public", "private")) for c in changes(before, after))


def test_every_profile_the_rules_use_is_enforced() -> None:
    before = host()
    after = target(before, Wanted(enforce=True, profiles=("domain", "private", "public")))
    assert all(s.enabled and s.inbound == "block" for _n, s in after.profiles)


def test_a_host_enforced_already_changes_nothing() -> None:
    before = host(start=2, running=True, domain=ON, private=ON)
    after = target(before, Wanted(enforce=True, profiles=("domain", "private")))
    assert after == before
    assert changes(before, after) == []
    assert changed_parts(before, after) == (False, [], [])


def test_enforcing_keeps_what_the_read_carried() -> None:
    before = dataclasses.replace(host(), pending="2024-05-01 14:07")
    after = target(before, Wanted(enforce=True, profiles=("domain",), log_dropped=True))
    assert (after.paths, after.pending, after.service, after.legacy) == (
        before.paths,
        "2024-05-01 14:07",
        "MpsSvc",
        False,
    )


# --- Windows Server 2003 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "legacy"),
    [("domain", "domain"), ("private", "standard"), ("public", "standard")],
)
def test_a_rule_profile_is_one_of_the_two_2003_profiles(profile: str, legacy: str) -> None:
    assert legacy_profile(profile) == legacy


@pytest.mark.parametrize("used", [("private",), ("public",), ("private", "public")])
def test_private_and_public_rules_turn_2003s_standard_profile_on(used: tuple[str, ...]) -> None:
    before = legacy_host(standard=Switches(enabled=False, block_all=True))
    after = target(before, Wanted(enforce=True, profiles=used))
    assert after.profile("standard") == Switches(enabled=True, block_all=False)
    assert after.profile("domain") == OFF
    assert texts(before, after) == [
        "standard profile: firewall: off -> on",
        "standard profile: don't allow exceptions: yes -> no",
    ]
    assert enforced(after, used)


def test_2003s_service_is_shared_access() -> None:
    before = legacy_host(start=3, running=False)
    after = target(before, Wanted(enforce=True, profiles=("domain",)))
    assert texts(before, after) == [
        "service SharedAccess: start: manual -> automatic",
        "service SharedAccess: running: no -> yes",
        "domain profile: firewall: off -> on",
    ]


# --- the log ---------------------------------------------------------------------------------


@pytest.mark.parametrize("enforce", [False, True])
def test_the_log_setting_reaches_every_profile(enforce: bool) -> None:
    before = host(logs={"public": Log(dropped=True, size_kb=1024)})
    after = target(
        before,
        Wanted(enforce=enforce, profiles=("domain",), log_dropped=True, log_size_kb=16384),
    )
    assert dict(after.logs) == {n: Log(True, 16384) for n in ("domain", "private", "public")}


def test_the_log_setting_reaches_both_2003_profiles() -> None:
    after = target(legacy_host(), Wanted(log_dropped=True, log_size_kb=8192))
    assert dict(after.logs) == {"domain": Log(True, 8192), "standard": Log(True, 8192)}


def test_turning_the_log_off_is_a_change_too() -> None:
    before = host(logs={"domain": Log(True, 4096)})
    after = target(before, Wanted(log_dropped=False))
    assert texts(before, after) == ["domain profile: log dropped packets: yes -> no"]


def test_a_log_left_unset_stays_as_it_is_while_enforcing() -> None:
    logs = {"domain": Log(True, 1024), "private": Log(False, 32767)}
    before = host(logs=logs)
    after = target(before, Wanted(enforce=True, profiles=("domain",), log_dropped=None))
    assert after.logs == before.logs


def test_only_the_log_changes_when_only_the_log_is_asked_for() -> None:
    before = host(start=4, running=False)
    after = target(before, Wanted(log_dropped=True))
    assert (after.start, after.running, after.profiles) == (4, False, before.profiles)
    assert changed_parts(before, after) == (False, [], ["domain", "private", "public"])


# --- nothing asked ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before",
    [
        host(),
        host(start=4, running=False, public=Switches(True, inbound="allow", block_all=True)),
        legacy_host(start=4, running=False),
    ],
)
def test_nothing_asked_changes_nothing(before: Settings) -> None:
    # Profiles given but no enforcement: the inventory's components alone change nothing.
    after = target(before, Wanted(profiles=("domain", "private", "public")))
    assert after == before
    assert changes(before, after) == []
    assert changed_parts(before, after) == (False, [], [])


# --- the changes, as people read them --------------------------------------------------------


def test_changes_read_service_then_profiles_then_logs_with_before_and_after() -> None:
    before = host(
        start=3,
        running=True,
        domain=Switches(enabled=False, inbound="allow", block_all=True),
        public=Switches(enabled=True, inbound="allow"),
        logs={"private": Log(False, 1024)},
    )
    after = target(
        before,
        Wanted(
            enforce=True,
            profiles=("public", "domain"),
            log_dropped=True,
            log_size_kb=4096,
        ),
    )
    assert [c.to_dict() for c in changes(before, after)] == [
        {"setting": "service MpsSvc: start", "before": "manual", "after": "automatic"},
        {"setting": "domain profile: firewall", "before": "off", "after": "on"},
        {"setting": "domain profile: inbound", "before": "allow", "after": "block"},
        {"setting": "domain profile: block all inbound", "before": "yes", "after": "no"},
        {"setting": "public profile: inbound", "before": "allow", "after": "block"},
        {"setting": "domain profile: log dropped packets", "before": "no", "after": "yes"},
        {"setting": "private profile: log dropped packets", "before": "no", "after": "yes"},
        {"setting": "private profile: log size (KB)", "before": "1024", "after": "4096"},
        {"setting": "public profile: log dropped packets", "before": "no", "after": "yes"},
    ]


def test_a_change_reads_setting_before_and_after() -> None:
    change = Change("domain profile: firewall", "off", "on")
    assert change.text() == "domain profile: firewall: off -> on"


def test_an_unknown_start_value_is_shown_as_its_number() -> None:
    before = host(start=1, running=True)
    after = target(before, Wanted(enforce=True))
    assert texts(before, after) == ["service MpsSvc: start: 1 -> automatic"]


def test_changed_parts_are_what_differs_each_profile_and_log_whole() -> None:
    before = host(start=2, running=True, domain=ON, private=Switches(enabled=True, inbound="allow"))
    after = target(before, Wanted(enforce=True, profiles=("domain", "private")))
    assert changed_parts(before, after) == (False, ["private"], [])
    stopped = dataclasses.replace(before, running=False)
    assert changed_parts(stopped, target(stopped, Wanted(enforce=True)))[0] is True


# --- enforced --------------------------------------------------------------------------------


def test_a_host_after_enforcement_is_enforced() -> None:
    before = host(public=Switches(enabled=True, inbound="allow"))
    profiles = ("domain", "private")
    assert not enforced(before, profiles)
    assert enforced(target(before, Wanted(enforce=True, profiles=profiles)), profiles)


@pytest.mark.parametrize(
    ("start", "running", "domain"),
    [
        (3, True, ON),
        (4, False, ON),
        (2, False, ON),
        (2, True, OFF),
        (2, True, Switches(enabled=True, inbound="allow")),
        (2, True, Switches(enabled=True, block_all=True)),
    ],
)
def test_anything_short_of_it_is_not_enforced(start: int, running: bool, domain: Switches) -> None:
    assert not enforced(host(start=start, running=running, domain=domain), ("domain",))


def test_a_profile_the_rules_do_not_use_does_not_count() -> None:
    settings = host(start=2, running=True, domain=ON, public=Switches(True, inbound="allow"))
    assert enforced(settings, ("domain",))
    assert not enforced(settings, ("domain", "public"))


def test_2003_is_judged_by_its_standard_profile() -> None:
    settings = legacy_host(domain=ON, standard=Switches(enabled=True, block_all=True))
    assert enforced(settings, ("domain",))
    assert not enforced(settings, ("public",))
