//! Days and instants read from the wire by hand, in the forms chrono writes them
//! (`2026-12-07`, `2026-12-07T14:43:35.123456Z`). chrono's own readers go through its general
//! pattern parser (RFC 2822 and all), which the browser would otherwise carry for these alone
//! (docs/DESIGN.md, "What a first visit downloads"). Writing is chrono's, unchanged.
//!
//! Fields opt in with `#[serde(deserialize_with = "…")]`: [`day`], [`instant`],
//! [`instant_opt`], and [`dated`] for a list of (day or instant, value).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{
    de::{Error, Unexpected, Visitor},
    Deserialize, Deserializer,
};

/// A day or an instant as it is read: one visitor for both, told apart by `WHAT`.
struct Read<T>(T);

trait Wire: Sized {
    const WHAT: &'static str;
    fn parse(text: &str) -> Option<Self>;
}

impl Wire for NaiveDate {
    const WHAT: &'static str = "a day as YYYY-MM-DD";

    fn parse(text: &str) -> Option<Self> {
        let (year, rest) = text.split_once('-')?;
        let (month, day) = rest.split_once('-')?;
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        NaiveDate::from_ymd_opt(number(year)? as i32, number(month)?, number(day)?)
    }
}

impl Wire for DateTime<Utc> {
    const WHAT: &'static str = "an instant as YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM)";

    fn parse(text: &str) -> Option<Self> {
        let (day, time) = text.split_once('T')?;
        let day = NaiveDate::parse(day)?;
        // HH:MM:SS, then an optional fraction, then the offset.
        let clock = time.get(..8)?;
        let (hour, minutes_seconds) = clock.split_once(':')?;
        let (minute, second) = minutes_seconds.split_once(':')?;
        if hour.len() != 2 || minute.len() != 2 {
            return None;
        }
        let mut rest = &time[8..];
        let mut nanos = 0;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            nanos = number(&after_dot[..digits])? * 10u32.pow(9 - digits as u32);
            rest = &after_dot[digits..];
        }
        let offset_minutes = match rest {
            "Z" => 0,
            _ => {
                let sign = match rest.get(..1)? {
                    "+" => 1,
                    "-" => -1,
                    _ => return None,
                };
                let (hours, minutes) = rest[1..].split_once(':')?;
                if hours.len() != 2 || minutes.len() != 2 {
                    return None;
                }
                sign * (number(hours)? * 60 + number(minutes)?) as i64
            }
        };
        let local = day.and_hms_nano_opt(number(hour)?, number(minute)?, number(second)?, nanos)?;
        let utc = local.checked_sub_signed(TimeDelta::minutes(offset_minutes))?;
        Some(utc.and_utc())
    }
}

/// Digits only (no sign, no spaces), as a number.
fn number(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl<'de, T: Wire> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ReadVisitor(std::marker::PhantomData))
    }
}

struct ReadVisitor<T>(std::marker::PhantomData<T>);

impl<T: Wire> Visitor<'_> for ReadVisitor<T> {
    type Value = Read<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(T::WHAT)
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<Read<T>, E> {
        T::parse(text)
            .map(Read)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(text), &self))
    }
}

/// For a `NaiveDate` field.
pub fn day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    Read::deserialize(deserializer).map(|read| read.0)
}

/// For a `DateTime<Utc>` field.
pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    Read::deserialize(deserializer).map(|read| read.0)
}

/// For an `Option<DateTime<Utc>>` field (`null` is none).
pub fn instant_opt<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<Read<_>>::deserialize(deserializer).map(|read| read.map(|read| read.0))
}

/// For a list of (day or instant, value): `Vec<(NaiveDate, T)>` or `Vec<(DateTime<Utc>, T)>`.
#[allow(private_bounds)]
pub fn dated<'de, D, K, T>(deserializer: D) -> Result<Vec<(K, T)>, D::Error>
where
    D: Deserializer<'de>,
    K: Wire,
    T: Deserialize<'de>,
{
    let list = Vec::<(Read<K>, T)>::deserialize(deserializer)?;
    Ok(list
        .into_iter()
        .map(|(key, value)| (key.0, value))
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, SecondsFormat, TimeZone};

    use super::*;

    fn read<T: Wire>(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str::<Read<T>>(&serde_json::to_string(text).unwrap()).map(|r| r.0)
    }

    #[test]
    fn reads_every_day_chrono_writes() {
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 1).unwrap();
        for _ in 0..12_000 {
            let text = serde_json::to_string(&day).unwrap();
            let read: Read<NaiveDate> = serde_json::from_str(&text).unwrap();
            assert_eq!(read.0, day, "{text}");
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn reads_instants_as_chrono_writes_and_reads_them() {
        // Every fraction length chrono writes (none, 3, 6, 9 digits), over years of seconds.
        let mut at = Utc.with_ymd_and_hms(2019, 2, 27, 23, 59, 58).unwrap();
        for step in 0..20_000_i64 {
            at += TimeDelta::seconds(3_607 * 11)
                + TimeDelta::nanoseconds(step * 7_919_773 % 1_000_000_000);
            let text = serde_json::to_string(&at).unwrap();
            let read: Read<DateTime<Utc>> = serde_json::from_str(&text).unwrap();
            assert_eq!(read.0, at, "{text}");
        }
        for format in [
            SecondsFormat::Secs,
            SecondsFormat::Millis,
            SecondsFormat::Micros,
        ] {
            let text = at.to_rfc3339_opts(format, true);
            assert_eq!(
                read::<DateTime<Utc>>(&text).unwrap(),
                chrono_reads(&text),
                "{text}"
            );
        }
        // As Postgres writes them into events' payloads (`to_jsonb(timestamptz)`).
        for text in [
            "2026-12-07T15:07:21.932471+00:00",
            "2026-12-07T14:43:35.5+00:00",
            "2026-12-07T14:43:35+00:00",
            "2026-12-07T20:37:21.967288+05:30",
        ] {
            assert_eq!(
                read::<DateTime<Utc>>(text).unwrap(),
                chrono_reads(text),
                "{text}"
            );
        }
        // Offsets other than Z, as chrono reads them.
        for offset_minutes in [-720, -330, -1, 1, 60, 345, 840] {
            let zone = FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let text = at.with_timezone(&zone).to_rfc3339();
            assert_eq!(read::<DateTime<Utc>>(&text).unwrap(), at, "{text}");
            assert_eq!(chrono_reads(&text), at, "{text}");
        }
    }

    fn chrono_reads(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn refuses_what_is_not_a_day_or_an_instant() {
        for text in [
            "",
            "2026",
            "2026-12",
            "2026-13-01",
            "2026-02-30",
            "2026-1-01",
            "26-12-07",
            "2026-12-07T00:00:00",
            "2026-12-7",
            "2026/12/07",
            "+2026-12-07",
            "2026-+1-07",
        ] {
            let error = read::<NaiveDate>(text).expect_err(text);
            assert!(
                error.to_string().contains("YYYY-MM-DD"),
                "{text:?}: {error}"
            );
        }
        for text in [
            "2026-12-07",
            "2026-12-07T14:43:35",
            "2026-12-07T14:43Z",
            "2026-12-07 14:43:35Z",
            "2026-12-07T24:00:00Z",
            "2026-12-07T14:60:00Z",
            "2026-12-07T14:43:35.Z",
            "2026-12-07T14:43:35.1234567890Z",
            "2026-12-07T14:43:35+0100",
            "2026-12-07T14:43:35+1:00",
            "2026-12-07T14:43:35 Z",
            "2026-12-07T14:43:35ZZ",
            "2026-12-07T1:43:35Z",
            "2026-12-07T+1:43:35Z",
            "2026-12-07T14:43:35.+1Z",
            "2026-12-07T14:43:35+01:-1",
        ] {
            let error = read::<DateTime<Utc>>(text).expect_err(text);
            assert!(
                error.to_string().contains("an instant as"),
                "{text:?}: {error}"
            );
        }
        assert!(serde_json::from_str::<Read<NaiveDate>>("20261207").is_err());
    }
}
