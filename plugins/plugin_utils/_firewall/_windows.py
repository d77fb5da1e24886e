# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: Windows Firewall's numbers, keywords and limits, written once.
"""What Windows Firewall calls things, and what a rule is when a field is left out.

The numbers INetFwRule takes (icftypes.h), the address keywords, the limits on names, and
the collection's defaults for a rule. Every other module takes them from here: the rule
model (:mod:`._rules`) turns names into numbers and back with them, the wire protocol
(:mod:`.._remote._wire`) gives its records their defaults in Windows' numbers, the grammar
(:mod:`._grammar`) knows the profiles and address keywords from them.
"""

from __future__ import annotations

from collections.abc import Mapping

# INetFwRule.Protocol: IANA numbers, 256 for any (NET_FW_IP_PROTOCOL_ANY). TCP and UDP are
# the protocols whose rules may name ports.
PORT_PROTOCOL_NUMBERS: dict[str, int] = {"tcp": 6, "udp": 17}
PROTOCOL_NUMBERS: dict[str, int] = {**PORT_PROTOCOL_NUMBERS, "any": 256}
PORT_PROTOCOLS: tuple[str, ...] = tuple(PORT_PROTOCOL_NUMBERS)
# INetFwRule.Direction (NET_FW_RULE_DIRECTION) and .Action (NET_FW_ACTION); the default
# actions of a profile are NET_FW_ACTION too.
DIRECTION_NUMBERS: dict[str, int] = {"in": 1, "out": 2}
ACTION_NUMBERS: dict[str, int] = {"block": 0, "allow": 1}
# INetFwRule.Profiles, a NET_FW_PROFILE_TYPE2 bit mask (a host may report 2147483647,
# NET_FW_PROFILE2_ALL, for all three).
PROFILE_BITS: dict[str, int] = {"domain": 1, "private": 2, "public": 4}
ALL_PROFILES: tuple[str, ...] = tuple(PROFILE_BITS)
ALL_PROFILES_MASK: int = sum(PROFILE_BITS.values())
# How INetFwRule writes "any port" and "any address".
ANY = "*"


def names_of(numbers: Mapping[str, int]) -> dict[int, str]:
    """The name of each number of a ``name -> number`` table."""
    return {number: name for name, number in numbers.items()}


DIRECTION_NAMES = names_of(DIRECTION_NUMBERS)
ACTION_NAMES = names_of(ACTION_NUMBERS)
PROFILE_NAMES = names_of(PROFILE_BITS)
# Names for the protocol numbers a host may report on rules it did not get from us.
PROTOCOL_NAMES: dict[int, str] = {1: "icmpv4", 58: "icmpv6", **names_of(PROTOCOL_NUMBERS)}

# Remote-address keywords, in Windows' spelling. Windows stores them for remote addresses
# only: a rule's local addresses are addresses, networks and ranges ([MS-GPFAS] 2.2.2.19,
# LA4/LA6 vs RA4/RA6; netsh "localip" vs "remoteip"), although the INetFwRule.LocalAddresses
# page lists some of them. Windows Server 2008 (6.0) knows LocalSubnet only: [MS-FASP]'s
# FW_ADDRESS_KEYWORD adds the others for Windows 7 / Server 2008 R2 (6.1).
KEYWORDS_SINCE_6_1: tuple[str, ...] = ("DNS", "DHCP", "WINS", "DefaultGateway")
ADDRESS_KEYWORDS: dict[str, str] = {k.lower(): k for k in ("LocalSubnet", *KEYWORDS_SINCE_6_1)}

# INetFwRule limits: Name/Description/Grouping must not contain "|" and Name must not be
# "all" (learn.microsoft.com, INetFwRule interface remarks). 255 keeps names and groups
# within what the firewall UI and netsh handle.
MAX_NAME_LENGTH = 255
# The longest description Windows Firewall stores: [MS-FASP] FW_RULE.wszDescription is 1 to
# 10001 characters with its terminating NUL. Windows counts UTF-16 code units (a character
# beyond U+FFFF is two); setting a longer one fails with E_INVALIDARG.
MAX_DESCRIPTION_LENGTH = 10_000
FORBIDDEN_CHARACTER = "|"
# Windows keeps names, descriptions and groups as NUL-terminated strings: a NUL would cut
# the value short on the host, so it is refused on the controller.
NUL = "\0"
RESERVED_NAME = "all"
# Built-in rule groups are named by indirect strings ("@FirewallAPI.dll,-28752" is Remote
# Desktop): a group name starting with it is never one the collection may manage.
INDIRECT_PREFIX = "@"
# What the console, netsh and group policy show for those groups (Windows Server 2008 and
# 2008 R2 with their roles, English): netsh's group= and the console's grouping select a
# group by this name, so a rule made in a group of that name would be switched, exported
# and deleted with Windows' own. Localised names are not listed.
BUILTIN_GROUP_TITLES: tuple[str, ...] = (
    "Active Directory Domain Services",
    "Active Directory Web Services",
    "BranchCache - Content Retrieval (Uses HTTP)",
    "BranchCache - Hosted Cache Client (Uses HTTPS)",
    "BranchCache - Hosted Cache Server (Uses HTTPS)",
    "BranchCache - Peer Discovery (Uses WSD)",
    "COM+ Network Access",
    "COM+ Remote Administration",
    "Connect to a Network Projector",
    "Core Networking",
    "DFS Management",
    "DFS Replication",
    "DHCP Server",
    "DHCP Server Management",
    "Distributed Transaction Coordinator",
    "DNS Service",
    "Failover Clusters",
    "File and Printer Sharing",
    "File Replication",
    "FTP Server",
    "Hyper-V",
    "Hyper-V Management Clients",
    "iSCSI Service",
    "Key Management Service",
    "Message Queuing",
    "Netlogon Service",
    "Network Discovery",
    "Network Load Balancing",
    "Performance Logs and Alerts",
    "Remote Administration",
    "Remote Assistance",
    "Remote Desktop",
    "Remote Desktop - RemoteFX",
    "Remote Event Log Management",
    "Remote Scheduled Tasks Management",
    "Remote Service Management",
    "Remote Volume Management",
    "Routing and Remote Access",
    "Secure Socket Tunneling Protocol",
    "Secure World Wide Web Services (HTTPS)",
    "SNMP Trap",
    "Windows Deployment Services",
    "Windows Firewall Remote Management",
    "Windows Internet Naming Service (WINS)",
    "Windows Management Instrumentation (WMI)",
    "Windows Remote Management",
    "Windows Remote Management (Compatibility)",
    "Windows Server Update Services",
    "World Wide Web Services (HTTP)",
)
# The group OCS 2007 R2 setup creates its rules in: its rules, never the collection's.
OCS_SETUP_GROUP = "Office Communications Server 2007 R2"

# The collection's rule where a task leaves a field out: the defaults of the ``rules``
# option, of the rule model and of an ADD record alike. Ports and addresses default to
# any, profiles to all three, a rule to enabled.
DEFAULT_DIRECTION = "in"
DEFAULT_ACTION = "allow"
DEFAULT_PROTOCOL = "tcp"

# --- Windows Server 2003 (HNetCfg.FwMgr, the Windows Firewall of XP SP2 / 2003 SP1) -----
# A host whose OS major version is below 6 has no HNetCfg.FwPolicy2: the remote script
# (which makes that test itself) drives LocalPolicy.GetProfileByType(NET_FW_PROFILE_TYPE)
# and its GloballyOpenPorts, and says so with LEGACY records.
LEGACY_PROFILE_NAMES: dict[int, str] = {0: "Domain", 1: "Standard"}
# domain -> Domain, private and public -> Standard (2003 has no public profile).
LEGACY_PROFILE_OF: dict[str, int] = {"domain": 0, "private": 1, "public": 1}
# INetFwOpenPort.Scope (NET_FW_SCOPE): 2 (custom) is only ever set by RemoteAddresses.
_LEGACY_SCOPE_NAMES: dict[int, str] = {0: "all", 1: "local subnet", 2: "custom"}
LOCAL_SUBNET = "LocalSubnet"
# The dynamic ports RPC hands out: 49152-65535 since Windows Vista / Server 2008,
# 1025-5000 before (KB929851).
DYNAMIC_RPC_PORTS = "49152-65535"
LEGACY_DYNAMIC_RPC_PORTS = "1025-5000"
