//! What a run counts and measures, and the summary it prints: one fact per line, a name and
//! its values separated by spaces, in a fixed order, so scripts and tests can read it.

use std::{
    collections::BTreeMap,
    fmt,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Mutex,
    },
};

/// Counters shared by every task of a run.
#[derive(Default)]
pub struct Stats {
    /// Messages sent (requests to `chat/send`).
    pub sent: AtomicU64,
    /// Sends the server stored.
    pub accepted: AtomicU64,
    /// Accepted messages that reached their recipient's stream.
    pub delivered: AtomicU64,
    /// Transport errors, 5xx and unexpected answers, in any phase.
    pub errors: AtomicU64,
    /// Distinct `task_completed` events the bots' streams carried.
    pub tasks_completed: AtomicU64,
    /// `resync` events received.
    pub resyncs: AtomicU64,
    /// Streams opened again after they ended or broke.
    pub reconnects: AtomicU64,
    /// Refusals by the server's error kind.
    refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Send to the recipient's stream, in milliseconds.
    delivery_ms: Mutex<Vec<f64>>,
    /// Send to the server's answer, in milliseconds.
    answer_ms: Mutex<Vec<f64>>,
}

impl Stats {
    pub fn refused(&self, kind: &'static str) {
        *self.refused.lock().unwrap().entry(kind).or_default() += 1;
    }

    pub fn refused_total(&self) -> u64 {
        self.refused.lock().unwrap().values().sum()
    }

    pub fn delivered(&self, ms: f64) {
        self.delivered.fetch_add(1, Relaxed);
        self.delivery_ms.lock().unwrap().push(ms);
    }

    pub fn answered(&self, ms: f64) {
        self.answer_ms.lock().unwrap().push(ms);
    }

    /// The median delivery so far, for the progress line.
    pub fn delivery_p50(&self) -> Option<f64> {
        let mut ms = self.delivery_ms.lock().unwrap().clone();
        ms.sort_by(f64::total_cmp);
        percentile(&ms, 0.5)
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    /// What the summary shows, as of now.
    pub fn summary(&self, setup: Setup) -> Summary {
        let sorted = |samples: &Mutex<Vec<f64>>| {
            let mut ms = samples.lock().unwrap().clone();
            ms.sort_by(f64::total_cmp);
            Latency::of(&ms)
        };
        Summary {
            setup,
            sent: Self::get(&self.sent),
            accepted: Self::get(&self.accepted),
            refused: self.refused.lock().unwrap().clone(),
            errors: Self::get(&self.errors),
            delivered: Self::get(&self.delivered),
            delivery: sorted(&self.delivery_ms),
            answer: sorted(&self.answer_ms),
            tasks_completed: Self::get(&self.tasks_completed),
            resyncs: Self::get(&self.resyncs),
            reconnects: Self::get(&self.reconnects),
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

/// Percentiles of a latency, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Latency {
    fn of(sorted: &[f64]) -> Self {
        Self {
            p50: percentile(sorted, 0.5),
            p95: percentile(sorted, 0.95),
            p99: percentile(sorted, 0.99),
            max: sorted.last().copied(),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
        write!(
            f,
            "p50 {} p95 {} p99 {} max {}",
            value(self.p50),
            value(self.p95),
            value(self.p99),
            value(self.max)
        )
    }
}

/// Facts about the run that are not counters.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Names this run's messages: their `client_key` is `sim-{run}-{n}`.
    pub run: String,
    pub url: String,
    /// Bots signed in and playing.
    pub bots: usize,
    pub signed_up: usize,
    pub signed_in: usize,
    /// Bots whose event stream opened.
    pub streams: usize,
    /// How long messages were sent for, in seconds.
    pub seconds: f64,
    /// Bots signed out at the end (`None` with `--keep`, where the summary comes first).
    pub signed_out: Option<usize>,
}

/// The summary printed at the end of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    pub setup: Setup,
    pub sent: u64,
    pub accepted: u64,
    pub refused: BTreeMap<&'static str, u64>,
    pub errors: u64,
    pub delivered: u64,
    pub delivery: Latency,
    pub answer: Latency,
    pub tasks_completed: u64,
    pub resyncs: u64,
    pub reconnects: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.setup;
        writeln!(f, "run {}", s.run)?;
        writeln!(f, "url {}", s.url)?;
        writeln!(f, "bots {}", s.bots)?;
        writeln!(f, "signed_up {}", s.signed_up)?;
        writeln!(f, "signed_in {}", s.signed_in)?;
        writeln!(f, "streams {}", s.streams)?;
        writeln!(f, "seconds {:.1}", s.seconds)?;
        let rate = if s.seconds > 0.0 {
            self.sent as f64 / s.seconds
        } else {
            0.0
        };
        writeln!(f, "rate {rate:.1}")?;
        writeln!(f, "sent {}", self.sent)?;
        writeln!(f, "accepted {}", self.accepted)?;
        writeln!(f, "refused total {}", self.refused.values().sum::<u64>())?;
        for (kind, n) in &self.refused {
            writeln!(f, "refused {kind} {n}")?;
        }
        writeln!(f, "errors {}", self.errors)?;
        writeln!(f, "delivered {}", self.delivered)?;
        writeln!(f, "delivery_ms {}", self.delivery)?;
        writeln!(f, "answer_ms {}", self.answer)?;
        writeln!(f, "tasks_completed {}", self.tasks_completed)?;
        writeln!(f, "resyncs {}", self.resyncs)?;
        writeln!(f, "reconnects {}", self.reconnects)?;
        if let Some(out) = s.signed_out {
            writeln!(f, "signed_out {out}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_one_fact_per_line() {
        let stats = Stats::default();
        stats.sent.store(3, Relaxed);
        stats.accepted.store(2, Relaxed);
        stats.refused("too_many_messages");
        stats.delivered(2.0);
        stats.delivered(4.0);
        let text = stats
            .summary(Setup {
                run: "r1".into(),
                bots: 2,
                seconds: 1.5,
                signed_out: Some(2),
                ..Setup::default()
            })
            .to_string();
        for line in [
            "run r1",
            "bots 2",
            "rate 2.0",
            "sent 3",
            "accepted 2",
            "refused total 1",
            "refused too_many_messages 1",
            "errors 0",
            "delivered 2",
            "delivery_ms p50 4.0 p95 4.0 p99 4.0 max 4.0",
            "answer_ms p50 - p95 - p99 - max -",
            "signed_out 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
    }
}
