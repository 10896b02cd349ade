//! The standings behind every leaderboard, in memory: for each window (the round, 7 days,
//! 30 days, all time) and scope (the world, each country), every player with points in it,
//! ordered, so that a board's top and any player's rank are read in microseconds.
//!
//! Pure data, no database: [`Index::build`] starts from a snapshot, [`Index::award`] and
//! [`Index::set_country`] apply what the event log says happened since, and
//! [`Index::slide`] moves the windows on with the clock, so a point earned 7 days and one
//! second ago has left the week without anyone's action. The awards of the last 30 days are
//! kept one by one, in time order, for exactly that.

use std::collections::{HashMap, VecDeque};

use crate::model::{Scope, Window};

const DAY_MICROS: i64 = 86_400_000_000;
pub const WEEK_MICROS: i64 = 7 * DAY_MICROS;
pub const MONTH_MICROS: i64 = 30 * DAY_MICROS;
/// A ladder's chunks split beyond twice this.
const CHUNK: usize = 512;

/// The round under way at `now` (microseconds since the epoch): rounds are `length_secs`
/// long and their id is their start in seconds, as `current_round` in SQL makes them.
pub fn round_of(now: i64, length_secs: i64) -> i64 {
    let length = length_secs.max(1);
    now / 1_000_000 / length * length
}

/// One player's place on one board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub rank: i64,
    pub player_id: i64,
    pub points: i64,
    pub country_code: Option<String>,
}

/// The round the `Round` window counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundSpan {
    pub id: i64,
    pub starts: i64,
    pub ends: i64,
}

/// What the index starts from, all read in one database snapshot.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The newest event the snapshot includes.
    pub cursor: i64,
    /// The database's clock when the snapshot was taken (microseconds since the epoch).
    pub now: i64,
    pub round: Option<RoundSpan>,
    /// Every player and their home country.
    pub players: Vec<(i64, Option<String>)>,
    /// Points of all time, per player.
    pub totals: Vec<(i64, i64)>,
    /// The awards of the last 30 days: (awarded at, player, points), oldest first.
    pub recent: Vec<(i64, i64, i64)>,
}

/// Every player with points in one window and scope, best first: a sorted sequence of keys
/// kept in chunks, so an insert moves at most a chunk and a rank sums chunk lengths. A key
/// packs the points (inverted, so more points sort first) above the player's slot.
#[derive(Debug, Default)]
struct Ladder {
    chunks: Vec<Vec<u64>>,
}

fn key(points: u32, slot: u32) -> u64 {
    (u64::from(u32::MAX - points) << 32) | u64::from(slot)
}

fn points_of(key: u64) -> u32 {
    u32::MAX - (key >> 32) as u32
}

impl Ladder {
    fn from_sorted(keys: Vec<u64>) -> Self {
        Self {
            chunks: keys.chunks(CHUNK).map(<[u64]>::to_vec).collect(),
        }
    }

    /// The chunk that holds `key`, or would.
    fn chunk_for(&self, key: u64) -> usize {
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|l| *l < key));
        i.min(self.chunks.len().saturating_sub(1))
    }

    fn insert(&mut self, key: u64) {
        if self.chunks.is_empty() {
            self.chunks.push(vec![key]);
            return;
        }
        let i = self.chunk_for(key);
        let chunk = &mut self.chunks[i];
        let at = chunk.partition_point(|k| *k < key);
        chunk.insert(at, key);
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(i + 1, tail);
        }
    }

    fn remove(&mut self, key: u64) {
        if self.chunks.is_empty() {
            return;
        }
        let i = self.chunk_for(key);
        if let Ok(at) = self.chunks[i].binary_search(&key) {
            self.chunks[i].remove(at);
            if self.chunks[i].is_empty() {
                self.chunks.remove(i);
            }
        }
    }

    /// How many have more than `points`.
    fn above(&self, points: u32) -> usize {
        let bound = u64::from(u32::MAX - points) << 32;
        let mut n = 0;
        for chunk in &self.chunks {
            if chunk.last().is_some_and(|l| *l < bound) {
                n += chunk.len();
            } else {
                return n + chunk.partition_point(|k| *k < bound);
            }
        }
        n
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks.iter().flatten().copied()
    }
}

/// The four windows' ladders of one scope.
#[derive(Debug, Default)]
struct Ladders([Ladder; 4]);

fn slot_of(window: Window) -> usize {
    match window {
        Window::Round => 0,
        Window::Week => 1,
        Window::Month => 2,
        Window::All => 3,
    }
}

#[derive(Debug, Clone)]
struct Entry {
    id: i64,
    country: Option<u16>,
    /// Per window, in [`slot_of`] order.
    points: [u32; 4],
}

#[derive(Debug, Clone, Copy)]
struct Recent {
    at: i64,
    slot: u32,
    points: u32,
}

#[derive(Debug, Default)]
pub struct Index {
    players: Vec<Entry>,
    slots: HashMap<i64, u32>,
    countries: HashMap<[u8; 2], u16>,
    country_codes: Vec<[u8; 2]>,
    world: Ladders,
    by_country: Vec<Ladders>,
    /// The awards of the last 30 days, oldest first; those before `week_from` have left
    /// the week.
    recent: VecDeque<Recent>,
    week_from: usize,
    /// The slots with points in the round.
    in_round: Vec<u32>,
    round: i64,
    /// The latest time the windows slid to: never goes back.
    now: i64,
    /// The newest event applied.
    pub cursor: i64,
}

fn code_of(country: &str) -> Option<[u8; 2]> {
    <[u8; 2]>::try_from(country.as_bytes()).ok()
}

fn clamp_points(points: i64) -> u32 {
    points.clamp(0, i64::from(u32::MAX)) as u32
}

impl Index {
    /// The index of a snapshot, built in bulk (sorting each ladder once).
    pub fn build(snapshot: Snapshot) -> Self {
        let mut index = Self {
            cursor: snapshot.cursor,
            now: snapshot.now,
            round: snapshot.round.map_or(0, |r| r.id),
            ..Self::default()
        };
        for (id, country) in &snapshot.players {
            let slot = index.slot(*id);
            index.players[slot as usize].country =
                country.as_deref().and_then(|c| index.country(c));
        }
        for (id, total) in snapshot.totals {
            let slot = index.slot(id) as usize;
            index.players[slot].points[slot_of(Window::All)] = clamp_points(total);
        }
        let week_cut = snapshot.now - WEEK_MICROS;
        let month_cut = snapshot.now - MONTH_MICROS;
        for (at, id, points) in snapshot.recent {
            if at <= month_cut {
                continue;
            }
            let slot = index.slot(id);
            let points = clamp_points(points);
            let entry = &mut index.players[slot as usize];
            entry.points[slot_of(Window::Month)] += points;
            if at > week_cut {
                entry.points[slot_of(Window::Week)] += points;
            } else {
                index.week_from += 1;
            }
            if let Some(round) = snapshot.round {
                if round.starts <= at && at < round.ends {
                    if entry.points[slot_of(Window::Round)] == 0 {
                        index.in_round.push(slot);
                    }
                    entry.points[slot_of(Window::Round)] += points;
                }
            }
            index.recent.push_back(Recent { at, slot, points });
        }
        index.ladders_from_points();
        index
    }

    fn ladders_from_points(&mut self) {
        let scopes = self.country_codes.len() + 1;
        let mut keys: Vec<[Vec<u64>; 4]> = (0..scopes).map(|_| Default::default()).collect();
        for (slot, entry) in self.players.iter().enumerate() {
            for (w, &points) in entry.points.iter().enumerate() {
                if points > 0 {
                    let k = key(points, slot as u32);
                    keys[0][w].push(k);
                    if let Some(c) = entry.country {
                        keys[usize::from(c) + 1][w].push(k);
                    }
                }
            }
        }
        let mut built = keys.into_iter().map(|windows| {
            Ladders(windows.map(|mut k| {
                k.sort_unstable();
                Ladder::from_sorted(k)
            }))
        });
        self.world = built.next().unwrap_or_default();
        self.by_country = built.collect();
    }

    /// The slot of player `id`, made when the index meets them first.
    fn slot(&mut self, id: i64) -> u32 {
        if let Some(slot) = self.slots.get(&id) {
            return *slot;
        }
        let slot = self.players.len() as u32;
        self.players.push(Entry {
            id,
            country: None,
            points: [0; 4],
        });
        self.slots.insert(id, slot);
        slot
    }

    fn country(&mut self, code: &str) -> Option<u16> {
        let code = code_of(code)?;
        if let Some(c) = self.countries.get(&code) {
            return Some(*c);
        }
        let c = self.country_codes.len() as u16;
        self.country_codes.push(code);
        self.countries.insert(code, c);
        self.by_country.push(Ladders::default());
        Some(c)
    }

    /// Sets one window's points of a slot, moving its keys in the world's and its country's
    /// ladders.
    fn set_points(&mut self, slot: u32, window: usize, points: u32) {
        let entry = &mut self.players[slot as usize];
        let before = entry.points[window];
        if before == points {
            return;
        }
        entry.points[window] = points;
        let country = entry.country;
        for ladders in std::iter::once(&mut self.world)
            .chain(country.and_then(|c| self.by_country.get_mut(usize::from(c))))
        {
            let ladder = &mut ladders.0[window];
            if before > 0 {
                ladder.remove(key(before, slot));
            }
            if points > 0 {
                ladder.insert(key(points, slot));
            }
        }
    }

    /// A player's home country changed (or they joined): their rows move to its boards.
    pub fn set_country(&mut self, player: i64, country: Option<&str>) {
        let slot = self.slot(player);
        let country = country.and_then(|c| self.country(c));
        let entry = &self.players[slot as usize];
        if entry.country == country {
            return;
        }
        let (before, points) = (entry.country, entry.points);
        for (w, &p) in points.iter().enumerate().filter(|(_, p)| **p > 0) {
            if let Some(old) = before.and_then(|c| self.by_country.get_mut(usize::from(c))) {
                old.0[w].remove(key(p, slot));
            }
            if let Some(new) = country.and_then(|c| self.by_country.get_mut(usize::from(c))) {
                new.0[w].insert(key(p, slot));
            }
        }
        self.players[slot as usize].country = country;
    }

    /// Moves the windows on to `now`: awards that have aged out of the week or the 30 days
    /// leave them, and a new round (`round`, by the clock) starts empty.
    pub fn slide(&mut self, now: i64, round: i64) {
        self.now = self.now.max(now);
        let week_cut = self.now - WEEK_MICROS;
        while let Some(award) = self.recent.get(self.week_from).copied() {
            if award.at > week_cut {
                break;
            }
            self.take(award.slot, Window::Week, award.points);
            self.week_from += 1;
        }
        let month_cut = self.now - MONTH_MICROS;
        while let Some(award) = self.recent.front().copied() {
            if award.at > month_cut {
                break;
            }
            self.take(award.slot, Window::Month, award.points);
            self.recent.pop_front();
            self.week_from = self.week_from.saturating_sub(1);
        }
        if round > self.round {
            self.start_round(round);
        }
    }

    fn take(&mut self, slot: u32, window: Window, points: u32) {
        let w = slot_of(window);
        let now = self.players[slot as usize].points[w].saturating_sub(points);
        self.set_points(slot, w, now);
    }

    fn give(&mut self, slot: u32, window: Window, points: u32) {
        let w = slot_of(window);
        let now = self.players[slot as usize].points[w].saturating_add(points);
        self.set_points(slot, w, now);
    }

    fn start_round(&mut self, round: i64) {
        for slot in std::mem::take(&mut self.in_round) {
            self.players[slot as usize].points[slot_of(Window::Round)] = 0;
        }
        self.world.0[slot_of(Window::Round)] = Ladder::default();
        for ladders in &mut self.by_country {
            ladders.0[slot_of(Window::Round)] = Ladder::default();
        }
        self.round = round;
    }

    /// The round the `Round` window counts.
    pub fn round(&self) -> i64 {
        self.round
    }

    /// An award, as its event tells it: `points` to `player` at `at`, during `round`.
    pub fn award(&mut self, player: i64, points: i64, at: i64, round: Option<i64>) {
        let slot = self.slot(player);
        let points = clamp_points(points);
        self.give(slot, Window::All, points);
        if at > self.now - MONTH_MICROS {
            self.give(slot, Window::Month, points);
            let pos = self.recent.partition_point(|r| r.at <= at);
            if at > self.now - WEEK_MICROS {
                self.give(slot, Window::Week, points);
            } else {
                self.week_from += 1;
            }
            self.recent.insert(pos, Recent { at, slot, points });
        }
        if let Some(round) = round {
            if round > self.round {
                self.start_round(round);
            }
            if round == self.round {
                if self.players[slot as usize].points[slot_of(Window::Round)] == 0 {
                    self.in_round.push(slot);
                }
                self.give(slot, Window::Round, points);
            }
        }
    }

    fn ladder(&self, window: Window, scope: &Scope) -> Option<&Ladder> {
        let ladders = match scope.country() {
            None => &self.world,
            Some(code) => {
                let c = self.countries.get(&code_of(code)?)?;
                self.by_country.get(usize::from(*c))?
            }
        };
        Some(&ladders.0[slot_of(window)])
    }

    /// Whether anyone from `code` has ever been seen (else the caller checks the catalogue).
    pub fn knows_country(&self, code: &str) -> bool {
        code_of(code).is_some_and(|c| self.countries.contains_key(&c))
    }

    fn standing(&self, rank: usize, key: u64) -> Standing {
        let entry = &self.players[(key & u64::from(u32::MAX)) as usize];
        Standing {
            rank: rank as i64,
            player_id: entry.id,
            points: i64::from(points_of(key)),
            country_code: entry
                .country
                .map(|c| String::from_utf8_lossy(&self.country_codes[usize::from(c)]).into()),
        }
    }

    /// Everyone ranked `top` or better, best first (a tie at the cut shows whole).
    pub fn top(&self, window: Window, scope: &Scope, top: i64) -> Vec<Standing> {
        let Some(ladder) = self.ladder(window, scope) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut previous: Option<(u32, usize)> = None;
        for (i, k) in ladder.iter().enumerate() {
            let points = points_of(k);
            let rank = match previous {
                Some((p, rank)) if p == points => rank,
                _ => i + 1,
            };
            if rank as i64 > top {
                break;
            }
            previous = Some((points, rank));
            out.push(self.standing(rank, k));
        }
        out
    }

    /// `player`'s place on one board, when they have points in its window.
    pub fn rank_of(&self, player: i64, window: Window, scope: &Scope) -> Option<Standing> {
        let slot = *self.slots.get(&player)?;
        let entry = &self.players[slot as usize];
        let points = entry.points[slot_of(window)];
        if points == 0 {
            return None;
        }
        if let Some(code) = scope.country() {
            let c = self.countries.get(&code_of(code)?)?;
            if entry.country != Some(*c) {
                return None;
            }
        }
        let ladder = self.ladder(window, scope)?;
        Some(self.standing(ladder.above(points) + 1, key(points, slot)))
    }

    /// Players known, and awards held one by one (for the log and `/metrics`).
    pub fn size(&self) -> (usize, usize) {
        (self.players.len(), self.recent.len())
    }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::*;

    const NOW: i64 = 1_000 * DAY_MICROS;

    fn fr() -> Scope {
        Scope::Country("FR".into())
    }

    /// What a board should hold, counted the slow way from every award.
    fn naive(
        awards: &[(i64, i64, i64, Option<i64>)],
        countries: &HashMap<i64, &str>,
        now: i64,
        round: i64,
        window: Window,
        scope: &Scope,
    ) -> Vec<(i64, i64, i64)> {
        let mut totals: HashMap<i64, i64> = HashMap::new();
        for &(player, points, at, r) in awards {
            let counts = match window {
                Window::All => true,
                Window::Month => at > now - MONTH_MICROS,
                Window::Week => at > now - WEEK_MICROS,
                Window::Round => r == Some(round),
            };
            let in_scope = scope
                .country()
                .is_none_or(|c| countries.get(&player) == Some(&c));
            if counts && in_scope {
                *totals.entry(player).or_default() += points;
            }
        }
        let mut rows: Vec<(i64, i64)> = totals.into_iter().filter(|(_, p)| *p > 0).collect();
        rows.sort_by_key(|&(id, p)| (-p, id));
        rows.iter()
            .map(|&(id, p)| {
                (
                    rows.iter().filter(|(_, q)| *q > p).count() as i64 + 1,
                    id,
                    p,
                )
            })
            .collect()
    }

    fn shown(index: &Index, window: Window, scope: &Scope) -> Vec<(i64, i64, i64)> {
        let mut rows: Vec<_> = index
            .top(window, scope, i64::MAX)
            .into_iter()
            .map(|s| (s.rank, s.player_id, s.points))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn ladders_count_ranks_across_chunks() {
        let mut ladder = Ladder::default();
        let mut rng = StdRng::seed_from_u64(7);
        let mut all = Vec::new();
        for slot in 0..5_000u32 {
            let points = rng.gen_range(1..300);
            ladder.insert(key(points, slot));
            all.push((points, slot));
        }
        assert!(ladder.chunks.len() > 5, "split into chunks");
        for (points, slot) in all.iter().step_by(7) {
            ladder.remove(key(*points, *slot));
        }
        let kept: Vec<_> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 7 != 0)
            .map(|(_, a)| *a)
            .collect();
        for probe in [0, 1, 50, 150, 299, 300] {
            let expected = kept.iter().filter(|(p, _)| *p > probe).count();
            assert_eq!(ladder.above(probe), expected, "above {probe}");
        }
        let keys: Vec<_> = ladder.iter().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert_eq!(keys.len(), kept.len());
    }

    #[test]
    fn a_random_history_ranks_as_counting_it_would() {
        let mut rng = StdRng::seed_from_u64(11);
        let codes = ["FR", "JP", "NG"];
        let mut countries: HashMap<i64, &str> = HashMap::new();
        let mut index = Index::build(Snapshot {
            now: NOW,
            round: Some(RoundSpan {
                id: 5,
                starts: 0,
                ends: 0,
            }),
            ..Snapshot::default()
        });
        let mut awards = Vec::new();
        let mut now = NOW;
        for step in 0..4_000 {
            now += rng.gen_range(0..DAY_MICROS / 20);
            let round = 5 + (now - NOW) / (DAY_MICROS * 2);
            index.slide(now, round);
            let player = rng.gen_range(1..120);
            if step % 15 == 0 {
                let code = codes[rng.gen_range(0..3)];
                countries.insert(player, code);
                index.set_country(player, Some(code));
                continue;
            }
            // Some awards arrive back-dated (a test's, a late commit's), some of old rounds.
            let at = now - rng.gen_range(0..WEEK_MICROS * 5);
            let r = if rng.gen_bool(0.8) {
                Some(round)
            } else {
                Some(round - 1)
            };
            let points = rng.gen_range(0..=10);
            index.award(player, points, at, r);
            awards.push((player, points, at, r));
        }
        for window in Window::ALL {
            for scope in [Scope::Global, fr(), Scope::Country("JP".into())] {
                let expected = naive(&awards, &countries, index.now, index.round, window, &scope);
                assert_eq!(
                    shown(&index, window, &scope),
                    expected,
                    "{window:?} {scope:?}"
                );
                for &(rank, id, points) in &expected {
                    let mine = index.rank_of(id, window, &scope).expect("ranked");
                    assert_eq!((mine.rank, mine.points), (rank, points));
                }
            }
        }
    }

    #[test]
    fn windows_slide_on_the_clock_alone() {
        let mut index = Index::build(Snapshot {
            now: NOW,
            players: vec![(1, Some("FR".into())), (2, Some("FR".into()))],
            totals: vec![(1, 10), (2, 3)],
            recent: vec![(NOW - WEEK_MICROS + 1_000_000, 1, 10), (NOW - 1, 2, 3)],
            round: Some(RoundSpan {
                id: 9,
                starts: NOW - 10,
                ends: NOW + 10,
            }),
            ..Snapshot::default()
        });
        let ranks = |index: &Index, w| {
            index
                .top(w, &Scope::Global, 50)
                .iter()
                .map(|s| (s.player_id, s.rank))
                .collect::<Vec<_>>()
        };
        assert_eq!(ranks(&index, Window::Week), [(1, 1), (2, 2)]);
        assert_eq!(ranks(&index, Window::Round), [(2, 1)]);
        // One second on, player 1's award is exactly 7 days old: gone from the week only.
        index.slide(NOW + 1_000_000, 9);
        assert_eq!(ranks(&index, Window::Week), [(2, 1)]);
        assert_eq!(ranks(&index, Window::Month), [(1, 1), (2, 2)]);
        assert_eq!(index.rank_of(1, Window::Week, &fr()), None);
        // A new round by the clock starts empty.
        index.slide(NOW + 2_000_000, 10);
        assert!(ranks(&index, Window::Round).is_empty());
        // 30 days on, only all time remains.
        index.slide(NOW + MONTH_MICROS, 10);
        assert!(ranks(&index, Window::Month).is_empty());
        assert_eq!(ranks(&index, Window::All), [(1, 1), (2, 2)]);
    }

    #[test]
    fn ties_share_a_rank_and_a_tie_at_the_cut_shows_whole() {
        let mut index = Index::default();
        for (player, points) in [(1, 9), (2, 7), (3, 7), (4, 7), (5, 1)] {
            index.award(player, points, 0, None);
        }
        let top: Vec<_> = index
            .top(Window::All, &Scope::Global, 2)
            .iter()
            .map(|s| s.rank)
            .collect();
        assert_eq!(top, [1, 2, 2, 2]);
        assert_eq!(
            index
                .rank_of(5, Window::All, &Scope::Global)
                .map(|s| s.rank),
            Some(5)
        );
    }

    #[test]
    fn moving_home_moves_a_player_between_country_boards() {
        let mut index = Index::default();
        index.set_country(1, Some("FR"));
        index.award(1, 5, 0, None);
        assert_eq!(index.top(Window::All, &fr(), 50).len(), 1);
        index.set_country(1, Some("JP"));
        assert!(index.top(Window::All, &fr(), 50).is_empty());
        let jp = Scope::Country("JP".into());
        let mine = index.rank_of(1, Window::All, &jp).unwrap();
        assert_eq!((mine.rank, mine.country_code.as_deref()), (1, Some("JP")));
        assert!(index.knows_country("FR") && !index.knows_country("DE"));
    }
}
