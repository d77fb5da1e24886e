"""Every variable of the registry goes through a check (plugin_utils/_ansible/_preflight.py).

The preflight maps each variable's ``kind`` (plugins/plugin_utils/_variables.py) to the
check of the module that uses its value; a kind without one would let any value through
unseen, which this refuses, naming the kind.
"""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ocs.firewall.plugins.plugin_utils import _variables
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _preflight


def test_every_kind_of_the_registry_has_a_check() -> None:
    assert _preflight.unchecked_kinds() == []


def test_a_kind_without_a_check_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    new = dataclasses.replace(_variables.ESTATE[0], name="ocs_firewall_new", kind="colour")
    monkeypatch.setattr(_variables, "ESTATE", (*_variables.ESTATE, new))
    assert _preflight.unchecked_kinds() == ["colour"]
