//! `/players/:handle`: a player's profile (who they are, where they live, how much they have
//! talked) with "Say hi", and their game (points, rank, tasks, points per day).

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    chat::SayHi,
    form::Failed,
    game::ProfileGameSection,
    live::use_snapshot,
    page::{NotFoundNotice, PageTitle, SignInFirst},
    session::use_session,
    time::{written, DateStyle},
};
use crate::{api::player::player_profile, error::AppError, model::Profile};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let handle = Memo::new(move |_| params.read().get("handle").unwrap_or_default());
    // Above the suspense that reads it (the server runs a suspense's contents twice).
    let profile = use_snapshot(
        move || (handle.get(), session.changes()),
        |(handle, _)| player_profile(handle),
    );
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (head, profile) = profile.await;
                match (session.me.await, profile) {
                    (Ok(Some(me)), Ok(profile)) => {
                        let is_me = profile.id == me.id;
                        view! { <ProfileCard profile is_me head /> }.into_any()
                    }
                    (Ok(None), _) => {
                        view! { <SignInFirst what="see players" /> }.into_any()
                    }
                    (_, Err(AppError::NotFound(_))) => view! {
                        <NotFoundNotice
                            title="Player not found."
                            sentence="No player has this handle. They may have changed it, or the link was mistyped."
                        />
                    }
                    .into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProfileCard(profile: Profile, is_me: bool, head: u64) -> impl IntoView {
    let home = profile
        .home
        .as_ref()
        .map(|h| h.label())
        .unwrap_or_else(|| "No home yet".into());
    let stats = [
        ("Messages sent", profile.messages_sent),
        ("Players talked to", profile.players_talked_to),
        ("Countries talked to", profile.countries_talked_to),
    ];
    let action = if is_me {
        view! { <A href="/home">"Change your home"</A> }.into_any()
    } else {
        match profile.chat_id {
            Some(chat) => {
                view! { <A href=format!("/chats/{chat}")>"Open your chat"</A> }.into_any()
            }
            None => view! { <SayHi with=profile.id /> }.into_any(),
        }
    };
    view! {
        <PageTitle text=format!("{} · Meridian", profile.display_name) />
        <section class="card profile" aria-label="Profile">
            <h1>
                <span
                    class="online-dot"
                    data-online=profile.online.to_string()
                    title=if profile.online { "Online" } else { "Offline" }
                ></span>
                {profile.display_name.clone()}
                {is_me.then_some(" (you)")}
            </h1>
            <p class="handle">"@" {profile.handle.clone()}</p>
            <p class="home">{home}</p>
            <p class="joined">
                "Playing since "
                <time datetime=profile.joined.to_rfc3339()>
                    {written(profile.joined.date_naive(), DateStyle::LongYear)}
                </time>
            </p>
            <dl class="stats">
                {stats
                    .into_iter()
                    .map(|(label, value)| {
                        view! {
                            <div>
                                <dt>{label}</dt>
                                <dd>{value}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
            <div class="profile-action">{action}</div>
            <ProfileGameSection player_id=profile.id game=profile.game.clone() cursor=profile.cursor head />
        </section>
    }
}
