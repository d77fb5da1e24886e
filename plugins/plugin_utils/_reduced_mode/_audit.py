# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the drift audit of a Windows Server 2003 host.
"""The drift audit of a 2003 host, in the findings of :mod:`.._reports._audit`.

The reduced mode's plan with decommissioning on says what ``site.yml`` would change: an
entry it would open or overwrite is a ``missing_rule``, one of ours it would close an
``extra_rule``. An enabled entry the collection did not make (and the user did not accept)
is a ``foreign_open_port``, a conflict when it holds a port a component needs. A profile
that is off is ``profile_disabled``; one that allows no exceptions (every entry ignored)
``exceptions_not_allowed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import _host_request
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import name_key
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    LEGACY_PROFILE_NAMES,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _audit


def audit(
    request: _host_request.HostRequest,
    options: _entries.Options,
    profiles: Sequence[Any],
    entries: Sequence[Any],
    accepted: Iterable[str] = _audit.DEFAULT_ACCEPTED,
) -> list[dict[str, Any]]:
    """The findings of a 2003 host from its entries (``_wire.OpenPort``) and profiles
    (``_wire.LegacyProfile``): the reduced mode's plan with decommissioning on."""
    plan = _entries.plan_entries(
        request.settings, request.remotes, entries, options=options, remove_unassigned=True
    )
    keys = {name_key(a) for a in accepted}
    findings: list[dict[str, Any]] = []
    for entry in plan.added:
        findings.append(_legacy_missing(entry, "is absent"))
    for held, entry in (*plan.updated, *plan.adopted):
        findings.append(_legacy_missing(entry, f"differs from the entry {held.name!r} there"))
    for held in plan.removed:
        findings.append(
            _audit.finding(
                "extra_rule",
                f"entry {held.name!r} ({_entries.key_text(held.key)}) was made by the collection "
                "and no component of the host needs it",
                f"To close it, {_audit.SITE}.",
                rule=held.name,
                port=_legacy_port(held.key),
                profile=_profile_name(held.profile),
            )
        )
    wanted = {e.key for e in plan.wanted}
    for held in entries:
        ours = _entries.is_ours(held)
        if ours or not held.enabled or held.builtin or name_key(held.name) in keys:
            continue
        detail = f"entry {held.name!r} ({_entries.key_text(held.key)}), not made by the collection"
        if held.key in wanted:
            detail += ", holds a port a component of the host needs (a conflict)"
        findings.append(
            _audit.finding(
                "foreign_open_port",
                f"{detail}, opens it to {held.remote_addresses}",
                "Close the entry if nothing on the host needs it; if it is wanted, add its "
                f"name to {_audit.ACCEPTED_VARIABLE} (or, to let the collection take it over, "
                f"its port to {_entries.ADOPT_VARIABLE}).",
                rule=held.name,
                port=_legacy_port(held.key),
                profile=_profile_name(held.profile),
            )
        )
    for profile in profiles:
        name = _profile_name(profile.type)
        if not profile.enabled:
            findings.append(
                _audit.finding(
                    "profile_disabled",
                    f"the {name} profile is off: no entry filters traffic on its networks",
                    f"Turn it back on (netsh firewall set opmode mode=enable profile={name}), "
                    "and fix the Group Policy that turned it off, if one did.",
                    profile=name,
                )
            )
        elif profile.exceptions_not_allowed:
            findings.append(
                _audit.finding(
                    "exceptions_not_allowed",
                    f"the {name} profile allows no exceptions: every entry, the collection's "
                    "included, is ignored and the OCS ports are closed on its networks",
                    f"Allow exceptions again (netsh firewall set opmode exceptions=enable "
                    f"profile={name}), and fix the Group Policy that forbade them, if one did.",
                    profile=name,
                )
            )
    return sorted(findings, key=lambda f: _audit.KINDS.index(f["kind"]))


def _profile_name(profile: int) -> str:
    return LEGACY_PROFILE_NAMES.get(profile, str(profile)).lower()


def _legacy_port(key: tuple[int, int, int]) -> str:
    return f"{_entries.transport(key[2]).lower()} {key[1]}"


def _legacy_missing(entry: Any, what: str) -> dict[str, Any]:
    return _audit.finding(
        "missing_rule",
        f"entry {entry.name!r} ({_entries.key_text(entry.key)}, remote "
        f"{entry.scope.text()}) {what}",
        f"To open it, {_audit.SITE}.",
        rule=entry.name,
        port=_legacy_port(entry.key),
        profile=_profile_name(entry.key[0]),
        component=", ".join(entry.components),
        rules=list(entry.rules),
    )
