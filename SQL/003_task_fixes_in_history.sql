-- Operators' fixes to tasks (retry, cancel) are recorded in the item's history too, as kind
-- 'task': who did it, why, and to which task. Like 'assign', such rows do not change the stage.
alter table history drop constraint history_kind_check;
alter table history add constraint history_kind_check
    check (kind in ('create', 'transition', 'override', 'assign', 'cancel', 'migrate', 'task'));
