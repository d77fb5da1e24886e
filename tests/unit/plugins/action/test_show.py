"""show action plugin: lines of text, a table, shown as they are (not as JSON strings)."""

from __future__ import annotations

from typing import Any

import pytest
from labhost import LabHost, run_action

from ansible_collections.ocs.firewall.plugins.action import show
from ansible_collections.ocs.firewall.plugins.action.show import ActionModule

TABLE = ["HOST  RESULT", "fe01  in sync", "total: 1 host(s)  1 in sync"]


def shown(msg: Any) -> tuple[dict[str, Any], Any]:
    result, display = run_action(ActionModule, "ocs.firewall.show", LabHost(), {"msg": msg})
    return result, display


@pytest.mark.parametrize("callback", ["default", "ansible.builtin.default"])
def test_with_the_default_output_the_lines_are_printed_as_text(
    monkeypatch: pytest.MonkeyPatch, callback: str
) -> None:
    monkeypatch.setattr(show, "stdout_callback", lambda: callback)
    result, display = shown(TABLE)
    display.display.assert_called_once_with("\n".join(TABLE))
    assert result["msg"] == TABLE and result["changed"] is False
    # Not a second time as the result's JSON, even with -v.
    assert result["_ansible_verbose_override"] is True
    assert "_ansible_verbose_always" not in result


@pytest.mark.parametrize("callback", ["json", "ansible.posix.json", "awx_display"])
def test_with_any_other_output_the_result_shows_them(
    monkeypatch: pytest.MonkeyPatch, callback: str
) -> None:
    monkeypatch.setattr(show, "stdout_callback", lambda: callback)
    result, display = shown(TABLE)
    display.display.assert_not_called()
    assert result["msg"] == TABLE
    assert result["_ansible_verbose_always"] is True


@pytest.mark.parametrize(
    ("msg", "lines"),
    [
        ("one\ntwo", ["one", "two"]),
        (["a", "b\nc"], ["a", "b", "c"]),
        ([], []),
        ("", [""]),
        (42, ["42"]),
        (None, []),
    ],
)
def test_msg_is_taken_as_lines(msg: Any, lines: list[str]) -> None:
    assert show.lines_of(msg) == lines


def test_msg_is_required() -> None:
    result, display = run_action(ActionModule, "ocs.firewall.show", LabHost(), {})
    assert result["failed"] is True and "msg" in result["msg"]
    display.display.assert_not_called()


def test_the_stdout_callback_is_ansibles_own_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANSIBLE_STDOUT_CALLBACK", raising=False)
    assert show.stdout_callback() == "default"
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "json")
    assert show.stdout_callback() == "json"
