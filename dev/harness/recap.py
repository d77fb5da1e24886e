"""The one parser of ansible-playbook's PLAY RECAP, for every harness user.

:class:`harness.playbook.PlaybookRun` carries the parsed recap of each run;
``python -m harness recap --unchanged LOG`` checks a saved log with it (``make demo``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Colour codes, in case the output was produced with colour on.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """``PLAY RECAP`` lines -> ``{host: {"ok": n, "changed": n, "failed": n, ...}}``.

    A recap line is ``host : ok=6 changed=0 unreachable=0 failed=0 ...``; lines before
    the ``PLAY RECAP`` heading, and lines after it without a ``key=number`` count, are
    not part of it.
    """
    recap: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in _ANSI.sub("", output).splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if not in_recap or ":" not in line:
            continue
        host, _, rest = line.partition(":")
        counts: dict[str, int] = {}
        for item in rest.split():
            key, sep, value = item.partition("=")
            if sep and value.isdigit():
                counts[key] = int(value)
        if counts:
            recap[host.strip()] = counts
    return recap


def changed_hosts(recap: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The hosts of a recap that report a change."""
    return [host for host, counts in recap.items() if counts.get("changed", 0)]


def failed_hosts(recap: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The hosts of a recap that report a failed task or were unreachable."""
    return [
        host
        for host, counts in recap.items()
        if counts.get("failed", 0) or counts.get("unreachable", 0)
    ]
