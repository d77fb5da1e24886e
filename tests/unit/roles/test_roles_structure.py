"""The component roles, site.yml and report.yml agree with each other and with the catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkout import REPO
from expected import COMMON_SETTINGS, EDGE_SETTINGS

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _scope

ROLES = REPO / "roles"

COMPONENT_ROLES = [
    "front_end",
    "director",
    "edge",
    "cwa",
    "group_chat",
    "mediation",
    "archiving",
    "monitoring",
    "reverse_proxy",
    "av_conferencing",
    "web_conferencing",
    "web_components",
    "sql_backend",
]

COMMON_VARS = set(COMMON_SETTINGS)
SIDE_VARS = {
    "edge": set(EDGE_SETTINGS) - COMMON_VARS,
    "mediation": {"pool_addresses", "gateway_addresses", "next_hop_pool"},
    # The servers that serve pools say which.
    "archiving": {"pools"},
    # The table's 5069 on it, an opt-in (Microsoft documents the port on the Front End).
    "monitoring": {"pools", "seed_qoe_port"},
    # Its two sides place its flows in the port matrix (optional).
    "reverse_proxy": {"internal_addresses", "external_addresses"},
    # The databases it may hold besides the pool's.
    "sql_backend": {"archiving_database", "monitoring_database", "group_chat_database"},
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_server_component_of_the_catalogue_has_a_role() -> None:
    servers = {e["component"] for e in _catalogue.query(host_kind="server")}
    assert servers == set(COMPONENT_ROLES) == set(_catalogue.server_components())
    on_disk = {p.name for p in ROLES.iterdir() if p.is_dir()} - {"server"}
    assert on_disk == set(COMPONENT_ROLES)
    # The shared mechanism of 0.1.0 is gone: the module does what its tasks did.
    assert not (ROLES / "component_firewall").exists()


@pytest.mark.parametrize("role", COMPONENT_ROLES)
def test_argument_spec_documents_every_setting_of_the_component(role: str) -> None:
    prefix = f"ocs_{role}_"
    component = _catalogue.server_components()[role]
    specs = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]
    # One entry point: the preflight and apply entry points of 0.1.0 are gone.
    assert set(specs) == {"main"}
    options = specs["main"]["options"]
    assert set(options) == {prefix + v for v in COMMON_VARS | SIDE_VARS.get(role, set())}
    for name, option in options.items():
        assert option.get("description"), name
        assert option.get("type"), name
    assert options[prefix + "profiles"]["default"] == ["domain", "private", "public"]
    assert options[prefix + "profiles"]["choices"] == ["domain", "private", "public"]
    assert options[prefix + "state"]["choices"] == ["present", "absent"]
    assert options[prefix + "state"]["default"] == "present"
    assert options[prefix + "include_outbound"]["default"] is False
    assert options[prefix + "include_extras"]["default"] is True
    assert options[prefix + "as_published"]["default"] is False
    assert options[prefix + "remote_addresses"]["default"] == []
    for side in SIDE_VARS.get(role, set()):
        # An opt-in is off unless asked for; addresses are empty (any local address), so
        # are the pools served (every pool); the next hop's pool is not set (any).
        expected: Any = [] if side.endswith(("_addresses", "pools")) else False
        if side == "next_hop_pool":
            expected = None
        assert options[prefix + side].get("default") == expected
    assert options[prefix + "group"]["default"] == component.group
    assert component.group.startswith("OCS 2007 R2 - ")
    # Defaults live in the module now: no role sets a variable of its own.
    for folder in ("defaults", "vars"):
        assert not (ROLES / role / folder).exists(), f"{role}/{folder}"


def test_group_names_are_distinct() -> None:
    groups = [c.group.lower() for c in _catalogue.server_components().values()]
    assert len(set(groups)) == len(groups) == len(COMPONENT_ROLES)


@pytest.mark.parametrize("role", COMPONENT_ROLES)
def test_role_calls_the_module_for_its_component_only(role: str) -> None:
    (task,) = load(ROLES / role / "tasks" / "main.yml")
    assert task["ocs.firewall.win_ocs_firewall"] == {
        "components": [role],
        # A component role knows one component: it must not empty the others' groups.
        "remove_unassigned": False,
    }
    assert task["tags"] == [f"ocs_{role}"]
    assert sorted(p.name for p in (ROLES / role / "tasks").iterdir()) == ["main.yml"]


def server_tasks(name: str = "main.yml") -> list[dict[str, Any]]:
    """The tasks of a tasks file of the server role, its import_tasks followed."""
    tasks = []
    for task in load(ROLES / "server" / "tasks" / name):
        imported = task.get("ansible.builtin.import_tasks")
        tasks += server_tasks(imported) if imported else [task]
    return tasks


@pytest.mark.parametrize("entry", ["main.yml", "converge.yml"])
def test_server_role_checks_and_plans_every_host_then_guards_then_applies(entry: str) -> None:
    preflight, plan, guard, apply = server_tasks(entry)
    assert "ocs.firewall.preflight" in preflight
    assert preflight["run_once"] is True and preflight["any_errors_fatal"] is True
    assert {"preflight", "always"} <= set(preflight["tags"])
    # The hosts a problem stops fail in the plan task, the one tagged apply (each failure on
    # its host); the preflight fails itself only when that task does not run.
    assert preflight["ocs.firewall.preflight"] == {"stop_hosts_in": "apply"}
    # The components come from each host's inventory groups, and the peers'
    # addresses the preflight worked out once from where it is registered (run_once
    # registers it for every host), read there by the module.
    assert preflight["register"] == _scope.PREFLIGHT_RESULT
    # Every host is read and planned before any is changed ...
    assert plan["ocs.firewall.win_ocs_firewall"] == {"stage": "plan"}
    assert plan["register"] == "ocs_firewall_result" and plan["tags"] == ["apply"]
    # ... mass removals are judged once, over every host's plan, and stop every host ...
    assert "ocs.firewall.removal_guard" in guard
    assert guard["run_once"] is True and guard["any_errors_fatal"] is True
    assert guard["tags"] == ["apply"]
    # ... and each host applies the very plan it made, only when it has one.
    assert apply["ocs.firewall.win_ocs_firewall"] == {"stage": "apply"}
    assert apply["when"] == "ocs_firewall_result.pending"
    assert apply["register"] == "ocs_firewall_result" and apply["tags"] == ["apply"]


def test_the_server_roles_task_files_are_its_parts() -> None:
    files = sorted(p.name for p in (ROLES / "server" / "tasks").iterdir())
    assert files == ["apply.yml", "converge.yml", "guard.yml", "main.yml", "plan.yml"]
    assert server_tasks("converge.yml") == [
        *server_tasks("plan.yml"),
        *server_tasks("guard.yml"),
        *server_tasks("apply.yml"),
    ]


def test_server_role_documents_every_variable_of_the_registry_as_an_option() -> None:
    """Every variable of the registry but those the role registers is an option of the
    server role's main entry point, as the registry declares it. Each takes any value
    (type raw, no choices, not required): Ansible checks a role's options on each host
    before its first task, and one host's bad value would then stop the play before the
    preflight reports every host's."""
    specs = load(ROLES / "server" / "meta" / "argument_specs.yml")["argument_specs"]
    options = specs["main"]["options"]
    declared = {v.name: v for v in _variables.ESTATE if v.where != _variables.REGISTERED}
    assert set(options) == set(declared)
    # The two the playbooks read (audit.yml, report.yml) are among them.
    assert {"ocs_firewall_audit_fail", "ocs_firewall_report_all", "ocs_pool"} <= set(options)
    for name, option in options.items():
        variable = declared[name]
        assert option["type"] == "raw", name
        assert not {"choices", "required", "elements"} & set(option), name
        assert option.get("default") == variable.default, name
        help_text, takes = option["description"]
        assert help_text == variable.help, name
        assert takes.startswith(f"Type: {variable.type}"), name
        for choice in variable.choices:
            assert f"V({choice})" in takes, name
    # The registered ones are the README's, not options.
    for name in (_variables.PREFLIGHT_RESULT, _variables.RESULT):
        assert name not in options
    text = " ".join(specs["main"]["description"])
    assert "ocs_servers" in text
    for role in _catalogue.server_components():
        assert f"P(ocs.firewall.{role}#role)" in text


# A listed port: C(443/TCP), and for a component with sides, where: (both sides) ...
_PORT = re.compile(
    r"C\((\d+(?:-\d+)?)/(TCP|UDP)\)(?: \((both sides|internal side|external side)\))?"
)
_SIDES = {
    "both sides": ("internal", "external"),
    "internal side": ("internal",),
    "external side": ("external",),
    "": ("",),
}


def _listed(text: str) -> set[tuple[str, str, str]]:
    """(port, transport, side) of every port a text lists."""
    return {
        (port, transport.lower(), side)
        for port, transport, where in _PORT.findall(text)
        for side in _SIDES[where]
    }


def _catalogue_ports(role: str, directions: set[str], extras: bool = True) -> set[Any]:
    """(port, transport, side) of the component's entries, read from the catalogue itself:
    those of ``directions`` that need no opt-in (of the published table only, or not)."""
    component = _catalogue.server_components()[role]
    found = set()
    for entry in _catalogue.server_entries(role):
        if entry["direction"] not in directions or entry.get("opt_in"):
            continue
        if not extras and entry["seed_row"] is None:
            continue
        sides = ("internal", "external") if entry["interface"] == "any" else (entry["interface"],)
        for port in entry["ports"]:
            for transport in entry["transports"]:
                found |= {(port, transport, s if component.interfaces else "") for s in sides}
    return found


@pytest.mark.parametrize("role", list(_catalogue.server_components()))
def test_role_documents_exactly_the_ports_the_catalogue_gives_its_component(role: str) -> None:
    main = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    (opened,) = [p for p in main["description"] if p.startswith("Ports: ")]
    inbound = _catalogue_ports(role, {"inbound", "both"})
    assert inbound, role
    assert _listed(opened) == inbound
    variants = " ".join(main["description"][main["description"].index(opened) + 1 :])
    extras = re.search(rf"O\(ocs_{role}_include_extras=false\) leaves out ([^:]*):", variants)
    published = _catalogue_ports(role, {"inbound", "both"}, extras=False)
    assert _listed(extras[1] if extras else "") == inbound - published
    outbound = re.search(
        rf"O\(ocs_{role}_include_outbound=true\) also makes outbound rules, to these remote "
        r"ports: ([^.]*)\.",
        variants,
    )
    assert _listed(outbound[1] if outbound else "") == _catalogue_ports(role, {"outbound", "both"})
    # The README says the same, from the spec.
    readme = (ROLES / role / "README.md").read_text(encoding="utf-8")
    first = sorted(inbound, key=lambda p: int(p[0].split("-")[0]))[0]
    assert f"`{first[0]}/{first[1].upper()}`" in readme


def test_roles_list_ports_by_side_and_what_settings_change() -> None:
    main = load(ROLES / "edge" / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    text = " ".join(main["description"])
    assert (
        "the role opens, inbound, C(443/TCP) (both sides), C(3478/UDP) (both sides), "
        "C(5061/TCP) (both sides), C(5062/TCP) (internal side), C(8057/TCP) (internal side)."
    ) in text
    assert (
        "O(ocs_edge_r1_federation=true) adds C(50000-59999/TCP) (external side), "
        "C(50000-59999/UDP) (external side)."
    ) in text
    # The published table's value where the catalogue corrects it (seed-16).
    main = load(ROLES / "front_end" / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    assert (
        "O(ocs_front_end_as_published=true) opens C(49152-65335/UDP) instead of "
        "C(49152-65535/UDP), as the published table has it."
    ) in main["description"]


def test_site_plans_every_group_applies_what_changes_then_shows_its_table() -> None:
    play, apply, summary = load(REPO / "playbooks" / "site.yml")
    # No any_errors_fatal: one host's failed apply must not end the run before the
    # table; the preflight, run once, still stops every host.
    assert "any_errors_fatal" not in play and "any_errors_fatal" not in apply
    assert play["gather_facts"] is False and apply["gather_facts"] is False
    # The guard judges every host's plan before any host changes, whatever strategy the
    # user's configuration names.
    assert play["strategy"] == apply["strategy"] == "linear"
    # ocs_servers first (servers with no component left), then every component group.
    assert play["hosts"] == ["ocs_servers"] + [
        f"ocs_{key}" for key in _catalogue.server_components()
    ]
    assert set(play["hosts"][1:]) == {f"ocs_{r}" for r in COMPONENT_ROLES}
    # The server role's task files do the work: its plan and guard parts on every host,
    # then its apply part in a play of the hosts the guard lists as pending, alone. They
    # are imported as task lists, not through import_role, which would add a role_complete
    # task that Ansible prepares for every host. No host ends one by one (meta end_host):
    # that costs Ansible the number of ended hosts on every later task of every host.
    tasks = play["tasks"]
    assert not [t for t in (*tasks, *apply["tasks"]) if "ansible.builtin.import_role" in t]
    assert [t.get("ansible.builtin.import_tasks") for t in tasks] == [
        "../roles/server/tasks/plan.yml",
        "../roles/server/tasks/guard.yml",
        None,
    ]
    for task in tasks[:2]:
        assert (REPO / "playbooks" / task["ansible.builtin.import_tasks"]).resolve().is_file()
    assert not [
        t
        for t in (*tasks, *apply["tasks"])
        if "ansible.builtin.meta" in t and t["ansible.builtin.meta"] == "end_host"
    ]
    pending = tasks[2]
    assert pending["ansible.builtin.add_host"]["groups"] == apply["hosts"]
    assert pending["run_once"] is True and pending["tags"] == ["always"]
    assert "ocs_firewall_guard.pending" in pending["loop"]
    assert "ansible_play_hosts[:1]" in pending["loop"]
    end, applied = apply["tasks"]
    assert (end["ansible.builtin.meta"], end["run_once"]) == ("end_play", True)
    assert "ansible_check_mode" in end["when"]
    assert applied["ansible.builtin.import_tasks"] == "../roles/server/tasks/apply.yml"
    # The same hosts as the first play (so --limit limits both), one task, once, when the
    # apply runs.
    assert summary["hosts"] == play["hosts"]
    assert summary["gather_facts"] is False
    (table,) = summary["tasks"]
    assert table["run_once"] is True
    assert table["tags"] == ["apply"]
    # Shown as text, not as JSON strings.
    assert "ocs.firewall.change_summary(hostvars" in table["ocs.firewall.show"]["msg"]
    assert "ansible_play_hosts_all" in table["ocs.firewall.show"]["msg"]


def test_the_server_role_registers_what_the_table_reads() -> None:
    _preflight, plan, _guard, apply = server_tasks("converge.yml")
    assert plan["register"] == apply["register"] == "ocs_firewall_result"
    assert "C(ocs_firewall_result)" in " ".join(
        load(ROLES / "server" / "meta" / "argument_specs.yml")["argument_specs"]["main"][
            "description"
        ]
    )


def test_report_covers_every_group() -> None:
    play, files = load(REPO / "playbooks" / "report.yml")
    # ocs_servers too: a server out of its last component group may still hold our rules.
    assert set(play["hosts"]) == {"ocs_servers", *(f"ocs_{r}" for r in COMPONENT_ROLES)}
    # The files play runs once for the same hosts (hosts: localhost would miss --limit).
    assert files["hosts"] == play["hosts"] and files["run_once"] is True
    read = play["tasks"][0]["ocs.firewall.win_firewall_info"]
    # The collection's rules in whatever group, unless every rule is asked for.
    assert read["owned"] == "{{ not (ocs_firewall_report_all | bool) }}"
    assert play["vars"]["ocs_firewall_report_all"] is False


def test_example_inventory_uses_every_group_and_a_collocated_host() -> None:
    inventory = load(REPO / "examples" / "inventory.yml")
    children = inventory["all"]["children"]
    assert set(children) == {f"ocs_{r}" for r in COMPONENT_ROLES} | {
        "ocs_servers",
        "head_office_pool",
    }
    # The head office pool's group names its pool and holds its load balancer's values.
    pool = children.pop("head_office_pool")
    assert pool["vars"]["ocs_pool"] == "head_office"
    assert "ocs_firewall_load_balancer_addresses" not in inventory["all"]["vars"]
    servers = set(children.pop("ocs_servers")["hosts"])
    assert servers == {h for g in children.values() for h in g["hosts"]}
    memberships: dict[str, int] = {}
    for group in children.values():
        for host in group["hosts"]:
            memberships[host] = memberships.get(host, 0) + 1
    assert max(memberships.values()) > 1
    assert len(children["ocs_front_end"]["hosts"]) >= 2


def test_report_playbook_prints_the_table() -> None:
    play, _files = load(REPO / "playbooks" / "report.yml")
    show = play["tasks"][-1]["ocs.firewall.show"]["msg"]
    assert "ocs.firewall.report_table" in show
    assert "truncate" not in (REPO / "playbooks" / "report.yml").read_text(encoding="utf-8")
