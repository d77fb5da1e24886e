"""Bad input is refused with a clear message before any command reaches a host.

The quality bar: the message names the host, the option (or the role variable) and the bad
value, and the lab trace of every host stays empty. Three ways in, each with its cases:

* tasks (``win_firewall_rules``, ``win_ocs_firewall`` with a ``components`` list or
  dictionary, the component roles, the ``ports`` lookup): ONE ansible-playbook run
  against one fresh lab host (a run per case would cost ~2 s of start-up each); each
  case is a block whose rescue marks the case done, and the recording callback
  (dev/harness/callback_plugins/ocs_record.py) keeps the failure each case produced;
* ``playbooks/site.yml`` with bad role variables: ONE run over an inventory where each
  bad host has its own problem, so the one run must report every host's problem (the
  preflight checks every host on the controller, contacting none).

What is NOT bad input here: rule names, descriptions and group names holding quotes,
``$()``, back ticks or new lines are data (win_firewall_rules documents "any character
except |"); test_hostile_data.py proves they are stored verbatim and never become script
text. Those characters ARE bad where the value must be a port, an address, a profile, a
state or a component key, and these cases are below. A NUL is bad everywhere: Windows
keeps names, descriptions and groups as NUL-terminated strings.

A component (unknown or not) only exists for win_ocs_firewall and site.yml; ports exist
only in win_firewall_rules rules (a component's ports come from the catalogue), so the
"reversed range" of the component settings is an address range.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import PLAN_TASK, PREFLIGHT_TASK, SITE_TASK

GROUP = "OCS Reliability - bad input"
LONG_NAME = "N" * 256
HOST = "bad01"
BUILT_IN = "@FirewallAPI.dll,-28752"  # Remote Desktop
SUBEXPRESSION = "$(Stop-Service MpsSvc)"


@dataclass(frozen=True)
class Case:
    id: str
    task: dict[str, Any]
    # The option or variable the message must name, and the bad value it must show
    # (quoted as repr or JSON shows it; a plain word may also stand bare). None: no value.
    option: str
    value: Any = None
    # More text the message must hold.
    expect: tuple[str, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    xfail: str = ""


def _rules(*rules: Any, **options: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"group": GROUP, "rules": list(rules)}
    args.update(options)
    return {"ocs.firewall.win_firewall_rules": args}


def _rule(**fields: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": "OCS test rule", "local_ports": 443}
    rule.update(fields)
    return rule


def _group(group: Any) -> dict[str, Any]:
    return {"ocs.firewall.win_firewall_rules": {"group": group, "rules": [_rule()]}}


def _lookup(expr: str) -> dict[str, Any]:
    return {"ansible.builtin.debug": {"msg": "{{ " + expr + " }}"}}


def _role(role: str) -> dict[str, Any]:
    return {"ansible.builtin.include_role": {"name": f"ocs.firewall.{role}"}}


def _host(components: Any = None, **options: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(options)
    if components is not None:
        args["components"] = components
    return {"ocs.firewall.win_ocs_firewall": args}


MODULE_CASES = [
    Case("port-0", _rules(_rule(local_ports=0)), "local_ports", "0", ("out of range",)),
    Case("port-70000", _rules(_rule(local_ports=70000)), "local_ports", "70000"),
    Case("remote-port-70000", _rules(_rule(remote_ports="70000")), "remote_ports", "70000"),
    Case("reversed-range", _rules(_rule(local_ports="90-80")), "local_ports", "90-80"),
    Case("port-not-number", _rules(_rule(local_ports="https")), "local_ports", "https"),
    Case(
        "port-wrong-type",
        _rules(_rule(local_ports={"port": 443})),
        "local_ports",
        expect=("{'port': 443}",),
    ),
    Case("port-newline", _rules(_rule(local_ports="443\n80")), "local_ports", "443\n80"),
    Case("port-nul", _rules(_rule(local_ports="443\x00")), "local_ports", "443\x00"),
    Case(
        "ports-with-any",
        _rules(_rule(protocol="any", local_ports=443)),
        "local_ports",
        443,
        ("any",),
    ),
    Case(
        "remote-ports-with-any",
        _rules(_rule(protocol="any", local_ports=None, remote_ports="5060")),
        "remote_ports",
        "5060",
        ("any",),
    ),
    Case(
        "bad-address-octet",
        _rules(_rule(remote_addresses="10.0.0.256")),
        "remote_addresses",
        "10.0.0.256",
    ),
    Case(
        "bad-address-word",
        _rules(_rule(local_addresses=["10.0.0.1", "frontend01"])),
        "local_addresses",
        "frontend01",
    ),
    Case(
        "address-with-quote",
        _rules(_rule(remote_addresses="10.0.0.1'; exit; '")),
        "remote_addresses",
        "10.0.0.1'; exit; '",
    ),
    Case(
        "bad-prefix",
        _rules(_rule(remote_addresses="10.0.0.0/33")),
        "remote_addresses",
        "10.0.0.0/33",
    ),
    Case(
        "reversed-address-range",
        _rules(_rule(remote_addresses="10.0.0.9-10.0.0.1")),
        "remote_addresses",
        "10.0.0.9-10.0.0.1",
    ),
    Case(
        "duplicate-names",
        _rules(_rule(name="OCS SIP"), _rule(name="OCS SIP", local_ports=5061)),
        "name",
        "OCS SIP",
        ("unique",),
    ),
    Case(
        "duplicate-names-case",
        _rules(_rule(name="OCS Web"), _rule(name="ocs web", local_ports=80)),
        "name",
        "ocs web",
        ("'OCS Web'",),
    ),
    Case("name-with-pipe", _rules(_rule(name="OCS|SIP")), "name", "OCS|SIP", ("|",)),
    Case("name-256-chars", _rules(_rule(name=LONG_NAME)), "name", expect=("256",)),
    Case("name-empty", _rules(_rule(name="")), "name", expect=("empty",)),
    Case("name-missing", _rules({"local_ports": 443}), "name", expect=("required",)),
    Case("name-reserved", _rules(_rule(name="all")), "name", "all", ("reserved",)),
    Case(
        "name-tombstone",
        _rules(_rule(name="ocs.firewall-removing-0123")),
        "name",
        "ocs.firewall-removing-0123",
    ),
    Case("name-not-string", _rules(_rule(name=["a", "b"])), "name", expect=("['a', 'b']",)),
    Case("description-with-pipe", _rules(_rule(description="a|b")), "description", "a|b"),
    Case(
        "description-fakes-the-marker",
        _rules(_rule(description="mine [ocs.firewall catalogue seed-01]")),
        "description",
        "mine [ocs.firewall catalogue seed-01]",
    ),
    Case("group-empty", _group(""), "group", ""),
    Case("group-with-pipe", _group("OCS|Front End"), "group", "OCS|Front End"),
    Case("group-built-in", _group(BUILT_IN), "group", BUILT_IN, ("built-in",)),
    Case(
        "group-built-in-padded",
        _group("  @FirewallAPI.dll,-28502"),
        "group",
        "  @FirewallAPI.dll,-28502",
        ("built-in",),
    ),
    Case("direction-bad", _rules(_rule(direction="inbound")), "direction", "inbound"),
    Case("direction-backtick", _rules(_rule(direction="in`nout")), "direction", "in`nout"),
    Case("action-bad", _rules(_rule(action="permit")), "action", "permit"),
    Case(
        "action-subexpression",
        _rules(_rule(action=f"allow{SUBEXPRESSION}")),
        "action",
        f"allow{SUBEXPRESSION}",
    ),
    Case("protocol-bad", _rules(_rule(protocol="icmp")), "protocol", "icmp"),
    Case("profile-bad", _rules(_rule(profiles=["domain", "work"])), "profiles", "work"),
    Case("profile-newline", _rules(_rule(profiles=["domain\nwork"])), "profiles", "domain\nwork"),
    Case("enabled-bad", _rules(_rule(enabled="maybe")), "enabled", "maybe"),
    Case("unknown-rule-field", _rules(_rule(port=443)), "port", expect=("unknown field",)),
    Case("rule-not-dict", _rules("OCS SIP 5061"), "rules", "OCS SIP 5061"),
    Case("state-bad", _rules(_rule(), state="gone"), "state", "gone"),
    Case("purge-bad", _rules(_rule(), purge="sometimes"), "purge", "sometimes"),
    Case(
        "unknown-option",
        {"ocs.firewall.win_firewall_rules": {"group": GROUP, "rules": [_rule()], "rule": "x"}},
        "rule",
        expect=("Unsupported parameters",),
    ),
    Case("name-nul", _rules(_rule(name="OCS nul\x00name")), "name", "OCS nul\x00name", ("NUL",)),
    Case("group-nul", _group("OCS nul\x00group"), "group", "OCS nul\x00group", ("NUL",)),
    Case(
        "description-nul",
        _rules(_rule(description="a\x00b")),
        "description",
        "a\x00b",
        ("NUL",),
    ),
]

# win_ocs_firewall: a components list or dictionary; messages name the option path
# (components.<key>.<setting>) and start with the host.
HOST_MODULE_CASES = [
    Case("host-unknown-component-list", _host(["front_ends"]), "components", "front_ends"),
    Case("host-unknown-component-dict", _host({"pbx": {}}), "components", "pbx"),
    Case(
        "host-unknown-component-subexpression",
        _host({f"front_end{SUBEXPRESSION}": {}}),
        "components",
        f"front_end{SUBEXPRESSION}",
    ),
    Case(
        "host-unknown-component-quote",
        _host({"edge'; exit 1; '": None}),
        "components",
        "edge'; exit 1; '",
    ),
    Case(
        "host-unknown-component-newline-list",
        _host(["front_end\nedge"]),
        "components",
        "front_end\nedge",
    ),
    Case(
        "host-components-not-list",
        _host("front_end edge"),
        "components",
        "front_end edge",
    ),
    Case(
        "host-settings-not-dict",
        _host({"front_end": ["domain"]}),
        "components.front_end",
        ["domain"],
    ),
    Case(
        "host-unknown-setting",
        _host({"front_end": {"grup": "x"}}),
        "components.front_end.grup",
        expect=("unknown setting",),
    ),
    Case(
        "host-reversed-address-range",
        _host({"director": {"remote_addresses": ["10.0.0.9-10.0.0.1"]}}),
        "components.director.remote_addresses",
        "10.0.0.9-10.0.0.1",
    ),
    Case(
        "host-address-subexpression",
        _host({"cwa": {"remote_addresses": [f"10.0.0.1{SUBEXPRESSION}"]}}),
        "components.cwa.remote_addresses",
        f"10.0.0.1{SUBEXPRESSION}",
    ),
    Case(
        "host-state-newline",
        _host({"front_end": {"state": "present\nabsent"}}),
        "components.front_end.state",
        "present\nabsent",
    ),
    Case(
        "host-profile-backtick",
        _host({"front_end": {"profiles": ["domain`n"]}}),
        "components.front_end.profiles",
        "domain`n",
    ),
    Case(
        "host-profile-nul",
        _host({"front_end": {"profiles": ["domain\x00"]}}),
        "components.front_end.profiles",
        "domain\x00",
    ),
    Case(
        "host-bool-bad",
        _host({"edge": {"include_outbound": "sometimes"}}),
        "components.edge.include_outbound",
        "sometimes",
    ),
    Case(
        "host-edge-keyword-local",
        _host({"edge": {"internal_addresses": ["LocalSubnet"]}}),
        "components.edge.internal_addresses",
        "LocalSubnet",
    ),
    Case(
        "host-edge-address-on-both-sides",
        _host({"edge": {"internal_addresses": ["192.0.2.1"], "external_addresses": ["192.0.2.1"]}}),
        "components.edge.internal_addresses",
        "192.0.2.1",
        ("components.edge.external_addresses",),
    ),
    Case(
        "host-group-built-in",
        _host({"front_end": {"group": BUILT_IN}}),
        "components.front_end.group",
        BUILT_IN,
        ("built-in",),
    ),
    Case(
        "host-group-nul",
        _host({"front_end": {"group": "OCS nul\x00group"}}),
        "components.front_end.group",
        "OCS nul\x00group",
        ("NUL",),
    ),
    Case(
        "host-group-with-pipe",
        _host({"cwa": {"group": "CWA|rules"}}),
        "components.cwa.group",
        "CWA|rules",
    ),
    Case(
        "host-two-components-one-group",
        _host({"front_end": {"group": "OCS Shared"}, "director": {"group": "ocs shared"}}),
        "components.director.group",
        "ocs shared",
        ("components.front_end.group", '"OCS Shared"'),
    ),
    Case(
        "host-two-components-default-group",
        _host({"front_end": {}, "director": {"group": "OCS 2007 R2 - FRONT END"}}),
        "components.director.group",
        "OCS 2007 R2 - FRONT END",
        ("components.front_end.group",),
    ),
    Case(
        "host-remove-unassigned-bad",
        _host(["front_end"], remove_unassigned="sometimes"),
        "remove_unassigned",
        "sometimes",
    ),
    # Settings from the host's variables: the messages name the variables.
    Case(
        "host-variable-built-in-group",
        _host(["front_end"]),
        "ocs_front_end_group",
        BUILT_IN,
        vars={"ocs_front_end_group": BUILT_IN},
    ),
    Case(
        "host-variable-two-components-one-group",
        _host(["front_end", "cwa"]),
        "ocs_cwa_group",
        "OCS 2007 R2 - Front End",
        ("ocs_front_end_group",),
        vars={"ocs_cwa_group": "OCS 2007 R2 - Front End"},
    ),
    Case(
        "host-variable-remove-unassigned-bad",
        _host(["front_end"]),
        "ocs_firewall_remove_unassigned",
        "sometimes",
        vars={"ocs_firewall_remove_unassigned": "sometimes"},
    ),
    Case(
        "host-variable-collection-profiles",
        _host(["front_end"]),
        "ocs_firewall_profiles",
        "work",
        vars={"ocs_firewall_profiles": ["work"]},
    ),
    Case(
        "host-dict-collection-profiles",
        _host({"front_end": {}}),
        "ocs_firewall_profiles",
        "work",
        vars={"ocs_firewall_profiles": ["work"]},
    ),
]

LOOKUP_CASES = [
    Case(
        "lookup-unknown-component",
        _lookup("lookup('ocs.firewall.ports', 'front_ends')"),
        "component",
        "front_ends",
    ),
    Case(
        "lookup-unknown-in-list",
        _lookup("lookup('ocs.firewall.ports', ['edge', 'pbx'])"),
        "component",
        "pbx",
    ),
    Case(
        "lookup-bad-direction",
        _lookup("lookup('ocs.firewall.ports', 'edge', direction='sideways')"),
        "direction",
        "sideways",
    ),
    Case(
        "lookup-bad-interface",
        _lookup("lookup('ocs.firewall.ports', 'edge', interface='dmz')"),
        "interface",
        "dmz",
    ),
    Case(
        "lookup-bad-host-kind",
        _lookup("lookup('ocs.firewall.ports', host_kind='router')"),
        "host_kind",
        "router",
    ),
    Case(
        "lookup-bad-transport",
        _lookup("lookup('ocs.firewall.ports', 'front_end', transport='icmp')"),
        "transport",
        "icmp",
    ),
    Case(
        "lookup-bad-bool",
        _lookup("lookup('ocs.firewall.ports', 'front_end', seed_only='perhaps')"),
        "seed_only",
        "perhaps",
    ),
]

# The generated component roles (thin calls of win_ocs_firewall) with bad variables.
ROLE_CASES = [
    Case(
        "role-edge-bad-internal-address",
        _role("edge"),
        "ocs_edge_internal_addresses",
        "192.0.2.300",
        vars={"ocs_edge_internal_addresses": ["192.0.2.300"]},
    ),
    Case(
        "role-edge-keyword-as-interface-address",
        _role("edge"),
        "ocs_edge_external_addresses",
        "LocalSubnet",
        vars={"ocs_edge_external_addresses": ["LocalSubnet"]},
    ),
    Case(
        "role-mediation-bad-gateway-address",
        _role("mediation"),
        "ocs_mediation_gateway_addresses",
        "gateway.example",
        vars={"ocs_mediation_gateway_addresses": ["gateway.example"]},
    ),
    Case(
        "role-front-end-unknown-profile",
        _role("front_end"),
        "ocs_front_end_profiles",
        "work",
        vars={"ocs_front_end_profiles": ["domain", "work"]},
    ),
    Case(
        "role-front-end-unknown-state",
        _role("front_end"),
        "ocs_front_end_state",
        "gone",
        vars={"ocs_front_end_state": "gone"},
    ),
    Case(
        "role-director-bad-remote-address",
        _role("director"),
        "ocs_director_remote_addresses",
        "10.1.1.1/40",
        vars={"ocs_director_remote_addresses": ["10.1.1.1/40"]},
    ),
    Case(
        "role-director-reversed-address-range",
        _role("director"),
        "ocs_director_remote_addresses",
        "10.1.1.9-10.1.1.1",
        vars={"ocs_director_remote_addresses": ["10.1.1.9-10.1.1.1"]},
    ),
    Case(
        "role-cwa-group-with-pipe",
        _role("cwa"),
        "ocs_cwa_group",
        "CWA|rules",
        vars={"ocs_cwa_group": "CWA|rules"},
    ),
    Case(
        "role-front-end-built-in-group",
        _role("front_end"),
        "ocs_front_end_group",
        BUILT_IN,
        ("built-in",),
        vars={"ocs_front_end_group": BUILT_IN},
    ),
    Case(
        "role-front-end-collection-profiles",
        _role("front_end"),
        "ocs_firewall_profiles",
        "work",
        vars={"ocs_firewall_profiles": ["work"]},
    ),
]

CASES = MODULE_CASES + HOST_MODULE_CASES + LOOKUP_CASES + ROLE_CASES


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


# How Ansible's own argument checks (types, choices, unknown options) start their messages.
ANSIBLE_OWN_CHECKS = ("argument ", "value of ", "Unsupported parameters", "Validation of arguments")


def shows_value(message: str, value: Any) -> bool:
    """True when ``message`` shows ``value`` the way messages quote it: Python's repr or
    JSON (so a new line or a NUL reads as an escape, never raw), or, for a plain word, bare
    (Ansible's own argument checks print ``got: gone``)."""
    if value is None:
        return True
    forms = {repr(value), json.dumps(value, ensure_ascii=False), json.dumps(value)}
    if any(form in message for form in forms):
        return True
    text = str(value)
    if re.fullmatch(r"[\w.@,/:-]+", text):
        return re.search(rf"(?<![\w.]){re.escape(text)}(?![\w])", message) is not None
    return False


def _playbook(hosts: dict[str, list[Case]]) -> str:
    plays = []
    for host, mine in hosts.items():
        tasks = []
        for case in mine:
            task = {"name": f"case {case.id}", **case.task}
            if case.vars:
                task["vars"] = case.vars
            tasks.append(
                {
                    "name": f"block {case.id}",
                    "block": [task],
                    "rescue": [
                        {"name": f"rescued {case.id}", "ansible.builtin.debug": {"msg": "refused"}}
                    ],
                }
            )
        play = {"name": f"Bad input on {host}", "hosts": host, "gather_facts": False}
        plays.append({**play, "tasks": tasks})
    return yaml.safe_dump(plays, sort_keys=False, allow_unicode=True, width=1000)


@pytest.fixture(scope="module")
def bad_input_run(
    start_lab: Callable[..., Any],
    play: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    lab = start_lab(
        {"all": {"children": {"ocs_front_end": {"hosts": {HOST: None}}}}}, name="bad-input"
    )
    before = lab.dump()
    # YAML escapes (a NUL is "\0") keep every value intact in the file.
    path = tmp_path_factory.mktemp("bad-input") / "bad-input.yml"
    path.write_text(_playbook({HOST: CASES}), encoding="utf-8")
    run = play(path, lab.inventory)
    failures: dict[str, list[dict[str, Any]]] = {}
    pending: list[dict[str, Any]] = []
    for record in run.records:
        if record["event"] == "failed":
            pending.append(record)
        elif record["event"] == "ok" and record["task"].startswith("rescued "):
            failures[record["task"].removeprefix("rescued ")] = pending
            pending = []
    return {
        "run": run,
        "failures": failures,
        "commands": lab.commands(HOST),
        "before": before,
        "after": lab.dump(),
    }


def _shown_message(record: dict[str, Any]) -> str:
    """The message a user sees: the task's, and for a loop, each failed item's too."""
    parts = [record["msg"]]
    for item in record["result"].get("results", []) or []:
        if isinstance(item, dict) and item.get("failed"):
            parts.append(str(item.get("msg", "")))
    return "\n".join(parts)


def test_there_are_at_least_60_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_refused_with_message_naming_host_option_and_value(
    case: Case, bad_input_run: dict[str, Any]
) -> None:
    run = bad_input_run["run"]
    assert run.rc == 0, f"the bad-input playbook itself broke:\n{run.tail()}"
    failures = bad_input_run["failures"].get(case.id)
    assert failures is not None, f"case {case.id} was not refused (no failure recorded)"
    assert len(failures) == 1, f"case {case.id}: expected one failure, got {failures}"
    record = failures[0]
    message = _shown_message(record)
    # Ansible prints a task's failure as "fatal: [<host>]: FAILED! => {... msg ...}"; the
    # collection's modules also start each problem they find with the host, as the
    # preflight does (an option of the wrong type is refused by Ansible's own argument
    # check, in Ansible's words).
    assert record["host"] == HOST, record
    ours = record["action"].endswith(("win_firewall_rules", "win_ocs_firewall"))
    if ours and not message.startswith(ANSIBLE_OWN_CHECKS):
        assert message.startswith(f"{HOST}: "), message
    assert case.option in message, f"case {case.id}: option {case.option!r} not in {message!r}"
    assert shows_value(message, case.value), (
        f"case {case.id}: value {case.value!r} not shown in {message!r}"
    )
    for text in case.expect:
        assert text in message, f"case {case.id}: {text!r} not in error message {message!r}"


def test_no_command_reached_the_host(bad_input_run: dict[str, Any]) -> None:
    assert bad_input_run["commands"] == {HOST: 0}
    assert bad_input_run["after"] == bad_input_run["before"]


# --- site.yml: role variables of many hosts, one run ---------------------------------------


@dataclass(frozen=True)
class SiteCase:
    id: str
    # {group: host vars}: the groups the host is in, and its variables.
    groups: dict[str, dict[str, Any]]
    # One (variable, value, more text) per problem the host has.
    problems: tuple[tuple[str, Any, tuple[str, ...]], ...]

    @property
    def host(self) -> str:
        return f"st-{self.id}"


SITE_CASES = [
    SiteCase(
        "edge-bad-internal-address",
        {"ocs_edge": {"ocs_edge_internal_addresses": ["192.0.2.300"]}},
        (("ocs_edge_internal_addresses", "192.0.2.300", ()),),
    ),
    SiteCase(
        "edge-address-on-both-sides",
        {
            "ocs_edge": {
                "ocs_edge_internal_addresses": ["192.0.2.5"],
                "ocs_edge_external_addresses": ["192.0.2.5"],
            }
        },
        (("ocs_edge_internal_addresses", "192.0.2.5", ("ocs_edge_external_addresses",)),),
    ),
    SiteCase(
        "mediation-gateway-name",
        {"ocs_mediation": {"ocs_mediation_gateway_addresses": ["gateway.example"]}},
        (("ocs_mediation_gateway_addresses", "gateway.example", ()),),
    ),
    SiteCase(
        "director-reversed-address-range",
        {"ocs_director": {"ocs_director_remote_addresses": ["10.0.0.9-10.0.0.1"]}},
        (("ocs_director_remote_addresses", "10.0.0.9-10.0.0.1", ()),),
    ),
    SiteCase(
        "front-end-built-in-group",
        {"ocs_front_end": {"ocs_front_end_group": BUILT_IN}},
        (("ocs_front_end_group", BUILT_IN, ("built-in",)),),
    ),
    SiteCase(
        "two-components-one-group",
        {"ocs_front_end": {}, "ocs_director": {"ocs_director_group": "OCS 2007 R2 - front end"}},
        (("ocs_director_group", "OCS 2007 R2 - front end", ("ocs_front_end_group",)),),
    ),
    SiteCase(
        "two-components-one-chosen-group",
        {
            "ocs_av_conferencing": {"ocs_av_conferencing_group": "OCS Conferencing"},
            "ocs_web_conferencing": {"ocs_web_conferencing_group": "ocs conferencing"},
        },
        (
            (
                "ocs_web_conferencing_group",
                "ocs conferencing",
                ("ocs_av_conferencing_group", '"OCS Conferencing"'),
            ),
        ),
    ),
    SiteCase(
        "cwa-state-newline",
        {"ocs_cwa": {"ocs_cwa_state": "present\nabsent"}},
        (("ocs_cwa_state", "present\nabsent", ()),),
    ),
    SiteCase(
        "group-chat-profile-backtick",
        {"ocs_group_chat": {"ocs_group_chat_profiles": ["domain`nprivate"]}},
        (("ocs_group_chat_profiles", "domain`nprivate", ()),),
    ),
    SiteCase(
        "monitoring-address-subexpression",
        {"ocs_monitoring": {"ocs_monitoring_remote_addresses": [SUBEXPRESSION]}},
        (("ocs_monitoring_remote_addresses", SUBEXPRESSION, ()),),
    ),
    SiteCase(
        "archiving-address-quote",
        {"ocs_archiving": {"ocs_archiving_remote_addresses": ["10.0.0.1'; exit; '"]}},
        (("ocs_archiving_remote_addresses", "10.0.0.1'; exit; '", ()),),
    ),
    SiteCase(
        "sql-backend-address-nul",
        {"ocs_sql_backend": {"ocs_sql_backend_remote_addresses": ["192.0.2.0/24\x00"]}},
        (("ocs_sql_backend_remote_addresses", "192.0.2.0/24\x00", ()),),
    ),
    SiteCase(
        "web-conferencing-group-nul",
        {"ocs_web_conferencing": {"ocs_web_conferencing_group": "OCS nul\x00group"}},
        (("ocs_web_conferencing_group", "OCS nul\x00group", ("NUL",)),),
    ),
    SiteCase(
        "reverse-proxy-bool",
        {"ocs_reverse_proxy": {"ocs_reverse_proxy_include_extras": "sometimes"}},
        (("ocs_reverse_proxy_include_extras", "sometimes", ()),),
    ),
    # Windows Server 2003's reduced mode: its variables are checked with every other.
    SiteCase(
        "legacy-adopt-port-zero",
        {"ocs_front_end": {"ocs_firewall_legacy_adopt": ["0/tcp"]}},
        (("ocs_firewall_legacy_adopt", "0/tcp", ()),),
    ),
    SiteCase(
        "legacy-adopt-subexpression",
        {"ocs_front_end": {"ocs_firewall_legacy_adopt": ["5061/$(whoami)"]}},
        (("ocs_firewall_legacy_adopt", "5061/$(whoami)", ()),),
    ),
    SiteCase(
        "legacy-rpc-ports-too-many",
        {"ocs_monitoring": {"ocs_firewall_legacy_rpc_ports": "5000-70000"}},
        (("ocs_firewall_legacy_rpc_ports", "5000-70000", ()),),
    ),
    SiteCase(
        "legacy-rpc-ports-reversed",
        {"ocs_archiving": {"ocs_firewall_legacy_rpc_ports": "5100-5000"}},
        (("ocs_firewall_legacy_rpc_ports", "5100-5000", ()),),
    ),
    SiteCase(
        "web-components-two-problems",
        {
            "ocs_web_components": {
                "ocs_web_components_state": "gone",
                "ocs_web_components_profiles": ["work"],
            }
        },
        (
            ("ocs_web_components_state", "gone", ()),
            ("ocs_web_components_profiles", "work", ()),
        ),
    ),
]
GOOD_HOSTS = {
    "st-good-front-end": ("ocs_front_end", {}),
    "st-good-edge": (
        "ocs_edge",
        {
            "ocs_edge_internal_addresses": ["192.0.2.7"],
            "ocs_edge_external_addresses": ["198.51.100.7"],
        },
    ),
}


def _site_estate(
    cases: list[SiteCase], good: Mapping[str, tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    children: dict[str, Any] = {}
    for case in cases:
        for group, hv in case.groups.items():
            children.setdefault(group, {"hosts": {}})["hosts"][case.host] = dict(hv) or None
    for host, (group, variables) in good.items():
        children.setdefault(group, {"hosts": {}})["hosts"][host] = dict(variables) or None
    # The good hosts first: the preflight runs once, on the play's first host.
    ordered = {g: children[g] for g in sorted(children, key=lambda g: g != "ocs_front_end")}
    return {"all": {"children": ordered}}


@pytest.fixture(scope="module")
def site_run(
    start_lab: Callable[..., Any], play: Callable[..., Any], repo_root: Path
) -> dict[str, Any]:
    lab = start_lab(_site_estate(SITE_CASES, GOOD_HOSTS), name="bad-site")
    before = lab.dump()
    run = play(repo_root / "playbooks" / "site.yml", lab.inventory)
    failed = [r for r in run.records if r["event"] == "failed"]
    return {
        "run": run,
        "failed": failed,
        "commands": lab.commands(),
        "before": before,
        "after": lab.dump(),
    }


def _preflight_failure(site_run: dict[str, Any]) -> dict[str, Any]:
    """The preflight's record, every cause said once in its message; each bad host failed
    on its own, in the plan task, with its part of it, before any host was read."""
    (record,) = [r for r in site_run["run"].records if r["task"] == PREFLIGHT_TASK]
    assert record["status"] == "ok", record
    failed = {r["host"]: r for r in site_run["failed"]}
    assert {r["task"] for r in failed.values()} == {PLAN_TASK}
    assert {h: r["result"]["msg"] for h, r in failed.items()} == record["result"]["stops"]
    return record


@pytest.mark.parametrize("case", SITE_CASES, ids=[c.id for c in SITE_CASES])
def test_site_refuses_naming_host_variable_and_value(
    case: SiteCase, site_run: dict[str, Any]
) -> None:
    run = site_run["run"]
    assert run.rc != 0
    record = _preflight_failure(site_run)
    problems = record["result"]["problems"].get(case.host)
    assert problems is not None, f"{case.host} not reported: {record['msg']}"
    assert len(problems) == len(case.problems), problems
    for variable, value, more in case.problems:
        (problem,) = [p for p in problems if p.startswith(f"{variable}")]
        assert shows_value(problem, value), f"{value!r} not shown in {problem!r}"
        for text in more:
            assert text in problem, problem
        # What the user reads: "<host>: <variable>: <value> ..." in the host's failure.
        assert f"{case.host}: {problem}" in record["result"]["stops"][case.host]


def test_site_reports_every_bad_host_in_one_run(site_run: dict[str, Any]) -> None:
    record = _preflight_failure(site_run)
    bad = {c.host for c in SITE_CASES}
    assert set(record["result"]["problems"]) == bad
    # Each bad value is its host's own: a cause each, said once, failing that host only.
    count = sum(len(c.problems) for c in SITE_CASES)
    assert len(record["result"]["causes"]) == count
    assert record["msg"].startswith(f"{count} problems, no host was contacted:\n")
    assert set(record["result"]["stops"]) == bad
    # The first ten said in the preflight's message, every one in its causes.
    assert record["msg"].endswith(f"\n- and {count - 10} more: see the result's causes")
    for host in bad:
        assert any(c["msg"].startswith(f"{host}: ") for c in record["result"]["causes"])
    # The good hosts have no problem, and got no rule either: the play stopped.
    assert not set(record["result"]["problems"]) & set(GOOD_HOSTS)
    run = site_run["run"]
    assert all(run.recap[h]["failed"] == 0 and run.recap[h]["skipped"] == 1 for h in GOOD_HOSTS)
    assert all(run.recap[h]["failed"] == 1 for h in bad)


def test_site_no_command_reached_any_host(site_run: dict[str, Any]) -> None:
    assert set(site_run["commands"]) == {c.host for c in SITE_CASES} | set(GOOD_HOSTS)
    assert all(n == 0 for n in site_run["commands"].values()), site_run["commands"]
    assert site_run["after"] == site_run["before"]
    assert not [r for r in site_run["run"].records if r.get("task") == SITE_TASK]
    plans = [r for r in site_run["run"].records if r.get("task") == PLAN_TASK]
    assert {r["status"] for r in plans} == {"failed", "skipped"}


# --- collection-wide variables of one host, problems of another, one run ------------------

COLLECTION_HOSTS = {
    "sc-profiles": ({"ocs_firewall_profiles": ["work"]}, "ocs_firewall_profiles", "work"),
    "sc-remove-unassigned": (
        {"ocs_firewall_remove_unassigned": "sometimes"},
        "ocs_firewall_remove_unassigned",
        "sometimes",
    ),
    "sc-state": ({"ocs_front_end_state": "gone"}, "ocs_front_end_state", "gone"),
}
# The same play as site.yml, written as a user would with the role.
SERVER_ROLE_PLAY = """
- name: OCS servers through the server role
  hosts: ocs_front_end
  gather_facts: false
  any_errors_fatal: true
  roles:
    - role: ocs.firewall.server
"""


@pytest.fixture(scope="module")
def collection_lab(start_lab: Callable[..., Any]) -> Any:
    members = {h: dict(v[0]) for h, v in COLLECTION_HOSTS.items()}
    return start_lab(
        {"all": {"children": {"ocs_front_end": {"hosts": members}}}}, name="bad-collection"
    )


@pytest.fixture(scope="module", params=["site.yml", "server-role"])
def collection_run(
    request: pytest.FixtureRequest, collection_lab: Any, play: Callable[..., Any], repo_root: Path
) -> dict[str, Any]:
    playbook = (
        repo_root / "playbooks" / "site.yml" if request.param == "site.yml" else SERVER_ROLE_PLAY
    )
    collection_lab.trace(reset=True)
    run = play(playbook, collection_lab.inventory)
    return {"entry": request.param, "run": run, "commands": collection_lab.commands()}


# Known gaps per entry point (none: the server role's argument spec documents every
# variable as an option of type raw, which takes any value, so it cannot stop a play
# before the preflight reports every host).
KNOWN: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("host", list(COLLECTION_HOSTS))
def test_collection_wide_and_other_problems_in_one_run(
    collection_run: dict[str, Any], host: str, request: pytest.FixtureRequest
) -> None:
    reason = KNOWN.get((collection_run["entry"], host))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    run = collection_run["run"]
    assert run.rc != 0
    _vars, variable, value = COLLECTION_HOSTS[host]
    shown = [
        problem for r in run.records if r["event"] == "failed" for problem in _problems_of(r, host)
    ]
    assert any(variable in m and shows_value(m, value) for m in shown), shown
    assert all(n == 0 for n in collection_run["commands"].values())


def _problems_of(record: dict[str, Any], host: str) -> list[str]:
    """What a failed task says about ``host``: the preflight's problems of that host, or
    the message of a task that failed on that host."""
    problems = record["result"].get("problems")
    if isinstance(problems, dict):
        return [f"{host}: {p}" for p in problems.get(host, [])]
    return [_shown_message(record)] if record["host"] == host else []
