//! Abuse limits behind a reverse proxy: the real server on a port, a real small proxy in
//! front of it that appends its peer to `X-Forwarded-For` (as nginx's
//! `proxy_add_x_forwarded_for` does), and citizens connecting to the proxy from their own
//! loopback addresses (127.0.0.2, 127.0.0.3…: the whole 127/8 is local on Linux).

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use qep_web::{TrustedProxies, WebConfig};

use crate::helpers::{ADMIN, Client, TestApp, VIEWER};

type Upstream = (
    SocketAddr,
    hyper_util::client::legacy::Client<HttpConnector, Body>,
);

async fn forward(
    State((server, client)): State<Upstream>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
) -> Response {
    let forwarded = match req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
    {
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let Ok(uri) = format!("http://{server}{path}").parse() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    *req.uri_mut() = uri;
    let Ok(forwarded) = HeaderValue::from_str(&forwarded) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    req.headers_mut().insert("x-forwarded-for", forwarded);
    match client.request(req).await {
        Ok(res) => res.map(Body::new),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// A reverse proxy on 127.0.0.1 in front of `server`; its own requests leave from
/// 127.0.0.1 too. Stopped when the returned task is aborted.
async fn start_proxy(server: SocketAddr) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build(HttpConnector::new());
    let app = Router::new()
        .fallback(forward)
        .with_state((server, client))
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

fn citizen(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

fn behind_a_proxy(config: WebConfig) -> WebConfig {
    WebConfig {
        trusted_proxies: TrustedProxies::parse(["127.0.0.1"]).expect("valid"),
        ..config
    }
}

fn retry_after(res: &crate::helpers::Response) -> u64 {
    res.headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds")
}

const MESSAGE: [(&str, &str); 4] = [
    ("kind", "suggestion"),
    ("email", "habitant@example.org"),
    ("subject", "Horaires"),
    ("message", "Ouvrir le samedi matin."),
];

async fn post_message(c: &mut Client<'_>) -> crate::helpers::Response {
    c.get("/contact").await;
    c.post("/contact", &MESSAGE).await
}

async fn wrong_password(c: &mut Client<'_>, email: &str) -> StatusCode {
    c.post(
        "/connexion",
        &[("email", email), ("password", "pas-le-bon-mot-de-passe")],
    )
    .await
    .status
}

async fn failed_logins_from_one_citizen_do_not_lock_out_another(app: &TestApp) {
    let server = app
        .serve(behind_a_proxy(WebConfig {
            login_max_failures: 3,
            ..Default::default()
        }))
        .await;
    let (proxy, proxy_task) = start_proxy(server.addr).await;

    let mut attacker = Client::over_http(proxy, citizen(2));
    attacker.get("/connexion").await;
    for attempt in 0..3 {
        assert_eq!(
            wrong_password(&mut attacker, ADMIN.0).await,
            StatusCode::UNAUTHORIZED,
            "failure {attempt}"
        );
    }
    for _ in 0..3 {
        let res = attacker
            .post(
                "/connexion",
                &[("email", ADMIN.0), ("password", "encore-une-idee")],
            )
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.body.contains("Trop de tentatives"));
        // Three failures per 15 minutes: the next try in 5 minutes at most.
        assert!((1..=300).contains(&retry_after(&res)), "{:?}", res.headers);
    }
    // Even the right password is refused to this citizen for now...
    let res = attacker
        .post("/connexion", &[("email", ADMIN.0), ("password", ADMIN.1)])
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);

    // ...but the quality lead, from another address behind the same proxy, logs in.
    let mut lead = Client::over_http(proxy, citizen(3));
    lead.login(ADMIN).await;
    assert_eq!(lead.get("/tableau-de-bord").await.status, StatusCode::OK);

    // Fifty parallel guesses from a third address: exactly three are checked.
    let mut guesser = Client::over_http(proxy, citizen(4));
    guesser.get("/connexion").await;
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let mut c = guesser.clone();
        tries.spawn(async move { wrong_password(&mut c, VIEWER.0).await });
    }
    let statuses = tries.join_all().await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (3, 47), "{statuses:?}");

    // An address that guesses at many accounts is stopped too (4 × 3 failures).
    let mut sprayer = Client::over_http(proxy, citizen(5));
    sprayer.get("/connexion").await;
    for n in 0..12 {
        let email = format!("agent{n}@demo.invalid");
        assert_eq!(
            wrong_password(&mut sprayer, &email).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        wrong_password(&mut sprayer, "agent12@demo.invalid").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    proxy_task.abort();
}

async fn the_public_form_is_limited_per_citizen(app: &TestApp) {
    let server = app
        .serve(behind_a_proxy(WebConfig {
            contact_per_hour: 2,
            ..Default::default()
        }))
        .await;
    let (proxy, proxy_task) = start_proxy(server.addr).await;

    let mut a = Client::over_http(proxy, citizen(2));
    for n in 0..2 {
        let res = post_message(&mut a).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "message {n}: {}",
            res.body
        );
    }
    let refused = post_message(&mut a).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .body
            .contains("Trop de messages envoyés depuis votre connexion")
    );
    // Two messages per hour: the next one in half an hour at most.
    assert!((1..=1800).contains(&retry_after(&refused)));

    // Citizen A claims another address: the proxy appends the real one, which counts.
    a.set_header("x-forwarded-for", "198.51.100.23");
    assert_eq!(
        post_message(&mut a).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Citizen A goes around the proxy: not a trusted proxy, its headers are ignored.
    let mut direct = Client::over_http(server.addr, citizen(2));
    direct.set_header("x-forwarded-for", "198.51.100.24");
    assert_eq!(
        post_message(&mut direct).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Citizen B, behind the same proxy, still writes.
    let mut b = Client::over_http(proxy, citizen(3));
    assert_eq!(post_message(&mut b).await.status, StatusCode::SEE_OTHER);
    proxy_task.abort();
}

async fn spoofed_headers_from_an_untrusted_peer_are_ignored(app: &TestApp) {
    let server = app
        .serve(WebConfig {
            contact_per_hour: 2,
            login_max_failures: 2,
            ..Default::default()
        })
        .await;
    let mut spoofer = Client::over_http(server.addr, citizen(1));
    for n in 0..2 {
        spoofer.set_header("x-forwarded-for", &format!("203.0.113.{n}"));
        spoofer.set_header("forwarded", &format!("for=203.0.113.{n}"));
        assert_eq!(
            post_message(&mut spoofer).await.status,
            StatusCode::SEE_OTHER
        );
    }
    spoofer.set_header("x-forwarded-for", "203.0.113.99");
    spoofer.set_header("forwarded", "for=203.0.113.99");
    assert_eq!(
        post_message(&mut spoofer).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    for n in 0..2 {
        spoofer.set_header("x-forwarded-for", &format!("203.0.113.{n}"));
        assert_eq!(
            wrong_password(&mut spoofer, VIEWER.0).await,
            StatusCode::UNAUTHORIZED
        );
    }
    spoofer.set_header("x-forwarded-for", "203.0.113.98");
    assert_eq!(
        wrong_password(&mut spoofer, VIEWER.0).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn on_every_backend(scenario: impl AsyncFn(&TestApp)) {
    for app in TestApp::all().await {
        scenario(&app).await;
        app.cleanup().await;
        if let Some(app) = TestApp::postgres().await {
            scenario(&app).await;
            app.cleanup().await;
        }
    }
}

#[tokio::test]
async fn behind_a_proxy_failed_logins_lock_out_only_their_author() {
    on_every_backend(failed_logins_from_one_citizen_do_not_lock_out_another).await;
}

#[tokio::test]
async fn behind_a_proxy_the_public_form_limit_is_per_citizen() {
    on_every_backend(the_public_form_is_limited_per_citizen).await;
}

#[tokio::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    on_every_backend(spoofed_headers_from_an_untrusted_peer_are_ignored).await;
}
