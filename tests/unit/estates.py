"""Inventory files of whole estates, loaded as a play sees them (``groups``, ``hostvars``).

The example estate (examples/inventory.yml) and a 21-server Enterprise estate
(tests/data/estate-enterprise-inventory.yml), for the tests of what is worked out over a
whole estate: the port matrix, its groups and drawings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

ROOT = Path(__file__).resolve().parents[2]
ESTATES = {
    "example": ROOT / "examples" / "inventory.yml",
    "enterprise": ROOT / "tests" / "data" / "estate-enterprise-inventory.yml",
}


def load(path: Path) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """A play's ``groups`` and ``hostvars`` for an inventory file."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    variables = VariableManager(loader=loader, inventory=inventory)
    groups = {g.name: [h.name for h in g.get_hosts()] for g in inventory.groups.values()}
    hostvars = {h.name: variables.get_vars(host=h) for h in inventory.get_hosts()}
    return groups, hostvars
