"""What keeps local rules from taking effect (plugins/plugin_utils/_firewall/_policy.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
    obstacles,
    refusal,
)

KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\"


def profile(name: str = "domain", current: bool = True, **fields: Any) -> ProfilePolicy:
    settings = tuple(fields.pop("settings", {}).items())
    return ProfilePolicy(
        name, current=current, enabled=fields.pop("enabled", True), settings=settings, **fields
    )


def host(*profiles: ProfilePolicy, **fields: Any) -> HostPolicy:
    return HostPolicy(tuple(profiles), **fields)


def test_no_policy_no_obstacle() -> None:
    assert obstacles(host(profile(), profile("private", False), profile("public", False))) == []
    # Policy values that keep the rules in effect are no obstacle either.
    allowed = profile(settings={"AllowLocalPolicyMerge": 1, "DoNotAllowExceptions": 0})
    assert obstacles(host(allowed, modify_state=0)) == []


@pytest.mark.parametrize(
    ("policy", "setting", "where", "by_policy"),
    [
        pytest.param(
            host(profile(settings={"AllowLocalPolicyMerge": 0})),
            "group policy 'Apply local firewall rules' is No",
            f"AllowLocalPolicyMerge = 0 under {KEY}DomainProfile",
            True,
            id="merge-off",
        ),
        pytest.param(
            host(profile(block_all_inbound=True, settings={"DoNotAllowExceptions": 1})),
            "group policy 'Inbound connections' is 'Block all connections'",
            f"DoNotAllowExceptions = 1 under {KEY}DomainProfile",
            True,
            id="block-all-by-policy",
        ),
        pytest.param(
            host(profile(block_all_inbound=True)),
            "the profile blocks all inbound connections",
            "BlockAllInboundTraffic; netsh advfirewall set domainprofile firewallpolicy",
            False,
            id="block-all-local",
        ),
        pytest.param(
            host(profile(), modify_state=1),
            "Windows reports that a change to local rules does not take effect (GP_OVERRIDE",
            "INetFwPolicy2 LocalPolicyModifyState",
            True,
            id="modify-state-alone",
        ),
        pytest.param(
            host(profile("domain", settings={"DoNotAllowExceptions": 1}), legacy=True),
            "group policy 'Windows Firewall: Do not allow exceptions' is Enabled",
            f"DoNotAllowExceptions = 1 under {KEY}DomainProfile",
            True,
            id="2003-no-exceptions",
        ),
        pytest.param(
            host(profile("standard", settings={"AllowUserPrefMerge": 0}), legacy=True),
            "group policy 'Windows Firewall: Allow local port exceptions' is Disabled",
            f"AllowUserPrefMerge = 0 under {KEY}StandardProfile\\GloballyOpenPorts",
            True,
            id="2003-no-local-entries",
        ),
        pytest.param(
            host(profile(exceptions_not_allowed=True), legacy=True),
            "'Don't allow exceptions' is ticked",
            "the profile's ExceptionsNotAllowed",
            False,
            id="2003-local-no-exceptions",
        ),
    ],
)
def test_each_obstacle_names_its_setting(
    policy: HostPolicy, setting: str, where: str, by_policy: bool
) -> None:
    (found,) = obstacles(policy)
    assert found.setting.startswith(setting)
    assert found.where.startswith(where)
    assert (found.by_policy, found.current) == (by_policy, True)


def test_a_profile_that_is_off_has_no_obstacle() -> None:
    # Nothing filters there: the rules are moot, not void (profile_disabled says so).
    off = profile(enabled=False, settings={"AllowLocalPolicyMerge": 0})
    assert obstacles(host(off, modify_state=1)) == []


def test_only_the_profiles_asked_about_count() -> None:
    policy = host(
        profile("domain"),
        profile("public", current=False, settings={"AllowLocalPolicyMerge": 0}),
    )
    (found,) = obstacles(policy)
    assert (found.profile, found.current) == ("public", False)
    assert obstacles(policy, ["domain", "private"]) == []


def test_modify_state_is_not_counted_twice() -> None:
    policy = host(profile(settings={"AllowLocalPolicyMerge": 0}), modify_state=1)
    assert [o.where.split(" ")[0] for o in obstacles(policy)] == ["AllowLocalPolicyMerge"]


def test_the_refusal_names_the_host_the_setting_and_whom_to_ask() -> None:
    found = obstacles(host(profile(settings={"AllowLocalPolicyMerge": 0})))
    text = refusal("fe01", found)
    assert text.startswith("fe01: the collection's rules would not take effect")
    assert "nothing was changed" in text
    assert "domain profile: group policy 'Apply local firewall rules' is No" in text
    assert "AllowLocalPolicyMerge = 0" in text
    assert "ask the domain administrators" in text
    assert "ocs_firewall_policy_check: warn" in text
    staged = refusal("fe01", found, applied=True)
    assert "put in place anyway" in staged and "policy_check: warn to stage" not in staged
