//! The game on the page: the round's countdown (in the header, for everyone) and my tasks with
//! my points (on the map page), kept live by the feed. The countdown runs on the server's clock:
//! the page counts on from the server's time in its answer, whatever the browser's clock says.

mod profile;

use leptos::prelude::*;

pub use profile::ProfileGameSection;

use super::{
    clock::{now_ms, use_ticking_clock},
    form::Failed,
    live::{use_live, use_snapshot},
    loaded::Snapshot,
};
use crate::{
    api::game::load_game,
    model::{
        game::{countdown, TASKS_PER_ROUND},
        GameView, Live, RoundClock, Task, Tasks,
    },
};

/// How long after a round's end a page without a live stream waits for the next round's
/// announcement before asking for it.
const ASK_AFTER_END_MS: u64 = 2000;
/// How long "Task complete" stays up.
const TOAST_SECS: u64 = 6;

/// "Round ends in 12:05", for the header. `refetch` asks for the header's answer again once the
/// round is over and no announcement of the next has come.
#[component]
pub fn Countdown(clock: RoundClock, refetch: RwSignal<u64>) -> impl IntoView {
    let live = use_live();
    let received = now_ms();
    let now = use_ticking_clock();
    let round = RwSignal::new(clock.round.clone());
    let server_now = clock.server_now;

    // A new round moves the countdown on without a reload.
    let seen = StoredValue::new(live.head());
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::RoundStarted(next) = message {
                if next.id > round.with_untracked(|r| r.id) {
                    round.set(next.clone());
                }
            }
        });
        seen.set_value(last);
    });
    let left = Memo::new(move |_| {
        RoundClock {
            round: round.get(),
            server_now,
        }
        .seconds_left(received, now.get())
    });
    // Without a stream (signed out) no announcement comes: ask once the round is over.
    Effect::new(move || {
        if left.get() == 0 {
            let ended = round.get_untracked().id;
            set_timeout(
                move || {
                    if round.get_untracked().id == ended {
                        refetch.update(|n| *n += 1);
                    }
                },
                std::time::Duration::from_millis(ASK_AFTER_END_MS),
            );
        }
    });
    view! {
        <span class="round-countdown" title="Time left in this round">
            <span class="round-label">"Round ends in "</span>
            <strong data-testid="round-countdown" role="timer">
                {move || countdown(left.get())}
            </strong>
            <span class="round-left" aria-hidden="true">" left"</span>
        </span>
    }
}

/// My tasks for this round and my points, beneath the map. `on_task` runs when a task is
/// picked (the map flies there).
#[component]
pub fn GamePanel(me: i64, on_task: Callback<Task>) -> impl IntoView {
    let refetch = RwSignal::new(0u64);
    // Above the suspense that shows it.
    let game: Snapshot<GameView> = use_snapshot(move || refetch.get(), |_| load_game());
    view! {
        <section class="game-panel card" aria-labelledby="tasks-heading">
            <Transition fallback=|| view! { <p class="notice">"Loading your tasks…"</p> }>
                {move || Suspend::new(async move {
                    match game.await {
                        (head, Ok(data)) => {
                            view! { <TaskBoard data head me refetch on_task /> }.into_any()
                        }
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TaskBoard(
    data: GameView,
    head: u64,
    me: i64,
    refetch: RwSignal<u64>,
    on_task: Callback<Task>,
) -> impl IntoView {
    let live = use_live();
    let round_id = data.clock.round.id;
    let tasks = RwSignal::new(data.tasks);
    let points = RwSignal::new(data.points);
    let cursor = data.cursor;
    Effect::new(move || live.connect(cursor));

    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| match message {
            Live::RoundStarted(next) if next.id > round_id => refetch.update(|n| *n += 1),
            Live::TasksAssigned(assigned) if assigned.round_id == round_id => {
                tasks.set(Tasks::Assigned(assigned.tasks.clone()));
            }
            Live::TaskCompleted(done) if done.round_id == round_id => {
                tasks.update(|tasks| complete(tasks, done));
            }
            Live::PointsAwarded(award) if award.player_id == me => points.set(award.total),
            _ => {}
        });
        seen.set_value(last);
    });

    view! {
        <div class="game-head">
            <h2 id="tasks-heading">"This round's tasks"</h2>
            <p class="my-points" data-testid="my-points">
                {move || format!("{} points", points.get())}
            </p>
        </div>
        {move || match tasks.get() {
            Tasks::NoHome => {
                view! {
                    <p class="notice">
                        <a href="/home">"Set your home"</a>
                        " to get tasks: they send you to players far from it."
                    </p>
                }
                    .into_any()
            }
            Tasks::Assigned(list) => view! { <TaskList list round_id on_task /> }.into_any(),
        }}
    }
}

/// Puts the completed `done` in place of its open self in the list.
fn complete(tasks: &mut Tasks, done: &Task) {
    if let Tasks::Assigned(list) = tasks {
        if let Some(task) = list.iter_mut().find(|t| t.id == done.id) {
            *task = done.clone();
        }
    }
}

/// "Task complete, +10" for a few seconds, on whatever page the player is when a message of
/// theirs completes a task.
#[component]
pub fn TaskToast() -> impl IntoView {
    let live = use_live();
    let toast = RwSignal::new(None::<String>);
    let shown = StoredValue::new(0u64);
    let seen = StoredValue::new(live.head());
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::TaskCompleted(done) = message {
                let seq = shown.get_value() + 1;
                shown.set_value(seq);
                toast.set(Some(format!(
                    "Task complete, +{}: you talked to someone from {}",
                    done.points,
                    done.place()
                )));
                set_timeout(
                    move || {
                        if shown.get_value() == seq {
                            toast.set(None);
                        }
                    },
                    std::time::Duration::from_secs(TOAST_SECS),
                );
            }
        });
        seen.set_value(last);
    });
    view! {
        <div class="toast-line" role="status" aria-live="polite">
            {move || toast.get().map(|text| view! { <p class="toast">{text}</p> })}
        </div>
    }
}

#[component]
fn TaskList(list: Vec<Task>, round_id: i64, on_task: Callback<Task>) -> impl IntoView {
    let why = match list.len() {
        0 => Some(
            "No tasks this round: no player lives outside your region yet. Invite someone from far away!"
                .to_owned(),
        ),
        n if n < TASKS_PER_ROUND => Some(format!(
            "Only {n} other region{} {} players yet, so you have {n} task{} this round.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "has" } else { "have" },
            if n == 1 { "" } else { "s" },
        )),
        _ => None,
    };
    view! {
        {why.map(|why| view! { <p class="notice">{why}</p> })}
        <ul class="tasks" aria-label="Tasks" data-round=round_id>
            {list
                .into_iter()
                .map(|task| {
                    let done = task.completed_at.is_some();
                    let level = task.level.as_str();
                    let label = format!("Talk to someone from {}", task.place());
                    let points = if done {
                        format!("Done, +{}", task.points)
                    } else {
                        format!("+{}", task.points)
                    };
                    let picked = task.clone();
                    view! {
                        <li class="task" data-level=level data-done=done.to_string()>
                            <button
                                type="button"
                                class="task-pick"
                                title=format!("{:.0} km away; players from there: {}", task.km, task.region_players)
                                on:click=move |_| on_task.run(picked.clone())
                            >
                                <span class="task-label">{label}</span>
                                <span class="task-level">{level}</span>
                                <span class="task-points">{points}</span>
                            </button>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
