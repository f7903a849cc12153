-- Seeds :tasks due reminders for benchmarks/run: :tasks / 10 exec-post items in draft, each with
-- alice as executive (a file: channel recipient) and ten reminders that fell due a minute ago.
set synchronous_commit = off;
update actors set working_hours = 'always', channel = null where handle = 'alice';
truncate deliveries, tasks, approvals, comments, engagement, participants, history, items restart identity cascade;
insert into items (workflow, version, stage, title, data, revision, stage_entered_at, due_at, last_activity_at,
                   created_by, created_at, updated_at)
select 'exec-post', 1, 'draft', 'Reminder benchmark ' || n, '{}', 1, now() - interval '3 days',
       now() - interval '1 day', now() - interval '3 days', 'alice', now() - interval '3 days',
       now() - interval '3 days'
  from generate_series(1, :tasks / 10) n;
insert into participants (item_id, role, actor) select id, 'executive', 'alice' from items;
insert into history (item_id, kind, to_stage, actor, role, at)
select id, 'create', 'draft', 'alice', 'executive', stage_entered_at from items;
update items i set visit_id = h.id from history h where h.item_id = i.id;
insert into tasks (item_id, visit_id, kind, stage, recipient_role, sequence, run_at, idempotency_key, label, created_at)
select i.id, i.visit_id, 'reminder', 'draft', 'executive', k, now() - interval '1 minute',
       'item-' || i.id || '-visit-' || i.visit_id || '-reminder-' || k, 'overdue ' || k || ' of 10', now()
  from items i cross join generate_series(1, 10) k;
vacuum analyze items, participants, history, tasks, deliveries;
