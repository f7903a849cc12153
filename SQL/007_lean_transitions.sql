-- Leaner writes per transition (see BENCHMARKS.md, "What a transition writes").
--
-- Most fires carry no idempotency key, yet the unique constraint on (item_id, idempotency_key)
-- gave each of them an index entry. A partial unique index keeps the same guarantee for the keys
-- that exist and costs nothing for the fires without one; `idempotency_key = $1` lookups use it.
create unique index history_idempotency on history (item_id, idempotency_key) where idempotency_key is not null;
alter table history drop constraint history_item_id_idempotency_key_key;
