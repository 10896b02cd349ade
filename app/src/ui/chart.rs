//! A bar chart drawn as SVG on the server, so it reads without JavaScript: one bar per
//! period, scaled to the largest, each with its label and value as a tooltip, the first and
//! last periods named under the axis. Used by profiles and the dashboard.

use leptos::prelude::*;

const CHART_W: f64 = 300.0;
const CHART_H: f64 = 80.0;

/// One bar: what its tooltip calls it, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// `bars` oldest first; `unit` names the values ("points"); `what` says what is counted per
/// what, for screen readers ("Points per day over the last 30 days"); `first` and `last`
/// name the ends of the axis.
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    unit: &'static str,
    what: String,
    first: String,
    last: String,
) -> impl IntoView {
    let best = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let total: i64 = bars.iter().map(|b| b.value).sum();
    let slot = CHART_W / bars.len().max(1) as f64;
    let summary = format!("{what}: {total} {unit} in all, {} at the most", best as i64);
    view! {
        <svg
            class="bar-chart"
            viewBox=format!("0 0 {CHART_W} {}", CHART_H + 14.0)
            role="img"
            aria-label=summary
        >
            <line x1="0" y1=CHART_H x2=CHART_W y2=CHART_H class="axis" />
            {bars
                .into_iter()
                .enumerate()
                .map(|(i, bar)| {
                    let h = (bar.value as f64 / best * (CHART_H - 4.0))
                        .max(if bar.value > 0 { 2.0 } else { 0.0 });
                    view! {
                        <rect
                            x=format!("{:.1}", i as f64 * slot + 1.0)
                            y=format!("{:.1}", CHART_H - h)
                            width=format!("{:.1}", (slot - 2.0).max(0.5))
                            height=format!("{h:.1}")
                            data-value=bar.value
                        >
                            <title>{format!("{}: {} {unit}", bar.label, bar.value)}</title>
                        </rect>
                    }
                })
                .collect_view()}
            <text x="0" y=CHART_H + 12.0>{first}</text>
            <text x=CHART_W y=CHART_H + 12.0 text-anchor="end">{last}</text>
        </svg>
    }
}
