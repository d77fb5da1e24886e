"""The firewall a fresh lab host starts with.

A Windows Server 2008 R2 box with OCS 2007 R2 activated: built-in rules (their groups are
indirect strings, as ``INetFwRule.Grouping`` returns them), the rules OCS set-up created,
and a few rules an administrator added by hand (the same rules whatever Windows a host
plays). Everything here is "not ours": the collection must leave it byte-identical.

The rules themselves are data, in ``seed_rules.json`` beside this file (its ``about``
says how a rule is written there); this module reads that file once, builds each rule
with :func:`firewall.new_rule`, and adds the rules an inventory asks for
(``ocs_lab_foreign_rules``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .firewall import PROFILE_TYPES, TCP, FirewallError, canonical_addresses, new_rule

DATA_FILE = Path(__file__).with_name("seed_rules.json")


def _load_sets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each set of ``path`` as a list of groups: ``{"title", "grouping", "rules"}``."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {name: rule_set["groups"] for name, rule_set in data["sets"].items()}


_SETS = _load_sets(DATA_FILE)
# A group's indirect string by the title Windows shows for it.
_GROUPINGS = {group["title"]: group["grouping"] for groups in _SETS.values() for group in groups}

CORE = _GROUPINGS["Core Networking"]
REMOTE_DESKTOP = _GROUPINGS["Remote Desktop"]
FILE_PRINTER = _GROUPINGS["File and Printer Sharing"]
WINRM = _GROUPINGS["Windows Remote Management"]
REMOTE_ADMIN = _GROUPINGS["Remote Administration"]
WMI = _GROUPINGS["Windows Management Instrumentation (WMI)"]
EVENT_LOG = _GROUPINGS["Remote Event Log Management"]
NETWORK_DISCOVERY = _GROUPINGS["Network Discovery"]
OCS_GROUP = _GROUPINGS["Office Communications Server 2007 R2"]


def _rules(set_name: str) -> list[dict[str, Any]]:
    """The rules of one set of the data file, new dicts on every call, in file order."""
    return [
        new_rule(grouping=group["grouping"], **rule)
        for group in _SETS[set_name]
        for rule in group["rules"]
    ]


def builtin_rules() -> list[dict[str, Any]]:
    """Rules a fresh Windows Server 2008 R2 carries (a selection)."""
    return _rules("builtin")


def ocs_setup_rules() -> list[dict[str, Any]]:
    """Rules that OCS 2007 R2 activation created: same product, not this collection's."""
    return _rules("ocs_setup")


def admin_rules() -> list[dict[str, Any]]:
    """Rules someone added by hand: no group, odd values."""
    return _rules("admin")


def default_profiles() -> dict[str, dict[str, int]]:
    # Inbound blocked by default, outbound allowed: the 2008 R2 defaults.
    return {
        str(ptype): {"enabled": 1, "inbound_action": 0, "outbound_action": 1}
        for ptype in PROFILE_TYPES
    }


def foreign_rule(spec: dict[str, Any]) -> dict[str, Any]:
    """A rule from the ``ocs_lab_foreign_rules`` host var: ``name`` plus any rule property.

    ``group`` is accepted as a short form of ``grouping``; the default group is the one
    OCS set-up uses, so a foreign rule can share a name with a rule the collection creates.
    Addresses are stored as Windows stores them; one Windows refuses is a ``ValueError``.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"ocs_lab_foreign_rules entries need a string 'name', got {spec!r}")
    values = dict(spec)
    if "group" in values:
        values["grouping"] = values.pop("group")
    values.setdefault("grouping", OCS_GROUP)
    values.setdefault("protocol", TCP)
    values.setdefault("enabled", 1)
    for key, local in (("remote_addresses", False), ("local_addresses", True)):
        if key in values:
            try:
                values[key] = canonical_addresses(str(values[key]), local)
            except FirewallError:
                raise ValueError(f"{key} {values[key]!r} is refused by Windows Firewall") from None
    for key in ("local_ports", "remote_ports"):
        if key in values:
            values[key] = str(values[key])
    return new_rule(**values)


def initial_state(foreign: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A host's whole firewall: default profiles, the seed rules, then ``foreign`` ones."""
    rules = builtin_rules() + ocs_setup_rules() + admin_rules()
    rules += [foreign_rule(spec) for spec in foreign or []]
    return {"profiles": default_profiles(), "rules": rules}
