-- Found by benchmarks/scale at 1M items (BENCHMARKS.md, "How cost grows"): an executive's inbox
-- tested every open item to find the few they may see. It now starts from the reader's own ways
-- in: participants_by_actor for items they take part in, and this index for items they created.
create index items_open_by_creator on items (created_by) where closed_at is null;
