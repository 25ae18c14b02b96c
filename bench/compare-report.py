#!/usr/bin/python3
"""The tables of bench/compare.sh: reads the JSON results of A's and B's runs and prints, per scenario row, the median
of each figure on each side, the ratio B/A and every round's figure. Standard library only, so it runs wherever
python3 does. bench/compare.sh calls it; bench/README.md ("Comparing two commits") explains the output.

Usage: compare-report.py --a A1.json --b B1.json [--a A2.json --b B2.json ...]
"""

import argparse
import json
import math
import statistics
import sys

# The figures compared, in the order printed: (JSON key, name, format, higher is better; None: no ratio, as the
# figure describes the run, not the build). A row shows those it has.
# Throughput rows have no latency_* (they keep load_latency_*, the times under load); latency rows have no
# throughput. Workflow rows count per node where the others count per job, like the bench's own table.
FIGURES = [
    ("throughput_jobs_per_s", "jobs/s", ",.0f", True),
    ("runs_per_s", "runs/s", ",.1f", True),
    ("nodes_per_s", "nodes/s", ",.0f", True),
    ("latency_p50_ms", "p50 ms", ".2f", False),
    ("latency_p99_ms", "p99 ms", ".2f", False),
    ("load_latency_p50_ms", "p50 ms under load", ".2f", False),
    ("load_latency_p99_ms", "p99 ms under load", ".2f", False),
    ("run_latency_p50_ms", "run p50 ms", ".1f", False),
    ("run_latency_p99_ms", "run p99 ms", ".1f", False),
    ("step_overhead_mean_ms", "step mean ms (stored)", ".2f", False),
    ("monitor_step_overhead_p50_ms", "step p50 ms (MONITOR)", ".2f", False),
    ("monitor_step_overhead_p99_ms", "step p99 ms (MONITOR)", ".2f", False),
    ("redis_cmds_per_job", "Redis cmds/job", ".1f", False),
    ("redis_round_trips_per_job", "round trips/job", ".1f", False),
    ("cpu_ms_per_1k_jobs_api", "CPU ms/1k jobs, api", ",.0f", False),
    ("cpu_ms_per_1k_jobs_worker", "CPU ms/1k jobs, worker", ",.0f", False),
    ("cpu_ms_per_1k_jobs_controller", "CPU ms/1k jobs, controller", ",.0f", False),
    ("cpu_ms_per_1k_jobs_redis", "CPU ms/1k jobs, redis", ",.0f", False),
    ("cpu_ms_per_1k_jobs_machine", "CPU ms/1k jobs, machine", ",.0f", False),
    ("cpu_cores_other", "other procs, cores", ".2f", None),
    ("failed", "failed jobs", ",.0f", None),
]

# Above this many cores used by processes outside the benchmark, a run's figures understate ExeSys (the bench's own
# threshold, ResultTable.OtherLoadWarning).
OTHER_LOAD_WARNING = 0.1


def number(value):
    """A finite float, or None: the JSON writes NaN and infinities as strings (AllowNamedFloatingPointLiterals)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def load(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    rows = {}
    for scenario in report["scenarios"]:
        if not scenario["rows"]:
            rows[(scenario["name"], scenario["name"])] = {"status": scenario["status"], "figures": {}}
        for row in scenario["rows"]:
            # A run's "median" is its own figures (one repetition) or the median of its --repeat repetitions, and
            # it is the only place that holds the round trips (they come from the run's one MONITOR pass).
            rows[(scenario["name"], row["label"])] = {"status": scenario["status"], "figures": row["median"]}
    return report, rows


def shown(figures, key):
    # The MONITOR step is only sound one run at a time (the bench's table shows it in those rows only).
    if key.startswith("monitor_step_") and number(figures.get("workflow_concurrency")) != 1:
        return None
    return number(figures.get(key))


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", action="append", required=True, help="a JSON result of side A, in round order")
    parser.add_argument("--b", action="append", required=True, help="a JSON result of side B, in round order")
    args = parser.parse_args()

    sides = {"A": [load(p) for p in args.a], "B": [load(p) for p in args.b]}
    keys = []  # scenario rows in the order the runs reported them, A's first, then any only B has
    for side in ("A", "B"):
        for _, rows in sides[side]:
            keys.extend(k for k in rows if k not in keys)

    out = []
    noisy = []  # (cores, where) of every measurement that another process disturbed
    measurements = 0
    for key in keys:
        scenario, label = key
        per_side = {s: [rows.get(key) for _, rows in runs] for s, runs in sides.items()}
        out.append(label if label.startswith(scenario) else f"{scenario}: {label}")
        statuses = sorted({r["status"] for runs in per_side.values() for r in runs if r and r["status"] != "ok"})
        for status in statuses:
            out.append(f"  status: {status}")
        missing = [s for s, runs in per_side.items() if any(r is None for r in runs)]
        if missing:
            out.append(f"  (not in every run of {' and '.join(missing)}: the bench tools differ in their rows)")

        workflow = any(r and "nodes_per_run" in r["figures"] for runs in per_side.values() for r in runs)
        table = [["figure", "A median", "B median", "B/A", "round B/A", "A per round", "B per round"]]
        for json_key, name, spec, higher_better in FIGURES:
            if workflow:
                name = name.replace("jobs", "nodes").replace("/job", "/node")  # a node is a job, and counted as one
            values = {s: [shown(r["figures"], json_key) if r else None for r in runs] for s, runs in per_side.items()}
            if all(v is None for vs in values.values() for v in vs):
                continue
            if json_key == "failed" and not any(v for vs in values.values() for v in vs):
                continue  # a failed job ends compare.sh anyway; the line only matters when it is not 0
            if json_key == "cpu_cores_other":
                measurements += sum(v is not None for vs in values.values() for v in vs)
                noisy.extend((v, f"{label}, {s} round {i + 1}")
                             for s, vs in values.items() for i, v in enumerate(vs) if v is not None and v > OTHER_LOAD_WARNING)
            medians = {}
            for s, vs in values.items():
                present = [v for v in vs if v is not None]
                # statistics.median takes the mean of the middle two for an even count, as the bench's --repeat does.
                medians[s] = (sum(present) if json_key == "failed" else statistics.median(present)) if present else None
            a, b = medians["A"], medians["B"]
            ratio = f"{b / a:.3f}" if higher_better is not None and a and b is not None else "-"
            # The median of each round's own B/A: a round's A and B ran back to back, so a slow spell of the machine
            # that spans a round cancels in its ratio, which it does not in the ratio of the medians.
            rounds = [vb / va for va, vb in zip(values["A"], values["B"]) if va and vb is not None]
            round_ratio = f"{statistics.median(rounds):.3f}" if higher_better is not None and rounds else "-"
            table.append([name, fmt(a, spec), fmt(b, spec), ratio, round_ratio,
                          " / ".join(fmt(v, spec) for v in values["A"]),
                          " / ".join(fmt(v, spec) for v in values["B"])])
        if len(table) > 1:
            widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
            for n, r in enumerate(table):
                cells = [c.ljust(widths[i]) if i in (0, 5, 6) else c.rjust(widths[i]) for i, c in enumerate(r)]
                out.append(("  " + "  ".join(cells)).rstrip())
                if n == 0:
                    out.append("  " + "  ".join("-" * w for w in widths))
        out.append("")

    out.append("B/A above 1 is better for jobs/s, runs/s and nodes/s; below 1 is better for the times, the Redis "
               "costs and the CPU.")
    if any(report["settings"].get("smoke") for runs in sides.values() for report, _ in runs):
        out.append("These are --smoke runs: their figures are noise. They check that the comparison runs, nothing more.")
    out.append("\"other procs, cores\": the CPU that processes outside the benchmark took during the measurement "
               f"(the bench's column other); above {OTHER_LOAD_WARNING} a run's figures understate ExeSys.")
    if noisy:
        cores, where = max(noisy)
        out.append(f"WARNING: in {len(noisy)} of {measurements} measurements other processes used more than "
                   f"{OTHER_LOAD_WARNING} cores (up to {cores:.2f}, in {where}). Re-run on a quiet machine "
                   "(--wait-quiet N helps) before reading a difference into those rows.")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
