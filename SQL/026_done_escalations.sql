-- `stuck` says whether an item's escalation has gone out this visit. Done tasks had no index by
-- item, so PostgreSQL read every task to answer it for a hundred items (64 ms at 1M items, 600k
-- tasks; benchmarks/scale). Escalations that went out are few; this index finds them per item.
create index tasks_done_escalations on tasks (item_id, visit_id) where kind = 'escalation' and status = 'done';
