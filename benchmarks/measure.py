"""Runs one transition benchmark and reports what each transition cost: client CPU, server CPU, WAL.

    measure.py --db URL [--out FILE] [--count-sql SQL [--open-after N]] -- COMMAND...

Passes the command's output through and appends one JSON line to FILE (and prints it on stderr):

    {"tps": ..., "transitions": ..., "client_us": ..., "server_us": ..., "wal_bytes": ..., "window": ...,
     "other_databases_us": ...}

with client_us, server_us and wal_bytes per transition, over a window (below); other_databases_us
is the part of server_us that backends of other databases used (those alive at the window's end).

- client: CPU time (user + system) of the command and its descendants: getrusage(RUSAGE_CHILDREN)
  before it starts and after waiting for it (descendants count once their parents have waited for
  them, as multiprocessing's and pgbench's are), and at a window's opening or closing while it
  runs, utime + stime + cutime + cstime from /proc/<pid>/stat of every process in its tree.
- server: CPU time of the PostgreSQL cluster: the postmaster (pid from postmaster.pid in the data
  directory) with its own utime + stime + cutime + cstime, plus utime + stime of each of its live
  children (backends, WAL writer, checkpointer, autovacuum...; /proc/<pid>/task/<pid>/children)
  from /proc/<pid>/stat. A backend that exits in between is counted through the postmaster's
  cutime and cstime once reaped (read again if one is reaped while they are read). The whole
  cluster: anything else using it at the time counts too (a warning says when backends of other
  databases used more than 5% of it).
- WAL: pg_wal_lsn_diff of pg_current_wal_lsn() at the window's end and start.
- transitions: `number of transactions actually processed: N` (pgbench), a line `transitions N`
  (the peers), or with --count-sql the difference of that query's value on --db at the window's
  end and start.
- tps: the rate the command prints itself (`tps = R` from pgbench, `tps R` from the peers,
  `median R tps` from podium-bench).

The window:
- markers: a command that prints the line `measure: start` and later `measure: stop` is measured
  between the two, so that its setup (creating items, DBOS's launch) and teardown stay out. It is
  started with MEASURE_ACK=1 and a pipe on its standard input; after each marker it should wait
  for the line `ok`, which this script writes once it has read the counters.
- --open-after N (with --count-sql): the window opens when the count has grown by N since the
  start (polled every 5 ms, the polls outside the window) and closes when the command exits. For
  podium-bench, whose setup writes a known number of history rows (an item's creation and its
  `start_draft`, 100 items per client, then one warm-up round of two fires per client: 202 per
  client) and which ends right after its measured loop.
- otherwise, the whole command (pgbench: its setup is connecting).

The window opens after benchmarks/run's CHECKPOINT, so the first change to each page after it
writes a full-page image into the WAL of the run being measured.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent


def stat(pid):
    """(ppid, utime + stime, cutime + cstime) in seconds, or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def processes():
    """pid -> (ppid, own CPU, reaped children's CPU) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            row = stat(int(entry))
            if row is not None:
                table[int(entry)] = row
    return table


def database_of(pid):
    """The database a client backend serves, from its title `postgres: USER DATABASE HOST ...`."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return title[2] if len(title) > 3 and title[0] == "postgres:" and title[1] != "autovacuum" else None


def server_cpu(postmaster, database):
    """The postmaster's CPU with its reaped children's, plus its live children's; and pid -> CPU of
    the live backends of databases other than `database`. A child reaped while they are read would
    be missed (gone from the list, not yet in cutime) or counted twice: read again until the
    postmaster's cutime is the same before and after."""
    for _ in range(100):
        _, _, reaped_before = stat(postmaster)
        live, others = 0.0, {}
        for child in map(int, Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()):
            row = stat(child)
            if row is not None:
                live += row[1]
                if database_of(child) not in (None, database):
                    others[child] = row[1]
        _, own, reaped = stat(postmaster)
        if reaped == reaped_before:
            return own + reaped + live, others
    raise RuntimeError("the postmaster kept reaping children while its CPU time was read")


def tree_cpu(root, table):
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid in table:
            total += table[pid][1] + table[pid][2]
        pending.extend(children.get(pid, []))
    return total


def rusage_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Counters:
    def __init__(self, url, count_sql, data_dir):
        self.connection = psycopg.connect(url, autocommit=True)  # one backend, idle in between
        self.count_sql = count_sql
        self.postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])

    def database(self):
        lsn = self.connection.execute("select pg_current_wal_lsn()").fetchone()[0]
        count = self.connection.execute(self.count_sql).fetchone()[0] if self.count_sql else None
        return lsn, count

    def count(self):
        return self.connection.execute(self.count_sql).fetchone()[0]

    def wal_bytes(self, before, after):
        return float(self.connection.execute("select pg_wal_lsn_diff(%s, %s)", (after, before)).fetchone()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="libpq URL of the database the command uses")
    parser.add_argument("--out", help="append the per-transition figures here (JSON line)")
    parser.add_argument("--count-sql", help="count transitions as this query's difference, end - start")
    parser.add_argument("--open-after", type=int, help="open the window once the count has grown by this much")
    parser.add_argument("--data-dir", default=str(ROOT / ".podium/pg/data"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.open_after is not None and not args.count_sql:
        parser.error("--open-after needs --count-sql")
    counters = Counters(args.db, args.count_sql, Path(args.data_dir))

    def snapshot(client_cpu, opening):
        # The queries on --db go outside the window: first when it opens, last when it closes.
        if opening:
            lsn, count = counters.database()
        server, others = server_cpu(counters.postmaster, counters.connection.info.dbname)
        client = client_cpu(processes())
        moment = time.monotonic()
        if not opening:
            lsn, count = counters.database()
        return client, server, lsn, count, moment, others

    def tree(table):  # the command's tree, counted as getrusage will count it once it has ended
        return base_rusage + tree_cpu(child.pid, table)

    first = snapshot(lambda table: rusage_children(), opening=True)
    base_rusage = first[0]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
                             env={**os.environ, "MEASURE_ACK": "1"})
    marks = {}  # "start"/"stop" -> snapshot
    if args.open_after is not None:
        # Poll until the setup's rows are there. The command's output waits in the pipe meanwhile.
        while child.poll() is None:
            if counters.count() - first[3] >= args.open_after:
                marks["start"] = snapshot(tree, opening=True)
                break
            time.sleep(0.005)
    output = []
    for line in child.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        output.append(line)
        marker = line.strip()
        if marker in ("measure: start", "measure: stop"):
            kind = marker.split()[1]
            marks[kind] = snapshot(tree, opening=kind == "start")
            try:
                child.stdin.write("ok\n")
                child.stdin.flush()
            except BrokenPipeError:
                pass
    code = child.wait()
    if code != 0:
        sys.exit(f"measure: {' '.join(command)} exited with {code}")
    last = snapshot(lambda table: rusage_children(), opening=False)
    if args.open_after is not None and "start" not in marks:
        sys.exit(f"measure: the count never grew by {args.open_after}")
    text = "".join(output)

    begin, end = marks.get("start", first), marks.get("stop", last)
    window = "markers" if "stop" in marks else "from --open-after to exit" if "start" in marks else "whole command"
    totals = {"client_s": end[0] - begin[0], "server_s": end[1] - begin[1],
              "wal_bytes": counters.wal_bytes(begin[2], end[2]), "seconds": end[4] - begin[4]}
    if args.count_sql:
        totals["transitions"] = end[3] - begin[3]
    elif match := re.search(r"number of transactions actually processed: (\d+)", text):
        totals["transitions"] = int(match.group(1))
    elif match := re.search(r"^transitions (\d+)", text, re.M):
        totals["transitions"] = int(match.group(1))
    else:
        sys.exit("measure: found no count of transitions in the command's output (and no --count-sql)")
    tps = None
    if match := re.search(r"tps = ([0-9.]+)|^transitions \d+ .*\btps ([0-9.]+)|median ([0-9.]+) tps", text, re.M):
        tps = float(next(group for group in match.groups() if group))
    count = totals["transitions"]
    if count <= 0:
        sys.exit(f"measure: {count} transitions in the window")
    # Other databases' backends that lived through the window (those that ended in it are missed).
    others = sum(cpu - begin[5].get(pid, 0.0) for pid, cpu in end[5].items())
    if others > 0.05 * totals["server_s"]:
        print(f"measure: warning: backends of other databases used {others:.2f} s of the cluster's "
              f"{totals['server_s']:.2f} s of CPU in the window", file=sys.stderr)
    record = {"tps": tps, "transitions": count, "window": window, "seconds": round(totals["seconds"], 3),
              "client_us": totals["client_s"] * 1e6 / count, "server_us": totals["server_s"] * 1e6 / count,
              "wal_bytes": totals["wal_bytes"] / count, "other_databases_us": others * 1e6 / count}
    print("measure: " + json.dumps(record), file=sys.stderr)
    if args.out:
        with open(args.out, "a") as out:
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
