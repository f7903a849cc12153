"""Peer for Podium's transitions: DBOS Transact (Python), one durable workflow per item.

    dbos_transitions.py setup URL                          migrates DBOS's system tables and creates
                                                           the items, history and tasks tables
    dbos_transitions.py run URL CLIENTS SECONDS [ITEMS]    CLIENTS processes, ITEMS (default 100)
                                                           items each, for SECONDS

URL is a libpq URL (postgresql:///db?host=...), which DBOS and SQLAlchemy take as well.

The system database and the application's tables share one database on the local PostgreSQL.
Each item has a workflow that loops on `DBOS.recv("transition")`; each message is one transition,
which the workflow applies in a DBOS datasource transaction running the hand-rolled peer's
statements (benchmarks/peers/handrolled.py: lock the item, check its stage, update it, append
history, cancel its open tasks, insert three new ones; READ COMMITTED like the hand-rolled peer,
rather than the datasource's SERIALIZABLE default, so that the two run the same transaction and
the difference is what DBOS adds around it: the message, its consumption, the step's checkpoint).
A client sends a transition with `DBOS.send` and waits until the workflow has committed it, then
goes on to its next item: one transition in flight per client, as in `podium-bench transitions`.
Only transitions whose transaction committed are counted. (The datasource first looks for an
earlier execution of the step in a transaction it rolls back, and a ROLLBACK makes psycopg forget
its prepared statements: unlike the hand-rolled peer's, these are parsed and planned every time.)

Why processes, each with a DBOS instance of its own: DBOS is one instance per Python process, and
its workflows run on that process's threads, so one process for all clients would put every
client, every workflow and DBOS's own threads under one GIL. Each client process launches DBOS
with its own executor ID (so that no launch tries to recover another process's workflows), starts
a workflow for each of its items and sends to them from its main thread; a workflow hands its
result back to the waiting client in memory, which is possible because it runs in the same
process (a separate client would wait on DBOS.get_event instead, one more write and NOTIFY).
Afterwards a client calls DBOS.destroy and exits, its workflows left waiting (see `work`).

Prints `measure: start`, `measure: stop` and `transitions N seconds S tps R` as handrolled.py does.
"""

import os
import queue
import sys
import time
import uuid
from pathlib import Path

from dbos import DBOS, DBOSConfig, SetWorkflowID, SQLAlchemyDatasource

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ beside the peers
import handrolled  # noqa: E402  (the schema, the transition's statements, the client processes)

# Set in each client process, before DBOS launches.
datasource = None
apply_transition = None
results: dict = {}  # item -> queue the client waits on


def _apply(item: int, name: str):
    connection = datasource.sql_session().connection()
    try:
        return handrolled.transition(connection.exec_driver_sql, item, name)
    except ValueError:
        return None  # the stage does not allow it: recorded as the step's result


@DBOS.workflow()
def item_workflow(item: int) -> None:
    while True:
        message = DBOS.recv("transition", timeout_seconds=600)
        if message is None:
            continue
        stage = apply_transition(item, message)
        results[item].put(stage)


def setup(url: str) -> None:
    handrolled.setup(url)
    DBOS.migrate(url)
    SQLAlchemyDatasource.migrate(url)


def work(sync, index: int, seconds: float, url: str, run: str, items_per_client: int) -> None:
    global apply_transition, datasource
    # 5 system database connections rather than DBOS's default of 20, which its 100 workflows fill
    # as they start: 8 processes then held 160 connections, and with a test suite sharing the
    # cluster, PostgreSQL refused some. One transition in flight needs two or three; setup and
    # throughput were the same with 5 as with 20. The datasource keeps SQLAlchemy's default pool
    # (its connections open as needed: one or two here).
    config: DBOSConfig = {"name": "podium-peer", "system_database_url": url, "executor_id": f"{run}-{index}",
                          "run_migrations": False, "log_level": "WARNING", "sys_db_pool_size": 5}
    DBOS(config=config)
    datasource = SQLAlchemyDatasource.create(url, run_migrations=False)
    apply_transition = datasource.transaction(isolation_level="READ COMMITTED")(_apply)
    began = time.monotonic()
    DBOS.launch()
    launched = time.monotonic()
    with handrolled.psycopg.connect(url) as conn:  # the items, as the hand-rolled peer makes them
        items = handrolled.create_items(conn, f"DBOS post {index}", items_per_client)
    for item in items:
        results[item] = queue.SimpleQueue()
        with SetWorkflowID(f"{run}-{item}"):
            DBOS.start_workflow(item_workflow, item)
    stages = {item: "draft" for item in items}

    def fire_next(item: int) -> None:
        name = handrolled.NEXT[stages[item]]
        DBOS.send(f"{run}-{item}", name, "transition")
        stage = results[item].get(timeout=60)  # once the workflow has committed it
        if stage is None:
            raise RuntimeError(f"item {item}: {name} refused")
        stages[item] = stage

    started = time.monotonic()
    for item in items[:6]:  # warm up
        fire_next(item)
    if os.environ.get("DBOS_PEER_TIMES"):
        print(f"client {index}: launch {launched - began:.2f} s, items and workflows {started - launched:.2f} s, "
              f"warm-up {time.monotonic() - started:.2f} s", file=sys.stderr)
    handrolled.go_round(sync, seconds, items, fire_next)
    # Stop without ending the workflows: they stay PENDING, waiting for a transition, as after a
    # crash, and the next run's executor IDs differ, so no launch recovers them (benchmarks/run
    # makes podium_dbos afresh each time). Ending 800 of them with a `stop` message took seconds:
    # each completion writes its status and deletes its datasource checkpoints. The process then
    # ends without joining the workflows' threads (handrolled.client).
    DBOS.destroy()  # closes DBOS's connections and stops its background threads


def run(url: str, clients: int, seconds: float, items_per_client: int) -> None:
    # Processes are forked: this one has imported DBOS but made no instance of it.
    handrolled.run_clients("dbos_transitions", work, clients, seconds, url, uuid.uuid4().hex[:8], items_per_client)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2])
    else:
        run(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 100)
