"""playbooks/port_matrix.yml as the network team gets it, opened in a real browser.

The playbook runs as a user runs it (ansible-playbook, no host contacted) on the example
estate and on a generated one (dev/harness/estate.py). Its HTML page is opened in headless
Chromium (Debian's ``chromium``); the DOM the browser serialised must hold every table
with the rows the module returned, and the diagram's SVG a ``g.node`` per node and a
``g.edge`` per edge of the matrix, each node titled with a host of the inventory or a
kind of peer. A screenshot of the page is saved.

Chromium and Graphviz are system packages: a missing one FAILS these tests with the
command that installs it (``apt-get install chromium graphviz``); it is never a skip.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import REPO_ROOT
from harness.estate import estate_inventory, generate_estate
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

PLAYBOOK = REPO_ROOT / "playbooks" / "port_matrix.yml"
EXAMPLE = REPO_ROOT / "examples" / "inventory.yml"
MATRIX_TASK = "Work out the flows and write each table as CSV and Markdown, contacting no host"
BROWSER_TIMEOUT_S = 120
# Where the example estate's screenshot is copied for people to look at.
SCREENSHOT_COPY = Path(
    os.environ.get("OCS_PORT_MATRIX_SCREENSHOT", REPO_ROOT / ".build" / "port-matrix.png")
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "chromium is not installed, and this test opens the port matrix in it: install "
            "Debian's package (apt-get install chromium) and run again"
        )
    return found


def browse(html: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``html`` with a profile of its own."""
    with tempfile.TemporaryDirectory(prefix="ocs-chromium-") as profile:
        done = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, html.as_uri()],
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT_S,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class _Page(HTMLParser):
    """What the tests look for in the page: the rows of each table, and the SVG's nodes
    and edges with their titles."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, int] = {}
        self.nodes: list[str] = []
        self.edges: list[str] = []
        self.external: list[str] = []
        self._table: str | None = None
        self._body = False
        self._group: list[str] = []
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if (found.get(name) or "#").split(":")[0] in ("http", "https", "file", "//"):
                self.external.append(str(found[name]))
        if tag == "script":
            self.external.append("<script>")
        if tag == "table" and found.get("data-table"):
            self._table = str(found["data-table"])
            self.tables[self._table] = 0
        elif tag == "tbody":
            self._body = True
        elif tag == "tr" and self._table and self._body:
            self.tables[self._table] += 1
        elif tag == "g":
            self._group.append(str(found.get("class") or ""))
        elif tag == "title" and self._group and self._group[-1] in ("node", "edge"):
            self._title = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._body = False
        elif tag == "g" and self._group:
            self._group.pop()
        elif tag == "title" and self._title is not None:
            kind = self._group[-1]
            (self.nodes if kind == "node" else self.edges).append("".join(self._title))
            self._title = None

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)


def tables(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    return [*matrix["boundaries"], matrix["load_balancers"], matrix["clients"]]


@pytest.fixture(scope="module")
def generated_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("estate") / "inventory.yml"
    inventory = estate_inventory(generate_estate(30), scope="inventory")
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(
    play: Callable[..., PlaybookRun],
    generated_inventory: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[PlaybookRun, Path, Path]]:
    """``estate -> (run, report dir, inventory)`` of one port_matrix.yml run each."""
    found = {}
    for name, inventory in (("example", EXAMPLE), ("generated", generated_inventory)):
        folder = tmp_path_factory.mktemp(f"matrix-{name}") / "reports"
        run = play(
            PLAYBOOK,
            inventory,
            label=f"port_matrix-{name}",
            extra_vars={"ocs_firewall_report_dir": str(folder)},
        )
        found[name] = (run, folder, inventory)
    return found


def matrix_of(run: PlaybookRun) -> dict[str, Any]:
    assert run.rc == 0, run.tail()
    result: dict[str, Any] = run.results(MATRIX_TASK)["localhost"]["result"]
    return result


def inventory_names(inventory: Path) -> set[str]:
    names: set[str] = set()

    def walk(group: dict[str, Any]) -> None:
        names.update((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(yaml.safe_load(inventory.read_text(encoding="utf-8"))["all"])
    return names


@pytest.mark.parametrize("estate", ["example", "generated"])
def test_every_file_is_written_and_each_csv_holds_the_modules_rows(
    runs: dict[str, tuple[PlaybookRun, Path, Path]], estate: str
) -> None:
    run, folder, _inventory = runs[estate]
    matrix = matrix_of(run)
    # The playbook contacts no host: its only host is the controller.
    assert set(run.recap) == {"localhost"}
    for table in tables(matrix):
        with open(folder / f"{table['file']}.csv", encoding="utf-8", newline="") as handle:
            lines = list(csv.reader(handle))
        assert lines[0] == [c["header"] for c in table["columns"]]
        assert len(lines) - 1 == len(table["rows"]) > 0, table["key"]
        markdown = (folder / f"{table['file']}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"# {table['title']}\n")
        assert markdown.count("\n| ") == len(table["rows"]) + 1
    assert (folder / "port-matrix.dot").read_text(encoding="utf-8").startswith("//")
    assert "<svg" in (folder / "port-matrix.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("estate", ["example", "generated"])
def test_the_page_in_chromium_has_every_table_and_the_diagrams_nodes_and_edges(
    runs: dict[str, tuple[PlaybookRun, Path, Path]], estate: str
) -> None:
    run, folder, inventory = runs[estate]
    matrix = matrix_of(run)
    dom = browse(folder / "port-matrix.html", "--dump-dom").stdout
    page = _Page()
    page.feed(dom)

    assert page.tables == {t["key"]: len(t["rows"]) for t in tables(matrix)}
    assert all(page.tables.values())
    nodes = [n for zone in matrix["diagram"]["zones"] for n in zone["nodes"]]
    assert len(page.nodes) == len(nodes) > 0
    assert len(page.edges) == len(matrix["diagram"]["edges"]) > 0
    assert sorted(page.nodes) == sorted(n["id"] for n in nodes)
    known = inventory_names(inventory) | set(_catalogue.peer_kinds())
    assert {title.split(" (")[0] for title in page.nodes} <= known
    # Standalone: no script, nothing fetched from elsewhere.
    assert page.external == []


def test_the_example_estates_screenshot(
    runs: dict[str, tuple[PlaybookRun, Path, Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _run, folder, _inventory = runs["example"]
    shot = tmp_path / "port-matrix.png"
    browse(folder / "port-matrix.html", f"--screenshot={shot}", "--window-size=1600,3000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 3000)
    SCREENSHOT_COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)
    with capsys.disabled():
        print(f"\nport matrix screenshot: {shot} (copied to {SCREENSHOT_COPY})")


def test_without_graphviz_the_playbook_says_how_to_install_it_and_writes_nothing(
    play: Callable[..., PlaybookRun], tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    # Every command of the PATH but Graphviz's dot: Ansible itself needs the others.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for program in Path(directory).glob("*") if Path(directory).is_dir() else ():
            link = bin_dir / program.name
            if program.name != "dot" and not link.exists():
                link.symlink_to(program)
    run = play(
        PLAYBOOK,
        EXAMPLE,
        label="port_matrix-no-dot",
        extra_vars={"ocs_firewall_report_dir": str(folder)},
        env={"PATH": str(bin_dir)},
    )
    assert run.rc != 0
    failed = [r for r in run.records if r["failed"]]
    assert [r["task"] for r in failed] == ["Stop when Graphviz is missing"]
    assert "apt-get install graphviz" in failed[0]["msg"]
    assert not folder.exists()


def test_a_bad_vip_stops_the_playbook_before_anything_is_written(
    play: Callable[..., PlaybookRun], tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    run = play(
        PLAYBOOK,
        EXAMPLE,
        label="port_matrix-bad-vip",
        extra_vars={
            "ocs_firewall_report_dir": str(folder),
            "ocs_firewall_vips": {"front_end": "10.10.0.999"},
        },
    )
    assert run.rc != 0
    failed = [r for r in run.records if r["failed"]]
    assert [r["task"] for r in failed] == [MATRIX_TASK]
    assert 'ocs_firewall_vips.front_end: "10.10.0.999" is not an IP address' in failed[0]["msg"]
    assert not folder.exists()


def test_the_csv_cells_are_the_modules_values(
    runs: dict[str, tuple[PlaybookRun, Path, Path]],
) -> None:
    run, folder, _inventory = runs["example"]
    table = matrix_of(run)["boundaries"][2]
    text = (folder / f"{table['file']}.csv").read_text(encoding="utf-8")
    first = next(csv.DictReader(io.StringIO(text)))
    row = table["rows"][0]
    headers = {c["key"]: c["header"] for c in table["columns"]}
    assert first[headers["destination_address"]] == row["destination_address"]
    assert first[headers["catalogue_ids"]] == ", ".join(row["catalogue_ids"])
