"""The firewall a fresh lab host starts with.

A Windows Server 2008 R2 box with OCS 2007 R2 activated: built-in rules (their groups are
indirect strings, as ``INetFwRule.Grouping`` returns them), the rules OCS set-up created,
and a few rules an administrator added by hand (the same rules whatever Windows a host
plays). Everything here is "not ours": the collection must leave it byte-identical.

The rules themselves are data, in ``seed_rules.json`` beside this file (its ``about``
says how a rule is written there); this module reads that file once, builds each rule
with :func:`firewall.new_rule`, and adds the rules an inventory asks for
(``ocs_lab_foreign_rules``).

A Windows Server 2003 host (``ocs_lab_os: "5.2"``) starts from the file's ``legacy`` set
instead: its two profiles and a few port entries an administrator opened, in the store
shape :mod:`ocs_lab.legacy` describes (:func:`legacy_state`); its
``ocs_lab_foreign_rules`` are port entries (:func:`legacy_entry`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .firewall import PROFILE_TYPES, TCP, FirewallError, canonical_addresses, new_rule
from .legacy import PROFILE_NAMES, build_entry, key_text, put_entry

DATA_FILE = Path(__file__).with_name("seed_rules.json")
# The set of the data file that is a 2003 host's (profiles and entries, not rule groups).
LEGACY_SET = "legacy"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _load_sets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each rule set of ``path`` as a list of groups: ``{"title", "grouping", "rules"}``."""
    sets = _load(path)["sets"]
    return {name: rule_set["groups"] for name, rule_set in sets.items() if name != LEGACY_SET}


_SETS = _load_sets(DATA_FILE)
_LEGACY = _load(DATA_FILE)["sets"][LEGACY_SET]
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


def initial_state(
    foreign: list[dict[str, Any]] | None = None, *, setup: bool = True
) -> dict[str, Any]:
    """A host's whole firewall: default profiles, the seed rules (OCS set-up's only with
    ``setup``: a Front End's activation made them), then ``foreign`` ones."""
    rules = builtin_rules() + (ocs_setup_rules() if setup else []) + admin_rules()
    rules += [foreign_rule(spec) for spec in foreign or []]
    return {"profiles": default_profiles(), "rules": rules}


# --------------------------------------------------------------------------- 2003

# What an entry of ocs_lab_foreign_rules (or of the data file's legacy set) may say.
LEGACY_ENTRY_KEYS = (
    "name",
    "port",
    "protocol",
    "profile",
    "remote_addresses",
    "enabled",
    "builtin",
)


FLAG = (0, 1)


def _whole(spec: dict[str, Any], key: str, default: Any, allowed: tuple[int, ...] = ()) -> int:
    """``spec[key]`` (else ``default``) as a whole number, one of ``allowed`` if given."""
    value = spec.get(key, default)
    if allowed == FLAG and isinstance(value, bool):
        value = int(value)  # YAML's true and false
    if isinstance(value, bool) or not isinstance(value, int) or (allowed and value not in allowed):
        choices = f"one of {list(allowed)}" if allowed else "a whole number"
        raise ValueError(f"entry {spec['name']!r}: {key} must be {choices}, got {value!r}")
    return value


def legacy_entry(spec: dict[str, Any]) -> tuple[tuple[int, ...], dict[str, Any]]:
    """The profiles and the stored entry for one 2003 entry of ``ocs_lab_foreign_rules``.

    ``{name, port, protocol (default 6), profile (0, 1, or omitted = both),
    remote_addresses (default "*", a string or a list), enabled (default 1), builtin
    (default 0)}``. The entry is made as the script makes one, so a value Windows
    refuses (port 0, protocol 1, an address range, ...) is a ``ValueError`` saying so.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"ocs_lab_foreign_rules entries need a string 'name', got {spec!r}")
    unknown = sorted(set(spec) - set(LEGACY_ENTRY_KEYS))
    if unknown:
        raise ValueError(
            f"entry {spec['name']!r}: unknown keys {unknown} for a Windows Server 2003 "
            f"entry; valid: {list(LEGACY_ENTRY_KEYS)}"
        )
    port = _whole(spec, "port", None)
    protocol = _whole(spec, "protocol", TCP)
    profiles = tuple(PROFILE_NAMES)
    if spec.get("profile") is not None:
        profiles = (_whole(spec, "profile", None, profiles),)
    remote = spec.get("remote_addresses", "*")
    if isinstance(remote, list) and all(isinstance(token, str) for token in remote):
        remote = ",".join(remote)
    if not isinstance(remote, str):
        raise ValueError(f"entry {spec['name']!r}: remote_addresses must be text, got {remote!r}")
    enabled = _whole(spec, "enabled", 1, FLAG)
    builtin = _whole(spec, "builtin", 0, FLAG)
    try:
        entry = build_entry(spec["name"], port, protocol, remote, enabled)
    except FirewallError as exc:
        raise ValueError(
            f"entry {spec['name']!r} ({key_text(port, protocol)}) is refused by Windows "
            f"Firewall: {exc}"
        ) from None
    entry["builtin"] = builtin
    return profiles, entry


def empty_legacy_state() -> dict[str, Any]:
    """A 2003 host's profiles as the data file sets them, without a port entry."""
    profiles = {
        number: {**settings, "ports": []} for number, settings in _LEGACY["profiles"].items()
    }
    return {"legacy": profiles, "current_profile": _LEGACY["current_profile"]}


def add_legacy_entries(state: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    """Add ``specs`` (``legacy_entry`` form) as ``GloballyOpenPorts.Add`` adds them: an
    entry on a key a profile holds replaces the entry there."""
    for spec in specs:
        numbers, entry = legacy_entry(spec)
        for number in numbers:
            put_entry(state["legacy"][str(number)]["ports"], dict(entry))


def legacy_state(foreign: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A 2003 host's whole firewall: the data file's profiles and entries, then ``foreign``
    (so a foreign entry on a key the seed holds replaces the seed's entry)."""
    state = empty_legacy_state()
    add_legacy_entries(state, [*_LEGACY["entries"], *(foreign or [])])
    return state
