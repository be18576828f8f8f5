//! QeP's web layer: a thin axum application over the [`qep_store::Store`] seam.
//!
//! Handlers extract, call the domain core and the store, build a view and render a
//! template (Post/Redirect/Get; a refused form is re-rendered with its errors). Status
//! codes are chosen in one place ([`error`]); paths are named in one place ([`routes`]).

pub mod assets;
pub mod auth;
pub mod error;
pub mod form;
pub mod limits;
mod pages;
pub mod proxy;
pub mod render;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request};
use qep_store::Store;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::limits::{AddressKey, Limiter, LoginLimits};
pub use crate::pages::imports::remove_orphan_uploads;
pub use crate::proxy::TrustedProxies;
use crate::render::Templates;

/// Settings of the web layer (from `qep.toml` / `QEP_*`, see the binary).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Cookies get the `Secure` flag (set when QeP is served over TLS, `public_url` in https).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    /// Failed logins allowed per account from one client address within `login_window`
    /// (and four times as many per address across accounts), see [`limits::LoginLimits`].
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// Messages one client address may send through the public form per hour.
    pub contact_per_hour: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` give the client's address.
    pub trusted_proxies: TrustedProxies,
    /// Months citizens' personal data is kept after an item is closed.
    pub retention_months: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
            contact_per_hour: 5,
            trusted_proxies: TrustedProxies::default(),
            retention_months: 12,
        }
    }
}

pub struct Inner {
    /// The use cases' context (store, clock, calendars); `store` is its store.
    pub app: qep_app::Ctx,
    pub store: Arc<dyn Store>,
    pub config: WebConfig,
    pub templates: Templates,
    pub login_limits: LoginLimits,
    pub contact_limit: Limiter<AddressKey>,
    /// Uploads and import jobs of the web import.
    pub imports: pages::imports::Imports,
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(app: qep_app::Ctx, config: WebConfig) -> anyhow::Result<AppState> {
        let login_limits = LoginLimits::new(config.login_max_failures, config.login_window);
        let contact_limit = Limiter::new(config.contact_per_hour, Duration::from_secs(3600));
        Ok(AppState(Arc::new(Inner {
            store: app.store.clone(),
            app,
            templates: Templates::load()?,
            login_limits,
            contact_limit,
            imports: Default::default(),
            config,
        })))
    }
}

#[derive(Clone, Default)]
struct CounterRequestId {
    prefix: u32,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl MakeRequestId for CounterRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    let request_ids = CounterRequestId {
        prefix: rand::random(),
        ..Default::default()
    };
    let security_headers = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        // Pages carry names, addresses and messages: never kept by a browser or a proxy
        // (static assets set their own caching).
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; \
             form-action 'self'",
        ),
    ];
    let mut router = pages::router(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_and_csrf,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, request_ids));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
}
