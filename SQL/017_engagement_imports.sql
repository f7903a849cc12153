-- Engagement imported from the platforms' exports (`podium metrics import`): impressions where
-- the platform gives them, and the key that makes importing a file twice change nothing (the
-- post's address and the day or time measured, whichever export it came in).
alter table engagement add column impressions bigint check (impressions >= 0);
alter table engagement add column import_key text;
create unique index engagement_import_key on engagement (import_key) where import_key is not null;
