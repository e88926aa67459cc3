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
                assert!(
                    status >= 500,
                    "a full disk is our failure, not the client's: {status} {body}"
                );
                errors.push(status);
            }
        }
        if i % 4 == 0 {
            match start(&app).await {
                Ok(path) => started.push(path),
                Err(status) => {
                    assert!(status >= 500, "{status}");
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
            Err((status, body)) if i == 0 => assert!(status >= 500, "{status} {body}"),
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
