//! The signed-in player, as every page reads it: provided at the root, read with
//! [`use_session`].

use leptos::{prelude::*, server_fn::ServerFn};

use super::loaded::{load, Loaded};
use crate::{
    api::account::{sign_out, who_am_i},
    error::AppError,
    model::Me,
};

/// The signed-in player, refetched whenever an action that changes it (signing in or out,
/// choosing a home) completes. Provided at the root; pages read it with [`use_session`].
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Loaded<Result<Option<Me>, AppError>>,
    changed: RwSignal<u64>,
}

impl Session {
    fn new() -> Self {
        let changed = RwSignal::new(0);
        let me = load(move || changed.get(), |_| who_am_i());
        Self { me, changed }
    }

    /// Counts sessions changes (signing in or out, a new home); reading it subscribes.
    pub fn changes(&self) -> u64 {
        self.changed.get()
    }

    /// A server action after which the session is refetched. Pages create their own (under
    /// `<Routes>`), so that a form posted without JavaScript gets its error back from the URL.
    pub fn action<S>(&self) -> ServerAction<S>
    where
        S: ServerFn + Send + Sync + Clone + 'static,
        S::Output: Send + Sync + 'static,
        S::Error: Send + Sync + 'static,
    {
        let action = ServerAction::<S>::new();
        let changed = self.changed;
        Effect::watch(
            move || action.version().get(),
            move |_, _, _| changed.update(|n| *n += 1),
            false,
        );
        action
    }

    /// Signs out (the header's button), then refetches the session. A plain action rather
    /// than [`action`](Self::action)'s `ServerAction`: that one reads the error of a form posted
    /// without JavaScript back from the URL (base64 and all, about 8 KB of the first module),
    /// and the header's form has no error to show.
    pub fn sign_out(&self) -> Action<(), Result<(), AppError>> {
        let changed = self.changed;
        Action::new(move |_: &()| async move {
            let done = sign_out().await;
            changed.update(|n| *n += 1);
            done
        })
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Creates the session at the root and provides it to every page.
pub fn provide_session() -> Session {
    let session = Session::new();
    provide_context(session);
    session
}
