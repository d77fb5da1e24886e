# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what changed in the port matrix since an earlier run.
"""The change between two estates: the flows to let through and to close since a baseline.

A baseline is an earlier run's ``port-matrix.json`` (``playbooks/port_matrix.yml`` writes
it every run): the module's tables, ``{boundaries: [table...], load_balancers: table,
clients: table}``, each table ``{key, title, file, columns, rows}``. Nothing here reads a
file; the action hands over its text.

A flow is the same flow when its identity is the same, whatever else its row says (its
purpose, its catalogue ids, its place in the table):

* a boundary's row: source, source address, destination, destination address, ports and
  transport (the row's merging key, ``_matrix_flows.flows``);
* a load balancer's row, one flow per member: load balancer, pool, virtual IP, the
  member, ports and transport (a Director added to a pool is one member more, not a new
  rule);
* a client requirement: client, ports, transport and direction.

Flows are compared table by table (a boundary by its key); a table the baseline lacks is
empty there. A change row is the row (a load balancer's with its one member) with
``action`` (``Accept``: a flow to let through, ``Drop``: one to close), ``table`` and
``table_title``, and the columns every change shares: ``source``, ``source_address``,
``destination``, ``destination_address`` (a load balancer's: the load balancer and its
virtual IP to the member; a client's: the client) and ``catalogue_ids``. Accept rows come
first (new flows are let through before old ones are closed), each in the current tables'
order, then the Drop rows in the baseline's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import (
    _matrix_flows,
)

ACCEPT = "Accept"
DROP = "Drop"

FLOW_IDENTITY = (
    "source",
    "source_address",
    "destination",
    "destination_address",
    "ports",
    "transport",
)
LOAD_BALANCER_IDENTITY = ("load_balancer", "pool", "vip", "ports", "transport")
CLIENT_IDENTITY = ("client", "ports", "transport", "direction")

# (key, header) of the change table's columns, in order: what a change ticket imports (a
# flow table's columns but its source zone, after what to do and where).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("action", "action"),
    ("table", "table"),
    *(c for c in _matrix_flows.FLOW_COLUMNS if c[0] != "source_zone"),
)
TABLE_KEY = "changes"
TITLE = "Changes since the baseline"
FILE = "port-matrix-changes"
# The most problems a malformed baseline's message lists (all are in ``problems``).
_LISTED = 5


def baseline_from_text(text: str, name: str) -> dict[str, Any]:
    """The baseline in ``text`` (a ``port-matrix.json``), checked; ``name`` starts each
    problem (the option and its value). InputError lists every problem."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"{name} is not JSON ({exc}): give an earlier run's port-matrix.json"
        ) from None
    return checked_baseline(data, name)


def checked_baseline(data: Any, name: str) -> dict[str, Any]:
    """``data`` as a baseline, or InputError listing what keeps it from being one."""
    problems = list(_problems(data))
    if problems:
        listed = "; ".join(problems[:_LISTED])
        more = f" (and {len(problems) - _LISTED} more)" if len(problems) > _LISTED else ""
        raise InputError(
            f"{name} is not a port matrix (an earlier run's port-matrix.json): {listed}{more}",
            [f"{name}: {p}" for p in problems],
        )
    return {
        "boundaries": list(data["boundaries"]),
        "load_balancers": data["load_balancers"],
        "clients": data["clients"],
    }


def _problems(data: Any) -> Iterator[str]:
    if not isinstance(data, Mapping):
        yield f"its top level is a {type(data).__name__}, not a mapping"
        return
    missing = [k for k in ("boundaries", "load_balancers", "clients") if k not in data]
    if missing:
        yield f"it has no {', no '.join(missing)}"
        return
    boundaries = data["boundaries"]
    if not isinstance(boundaries, list):
        yield "boundaries is not a list of tables"
    else:
        seen: set[Any] = set()
        for index, table in enumerate(boundaries):
            where = f"boundaries[{index}]"
            yield from _table_problems(table, where, FLOW_IDENTITY)
            key = table.get("key") if isinstance(table, Mapping) else None
            if key in seen:
                yield f"{where}: boundary {key!r} is listed twice"
            seen.add(key)
    yield from _table_problems(data["load_balancers"], "load_balancers", LOAD_BALANCER_IDENTITY)
    yield from _table_problems(data["clients"], "clients", CLIENT_IDENTITY)


def _table_problems(table: Any, where: str, identity: Sequence[str]) -> Iterator[str]:
    if not isinstance(table, Mapping):
        yield f"{where} is not a table (a mapping with key and rows)"
        return
    if not isinstance(table.get("key"), str) or not table["key"]:
        yield f"{where} has no key"
    rows = table.get("rows")
    if not isinstance(rows, list):
        yield f"{where}.rows is not a list"
        return
    for index, row in enumerate(rows):
        here = f"{where}.rows[{index}]"
        if not isinstance(row, Mapping):
            yield f"{here} is not a mapping"
            continue
        absent = [k for k in identity if not isinstance(row.get(k), str)]
        if absent:
            yield f"{here} has no text for {', '.join(absent)}"
        if identity is LOAD_BALANCER_IDENTITY:
            members = row.get("members")
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                yield f"{here}.members is not a list of text"


# ---- the comparison ----------------------------------------------------------------------


def _member(member: str) -> tuple[str, str]:
    """A member as the load balancer rows give it, ``<host> <address>``: host and address
    (a placeholder such as ``(no host in ocs_director)`` is a host without an address)."""
    if member.startswith("("):
        return member, ""
    host, _space, address = member.partition(" ")
    return host, address


def _flows(kind: str, table: Mapping[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Each flow of a table by its identity, as a change row without its action (the first
    row of an identity wins: the matrix never repeats one)."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in table["rows"]:
        if kind == "load_balancers":
            for member in row["members"]:
                host, address = _member(member)
                identity = (*(row[k] for k in LOAD_BALANCER_IDENTITY), member)
                pool = f" (pool {row['pool']})" if row["pool"] else ""
                found.setdefault(
                    _normal(identity),
                    {
                        **row,
                        "members": [member],
                        "source": f"{row['load_balancer']}{pool}",
                        "source_address": row["vip"],
                        "destination": host,
                        "destination_address": address,
                        "catalogue_ids": _ids(row),
                    },
                )
            continue
        if kind == "clients":
            identity = tuple(row[k] for k in CLIENT_IDENTITY)
            changed = {
                **row,
                "source": row["client"],
                "source_address": "",
                "destination": "",
                "destination_address": "",
                "catalogue_ids": _ids(row),
            }
        else:
            identity = tuple(row[k] for k in FLOW_IDENTITY)
            changed = {**row, "catalogue_ids": _ids(row)}
        found.setdefault(_normal(identity), changed)
    return found


def _normal(identity: Sequence[str]) -> tuple[str, ...]:
    """An identity compared as the matrix means it: spaces around a value and the case of
    a transport (``TCP``, ``tcp``) do not make another flow."""
    return tuple(value.strip().upper() for value in identity)


def _ids(row: Mapping[str, Any]) -> list[str]:
    ids = row.get("catalogue_ids")
    if isinstance(ids, list):
        return [str(i) for i in ids]
    single = row.get("catalogue_id")
    return [str(single)] if single else []


def _tables(matrix: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(kind, table) of each table of a matrix, in its order."""
    return [
        *(("boundaries", table) for table in matrix["boundaries"]),
        ("load_balancers", matrix["load_balancers"]),
        ("clients", matrix["clients"]),
    ]


def _indexed(
    matrix: Mapping[str, Any],
) -> dict[tuple[str, str], tuple[Mapping[str, Any], dict[tuple[str, ...], dict[str, Any]]]]:
    return {(kind, table["key"]): (table, _flows(kind, table)) for kind, table in _tables(matrix)}


def changes(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The change table between a checked baseline and the current matrix (both the
    module's tables): ``{key, title, file, columns, rows}``, a row per flow to let
    through (``Accept``) and per flow to close (``Drop``)."""
    before = _indexed(baseline)
    after = _indexed(current)
    rows: list[dict[str, Any]] = []
    for action, ours, theirs in ((ACCEPT, after, before), (DROP, before, after)):
        for place, (table, flows) in ours.items():
            other = theirs.get(place, ({}, {}))[1]
            for identity, row in flows.items():
                if identity not in other:
                    rows.append(
                        {
                            **row,
                            "action": action,
                            "table": table["key"],
                            "table_title": table.get("title", table["key"]),
                        }
                    )
    return {
        "key": TABLE_KEY,
        "title": TITLE,
        "file": FILE,
        "columns": [{"key": k, "header": h} for k, h in COLUMNS],
        "rows": rows,
    }
