-- The public API (/api/v1): keys for other game systems, and the progress they record.

-- A key is shown once when issued; only its SHA-256 is kept.
create table api_keys (
    id bigint generated always as identity primary key,
    client text not null constraint api_keys_client_length check (char_length(client) between 1 and 60),
    key_hash bytea not null constraint api_keys_key_hash_key unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

-- Progress records, never updated. The key and the client's Idempotency-Key make a retry
-- store nothing new; the request's hash tells a retry from another request under that key.
create table progress (
    id bigint generated always as identity primary key,
    api_key_id bigint not null references api_keys (id),
    idempotency_key text not null,
    request_hash bytea not null,
    player_id bigint not null references players (id) on delete cascade,
    kind text not null constraint progress_kind_length check (char_length(kind) between 1 and 40),
    points integer not null constraint progress_points check (points between 0 and 100),
    note text not null default '' constraint progress_note_length check (char_length(note) <= 500),
    created_at timestamptz not null default now(),
    constraint progress_idempotency_key unique (api_key_id, idempotency_key)
);

create function progress_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'progress records are never updated'
        using errcode = 'restrict_violation', constraint = 'progress_append_only';
end
$$;

create trigger progress_append_only
    before update on progress
    for each row execute function progress_append_only();

-- Points from progress go to the ledger with the record as their unique source, so boards,
-- profiles and the dashboard count them like any award.
create function progress_award() returns trigger
language plpgsql as $$
begin
    insert into points_ledger (player_id, points, source)
    values (new.player_id, new.points, 'progress:' || new.id);
    return null;
end
$$;

create trigger progress_award
    after insert on progress
    for each row execute function progress_award();

-- A progress write answers with the event its award went into, found by the award's source.
create index events_award_source_idx on events ((payload->>'source')) where kind = 'points_awarded';
