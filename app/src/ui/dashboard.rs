//! `/dashboard`: the world right now, for anyone (no account needed). The numbers come from
//! the projector's aggregates; the page starts from them and takes each `dashboard` event the
//! projector announces, so it stays live. Charts are SVG drawn on the server, readable with
//! JavaScript off.

use leptos::prelude::*;

use super::{
    chart::{Bar, BarChart},
    form::Failed,
    live::{use_live, use_snapshot},
    loaded::Snapshot,
    page::PageTitle,
    session::use_session,
};
use crate::{
    api::dashboard::load_dashboard,
    model::{Dashboard, Live},
};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    let dashboard: Snapshot<Dashboard> = use_snapshot(|| (), |_| load_dashboard());
    view! {
        <PageTitle text="Dashboard · Meridian" />
        <section class="dashboard" aria-labelledby="dashboard-heading">
            <h1 id="dashboard-heading">"Meridian right now"</h1>
            <Suspense fallback=|| view! { <p class="notice">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let signed_in = session.me.await.ok().flatten().is_some();
                    match dashboard.await {
                        (head, Ok(initial)) => {
                            view! { <DashboardView initial head signed_in /> }.into_any()
                        }
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DashboardView(initial: Dashboard, head: u64, signed_in: bool) -> impl IntoView {
    let live = use_live();
    let cursor = initial.cursor;
    let current = RwSignal::new(initial);
    Effect::new(move || {
        if signed_in {
            live.connect(cursor);
        } else {
            live.connect_public(cursor);
        }
    });
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::Dashboard(next) = message {
                // Never back: an older announcement replayed after a newer one changes nothing.
                if next.through_event >= current.with_untracked(|d| d.through_event) {
                    current.set((**next).clone());
                }
            }
        });
        seen.set_value(last);
    });
    let stat = move |label: &'static str, value: fn(&Dashboard) -> i64, name: &'static str| {
        view! {
            <div class="stat" data-stat=name>
                <span class="stat-value">{move || current.with(value)}</span>
                <span class="stat-label">{label}</span>
            </div>
        }
    };
    view! {
        <div class="stats" aria-label="Today so far (UTC)">
            {stat("messages this hour", |d| d.messages_this_hour, "messages_this_hour")}
            {stat("messages today", |d| d.today_messages, "today_messages")}
            {stat("players active today", |d| d.today_players, "today_players")}
            {stat("tasks completed today", |d| d.today_tasks, "today_tasks")}
            {stat("points won today", |d| d.today_points, "today_points")}
        </div>
        <div class="dash-grid">
            <section class="card" aria-labelledby="top-heading">
                <h2 id="top-heading">"Top players of all time"</h2>
                {move || current.with(|d| top_players(d).into_any())}
            </section>
            <section class="card" aria-labelledby="countries-heading">
                <h2 id="countries-heading">"Most active countries today"</h2>
                {move || current.with(|d| countries(d).into_any())}
            </section>
            <section class="card" aria-labelledby="hourly-heading">
                <h2 id="hourly-heading">"Messages per hour, last 24 hours"</h2>
                {move || current.with(|d| hourly(d).into_any())}
            </section>
            <section class="card" aria-labelledby="daily-heading">
                <h2 id="daily-heading">"Messages per day, last 30 days"</h2>
                {move || current.with(|d| daily(d).into_any())}
            </section>
        </div>
        <p class="notice lag">{move || current.with(lag)}</p>
    }
}

fn top_players(d: &Dashboard) -> impl IntoView {
    if d.top.is_empty() {
        return view! { <p class="notice">"No points won yet."</p> }.into_any();
    }
    view! {
        <ol class="dash-top">
            {d
                .top
                .iter()
                .map(|p| {
                    let href = format!("/players/{}", p.handle);
                    let country = p.country_code.clone().unwrap_or_default();
                    view! {
                        <li>
                            <a href=href>{p.display_name.clone()}</a>
                            <span class="country">{country}</span>
                            <span class="points">{format!("{} pts", p.points)}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

fn countries(d: &Dashboard) -> impl IntoView {
    if d.countries.is_empty() {
        return view! { <p class="notice">"No one has played yet today."</p> }.into_any();
    }
    view! {
        <ol class="dash-countries">
            {d
                .countries
                .iter()
                .map(|c| {
                    let players = if c.players == 1 { "1 player".to_string() } else { format!("{} players", c.players) };
                    view! {
                        <li>
                            <span>{c.name.clone()}</span>
                            <span class="count">{players}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

fn hourly(d: &Dashboard) -> impl IntoView {
    let bars = d
        .hourly
        .iter()
        .map(|(hour, n)| Bar {
            label: hour.format("%H:00 UTC").to_string(),
            value: *n,
        })
        .collect();
    let first = d
        .hourly
        .first()
        .map(|(h, _)| h.format("%H:00").to_string())
        .unwrap_or_default();
    view! {
        <BarChart bars unit="messages" what="Messages per hour over the last 24 hours".to_string()
            first last="This hour".to_string() />
    }
}

fn daily(d: &Dashboard) -> impl IntoView {
    let bars = d
        .daily
        .iter()
        .map(|(day, n)| Bar {
            label: day.format("%-d %b").to_string(),
            value: *n,
        })
        .collect();
    let first = d
        .daily
        .first()
        .map(|(day, _)| day.format("%-d %b").to_string())
        .unwrap_or_default();
    view! {
        <BarChart bars unit="messages" what="Messages per day over the last 30 days".to_string()
            first last="Today".to_string() />
    }
}

/// What the numbers are current to: up to date, or how far the projector is behind.
fn lag(d: &Dashboard) -> String {
    if d.behind_events == 0 {
        "Up to date.".into()
    } else {
        format!(
            "Counting: {} event{} ({:.0} s) not in these numbers yet.",
            d.behind_events,
            if d.behind_events == 1 { "" } else { "s" },
            d.behind_secs
        )
    }
}
