"""pytest's entry to the development harness (dev/harness): every suite, one set-up.

dev/ holds the harness, the lab (simulated Windows hosts) and the benchmark; every test
can import ``harness`` and ``ocs_lab`` (importing the harness puts dev/lab on the path).
"""

from __future__ import annotations

import sys
from pathlib import Path

_DEV = Path(__file__).resolve().parent / "dev"
if str(_DEV) not in sys.path:
    sys.path.insert(0, str(_DEV))

pytest_plugins = ["harness.pytest_plugin"]
