-- The views events carry, in PL/pgSQL. A `language sql` function whose body reads tables is
-- not inlined, and Postgres 15 parses and plans its body again on every call: chat_view ran
-- twice per chat message at 0.48 ms a call (pg_stat_statements, `bench --mode chat`, 150
-- messages a second), most of it planning. PL/pgSQL keeps each statement's plan for the
-- session, so the same query costs its execution only. Bodies and results are unchanged;
-- parameters are named by position, so no column can shadow them.

create or replace function public_player(player_id bigint) returns jsonb
language plpgsql stable as $$
begin
    return (
        select jsonb_build_object(
            'id', p.id,
            'handle', p.handle,
            'display_name', p.display_name,
            'home', (select to_jsonb(h) from (
                        select city_id, city, region, country_code, country, lat, lon
                        from city_places where city_id = p.home_city_id) h))
        from players p where p.id = $1);
end
$$;

create or replace function chat_view(chat bigint, viewer bigint) returns jsonb
language plpgsql stable as $$
begin
    return (
        select jsonb_build_object(
            'chat_id', c.id,
            'version', c.version,
            'other', public_player(m.other_id),
            'unread', m.unread,
            'read_through', m.read_through,
            'last', (select chat_message(msg) from messages msg where msg.id = c.last_message_id),
            'last_activity', c.last_activity)
        from chats c join chat_members m on m.chat_id = c.id and m.player_id = $2
        where c.id = $1);
end
$$;

create or replace function task_view(t tasks) returns jsonb
language plpgsql stable as $$
begin
    return (
        select jsonb_build_object(
            'id', t.id, 'round_id', t.round_id, 'region_id', t.region_id,
            'region', r.name, 'country_code', r.country_code, 'country', co.name,
            'lat', r.lat, 'lon', r.lon,
            'level', t.level, 'points', t.points, 'km', t.km,
            'region_players', t.region_players,
            'completed_at', t.completed_at)
        from regions r join countries co on co.code = r.country_code
        where r.id = t.region_id);
end
$$;
