# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Internal to this collection: an action's argument spec, from its module's documentation.
"""The argument spec of an action plugin, read from its module's DOCUMENTATION.

Each action plugin of the collection has a documentation-only module of the same name
(plugins/modules/); its ``options`` are the one statement of the task's arguments. The
spec ``ActionBase.validate_argument_spec`` takes is derived from them, each option's
``type`` (``str`` when left out, as ansible-doc reads it), ``required``, ``default``,
``choices``, ``elements``, ``aliases`` and ``no_log``, and ``suboptions`` as ``options``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import Any

import yaml

MODULES = "ansible_collections.ocs.firewall.plugins.modules"
ACTIONS = "ansible_collections.ocs.firewall.plugins.action."
# libyaml's parser when PyYAML was built with it (several times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEYS = ("type", "required", "default", "choices", "elements", "aliases", "no_log")


def _of_options(options: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The argument spec of documented ``options``."""
    spec: dict[str, dict[str, Any]] = {}
    for name, doc in options.items():
        entry = {key: doc[key] for key in _KEYS if key in doc}
        entry.setdefault("type", "str")
        if "suboptions" in doc:
            entry["options"] = _of_options(doc["suboptions"])
        spec[name] = entry
    return spec


@functools.cache
def _of_module(name: str) -> dict[str, dict[str, Any]]:
    documentation = importlib.import_module(f"{MODULES}.{name}").DOCUMENTATION
    return _of_options(yaml.load(documentation, Loader=_LOADER).get("options") or {})


def of_module(name: str) -> dict[str, dict[str, Any]]:
    """The argument spec of the module ``name`` (``win_ocs_firewall``, or its FQCN); a
    copy, which the caller may change."""
    spec = _of_module(name.rsplit(".", 1)[-1])
    return {option: dict(entry) for option, entry in spec.items()}
