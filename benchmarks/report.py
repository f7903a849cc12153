#!/usr/bin/env python3
"""Collects benchmark figures (JSON Lines) and prints them as a table of ratios.

    report.py add FILE NAME UNIT VALUE...     appends one figure (median, min, max of the values)
    report.py measured FILE NAME JSONL        appends NAME (tps) and NAME_client_us, NAME_server_us,
                                              NAME_wal_bytes from benchmarks/measure.py's lines
    report.py table FILE RESULTS_JSON         prints the table and writes the results file
"""
import json
import statistics
import sys


def add(path, name, unit, values):
    values = [float(v) for v in values]
    record = {"name": name, "unit": unit, "median": statistics.median(values), "min": min(values),
              "max": max(values), "runs": values}
    with open(path, "a") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
    print(f"{name}: median {record['median']:.2f} {unit} (min {record['min']:.2f}, max {record['max']:.2f}, "
          f"{len(values)} runs)")


def add_measured(path, name, lines):
    """One run per line of `lines` (benchmarks/measure.py --out): the rate and the cost per transition."""
    with open(lines) as source:
        runs = [json.loads(line) for line in source if line.strip()]
    add(path, name, "tps", [run["tps"] for run in runs])
    for key, unit in COSTS:
        add(path, f"{name}_{key}", unit, [run[key] for run in runs])


# What measure.py reports per transition (suffix of the figure's name, unit)
COSTS = [("client_us", "us"), ("server_us", "us"), ("wal_bytes", "B")]
# The systems of section 1 (prefix of the figure's name before _{clients}_clients, label)
SYSTEMS = [("pgbench_N", "pgbench -N"), ("fire_api", "Podium"), ("handrolled", "hand-rolled (psycopg)"),
           ("dbos", "DBOS Transact")]

# (figure, baseline, what the ratio means, target ratio or None, higher is better)
COMPARISONS = [
    *[(f"fire_api_{c}_clients", f"pgbench_N_{c}_clients", f"transitions/s, {c} clients, vs pgbench -N", 1.0, True)
      for c in (1, 4, 8)],
    *[(f"fire_api_{c}_clients", f"handrolled_{c}_clients",
       f"transitions/s, {c} clients, vs a hand-rolled psycopg transaction", 2.0, True) for c in (1, 4, 8)],
    *[(f"fire_api_{c}_clients", f"dbos_{c}_clients", f"transitions/s, {c} clients, vs DBOS Transact", 20.0, True)
      for c in (1, 4, 8)],
    *[(f"fire_sql_pgbench_{c}_clients", f"pgbench_N_{c}_clients",
       f"the same SQL driven by pgbench, {c} clients, vs pgbench -N", None, True) for c in (1, 4, 8)],
    *[(f"fire_api_{c}_clients", f"fire_sql_pgbench_{c}_clients",
       f"the Swift API vs its SQL driven by pgbench, {c} clients", None, True) for c in (1, 4, 8)],
    *[(f"fire_api_unnamed_{c}_clients", f"fire_api_{c}_clients",
       f"transitions/s, named statements off, {c} client(s), vs on", None, True) for c in (1, 8)],
    *[(f"fire_api_pgbouncer_{c}_clients", f"fire_api_{c}_clients",
       f"transitions/s through PgBouncer (transaction mode), {c} client(s), vs direct", None, True) for c in (1, 8)],
    *[(f"fire_http_{c}_clients", f"fire_api_{c}_clients", f"transitions/s over HTTP, {c} connections, vs the Swift API",
       0.8, True) for c in (1, 4, 8)],
    ("fire_cli_1_client", "fire_api_1_clients", "podium item fire processes vs the Swift API, 1 client", None, True),
    ("cli_help_ms", "psql_select_1_ms", "CLI cold start (podium --help) vs psql -c 'select 1'", None, False),
    *[(f"reminders_podium_{p}_proc", f"reminders_pgqueuer_{p}_proc", f"reminders/s, {p} process(es), vs pgqueuer",
       1.5, True) for p in (1, 2)],
    *[(f"reminders_podium_{p}_proc", f"reminders_sql_loop_{p}_proc",
       f"reminders/s, {p} process(es), vs a plain SQL claim loop", 0.5, True) for p in (1, 2)],
    ("validate_500_stages", "yams_compose_500_stages", "validating a 500-stage workflow vs Yams parsing alone", None,
     False),
]
# (figure, limit, unit): absolute targets the issue sets
LIMITS = [
    ("latency_p99_ms", 200, "ms"), ("fire_http_8_clients_p99_ms", 20, "ms"),
    ("fire_http_1_clients_p99_ms", None, "ms"), ("fire_http_4_clients_p99_ms", None, "ms"), ("latency_p50_ms", None, "ms"), ("worker_peak_rss_mb", 40, "MB"), ("worker_long_running_rss_mb", 40, "MB"),
    ("cli_peak_rss_mb", None, "MB"), ("validate_500_stages", 100, "ms"),
    ("fire_api_8_clients_one_hot_item_each", None, "tps"),
    ("serve_peak_rss_mb", 60, "MB"), ("inbox_page_8_connections", None, "pages/s"),
    ("inbox_page_8_connections_p99_ms", None, "ms"), ("mixed_drain_2_proc", None, "jobs/s"),
    # benchmarks/scale, at each size: the command's own work above its baseline
    *[(f"scale_{name}_{size}_ms", limit if size == 1000000 else None, "ms")
      for name, limit in (("stuck", 100), ("item_show", 10), ("item_history", 10), ("report_flow", 1000),
                          ("my_tasks", 20), ("inbox_page", None), ("fire", None))
      for size in (10000, 100000, 1000000)],
]


def table(path, results_path):
    figures = {}
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            figures[record["name"]] = record
    rows = []
    print(f"\n{'comparison':<66} {'figure':>12} {'baseline':>12} {'ratio':>7}  target")
    for name, baseline, label, target, higher in COMPARISONS:
        if name not in figures or baseline not in figures:
            continue
        figure, base = figures[name], figures[baseline]
        ratio = figure["median"] / base["median"] if base["median"] else float("nan")
        verdict = ""
        if target is not None:
            verdict = f">= {target:.1f} " + ("met" if ratio >= target else "MISSED")
        print(f"{label:<66} {figure['median']:>10.1f}{figure['unit']:>2} {base['median']:>10.1f}{base['unit']:>2} "
              f"{ratio:>7.2f}  {verdict}")
        rows.append({"comparison": label, "figure": figure, "baseline": base, "ratio": ratio, "target_ratio": target,
                     "met": None if target is None else ratio >= target})
    spends, spend_rows = [], []
    for clients in (1, 4, 8):
        for prefix, label in SYSTEMS:
            name = f"{prefix}_{clients}_clients"
            if name in figures and all(f"{name}_{key}" in figures for key, _ in COSTS):
                spends.append((clients, label, figures[name]["median"],
                               *(figures[f"{name}_{key}"]["median"] for key, _ in COSTS)))
    if spends:
        print(f"\n{'where a transition goes: CPU per transition (client, server), WAL bytes':<72} {'tps':>8} "
              f"{'client us':>10} {'server us':>10} {'sum us':>8} {'WAL B':>7}")
        for clients, label, tps, client, server, wal in spends:
            row = f"{label}, {clients} client{'s' if clients > 1 else ''}"
            print(f"{row:<72} {tps:>8.1f} {client:>10.1f} {server:>10.1f} {client + server:>8.1f} {wal:>7.0f}")
            spend_rows.append({"system": label, "clients": clients, "tps": tps, "client_us": client,
                               "server_us": server, "wal_bytes": wal})
    print()
    for name, limit, unit in LIMITS:
        if name not in figures:
            continue
        figure = figures[name]
        verdict = "" if limit is None else f"< {limit} {unit} " + ("met" if figure["median"] < limit else "MISSED")
        print(f"{name:<66} {figure['median']:>10.1f}{unit:>3}  {verdict}")
        rows.append({"comparison": name, "figure": figure, "target_max": limit,
                     "met": None if limit is None else figure["median"] < limit})
    with open(results_path, "w") as out:
        json.dump({"figures": list(figures.values()), "comparisons": rows, "spends": spend_rows}, out, indent=2,
                  sort_keys=True)
    print(f"\nresults: {results_path}")


if __name__ == "__main__":
    if sys.argv[1] == "add":
        add(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif sys.argv[1] == "measured":
        add_measured(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        table(sys.argv[2], sys.argv[3])
