"""The action plugins against a Windows Server 2003 host (the lab's 5.2 flavour).

``LabHost(os_version="5.2")`` is the lab's own reading of the legacy records and of
``HNetCfg.FwMgr`` (port-keyed entries, two profiles, Add overwrites), sharing no code with
the plugins. A 2003 host in these tests holds Archiving and Monitoring, collocated, or a
Front End.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from unittest import mock

from labhost import LabHost, run_action
from ocs_lab import seed

from ansible_collections.ocs.firewall.plugins.action import (
    win_firewall_info,
    win_firewall_rules,
    win_ocs_firewall,
    win_ocs_firewall_audit,
)

DOMAIN = 0
STANDARD = 1
SIP = {
    "name": "OCS SIP (added by hand)",
    "port": 5061,
    "profile": DOMAIN,
    "remote_addresses": "LocalSubnet",
}


class Templar:
    def template(self, value: Any) -> Any:
        return value


def variables(groups: list[str], **values: Any) -> dict[str, Any]:
    return {"inventory_hostname": "am03", "group_names": groups, **values}


def converge(
    host: LabHost, groups: list[str], *, check_mode: bool = False, diff: bool = False, **values: Any
) -> tuple[dict[str, Any], list[str]]:
    result, display = run_action(
        win_ocs_firewall.ActionModule,
        "ocs.firewall.win_ocs_firewall",
        host,
        {"components": None, "remove_unassigned": None, "peer_addresses": None},
        check_mode=check_mode,
        diff=diff,
        task_vars=variables(groups, **values),
        templar=Templar(),
    )
    return result, [c.args[0] for c in display.warning.call_args_list]


def seeded(*foreign: dict[str, Any]) -> LabHost:
    """A fresh 2003 host as the lab seeds one (an administrator's few entries), plus ``foreign``."""
    return LabHost(os_version="5.2", state=seed.legacy_state(list(foreign)))


def names(host: LabHost, profile: int) -> list[str]:
    return [e["name"] for e in host.entries(profile)]


COLLOCATED = ["ocs_archiving", "ocs_monitoring"]


def test_a_2003_host_converges_in_two_commands_and_then_holds_still() -> None:
    host = seeded()
    before = copy.deepcopy(host.entries(DOMAIN)), copy.deepcopy(host.entries(STANDARD))
    assert before[0] and before[1]
    result, _warnings = converge(
        host,
        COLLOCATED,
        ocs_archiving_remote_addresses=["10.10.0.0/24"],
        ocs_monitoring_remote_addresses=["10.20.0.5"],
    )
    assert not result.get("failed"), result
    assert result["changed"] and len(host.commands) == 2
    assert [r.op for r in host.requests] == ["read", "apply"]
    counts = result["reduced_mode"]["counts"]
    # Monitoring's 5069 is an opt-in (the Front End's port, catalogue seed-43): not made.
    assert counts == {"applied": 8, "not_applicable": 0, "refused": 2}
    assert result["summary"]["verdicts"] == counts
    # The seed's entries are still first, untouched; ours follow, one per key.
    for profile, held in zip((DOMAIN, STANDARD), before, strict=True):
        assert host.entries(profile)[: len(held)] == held
    shared = [e for e in host.entries(DOMAIN) if e["port"] == 135]
    assert shared == [
        {
            "name": "[ocs.firewall] Monitoring, Archiving - 135/TCP",
            "port": 135,
            "protocol": 6,
            "enabled": 1,
            "scope": 2,
            "remote_addresses": "10.10.0.0/255.255.255.0,10.20.0.5/255.255.255.255",
            "builtin": 0,
        }
    ]
    # Monitoring's own entry is the opt-in 5069 only: none here.
    assert not [n for n in names(host, STANDARD) if n.startswith("[ocs.firewall] Monitoring -")]

    again, _warnings = converge(
        host,
        COLLOCATED,
        ocs_archiving_remote_addresses=["10.10.0.0/24"],
        ocs_monitoring_remote_addresses=["10.20.0.5"],
    )
    assert not again["changed"] and len(host.commands) == 3
    assert again["msg"].startswith("am03: in sync, nothing to change")


def test_check_mode_reads_only_and_says_what_would_change() -> None:
    host = LabHost(os_version="5.2")
    before = copy.deepcopy(host.state)
    result, _warnings = converge(host, ["ocs_front_end"], check_mode=True, diff=True)
    assert result["changed"] and host.state == before
    assert [r.op for r in host.requests] == ["read"]
    prepared = result["diff"][0]["prepared"]
    assert prepared.startswith("am03: 32 to add, 0 to update, 0 to remove (Windows Server 2003")
    assert "reduced mode: 15 applied, 8 not applicable, 2 refused" in prepared
    assert "refused: OCS Front End 49152-65535/UDP In (seed-16): " in prepared
    assert "not applicable: OCS Front End 5060-5061/TCP Out (seed-01): " in prepared
    first = result["diff"][1]
    assert first["before_header"] == (
        "am03 | Domain profile | [ocs.firewall] Front End - 135/TCP (would be added)"
    )
    assert first["before"] == "" and "port: 135\n" in first["after"]
    assert len(result["diff"]) == 1 + 32


def test_a_foreign_entry_on_a_wanted_port_stays_byte_identical_and_is_reported() -> None:
    host = LabHost(os_version="5.2", legacy_entries=[SIP])
    (foreign,) = [copy.deepcopy(e) for e in host.entries(DOMAIN) if e["port"] == 5061]
    result, warnings = converge(host, ["ocs_front_end"])
    assert not result.get("failed"), result
    assert [e for e in host.entries(DOMAIN) if e["port"] == 5061] == [foreign]
    # Standard had no entry on 5061: there it is opened.
    assert "[ocs.firewall] Front End - 5061/TCP" in names(host, STANDARD)
    (conflict,) = result["reduced_mode"]["conflicts"]
    assert conflict["name"] == "OCS SIP (added by hand)" and conflict["profile"] == "Domain"
    assert result["summary"]["foreign"] == 1
    assert any(
        "'OCS SIP (added by hand)'" in w and "ocs_firewall_legacy_adopt" in w for w in warnings
    )
    # Adopting it takes it over in place.
    adopted, _warnings = converge(host, ["ocs_front_end"], ocs_firewall_legacy_adopt=["5061/tcp"])
    assert adopted["changed"] and not adopted["reduced_mode"]["conflicts"]
    (taken,) = [e for e in host.entries(DOMAIN) if e["port"] == 5061]
    assert taken["name"] == "[ocs.firewall] Front End - 5061/TCP" and taken["scope"] == 0


def test_decommission_keeps_a_shared_entry_while_one_component_remains() -> None:
    host = LabHost(os_version="5.2")
    # With Monitoring's own 5069 (an opt-in), so that it has an entry of its own.
    converge(host, COLLOCATED, ocs_monitoring_seed_qoe_port=True)
    shared = {
        (e["port"], e["protocol"])
        for e in host.entries(DOMAIN)
        if "Monitoring, Archiving" in e["name"]
    }
    tcp, udp = 6, 17
    assert shared == {(135, tcp), (1801, tcp), (2101, tcp), (2103, tcp), (2105, tcp)} | {
        (1801, udp),
        (3527, udp),
    }

    result, _warnings = converge(host, ["ocs_monitoring"], ocs_monitoring_seed_qoe_port=True)
    assert result["changed"]
    ours = {
        (e["port"], e["protocol"]): e["name"]
        for e in host.entries(DOMAIN)
        if e["name"].startswith("[ocs")
    }
    assert set(ours) == shared | {(5069, tcp)}
    assert ours[(135, tcp)] == "[ocs.firewall] Monitoring - 135/TCP"
    # Renamed in place by Add (overwrite): no CLOSE was ever sent for a shared port.
    assert host.legacy_requests[-1].closes == []

    gone, _warnings = converge(host, [])
    assert gone["summary"]["removed"] == 2 * len(ours)  # both profiles
    assert not [
        e for p in (DOMAIN, STANDARD) for e in host.entries(p) if e["name"].startswith("[ocs")
    ]


def test_a_failure_part_way_leaves_every_wanted_port_open() -> None:
    host = LabHost(os_version="5.2")
    converge(host, COLLOCATED)
    open_before = {
        (p, e["port"], e["protocol"]) for p in (DOMAIN, STANDARD) for e in host.entries(p)
    }
    host.fail_apply_midway = True
    result, _warnings = converge(host, ["ocs_monitoring"])
    assert result["failed"] and "access denied" in result["msg"]
    open_after = {
        (p, e["port"], e["protocol"]) for p in (DOMAIN, STANDARD) for e in host.entries(p)
    }
    assert open_after == open_before
    host.fail_apply_midway = False
    healed, _warnings = converge(host, ["ocs_monitoring"])
    assert not healed.get("failed") and healed["changed"]


def test_win_firewall_rules_refuses_a_2003_host_after_its_read() -> None:
    host = LabHost(os_version="5.2")
    before = copy.deepcopy(host.state)
    result, _display = run_action(
        win_firewall_rules.ActionModule,
        "ocs.firewall.win_firewall_rules",
        host,
        {
            "group": "Mine",
            "rules": [{"name": "x", "local_ports": 8080}],
            "state": "present",
            "purge": True,
        },
        task_vars={"inventory_hostname": "fe03"},
    )
    assert result["failed"] and not result["changed"]
    assert "Windows Server 2003 (5.2.3790.131072)" in result["msg"]
    assert "win_ocs_firewall" in result["msg"]
    assert host.state == before and [r.op for r in host.requests] == ["read"]


def test_win_firewall_info_reads_a_2003_hosts_entries_as_rules_too() -> None:
    host = LabHost(os_version="5.2", legacy_entries=[SIP])
    converge(host, ["ocs_front_end"])
    result, _display = run_action(
        win_firewall_info.ActionModule,
        "ocs.firewall.win_firewall_info",
        host,
        {"groups": [], "owned": False, "stored": False},
    )
    assert result["host"]["legacy"] is True and result["host"]["os_version"] == "5.2.3790.131072"
    assert set(result["profiles"]) == {"domain", "standard"}
    assert result["profiles"]["domain"]["current"] is True
    sip = [e for e in result["entries"] if e["name"] == "OCS SIP (added by hand)"]
    assert sip == [
        {
            "profile": "Domain",
            "port": 5061,
            "protocol": "tcp",
            "name": "OCS SIP (added by hand)",
            "remote_addresses": "LocalSubnet",
            "enabled": True,
            "builtin": False,
            "owned": False,
        }
    ]
    (rule,) = [r for r in result["rules"] if r["name"] == "[ocs.firewall] Front End - 5061/TCP"]
    assert rule["local_ports"] == ["5061"] and rule["profiles"] == ["private", "public"]
    assert rule["direction"] == "in" and rule["action"] == "allow" and rule["owned"] is True
    owned, _display = run_action(
        win_firewall_info.ActionModule,
        "ocs.firewall.win_firewall_info",
        host,
        {"groups": [], "owned": True, "stored": False},
    )
    assert owned["entries"] and all(e["owned"] for e in owned["entries"])


def test_the_audit_of_a_2003_host() -> None:
    host = seeded(SIP)
    converge(host, ["ocs_front_end"])
    host.state["legacy"]["1"]["exceptions_not_allowed"] = 1
    host.state["legacy"]["0"]["ports"] = [
        e
        for e in host.state["legacy"]["0"]["ports"]
        if e["name"] != "[ocs.firewall] Front End - 444/TCP"
    ]
    before = copy.deepcopy(host.state)
    result, _display = run_action(
        win_ocs_firewall_audit.ActionModule,
        "ocs.firewall.win_ocs_firewall_audit",
        host,
        {"components": None, "accepted": None, "peer_addresses": None},
        task_vars=variables(["ocs_front_end"]),
        templar=Templar(),
    )
    assert not result.get("failed"), result
    kinds = {f["kind"]: f for f in result["findings"]}
    assert kinds["missing_rule"]["rule"] == "[ocs.firewall] Front End - 444/TCP"
    assert kinds["missing_rule"]["profile"] == "domain"
    foreign = [f for f in result["findings"] if f["kind"] == "foreign_open_port"]
    assert {f["rule"] for f in foreign} == {
        "OCS SIP (added by hand)",
        "Backup Exec Remote Agent",
        "SNMP",
    }
    assert (
        "a conflict" in next(f for f in foreign if f["rule"] == "OCS SIP (added by hand)")["detail"]
    )
    assert kinds["exceptions_not_allowed"]["profile"] == "standard"
    assert result["counts"]["extra_rule"] == 0
    assert host.state == before and [r.op for r in host.requests][-1] == "read"


def _closing_135_before(host: LabHost, *, inside_the_request: bool) -> Any:
    """An execute that closes the 135 entries just before the host runs the apply: as
    another run between the read and the apply, or (``inside_the_request``) within the
    apply itself, after the host compared its digest (the SEEN line is not sent)."""

    def execute(cmd: str, **kwargs: Any) -> dict[str, Any]:
        if b"\nOP\tapply\n" in kwargs["in_data"]:
            for profile in ("0", "1"):
                ports = host.state["legacy"][profile]["ports"]
                ports[:] = [e for e in ports if e["port"] != 135]
            if inside_the_request:
                kwargs["in_data"] = re.sub(rb"\nSEEN\t[0-9a-f]+", b"", kwargs["in_data"])
        return host.execute(cmd, **kwargs)

    return execute


def _close_everything(host: LabHost, execute: Any) -> tuple[dict[str, Any], Any]:
    return run_action(
        win_ocs_firewall.ActionModule,
        "ocs.firewall.win_ocs_firewall",
        host,
        {"components": None, "remove_unassigned": None, "peer_addresses": None},
        task_vars=variables([]),
        templar=Templar(),
        execute=execute,
    )


def test_entries_changed_between_the_read_and_the_apply_are_read_and_planned_again() -> None:
    host = LabHost(os_version="5.2")
    converge(host, COLLOCATED)
    result, display = _close_everything(host, _closing_135_before(host, inside_the_request=False))
    assert not result.get("failed"), result
    assert result["changed"] and result["replans"] == 1
    warned = [c.args[0] for c in display.warning.call_args_list]
    assert any("changed between the read and the apply" in w for w in warned), warned
    # Planned again from what the host held: the entries the other run closed are not
    # in this run's list, and none of ours is left.
    closed = {r for removal in result["removals"] for r in removal["rules"]}
    assert closed and not any("135" in name for name in closed)
    again, _warnings = converge(host, [])
    assert not again["changed"], again


def test_an_entry_gone_within_the_apply_is_said_and_left() -> None:
    import ansible_collections.ocs.firewall.plugins.plugin_utils._remote._client as remote

    host = LabHost(os_version="5.2")
    converge(host, COLLOCATED)
    warning = mock.create_autospec(remote.display.warning)
    with mock.patch.object(remote.display, "warning", warning):
        result, _display = _close_everything(
            host, _closing_135_before(host, inside_the_request=True)
        )
    assert not result.get("failed"), result
    assert result["replans"] == 0
    warned = [c.args[0] for c in warning.call_args_list]
    assert any("Domain 135/TCP" in w and "left as they are" in w for w in warned), warned


def test_a_connection_lost_during_a_2003_apply_says_what_may_have_happened() -> None:
    host = LabHost(os_version="5.2")
    host.lose_apply = ("after", ConnectionResetError("connection reset by peer"))
    result, _warnings = converge(host, ["ocs_front_end"])
    assert result["failed"] and result["changed"]
    assert result["msg"].startswith(
        "The connection to the host failed while it was changing its firewall entries "
        "(ConnectionResetError: connection reset by peer)."
    )
    assert "(open 32, close 0 entries)" in result["msg"]
    assert "every port that stays wanted is still open" in result["msg"]
    # The host did run it: the next run finds it in sync.
    host.lose_apply = None
    again, _warnings = converge(host, ["ocs_front_end"])
    assert not again.get("failed") and not again["changed"]


def test_entries_named_by_earlier_releases_are_renamed_then_the_host_holds_still() -> None:
    """Earlier releases named entries ``[ocs.firewall] <labels>: <port>/<TCP|UDP>``; ':' is
    the separator of 2003's own port exceptions. The next run takes them for the
    collection's and renames them (an OPEN of their key, which the host lets overwrite an
    entry of ours: its name matches the apply's MARKER); what is not ours stays as it is."""
    scopes = {
        "ocs_archiving_remote_addresses": ["10.10.0.0/24"],
        "ocs_monitoring_remote_addresses": ["10.20.0.5"],
    }
    host = seeded(SIP)
    converge(host, COLLOCATED, **scopes)
    renamed = {}
    for profile in (DOMAIN, STANDARD):
        for entry in host.state["legacy"][str(profile)]["ports"]:
            if entry["name"].startswith("[ocs.firewall] "):
                new = entry["name"]
                entry["name"] = re.sub(r" - (?=[0-9]+/(?:TCP|UDP)$)", ": ", new)
                renamed[(profile, entry["port"], entry["protocol"])] = (entry["name"], new)
    assert renamed and all(":" in old for old, _new in renamed.values())
    foreign = [
        copy.deepcopy(e)
        for profile in (DOMAIN, STANDARD)
        for e in host.entries(profile)
        if not e["name"].startswith("[ocs.firewall] ")
    ]
    assert any(e["name"] == SIP["name"] for e in foreign)

    result, _warnings = converge(host, COLLOCATED, **scopes)

    assert not result.get("failed"), result
    assert result["changed"] and result["summary"]["updated"] == len(renamed)
    assert result["summary"]["added"] == result["summary"]["removed"] == 0
    (apply,) = host.legacy_requests[-1:]
    assert not apply.closes and not any(line.adopt for line in apply.opens)
    now = {
        (profile, e["port"], e["protocol"]): e["name"]
        for profile in (DOMAIN, STANDARD)
        for e in host.entries(profile)
    }
    assert {key: now[key] for key in renamed} == {k: new for k, (_old, new) in renamed.items()}
    assert [
        e
        for profile in (DOMAIN, STANDARD)
        for e in host.entries(profile)
        if not e["name"].startswith("[ocs.firewall] ")
    ] == foreign

    again, _warnings = converge(host, COLLOCATED, **scopes)
    assert not again["changed"] and host.requests[-1].op == "read"
