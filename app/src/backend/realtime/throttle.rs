//! At most one signal per key per interval, inside one instance: typing signals are relayed
//! at most once per [`crate::model::rules::TYPING_EVERY_SECS`] per sender. Kept in memory on
//! purpose: a typing signal is never stored, and a sender whose tabs sit on two instances
//! gets at most one signal per interval from each.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct Throttle {
    every: Duration,
    last: Mutex<HashMap<i64, Instant>>,
}

/// Entries past which stale ones are swept out, so the map stays small.
const SWEEP_AT: usize = 4096;

impl Throttle {
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            last: Mutex::default(),
        }
    }

    /// Whether `key` may signal now; if so, the interval starts again from now.
    pub fn allow(&self, key: i64) -> bool {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() >= SWEEP_AT {
            last.retain(|_, at| now.duration_since(*at) < self.every);
        }
        match last.get(&key) {
            Some(at) if now.duration_since(*at) < self.every => false,
            _ => {
                last.insert(key, now);
                true
            }
        }
    }

    /// Lets `key` signal again at once (a sent message ends the typing it throttled).
    pub fn reset(&self, key: i64) {
        self.last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_signal_per_interval_per_key() {
        let throttle = Throttle::new(Duration::from_millis(200));
        assert!(throttle.allow(1));
        assert!(!throttle.allow(1));
        assert!(throttle.allow(2), "keys are independent");
        std::thread::sleep(Duration::from_millis(220));
        assert!(throttle.allow(1));
        throttle.reset(1);
        assert!(throttle.allow(1), "reset lets it signal at once");
    }

    #[test]
    fn stale_entries_are_swept() {
        let throttle = Throttle::new(Duration::from_millis(1));
        for key in 0..SWEEP_AT as i64 {
            throttle.allow(key);
        }
        std::thread::sleep(Duration::from_millis(5));
        assert!(throttle.allow(-1));
        assert_eq!(throttle.last.lock().unwrap().len(), 1);
    }
}
