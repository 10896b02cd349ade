//! The header: the brand, the round's countdown, who is signed in with their points, rank and
//! home, the chats link with the number of unread messages (all kept current by the live feed),
//! and the account links. On a narrow screen the header is one row and the links open from a
//! "Menu" toggle (a checkbox and its label: it works without JavaScript), which closes again
//! when a link in it is followed.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::components::A;

use super::{
    game::Countdown,
    leaderboard::Standing,
    live::{use_live, use_snapshot, ConnectionBadge},
    loaded::Snapshot,
    session::use_session,
};
use crate::{
    api::{account::SignOut, header::load_header},
    model::{HeaderView, Unread},
};

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    // Posted by a plain form, which works without JavaScript as an `ActionForm` does, and
    // dispatched by hand when it runs: an `ActionForm` reads its fields with serde_qs, whose
    // decoder would be in every page's first module for a form that has none.
    let sign_out = session.sign_out();
    // The clock, my standing and my unread counts, in one answer (`model::header`), asked for
    // again when the session changes or the round is over with no announcement of the next.
    // Above the suspenses that show it, like every resource.
    let refetch = RwSignal::new(0u64);
    let bar: Snapshot<HeaderView> = use_snapshot(
        move || (session.changes(), refetch.get()),
        |_| load_header(),
    );
    // The toggle's state lives in the page (no JavaScript needed to open it); following a
    // link in the menu closes it.
    let toggle = NodeRef::<leptos::html::Input>::new();
    let close_menu = move |_| {
        if let Some(toggle) = toggle.get_untracked() {
            toggle.set_checked(false);
        }
    };
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Meridian"</A>
            // A suspense of its own beside the account links' (waiting on both in one left
            // the header's home stale now and then after the home changed).
            <Transition fallback=|| ()>
                // An `AnyView`, as the account links' suspense gives: each kind of view a
                // suspense gives is rendering code of its own in the first download.
                {move || Suspend::new(async move {
                    let (head, Ok(bar)) = bar.await else {
                        return ().into_any();
                    };
                    let standing = match (session.me.await, bar.player) {
                        (Ok(Some(me)), Some(player)) => {
                            Some(view! { <Standing board=player.standing head me=me.id /> })
                        }
                        _ => None,
                    };
                    view! {
                        <Countdown clock=bar.clock refetch />
                        {standing}
                    }
                        .into_any()
                })}
            </Transition>
            <input type="checkbox" id="nav-toggle" class="nav-toggle" aria-controls="site-nav"
                node_ref=toggle />
            <label for="nav-toggle" class="nav-toggle-label">"Menu"</label>
            <nav id="site-nav" aria-label="Account" on:click=close_menu>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.me.await {
                            Ok(Some(me)) => {
                                // In this suspense, not one of its own: a suspense nested in
                                // the link would not hydrate.
                                let badge = match bar.await {
                                    (head, Ok(HeaderView { player: Some(player), .. })) => {
                                        Some(view! { <UnreadTotal data=player.unread head /> })
                                    }
                                    _ => None,
                                };
                                let home = me
                                    .home
                                    .as_ref()
                                    .map(|h| h.label())
                                    .unwrap_or_else(|| "Set your home".into());
                                view! {
                                    <ConnectionBadge />
                                    <span class="who" data-testid="signed-in-as">
                                        {me.display_name}
                                    </span>
                                    <A href="/leaderboard">"Leaderboard"</A>
                                    <A href="/dashboard">"Dashboard"</A>
                                    <A href="/chats" attr:class="chats-link">
                                        "Chats"
                                        {badge}
                                    </A>
                                    <A href="/home" attr:class="home-link">{home}</A>
                                    <form
                                        method="post"
                                        action=SignOut::url()
                                        class="inline"
                                        on:submit=move |ev| {
                                            ev.prevent_default();
                                            sign_out.dispatch(());
                                        }
                                    >
                                        <button type="submit">"Sign out"</button>
                                    </form>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <A href="/leaderboard">"Leaderboard"</A>
                                    <A href="/dashboard">"Dashboard"</A>
                                    <A href="/signin">"Sign in"</A>
                                    <A href="/signup">"Sign up"</A>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

/// The number of unread messages in all chats, shown only when there are some.
#[component]
fn UnreadTotal(data: Unread, head: u64) -> impl IntoView {
    let live = use_live();
    // The header is on every page: it keeps the live stream open everywhere.
    let cursor = data.cursor;
    Effect::new(move || live.connect(cursor));
    let counts = RwSignal::new(data);
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            counts.update(|c| {
                c.apply(message);
            });
        });
        seen.set_value(last);
    });
    move || {
        let total = counts.with(Unread::total);
        (total > 0).then(|| {
            view! {
                <span class="unread-total" title=format!("{total} unread")>
                    {total}
                </span>
            }
        })
    }
}
