"""Read an Ansible YAML inventory and write the lab's version of it.

The written inventory keeps every group, child and var of the input and adds, per host,
the connection vars that point at its simulated host on 127.0.0.1, and the port WinRM
listens on as the host's Windows sees it (``ocs_firewall_winrm_port``).
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .state import LabError

TRANSPORTS = ("basic", "ntlm", "https")


def load(source: dict[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"cannot read inventory {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabError(
            f"inventory {path} is not YAML ({exc}); the lab reads YAML inventories only"
        ) from exc
    if not isinstance(data, dict):
        raise LabError(
            f"inventory {path} is not a YAML mapping of groups; the lab reads YAML "
            "inventories only (INI is not supported)"
        )
    return data


def _group_items(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    items = []
    for name, group in data.items():
        if group is None:
            group = {}
        if not isinstance(group, dict):
            raise LabError(f"inventory group {name!r} must be a mapping, got {group!r}")
        items.append((str(name), group))
    return items


def hosts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every host in first-seen order, with its vars merged as Ansible would (host wins)."""
    found: dict[str, dict[str, Any]] = {}
    own: dict[str, dict[str, Any]] = {}

    def walk(groups: list[tuple[str, dict[str, Any]]], inherited: dict[str, Any]) -> None:
        for name, group in groups:
            unknown = set(group) - {"hosts", "vars", "children"}
            if unknown:
                raise LabError(
                    f"inventory group {name!r} has unknown keys {sorted(unknown)}; "
                    "valid: hosts, vars, children"
                )
            scope = {**inherited, **(group.get("vars") or {})}
            for host, host_vars in (group.get("hosts") or {}).items():
                if host_vars is not None and not isinstance(host_vars, dict):
                    raise LabError(f"vars of host {host!r} must be a mapping, got {host_vars!r}")
                host = str(host)
                found.setdefault(host, {}).update(scope)
                own.setdefault(host, {}).update(host_vars or {})
            walk(_group_items(group.get("children") or {}), scope)

    walk(_group_items(data), {})
    return {name: {**found[name], **own[name]} for name in found}


# The inventory group of the Front End servers: the hosts whose OCS activation made the
# seed's OCS set-up rules (seed.ocs_setup_rules).
FRONT_END_GROUP = "ocs_front_end"


def members(data: dict[str, Any], wanted: str) -> set[str]:
    """The hosts of the group ``wanted`` and of its children, as Ansible reads the file: a
    group named again elsewhere (as a child, often without a body) is the same group."""
    hosts_of: dict[str, set[str]] = {}
    children_of: dict[str, set[str]] = {}

    def walk(groups: list[tuple[str, dict[str, Any]]]) -> None:
        for name, group in groups:
            hosts_of.setdefault(name, set()).update(str(h) for h in group.get("hosts") or {})
            children = _group_items(group.get("children") or {})
            children_of.setdefault(name, set()).update(child for child, _group in children)
            walk(children)

    walk(_group_items(data))
    found: set[str] = set()
    todo, seen = [wanted], set()
    while todo:
        group = todo.pop()
        if group not in seen:
            seen.add(group)
            found |= hosts_of.get(group, set())
            todo += children_of.get(group, set())
    return found


def memberships(data: dict[str, Any], wanted: Sequence[str]) -> dict[str, list[str]]:
    """Each host's groups among ``wanted``, in that order, as :func:`members` finds them (a
    host in none of them is not a key)."""
    found: dict[str, list[str]] = {}
    for group in wanted:
        for host in sorted(members(data, group)):
            found.setdefault(host, []).append(group)
    return found


# Where the inventory says a host's own address is, as the collection reads it (one
# address or a list, else ansible_host when that is an address): the lab binds the
# listeners a Windows host binds to its own address there.
ADDRESS_VARIABLE = "ocs_firewall_address"


def host_addresses(variables: dict[str, Any]) -> list[str]:
    """The host's own IP addresses by its variables, in their order; none when it has
    none that is an IP address (a DNS name says nothing here)."""
    given = variables.get(ADDRESS_VARIABLE)
    if given is None:
        given = variables.get("ansible_host")
    values = given if isinstance(given, list) else [] if given is None else [given]
    found = []
    for value in values:
        try:
            found.append(str(ipaddress.ip_address(str(value).strip())))
        except ValueError:
            continue
    return found


# The lab's own host variables (ocs_lab_os, ocs_lab_transport, ...): read when the lab
# starts, and left out of the inventory it writes for Ansible, which a real estate's
# inventory never holds either (and the collection refuses ocs_* variables it does not know).
LAB_PREFIX = "ocs_lab_"


def without_lab_vars(variables: dict[str, Any]) -> dict[str, Any]:
    """``variables`` without the lab's own (``ocs_lab_*``)."""
    return {k: v for k, v in variables.items() if not str(k).startswith(LAB_PREFIX)}


def with_connections(
    data: dict[str, Any], connections: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of ``data`` whose host entries carry their connection vars, without the lab's
    own variables."""
    result = copy.deepcopy(data)

    def walk(groups: dict[str, Any]) -> None:
        for _name, group in groups.items():
            if not group:
                continue
            if group.get("vars"):
                group["vars"] = without_lab_vars(group["vars"])
            group_hosts = group.get("hosts") or {}
            for host in list(group_hosts):
                own = without_lab_vars(group_hosts[host] or {})
                group_hosts[host] = {**own, **connections[str(host)]}
            walk(group.get("children") or {})

    walk(result)
    return result


# The collection's variable for the port WinRM listens on as the host sees it (its lockout
# guard judges the controller's flow to that port): the loopback port the lab listens on
# stands for a NAT in front of the host, so the connection's port is not it.
WINRM_PORT_VARIABLE = "ocs_firewall_winrm_port"


def connection_vars(
    transport: str, port: int, user: str, password: str, ca_path: Path, winrm_port: int
) -> dict[str, Any]:
    """A host's connection variables: ``port`` the lab's loopback port, ``winrm_port`` the
    host's WinRM port as its Windows sees it (``ocs_lab_winrm_port``, the gate's)."""
    values: dict[str, Any] = {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": user,
        "ansible_password": password,
        "ansible_connection": "winrm",
        "ansible_winrm_transport": "ntlm" if transport == "ntlm" else "basic",
        "ansible_winrm_scheme": "https" if transport == "https" else "http",
        # Basic cannot encrypt messages; NTLM over HTTP must (as on a default Windows host).
        "ansible_winrm_message_encryption": "always" if transport == "ntlm" else "never",
    }
    if transport == "https":
        values["ansible_winrm_server_cert_validation"] = "validate"
        values["ansible_winrm_ca_trust_path"] = str(ca_path)
    values[WINRM_PORT_VARIABLE] = winrm_port
    return values
