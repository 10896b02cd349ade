//! The map at any size of world: players counted per city in a view, cut into clusters on a
//! grid of the view's zoom (Web Mercator cells of [`CELL_PX`] pixels), or listed one by one
//! where few share the view or at street level. Every answer carries city centres only.
//!
//! A narrow view costs two indexed reads: counts per city of the players in view (cities by
//! their position, players by their city, presence hashed once), then the players shown one by
//! one. A wide view takes its counts from the instance's [`Census`] of every home, made once
//! per change and shared. What the page receives is bounded by the view's size in cells, not
//! by the world.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::PgPool;

use crate::{
    backend::{self, AppState},
    error::AppError,
    model::{
        map::{CELL_PX, FEW, INDIVIDUALS_MAX, MERGE_PX, STREET_ZOOM},
        Bounds, Cluster, Home, MapPlayer, MapSlice, Viewport,
    },
};

/// Players of one city in a view, the viewer left out.
#[derive(Debug, Clone, PartialEq)]
pub struct CityCount {
    pub city_id: i32,
    pub lat: f64,
    pub lon: f64,
    pub players: i64,
    pub online: i64,
}

/// What `viewer` sees of `viewport`: clusters where many players share it, the players one by
/// one where at most [`FEW`] do or from [`STREET_ZOOM`] on (at most [`INDIVIDUALS_MAX`]), and
/// the viewer themself wherever the view is.
pub async fn view(state: &AppState, viewer: i64, viewport: Viewport) -> Result<MapSlice, AppError> {
    let presence_timeout = state.settings.presence_timeout;
    let cities = counts(state, viewer, &viewport.bounds).await?;
    let total: i64 = cities.iter().map(|c| c.players).sum();
    let pool = &state.pool;
    if viewport.zoom >= STREET_ZOOM || total <= FEW {
        let in_view: Vec<i32> = cities.iter().map(|c| c.city_id).collect();
        let players = players(pool, presence_timeout, viewer, &in_view, INDIVIDUALS_MAX).await?;
        let others = players.iter().filter(|p| p.id != viewer).count() as i64;
        return Ok(MapSlice {
            zoom: viewport.zoom,
            clusters: Vec::new(),
            players,
            more: total - others,
        });
    }
    let (clusters, singles) = cluster(&cities, viewport.zoom);
    let players = players(pool, presence_timeout, viewer, &singles, i64::MAX).await?;
    Ok(MapSlice {
        zoom: viewport.zoom,
        clusters,
        players,
        more: 0,
    })
}

/// The bounds of every home, for framing them all (no wrapping: players on both sides of the
/// antimeridian give a world-wide frame).
pub async fn everyone(state: &AppState) -> Result<Option<Bounds>, AppError> {
    let cities = state.census.cities(state).await?;
    let mut cities = cities.iter();
    Ok(cities.next().map(|first| {
        let mut bounds = Bounds::point(first.lat, first.lon);
        for c in cities {
            bounds.extend(c.lat, c.lon);
        }
        bounds
    }))
}

/// How long a census is used while nothing it depends on is known to have changed: a change
/// that announces itself nowhere (a presence row written and never announced) shows within it.
const CENSUS_FRESH: Duration = Duration::from_secs(1);

/// Every city with players, how many and how many online, counted once and shared by every
/// wide view and first load of this instance until a player joins or moves, or presence moves.
///
/// A wide view holds most of the world, and counting it reads every player: 91 ms at 100,000
/// players. Open maps ask again within a second of any change anywhere, so without sharing
/// the work grows with open maps times changes; with it, a change costs one count, however
/// many maps ask (they wait for the same count), and a view only filters the cities in memory.
/// Other events leave it standing: keyed on every event, the first visits of a round (each
/// writes one) had 50 paced map loads counting again one after another (6.5 ms mean, 89 ms
/// at most) while the rest waited on the lock.
#[derive(Default)]
pub struct Census {
    counted: tokio::sync::Mutex<Option<Counted>>,
}

struct Counted {
    /// The newest home change ([`backend::players::home_changes`]) and the presence version when
    /// counting began: the count holds everything they say happened.
    key: (i64, u64),
    at: Instant,
    cities: Arc<[CityCount]>,
}

impl Census {
    /// The count, made again when a player has joined or moved or presence has changed since
    /// the last one began, or after [`CENSUS_FRESH`].
    pub async fn cities(&self, state: &AppState) -> Result<Arc<[CityCount]>, AppError> {
        let mut counted = self.counted.lock().await;
        // Read under the lock: a caller that saw a change waits for a count begun after it.
        let key = (
            backend::players::home_changes(&state.pool).await?,
            state.hub.presence_version(),
        );
        if let Some(c) = counted
            .as_ref()
            .filter(|c| c.key == key && c.at.elapsed() < CENSUS_FRESH)
        {
            return Ok(c.cities.clone());
        }
        let at = Instant::now();
        let cities: Arc<[CityCount]> = sqlx::query_as!(
            CityCount,
            r#"with online as (
                   select distinct player_id from presence
                   where seen_at > now() - make_interval(secs => $1)),
               homes as (
                   select p.home_city_id as city_id, count(*) as players,
                          count(o.player_id) as online
                   from players p left join online o on o.player_id = p.id
                   where p.home_city_id is not null
                   group by p.home_city_id)
               select c.id as city_id, c.lat, c.lon,
                      h.players as "players!", h.online as "online!"
               from homes h join cities c on c.id = h.city_id"#,
            state.settings.presence_timeout.as_secs_f64(),
        )
        .fetch_all(&state.pool)
        .await?
        .into();
        *counted = Some(Counted {
            key,
            at,
            cities: cities.clone(),
        });
        Ok(cities)
    }
}

/// The longitude ranges a view covers: one, or two for a view across the antimeridian. The
/// second is empty (1 to 0) when there is one.
fn lon_ranges(bounds: &Bounds) -> [(f64, f64); 2] {
    if bounds.crosses_antimeridian() {
        [(bounds.west, 180.0), (-180.0, bounds.east)]
    } else {
        [(bounds.west, bounds.east), (1.0, 0.0)]
    }
}

/// Views wider than this (degrees of longitude times degrees of latitude) are cut from the
/// [`Census`].
const WIDE: f64 = 60.0 * 60.0;

/// Players per city in `bounds`, with how many are online (seen within the presence
/// timeout), the viewer left out.
///
/// Two ways to the same answer. A narrow view finds its cities by position (the GiST index)
/// and then their players. A wide one holds most of the catalogue's 170,000 cities, so it
/// takes the instance's [`Census`] of every home and keeps the cities in view.
async fn counts(
    state: &AppState,
    viewer: i64,
    bounds: &Bounds,
) -> Result<Vec<CityCount>, AppError> {
    let [(w1, e1), (w2, e2)] = lon_ranges(bounds);
    let width = (e1 - w1) + (e2 - w2).max(0.0);
    let secs = state.settings.presence_timeout.as_secs_f64();
    let (south, north) = (bounds.south, bounds.north);
    if width * (north - south) > WIDE {
        let me = sqlx::query!(
            r#"select p.home_city_id,
                      exists (select 1 from presence pr
                              where pr.player_id = p.id
                                and pr.seen_at > now() - make_interval(secs => $2)) as "online!"
               from players p where p.id = $1"#,
            viewer,
            secs,
        )
        .fetch_optional(&state.pool)
        .await?;
        let census = state.census.cities(state).await?;
        let in_view = |lon: f64| (w1..=e1).contains(&lon) || (w2..=e2).contains(&lon);
        return Ok(census
            .iter()
            .filter(|c| (south..=north).contains(&c.lat) && in_view(c.lon))
            .filter_map(|c| {
                let mut c = c.clone();
                if let Some(me) = me.as_ref().filter(|me| me.home_city_id == Some(c.city_id)) {
                    c.players -= 1;
                    c.online -= i64::from(me.online);
                }
                (c.players > 0).then_some(c)
            })
            .collect());
    }
    Ok(sqlx::query_as!(
        CityCount,
        r#"with online as (
               select distinct player_id from presence
               where seen_at > now() - make_interval(secs => $1))
           select c.id as city_id, c.lat, c.lon,
                  count(*) as "players!", count(o.player_id) as "online!"
           from cities c
           join players p on p.home_city_id = c.id
           left join online o on o.player_id = p.id
           where p.id <> $2
             and (point(c.lon, c.lat) <@ box(point($3::float8, $4::float8),
                                             point($5::float8, $6::float8))
                  or point(c.lon, c.lat) <@ box(point($7::float8, $4), point($8::float8, $6))
                     and $7 <= $8)
           group by c.id"#,
        secs,
        viewer,
        w1,
        south,
        e1,
        north,
        w2,
        e2,
    )
    .fetch_all(&state.pool)
    .await?)
}

/// The viewer (if they have a home), then the players of `cities` one by one, by id, at most
/// `limit` besides the viewer. (By city, not by position: the cities in view are known from
/// the counts, and players are indexed by city.)
async fn players(
    pool: &PgPool,
    presence_timeout: Duration,
    viewer: i64,
    cities: &[i32],
    limit: i64,
) -> Result<Vec<MapPlayer>, AppError> {
    let rows = sqlx::query!(
        r#"select p.id, p.handle, p.display_name,
                  h.city_id as "city_id!", h.city as "city!", h.region as "region!",
                  h.country_code as "country_code!", h.country as "country!",
                  h.lat as "lat!", h.lon as "lon!",
                  exists (select 1 from presence pr
                          where pr.player_id = p.id
                            and pr.seen_at > now() - make_interval(secs => $1)) as "online!"
           from players p
           join city_places h on h.city_id = p.home_city_id
           where p.id = $2 or p.home_city_id = any($3)
           order by p.id = $2 desc, p.id
           limit $4"#,
        presence_timeout.as_secs_f64(),
        viewer,
        cities,
        limit.saturating_add(1),
    )
    .fetch_all(pool)
    .await?;
    let mut list: Vec<MapPlayer> = rows
        .into_iter()
        .map(|r| MapPlayer {
            id: r.id,
            handle: r.handle,
            display_name: r.display_name,
            home: Home {
                city_id: r.city_id,
                city: r.city,
                region: r.region,
                country_code: r.country_code,
                country: r.country,
                lat: r.lat,
                lon: r.lon,
            },
            online: r.online,
        })
        .collect();
    // The viewer rides on top of the limit, not in it.
    let viewer_first = usize::from(list.first().is_some_and(|p| p.id == viewer));
    list.truncate(
        usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_add(viewer_first),
    );
    Ok(list)
}

/// A position in Web Mercator pixels at `zoom`.
fn pixel(lat: f64, lon: f64, zoom: u8) -> (f64, f64) {
    let world = 256.0 * f64::from(1u32 << zoom);
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    let x = (lon + 180.0) / 360.0 * world;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * world;
    (x, y)
}

/// A position's cell at `zoom`: Web Mercator pixels divided by [`CELL_PX`].
fn cell(lat: f64, lon: f64, zoom: u8) -> (i64, i64) {
    let world = 256.0 * f64::from(1u32 << zoom);
    let (x, y) = pixel(lat, lon, zoom);
    let last = (world / CELL_PX).ceil() as i64 - 1;
    (
        ((x / CELL_PX).floor() as i64).clamp(0, last),
        ((y / CELL_PX).floor() as i64).clamp(0, last),
    )
}

/// Coordinates to 1e-4° (about 11 m), which is all a cluster's place needs.
fn round(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

/// Players of a cell (or of cells merged), with the sums their mean is made of.
struct Cell {
    key: (i64, i64),
    players: i64,
    online: i64,
    lat_sum: f64,
    lon_sum: f64,
    bounds: Bounds,
    city: i32,
}

impl Cell {
    fn mean(&self) -> (f64, f64) {
        let n = self.players as f64;
        (self.lat_sum / n, self.lon_sum / n)
    }

    fn absorb(&mut self, other: &Cell) {
        self.players += other.players;
        self.online += other.online;
        self.lat_sum += other.lat_sum;
        self.lon_sum += other.lon_sum;
        let b = other.bounds;
        self.bounds.extend(b.south, b.west);
        self.bounds.extend(b.north, b.east);
    }
}

/// Cuts the cities' counts into clusters, one per cell of the grid at `zoom`, at the mean of
/// their players' homes. Neighbouring cells whose means fall closer than [`MERGE_PX`] (a
/// cluster's disc) are one cluster, under the key of the larger, so discs never cover each
/// other. A cluster of one player is no cluster: its city is returned, so that player is shown
/// one by one.
pub fn cluster(cities: &[CityCount], zoom: u8) -> (Vec<Cluster>, Vec<i32>) {
    let mut cells: HashMap<(i64, i64), Cell> = HashMap::new();
    for city in cities.iter().filter(|c| c.players > 0) {
        let weight = city.players as f64;
        let key = cell(city.lat, city.lon, zoom);
        let this = Cell {
            key,
            players: city.players,
            online: city.online,
            lat_sum: city.lat * weight,
            lon_sum: city.lon * weight,
            bounds: Bounds::point(city.lat, city.lon),
            city: city.city_id,
        };
        match cells.get_mut(&key) {
            Some(cell) => cell.absorb(&this),
            None => {
                cells.insert(key, this);
            }
        }
    }
    // The largest first, each taking in the smaller ones too close to it.
    let mut cells: Vec<Cell> = cells.into_values().collect();
    cells.sort_by(|a, b| b.players.cmp(&a.players).then(a.key.cmp(&b.key)));
    let mut kept: Vec<(Cell, (f64, f64))> = Vec::new();
    for cell in cells {
        let (lat, lon) = cell.mean();
        let at = pixel(lat, lon, zoom);
        let near = kept.iter_mut().find(|(_, (x, y))| {
            let (dx, dy) = (x - at.0, y - at.1);
            dx * dx + dy * dy < MERGE_PX * MERGE_PX
        });
        match near {
            Some((big, _)) => big.absorb(&cell),
            None => kept.push((cell, at)),
        }
    }
    let mut clusters = Vec::new();
    let mut singles = Vec::new();
    for (cell, _) in kept {
        if cell.players == 1 {
            singles.push(cell.city);
            continue;
        }
        let (lat, lon) = cell.mean();
        let (x, y) = cell.key;
        clusters.push(Cluster {
            key: format!("{zoom}/{x}/{y}"),
            lat: round(lat),
            lon: round(lon),
            players: cell.players,
            online: cell.online,
            bounds: Bounds {
                south: round(cell.bounds.south),
                west: round(cell.bounds.west),
                north: round(cell.bounds.north),
                east: round(cell.bounds.east),
            },
        });
    }
    clusters.sort_by(|a, b| a.key.cmp(&b.key));
    singles.sort_unstable();
    (clusters, singles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city(city_id: i32, lat: f64, lon: f64, players: i64, online: i64) -> CityCount {
        CityCount {
            city_id,
            lat,
            lon,
            players,
            online,
        }
    }

    #[test]
    fn cells_follow_web_mercator() {
        // At zoom 0 the world is 256 px: 4 cells of 80 px, the last one short.
        assert_eq!(cell(0.0, -180.0, 0), (0, 1));
        assert_eq!(cell(85.0, 179.99, 0), (3, 0));
        assert_eq!(cell(-85.0, 179.99, 0), (3, 3));
        assert_eq!(
            cell(90.0, 180.0, 0),
            (3, 0),
            "the poles and 180° stay on the grid"
        );
        // Paris and Versailles share a cell at zoom 5, not at zoom 12.
        assert_eq!(cell(48.8566, 2.3522, 5), cell(48.8049, 2.1204, 5));
        assert_ne!(cell(48.8566, 2.3522, 12), cell(48.8049, 2.1204, 12));
    }

    #[test]
    fn clusters_add_up_and_lone_players_stand_alone() {
        let cities = [
            city(1, 48.8566, 2.3522, 30, 4),   // Paris
            city(2, 48.8049, 2.1204, 10, 1),   // Versailles
            city(3, 35.6895, 139.6917, 5, 5),  // Tokyo
            city(4, -12.0464, -77.0428, 1, 1), // Lima: one player
        ];
        let (clusters, singles) = cluster(&cities, 4);
        assert_eq!(singles, [4]);
        assert_eq!(clusters.len(), 2);
        let paris = clusters
            .iter()
            .find(|c| c.players == 40)
            .expect("Paris area");
        assert_eq!(paris.online, 5);
        // The mean of the homes, weighted by players, inside the cities' bounds.
        assert!((paris.lat - (48.8566 * 30.0 + 48.8049 * 10.0) / 40.0).abs() < 1e-3);
        assert_eq!(paris.bounds.west, 2.1204);
        assert_eq!(paris.bounds.east, 2.3522);
        assert_eq!(
            paris.key,
            format!("4/{}/{}", cell(48.85, 2.35, 4).0, cell(48.85, 2.35, 4).1)
        );
        let total: i64 = clusters.iter().map(|c| c.players).sum::<i64>() + singles.len() as i64;
        assert_eq!(total, 46);
        // Closer in, Paris and Versailles part.
        let (closer, _) = cluster(&cities, 11);
        assert_eq!(closer.len(), 3);
        // Cells whose means lie closer than a disc are one cluster: at zoom 2, Versailles'
        // players in a cell of their own would sit on Paris's.
        let split = [
            city(1, 48.8566, 2.3522, 30, 4),
            city(5, 48.8566, 17.6, 9, 0), // the next cell east, 43 px away
            city(3, 35.6895, 139.6917, 5, 5),
        ];
        assert_ne!(cell(48.8566, 2.3522, 2), cell(48.8566, 17.6, 2));
        let (merged, _) = cluster(&split, 2);
        assert_eq!(merged.len(), 2, "{merged:?}");
        assert_eq!(
            merged
                .iter()
                .map(|c| c.players)
                .collect::<Vec<_>>()
                .iter()
                .sum::<i64>(),
            44
        );
        for (i, a) in merged.iter().enumerate() {
            for b in &merged[i + 1..] {
                let (pa, pb) = (pixel(a.lat, a.lon, 2), pixel(b.lat, b.lon, 2));
                let d = ((pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2)).sqrt();
                assert!(d >= MERGE_PX, "{a:?} and {b:?} are {d} px apart");
            }
        }
    }
}
