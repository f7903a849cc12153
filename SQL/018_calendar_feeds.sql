-- A person's calendar feed (`/calendar/TOKEN.ics`): the due times of what waits on them and the
-- planned publish dates of their items, for their calendar app to subscribe to. The address is
-- the secret (calendar apps send no credentials), so only its SHA-256 is kept, and it can be
-- revoked; a new one can be made at any time.
create table calendar_feeds (
    id           bigint      generated always as identity primary key,
    actor        text        not null references actors (handle),
    token_sha256 text        not null unique,
    created_at   timestamptz not null,
    revoked_at   timestamptz
);
create index calendar_feeds_by_actor on calendar_feeds (actor);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on calendar_feeds to podium_app;
    end if;
end
$$;
