-- The dashboard's aggregates, kept by the projector (server/src/projector.rs) from the event
-- log: it reads events after its checkpoint in id order and stores the updates and the new
-- checkpoint in one transaction, so a crash anywhere counts nothing twice and skips nothing.
-- `meridian rebuild-dashboard` recomputes them all from the domain tables.

-- Messages carry no event of their own that everyone may read; this one is for projectors:
-- nobody's stream shows it (not public, no audience), and it holds no text.
create function messages_sent_events() returns trigger
language plpgsql as $$
begin
    insert into events (kind, payload)
    values ('message_sent', jsonb_build_object(
        'message_id', new.id, 'sender_id', new.sender_id, 'sent_at', new.sent_at));
    return null;
end
$$;

create trigger messages_sent_events
    after insert on messages
    for each row execute function messages_sent_events();

create table projector_checkpoint (
    singleton boolean primary key default true
        constraint projector_checkpoint_singleton check (singleton),
    -- Every event up to this id is in the aggregates.
    event_id bigint not null default 0,
    projected_at timestamptz not null default now()
);
insert into projector_checkpoint default values;

-- Per UTC hour: messages sent, tasks completed, points awarded.
create table dash_hours (
    hour timestamptz primary key,
    messages integer not null default 0,
    tasks integer not null default 0,
    points bigint not null default 0
);

-- Who was active (sent a message or earned points) on each UTC day.
create table dash_active (
    day date not null,
    player_id bigint not null,
    primary key (day, player_id)
);

-- Points of all time per player, for the top 10.
create table dash_points (
    player_id bigint primary key,
    points bigint not null
);
create index dash_points_points_idx on dash_points (points desc, player_id);

-- Applies the events after the checkpoint, at most `batch_size` of them, to the aggregates
-- and moves the checkpoint past them; the caller's transaction makes it all or nothing. The
-- checkpoint row is locked first, so two projectors never apply one event twice. Returns how
-- many events were read and how many of them counted for the dashboard.
create function dashboard_project(batch_size integer, out read_events integer, out counted integer)
language plpgsql as $$
declare
    since bigint;
    through bigint;
begin
    select event_id into since from projector_checkpoint for update;
    create temporary table if not exists dash_batch (
        id bigint, kind text, at timestamptz, player_id bigint, points integer
    ) on commit delete rows;
    insert into dash_batch
    select e.id, e.kind,
           case e.kind when 'message_sent' then (e.payload->>'sent_at')::timestamptz
                       when 'points_awarded' then (e.payload->>'awarded_at')::timestamptz
                       when 'task_completed' then (e.payload->>'completed_at')::timestamptz end,
           case e.kind when 'message_sent' then (e.payload->>'sender_id')::bigint
                       when 'points_awarded' then (e.payload->>'player_id')::bigint end,
           case e.kind when 'points_awarded' then (e.payload->>'points')::integer else 0 end
    from events e
    where e.id > since
    order by e.id
    limit batch_size;
    select count(*), max(id) into read_events, through from dash_batch;
    delete from dash_batch where kind not in ('message_sent', 'points_awarded', 'task_completed');
    select count(*) into counted from dash_batch;
    insert into dash_hours (hour, messages, tasks, points)
    select date_trunc('hour', at, 'UTC'),
           count(*) filter (where kind = 'message_sent'),
           count(*) filter (where kind = 'task_completed'),
           coalesce(sum(points), 0)
    from dash_batch group by 1
    on conflict (hour) do update
        set messages = dash_hours.messages + excluded.messages,
            tasks = dash_hours.tasks + excluded.tasks,
            points = dash_hours.points + excluded.points;
    insert into dash_active (day, player_id)
    select distinct (at at time zone 'UTC')::date, player_id from dash_batch
    where player_id is not null
    on conflict do nothing;
    insert into dash_points (player_id, points)
    select player_id, sum(points) from dash_batch where kind = 'points_awarded'
    group by player_id
    on conflict (player_id) do update set points = dash_points.points + excluded.points;
    if through is not null then
        update projector_checkpoint set event_id = through, projected_at = now();
    end if;
end
$$;

-- Every aggregate recomputed from the domain tables (messages, tasks, the ledger), and the
-- checkpoint set to the newest event, all as of one snapshot: run it in a repeatable-read
-- transaction. The same counts the projector would reach from the events.
create function dashboard_rebuild() returns bigint
language plpgsql as $$
declare
    through bigint;
begin
    perform 1 from projector_checkpoint for update;
    select coalesce(max(id), 0) into through from events;
    delete from dash_hours;
    delete from dash_active;
    delete from dash_points;
    insert into dash_hours (hour, messages, tasks, points)
    select hour, sum(messages), sum(tasks), sum(points) from (
        select date_trunc('hour', sent_at, 'UTC') as hour, count(*) as messages, 0 as tasks,
               0 as points
        from messages group by 1
        union all
        select date_trunc('hour', completed_at, 'UTC'), 0, count(*), 0
        from tasks where completed_at is not null group by 1
        union all
        select date_trunc('hour', awarded_at, 'UTC'), 0, 0, sum(points)
        from points_ledger group by 1
    ) h group by hour;
    insert into dash_active (day, player_id)
    select (sent_at at time zone 'UTC')::date, sender_id from messages
    union
    select (awarded_at at time zone 'UTC')::date, player_id from points_ledger;
    insert into dash_points (player_id, points)
    select player_id, sum(points) from points_ledger group by player_id;
    update projector_checkpoint set event_id = through, projected_at = now();
    return through;
end
$$;

-- Start from what is already there: messages sent before this migration have no events.
select dashboard_rebuild();
