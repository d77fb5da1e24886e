# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: files the controller writes for a task, in its own process.
"""Files of a folder on the controller, each written whole and only when it changed.

:func:`planned` compares what a task asks for (a folder, its files by name with their
text, their mode, and names to delete) with what the folder holds: a :class:`Change` per
file to create, rewrite, give its mode, or delete; a file that already holds its text
and mode is no change. :func:`carry_out` makes them (the folder and its missing parents
first), each file through a temporary file in its folder renamed over the old one, so a
reader never sees half a file. :func:`diff` is the changes as Ansible diffs. Check mode
is :func:`planned` without :func:`carry_out`.

A name is a plain file name (:func:`plain_name`): never a path, so nothing is written
outside the folder. Bad input is an :class:`~.._errors.InputError` naming the option and
the value, raised before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import shown

CREATED = "created"
UPDATED = "updated"
MODE = "mode"
REMOVED = "removed"

_OCTAL = re.compile(r"[0-7]{3,5}")


@dataclasses.dataclass(frozen=True)
class Change:
    """One file to change: ``what`` is :data:`CREATED`, :data:`UPDATED` (its text),
    :data:`MODE` (its mode only) or :data:`REMOVED`. ``before`` is what the file holds
    (empty when it is created), ``after`` what it will hold (empty when it is removed);
    ``mode_before`` its mode now (None when it is created)."""

    name: str
    path: str
    what: str
    before: bytes
    after: bytes
    mode_before: int | None


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a task would change in its folder: ``missing``, the folders to create (the
    folder and each missing parent, outermost first), and the files' changes."""

    folder: str
    missing: tuple[str, ...]
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return bool(self.missing or self.changes)


def plain_name(option: str, name: Any) -> str:
    """``name`` when it is a plain file name: a string, neither empty nor ``.`` or ``..``,
    without ``/`` or NUL; otherwise an :class:`InputError` naming ``option``."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\0" in name:
        raise InputError(
            f"{option}: {shown(name)} is not a plain file name: give a name without '/' or "
            "NUL, other than '.' and '..' (each file is written into dest itself)"
        )
    return name


def octal_mode(option: str, value: Any) -> int:
    """A file mode given as an octal string (``"0644"``) or a number (YAML's ``0644``)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0o7777:
        return value
    if isinstance(value, str) and _OCTAL.fullmatch(value) and int(value, 8) <= 0o7777:
        return int(value, 8)
    raise InputError(
        f'{option}: {shown(value)} is not a file mode: give it in octal, quoted, such as "0644"'
    )


def text_of(name: str, content: Any) -> str:
    """The text to write for the file ``name``: ``content`` itself, or a dict or list as
    JSON. ansible-core before 2.19 turns a template's result that reads as a dict or list
    (``to_nice_json``'s) into one; ``ansible.builtin.copy`` writes such content as JSON
    too."""
    if isinstance(content, str):
        return content
    if isinstance(content, (dict, list)):
        return json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    raise InputError(
        f"files: the content of {shown(name)} is {shown(content)}, not text: give a string "
        "(a template's text, or to_nice_json of the data)"
    )


def _read(option: str, folder: str, name: str) -> tuple[bytes, int] | None:
    """The bytes and mode of the file ``name`` of ``folder``, or None when there is none."""
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            return handle.read(), stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(
            f"{option}: {shown(name)} is a folder in {shown(folder)}, not a file: nothing "
            "was written"
        ) from None


def _missing_folders(folder: str) -> tuple[str, ...]:
    missing: list[str] = []
    while not os.path.isdir(folder):
        if os.path.lexists(folder):
            raise InputError(f"dest: {shown(folder)} is not a folder: nothing was written")
        missing.insert(0, folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return tuple(missing)


def planned(folder: str, files: Mapping[str, Any], mode: int, remove: Sequence[Any] = ()) -> Plan:
    """What writing ``files`` (name -> text) with ``mode`` into ``folder`` (made absolute
    from the current directory), and deleting the files named in ``remove``, would change
    there. Reads only."""
    names = [plain_name("files", name) for name in files]
    texts = {name: text_of(name, files[name]) for name in names}
    gone = [plain_name("remove", name) for name in remove]
    both = sorted(set(names) & set(gone))
    if both:
        raise InputError(f"remove: {shown(both[0])} is in files too: give each name once")
    folder = os.path.abspath(folder)
    missing = _missing_folders(folder)
    changes: list[Change] = []
    for name in names:
        path = os.path.join(folder, name)
        after = texts[name].encode("utf-8")
        found = None if missing else _read("files", folder, name)
        if found is None:
            changes.append(Change(name, path, CREATED, b"", after, None))
        elif found[0] != after:
            changes.append(Change(name, path, UPDATED, found[0], after, found[1]))
        elif found[1] != mode:
            changes.append(Change(name, path, MODE, found[0], after, found[1]))
    for name in gone:
        path = os.path.join(folder, name)
        found = None if missing else _read("remove", folder, name)
        if found is not None:
            changes.append(Change(name, path, REMOVED, found[0], b"", found[1]))
    return Plan(folder, missing, tuple(changes))


def replace(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` with ``mode`` at ``path`` (its folder exists) through a temporary
    file renamed over it: a reader sees the old file or the new one, never a part."""
    handle, temporary = tempfile.mkstemp(
        dir=os.path.dirname(path) or ".", prefix=f".{os.path.basename(path)}."
    )
    try:
        with os.fdopen(handle, "wb") as new:
            new.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        # Gone once replaced; left only by a write that failed.
        if os.path.exists(temporary):
            os.unlink(temporary)


def carry_out(plan: Plan, mode: int, directory_mode: int, made: list[str]) -> None:
    """Make the changes of ``plan``: its missing folders with ``directory_mode``, then
    each file. ``made`` gets the path of each folder and file changed, as it is (so that
    a caller told of an ``OSError`` knows whether anything was)."""
    for folder in plan.missing:
        os.mkdir(folder)
        # Exactly the mode asked for, whatever the umask.
        os.chmod(folder, directory_mode)
        made.append(folder)
    for change in plan.changes:
        if change.what in (CREATED, UPDATED):
            replace(change.path, change.after, mode)
        elif change.what == MODE:
            os.chmod(change.path, mode)
        else:
            os.unlink(change.path)
        made.append(change.path)


def said(change: Change, mode: int, *, check_mode: bool) -> str:
    """What happens to the file: ``created``, ``would be updated``, ``mode 0600 to 0644``."""
    if change.what == MODE:
        return f"{'would be ' if check_mode else ''}mode {change.mode_before:04o} to {mode:04o}"
    return f"{'would be ' if check_mode else ''}{change.what}"


def diff(plan: Plan, mode: int, *, check_mode: bool, limit: int) -> list[dict[str, Any]]:
    """An Ansible diff per change: the file's path and what happens to it as the headers,
    its text before and after (empty for a file created, or removed). A text longer than
    ``limit`` bytes is not shown, as ansible.builtin.copy does not show it."""
    items: list[dict[str, Any]] = []
    for change in plan.changes:
        title = f"{change.path} ({said(change, mode, check_mode=check_mode)})"
        if change.what == MODE:
            items.append(
                {
                    "before_header": title,
                    "after_header": title,
                    "before": f"mode: {change.mode_before:04o}\n",
                    "after": f"mode: {mode:04o}\n",
                }
            )
        elif max(len(change.before), len(change.after)) > limit:
            items.append({"prepared": f"{title}: not shown, larger than {limit} bytes\n"})
        else:
            items.append(
                {
                    "before_header": title,
                    "after_header": title,
                    "before": change.before.decode("utf-8", errors="replace"),
                    "after": change.after.decode("utf-8", errors="replace"),
                }
            )
    return items
