-- The flow report computes due times in SQL. A due time can hang on a date in the item's data
-- (`due: {at: publish_at}`), which is free text: this reads it the way the engine does (an
-- RFC 3339 timestamp or a plain date, taken as midnight UTC) and gives null for anything else,
-- rather than failing the whole report on one odd value.
create function podium_data_timestamp(value text) returns timestamptz
language plpgsql stable strict as $$
begin
    if value ~ '^\d{4}-\d{2}-\d{2}$' then
        return (value || 'T00:00:00Z')::timestamptz;
    elsif value ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$' then
        return value::timestamptz;
    end if;
    return null;
exception when others then
    return null;
end
$$;
