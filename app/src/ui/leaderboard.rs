//! Leaderboards: `/leaderboard?window=…&country=…` with every window and the world or my
//! country, and the compact board of this round on the map page. Both move live: an award
//! moves the one row it changes (see `model::board`), never a refetch of the board.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    form::Failed,
    live::{use_live, use_snapshot},
    loaded::Snapshot,
    page::PageTitle,
    session::use_session,
};
use crate::{
    api::board::load_board,
    model::{board::COMPACT_TOP, Board, BoardRow, Live, Scope, Window},
};

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let window = Memo::new(move |_| query.read().get("window").unwrap_or_else(|| "round".into()));
    let country = Memo::new(move |_| query.read().get("country").unwrap_or_default());
    let board: Snapshot<Board> = use_snapshot(
        move || (window.get(), country.get(), session.changes()),
        |(window, country, _)| load_board(window, country),
    );
    view! {
        <PageTitle text="Leaderboard · Meridian" />
        <section class="card leaderboard" aria-labelledby="board-heading">
            <h1 id="board-heading">"Leaderboard"</h1>
            <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let me = session.me.await.ok().flatten();
                    let my_country = me
                        .as_ref()
                        .and_then(|m| m.home.as_ref())
                        .map(|h| (h.country_code.clone(), h.country.clone()));
                    match board.await {
                        (head, Ok(board)) => {
                            let me = me.map(|m| m.id);
                            view! {
                                <BoardTabs window=board.window scope=board.scope.clone() my_country />
                                <BoardTable board head me compact=false />
                            }
                                .into_any()
                        }
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Links to every window, and to the world or my country: plain links, so they work without
/// JavaScript.
#[component]
fn BoardTabs(window: Window, scope: Scope, my_country: Option<(String, String)>) -> impl IntoView {
    let country = scope.country().unwrap_or_default().to_owned();
    let windows = Window::ALL
        .into_iter()
        .map(|w| {
            let href = format!("/leaderboard?window={}&country={country}", w.as_str());
            let current = (w == window).then_some("page");
            // Plain links: the router's `A` marks every link to this path as current.
            view! {
                <a href=href aria-current=current>
                    {w.label()}
                </a>
            }
        })
        .collect_view();
    let scopes = my_country.map(|(code, name)| {
        let world = format!("/leaderboard?window={}", window.as_str());
        let mine = format!("/leaderboard?window={}&country={code}", window.as_str());
        let in_mine = scope.country() == Some(code.as_str());
        view! {
            <nav class="tabs" aria-label="Scope">
                <a href=world aria-current=(!in_mine).then_some("page")>
                    "World"
                </a>
                <a href=mine aria-current=in_mine.then_some("page")>
                    {name}
                </a>
            </nav>
        }
    });
    view! {
        <nav class="tabs" aria-label="Window">
            {windows}
        </nav>
        {scopes}
    }
}

/// The ranked rows, with my own after them when it is not among them. `compact` keeps the top
/// [`COMPACT_TOP`].
#[component]
pub fn BoardTable(board: Board, head: u64, me: Option<i64>, compact: bool) -> impl IntoView {
    let live = use_live();
    let board = RwSignal::new(board);
    let cursor = board.with_untracked(|b| b.cursor);
    Effect::new(move || match me {
        Some(_) => live.connect(cursor),
        None => live.connect_public(cursor),
    });
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            match message {
                Live::PointsAwarded(award) => board.update(|b| {
                    b.apply(award, me.unwrap_or(0));
                }),
                // A new round has no points yet.
                Live::RoundStarted(round) => board.update(|b| {
                    if b.window == Window::Round && round.id > b.round_id {
                        b.rows.clear();
                        b.mine = None;
                        b.round_id = round.id;
                    }
                }),
                _ => {}
            }
        });
        seen.set_value(last);
    });
    let shown = move || {
        board.with(|b| {
            let limit = if compact { COMPACT_TOP } else { usize::MAX };
            let rows: Vec<BoardRow> = b.rows.iter().take(limit).cloned().collect();
            let mine_apart = b
                .mine
                .clone()
                .filter(|mine| !rows.iter().any(|r| r.player_id == mine.player_id));
            (rows, mine_apart)
        })
    };
    let label = board.with_untracked(|b| {
        format!(
            "{} — {}",
            b.window.label(),
            b.scope.country().unwrap_or("world")
        )
    });
    view! {
        {move || {
            let (rows, mine_apart) = shown();
            if rows.is_empty() {
                return view! {
                    <p class="notice">"No points yet in this window. Complete a task to lead!"</p>
                }
                    .into_any();
            }
            view! {
                <table class="board" aria-label=label.clone()>
                    <thead>
                        <tr>
                            <th scope="col">"Rank"</th>
                            <th scope="col">"Player"</th>
                            <th scope="col">"Country"</th>
                            <th scope="col" class="points">"Points"</th>
                        </tr>
                    </thead>
                    <tbody>
                        // Erased types: the nested view types otherwise overflow the
                        // compiler's query depth in the server build.
                        {rows
                            .into_iter()
                            .map(|row| view! { <Row row me /> }.into_any())
                            .collect_view()}
                        {mine_apart
                            .map(|row| {
                                view! {
                                    <tr class="gap" aria-hidden="true">
                                        <td colspan="4">"…"</td>
                                    </tr>
                                    <Row row me />
                                }
                                    .into_any()
                            })}
                    </tbody>
                </table>
            }
                .into_any()
        }}
    }
}

#[component]
fn Row(row: BoardRow, me: Option<i64>) -> impl IntoView {
    let mine = Some(row.player_id) == me;
    let name =
        view! { <A href=format!("/players/{}", row.handle)>{row.display_name}</A> }.into_any();
    view! {
        <tr class:mine=mine data-player=row.handle.clone()>
            <td>{row.rank}</td>
            <td>{name} {mine.then_some(" (you)")}</td>
            <td>{row.country_code.unwrap_or_default()}</td>
            <td class="points">{row.points}</td>
        </tr>
    }
}

/// This round's top 10 and my row, beside the map, linking to the full boards.
#[component]
pub fn CompactBoard(me: i64) -> impl IntoView {
    let board: Snapshot<Board> = use_snapshot(|| (), |_| load_board("round".into(), String::new()));
    view! {
        <section class="card compact-board" aria-labelledby="compact-board-heading">
            <h2 id="compact-board-heading">"This round's leaders"</h2>
            <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match board.await {
                        (head, Ok(board)) => {
                            view! { <BoardTable board head me=Some(me) compact=true /> }.into_any()
                        }
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
            <A href="/leaderboard">"All leaderboards"</A>
        </section>
    }
}

/// My points and all-time rank, in the header: my row of the all-time board, moved by every
/// award like any board.
#[component]
pub fn Standing(board: Board, head: u64, me: i64) -> impl IntoView {
    let live = use_live();
    let board = RwSignal::new(board);
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::PointsAwarded(award) = message {
                board.update(|b| {
                    b.apply(award, me);
                });
            }
        });
        seen.set_value(last);
    });
    let text = move || {
        board.with(|b| match &b.mine {
            Some(mine) => format!("{} pts · #{}", mine.points, mine.rank),
            None => "0 pts".to_owned(),
        })
    };
    view! {
        <A href="/leaderboard?window=all" attr:class="standing" attr:data-testid="my-standing">
            {text}
        </A>
    }
}
