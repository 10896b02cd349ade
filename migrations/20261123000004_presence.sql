-- Who has a live stream open: one row per player and server instance, refreshed while the
-- player has a stream open there. A player with no fresh row is offline. Presence is
-- ephemeral: changes are announced with NOTIFY on meridian_ephemeral, never stored as events.
create table presence (
    player_id bigint not null references players (id) on delete cascade,
    instance text not null,
    seen_at timestamptz not null default now(),
    primary key (player_id, instance)
);

create index presence_seen_at_idx on presence (seen_at);
