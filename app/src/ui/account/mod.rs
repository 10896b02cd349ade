//! The sign-up and sign-in pages. Both are plain forms that work without JavaScript.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{
    form::{action_error, FieldErrors},
    page::PageTitle,
    session::use_session,
};
use crate::api::account::{SignIn, SignUp};
use crate::model::rules::{DISPLAY_NAME_MAX, HANDLE_MAX, HANDLE_MIN, PASSWORD_MAX, PASSWORD_MIN};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = use_session().action::<SignUp>();
    let errors = FieldErrors::new(
        "signup",
        &["handle", "display_name", "password"],
        action_error(action),
    );
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
                        aria-invalid=errors.invalid("handle")
                        aria-describedby=errors.described_by("handle")
                    />
                    <small>"3–24 of a–z, 0–9, _ and -"</small>
                </label>
                {errors.message("handle")}
                <label>
                    "Display name"
                    <input name="display_name" required maxlength=DISPLAY_NAME_MAX
                        aria-invalid=errors.invalid("display_name")
                        aria-describedby=errors.described_by("display_name") />
                </label>
                {errors.message("display_name")}
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        required
                        minlength=PASSWORD_MIN
                        maxlength=PASSWORD_MAX
                        autocomplete="new-password"
                        aria-invalid=errors.invalid("password")
                        aria-describedby=errors.described_by("password")
                    />
                    <small>"At least 8 characters"</small>
                </label>
                {errors.message("password")}
                <button type="submit">"Sign up"</button>
                {errors.note()}
            </ActionForm>
            <p>"Already playing? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = use_session().action::<SignIn>();
    let errors = FieldErrors::new("signin", &["handle", "password"], action_error(action));
    view! {
        <PageTitle text="Sign in · Meridian" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action attr:aria-label="Sign in">
                <label>
                    "Handle"
                    <input name="handle" required maxlength=HANDLE_MAX autocomplete="username"
                        aria-invalid=errors.invalid("handle")
                        aria-describedby=errors.described_by("handle") />
                </label>
                {errors.message("handle")}
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        required
                        maxlength=PASSWORD_MAX
                        autocomplete="current-password"
                        aria-invalid=errors.invalid("password")
                        aria-describedby=errors.described_by("password")
                    />
                </label>
                {errors.message("password")}
                <button type="submit">"Sign in"</button>
                {errors.note()}
            </ActionForm>
            <p>"New here? " <A href="/signup">"Sign up"</A></p>
        </section>
    }
}
