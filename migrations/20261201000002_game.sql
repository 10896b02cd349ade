-- The game: rounds, each player's tasks for a round, and the points ledger. Tasks complete in
-- the transaction of the message that completes them (a trigger below), and each award has a
-- unique source, so nothing is counted twice however many tabs or instances race.

-- A round is a fixed slice of time; its id is its start in seconds since the epoch. With the
-- default length of an hour, rounds start on UTC hours. The length comes from the server's
-- configuration (`MERIDIAN_ROUND_SECS`); whoever first needs a round inserts it.
create table rounds (
    id bigint primary key,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    constraint rounds_ordered check (starts_at < ends_at)
);

-- The round that is under way, inserted if no one has yet (by the round scheduler on every
-- instance, and by any request that needs it first). Idempotent: only the first insert of a
-- round fires its `round_started` event.
create function current_round(length_secs integer) returns rounds
language plpgsql as $$
declare
    starts bigint := floor(extract(epoch from clock_timestamp()) / length_secs) * length_secs;
    found rounds;
begin
    insert into rounds (id, starts_at, ends_at)
    values (starts, to_timestamp(starts), to_timestamp(starts + length_secs))
    on conflict (id) do nothing;
    select * into found from rounds where id = starts;
    return found;
end
$$;

create function rounds_events() returns trigger
language plpgsql as $$
begin
    insert into events (kind, public, payload)
    values ('round_started', true, jsonb_build_object(
        'id', new.id, 'starts_at', new.starts_at, 'ends_at', new.ends_at));
    return null;
end
$$;

create trigger rounds_events
    after insert on rounds
    for each row execute function rounds_events();

-- How much a task is worth. A task's score (0 to 1) grows with its region's rarity and its
-- distance from the player's home (see `model::game::criticality`); at `medium_from` it is
-- medium, at `high_from` high. One row, edited by admins.
create table task_weights (
    singleton boolean primary key default true
        constraint task_weights_singleton check (singleton),
    low_points integer not null default 2
        constraint task_weights_low_points check (low_points between 1 and 100),
    medium_points integer not null default 5
        constraint task_weights_medium_points check (medium_points between 1 and 100),
    high_points integer not null default 10
        constraint task_weights_high_points check (high_points between 1 and 100),
    medium_from double precision not null default 0.35,
    high_from double precision not null default 0.6,
    constraint task_weights_thresholds_ordered
        check (0 < medium_from and medium_from < high_from and high_from <= 1),
    updated_at timestamptz not null default now()
);
insert into task_weights default values;

-- One row per player and round once their tasks are chosen: the unique key makes the choice
-- happen once however many tabs or instances ask at the same moment. `tasks` is how many were
-- chosen (fewer than three when fewer regions were eligible).
create table task_assignments (
    round_id bigint not null references rounds (id),
    player_id bigint not null references players (id) on delete cascade,
    tasks smallint not null default 0 constraint task_assignments_tasks check (tasks between 0 and 3),
    assigned_at timestamptz not null default now(),
    primary key (round_id, player_id)
);

create table tasks (
    id bigint generated always as identity primary key,
    round_id bigint not null,
    player_id bigint not null,
    region_id integer not null references regions (id),
    level text not null constraint tasks_level check (level in ('low', 'medium', 'high')),
    points integer not null constraint tasks_points check (points between 1 and 100),
    -- What the worth was computed from, kept for the player to see.
    km double precision not null,
    region_players integer not null,
    completed_at timestamptz,
    message_id bigint references messages (id) on delete set null,
    foreign key (round_id, player_id) references task_assignments (round_id, player_id)
        on delete cascade,
    constraint tasks_region_once unique (round_id, player_id, region_id)
);

-- Points, append-only: a row is never updated, and each award's source (`task:{id}`, and
-- later others) is unique, so an award cannot be counted twice.
create table points_ledger (
    id bigint generated always as identity primary key,
    player_id bigint not null references players (id) on delete cascade,
    points integer not null constraint points_ledger_points check (points between 0 and 100),
    source text not null constraint points_ledger_source_key unique,
    awarded_at timestamptz not null default clock_timestamp()
);

create index points_ledger_player_idx on points_ledger (player_id, awarded_at);
create index points_ledger_awarded_idx on points_ledger (awarded_at);

create function points_ledger_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'the points ledger is append-only'
        using errcode = 'restrict_violation', constraint = 'points_ledger_append_only';
end
$$;

create trigger points_ledger_append_only
    before update on points_ledger
    for each row execute function points_ledger_append_only();

-- A task as its player sees it.
create function task_view(t tasks) returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'id', t.id, 'round_id', t.round_id, 'region_id', t.region_id,
        'region', r.name, 'country_code', r.country_code, 'country', co.name,
        'lat', r.lat, 'lon', r.lon,
        'level', t.level, 'points', t.points, 'km', t.km, 'region_players', t.region_players,
        'completed_at', t.completed_at)
    from regions r join countries co on co.code = r.country_code
    where r.id = t.region_id
$$;

-- New tasks are news for their player: one event per player per statement, with all of them.
create function tasks_assigned_events() returns trigger
language plpgsql as $$
begin
    insert into events (kind, audience, payload)
    select 'tasks_assigned', array[n.player_id],
           jsonb_build_object('round_id', min(n.round_id),
                              'tasks', jsonb_agg(task_view(n) order by n.id))
    from inserted n
    group by n.player_id;
    return null;
end
$$;

create trigger tasks_assigned_events
    after insert on tasks
    referencing new table as inserted
    for each statement execute function tasks_assigned_events();

-- A completed task is news for its player.
create function tasks_completed_events() returns trigger
language plpgsql as $$
begin
    if old.completed_at is null and new.completed_at is not null then
        insert into events (kind, audience, payload)
        values ('task_completed', array[new.player_id], task_view(new));
    end if;
    return null;
end
$$;

create trigger tasks_completed_events
    after update on tasks
    for each row execute function tasks_completed_events();

-- An award is news for everyone (boards are public): who, how much, and their new total.
create function points_awarded_events() returns trigger
language plpgsql as $$
begin
    insert into events (kind, public, payload)
    select 'points_awarded', true, jsonb_build_object(
        'player_id', new.player_id, 'points', new.points, 'source', new.source,
        'awarded_at', new.awarded_at,
        'total', (select sum(points) from points_ledger where player_id = new.player_id));
    return null;
end
$$;

create trigger points_awarded_events
    after insert on points_ledger
    for each row execute function points_awarded_events();

-- A message completes the sender's open task for the recipient's home region, if it was sent
-- during that task's round, and awards its points, in the message's own transaction. The send
-- path locks the sender's row first, so a player's sends complete tasks one at a time; the
-- `completed_at is null` test (re-checked under the task's row lock) and the ledger's unique
-- source would still make a race award once.
create function messages_complete_tasks() returns trigger
language plpgsql as $$
begin
    with done as (
        update tasks t set completed_at = new.sent_at, message_id = new.id
        from chat_members m, players recipient, cities c, rounds r
        where m.chat_id = new.chat_id and m.player_id = new.sender_id
          and recipient.id = m.other_id and c.id = recipient.home_city_id
          and t.player_id = new.sender_id and t.region_id = c.region_id
          and t.completed_at is null
          and r.id = t.round_id and new.sent_at >= r.starts_at and new.sent_at < r.ends_at
        returning t.id, t.player_id, t.points)
    insert into points_ledger (player_id, points, source)
    select player_id, points, 'task:' || id from done
    on conflict (source) do nothing;
    return null;
end
$$;

create trigger messages_complete_tasks
    after insert on messages
    for each row execute function messages_complete_tasks();
