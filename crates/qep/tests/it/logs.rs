//! The real `qep serve`, its standard error read: what the log says of a login (a
//! well-formed address, never a forged line nor a password typed in the address field),
//! and the uploads a crashed server left, removed when it starts.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use qep_store_sqlite::testdb::TempDbPath;

use crate::helpers::Client;

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_log_names_only_well_formed_addresses_and_orphan_uploads_go() {
    let db = TempDbPath::new();
    let url = format!("sqlite://{}", db.0.display());
    let qep = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qep"));
        command
            .arg("--database")
            .arg(&url)
            .args(args)
            .env_remove("QEP_DATABASE_URL")
            .env_remove("QEP_CONFIG")
            .env_remove("RUST_LOG")
            .current_dir(std::env::temp_dir());
        command
    };
    let o = qep(&[
        "init",
        "--name",
        "Préfecture de l'Orne",
        "--department",
        "61",
    ])
    .stdin(Stdio::null())
    .output()
    .expect("qep init");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // An upload left by a server that crashed (its process is gone: pids stop below 2²²).
    let orphan = std::env::temp_dir().join("qep-uploads").join("4194305");
    std::fs::create_dir_all(&orphan).expect("orphan directory");
    std::fs::write(orphan.join("qep-import-00000000000000ff"), "a;b\n").expect("orphan");

    let log = db.0.with_extension("stderr");
    let file = std::fs::File::create(&log).expect("log file");
    let _server = Server(
        qep(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("qep serve"),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "server not up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut c = Client::over_http(addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
    for (email, password) in [
        ("x\nERROR qep: login user=admin@prefecture.gouv.fr", "rien"),
        ("MonMotDePasseSecret-42", "rien"),
        ("inconnue@exemple.fr", "pas-le-bon"),
    ] {
        let res = c
            .post("/connexion", &[("email", email), ("password", password)])
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{email:?}");
    }
    // The log is written as the requests are answered; give it a moment to reach the file.
    let mut text = String::new();
    let started = Instant::now();
    while !text.contains("inconnue@exemple.fr") && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        text = std::fs::read_to_string(&log).expect("log");
    }
    assert!(
        !orphan.exists(),
        "the orphan upload is removed when the server starts"
    );
    assert!(text.contains("orphan uploads"), "{text}");
    assert!(text.contains("inconnue@exemple.fr"), "{text}");
    assert!(text.contains("non journalisée"), "{text}");
    assert!(
        !text.contains("MonMotDePasseSecret"),
        "a password in the log: {text}"
    );
    assert!(
        !text.contains("admin@prefecture"),
        "a forged line in the log: {text}"
    );
    let _ = std::fs::remove_file(&log);
}
