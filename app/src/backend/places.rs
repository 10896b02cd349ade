//! The place catalogue (countries, regions, cities) and the queries over it: the city to name a
//! position by, the type-ahead search and a city's full name. `catalogue` loads the data.

mod catalogue;
mod countries;

use sqlx::PgPool;

use super::reference::Reference;
pub use catalogue::{
    cities as extract_cities, ensure as ensure_catalogue, ExtractCity, ExtractError, SOURCE,
};

use crate::{
    error::AppError,
    model::{CitySuggestion, Home, PlaceKind, PlaceSuggestion},
};

/// A reported position farther than this from every known city is refused (at sea, say).
pub const MAX_SNAP_KM: f64 = 150.0;
/// How many suggestions the type-ahead returns.
const SUGGESTIONS: i64 = 10;

/// The city a person at this position would name as home (a much larger place a few
/// kilometres away rather than the suburb nearest), and how far it is in kilometres.
pub async fn snap_to_city(
    pool: &PgPool,
    lat: f64,
    lon: f64,
) -> Result<Option<(i32, f64)>, AppError> {
    // The rule is the SQL function `snap_to_city` (see the migrations), shared with the
    // catalogue's upgrade, which rehomes every player at once.
    let row = sqlx::query!(
        r#"select city_id as "id!", km as "km!" from snap_to_city($1, $2)"#,
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

/// Cities whose name starts with the query (ignoring case): exact names first, then the most
/// populous (Lagos, Nigeria before Lagos, Portugal).
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
           order by lower(city) = lower($2) desc, population desc, city, country, region
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

/// Countries, regions and cities whose name starts with the query (ignoring case), for the
/// map's place search: exact names first, then countries, regions and cities, bigger first.
/// Countries and regions come from the instance's cached catalogue; cities from the database.
pub async fn search_places(
    pool: &PgPool,
    reference: &Reference,
    query: &str,
) -> Result<Vec<PlaceSuggestion>, AppError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let lower = query.to_lowercase();
    let pattern = format!("{}%", escape_like(&lower));
    let catalogue = reference.catalogue(pool).await?;
    let take = SUGGESTIONS as usize;
    // (exact, kind: 2 country, 1 region, 0 city, population, suggestion), by name within a kind.
    let mut found: Vec<(bool, u8, i64, PlaceSuggestion)> = Vec::new();
    for c in catalogue
        .countries
        .iter()
        .filter(|c| c.name.to_lowercase().starts_with(&lower))
        .take(take)
    {
        let suggestion = PlaceSuggestion {
            kind: PlaceKind::Country,
            label: c.name.clone(),
            city_id: None,
            region: None,
            country_code: c.code.clone(),
            lat: c.lat,
            lon: c.lon,
        };
        found.push((c.name.to_lowercase() == lower, 2, 0, suggestion));
    }
    for r in catalogue
        .regions
        .iter()
        .filter(|r| r.name.to_lowercase().starts_with(&lower))
        .take(take)
    {
        let label = if r.name == r.country {
            r.country.clone()
        } else {
            format!("{}, {}", r.name, r.country)
        };
        let suggestion = PlaceSuggestion {
            kind: PlaceKind::Region,
            label,
            city_id: None,
            region: Some(r.name.clone()),
            country_code: r.country_code.clone(),
            lat: r.lat,
            lon: r.lon,
        };
        found.push((r.name.to_lowercase() == lower, 1, 0, suggestion));
    }
    let cities = sqlx::query!(
        r#"select city_id as "city_id!", city as "city!", region as "region!",
                  country_code as "country_code!", country as "country!", lat as "lat!",
                  lon as "lon!", lower(city) = $2 as "exact!", population as "population!"
           from city_places where lower(city) like $1
           order by population desc limit $3"#,
        pattern,
        lower,
        SUGGESTIONS
    )
    .fetch_all(pool)
    .await?;
    for c in cities {
        let home = Home {
            city_id: c.city_id,
            city: c.city,
            region: c.region.clone(),
            country_code: c.country_code.clone(),
            country: c.country,
            lat: c.lat,
            lon: c.lon,
        };
        let suggestion = PlaceSuggestion {
            kind: PlaceKind::City,
            label: home.label(),
            city_id: Some(c.city_id),
            region: Some(c.region),
            country_code: c.country_code,
            lat: c.lat,
            lon: c.lon,
        };
        found.push((c.exact, 0, c.population.into(), suggestion));
    }
    // Stable: names stay in order within a kind.
    found.sort_by_key(|f| std::cmp::Reverse((f.0, f.1, f.2)));
    Ok(found.into_iter().take(take).map(|f| f.3).collect())
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
    fn like_patterns_are_literal() {
        assert_eq!(escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }
}
