-- Tasks say in words what they are ("1d before due", "overdue 2 of 3", "escalation"), so that
-- operators and messages do not have to reconstruct it from the workflow definition.
alter table tasks add column label text not null default '';
