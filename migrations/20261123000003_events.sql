-- Durable events: every change a page must hear about, written by triggers in the same
-- transaction as the change, so a change made by hand in psql reaches browsers too.

create sequence event_ids as bigint;

create table events (
    -- Assigned at commit, in commit order (see events_assign_id below): a reader that has
    -- seen event N has seen every committed event below N, so a plain "id > cursor" never
    -- skips one. NULL while the inserting transaction is still open.
    id bigint constraint events_id_key unique,
    -- The row's own key, from insert time.
    row_key bigint generated always as identity primary key,
    kind text not null,
    -- Who may see it: everyone, or only the players listed.
    public boolean not null default false,
    audience bigint[] not null default '{}',
    payload jsonb not null,
    created_at timestamptz not null default now()
);

create index events_created_at_idx on events (created_at);

-- Retention: events up to this id have been deleted; a client asking to resume from an older
-- id is told to refetch instead.
create table event_log (
    singleton boolean primary key default true constraint event_log_singleton check (singleton),
    pruned_through bigint not null default 0
);
insert into event_log default values;

-- Runs at commit (a deferred constraint trigger). The advisory lock serialises committers
-- from here to the end of their commit, and Postgres makes a commit visible before it
-- releases its locks, so ids become visible in the order they are assigned. The lock is held
-- for the commit alone, never while a transaction is open, so a long transaction (even one
-- left open in psql) delays nobody. Notifying commits are serialised by Postgres anyway.
create function events_assign_id() returns trigger
language plpgsql as $$
declare
    assigned bigint;
begin
    perform pg_advisory_xact_lock(hashtext('meridian.events')::bigint);
    assigned := nextval('event_ids');
    update events set id = assigned where row_key = new.row_key;
    -- A wake-up only: the id, never the payload (NOTIFY payloads are capped at 8000 bytes).
    perform pg_notify('meridian_events', assigned::text);
    return null;
end
$$;

create constraint trigger events_assign_id
    after insert on events
    deferrable initially deferred
    for each row execute function events_assign_id();

-- A player as everyone may see them: their home is the city centre, never the exact position.
create function public_player(player_id bigint) returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'id', p.id,
        'handle', p.handle,
        'display_name', p.display_name,
        'home', (select to_jsonb(h) from (
                    select city_id, city, region, country_code, country, lat, lon
                    from city_places where city_id = p.home_city_id) h))
    from players p where p.id = player_id
$$;

create function players_events() returns trigger
language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into events (kind, public, payload)
        values ('player_joined', true, public_player(new.id));
    elsif new.home_city_id is distinct from old.home_city_id
       or new.display_name is distinct from old.display_name then
        insert into events (kind, public, payload)
        values ('player_updated', true, public_player(new.id));
    end if;
    return null;
end
$$;

create trigger players_events
    after insert or update on players
    for each row execute function players_events();
