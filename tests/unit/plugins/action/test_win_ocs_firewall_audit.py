"""win_ocs_firewall_audit action plugin: one read of a lab host, findings, no change.

The host is ``ocs_lab.firewall.run`` behind a stubbed ``_low_level_execute_command``
(tests/unit/labhost.py), starting from a fresh lab host's firewall (built-in rules, the
rules OCS set-up created, an administrator's rules) and converged by win_ocs_firewall;
the inventory is examples/inventory.yml (its scope: inventory).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from labhost import LabHost, lab_rule, run_action
from ocs_lab import seed
from test_win_ocs_firewall import Templar, converge, lab_host, task_vars

from ansible_collections.ocs.firewall.plugins.action.win_ocs_firewall_audit import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit

FE = "fe01.ocs.example"
FE_GROUP = _catalogue.server_components()["front_end"].group
# What a fresh lab host has open beyond the defaults that a Front End does not need.
LAB_OPEN_ON_FE = [
    "File and Printer Sharing (SMB-In)",
    "File and Printer Sharing (NB-Session-In)",
    "Windows Management Instrumentation (WMI-In)",
    "SQL Server (TCP-In)",
    "Backup agent",
]
# What the lab seeds that admits any address to ports the example estate's Front End
# scopes to its peers (ocs_firewall_scope: inventory): WMI's built-in rules on 135 and
# every rule OCS setup made.
SETUP = "Office Communications Server 2007 R2"
LAB_WIDER_ON_FE = [
    "Windows Management Instrumentation (WMI-In)",
    "Windows Management Instrumentation (DCOM-In)",
    *(r["name"] for r in seed.ocs_setup_rules()),
]


def audit(
    host: LabHost, variables: dict[str, Any], *, check_mode: bool = False, **args: Any
) -> dict[str, Any]:
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.win_ocs_firewall_audit",
        host,
        {"components": None, "peer_addresses": None, "accepted": None, **args},
        check_mode=check_mode,
        task_vars=variables,
        templar=Templar(),
    )
    return result


def default_accepted(name: str = FE, **extra: Any) -> dict[str, Any]:
    """The host's task variables without the example estate's ocs_firewall_audit_accepted
    (which accepts what the lab seeds): the audit's default applies."""
    variables = task_vars(name, **extra)
    variables.pop(_audit.ACCEPTED_VARIABLE, None)
    return variables


def converged(name: str = FE) -> LabHost:
    host = lab_host()
    result, _warnings = converge(host, task_vars(name))
    assert not result.get("failed"), result
    host.requests.clear()
    return host


@pytest.mark.parametrize("check_mode", [False, True], ids=["normal", "check-mode"])
def test_one_read_of_every_rule_and_no_change(check_mode: bool) -> None:
    host = converged()
    before = copy.deepcopy(host.state)
    result = audit(host, default_accepted(FE), check_mode=check_mode)
    assert not result.get("failed"), result
    assert result["changed"] is False
    (read,) = host.requests
    # Every rule: no group named, no marker.
    assert (read.op, list(read.groups), read.marker) == ("read", [], "")
    assert host.state == before
    # On a converged lab host only what the lab seeds beyond the accepted defaults is found:
    # ports no component needs, and rules that defeat the inventory's scope (OCS setup's
    # are no longer accepted by default).
    assert [(f["kind"], f["rule"]) for f in result["findings"]] == [
        *(("foreign_open_port", name) for name in LAB_OPEN_ON_FE),
        *(("wider_rule", name) for name in LAB_WIDER_ON_FE),
    ]
    assert result["counts"]["foreign_open_port"] == len(LAB_OPEN_ON_FE)
    assert result["msg"] == "13 finding(s): 5 foreign_open_port, 8 wider_rule"


def test_the_accepted_variable_replaces_the_default() -> None:
    host = converged()
    accepted = [*_audit.DEFAULT_ACCEPTED, "@FirewallAPI.dll,-28502", "@FirewallAPI.dll,-34251"]
    result = audit(
        host,
        task_vars(FE, ocs_firewall_audit_accepted=[*accepted, "sql server (tcp-in)", SETUP]),
    )
    assert [f["rule"] for f in result["findings"]] == ["Backup agent"]
    # The option wins over the variable; without the defaults Remote Desktop is found.
    result = audit(
        host, task_vars(FE, ocs_firewall_audit_accepted=["Backup agent"]), accepted=accepted
    )
    assert [f["rule"] for f in result["findings"]] == [
        "SQL Server (TCP-In)",
        "Backup agent",
        *(name for name in LAB_WIDER_ON_FE if name.startswith(SETUP)),
    ]
    result = audit(host, task_vars(FE, ocs_firewall_audit_accepted=[]))
    assert "Remote Desktop (TCP-In)" in [f["rule"] for f in result["findings"]]


def test_drift_on_the_host_is_found() -> None:
    host = converged()
    ours = [r for r in host.group(FE_GROUP) if r["local_ports"] == "444"]
    host.state["rules"].remove(ours[0])
    host.state["rules"].append(lab_rule("Allow all", "", description="", protocol=256))
    host.state["profiles"]["4"]["enabled"] = 0
    host.state["profiles"]["1"]["inbound_action"] = 1
    variables = task_vars(
        FE,
        ocs_firewall_audit_accepted=[*_audit.DEFAULT_ACCEPTED, *LAB_OPEN_ON_FE, *LAB_WIDER_ON_FE],
    )
    result = audit(host, variables)
    assert [(f["kind"], f["rule"], f.get("profile")) for f in result["findings"]] == [
        ("missing_rule", ours[0]["name"], None),
        ("foreign_open_port", "Allow all", None),
        # Any address, where the Front End's rules take only its peers.
        ("wider_rule", "Allow all", None),
        ("profile_disabled", None, "public"),
        ("default_inbound_allow", None, "domain"),
    ]


def test_a_host_taken_out_of_a_group_shows_an_orphan_group() -> None:
    host = converged()
    names = task_vars(FE)["group_names"]
    variables = task_vars(
        FE,
        group_names=[g for g in names if g != "ocs_web_components"],
        ocs_firewall_audit_accepted=[*_audit.DEFAULT_ACCEPTED, *LAB_OPEN_ON_FE],
    )
    result = audit(host, variables)
    orphans = [f for f in result["findings"] if f["kind"] == "orphan_group"]
    assert [(f["group"], f["component"]) for f in orphans] == [
        (_catalogue.server_components()["web_components"].group, "web_components")
    ]
    assert orphans[0]["rules"]


@pytest.mark.parametrize(
    ("overrides", "args", "expected"),
    [
        pytest.param(
            {}, {"components": ["front_end", "fe"]}, 'components: "fe" is not', id="component"
        ),
        pytest.param({"ocs_front_end_profiles": ["work"]}, {}, "ocs_front_end_profiles", id="var"),
        pytest.param(
            {"ocs_firewall_audit_accepted": "Backup agent"},
            {},
            "ocs_firewall_audit_accepted: 'Backup agent' is not a list",
            id="accepted-variable",
        ),
        pytest.param({}, {"accepted": ["ok", ""]}, "accepted[1]: '' is not", id="accepted-option"),
    ],
)
def test_bad_input_sends_no_command(
    overrides: dict[str, Any], args: dict[str, Any], expected: str
) -> None:
    host = lab_host()
    result = audit(host, task_vars(FE, **overrides), **args)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{FE}: ") and expected in result["msg"]
    assert host.commands == []


def test_a_failed_read_fails_the_task() -> None:
    host = lab_host()
    host.service_stopped = True
    result = audit(host, task_vars(FE))
    assert result["failed"] is True and "findings" not in result
    assert len(host.commands) == 1
