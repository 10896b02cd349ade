//! The place catalogue (countries, regions, cities) and the queries over it: the city to name a
//! position by, the type-ahead search and a city's full name. `catalogue` loads the data.

mod catalogue;
mod countries;

use sqlx::PgPool;

pub use catalogue::{ensure as ensure_catalogue, SOURCE};

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
pub async fn search_places(pool: &PgPool, query: &str) -> Result<Vec<PlaceSuggestion>, AppError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("{}%", escape_like(&query.to_lowercase()));
    let rows = sqlx::query!(
        r#"select kind as "kind!", city_id, city, region, country_code as "country_code!",
                  country as "country!", lat as "lat!", lon as "lon!"
           from (
               (select 2 as kind, null::int as city_id, null::text as city, null::text as region,
                       code as country_code, name as country, lat, lon,
                       lower(name) = lower($2) as exact, 0 as population
                from countries where lower(name) like $1
                order by name limit $3)
               union all
               (select 1, null, null, r.name, r.country_code, co.name, r.lat, r.lon,
                       lower(r.name) = lower($2), 0
                from regions r join countries co on co.code = r.country_code
                where lower(r.name) like $1
                order by r.name limit $3)
               union all
               (select 0, city_id, city, region, country_code, country, lat, lon,
                       lower(city) = lower($2), population
                from city_places where lower(city) like $1
                order by population desc limit $3)
           ) found
           order by exact desc, kind desc, population desc
           limit $3"#,
        pattern,
        query,
        SUGGESTIONS
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (kind, label) = match (row.kind, &row.city, &row.region) {
                (0, Some(city), Some(region)) => (
                    PlaceKind::City,
                    Home {
                        city_id: row.city_id.unwrap_or_default(),
                        city: city.clone(),
                        region: region.clone(),
                        country_code: row.country_code.clone(),
                        country: row.country.clone(),
                        lat: row.lat,
                        lon: row.lon,
                    }
                    .label(),
                ),
                (1, _, Some(region)) if region == &row.country => {
                    (PlaceKind::Region, row.country.clone())
                }
                (1, _, Some(region)) => (PlaceKind::Region, format!("{region}, {}", row.country)),
                _ => (PlaceKind::Country, row.country.clone()),
            };
            PlaceSuggestion {
                kind,
                label,
                city_id: row.city_id,
                region: row.region,
                country_code: row.country_code,
                lat: row.lat,
                lon: row.lon,
            }
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
    fn like_patterns_are_literal() {
        assert_eq!(escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }
}
