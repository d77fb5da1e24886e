"""Measure playbooks/site.yml against the lab, and the per-rule pattern it replaces.

Usage (``make bench`` runs the first form)::

    python bench/run.py [--hosts 50] [--forks 25] [--repeat 3] [--json .build/bench.json]
                        [--baseline frontend|all] [--latency 0.05]
                        [--transport basic|ntlm|https|mixed]

One run of this script starts simulated Windows hosts (``lab/ocs_lab``) on 127.0.0.1 and
measures, each figure the median of ``--repeat`` runs, each repeat on fresh lab hosts:

* ``site.yml`` with ``--check`` on fresh hosts (which it must leave untouched: checked),
  then cold (the hosts are still fresh), then again in sync: wall time, time inside the
  play (without the interpreter start-up), WinRM commands per host from the lab's traces
  (min/median/max), controller CPU seconds and peak RSS of the ansible-playbook process
  tree (``os.wait4``: the RUSAGE_CHILDREN figures of that run);
* the per-rule baseline: the same rules that site.yml put on a Front End host (and with
  ``--baseline all``, on every host), applied one task per rule, the loop a user writes
  with a one-rule-per-task module such as ``community.windows.win_firewall_rule``. The
  lab runs only this collection's remote script, so the baseline is *simulated* through
  the same lab and engine: each loop item calls ``ocs.firewall.win_firewall_rules`` with
  a single rule and ``purge: false``. That keeps the comparison about the pattern (one
  task and its round trips per rule), not about two different implementations. The
  comparison runs twice: on the bare loopback lab, and with the lab waiting ``--latency``
  seconds before each WinRM reply (a stand-in for what a command costs on a real host,
  where each one starts powershell.exe; clearly a model, reported as such).

Exit status is non-zero only when a playbook run fails; timings never fail the run.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    REPO_ROOT,
    SITE_PLAYBOOK,
    Lab,
    LabError,
    PlaybookRun,
    ansible_env,
    collections_root,
    commands_per_host,
    estate_inventory,
    generate_estate,
    hosts_of,
    run_playbook,
    write_yaml,
)

BASELINE_NOTE = (
    "The per-rule baseline is simulated through the same lab and engine: one task per "
    "rule (a loop over the host's rules calling ocs.firewall.win_firewall_rules with a "
    "single rule and purge: false), the pattern of a one-rule-per-task module such as "
    "community.windows.win_firewall_rule. The lab runs only this collection's remote script."
)

_DIRECTIONS = {1: "in", 2: "out"}
_ACTIONS = {0: "block", 1: "allow"}
_PROTOCOLS = {6: "tcp", 17: "udp", 256: "any"}
_PROFILE_BITS = ((1, "domain"), (2, "private"), (4, "public"))
_PROFILES_ALL = 2147483647


class PlaybookFailed(RuntimeError):
    def __init__(self, label: str, run: PlaybookRun) -> None:
        super().__init__(f"{label}: ansible-playbook exited {run.rc}\n{run.tail()}")


# --------------------------------------------------------------------------- rule capture


def _rules_of(dump: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """The rule list of one host in ``ocs_lab dump`` output (``{host: {profiles, rules}}``)."""
    return list(dump.get(host, {}).get("rules", []))


def _ports_input(stored: str) -> list[str]:
    return [] if stored in ("", "*") else [p for p in stored.split(",") if p]


def _address_input(part: str) -> str:
    """Windows' stored form (``10.0.0.1/255.255.255.255``) back to what a user writes."""
    if "/" not in part:
        return part
    try:
        network = ipaddress.ip_network(part, strict=False)
    except ValueError:
        return part
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return network.with_prefixlen


def _addresses_input(stored: str) -> list[str]:
    if stored in ("", "*"):
        return []
    return [_address_input(p) for p in stored.split(",") if p]


def _profiles_input(mask: int) -> list[str]:
    if mask == _PROFILES_ALL:
        mask = 7
    return [name for bit, name in _PROFILE_BITS if mask & bit]


def rule_input(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as the lab stores it -> a ``win_firewall_rules`` rule dict (contract form)."""
    rule: dict[str, Any] = {
        "name": stored["name"],
        "description": stored.get("description", ""),
        "direction": _DIRECTIONS[int(stored["direction"])],
        "action": _ACTIONS[int(stored["action"])],
        "protocol": _PROTOCOLS[int(stored["protocol"])],
        "profiles": _profiles_input(int(stored["profiles"])),
        "enabled": bool(int(stored["enabled"])),
    }
    for key in ("local_ports", "remote_ports"):
        ports = _ports_input(str(stored.get(key, "*")))
        if ports:
            rule[key] = ports
    for key in ("local_addresses", "remote_addresses"):
        addresses = _addresses_input(str(stored.get(key, "*")))
        if addresses:
            rule[key] = addresses
    return rule


def _identity(rule: Mapping[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True, ensure_ascii=False)


def added_rules(
    before: Mapping[str, Any], after: Mapping[str, Any], host: str
) -> list[dict[str, Any]]:
    """Rules present on ``host`` after a run and not before it (the rules the run put there)."""
    seen = {_identity(r) for r in _rules_of(before, host)}
    return [r for r in _rules_of(after, host) if _identity(r) not in seen]


def group_rule_signature(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order-free signature of rules (group + every stored property) to compare two runs."""
    return sorted(_identity(r) for r in rules)


# --------------------------------------------------------------------------- baseline playbook


def write_baseline(
    folder: Path, per_host: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[Path, Path]:
    """Two playbooks over the same rules, and their host_vars.

    ``per_rule_baseline.yml``: one task per rule (``bench_rules``: one item per rule).
    ``per_group.yml``: one task per rule group holding all its rules (``bench_groups``),
    the collection's own pattern without the roles around it, so the comparison can tell
    the pattern's cost from the cost of site.yml's plays and variable checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    per_rule = folder / "per_rule_baseline.yml"
    per_rule.write_text(
        "# Generated by bench/run.py: the per-rule pattern (one task per firewall rule).\n"
        "- name: Per-rule baseline, one task per rule\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Apply one rule\n"
        "      ocs.firewall.win_firewall_rules:\n"
        '        group: "{{ item.group }}"\n'
        '        rules: "{{ [item.rule] }}"\n'
        "        purge: false\n"
        '      loop: "{{ bench_rules }}"\n'
        "      loop_control:\n"
        '        label: "{{ item.rule.name }}"\n',
        encoding="utf-8",
    )
    per_group = folder / "per_group.yml"
    per_group.write_text(
        "# Generated by bench/run.py: one task per rule group (the collection's pattern).\n"
        "- name: One task per rule group\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Apply a whole group\n"
        "      ocs.firewall.win_firewall_rules:\n"
        '        group: "{{ item.group }}"\n'
        '        rules: "{{ item.rules }}"\n'
        '      loop: "{{ bench_groups }}"\n'
        "      loop_control:\n"
        '        label: "{{ item.group }}"\n',
        encoding="utf-8",
    )
    host_vars = folder / "host_vars"
    host_vars.mkdir(exist_ok=True)
    for host, stored_rules in per_host.items():
        items = [{"group": r["grouping"], "rule": rule_input(r)} for r in stored_rules]
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            groups.setdefault(item["group"], []).append(item["rule"])
        data = {
            "bench_rules": items,
            "bench_groups": [{"group": g, "rules": rules} for g, rules in groups.items()],
        }
        (host_vars / f"{host}.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return per_rule, per_group


# --------------------------------------------------------------------------- measuring


def command_stats(counts: Mapping[str, int], hosts: Sequence[str]) -> dict[str, float]:
    values = [counts.get(h, 0) for h in hosts]
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "total": sum(values),
    }


def measurement(run: PlaybookRun, trace: Mapping[str, Any], hosts: Sequence[str]) -> dict[str, Any]:
    return {
        "wall_s": round(run.wall_s, 3),
        "play_s": round(run.play_s, 3),
        "cpu_s": round(run.cpu_s, 3),
        "maxrss_mib": round(run.maxrss_mib, 1),
        "commands": command_stats(commands_per_host(trace), hosts),
        "changed_hosts": sum(1 for h in hosts if run.recap.get(h, {}).get("changed", 0)),
        "failed_hosts": sum(
            1
            for h in hosts
            if run.recap.get(h, {}).get("failed", 0) or run.recap.get(h, {}).get("unreachable", 0)
        ),
    }


def median_of(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Field-wise median of measurements (nested dicts too)."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, Mapping):
            out[key] = median_of([r[key] for r in runs])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in runs)
        else:
            out[key] = value
    return out


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work_dir).resolve()
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        self.env = ansible_env(collections_root(self.work / "collections"), self.work)
        self.estate = generate_estate(args.hosts)
        self.hosts = hosts_of(self.estate)
        self.estate_file = write_yaml(self.work / "estate.yml", estate_inventory(self.estate))
        # The first Front End is never collocated (generate_estate collocates every tenth).
        self.fe_host = self.estate["ocs_front_end"][0][0]
        self.labs: list[Lab] = []
        self.counter = 0

    def fresh_lab(self, tag: str) -> tuple[Lab, Path]:
        self.counter += 1
        folder = self.work / "labs" / f"{self.counter:02d}-{tag}"
        lab = Lab(folder / "state")
        self.labs.append(lab)
        inventory = lab.start(self.estate_file, folder / "inventory.yml", self.args.transport)
        lab.trace(reset=True)
        return lab, inventory

    def stop(self, lab: Lab) -> None:
        lab.stop()
        if lab in self.labs:
            self.labs.remove(lab)

    def stop_all(self) -> None:
        for lab in list(self.labs):
            self.stop(lab)

    def play(self, label: str, playbook: Path, inventory: Path, *extra: str) -> PlaybookRun:
        self.counter += 1
        record = self.work / "records" / f"{self.counter:03d}-{label.replace(' ', '_')}.jsonl"
        started = time.perf_counter()
        run = run_playbook(
            playbook, inventory, self.env, *extra, forks=self.args.forks, record=record
        )
        self.log(f"  {label}: rc {run.rc}, {time.perf_counter() - started:.1f} s")
        if not run.ok:
            (self.work / f"failed-{self.counter:03d}.log").write_text(
                run.stdout + "\n" + run.stderr, encoding="utf-8"
            )
            raise PlaybookFailed(label, run)
        return run

    def log(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # One repeat of every measurement -------------------------------------------------

    def estate_runs(self) -> dict[str, dict[str, Any]]:
        """--check, then cold, then in sync, on one fresh lab (check mode leaves the hosts
        as they were, which is verified, so the cold run still starts from fresh hosts)."""
        lab, inventory = self.fresh_lab("estate")
        fresh = lab.dump()
        check = self.play("site.yml --check", SITE_PLAYBOOK, inventory, "--check")
        check_m = measurement(check, lab.trace(reset=True), self.hosts)
        check_m["hosts_untouched"] = lab.dump() == fresh
        cold = self.play("site.yml cold", SITE_PLAYBOOK, inventory)
        cold_m = measurement(cold, lab.trace(reset=True), self.hosts)
        sync = self.play("site.yml in sync", SITE_PLAYBOOK, inventory)
        sync_m = measurement(sync, lab.trace(reset=True), self.hosts)
        self.stop(lab)
        return {"cold": cold_m, "sync": sync_m, "check": check_m}

    def cold_and_sync(
        self, label: str, playbook: Path, hosts: Sequence[str], latency: float
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """Cold then in-sync run limited to ``hosts`` on a fresh lab; the rules the cold run
        added per host. ``latency``: seconds the lab waits before each WinRM reply."""
        lab, inventory = self.fresh_lab(label.split()[0])
        if latency:
            for host in hosts:
                lab.fault(host, "--delay", str(latency))
        limit = ("--limit", ",".join(hosts))
        before = lab.dump(hosts)
        cold = self.play(f"{label} cold", playbook, inventory, *limit)
        cold_m = measurement(cold, lab.trace(reset=True), hosts)
        after = lab.dump(hosts)
        sync = self.play(f"{label} in sync", playbook, inventory, *limit)
        sync_m = measurement(sync, lab.trace(reset=True), hosts)
        self.stop(lab)
        return cold_m, sync_m, {h: added_rules(before, after, h) for h in hosts}

    # The whole benchmark ---------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        a = self.args
        self.log(
            f"ocs.firewall bench: {a.hosts} hosts, forks {a.forks}, {a.repeat} repeat(s), "
            f"transport {a.transport}, work dir {self.work}"
        )
        scopes: dict[str, tuple[list[str], float]] = {"frontend": ([self.fe_host], 0.0)}
        if a.latency > 0:
            scopes["frontend_latency"] = ([self.fe_host], a.latency)
        if a.baseline == "all":
            scopes["all"] = (list(self.hosts), 0.0)
        estate: list[dict[str, Any]] = []
        keys = (
            "ours_cold",
            "ours_sync",
            "per_group_cold",
            "per_group_sync",
            "baseline_cold",
            "baseline_sync",
        )
        compare: dict[str, dict[str, list[dict[str, Any]]]] = {
            s: {k: [] for k in keys} for s in scopes
        }
        same: dict[str, list[bool]] = {s: [] for s in scopes}
        rule_counts: dict[str, int] = {}
        playbooks: dict[str, tuple[Path, Path]] = {}
        for r in range(a.repeat):
            self.log(f"repeat {r + 1}/{a.repeat}")
            estate.append(self.estate_runs())
            for scope, (hosts, latency) in scopes.items():
                ours_cold, ours_sync, added = self.cold_and_sync(
                    f"site.yml[{scope}]", SITE_PLAYBOOK, hosts, latency
                )
                if scope not in playbooks:
                    playbooks[scope] = write_baseline(self.work / f"baseline-{scope}", added)
                    rule_counts[scope] = sum(len(v) for v in added.values())
                per_rule, per_group = playbooks[scope]
                group_cold, group_sync, group_added = self.cold_and_sync(
                    f"per-group[{scope}]", per_group, hosts, latency
                )
                base_cold, base_sync, base_added = self.cold_and_sync(
                    f"per-rule[{scope}]", per_rule, hosts, latency
                )
                same[scope].append(
                    all(
                        group_rule_signature(base_added[h]) == group_rule_signature(added[h])
                        and group_rule_signature(group_added[h]) == group_rule_signature(added[h])
                        for h in hosts
                    )
                )
                values = (ours_cold, ours_sync, group_cold, group_sync, base_cold, base_sync)
                for key, value in zip(keys, values, strict=True):
                    compare[scope][key].append(value)
        result: dict[str, Any] = {
            "hosts": a.hosts,
            "forks": a.forks,
            "repeat": a.repeat,
            "transport": a.transport,
            "estate": {g: len(m) for g, m in self.estate.items()},
            "note": BASELINE_NOTE,
            "site": {
                phase: median_of([e[phase] for e in estate]) for phase in ("cold", "sync", "check")
            },
            "site_runs": estate,
            "baseline": {},
        }
        result["site"]["check"]["hosts_untouched"] = all(
            e["check"]["hosts_untouched"] for e in estate
        )
        for scope, (hosts, latency) in scopes.items():
            entry: dict[str, Any] = {
                "hosts": hosts if len(hosts) == 1 else len(hosts),
                "latency_s_per_reply": latency,
                "rules": rule_counts[scope],
                **{k: median_of(v) for k, v in compare[scope].items()},
                "same_rules_as_ours": all(same[scope]),
            }
            entry["ratios"] = ratios(entry)
            result["baseline"][scope] = entry
        return result


def _ratio(base: float, ours: float) -> float | None:
    return round(base / ours, 2) if ours else None


def ratios(entry: Mapping[str, Any]) -> dict[str, float | None]:
    """per-rule / site.yml and per-rule / per-group for commands and times (above 1: the
    per-rule pattern costs more)."""
    out: dict[str, float | None] = {}
    for ours in ("ours", "per_group"):
        prefix = "" if ours == "ours" else "per_group_"
        for phase in ("cold", "sync"):
            base, mine = entry[f"baseline_{phase}"], entry[f"{ours}_{phase}"]
            out[f"{prefix}commands_{phase}"] = _ratio(
                base["commands"]["total"], mine["commands"]["total"]
            )
            out[f"{prefix}wall_{phase}"] = _ratio(base["wall_s"], mine["wall_s"])
            out[f"{prefix}play_{phase}"] = _ratio(base["play_s"], mine["play_s"])
    return out


# --------------------------------------------------------------------------- report


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def _cmds(m: Mapping[str, Any]) -> str:
    c = m["commands"]
    return f"{_fmt(c['min'])}/{_fmt(c['median'])}/{_fmt(c['max'])}"


def report(result: Mapping[str, Any], out: Callable[[str], None] = print) -> None:
    groups = ", ".join(f"{g.removeprefix('ocs_')} {n}" for g, n in result["estate"].items())
    out(
        f"ocs.firewall bench: {result['hosts']} hosts ({groups}; collocated hosts counted in "
        f"each group), forks {result['forks']}, transport {result['transport']}, "
        f"medians of {result['repeat']} run(s)"
    )
    out("")
    header = (
        f"{'playbooks/site.yml':<30}{'wall s':>8}{'play s':>8}{'cpu s':>8}{'peak MiB':>10}"
        f"{'cmds/host min/med/max':>24}{'changed':>9}{'failed':>8}"
    )
    out(header)
    out("-" * len(header))
    labels = {
        "cold": "cold (fresh lab)",
        "sync": "in sync (second run)",
        "check": "--check (fresh lab)",
    }
    for phase, label in labels.items():
        m = result["site"][phase]
        out(
            f"{label:<30}{_fmt(m['wall_s']):>8}{_fmt(m['play_s']):>8}{_fmt(m['cpu_s']):>8}"
            f"{_fmt(m['maxrss_mib']):>10}{_cmds(m):>24}{_fmt(m['changed_hosts']):>9}"
            f"{_fmt(m['failed_hosts']):>8}"
        )
    if not result["site"]["check"]["hosts_untouched"]:
        out("WARNING: the --check run changed the lab hosts")
    if result["site"]["sync"]["changed_hosts"]:
        changed = result["site"]["sync"]["changed_hosts"]
        out(f"WARNING: the in-sync run reported changes on {changed} host(s)")
    for entry in result["baseline"].values():
        who = (
            f"Front End host {entry['hosts'][0]}"
            if isinstance(entry["hosts"], list)
            else f"all {entry['hosts']} hosts"
        )
        latency = entry["latency_s_per_reply"]
        how = (
            f"modelled WinRM latency: lab waits {latency:g} s before each reply"
            if latency
            else "lab on loopback, no added latency"
        )
        out("")
        out(f"Per-rule baseline vs site.yml, {who}: {entry['rules']} rules ({how})")
        head = (
            f"{'':<20}{'site.yml':>10}{'per-group':>11}{'per-rule':>10}"
            f"{'per-rule/site':>15}{'per-rule/group':>16}"
        )
        out(head)
        out("-" * len(head))
        r = entry["ratios"]
        for phase in ("cold", "sync"):
            ours = entry[f"ours_{phase}"]
            group = entry[f"per_group_{phase}"]
            base = entry[f"baseline_{phase}"]
            for name, key in (("commands", "commands"), ("wall s", "wall"), ("play s", "play")):
                if key == "commands":
                    values = [m["commands"]["total"] for m in (ours, group, base)]
                else:
                    values = [m[f"{key}_s"] for m in (ours, group, base)]
                out(
                    f"{name + ' (' + phase + ')':<20}{_fmt(values[0]):>10}{_fmt(values[1]):>11}"
                    f"{_fmt(values[2]):>10}{_fmt(r[f'{key}_{phase}']) + 'x':>15}"
                    f"{_fmt(r[f'per_group_{key}_{phase}']) + 'x':>16}"
                )
        if not entry["same_rules_as_ours"]:
            out("WARNING: the per-rule or per-group run did not leave the same rules as site.yml")
    out("")
    out(
        "wall s: whole ansible-playbook process; play s: playbook start to recap (without "
        "interpreter start-up); cmds: WinRM commands per host from the lab traces; cpu s and "
        "peak MiB: ansible-playbook and its forks (os.wait4 rusage; peak = largest process)."
    )
    out(
        "per-group: the same rules, one ocs.firewall.win_firewall_rules task per rule group, "
        "in a one-play playbook like the per-rule one (the pattern without site.yml's plays "
        "and variable checks)."
    )
    out(BASELINE_NOTE)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hosts", type=int, default=50, help="lab hosts (default 50)")
    p.add_argument("--forks", type=int, default=25, help="ansible forks (default 25)")
    p.add_argument("--repeat", type=int, default=3, help="runs per figure, median kept (default 3)")
    p.add_argument(
        "--json", default=str(REPO_ROOT / ".build" / "bench.json"), help="figures as JSON"
    )
    p.add_argument(
        "--baseline",
        choices=("frontend", "all"),
        default="frontend",
        help="hosts the per-rule baseline runs on (default: one Front End host)",
    )
    p.add_argument(
        "--latency",
        type=float,
        default=0.05,
        help="also compare the Front End host with the lab waiting this many seconds before "
        "each WinRM reply, a stand-in for a real host's per-command cost (0: skip; "
        "default 0.05, about 0.3 s per command)",
    )
    p.add_argument("--transport", choices=("basic", "ntlm", "https", "mixed"), default="basic")
    p.add_argument("--work-dir", default=str(REPO_ROOT / ".build" / "bench-work"))
    args = p.parse_args(argv)
    if args.hosts < 1 or args.forks < 1 or args.repeat < 1:
        p.error("--hosts, --forks and --repeat must be at least 1")
    if args.latency < 0:
        p.error("--latency must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    try:
        result = bench.run()
    except PlaybookFailed as exc:
        print(f"bench: a playbook run failed, no figures written.\n{exc}", file=sys.stderr)
        return 1
    except LabError as exc:
        print(f"bench: the lab failed: {exc}", file=sys.stderr)
        return 1
    finally:
        bench.stop_all()
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    report(result)
    print(f"\nfigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
