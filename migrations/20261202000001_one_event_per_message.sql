-- The send path in fewer steps (docs/DESIGN.md, "Where a message's time goes"):
--
-- 1. A message is one event, not three. It was a `chat` event for each member (each member
--    row's trigger computed its view, raised the chat's version and wrote its own event, so
--    each paid for an event row, an id at commit, a NOTIFY and a listener read) and a
--    `message_sent` event for the dashboard. Now `messages_deliver` writes one `chat` event
--    whose audience is both members and whose `views` hold each member's view: a member's
--    stream carries their own view only (backend::realtime::log), so nobody sees the other's
--    unread count. The payload holds what is shared, for projectors: the message's id, sender
--    and time, never its text.
-- 2. A send is one statement: `send_message` locks, checks and stores in the one round trip
--    that also commits, where the server made seven (begin, two locks, the key lookup, the
--    rate count, the insert, commit).

alter table events add column views jsonb;

comment on column events.views is
    'What each member of the audience sees, by player id as text. When set, a member''s '
    'stream carries their own view as the event''s data; the payload holds what is shared.';

-- A new message: the recipient has one more unread, the sender has read everything, the chat
-- moves to a new version, and both members hear of it in one event. Writers lock the chat row
-- first (see send_message), so messages of one chat take ids, times and versions in one order.
create or replace function messages_deliver() returns trigger
language plpgsql as $$
begin
    update chats set last_message_id = new.id, last_activity = new.sent_at,
                     version = version + 1
    where id = new.chat_id;
    update chat_members
    set unread = case when player_id = new.sender_id then 0 else unread + 1 end,
        read_through = case when player_id = new.sender_id then new.id else read_through end
    where chat_id = new.chat_id;
    insert into events (kind, audience, payload, views)
    select 'chat', array[c.player_low, c.player_high],
           jsonb_build_object(
               'message_id', new.id, 'sender_id', new.sender_id, 'sent_at', new.sent_at),
           jsonb_build_object(
               c.player_low::text, chat_view(c.id, c.player_low),
               c.player_high::text, chat_view(c.id, c.player_high))
    from chats c where c.id = new.chat_id;
    return null;
end
$$;

-- Any other change to a member's state (marking read, an edit in psql) is news for that
-- member alone. A member row changed by a message's own trigger (depth 2) is left to that
-- trigger's event.
create or replace function chat_members_events() returns trigger
language plpgsql as $$
begin
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    update chats set version = version + 1 where id = new.chat_id;
    insert into events (kind, audience, payload)
    values ('chat', array[new.player_id], chat_view(new.chat_id, new.player_id));
    return null;
end
$$;

-- The message's `chat` event carries what `message_sent` did.
drop trigger messages_sent_events on messages;
drop function messages_sent_events();

-- As before, and a `chat` event that carries a message id counts as a message sent
-- (`message_sent` events written before this migration still count too).
create or replace function dashboard_project(batch_size integer, out read_events integer,
                                             out counted integer)
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
    from (select id, payload,
                 case when kind = 'chat' and payload ? 'message_id' then 'message_sent'
                      else kind end as kind
          from events
          where id > since
          order by id
          limit batch_size) e;
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

-- One send by `me` to `chat`: the sender's row is locked first (serialising their sends, so
-- the rate limit holds across instances), then the chat's, which must have `me` as a member.
-- A `key` already used by `me` returns that message instead of storing another. At most
-- `max_recent` messages in `window_secs` seconds. The outcome names what happened:
-- `sent`, `earlier` (the key's message), `no_chat`, `key_elsewhere` (the key's message is in
-- another chat) or `too_many` (with `retry_after`, whole seconds until a send is allowed).
create function send_message(me bigint, chat bigint, message_body text, key text,
                             window_secs double precision, max_recent bigint,
                             out outcome text, out message messages, out retry_after bigint)
language plpgsql as $$
declare
    recent bigint;
begin
    perform 1 from players p where p.id = me for no key update;
    perform 1 from chats c where c.id = chat and me in (c.player_low, c.player_high)
        for update;
    if not found then
        outcome := 'no_chat';
        return;
    end if;
    if key is not null then
        select * into message from messages m where m.sender_id = me and m.client_key = key;
        if found then
            outcome := case when message.chat_id = chat then 'earlier' else 'key_elsewhere' end;
            return;
        end if;
    end if;
    select count(*),
           ceil(extract(epoch from min(r.sent_at) + make_interval(secs => window_secs)
                                   - clock_timestamp()))::bigint
    into recent, retry_after
    from (select m.sent_at from messages m
          where m.sender_id = me
            and m.sent_at > clock_timestamp() - make_interval(secs => window_secs)
          order by m.sent_at desc
          limit max_recent) r;
    if recent >= max_recent then
        outcome := 'too_many';
        return;
    end if;
    retry_after := null;
    insert into messages (chat_id, sender_id, body, client_key)
    values (chat, me, message_body, key)
    returning * into message;
    outcome := 'sent';
end
$$;
