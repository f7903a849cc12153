-- The inbox and the console: people act from web pages (`web`, with a signed-in session) and from the signed
-- link in a reminder (`link`), and history says which.
alter table history drop constraint history_via_check;
alter table history add constraint history_via_check check (via in ('cli', 'worker', 'api', 'web', 'link'));

-- Sign-in without passwords. A person asks for a link, which goes out through their own channel;
-- it works once, for 15 minutes. Only the link's SHA-256 is kept, as for API tokens.
create table sign_in_links (
    token_sha256 text        primary key,
    actor        text        not null references actors (handle),
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    used_at      timestamptz
);
create index sign_in_links_expiry on sign_in_links (expires_at);

-- A signed-in browser. The cookie holds the session token; only its SHA-256 is kept. Every form
-- of the session carries `csrf_token`, which a page of another site cannot read.
create table web_sessions (
    token_sha256 text        primary key,
    actor        text        not null references actors (handle),
    csrf_token   text        not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null
);
create index web_sessions_expiry on web_sessions (expires_at);

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update, delete on sign_in_links, web_sessions to podium_app;
    end if;
end
$$;
