-- Leaderboards read the ledger. An award's event carries the player and their points in every
-- board's window (the round under way, 7 and 30 days, all time), so an open board moves that
-- player's row without refetching.

create or replace function points_awarded_events() returns trigger
language plpgsql as $$
declare
    round_id bigint;
    round_start timestamptz;
begin
    select r.id, r.starts_at into round_id, round_start from rounds r
    where r.starts_at <= new.awarded_at and new.awarded_at < r.ends_at
    order by r.starts_at desc limit 1;
    insert into events (kind, public, payload)
    select 'points_awarded', true, jsonb_build_object(
        'player_id', p.id, 'handle', p.handle, 'display_name', p.display_name,
        'country_code', (select r.country_code from cities c join regions r on r.id = c.region_id
                         where c.id = p.home_city_id),
        'points', new.points, 'source', new.source, 'awarded_at', new.awarded_at,
        'round_id', round_id,
        'total', t.total, 'week_total', t.week, 'month_total', t.month, 'round_total', t.round)
    from players p,
         lateral (select coalesce(sum(l.points), 0) as total,
                         coalesce(sum(l.points) filter (
                             where l.awarded_at > new.awarded_at - interval '7 days'), 0) as week,
                         coalesce(sum(l.points) filter (
                             where l.awarded_at > new.awarded_at - interval '30 days'), 0) as month,
                         coalesce(sum(l.points) filter (
                             where l.awarded_at >= round_start), 0) as round
                  from points_ledger l where l.player_id = new.player_id) t
    where p.id = new.player_id;
    return null;
end
$$;
