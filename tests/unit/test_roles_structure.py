"""The component roles, site.yml and report.yml agree with each other and with the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

REPO = Path(__file__).resolve().parents[2]
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

COMMON_VARS = {
    "state",
    "group",
    "profiles",
    "remote_addresses",
    "include_outbound",
    "include_extras",
    "as_published",
}
SIDE_VARS = {
    "edge": {"internal_addresses", "external_addresses"},
    "mediation": {"pool_addresses", "gateway_addresses"},
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_server_component_of_the_catalogue_has_a_role() -> None:
    servers = {e["component"] for e in _catalogue.query(host_kind="server")}
    assert servers == set(COMPONENT_ROLES)
    on_disk = {p.name for p in ROLES.iterdir() if p.is_dir()} - {"component_firewall"}
    assert on_disk == set(COMPONENT_ROLES)


@pytest.mark.parametrize("role", COMPONENT_ROLES)
def test_defaults_and_argument_specs_mirror_each_other(role: str) -> None:
    prefix = f"ocs_{role}_"
    defaults = load(ROLES / role / "defaults" / "main.yml")
    specs = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]
    expected = {prefix + v for v in COMMON_VARS | SIDE_VARS.get(role, set())}
    assert set(defaults) == expected
    for entry_point in ("main", "preflight"):
        options = specs[entry_point]["options"]
        assert set(options) == expected, entry_point
        for name, option in options.items():
            assert option.get("description"), name
            assert option.get("type"), name
            if name == prefix + "profiles":
                # The default is a template over the collection-wide ocs_firewall_profiles.
                assert "ocs_firewall_profiles" in defaults[name]
                assert option["default"] == ["domain", "private", "public"]
                assert option["choices"] == ["domain", "private", "public"]
            else:
                assert option["default"] == defaults[name], name
    assert specs["main"]["options"][prefix + "state"]["choices"] == ["present", "absent"]
    assert defaults[prefix + "include_outbound"] is False
    assert defaults[prefix + "include_extras"] is True
    assert defaults[prefix + "as_published"] is False
    assert defaults[prefix + "group"].startswith("OCS 2007 R2 - ")


def test_group_names_are_distinct() -> None:
    groups = [
        load(ROLES / r / "defaults" / "main.yml")[f"ocs_{r}_group"].lower() for r in COMPONENT_ROLES
    ]
    assert len(set(groups)) == len(groups)


@pytest.mark.parametrize("role", COMPONENT_ROLES)
def test_role_imports_the_shared_mechanism_for_its_component(role: str) -> None:
    for tasks_file, tasks_from in (
        ("main.yml", None),
        ("preflight.yml", "preflight"),
        ("apply.yml", "apply"),
    ):
        (task,) = load(ROLES / role / "tasks" / tasks_file)
        imported = task["ansible.builtin.import_role"]
        assert imported["name"] == "ocs.firewall.component_firewall"
        assert imported.get("tasks_from") == tasks_from
        assert f"ocs_{role}" in task["tags"]
    # What the role is to the mechanism is said once, in its role variables.
    role_vars = load(ROLES / role / "vars" / "main.yml")
    assert role_vars["_component_firewall_component"] == role
    assert role_vars["_component_firewall_prefix"] == f"ocs_{role}"
    assert role_vars["_component_firewall_label"]
    sides = role_vars.get("_component_firewall_sides", {})
    assert set(sides) <= {"internal", "external"}
    assert set(sides.values()) == {f"ocs_{role}_{v}" for v in SIDE_VARS.get(role, set())}


@pytest.mark.parametrize("role", COMPONENT_ROLES)
def test_argument_spec_runs_for_main_and_preflight_but_not_apply(role: str) -> None:
    # Ansible validates a role's argument spec when the entry point has one. site.yml's
    # preflight play validates every host through "preflight", then runs "apply": a spec
    # for "apply" would validate every host a second time.
    specs = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]
    assert set(specs) == {"main", "preflight"}


def test_shared_mechanism_calls_the_engine_once_per_role() -> None:
    mechanism = ROLES / "component_firewall" / "tasks"
    apply = load(mechanism / "apply.yml")
    calls = [t for t in apply if "ocs.firewall.win_firewall_rules" in t]
    assert len(calls) == len(apply) == 1
    assert "apply" in calls[0]["tags"]
    preflight = load(mechanism / "preflight.yml")
    assert all("ansible.builtin.assert" in t for t in preflight)
    assert all({"preflight", "always"} <= set(t["tags"]) for t in preflight)
    main = load(mechanism / "main.yml")
    assert [t["ansible.builtin.import_tasks"] for t in main] == ["preflight.yml", "apply.yml"]


def test_site_runs_preflight_first_then_one_play_per_group() -> None:
    plays = load(REPO / "playbooks" / "site.yml")
    preflight, *apply = plays
    assert preflight["any_errors_fatal"] is True
    assert preflight["gather_facts"] is False
    assert set(preflight["hosts"]) == {f"ocs_{r}" for r in COMPONENT_ROLES}
    assert set(preflight["vars"]["_ocs_firewall_components"]) == set(COMPONENT_ROLES)
    # Nothing in the preflight play can reach a host: each role's preflight entry point only.
    (check,) = preflight["tasks"]
    assert check["ansible.builtin.include_role"]["tasks_from"] == "preflight"
    assert {"preflight", "always"} <= set(check["tags"])
    assert [p["hosts"] for p in apply] == [f"ocs_{r}" for r in COMPONENT_ROLES]
    for play, role in zip(apply, COMPONENT_ROLES, strict=True):
        assert play["gather_facts"] is False
        assert "roles" not in play
        (task,) = play["tasks"]
        assert task["ansible.builtin.import_role"] == {
            "name": f"ocs.firewall.{role}",
            "tasks_from": "apply",
        }
        assert task["tags"] == [f"ocs_{role}"]


def test_report_covers_every_group() -> None:
    (play,) = load(REPO / "playbooks" / "report.yml")
    assert set(play["hosts"]) == {f"ocs_{r}" for r in COMPONENT_ROLES}
    assert play["vars"]["_ocs_report_components"] == COMPONENT_ROLES


def test_example_inventory_uses_every_group_and_a_collocated_host() -> None:
    inventory = load(REPO / "examples" / "inventory.yml")
    children = inventory["all"]["children"]
    assert set(children) == {f"ocs_{r}" for r in COMPONENT_ROLES}
    memberships: dict[str, int] = {}
    for group in children.values():
        for host in group["hosts"]:
            memberships[host] = memberships.get(host, 0) + 1
    assert max(memberships.values()) > 1
    assert len(children["ocs_front_end"]["hosts"]) >= 2
