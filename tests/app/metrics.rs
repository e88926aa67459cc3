//! Issue 15, item 6: Prometheus metrics at /metrics, readable only from the addresses named in
//! METRICS_ALLOW or with METRICS_TOKEN.
use crate::helpers::{Pick, TestApp, api_body, submit_alternating_at_once};
use crate::on_both_databases;

const TOKEN: &str = "metrics-token-for-the-tests-0123456789";

/// The value of the sample `line_start` (name and labels) in an exposition.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_count_requests_submissions_renders_and_pools(app: TestApp) {
    // Without a setting nobody reads them: the service's own 403 page.
    let refused = app.get("/metrics").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(!refused.body.contains("social_readiness_"));

    let app = app.sibling(&[("METRICS_ALLOW", "127.0.0.1, ::1")]).await;
    let created = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "en"), &[])
        .await;
    assert_eq!(created.status, 201);
    let token = created.json()["token"].as_str().expect("token").to_owned();
    // The same Idempotency-Key twice is one submission.
    for _ in 0..2 {
        let reply = app
            .post_json(
                "/api/v1/responses",
                &api_body(Pick::Worst, "en"),
                &[("Idempotency-Key", "k-1")],
            )
            .await;
        assert_eq!(reply.status, 201);
    }
    let pdf = app
        .get(&format!("/api/v1/responses/{token}/report.pdf"))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/responses/{token}")).await.status,
        200
    );
    assert_eq!(app.get("/no/such/page").await.status, 404);

    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = &reply.body;
    assert!(!text.contains(&token), "no private token in a label");
    let requests = "social_readiness_http_requests_total";
    assert_eq!(
        sample(
            text,
            &format!("{requests}{{route=\"/api/v1/responses\",method=\"POST\",status=\"201\"}}")
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            text,
            &format!(
                "{requests}{{route=\"/api/v1/responses/{{token}}\",method=\"GET\",status=\"200\"}}"
            )
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            &format!("{requests}{{route=\"unmatched\",method=\"GET\",status=\"404\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            text,
            "social_readiness_http_request_duration_seconds_count{route=\"/api/v1/responses\",method=\"POST\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            text,
            "social_readiness_http_request_duration_seconds_bucket{route=\"/api/v1/responses\",method=\"POST\",le=\"+Inf\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(text, "social_readiness_submissions_total{channel=\"api\"}"),
        Some(2.0)
    );
    assert_eq!(
        sample(
            text,
            "social_readiness_pdf_renders_total{kind=\"report\",outcome=\"ok\"}"
        ),
        Some(1.0)
    );
    assert!(
        text.contains("social_readiness_db_pool_connections{pool="),
        "{text}"
    );
    assert!(
        text.lines()
            .filter(|l| l.starts_with("social_readiness_db_pool_max_connections{"))
            .all(|l| sample(l, l.rsplit_once(' ').map_or("", |(k, _)| k)).is_some_and(|n| n >= 1.0)),
        "{text}"
    );
    // The owner's pages count as form submissions.
    let token_path = app.start_survey("de").await;
    app.complete_survey(&token_path, Pick::Best, "de").await;
    let text = app.get("/metrics").await.body;
    assert_eq!(
        sample(
            &text,
            "social_readiness_submissions_total{channel=\"form\"}"
        ),
        Some(1.0),
        "{text}"
    );
    // Keyed submissions count at once; a keyless one is held back and shows in the gauge.
    let held = "social_readiness_responses_held_back";
    assert_eq!(sample(&text, held), Some(0.0), "{text}");
    let keyless = crate::abuse::post_keyless(&app, &api_body(Pick::Best, "en"), &[]).await;
    assert_eq!(keyless.status, 201, "{}", keyless.body);
    let text = app.get("/metrics").await.body;
    assert_eq!(sample(&text, held), Some(1.0), "{text}");
}

async fn a_bearer_token_reads_metrics_from_elsewhere(app: TestApp) {
    // 192.0.2.0/24 is documentation space: not where the test client is.
    let app = app
        .sibling(&[("METRICS_ALLOW", "192.0.2.0/24"), ("METRICS_TOKEN", TOKEN)])
        .await;
    assert_eq!(app.get("/metrics").await.status, 403);
    let wrong = app
        .get_with(
            "/metrics",
            ("Authorization", "Bearer wrong-token-wrong-token-wrong"),
        )
        .await;
    assert_eq!(wrong.status, 403);
    let bearer = format!("Bearer {TOKEN}");
    let reply = app
        .get_with("/metrics", ("Authorization", bearer.as_str()))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("# TYPE social_readiness_http_requests_total counter")
    );
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
}

/// Issue 17: the statistics journal's backlog and refusals, this instance's merge rounds and,
/// on SQLite, the group-commit batch sizes.
async fn metrics_show_the_journal_merges_and_commit_batches(app: TestApp) {
    let app = app.sibling(&[("METRICS_ALLOW", "127.0.0.1, ::1")]).await;
    let before = app.get("/metrics").await.body;
    let merged_before = sample(&before, "social_readiness_statistics_merged_changes_total")
        .expect("merged changes");
    let replies = submit_alternating_at_once(&app, 6).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let text = app.get("/metrics").await.body;
    let journal = "social_readiness_statistics_journal_entries";
    // Every submit's change was merged before it was answered; none was refused.
    assert_eq!(
        sample(&text, &format!("{journal}{{state=\"waiting\"}}")),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, &format!("{journal}{{state=\"refused\"}}")),
        Some(0.0),
        "{text}"
    );
    let rounds = "social_readiness_statistics_merge_rounds_total";
    let ok_rounds = sample(&text, &format!("{rounds}{{outcome=\"ok\"}}")).expect("rounds");
    assert!(ok_rounds >= 1.0, "{text}");
    assert_eq!(
        sample(&text, &format!("{rounds}{{outcome=\"error\"}}")),
        Some(0.0)
    );
    // Six submits, each a change in two scopes (real, with demo).
    let merged = sample(&text, "social_readiness_statistics_merged_changes_total").expect("merged");
    assert_eq!(merged - merged_before, 12.0, "{text}");
    assert!(
        sample(&text, "social_readiness_statistics_merge_seconds_total").is_some_and(|s| s > 0.0)
    );
    let batches = "social_readiness_db_commit_batch_size";
    if app.backend_name == "sqlite" {
        let count = sample(&text, &format!("{batches}_count")).expect("batches");
        let members = sample(&text, &format!("{batches}_sum")).expect("members");
        // Six submits and at least one merge went through the writer's batches.
        assert!(count >= 1.0 && members >= 7.0, "{text}");
        assert!(members >= count, "{text}");
        assert_eq!(
            sample(&text, &format!("{batches}_bucket{{le=\"+Inf\"}}")),
            Some(count)
        );
        assert_eq!(
            sample(&text, "social_readiness_db_commit_batches_failed_total"),
            Some(0.0)
        );
    } else {
        assert!(
            !text.contains(batches),
            "no group commit on PostgreSQL: {text}"
        );
    }
}

on_both_databases!(
    metrics_count_requests_submissions_renders_and_pools,
    a_bearer_token_reads_metrics_from_elsewhere,
    metrics_show_the_journal_merges_and_commit_batches,
);
