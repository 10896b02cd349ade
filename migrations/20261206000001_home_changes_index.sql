-- Task choice counts the regions where players live once and shares the count until a player
-- joins or changes home (`game::HomeRegions`). It learns of such a change from the newest
-- `player_joined` or `player_updated` event: with this index that is one index probe, however
-- many chat events came since (without it, a backward scan past all of them).
create index events_home_changes_idx on events (id)
    where kind in ('player_joined', 'player_updated');
