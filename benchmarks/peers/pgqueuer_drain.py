"""Baseline for Podium's reminder throughput: pgqueuer draining no-op jobs.

    pgqueuer_drain.py enqueue DSN JOBS      installs pgqueuer's tables and enqueues JOBS jobs
    pgqueuer_drain.py drain DSN BATCH       drains the queue with one QueueManager, then exits

benchmarks/run starts one or two `drain` processes at once and times them from the outside.
"""

import asyncio
import sys

import asyncpg
from pgqueuer import AsyncpgDriver, Queries, QueueManager
from pgqueuer.types import QueueExecutionMode


async def enqueue(dsn: str, jobs: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    await queries.install()
    chunk = 10_000
    for start in range(0, jobs, chunk):
        count = min(chunk, jobs - start)
        await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
    await connection.close()


async def drain(dsn: str, batch: int) -> None:
    connection = await asyncpg.connect(dsn)
    manager = QueueManager(Queries(AsyncpgDriver(connection)))

    @manager.entrypoint("noop")
    async def noop(job) -> None:  # the job does nothing: this measures the queue alone
        return None

    await manager.run(batch_size=batch, mode=QueueExecutionMode.drain)
    await connection.close()


if __name__ == "__main__":
    command, dsn, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    asyncio.run(enqueue(dsn, number) if command == "enqueue" else drain(dsn, number))
