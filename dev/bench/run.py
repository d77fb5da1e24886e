"""Measure playbooks/site.yml against the lab: its cost as ratios to the floor, the WinRM
commands each host runs, and the per-rule pattern it replaces.

Usage (``make bench`` runs the first form, ``make bench H=1000`` adds ``--hosts 1000``)::

    python dev/bench/run.py [--hosts 100] [--forks 25] [--repeat N] [--quick]
                        [--baseline none|frontend|all] [--latency 0.05]
                        [--transport basic|ntlm|https|mixed] [--json .build/bench.json]

Every repeat starts fresh lab hosts (``dev/lab/ocs_lab``, simulated Windows hosts speaking
WinRM on 127.0.0.1, started through ``dev/harness``) for a generated estate of ``--hosts``
hosts, some holding 4 and 6 collocated components, and runs on them, in this order:

1. the floor: a one-task play whose task sends one WinRM command per host
   (``ocs.firewall.win_firewall_info`` reading a rule group no host has; the lab trace
   must show exactly one command per host);
2. ``site.yml --check`` on the fresh hosts (verified to leave them untouched);
3. ``site.yml`` cold (the hosts are still fresh);
4. ``site.yml`` again, in sync (it must report no change);
5. the floor again.

Each figure is the median over the repeats (the floor: over both of its runs in every
repeat); the cost of site.yml is given as ratios of those medians to the floor's: wall
time, time inside the play and controller CPU (ansible-playbook and its forks). The goals
(:data:`GOALS`): in sync at most 1.5x the floor at 100 hosts, and 1.3x at 5,000 hosts with
scope inventory; the output says whether the one for the run's size is met, and a timing
never fails the run.

WinRM commands per host come from the lab's traces, for every host of every repeat: the
floor and ``--check`` exactly 1, in sync exactly 1, cold 1 or 2. Any host outside those
counts fails the run (exit status 3), as do a ``--check`` run that changed a host, an in
sync run that reported a change, a cold run that left a host unchanged, and a per-rule
baseline that did not leave the same rules as site.yml.

The per-rule baseline (``--baseline frontend``, the default up to 200 hosts; ``all`` for
every host) applies the rules site.yml gives one Front End host one task per rule, the
loop a user writes with a one-rule-per-task module such as
``community.windows.win_firewall_rule``. The lab runs only this collection's remote
script, so the pattern is simulated through the same lab and engine: each loop item
calls ``ocs.firewall.win_firewall_rules`` with a single rule and ``purge: false``. It
also runs one such task per rule group ("per-group"). The comparison runs on the bare
loopback lab and with the lab waiting ``--latency`` seconds before each WinRM reply (a
model of a real host's per-command cost, reported as such).

Above 200 hosts the defaults are one repeat and no per-rule baseline (``--quick`` asks
for that at any size; an explicit ``--repeat`` or ``--baseline`` wins).

Exit status: 0 when every check passed, 1 when a playbook run or the lab failed, 2 on a
bad option, 3 when a check failed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# dev/: the harness (which makes the lab, dev/lab, importable in turn).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import REPO_ROOT, SITE_PLAYBOOK, collections_root
from harness.estate import (
    components_per_host,
    estate_inventory,
    generate_estate,
    hosts_of,
    on_windows_2003,
    sub_estate,
)
from harness.lab import (
    Lab,
    LabError,
    Labs,
    commands_per_host,
    raise_open_file_limit,
    write_inventory,
)
from harness.playbook import PlaybookRun, Playbooks, ansible_env
from harness.rules import host_rules, unmarked

# The engine's own modules, from this checkout (for reading stored rules back).
sys.path.insert(0, str(collections_root(REPO_ROOT / ".build" / "collections")))
from ansible_collections.ocs.firewall.plugins.plugin_utils._firewall import _rules
from ansible_collections.ocs.firewall.plugins.plugin_utils._remote import _convert, _wire

DEFAULT_HOSTS = 100
# Above this many hosts: one repeat and no per-rule baseline, unless asked for.
LARGE_ESTATE = 200
# The goals for site.yml in sync, as ratios to the floor: (hosts, scope or None for any
# scope, the most). The first is the collection's own; the second was set for estates past
# one controller. A run of another size is compared with the first, for reference only.
GOALS: tuple[tuple[int, str | None, float], ...] = ((100, None, 1.5), (5000, "inventory", 1.3))
FLOOR_GROUP = "ocs.firewall bench floor"
# WinRM commands each host may run in each phase (lab trace), bounds included.
COMMAND_LIMITS: dict[str, tuple[int, int]] = {
    "floor": (1, 1),
    "check": (1, 1),
    "cold": (1, 2),
    "sync": (1, 1),
}
PHASE_LABELS = {
    "floor": "floor (1 read per host)",
    "check": "site.yml --check",  # "changed": hosts it would change
    "cold": "site.yml cold",
    "sync": "site.yml in sync",
}
SITE_PHASES = ("check", "cold", "sync")
EXIT_FAILED_RUN = 1
EXIT_FAILED_CHECK = 3

BASELINE_NOTE = (
    "The per-rule baseline is simulated through the same lab and engine: one task per "
    "rule (a loop over the host's rules calling ocs.firewall.win_firewall_rules with a "
    "single rule and purge: false), the pattern of a one-rule-per-task module such as "
    "community.windows.win_firewall_rule. The lab runs only this collection's remote script."
)


class PlaybookFailed(RuntimeError):
    def __init__(self, label: str, run: PlaybookRun) -> None:
        super().__init__(f"{label}: ansible-playbook exited {run.rc}\n{run.tail()}")


# --------------------------------------------------------------------------- rule capture


def rule_input(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as the lab stores it -> a ``win_firewall_rules`` rule dict (contract form),
    its description without the ownership marker (the module adds its own).

    The engine's own reading of a stored rule (``_convert.rule_from_host``) does the
    translation, so the bench holds no second copy of Windows' numbers.
    """
    wire = _wire.WireRule(
        **{f: stored[f] for f in _rules.RULE_FIELDS if f != "enabled"},
        enabled=bool(int(stored["enabled"])),
    )
    rule = _convert.rule_from_host(wire).to_dict()
    rule["description"] = unmarked(rule["description"])
    return {k: v for k, v in rule.items() if v != [] or k == "profiles"}


def _identity(rule: Mapping[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True, ensure_ascii=False)


def added_rules(
    before: Mapping[str, Any], after: Mapping[str, Any], host: str
) -> list[dict[str, Any]]:
    """Rules present on ``host`` after a run and not before it (the rules the run put there)."""
    seen = {_identity(r) for r in host_rules(before, host)}
    return [r for r in host_rules(after, host) if _identity(r) not in seen]


def group_rule_signature(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Order-free signature of rules (group + every stored property) to compare two runs.

    The ownership marker is left out of the descriptions: a catalogue rule's names its
    catalogue entry, a rule written in a task carries the plain one."""
    return sorted(
        _identity({**r, "description": unmarked(str(r.get("description", "")))}) for r in rules
    )


# --------------------------------------------------------------------------- playbooks


def write_floor(folder: Path) -> Path:
    """The floor: one play, one task, one WinRM command per host (a read of one group)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "floor.yml"
    path.write_text(
        "# Generated by bench/run.py: the floor, one task that sends one WinRM command per\n"
        "# host (a read of a rule group no host has).\n"
        "- name: Floor, one WinRM command per host\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Read one rule group\n"
        "      ocs.firewall.win_firewall_info:\n"
        "        groups:\n"
        f"          - {FLOOR_GROUP}\n",
        encoding="utf-8",
    )
    return path


def write_baseline(
    folder: Path, per_host: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[Path, Path]:
    """Two playbooks over the same rules, and their host_vars.

    ``per_rule_baseline.yml``: one task per rule (``bench_rules``: one item per rule).
    ``per_group.yml``: one task per rule group holding all its rules (``bench_groups``),
    the collection's group-level module without site.yml around it, so the comparison can
    tell the pattern's cost from the cost of site.yml's role and variable checks.
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
        "# Generated by bench/run.py: one task per rule group.\n"
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


def task_seconds(run: PlaybookRun) -> dict[str, float]:
    """Where the play's time went, task by task (by action name): from the end of the
    previous task (the playbook start for the first) to this task's last host result;
    ``(recap)`` to the end. The linear strategy finishes a task on every host before the
    next starts, so the spans add up to the play time."""
    times = {e["event"]: e["t"] for e in run.events if e["event"] in ("playbook_start", "stats")}
    if "playbook_start" not in times:
        return {}
    # An action used by several tasks (win_ocs_firewall's plan and apply stages) is shown
    # per task: by action alone, its first task's time would go to the task after it.
    tasks: dict[str, set[str]] = {}
    for r in run.records:
        tasks.setdefault(str(r.get("action") or r.get("task")), set()).add(str(r.get("task")))
    last: dict[str, float] = {}
    for r in run.records:
        action = str(r.get("action") or r.get("task"))
        task = str(r.get("task")).split(" : ")[-1][:32]
        last[action if len(tasks[action]) == 1 else f"{action} ({task})"] = r["t"]
    spans: dict[str, float] = {}
    previous = times["playbook_start"]
    for action, end in sorted(last.items(), key=lambda kv: kv[1]):
        spans[action] = round(end - previous, 3)
        previous = end
    if "stats" in times:
        spans["(recap)"] = round(times["stats"] - previous, 3)
    return spans


def measurement(
    run: PlaybookRun, counts: Mapping[str, int], hosts: Sequence[str]
) -> dict[str, Any]:
    return {
        "task_s": task_seconds(run),
        "wall_s": round(run.wall_s, 3),
        "play_s": round(run.play_s, 3),
        "cpu_s": round(run.cpu_s, 3),
        "cpu_ms_per_host": round(1000 * run.cpu_s / len(hosts), 2),
        "maxrss_mib": round(run.maxrss_mib, 1),
        "commands": command_stats(counts, hosts),
        "changed_hosts": sum(1 for h in hosts if run.recap.get(h, {}).get("changed", 0)),
        "failed_hosts": sum(
            1
            for h in hosts
            if run.recap.get(h, {}).get("failed", 0) or run.recap.get(h, {}).get("unreachable", 0)
        ),
    }


def median_of(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Field-wise median of measurements (nested dicts too); a field missing from some
    runs (a task that only some runs had) is the median of the runs that have it."""
    keys: dict[str, None] = {}
    for r in runs:
        keys.update(dict.fromkeys(r))
    out: dict[str, Any] = {}
    for key in keys:
        having = [r for r in runs if key in r]
        value = having[0][key]
        if isinstance(value, Mapping):
            out[key] = median_of([r[key] for r in having])
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in having)
        else:
            out[key] = value
    return out


@dataclass
class Phase:
    """One playbook run of the estate: its measurement and each host's WinRM commands."""

    measurement: dict[str, Any]
    commands: dict[str, int]


# The runs of the per-rule baseline comparison, in the order baseline_repeat makes them.
BASELINE_KEYS = (
    "ours_cold",
    "ours_sync",
    "per_group_cold",
    "per_group_sync",
    "baseline_cold",
    "baseline_sync",
)


@dataclass
class BaselineRuns:
    """The per-rule baseline comparison of one scope, over every repeat."""

    measurements: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {k: [] for k in BASELINE_KEYS}
    )
    # Each repeat: did per-rule, per-group and site.yml leave the same rules?
    same: list[bool] = field(default_factory=list)
    rules: int = 0
    # The per-rule and per-group playbooks, written in the first repeat.
    playbooks: tuple[Path, Path] | None = None

    def entry(self, hosts: Sequence[str], latency: float) -> dict[str, Any]:
        """The scope's figures: medians over the repeats, and their ratios."""
        entry: dict[str, Any] = {
            "hosts": list(hosts) if len(hosts) == 1 else len(hosts),
            "latency_s_per_reply": latency,
            "rules": self.rules,
            **{k: median_of(v) for k, v in self.measurements.items()},
            "same_rules_as_ours": all(self.same),
        }
        entry["ratios"] = ratios(entry)
        return entry


def command_report(
    phase: str, observed: Sequence[Mapping[str, int]], components: Mapping[str, int]
) -> dict[str, Any]:
    """WinRM commands per host over every run of a phase, against its allowed bounds."""
    low, high = COMMAND_LIMITS[phase]
    values = [n for counts in observed for n in counts.values()]
    worst: dict[str, int] = {}
    fewest: dict[str, int] = {}
    for counts in observed:
        for host, n in counts.items():
            worst[host] = max(worst.get(host, n), n)
            fewest[host] = min(fewest.get(host, n), n)
    by_components: dict[str, dict[str, int]] = {}
    for host, n in worst.items():
        key = str(components.get(host, 0))
        entry = by_components.setdefault(key, {"hosts": 0, "max": 0})
        entry["hosts"] += 1
        entry["max"] = max(entry["max"], n)
    outside = sorted(h for h in worst if worst[h] > high or fewest[h] < low)
    top = max(worst.values())
    # Of the hosts at the maximum, name one holding the most components.
    at_top = [h for h in worst if worst[h] == top]
    max_host = max(at_top, key=lambda h: components.get(h, 0))
    return {
        "allowed": [low, high],
        "runs": len(observed),
        "min": min(values),
        "median": statistics.median(values),
        "max": top,
        "max_host": max_host,
        "max_host_components": components.get(max_host, 0),
        "by_components": dict(sorted(by_components.items(), key=lambda kv: int(kv[0]))),
        "outside": {h: sorted({c[h] for c in observed}) for h in outside},
        "ok": not outside,
    }


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work_dir).resolve()
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        # The recorder keeps only flags and timestamps: serialising every task's result
        # would add controller CPU that a user's run does not have.
        env = ansible_env(
            collections_root(self.work / "collections"),
            self.work,
            {"OCS_RECORD_RESULT": "0"},
        )
        self.playbooks = Playbooks(
            self.work / "records", env, forks=args.forks, timeout=args.timeout
        )
        self.labs = Labs(self.work / "labs")
        self.estate = generate_estate(args.hosts)
        self.hosts = hosts_of(self.estate)
        self.components = components_per_host(self.estate)
        inventory = estate_inventory(self.estate, scope=args.scope)
        # Hosts in the reduced mode (Windows Server 2003), each over NTLM with encryption.
        self.windows_2003 = on_windows_2003(inventory, args.windows_2003)
        self.estate_file = write_inventory(self.work / "estate.yml", inventory)
        self.floor_playbook = write_floor(self.work)
        # The first Front End is never collocated (see generate_estate).
        self.fe_host = self.estate["ocs_front_end"][0][0]

    def fresh_lab(self, tag: str, estate_file: Path) -> Lab:
        started = time.perf_counter()
        lab = self.labs.start(estate_file, self.args.transport, name=tag)
        took = time.perf_counter() - started
        if took > 5:
            self.log(f"  lab started in {took:.1f} s")
        return lab

    def stop_all(self) -> None:
        self.labs.stop_all()

    def play(self, label: str, playbook: Path, lab: Lab, *extra: str) -> PlaybookRun:
        started = time.perf_counter()
        run = self.playbooks.run(playbook, lab.inventory, *extra, label=label)
        self.log(f"  {label}: rc {run.rc}, {time.perf_counter() - started:.1f} s")
        if not run.ok:
            log = (run.record or self.work / "failed.jsonl").with_suffix(".failed.log")
            log.write_text(run.stdout + "\n" + run.stderr, encoding="utf-8")
            raise PlaybookFailed(label, run)
        return run

    def measure(
        self,
        label: str,
        playbook: Path,
        lab: Lab,
        hosts: Sequence[str],
        *extra: str,
    ) -> Phase:
        run = self.play(label, playbook, lab, *extra)
        counts = commands_per_host(lab.trace(reset=True))
        mine = {h: counts.get(h, 0) for h in hosts}
        return Phase(measurement(run, mine, hosts), mine)

    def log(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    # One repeat of every measurement -------------------------------------------------

    def estate_runs(self) -> dict[str, Any]:
        """The floor, --check, cold, in sync and the floor again, on one fresh lab (check
        mode leaves the hosts as they were, which is verified, so the cold run still
        starts from fresh hosts)."""
        lab = self.fresh_lab("estate", self.estate_file)
        fresh = lab.dump()
        floor = self.measure("floor", self.floor_playbook, lab, self.hosts)
        check = self.measure("site.yml --check", SITE_PLAYBOOK, lab, self.hosts, "--check")
        untouched = lab.dump() == fresh
        cold = self.measure("site.yml cold", SITE_PLAYBOOK, lab, self.hosts)
        sync = self.measure("site.yml in sync", SITE_PLAYBOOK, lab, self.hosts)
        floor_again = self.measure("floor again", self.floor_playbook, lab, self.hosts)
        self.labs.stop(lab)
        return {
            "floor": [floor, floor_again],
            "check": check,
            "cold": cold,
            "sync": sync,
            "check_left_hosts_untouched": untouched,
        }

    def cold_and_sync(
        self, label: str, playbook: Path, estate_file: Path, hosts: Sequence[str], latency: float
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """Cold then in-sync run of ``hosts`` on a fresh lab of the hosts of
        ``estate_file``; the rules the cold run added per host. ``latency``: seconds the
        lab waits before each WinRM reply."""
        lab = self.fresh_lab(re.sub(r"\W+", "-", label).strip("-"), estate_file)
        if latency:
            for host in hosts:
                lab.fault(host, delay=latency)
        limit = ("--limit", ",".join(hosts))
        before = lab.dump(*hosts)
        cold = self.measure(f"{label} cold", playbook, lab, hosts, *limit)
        after = lab.dump(*hosts)
        sync = self.measure(f"{label} in sync", playbook, lab, hosts, *limit)
        self.labs.stop(lab)
        added = {h: added_rules(before, after, h) for h in hosts}
        return cold.measurement, sync.measurement, added

    # The whole benchmark ---------------------------------------------------------------

    def baseline_scopes(self) -> dict[str, tuple[list[str], float, Path]]:
        a = self.args
        if a.baseline == "none":
            return {}
        fe_file = write_inventory(
            self.work / "estate-frontend.yml",
            estate_inventory(sub_estate(self.estate, [self.fe_host]), scope=self.args.scope),
        )
        scopes = {"frontend": ([self.fe_host], 0.0, fe_file)}
        if a.latency > 0:
            scopes["frontend_latency"] = ([self.fe_host], a.latency, fe_file)
        if a.baseline == "all":
            scopes["all"] = (list(self.hosts), 0.0, self.estate_file)
        return scopes

    def run(self) -> dict[str, Any]:
        a = self.args
        self.log(
            f"ocs.firewall bench: {a.hosts} hosts, forks {a.forks}, {a.repeat} repeat(s), "
            f"per-rule baseline {a.baseline}, transport {a.transport}, work dir {self.work}"
        )
        scopes = self.baseline_scopes()
        repeats: list[dict[str, Any]] = []
        compare = {scope: BaselineRuns() for scope in scopes}
        for r in range(a.repeat):
            self.log(f"repeat {r + 1}/{a.repeat}")
            repeats.append(self.estate_runs())
            for scope, (hosts, latency, estate_file) in scopes.items():
                self.baseline_repeat(scope, hosts, latency, estate_file, compare[scope])
        result = self.summarise(repeats)
        for scope, (hosts, latency, _file) in scopes.items():
            entry = compare[scope].entry(hosts, latency)
            result["baseline"][scope] = entry
            result["checks"].append(
                {
                    "name": f"per-rule baseline [{scope}]: per-rule, per-group and site.yml "
                    "leave the same rules",
                    "ok": entry["same_rules_as_ours"],
                }
            )
        return result

    def baseline_repeat(
        self,
        scope: str,
        hosts: Sequence[str],
        latency: float,
        estate_file: Path,
        runs: BaselineRuns,
    ) -> None:
        """One repeat of the per-rule baseline comparison on ``hosts``: site.yml, then the
        per-group and per-rule playbooks (written from the rules of the first site.yml
        run), each cold then in sync on a fresh lab."""
        ours_cold, ours_sync, added = self.cold_and_sync(
            f"site.yml[{scope}]", SITE_PLAYBOOK, estate_file, hosts, latency
        )
        if runs.playbooks is None:
            runs.playbooks = write_baseline(self.work / f"baseline-{scope}", added)
            runs.rules = sum(len(v) for v in added.values())
        per_rule, per_group = runs.playbooks
        group_cold, group_sync, group_added = self.cold_and_sync(
            f"per-group[{scope}]", per_group, estate_file, hosts, latency
        )
        base_cold, base_sync, base_added = self.cold_and_sync(
            f"per-rule[{scope}]", per_rule, estate_file, hosts, latency
        )
        runs.same.append(
            all(
                group_rule_signature(base_added[h]) == group_rule_signature(added[h])
                and group_rule_signature(group_added[h]) == group_rule_signature(added[h])
                for h in hosts
            )
        )
        values = (ours_cold, ours_sync, group_cold, group_sync, base_cold, base_sync)
        for key, value in zip(BASELINE_KEYS, values, strict=True):
            runs.measurements[key].append(value)

    def summarise(self, repeats: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        a = self.args
        runs: dict[str, list[Phase]] = {
            "floor": [p for rep in repeats for p in rep["floor"]],
            **{phase: [rep[phase] for rep in repeats] for phase in SITE_PHASES},
        }
        figures = {phase: median_of([p.measurement for p in runs[phase]]) for phase in runs}
        floor = figures["floor"]
        to_floor = {
            phase: {
                key: _ratio(figures[phase][f"{key}_s"], floor[f"{key}_s"])
                for key in ("wall", "play", "cpu")
            }
            for phase in runs
        }
        commands = {
            phase: command_report(phase, [p.commands for p in runs[phase]], self.components)
            for phase in runs
        }
        composition: dict[str, int] = {}
        for n in sorted(self.components.values()):
            composition[str(n)] = composition.get(str(n), 0) + 1
        return {
            "hosts": len(self.hosts),
            "forks": a.forks,
            "repeat": a.repeat,
            "transport": a.transport,
            "windows_2003": len(self.windows_2003),
            "estate": {g: len(m) for g, m in self.estate.items()},
            "components_per_host": composition,
            "figures": figures,
            "to_floor": to_floor,
            "goal": goal_of(to_floor, len(self.hosts), a.scope),
            "commands": commands,
            "checks": checks_of(commands, repeats, runs, len(self.hosts)),
            "runs": [_repeat_figures(rep) for rep in repeats],
            "baseline_runs": a.baseline,
            "note": BASELINE_NOTE,
            "baseline": {},
        }


def goal_of(
    to_floor: Mapping[str, Mapping[str, float | None]], hosts: int, scope: str
) -> dict[str, Any]:
    """site.yml in sync against the floor, and whether the goal stated for this size and
    scope (:data:`GOALS`; else the first, for reference) is met."""
    stated = next(
        (g for g in GOALS if g[0] == hosts and g[1] in (None, scope)),
        GOALS[0],
    )
    goal: dict[str, Any] = {
        "stated_at_hosts": stated[0],
        "stated_for_scope": stated[1],
        "max_ratio": stated[2],
        "hosts": hosts,
        "sync_wall_to_floor": to_floor["sync"]["wall"],
        "sync_cpu_to_floor": to_floor["sync"]["cpu"],
    }
    goal["wall_met"] = _within(goal["sync_wall_to_floor"], stated[2])
    goal["cpu_met"] = _within(goal["sync_cpu_to_floor"], stated[2])
    return goal


def checks_of(
    commands: Mapping[str, Mapping[str, Any]],
    repeats: Sequence[Mapping[str, Any]],
    runs: Mapping[str, Sequence[Phase]],
    hosts: int,
) -> list[dict[str, Any]]:
    """The correctness checks of the estate runs (a failed one makes the run exit 3)."""
    checks: list[dict[str, Any]] = []
    for phase, report_ in commands.items():
        low, high = report_["allowed"]
        allowed = f"exactly {low}" if low == high else f"{low} to {high}"
        checks.append(
            {
                "name": f"{PHASE_LABELS[phase]}: every host ran {allowed} WinRM "
                f"command(s), in every run",
                "ok": report_["ok"],
                "detail": _outside(report_["outside"]),
            }
        )
    untouched = all(rep["check_left_hosts_untouched"] for rep in repeats)
    checks.append({"name": "site.yml --check left every host untouched", "ok": untouched})
    sync_changed = max(p.measurement["changed_hosts"] for p in runs["sync"])
    checks.append(
        {
            "name": "site.yml in sync reported no change",
            "ok": sync_changed == 0,
            "detail": f"{sync_changed} host(s) changed" if sync_changed else "",
        }
    )
    cold_changed = min(p.measurement["changed_hosts"] for p in runs["cold"])
    checks.append(
        {
            "name": "site.yml cold changed every (fresh) host",
            "ok": cold_changed == hosts,
            "detail": "" if cold_changed == hosts else f"{cold_changed} of {hosts} changed",
        }
    )
    return checks


def _repeat_figures(rep: Mapping[str, Any]) -> dict[str, Any]:
    """One repeat's measurements as they go into the JSON."""
    return {
        **{
            phase: [p.measurement for p in rep[phase]]
            if phase == "floor"
            else rep[phase].measurement
            for phase in ("floor", *SITE_PHASES)
        },
        "check_left_hosts_untouched": rep["check_left_hosts_untouched"],
    }


def _ratio(base: float, ours: float) -> float | None:
    return round(base / ours, 2) if ours else None


def _within(ratio: float | None, limit: float) -> bool | None:
    return None if ratio is None else ratio <= limit


def _outside(outside: Mapping[str, Sequence[int]]) -> str:
    if not outside:
        return ""
    shown = [f"{h}: {'/'.join(str(n) for n in counts)}" for h, counts in list(outside.items())[:10]]
    more = f" ... ({len(outside) - 10} more)" if len(outside) > 10 else ""
    return f"{len(outside)} host(s) outside: " + ", ".join(shown) + more


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
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def _mib(value: float) -> str:
    return f"{value:.0f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _met(met: bool | None) -> str:
    return "unknown" if met is None else ("met" if met else "NOT met")


def _table(out: Callable[[str], None], header: str, rows: Sequence[str]) -> None:
    """A header, a rule as wide as it, then the rows."""
    out(header)
    out("-" * len(header))
    for row in rows:
        out(row)


def report(result: Mapping[str, Any], out: Callable[[str], None] = print) -> None:
    """Print the figures of ``result`` (what ``Bench.run`` returns) as tables."""
    _report_estate(result, out)
    _report_times(result, out)
    _report_goal(result, out)
    _report_commands(result, out)
    out("Play time by task (s, medians; each task runs on every host before the next starts):")
    for phase in ("floor", *SITE_PHASES):
        m = result["figures"][phase]
        spans = " + ".join(f"{name} {_fmt(sec)}" for name, sec in m["task_s"].items())
        out(f"  {PHASE_LABELS[phase]:<24}{_fmt(m['play_s'])} = {spans}")
    for entry in result["baseline"].values():
        _report_baseline(entry, out)
    if result["baseline_runs"] == "none":
        out("")
        out("Per-rule baseline: not run (--baseline frontend or all to run it).")
    out("")
    out("Checks (correctness; a failed one makes the run exit 3):")
    for check in result["checks"]:
        detail = f" - {check['detail']}" if check.get("detail") else ""
        out(f"  {'ok  ' if check['ok'] else 'FAIL'}  {check['name']}{detail}")
    out("")
    out(
        "wall s: the whole ansible-playbook process; play s: playbook start to recap (without "
        "interpreter start-up); cpu s and peak MiB: the controller, ansible-playbook and its "
        "forks (os.wait4 rusage; peak = largest process); cpu ms/host: cpu s per host of the "
        "estate; changed: hosts the run reported changed. Ratios: the phase's median over the "
        "floor's median, same hosts, same run."
    )
    if result["baseline"]:
        out(
            "per-group: the same rules, one ocs.firewall.win_firewall_rules task per rule "
            "group, in a one-play playbook like the per-rule one (the pattern without "
            "site.yml's role and variable checks)."
        )
        out(BASELINE_NOTE)


def _report_estate(result: Mapping[str, Any], out: Callable[[str], None]) -> None:
    groups = ", ".join(f"{g.removeprefix('ocs_')} {n}" for g, n in result["estate"].items() if n)
    composition = ", ".join(
        f"{n} host(s) with {k}" for k, n in result["components_per_host"].items()
    )
    floor_runs = 2 * result["repeat"]
    out(
        f"ocs.firewall bench: {result['hosts']} lab hosts ({groups}; collocated hosts counted "
        f"in each group); components per host: {composition}. Forks {result['forks']}, "
        f"transport {result['transport']}, ocs_firewall_scope {result.get('scope', 'any')}; "
        f"medians of {result['repeat']} repeat(s) on fresh lab hosts (the floor: of "
        f"{floor_runs} runs)."
    )
    if result.get("windows_2003"):
        out(
            f"{result['windows_2003']} host(s) play Windows Server 2003 SP2 (the reduced mode, "
            "NTLM over HTTP with message encryption; --windows-2003)."
        )
    if not {"4", "6"} <= set(result["components_per_host"]):
        out(
            "NOTE: no host with 4 and 6 collocated components at this size "
            "(generate_estate makes them from 15 hosts on)."
        )
    out("")


def _report_times(result: Mapping[str, Any], out: Callable[[str], None]) -> None:
    header = (
        f"{'the same lab hosts':<24}{'wall s':>8}{'play s':>8}{'cpu s':>8}{'cpu ms/host':>13}"
        f"{'peak MiB':>10}{'changed':>9}{'wall/floor':>12}{'play/floor':>12}{'cpu/floor':>11}"
    )
    rows = []
    for phase in ("floor", *SITE_PHASES):
        m = result["figures"][phase]
        r = result["to_floor"][phase]
        rows.append(
            f"{PHASE_LABELS[phase]:<24}{_fmt(m['wall_s']):>8}{_fmt(m['play_s']):>8}"
            f"{_fmt(m['cpu_s']):>8}{m['cpu_ms_per_host']:>13.1f}{_mib(m['maxrss_mib']):>10}"
            f"{_fmt(m['changed_hosts']):>9}{_x(r['wall']):>12}{_x(r['play']):>12}"
            f"{_x(r['cpu']):>11}"
        )
    _table(out, header, rows)


def floor_spread(runs: Sequence[Mapping[str, Any]]) -> str | None:
    """How far apart the floor's runs (every repeat's two) lie in wall time, to read a ratio
    near its goal by; None with fewer than two runs."""
    walls = sorted(m["wall_s"] for rep in runs for m in rep["floor"])
    if len(walls) < 2:
        return None
    apart = (walls[-1] - walls[0]) / statistics.median(walls)
    return (
        f"The floor's {len(walls)} runs took {_fmt(walls[0])} to {_fmt(walls[-1])} s wall, "
        f"{apart:.0%} apart: ratios move by about that much from one run to the next."
    )


def _report_goal(result: Mapping[str, Any], out: Callable[[str], None]) -> None:
    goal = result["goal"]
    scope = goal.get("stated_for_scope")
    where = (
        f"at {goal['hosts']} hosts" + (f", scope {scope}" if scope else "")
        if goal["hosts"] == goal["stated_at_hosts"]
        else f"the goal is stated at {goal['stated_at_hosts']} hosts, this run has "
        f"{goal['hosts']}: for reference only"
    )
    out("")
    out(
        f"Goal: site.yml in sync at most {goal['max_ratio']:.1f}x the floor ({where}). "
        f"Wall time {_x(goal['sync_wall_to_floor'])}: {_met(goal['wall_met'])}; controller "
        f"CPU {_x(goal['sync_cpu_to_floor'])}: {_met(goal['cpu_met'])}. (Timings never fail "
        "the run.)"
    )
    spread = floor_spread(result["runs"])
    if spread:
        out(spread)
    out("")


def _report_commands(result: Mapping[str, Any], out: Callable[[str], None]) -> None:
    kinds = list(result["components_per_host"])
    counts = " / ".join(str(result["components_per_host"][k]) for k in kinds)
    head = (
        f"{'WinRM commands per host':<24}{'allowed':>9}{'min':>6}{'median':>8}{'max':>6}"
        f"  max on hosts with {' / '.join(kinds)} components ({counts} hosts)"
    )
    rows = []
    for phase in ("floor", *SITE_PHASES):
        c = result["commands"][phase]
        low, high = c["allowed"]
        by = " / ".join(str(c["by_components"][k]["max"]) for k in kinds)
        rows.append(
            f"{PHASE_LABELS[phase]:<24}{(str(low) if low == high else f'{low}-{high}'):>9}"
            f"{_fmt(c['min']):>6}{_fmt(c['median']):>8}{_fmt(c['max']):>6}  {by:<12}"
            f"(max on {c['max_host']}, {c['max_host_components']} components)"
        )
    _table(out, head, rows)
    out("(lab traces of every host in every run; 'max on hosts with N components': the most")
    out(" commands any host holding that many components ran in any run)")
    out("")


def _report_baseline(entry: Mapping[str, Any], out: Callable[[str], None]) -> None:
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
    rows = []
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
            rows.append(
                f"{name + ' (' + phase + ')':<20}{_fmt(values[0]):>10}{_fmt(values[1]):>11}"
                f"{_fmt(values[2]):>10}{_fmt(r[f'{key}_{phase}']) + 'x':>15}"
                f"{_fmt(r[f'per_group_{key}_{phase}']) + 'x':>16}"
            )
    _table(out, head, rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument(
        "--hosts", type=int, default=DEFAULT_HOSTS, help=f"lab hosts (default {DEFAULT_HOSTS})"
    )
    p.add_argument("--forks", type=int, default=25, help="ansible forks (default 25)")
    p.add_argument(
        "--repeat",
        type=int,
        help=f"repeats, each on fresh lab hosts, median kept (default 3; 1 above "
        f"{LARGE_ESTATE} hosts or with --quick)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="one repeat and no per-rule baseline (the default above "
        f"{LARGE_ESTATE} hosts); explicit --repeat / --baseline still win",
    )
    p.add_argument(
        "--json", default=str(REPO_ROOT / ".build" / "bench.json"), help="figures as JSON"
    )
    p.add_argument(
        "--baseline",
        choices=("none", "frontend", "all"),
        help="hosts the per-rule baseline runs on: none, one Front End host, or every host "
        f"(default frontend; none above {LARGE_ESTATE} hosts or with --quick)",
    )
    p.add_argument(
        "--latency",
        type=float,
        default=0.05,
        help="with the baseline, also compare the Front End host with the lab waiting this "
        "many seconds before each WinRM reply, a stand-in for a real host's per-command "
        "cost (0: skip; default 0.05, about 0.3 s per command)",
    )
    p.add_argument("--transport", choices=("basic", "ntlm", "https", "mixed"), default="basic")
    p.add_argument(
        "--scope",
        choices=("any", "inventory", "both"),
        help="ocs_firewall_scope of the estate: any, inventory (every rule limited to its "
        "peers, each host with an ocs_firewall_address), or both, one after the other, "
        f"each on lab hosts of its own (default any; both above {LARGE_ESTATE} hosts)",
    )
    p.add_argument(
        "--windows-2003",
        type=int,
        default=0,
        metavar="N",
        help="every Nth host that binds no local addresses plays Windows Server 2003 SP2 "
        "(the reduced mode; NTLM over HTTP with encryption); default 0, none",
    )
    p.add_argument(
        "--timeout",
        type=float,
        help="seconds one ansible-playbook run may take (default 900, or 3 per host if more)",
    )
    p.add_argument("--work-dir", default=str(REPO_ROOT / ".build" / "bench-work"))
    args = p.parse_args(argv)
    if args.hosts < 1 or args.forks < 1 or (args.repeat is not None and args.repeat < 1):
        p.error("--hosts, --forks and --repeat must be at least 1")
    if args.latency < 0:
        p.error("--latency must be 0 or more")
    light = args.quick or args.hosts > LARGE_ESTATE
    if args.scope is None:
        args.scope = "both" if args.hosts > LARGE_ESTATE else "any"
    if args.repeat is None:
        args.repeat = 1 if light else 3
    if args.baseline is None:
        args.baseline = "none" if light else "frontend"
    if args.timeout is None:
        args.timeout = max(900.0, 3.0 * args.hosts)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # The lab server holds a listening socket per host and one per open connection.
    soft, hard = raise_open_file_limit(args.hosts + args.forks + 256)
    if soft < args.hosts + args.forks + 64:
        print(
            f"bench: {args.hosts} lab hosts need about {args.hosts + args.forks + 64} open "
            f"files in the lab server; the limit is {soft} (hard {hard}): raise it "
            "(ulimit -n) or use fewer hosts",
            file=sys.stderr,
        )
        return EXIT_FAILED_RUN
    scopes = ("any", "inventory") if args.scope == "both" else (args.scope,)
    failed = 0
    for scope in scopes:
        one = argparse.Namespace(**{**vars(args), "scope": scope})
        path = Path(args.json)
        if len(scopes) > 1:
            # .build/bench.json -> .build/bench-any.json, .build/bench-inventory.json
            path = path.with_name(f"{path.stem}-{scope}{path.suffix}")
            print(f"\n==> ocs_firewall_scope: {scope}", flush=True)
        code = _bench_one(one, path)
        if code == EXIT_FAILED_RUN:
            return code
        failed = failed or code
    return failed


def _bench_one(args: argparse.Namespace, path: Path) -> int:
    """One benchmark of the estate with the scope ``args.scope``; its figures to ``path``."""
    bench = Bench(args)
    started = time.perf_counter()
    try:
        result = bench.run()
        result["scope"] = args.scope
    except PlaybookFailed as exc:
        print(f"bench: a playbook run failed, no figures written.\n{exc}", file=sys.stderr)
        return EXIT_FAILED_RUN
    except LabError as exc:
        print(f"bench: the lab failed: {exc}", file=sys.stderr)
        return EXIT_FAILED_RUN
    finally:
        bench.stop_all()
    result["bench_wall_s"] = round(time.perf_counter() - started, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    report(result)
    print(f"\nfigures written to {path}; the bench took {result['bench_wall_s']:.0f} s")
    failed = [c for c in result["checks"] if not c["ok"]]
    if failed:
        print(f"bench: {len(failed)} check(s) FAILED (see Checks above)", file=sys.stderr)
        return EXIT_FAILED_CHECK
    return 0


if __name__ == "__main__":
    sys.exit(main())
