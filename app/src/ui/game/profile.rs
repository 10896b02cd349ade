//! The game on a player's profile: points, rank, tasks completed, a chart of points per day
//! over the last 30 days (SVG drawn on the server, so it reads without JavaScript) and the
//! latest completed tasks; live while open.

use leptos::prelude::*;

use crate::{
    model::{DayPoints, Live, ProfileGame},
    ui::{
        chart::{Bar, BarChart},
        live::use_live,
        time::{time_of_day, written, DateStyle},
    },
};

#[component]
pub fn ProfileGameSection(
    player_id: i64,
    game: ProfileGame,
    cursor: i64,
    head: u64,
) -> impl IntoView {
    let live = use_live();
    let game = RwSignal::new(game);
    Effect::new(move || live.connect(cursor));
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::PointsAwarded(award) = message {
                if award.player_id == player_id {
                    game.update(|g| g.apply(award));
                }
            }
        });
        seen.set_value(last);
    });
    let stat = move |label: &'static str, value: Signal<String>| {
        view! {
            <div>
                <dt>{label}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    view! {
        <dl class="stats game-stats">
            {stat("Points", Signal::derive(move || game.read().points.to_string()))}
            {stat("Points, 7 days", Signal::derive(move || game.read().points_week.to_string()))}
            {stat(
                "Rank",
                Signal::derive(move || {
                    game.read().rank.map_or_else(|| "–".to_owned(), |r| format!("#{r}"))
                }),
            )}
            {stat("Tasks completed", Signal::derive(move || game.read().tasks_completed.to_string()))}
        </dl>
        <h2>"Points per day"</h2>
        {move || view! { <PointsChart days=game.read().daily.clone() /> }}
        <h2>"Latest tasks"</h2>
        {move || {
            let latest = game.read().latest.clone();
            if latest.is_empty() {
                return view! { <p class="notice">"No task completed yet."</p> }.into_any();
            }
            view! {
                <ul class="latest-tasks">
                    {latest
                        .into_iter()
                        .map(|t| {
                            let when = t.completed_at.map(|at| at.to_rfc3339()).unwrap_or_default();
                            let day = t
                                .completed_at
                                .map(|at| {
                                    let at = at.naive_utc();
                                    format!(
                                        "{}, {} UTC",
                                        written(at.date(), DateStyle::Short),
                                        time_of_day(at)
                                    )
                                })
                                .unwrap_or_default();
                            view! {
                                <li>
                                    {format!("Talked to someone from {} ", t.place())}
                                    <strong>{format!("+{}", t.points)}</strong>
                                    " "
                                    <time datetime=when>{day}</time>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
    }
}

/// Thirty bars, today's last, each saying its day and points.
#[component]
fn PointsChart(days: Vec<DayPoints>) -> impl IntoView {
    let first = days
        .first()
        .map(|d| written(d.day, DateStyle::Short))
        .unwrap_or_default();
    let what = format!("Points per day over the last {} days", days.len());
    let bars = days
        .iter()
        .map(|d| Bar {
            label: written(d.day, DateStyle::Short),
            value: d.points,
        })
        .collect();
    view! { <BarChart bars unit="points" what first last="Today".to_string() /> }
}
