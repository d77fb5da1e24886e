"""Compare a real-host acceptance record with what the lab assumes Windows stores.

Usage: ``python scripts/acceptance.py RECORD.json`` (exit 1 and one line per difference
when the lab's assumption is wrong somewhere).

The record is what ``molecule/default/verify.yml`` writes after a converge: for each
host its OS and PowerShell versions, and for every rule the collection made both the
canonical rule and its properties exactly as Windows stored them. For each rule this
script sends the canonical rule through the controller's own translation
(``_convert.to_windows``, what an ADD line carries) and then through the lab's simulated
``INetFwRule`` (``dev/lab/ocs_lab/firewall.py build_rule``, on the host's OS version), and
compares what the lab would store with what Windows did store. Run on a record made on
lab hosts it finds nothing; run on a record from a real Windows Server 2008 R2 host it
shows every place where the lab is not yet as strict or as exact as Windows.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# What a rule record carries besides the managed properties Windows may store otherwise.
NOT_COMPARED = ("name", "description")


def _modules() -> tuple[Any, Any, Any]:
    root = Path(tempfile.mkdtemp(prefix="ocs-firewall-acceptance-"))
    (root / "ansible_collections" / "ocs").mkdir(parents=True)
    (root / "ansible_collections" / "ocs" / "firewall").symlink_to(REPO)
    sys.path[:0] = [str(root), str(REPO / "dev" / "lab")]
    from ocs_lab import firewall

    from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
    from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert

    return _rules, _convert, firewall


def _os(version: str) -> str:
    """The lab flavour of an OS version (``6.1.7601.65536`` -> ``6.1``)."""
    return ".".join(str(version).split(".")[:2]) or "6.1"


def _canonical(rules_module: Any, rule: dict[str, Any]) -> Any:
    """The canonical rule of a record's rule (its lists as the tuples of the model)."""
    values = {f: rule[f] for f in rules_module.RULE_FIELDS}
    return rules_module.Rule(
        **{f: tuple(v) if isinstance(v, list) else v for f, v in values.items()}
    )


def _lab_add(lab: Any, sent: Any) -> Any:
    """The lab's ADD line for the controller's ADD record ``sent`` (enabled as 0/1)."""
    values = {f.name: getattr(sent, f.name) for f in dataclasses.fields(lab.AddLine)}
    return lab.AddLine(**{**values, "enabled": int(sent.enabled)})


def differences(record: dict[str, Any]) -> list[str]:
    """Every property where the lab would store something else than the host did."""
    rules_module, convert, lab = _modules()
    compared = [f for f in rules_module.RULE_FIELDS if f not in NOT_COMPARED]
    found: list[str] = []
    for host, entry in sorted(record["hosts"].items()):
        os_version = _os(entry.get("host", {}).get("os_version", "6.1"))
        if os_version not in lab.OS_VERSIONS:
            found.append(f"{host}: OS {os_version} is not a version the lab plays")
            continue
        for rule in entry["rules"]:
            stored = rule.get("stored")
            if not stored:
                found.append(f"{host}: rule {rule['name']!r} has no stored properties")
                continue
            sent = convert.to_windows(_canonical(rules_module, rule))
            try:
                simulated = lab.build_rule(_lab_add(lab, sent), rule["group"], os_version)
            except lab.FirewallError as exc:
                found.append(f"{host}: rule {rule['name']!r}: the lab refuses it ({exc})")
                continue
            for field in compared:
                lab_value = simulated[field]
                host_value = stored[field]
                if field == "enabled":
                    lab_value, host_value = bool(lab_value), bool(host_value)
                if lab_value != host_value:
                    found.append(
                        f"{host}: rule {rule['name']!r} {field}: Windows stored "
                        f"{host_value!r}, the lab would store {lab_value!r}"
                    )
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    record = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    found = differences(record)
    rules = sum(len(h["rules"]) for h in record["hosts"].values())
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) over {rules} rule(s) on {len(record['hosts'])} host(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
