# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: what a Windows Server 2008 / 2008 R2 host can take.
"""The limits of the hosts OCS 2007 R2 runs on, checked on the controller.

- **Versions.** A read reply names the host's OS and PowerShell versions, each as Windows
  gives it: the OS version is ``[Environment]::OSVersion.Version``, which on .NET 2.0 has
  four parts, the service pack in the fourth (``6.1.7601.65536`` is 2008 R2 SP1); three
  parts are taken too, and a label shows the version as it came. Windows Server
  2008 (6.0) lacks the address keywords DNS, DHCP, WINS and DefaultGateway: [MS-FASP]'s
  FW_ADDRESS_KEYWORD and [MS-GPFAS]'s address keyword rules add them after LocalSubnet,
  for the firewall of Windows 7 / Server 2008 R2 (6.1). :func:`unsupported` finds rules
  using them. (From the specifications; not yet seen on a real 2008 host.)
- **Envelope size.** WinRM 2.0 refuses a SOAP envelope over ``MaxEnvelopeSizekb``
  (default 150 KB). ansible-core's winrm plugin sends stdin in Send messages of up to
  200,000 bytes, each base64-encoded, so :func:`stdin_budget` is the most stdin one
  command may carry.
- **Connections.** The remote script writes its reply to the console, which only the
  winrm connection captures; psrp returns pipeline output instead, so it is refused
  (:func:`connection_problem`). :func:`connection_hint` names the fix for the failures a
  2008-era host gives a current controller (TLS 1.2, the envelope quota, shell quotas).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import InputError
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._rules import Rule
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall._windows import (
    KEYWORDS_SINCE_6_1,
)

_OS_NAMES = {
    "5.2": "Windows Server 2003",
    "6.0": "Windows Server 2008",
    "6.1": "Windows Server 2008 R2",
}

DEFAULT_MAX_ENVELOPE_KB = _variables.DEFAULT_MAX_ENVELOPE_KB
MIN_MAX_ENVELOPE_KB = 32
MAX_ENVELOPE_VARIABLE = _variables.MAX_ENVELOPE_KB
# ansible-core's winrm plugin: Connection._wrapper_payload_stream(buffer_size=200000).
_ANSIBLE_STDIN_CHUNK = 200_000
# The SOAP around one Send's base64 (headers, selectors, the stream element), with room.
ENVELOPE_OVERHEAD = 4096
_SUPPORTED_CONNECTIONS = ("winrm",)

_TLS = re.compile(
    r"UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|WRONG_VERSION_NUMBER|protocol version|"
    r"unsupported protocol|TLSV1_ALERT|NO_PROTOCOLS_AVAILABLE",
    re.IGNORECASE,
)
_ENVELOPE = re.compile(r"2150859025|MaxEnvelopeSize", re.IGNORECASE)
# WinRM's texts for its quotas: [MS-WSMV]'s ("...maximum number of concurrent shells a
# user can remotely open...") and WinRM 2.0's ("This user is allowed a maximum number of 5
# concurrent shells, which has been exceeded."), with the fault's subcode.
_QUOTA = re.compile(
    r"QuotaLimit|MaxShellsPerUser|maximum number of (?:[0-9]+ )?concurrent", re.IGNORECASE
)


def os_label(version: str) -> str:
    """``Windows Server 2008 R2 (6.1.7601.65536)`` for ``6.1.7601.65536`` (the name from
    the first two parts, the version as the host gave it)."""
    name = _OS_NAMES.get(".".join(version.split(".")[:2]), "Windows")
    return f"{name} ({version})"


def is_6_0(version: str) -> bool:
    return version.split(".")[:2] == ["6", "0"]


def unsupported(rules: Iterable[Rule], os_version: str) -> list[str]:
    """Why the host (OS ``os_version``) would refuse some of ``rules``; [] when none."""
    if not is_6_0(os_version):
        return []
    problems = []
    for rule in rules:
        used = [a for a in rule.remote_addresses if a in KEYWORDS_SINCE_6_1]
        if used:
            problems.append(
                f"rule {rule.name!r}: remote address keyword(s) {', '.join(used)} need "
                f"Windows Server 2008 R2 or later, and the host runs {os_label(os_version)}; "
                "use the servers' addresses instead"
            )
    return problems


def check_supported(rules: Iterable[Rule], os_version: str | None) -> None:
    """Refuse, before any change, what a host of ``os_version`` (None: not known) cannot
    store."""
    problems = unsupported(rules, os_version) if os_version is not None else []
    if problems:
        raise InputError("; ".join(problems))


def check_max_envelope_kb(value: object) -> int:
    """The ``ocs_firewall_winrm_max_envelope_kb`` value, or ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{MAX_ENVELOPE_VARIABLE}: {value!r} is not a number of KB")
    text = str(value).strip()
    # ASCII digits only (int() would also take "１５０" and "1_50").
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{MAX_ENVELOPE_VARIABLE}: {value!r} is not a number of KB")
    number = int(text)
    if number < MIN_MAX_ENVELOPE_KB:
        raise ValueError(
            f"{MAX_ENVELOPE_VARIABLE}: {value!r} is below {MIN_MAX_ENVELOPE_KB}; give the "
            "hosts' MaxEnvelopeSizekb (winrm get winrm/config), 150 on WinRM 2.0"
        )
    return number


def stdin_budget(max_envelope_kb: int) -> int:
    """The most stdin bytes one command may send without an envelope over the quota."""
    per_envelope = (max_envelope_kb * 1024 - ENVELOPE_OVERHEAD) * 3 // 4
    if per_envelope >= _ANSIBLE_STDIN_CHUNK:
        # Every Send carries at most one chunk, whatever the total.
        return 64 * 1024 * 1024
    return per_envelope


def connection_problem(transport: object) -> str | None:
    """Why the task's connection cannot carry the remote script, or None."""
    if not isinstance(transport, str) or transport in _SUPPORTED_CONNECTIONS:
        return None
    if transport == "psrp":
        return (
            "ansible_connection psrp is not supported: the collection's script writes its "
            "reply to the console, which psrp does not return (it returns pipeline output). "
            "Use ansible_connection: winrm (HTTP 5985 with message encryption, or HTTPS)"
        )
    return (
        f"ansible_connection {transport} is not supported; the collection talks to Windows "
        "Server 2003, 2008 and 2008 R2 hosts over ansible_connection: winrm"
    )


def is_send_failure(text: str) -> bool:
    """ansible-core's winrm plugin could not deliver stdin (it hides the host's fault)."""
    return "send_input failed" in text


def send_failure_message(max_envelope_kb: int, stdin_bytes: int) -> str:
    return (
        f"The host did not take the request ({stdin_bytes} bytes of stdin, in WinRM messages "
        f"of up to {max_envelope_kb} KB as {MAX_ENVELOPE_VARIABLE} allows), so the script "
        "did not run and nothing was changed. The usual cause is a host whose "
        f"MaxEnvelopeSizekb is lower than {max_envelope_kb}: set {MAX_ENVELOPE_VARIABLE} to "
        "the hosts' value (150 on WinRM 2.0, see 'winrm get winrm/config'); the collection "
        "then sends smaller requests."
    )


def connection_hint(text: str) -> str | None:
    """What to do about a connection failure a 2008-era host gives, or None."""
    if _TLS.search(text):
        return (
            "The host's HTTPS listener offers no TLS version this controller accepts (current "
            "controllers need TLS 1.2; Windows Server 2008 R2 has it off by default, 2008 "
            "needs KB4019276). Use HTTP on port 5985 with message encryption "
            "(ansible_winrm_transport: ntlm or kerberos, ansible_winrm_scheme: http), or "
            "enable TLS 1.2 on the host."
        )
    if _ENVELOPE.search(text):
        return (
            "The host refused a WinRM message larger than its MaxEnvelopeSizekb; nothing was "
            f"changed. Set {MAX_ENVELOPE_VARIABLE} to the hosts' value (150 on WinRM 2.0), "
            "or raise MaxEnvelopeSizekb on the host."
        )
    if _QUOTA.search(text):
        return (
            "The host's WinRM quota is used up (MaxShellsPerUser, 5 shells per user by "
            "default on WinRM 2.0, or MaxConcurrentOperationsPerUser): close what else holds "
            "shells on the host for this user, lower the forks that reach it at once, or "
            'raise the quota (winrm set winrm/config/winrs @{MaxShellsPerUser="10"}).'
        )
    return None
