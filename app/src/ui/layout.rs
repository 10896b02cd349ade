//! The header: the brand, who is signed in and their home, and the account links.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{app::use_session, live::ConnectionBadge};
use crate::api::account::SignOut;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let sign_out = session.action::<SignOut>();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Meridian"</A>
            <nav aria-label="Account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.me.await {
                            Ok(Some(me)) => {
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
                                    <A href="/chats">"Chats"</A>
                                    <A href="/home" attr:class="home-link">{home}</A>
                                    <ActionForm action=sign_out attr:class="inline">
                                        <button type="submit">"Sign out"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
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
