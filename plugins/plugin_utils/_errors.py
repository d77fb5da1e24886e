# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: the errors every layer raises, in one vocabulary.
"""What can go wrong, by whose fault, and what the task result then says.

* :class:`InputError`: a value the user gave (a module option, an inventory variable, a
  filter's input) is wrong. Its message names the option or variable and the value, and
  it is raised before anything is sent to a host: an action turns it into a failed result
  prefixed with the host's name.
* :class:`CatalogueError`: the port catalogue shipped with the collection (or one given to
  the lookups) is unreadable or breaks the schema.
* :class:`WireError`: text that does not follow the OCSFW2 protocol (a reply that is not
  one, a request too large for one WinRM message).
* :class:`HostError`: the host could not do what was asked; it carries the task result.
* :class:`StaleRead`: the host's rules changed between the read and an apply, which the
  host then refused whole; the caller reads and plans again.

A problem found in the inventory is a message (a string); a :class:`Problem` is one that
also says its :class:`Cause`, when other hosts may report the same one (a peer's missing
address, a network variable left unset), so that the preflight says it once.

Messages list names with :func:`listed`. Pure: no import of the rest of the collection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

# Names listed in a message before the rest are only counted.
_SHOWN_NAMES = 10


def listed(names: Sequence[str]) -> str:
    """Names for a message: the first few quoted, then how many more."""
    shown = [repr(n) for n in names[:_SHOWN_NAMES]]
    if len(names) > _SHOWN_NAMES:
        shown.append(f"... ({len(names) - _SHOWN_NAMES} more)")
    return "[" + ", ".join(shown) + "]"


def counted(number: int, noun: str) -> str:
    """``1 rule``, ``2 rules``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def needing(rules: int, hosts: int, what: str = "it") -> str:
    """``7 rules on 6 hosts need it``."""
    need = "needs" if rules == 1 else "need"
    return f"{counted(rules, 'rule')} on {counted(hosts, 'host')} {need} {what}"


@dataclasses.dataclass(frozen=True)
class Cause:
    """One value, wrong or missing, that problems of several hosts come from.

    Said once for all of them: ``before``, how many rules on how many hosts need it, then
    ``after`` (:meth:`said`). ``host``: the host whose variable it is, "" when it is each
    reporting host's own. ``own``: the problem ``host`` reports itself for that value
    (its text, or one it begins with), when it does: the two are then said as one.
    """

    before: str
    after: str = ""
    host: str = ""
    own: str = ""

    def said(self, rules: int, hosts: int) -> str:
        return f"{self.before}{needing(rules, hosts)}{self.after}"


class Problem(str):
    """A problem's message, with its :class:`Cause` and how many of the reporting host's
    rules it concerns.

    It is its message wherever a message is expected (joined, compared, deduplicated);
    results hold it as a plain string.
    """

    cause: Cause
    rules: int

    def __new__(cls, message: str, cause: Cause, rules: int = 0) -> Problem:
        made = super().__new__(cls, message)
        made.cause = cause
        made.rules = rules
        return made


def cause_of(problem: str) -> Cause | None:
    return problem.cause if isinstance(problem, Problem) else None


class InputError(ValueError):
    """A value the user gave is wrong; ``problems`` lists each one found (the message
    itself when there is one)."""

    def __init__(self, message: str, problems: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems is not None else [message]


class CatalogueError(ValueError):
    """The catalogue file is missing, unreadable or breaks the schema."""

    def __init__(self, problems: Sequence[str], path: str | None = None) -> None:
        self.problems = list(problems)
        where = f"port catalogue {path}" if path else "port catalogue"
        super().__init__(f"{where} is invalid:\n  " + "\n  ".join(self.problems))


class WireError(ValueError):
    """Text that does not follow the OCSFW2 protocol."""


class HostError(Exception):
    """The host could not do what was asked; ``result`` goes into the task result."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result: dict[str, Any] = dict(result or {})
        self.result.update(failed=True, msg=message)


class StaleRead(Exception):
    """The host's rules (or 2003 entries) changed between the read and this apply: another
    run, or an administrator. The host changed nothing for this request (``number``: the
    request of a split apply, 0 for the first, after which nothing at all was changed)."""

    def __init__(self, number: int, total: int) -> None:
        super().__init__(f"request {number + 1} of {total} found the host changed since its read")
        self.number = number
        self.total = total
