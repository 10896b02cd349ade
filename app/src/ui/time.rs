//! Times as the player lives them: in the browser's time zone. The server knows no zone, so
//! it renders UTC inside `<time datetime>`; the page renders the same text while it hydrates
//! (so nothing mismatches) and then switches to local time. Lists say "Yesterday" or a date
//! for anything before today; a conversation puts a day above each day's first message.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod imp {
    use chrono::{DateTime, Utc};

    /// Minutes to add to UTC for local time at `at` (the offset of that date: summer time).
    pub fn offset_minutes(at_ms: f64) -> i64 {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms));
        -(date.get_timezone_offset() as i64)
    }

    /// The browser's clock.
    pub fn now() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(crate::ui::clock::now_ms() as i64).unwrap_or_else(Utc::now)
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use chrono::{DateTime, Utc};

    pub fn offset_minutes(_at_ms: f64) -> i64 {
        0
    }

    /// The server's clock (it renders before any browser's).
    pub fn now() -> DateTime<Utc> {
        Utc::now()
    }
}

/// `at` on the wall clock: local once `local`, UTC before.
fn wall(at: DateTime<Utc>, local: bool) -> NaiveDateTime {
    let offset = if local {
        imp::offset_minutes(at.timestamp_millis() as f64)
    } else {
        0
    };
    (at + Duration::minutes(offset)).naive_utc()
}

/// Today on the wall clock.
fn today(local: bool) -> NaiveDate {
    wall(imp::now(), local).date()
}

/// "Today", "Yesterday", "Tuesday 1 December", or with the year when it is not this one.
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    if day == today {
        "Today".into()
    } else if Some(day) == today.pred_opt() {
        "Yesterday".into()
    } else if day.year() == today.year() {
        day.format("%A %-d %B").to_string()
    } else {
        day.format("%-d %B %Y").to_string()
    }
}

/// For a list: the time today, "Yesterday", or the date.
pub fn stamp(at: NaiveDateTime, today: NaiveDate) -> String {
    let day = at.date();
    if day == today {
        at.format("%H:%M").to_string()
    } else if Some(day) == today.pred_opt() {
        "Yesterday".into()
    } else if day.year() == today.year() {
        day.format("%-d %b").to_string()
    } else {
        day.format("%-d %b %Y").to_string()
    }
}

/// True once the page has hydrated: from then on, times are local.
pub fn use_local() -> ReadSignal<bool> {
    let (local, set_local) = signal(false);
    Effect::new(move || set_local.set(true));
    local
}

/// A message's time of day.
#[component]
pub fn ClockTime(at: DateTime<Utc>) -> impl IntoView {
    let local = use_local();
    view! {
        <time datetime=at.to_rfc3339()>
            {move || wall(at, local.get()).format("%H:%M").to_string()}
        </time>
    }
    .into_any()
}

/// A list's time: today's time of day, "Yesterday", or the date.
#[component]
pub fn StampTime(at: DateTime<Utc>) -> impl IntoView {
    let local = use_local();
    view! {
        <time datetime=at.to_rfc3339()>
            {move || {
                let local = local.get();
                stamp(wall(at, local), today(local))
            }}
        </time>
    }
    .into_any()
}

/// The day of `at`, local once hydrated, and its label.
pub fn day_of(at: DateTime<Utc>, local: bool) -> (NaiveDate, String) {
    let day = wall(at, local).date();
    (day, day_label(day, today(local)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn lists_say_the_time_today_then_yesterday_then_the_date() {
        let today = d(2026, 12, 1);
        let at = |day: NaiveDate| day.and_hms_opt(9, 5, 0).unwrap();
        assert_eq!(stamp(at(today), today), "09:05");
        assert_eq!(stamp(at(d(2026, 11, 30)), today), "Yesterday");
        assert_eq!(stamp(at(d(2026, 11, 29)), today), "29 Nov");
        assert_eq!(stamp(at(d(2025, 12, 31)), today), "31 Dec 2025");
        assert_eq!(day_label(today, today), "Today");
        assert_eq!(day_label(d(2026, 11, 30), today), "Yesterday");
        assert_eq!(day_label(d(2026, 11, 24), today), "Tuesday 24 November");
        assert_eq!(day_label(d(2025, 1, 2), today), "2 January 2025");
    }
}
