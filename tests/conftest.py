"""Shared pytest set-up: make this checkout importable as ``ansible_collections.ocs.firewall``.

Ansible resolves collection content only under an ``ansible_collections/<ns>/<name>`` tree,
so the tests build one in a temporary folder that points back at this checkout.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _collections_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="ocs-firewall-collections-"))
    namespace = root / "ansible_collections" / "ocs"
    namespace.mkdir(parents=True)
    (namespace / "firewall").symlink_to(REPO_ROOT, target_is_directory=True)
    return root


COLLECTIONS_ROOT = _collections_root()
sys.path.insert(0, str(COLLECTIONS_ROOT))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
sys.path.insert(0, str(REPO_ROOT / "lab"))
# bench/benchlib.py: lab and playbook helpers shared by the benchmark and the tests.
sys.path.insert(0, str(REPO_ROOT / "bench"))

# Ansible's own collection finder, installed before any test imports the collection, makes
# ``ansible_collections.ocs.firewall`` imports and ``lookup_loader.get('ocs.firewall.x')``
# resolve to the same modules, with collection metadata loaded, as under ansible itself.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS_ROOT)])


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout under test."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def collections_root() -> Path:
    """A folder holding ``ansible_collections/ocs/firewall`` (a link to the checkout)."""
    return COLLECTIONS_ROOT
