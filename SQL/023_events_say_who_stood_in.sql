-- An event's entry says whom its actor stood in for ("sam for dana"), as history does (SQL/020).
create or replace function podium_history_event() returns trigger
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
                   'to_stage', new.to_stage, 'actor', new.actor, 'on_behalf_of', new.on_behalf_of,
                   'role', new.role, 'comment', new.comment, 'data_change', new.data_change, 'via', new.via))),
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
