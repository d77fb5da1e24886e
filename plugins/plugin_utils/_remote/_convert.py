# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the rule model to the wire's records, and back.
"""Between the rule model (:mod:`.._firewall._rules`) and the records of the protocol.

:func:`to_windows` gives the :class:`._wire.WireRule` an ``ADD`` record carries for a rule,
:func:`rule_from_host` the canonical rule of a ``RULE`` record (never refusing what Windows
stores), :func:`host_rule` the rule with the properties the collection does not manage,
:func:`profile_dict` a ``PROFILE`` record as results show it, and :func:`sections` the
group sections of an apply from a host's group plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    canonical_addresses,
    canonical_ports,
    profiles_from_mask,
    profiles_to_mask,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._plan import GroupPlan
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._policy import (
    HostPolicy,
    ProfilePolicy,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import (
    RULE_FIELDS,
    HostRule,
    Rule,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    ACTION_NAMES,
    ACTION_NUMBERS,
    ANY,
    DIRECTION_NAMES,
    DIRECTION_NUMBERS,
    LEGACY_PROFILE_NAMES,
    PROFILE_NAMES,
    PROTOCOL_NAMES,
    PROTOCOL_NUMBERS,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _wire


def rule_from_host(record: _wire.WireRule) -> Rule:
    """Canonical :class:`Rule` of what a host reports; never rejects what Windows stores."""
    return Rule(
        name=record.name,
        description=record.description,
        direction=DIRECTION_NAMES.get(record.direction, str(record.direction)),
        action=ACTION_NAMES.get(record.action, str(record.action)),
        protocol=PROTOCOL_NAMES.get(record.protocol, str(record.protocol)),
        local_ports=canonical_ports(record.local_ports, strict=False),
        remote_ports=canonical_ports(record.remote_ports, strict=False),
        local_addresses=canonical_addresses(record.local_addresses, strict=False),
        remote_addresses=canonical_addresses(record.remote_addresses, strict=False),
        profiles=profiles_from_mask(record.profiles),
        enabled=record.enabled,
    )


def to_windows(rule: Rule) -> _wire.WireRule:
    """The ``ADD`` record of ``rule``: the values the remote script sets on a new INetFwRule."""
    return _wire.WireRule(
        name=rule.name,
        description=rule.description,
        direction=DIRECTION_NUMBERS[rule.direction],
        action=ACTION_NUMBERS[rule.action],
        protocol=PROTOCOL_NUMBERS[rule.protocol],
        local_ports=",".join(rule.local_ports) or ANY,
        remote_ports=",".join(rule.remote_ports) or ANY,
        local_addresses=",".join(rule.local_addresses) or ANY,
        remote_addresses=",".join(rule.remote_addresses) or ANY,
        profiles=profiles_to_mask(rule.profiles),
        enabled=rule.enabled,
    )


def host_rule(record: _wire.WireRule) -> HostRule:
    """Canonical form of a RULE record."""
    # The record and the rule model name the managed properties alike (RULE_FIELDS).
    return HostRule(
        rule=rule_from_host(record),
        group=record.grouping,
        application=record.application,
        service=record.service,
        icmp_types=record.icmp_types_and_codes,
        stored=tuple((field, getattr(record, field)) for field in RULE_FIELDS),
    )


def profile_dict(profile: _wire.WireProfile) -> dict[str, Any]:
    """A PROFILE record as a result shows it."""
    return {
        "enabled": profile.enabled,
        "default_inbound_action": ACTION_NAMES.get(
            profile.inbound_action, str(profile.inbound_action)
        ),
        "default_outbound_action": ACTION_NAMES.get(
            profile.outbound_action, str(profile.outbound_action)
        ),
    }


def _settings(**values: int | None) -> tuple[tuple[str, int], ...]:
    return tuple((name, value) for name, value in values.items() if value is not None)


def host_policy(reply: _wire.Reply) -> HostPolicy:
    """What a read says about the profiles and group policy above the local rules."""
    if reply.legacy:
        policies = {w.type: w for w in reply.legacy_policies}
        legacy = []
        for lp in reply.legacy_profiles:
            lw = policies.get(lp.type, _wire.LegacyPolicy(lp.type))
            legacy.append(
                ProfilePolicy(
                    LEGACY_PROFILE_NAMES.get(lp.type, str(lp.type)).lower(),
                    current=lp.current,
                    enabled=lp.enabled,
                    exceptions_not_allowed=lp.exceptions_not_allowed,
                    settings=_settings(
                        EnableFirewall=lw.enable_firewall,
                        DoNotAllowExceptions=lw.do_not_allow_exceptions,
                        AllowUserPrefMerge=lw.allow_user_pref_merge,
                    ),
                )
            )
        return HostPolicy(tuple(legacy), legacy=True)
    found = {w.type: w for w in reply.policies}
    mask = reply.current.mask if reply.current is not None else 0
    profiles = []
    for p in reply.profiles:
        if p.type not in PROFILE_NAMES:
            continue
        w = found.get(p.type, _wire.WirePolicy(p.type, False))
        profiles.append(
            ProfilePolicy(
                PROFILE_NAMES[p.type],
                current=bool(mask & p.type),
                enabled=p.enabled,
                block_all_inbound=w.block_all_inbound,
                settings=_settings(
                    EnableFirewall=w.enable_firewall,
                    DefaultInboundAction=w.default_inbound_action,
                    AllowLocalPolicyMerge=w.allow_local_policy_merge,
                    DoNotAllowExceptions=w.do_not_allow_exceptions,
                ),
            )
        )
    modify = reply.current.modify_state if reply.current is not None else None
    return HostPolicy(tuple(profiles), modify_state=modify)


def sections(plans: Sequence[GroupPlan]) -> list[_wire.Section]:
    """The sections of an apply: each changed group's retired names and new rules."""
    return [
        _wire.Section(plan.group, plan.retire, tuple(to_windows(r) for r in plan.adds), plan.owns)
        for plan in plans
        if plan.changed
    ]
