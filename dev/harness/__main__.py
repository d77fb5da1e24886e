"""The harness from the shell: ``PYTHONPATH=dev python -m harness COMMAND``.

For what is not Python: the Makefile, scripts/demo.sh and Molecule's create and destroy
playbooks. Each command is the harness function of the same purpose, so these make the
collection root, start lab hosts and read a recap exactly as the suites and the bench do::

    python -m harness collections DIR     # DIR/ansible_collections/ocs/firewall -> checkout
    python -m harness lab start --inventory IN.yml --state-dir DIR --output OUT.yml
                                [--transport basic|ntlm|https|mixed] [--replace]
    python -m harness lab stop --state-dir DIR
    python -m harness recap --unchanged LOG   # fails unless every host has changed=0
    python -m harness recap --changed LOG     # fails unless every host changed, none failed

Exit status: 0 when done, 1 when a recap check failed, 2 on a bad option or a lab error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import collections_root
from harness.lab import TRANSPORTS, LabError, start_lab, stop_lab
from harness.recap import changed_hosts, failed_hosts, parse_recap


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness", description="The ocs.firewall development harness."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    links = sub.add_parser("collections", help="link the checkout as DIR/.../ocs/firewall")
    links.add_argument("dir", type=Path)

    lab = sub.add_parser("lab", help="start or stop lab hosts")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    start = lab_sub.add_parser("start", help="one simulated host per inventory host")
    start.add_argument("--inventory", required=True, type=Path, help="YAML inventory to mirror")
    start.add_argument("--state-dir", required=True, type=Path)
    start.add_argument("--output", required=True, type=Path, help="the inventory Ansible uses")
    start.add_argument("--transport", choices=TRANSPORTS, default="basic")
    start.add_argument("--replace", action="store_true", help="stop a lab already running there")
    stop = lab_sub.add_parser("stop", help="stop the lab (safe to repeat)")
    stop.add_argument("--state-dir", required=True, type=Path)

    recap = sub.add_parser("recap", help="the PLAY RECAP of a saved ansible-playbook output")
    recap.add_argument("log", type=Path)
    expect = recap.add_mutually_exclusive_group()
    expect.add_argument(
        "--unchanged", action="store_true", help="fail unless every host reports changed=0"
    )
    expect.add_argument(
        "--changed",
        action="store_true",
        help="fail unless every host reports a change and none failed or was unreachable",
    )
    return parser


def _lab(args: argparse.Namespace) -> int:
    if args.lab_command == "stop":
        stopped = stop_lab(args.state_dir)
        print("harness: lab stopped" if stopped else "harness: no lab was running")
        return 0
    lab = start_lab(
        args.inventory, args.state_dir, args.output, args.transport, replace=args.replace
    )
    print(f"harness: {len(lab.hosts)} lab host(s) listening; inventory written to {lab.inventory}")
    return 0


def _recap(args: argparse.Namespace) -> int:
    recap = parse_recap(args.log.read_text(encoding="utf-8", errors="replace"))
    if not recap:
        print(f"harness: no PLAY RECAP in {args.log}", file=sys.stderr)
        return 1
    changed = changed_hosts(recap)
    if args.unchanged and changed:
        print(f"harness: {len(changed)} host(s) changed: {', '.join(changed)}", file=sys.stderr)
        return 1
    failed = failed_hosts(recap)
    unchanged = sorted(set(recap) - set(changed))
    if args.changed and (failed or unchanged):
        print(f"harness: failed {failed}, unchanged {unchanged}", file=sys.stderr)
        return 1
    print(f"{len(recap)} host(s), {len(changed)} changed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "collections":
            print(collections_root(args.dir))
            return 0
        if args.command == "lab":
            return _lab(args)
        return _recap(args)
    except (LabError, FileExistsError, OSError) as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
