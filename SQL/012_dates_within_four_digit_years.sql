-- A date in an item's data names an instant Podium can write back: one in the years 0000 to 9999
-- once it is read in UTC. `9999-12-31T23:59:60Z` (a leap second), `9999-12-31T23:00:00-01:00` and
-- `0000-01-01T00:30:00+01:00` are each well-formed RFC 3339, but they name instants in year 10000
-- or in 2 BC, which no four-digit year spells; a reader that took them would hold a due time that
-- every message, report and export must print in a form nobody can read back. Both readers now
-- refuse them (`DataDate.parse` in Swift; this function in SQL), and the table of cases
-- (`DateCases`) holds them to it. The field reader of `009` keeps its work under a new name.
alter function podium_data_timestamp(text) rename to podium_rfc3339_timestamp;

create function podium_data_timestamp(value text) returns timestamptz
language sql immutable strict as $$
    select instant
      from (select podium_rfc3339_timestamp(value) as instant) as read
     where instant >= timestamptz '0001-01-01 00:00:00+00 BC'
       and instant < timestamptz '10000-01-01 00:00:00+00'
$$;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'podium_app') then
        grant execute on function podium_data_timestamp(text), podium_rfc3339_timestamp(text) to podium_app;
    end if;
end
$$;
