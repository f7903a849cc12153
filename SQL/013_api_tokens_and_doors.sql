-- Doors. `podium serve` opens an HTTP API beside the shell, so history says which door each entry
-- came through (`via`): `cli` (a podium command), `worker` (a timer the worker fired) or `api` (a
-- call with a personal token). Entries from before this migration have none. The inbox and signed
-- links will add theirs.
alter table history add column via text check (via in ('cli', 'worker', 'api'));

-- Personal API tokens. A token is shown once, when it is made; only its SHA-256 (hex) is kept, so a
-- copy of this table lets nobody call the API. `prefix` (the token's first characters) is what
-- `podium token list` shows so a person can tell their tokens apart. A call acts as `actor`,
-- with exactly that person's rights.
create table api_tokens (
    id          bigint      generated always as identity primary key,
    actor       text        not null references actors (handle),
    name        text        not null,
    prefix      text        not null,
    token_sha256 text       not null unique,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    revoked_at  timestamptz,
    last_used_at timestamptz
);
-- A name tells a person's live tokens apart; a revoked token's name may be given again.
create unique index api_tokens_live_name on api_tokens (actor, name) where revoked_at is null;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant select, insert, update on api_tokens to podium_app;
    end if;
end
$$;
