-- Leaner writes per transition (see BENCHMARKS.md, "What a transition writes").
--
-- Most fires carry no idempotency key, yet the unique constraint on (item_id, idempotency_key)
-- gave each of them an index entry. A partial unique index keeps the same guarantee for the keys
-- that exist and costs nothing for the fires without one; `idempotency_key = $1` lookups use it.
create unique index history_idempotency on history (item_id, idempotency_key) where idempotency_key is not null;
alter table history drop constraint history_item_id_idempotency_key_key;

-- Tasks are the engine's queue: every one is inserted by the statement that creates the visit it
-- belongs to, items are never deleted and history is append-only, so these foreign keys only
-- ever re-checked what that statement had just written, at two row-locking lookups per task
-- (15% of a transition's cost at 8 clients). `podium check` verifies the stronger fact that
-- a task's visit is a history row of the task's own item.
alter table tasks drop constraint tasks_item_id_fkey, drop constraint tasks_visit_id_fkey;

-- The same for deliveries, written by the worker in the statement that closes their task, for a
-- recipient it has just read (actors are never deleted). The two checks cost 9 microseconds per
-- reminder, a tenth of a drain; `podium check` finds orphan deliveries instead.
alter table deliveries drop constraint deliveries_task_id_fkey, drop constraint deliveries_recipient_fkey;
