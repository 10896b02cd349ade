//! Showing errors: the error of a form's last submission, or of a failed load, as text in an
//! alert. An error about one input sits under that input, which is marked `aria-invalid` and
//! described by it ([`FieldErrors`]); any other error sits under the form ([`ErrorNote`]).

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

/// An alert under a form with the error's text, unless the error is about one of `shown`, the
/// fields that show their own. Text only: nothing a player typed is HTML.
#[component]
pub fn ErrorNote(
    error: Signal<Option<AppError>>,
    #[prop(optional)] shown: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|err| !err.field().is_some_and(|f| shown.contains(&f)))
            .map(|err| {
                let field = err.field().unwrap_or("form").to_owned();
                view! {
                    <p class="error" role="alert" data-field=field>
                        {err.to_string()}
                    </p>
                }
            })
    }
}

/// Ties a form's last error to the input it is about. `form` makes the message's id unique in
/// the page; `fields` are the inputs that show their own message (the rest go to the form's
/// [`ErrorNote`], which [`FieldErrors::note`] gives).
#[derive(Clone, Copy)]
pub struct FieldErrors {
    error: Signal<Option<AppError>>,
    form: &'static str,
    fields: &'static [&'static str],
}

impl FieldErrors {
    pub fn new(
        form: &'static str,
        fields: &'static [&'static str],
        error: Signal<Option<AppError>>,
    ) -> Self {
        Self {
            error,
            form,
            fields,
        }
    }

    fn on(self, field: &'static str) -> bool {
        self.error
            .with(|e| e.as_ref().and_then(AppError::field) == Some(field))
    }

    fn id(self, field: &'static str) -> String {
        format!("{}-{field}-error", self.form)
    }

    /// `aria-invalid` for the input of `field`.
    pub fn invalid(self, field: &'static str) -> impl Fn() -> &'static str + Copy {
        move || if self.on(field) { "true" } else { "false" }
    }

    /// `aria-describedby` for the input of `field`: its message, while there is one.
    pub fn described_by(self, field: &'static str) -> impl Fn() -> Option<String> + Copy {
        move || self.on(field).then(|| self.id(field))
    }

    /// The message about `field`, to place right under its input.
    pub fn message(self, field: &'static str) -> impl IntoView {
        move || {
            self.error.get().filter(|_| self.on(field)).map(|err| {
                view! {
                    <span class="error field-error" role="alert" id=self.id(field)
                        data-field=field>
                        {err.to_string()}
                    </span>
                }
            })
        }
    }

    /// The form's note for any other error.
    pub fn note(self) -> impl IntoView {
        view! { <ErrorNote error=self.error shown=self.fields /> }
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
