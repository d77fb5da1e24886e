"""Shared pytest set-up for every suite: this checkout as ``ansible_collections.ocs.firewall``.

Loaded by the checkout's top-level ``conftest.py``. The collection root is made once per
session; Ansible's own collection finder is installed before any test imports the
collection, so ``ansible_collections.ocs.firewall`` imports and
``lookup_loader.get('ocs.firewall.x')`` resolve to the same modules, with collection
metadata loaded, as under ansible itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader

from harness import REPO_ROOT, collections_root

COLLECTIONS_ROOT = collections_root()
sys.path.insert(0, str(COLLECTIONS_ROOT))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
init_plugin_loader([str(COLLECTIONS_ROOT)])


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout under test."""
    return REPO_ROOT


@pytest.fixture(scope="session", name="collections_root")
def collections_root_fixture() -> Path:
    """A folder holding ``ansible_collections/ocs/firewall`` (a link to the checkout)."""
    return COLLECTIONS_ROOT
