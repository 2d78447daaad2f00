//! The two transports in front of the one router: HTTP REST (`/v4/...`)
//! and the Web SDK WebSocket protocol (`/binfo`, `/info`).

pub mod http;
pub mod listener;
pub mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// All routes of a Natter server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/v4/{service}/{command}",
            post(http::rest).fallback(http::unknown_path),
        )
        .route("/binfo", get(ws::binary_socket))
        .route("/info", get(ws::text_socket))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(http::unknown_path)
        .layer(DefaultBodyLimit::max(http::MAX_REST_BODY_BYTES))
        .with_state(state)
}
