"""port_matrix action plugin: the example estate's flows, on the controller, no host contacted."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

import pytest
from labhost import LabHost, example_inventory, run_action

from ansible_collections.ocs.firewall.plugins.action.port_matrix import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _aerleon,
    _matrix_flows,
)

INVENTORY = example_inventory()


def templar() -> MagicMock:
    mock = MagicMock()
    mock.template.side_effect = lambda value: value
    return mock


def port_matrix(
    args: dict[str, Any] | None = None, **task_vars: Any
) -> tuple[dict[str, Any], MagicMock, LabHost]:
    connection = MagicMock()
    lab = LabHost()
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.port_matrix",
        lab,
        {"hosts": None, "vips": None, "dest": None, "baseline": None, **(args or {})},
        task_vars={**INVENTORY, "inventory_hostname": "localhost", **task_vars},
        templar=templar(),
        connection=connection,
    )
    return result, connection, lab


def test_the_example_estate_gives_every_table_and_contacts_no_host() -> None:
    result, connection, lab = port_matrix()
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert [b["key"] for b in result["boundaries"]] == list(_matrix_flows.ZONES)
    assert all(b["rows"] for b in result["boundaries"])
    assert result["load_balancers"]["rows"] and result["clients"]["rows"]
    rows = [r for b in result["boundaries"] for r in b["rows"]]
    # Every server of the estate is in the matrix, at its address.
    assert set(INVENTORY["groups"]["ocs_servers"]) <= {r["destination"] for r in rows}
    assert ("fe01.ocs.example", "10.10.0.11") in {(r["source"], r["source_address"]) for r in rows}
    assert lab.commands == []
    assert connection.mock_calls == []


def test_the_vips_come_from_ocs_firewall_vips() -> None:
    """A pool's from its servers' (the pool's group vars), the rest from the estate's."""
    edge = {"internal": "10.10.1.9", "external": "192.0.2.9"}
    result, _connection, _lab = port_matrix(ocs_firewall_vips={"edge": edge})
    rows = result["load_balancers"]["rows"]
    vips = {(r["balances"], r["pool"]): r["vip"] for r in rows}
    assert vips["front_end", "head_office"] == "10.10.0.10"
    # The Standard Edition server, the one Director and the one Edge have no load balancer.
    front = [r for r in rows if r["balances"] == "front_end"]
    assert not any(m.startswith("se01") for r in front for m in r["members"])
    assert not [r for r in rows if r["balances"] in ("director", "edge")]


@pytest.mark.parametrize(
    ("args", "task_vars", "words"),
    [
        ({}, {"ocs_firewall_vips": {"front_end": "10.10.0.999"}}, "ocs_firewall_vips.front_end"),
        ({"vips": {"director": "dir"}}, {}, 'vips.director: "dir" is not an IP address'),
    ],
)
def test_a_bad_vip_fails_naming_the_variable_or_option(
    args: dict[str, Any], task_vars: dict[str, Any], words: str
) -> None:
    result, connection, _lab = port_matrix(args, **task_vars)
    assert result["failed"] is True
    assert words in result["msg"]
    assert "no file was written" in result["msg"]
    assert result["problems"] and "boundaries" not in result
    assert connection.mock_calls == []


def test_hosts_limits_the_hosts_whose_flows_are_listed() -> None:
    result, _connection, _lab = port_matrix({"hosts": ["arch01.ocs.example"]})
    rows = [r for b in result["boundaries"] for r in b["rows"]]
    assert rows
    assert {r["destination"] for r in rows} == {"arch01.ocs.example"}


def test_a_wrong_option_is_refused() -> None:
    result, _connection, _lab = port_matrix({"hosts": "x", "colour": "blue"})
    assert result["failed"] is True
    assert "colour" in result["msg"]


def test_dest_gets_each_table_as_csv_and_markdown_rewritten_only_when_it_changes(
    tmp_path: Any,
) -> None:
    dest = tmp_path / "reports"
    first, _connection, _lab = port_matrix({"dest": str(dest)})
    assert first["changed"] is True
    tables = [
        *first["boundaries"],
        *first["grouped"],
        first["object_groups"],
        first["load_balancers"],
        first["clients"],
    ]
    expected = [str(dest / f"{t['file']}.{suffix}") for t in tables for suffix in ("csv", "md")]
    expected += [str(dest / _aerleon.FOLDER / n) for n in _aerleon.files(first)]
    assert sorted(first["files"]) == sorted(expected)
    for table in tables:
        csv_lines = (dest / f"{table['file']}.csv").read_text(encoding="utf-8").splitlines()
        assert len(csv_lines) == len(table["rows"]) + 1
        markdown = (dest / f"{table['file']}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"# {table['title']}\n\n| ")
    # The same flows again: nothing to write.
    stamps = {p: (dest / p).stat().st_mtime_ns for p in (f.name for f in dest.iterdir())}
    again, _connection, _lab = port_matrix({"dest": str(dest)})
    assert again["changed"] is False
    assert {p: (dest / p).stat().st_mtime_ns for p in stamps} == stamps
    # The pool's VIP moved: only the load balancer files change.
    hostvars = {
        host: {**variables, "ocs_firewall_vips": {"front_end": "10.10.0.99"}}
        if variables.get("ocs_pool") == "head_office"
        else variables
        for host, variables in INVENTORY["hostvars"].items()
    }
    third, _connection, _lab = port_matrix({"dest": str(dest)}, hostvars=hostvars)
    assert third["changed"] is True
    changed = {p for p in stamps if (dest / p).stat().st_mtime_ns != stamps[p]}
    assert changed == {
        f"{first['load_balancers']['file']}.csv",
        f"{first['load_balancers']['file']}.md",
    }
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]


def test_bad_vips_write_nothing(tmp_path: Any) -> None:
    dest = tmp_path / "reports"
    result, _connection, _lab = port_matrix({"dest": str(dest)}, ocs_firewall_vips={"edge": "x"})
    assert result.get("failed"), result
    assert not dest.exists()


def test_a_dest_that_is_a_file_fails_naming_it(tmp_path: Any) -> None:
    dest = tmp_path / "reports"
    dest.write_text("not a folder", encoding="utf-8")
    result, _connection, _lab = port_matrix({"dest": str(dest)})
    assert result.get("failed"), result
    assert result["msg"].startswith(f"dest: cannot write the tables into {str(dest)!r}")
    assert dest.read_text(encoding="utf-8") == "not a folder"


def _write_json(path: Any, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_a_baseline_gives_the_changes_since(tmp_path: Any) -> None:
    first, _connection, _lab = port_matrix()
    tables = {k: first[k] for k in ("boundaries", "load_balancers", "clients")}
    # The same estate: no change.
    same, _connection, _lab = port_matrix({"baseline": _write_json(tmp_path / "a.json", tables)})
    assert not same.get("failed"), same
    assert same["changes"]["key"] == "changes"
    assert same["changes"]["rows"] == []
    # A baseline without arch01's flows: they are to be let through now.
    without = json.loads(json.dumps(tables))
    for table in without["boundaries"]:
        table["rows"] = [
            r for r in table["rows"] if "arch01.ocs.example" not in (r["source"], r["destination"])
        ]
    result, _connection, _lab = port_matrix({"baseline": _write_json(tmp_path / "b.json", without)})
    rows = result["changes"]["rows"]
    assert rows and {r["action"] for r in rows} == {"Accept"}
    assert all("arch01.ocs.example" in (r["source"], r["destination"]) for r in rows)
    # Without a baseline there is no change table.
    assert "changes" not in first


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot be read (No such file or directory)"),
        ("{not json", "is not JSON ("),
        ('{"boundaries": []}', "is not a port matrix (an earlier run's port-matrix.json): "),
    ],
)
def test_a_bad_baseline_fails_naming_the_option_and_path_and_writes_nothing(
    tmp_path: Any, content: str | None, words: str
) -> None:
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    dest = tmp_path / "reports"
    result, _connection, _lab = port_matrix({"baseline": str(path), "dest": str(dest)})
    assert result["failed"] is True
    assert result["msg"].startswith(f'baseline: "{path}" {words}')
    assert result["problems"]
    assert not dest.exists()


def test_a_bad_baseline_and_a_bad_vip_are_reported_together(tmp_path: Any) -> None:
    result, _connection, _lab = port_matrix(
        {"baseline": str(tmp_path / "missing.json"), "vips": {"director": "dir"}}
    )
    assert result["failed"] is True
    assert result["msg"].startswith(f'baseline: "{tmp_path / "missing.json"}" cannot be read')
    assert 'vips.director: "dir" is not an IP address' in result["msg"]
    assert len(result["problems"]) == 2


def test_a_slice_of_the_estate_gets_no_matrix() -> None:
    """A slice of a sliced job (every third server, as AWX makes it, run as a job of an AWX
    workflow): its matrix would be part of the estate's, shown as the whole."""
    names = sorted(INVENTORY["hostvars"])
    kept = set(names[::3])
    groups = {g: [h for h in hosts if h in kept] for g, hosts in INVENTORY["groups"].items()}
    result, _connection, lab = port_matrix(groups=groups, awx_workflow_job_id=42)
    assert result["failed"] is True
    assert result["msg"] == (
        "this inventory looks like one slice of a job: it runs in an AWX workflow "
        "(awx_workflow_job_id 42), as every slice of a sliced job does: the port matrix needs "
        "every server of the estate with its settings, which an address book does not hold; "
        "run it over the whole inventory, never sliced. If this inventory is the whole "
        "estate, set ocs_firewall_slice: false"
    )
    assert lab.commands == []
    # A job of a workflow of the user's own, over the whole estate, said so: it is drawn.
    result, _connection, _lab = port_matrix(awx_workflow_job_id=42, ocs_firewall_slice=False)
    assert not result.get("failed"), result.get("msg")
    # And a run said to be a slice is refused, however whole it looks.
    result, _connection, _lab = port_matrix(ocs_firewall_slice=True)
    assert result["msg"].startswith("ocs_firewall_slice is true: the port matrix needs")
