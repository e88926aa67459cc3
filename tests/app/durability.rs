//! Durability under faults: nothing is acknowledged that is not stored, and the service says so
//! when it cannot store.
use crate::helpers::{Backend, Pick, TestApp, api_body, spawn_app};

/// Submits one response through the API; the token if it was acknowledged (201), else the status.
async fn submit(app: &TestApp, i: usize) -> Result<String, (u16, String)> {
    let pick = [Pick::Best, Pick::Worst, Pick::Second][i % 3];
    let reply = app
        .post_json("/api/v1/responses", &api_body(pick, "de"), &[])
        .await;
    if reply.status == 201 {
        Ok(reply.json()["token"]
            .as_str()
            .expect("token in a 201")
            .to_owned())
    } else {
        Err((reply.status, reply.body))
    }
}

/// Starts a survey through the landing page; the private path if it was acknowledged (303).
async fn start(app: &TestApp) -> Result<String, u16> {
    let reply = app.post_form("/start?lang=de", &[("consent", "yes")]).await;
    if reply.status == 303 {
        Ok(reply
            .location()
            .split("/step/")
            .next()
            .expect("token path")
            .to_owned())
    } else {
        Err(reply.status)
    }
}

async fn assert_all_readable(app: &TestApp, submitted: &[String], started: &[String], when: &str) {
    for token in submitted {
        let read = app.get(&format!("/api/v1/responses/{token}")).await;
        assert_eq!(read.status, 200, "{when}: acknowledged {token} is gone");
        assert_eq!(read.json()["status"], "submitted", "{when}");
    }
    for path in started {
        let page = app.get(path).await;
        assert!(
            matches!(page.status, 200 | 303),
            "{when}: acknowledged {path} is gone ({})",
            page.status
        );
    }
}

/// Issue 15, item 1. A full disk makes SQLite roll a failing transaction back by itself; the
/// writer connection must not be reused in a state where later transactions become savepoints
/// of one that never commits. While the disk is full: errors, never a 201 for what is not
/// stored. Afterwards (space freed, no restart): writes work again. Every acknowledged response
/// is readable by other connections, and after a restart on the same file.
#[actix_web::test]
async fn a_full_disk_never_acknowledges_what_is_not_stored() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite");
    let (mut submitted, mut started) = (Vec::new(), Vec::new());
    for i in 0..3 {
        submitted.push(submit(&app, i).await.expect("before the fault"));
    }

    app.store.inject_disk_full(true);
    let mut errors = Vec::new();
    for i in 0..24 {
        match submit(&app, i).await {
            Ok(token) => submitted.push(token),
            Err((status, body)) => {
                assert_eq!(
                    status, 503,
                    "a full disk: try again later, nothing stored: {body}"
                );
                errors.push(status);
            }
        }
        if i % 4 == 0 {
            match start(&app).await {
                Ok(path) => started.push(path),
                Err(status) => {
                    assert_eq!(status, 503, "a page says 503 too");
                    errors.push(status);
                }
            }
        }
    }
    assert!(errors.len() >= 3, "the full disk was noticed: {errors:?}");

    app.store.inject_disk_full(false);
    // A firm finishes its survey in the browser and then presses "back" and "submit" again: both
    // writes are refused inside a transaction that is rolled back (what a stale transaction
    // depth turns into a ROLLBACK TO that leaves the real transaction open).
    let path = start(&app)
        .await
        .expect("a survey starts after space was freed");
    app.complete_survey(&path, Pick::Second, "de").await;
    started.push(path.clone());
    let _ = app.post_form(&format!("{path}/submit?lang=de"), &[]).await;
    let again = crate::survey_pages::step_fields(1, Pick::Best);
    let _ = crate::survey_pages::post_step(&app, &path, 1, &again, "next", "de").await;
    // Clients retrying with their Idempotency-Key at once: the losers of the race roll their
    // transaction back.
    for round in 0..3 {
        let key = format!("retry-{round}");
        let body = api_body(Pick::Best, "en");
        let headers = [("Idempotency-Key", key.as_str())];
        let replies = futures_util::future::join_all(
            (0..8).map(|_| app.post_json("/api/v1/responses", &body, &headers)),
        )
        .await;
        let tokens: std::collections::BTreeSet<String> = replies
            .iter()
            .filter(|r| matches!(r.status, 200 | 201))
            .map(|r| r.json()["token"].as_str().expect("token").to_owned())
            .collect();
        assert_eq!(tokens.len(), 1, "one response per key: {tokens:?}");
        submitted.extend(tokens);
    }
    for i in 0..6 {
        match submit(&app, i).await {
            Ok(token) => submitted.push(token),
            // The first write may still meet the connection that saw the full disk.
            Err((status, body)) if i == 0 => assert_eq!(status, 503, "{body}"),
            Err((status, body)) => panic!("no recovery after space was freed: {status} {body}"),
        }
    }
    started.push(start(&app).await.expect("a survey starts again"));
    assert!(submitted.len() >= 8);
    assert_all_readable(&app, &submitted, &started, "without restart").await;

    // A restart: the first instance lets go of the file, a second one opens it.
    app.store.close().await;
    let second = app.sibling(&[]).await;
    assert_all_readable(&second, &submitted, &started, "after a restart").await;
    let stored = second.counts().await.responses;
    assert_eq!(
        stored,
        i64::try_from(submitted.len() + started.len()).expect("small"),
        "exactly the acknowledged responses are stored"
    );
    let after = submit(&second, 0)
        .await
        .expect("the restarted service stores");
    assert_all_readable(&second, &[after], &[], "after restart").await;
}

/// A TCP proxy in front of PostgreSQL that the test can cut (dropping every connection and
/// refusing new ones) and mend, without touching the shared server.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy binds");
        let port = listener.local_addr().expect("address").port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        actix_web::rt::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // dropped: the connection closes at once
                }
                let upstream = upstream.clone();
                let mut watch = watch.clone();
                actix_web::rt::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Proxy { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        let _ = self.cut.send(cut);
    }
}

fn assert_unavailable(reply: &crate::helpers::Reply, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {}", reply.body);
    let retry: u32 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: 503 without Retry-After"));
    assert!(retry >= 1, "{what}");
}

/// Issue 15, item 3: with PostgreSQL unreachable, requests get 503 with `Retry-After` (JSON for
/// the API, a page for browsers) within `DATABASE_TIMEOUT_MS`, `/ready` says 503 and `/health`
/// 200; when the database is back, the same process serves again.
#[actix_web::test]
async fn an_unreachable_database_gives_503_and_the_service_recovers() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let url = app.database_url().to_owned();
    let (scheme_user, rest) = url.split_once('@').expect("postgres://user@host:port/db");
    let (upstream, db) = rest.split_once('/').expect("host:port/db");
    let proxy = Proxy::start(upstream.to_owned()).await;
    let via_proxy = format!("{scheme_user}@127.0.0.1:{}/{db}", proxy.port);
    let app = app
        .sibling_at(
            &via_proxy,
            &[("DATABASE_TIMEOUT_MS", "500"), ("READY_TIMEOUT_MS", "500")],
        )
        .await;
    assert_eq!(app.get("/ready").await.status, 200);
    let token = submit(&app, 0)
        .await
        .expect("stored while the database is up");
    let result_page = format!("/s/{token}/result");
    assert_eq!(app.get(&result_page).await.status, 200);

    proxy.set_cut(true);
    let reply = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "de"), &[])
        .await;
    assert_unavailable(&reply, "API submit");
    assert!(reply.json()["error"].is_string(), "JSON for the API");
    let read = app.get(&format!("/api/v1/responses/{token}")).await;
    assert_unavailable(&read, "API read");
    let page = app.get(&result_page).await;
    assert_unavailable(&page, "result page");
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "a page for browsers"
    );
    assert_unavailable(&app.get("/ready").await, "/ready");
    assert_eq!(
        app.get("/health").await.status,
        200,
        "the process itself is alive"
    );

    proxy.set_cut(false);
    let mut recovered = None;
    for i in 0..10 {
        match submit(&app, i).await {
            Ok(token) => {
                recovered = Some(token);
                break;
            }
            Err((status, body)) => assert_eq!(status, 503, "{body}"),
        }
    }
    let token = recovered.expect("the service recovers without a restart");
    assert_eq!(
        app.get(&format!("/api/v1/responses/{token}")).await.status,
        200
    );
    assert_eq!(app.get("/ready").await.status, 200);
}

/// On SQLite: another process holding the write lock longer than `READY_TIMEOUT_MS` makes
/// `/ready` say 503 while `/health` stays 200; reads go on; once the lock is gone, `/ready` is 200.
#[actix_web::test]
async fn ready_tells_when_the_sqlite_writer_is_stuck() {
    use sqlx::{Connection, Executor};
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite");
    let app = app.sibling(&[("READY_TIMEOUT_MS", "300")]).await;
    assert_eq!(app.get("/ready").await.status, 200);
    let mut other = sqlx::SqliteConnection::connect(app.database_url())
        .await
        .expect("a second process's connection");
    other.execute("BEGIN IMMEDIATE").await.expect("write lock");
    assert_unavailable(&app.get("/ready").await, "/ready while locked");
    assert_eq!(app.get("/health").await.status, 200);
    assert_eq!(app.get("/api/v1/questionnaire").await.status, 200);
    other.execute("ROLLBACK").await.expect("release");
    assert_eq!(app.get("/ready").await.status, 200);
}

/// Two instances on one SQLite file: a write transaction that reads before it writes is not
/// undone by the other instance committing in between. With deferred transactions the second
/// instance's write slipped in after the first one's read, and the first one's write then
/// failed at once with "database is locked" (WAL cannot move a read snapshot on, and
/// `busy_timeout` does not wait that out: seen as a flaky two-instance test). `begin_write`
/// takes the write lock at `BEGIN` (`IMMEDIATE`), so the other instance waits instead.
#[actix_web::test]
async fn a_write_that_reads_first_survives_another_instance_writing_meanwhile() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite");
    let other = app.sibling(&[]).await;
    let write = |id: i64| {
        sqlx::query("INSERT INTO service_checks (id, checked_at) VALUES ($1, 0)").bind(id)
    };
    let mut first = app.store.begin_write().await.expect("begin");
    sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM service_checks")
        .fetch_one(&mut *first)
        .await
        .expect("read");
    let meanwhile = tokio::spawn(async move {
        let mut tx = other.store.begin_write().await?;
        write(1_002).execute(&mut *tx).await?;
        tx.commit().await
    });
    // Room for the other instance to commit now, if it could.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    write(1_001)
        .execute(&mut *first)
        .await
        .expect("the first transaction's write after its read");
    first.commit().await.expect("commit");
    meanwhile
        .await
        .expect("joined")
        .expect("the other instance's write, after the first");
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM service_checks WHERE id > 1000 ORDER BY id")
            .fetch_all(&mut *app.store.begin_write().await.expect("begin"))
            .await
            .expect("read back");
    assert_eq!(ids, vec![1_001, 1_002]);
}

/// Issue 15, item 2: a client trickling its body is cut off with the service's own 408 once it
/// falls below `BODY_MIN_BYTES_PER_SECOND`, or after `BODY_TIMEOUT_MS`.
#[actix_web::test]
async fn a_trickled_body_gets_408() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite");
    for (name, settings) in [
        (
            "minimum rate",
            [
                ("BODY_MIN_BYTES_PER_SECOND", "1024"),
                ("BODY_TIMEOUT_MS", "60000"),
            ],
        ),
        (
            "timeout",
            [
                ("BODY_MIN_BYTES_PER_SECOND", "0"),
                ("BODY_TIMEOUT_MS", "1500"),
            ],
        ),
    ] {
        let slow = app.sibling(&settings).await;
        let address = slow.address.trim_start_matches("http://").to_owned();
        let answer = actix_web::rt::task::spawn_blocking(move || trickle(&address))
            .await
            .expect("trickle thread");
        assert!(answer.starts_with("HTTP/1.1 408"), "{name}: {answer}");
        assert!(
            answer.contains("too slowly"),
            "{name}: the service's own message: {answer}"
        );
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("x-content-type-options: nosniff"),
            "{name}"
        );
    }
}

/// Sends a JSON POST declaring 2,000 bytes, one byte every 200 ms; returns what the server said.
fn trickle(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .expect("timeout");
    let head = format!(
        "POST /api/v1/responses HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).expect("head");
    let mut answer = Vec::new();
    for _ in 0..100 {
        let mut buf = [0u8; 4096];
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => {}
        }
        if stream.write_all(b" ").is_err() {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// The participants in a campaign's stored snapshot, and the snapshot's version.
async fn snapshot_of(app: &TestApp, campaign_id: i64) -> (Vec<String>, i64) {
    let (stored, version) = app
        .store
        .campaign_publication(campaign_id)
        .await
        .expect("read")
        .expect("a published snapshot");
    let publication = social_readiness::dashboard::CampaignPublication::decode(&stored)
        .expect("a readable snapshot");
    let participants = publication
        .participant_ids()
        .map(|id| id.as_str().to_owned())
        .collect();
    (participants, version)
}

/// Issue 11, item 3: erasing a response and taking it out of its campaign's published snapshot
/// is one transaction. A failure injected before the snapshot write leaves everything as it was
/// (the owner can retry with the same link); the retry leaves no trace of the firm anywhere.
async fn erasure_is_atomic_with_the_campaign_snapshot(app: TestApp) {
    use social_readiness::accounts::Role;
    app.create_user(Role::Chamber, "ihk-erase@example.de").await;
    let chamber = app.login("ihk-erase@example.de").await;
    let (campaign, code) = crate::chambers::create_campaign(&chamber, "Erasure").await;
    let mut firms = Vec::new();
    for i in 0..5 {
        firms.push(crate::chambers::take_part(&app, &code, true, "C", &format!("Firm {i}")).await);
    }
    let dashboard = chamber
        .get(&format!("/chamber/dashboard?campaign={campaign}"))
        .await;
    assert_eq!(dashboard.status, 200);
    let (before, version) = snapshot_of(&app, campaign).await;
    assert_eq!(before.len(), 5, "{before:?}");
    let counts = app.counts().await;
    let erased = &firms[0];

    app.store.inject_publication_write_failure();
    let failed = app
        .post_form(&format!("{erased}/delete?lang=de"), &[("confirm", "yes")])
        .await;
    assert!(failed.status >= 500, "{}: {}", failed.status, failed.body);
    assert_eq!(
        app.get(&format!("{erased}/result")).await.status,
        200,
        "a failed erasure leaves the response, so the owner can retry"
    );
    assert_eq!(snapshot_of(&app, campaign).await, (before.clone(), version));
    assert_eq!(app.counts().await.responses, counts.responses);

    let deleted = app
        .post_form(&format!("{erased}/delete?lang=de"), &[("confirm", "yes")])
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(app.get(&format!("{erased}/result")).await.status, 404);
    let (after, _) = snapshot_of(&app, campaign).await;
    assert_eq!(after.len(), 4, "the firm left the snapshot: {after:?}");
    assert!(after.iter().all(|p| before.contains(p)));
    assert_eq!(app.counts().await.responses, counts.responses - 1);
}

crate::on_both_databases!(erasure_is_atomic_with_the_campaign_snapshot);
