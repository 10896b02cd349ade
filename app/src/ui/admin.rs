//! `/admin`, for the players named in `MERIDIAN_ADMINS`: the task weights (the form works
//! without JavaScript; a change is listed with who made it and when) and the API keys (issued
//! to a named client and shown once, listed, revoked). Anyone else gets the not-found page,
//! and the server functions answer 403.

use leptos::prelude::*;

use super::{
    form::{action_error, ErrorNote, Failed, FieldErrors},
    page::{NotFound, PageTitle},
    time::StampTime,
};
use crate::{
    api::admin::{load_api_keys, load_weights_admin, IssueApiKey, RevokeApiKey, SaveWeights},
    error::AppError,
    model::{ApiKey, Weights, WeightsAdmin, WeightsChange},
};

#[component]
pub fn AdminPage() -> impl IntoView {
    let save = ServerAction::<SaveWeights>::new();
    let admin = Resource::new(move || save.version().get(), |_| load_weights_admin());
    view! {
        <Suspense fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match admin.await {
                    Ok(admin) => view! { <WeightsPage admin save /> <ApiKeys /> }.into_any(),
                    Err(AppError::Forbidden | AppError::NotSignedIn) => {
                        view! { <NotFound /> }.into_any()
                    }
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WeightsPage(admin: WeightsAdmin, save: ServerAction<SaveWeights>) -> impl IntoView {
    let w = admin.weights;
    let errors = FieldErrors::new(
        "weights",
        &[
            "low_points",
            "medium_points",
            "high_points",
            "medium_from",
            "high_from",
        ],
        action_error(save),
    );
    view! {
        <PageTitle text="Admin · Meridian" />
        <section class="card admin" aria-labelledby="admin-heading">
            <h1 id="admin-heading">"Task weights"</h1>
            <p class="hint">
                "A task's level comes from a score from 0 to 1 (the region's rarity and its distance "
                "from the player's home); each level is worth its points. New tasks use the "
                "weights at once, on every server."
            </p>
            <ActionForm action=save attr:aria-label="Task weights">
                <fieldset>
                    <legend>"Points (1–100)"</legend>
                    <div class="field">
                        <label>
                            "Low"
                            <input name="low_points" type="number" min="1" max="100" required
                                value=w.low_points aria-invalid=errors.invalid("low_points")
                                aria-describedby=errors.described_by("low_points") />
                        </label>
                        {errors.message("low_points")}
                    </div>
                    <div class="field">
                        <label>
                            "Medium"
                            <input name="medium_points" type="number" min="1" max="100" required
                                value=w.medium_points aria-invalid=errors.invalid("medium_points")
                                aria-describedby=errors.described_by("medium_points") />
                        </label>
                        {errors.message("medium_points")}
                    </div>
                    <div class="field">
                        <label>
                            "High"
                            <input name="high_points" type="number" min="1" max="100" required
                                value=w.high_points aria-invalid=errors.invalid("high_points")
                                aria-describedby=errors.described_by("high_points") />
                        </label>
                        {errors.message("high_points")}
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Level starts at score"</legend>
                    <div class="field">
                        <label>
                            "Medium from"
                            <input name="medium_from" type="number" min="0" max="1" step="0.01"
                                required value=w.medium_from aria-invalid=errors.invalid("medium_from")
                                aria-describedby=errors.described_by("medium_from") />
                        </label>
                        {errors.message("medium_from")}
                    </div>
                    <div class="field">
                        <label>
                            "High from"
                            <input name="high_from" type="number" min="0" max="1" step="0.01"
                                required value=w.high_from aria-invalid=errors.invalid("high_from")
                                aria-describedby=errors.described_by("high_from") />
                        </label>
                        {errors.message("high_from")}
                    </div>
                </fieldset>
                <button type="submit">"Save weights"</button>
                {errors.note()}
            </ActionForm>
            <h2>"Changes"</h2>
            <ChangeList changes=admin.changes />
        </section>
    }
}

fn summary(w: &Option<Weights>) -> String {
    match w {
        Some(w) => format!(
            "{}/{}/{} pts · from {}/{}",
            w.low_points, w.medium_points, w.high_points, w.medium_from, w.high_from
        ),
        None => "none".into(),
    }
}

#[component]
fn ChangeList(changes: Vec<WeightsChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="notice">"No change yet: the defaults are in force."</p> }
            .into_any();
    }
    view! {
        <div class="changes-wrap">
        <table class="changes">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col" title="Points low/medium/high · medium/high from">"Before"</th>
                    <th scope="col" title="Points low/medium/high · medium/high from">"After"</th>
                </tr>
            </thead>
            <tbody>
                {changes
                    .into_iter()
                    .map(|c| {
                        let who = c.changed_by.unwrap_or_else(|| "outside the app".into());
                        view! {
                            <tr>
                                <td><StampTime at=c.changed_at /></td>
                                <td>{who}</td>
                                <td>{summary(&c.before)}</td>
                                <td>{summary(&c.after)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// Keys for other game systems: issue one to a named client (shown this once), see them all,
/// revoke one.
#[component]
fn ApiKeys() -> impl IntoView {
    let issue = ServerAction::<IssueApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (issue.version().get(), revoke.version().get()),
        |_| load_api_keys(),
    );
    let issued = move || issue.value().get().and_then(Result::ok);
    let errors = FieldErrors::new("issue-key", &["client"], action_error(issue));
    view! {
        <section class="card admin" aria-labelledby="keys-heading">
            <h2 id="keys-heading">"API keys"</h2>
            <p class="hint">
                "Other game systems call the API ("
                <a href="/api/v1/docs/" rel="external">"its documentation"</a>
                ") with a key. A key is shown once, when it is issued; only its hash is kept."
            </p>
            <ActionForm action=issue attr:aria-label="Issue an API key" attr:class="issue-key">
                <div class="field">
                    <label>
                        "Client"
                        <input name="client" required maxlength="60" autocomplete="off"
                            placeholder="quests" aria-invalid=errors.invalid("client")
                            aria-describedby=errors.described_by("client") />
                    </label>
                    {errors.message("client")}
                </div>
                <button type="submit">"Issue key"</button>
                <noscript>
                    <p class="hint">"Issuing shows the key in the page, which needs JavaScript."</p>
                </noscript>
                {errors.note()}
            </ActionForm>
            {move || {
                issued()
                    .map(|k| {
                        view! {
                            <div class="issued" role="status">
                                <p>
                                    "Key for " <strong>{k.client}</strong>
                                    ". Copy it now: it is not shown again."
                                </p>
                                <code class="api-key">{k.key}</code>
                            </div>
                        }
                    })
            }}
            <ErrorNote error=action_error(revoke) />
            <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(keys) => view! { <KeyList keys revoke /> }.into_any(),
                        Err(error) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn KeyList(keys: Vec<ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="notice">"No key issued yet."</p> }.into_any();
    }
    view! {
        <div class="changes-wrap">
        <table class="keys">
            <thead>
                <tr>
                    <th scope="col">"Client"</th>
                    <th scope="col">"Issued"</th>
                    <th scope="col">"State"</th>
                </tr>
            </thead>
            <tbody>
                {keys
                    .into_iter()
                    .map(|k| {
                        let state = match k.revoked_at {
                            Some(at) => view! { "Revoked " <StampTime at /> }.into_any(),
                            None => {
                                let label = format!("Revoke the key of {}", k.client);
                                view! {
                                    <ActionForm action=revoke attr:class="inline">
                                        <input type="hidden" name="id" value=k.id />
                                        <button type="submit" class="secondary"
                                            aria-label=label>"Revoke"</button>
                                    </ActionForm>
                                }
                                .into_any()
                            }
                        };
                        view! {
                            <tr>
                                <td>{k.client}</td>
                                <td><StampTime at=k.created_at /></td>
                                <td>{state}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}
