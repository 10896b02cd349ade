//! Country names for the catalogue: ISO 3166-1 names, with the everyday name where the
//! official one is long, and the codes GeoNames uses that ISO does not assign.

/// The English name for an ISO 3166-1 alpha-2 code, or the code itself if it is unknown.
pub fn name(code: &str) -> &str {
    if let Some((_, everyday)) = EVERYDAY.iter().find(|(c, _)| *c == code) {
        return everyday;
    }
    isocountry::CountryCode::for_alpha2(code)
        .map(|c| c.name())
        .unwrap_or(code)
}

const EVERYDAY: &[(&str, &str)] = &[
    ("BO", "Bolivia"),
    ("BQ", "Caribbean Netherlands"),
    ("CD", "DR Congo"),
    ("FM", "Micronesia"),
    ("GB", "United Kingdom"),
    ("IR", "Iran"),
    ("KP", "North Korea"),
    ("KR", "South Korea"),
    ("LA", "Laos"),
    ("MD", "Moldova"),
    ("PS", "Palestine"),
    ("RU", "Russia"),
    ("SH", "Saint Helena"),
    ("SX", "Sint Maarten"),
    ("SY", "Syria"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("US", "United States"),
    ("VE", "Venezuela"),
    ("VN", "Vietnam"),
    ("XK", "Kosovo"),
];

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn names() {
        assert_eq!(name("FR"), "France");
        assert_eq!(name("GB"), "United Kingdom");
        assert_eq!(name("XK"), "Kosovo");
        assert_eq!(name("ZZ"), "ZZ");
    }
}
