//! What a run shows while it runs: one progress bar on stderr (hidden when stderr is not a
//! terminal, as under a test or in CI), and lines printed above it: the first few errors and
//! notes, so a thousand failing bots do not bury the terminal. The summary goes to stdout.

use std::{
    fmt::Display,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::Duration,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Errors, and notes, shown before the rest are only counted.
const SHOWN: u64 = 10;

pub struct Ui {
    bar: ProgressBar,
    errors: AtomicU64,
    notes: AtomicU64,
}

impl Default for Ui {
    fn default() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:20}] {pos}/{len} {msg} ({elapsed})")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        Self {
            bar,
            errors: AtomicU64::new(0),
            notes: AtomicU64::new(0),
        }
    }
}

impl Ui {
    /// Starts a phase: the bar counts to `len`.
    pub fn phase(&self, name: &str, len: u64) {
        self.bar.set_position(0);
        self.bar.set_length(len);
        self.bar.set_message("");
        self.bar.set_prefix(name.to_owned());
        self.bar.reset_elapsed();
    }

    pub fn message(&self, message: &'static str) {
        self.bar.set_message(message);
    }

    pub fn advance(&self) {
        self.bar.inc(1);
    }

    pub fn set(&self, position: u64, message: String) {
        self.bar.set_position(position);
        self.bar.set_message(message);
    }

    /// A line above the bar (on stderr however the bar is drawn).
    pub fn say(&self, line: impl Display) {
        if self.bar.is_hidden() || self.bar.is_finished() {
            eprintln!("{line}");
        } else {
            self.bar.println(line.to_string());
        }
    }

    /// Shows one of the first errors; the summary counts them all.
    pub fn error(&self, what: impl Display) {
        match self.errors.fetch_add(1, Relaxed) {
            n if n < SHOWN => self.say(format!("error: {what}")),
            SHOWN => self.say("(more errors: counted in the summary, not shown)"),
            _ => {}
        }
    }

    /// Shows one of the first notes (reconnects and the like).
    pub fn note(&self, what: impl Display) {
        match self.notes.fetch_add(1, Relaxed) {
            n if n < SHOWN => self.say(what),
            SHOWN => self.say("(more notes not shown)"),
            _ => {}
        }
    }

    /// Removes the bar, before the summary is printed.
    pub fn done(&self) {
        self.bar.finish_and_clear();
    }
}
