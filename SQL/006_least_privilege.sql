-- Least privilege. Migrations run as the owner of the schema; Podium's commands and workers can
-- run as a login role that is a member of `podium_app`, which may read and write rows but not
-- change the schema, and may never rewrite the record of what happened:
--
--   history, deliveries     insert and select only (UPDATE, DELETE and TRUNCATE are not granted)
--   other tables            select, insert, update, delete
--   podium_schema_migrations  select only
--
-- On top of the grants, a trigger refuses UPDATE and DELETE on history for every role, the owner
-- included: history is append-only by construction, not by convention. (TRUNCATE stays possible
-- for the owner, who can drop the whole table anyway; benchmarks use it to reset.)
--
-- Creating the group role needs CREATEROLE. Where the migrating user lacks it (some managed
-- services), the migration skips the role and says so; an administrator can create it with
-- `create role podium_app nologin` and apply the grants below by hand.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'podium_app') then
        if exists (select 1 from pg_roles where rolname = current_user and (rolcreaterole or rolsuper)) then
            begin
                create role podium_app nologin;
            exception when duplicate_object or unique_violation then
                null;  -- another database's migration created it at the same moment
            end;
        else
            raise notice 'podium: role podium_app not created (% lacks CREATEROLE); see README, "Database roles"',
                current_user;
        end if;
    end if;
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        execute format('grant connect on database %I to podium_app', current_database());
        grant usage on schema public to podium_app;
        grant select, insert, update, delete
           on workflow_versions, actors, items, participants, approvals, comments, tasks, engagement
           to podium_app;
        grant select, insert on history, deliveries to podium_app;
        grant select on podium_schema_migrations to podium_app;
        grant usage, select on all sequences in schema public to podium_app;
        grant execute on function podium_data_timestamp(text) to podium_app;
    end if;
end
$$;

create function podium_history_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'history is append-only: % of history row % refused', tg_op, old.id
        using errcode = 'insufficient_privilege',
              hint = 'record a correction as a new entry (podium item move/cancel), never by editing history';
end
$$;

create trigger history_is_append_only
    before update or delete on history
    for each row execute function podium_history_is_append_only();
