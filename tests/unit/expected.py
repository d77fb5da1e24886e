"""What several unit tests expect, spelt out here once rather than taken from the code.

The tests compare the code with these values; deriving them from the code under test
would make the comparison say nothing.
"""

from __future__ import annotations

# The settings every server component has, in documentation order (plugins/plugin_utils/
# _settings.py SETTINGS); a component adds one address setting per interface it binds.
COMMON_SETTINGS: tuple[str, ...] = (
    "state",
    "group",
    "profiles",
    "remote_addresses",
    "include_outbound",
    "include_extras",
    "as_published",
)
# The Edge's: both interfaces, then each external service's own addresses, then its opt-in.
EDGE_SETTINGS: tuple[str, ...] = (
    *COMMON_SETTINGS,
    "internal_addresses",
    "external_addresses",
    "access_addresses",
    "webconf_addresses",
    "av_addresses",
    "unbound",
    "r1_federation",
    "pools",
)

# Texts that would break a script, a shell, the line protocol or a code page if they were
# ever handled as anything but data. Rule names and descriptions may hold each of them
# that has neither "|" nor NUL (Windows Firewall refuses those two).
HOSTILE_TEXTS: tuple[str, ...] = (
    'O\'Brien "quoted"',
    "$(Remove-Item C:\\ -Recurse)",
    "$(Remove-Item C:\\ -Recurse) `whoami` ; & | > <",
    "back`tick`n",
    "semi; colon & amp",
    "tab\there\nnew line\r\nCRLF",
    "line\nbreak\r\nand tab\t",
    "OCSFW2\nEND\nDONE",
    "\0\0\0\0 separator inside",
    "100% %PATH% !x!",
    "Zürich – 北京 – ☎ – 𝄞",
    " leading and trailing ",
    "trailing space ",
    "<script>&lt;",
    "@FirewallAPI.dll,-28502",
)
