"""Paths of the checkout under test, for the unit tests in every folder of tests/unit."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_UTILS = REPO / "plugins" / "plugin_utils"
# The two PowerShell files the collection sends to a host.
REMOTE_SCRIPTS = PLUGIN_UTILS / "_remote"
