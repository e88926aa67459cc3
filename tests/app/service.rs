//! The service as an operator meets it: the binary, its settings, storage set-up, headers.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::helpers::TestApp;
use crate::on_both_databases;

const BINARY: &str = env!("CARGO_BIN_EXE_social-readiness");

/// The README's first command: with no configuration the service creates its SQLite database
/// under ./data, migrates it, and prints the URL to open, with the port it really bound.
#[actix_web::test]
async fn the_binary_starts_on_a_fresh_directory_and_prints_its_url() {
    let dir = std::env::temp_dir().join(format!("sr_bin_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut child = Command::new(BINARY)
        .current_dir(&dir)
        .env("PORT", "0")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    assert!(!url.ends_with(":0/"), "the real port is printed: {url}");
    let client = awc::Client::default();
    let status = client
        .get(url.as_str())
        .send()
        .await
        .map(|r| r.status().as_u16());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status.ok(), Some(200));
    assert!(dir.join("data/social-readiness.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_creates_the_schema_and_bad_settings_are_named() {
    let dir = std::env::temp_dir().join(format!("sr_migrate_{}", std::process::id()));
    let db = dir.join("m.db");
    let output = Command::new(BINARY)
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .expect("migrate runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    assert!(db.exists());
    let output = Command::new(BINARY)
        .env("PORT", "eighty")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("PORT"));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn every_answer_carries_security_headers(app: TestApp) {
    for path in ["/", "/api/v1/questionnaire", "/nowhere"] {
        let reply = app.get(path).await;
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("object-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && csp.contains("base-uri 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        // Pages keep their forms' Origin yet send no Referer to other sites; the rest none.
        let policy = if reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
        {
            "same-origin"
        } else {
            "no-referrer"
        };
        assert_eq!(
            reply.header("referrer-policy").as_deref(),
            Some(policy),
            "{path}"
        );
        assert!(
            reply
                .header("content-type")
                .unwrap_or_default()
                .contains("charset=utf-8")
                || reply
                    .header("content-type")
                    .unwrap_or_default()
                    .starts_with("application/json"),
            "{path}"
        );
    }
    let css = app.get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains(":focus-visible"), "visible focus");
    let health = app.get("/health").await;
    assert_eq!(health.json()["status"], "ok");
}

async fn the_database_is_the_one_asked_for(app: TestApp) {
    assert_eq!(
        format!("{:?}", app.store.backend()).to_lowercase(),
        app.backend_name,
    );
}

on_both_databases!(
    every_answer_carries_security_headers,
    the_database_is_the_one_asked_for
);

/// PostgreSQL compresses the large values of a submit with lz4, not its default pglz (pglz was a
/// tenth of PostgreSQL's CPU per submit; issue 17). A stored response's result is compressed.
#[actix_web::test]
async fn postgres_compresses_large_values_with_lz4() {
    use sqlx::{Connection, Row};
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    let body = crate::helpers::api_body(crate::helpers::Pick::Worst, "en");
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let mut conn = sqlx::PgConnection::connect(app.database_url())
        .await
        .expect("connection");
    let row = sqlx::query(
        "SELECT pg_column_compression(result_json), octet_length(result_json) FROM responses",
    )
    .fetch_one(&mut conn)
    .await
    .expect("the response");
    let (method, length): (Option<String>, i32) = (row.get(0), row.get(1));
    assert!(
        length > 2048,
        "a result this small is never compressed: {length} bytes"
    );
    assert_eq!(method.as_deref(), Some("lz4"));
    conn.close().await.expect("close");
}
