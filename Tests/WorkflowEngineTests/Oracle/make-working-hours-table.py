#!/usr/bin/env python3
"""Oracle table for working-hours "next opening" in 2026: working-hours-2026.tsv.

What it computes
  For each (zone, spec, query) the expected next_opening(query), both UTC.

Semantics
  A spec is a set of weekdays plus a daily local window [open, close) in
  wall-clock minutes, e.g. "Mon-Fri 08:30-17:00"; close may be 24:00 (= 1440).
  An instant t (UTC) is OPEN in zone Z iff datetime.fromtimestamp(t, ZoneInfo(Z))
  has a weekday in the set and open <= hour*60 + minute < close.
  next_opening(q) is q if q is OPEN, otherwise the smallest OPEN t > q.

  It is found by brute force, with no calendar arithmetic: every whole UTC
  minute from 2025-12-31 to 2027-01-17 is converted to local wall-clock with
  zoneinfo (once per zone, then cached), every minute gets an OPEN flag, and
  the answer is the first OPEN minute at or after q (a linear scan, capped at
  15 days; the cap asserts it is never hit). All queries are whole minutes, and
  every tz transition and window edge in these zones falls on a whole minute.

Queries, per (zone, spec), deduplicated and sorted
  * Every other day of 2026 (odd day_of_year, 1-based: Jan 1 = 1), at UTC
    hour (day_of_year*7) % 24 and minute (day_of_year*13) % 60. Every day
    would give a 3.1 MB file (39,792 rows), so only half the days are kept,
    to stay under ~2.5 MB.
  * Around every UTC-offset transition of the zone in 2026 (found by comparing
    offsets hour by hour, then refined to the minute): every 15 minutes from
    transition - 4h to transition + 4h.

Output
  One '#' header line (columns, tzdata version), then one row per query:
  zone<TAB>spec<TAB>query<TAB>expected, times as YYYY-MM-DDTHH:MM:SSZ.

tzdata used: 2025b (system /usr/share/zoneinfo; the version is printed).

Rerun (stdlib only, Python 3.9+; ~15 s), from the repository root:
  python3 Tests/WorkflowEngineTests/Oracle/make-working-hours-table.py
The transitions found are printed on stderr.
"""
import os
import sys
import time
import zoneinfo
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

ZONES = [
    "America/New_York", "Europe/London", "Europe/Dublin", "Europe/Berlin",
    "Australia/Lord_Howe", "Australia/Adelaide", "Pacific/Chatham",
    "America/Santiago", "America/Havana", "Asia/Beirut", "Asia/Kathmandu",
    "Asia/Kolkata", "Africa/Casablanca", "Pacific/Auckland",
    "America/Sao_Paulo", "UTC",
]
SPECS = [
    "Mon-Sun 09:00-18:00", "Mon-Fri 08:30-17:00", "Mon-Sun 00:00-01:00",
    "Mon-Sun 02:00-03:00", "Sat,Sun 01:30-02:30", "Mon-Sun 00:30-24:00",
]
DAY_STEP = 2                     # per-day queries on every other day
MIN = 60
YEAR_START = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
YEAR_END = int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())
CAP = 15 * 1440                  # search cap, in minutes
BASE = YEAR_START - 1440 * MIN   # first minute in the cache
COUNT = (YEAR_END - BASE) // MIN + CAP + 1440   # minutes in the cache
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "working-hours-2026.tsv")
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def tzdata_version():
    for d in zoneinfo.TZPATH:
        p = os.path.join(d, "tzdata.zi")
        if os.path.exists(p):
            with open(p) as f:
                return f.readline().split()[-1]          # "# version 2025b"
    import tzdata                                          # pip install tzdata
    return tzdata.IANA_VERSION


def parse_spec(spec):
    """'Sat,Sun 01:30-02:30' -> (set of weekday numbers Mon=0, open, close)."""
    days_part, window = spec.split()
    days = set()
    for item in days_part.split(","):
        a, _, b = item.partition("-")
        days.update(range(DAYS.index(a), DAYS.index(b or a) + 1))
    minutes = [int(h) * 60 + int(m) for h, m in (x.split(":") for x in window.split("-"))]
    return days, minutes[0], minutes[1]


def local_minutes(zone):
    """For every cached UTC minute: local weekday*1440 + hour*60 + minute."""
    tz = ZoneInfo(zone)
    out = []
    for i in range(COUNT):
        d = datetime.fromtimestamp(BASE + i * MIN, tz)
        out.append(d.weekday() * 1440 + d.hour * 60 + d.minute)
    return out


def transitions(zone):
    """UTC instants in 2026 where the zone's UTC offset changes."""
    tz = ZoneInfo(zone)
    off = lambda t: datetime.fromtimestamp(t, tz).utcoffset()
    found = []
    for h in range(YEAR_START, YEAR_END, 3600):
        if off(h) != off(h + 3600):
            t = next(t for t in range(h + MIN, h + 3600 + MIN, MIN) if off(t) != off(h))
            found.append((t, off(t - MIN), off(t)))
    return found


def hhmm(offset):
    m = int(offset.total_seconds()) // 60
    return f"{'-' if m < 0 else '+'}{abs(m) // 60:02}:{abs(m) % 60:02}"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main():
    started = time.time()
    version = tzdata_version()
    print(f"tzdata {version}", file=sys.stderr)
    daily = []
    for doy in range(1, 366, DAY_STEP):
        daily.append(YEAR_START + (doy - 1) * 86400 + (doy * 7 % 24) * 3600 + (doy * 13 % 60) * MIN)
    rows = [f"# zone\tspec\tquery\texpected -- expected = next_opening(query): query if OPEN, else "
            f"the first OPEN minute after it; UTC; tzdata {version}; make-working-hours-table.py"]
    for zone in ZONES:
        trans = transitions(zone)
        print(zone, [f"{iso(t)} {hhmm(a)}->{hhmm(b)}" for t, a, b in trans], file=sys.stderr)
        queries = set(daily)
        for t, _, _ in trans:
            queries.update(range(t - 4 * 3600, t + 4 * 3600 + 1, 15 * MIN))
        queries = sorted(queries)
        local = local_minutes(zone)
        for spec in SPECS:
            days, open_, close = parse_spec(spec)
            open_at = [k // 1440 in days and open_ <= k % 1440 < close for k in range(7 * 1440)]
            flags = bytes(open_at[k] for k in local)    # OPEN flag of every cached minute
            for q in queries:
                assert q % MIN == 0
                i = (q - BASE) // MIN
                j = flags.find(1, i)                      # first OPEN minute >= q
                assert 0 <= j - i <= CAP and j + 1 < COUNT, (zone, spec, iso(q))
                rows.append(f"{zone}\t{spec}\t{iso(q)}\t{iso(BASE + j * MIN)}")
    with open(OUT, "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{len(rows) - 1} rows, {os.path.getsize(OUT)} bytes, {time.time() - started:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
