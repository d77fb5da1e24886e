"""playbooks/port_matrix.yml with a baseline: the change between two estates.

The playbook runs as a user runs it (ansible-playbook, no host contacted) on the example
estate, which writes port-matrix.json; then on the same estate with one more Director
(dir02, 10.10.0.31), given the first run's port-matrix.json as
``ocs_firewall_matrix_baseline``. port-matrix-changes.csv then lists the flows to let
through, each of them to or from dir02, and none to close; the HTML page lists them under
"Changes since the baseline". A baseline equal to the estate gives no change, and a run
without a baseline removes the change file an earlier one left.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import REPO_ROOT
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _matrix_changes

PLAYBOOK = REPO_ROOT / "playbooks" / "port_matrix.yml"
EXAMPLE = REPO_ROOT / "examples" / "inventory.yml"
MATRIX_TASK = "Work out the flows and write each table as CSV and Markdown, contacting no host"
DIRECTOR = "dir02.ocs.example"
DIRECTOR_IP = "10.10.0.31"
HEADERS = [header for _key, header in _matrix_changes.COLUMNS]


def _with_a_director(folder: Path) -> Path:
    inventory: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    children = inventory["all"]["children"]
    children["ocs_servers"]["hosts"][DIRECTOR] = {"ocs_firewall_address": DIRECTOR_IP}
    children["ocs_director"]["hosts"][DIRECTOR] = None
    path = folder / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


def _matrix(run: PlaybookRun) -> dict[str, Any]:
    assert run.rc == 0, run.tail()
    result: dict[str, Any] = run.results(MATRIX_TASK)["localhost"]["result"]
    return result


def _changes_csv(folder: Path) -> list[dict[str, str]]:
    text = (folder / "port-matrix-changes.csv").read_text(encoding="utf-8")
    assert next(csv.reader(io.StringIO(text))) == HEADERS
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def runs(
    play: Callable[..., PlaybookRun], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[PlaybookRun, Path]]:
    """``name -> (run, report dir)``: the baseline, the estate with dir02 against it, and
    the example estate against itself."""
    work = tmp_path_factory.mktemp("matrix-changes")
    found: dict[str, tuple[PlaybookRun, Path]] = {}

    def run(name: str, inventory: Path, baseline: Path | None = None) -> None:
        folder = work / name
        extra: dict[str, Any] = {"ocs_firewall_report_dir": str(folder)}
        if baseline is not None:
            extra["ocs_firewall_matrix_baseline"] = str(baseline)
        found[name] = (
            play(PLAYBOOK, inventory, label=f"port_matrix-{name}", extra_vars=extra),
            folder,
        )

    run("baseline", EXAMPLE)
    baseline = work / "baseline" / "port-matrix.json"
    run("director", _with_a_director(work), baseline)
    run("same", EXAMPLE, baseline)
    return found


def test_every_run_writes_the_tables_as_json(runs: dict[str, tuple[PlaybookRun, Path]]) -> None:
    run, folder = runs["baseline"]
    matrix = _matrix(run)
    written = json.loads((folder / "port-matrix.json").read_text(encoding="utf-8"))
    assert written == {k: matrix[k] for k in ("boundaries", "load_balancers", "clients")}
    # No baseline: no changes, neither in the result, nor as a file, nor on the page.
    assert "changes" not in matrix
    assert not (folder / "port-matrix-changes.csv").exists()
    assert 'id="changes"' not in (folder / "port-matrix.html").read_text(encoding="utf-8")


def test_one_more_director_gives_accept_rows_each_of_them_to_or_from_it(
    runs: dict[str, tuple[PlaybookRun, Path]],
) -> None:
    run, folder = runs["director"]
    matrix = _matrix(run)
    rows = _changes_csv(folder)
    assert rows
    assert len(rows) == len(matrix["changes"]["rows"])
    assert {r["action"] for r in rows} == {"Accept"}
    assert all(DIRECTOR in (r["source"], r["destination"]) for r in rows), rows
    # Both ways: the Director's peers reach it, and it reaches its own.
    assert any(r["destination"] == DIRECTOR for r in rows)
    assert any(r["source"] == DIRECTOR for r in rows)
    assert all(
        DIRECTOR_IP in (r["source address"], r["destination address"])
        for r in rows
        if r["table"] != "load_balancers"
    )
    # Exactly the flows of the matrix that involve dir02 (the baseline had none of them).
    flows = [r for table in matrix["boundaries"] for r in table["rows"]]
    involved = [r for r in flows if DIRECTOR in (r["source"], r["destination"])]
    assert len([r for r in rows if r["table"] != "load_balancers"]) == len(involved)
    page = (folder / "port-matrix.html").read_text(encoding="utf-8")
    assert "Changes since the baseline" in page
    assert f'<table class="matrix" data-table="{_matrix_changes.TABLE_KEY}">' in page


def test_a_baseline_equal_to_the_estate_gives_no_change(
    runs: dict[str, tuple[PlaybookRun, Path]],
) -> None:
    run, folder = runs["same"]
    assert _matrix(run)["changes"]["rows"] == []
    assert _changes_csv(folder) == []
    assert "nothing to change" in (folder / "port-matrix.html").read_text(encoding="utf-8")


def test_a_run_without_a_baseline_removes_the_change_file_an_earlier_run_left(
    play: Callable[..., PlaybookRun], runs: dict[str, tuple[PlaybookRun, Path]]
) -> None:
    _run, folder = runs["same"]
    assert (folder / "port-matrix-changes.csv").exists()
    again = play(
        PLAYBOOK,
        EXAMPLE,
        label="port_matrix-again",
        extra_vars={"ocs_firewall_report_dir": str(folder)},
    )
    assert "changes" not in _matrix(again)
    assert not (folder / "port-matrix-changes.csv").exists()


def test_a_baseline_that_is_not_a_port_matrix_stops_before_anything_is_written(
    play: Callable[..., PlaybookRun], tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    baseline = tmp_path / "audit.json"
    baseline.write_text('{"hosts": []}', encoding="utf-8")
    run = play(
        PLAYBOOK,
        EXAMPLE,
        label="port_matrix-bad-baseline",
        extra_vars={
            "ocs_firewall_report_dir": str(folder),
            "ocs_firewall_matrix_baseline": str(baseline),
        },
    )
    assert run.rc != 0
    failed = [r for r in run.records if r["failed"]]
    assert [r["task"] for r in failed] == [MATRIX_TASK]
    assert failed[0]["msg"].startswith(f'baseline: "{baseline}" is not a port matrix')
    assert not folder.exists()
