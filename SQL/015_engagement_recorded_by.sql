-- Engagement figures feed the impact report, so who recorded them is kept: a community manager
-- or an admin, through `podium item metrics --as` or the API's token. Rows from before this
-- migration have none.
alter table engagement add column recorded_by text references actors (handle);
