-- Players, their sessions and failed sign-in attempts.

create table players (
    id bigint generated always as identity primary key,
    -- Stored lower-case, so uniqueness ignores case.
    handle text not null
        constraint players_handle_format check (handle ~ '^[a-z0-9_-]{3,24}$'),
    display_name text not null
        constraint players_display_name_length check (char_length(display_name) between 1 and 40),
    password_hash text not null,
    home_city_id integer references cities (id),
    -- The exact position the browser reported. Never sent to anyone: others see the city centre.
    home_lat double precision,
    home_lon double precision,
    created_at timestamptz not null default now(),
    constraint players_handle_key unique (handle)
);

create index players_home_city_idx on players (home_city_id);

create table sessions (
    -- SHA-256 of the cookie's token: a leaked table does not leak usable cookies.
    token_hash bytea primary key,
    player_id bigint not null references players (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now()
);

create index sessions_player_idx on sessions (player_id);
create index sessions_last_seen_idx on sessions (last_seen_at);

create table signin_failures (
    handle text not null,
    at timestamptz not null default now()
);

create index signin_failures_handle_at_idx on signin_failures (handle, at);
