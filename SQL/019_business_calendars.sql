-- Business calendars (`podium calendar load`): the working weekdays and holidays that
-- `due: N business days` counts in, by name. A calendar changes as years pass (next year's
-- holidays are loaded into the same name), so a row holds its newest content and its revision;
-- a deadline is computed once, when its stage is entered, with the calendar of that moment.
create table business_calendars (
    name        text        primary key check (name ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' and length(name) <= 63),
    title       text        not null,
    zone        text        not null,
    definition  jsonb       not null,
    checksum    text        not null,
    source      text        not null,
    source_path text,
    revision    integer     not null default 1,
    loaded_at   timestamptz not null default now()
);

-- Each stage visit keeps the due time it was given on entry: a business-day deadline cannot be
-- worked out again in SQL, and a date field changed later must not move a past visit's deadline.
-- due_recorded tells a visit that had no deadline (recorded, null) from one written before this
-- migration (not recorded: the flow report works its deadline out from the rules, as before).
alter table history add column due_at timestamptz;
alter table history add column due_recorded boolean not null default false;
alter table history alter column due_recorded set default true;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on business_calendars to podium_app;
    end if;
end
$$;
