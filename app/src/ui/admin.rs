//! `/admin`, for the players named in `MERIDIAN_ADMINS`: the task weights (the form works
//! without JavaScript; a change is listed with who made it and when) and the API keys (issued
//! to a named client and shown once, listed, revoked). Anyone else gets the not-found page,
//! and the server functions answer 403.

use leptos::prelude::*;

use super::{
    form::{action_error, ErrorNote, Failed, FieldErrors},
    loaded::load,
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
    let admin = load(move || save.version().get(), |_| load_weights_admin());
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
                    <NumberField label="Low" name="low_points" min="1" max="100"
                        value=w.low_points.to_string() errors />
                    <NumberField label="Medium" name="medium_points" min="1" max="100"
                        value=w.medium_points.to_string() errors />
                    <NumberField label="High" name="high_points" min="1" max="100"
                        value=w.high_points.to_string() errors />
                </fieldset>
                <fieldset>
                    <legend>"Level starts at score"</legend>
                    <NumberField label="Medium from" name="medium_from" min="0" max="1"
                        step="0.01" value=w.medium_from.to_string() errors />
                    <NumberField label="High from" name="high_from" min="0" max="1"
                        step="0.01" value=w.high_from.to_string() errors />
                </fieldset>
                <button type="submit">"Save weights"</button>
                {errors.note()}
            </ActionForm>
            <h2>"Changes"</h2>
            <ChangeList changes=admin.changes />
        </section>
    }
}

/// One number of the weights form, with its error under it.
#[component]
fn NumberField(
    label: &'static str,
    name: &'static str,
    min: &'static str,
    max: &'static str,
    #[prop(optional)] step: Option<&'static str>,
    value: String,
    errors: FieldErrors,
) -> impl IntoView {
    view! {
        <div class="field">
            <label>
                {label}
                <input name=name type="number" min=min max=max step=step required value=value
                    aria-invalid=errors.invalid(name)
                    aria-describedby=errors.described_by(name) />
            </label>
            {errors.message(name)}
        </div>
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
    let keys = load(
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
