//! Where the machine's CPU went during a measured window: the server, Postgres (every
//! `postgres` process) and the bench itself (its clients), read from `/proc`. Divided by the
//! messages of the window, it says what one message costs each of them, which is what bounds
//! the rate on a machine whose cores they all share.

use std::collections::HashMap;

/// Linux reports process times in clock ticks of 1/100 s (`USER_HZ`, fixed at 100 on the
/// architectures this runs on).
const TICKS_PER_SEC: f64 = 100.0;

/// CPU seconds used so far, by process.
pub struct Snapshot {
    server: f64,
    bench: f64,
    postgres: HashMap<u32, f64>,
}

/// CPU seconds each part used between two snapshots.
pub struct Used {
    pub server: f64,
    pub postgres: f64,
    pub bench: f64,
}

impl Snapshot {
    /// Now; `server_pid` is `None` where no server runs (its share is then 0).
    pub fn take(server_pid: Option<u32>) -> Self {
        let postgres = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim_end() == "postgres")
            })
            .filter_map(|pid| Some((pid, seconds(&pid.to_string())?)))
            .collect();
        Self {
            server: server_pid
                .and_then(|pid| seconds(&pid.to_string()))
                .unwrap_or(0.0),
            bench: seconds("self").unwrap_or(0.0),
            postgres,
        }
    }

    /// What was used since `earlier`. Postgres counts the processes alive now, a backend
    /// started meanwhile with all it used (one that ended meanwhile took its times with it).
    pub fn since(&self, earlier: &Snapshot) -> Used {
        Used {
            server: self.server - earlier.server,
            bench: self.bench - earlier.bench,
            postgres: self
                .postgres
                .iter()
                .map(|(pid, now)| now - earlier.postgres.get(pid).unwrap_or(&0.0))
                .sum(),
        }
    }
}

impl Used {
    /// One line: each part's milliseconds of CPU per unit of work, and cores used on average.
    pub fn print(&self, per: &str, units: f64, secs: f64) {
        let ms = |s: f64| s * 1000.0 / units.max(1.0);
        println!(
            "cpu per {per}: server {:.3} ms, postgres {:.3} ms, bench {:.3} ms, total {:.3} ms \
             ({:.2} + {:.2} + {:.2} cores)",
            ms(self.server),
            ms(self.postgres),
            ms(self.bench),
            ms(self.server + self.postgres + self.bench),
            self.server / secs,
            self.postgres / secs,
            self.bench / secs,
        );
    }
}

/// User + system CPU seconds of a process (`self` or a pid), its threads included.
fn seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields are counted after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}
