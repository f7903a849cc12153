-- Outbound events. Every history entry (create, transition, approval, comment, assignment,
-- override, task fix, ...) becomes an event for each subscribed webhook, written by a trigger in
-- the same transaction as the history row: an outbox, so an event exists exactly when its entry
-- does, whichever door or statement wrote it. Workers deliver the outbox with leases, retries,
-- backoff and a dead end after max_attempts, as they deliver reminders; a receiver that is down
-- loses nothing. The event's id is its history entry's (`evt_<history id>`), and it carries the
-- item's revision, so receivers can order and drop duplicates.
create table webhooks (
    id          bigint      generated always as identity primary key,
    url         text        not null check (url ~ '^https?://'),
    events      text[],      -- history kinds; null: every kind
    workflow    text,        -- null: every workflow
    created_by  text        not null references actors (handle),
    created_at  timestamptz not null,
    removed_at  timestamptz
);

create table event_outbox (
    id           bigint      generated always as identity primary key,
    webhook_id   bigint      not null references webhooks (id),
    history_id   bigint      not null references history (id),
    payload      jsonb       not null,
    status       text        not null default 'pending' check (status in ('pending', 'running', 'done', 'dead')),
    attempts     integer     not null default 0,
    max_attempts integer     not null default 8,
    run_at       timestamptz not null,
    lease_owner  text,
    lease_until  timestamptz,
    last_error   text,
    finished_at  timestamptz,
    unique (webhook_id, history_id)
);
create index event_outbox_due on event_outbox (run_at, id) where status = 'pending';

create function podium_history_event() returns trigger
language plpgsql as $$
begin
    -- The common case, no webhook at all, costs one index-only probe.
    if not exists (select from webhooks where removed_at is null) then
        return null;
    end if;
    -- An AFTER trigger runs once its statement is done, so the item it reads is the item the
    -- entry left behind (its new revision).
    insert into event_outbox (webhook_id, history_id, payload, run_at)
    select w.id, new.id,
           jsonb_build_object(
               'id', 'evt_' || new.id,
               'type', new.kind,
               'at', to_char(new.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'item', jsonb_build_object('id', i.id, 'workflow', i.workflow, 'version', i.version,
                                          'title', i.title, 'stage', i.stage, 'revision', i.revision,
                                          'closed', i.closed_at is not null),
               'entry', jsonb_strip_nulls(jsonb_build_object(
                   'id', new.id, 'kind', new.kind, 'transition', new.transition, 'from_stage', new.from_stage,
                   'to_stage', new.to_stage, 'actor', new.actor, 'role', new.role, 'comment', new.comment,
                   'data_change', new.data_change, 'via', new.via))),
           new.at
      from webhooks w join items i on i.id = new.item_id
     where w.removed_at is null
       and (w.events is null or new.kind = any (w.events))
       and (w.workflow is null or w.workflow = i.workflow);
    if found then
        perform pg_notify('podium_tasks', 'event');
    end if;
    return null;
end
$$;

create trigger history_events
    after insert on history
    for each row execute function podium_history_event();

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on webhooks, event_outbox to podium_app;
        grant usage, select on all sequences in schema public to podium_app;
    end if;
end
$$;
