#!/usr/bin/env python
"""Winner rules: ``deliberation.rules`` against pabutools on the Pabulib sample files.

For each file in /work/shared/data/pabulib it prints the parse time of both libraries, then for
each rule the time of the rule computation alone on an already-parsed profile (ours: on the
:class:`deliberation.rules.RuleInput` built from the file; pabutools: on its parsed instance and
profile), the ratio, and whether both select the same projects. Rules compared with pabutools:
``greedy`` (``greedy_utilitarian_welfare`` with ``Cost_Sat``), ``mes``
(``method_of_equal_shares`` with ``Cost_Sat``) and ``mes-add1`` (``exhaustion_by_budget_increase``
of it with ``budget_step = n``), on approval and choose-1 files; the file's own rule is also run
and checked against its ``selected`` column.

A pabutools run estimated to take more than 60 s (``mes-add1``: one MES run times the number of
unit steps) is skipped with a note unless ``--full`` is given.

Targets (printed as PASS/MISS on the last line): ``greedy`` on Poland_Wroclaw_2017 at least 20×
faster than pabutools, ``mes-add1`` on Poland_Swiecie_2023 at least 100× faster (rule time on
parsed data).

Whole process against whole process (``--whole``, on by default): what a person waits for, from
the command line to the printed outcome. Ours is the ``yishi-pb`` console script (no Django),
theirs a fresh ``python`` that imports pabutools, parses the file and runs the same rule; both
outputs must name the same projects. Targets: ``greedy`` on Łódź 2022 at least 50×, ``mes-add1``
on Wieliczka 2023 at least 100×. Those two files are not in the sample data; when they are not
found in ``--data`` (default: the sample directory) the largest sample files stand in for them
(Poland_Wroclaw_2017, 62,529 voters, for greedy; Poland_Swiecie_2023, the sample's ``mes-add1``
file, for mes-add1) and the line says so. ``manage.py pb_outcome`` is timed beside it, for
information.

Run: ``.venv/bin/python bench/bench_rules.py [--full] [--no-whole] [--data DIR] [FILE.pb ...]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliberation import pabulib, rules  # noqa: E402

DATA = Path("/work/shared/data/pabulib")
SKIP_ABOVE = 60.0
TARGETS = (("Poland_Wroclaw_2017", "greedy", 20.0), ("Poland_Swiecie_2023", "mes-add1", 100.0))
# Whole-process targets: (file wanted, rule, target ratio, stand-in sample file if it is missing).
WHOLE_TARGETS = (
    ("Poland_Lodz_2022", "greedy", 50.0, "Poland_Wroclaw_2017"),
    ("Poland_Wieliczka_2023", "mes-add1", 100.0, "Poland_Swiecie_2023"),
)
PYTHON = Path(sys.executable)
YISHI_PB = PYTHON.parent / "yishi-pb"
PABUTOOLS_SCRIPT = """
import json, sys
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import (
    exhaustion_by_budget_increase, greedy_utilitarian_welfare, method_of_equal_shares,
)
path, rule = sys.argv[1], sys.argv[2]
instance, profile = parse_pabulib(path)
if rule == "greedy":
    out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
elif rule == "mes":
    out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
else:
    out = exhaustion_by_budget_increase(
        instance, profile, method_of_equal_shares, {"sat_class": Cost_Sat},
        budget_step=profile.num_ballots(),
    )
print(json.dumps(sorted(p.name for p in out)))
"""

T = TypeVar("T")


def timed(fn: Callable[[], T], *, min_total: float = 0.3, max_runs: int = 25) -> tuple[float, T]:
    """Best wall time of ``fn`` over repeated runs (until ``min_total`` seconds are spent)."""
    best, result, spent, runs = float("inf"), None, 0.0, 0
    while runs < max_runs and (runs == 0 or spent < min_total):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best, result  # type: ignore[return-value]


@dataclass
class Row:
    file: str
    rule: str
    ours: float
    theirs: float | None
    same: bool | None
    official: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.theirs is None else self.theirs / self.ours


class PabutoolsRunner:
    """pabutools' parse and rules for one file (imported lazily: a dev-only dependency)."""

    def __init__(self, path: Path) -> None:
        from pabutools.election import Cost_Sat, parse_pabulib

        self.cost_sat = Cost_Sat
        start = time.perf_counter()
        self.instance, self.profile = parse_pabulib(str(path))
        self.parse_time = time.perf_counter() - start

    def greedy(self) -> list[str]:
        from pabutools.rules import greedy_utilitarian_welfare

        out = greedy_utilitarian_welfare(self.instance, self.profile, sat_class=self.cost_sat)
        return [p.name for p in out]

    def mes(self) -> list[str]:
        from pabutools.rules import method_of_equal_shares

        out = method_of_equal_shares(self.instance, self.profile, sat_class=self.cost_sat)
        return [p.name for p in out]

    def mes_add1(self) -> list[str]:
        from pabutools.rules import exhaustion_by_budget_increase, method_of_equal_shares

        out = exhaustion_by_budget_increase(
            self.instance,
            self.profile,
            method_of_equal_shares,
            {"sat_class": self.cost_sat},
            budget_step=self.profile.num_ballots(),
        )
        return [p.name for p in out]


def bench_file(path: Path, full: bool) -> tuple[list[Row], str]:
    parse_time, election = timed(lambda: pabulib.read(path), min_total=0.0, max_runs=1)
    data = rules.rule_input(election)
    official_rule = rules.PABULIB_RULES.get(election.rule or "")
    selected = election.selected_ids()
    approval = election.vote_type in ("approval", "choose-1")
    runner = PabutoolsRunner(path) if approval else None
    parse_line = (
        f"{path.stem:<55} {len(election.votes):>7} {parse_time:>9.3f}"
        f" {runner.parse_time if runner else float('nan'):>10.3f}"
    )
    names: list[str] = []
    if approval:
        names += ["greedy", "mes", "mes-add1"]
    if official_rule and official_rule not in names:
        names.append(official_rule)
    rows: list[Row] = []
    mes_time: float | None = None
    for name in names:
        ours_time, result = timed(lambda name=name: rules.run(name, data))  # type: ignore[misc]
        official = (
            sorted(result.selected) == sorted(selected)
            if name == official_rule and selected is not None
            else None
        )
        row = Row(path.stem, name, ours_time, None, None, official)
        if runner is not None and name in ("greedy", "mes", "mes-add1"):
            method = {"greedy": runner.greedy, "mes": runner.mes, "mes-add1": runner.mes_add1}[name]
            estimate = None
            if name == "mes-add1" and mes_time is not None and result.mes is not None:
                estimate = mes_time * (result.mes.increments + 2)
            if estimate is not None and estimate > SKIP_ABOVE and not full:
                row.note = f"pabutools skipped: estimated {estimate:.0f} s (--full runs it)"
            else:
                budget = 0.0 if name == "mes-add1" else 0.3
                theirs_time, theirs = timed(method, min_total=budget, max_runs=3)
                row.theirs = theirs_time
                row.same = sorted(theirs) == sorted(result.selected)
                if name == "mes":
                    mes_time = theirs_time
        rows.append(row)
    return rows, parse_line


@dataclass
class Whole:
    file: str
    rule: str
    target: float
    ours: float
    theirs: float
    ours_cpu: float
    theirs_cpu: float
    manage: float
    same: bool
    note: str

    @property
    def ratio(self) -> float:
        return self.theirs / self.ours

    @property
    def cpu_ratio(self) -> float:
        return self.theirs_cpu / self.ours_cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(argv: list[str], *, runs: int) -> tuple[float, float, str]:
    """Best wall time and best CPU time (user + system) of a whole process over ``runs`` runs,
    and its standard output. On a shared machine the CPU time is the steadier of the two."""
    best, best_cpu, out = float("inf"), float("inf"), ""
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
        best_cpu, out = min(best_cpu, _children_cpu() - cpu), done.stdout
    return best, best_cpu, out


def bench_whole(data: Path) -> list[Whole]:
    rows: list[Whole] = []
    for wanted, rule, target, stand_in in WHOLE_TARGETS:
        path, note = data / f"{wanted}.pb", ""
        if not path.exists():
            path, note = DATA / f"{stand_in}.pb", f"{wanted}.pb not available: {stand_in} stands in"
        ours, ours_cpu, ours_out = run_process(
            [str(YISHI_PB), str(path), "--rule", rule, "--json"], runs=5
        )
        manage, _cpu, _out = run_process(
            [str(PYTHON), "manage.py", "pb_outcome", str(path), "--rule", rule, "--json"], runs=2
        )
        theirs, theirs_cpu, theirs_out = run_process(
            [str(PYTHON), "-c", PABUTOOLS_SCRIPT, str(path), rule], runs=1
        )
        same = sorted(json.loads(ours_out)["selected"]) == json.loads(theirs_out)
        row = Whole(path.stem, rule, target, ours, theirs, ours_cpu, theirs_cpu, manage, same, note)
        rows.append(row)
        print(
            f"{path.stem:<55} {rule:<9} {ours:>8.3f} {manage:>8.3f} {theirs:>9.2f}"
            f" {row.ratio:>7.0f}× {ours_cpu:>8.3f} {theirs_cpu:>9.2f} {row.cpu_ratio:>7.0f}×"
            f" {flag(same):>9}" + (f"  ({note})" if note else ""),
            flush=True,
        )
    return rows


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def flag(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "NO")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: every sample .pb file")
    parser.add_argument("--full", action="store_true", help="also run pabutools' > 60 s runs")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-process comparison")
    parser.add_argument(
        "--data", type=Path, default=DATA, help="where to look for the whole-process target files"
    )
    args = parser.parse_args()
    files = args.files or sorted(DATA.glob("*.pb"))

    print("Times are wall-clock seconds (best of several runs for ours), rule computation only on")
    print("an already-parsed profile; parse times are listed separately.\n")
    print(f"{'file':<55} {'voters':>7} {'parse ours':>9} {'pabutools':>10}")
    all_rows: list[Row] = []
    parse_lines: list[str] = []
    for path in files:
        rows, parse_line = bench_file(path, args.full)
        print(parse_line, flush=True)
        parse_lines.append(parse_line)
        all_rows += rows

    print(
        f"\n{'file':<55} {'rule':<17} {'ours':>9} {'pabutools':>10} {'ratio':>9}"
        f" {'identical':>9} {'official':>8}"
    )
    for row in all_rows:
        print(
            f"{row.file:<55} {row.rule:<17} {row.ours:>9.5f} {fmt(row.theirs, '>10.3f'):>10}"
            f" {fmt(row.ratio, '>8.0f') + ('×' if row.ratio else ''):>9} {flag(row.same):>9}"
            f" {flag(row.official):>8}" + (f"  ({row.note})" if row.note else "")
        )

    whole: list[Whole] = []
    if not args.no_whole:
        print(
            f"\nWhole process (command line to printed outcome; best of 5 for yishi-pb, 2 for"
            f" manage.py, 1 for pabutools), wall seconds then CPU seconds:\n{'file':<55}"
            f" {'rule':<9} {'yishi-pb':>8} {'manage':>8} {'pabutools':>9} {'ratio':>8}"
            f" {'cpu ours':>8} {'cpu pabu':>9} {'ratio':>8} {'identical':>9}"
        )
        whole = bench_whole(args.data)

    verdicts = []
    passed = True
    for stem, rule, target in TARGETS:
        found = next((r for r in all_rows if r.file == stem and r.rule == rule), None)
        ratio = found.ratio if found else None
        ok = ratio is not None and ratio >= target and bool(found and found.same)
        passed &= ok
        shown = "not run" if ratio is None else f"{ratio:.0f}×"
        verdicts.append(
            f"{rule} on {stem} {shown} (target ≥{target:.0f}×) {'PASS' if ok else 'MISS'}"
        )
    for w in whole:
        ok = w.ratio >= w.target and w.same
        passed &= ok
        verdicts.append(
            f"whole process {w.rule} on {w.file} {w.ratio:.0f}× wall, {w.cpu_ratio:.0f}× CPU"
            f" (target ≥{w.target:.0f}×"
            f"{', stand-in' if w.note else ''}) {'PASS' if ok else 'MISS'}"
        )
    mismatches = [r.file for r in all_rows if r.same is False or r.official is False]
    mismatches += [w.file for w in whole if not w.same]
    print(
        "\nSUMMARY: "
        + "; ".join(verdicts)
        + f"; outcome mismatches: {len(mismatches)} → {'PASS' if passed and not mismatches else 'MISS'}"
    )
    return 0 if passed and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
