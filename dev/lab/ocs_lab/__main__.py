"""Command line of the lab: ``PYTHONPATH=dev/lab python -m ocs_lab COMMAND``.

Commands: start, stop, dump, trace, fault, flow, clock.

Each command is one call of :mod:`ocs_lab.api`; ``serve`` (hidden) is the background
server that ``start`` launches.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any

from . import api, inventory
from .state import FAULT_KINDS, LabError, StateDir, write_json


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ocs_lab",
        description="Simulated Windows hosts speaking WinRM on 127.0.0.1 for ocs.firewall.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="start one simulated host per inventory host")
    start.add_argument("--inventory", required=True, help="Ansible YAML inventory to mirror")
    start.add_argument("--state-dir", required=True)
    start.add_argument("--output", required=True, help="where to write the lab inventory")
    start.add_argument("--transport", choices=api.TRANSPORT_CHOICES, default="basic")
    start.add_argument("--user", default=api.DEFAULT_USER)
    start.add_argument("--password", default=api.DEFAULT_PASSWORD)
    start.add_argument("--replace", action="store_true", help="stop a lab already running there")
    start.add_argument(
        "--scripts-dir",
        help="folder holding _bootstrap.ps1, _prelude.ps1, _firewall.ps1 and _switch.ps1 "
        "(default: the checkout's plugins/plugin_utils/_remote)",
    )

    stop = sub.add_parser("stop", help="stop the lab (safe to repeat)")
    stop.add_argument("--state-dir", required=True)

    dump = sub.add_parser("dump", help="JSON of each host's whole firewall")
    dump.add_argument("--state-dir", required=True)
    dump.add_argument("hosts", nargs="*")

    trace = sub.add_parser("trace", help="JSON of the commands each host ran")
    trace.add_argument("--state-dir", required=True)
    trace.add_argument("--reset", action="store_true", help="clear the traces after printing")
    trace.add_argument("hosts", nargs="*")

    fault = sub.add_parser("fault", help="inject a fault into a running host")
    fault.add_argument("--state-dir", required=True)
    fault.add_argument("host")
    kinds = fault.add_mutually_exclusive_group(required=True)
    kinds.add_argument("--refuse-auth", action="store_true", help="answer 401 to everything")
    kinds.add_argument(
        "--fail-command", type=int, metavar="N", help="Nth command from now fails halfway"
    )
    kinds.add_argument(
        "--drop-command", type=int, metavar="N", help="Nth command: drop the TCP connection"
    )
    kinds.add_argument("--delay", type=float, metavar="SECONDS", help="sleep before each reply")
    kinds.add_argument("--stop-firewall", action="store_true", help="firewall service stopped")
    kinds.add_argument(
        "--cut-after-switch",
        action="store_true",
        help="after the next successful switch, refuse every new connection until the "
        "rollback task has run",
    )
    kinds.add_argument("--clear", action="store_true", help="remove every fault")

    flow = sub.add_parser(
        "flow", help="is a flow allowed on a host, and by which rule (JSON; see ocs_lab.evaluate)"
    )
    flow.add_argument("--state-dir", required=True)
    flow.add_argument("host")
    flow.add_argument("--protocol", required=True, help="tcp, udp, icmpv4, icmpv6 or a number")
    flow.add_argument("--port", dest="local_port", metavar="N", help="the host's port")
    flow.add_argument(
        "--from", dest="remote_address", required=True, metavar="ADDR", help="the peer"
    )
    flow.add_argument(
        "--profile",
        choices=("domain", "private", "public"),
        help="default: the host's current profile",
    )
    flow.add_argument("--direction", choices=("in", "out"), default="in")
    flow.add_argument("--remote-port", metavar="N")
    flow.add_argument("--local-address", metavar="ADDR")
    flow.add_argument("--program", metavar="PATH", help="the program that listens or connects")
    flow.add_argument("--service", metavar="NAME", help="the service, by its short name")

    clock = sub.add_parser(
        "clock", help="print the lab clock (the hosts' local time), or move it forward"
    )
    clock.add_argument("--state-dir", required=True)
    clock.add_argument(
        "--advance",
        type=float,
        metavar="MINUTES",
        help="move the clock forward; the scheduled tasks whose time comes run at once",
    )

    serve = sub.add_parser("serve", help=argparse.SUPPRESS)
    serve.add_argument("--state-dir", required=True)
    serve.add_argument("--daemon", action="store_true")
    return parser


def _print(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _serve(state_dir: str, daemon: bool) -> int:
    state = StateDir(state_dir)
    if daemon:
        if os.fork() > 0:
            # The launcher returns at once; the server lives on in its own session.
            os._exit(0)
        os.setsid()
    state.pid_file.write_text(f"{os.getpid()}\n")
    try:
        from .server import serve

        return serve(state_dir)
    except Exception as exc:
        traceback.print_exc()
        write_json(state.ready_file, {"error": f"{type(exc).__name__}: {exc}"})
        return 1


def _options(args: argparse.Namespace, names: tuple[str, ...]) -> dict[str, Any]:
    """The parsed options ``names`` as keyword arguments of the API call of the same names."""
    return {name: getattr(args, name) for name in names}


def _start(args: argparse.Namespace) -> None:
    options = ("user", "password", "output", "replace", "scripts_dir")
    written = api.start(args.inventory, args.state_dir, args.transport, **_options(args, options))
    count = len(inventory.hosts(written))
    print(f"ocs_lab: {count} host(s) listening; inventory written to {args.output}")


def _stop(args: argparse.Namespace) -> None:
    stopped = api.stop(args.state_dir)
    print("ocs_lab: stopped" if stopped else "ocs_lab: no lab was running")


def _dump(args: argparse.Namespace) -> None:
    _print(api.dump(args.state_dir, args.hosts))


def _trace(args: argparse.Namespace) -> None:
    _print(api.trace(args.state_dir, args.hosts, reset=args.reset))


def _fault(args: argparse.Namespace) -> None:
    options = (*FAULT_KINDS, "clear")
    _print(api.set_fault(args.state_dir, args.host, **_options(args, options)))


def _flow(args: argparse.Namespace) -> None:
    keys: tuple[str, ...] = ("direction", "protocol", "profile", "remote_address", "local_port")
    keys += ("remote_port",)
    keys += ("local_address", "program", "service")
    _print(api.evaluate_flow(args.state_dir, args.host, _options(args, keys)))


def _clock(args: argparse.Namespace) -> None:
    rolled_back: list[str] = []
    if args.advance is not None:
        rolled_back = api.advance_clock(args.state_dir, args.advance)
    now = api.lab_now(args.state_dir).strftime("%Y-%m-%d %H:%M:%S")
    _print({"now": now, "rolled_back": rolled_back})


COMMANDS = {
    "start": _start,
    "stop": _stop,
    "dump": _dump,
    "trace": _trace,
    "fault": _fault,
    "flow": _flow,
    "clock": _clock,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args.state_dir, args.daemon)
    try:
        COMMANDS[args.command](args)
    except LabError as exc:
        print(f"ocs_lab: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
