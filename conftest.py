"""pytest's entry to the development harness (dev/harness): every suite, one set-up.

dev/ holds the harness, the lab (simulated Windows hosts) and the benchmark helpers;
they are importable as ``harness``, ``ocs_lab`` and ``benchlib`` in every test.
"""

from __future__ import annotations

import sys
from pathlib import Path

_DEV = Path(__file__).resolve().parent / "dev"
for _path in (_DEV / "bench", _DEV / "lab", _DEV):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

pytest_plugins = ["harness.pytest_plugin"]
