"""Peer for Podium's transitions: what a team would write by hand instead, with psycopg 3.

    handrolled.py setup DSN                             creates the tables (items, history, tasks)
    handrolled.py run DSN CLIENTS SECONDS [ITEMS]       CLIENTS processes bounce their own ITEMS
                                                        (default 100) items for SECONDS

Each transition is one transaction, in the default READ COMMITTED: lock the item (SELECT ... FOR
UPDATE), check in Python that its stage allows the transition, update its stage and revision,
append a history row, cancel the item's open tasks, insert the new stage's three tasks (two
reminders and an escalation, each with a unique idempotency key), COMMIT (synchronous_commit on,
the server's default). `submit` moves draft -> private_review as the executive, `request_changes`
moves it back as the coach, with a comment: the same bounce as `podium-bench transitions`.

Every client is an OS process (multiprocessing, so the GIL is no limit) with its own connection;
psycopg prepares each statement on the server after its fifth execution. Prints, for
benchmarks/measure.py, `measure: start` once every client has its items and waits to begin,
`measure: stop` once every client has finished its last transaction (before any connection
closes), then `transitions N seconds S tps R`.
"""

import multiprocessing
import os
import sys
import time
import traceback
import types

import psycopg

SCHEMA = """
create table if not exists items (
    id bigint generated always as identity primary key,
    title text not null,
    stage text not null,
    revision integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create table if not exists history (
    id bigint generated always as identity primary key,
    item_id bigint not null references items (id),
    from_stage text,
    to_stage text not null,
    transition text not null,
    actor text not null,
    comment text,
    at timestamptz not null default now()
);
create index if not exists history_item on history (item_id);
create table if not exists tasks (
    id bigint generated always as identity primary key,
    item_id bigint not null references items (id),
    kind text not null,
    run_at timestamptz not null,
    status text not null default 'pending',
    idempotency_key text not null unique,
    created_at timestamptz not null default now()
);
create index if not exists tasks_open_by_item on tasks (item_id) where status = 'pending';
"""

# transition -> (from stage, to stage, actor, comment)
TRANSITIONS = {
    "submit": ("draft", "private_review", "alice", None),
    "request_changes": ("private_review", "draft", "bob", "Shorter, please."),
}
NEXT = {"draft": "submit", "private_review": "request_changes"}


def setup(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set client_min_messages = warning")
        conn.execute(SCHEMA)


INSERT_TASKS = (  # the stage's two reminders and its escalation, keyed by item, revision and kind
    "insert into tasks (item_id, kind, run_at, idempotency_key) values"
    " (%(item)s, 'reminder', now() + interval '1 day', %(key)s || ':reminder:1'),"
    " (%(item)s, 'reminder', now() + interval '2 days', %(key)s || ':reminder:2'),"
    " (%(item)s, 'escalation', now() + interval '3 days', %(key)s || ':escalation')")


def transition(execute, item: int, name: str) -> str:
    """The statements of one transition of `item`, through `execute(sql, params)` inside the caller's
    transaction (a psycopg cursor's execute here, SQLAlchemy's exec_driver_sql in the DBOS peer).
    Returns the new stage."""
    source, target, actor, comment = TRANSITIONS[name]
    row = execute("select stage, revision from items where id = %(item)s for update", {"item": item}).fetchone()
    if row is None:
        raise LookupError(f"no item {item}")
    stage, revision = row
    if stage != source:
        raise ValueError(f"item {item} is in {stage}: {name} needs {source}")
    execute("update items set stage = %(stage)s, revision = revision + 1, updated_at = now() where id = %(item)s",
            {"stage": target, "item": item})
    execute("insert into history (item_id, from_stage, to_stage, transition, actor, comment)"
            " values (%(item)s, %(from)s, %(to)s, %(transition)s, %(actor)s, %(comment)s)",
            {"item": item, "from": stage, "to": target, "transition": name, "actor": actor, "comment": comment})
    execute("update tasks set status = 'cancelled' where item_id = %(item)s and status = 'pending'", {"item": item})
    execute(INSERT_TASKS, {"item": item, "key": f"{item}:{revision + 1}:{target}"})
    return target


def create_items(conn: psycopg.Connection, title: str, count: int) -> list:
    """`count` new items in draft, each with its stage's tasks, in one transaction."""
    items = []
    with conn.transaction(), conn.cursor() as cur:
        for number in range(count):
            cur.execute("insert into items (title, stage) values (%s, 'draft') returning id", (f"{title}-{number}",))
            item = cur.fetchone()[0]
            cur.execute(INSERT_TASKS, {"item": item, "key": f"{item}:0:draft"})
            items.append(item)
    return items


def fire(conn: psycopg.Connection, item: int, name: str) -> str:
    """One transition of `item` in one transaction (BEGIN ... COMMIT); returns the new stage."""
    with conn.transaction(), conn.cursor() as cur:
        return transition(cur.execute, item, name)


def work(sync, index: int, seconds: float, dsn: str, items_per_client: int) -> None:
    """One client: its own connection and items, then transitions round them for `seconds`."""
    with psycopg.connect(dsn) as conn:
        items = create_items(conn, f"Hand-rolled post {index}", items_per_client)
        stages = {item: "draft" for item in items}

        def fire_next(item: int) -> None:
            stages[item] = fire(conn, item, NEXT[stages[item]])

        for item in items[:6]:  # warm up: psycopg prepares a statement on its fifth execution
            fire_next(item)
        go_round(sync, seconds, items, fire_next)  # the connection closes after `measure: stop`


def go_round(sync, seconds: float, items: list, fire_next) -> None:
    """Waits for the window to open, calls fire_next on `items` in turn for `seconds`, hands the
    count to the parent, and returns once the window has closed."""
    sync.ready.wait()
    sync.go.wait()
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        fire_next(items[count % len(items)])
        count += 1
    sync.counts.put(count)
    sync.done.wait()


def mark(what: str) -> None:
    """Prints a marker for benchmarks/measure.py and, under it, waits until it has read its counters."""
    print(f"measure: {what}", flush=True)
    if os.environ.get("MEASURE_ACK"):
        sys.stdin.readline()


def client(work, sync, index: int, seconds: float, args: tuple) -> None:
    code = 0
    try:
        work(sync, index, seconds, *args)
    except BaseException:
        traceback.print_exc()
        sync.counts.put(None)  # the parent stops at once rather than wait out a barrier
        for barrier in (sync.ready, sync.go, sync.done):
            barrier.abort()
        code = 1
    # Ends the process without joining its threads: the DBOS peer's workflows wait in DBOS.recv.
    sync.counts.close()
    sync.counts.join_thread()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_clients(name: str, work, clients: int, seconds: float, *args) -> None:
    """Runs work(sync, index, seconds, *args) in `clients` forked processes; each ends with go_round.
    Prints the markers and then `transitions N seconds S tps R`."""
    context = multiprocessing.get_context("fork")
    # ready: every client is set up; go: the window is open; done: it is closed
    sync = types.SimpleNamespace(ready=context.Barrier(clients + 1), go=context.Barrier(clients + 1),
                                 done=context.Barrier(clients + 1), counts=context.Queue())
    began = time.monotonic()
    processes = [context.Process(target=client, args=(work, sync, index, seconds, args)) for index in range(clients)]
    for process in processes:
        process.start()
    sync.ready.wait(timeout=300)
    ready_after = time.monotonic() - began
    mark("start")
    sync.go.wait(timeout=60)
    start = time.monotonic()
    results = [sync.counts.get(timeout=seconds + 120) for _ in processes]
    elapsed = time.monotonic() - start
    if None in results:
        sys.exit(f"{name}: a client failed")
    mark("stop")
    stopping = time.monotonic()
    sync.done.wait(timeout=60)
    for process in processes:
        process.join(timeout=60)
    if any(process.exitcode != 0 for process in processes):
        sys.exit(f"{name}: a client failed")
    print(f"{name}: {clients} processes ready in {ready_after:.1f} s, stopped in {time.monotonic() - stopping:.1f} s",
          file=sys.stderr)
    total = sum(results)
    print(f"transitions {total} seconds {elapsed:.3f} tps {total / elapsed:.1f}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2])
    else:
        run_clients("handrolled", work, int(sys.argv[3]), float(sys.argv[4]), sys.argv[2],
                    int(sys.argv[5]) if len(sys.argv) > 5 else 100)
