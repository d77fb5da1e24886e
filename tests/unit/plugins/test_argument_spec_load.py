"""Each action plugin's option spec is parsed when the plugin is loaded, not per host."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from ansible_collections.ocs.firewall.plugins import action
from ansible_collections.ocs.firewall.plugins.plugin_utils._ansible import _argument_spec

ACTIONS = sorted(m.name for m in pkgutil.iter_modules(action.__path__))


@pytest.mark.parametrize("name", ACTIONS)
def test_loading_the_plugin_parses_its_spec(name: str) -> None:
    """The strategy loads the plugin in the controller's main process before it forks a
    worker per host: the spec parsed then is what every worker inherits. After the load,
    asking for it parses nothing more."""
    module = importlib.import_module(f"{action.__name__}.{name}")
    _argument_spec._of_module.cache_clear()
    importlib.reload(module)
    loaded = _argument_spec._of_module.cache_info()
    assert loaded.currsize == 1
    spec = _argument_spec.of_module(name)
    assert _argument_spec._of_module.cache_info().misses == loaded.misses
    assert spec == _argument_spec.of_module(f"ocs.firewall.{name}")
