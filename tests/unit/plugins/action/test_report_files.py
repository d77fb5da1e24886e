"""report_files action plugin: a report's files written into a folder on the controller.

Each file only when its text (or its mode) differs; the folder and its parents created
with their mode; nothing in check mode, which says what would change; a diff per file;
names that are not plain file names, and content that is not text, refused before
anything is written; the result lists the paths.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from checkout import REPO
from labhost import LabHost, run_action

from ansible_collections.ocs.firewall.plugins.action import report_files
from ansible_collections.ocs.firewall.plugins.action.report_files import ActionModule
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _files

FILES = {"audit.json": '{\n  "hosts": {}\n}\n', "audit.csv": "host,kind\n", "audit.md": "# Audit\n"}


@pytest.fixture(autouse=True)
def strict_umask() -> Iterator[None]:
    """A umask that would leave files and folders unreadable to others: the modes asked
    for must be set whatever it is."""
    old = os.umask(0o077)
    yield
    os.umask(old)


def write(
    dest: Path, files: Any = None, *, check_mode: bool = False, diff: bool = False, **args: Any
) -> dict[str, Any]:
    result, _display = run_action(
        ActionModule,
        "ocs.firewall.report_files",
        LabHost(),
        {"dest": str(dest), "files": FILES if files is None else files, **args},
        check_mode=check_mode,
        diff=diff,
    )
    return result


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_the_folder_and_its_parents_are_created_and_every_file_written(tmp_path: Path) -> None:
    dest = tmp_path / "made" / "here"
    result = write(dest)
    assert result["changed"] is True and not result.get("failed")
    assert listing(dest) == FILES
    assert all(mode_of(dest / name) == 0o644 for name in FILES)
    assert mode_of(dest) == mode_of(dest.parent) == 0o755
    paths = [str(dest / name) for name in FILES]
    assert result["files"] == result["written"] == paths
    assert result["removed"] == []
    assert result["msg"] == f"{dest}: 3 written, 0 unchanged, 0 removed"


def test_only_the_files_whose_text_differs_are_written(tmp_path: Path) -> None:
    write(tmp_path)
    inodes = {name: (tmp_path / name).stat().st_ino for name in FILES}
    again = write(tmp_path)
    assert again["changed"] is False
    assert again["written"] == [] and again["files"] == [str(tmp_path / n) for n in FILES]
    assert again["msg"] == f"{tmp_path}: 0 written, 3 unchanged, 0 removed"

    changed = write(tmp_path, {**FILES, "audit.csv": "host,kind\nfe01,missing_rule\n"})
    assert changed["changed"] is True
    assert changed["written"] == [str(tmp_path / "audit.csv")]
    # The others were not touched; the one written was replaced whole (a new file).
    assert (tmp_path / "audit.json").stat().st_ino == inodes["audit.json"]
    assert (tmp_path / "audit.csv").stat().st_ino != inodes["audit.csv"]
    assert (tmp_path / "audit.csv").read_text(encoding="utf-8").endswith("missing_rule\n")
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)


def test_a_file_with_its_text_but_another_mode_gets_its_mode(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "audit.md").chmod(0o600)
    result = write(tmp_path, diff=True)
    assert result["changed"] is True and result["written"] == [str(tmp_path / "audit.md")]
    assert mode_of(tmp_path / "audit.md") == 0o644
    title = f"{tmp_path / 'audit.md'} (mode 0600 to 0644)"
    assert result["diff"] == [
        {
            "before_header": title,
            "after_header": title,
            "before": "mode: 0600\n",
            "after": "mode: 0644\n",
        }
    ]


@pytest.mark.parametrize(("mode", "expected"), [("0600", 0o600), ("640", 0o640), (0o640, 0o640)])
def test_mode_and_directory_mode_are_taken_in_octal(
    tmp_path: Path, mode: Any, expected: int
) -> None:
    dest = tmp_path / "reports"
    result = write(dest, mode=mode, directory_mode="0700")
    assert not result.get("failed"), result
    assert {mode_of(dest / name) for name in FILES} == {expected}
    assert mode_of(dest) == 0o700


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    dest = tmp_path / "reports"
    dest.mkdir()
    dest.chmod(0o711)
    write(dest)
    assert mode_of(dest) == 0o711


def test_check_mode_writes_nothing_and_says_what_would_change(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    result = write(absent, check_mode=True)
    assert result["changed"] is True
    assert result["written"] == [str(absent / name) for name in FILES]
    assert result["msg"] == f"{absent}: 3 would be written, 0 unchanged, 0 would be removed"
    assert not absent.exists()

    write(tmp_path)
    (tmp_path / "stale.csv").write_text("old\n", encoding="utf-8")
    before = listing(tmp_path)
    result = write(
        tmp_path, {**FILES, "audit.md": "# Audit, again\n"}, check_mode=True, remove=["stale.csv"]
    )
    assert result["changed"] is True
    assert result["written"] == [str(tmp_path / "audit.md")]
    assert result["removed"] == [str(tmp_path / "stale.csv")]
    assert listing(tmp_path) == before
    assert write(tmp_path, check_mode=True)["changed"] is False


def test_diff_mode_gives_each_file_before_and_after(tmp_path: Path) -> None:
    write(tmp_path, {"audit.md": "# Audit\n"})
    (tmp_path / "old.dot").write_text("digraph {}\n", encoding="utf-8")
    result = write(
        tmp_path,
        {"audit.md": "# Audit\n\nNone.\n", "audit.csv": "host\n"},
        diff=True,
        check_mode=True,
        remove=["old.dot", "never-there.svg"],
    )
    md, csv, dot = (str(tmp_path / name) for name in ("audit.md", "audit.csv", "old.dot"))
    assert result["diff"] == [
        {
            "before_header": f"{md} (would be updated)",
            "after_header": f"{md} (would be updated)",
            "before": "# Audit\n",
            "after": "# Audit\n\nNone.\n",
        },
        {
            "before_header": f"{csv} (would be created)",
            "after_header": f"{csv} (would be created)",
            "before": "",
            "after": "host\n",
        },
        {
            "before_header": f"{dot} (would be removed)",
            "after_header": f"{dot} (would be removed)",
            "before": "digraph {}\n",
            "after": "",
        },
    ]
    # Without --diff, no diff.
    assert "diff" not in write(tmp_path, {"audit.md": "# Audit\n"})


def test_a_text_larger_than_ansibles_diff_limit_is_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_files.C, "MAX_FILE_SIZE_FOR_DIFF", 10)
    result = write(tmp_path, {"big.json": "x" * 11, "small.csv": "a\n"}, diff=True)
    assert result["diff"][0] == {
        "prepared": f"{tmp_path / 'big.json'} (created): not shown, larger than 10 bytes\n"
    }
    assert result["diff"][1]["after"] == "a\n"


def test_remove_deletes_the_files_named_when_they_are_there(tmp_path: Path) -> None:
    (tmp_path / "port-matrix.svg").write_text("<svg/>", encoding="utf-8")
    result = write(tmp_path, {"a.csv": "a\n"}, remove=["port-matrix.svg", "port-matrix.dot"])
    assert result["changed"] is True
    assert result["removed"] == [str(tmp_path / "port-matrix.svg")]
    assert listing(tmp_path) == {"a.csv": "a\n"}
    assert write(tmp_path, {"a.csv": "a\n"}, remove=["port-matrix.svg"])["changed"] is False


@pytest.mark.parametrize("option", ["files", "remove"])
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../audit.json", '"../audit.json"'),
        ("sub/audit.json", '"sub/audit.json"'),
        ("/etc/passwd", '"/etc/passwd"'),
        ("..", '".."'),
        (".", '"."'),
        ("", '""'),
        ("audit\0.json", '"audit\\u0000.json"'),
    ],
)
def test_a_name_that_is_not_a_plain_file_name_is_refused_before_anything_is_written(
    tmp_path: Path, option: str, name: str, shown: str
) -> None:
    dest = tmp_path / "reports"
    args: dict[str, Any] = {"files": {**FILES, name: "x"}} if option == "files" else {}
    result = write(dest, args.get("files"), **({"remove": [name]} if option == "remove" else {}))
    assert result["failed"] is True
    assert result["msg"].startswith(f"{option}: {shown} is not a plain file name: ")
    assert not dest.exists()


def test_a_name_both_written_and_removed_is_refused(tmp_path: Path) -> None:
    result = write(tmp_path / "reports", remove=["audit.md"])
    assert result["failed"] is True
    assert result["msg"] == 'remove: "audit.md" is in files too: give each name once'
    assert not (tmp_path / "reports").exists()


def test_content_that_is_not_text_is_refused_and_data_is_written_as_json(tmp_path: Path) -> None:
    refused = write(tmp_path / "a", {"audit.csv": "host\n", "audit.json": None})
    assert refused["failed"] is True
    assert refused["msg"].startswith('files: the content of "audit.json" is null, not text')
    assert not (tmp_path / "a").exists()
    # What ansible-core before 2.19 makes of a template's JSON text.
    write(tmp_path / "b", {"audit.json": {"hosts": {"fe01": {"findings": []}}}})
    assert (tmp_path / "b" / "audit.json").read_text(encoding="utf-8") == (
        '{\n  "hosts": {\n    "fe01": {\n      "findings": []\n    }\n  }\n}\n'
    )


@pytest.mark.parametrize("mode", ["u=rw", "0999", "77777", True])
def test_a_mode_that_is_not_octal_is_refused(tmp_path: Path, mode: Any) -> None:
    result = write(tmp_path / "reports", mode=mode)
    assert result["failed"] is True
    assert result["msg"].startswith("mode: ") and "is not a file mode" in result["msg"]
    assert not (tmp_path / "reports").exists()


def test_a_dest_that_is_a_file_or_a_name_that_is_a_folder_fails_naming_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = write(tmp_path / "file")
    assert result["failed"] is True
    assert result["msg"] == f'dest: "{tmp_path / "file"}" is not a folder: nothing was written'
    (tmp_path / "audit.md").mkdir()
    result = write(tmp_path)
    assert result["failed"] is True
    assert result["msg"] == (
        f'files: "audit.md" is a folder in "{tmp_path}", not a file: nothing was written'
    )
    assert not (tmp_path / "audit.json").exists()


def test_a_write_that_fails_part_way_says_so_and_that_it_changed_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _files.replace
    calls: list[str] = []

    def full_after_one(path: str, data: bytes, mode: int) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real(path, data, mode)

    monkeypatch.setattr(_files, "replace", full_after_one)
    result = write(tmp_path)
    assert result["failed"] is True and result["changed"] is True
    assert (
        result["msg"] == f"dest: cannot write into {tmp_path} ([Errno 28] No space left on device)"
    )
    assert listing(tmp_path) == {"audit.json": FILES["audit.json"]}


def test_a_file_that_cannot_be_read_fails_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(option: str, folder: str, name: str) -> None:
        raise PermissionError(13, "Permission denied", os.path.join(folder, name))

    write(tmp_path)
    monkeypatch.setattr(_files, "_read", refused)
    result = write(tmp_path, {"audit.json": "{}\n"})
    assert result["failed"] is True and not result.get("changed")
    assert result["msg"] == (
        f"dest: cannot read {tmp_path} ([Errno 13] Permission denied: '{tmp_path}/audit.json')"
    )
    assert listing(tmp_path) == FILES


@pytest.mark.parametrize("missing", ["dest", "files"])
def test_dest_and_files_are_required(tmp_path: Path, missing: str) -> None:
    args = {"dest": str(tmp_path / "reports"), "files": FILES}
    del args[missing]
    result, _display = run_action(ActionModule, "ocs.firewall.report_files", LabHost(), args)
    assert result["failed"] is True
    assert result["msg"] == f"missing required arguments: {missing}"
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    "playbook", ["audit", "dropped", "flow_check", "port_matrix", "readiness", "report"]
)
def test_the_report_playbooks_write_their_files_with_it_in_check_mode_too(playbook: str) -> None:
    """Each report playbook writes on the controller, with --check or without: its
    report_files tasks (or their play) set check_mode to false, and nothing else writes."""
    plays = yaml.safe_load((REPO / "playbooks" / f"{playbook}.yml").read_text(encoding="utf-8"))
    found = []

    def walk(tasks: list[dict[str, Any]], check_mode: Any) -> None:
        for task in tasks:
            inherited = task.get("check_mode", check_mode)
            walk(task.get("block", []), inherited)
            modules = set(task) & {
                "ansible.builtin.copy",
                "ansible.builtin.file",
                "ansible.builtin.template",
            }
            assert not modules, (playbook, task.get("name"))
            if "ocs.firewall.report_files" in task:
                found.append(inherited)

    for play in plays:
        walk(play.get("tasks", []), play.get("check_mode"))
    assert found and set(found) == {False}
