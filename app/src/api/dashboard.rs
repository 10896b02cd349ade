//! The public dashboard, for anyone.

use leptos::prelude::*;

use crate::{error::AppError, model::Dashboard};

/// The dashboard as of the projector's checkpoint, with how far behind the log it is.
#[server(endpoint = "dashboard", input = server_fn::codec::GetUrl)]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    use crate::backend::{dashboard, state};
    dashboard::read(&state()?.pool).await
}
