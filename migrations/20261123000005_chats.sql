-- One-to-one chats, their members' read state and their messages. Every change a member must
-- see becomes a `chat` event for that member alone, written by the triggers below in the
-- same transaction as the change.

create table chats (
    id bigint generated always as identity primary key,
    -- The pair with the smaller id first: with the unique key this makes exactly one chat per
    -- pair, whoever starts it and however many start it at once.
    player_low bigint not null references players (id) on delete cascade,
    player_high bigint not null references players (id) on delete cascade,
    started_by bigint not null references players (id) on delete cascade,
    created_at timestamptz not null default now(),
    -- Raised by every change a member can see, under this row's lock: a page applies a chat
    -- event only when its version is newer than what it holds.
    version bigint not null default 0,
    last_message_id bigint,
    last_activity timestamptz not null default now(),
    constraint chats_pair_key unique (player_low, player_high),
    constraint chats_not_self check (player_low < player_high)
);

-- Two rows per chat, one per member: what they have read, and how much they have not.
create table chat_members (
    chat_id bigint not null references chats (id) on delete cascade,
    player_id bigint not null references players (id) on delete cascade,
    other_id bigint not null references players (id) on delete cascade,
    read_through bigint not null default 0,
    unread integer not null default 0,
    primary key (chat_id, player_id)
);

create index chat_members_player_idx on chat_members (player_id);

create table messages (
    id bigint generated always as identity primary key,
    chat_id bigint not null references chats (id) on delete cascade,
    sender_id bigint not null references players (id) on delete cascade,
    body text not null
        constraint messages_body_length check (char_length(body) between 1 and 1000)
        constraint messages_body_trimmed check (body = btrim(body, E' \t\n\r'))
        -- Newlines and tabs are text; other control characters are not.
        constraint messages_body_plain check (body !~ '[\x01-\x08\x0b-\x1f\x7f-\x9f]'),
    -- Chosen by the sending page, so a retried send stores the message once.
    client_key text
        constraint messages_client_key_length check (char_length(client_key) between 1 and 64),
    -- The clock, not the transaction start: senders wait for the chat's lock, and the time
    -- must follow the order they get it in.
    sent_at timestamptz not null default clock_timestamp(),
    constraint messages_client_key unique (sender_id, client_key)
);

create index messages_chat_idx on messages (chat_id, id);
-- The send rate limit counts a sender's recent messages.
create index messages_sender_idx on messages (sender_id, sent_at);

create function chat_message(m messages) returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'id', m.id, 'chat_id', m.chat_id, 'sender_id', m.sender_id, 'body', m.body,
        'client_key', m.client_key, 'sent_at', m.sent_at)
$$;

-- A chat as one member sees it: the other player, the last message, their unread count.
-- The same shape serves the chat list and the live `chat` event, so the two always agree.
create function chat_view(chat bigint, viewer bigint) returns jsonb
language sql stable as $$
    select jsonb_build_object(
        'chat_id', c.id,
        'version', c.version,
        'other', public_player(m.other_id),
        'unread', m.unread,
        'read_through', m.read_through,
        'last', (select chat_message(msg) from messages msg where msg.id = c.last_message_id),
        'last_activity', c.last_activity)
    from chats c join chat_members m on m.chat_id = c.id and m.player_id = viewer
    where c.id = chat
$$;

create function chats_add_members() returns trigger
language plpgsql as $$
begin
    insert into chat_members (chat_id, player_id, other_id)
    values (new.id, new.player_low, new.player_high), (new.id, new.player_high, new.player_low);
    return null;
end
$$;

create trigger chats_add_members
    after insert on chats
    for each row execute function chats_add_members();

-- A new message: the recipient has one more unread, the sender has read everything.
-- Writers lock the chat row first (see backend::chats), so messages of one chat take ids,
-- times and versions in one order.
create function messages_deliver() returns trigger
language plpgsql as $$
begin
    update chats set last_message_id = new.id, last_activity = new.sent_at
    where id = new.chat_id;
    update chat_members
    set unread = case when player_id = new.sender_id then 0 else unread + 1 end,
        read_through = case when player_id = new.sender_id then new.id else read_through end
    where chat_id = new.chat_id;
    return null;
end
$$;

create trigger messages_deliver
    after insert on messages
    for each row execute function messages_deliver();

-- Any change to a member's state is news for that member alone.
create function chat_members_events() returns trigger
language plpgsql as $$
begin
    update chats set version = version + 1 where id = new.chat_id;
    insert into events (kind, audience, payload)
    values ('chat', array[new.player_id], chat_view(new.chat_id, new.player_id));
    return null;
end
$$;

create trigger chat_members_events
    after update on chat_members
    for each row execute function chat_members_events();
