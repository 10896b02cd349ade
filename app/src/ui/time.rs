//! Times as the player lives them: in the browser's time zone. The server knows no zone, so
//! it renders UTC inside `<time datetime>`; the page renders the same text while it hydrates
//! (so nothing mismatches) and then switches to local time. Lists say "Yesterday" or a date
//! for anything before today; a conversation puts a day above each day's first message.
//!
//! Dates and times are written by hand ([`written`], [`time_of_day`]) rather than with
//! chrono's `format`, whose pattern parser and formatter would otherwise sit in the browser's
//! first module (docs/DESIGN.md, "What a first visit downloads").

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
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

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// How [`written`] writes a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateStyle {
    /// "24 Nov"
    Short,
    /// "24 Nov 2025"
    ShortYear,
    /// "Tuesday 24 November"
    Weekday,
    /// "24 November 2025"
    LongYear,
}

/// `day` in words, as `style` says.
pub fn written(day: NaiveDate, style: DateStyle) -> String {
    let month = MONTHS[day.month0() as usize];
    let short = &month[..3];
    let d = day.day();
    match style {
        DateStyle::Short => format!("{d} {short}"),
        DateStyle::ShortYear => format!("{d} {short} {}", day.year()),
        DateStyle::Weekday => {
            let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
            format!("{weekday} {d} {month}")
        }
        DateStyle::LongYear => format!("{d} {month} {}", day.year()),
    }
}

/// "09:05"
pub fn time_of_day(at: NaiveDateTime) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// "Today", "Yesterday", "Tuesday 1 December", or with the year when it is not this one.
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    if day == today {
        "Today".into()
    } else if Some(day) == today.pred_opt() {
        "Yesterday".into()
    } else if day.year() == today.year() {
        written(day, DateStyle::Weekday)
    } else {
        written(day, DateStyle::LongYear)
    }
}

/// For a list: the time today, "Yesterday", or the date.
pub fn stamp(at: NaiveDateTime, today: NaiveDate) -> String {
    let day = at.date();
    if day == today {
        time_of_day(at)
    } else if Some(day) == today.pred_opt() {
        "Yesterday".into()
    } else if day.year() == today.year() {
        written(day, DateStyle::Short)
    } else {
        written(day, DateStyle::ShortYear)
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
            {move || time_of_day(wall(at, local.get()))}
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

    /// What chrono's `format` wrote for the same patterns, for every month and weekday.
    #[test]
    fn written_by_hand_as_chrono_writes_it() {
        let patterns = [
            (DateStyle::Short, "%-d %b"),
            (DateStyle::ShortYear, "%-d %b %Y"),
            (DateStyle::Weekday, "%A %-d %B"),
            (DateStyle::LongYear, "%-d %B %Y"),
        ];
        for day in d(2025, 12, 25).iter_days().take(400) {
            for (style, pattern) in patterns {
                assert_eq!(written(day, style), day.format(pattern).to_string());
            }
        }
        for minutes in [0, 5, 59, 60, 61, 599, 600, 1439] {
            let at = d(2026, 1, 1)
                .and_hms_opt(minutes / 60, minutes % 60, 7)
                .unwrap();
            assert_eq!(time_of_day(at), at.format("%H:%M").to_string());
        }
    }
}
