-- `podium actor update` changes only the fields it is given (`actor add` no longer overwrites an
-- existing person), and each change is recorded here: who changed whom, the person before and
-- after, and when. Like history, this record is only ever appended to.
create table actor_changes (
    id          bigint      generated always as identity primary key,
    handle      text        not null references actors (handle),
    changed_by  text        not null references actors (handle),
    before      jsonb       not null,
    after       jsonb       not null,
    at          timestamptz not null
);
create index actor_changes_by_handle on actor_changes (handle, id);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert on actor_changes to podium_app;
    end if;
end
$$;
