"""The unit tests' own set-up: their shared helpers importable from every folder below.

The tests mirror plugins/ (``plugins/action/``, ``plugins/plugin_utils/``, ...) beside the
tests of the catalogue data, the roles and the scripts, each folder without
``__init__.py``. The helpers they share (``labhost``, ``checkout``, ``expected``) live
here, in tests/unit, which this puts on ``sys.path`` for all of them. The checkout's
top-level conftest.py sets up the rest (the collection, the lab).
"""

from __future__ import annotations

import sys
from pathlib import Path

_UNIT = str(Path(__file__).resolve().parent)
if _UNIT not in sys.path:
    sys.path.insert(0, _UNIT)
