-- A transition retires the open tasks of the visit it ends (ItemEngine.retireOpenTasks). Found by
-- item alone, through an index on item_id, those tasks sat among the index entries of every task
-- the item's earlier visits had left behind: deleted or finished rows stay in the index until
-- vacuum, and the planner's bitmap scans never mark them dead. An item that changed a few hundred
-- times between vacuums had a thousand such entries, and each of its fires read a hundred and
-- more heap pages to find its six open tasks (BENCHMARKS.md, "What a transition writes").
--
-- Keyed by item and visit, the lookup reads only the current visit's entries. Lookups by item
-- alone (`item show`) still use the index's first column.
create index tasks_open_by_visit on tasks (item_id, visit_id) where status in ('pending', 'running');
drop index tasks_open_by_item;
