-- The flow report reads figures kept as the engine works, not one window over all of history
-- (27 s at 10M history rows). Each entry that starts a stage visit writes, in its own transaction:
--
--   an entry fact    the new visit's stage and start, and whether the item was in that stage before
--   a leaving fact   the visit it ended: stage, start, end and the due time the visit was given
--
-- Facts wait in visit_facts until the flow report folds them into per-day and all-time figures
-- (flow_days, flow_totals): counts per stage, and per minute of time in stage, so that medians
-- and other percentiles stay exact to the minute. Folding deletes the facts it counted in the
-- same transaction, so each is counted once whoever folds and whenever.
create table visit_facts (
    id           bigint      generated always as identity primary key,
    item_id      bigint      not null,
    workflow     text        not null,
    stage        text        not null,
    entered_at   timestamptz not null,
    left_at      timestamptz,              -- null: an entry fact
    due_at       timestamptz,
    due_recorded boolean     not null,     -- false: a visit from before SQL/019, due from the rules
    rework       boolean     not null      -- entry facts: the item had been in this stage before
);

-- Figures per workflow, stage and day the visits started (UTC). `minutes` is the whole minutes
-- a visit stayed, for visits that ended; entries have none.
create table flow_days (
    workflow text    not null,
    stage    text    not null,
    day      date    not null,
    minutes  integer,
    entered  bigint  not null,   -- visits that started
    rework   bigint  not null,   -- of those, returns to a stage the item had been in
    passed   bigint  not null,   -- visits that ended
    with_due bigint  not null,   -- of those, visits that had a due time
    on_time  bigint  not null,   -- of those, visits that ended by it
    unique nulls not distinct (workflow, stage, day, minutes)
);

-- The same over all days: what `podium report flow` without --since reads.
create table flow_totals (
    workflow text    not null,
    stage    text    not null,
    minutes  integer,
    entered  bigint  not null,
    rework   bigint  not null,
    passed   bigint  not null,
    with_due bigint  not null,
    on_time  bigint  not null,
    unique nulls not distinct (workflow, stage, minutes)
);

create function podium_record_visit_facts() returns trigger
language plpgsql as $$
declare
    previous record;
    program text;
begin
    select workflow into program from items where id = new.item_id;
    -- The visit this entry ends: the item's latest visit-starting entry before it.
    select h.kind, h.to_stage, h.at, h.due_at, h.due_recorded into previous
      from history h
     where h.item_id = new.item_id and h.id < new.id
       and h.kind in ('create', 'transition', 'override', 'cancel', 'migrate')
     order by h.id desc
     limit 1;
    if found and previous.kind <> 'cancel' then
        insert into visit_facts (item_id, workflow, stage, entered_at, left_at, due_at, due_recorded, rework)
        values (new.item_id, program, previous.to_stage, previous.at, new.at, previous.due_at, previous.due_recorded,
                false);
    end if;
    -- A cancel ends the item's last visit and starts none.
    if new.kind <> 'cancel' then
        insert into visit_facts (item_id, workflow, stage, entered_at, left_at, due_at, due_recorded, rework)
        values (new.item_id, program, new.to_stage, new.at, null, null, true,
                exists (select from history h
                         where h.item_id = new.item_id and h.id < new.id and h.to_stage = new.to_stage
                           and h.kind in ('create', 'transition', 'override', 'migrate')));
    end if;
    return null;
end
$$;

create trigger history_visit_facts
    after insert on history
    for each row when (new.kind in ('create', 'transition', 'override', 'cancel', 'migrate'))
    execute function podium_record_visit_facts();

-- Every visit recorded so far, as facts to fold (the first flow report folds them).
insert into visit_facts (item_id, workflow, stage, entered_at, left_at, due_at, due_recorded, rework)
select item_id, workflow, stage, entered_at, null, null, true, nth > 1
  from (select h.item_id, i.workflow, h.kind, h.to_stage as stage, h.at as entered_at,
               row_number() over (partition by h.item_id, h.to_stage, h.kind = 'cancel' order by h.id) as nth
          from history h join items i on i.id = h.item_id
         where h.kind in ('create', 'transition', 'override', 'cancel', 'migrate')) visits
 where kind <> 'cancel';
insert into visit_facts (item_id, workflow, stage, entered_at, left_at, due_at, due_recorded, rework)
select item_id, workflow, stage, entered_at, left_at, due_at, due_recorded, false
  from (select h.item_id, i.workflow, h.kind, h.to_stage as stage, h.at as entered_at, h.due_at, h.due_recorded,
               lead(h.at) over (partition by h.item_id order by h.id) as left_at
          from history h join items i on i.id = h.item_id
         where h.kind in ('create', 'transition', 'override', 'cancel', 'migrate')) visits
 where kind <> 'cancel' and left_at is not null;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, delete on visit_facts to podium_app;
        grant select, insert, update on flow_days, flow_totals to podium_app;
        grant usage, select on all sequences in schema public to podium_app;
    end if;
end
$$;
