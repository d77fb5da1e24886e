# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the port matrix as Aerleon's policy files.
"""The port matrix as firewall policy as code: Aerleon's definitions and policies.

`Aerleon <https://github.com/aerleon/aerleon>`_ (Capirca's maintained successor) turns
one vendor-neutral policy into the configuration of many firewalls. :func:`files` writes,
from the port matrix (:func:`._port_matrix.matrix`), the files its ``aclgen`` reads:

* ``def/networks.yaml``: a network per inventory host and address it shows (``FE01_OCS_EXAMPLE``;
  a host seen at several addresses gets one per address, the address in the name), and
  per peer kind of the catalogue and the networks the inventory gives it
  (``INTERNAL_CLIENTS``); ``def/services.yaml``: a service per port(s) and transport
  (``TCP_5060-5061``);
* ``policies/pol/port-matrix-<boundary>.yaml``: one policy per boundary (the port matrix's
  tables), a filter per source zone, each with the targets ``ciscoasa``, ``srx`` and
  ``paloalto`` (zones ``internal``, ``perimeter-internal``, ``perimeter-external``,
  ``internet``), a term per destination, port(s) and transport listing its sources, named
  after its source zone, destination, transport and ports (``int-fe01-tcp-5061``);
* ``policies/windows/pol/<host>.yaml``: one policy per Windows host (every inventory host
  the matrix has flows to), target ``windows_advfirewall in``: the host's inbound flows,
  whichever boundary they cross. Windows Firewall is the host's own, not a boundary's
  device: the Edge's inbound rules come from two tables, and the file a Windows output
  comes from names the one host it is for, so that it can be held against the rules the
  collection makes for that host.

Only the matrix is read (and the catalogue's peer kinds, to tell a kind from a host):
nothing here imports Aerleon, which the collection needs only to render these files.
``any`` is Aerleon's any (no address in the term). A flow at a placeholder address
(``(set <variable>)``: the inventory lacks it), or at an address Aerleon cannot take (a
Windows keyword such as ``LocalSubnet``), is left out of the policy, with a comment
naming the variable or the address; a policy left without a flow is not written (aclgen
fails on one without a filter), the README says why. Names are what every target takes:
networks and services ``[A-Z0-9_-]``, terms ``[a-z0-9-]`` and unique across the boundaries
(a Palo Alto rulebase takes several), short enough for Palo Alto's 63 characters once it
has added its prefix and suffix. Aerleon's Cisco ASA generator writes IPv4 only: a filter
with IPv6 flows says so in its comment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import yaml

from ansible_collections.ocs.firewall.plugins.plugin_utils import _catalogue

# The folder the files go into, beside the port matrix's tables.
FOLDER = "port-matrix-aerleon"
NETWORKS_FILE = "def/networks.yaml"
SERVICES_FILE = "def/services.yaml"
# aclgen renders the policy files of every folder named pol below its base directory,
# into the output directory, under the pol folder's parent's path.
POLICY_DIR = "policies/pol"
WINDOWS_POLICY_DIR = "policies/windows/pol"
README_FILE = "README.md"
# The folders aclgen reads, which hold only what the last run wrote.
GENERATED_DIRS = ("def", "policies")

# The Windows target of each host's policy (a boundary's are ciscoasa, srx and paloalto).
WINDOWS_TARGET = "windows_advfirewall"

# Longest network and service name, and term name. Palo Alto names a term's service
# "service-<term>-<protocol>" in at most 63 characters, and each target its address
# objects after the network; the terms' are the tightest.
NAME_LIMIT = 40
TERM_LIMIT = 50
COMMENT_LIMIT = 100
# A boundary's term names start with its source zone's (a Palo Alto rule name is unique
# in the whole rulebase).
ZONE_CODES = {
    "internal": "int",
    "perimeter_internal": "pint",
    "perimeter_external": "pext",
    "internet": "inet",
}
_HASH = 6

# Aerleon's Cisco ASA generator (1.18) writes the IPv4 addresses of a term only.
_ASA_IPV4_ONLY = (
    "Its IPv6 flows are in the SRX and Palo Alto outputs, not the ASA's: Aerleon's Cisco "
    "ASA generator writes IPv4 only."
)

_PLACEHOLDER = re.compile(r"^\(set ([^)]*)\)$")
_ANY = "any"


def _zone_code(zone: str) -> str:
    return ZONE_CODES.get(zone) or term_name(zone)


def zone_name(zone: str) -> str:
    """A port matrix zone as a device's zone (``perimeter_internal`` -> ``perimeter-internal``)."""
    return zone.replace("_", "-")


def _shortened(text: str, limit: int, joiner: str) -> str:
    """``text`` cut to ``limit`` characters, ending with a hash of the whole when cut."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH]
    return text[: limit - _HASH - 1].rstrip("_-") + joiner + digest


def symbol(text: str, limit: int = NAME_LIMIT) -> str:
    """A network or service name: ``[A-Z0-9_-]`` only, at most ``limit`` characters."""
    cleaned = re.sub(r"[^A-Z0-9-]+", "_", text.upper()).strip("_-") or "X"
    return _shortened(cleaned, limit, "_")


def term_name(text: str, limit: int = TERM_LIMIT) -> str:
    """A term name: ``[a-z0-9-]`` only (Windows' netsh takes the name unquoted), starting
    with a letter or digit, at most ``limit`` characters."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
    return _shortened(cleaned, limit, "-")


class _Names:
    """Names handed out once each: a second text that cleans up to a taken name gets the
    hash of its own text."""

    def __init__(self, make: Callable[[str, int], str], limit: int) -> None:
        self._make = make
        self._limit = limit
        self._given: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, text: str) -> str:
        if text in self._given:
            return self._given[text]
        name = self._make(text, self._limit)
        if name in self._taken:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH]
            joiner = "_" if self._make is symbol else "-"
            name = name[: self._limit - _HASH - 1].rstrip("_-") + joiner + digest
        self._given[text] = name
        self._taken.add(name)
        return name


# ---- addresses ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Address:
    """What a matrix address says: any, networks, or why the flow is left out."""

    networks: tuple[str, ...] = ()
    any: bool = False
    # The variable the inventory lacks, or the text Aerleon cannot take.
    missing: str = ""
    unusable: str = ""


def address(text: str) -> _Address:
    """A matrix cell's address: ``any``, a placeholder, or IP addresses, networks
    (``a/prefix`` or ``a/mask``) and ranges, comma-separated."""
    text = str(text).strip()
    if text.lower() in (_ANY, "*"):
        return _Address(any=True)
    placeholder = _PLACEHOLDER.match(text)
    if placeholder:
        return _Address(missing=placeholder.group(1).strip())
    networks: dict[str, None] = {}
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        try:
            if "-" in token and "/" not in token:
                low, high = (ipaddress.ip_address(part.strip()) for part in token.split("-", 1))
                found = list(ipaddress.summarize_address_range(low, high))
            else:
                found = [ipaddress.ip_network(token, strict=False)]
        except (ValueError, TypeError):
            return _Address(unusable=token)
        for network in found:
            networks[str(network)] = None
    if not networks:
        return _Address(unusable=text)
    return _Address(networks=tuple(networks))


# ---- the flows ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _End:
    name: str
    address: str
    zone: str
    kind: bool


@dataclasses.dataclass
class _Term:
    """One accept term: a destination network, port(s) and transport, from its sources."""

    source_zone: str
    destination: _End
    ports: str
    transport: str
    sources: dict[_End, None] = dataclasses.field(default_factory=dict)
    purposes: dict[str, None] = dataclasses.field(default_factory=dict)
    ids: dict[str, None] = dataclasses.field(default_factory=dict)


def _ends(row: Mapping[str, Any], side: str, kinds: Mapping[str, Any]) -> _End:
    name = str(row[side])
    return _End(name, str(row[f"{side}_address"]), str(row[f"{side}_zone"]), name in kinds)


def _flow_text(row: Mapping[str, Any]) -> str:
    return (
        f"{row['source']} {row['source_address']} -> {row['destination']} "
        f"{row['destination_address']} {row['ports']}/{str(row['transport']).upper()}"
    )


def _why_left_out(found: _Address) -> str:
    if found.missing:
        return f"set {found.missing}"
    return f"{found.unusable!r} is not an address Aerleon takes (an IP address, network or range)"


def _label(network: str) -> str:
    """A network as a name's part: a single address without its prefix length."""
    found = ipaddress.ip_network(network)
    if found.prefixlen == found.max_prefixlen:
        return str(found.network_address)
    return network


class _Book:
    """The networks and services every policy shares, named once."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], kinds: Mapping[str, Any]) -> None:
        self.kinds = kinds
        self._symbols = _Names(symbol, NAME_LIMIT)
        # (name, networks) -> network name, in the order first seen.
        self.networks: dict[tuple[str, tuple[str, ...]], str] = {}
        self.services: dict[tuple[str, str], str] = {}
        # Each endpoint's objects: one per address of a host, one for a kind's networks.
        seen: dict[str, dict[tuple[str, ...], None]] = {}
        for row in rows:
            for side in ("source", "destination"):
                end = _ends(row, side, kinds)
                for networks in self._objects_of(end):
                    seen.setdefault(end.name, {})[networks] = None
        self._several = {name for name, variants in seen.items() if len(variants) > 1}
        for name, variants in seen.items():
            for networks in variants:
                text = f"{name}_{_label(networks[0])}" if name in self._several else name
                self.networks[(name, networks)] = self._symbols(text)
        # A term names a host by its first label where no other host has it.
        hosts = [name for name in seen if name not in kinds]
        firsts = [name.split(".")[0] for name in hosts]
        self._short = {n: f for n, f in zip(hosts, firsts, strict=True) if firsts.count(f) == 1}

    def _objects_of(self, end: _End) -> list[tuple[str, ...]]:
        found = address(end.address)
        if not found.networks:
            return []
        if end.kind:
            return [found.networks]
        return [(network,) for network in found.networks]

    def label(self, end: _End) -> str:
        """How a term names its destination: the host's first label (or its name), the
        kind; the address too where there are several."""
        name = self._short.get(end.name, end.name)
        objects = self._objects_of(end)
        if end.name in self._several and objects:
            name += "-" + _label(objects[0][0])
        return name

    def names_of(self, end: _End) -> list[str]:
        """The network names of an endpoint ([] for any)."""
        return [self.networks[(end.name, networks)] for networks in self._objects_of(end)]

    def service(self, ports: str, transport: str) -> str:
        key = (ports, transport.lower())
        if key not in self.services:
            self.services[key] = self._symbols(f"{transport}_{ports.replace(',', '_')}")
        return self.services[key]

    def definitions(self) -> dict[str, str]:
        networks: dict[str, Any] = {}
        for (name, found), network in sorted(self.networks.items(), key=lambda i: i[1]):
            comment = name if name not in self.kinds else self.kinds[name].title
            networks[network] = {
                "values": [{"address": value, "comment": comment} for value in found]
            }
        services: dict[str, Any] = {}
        for (ports, transport), service in sorted(self.services.items(), key=lambda i: i[1]):
            services[service] = [
                {"port": port.strip(), "protocol": transport} for port in ports.split(",")
            ]
        head = "# Generated by ocs.firewall.port_matrix from the inventory: do not edit.\n"
        return {
            NETWORKS_FILE: head + _dump({"networks": networks}),
            SERVICES_FILE: head + _dump({"services": services}),
        }


class _Dumper(yaml.SafeDumper):
    """Every value written out where it is, never as an anchor and alias; a text of
    several lines as a block."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text)


def _dump(data: Any) -> str:
    return str(
        yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)
    )


def _gather(
    rows: Iterable[Mapping[str, Any]], kinds: Mapping[str, Any], by_zone: bool
) -> tuple[list[_Term], dict[str, list[str]]]:
    """The terms of ``rows`` (by source zone too, for a device's filters), and the flows
    left out, by why."""
    terms: dict[tuple[Any, ...], _Term] = {}
    left_out: dict[str, list[str]] = {}
    for row in rows:
        source, destination = _ends(row, "source", kinds), _ends(row, "destination", kinds)
        why = next(
            (
                _why_left_out(found)
                for found in (address(destination.address), address(source.address))
                if found.missing or found.unusable
            ),
            None,
        )
        if why is not None:
            left_out.setdefault(why, []).append(_flow_text(row))
            continue
        transport = str(row["transport"]).lower()
        zone = source.zone if by_zone else ""
        # A host on both sides of the perimeter at one address is one destination.
        key = (zone, destination.name, destination.address, str(row["ports"]), transport)
        term = terms.setdefault(key, _Term(zone, destination, str(row["ports"]), transport))
        term.sources[source] = None
        if row.get("purpose"):
            term.purposes[str(row["purpose"])] = None
        for entry_id in row.get("catalogue_ids") or ():
            term.ids[str(entry_id)] = None
    return list(terms.values()), left_out


def _wrapped(text: str) -> str:
    """A header comment in lines an ASA remark takes (each line is a remark)."""
    return "\n".join(textwrap.wrap(text, COMMENT_LIMIT - 10))


def _comment(term: _Term) -> str:
    """The term's catalogue ids, then what it is for, cut at a word (an ASA remark takes
    100 characters)."""
    ids = ", ".join(term.ids)
    text = " ".join("; ".join(term.purposes).split())
    found = f"{ids}: {text}" if ids and text else ids or text
    if len(found) <= COMMENT_LIMIT:
        return found
    return found[: COMMENT_LIMIT - 3].rsplit(" ", 1)[0].rstrip(",;:") + "..."


def _term(term: _Term, book: _Book, names: _Names, prefix: str = "") -> dict[str, Any]:
    service = book.service(term.ports, term.transport)
    destinations = book.names_of(term.destination)
    label = f"{book.label(term.destination)}-{term.transport}-{term.ports}"
    found: dict[str, Any] = {"name": names(f"{prefix}-{label}" if prefix else label)}
    found["comment"] = _comment(term)
    # One source at any makes the term's source any.
    if not any(address(s.address).any for s in term.sources):
        found["source-address"] = " ".join(
            dict.fromkeys(n for s in term.sources for n in book.names_of(s))
        )
    if destinations:
        found["destination-address"] = " ".join(destinations)
    found["destination-port"] = service
    found["protocol"] = term.transport
    found["action"] = "accept"
    return found


def _left_out_text(left_out: Mapping[str, Sequence[str]]) -> str:
    """YAML comments naming each flow left out, under why."""
    if not left_out:
        return ""
    lines = ["# Flows left out of this policy, until the inventory gives addresses Aerleon takes:"]
    for why, flows in left_out.items():
        lines.append(f"# - {why}:")
        lines += [f"#     {flow}" for flow in flows]
    return "\n".join(lines) + "\n"


def _left_out_summary(left_out: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{len(flows)} flow(s) left out: {why}" for why, flows in left_out.items())


def _has_ipv6(terms: Iterable[_Term]) -> bool:
    return any(
        ":" in network
        for term in terms
        for end in (term.destination, *term.sources)
        for network in address(end.address).networks
    )


def _boundary_policy(
    table: Mapping[str, Any], book: _Book, names: _Names
) -> tuple[str | None, str]:
    """One boundary's policy (a filter per source zone into the table's zone), or None
    when it has no flow to let through (aclgen fails on a policy without a filter); and
    what the README says of it."""
    terms, left_out = _gather(table["rows"], book.kinds, by_zone=True)
    destination = zone_name(str(table["key"]))
    filters = []
    for source_zone in dict.fromkeys(t.source_zone for t in terms):
        chosen = [t for t in terms if t.source_zone == source_zone]
        source = zone_name(source_zone)
        family = " mixed" if _has_ipv6(chosen) else ""
        comment = (
            f"OCS 2007 R2 flows from zone {source} into zone {destination} "
            f"({table['title']}), from the port matrix of ocs.firewall."
        )
        if family:
            comment += f" {_ASA_IPV4_ONLY}"
        filters.append(
            {
                "header": {
                    "comment": _wrapped(comment),
                    "targets": {
                        "ciscoasa": term_name(f"ocs-{source}-to-{destination}"),
                        "srx": f"from-zone {source} to-zone {destination}",
                        "paloalto": f"from-zone {source} to-zone {destination}{family}",
                    },
                },
                "terms": [_term(t, book, names, _zone_code(source_zone)) for t in chosen],
            }
        )
    note = f"{table['title']}: {len(terms)} term(s)" + _note(left_out)
    if not filters:
        return None, note
    head = (
        f"# {table['title']}: the port matrix's flows into zone {destination}, for Aerleon\n"
        "# (aclgen). Generated by ocs.firewall.port_matrix from the inventory: do not edit.\n"
    )
    return head + _left_out_text(left_out) + _dump({"filters": filters}), note


def _windows_policy(
    host: str, rows: Sequence[Mapping[str, Any]], book: _Book
) -> tuple[str | None, str]:
    """One Windows host's inbound flows as Windows Advanced Firewall rules (None when
    it has none to let in), and what the README says of it."""
    terms, left_out = _gather(rows, book.kinds, by_zone=False)
    names = _Names(term_name, TERM_LIMIT)
    rendered = [_term(t, book, names) for t in terms]
    note = f"{host}: {len(terms)} rule(s)" + _note(left_out)
    if not rendered:
        return None, note
    comment = (
        f"Inbound rules of {host} for its OCS 2007 R2 flows, from the port matrix of ocs.firewall."
    )
    if left_out:
        comment += " " + _left_out_summary(left_out) + "."
    # One filter: Aerleon's Windows generator writes IPv6 addresses in it too.
    filters = [
        {
            "header": {"comment": _wrapped(comment), "targets": {WINDOWS_TARGET: "in"}},
            "terms": rendered,
        }
    ]
    head = (
        f"# {host}: its inbound flows as Windows Advanced Firewall rules, for Aerleon\n"
        "# (aclgen). Generated by ocs.firewall.port_matrix from the inventory: do not edit.\n"
    )
    return head + _left_out_text(left_out) + _dump({"filters": filters}), note


def _note(left_out: Mapping[str, Sequence[str]]) -> str:
    if not left_out:
        return ""
    return "; " + _left_out_summary(left_out)


def host_file(host: str) -> str:
    """The file name (no suffix) of a host's Windows policy and of its output."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", host).strip("._") or "host"


def files(matrix: Mapping[str, Any]) -> dict[str, str]:
    """Relative path (below :data:`FOLDER`) -> text of every Aerleon file of ``matrix``:
    the definitions, a policy per boundary and per Windows host that has a flow to let
    through, and a README that lists them."""
    kinds = _catalogue.peer_kinds()
    tables = list(matrix["boundaries"])
    rows = [row for table in tables for row in table["rows"]]
    book = _Book(rows, kinds)
    found: dict[str, str] = {}
    notes: dict[str, list[tuple[str, bool]]] = {"boundaries": [], "windows": []}
    # Term names unique across the boundaries: a device may take several.
    names = _Names(term_name, TERM_LIMIT)
    for table in tables:
        path = f"{POLICY_DIR}/{table['file']}.yaml"
        text, note = _boundary_policy(table, book, names)
        if text is not None:
            found[path] = text
        notes["boundaries"].append((f"`{path}`: {note}", text is not None))
    hosts: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["destination"] not in kinds:
            hosts.setdefault(str(row["destination"]), []).append(row)
    for host, inbound in sorted(hosts.items()):
        path = f"{WINDOWS_POLICY_DIR}/{host_file(host)}.yaml"
        text, note = _windows_policy(host, inbound, book)
        if text is not None:
            found[path] = text
        notes["windows"].append((f"`{path}`: {note}", text is not None))
    found.update(book.definitions())
    found[README_FILE] = _readme(notes)
    return found


def _readme(notes: Mapping[str, Sequence[tuple[str, bool]]]) -> str:
    def listed(kind: str) -> str:
        return "\n".join(
            f"- {text}" if written else f"- {text} (no file: nothing to let through)"
            for text, written in notes[kind]
        )

    return f"""# The port matrix as Aerleon policies

Generated by `ocs.firewall.port_matrix` from the inventory and the port catalogue: do not
edit, run the playbook again. [Aerleon](https://github.com/aerleon/aerleon) renders them
for many firewalls; from this folder:

```sh
aclgen --base_directory policies --definitions_directory def --output_directory out
```

`{NETWORKS_FILE}` has a network per server address and peer kind, `{SERVICES_FILE}` a
service per port(s) and transport. A policy per boundary, a filter per source zone
(`internal`, `perimeter-internal`, `perimeter-external`, `internet`: rename them to your
devices' zones) for Cisco ASA (`out/<boundary>.asa`), Juniper SRX (`.srx`) and Palo Alto
(`.xml`); add a target to a filter's header for another platform:

{listed("boundaries")}

A policy per server: its inbound flows as Windows Advanced Firewall rules
(`out/windows/<server>.bat`, netsh commands), a second opinion on the rules
`ocs.firewall.site` makes, not a way to apply them:

{listed("windows")}

A flow whose address the inventory does not give yet (`(set <variable>)` in the tables)
is left out, listed at the top of its policy file.
"""
