//! Supervised background work: every long-running task of an instance (the listener, the
//! leaderboards' feed, presence, housekeeping, the round scheduler) runs under one supervisor.
//! A task that panics, or returns before the server stops, is logged, counted and started
//! again after a backoff (doubling from 100 ms to 5 s, back to the start once it has run a
//! minute). While a task that requests depend on is down, `/readyz` answers 503 naming it.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A run this long counts as healthy: the next failure restarts at once.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// One supervised task, as `/readyz` and `/metrics` see it.
pub struct Task {
    pub name: &'static str,
    /// Requests depend on it: `/readyz` is 503 while it is down.
    pub essential: bool,
    up: AtomicBool,
    restarts: AtomicU64,
}

impl Task {
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Times it failed (panicked or returned early) and was started again.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
pub struct Supervisor {
    tasks: Arc<Mutex<Vec<Arc<Task>>>>,
    stop: watch::Receiver<bool>,
}

impl Supervisor {
    pub fn new(stop: watch::Receiver<bool>) -> Self {
        Self {
            tasks: Arc::default(),
            stop,
        }
    }

    /// Runs `make()`'s future until the server stops, starting it again whenever it panics
    /// or returns early. Each run gets a receiver that turns true at shutdown.
    pub fn spawn<F, Fut>(&self, name: &'static str, essential: bool, make: F)
    where
        F: Fn(watch::Receiver<bool>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let task = Arc::new(Task {
            name,
            essential,
            up: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task.clone());
        let mut stop = self.stop.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::ZERO;
            loop {
                task.up.store(true, Ordering::Release);
                let started = Instant::now();
                // Its own task, so that a panic ends the run, not the supervisor.
                let outcome = tokio::spawn(make(stop.clone())).await;
                task.up.store(false, Ordering::Release);
                if *stop.borrow() {
                    return;
                }
                task.restarts.fetch_add(1, Ordering::Relaxed);
                backoff = if started.elapsed() >= HEALTHY_RUN {
                    FIRST_BACKOFF
                } else {
                    (backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF)
                };
                match outcome {
                    Err(failed) => tracing::error!(
                        task = name,
                        panic = panic_text(failed),
                        retry_in_ms = backoff.as_millis() as u64,
                        "background task panicked; restarting"
                    ),
                    Ok(()) => tracing::error!(
                        task = name,
                        retry_in_ms = backoff.as_millis() as u64,
                        "background task ended early; restarting"
                    ),
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
            }
        });
    }

    /// Every task, in the order they were started.
    pub fn tasks(&self) -> Vec<Arc<Task>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The first essential task that is down, if any.
    pub fn essential_down(&self) -> Option<&'static str> {
        self.tasks()
            .iter()
            .find(|t| t.essential && !t.is_up())
            .map(|t| t.name)
    }
}

fn panic_text(failed: tokio::task::JoinError) -> String {
    let Ok(panic) = failed.try_into_panic() else {
        return "cancelled".into();
    };
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_or_returns_is_started_again_until_the_stop() {
        let (stop_tx, stop) = watch::channel(false);
        let supervisor = Supervisor::new(stop);
        let runs = Arc::new(AtomicU64::new(0));
        let counted = runs.clone();
        supervisor.spawn("flaky", true, move |_stop| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => panic!("first run fails"),
                    1 => {}
                    _ => std::future::pending::<()>().await,
                }
            }
        });
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let task = &supervisor.tasks()[0];
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "panicked, returned, running"
        );
        assert_eq!(task.restarts(), 2);
        assert!(task.is_up());
        assert_eq!(supervisor.essential_down(), None);
        stop_tx.send(true).unwrap();
    }

    #[tokio::test]
    async fn an_essential_task_down_is_named() {
        let (_stop_tx, stop) = watch::channel(false);
        let supervisor = Supervisor::new(stop);
        supervisor.spawn("doomed", true, |_stop| async { panic!("always") });
        supervisor.spawn("side", false, |_stop| std::future::pending::<()>());
        let mut named = None;
        for _ in 0..100 {
            named = supervisor.essential_down();
            if named.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(named, Some("doomed"));
    }
}
