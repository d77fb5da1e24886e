"""playbooks/port_matrix.yml as the network team gets it, opened in a real browser.

The playbook runs as a user runs it (ansible-playbook, no host contacted) on the example
estate and on a generated one (dev/harness/estate.py). Its HTML page is opened in headless
Chromium (Debian's ``chromium``); the DOM the browser serialised must hold every table
with the rows the module returned, and each boundary's drawing: its SVG inline with a
``g.node`` per node and port box and a ``g.edge`` per line the drawing has, and a link to
its full-size SVG file that is there beside the page.

A drawing must be readable where it is shown: a copy of the page with a script that
measures what Chromium rendered, in a 1400 px wide window, must find every label of every
drawing at least 10 px high (its font size on screen, and the box the browser drew it in)
and every SVG at its natural size. A screenshot of the page, 1400 px wide, is saved for
people to look at.

Chromium and Graphviz are system packages: a missing one FAILS these tests with the
command that installs it (``apt-get install chromium graphviz``); it is never a skip.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
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
# The page's width in the probe and the screenshot, and the smallest label it may show.
WINDOW_WIDTH = 1400
MIN_LABEL_PX = 10.0
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
    """What the tests look for in the page: the rows of each table; each drawing's nodes
    and edges (their SVG titles) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, int] = {}
        self.drawings: dict[str, dict[str, list[str]]] = {}
        self.external: list[str] = []
        self._table: str | None = None
        self._body = False
        self._drawing: str | None = None
        self._group: list[str] = []
        self._title: list[str] | None = None
        self._link: list[str] | None = None
        self._href = ""

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
        elif tag == "figure" and found.get("data-drawing"):
            self._drawing = str(found["data-drawing"])
            self.drawings[self._drawing] = {"nodes": [], "edges": [], "links": [], "svgs": []}
        elif tag == "svg" and self._drawing:
            self.drawings[self._drawing]["svgs"].append(str(found.get("width")))
        elif tag == "a" and self._drawing and found.get("href"):
            self._link, self._href = [], str(found["href"])
        elif tag == "g":
            self._group.append(str(found.get("class") or ""))
        elif tag == "title" and self._group and self._group[-1] in ("node", "edge"):
            self._title = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._body = False
        elif tag == "figure":
            self._drawing = None
        elif tag == "a" and self._link is not None and self._drawing:
            self.drawings[self._drawing]["links"].append(f"{''.join(self._link)}={self._href}")
            self._link = None
        elif tag == "g" and self._group:
            self._group.pop()
        elif tag == "title" and self._title is not None and self._drawing:
            kind = "nodes" if self._group[-1] == "node" else "edges"
            self.drawings[self._drawing][kind].append("".join(self._title))
            self._title = None

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
        if self._link is not None:
            self._link.append(data)


def tables(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *matrix["grouped"],
        matrix["object_groups"],
        *matrix["boundaries"],
        matrix["load_balancers"],
        matrix["clients"],
    ]


def drawn(drawing: dict[str, Any]) -> tuple[set[str], int]:
    """A drawing's SVG node titles (its nodes and port boxes) and how many lines it has
    (one from each source of a port box, one from the box to its destination)."""
    nodes = {n["id"] for n in drawing["nodes"]} | {b["id"] for b in drawing["port_boxes"]}
    return nodes, sum(len(b["sources"]) + 1 for b in drawing["port_boxes"])


# Appended to a copy of the page: what Chromium rendered of each drawing, on the body's
# data-probe attribute (--dump-dom serialises it). A label's size on screen is its font
# size times the SVG's scale to screen pixels, and the height of the box it was drawn in.
PROBE = """<script>
addEventListener("load", () => {
  const found = [];
  for (const figure of document.querySelectorAll("figure[data-drawing]")) {
    const svg = figure.querySelector("svg");
    const texts = [...svg.querySelectorAll("text")];
    const fonts = texts.map((t) => {
      const m = t.getScreenCTM();
      return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    });
    const boxes = texts.map((t) => t.getBoundingClientRect().height);
    found.push({
      drawing: figure.dataset.drawing,
      labels: texts.length,
      font_px: Math.min(...fonts),
      box_px: Math.min(...boxes),
      smallest: texts[fonts.indexOf(Math.min(...fonts))].textContent,
      width_pt: parseFloat(svg.getAttribute("width")),
      width_px: svg.getBoundingClientRect().width,
      frame_px: svg.parentElement.clientWidth,
    });
  }
  document.body.setAttribute("data-probe", JSON.stringify(found));
});
</script>
"""


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
        assert len(lines) - 1 == len(table["rows"]), table["key"]
        markdown = (folder / f"{table['file']}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"# {table['title']}\n")
        assert markdown.count("\n| ") == len(table["rows"]) + 1
    assert all(t["rows"] for t in matrix["boundaries"])
    # A drawing per boundary with flows, as DOT and SVG; no single drawing any more.
    assert [d["key"] for d in matrix["diagrams"]] == [
        t["key"].removesuffix("_grouped") for t in matrix["grouped"] if t["rows"]
    ]
    for drawing in matrix["diagrams"]:
        assert (folder / f"{drawing['file']}.dot").read_text(encoding="utf-8") == drawing["dot"]
        assert "<svg" in (folder / f"{drawing['file']}.svg").read_text(encoding="utf-8")
    assert not (folder / "port-matrix.svg").exists()
    assert not (folder / "port-matrix.dot").exists()


@pytest.mark.parametrize("estate", ["example", "generated"])
def test_the_page_in_chromium_has_every_table_and_each_drawing_with_its_link(
    runs: dict[str, tuple[PlaybookRun, Path, Path]], estate: str
) -> None:
    run, folder, inventory = runs[estate]
    matrix = matrix_of(run)
    dom = browse(folder / "port-matrix.html", "--dump-dom").stdout
    page = _Page()
    page.feed(dom)

    assert page.tables == {t["key"]: len(t["rows"]) for t in tables(matrix)}
    assert list(page.drawings) == [d["key"] for d in matrix["diagrams"]]
    for drawing in matrix["diagrams"]:
        shown = page.drawings[drawing["key"]]
        nodes, edges = drawn(drawing)
        assert len(shown["svgs"]) == 1, drawing["key"]
        assert len(shown["nodes"]) == len(nodes) > 0
        assert set(shown["nodes"]) == nodes
        assert len(shown["edges"]) == edges > 0
        # The link to the full-size drawing, relative: it works from a copy of the folder.
        assert shown["links"] == [f"full-size SVG={drawing['file']}.svg"]
        svg = folder / f"{drawing['file']}.svg"
        assert svg.is_file()
        in_file = _Page()
        in_file.feed(f'<figure data-drawing="file">{svg.read_text(encoding="utf-8")}</figure>')
        assert sorted(in_file.drawings["file"]["nodes"]) == sorted(shown["nodes"])
        # At its natural size: the width Graphviz gave, not a width of the page's.
        assert shown["svgs"][0].endswith("pt")
    # Every node is an object group, or members of the inventory or peers of the catalogue.
    known = inventory_names(inventory) | set(_catalogue.peer_kinds())
    groups = {g["name"] for g in matrix["object_groups"]["rows"]}
    for node in (n for d in matrix["diagrams"] for n in d["nodes"]):
        members = node["name"].split(", ")
        assert node["name"] in groups or {m.split(" ")[0] for m in members} <= known, node
    # Standalone: no script, nothing fetched from elsewhere.
    assert page.external == []


@pytest.fixture(scope="module")
def measured(
    runs: dict[str, tuple[PlaybookRun, Path, Path]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, Any]]]:
    """estate -> what Chromium rendered of each drawing, in a 1400 px wide window."""
    found = {}
    for estate, (_run, folder, _inventory) in runs.items():
        page = (folder / "port-matrix.html").read_text(encoding="utf-8")
        probe = tmp_path_factory.mktemp(f"probe-{estate}") / "port-matrix-probe.html"
        probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        dom = browse(
            probe, f"--window-size={WINDOW_WIDTH},1000", "--virtual-time-budget=5000", "--dump-dom"
        ).stdout
        attribute = re.search(r'data-probe="([^"]*)"', dom)
        assert attribute, dom[-2000:]
        found[estate] = json.loads(html.unescape(attribute.group(1)))
    return found


@pytest.mark.parametrize("estate", ["example", "generated"])
def test_every_label_of_every_drawing_is_at_least_10_px_on_screen(
    runs: dict[str, tuple[PlaybookRun, Path, Path]],
    measured: dict[str, list[dict[str, Any]]],
    estate: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drawings = matrix_of(runs[estate][0])["diagrams"]
    found = measured[estate]
    assert [m["drawing"] for m in found] == [d["key"] for d in drawings]
    for m in found:
        assert m["labels"] > 0
        assert m["font_px"] >= MIN_LABEL_PX, m
        assert m["box_px"] >= MIN_LABEL_PX, m
        # Its natural size (a point is 4/3 of a CSS pixel): never squeezed to the page.
        assert m["width_px"] == pytest.approx(m["width_pt"] * 4 / 3, abs=1), m
    with capsys.disabled():
        print(
            f"\n{estate}: smallest label per drawing at {WINDOW_WIDTH} px: "
            + "; ".join(
                f"{m['drawing']} {m['font_px']:.1f} px font, {m['box_px']:.1f} px box "
                f"({m['labels']} labels, {m['width_px']:.0f} px wide in a "
                f"{m['frame_px']} px frame)"
                for m in found
            )
        )


def test_the_example_estates_screenshot_1400_px_wide(
    runs: dict[str, tuple[PlaybookRun, Path, Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _run, folder, _inventory = runs["example"]
    shot = tmp_path / "port-matrix.png"
    browse(
        folder / "port-matrix.html", f"--screenshot={shot}", f"--window-size={WINDOW_WIDTH},3000"
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (WINDOW_WIDTH, 3000)
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
