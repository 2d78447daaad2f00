//! The transports in front of the one router: HTTP REST (`/v4/...`), the
//! Web SDK WebSocket protocol (`/binfo`, `/info`), and media over HTTP
//! (`/media/...`: uploads, tus, downloads).

pub mod http;
pub mod listener;
pub mod media;
pub mod tus;
pub mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, options, post, put};
use axum::Router;

use crate::state::AppState;

/// All routes of a Natter server.
pub fn router(state: Arc<AppState>) -> Router {
    // Media bodies are streamed to disk under their own size limits.
    let media = Router::new()
        .route(
            "/media/put/{key}",
            put(media::put_upload).options(media::preflight),
        )
        .route("/media/tus", post(tus::create).options(tus::options))
        .route(
            "/media/tus/{key}",
            options(tus::options).merge(any(tus::upload)),
        )
        .route(
            "/media/{file}",
            get(media::download).options(media::preflight),
        )
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .merge(media)
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
