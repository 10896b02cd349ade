//! The command line of `meridian simulate`: its flags, their defaults and checks, and the
//! bots' handles and display names.

use app::model::rules;

pub const USAGE: &str = "\
usage: meridian simulate [--url URL] [--bots N] [--rate MSGS_PER_SEC] [--seconds S] [--keep]
                         [--prefix PREFIX] [--seed N]

Bot players in real cities chat through a running server's HTTP interface; a summary follows.
  --url URL        the server (default http://127.0.0.1:3000)
  --bots N         bot players, handles PREFIX0001... (default 50)
  --rate R         messages a second in all, spread over the bots (default 10)
  --seconds S      how long to send (default 30)
  --keep           after the summary, stay online chatting about once a second until Ctrl-C
  --prefix PREFIX  the bots' handle prefix (default bot)
  --seed N         chooses the bots' cities: the same seed, the same cities (default 1)
Exit status 1 if any error (transport, 5xx, unexpected answer) occurred.";

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub url: String,
    pub bots: usize,
    pub rate: f64,
    pub seconds: f64,
    pub keep: bool,
    pub prefix: String,
    pub seed: u64,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:3000".into(),
            bots: 50,
            rate: 10.0,
            seconds: 30.0,
            keep: false,
            prefix: "bot".into(),
            seed: 1,
        }
    }
}

impl Args {
    /// Parses the arguments after `simulate`; `Ok(None)` asks for the usage.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Self>, String> {
        let mut parsed = Self::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                return Ok(None);
            }
            if flag == "--keep" {
                parsed.keep = true;
                continue;
            }
            if !matches!(
                flag.as_str(),
                "--url" | "--bots" | "--rate" | "--seconds" | "--prefix" | "--seed"
            ) {
                return Err(format!("unknown flag {flag}"));
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = |what: &str| format!("{flag} takes {what}, not {value:?}");
            match flag.as_str() {
                "--url" => parsed.url = value,
                "--bots" => parsed.bots = value.parse().map_err(|_| number("a count"))?,
                "--rate" => parsed.rate = value.parse().map_err(|_| number("a number"))?,
                "--seconds" => parsed.seconds = value.parse().map_err(|_| number("a number"))?,
                "--prefix" => parsed.prefix = value,
                _ => parsed.seed = value.parse().map_err(|_| number("a number"))?,
            }
        }
        parsed.check()?;
        Ok(Some(parsed))
    }

    fn check(&self) -> Result<(), String> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!("--url must be an http(s) URL, not {:?}", self.url));
        }
        if self.bots < 2 {
            return Err("--bots must be at least 2: a bot needs someone to talk to".into());
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err("--rate must be above 0".into());
        }
        if !(self.seconds.is_finite() && self.seconds >= 0.0) {
            return Err("--seconds must be 0 or more".into());
        }
        let longest = handle(&self.prefix, self.bots);
        rules::handle(&longest).map_err(|e| {
            format!(
                "--prefix {:?} makes handles like {longest}: {e}",
                self.prefix
            )
        })?;
        Ok(())
    }

    /// Messages a second each bot sends.
    pub(super) fn per_bot_rate(&self) -> f64 {
        self.rate / self.bots as f64
    }
}

/// Bot number `n`'s handle (from 1): `bot0001`.
pub(super) fn handle(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:04}")
}

/// Bot number `n`'s display name.
pub(super) fn display_name(n: usize) -> String {
    const NAMES: [&str; 40] = [
        "Amara", "Bao", "Chidi", "Dalia", "Emre", "Farah", "Goran", "Hana", "Ines", "Jomo",
        "Kaito", "Leila", "Mateo", "Nadia", "Oskar", "Priya", "Quang", "Rosa", "Sami", "Tariq",
        "Uma", "Viktor", "Wanjiru", "Xiomara", "Yusuf", "Zanele", "Aiko", "Bruno", "Chen", "Dara",
        "Eitan", "Freya", "Ghazal", "Hugo", "Ilse", "Jasper", "Kofi", "Lucia", "Mei", "Nikolai",
    ];
    format!("{} (bot)", NAMES[(n - 1) % NAMES.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_and_defaults() {
        assert_eq!(parse(&[]).unwrap(), Some(Args::default()));
        let args = parse(&[
            "--url",
            "http://x:1",
            "--bots",
            "7",
            "--rate",
            "2.5",
            "--seconds",
            "3",
            "--keep",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (
                args.url.as_str(),
                args.bots,
                args.rate,
                args.seconds,
                args.keep
            ),
            ("http://x:1", 7, 2.5, 3.0, true)
        );
        assert_eq!(parse(&["--help"]).unwrap(), None);
    }

    #[test]
    fn bad_flags_are_named() {
        assert!(parse(&["--bots"])
            .unwrap_err()
            .contains("--bots needs a value"));
        assert!(parse(&["--bots", "x"])
            .unwrap_err()
            .contains("--bots takes a count"));
        assert!(parse(&["--bots", "1"]).unwrap_err().contains("at least 2"));
        assert!(parse(&["--rate", "0"]).unwrap_err().contains("--rate"));
        assert!(parse(&["--frob"])
            .unwrap_err()
            .contains("unknown flag --frob"));
        assert!(parse(&["--prefix", "Bot!"])
            .unwrap_err()
            .contains("--prefix"));
        let long = "a".repeat(21);
        assert!(parse(&["--prefix", &long]).unwrap_err().contains("at most"));
    }

    #[test]
    fn handles_and_names() {
        assert_eq!(handle("bot", 1), "bot0001");
        assert_eq!(handle("bot", 12345), "bot12345");
        assert_eq!(display_name(1), "Amara (bot)");
        assert_eq!(display_name(41), "Amara (bot)");
    }
}
