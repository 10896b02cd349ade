//! Leaderboards: which window and scope, the rows shown, and how a live award moves them.
//!
//! A board shows every player ranked 50th or better (ties share a rank, so a tie at the cut
//! shows all of it) plus my own row. An award arrives with the player's new points in every
//! window; the page moves that one row and re-ranks what it holds, never refetching the board.

use serde::{Deserialize, Serialize};

use super::Award;
use crate::error::AppError;

/// Rows shown above my own: the ranks up to this.
pub const TOP: i64 = 50;
/// Rows of the compact board on the map page.
pub const COMPACT_TOP: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// The round under way.
    Round,
    /// The last 7 days, sliding: a point earned 7 days ago no longer counts.
    Week,
    /// The last 30 days, sliding.
    Month,
    All,
}

impl Window {
    pub const ALL: [Window; 4] = [Window::Round, Window::Week, Window::Month, Window::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Round => "round",
            Self::Week => "week",
            Self::Month => "month",
            Self::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Round => "This round",
            Self::Week => "7 days",
            Self::Month => "30 days",
            Self::All => "All time",
        }
    }

    /// The window named in a request ("round", "week", "month", "all").
    pub fn parse(input: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == input)
            .ok_or_else(|| {
                AppError::invalid("window", "Window must be one of round, week, month or all.")
            })
    }

    /// A player's points in this window, from an award that carries all four.
    pub fn of(self, award: &Award) -> i64 {
        match self {
            Self::Round => award.round_total,
            Self::Week => award.week_total,
            Self::Month => award.month_total,
            Self::All => award.total,
        }
    }
}

/// Which players a board ranks: everyone, or the players of one country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Global,
    Country(String),
}

impl Scope {
    /// The scope named in a request: empty for global, else an ISO country code (checked
    /// against the catalogue by the server).
    pub fn parse(country: &str) -> Result<Self, AppError> {
        let code = country.trim();
        if code.is_empty() {
            return Ok(Self::Global);
        }
        if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Ok(Self::Country(code.to_ascii_uppercase()));
        }
        Err(AppError::invalid(
            "country",
            "Country must be a two-letter code, or empty for the whole world.",
        ))
    }

    pub fn country(&self) -> Option<&str> {
        match self {
            Self::Global => None,
            Self::Country(code) => Some(code),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardRow {
    pub rank: i64,
    pub player_id: i64,
    pub handle: String,
    pub display_name: String,
    pub country_code: Option<String>,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub window: Window,
    pub scope: Scope,
    /// Ranked 50th or better, best first.
    pub rows: Vec<BoardRow>,
    /// My row, when I have points in this window (it may also be in `rows`).
    pub mine: Option<BoardRow>,
    /// The round the `Round` window counts (its start, in seconds since the epoch).
    pub round_id: i64,
    /// The newest event id when the board was read: the live stream resumes from here.
    pub cursor: i64,
}

/// Ranks sorted by points, best first: equal points share a rank, and the next rank counts
/// everyone above it (1, 2, 2, 4).
pub fn rank(rows: &mut [BoardRow]) {
    rows.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then_with(|| a.handle.cmp(&b.handle))
    });
    let mut previous: Option<(i64, i64)> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = match previous {
            Some((points, rank)) if points == row.points => rank,
            _ => i as i64 + 1,
        };
        previous = Some((row.points, row.rank));
    }
}

impl Board {
    /// Applies an award: the player's row takes their new points in this window (joining the
    /// rows if they now rank in the top), the rows are re-ranked, and my rank moves when they
    /// passed me. Returns whether anything shown changed.
    pub fn apply(&mut self, award: &Award, me: i64) -> bool {
        if let Scope::Country(code) = &self.scope {
            if award.country_code.as_deref() != Some(code) {
                return false;
            }
        }
        if self.window == Window::Round && award.round_id != Some(self.round_id) {
            return false;
        }
        let now = self.window.of(award);
        // Boards hold players with points in their window only.
        if now <= 0 {
            return false;
        }
        let before = now - i64::from(award.points);
        let row = BoardRow {
            rank: 0,
            player_id: award.player_id,
            handle: award.handle.clone(),
            display_name: award.display_name.clone(),
            country_code: award.country_code.clone(),
            points: now,
        };
        // My row: mine changes with my award; another's passing me pushes me down one.
        if let Some(mine) = &mut self.mine {
            if award.player_id == me {
                mine.points = now;
            } else if before <= mine.points && now > mine.points {
                mine.rank += 1;
            }
        } else if award.player_id == me {
            self.mine = Some(row.clone());
        }
        match self
            .rows
            .iter_mut()
            .find(|r| r.player_id == award.player_id)
        {
            Some(shown) => shown.points = now,
            None => self.rows.push(row),
        }
        rank(&mut self.rows);
        // The top is exact (everyone who could be in it is in it), so it sets my rank when
        // I am in it; otherwise my rank was moved above.
        if let Some(mine) = &mut self.mine {
            if let Some(shown) = self.rows.iter().find(|r| r.player_id == me) {
                mine.rank = shown.rank;
                mine.points = shown.points;
            }
        }
        self.rows.retain(|r| r.rank <= TOP);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(player_id: i64, points: i64) -> BoardRow {
        BoardRow {
            rank: 0,
            player_id,
            handle: format!("p{player_id:03}"),
            display_name: format!("P{player_id}"),
            country_code: Some("FR".into()),
            points,
        }
    }

    fn award(player_id: i64, points: i32, total: i64) -> Award {
        Award {
            player_id,
            handle: format!("p{player_id:03}"),
            display_name: format!("P{player_id}"),
            country_code: Some("FR".into()),
            points,
            source: format!("task:{player_id}"),
            awarded_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            round_id: Some(3600),
            total,
            week_total: total,
            month_total: total,
            round_total: total,
        }
    }

    fn board(rows: Vec<BoardRow>, mine: Option<BoardRow>) -> Board {
        let mut rows = rows;
        rank(&mut rows);
        Board {
            window: Window::All,
            scope: Scope::Global,
            rows,
            mine,
            round_id: 3600,
            cursor: 0,
        }
    }

    #[test]
    fn ties_share_a_rank_and_the_next_counts_everyone_above() {
        let mut rows = vec![row(1, 10), row(2, 7), row(3, 7), row(4, 3)];
        rank(&mut rows);
        let ranks: Vec<_> = rows.iter().map(|r| (r.player_id, r.rank)).collect();
        assert_eq!(ranks, [(1, 1), (2, 2), (3, 2), (4, 4)]);
    }

    #[test]
    fn an_award_moves_one_row_and_re_ranks() {
        let mut b = board(vec![row(1, 10), row(2, 7), row(3, 5)], None);
        assert!(b.apply(&award(3, 5, 10), 9));
        let ranks: Vec<_> = b
            .rows
            .iter()
            .map(|r| (r.player_id, r.points, r.rank))
            .collect();
        assert_eq!(ranks, [(1, 10, 1), (3, 10, 1), (2, 7, 3)]);
        // A newcomer joins the rows.
        b.apply(&award(4, 2, 2), 9);
        assert_eq!(b.rows.last().map(|r| (r.player_id, r.rank)), Some((4, 4)));
    }

    #[test]
    fn my_rank_moves_when_someone_passes_me() {
        let me = 100;
        let top: Vec<_> = (1..=50).map(|i| row(i, 1000 - i)).collect();
        let mine = BoardRow {
            rank: 80,
            ..row(me, 20)
        };
        let mut b = board(top, Some(mine));
        // From below me to above me: I drop one.
        b.apply(&award(200, 10, 25), me);
        assert_eq!(b.mine.as_ref().unwrap().rank, 81);
        // From below to level with me: a tie, no change.
        b.apply(&award(201, 10, 20), me);
        assert_eq!(b.mine.as_ref().unwrap().rank, 81);
        // Already above me: no change.
        b.apply(&award(202, 5, 40), me);
        assert_eq!(b.mine.as_ref().unwrap().rank, 81);
        // My own award into the top: my rank is where the rows put me.
        b.apply(&award(me, 100, 2000), me);
        assert_eq!(b.mine.as_ref().map(|m| (m.rank, m.points)), Some((1, 2000)));
        assert_eq!(b.rows.len(), 50, "the 51st fell off");
    }

    #[test]
    fn ties_at_the_cut_stay_and_other_countries_do_not_count() {
        let mut rows: Vec<_> = (1..=49).map(|i| row(i, 1000 - i)).collect();
        rows.push(row(50, 5));
        rows.push(row(51, 5));
        let mut b = board(rows, None);
        assert_eq!(b.rows.len(), 51);
        b.scope = Scope::Country("FR".into());
        let mut japanese = award(60, 50, 5000);
        japanese.country_code = Some("JP".into());
        assert!(!b.apply(&japanese, 1));
        assert!(b.apply(&award(52, 5, 5), 1));
        assert_eq!(b.rows.len(), 52, "a three-way tie at rank 50");
        assert!(b.rows.iter().skip(49).all(|r| r.rank == 50));
    }

    #[test]
    fn requests_name_the_field_they_break() {
        assert_eq!(Window::parse("week").unwrap(), Window::Week);
        assert_eq!(Window::parse("year").unwrap_err().field(), Some("window"));
        assert_eq!(Scope::parse("").unwrap(), Scope::Global);
        assert_eq!(Scope::parse("fr").unwrap(), Scope::Country("FR".into()));
        assert_eq!(Scope::parse("France").unwrap_err().field(), Some("country"));
    }
}
