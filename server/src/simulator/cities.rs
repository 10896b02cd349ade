//! Where the bots live: real cities from the GeoNames extract the server ships
//! (`app::backend::places::extract_cities`, read without a database), chosen at random with
//! probability proportional to population, so the simulated world looks like the real one
//! (many bots in Tokyo, Delhi and Lagos, a few in small towns everywhere).
//!
//! The choice is a seeded sequence: bot number `n` gets the `n`-th draw, whatever the number
//! of bots, so a rerun with the same seed puts every bot back in the city it had.

use app::backend::places::{extract_cities, ExtractCity};
use rand::{distributions::WeightedIndex, prelude::Distribution, rngs::StdRng, SeedableRng};

/// The extract's cities and the population-weighted distribution over them.
pub struct Atlas {
    cities: Vec<ExtractCity>,
    weights: WeightedIndex<u64>,
}

impl Atlas {
    /// Unpacks the embedded extract (about a second in a debug build).
    pub fn load() -> Result<Self, String> {
        let cities = extract_cities().map_err(|e| e.to_string())?;
        // Every city counts for at least one person, so none is impossible.
        let weights = WeightedIndex::new(cities.iter().map(|c| c.population.max(1) as u64))
            .map_err(|e| format!("the extract's populations: {e}"))?;
        Ok(Self { cities, weights })
    }

    /// The homes of bots 1 to `count` under `seed`: a prefix of the same sequence for every
    /// `count`.
    pub fn homes(&self, seed: u64, count: usize) -> Vec<&ExtractCity> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..count)
            .map(|_| &self.cities[self.weights.sample(&mut rng)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_are_repeatable_and_favour_big_cities() {
        let atlas = Atlas::load().unwrap();
        let few: Vec<i32> = atlas.homes(7, 10).iter().map(|c| c.id).collect();
        let many: Vec<i32> = atlas.homes(7, 2000).iter().map(|c| c.id).collect();
        assert_eq!(
            few,
            many[..10],
            "bot n lives in the same city whatever the count"
        );
        assert_ne!(
            few,
            atlas.homes(8, 10).iter().map(|c| c.id).collect::<Vec<_>>()
        );
        // Cities of a million or more hold a small share of the extract's cities but a large
        // share of its people: they should get far more than their share of the bots.
        let big = |c: &ExtractCity| c.population >= 1_000_000;
        let big_share =
            atlas.cities.iter().filter(|c| big(c)).count() as f64 / atlas.cities.len() as f64;
        let bots_share = atlas.homes(7, 2000).iter().filter(|c| big(c)).count() as f64 / 2000.0;
        assert!(
            bots_share > 20.0 * big_share,
            "{bots_share} of bots in big cities, {big_share} of cities are big"
        );
    }
}
