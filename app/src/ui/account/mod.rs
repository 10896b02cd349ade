//! The sign-up and sign-in pages. Both are plain forms that work without JavaScript.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    form::{action_error, ErrorNote},
    page::PageTitle,
    session::use_session,
};
use crate::api::account::{SignIn, SignUp};
use crate::model::rules::{DISPLAY_NAME_MAX, HANDLE_MAX, HANDLE_MIN, PASSWORD_MAX, PASSWORD_MIN};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = use_session().action::<SignUp>();
    view! {
        <PageTitle text="Sign up · Meridian" />
        <section class="card narrow">
            <h1>"Join Meridian"</h1>
            <ActionForm action attr:aria-label="Sign up">
                <label>
                    "Handle"
                    <input
                        name="handle"
                        required
                        minlength=HANDLE_MIN
                        maxlength=HANDLE_MAX
                        pattern="[A-Za-z0-9_\\-]+"
                        autocomplete="username"
                    />
                    <small>"3–24 of a–z, 0–9, _ and -"</small>
                </label>
                <label>
                    "Display name"
                    <input name="display_name" required maxlength=DISPLAY_NAME_MAX />
                </label>
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        required
                        minlength=PASSWORD_MIN
                        maxlength=PASSWORD_MAX
                        autocomplete="new-password"
                    />
                    <small>"At least 8 characters"</small>
                </label>
                <button type="submit">"Sign up"</button>
                <ErrorNote error=action_error(action) />
            </ActionForm>
            <p>"Already playing? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = use_session().action::<SignIn>();
    view! {
        <PageTitle text="Sign in · Meridian" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action attr:aria-label="Sign in">
                <label>
                    "Handle" <input name="handle" required maxlength=HANDLE_MAX autocomplete="username" />
                </label>
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        required
                        maxlength=PASSWORD_MAX
                        autocomplete="current-password"
                    />
                </label>
                <button type="submit">"Sign in"</button>
                <ErrorNote error=action_error(action) />
            </ActionForm>
            <p>"New here? " <A href="/signup">"Sign up"</A></p>
        </section>
    }
}
