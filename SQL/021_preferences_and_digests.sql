-- How each person hears from Podium: every reminder when it falls due (immediate), or one
-- daily digest at a local time on their working days; and a pause, during which nothing
-- reaches them (it waits until the pause ends). Escalations bypass the digest.
alter table actors
    add column delivery text not null default 'immediate' check (delivery in ('immediate', 'digest')),
    add column digest_at text not null default '08:30' check (digest_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    add column paused_until timestamptz;

-- A digest is a task like any other (claimed with a lease, retried, with its idempotency key),
-- but of a person rather than of an item: it has a recipient and no item.
alter table tasks alter column item_id drop not null, alter column visit_id drop not null;
alter table tasks drop constraint tasks_kind_check;
alter table tasks add constraint tasks_kind_check check (kind in ('reminder', 'escalation', 'timer', 'digest'));
alter table tasks add column recipient text;
alter table tasks add constraint tasks_digest_shape
    check ((kind = 'digest') = (item_id is null) and (kind = 'digest') = (recipient is not null));

-- A reminder held for a person's digest: the worker records it instead of sending it, and the
-- next digest lists what is still open. sent_at is when a digest carried it (or found its item
-- moved on).
create table digest_entries (
    id         bigint      generated always as identity primary key,
    recipient  text        not null references actors (handle),
    task_id    bigint      not null,
    created_at timestamptz not null,
    sent_at    timestamptz,
    unique (task_id, recipient)
);
create index digest_entries_waiting on digest_entries (recipient) where sent_at is null;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on digest_entries to podium_app;
    end if;
end
$$;
