//! Showing errors: the error of a form's last submission, or of a failed load, as text in an
//! alert.

use leptos::prelude::*;

use crate::error::AppError;

/// The message of the last failed submission of an action, if it failed.
pub fn action_error<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// An alert under a form with the error's text. Text only: nothing a player typed is HTML.
#[component]
pub fn ErrorNote(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            let field = err.field().unwrap_or("form").to_owned();
            view! {
                <p class="error" role="alert" data-field=field>
                    {err.to_string()}
                </p>
            }
        })
    }
}

/// An alert with the text of an error that stopped something loading.
#[component]
pub fn Failed(error: AppError) -> impl IntoView {
    view! {
        <p class="error" role="alert">
            {error.to_string()}
        </p>
    }
}
