"""The development harness of ocs.firewall: where things are, and the collection root.

Everything that runs against this checkout (the integration and reliability suites, the
benchmark, ``make demo``, Molecule's create and destroy steps) goes through this package:

* ``harness`` (here): the checkout's folders and :func:`collections_root`, the one place
  that makes the checkout importable as ``ansible_collections.ocs.firewall``; and
  :func:`load_script`, which imports a script of the checkout for its tests;
* :mod:`harness.lab`: lab hosts (``ocs_lab.api``), their dumps, traces and faults;
* :mod:`harness.playbook`: ``ansible-playbook`` runs and what they recorded;
* :mod:`harness.recap`: the one PLAY RECAP parser;
* :mod:`harness.rules`: rules in a lab dump, and the collection's ownership marker;
* :mod:`harness.estate`: generated estates of mixed roles (the bench, the load test);
* :mod:`harness.pytest_plugin`: the pytest fixtures over all of the above;
* ``python -m harness``: the same for make, scripts/demo.sh and Molecule (see __main__);
* ``harness/callback_plugins/ocs_record.py``: the task-result recorder of every run.

Not shipped (galaxy.yml ignores dev/).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_DIR = REPO_ROOT / "dev"
LAB_DIR = DEV_DIR / "lab"
BENCH_DIR = DEV_DIR / "bench"
HARNESS_DIR = Path(__file__).resolve().parent
CALLBACK_DIR = HARNESS_DIR / "callback_plugins"
SITE_PLAYBOOK = REPO_ROOT / "playbooks" / "site.yml"

# The lab (dev/lab/ocs_lab) is a plain folder, not an installed package: whoever imports
# the harness (pytest, dev/bench/run.py, python -m harness) can import ocs_lab too.
if str(LAB_DIR) not in sys.path:
    sys.path.insert(0, str(LAB_DIR))


def collections_root(base: str | os.PathLike[str] | None = None) -> Path:
    """A folder holding ``ansible_collections/ocs/firewall``, a link to this checkout.

    Ansible resolves collection content only under such a tree. ``base`` is the folder to
    use (created if needed); by default a new temporary one. A link there that points
    elsewhere (another clone) is replaced; anything else in its place is an error.
    """
    root = (
        Path(tempfile.mkdtemp(prefix="ocs-firewall-collections-")) if base is None else Path(base)
    )
    link = root / "ansible_collections" / "ocs" / "firewall"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == REPO_ROOT:
        return root
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} exists and is not a link; remove it to link {REPO_ROOT}")
    # A new link under a private name, then renamed over the old one: whoever reads the
    # path meanwhile sees either link, never none.
    fresh = link.with_name(f".firewall-{os.getpid()}")
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(REPO_ROOT, target_is_directory=True)
    os.replace(fresh, link)
    return root


def load_script(name: str, path: Path) -> ModuleType:
    """The script at ``path`` (a file of the checkout, not a package) imported as module
    ``name``, for its tests. Registered in ``sys.modules`` before it runs: dataclasses look
    a class's module up there by name."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
