"""Shared pytest set-up for every suite: this checkout as ``ansible_collections.ocs.firewall``,
and the fixtures that start lab hosts and run playbooks on them.

Loaded by the checkout's top-level ``conftest.py``. The collection root is made once per
session; Ansible's own collection finder is installed before any test imports the
collection, so ``ansible_collections.ocs.firewall`` imports and
``lookup_loader.get('ocs.firewall.x')`` resolve to the same modules, with collection
metadata loaded, as under ansible itself.

The system suites (dev/tests/integration, dev/tests/reliability) use ``start_lab`` (lab
hosts, :class:`harness.lab.Labs`) and ``play`` (``ansible-playbook`` runs,
:class:`harness.playbook.Playbooks`); the fixtures are lazy, so other suites pay nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ansible.plugins.loader import init_plugin_loader

from harness import REPO_ROOT, collections_root
from harness.playbook import PlaybookRun, Playbooks, ansible_env

if TYPE_CHECKING:
    from harness.lab import Lab

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


@pytest.fixture(scope="module")
def start_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Lab]]:
    """``start_lab(inventory, transport="basic", *, name="lab")``: lab hosts for an
    inventory dict (or YAML file); every lab started is stopped when the module ends."""
    # Imported here: a suite that starts no lab does not even import the lab.
    from harness.lab import Labs

    with Labs(tmp_path_factory.mktemp("labs")) as labs:
        yield labs.start


@pytest.fixture(scope="session")
def play(
    collections_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., PlaybookRun]:
    """``play(playbook, inventory, *args, extra_vars=None, forks=10, env=None,
    timeout=600)``: run a playbook (a path, or YAML text) against a lab inventory."""
    work = tmp_path_factory.mktemp("ansible")
    return Playbooks(work / "plays", ansible_env(collections_root, work)).run
