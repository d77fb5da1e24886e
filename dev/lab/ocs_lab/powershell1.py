"""What Windows PowerShell 1.0 makes of the bootstrap, for a host without WMF 2.0.

PowerShell reads a whole command before it runs any of it, so the bootstrap's guard
(``$PSVersionTable`` is missing: ``exit 4``) only runs on 1.0 if 1.0 can read every line of
the bootstrap. :func:`refusal` is the lab's reading of that: the bootstrap's text outside
strings and comments, searched for what PowerShell 1.0 does not know.

- **Operators of 2.0 and later** (``-join``, ``-split`` and their case variants, and 3.0's
  ``-in``, ``-notin``, ``-shl``, ``-shr``): 1.0 stops reading with ``Unexpected token``.
- **A block comment** (``<# ... #>``, 2.0): to 1.0, ``<`` is an operator reserved for
  future use, wherever it stands outside a string.
- **Splatting** (``@name``, 2.0): a token 1.0 does not recognise.
- **try, catch, finally** (2.0): 1.0 reads them as the names of commands it cannot find,
  which fails when it runs them. The lab refuses them anywhere in the bootstrap, which is
  stricter than 1.0 where they come after the guard (they never run there).

Every refusal exits with code 1 and PowerShell's error text on stderr, the position as
``At line:L char:C`` (the line of the command as it was sent, the column after the
token) and the line with ``<<<<`` after the token. The first line of each text is
PowerShell's own; the layout of the position lines is the lab's, not checked against a
1.0 host. Strings (``'...'``, ``"..."`` and here-strings) are skipped whole, code inside
``"$(...)"`` included.
"""

from __future__ import annotations

import re

# PowerShell 1.0's exit code when it cannot read or run the command it was given.
EXIT_CODE = 1
# Operators 1.0 lacks: 2.0's -join and -split, 3.0's -in, -notin, -shl, -shr; each with
# its case-sensitive (c) and case-insensitive (i) spelling where it has one.
_NEWER_OPERATORS = frozenset(
    f"-{prefix}{name}"
    for name in ("join", "split", "in", "notin")
    for prefix in ("", "c", "i")
    if not (name == "join" and prefix)
) | {"-shl", "-shr"}
_NEWER_KEYWORDS = frozenset({"try", "catch", "finally"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")
_DASH_WORD = re.compile(r"-[A-Za-z]+")


def refusal(text: str) -> str | None:
    """PowerShell 1.0's error for the command ``text``, or None when 1.0 can run it up
    to its first ``exit``."""
    found = _first_problem(text)
    if found is None:
        return None
    message, start, end = found
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    column = end - line_start
    number = text.count("\n", 0, start) + 1
    return (
        f"{message}\r\nAt line:{number} char:{column + 1}\r\n"
        f"+ {line[:column]} <<<< {line[column:]}\r\n"
    )


def _first_problem(text: str) -> tuple[str, int, int] | None:
    """The first construct 1.0 cannot run: its message, where it starts and ends."""
    at = 0
    statement_start = True
    while at < len(text):
        char = text[at]
        if char in " \t\r":
            at += 1
            continue
        if char in "\n;{}|(":
            statement_start = True
            at += 1
            continue
        skipped = _skip_string_or_comment(text, at)
        if skipped is not None:
            at = skipped
            statement_start = False
            continue
        if char == "<":
            return "The '<' operator is reserved for future use.", at, at + 1
        if char == "@" and at + 1 < len(text) and (text[at + 1].isalpha() or text[at + 1] == "_"):
            end = _WORD.match(text, at + 1)
            return "Unrecognized token in source text.", at, end.end() if end else at + 1
        if char == "-":
            dash = _DASH_WORD.match(text, at)
            if dash is not None and dash.group().lower() in _NEWER_OPERATORS:
                token = dash.group()
                return f"Unexpected token '{token}' in expression or statement.", at, dash.end()
            at = dash.end() if dash is not None else at + 1
            statement_start = False
            continue
        if char == "$":
            word = _WORD.match(text, at + 1)
            at = word.end() if word else at + 1
            statement_start = False
            continue
        word = _WORD.match(text, at)
        if word is not None:
            if statement_start and word.group().lower() in _NEWER_KEYWORDS:
                return (
                    f"The term '{word.group()}' is not recognized as a cmdlet, function, "
                    "operable program, or script file. Verify the term and try again.",
                    at,
                    word.end(),
                )
            at = word.end()
            statement_start = False
            continue
        at += 1
        statement_start = False
    return None


def _skip_string_or_comment(text: str, at: int) -> int | None:
    """Where the string or comment at ``at`` ends, or None when none starts there."""
    char = text[at]
    if char == "#":
        end = text.find("\n", at)
        return len(text) if end < 0 else end
    if char == "@" and text[at + 1 : at + 2] in ("'", '"'):
        # A here-string: @' or @" at the end of a line, to '@ or "@ at the start of one.
        closing = "\n" + text[at + 1] + "@"
        end = text.find(closing, at + 2)
        return len(text) if end < 0 else end + len(closing)
    if char == "'":
        end = at + 1
        while end < len(text):
            if text[end] == "'":
                if text[end + 1 : end + 2] == "'":
                    end += 2
                    continue
                return end + 1
            end += 1
        return len(text)
    if char == '"':
        end = at + 1
        while end < len(text):
            if text[end] == "`":
                end += 2
                continue
            if text[end] == '"':
                if text[end + 1 : end + 2] == '"':
                    end += 2
                    continue
                return end + 1
            end += 1
        return len(text)
    return None
