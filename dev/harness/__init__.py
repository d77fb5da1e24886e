"""The development harness of ocs.firewall: where things are, and the collection root.

Everything that runs against this checkout (the pytest suites, the benchmark, the demo,
Molecule's create step) finds the checkout and makes it importable as
``ansible_collections.ocs.firewall`` through here. Not shipped (galaxy.yml ignores dev/).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_DIR = REPO_ROOT / "dev"
LAB_DIR = DEV_DIR / "lab"
BENCH_DIR = DEV_DIR / "bench"


def collections_root(base: Path | None = None) -> Path:
    """A folder holding ``ansible_collections/ocs/firewall``, a link to this checkout.

    Ansible resolves collection content only under such a tree. ``base`` is the folder to
    use (created if needed); by default a new temporary one.
    """
    root = Path(tempfile.mkdtemp(prefix="ocs-firewall-collections-")) if base is None else base
    link = root / "ansible_collections" / "ocs" / "firewall"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return root
