//! `meridian simulate`: bot players in real cities chatting with each other through a running
//! server's HTTP interface, the same one a browser uses, for demos, the dashboard and load
//! tests (PRODUCT §9). It needs no database: only the server's address.
//!
//! A run signs the bots up (or in, when an earlier run made them: reruns reuse the world),
//! sets their homes, reads their games, opens their event streams, then sends `--rate`
//! messages a second for `--seconds`, measuring each message's delivery to its recipient's
//! stream, and prints a summary on stdout. Without `--keep` the bots then sign out; with it
//! they stay online after the summary, chatting about once a second and answering anyone who
//! writes to them, until Ctrl-C.
//!
//! This module owns the run's phases; `args` the command line, `bot` one bot's HTTP session,
//! `cities` where bots live, `play` the bots at play, `sse` the event-stream reader, `stats`
//! the counters and summary, `ui` the progress bar.

mod args;
mod bot;
mod cities;
mod play;
pub mod sse;
mod stats;
mod ui;

use std::{
    process::ExitCode,
    sync::{
        atomic::{AtomicUsize, Ordering::Relaxed},
        Arc,
    },
    time::Duration,
};

use app::{error::AppError, model::rules};
use futures::{stream, StreamExt};
use rand::{distributions::Alphanumeric, Rng};
use tokio::sync::watch;

use args::{display_name, handle};
use bot::{Bot, Entry, Failure, Http};
use cities::Atlas;
use play::World;
use stats::{Setup, Stats};
use ui::Ui;

pub use args::{Args, USAGE};

/// Bots signing up or in, or reading their games, at once. A sign-in in flight counts
/// against the address's 20 failures (see `bot::Bot::enter`): this stays well under.
const SETUP_CONCURRENCY: usize = 8;
/// Streams opened per wave, and the pause between waves: every bot coming online is news on
/// every open stream, so opening a thousand at once would flood their queues with presence.
const STREAM_WAVE: usize = 20;
const WAVE_PAUSE: Duration = Duration::from_millis(100);
/// How long to wait, after the last send, for deliveries still on their way.
const DRAIN: Duration = Duration::from_secs(10);
/// Sends per second in all while `--keep` keeps the bots online.
const KEEP_RATE: f64 = 1.0;
/// Bots whose handle belongs to someone else (wrong password) before the rest stop trying:
/// each such sign-in is a failure counted against this address.
const WRONG_PASSWORDS_TOLERATED: usize = 3;

/// Runs `meridian simulate` with the arguments after `simulate`.
pub async fn command(args: impl IntoIterator<Item = String>) -> ExitCode {
    let args = match Args::parse(args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("meridian simulate: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_errors) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("meridian simulate: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One run; returns the number of errors.
async fn run(args: Args) -> Result<u64, String> {
    let http = Http::new(&args.url)?;
    http.check().await?;
    let ui = Ui::default();
    let per_bot = args.per_bot_rate();
    let limit = rules::SEND_LIMIT as f64 / rules::SEND_WINDOW_SECS as f64;
    if per_bot > 0.9 * limit {
        ui.say(format!(
            "note: --rate {} over {} bots is {per_bot:.2} messages a second per bot; the server \
             allows {} in {} s per player, so expect too_many_messages refusals",
            args.rate,
            args.bots,
            rules::SEND_LIMIT,
            rules::SEND_WINDOW_SECS
        ));
    }
    ui.phase("places", 0);
    ui.message("unpacking the GeoNames extract");
    let atlas = tokio::task::spawn_blocking(Atlas::load)
        .await
        .map_err(|e| format!("loading the places: {e}"))??;
    let stats = Stats::default();
    let (bots, signed_up) = enter(&http, &atlas, &args, &ui, &stats).await;
    drop(atlas);
    if bots.len() < 2 {
        ui.done();
        return Err(format!(
            "{} of {} bots signed in: too few to chat",
            bots.len(),
            args.bots
        ));
    }
    let run: String = rand::thread_rng()
        .sample_iter(Alphanumeric)
        .take(6)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    let mut setup = Setup {
        run: run.clone(),
        url: http.base().to_owned(),
        bots: bots.len(),
        signed_up,
        signed_in: bots.len() - signed_up,
        ..Setup::default()
    };
    let world = Arc::new(World::new(http, run, bots, stats, ui));
    let cursors = games(&world).await;
    let listeners = open_streams(&world, cursors).await;
    setup.streams = world
        .seats
        .iter()
        .filter(|s| s.listening.load(Relaxed))
        .count();

    let mut stop = interrupt();
    let sent_for = send_and_measure(&world, &args, &mut stop).await;
    setup.seconds = sent_for.as_secs_f64();

    if args.keep {
        world.ui.done();
        print!("{}", world.stats.summary(setup));
        if !*stop.borrow() {
            world.ui.say(format!(
                "--keep: {} bots stay online, chatting about once a second and answering anyone \
                 who writes to them; Ctrl-C signs them out",
                world.seats.len()
            ));
            world.answer_people();
            play::chat(&world, KEEP_RATE.min(args.rate), None, &mut stop).await;
        }
        let out = sign_out(&world).await;
        eprintln!("signed out {out} of {} bots", world.seats.len());
    } else {
        setup.signed_out = Some(sign_out(&world).await);
        world.ui.done();
        print!("{}", world.stats.summary(setup));
    }
    for listener in listeners {
        listener.abort();
    }
    Ok(Stats::get(&world.stats.errors))
}

/// Signs every bot up or in and sets its home; returns the bots that made it, in order, and
/// how many of them are new.
async fn enter(
    http: &Http,
    atlas: &Atlas,
    args: &Args,
    ui: &Ui,
    stats: &Stats,
) -> (Vec<Bot>, usize) {
    ui.phase("bots", args.bots as u64);
    let wrong_passwords = AtomicUsize::new(0);
    let homes = atlas.homes(args.seed, args.bots);
    let mut entered: Vec<_> = stream::iter(homes.into_iter().enumerate())
        .map(|(i, city)| {
            let (handle, name) = (handle(&args.prefix, i + 1), display_name(i + 1));
            let wrong_passwords = &wrong_passwords;
            async move {
                let entered = if wrong_passwords.load(Relaxed) >= WRONG_PASSWORDS_TOLERATED {
                    Err(Failure::Failed(format!(
                        "not tried: {WRONG_PASSWORDS_TOLERATED} bots' handles belong to players \
                         with another password (try another --prefix)"
                    )))
                } else {
                    Bot::enter(http, &handle, &name, city.id).await
                };
                if let Err(Failure::Refused(AppError::WrongCredentials)) = &entered {
                    wrong_passwords.fetch_add(1, Relaxed);
                }
                ui.advance();
                (i, handle, entered)
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    entered.sort_by_key(|(i, _, _)| *i);
    let mut bots = Vec::with_capacity(entered.len());
    let mut signed_up = 0;
    for (_, handle, entered) in entered {
        match entered {
            Ok((bot, entry)) => {
                signed_up += usize::from(entry == Entry::SignedUp);
                bots.push(bot);
            }
            Err(failure) => {
                // A bot that cannot come in is an error whatever the reason: the run is short
                // of it.
                stats.errors.fetch_add(1, Relaxed);
                ui.error(format!("{handle}: {failure}"));
            }
        }
    }
    (bots, signed_up)
}

/// Reads every bot's game (choosing its tasks, now that every bot has a home); returns the
/// event id each bot's stream resumes after.
async fn games(world: &Arc<World>) -> Vec<Option<i64>> {
    world.ui.phase("games", world.seats.len() as u64);
    let mut cursors: Vec<(usize, Option<i64>)> = stream::iter(0..world.seats.len())
        .map(|seat| async move {
            let cursor = world.fetch_game(seat).await;
            world.ui.advance();
            (seat, cursor)
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    cursors.sort_by_key(|(seat, _)| *seat);
    cursors.into_iter().map(|(_, cursor)| cursor).collect()
}

/// Opens every bot's stream, in waves, and starts reading each.
async fn open_streams(
    world: &Arc<World>,
    cursors: Vec<Option<i64>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    world.ui.phase("streams", world.seats.len() as u64);
    let mut listeners = Vec::with_capacity(world.seats.len());
    let seats: Vec<(usize, Option<i64>)> = cursors.into_iter().enumerate().collect();
    for (wave, chunk) in seats.chunks(STREAM_WAVE).enumerate() {
        if wave > 0 {
            tokio::time::sleep(WAVE_PAUSE).await;
        }
        let opened = futures::future::join_all(chunk.iter().map(|&(seat, after)| async move {
            (
                seat,
                after,
                world.seats[seat].bot.events(&world.http, after).await,
            )
        }))
        .await;
        for (seat, after, stream) in opened {
            world.ui.advance();
            match stream {
                Ok(stream) => {
                    world.seats[seat].listening.store(true, Relaxed);
                    listeners.push(tokio::spawn(play::listen(
                        world.clone(),
                        seat,
                        stream,
                        after,
                    )));
                }
                Err(failure) => {
                    world.error(format!(
                        "{}: opening /events: {failure}",
                        world.seats[seat].bot.handle
                    ));
                }
            }
        }
    }
    listeners
}

/// Ctrl-C stops sending (the run then drains, signs out and reports); a second one exits at
/// once. Until this is called, Ctrl-C ends the process as usual.
fn interrupt() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if tx.send_replace(true) {
                eprintln!("meridian simulate: interrupted twice, leaving at once");
                std::process::exit(130);
            }
        }
    });
    rx
}

/// The measured part of the run: sends for `--seconds` with the progress bar, then waits for
/// the deliveries still on their way. Returns how long it sent for.
async fn send_and_measure(
    world: &Arc<World>,
    args: &Args,
    stop: &mut watch::Receiver<bool>,
) -> Duration {
    let planned = (args.rate * args.seconds).round() as u64;
    world.ui.phase("chat", planned);
    let ticker = {
        let world = world.clone();
        tokio::spawn(async move {
            loop {
                let s = &world.stats;
                let p50 = s
                    .delivery_p50()
                    .map_or(String::new(), |ms| format!(" · p50 {ms:.1} ms"));
                world.ui.set(
                    Stats::get(&s.sent),
                    format!(
                        "sent · {} ok · {} refused · {} errors · {} delivered{p50} · {} tasks",
                        Stats::get(&s.accepted),
                        s.refused_total(),
                        Stats::get(&s.errors),
                        Stats::get(&s.delivered),
                        Stats::get(&s.tasks_completed),
                    ),
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let duration = Duration::from_secs_f64(args.seconds);
    let sent_for = play::chat(world, args.rate, Some(duration), stop).await;
    let drained = tokio::time::Instant::now() + DRAIN;
    while world.undelivered() > 0 && tokio::time::Instant::now() < drained && !*stop.borrow() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ticker.abort();
    sent_for
}

/// Signs every bot out (their streams end with their sessions); returns how many did.
async fn sign_out(world: &Arc<World>) -> usize {
    world.leave();
    world.ui.phase("leaving", world.seats.len() as u64);
    stream::iter(0..world.seats.len())
        .map(|seat| async move {
            let out = world.seats[seat].bot.sign_out(&world.http).await;
            world.ui.advance();
            match out {
                Ok(()) => true,
                Err(failure) => {
                    world.error(format!(
                        "{}: signing out: {failure}",
                        world.seats[seat].bot.handle
                    ));
                    false
                }
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY * 2)
        .filter(|out| futures::future::ready(*out))
        .count()
        .await
}
