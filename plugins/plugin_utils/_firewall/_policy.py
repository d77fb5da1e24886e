# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: whether the host's local rules take effect at all.
"""What Windows enforces above the local rules: group policy and the profiles' switches.

Local firewall rules - the collection's among them - count only where nothing above them
says otherwise. On Windows Server 2008 / 2008 R2 a domain's group policy can tell a
profile to ignore every local rule ("Apply local firewall rules: No", the value
``AllowLocalPolicyMerge`` = 0 under ``HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\
<Profile>`` of [MS-GPFAS]), or to block every inbound connection whatever the rules allow
("Inbound connections: Block all connections", ``DoNotAllowExceptions`` = 1; locally
``netsh advfirewall set <profile> firewallpolicy blockinboundalways,...``). Windows says the
same thing for the profiles in use through ``INetFwPolicy2::LocalPolicyModifyState``. On
Windows Server 2003 the policy "Windows Firewall: Do not allow exceptions"
(``DoNotAllowExceptions``) voids every port entry of a profile, and "Windows Firewall:
Allow local port exceptions" disabled (``AllowUserPrefMerge`` = 0 under
``...\\<Profile>\\GloballyOpenPorts``) voids the local ones.

:func:`obstacles` lists what keeps the local rules from taking effect, profile by profile;
a plan is never "in sync" while one of them holds in a profile the host is on. Pure: the
read's records come in as :class:`HostPolicy`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

_POLICY_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
# The registry keys of each profile's policy, by the profile's name.
POLICY_KEYS: dict[str, str] = {
    "domain": "DomainProfile",
    "private": "PrivateProfile",
    "public": "PublicProfile",
    "standard": "StandardProfile",
}
# NET_FW_MODIFY_STATE.
MODIFY_OK = 0
MODIFY_GP_OVERRIDE = 1
MODIFY_INBOUND_BLOCKED = 2


@dataclasses.dataclass(frozen=True)
class ProfilePolicy:
    """One profile as Windows enforces it: in use or not, its effective switches, and
    group policy's values (name -> value, only those the policy sets)."""

    profile: str
    current: bool
    enabled: bool
    block_all_inbound: bool = False
    # 2003: the profile takes no exceptions (its effective "Don't allow exceptions").
    exceptions_not_allowed: bool = False
    settings: tuple[tuple[str, int], ...] = ()

    def setting(self, name: str) -> int | None:
        return dict(self.settings).get(name)


@dataclasses.dataclass(frozen=True)
class HostPolicy:
    """Every profile of a host, and (2008 and later) Windows' own verdict on a change to
    local rules in the profiles in use (None: the read did not say, as from an older
    script)."""

    profiles: tuple[ProfilePolicy, ...] = ()
    legacy: bool = False
    modify_state: int | None = None

    def current(self) -> list[str]:
        return [p.profile for p in self.profiles if p.current]


@dataclasses.dataclass(frozen=True)
class Obstacle:
    """One thing that keeps the local rules of ``profile`` from taking effect: the
    setting (as the Group Policy editor or netsh names it), where it lives, and whether
    group policy sets it (then only the domain's administrators can change it)."""

    profile: str
    current: bool
    setting: str
    where: str
    by_policy: bool

    def text(self) -> str:
        return f"{self.profile} profile: {self.setting} ({self.where})"

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _where(profile: str, name: str, value: int, sub: str = "") -> str:
    return f"{name} = {value} under {_POLICY_KEY}\\{POLICY_KEYS[profile]}{sub}"


def _profile_obstacles(policy: ProfilePolicy, legacy: bool) -> list[Obstacle]:
    found: list[Obstacle] = []

    def add(setting: str, where: str, by_policy: bool) -> None:
        found.append(Obstacle(policy.profile, policy.current, setting, where, by_policy))

    if not policy.enabled:
        # Nothing filters: every port is open, the collection's rules are moot.
        return found
    if legacy:
        if policy.setting("DoNotAllowExceptions") == 1:
            add(
                "group policy 'Windows Firewall: Do not allow exceptions' is Enabled: no port "
                "entry counts",
                _where(policy.profile, "DoNotAllowExceptions", 1),
                True,
            )
        elif policy.exceptions_not_allowed:
            add(
                "'Don't allow exceptions' is ticked: no port entry counts",
                "the profile's ExceptionsNotAllowed; untick it in Windows Firewall's settings",
                False,
            )
        if policy.setting("AllowUserPrefMerge") == 0:
            add(
                "group policy 'Windows Firewall: Allow local port exceptions' is Disabled: "
                "local port entries do not count",
                _where(policy.profile, "AllowUserPrefMerge", 0, "\\GloballyOpenPorts"),
                True,
            )
        return found
    if policy.setting("AllowLocalPolicyMerge") == 0:
        add(
            "group policy 'Apply local firewall rules' is No: no local rule counts",
            _where(policy.profile, "AllowLocalPolicyMerge", 0),
            True,
        )
    if policy.block_all_inbound:
        if policy.setting("DoNotAllowExceptions") == 1:
            add(
                "group policy 'Inbound connections' is 'Block all connections': no inbound "
                "rule counts",
                _where(policy.profile, "DoNotAllowExceptions", 1),
                True,
            )
        else:
            add(
                "the profile blocks all inbound connections: no inbound rule counts",
                f"BlockAllInboundTraffic; netsh advfirewall set {policy.profile}profile "
                "firewallpolicy blockinbound,allowoutbound turns it off",
                False,
            )
    return found


def obstacles(policy: HostPolicy, profiles: Sequence[str] | None = None) -> list[Obstacle]:
    """What keeps local rules from taking effect, per profile (``profiles``: only those,
    such as the profiles of the rules at stake). In a profile in use, Windows' own
    ``LocalPolicyModifyState`` counts too, when nothing else explains it."""
    wanted = set(profiles) if profiles is not None else None
    found: list[Obstacle] = []
    for profile in policy.profiles:
        if wanted is None or profile.profile in wanted:
            found += _profile_obstacles(profile, policy.legacy)
    current = [p for p in policy.profiles if p.current and p.enabled]
    explained = {o.profile for o in found if o.current}
    if (
        policy.modify_state in (MODIFY_GP_OVERRIDE, MODIFY_INBOUND_BLOCKED)
        and current
        and not explained
        and (wanted is None or any(p.profile in wanted for p in current))
    ):
        state = (
            "GP_OVERRIDE: group policy overrides local rules"
            if policy.modify_state == MODIFY_GP_OVERRIDE
            else "INBOUND_BLOCKED: inbound rules are not allowed"
        )
        names = ", ".join(p.profile for p in current)
        found.append(
            Obstacle(
                names,
                True,
                f"Windows reports that a change to local rules does not take effect ({state})",
                "INetFwPolicy2 LocalPolicyModifyState",
                policy.modify_state == MODIFY_GP_OVERRIDE,
            )
        )
    return found


def remedy(found: Sequence[Obstacle]) -> str:
    """What to do about ``found``: whom to ask, and what for."""
    asks = []
    if any(o.by_policy for o in found):
        asks.append(
            "ask the domain administrators to change the group policy object that applies to "
            "this server (gpresult /scope computer /v names it): set 'Apply local firewall "
            "rules' to Yes and 'Inbound connections' to Block (default), not 'Block all "
            "connections' (on Windows Server 2003: 'Do not allow exceptions' Not Configured "
            "and 'Allow local port exceptions' Enabled), or have them deliver the "
            "collection's rules in that policy"
        )
    if any(not o.by_policy for o in found):
        asks.append("turn off the local setting named above")
    return "; ".join(asks)


def refusal(host: str, found: Sequence[Obstacle], *, applied: bool = False) -> str:
    """What a host whose local rules would not take effect says (``found``: the obstacles
    in the profiles it is on), naming each setting and what to ask for."""
    done = (
        "the rules were put in place anyway (ocs_firewall_policy_check: warn)"
        if applied
        else "nothing was changed"
    )
    return (
        f"{host}: the collection's rules would not take effect, so the host is not in sync "
        f"({done}): {'; '.join(o.text() for o in found)}. To go on, {remedy(found)}"
        + ("" if applied else "; or set ocs_firewall_policy_check: warn to stage the rules now")
    )
