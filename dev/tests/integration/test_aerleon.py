"""The port matrix as Aerleon policies: rendered by Aerleon, and its Windows output held
against the collection's own rules (a second opinion from an independent generator).

playbooks/port_matrix.yml runs as a user runs it on the example estate and writes
port-matrix-aerleon/ beside the tables. Aerleon's own command line (``aclgen``, from the
venv) renders it: Cisco ASA, Juniper SRX and Palo Alto for each boundary, Windows Advanced
Firewall (netsh commands) for each server. Every flow of the matrix is in the ASA output
of its boundary, on an access-list line of its source, destination and port.

Each server's Windows output is then parsed and compared with the inbound rules the
collection makes for the same host: its request as ``win_ocs_firewall`` checks it
(``_host_request.host_request``, the inventory's hosts as the peers of
``ocs_firewall_scope: inventory``), then each held component's rules
(``_component_rules.component_rules``). Both are compared as the packets they let in
(protocol, local address, remote address, local port), so that two rules against one, or
a range against two addresses, do not count. Every difference is reported, in
.build/aerleon-comparison.txt; the test passes only when each one has its cause in
:data:`CAUSES`: by the host's own addresses alone (``itself``), or listed in
:data:`EXPLAINED`, its cause checked against Aerleon's output.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import REPO_ROOT
from harness.playbook import PlaybookRun

from ansible_collections.ocs.firewall.plugins.plugin_utils._estate import (
    _component_rules,
    _host_request,
    _scope,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._grammar import (
    merge_ranges,
    port_bounds,
)
from ansible_collections.ocs.firewall.plugins.plugin_utils._reports import _aerleon

PLAYBOOK = REPO_ROOT / "playbooks" / "port_matrix.yml"
EXAMPLE = REPO_ROOT / "examples" / "inventory.yml"
MATRIX_TASK = "Work out the flows and write each table as CSV and Markdown, contacting no host"
REPORT = REPO_ROOT / ".build" / "aerleon-comparison.txt"
ACLGEN = Path(sys.executable).parent / "aclgen"
# Aerleon's output suffix of each device target of a boundary's policy.
DEVICE_SUFFIXES = {"ciscoasa": ".asa", "srx": ".srx", "paloalto": ".xml"}
WINDOWS_SUFFIX = ".bat"

AERLEON = "Aerleon"
COLLECTION = "the collection"

# Why the collection's rules for a server let in packets that Aerleon's Windows output of
# the port matrix does not. Each cause is checked on every difference given it.
CAUSES: dict[str, str] = {
    # Found by the addresses alone: every remote address of the difference is the host's.
    "itself": (
        "The host's own address. A rule admits every server of its peer component, the "
        "host itself among them (a pool's Front End rules admit the pool's Front Ends). "
        "A host's traffic to its own address never crosses a network (Windows sends it "
        "over the loopback interface, which Windows Firewall does not filter), and the "
        "port matrix leaves such flows out. The rule lets nothing more in: nothing to fix."
    ),
    # Checked: Aerleon lets the same packets in on another address of the host.
    "side": (
        "Both sides in one rule. A catalogue entry of either interface (interface any) on "
        "a server with two sides (the Mediation Server, the reverse proxy) is one Windows "
        "rule per transport, bound to the addresses of both sides, admitting the peers of "
        "both; the port matrix puts each peer on its own side (PSTN gateways on the "
        "Mediation Server's gateway side, external users on the reverse proxy's external "
        "side). So the rule also lets each side's peers in on the other side's address. "
        "Narrower: a rule per side for such an entry (an engine change; proposed, not "
        "made here)."
    ),
    # Checked: Aerleon lets the same remote addresses in on this address, on other ports.
    "narrowed": (
        "Ports narrowed per peer. The rule for a catalogue entry opens all of the entry's "
        "ports to every peer of the entry (a Windows rule has one list of remote "
        "addresses); the port matrix narrows a flow between two servers to the ports the "
        "connecting server's own entry reaches (the Edge, CWA and Group Chat reach a "
        "Front End's or Director's SIP on 5061 (MTLS) only, not 5060). Narrower: the "
        "entry's rule split by the ports each peer uses (an engine change; proposed, not "
        "made here)."
    ),
}

# Every difference of the example estate that is not the host's own address ("itself",
# found by the addresses alone): (host, who alone lets the packets in, protocol, local
# port(s), local address, remote addresses) -> its cause. A difference not listed fails
# the test, and so does a listed one no longer found.
_FE_PEERS_ON_5061 = "10.10.0.50, 10.10.0.60, 10.10.1.10"  # cwa01, gc01, edge01's internal side
_MEDIATION_INTERNAL_PEERS = "10.10.0.11-10.10.0.13, 10.10.1.10, 10.20.0.0/16"
EXPLAINED: dict[tuple[str, str, str, str, str, str], str] = {
    # SIP: the Front End and Director entries listen on 5060-5061 for every peer; the Edge,
    # CWA and Group Chat connect on 5061 (MTLS) only.
    ("dir01.ocs.example", COLLECTION, "TCP", "5060", "10.10.0.30", "10.10.1.10"): "narrowed",
    ("fe01.ocs.example", COLLECTION, "TCP", "5060", "10.10.0.11", _FE_PEERS_ON_5061): "narrowed",
    ("fe02.ocs.example", COLLECTION, "TCP", "5060", "10.10.0.12", _FE_PEERS_ON_5061): "narrowed",
    ("se01.ocs.example", COLLECTION, "TCP", "5060", "10.10.0.13", _FE_PEERS_ON_5061): "narrowed",
    # The Mediation Server's media (seed-47, interface any): the gateways on its pool side's
    # address, the internal peers on its gateway side's.
    **{
        ("med01.ocs.example", COLLECTION, transport, "60000-64000", local, remotes): "side"
        for transport in ("TCP", "UDP")
        for local, remotes in (
            ("10.10.0.40", "198.51.100.0/24 but 198.51.100.40"),
            ("198.51.100.40", _MEDIATION_INTERNAL_PEERS),
        )
    },
    # The reverse proxy's 443 (seed-50, interface any, open to the Internet): any address
    # on its internal side too.
    (
        "rp01.ocs.example",
        COLLECTION,
        "TCP",
        "443",
        "10.10.1.20",
        "any IPv4 but 10.10.1.20 and 192.0.2.20, any IPv6",
    ): "side",
}


# ---- addresses and ports -------------------------------------------------------------------

# An address interval: (IP version, first, last), as integers.
Span = tuple[int, int, int]
_ANY: tuple[Span, ...] = ((4, 0, 2**32 - 1), (6, 0, 2**128 - 1))
_ALL_PORTS = ((0, 65535),)


def spans(tokens: Iterable[str]) -> tuple[Span, ...]:
    """The intervals of address tokens: ``any``, addresses, networks, ranges ``a-b``."""
    found: list[Span] = []
    for token in (t.strip() for t in tokens):
        if token.lower() in ("any", "*"):
            return _ANY
        if "-" in token and "/" not in token:
            low, high = (ipaddress.ip_address(p.strip()) for p in token.split("-", 1))
            found.append((low.version, int(low), int(high)))
        else:
            network = ipaddress.ip_network(token, strict=False)
            first, last = network.network_address, network.broadcast_address
            found.append((network.version, int(first), int(last)))
    return tuple(found)


def span_text(span: Span) -> str:
    version, low, high = span
    if span in _ANY:
        return f"any IPv{version}"
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    if low == high:
        return str(make(low))
    networks = list(ipaddress.summarize_address_range(make(low), make(high)))
    return str(networks[0]) if len(networks) == 1 else f"{make(low)}-{make(high)}"


def merged_spans(found: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for version, low, high in sorted(found):
        if merged and merged[-1][0] == version and merged[-1][2] + 1 >= low:
            merged[-1] = (version, merged[-1][1], max(merged[-1][2], high))
        else:
            merged.append((version, low, high))
    return tuple(merged)


def port_ranges(tokens: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Port ranges of port tokens; every port for none (a rule on any local port)."""
    found = []
    for token in (t.strip() for t in tokens if t.strip()):
        bounds = port_bounds(token)
        assert bounds is not None, f"{token!r} is not a port or a port range"
        found.append(bounds)
    return tuple(found) or _ALL_PORTS


def ports_text(ranges: Iterable[tuple[int, int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in merge_ranges(ranges))


def _cuts(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The intervals the bounds of ``ranges`` cut their span into."""
    bounds = sorted({b for low, high in ranges for b in (low, high + 1)})
    return [(low, high - 1) for low, high in zip(bounds, bounds[1:], strict=False)]


def _within(ranges: Iterable[tuple[int, int]], low: int, high: int) -> bool:
    return any(a <= low and high <= b for a, b in ranges)


# ---- the two sides -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Allow:
    """An inbound rule as the packets it lets in."""

    protocol: str
    local: tuple[Span, ...]
    remote: tuple[Span, ...]
    ports: tuple[tuple[int, int], ...]
    name: str = ""

    def takes(self, protocol: str, local: Span) -> bool:
        version, address, _ = local
        return self.protocol == protocol and any(
            v == version and a <= address <= b for v, a, b in self.local
        )

    def remotes(self, version: int) -> list[tuple[int, int]]:
        return [(a, b) for v, a, b in self.remote if v == version]


_NETSH = re.compile(r"^netsh advfirewall firewall add rule (?P<atoms>.*)$")


def windows_rules(text: str) -> list[Allow]:
    """Aerleon's Windows output: ``netsh advfirewall firewall add rule name=... dir=in
    remoteip=... localip=... localport=... protocol=... action=allow`` lines."""
    found = []
    for line in text.splitlines():
        match = _NETSH.match(line.strip())
        if not match:
            continue
        atoms = dict(atom.split("=", 1) for atom in match.group("atoms").split())
        assert (atoms["dir"], atoms["action"], atoms["enable"]) == ("in", "allow", "yes"), line
        found.append(
            Allow(
                atoms["protocol"].upper(),
                spans(atoms["localip"].split(",")),
                spans(atoms["remoteip"].split(",")),
                port_ranges(atoms.get("localport", "").split(",")),
                atoms["name"],
            )
        )
    return found


def estate() -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """``groups`` and ``hostvars`` of the example estate, as Ansible itself reads them."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    loader = DataLoader()
    inventory = InventoryManager(loader, [str(EXAMPLE)])
    variables = VariableManager(loader, inventory)
    hostvars = {h.name: dict(variables.get_vars(host=h)) for h in inventory.get_hosts()}
    return inventory.get_groups_dict(), hostvars


def collection_rules(
    host: str, groups: Mapping[str, Sequence[str]], hostvars: Mapping[str, Mapping[str, Any]]
) -> list[Any]:
    """The rules the collection makes for ``host``: its request as win_ocs_firewall checks
    it (the inventory's hosts as peers), then each held component's rules."""
    variables = hostvars[host]
    request, problems = _host_request.host_request(
        list(variables["group_names"]), variables, inventory=_scope.Inventory(groups, hostvars)
    )
    assert request is not None, problems
    return [
        rule
        for settings in request.settings
        for rule in _component_rules.component_rules(
            settings, request.remotes.get(settings.component.key)
        )
    ]


def as_allow(rule: Any) -> Allow:
    return Allow(
        rule.protocol.upper(),
        spans(rule.local_addresses or ["any"]),
        spans(rule.remote_addresses or ["any"]),
        port_ranges(rule.local_ports),
        rule.name,
    )


def host_addresses(host: str, matrix: Mapping[str, Any], rules: Iterable[Allow]) -> list[Span]:
    """Where packets reach ``host``: the addresses the matrix shows it at and those its
    rules are bound to. A rule on any local address is compared on each of these."""
    found: dict[Span, None] = {}
    for table in matrix["boundaries"]:
        for row in table["rows"]:
            for side in ("source", "destination"):
                if row[side] == host:
                    found.update(
                        dict.fromkeys(spans(_aerleon.address(row[f"{side}_address"]).networks))
                    )
    for rule in rules:
        if rule.local != _ANY:
            found.update(dict.fromkeys(rule.local))
    return sorted(found)


# ---- the comparison ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Difference:
    host: str
    # AERLEON or COLLECTION: who alone lets these packets in.
    only: str
    protocol: str
    ports: str
    local: str
    remotes: str
    # Every remote address is the host's own (the cause "itself").
    itself: bool = False
    # What the texts say, for the causes' checks.
    port_ranges: tuple[tuple[int, int], ...] = dataclasses.field(default=(), compare=False)
    remote_spans: tuple[Span, ...] = dataclasses.field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.host, self.only, self.protocol, self.ports, self.local, self.remotes)

    def __str__(self) -> str:
        return (
            f"only {self.only} lets in {self.protocol} {self.ports} on {self.local} "
            f"from {self.remotes}"
        )


def remotes_text(remotes: Sequence[Span], own: Sequence[Span]) -> str:
    """Remote addresses, the host's own addresses they leave out said as exceptions
    (``198.51.100.0/24 but 198.51.100.40``) rather than cut around."""
    whole = [s for s in merged_spans([*remotes, *own]) if any(_inside(r, s) for r in remotes)]
    parts = []
    for span in whole:
        missing = [o for o in own if _inside(o, span) and not any(_inside(o, r) for r in remotes)]
        text = span_text(span)
        if missing:
            text += " but " + " and ".join(span_text(o) for o in missing)
        parts.append(text)
    return ", ".join(parts)


def _inside(inner: Span, outer: Span) -> bool:
    return inner[0] == outer[0] and outer[1] <= inner[1] and inner[2] <= outer[2]


def _cells(rules: Sequence[Allow], own: Sequence[Span]) -> Iterable[tuple[tuple[int, int], Span]]:
    """The (ports, remote addresses) cells the bounds of ``rules`` and of the host's own
    addresses cut the space of ``rules`` into."""
    port_cuts = _cuts(p for r in rules for p in r.ports)
    for version in (4, 6):
        remote_cuts = _cuts(
            [
                *(s for r in rules for s in r.remotes(version)),
                *((a, b) for v, a, b in own if v == version),
            ]
        )
        for ports in port_cuts:
            for low, high in remote_cuts:
                yield ports, (version, low, high)


def _lets_in(rules: Iterable[Allow], ports: tuple[int, int], remote: Span) -> bool:
    version, low, high = remote
    return any(_within(r.ports, *ports) and _within(r.remotes(version), low, high) for r in rules)


def compare(
    host: str, own: Sequence[Span], aerleon: Sequence[Allow], collection: Sequence[Allow]
) -> list[Difference]:
    """Every packet one side lets in and the other not, per protocol and address of the
    host, as merged port and address ranges."""
    found: list[Difference] = []
    for protocol in sorted({r.protocol for r in (*aerleon, *collection)}):
        for local in own:
            sides = {
                AERLEON: [r for r in aerleon if r.takes(protocol, local)],
                COLLECTION: [r for r in collection if r.takes(protocol, local)],
            }
            alone: dict[tuple[str, bool, tuple[int, int]], list[Span]] = {}
            for ports, remote in _cells([*sides[AERLEON], *sides[COLLECTION]], own):
                inside = {name: _lets_in(rules, ports, remote) for name, rules in sides.items()}
                if inside[AERLEON] == inside[COLLECTION]:
                    continue
                only = AERLEON if inside[AERLEON] else COLLECTION
                itself = any(
                    v == remote[0] and a <= remote[1] and remote[2] <= b for v, a, b in own
                )
                alone.setdefault((only, itself, ports), []).append(remote)
            # The ports with the same remote addresses are one difference.
            merged: dict[tuple[str, bool, tuple[Span, ...]], list[tuple[int, int]]] = {}
            for (only, itself, ports), remotes in alone.items():
                merged.setdefault((only, itself, merged_spans(remotes)), []).append(ports)
            for (only, itself, remotes), ports in merged.items():
                found.append(
                    Difference(
                        host,
                        only,
                        protocol,
                        ports_text(ports),
                        span_text(local),
                        remotes_text(remotes, own),
                        itself and only == COLLECTION,
                        tuple(merge_ranges(ports)),
                        remotes,
                    )
                )
    return sorted(found, key=lambda d: d.key)


def _rectangles(difference: Difference) -> list[tuple[tuple[int, int], Span]]:
    return [(p, r) for p in difference.port_ranges for r in difference.remote_spans]


def _covered(rules: Sequence[Allow], ports: tuple[int, int], remote: Span) -> bool:
    """Whether ``rules`` together let in every packet of ``ports`` from ``remote``."""
    version, low, high = remote
    port_cuts = _cuts([ports, *(p for r in rules for p in r.ports)])
    remote_cuts = _cuts([(low, high), *(s for r in rules for s in r.remotes(version))])
    return all(
        _lets_in(rules, p, (version, a, b))
        for p in port_cuts
        if ports[0] <= p[0] and p[1] <= ports[1]
        for a, b in remote_cuts
        if low <= a and b <= high
    )


def cause_holds(
    cause: str, difference: Difference, own: Sequence[Span], aerleon: Sequence[Allow]
) -> bool:
    """Whether Aerleon's output bears out the cause given a difference."""
    if difference.only != COLLECTION:
        return False
    local = spans([difference.local])[0]
    if cause == "side":
        # The same packets on another address of the host.
        return all(
            any(
                _covered([r for r in aerleon if r.takes(difference.protocol, other)], p, remote)
                for other in own
                if other != local
            )
            for p, remote in _rectangles(difference)
        )
    if cause == "narrowed":
        # The same remote addresses on this address, on other ports.
        here = [r for r in aerleon if r.takes(difference.protocol, local)]
        return all(_admitted(here, remote) for _ports, remote in _rectangles(difference))
    return False


def _admitted(rules: Sequence[Allow], remote: Span) -> bool:
    """Whether ``rules`` let every address of ``remote`` in, on some port."""
    version, low, high = remote
    cuts = _cuts([(low, high), *(s for r in rules for s in r.remotes(version))])
    return all(
        any(_within(r.remotes(version), a, b) for r in rules)
        for a, b in cuts
        if low <= a and b <= high
    )


# ---- the run -------------------------------------------------------------------------------


@dataclasses.dataclass
class Generated:
    matrix: dict[str, Any]
    # port-matrix-aerleon/ as the playbook wrote it, and aclgen's output of it.
    policies: Path
    output: Path
    aclgen: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def generated(
    play: Callable[..., PlaybookRun], tmp_path_factory: pytest.TempPathFactory
) -> Generated:
    work = tmp_path_factory.mktemp("aerleon")
    run = play(
        PLAYBOOK,
        EXAMPLE,
        label="port_matrix-aerleon",
        extra_vars={"ocs_firewall_report_dir": str(work / "reports")},
    )
    assert run.rc == 0, run.tail()
    matrix: dict[str, Any] = run.results(MATRIX_TASK)["localhost"]["result"]
    policies = work / "reports" / _aerleon.FOLDER
    output = work / "aerleon-output"
    # As the folder's README says, with the venv's aclgen.
    done = subprocess.run(
        [
            str(ACLGEN),
            "--base_directory",
            "policies",
            "--definitions_directory",
            "def",
            "--output_directory",
            str(output),
        ],
        cwd=policies,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Generated(matrix, policies, output, done)


def _policy(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return found


def _flows(matrix: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [row for table in matrix["boundaries"] for row in table["rows"]]


def test_aerleon_renders_every_policy_without_an_error(generated: Generated) -> None:
    assert generated.aclgen.returncode == 0, generated.aclgen.stderr[-3000:]
    assert "with errors" not in generated.aclgen.stderr


def test_the_policies_are_written_beside_the_tables(generated: Generated) -> None:
    written = sorted(
        str(p.relative_to(generated.policies)) for p in generated.policies.rglob("*") if p.is_file()
    )
    assert written == sorted(_aerleon.files(generated.matrix))
    boundaries = [t["file"] for t in generated.matrix["boundaries"]]
    assert [p for p in written if p.startswith(f"{_aerleon.POLICY_DIR}/")] == sorted(
        f"{_aerleon.POLICY_DIR}/{b}.yaml" for b in boundaries
    )
    # A Windows policy for each server of the estate: each has flows to it.
    groups, _hostvars = estate()
    assert [p for p in written if p.startswith(f"{_aerleon.WINDOWS_POLICY_DIR}/")] == sorted(
        f"{_aerleon.WINDOWS_POLICY_DIR}/{host}.yaml" for host in groups["ocs_servers"]
    )


def test_each_boundary_gives_asa_srx_and_palo_alto_with_a_rule_per_term(
    generated: Generated,
) -> None:
    for table in generated.matrix["boundaries"]:
        policy = _policy(generated.policies / _aerleon.POLICY_DIR / f"{table['file']}.yaml")
        filters = policy["filters"]
        assert filters, table["key"]
        terms = [t["name"] for f in filters for t in f["terms"]]
        assert len(terms) == len(set(terms))
        outputs = {
            target: (generated.output / table["file"])
            .with_suffix(suffix)
            .read_text(encoding="utf-8")
            for target, suffix in DEVICE_SUFFIXES.items()
        }
        # ASA: an access list per source zone, each term's name as a remark.
        for header in (f["header"] for f in filters):
            acl = header["targets"]["ciscoasa"]
            assert f"clear configure access-list {acl}" in outputs["ciscoasa"]
        assert all(f" remark {t}\n" in outputs["ciscoasa"] for t in terms)
        # SRX: a zone pair per filter, a policy per term.
        for header in (f["header"] for f in filters):
            assert header["targets"]["srx"] in outputs["srx"]
        assert all(re.search(rf"\bpolicy {t} {{", outputs["srx"]) for t in terms)
        # Palo Alto: a security rule per term, between the filter's zones.
        root = ElementTree.fromstring(outputs["paloalto"])
        rules = {e.get("name"): e for e in root.iter("entry") if e.find("action") is not None}
        assert sorted(rules) == sorted(terms)
        for found in filters:
            _from, source, _to, destination = found["header"]["targets"]["paloalto"].split()[:4]
            for term in found["terms"]:
                rule = rules[term["name"]]
                assert [m.text for m in rule.iterfind("from/member")] == [source]
                assert [m.text for m in rule.iterfind("to/member")] == [destination]
                assert rule.findtext("action") == "allow"


def _asa_address(network: str) -> str:
    found = ipaddress.ip_network(network)
    if found.num_addresses == 1:
        return f"host {found.network_address}"
    if found.version == 4:
        return f"{found.network_address} {found.netmask}"
    return str(found)


def _asa_ports(ports: str, transport: str) -> list[str]:
    from aerleon.lib import cisco

    found = []
    for token in ports.split(","):
        low, high = port_bounds(token.strip()) or (0, 0)
        name = [cisco.PortMap.GetProtocol(p, transport) for p in (low, high)]
        found.append(f"eq {name[0]}" if low == high else f"range {name[0]} {name[1]}")
    return found


def test_every_flow_is_an_asa_line_of_its_boundary_on_its_addresses_and_ports(
    generated: Generated,
) -> None:
    """Each flow whose addresses the inventory gives is permitted, address by address and
    port by port, in its boundary's ASA output; the others are named in the policy."""
    left_out = 0
    for table in generated.matrix["boundaries"]:
        asa = (generated.output / f"{table['file']}.asa").read_text(encoding="utf-8")
        policy = (generated.policies / _aerleon.POLICY_DIR / f"{table['file']}.yaml").read_text(
            encoding="utf-8"
        )
        lines = [line for line in asa.splitlines() if " extended permit " in line]
        for row in table["rows"]:
            source = _aerleon.address(row["source_address"])
            destination = _aerleon.address(row["destination_address"])
            if source.missing or destination.missing:
                left_out += 1
                variable = source.missing or destination.missing
                assert f"set {variable}" in policy and row["destination"] in policy, row
                continue
            transport = row["transport"].lower()
            for src in ["any"] if source.any else [_asa_address(n) for n in source.networks]:
                for dst in (
                    ["any"] if destination.any else [_asa_address(n) for n in destination.networks]
                ):
                    for ports in _asa_ports(row["ports"], transport):
                        wanted = f" extended permit {transport} {src} {dst} {ports}"
                        assert any(line.endswith(wanted) for line in lines), (table["key"], row)
    assert left_out < len(_flows(generated.matrix))


def comparison(generated: Generated) -> tuple[list[Difference], list[str], str]:
    """Every difference of every server, the problems with their causes, and the report."""
    groups, hostvars = estate()
    differences: list[Difference] = []
    problems: list[str] = []
    lines = [
        "Aerleon's Windows Advanced Firewall output of the port matrix, held against the",
        "inbound rules ocs.firewall makes for the same server (the example estate,",
        "examples/inventory.yml; dev/tests/integration/test_aerleon.py).",
        "",
        "Compared as the packets each side lets in: protocol, local address, remote address,",
        "local port. Aerleon's: windows/<host>.bat (netsh) rendered by aclgen from",
        f"{_aerleon.FOLDER}/{_aerleon.WINDOWS_POLICY_DIR}/<host>.yaml. The collection's: what",
        "win_ocs_firewall plans for the host (ocs_firewall_scope: inventory). A rule on any",
        "local address is compared on each of the host's addresses. Not compared: outbound",
        "rules (Windows allows outbound traffic; the Windows policies hold inbound flows",
        "only), profiles, names, descriptions.",
        "",
        "Causes:",
        *(f"  [{name}] {text}" for name, text in CAUSES.items()),
        "",
    ]
    seen: set[tuple[str, ...]] = set()
    for host in sorted(groups["ocs_servers"]):
        text = (generated.output / "windows" / f"{host}{WINDOWS_SUFFIX}").read_text(
            encoding="utf-8"
        )
        aerleon = windows_rules(text)
        made = collection_rules(host, groups, hostvars)
        inbound = [as_allow(r) for r in made if r.direction == "in"]
        own = host_addresses(host, generated.matrix, inbound)
        found = compare(host, own, aerleon, inbound)
        differences += found
        lines.append(
            f"{host} ({', '.join(span_text(s) for s in own)}): Aerleon {len(aerleon)} rule(s), "
            f"the collection {len(inbound)} inbound rule(s)"
            + (
                f" and {len(made) - len(inbound)} outbound (not compared)"
                if len(made) > len(inbound)
                else ""
            )
        )
        for difference in found:
            seen.add(difference.key)
            cause = "itself" if difference.itself else EXPLAINED.get(difference.key, "")
            if not cause:
                problems.append(f"{host}: {difference}: not explained")
            elif not difference.itself and not cause_holds(cause, difference, own, aerleon):
                problems.append(
                    f"{host}: {difference}: Aerleon's output does not bear out {cause!r}"
                )
            lines.append(f"  [{cause or 'UNEXPLAINED'}] {difference}")
        if not found:
            lines.append("  the same packets")
    problems += [
        f"{k[0]}: {k[1:]}: explained, but no longer a difference"
        for k in EXPLAINED
        if k not in seen
    ]
    counts = {name: 0 for name in CAUSES}
    for difference in differences:
        cause = "itself" if difference.itself else EXPLAINED.get(difference.key, "")
        if cause:
            counts[cause] += 1
    lines += [
        "",
        f"{len(differences)} difference(s): "
        + ", ".join(f"{n} {name}" for name, n in counts.items())
        + f"; {len(problems)} problem(s)",
        *problems,
    ]
    return differences, problems, "\n".join(lines) + "\n"


def test_the_windows_output_differs_from_the_collections_rules_only_as_explained(
    generated: Generated,
) -> None:
    differences, problems, report = comparison(generated)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report, encoding="utf-8")
    assert not problems, report
    # The comparison compares: the example's servers share most packets, not all.
    assert differences
