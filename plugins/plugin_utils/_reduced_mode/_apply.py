# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: a 2003 host's plan sent over the client's one apply loop.
"""The apply of a Windows Server 2003 host: its OPEN and CLOSE lines, in as few requests as
the envelope allows, sent by :meth:`.._remote._client.RemoteFirewall.send` like a 2008
host's groups (:class:`_EntryBatch` is its :class:`~.._remote._client.Batch`).

Every OPEN goes before any CLOSE (an OPEN overwrites its key in place), so a failure part
way leaves every port that stays wanted open. Every request carries the digest of the
host's entries as read (then as the request before left them): entries changed since
make the host refuse it whole.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.ocs.firewall.plugins.plugin_utils._errors import HostError, WireError
from ansible_collections.ocs.firewall.plugins.plugin_utils._reduced_mode import _entries
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _client, _wire


def _key(change: _wire.PortChange) -> str:
    return _entries.key_text((change.profile, change.port, change.protocol))


def lost_connection_message(
    opens: tuple[_wire.Open, ...], closes: tuple[_wire.Close, ...], exc: BaseException
) -> str:
    """What a user needs to know when the link broke while the host was changing entries."""
    return (
        f"The connection to the host failed while it was changing its firewall entries "
        f"({type(exc).__name__}: {exc}). The change may have been applied in full, in part "
        f"or not at all (open {len(opens)}, close {len(closes)} entries); the host opens "
        "entries before it closes any, so every port that stays wanted is still open. "
        "Run the task again once the host is reachable: it reads the entries first and "
        "completes the change."
    )


@dataclasses.dataclass(frozen=True)
class _EntryBatch:
    """One request of a 2003 apply: entries to open, then entries to close."""

    opens: tuple[_wire.Open, ...]
    closes: tuple[_wire.Close, ...]
    # The host, as warnings name it.
    host: str = "the host"
    what = "Changing the Windows Firewall entries"
    before = ""

    @property
    def summary(self) -> str:
        return f"apply to a 2003 host: open {len(self.opens)}, close {len(self.closes)} entries"

    def request(self, seen: str) -> str:
        return _wire.encode_legacy_apply(self.opens, self.closes, _entries.pattern(), seen)

    def lost(self, exc: BaseException) -> str:
        return lost_connection_message(self.opens, self.closes, exc)

    def partial(self, reply: _wire.Reply) -> tuple[str, dict[str, Any]] | None:
        if not (reply.opened or reply.closed):
            return None
        opened = [_key(c) for c in reply.opened]
        closed = [_key(c) for c in reply.closed if c.count]
        return (
            f"Before the failure the host had opened {opened} and closed {closed}; no entry "
            "it was to keep was closed. Run the task again to converge.",
            {"changed": True, "opened": opened, "closed": closed},
        )

    def verify(self, reply: _wire.Reply, res: dict[str, Any]) -> list[str]:
        asked = [(o.profile, o.port, o.protocol) for o in self.opens]
        asked_closed = [(c.profile, c.port, c.protocol) for c in self.closes]
        told = [(c.profile, c.port, c.protocol) for c in reply.opened]
        told_closed = [(c.profile, c.port, c.protocol) for c in reply.closed]
        if told != asked or told_closed != asked_closed:
            raise HostError(
                "The host's report of the change does not match the request: asked to open "
                f"{asked} and close {asked_closed}, it reports opened {told} and closed "
                f"{told_closed}",
                {**_client.outputs(res), "changed": True},
            )
        gone = [_key(c) for c in reply.closed if not c.count]
        if not gone:
            return []
        # Closed or renamed by someone else within the request, after the host compared
        # its digest (a change before that makes the host refuse the request whole).
        return [
            f"ocs.firewall: {self.host} no longer held the entries {gone} as the collection "
            "had read them; they were left as they are (the next run reads them again)"
        ]


def apply(
    client: _client.RemoteFirewall, read: _client.EntriesRead, plan: _entries.EntryPlan
) -> None:
    """Open and close the entries of ``plan`` (made from ``read``), in one command when
    it fits."""
    try:
        cut = _wire.split_legacy_apply(
            plan.opens, plan.closes, _entries.pattern(), client.request_budget
        )
    except WireError as exc:
        raise client.too_large(exc) from None
    seen = _wire.digest(_wire.open_port_lines(read.text))
    host = client.host_name() or "the host"
    client.send([_EntryBatch(opens, closes, host) for opens, closes in cut], seen)
