-- A person away (`podium actor away`, or the inbox): from when, until when, and who acts for
-- them meanwhile. During an absence the delegate may do what the person could on their items,
-- recorded as "delegate for person"; reminders and escalations for the person go to the
-- delegate, or wait until the person is back when nobody stands in. An absence ended early
-- keeps its row, with when and by whom it ended: like history, this record is only appended
-- to and closed, never rewritten.
create table absences (
    id         bigint      generated always as identity primary key,
    actor      text        not null references actors (handle),
    starts_at  timestamptz not null,
    ends_at    timestamptz not null,
    delegate   text        references actors (handle),
    note       text        check (length(note) <= 500),
    created_by text        not null references actors (handle),
    created_at timestamptz not null,
    ended_at   timestamptz,
    ended_by   text        references actors (handle),
    check (ends_at > starts_at),
    check (delegate is null or delegate <> actor)
);
create index absences_by_actor on absences (actor, ends_at) where ended_at is null;
create index absences_by_delegate on absences (delegate, ends_at) where ended_at is null and delegate is not null;

-- Who a history entry's actor stood in for, and who gave an approval for the person it counts
-- as (approvals.actor stays the person, so each person's approval still counts once).
alter table history add column on_behalf_of text references actors (handle);
alter table approvals add column delegate text references actors (handle);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on absences to podium_app;
    end if;
end
$$;
