//! `TestApp`: a fresh database seeded with the demo prefecture, the router in-process (or
//! the real server on a port), and a small cookie-keeping client.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use qep_store::Store;
use qep_store_postgres::{PgStore, testdb};
use qep_store_sqlite::SqliteStore;
use qep_store_sqlite::testdb::TempDbPath;
use tower::ServiceExt as _;

pub const ADMIN: (&str, &str) = ("referente.qualite@demo.invalid", "demo-referente-qualite");
pub const AGENT: (&str, &str) = ("agent.accueil@demo.invalid", "demo-agent-accueil");
pub const VIEWER: (&str, &str) = ("direction@demo.invalid", "demo-direction-lecture");

enum Db {
    Sqlite(TempDbPath),
    Postgres(testdb::TestDatabase),
}

pub struct TestApp {
    pub store: Arc<dyn Store>,
    /// The use cases' context over `store`, as the pages get it.
    pub ctx: qep_app::Ctx,
    pub router: Router,
    db: Option<Db>,
}

impl TestApp {
    pub async fn sqlite_with(config: qep_web::WebConfig) -> TestApp {
        let path = TempDbPath::new();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&path.0, true).await.expect("open sqlite"));
        Self::build(store, Db::Sqlite(path), config).await
    }

    /// `None` when no PostgreSQL server is configured for the tests.
    pub async fn postgres() -> Option<TestApp> {
        let db = testdb::create().await?;
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url).await.expect("connect"));
        Some(Self::build(store, Db::Postgres(db), qep_web::WebConfig::default()).await)
    }

    /// The demo on SQLite, and on PostgreSQL when a server is configured (always in CI),
    /// on the system clock: what every HTTP test runs on.
    pub async fn all() -> Vec<TestApp> {
        Self::each_backend(Arc::new(qep_app::SystemClock)).await
    }

    /// The demo on SQLite, and on PostgreSQL when a server is configured (always in CI),
    /// every one on `clock`.
    pub async fn each_backend(clock: Arc<dyn qep_app::Clock>) -> Vec<TestApp> {
        let path = TempDbPath::new();
        let sqlite: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&path.0, true).await.expect("open sqlite"));
        let mut apps = vec![
            Self::build_at(
                sqlite,
                Db::Sqlite(path),
                qep_web::WebConfig::default(),
                clock.clone(),
            )
            .await,
        ];
        if let Some(db) = testdb::create().await {
            let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url).await.expect("connect"));
            apps.push(
                Self::build_at(
                    store,
                    Db::Postgres(db),
                    qep_web::WebConfig::default(),
                    clock,
                )
                .await,
            );
        }
        apps
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// What `qep --database` takes for this app's database.
    pub fn database_url(&self) -> String {
        match &self.db {
            Some(Db::Postgres(db)) => db.url.clone(),
            Some(Db::Sqlite(path)) => path.0.display().to_string(),
            None => String::new(),
        }
    }

    /// The database's URL when it is a PostgreSQL one (to open a second connection pool:
    /// another server on the same database).
    pub fn postgres_url(&self) -> Option<String> {
        match &self.db {
            Some(Db::Postgres(db)) => Some(db.url.clone()),
            _ => None,
        }
    }

    async fn build(store: Arc<dyn Store>, db: Db, config: qep_web::WebConfig) -> TestApp {
        Self::build_at(store, db, config, Arc::new(qep_app::SystemClock)).await
    }

    async fn build_at(
        store: Arc<dyn Store>,
        db: Db,
        config: qep_web::WebConfig,
        clock: Arc<dyn qep_app::Clock>,
    ) -> TestApp {
        let ctx = qep_app::Ctx::with_clock(store.clone(), clock);
        qep::demo::seed(&ctx).await.expect("seed demo");
        let state = qep_web::AppState::new(ctx.clone(), config).expect("state");
        TestApp {
            router: qep_web::app(state),
            ctx,
            store,
            db: Some(db),
        }
    }

    pub fn client(&self) -> Client<'_> {
        Client {
            transport: Transport::InProcess(self),
            headers: HeaderMap::new(),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    /// The real server (`qep::serve`) over this database on 127.0.0.1, a free port.
    pub async fn serve(&self, config: qep_web::WebConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(qep::serve(
            self.ctx.clone(),
            config,
            qep_app::mail::MailConfig::default(),
            qep_app::jobs::JobsConfig::default(),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        Server {
            addr,
            _stop: stop,
            task,
        }
    }

    pub async fn cleanup(mut self) {
        if let Some(Db::Postgres(db)) = self.db.take() {
            db.drop_database().await;
        }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (files: PDF, XLSX…).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// A server started by [`TestApp::serve`]; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
enum Transport<'a> {
    /// The router, called in-process: the server knows no client address.
    InProcess(&'a TestApp),
    /// HTTP over TCP to `server`, the connections made from a chosen local address.
    Http {
        server: SocketAddr,
        client: hyper_util::client::legacy::Client<HttpConnector, Body>,
    },
}

/// Keeps cookies like a browser and remembers the last CSRF token seen in a page.
#[derive(Clone)]
pub struct Client<'a> {
    transport: Transport<'a>,
    /// Sent with every request.
    headers: HeaderMap,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
}

impl Client<'static> {
    /// A client of the real server at `server` whose connections come from `from`: on
    /// Linux any 127.x.y.z, so that tests can have many citizens on one machine.
    pub fn over_http(server: SocketAddr, from: IpAddr) -> Client<'static> {
        let mut connector = HttpConnector::new();
        connector.set_local_address(Some(from));
        Client {
            transport: Transport::Http {
                server,
                client: hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                    .build(connector),
            },
            headers: HeaderMap::new(),
            cookies: HashMap::new(),
            csrf: None,
        }
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl Client<'_> {
    /// Sends `name: value` with every request from now on.
    pub fn set_header(&mut self, name: &'static str, value: &str) {
        self.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("header value"),
        );
    }

    pub async fn send(&mut self, method: Method, path: &str, form: Option<String>) -> Response {
        match form {
            Some(f) => {
                self.send_raw(
                    method,
                    path,
                    Some("application/x-www-form-urlencoded"),
                    f.into_bytes(),
                )
                .await
            }
            None => self.send_raw(method, path, None, Vec::new()).await,
        }
    }

    /// The last CSRF token seen in a page.
    pub fn csrf(&self) -> String {
        self.csrf.clone().unwrap_or_default()
    }

    pub async fn send_raw(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let uri = match &self.transport {
            Transport::InProcess(_) => path.to_owned(),
            Transport::Http { server, .. } => format!("http://{server}{path}"),
        };
        let mut req = Request::builder().method(method).uri(uri);
        for (name, value) in &self.headers {
            req = req.header(name, value);
        }
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req.body(Body::from(body)).expect("request");
        let res = match &self.transport {
            Transport::InProcess(app) => app.router.clone().oneshot(req).await.expect("infallible"),
            Transport::Http { client, .. } => client
                .request(req)
                .await
                .expect("HTTP request")
                .map(Body::new),
        };
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = String::from_utf8_lossy(&bytes).into_owned();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap_or_default();
            let Some((pair, attrs)) = c.split_once(';') else {
                continue;
            };
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        if let Some(t) = csrf_in(&body) {
            self.csrf = Some(t);
        }
        Response {
            status,
            headers,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    /// Posts `fields` with the last CSRF token seen (fetching `/connexion` first if none).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        if self.csrf.is_none() {
            self.get("/connexion").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).expect("encode");
        self.send(Method::POST, path, Some(body)).await
    }

    /// Posts without any CSRF token.
    pub async fn post_without_token(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = serde_urlencoded::to_string(fields).expect("encode");
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn login(&mut self, (email, password): (&str, &str)) -> Response {
        self.get("/connexion").await;
        let res = self
            .post("/connexion", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "login of {email} failed: {}",
            res.body
        );
        // A fresh page gives the session's own CSRF token.
        self.get("/tableau-de-bord").await;
        res
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.cookies.get(name)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }
}
