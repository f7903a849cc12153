-- A community manager's calendar feed of one program: the due times and planned publish dates
-- of every open item of the workflow they may see. A feed without a workflow is a person's own.
alter table calendar_feeds add column workflow text;
