"""The firewall a fresh lab host starts with.

A Windows Server 2008 R2 box with OCS 2007 R2 activated: built-in rules (their groups are
indirect strings, as ``INetFwRule.Grouping`` returns them), the rules OCS set-up created,
and a few rules an administrator added by hand. Everything here is "not ours": the
collection must leave it byte-identical.
"""

from __future__ import annotations

from typing import Any

from .firewall import PROFILES_ALL, FirewallError, canonical_addresses, new_rule

CORE = "@FirewallAPI.dll,-25000"
REMOTE_DESKTOP = "@FirewallAPI.dll,-28752"
FILE_PRINTER = "@FirewallAPI.dll,-28502"
WINRM = "@FirewallAPI.dll,-34251"
REMOTE_ADMIN = "@FirewallAPI.dll,-29002"
WMI = "@FirewallAPI.dll,-34601"
EVENT_LOG = "@FirewallAPI.dll,-29252"
NETWORK_DISCOVERY = "@FirewallAPI.dll,-32752"
OCS_GROUP = "Office Communications Server 2007 R2"
OCS_DIR = r"C:\Program Files\Microsoft Office Communications Server 2007 R2"
SYSTEM32 = r"%SystemRoot%\system32"
SVCHOST = SYSTEM32 + r"\svchost.exe"

TCP, UDP, ICMP4, ICMP6, IGMP, IPV6, ANY = 6, 17, 1, 58, 2, 41, 256
DOMAIN_PRIVATE = 3
PUBLIC = 4
DOMAIN = 1


def _r(name: str, group: str, protocol: int, **more: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": name, "grouping": group, "protocol": protocol}
    values.setdefault("enabled", 1)
    values.update(more)
    if "remote_addresses" in values:
        values["remote_addresses"] = canonical_addresses(values["remote_addresses"])
    return new_rule(**values)


def builtin_rules() -> list[dict[str, Any]]:
    core_desc = "Core Networking rules are required for reliable IPv4 and IPv6 connectivity."
    rules = [
        _r(
            "Core Networking - Destination Unreachable (ICMPv6-In)",
            CORE,
            ICMP6,
            description="Destination Unreachable error messages are sent from any node "
            "that a packet traverses which is unable to forward the packet for any reason "
            "except congestion.",
            icmp_types_and_codes="1:*",
            application="System",
        ),
        _r(
            "Core Networking - Destination Unreachable Fragmentation Needed (ICMPv4-In)",
            CORE,
            ICMP4,
            description=core_desc,
            icmp_types_and_codes="3:4",
            application="System",
        ),
        _r(
            "Core Networking - Dynamic Host Configuration Protocol (DHCP-In)",
            CORE,
            UDP,
            description="Allows DHCP (Dynamic Host Configuration Protocol) messages for "
            "stateful auto-configuration.",
            local_ports="68",
            remote_ports="67",
            application=SVCHOST,
            service="dhcp",
        ),
        _r(
            "Core Networking - Dynamic Host Configuration Protocol for IPv6(DHCPV6-In)",
            CORE,
            UDP,
            description=core_desc,
            local_ports="546",
            remote_ports="547",
            application=SVCHOST,
            service="dhcp",
        ),
        _r(
            "Core Networking - Internet Group Management Protocol (IGMP-In)",
            CORE,
            IGMP,
            description="IGMP messages are sent and received by nodes to create, join and "
            "depart multicast groups.",
            application="System",
        ),
        _r("Core Networking - IPv6 (IPv6-In)", CORE, IPV6, description=core_desc),
        _r(
            "Core Networking - Teredo (UDP-In)",
            CORE,
            UDP,
            description=core_desc,
            local_ports="Teredo",
            application=SVCHOST,
            service="iphlpsvc",
        ),
        _r(
            "Core Networking - Neighbor Discovery Solicitation (ICMPv6-In)",
            CORE,
            ICMP6,
            description=core_desc,
            icmp_types_and_codes="135:*",
            application="System",
        ),
        _r(
            "Core Networking - Router Advertisement (ICMPv6-In)",
            CORE,
            ICMP6,
            description=core_desc,
            icmp_types_and_codes="134:*",
            remote_addresses="fe80::/64",
            application="System",
        ),
        _r(
            "Core Networking - DNS (UDP-Out)",
            CORE,
            UDP,
            direction=2,
            description="Outbound rule to allow DNS requests.",
            remote_ports="53",
            application=SVCHOST,
            service="dnscache",
        ),
        _r(
            "Core Networking - Group Policy (TCP-Out)",
            CORE,
            TCP,
            direction=2,
            description="Outbound rule to allow remote RPC traffic for Group Policy updates.",
            application=SVCHOST,
            service="gpsvc",
        ),
        _r(
            "Remote Desktop (TCP-In)",
            REMOTE_DESKTOP,
            TCP,
            description="Inbound rule for the Remote Desktop service to allow RDP traffic. "
            "[TCP 3389]",
            local_ports="3389",
            application="System",
        ),
        _r(
            "File and Printer Sharing (Echo Request - ICMPv4-In)",
            FILE_PRINTER,
            ICMP4,
            description="Echo Request messages are sent as ping requests to other nodes.",
            icmp_types_and_codes="8:*",
            enabled=0,
        ),
        _r(
            "File and Printer Sharing (Echo Request - ICMPv6-In)",
            FILE_PRINTER,
            ICMP6,
            description="Echo Request messages are sent as ping requests to other nodes.",
            icmp_types_and_codes="128:*",
            enabled=0,
        ),
        _r(
            "File and Printer Sharing (SMB-In)",
            FILE_PRINTER,
            TCP,
            description="Inbound rule for File and Printer Sharing to allow Server Message "
            "Block transmission and reception via Named Pipes. [TCP 445]",
            local_ports="445",
            application="System",
            profiles=DOMAIN,
        ),
        _r(
            "File and Printer Sharing (NB-Session-In)",
            FILE_PRINTER,
            TCP,
            description="Inbound rule for File and Printer Sharing to allow NetBIOS Session "
            "Service connections. [TCP 139]",
            local_ports="139",
            application="System",
            profiles=DOMAIN,
        ),
        _r(
            "File and Printer Sharing (NB-Name-In)",
            FILE_PRINTER,
            UDP,
            description="Inbound rule for File and Printer Sharing to allow NetBIOS Name "
            "Resolution. [UDP 137]",
            local_ports="137",
            application="System",
            enabled=0,
        ),
        _r(
            "File and Printer Sharing (NB-Datagram-In)",
            FILE_PRINTER,
            UDP,
            description="Inbound rule for File and Printer Sharing to allow NetBIOS "
            "Datagram transmission and reception. [UDP 138]",
            local_ports="138",
            application="System",
            enabled=0,
        ),
        _r(
            "File and Printer Sharing (Spooler Service - RPC)",
            FILE_PRINTER,
            TCP,
            description="Inbound rule for File and Printer Sharing to allow the Print "
            "Spooler Service to communicate via TCP/RPC.",
            local_ports="RPC",
            application=SYSTEM32 + r"\spoolsv.exe",
            service="Spooler",
            enabled=0,
        ),
        _r(
            "File and Printer Sharing (Spooler Service - RPC-EPMAP)",
            FILE_PRINTER,
            TCP,
            description="Inbound rule for the RPCSS service to allow RPC/TCP traffic for the "
            "Spooler Service.",
            local_ports="RPC-EPMap",
            application=SVCHOST,
            service="RPCSS",
            enabled=0,
        ),
        _r(
            "Windows Remote Management (HTTP-In)",
            WINRM,
            TCP,
            description="Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
            local_ports="5985",
            application="System",
            profiles=DOMAIN_PRIVATE,
        ),
        _r(
            "Windows Remote Management (HTTP-In)",
            WINRM,
            TCP,
            description="Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
            local_ports="5985",
            remote_addresses="LocalSubnet",
            application="System",
            profiles=PUBLIC,
        ),
        _r(
            "Remote Administration (NP-In)",
            REMOTE_ADMIN,
            TCP,
            description="Inbound rule for remote administration via Named Pipes. [TCP 445]",
            local_ports="445",
            application="System",
            enabled=0,
        ),
        _r(
            "Remote Administration (RPC)",
            REMOTE_ADMIN,
            TCP,
            description="Inbound rule for all services to allow remote administration via RPC/TCP.",
            local_ports="RPC",
            application=SVCHOST,
            service="*",
            enabled=0,
        ),
        _r(
            "Remote Administration (RPC-EPMAP)",
            REMOTE_ADMIN,
            TCP,
            description="Inbound rule for the RPCSS service to allow RPC/TCP traffic for all "
            "the local services.",
            local_ports="RPC-EPMap",
            application=SVCHOST,
            service="RPCSS",
            enabled=0,
        ),
        _r(
            "Windows Management Instrumentation (WMI-In)",
            WMI,
            TCP,
            description="Inbound rule to allow WMI traffic for remote Windows Management "
            "Instrumentation. [TCP]",
            application=SVCHOST,
            service="winmgmt",
            profiles=DOMAIN,
        ),
        _r(
            "Windows Management Instrumentation (DCOM-In)",
            WMI,
            TCP,
            description="Inbound rule to allow DCOM traffic for remote Windows Management "
            "Instrumentation. [TCP 135]",
            local_ports="135",
            application=SVCHOST,
            service="rpcss",
            profiles=DOMAIN,
        ),
        _r(
            "Remote Event Log Management (RPC)",
            EVENT_LOG,
            TCP,
            description="Inbound rule for the local Event Log service to be remotely managed "
            "via RPC/TCP.",
            local_ports="RPC",
            application=SVCHOST,
            service="Eventlog",
            enabled=0,
        ),
        _r(
            "Network Discovery (LLMNR-UDP-In)",
            NETWORK_DISCOVERY,
            UDP,
            description="Inbound rule for Network Discovery to allow Link Local Multicast "
            "Name Resolution. [UDP 5355]",
            local_ports="5355",
            remote_addresses="LocalSubnet",
            application=SVCHOST,
            service="dnscache",
            enabled=0,
        ),
        _r(
            "Network Discovery (SSDP-In)",
            NETWORK_DISCOVERY,
            UDP,
            description="Inbound rule for Network Discovery to allow use of the Simple Service "
            "Discovery Protocol. [UDP 1900]",
            local_ports="1900",
            remote_addresses="LocalSubnet",
            application=SVCHOST,
            service="Ssdpsrv",
            enabled=0,
        ),
    ]
    return rules


def ocs_setup_rules() -> list[dict[str, Any]]:
    """Rules that OCS 2007 R2 activation created: same product, not this collection's."""
    prefix = "Office Communications Server 2007 R2 - "
    rtchost = OCS_DIR + r"\Server\Core\RtcHost.exe"
    mcu = OCS_DIR + r"\Web Conferencing\DataMCUSvc.exe"
    av = OCS_DIR + r"\Server\Core\AVMCUSvc.exe"
    return [
        _r(prefix + "Front End - SIP (TCP-In)", OCS_GROUP, TCP, local_ports="5060",
           application=rtchost),
        _r(prefix + "Front End - SIP (TLS-In)", OCS_GROUP, TCP, local_ports="5061",
           application=rtchost),
        _r(prefix + "Front End - DCOM (TCP-In)", OCS_GROUP, TCP, local_ports="135",
           application=rtchost),
        _r(prefix + "Web Conferencing - PSOM (TLS-In)", OCS_GROUP, TCP, local_ports="8057",
           application=mcu),
        _r(prefix + "A/V Conferencing - SIP (TLS-In)", OCS_GROUP, TCP, local_ports="5063",
           application=av),
        _r(prefix + "A/V Conferencing - Media (UDP-In)", OCS_GROUP, UDP,
           local_ports="49152-65535", application=av),
    ]  # fmt: skip


def admin_rules() -> list[dict[str, Any]]:
    """Rules someone added by hand: no group, odd values."""
    return [
        _r(
            "SQL Server (TCP-In)",
            "",
            TCP,
            description="Back-end database for the OCS pool",
            local_ports="1433",
            remote_addresses="10.20.0.0/16",
            profiles=DOMAIN,
        ),
        _r(
            "Backup agent",
            "",
            TCP,
            local_ports="10000,10001",
            remote_addresses="10.20.30.40",
            profiles=PROFILES_ALL,
        ),
        _r("Block telnet", "", TCP, action=0, local_ports="23", enabled=1),
    ]


def default_profiles() -> dict[str, dict[str, int]]:
    # Inbound blocked by default, outbound allowed: the 2008 R2 defaults.
    return {
        str(ptype): {"enabled": 1, "inbound_action": 0, "outbound_action": 1} for ptype in (1, 2, 4)
    }


def foreign_rule(spec: dict[str, Any]) -> dict[str, Any]:
    """A rule from the ``ocs_lab_foreign_rules`` host var: ``name`` plus any rule property.

    ``group`` is accepted as a short form of ``grouping``; the default group is the one
    OCS set-up uses, so a foreign rule can share a name with a rule the collection creates.
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
    rules = builtin_rules() + ocs_setup_rules() + admin_rules()
    rules += [foreign_rule(spec) for spec in foreign or []]
    return {"profiles": default_profiles(), "rules": rules}
