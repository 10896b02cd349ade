//! The game on a player's profile: points, rank, tasks completed, a chart of points per day
//! over the last 30 days (SVG drawn on the server, so it reads without JavaScript) and the
//! latest completed tasks; live while open.

use leptos::prelude::*;

use crate::{
    model::{DayPoints, Live, ProfileGame},
    ui::live::use_live,
};

const CHART_W: f64 = 300.0;
const CHART_H: f64 = 80.0;

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
                                .map(|at| at.format("%-d %b, %H:%M UTC").to_string())
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

/// Thirty bars, today's last, scaled to the best day; each bar says its day and points.
#[component]
fn PointsChart(days: Vec<DayPoints>) -> impl IntoView {
    let best = days.iter().map(|d| d.points).max().unwrap_or(0).max(1) as f64;
    let total: i64 = days.iter().map(|d| d.points).sum();
    let slot = CHART_W / days.len().max(1) as f64;
    let label = format!(
        "Points per day over the last {} days: {total} in all, {} on the best day",
        days.len(),
        best as i64
    );
    view! {
        <svg
            class="points-chart"
            viewBox=format!("0 0 {CHART_W} {}", CHART_H + 14.0)
            role="img"
            aria-label=label
        >
            <line x1="0" y1=CHART_H x2=CHART_W y2=CHART_H class="axis" />
            {days
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let h = (d.points as f64 / best * (CHART_H - 4.0)).max(if d.points > 0 { 2.0 } else { 0.0 });
                    view! {
                        <rect
                            x=format!("{:.1}", i as f64 * slot + 1.0)
                            y=format!("{:.1}", CHART_H - h)
                            width=format!("{:.1}", slot - 2.0)
                            height=format!("{h:.1}")
                            data-points=d.points
                        >
                            <title>{format!("{}: {} points", d.day.format("%-d %b"), d.points)}</title>
                        </rect>
                    }
                })
                .collect_view()}
            {days.first().map(|d| view! { <text x="0" y=CHART_H + 12.0>{d.day.format("%-d %b").to_string()}</text> })}
            {(!days.is_empty())
                .then(|| {
                    view! {
                        <text x=CHART_W y=CHART_H + 12.0 text-anchor="end">
                            "Today"
                        </text>
                    }
                })}
        </svg>
    }
}
