//! Peer benchmarks: published statistics, disclosure control and the comparison a firm sees.
use serde_json::Value;
use social_readiness::benchmark::DisclosurePolicy;

use crate::helpers::{
    Pick, TestApp, api_body, api_body_for, catalogue, submit_alternating_at_once,
};
use crate::on_both_databases;

async fn submit(app: &TestApp, body: &Value) -> String {
    let reply = app.post_json("/api/v1/responses", body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["token"].as_str().expect("token").to_owned()
}

/// The overall score of a pick, from the pure scoring (the API tests check both agree).
fn overall_score(pick: Pick) -> u64 {
    u64::from(assessment(pick).overall.score)
}

/// The red flags a pick raises, from the pure scoring.
fn red_flags(pick: Pick) -> Vec<String> {
    assessment(pick)
        .red_flags
        .into_iter()
        .map(|f| f.id)
        .collect()
}

fn assessment(pick: Pick) -> social_readiness::scoring::Assessment {
    let c = catalogue();
    let body = api_body(pick, "de");
    let mut raw = Vec::new();
    for (k, v) in body["profile"].as_object().expect("profile") {
        raw.push((
            k.clone(),
            social_readiness::survey::RawAnswer::One(v.as_str().expect("str").to_owned()),
        ));
    }
    for (k, v) in body["answers"].as_object().expect("answers") {
        let answer = match v {
            Value::Array(ids) => social_readiness::survey::RawAnswer::Many(
                ids.iter()
                    .map(|i| i.as_str().expect("id").to_owned())
                    .collect(),
            ),
            other => {
                social_readiness::survey::RawAnswer::One(other.as_str().expect("id").to_owned())
            }
        };
        raw.push((k.clone(), answer));
    }
    let answers = social_readiness::survey::AnswerSet::parse(c, raw).expect("valid");
    social_readiness::scoring::assess(c, &answers)
}

/// Nearest rank, computed on the sorted list (independently of the histogram code).
fn nearest_rank(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).max(1);
    sorted[(rank - 1) as usize]
}

async fn a_small_hand_made_set_gives_exact_statistics(app: TestApp) {
    let picks = [
        Pick::Best,
        Pick::Worst,
        Pick::Second,
        Pick::Best,
        Pick::Worst,
    ];
    for pick in picks {
        submit(&app, &api_body(pick, "de")).await;
    }
    let mut scores = Vec::new();
    for pick in picks {
        scores.push(overall_score(pick));
    }
    scores.sort_unstable();
    let second = overall_score(Pick::Second);
    assert_eq!(scores, vec![0, 0, second, 100, 100]);
    let reply = app.get("/api/v1/benchmarks?industry=C&size=small").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["status"], "published", "{body}");
    assert_eq!(body["cohort"]["kind"], "industry_size");
    assert_eq!(body["cohort"]["n"], 5);
    let overall = &body["statistics"]["overall"];
    assert_eq!(overall["p10"], nearest_rank(&scores, 10));
    assert_eq!(overall["p25"], 0);
    assert_eq!(overall["median"], second);
    assert_eq!(overall["p75"], 100);
    assert_eq!(overall["p90"], 100);
    let mean = (200.0 + second as f64) / 5.0;
    assert!((overall["mean"].as_f64().expect("mean") - (mean * 10.0).round() / 10.0).abs() < 1e-9);
    let levels: Vec<u64> = overall["levels"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| l["count"].as_u64().expect("count"))
        .collect();
    assert_eq!(levels.iter().sum::<u64>(), 5);
    assert_eq!(levels[0], 2, "the two worst firms are at level 1");
    assert_eq!(
        body["statistics"]["dimensions"].as_array().map(Vec::len),
        Some(9)
    );
    // Red flag counts: each flag of the worst answers twice, of the middling answers once.
    let flags = body["statistics"]["red_flags"].as_array().expect("flags");
    assert!(!flags.is_empty());
    let (worst_flags, second_flags) = (red_flags(Pick::Worst), red_flags(Pick::Second));
    for f in flags {
        let id = f["id"].as_str().expect("id").to_owned();
        let expected =
            2 * u64::from(worst_flags.contains(&id)) + u64::from(second_flags.contains(&id));
        assert_eq!(f["count"].as_u64(), Some(expected), "{f}");
        assert!((f["share"].as_f64().expect("share") - expected as f64 / 5.0).abs() < 1e-9);
    }
    // The same cohort by size only, region, and all firms: the same five firms.
    for query in ["size=small", "region=DE-BY", "industry=C", ""] {
        let body = app.get(&format!("/api/v1/benchmarks?{query}")).await.json();
        assert_eq!(body["statistics"]["n"], 5, "{query}: {body}");
        assert_eq!(body["statistics"]["overall"]["median"], second);
    }
}

async fn the_kth_response_publishes_and_fewer_change_nothing(app: TestApp) {
    let k = DisclosurePolicy::default().k() as usize;
    let mut tokens = Vec::new();
    for i in 0..k - 1 {
        tokens.push(
            submit(
                &app,
                &api_body(if i % 2 == 0 { Pick::Best } else { Pick::Second }, "de"),
            )
            .await,
        );
        let cohort = app
            .get("/api/v1/benchmarks?industry=C&size=small")
            .await
            .json();
        assert_eq!(
            cohort["status"],
            "suppressed",
            "after {} responses: {cohort}",
            i + 1
        );
        assert!(cohort.get("statistics").is_none());
    }
    let response = app
        .get(&format!("/api/v1/responses/{}", tokens[0]))
        .await
        .json();
    assert!(response["benchmark"].is_null());
    assert!(
        response["benchmark_unavailable"]["message"]
            .as_str()
            .expect("reason")
            .contains("at least 5")
    );
    let page = app.get(&format!("/s/{}/result", tokens[0])).await;
    // The served version's group is still forming (never "fewer than k" of all firms).
    assert!(page.body.contains("bildet sich noch"), "{}", page.body);

    tokens.push(submit(&app, &api_body(Pick::Worst, "de")).await);
    let published = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(
        published["status"], "published",
        "the k-th submit publishes at once"
    );
    assert_eq!(published["statistics"]["n"], k);

    // Fewer than k further responses leave every published number as it was.
    for _ in 0..k - 1 {
        submit(&app, &api_body(Pick::Best, "de")).await;
        let again = app
            .get("/api/v1/benchmarks?industry=C&size=small")
            .await
            .json();
        assert_eq!(again["statistics"], published["statistics"]);
    }
    submit(&app, &api_body(Pick::Best, "de")).await;
    let next = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(next["statistics"]["n"], 2 * k);
}

async fn the_result_shows_where_the_firm_stands(app: TestApp) {
    let mut tokens = Vec::new();
    for pick in [
        Pick::Worst,
        Pick::Second,
        Pick::Second,
        Pick::Best,
        Pick::Best,
    ] {
        tokens.push(submit(&app, &api_body(pick, "de")).await);
    }
    // The middle firm: 1 of 5 scores lower → better than 20 %.
    let response = app
        .get(&format!("/api/v1/responses/{}", tokens[1]))
        .await
        .json();
    let benchmark = &response["benchmark"];
    assert_eq!(benchmark["cohort"]["kind"], "industry_size", "{response}");
    assert_eq!(benchmark["cohort"]["n"], 5);
    assert!(
        benchmark["cohort"]["label"]
            .as_str()
            .expect("label")
            .contains("Herstellung und Verarbeitung")
    );
    assert_eq!(benchmark["overall"]["percentile_rank"], 20);
    assert_eq!(benchmark["overall"]["median"], overall_score(Pick::Second));
    let dims = benchmark["dimensions"].as_array().expect("dimensions");
    assert_eq!(dims.len(), 9);
    for d in dims {
        assert!(
            d["id"].is_string()
                && d["median"].is_u64()
                && d["p25"].is_u64()
                && d["p75"].is_u64()
                && d["percentile_rank"].is_u64()
        );
    }
    let page = app.get(&format!("/s/{}/result", tokens[1])).await;
    assert!(
        page.body.contains("(5 Unternehmen)"),
        "cohort and n on the page"
    );
    assert!(page.body.contains("besser als der von 20 %"));
    assert!(page.body.contains("Median der Gruppe"));
    let english = app.get(&format!("/s/{}/result?lang=en", tokens[1])).await;
    assert!(english.body.contains("better than that of 20 %"));
}

async fn a_firm_in_a_small_cohort_is_compared_with_a_broader_one(app: TestApp) {
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Second, "de")).await;
    }
    let lonely = submit(
        &app,
        &api_body_for(Pick::Best, "de", "C", "medium", "DE-BY"),
    )
    .await;
    let response = app.get(&format!("/api/v1/responses/{lonely}")).await.json();
    let cohort = &response["benchmark"]["cohort"];
    assert_eq!(cohort["kind"], "industry", "{response}");
    assert!(cohort["n"].as_u64().expect("n") >= 5);
    assert_eq!(response["benchmark"]["broader_than_own_cohort"], true);
    let page = app.get(&format!("/s/{lonely}/result")).await;
    assert!(page.body.contains("breiteren Gruppe"));
    // Its own cohort is not shown on its own.
    let own = app
        .get("/api/v1/benchmarks?industry=C&size=medium")
        .await
        .json();
    assert_eq!(own["status"], "suppressed");
}

async fn demo_data_counts_only_where_the_operator_wants_it(app: TestApp) {
    let report = social_readiness::demo::seed(
        &app.store,
        catalogue(),
        &DisclosurePolicy::default(),
        300,
        1,
    )
    .await
    .expect("seed");
    assert_eq!(report.firms, 300);
    let all = app.get("/api/v1/benchmarks").await.json();
    assert_eq!(
        all["status"], "suppressed",
        "real statistics ignore demo data: {all}"
    );
    let demo = app.sibling(&[("INCLUDE_DEMO_DATA", "true")]).await;
    let all = demo.get("/api/v1/benchmarks").await.json();
    assert_eq!(all["status"], "published", "{all}");
    let n = all["statistics"]["n"].as_u64().expect("n");
    assert!(
        (296..=300).contains(&n),
        "published when the load ends (at most k−1 pending): {n}"
    );
}

/// `seed-demo` while real firms submit (issue 17): the demo scope's cells end with every demo
/// firm and every real submit merged meanwhile. The load applies its firms to the cells as
/// they are at its end, read under the merge lock; a copy read at its start and written back
/// whole lost the merges in between.
async fn seeding_demo_data_while_firms_submit_loses_no_submit(app: TestApp) {
    let submits = submit_alternating_at_once(&app, 32);
    let policy = DisclosurePolicy::default();
    // Few firms: the load scores them on the test's one thread, and the submits' bodies must
    // still arrive within the server's body timeout.
    let seed = social_readiness::demo::seed(&app.store, catalogue(), &policy, 200, 7);
    let (replies, report) = futures_util::future::join(submits, seed).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    assert_eq!(report.expect("seed").firms, 200);
    let scope = social_readiness::statistics::versioned_scope("with_demo", &catalogue().version);
    let cells = app.store.cohort_cells(&scope).await.expect("cells");
    let all = cells
        .iter()
        .find(|c| c.cohort_key == "all")
        .expect("the all-firms cell");
    let json: Value = serde_json::to_value(
        social_readiness::benchmark::decode_cell(&all.cell).expect("stored cell"),
    )
    .expect("cell json");
    assert_eq!(json["live"]["n"], 200 + 32, "{}", json["live"]["n"]);
    // The real statistics hold the real firms only.
    let real = stored_cells(&app).await;
    assert_eq!(real["all"].0, 32);
}

async fn cohort_queries_are_checked(app: TestApp) {
    for query in [
        "industry=Z",
        "size=huge",
        "region=DE-XX",
        "industry=C&region=DE-BY",
        "colour=blue",
        "lang=fr",
    ] {
        let reply = app.get(&format!("/api/v1/benchmarks?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert!(reply.json()["error"].is_string());
    }
}

async fn all_cohorts_are_listed_for_dashboards_and_follow_publications(app: TestApp) {
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Second, "de")).await;
    }
    submit(&app, &api_body_for(Pick::Best, "de", "F", "micro", "DE-NW")).await;
    let all = app.get("/api/v1/benchmarks/all?lang=en").await.json();
    let cohorts = all["cohorts"].as_array().expect("cohorts");
    assert!(cohorts.len() >= 5, "{all}");
    for c in cohorts {
        if c["status"] == "published" {
            assert!(c["statistics"]["n"].as_u64().expect("n") >= 5, "{c}");
        } else {
            assert!(c.get("statistics").is_none(), "{c}");
        }
    }
    let published = |body: &Value, key: &str| {
        body["cohorts"]
            .as_array()
            .expect("cohorts")
            .iter()
            .find(|c| c["cohort"]["key"] == key)
            .map(|c| c["statistics"]["n"].clone())
    };
    assert_eq!(
        published(&all, "industry_size:C:small"),
        Some(Value::from(5))
    );
    assert_eq!(
        published(&all, "industry_size:F:micro"),
        Some(Value::Null),
        "a single firm is never shown"
    );
    // After k more responses the cached list moves on.
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Best, "de")).await;
    }
    let again = app.get("/api/v1/benchmarks/all?lang=en").await.json();
    assert_eq!(
        published(&again, "industry_size:C:small"),
        Some(Value::from(10))
    );
}

on_both_databases!(
    all_cohorts_are_listed_for_dashboards_and_follow_publications,
    a_small_hand_made_set_gives_exact_statistics,
    the_kth_response_publishes_and_fewer_change_nothing,
    the_result_shows_where_the_firm_stands,
    a_firm_in_a_small_cohort_is_compared_with_a_broader_one,
    demo_data_counts_only_where_the_operator_wants_it,
    cohort_queries_are_checked,
    seeding_demo_data_while_firms_submit_loses_no_submit,
);

/// Concurrent submits (several instances on PostgreSQL, one writer on SQLite) all land, and every
/// one of them is counted once.
async fn concurrent_submits_are_all_counted(app: TestApp) {
    let other = app.sibling(&[]).await;
    let body = api_body(Pick::Second, "de");
    let requests = (0..20).map(|i| {
        let target = if i % 2 == 0 { &app } else { &other };
        target.post_json("/api/v1/responses", &body, &[])
    });
    let replies = futures_util::future::join_all(requests).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let cohort = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(cohort["statistics"]["n"], 20, "{cohort}");
}

on_both_databases!(concurrent_submits_are_all_counted);

/// Submits waiting for SQLite's writer commit together (group commit, issue 17); one of them
/// failing inside the batch (here: the same Idempotency-Key sent many times at once, all but
/// one finding it taken) must not take the others' writes with it, nor store a duplicate.
async fn concurrent_submits_with_one_key_store_one_response_and_count_the_rest(app: TestApp) {
    let body = api_body(Pick::Second, "de");
    let key = [("Idempotency-Key", "batch-key-1")];
    let before = app.counts().await;
    let repeats = (0..12).map(|_| app.post_json("/api/v1/responses", &body, &key));
    // 15 in all: statistics publish in steps of k = 5, so all of them show.
    let others = (0..14).map(|_| app.post_json("/api/v1/responses", &body, &[]));
    let (repeats, others) = futures_util::future::join(
        futures_util::future::join_all(repeats),
        futures_util::future::join_all(others),
    )
    .await;
    let tokens: std::collections::BTreeSet<String> = repeats
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.json()["token"].as_str().expect("token").to_owned()
        })
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "every repeat of the key answers with one token"
    );
    for reply in &others {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let after = app.counts().await;
    assert_eq!(
        after.responses,
        before.responses + 15,
        "one for the key, 14 others"
    );
    assert_eq!(after.idempotency_keys, before.idempotency_keys + 1);
    let cohort = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(cohort["statistics"]["n"], 15, "{cohort}");
}

on_both_databases!(concurrent_submits_with_one_key_store_one_response_and_count_the_rest);

/// Per cohort key, the stored live aggregate's number of firms and overall-score histogram,
/// and the published aggregate's number of firms.
type StoredCells = std::collections::BTreeMap<String, (u64, Vec<(u64, u64)>, Option<u64>)>;

async fn stored_cells(app: &TestApp) -> StoredCells {
    let scope = social_readiness::statistics::versioned_scope("real", &catalogue().version);
    let cells = app.store.cohort_cells(&scope).await.expect("cells");
    cells
        .iter()
        .map(|c| {
            let json: Value = serde_json::to_value(
                social_readiness::benchmark::decode_cell(&c.cell).expect("stored cell"),
            )
            .expect("cell json");
            let scores = json["live"]["overall"]["scores"]
                .as_array()
                .expect("scores")
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_u64().expect("score"),
                        pair[1].as_u64().expect("count"),
                    )
                })
                .collect();
            (
                c.cohort_key.clone(),
                (
                    json["live"]["n"].as_u64().expect("n"),
                    scores,
                    json["published"]["n"].as_u64(),
                ),
            )
        })
        .collect()
}

/// The recount: per cohort key, the number of firms and the overall-score histogram of the
/// responses that count, each given as (industry, size, region, overall score).
fn recount(
    responses: &[(&str, &str, &str, u64)],
) -> std::collections::BTreeMap<String, (u64, Vec<(u64, u64)>)> {
    let mut histograms: std::collections::BTreeMap<String, std::collections::BTreeMap<u64, u64>> =
        Default::default();
    for (industry, size, region, score) in responses {
        for key in [
            "all".to_owned(),
            format!("industry:{industry}"),
            format!("size:{size}"),
            format!("industry_size:{industry}:{size}"),
            format!("region:{region}"),
        ] {
            *histograms
                .entry(key)
                .or_default()
                .entry(*score)
                .or_default() += 1;
        }
    }
    histograms
        .into_iter()
        .map(|(key, h)| (key, (h.values().sum(), h.into_iter().collect())))
        .collect()
}

/// Many parallel submits on two instances (issue 17: on PostgreSQL no lock row queues them any
/// more; their changes are journaled and merged) give exactly the statistics a recount from the
/// stored responses gives, and publish exactly as one submit at a time would: with adds only,
/// every cell's published aggregate holds all but `live mod k` of its responses. Erasures in
/// the middle of further submits are taken out again, and nothing stays in the journal.
async fn parallel_submits_give_exactly_the_recount(app: TestApp) {
    let other = app.sibling(&[]).await;
    let k = u64::from(DisclosurePolicy::default().k());
    let picks = [Pick::Best, Pick::Worst, Pick::Second];
    let profiles: Vec<(&str, &str, &str)> = ["C", "G"]
        .into_iter()
        .flat_map(|i| ["micro", "small"].map(move |s| (i, s)))
        .flat_map(|(i, s)| ["DE-BY", "DE-NW"].map(move |r| (i, s, r)))
        .collect();
    let bodies: Vec<((&str, &str, &str), Value)> = (0..64)
        .map(|n| {
            let (i, s, r) = profiles[n % profiles.len()];
            ((i, s, r), api_body_for(picks[n % 3], "de", i, s, r))
        })
        .collect();
    let replies =
        futures_util::future::join_all(bodies.iter().enumerate().map(|(n, (_, body))| {
            let target = if n % 2 == 0 { &app } else { &other };
            target.post_json("/api/v1/responses", body, &[])
        }))
        .await;
    let mut counted: Vec<(&str, &str, &str, u64)> = Vec::new();
    let mut tokens = Vec::new();
    for (reply, ((i, s, r), _)) in replies.iter().zip(&bodies) {
        assert_eq!(reply.status, 201, "{}", reply.body);
        let json = reply.json();
        let score = json["result"]["overall"]["score"].as_u64().expect("score");
        counted.push((i, s, r, score));
        tokens.push(json["token"].as_str().expect("token").to_owned());
    }
    let cells = stored_cells(&app).await;
    let want = recount(&counted);
    assert_eq!(cells.len(), want.len(), "{cells:?}");
    for (key, (n, histogram)) in &want {
        let (live_n, live_scores, published_n) = &cells[key];
        assert_eq!((live_n, live_scores), (n, histogram), "cell {key}");
        // Adds only: publication in steps of exactly k, none skipped or doubled.
        let expect_published = (n - n % k > 0).then_some(n - n % k);
        assert_eq!(*published_n, expect_published, "cell {key} (n = {n})");
    }
    assert_eq!(cells["all"].0, 64);

    // Erase every eighth response while 16 more come in, on both instances.
    let paths: Vec<String> = tokens
        .iter()
        .step_by(8)
        .map(|token| format!("/s/{token}/delete"))
        .collect();
    let erasures = paths.iter().enumerate().map(|(n, path)| {
        let target = if n % 2 == 0 { &app } else { &other };
        target.post_form(path, &[("confirm", "yes")])
    });
    let more = bodies.iter().take(16).enumerate().map(|(n, (_, body))| {
        let target = if n % 2 == 0 { &other } else { &app };
        target.post_json("/api/v1/responses", body, &[])
    });
    let (erased, more) = futures_util::future::join(
        futures_util::future::join_all(erasures),
        futures_util::future::join_all(more),
    )
    .await;
    for reply in &erased {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let mut remaining: Vec<(&str, &str, &str, u64)> = counted
        .iter()
        .enumerate()
        .filter(|(n, _)| n % 8 != 0)
        .map(|(_, c)| *c)
        .collect();
    for (reply, ((i, s, r), _)) in more.iter().zip(&bodies) {
        assert_eq!(reply.status, 201, "{}", reply.body);
        let score = reply.json()["result"]["overall"]["score"]
            .as_u64()
            .expect("score");
        remaining.push((i, s, r, score));
    }
    let cells = stored_cells(&app).await;
    let want = recount(&remaining);
    for (key, (live_n, live_scores, _)) in &cells {
        let (n, histogram) = want.get(key).cloned().unwrap_or_default();
        assert_eq!((*live_n, live_scores.clone()), (n, histogram), "cell {key}");
    }
    assert_eq!(cells["all"].0, 64 - 8 + 16);
    assert_eq!(
        app.store.journal_counts().await.expect("journal"),
        (0, 0),
        "every change merged, none refused"
    );
}

on_both_databases!(parallel_submits_give_exactly_the_recount);

/// Issue 17: cells are stored in a binary form; a cell still in the JSON column (written before
/// the migration `binary_cohort_cells`, and not changed since) reads as the same cell, counts on,
/// and is written in the binary form by the next merge that changes it.
async fn an_old_json_cell_still_reads_and_is_rewritten_on_the_next_merge(app: TestApp) {
    use sqlx::Connection;
    let body = api_body(Pick::Best, "de");
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let scope = social_readiness::statistics::versioned_scope("real", &catalogue().version);
    let stored = |cells: &[social_readiness::db::CellRow]| {
        cells
            .iter()
            .find(|c| c.cohort_key == "all")
            .expect("the all-firms cell")
            .cell
            .clone()
    };
    let binary = stored(&app.store.cohort_cells(&scope).await.expect("cells"));
    assert_eq!(binary[0], social_readiness::benchmark::FORMAT_V1);
    let cell = social_readiness::benchmark::decode_cell(&binary).expect("cell");
    let json = serde_json::to_string(&cell).expect("json");

    // Put the cell back as the migration left it: JSON text, no binary form.
    let mut conn = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("a connection of the test's own");
    let updated = sqlx::query(
        "UPDATE cohort_cells SET cell = NULL, cell_json = $1 WHERE scope = $2 AND cohort_key = 'all'",
    )
    .bind(json.as_str())
    .bind(scope.as_str())
    .execute(&mut conn)
    .await
    .expect("update")
    .rows_affected();
    assert_eq!(updated, 1);
    conn.close().await.expect("close");
    let old = stored(&app.store.cohort_cells(&scope).await.expect("cells"));
    assert_eq!(old, json.as_bytes(), "read from the JSON column");
    assert_eq!(
        social_readiness::benchmark::decode_cell(&old).expect("old cell"),
        cell
    );

    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let rewritten = stored(&app.store.cohort_cells(&scope).await.expect("cells"));
    assert_eq!(rewritten[0], social_readiness::benchmark::FORMAT_V1);
    assert_eq!(
        stored_cells(&app).await["all"].0,
        2,
        "counted on from the old cell"
    );
}

on_both_databases!(an_old_json_cell_still_reads_and_is_rewritten_on_the_next_merge);
