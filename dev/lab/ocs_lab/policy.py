"""Group policy on a lab host: the values a GPO sets, and the firewall they give.

A host's store keeps the policy as ``state["policy"]``: per profile type (as a string) the
DWORD values a Group Policy Object wrote under
``HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\<Profile>`` ([MS-GPFAS] 2.2), only
those it sets::

    {"1": {"AllowLocalPolicyMerge": 0, "DefaultInboundAction": 1}}   # 2008 / 2008 R2
    {"0": {"EnableFirewall": 1, "AllowUserPrefMerge": 0}}            # 2003 (0 Domain, 1 Standard)

A started 2008 host's store also keeps ``current_profiles``, the ``CurrentProfileTypes`` bit
mask (1 domain: an OCS server is a domain member), and per profile ``block_all_inbound``
(the local "Block all incoming connections" setting) in ``state["profiles"]``. A store
without them (the seed's, the unit tests', one written before they existed) reads as no
policy, on the domain profile, nothing blocked.

How a policy value meets the local one is each option's merge law ([MS-FASP] 2.2.38
``FW_PROFILE_CONFIG``, repeated in the Firewall CSP's documentation):

- ``EnableFirewall`` (``FW_PROFILE_CONFIG_ENABLE_FW``) and ``DefaultInboundAction``
  (``..._DEFAULT_INBOUND_ACTION``): the policy's value, when it sets one, wins.
  ``DefaultInboundAction`` is spelt 0 allow, 1 block there and in the registry, where
  ``INetFwPolicy2`` and the store's ``inbound_action`` say ``NET_FW_ACTION``: 0 block,
  1 allow.
- ``DoNotAllowExceptions`` (``..._SHIELDED``, "Block all incoming connections"): "on"
  wins, so a policy 0 does not clear a local 1.
- ``AllowLocalPolicyMerge`` 0: the local store's rules are not applied in the profile.

On Windows Server 2003 (the Windows Firewall policy settings of XP SP2 and 2003 SP1) a
value the policy sets wins both ways: disabled, a setting is off and the local
administrator cannot turn it on.

Independent of ``plugins/`` like the rest of the lab. Imports only :mod:`ocs_lab.state`, so
the firewall modules can build on it.
"""

from __future__ import annotations

from typing import Any

from .state import LabError

# NET_FW_PROFILE_TYPE2 by the names the host variables use, and back.
PROFILE_TYPES = {"domain": 1, "private": 2, "public": 4}
PROFILE_NAMES = {ptype: name for name, ptype in PROFILE_TYPES.items()}
# NET_FW_PROFILE_TYPE of Windows Server 2003's two profiles.
LEGACY_PROFILE_TYPES = {"domain": 0, "standard": 1}

# The DWORD values a GPO may set per profile, by the Windows the host plays.
POLICY_VALUES = (
    "EnableFirewall",
    "DefaultInboundAction",
    "AllowLocalPolicyMerge",
    "DoNotAllowExceptions",
)
# 2003: the first two under <Profile>, AllowUserPrefMerge under <Profile>\GloballyOpenPorts.
LEGACY_POLICY_VALUES = ("EnableFirewall", "DoNotAllowExceptions", "AllowUserPrefMerge")
# What a read reports for a value the policy leaves alone.
UNSET = -1

# NET_FW_MODIFY_STATE: whether a change to the local rules takes effect.
MODIFY_STATE_OK = 0
MODIFY_STATE_GP_OVERRIDE = 1
MODIFY_STATE_INBOUND_BLOCKED = 2

# NET_FW_ACTION, the store's and INetFwPolicy2's spelling of a default action.
BLOCK = 0
ALLOW = 1
# The registry's spelling of DefaultInboundAction ([MS-FASP] 2.2.38): 0 allow, 1 block.
REGISTRY_ACTIONS = {0: ALLOW, 1: BLOCK}

DEFAULT_CURRENT_PROFILES = PROFILE_TYPES["domain"]
# Windows Server 2008 (6.0) applies one profile at a time; 2008 R2 one per network.
ONE_PROFILE_OS = "6.0"
# firewall.LEGACY_OS, spelt again: firewall imports this module, not the other way round.
LEGACY_OS = "5.2"


# --------------------------------------------------------------------------- host vars


def read_policy(host: str, value: Any, os_version: str) -> dict[str, dict[str, int]]:
    """``ocs_lab_policy`` checked and stored as ``state["policy"]`` holds it.

    ``{profile name: {value name: 0 or 1}}``; an unknown profile or value name, or a value
    other than 0 and 1, is a :class:`LabError` naming the host.
    """
    legacy = os_version == LEGACY_OS
    profiles = LEGACY_PROFILE_TYPES if legacy else PROFILE_TYPES
    names = LEGACY_POLICY_VALUES if legacy else POLICY_VALUES
    windows = "Windows Server 2003" if legacy else "Windows Server 2008 and 2008 R2"
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LabError(
            f"host {host}: ocs_lab_policy must be a mapping of profiles "
            f"({', '.join(profiles)}), got {value!r}"
        )
    stored: dict[str, dict[str, int]] = {}
    for profile, values in value.items():
        if profile not in profiles:
            raise LabError(
                f"host {host}: ocs_lab_policy: profile {profile!r} is not one of "
                f"{list(profiles)} ({windows})"
            )
        if not isinstance(values, dict):
            raise LabError(
                f"host {host}: ocs_lab_policy.{profile} must be a mapping of value names "
                f"({', '.join(names)}), got {values!r}"
            )
        checked = {}
        for name, number in values.items():
            if name not in names:
                raise LabError(
                    f"host {host}: ocs_lab_policy.{profile}: {name!r} is not one of "
                    f"{list(names)} ({windows})"
                )
            if isinstance(number, bool) or number not in (0, 1):
                raise LabError(
                    f"host {host}: ocs_lab_policy.{profile}.{name} must be 0 or 1 (the "
                    f"DWORD a GPO writes), got {number!r}"
                )
            checked[name] = number
        if checked:
            stored[str(profiles[profile])] = checked
    return stored


def read_current_profiles(host: str, value: Any, os_version: str) -> int:
    """``ocs_lab_current_profiles`` (a list of profile names) as a bit mask."""
    if value is None:
        return DEFAULT_CURRENT_PROFILES
    if os_version == LEGACY_OS:
        raise LabError(
            f"host {host}: ocs_lab_current_profiles is for Windows Server 2008 and 2008 R2 "
            "hosts; a Windows Server 2003 host is on its Domain profile"
        )
    if not isinstance(value, list) or not value:
        raise LabError(
            f"host {host}: ocs_lab_current_profiles must be a non-empty list of "
            f"{list(PROFILE_TYPES)}, got {value!r}"
        )
    mask = 0
    for name in value:
        if name not in PROFILE_TYPES:
            raise LabError(
                f"host {host}: ocs_lab_current_profiles: {name!r} is not one of "
                f"{list(PROFILE_TYPES)}"
            )
        mask |= PROFILE_TYPES[name]
    if os_version == ONE_PROFILE_OS and len(profile_names(mask)) > 1:
        raise LabError(
            f"host {host}: ocs_lab_current_profiles {value!r}: Windows Server 2008 (6.0) "
            "is on one profile at a time (the most restrictive of its networks'); only "
            "2008 R2 has one per network"
        )
    return mask


def profile_names(mask: int) -> list[str]:
    """The names of the profiles of a bit mask, domain first."""
    return [name for name, ptype in PROFILE_TYPES.items() if mask & ptype]


# --------------------------------------------------------------------------- effective


def policy_value(state: dict[str, Any], ptype: int, name: str) -> int:
    """The value the policy sets for a profile, or ``UNSET``."""
    value: int = (state.get("policy") or {}).get(str(ptype), {}).get(name, UNSET)
    return value


def current_profiles(state: dict[str, Any]) -> int:
    mask: int = state.get("current_profiles", DEFAULT_CURRENT_PROFILES)
    return mask


def effective_profile(state: dict[str, Any], ptype: int) -> dict[str, int]:
    """A 2008 profile as the firewall applies it: the local settings under the policy.

    ``{enabled, inbound_action, outbound_action, block_all_inbound}``; actions are
    ``NET_FW_ACTION`` (0 block, 1 allow).
    """
    local = state["profiles"][str(ptype)]
    effective = {
        "enabled": local["enabled"],
        "inbound_action": local["inbound_action"],
        "outbound_action": local["outbound_action"],
        "block_all_inbound": local.get("block_all_inbound", 0),
    }
    enabled = policy_value(state, ptype, "EnableFirewall")
    if enabled != UNSET:
        effective["enabled"] = enabled
    inbound = policy_value(state, ptype, "DefaultInboundAction")
    if inbound != UNSET:
        effective["inbound_action"] = REGISTRY_ACTIONS[inbound]
    if policy_value(state, ptype, "DoNotAllowExceptions") == 1:
        effective["block_all_inbound"] = 1
    return effective


def merges_local_rules(state: dict[str, Any], ptype: int) -> bool:
    """False when the policy turns local rules off in the profile (AllowLocalPolicyMerge 0).

    Every rule of a lab store is local (the lab has no Group Policy rule store), so in such
    a profile no rule counts.
    """
    return policy_value(state, ptype, "AllowLocalPolicyMerge") != 0


def modify_state(state: dict[str, Any]) -> int:
    """``INetFwPolicy2.LocalPolicyModifyState`` over the current profiles."""
    current = [ptype for ptype in PROFILE_NAMES if current_profiles(state) & ptype]
    if any(not merges_local_rules(state, ptype) for ptype in current):
        return MODIFY_STATE_GP_OVERRIDE
    if any(effective_profile(state, ptype)["block_all_inbound"] for ptype in current):
        return MODIFY_STATE_INBOUND_BLOCKED
    return MODIFY_STATE_OK


def effective_legacy_profile(state: dict[str, Any], ptype: int) -> dict[str, int]:
    """A 2003 profile as the firewall applies it: ``{enabled, exceptions_not_allowed}``."""
    local = state["legacy"][str(ptype)]
    effective = {
        "enabled": local["enabled"],
        "exceptions_not_allowed": local["exceptions_not_allowed"],
    }
    for key, name in (
        ("enabled", "EnableFirewall"),
        ("exceptions_not_allowed", "DoNotAllowExceptions"),
    ):
        value = policy_value(state, ptype, name)
        if value != UNSET:
            effective[key] = value
    return effective
