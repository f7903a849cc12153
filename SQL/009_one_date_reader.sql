-- One reading of dates. The flow report computes due times in SQL, and a due time can hang on a
-- date in the item's data (`due: {at: publish_at}`). The first version of this function cast
-- what looked like a timestamp with PostgreSQL's own reader, which disagrees with the engine's
-- (`DataDate` in Swift): it took `T24:00:00Z` and offsets beyond what RFC 3339 allows, and
-- refused a lowercase `t` or `z` and years before 1. This one reads exactly RFC 3339 §5.6 (and a
-- plain day, as midnight UTC), field by field, as `DataDate.parse` does: `T` and `Z` in either
-- case, any fraction, offsets `Z` or `±HH:MM` with hours 00 to 23, a leap second only where the
-- UTC time is 23:59 (the instant after 23:59:59), years 0000 to 9999 proleptic Gregorian (year 0
-- is PostgreSQL's 1 BC). Anything else is null. A test runs one table of cases through both
-- (`DateCases` in PodiumTestSupport).
create or replace function podium_data_timestamp(value text) returns timestamptz
language plpgsql immutable strict as $$
declare
    part text[];
    year integer;
    hour integer := 0;
    minute integer := 0;
    second integer := 0;
    fraction numeric := 0;
    offset_minutes integer := 0;
begin
    part := regexp_match(value,
        '^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(?:[Zz]|([+-])([0-9]{2}):([0-9]{2})))?$');
    if part is null then
        return null;
    end if;
    if part[4] is not null then
        hour := part[4]::integer;
        minute := part[5]::integer;
        second := part[6]::integer;
        if part[7] is not null then
            -- To the microsecond, half up, on the digits (as DataDate.parse does).
            fraction := round(('0' || part[7])::numeric, 6);
        end if;
        if part[8] is not null then
            if part[9]::integer > 23 or part[10]::integer > 59 then
                return null;
            end if;
            offset_minutes := (part[9]::integer * 60 + part[10]::integer) * (case part[8] when '-' then -1 else 1 end);
        end if;
    end if;
    if hour > 23 or minute > 59 or second > 60 then
        return null;
    end if;
    if second = 60 and ((hour * 60 + minute - offset_minutes) % 1440 + 1440) % 1440 <> 1439 then
        return null;
    end if;
    year := part[1]::integer;
    -- make_date refuses impossible days (2026-02-30) with a data exception, caught below.
    return (make_date(case when year > 0 then year else year - 1 end, part[2]::integer, part[3]::integer)::timestamp
            at time zone 'UTC')
        + make_interval(mins => hour * 60 + minute - offset_minutes, secs => (second + fraction)::double precision);
exception when data_exception then
    return null;
end
$$;
