-- Reference data that instances cache (the task weights; the catalogue of places) tells them
-- when it changes, however it was changed (the admin page, or by hand in psql): a NOTIFY on
-- `meridian_reference` naming the table. A notification is not durable, so instances also
-- drop their caches whenever their listener reconnects.
--
-- Every change of the weights is kept: who (the admin's handle, set by the app for its
-- transaction; empty when changed outside the app), when, before and after.

create table task_weights_changes (
    id bigint generated always as identity primary key,
    changed_at timestamptz not null default now(),
    changed_by text,
    before jsonb,
    after jsonb
);

create function reference_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('meridian_reference', tg_table_name);
    return null;
end
$$;

create function task_weights_changed() returns trigger
language plpgsql as $$
begin
    -- Saving the same values again is no change.
    if tg_op = 'UPDATE'
       and to_jsonb(old) - 'updated_at' = to_jsonb(new) - 'updated_at' then
        return null;
    end if;
    insert into task_weights_changes (changed_by, before, after)
    values (nullif(current_setting('meridian.actor', true), ''),
            case when tg_op <> 'INSERT' then to_jsonb(old) - 'singleton' - 'updated_at' end,
            case when tg_op <> 'DELETE' then to_jsonb(new) - 'singleton' - 'updated_at' end);
    perform pg_notify('meridian_reference', tg_table_name);
    return null;
end
$$;

create trigger task_weights_changed
    after insert or update or delete on task_weights
    for each row execute function task_weights_changed();

create trigger regions_changed
    after insert or update or delete or truncate on regions
    for each statement execute function reference_changed();

create trigger countries_changed
    after insert or update or delete or truncate on countries
    for each statement execute function reference_changed();
