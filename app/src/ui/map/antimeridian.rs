//! Country outlines that cross the antimeridian. In the 1:110m TopoJSON, a ring of Russia
//! (Chukotka) and one of Fiji jump from 180° to -180° and back; drawn as they are, each jump
//! is a line across the whole map. Such a ring is made continuous instead (its far side past
//! 180°), which Leaflet draws where it belongs, then moved by a whole turn if its middle ended
//! up off the map. A ring that jumps an odd number of times goes round a pole (Antarctica's)
//! and is left as it is.

/// Makes a ring's longitudes continuous; returns whether it changed anything.
pub fn mend_ring(lons: &mut [f64]) -> bool {
    let jumps = lons
        .windows(2)
        .filter(|w| (w[1] - w[0]).abs() > 180.0)
        .count();
    if jumps == 0 || jumps % 2 == 1 {
        return false;
    }
    let mut shift = 0.0;
    let mut previous = lons[0];
    for lon in lons.iter_mut().skip(1) {
        let step = *lon - previous;
        previous = *lon;
        if step > 180.0 {
            shift -= 360.0;
        } else if step < -180.0 {
            shift += 360.0;
        }
        *lon += shift;
    }
    // Whichever side the ring started on, its middle stays between -180° and 180°.
    let (west, east) = lons.iter().fold((f64::MAX, f64::MIN), |(w, e), &lon| {
        (w.min(lon), e.max(lon))
    });
    let middle = (west + east) / 2.0;
    let turn = if middle < -180.0 {
        360.0
    } else if middle > 180.0 {
        -360.0
    } else {
        0.0
    };
    for lon in lons.iter_mut() {
        *lon += turn;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::mend_ring;

    #[test]
    fn a_ring_across_the_antimeridian_becomes_continuous() {
        // Fiji's eastern island: from 178° east over the line and back.
        let mut fiji = [178.0, 179.75, -179.75, -179.5, 179.5, 178.0];
        assert!(mend_ring(&mut fiji));
        assert_eq!(fiji, [178.0, 179.75, 180.25, 180.5, 179.5, 178.0]);
        // Starting on the far side, the ring is unwrapped past -180°, then moved back by a
        // whole turn: Russia starting in Chukotka stays in Asia.
        let mut russia = [-175.0, 179.0, 100.0, 40.0, 100.0, 179.0, -175.0];
        assert!(mend_ring(&mut russia));
        assert_eq!(russia, [185.0, 179.0, 100.0, 40.0, 100.0, 179.0, 185.0]);
    }

    #[test]
    fn other_rings_stay_as_they_are() {
        let mut france = [2.0, 8.0, -1.5, 2.0];
        assert!(!mend_ring(&mut france));
        assert_eq!(france, [2.0, 8.0, -1.5, 2.0]);
        // Antarctica goes round the pole: one jump, closing along the bottom of the map.
        let mut antarctica = [-180.0, -90.0, 0.0, 90.0, 180.0, -180.0];
        assert!(!mend_ring(&mut antarctica));
        assert_eq!(antarctica[5], -180.0);
    }
}
