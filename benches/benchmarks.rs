//! Peer benchmarks under load: the result page with its comparison, one cohort's statistics, and
//! all cohorts for a dashboard, over HTTP against the real server.
//!
//! `BENCH_DATABASE_URL` names a database already loaded with `seed-demo` (e.g. 1,000,000 firms);
//! without it, a temporary SQLite database is seeded with `BENCH_FIRMS` (default 10,000) firms.
//! The server runs with INCLUDE_DEMO_DATA=true so the demo firms count.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;

use criterion::{Criterion, criterion_group, criterion_main};
use social_readiness::benchmark::DisclosurePolicy;
use social_readiness::config::Settings;
use social_readiness::db::Store;
use social_readiness::startup::Application;
use social_readiness::survey::{self, QuestionKind};

/// A minimal keep-alive HTTP/1.1 client, so the measurement is the server's, not a client's.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(port: u16) -> Connection {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Connection {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
        }
    }

    fn request(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes()).expect("write");
        self.writer.write_all(body.as_bytes()).expect("write");
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("status");
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

fn mixed_response_json() -> String {
    let c = survey::current();
    let mut answers = serde_json::Map::new();
    for d in &c.dimensions {
        for q in &d.questions {
            let value = match q.kind {
                QuestionKind::Single => serde_json::Value::from(q.options[1].id.clone()),
                QuestionKind::Multi => serde_json::Value::from(vec![q.options[0].id.clone()]),
            };
            answers.insert(q.id.clone(), value);
        }
    }
    serde_json::json!({
        "lang": "de",
        "profile": {"industry": "C", "size": "small", "region": "DE-BY", "market": "b2b", "years": "gt10", "social_media": "yes"},
        "answers": answers,
    })
    .to_string()
}

fn start_server(database_url: String) -> u16 {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let settings = Settings::from_lookup(|key| match key {
                "PORT" => Some("0".into()),
                "DATABASE_URL" => Some(database_url.clone()),
                "INCLUDE_DEMO_DATA" => Some("true".into()),
                "RUST_LOG" => Some("warn".into()),
                _ => None,
            })
            .expect("settings");
            let app = Application::build(&settings).await.expect("server starts");
            tx.send(app.port()).expect("port");
            let _ = app.run_until_stopped().await;
        });
    });
    rx.recv().expect("server port")
}

fn database() -> (String, String) {
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        return (url, "given database".into());
    }
    let firms: usize = std::env::var("BENCH_FIRMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("sr_bench_{}", std::process::id()));
    let url = format!("sqlite://{}/bench.db", dir.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        social_readiness::demo::seed(
            &store,
            survey::current(),
            &DisclosurePolicy::default(),
            firms,
            1,
        )
        .await
        .expect("seed");
        store.close().await;
    });
    (url, format!("{firms} seeded firms"))
}

fn peer_benchmarks(c: &mut Criterion) {
    let (url, label) = database();
    eprintln!("benchmarking against {label}");
    let port = start_server(url);
    let mut conn = Connection::open(port);
    let (status, body) = conn.request("POST", "/api/v1/responses", &mixed_response_json());
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    let token = created["token"].as_str().expect("token").to_owned();
    let result_path = format!("/s/{token}/result");
    let (status, page) = conn.request("GET", &result_path, "");
    assert_eq!(status, 200);
    assert!(
        page.contains("Vergleichsgruppe"),
        "the result page shows a comparison"
    );
    let (_, one) = conn.request("GET", "/api/v1/benchmarks?industry=C&size=small", "");
    let (_, all) = conn.request("GET", "/api/v1/benchmarks/all", "");
    let all: serde_json::Value = serde_json::from_str(&all).expect("json");
    eprintln!(
        "one cohort: {}; all cohorts: {} listed",
        &one[..one.len().min(120)],
        all["cohorts"].as_array().map_or(0, Vec::len)
    );

    let mut group = c.benchmark_group(format!("peers ({label})"));
    group.bench_function("result page with benchmark", |b| {
        b.iter(|| assert_eq!(conn.request("GET", &result_path, "").0, 200))
    });
    group.bench_function("statistics of one cohort", |b| {
        b.iter(|| {
            assert_eq!(
                conn.request("GET", "/api/v1/benchmarks?industry=C&size=small", "")
                    .0,
                200
            )
        })
    });
    group.bench_function("all cohorts (dashboard)", |b| {
        b.iter(|| assert_eq!(conn.request("GET", "/api/v1/benchmarks/all", "").0, 200))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(5));
    targets = peer_benchmarks
}
criterion_main!(benches);
