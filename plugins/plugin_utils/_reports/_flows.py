# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a host's verdict on flows, as win_firewall_flow returns it.
"""The verdicts of :mod:`.._firewall._evaluate` on one read, as a task result shows them.

:func:`profile_states` turns a read's profiles and policy into what the evaluator takes
(the audit's ``wider_rule`` uses it too); :func:`judge` gives one flow's verdict, with
group policy's word first where it keeps local rules from counting in the flow's profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _evaluate, _policy
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    PROTOCOL_NAMES,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client import RulesRead

BY_GROUP_POLICY = "group_policy"


def profile_states(
    profiles: Mapping[str, Mapping[str, Any]], policy: _policy.HostPolicy
) -> dict[str, _evaluate.ProfileState]:
    """The evaluator's profiles from a read's (``_convert.profile_dict`` by name)."""
    blocked = {p.profile for p in policy.profiles if p.block_all_inbound}
    return {
        name: _evaluate.ProfileState(
            enabled=bool(profile.get("enabled", True)),
            inbound_action=str(profile.get("default_inbound_action", "block")),
            outbound_action=str(profile.get("default_outbound_action", "allow")),
            block_all_inbound=name in blocked,
        )
        for name, profile in profiles.items()
    }


def _flow_dict(flow: _evaluate.Flow) -> dict[str, Any]:
    found: dict[str, Any] = {
        "protocol": PROTOCOL_NAMES.get(flow.protocol, str(flow.protocol)),
        "local_port": flow.local_port,
        "remote_address": flow.remote_address,
        "profile": flow.profile,
        "direction": flow.direction,
    }
    for optional in ("remote_port", "local_address", "program", "service"):
        if getattr(flow, optional) is not None:
            found[optional] = getattr(flow, optional)
    return found


def _local_rules_void(read: RulesRead, profile: str) -> bool:
    """Whether group policy keeps local rules from counting in ``profile``."""
    return any(
        p.profile == profile and p.setting("AllowLocalPolicyMerge") == 0
        for p in read.policy.profiles
    )


def judge(read: RulesRead, flow: _evaluate.Flow) -> dict[str, Any]:
    """The verdict on ``flow`` of the host ``read`` came from, as a result shows it."""
    states = profile_states(read.profiles, read.policy)
    verdict = _evaluate.evaluate(read.rules, states, flow)
    state = states.get(flow.profile, _evaluate.ProfileState())
    if (
        verdict.by not in (_evaluate.BY_FIREWALL_OFF, _evaluate.BY_BLOCK_ALL_INBOUND)
        and state.enabled
        and _local_rules_void(read, flow.profile)
    ):
        verdict = _evaluate.Verdict(
            _evaluate.UNDECIDED,
            BY_GROUP_POLICY,
            depends=(
                "the rules group policy gives the host, which a read does not return: group "
                "policy's 'Apply local firewall rules' is No, so no local rule counts",
            ),
        )
    return {
        "flow": _flow_dict(flow),
        "verdict": verdict.verdict,
        "by": verdict.by,
        "rules": [{"name": h.rule.name, "group": h.group} for h in verdict.rules],
        "depends": list(verdict.depends),
        "text": text(flow, verdict),
    }


def text(flow: _evaluate.Flow, verdict: _evaluate.Verdict) -> str:
    """``5061/tcp from 10.0.0.5 (domain profile): allowed by 'SIP' (group 'OCS')``."""
    names = ", ".join(
        repr(h.rule.name) + (f" (group {h.group!r})" if h.group else "") for h in verdict.rules
    )
    if verdict.by == _evaluate.BY_RULE and verdict.verdict != _evaluate.UNDECIDED:
        how = f"{verdict.verdict} by {names}"
    elif verdict.verdict == _evaluate.UNDECIDED:
        how = f"undecided: depends on {'; '.join(verdict.depends)}"
        if names:
            how += f" ({names})"
    elif verdict.by == _evaluate.BY_DEFAULT:
        how = f"{verdict.verdict} by the profile's default action (no rule matches)"
    elif verdict.by == _evaluate.BY_FIREWALL_OFF:
        how = "allowed: the firewall is off in this profile"
    else:
        how = "blocked: the profile blocks all inbound connections"
    return f"{flow.label()}: {how}"


def message(host: str, verdicts: Sequence[Mapping[str, Any]]) -> str:
    """``fe01: 3 flow(s): 2 allowed, 1 blocked``."""
    counts = {
        v: sum(1 for f in verdicts if f["verdict"] == v)
        for v in ("allowed", "blocked", "undecided")
    }
    shown = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    return f"{host}: {len(verdicts)} flow(s): {shown or 'none'}"
