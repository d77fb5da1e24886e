# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a run over part of the estate, exact or refused.
"""A run over part of the estate: exact with the whole estate's address book, or refused.

AWX and Automation Controller scale a job out by slicing it: each slice job's inventory
holds every Nth host by name, and the variables of those hosts only; every group is kept,
emptied of the other slices' hosts. With ``ocs_firewall_scope: inventory`` a rule admits
its peers' addresses, and a slice sees only some of its peers: every flow from a server
of another slice would be blocked. The checks of the pools would likewise judge part of
the estate.

A run over part of the estate takes the whole estate's addresses from a **snapshot** of the
address book instead, made by a run over the whole inventory (``playbooks/address_book.yml``)
and given as ``ocs_firewall_address_book`` (an AWX workflow passes it from the node that
made it to the sliced job, through ``set_stats``) or read from the file
``ocs_firewall_address_book_file``. What the run sees of its own hosts must be what the
snapshot says of them (:func:`stale`): a host whose address, pool or components changed
since, or that the snapshot does not hold, makes it stale, and the run stops.

Without a snapshot, a run that says it is a slice (``ocs_firewall_slice: true``) or looks
like one (:func:`signs`: a job of an AWX workflow) stops when its rules depend on other
hosts: a host scoped from the inventory, or pools named. ``ocs_firewall_slice: false``
says the inventory is the whole estate.

Pure: the variables come in as values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue, _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._estate._settings import (
    check_bool,
    shown,
)

SNAPSHOT = _variables.ADDRESS_BOOK
SNAPSHOT_FILE = _variables.ADDRESS_BOOK_FILE
SLICE = _variables.SLICE
# The layout of a snapshot; a snapshot of another layout is refused, not guessed at.
FORMAT = 1
# The variables AWX gives every job that runs as a node of a workflow, as each slice of a
# sliced job does (AWX's UnifiedJob.awx_meta_vars; Automation Controller, tower_*).
_WORKFLOW_VARIABLES = ("awx_workflow_job_id", "tower_workflow_job_id")
# Differences a stale snapshot's problem names before it only counts the rest.
_SHOWN = 3
_MAKE_IT = (
    "make it again over the whole inventory (playbooks/address_book.yml, ocs.firewall.address_book)"
)


def snapshot(book: Mapping[str, Any], made: str) -> dict[str, Any]:
    """The snapshot of an address book (as ``_scope.Inventory.book`` gives it) made at
    ``made`` (ISO 8601)."""
    servers = {host for holders in book.values() for host in holders}
    return {
        "format": FORMAT,
        "made": made,
        "servers": len(servers),
        "book": {key: dict(holders) for key, holders in book.items()},
    }


def check_snapshot(value: Any, name: str = SNAPSHOT) -> tuple[dict[str, Any] | None, list[str]]:
    """The snapshot ``value`` (given as ``name``), checked: its layout, its components, and
    each holder's entry. Returns the snapshot, or the problems."""
    bad = f"{name}: is not an address book made by playbooks/address_book.yml"
    if not isinstance(value, Mapping):
        return None, [f"{bad} ({shown(value)} is not a dictionary)"]
    if value.get("format") != FORMAT:
        return None, [
            f"{bad} (its format is {shown(value.get('format'))}; this release reads format "
            f"{FORMAT}): {_MAKE_IT}"
        ]
    book = value.get("book")
    if not isinstance(book, Mapping):
        return None, [f"{bad} (it has no book)"]
    components = _catalogue.server_components()
    problems: list[str] = []
    for key, holders in book.items():
        if key not in components:
            problems.append(f"{bad} ({shown(key)} is not a server component)")
            continue
        if not isinstance(holders, Mapping):
            problems.append(f"{bad} (its {key} holders are {shown(holders)})")
            continue
        for host, found in holders.items():
            problem = _entry_problem(found)
            if problem:
                problems.append(f"{bad} ({host} as {key}: {problem})")
    if problems:
        return None, problems[:_SHOWN]
    return {**value, "book": {k: dict(h) for k, h in book.items()}}, []


def _entry_problem(found: Any) -> str | None:
    if not isinstance(found, Mapping):
        return f"{shown(found)} is not a dictionary"
    addresses = found.get("addresses")
    if addresses is not None and (
        not isinstance(addresses, Sequence)
        or isinstance(addresses, str)
        or not all(isinstance(a, str) for a in addresses)
    ):
        return f"addresses {shown(addresses)} is not a list of addresses"
    for field in ("pool", "next_hop", "why"):
        if field in found and not isinstance(found[field], str):
            return f"{field} {shown(found[field])} is not a text"
    return None


def read_file(path: str, text: str | None, error: str | None) -> tuple[Any, list[str]]:
    """The value of the snapshot file ``path``, whose ``text`` was read (or whose read
    failed with ``error``)."""
    if error is not None or text is None:
        return None, [f"{SNAPSHOT_FILE}: {shown(path)} cannot be read ({error}): {_MAKE_IT}"]
    try:
        return json.loads(text), []
    except ValueError as exc:
        return None, [f"{SNAPSHOT_FILE}: {shown(path)} is not JSON ({exc})"]


def holders(book: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """The inventory groups (``ocs_<key>``) of the estate the book was made of."""
    return {f"ocs_{key}": list(found) for key, found in book.items()}


def stale(
    snapshot_book: Mapping[str, Mapping[str, Any]],
    own: Mapping[str, Mapping[str, Any]],
    hosts: Sequence[str],
) -> list[str]:
    """What the run sees of its ``hosts`` (``own``: the book of its inventory) that the
    snapshot says otherwise, a line each."""
    differences: list[str] = []
    known = {host for found in snapshot_book.values() for host in found}
    for host in hosts:
        if host not in known:
            differences.append(f"{host} is not in it")
            continue
        for key in _catalogue.server_components():
            there = (snapshot_book.get(key) or {}).get(host)
            here = (own.get(key) or {}).get(host)
            if _same(there, here):
                continue
            if there is None:
                differences.append(f"{host} holds {key} here, not in the snapshot")
            elif here is None:
                differences.append(f"{host} holds {key} in the snapshot, not here")
            else:
                differences.append(
                    f"{host} ({key}) is {_said(here)} here, {_said(there)} in the snapshot"
                )
    return differences


def _same(there: Any, here: Any) -> bool:
    if there is None or here is None:
        return there is None and here is None
    fields = ("addresses", "pool", "next_hop")
    return all(_plain(there.get(f)) == _plain(here.get(f)) for f in fields)


def _plain(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else value or None


def _said(found: Mapping[str, Any]) -> str:
    addresses = found.get("addresses")
    text = ", ".join(map(str, addresses)) if addresses else "without an address"
    for field, name in (("pool", "pool"), ("next_hop", "next hop")):
        if found.get(field):
            text += f", {name} {found[field]}"
    return text


def stale_problem(snapshot: Mapping[str, Any], differences: Sequence[str]) -> str:
    """The problem of a stale snapshot."""
    listed = "; ".join(differences[:_SHOWN])
    if len(differences) > _SHOWN:
        listed += f"; and {len(differences) - _SHOWN} more"
    return (
        f"{SNAPSHOT}: the address book made {snapshot.get('made', '(no date)')} is stale, "
        f"what this inventory says of its own hosts differs: {listed}. {_MAKE_IT.capitalize()}"
    )


def signs(play_vars: Mapping[str, Any]) -> list[str]:
    """What makes the run look like one slice of a sliced job: it runs as a job of an AWX
    workflow, as every slice does. (A slice's inventory also keeps every group, emptied of
    the other slices' hosts; so does an estate whose last server of a component was taken
    out of its group, which is no slice: an empty group is not taken for a sign.)"""
    for name in _WORKFLOW_VARIABLES:
        if play_vars.get(name) not in (None, ""):
            return [
                f"it runs in an AWX workflow ({name} {play_vars[name]}), as every slice of "
                "a sliced job does"
            ]
    return []


def said_or_seen(
    value: Any, play_vars: Mapping[str, Any]
) -> tuple[bool | None, list[str], list[str]]:
    """Whether the run says it is a slice (``value`` of ``ocs_firewall_slice``, templated;
    None when not set), the signs that it looks like one when it does not say, and the
    problems of the value."""
    said: bool | None = None
    if value is not None:
        said, problems = check_bool(SLICE, value)
        if problems:
            return None, [], problems
    return said, [] if said is not None else signs(play_vars), []


def _reason(said: bool, found: Sequence[str]) -> str:
    if said:
        return f"{SLICE} is true"
    return "this inventory looks like one slice of a job: " + "; ".join(found)


def whole_estate_problem(said: bool | None, found: Sequence[str], what: str) -> str | None:
    """The problem of ``what`` (a report of the whole estate) run over part of it: ``said``
    (``ocs_firewall_slice``), else looking like one for the reasons ``found``; None when
    the run is over the whole estate."""
    if said is False or (said is None and not found):
        return None
    return (
        f"{_reason(bool(said), found)}: {what} needs every server of the estate with its "
        f"settings, which an address book does not hold; run it over the whole inventory, "
        f"never sliced. If this inventory is the whole estate, set {SLICE}: false"
    )


def refusal(said: bool, found: Sequence[str], why: str) -> str:
    """The problem of a run over part of the estate without a snapshot: ``said``, marked
    as a slice, else looking like one for the reasons ``found``; ``why``, what in the
    estate depends on other hosts."""
    reason = _reason(said, found)
    return (
        f"{reason}, and {why}: worked out from part of the estate, the rules would shut the "
        f"other servers out. Give the run the whole estate's address book: "
        f"{SNAPSHOT} (passed on by the workflow node that runs playbooks/address_book.yml "
        f"over the whole inventory) or {SNAPSHOT_FILE}. If this inventory is the whole "
        f"estate, set {SLICE}: false"
    )
