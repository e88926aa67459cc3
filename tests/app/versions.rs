//! Catalogue versions never mix (issue 13, item 6): 2027.1 is served; responses of 2026.1 keep
//! their version and frozen result, and every published statistic counts one version only.
//!
//! The 2026.1 responses come from a second service instance still running catalogue 2026.1 on
//! the same database (as during a rolling deploy), so they are real submits with real cells.
use serde_json::Value;
use social_readiness::accounts::Role;
use social_readiness::benchmark::DisclosurePolicy;
use social_readiness::campaigns::Campaigns;
use social_readiness::responses::Responses;
use social_readiness::screening::Screening;
use social_readiness::statistics::Statistics;
use social_readiness::survey::{self, Catalogue, Lang, ScoreRule};
use social_readiness::token::ResponseToken;

use crate::helpers::{Pick, TestApp, api_body};
use crate::on_both_databases;

/// A service instance answering catalogue 2026.1 on the app's database.
fn older_instance(app: &TestApp) -> Responses {
    let older = survey::current();
    assert_eq!(older.version, "2026.1");
    let statistics = Statistics::new(
        app.store.clone(),
        DisclosurePolicy::default(),
        false,
        older.dimensions.len(),
    );
    // Screening off, as in the test server: these submits follow their starts at once.
    Responses::new(app.store.clone(), older, statistics).with_screening(Screening {
        min_seconds_per_question: 0,
        burst_size: 0,
        ..Screening::default()
    })
}

/// Every question of `catalogue` answered with its best option, for a firm of industry C,
/// size small, region DE-BY.
fn best_answers(catalogue: &Catalogue) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = crate::helpers::profile()
        .into_iter()
        .map(|(q, a)| (q.to_owned(), a.to_owned()))
        .collect();
    for d in &catalogue.dimensions {
        for q in &d.questions {
            let best = q
                .options
                .iter()
                .max_by_key(|o| match o.score {
                    Some(ScoreRule::Points(p)) => i32::from(p),
                    _ => -1,
                })
                .expect("options");
            rows.push((q.id.clone(), best.id.clone()));
        }
    }
    rows
}

/// Answers and submits a started response on the 2026.1 instance.
async fn submit_older(app: &TestApp, older: &Responses, token: &ResponseToken) {
    let loaded = older.load(token).await.expect("load");
    assert_eq!(loaded.record.catalogue_version, "2026.1");
    let rows = best_answers(older.catalogue());
    let ids: Vec<String> = rows.iter().map(|(q, _)| q.clone()).collect();
    app.store
        .save_page(loaded.record.id, &ids, &rows, None, 1)
        .await
        .expect("save");
    let loaded = older.load(token).await.expect("reload");
    let assessment = older.submit(&loaded).await.expect("submit");
    assert_eq!(assessment.catalogue_version, "2026.1");
}

async fn older_and_served_responses_are_never_compared_or_counted_together(app: TestApp) {
    let k = DisclosurePolicy::default().k() as usize;
    let older = older_instance(&app);
    let mut older_tokens = Vec::new();
    for _ in 0..k {
        let token = older.start(Lang::De).await.expect("start");
        submit_older(&app, &older, &token).await;
        older_tokens.push(token);
    }

    // The questionnaire served is 2027.1.
    let questionnaire = app.get("/api/v1/questionnaire").await.json();
    assert_eq!(questionnaire["version"], "2027.1", "{questionnaire}");

    // k firms answered 2026.1: the served version's statistics still have none of them.
    let cohort = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(cohort["catalogue_version"], "2027.1", "{cohort}");
    assert_eq!(cohort["status"], "suppressed", "{cohort}");

    // A 2027.1 firm has no group yet: it is told the group is still forming, not that fewer
    // than k firms took part (k did, under the other version).
    let reply = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "de"), &[])
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = reply.json()["token"].as_str().expect("token").to_owned();
    let body = app.get(&format!("/api/v1/responses/{token}")).await.json();
    assert_eq!(body["catalogue_version"], "2027.1");
    assert_eq!(body["benchmark"], Value::Null, "{body}");
    let message = body["benchmark_unavailable"]["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("still forming"), "{message}");
    let page = app.get(&format!("/s/{token}/result?lang=de")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("bildet sich noch"), "{}", page.body);
    assert!(page.body.contains("Fragebogen 2027.1"), "{}", page.body);
    assert!(!page.body.contains("erst ab"), "no 'fewer than k' claim");

    // A 2026.1 firm keeps its frozen result and is compared with its own version's k firms.
    let older_token = older_tokens[0].as_url_part();
    let body = app
        .get(&format!("/api/v1/responses/{older_token}"))
        .await
        .json();
    assert_eq!(body["catalogue_version"], "2026.1", "{body}");
    assert_eq!(body["result"]["catalogue_version"], "2026.1");
    let older_score = body["result"]["overall"]["score"].clone();
    assert_eq!(body["benchmark"]["cohort"]["n"], k, "{body}");
    // All k 2026.1 firms answered alike: their group's median is their own score.
    assert_eq!(
        body["benchmark"]["overall"]["median"], older_score,
        "{body}"
    );

    // k − 1 more 2027.1 firms publish the 2027.1 cohort with exactly k firms, not 2k.
    for _ in 1..k {
        let reply = app
            .post_json("/api/v1/responses", &api_body(Pick::Worst, "de"), &[])
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let cohort = app
        .get("/api/v1/benchmarks?industry=C&size=small")
        .await
        .json();
    assert_eq!(cohort["status"], "published", "{cohort}");
    assert_eq!(cohort["statistics"]["n"], k, "{cohort}");
    // One 2027.1 firm at the top, k − 1 at the bottom: the 2026.1 firms are not in it.
    assert_eq!(cohort["statistics"]["overall"]["p75"], 0, "{cohort}");
    assert!(
        cohort["statistics"]["overall"]["p90"].as_u64() > Some(0),
        "{cohort}"
    );
    let body = app.get(&format!("/api/v1/responses/{token}")).await.json();
    assert_eq!(body["benchmark"]["cohort"]["n"], k, "{body}");
    // The 2026.1 firm's comparison did not move: still its own k firms.
    let body = app
        .get(&format!("/api/v1/responses/{older_token}"))
        .await
        .json();
    assert_eq!(body["benchmark"]["cohort"]["n"], k, "{body}");
    assert_eq!(
        body["benchmark"]["overall"]["median"], older_score,
        "{body}"
    );
    assert_eq!(body["benchmark"]["overall"]["p25"], older_score, "{body}");
}

async fn an_unfinished_older_response_continues_under_the_served_catalogue(app: TestApp) {
    let older = older_instance(&app);
    let token = older.start(Lang::De).await.expect("start");
    let loaded = older.load(&token).await.expect("load");
    // The profile and one 2026.1 question answered, then the link is left.
    let mut rows: Vec<(String, String)> = crate::helpers::profile()
        .into_iter()
        .map(|(q, a)| (q.to_owned(), a.to_owned()))
        .collect();
    rows.push(("strategy_first_question".into(), "audience_topic".into()));
    let ids: Vec<String> = rows.iter().map(|(q, _)| q.clone()).collect();
    app.store
        .save_page(loaded.record.id, &ids, &rows, None, 1)
        .await
        .expect("save");

    // Opened again after 2027.1 is served: it resumes at the first 2027.1 dimension page.
    let path = format!("/s/{}", token.as_url_part());
    let reply = app.get(&path).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(reply.location().contains("/step/2"), "{}", reply.location());
    let record = app
        .store
        .response_by_id(loaded.record.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(record.catalogue_version, "2027.1");
    let answers = app.store.answers(loaded.record.id).await.expect("answers");
    assert!(answers.iter().any(|(q, _)| q == "industry"), "profile kept");
    assert!(
        !answers.iter().any(|(q, _)| q == "strategy_first_question"),
        "2026.1 answers dropped: {answers:?}"
    );

    // Completed and submitted, it is a 2027.1 response.
    app.complete_survey_as(&path, Pick::Best, "de", &[]).await;
    let body = app
        .get(&format!("/api/v1/responses/{}", token.as_url_part()))
        .await
        .json();
    assert_eq!(body["catalogue_version"], "2027.1", "{body}");
    assert_eq!(body["result"]["catalogue_version"], "2027.1", "{body}");
}

async fn the_chamber_dashboard_counts_one_version_and_names_the_older_firms(app: TestApp) {
    let k = DisclosurePolicy::default().k() as usize;
    app.create_user(Role::Chamber, "ihk-versions@example.de")
        .await;
    let chamber = app.login("ihk-versions@example.de").await;
    let (_, code) = crate::chambers::create_campaign(&chamber, "Versionen").await;

    // k firms took part, counted, while an instance still served 2026.1.
    let older = older_instance(&app);
    let older_campaigns = Campaigns::new(app.store.clone(), older.clone());
    let campaign = older_campaigns.by_code(&code).await.expect("campaign");
    for _ in 0..k {
        let token = older_campaigns
            .start(&campaign, Lang::De, true)
            .await
            .expect("start");
        submit_older(&app, &older, &token).await;
    }
    let page = chamber.get("/chamber/dashboard").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let versions = crate::chambers::number_in(&page.body, "versions");
    assert!(versions.contains("Fragebogen 2027.1"), "{versions}");
    assert!(
        versions.contains(&format!(
            "{k} Unternehmen dieser Auswahl haben den älteren Fragebogen"
        )),
        "{versions}"
    );
    // None of them is in the 2027.1 figures: mixed, the k firms would be published as "5".
    let participants = crate::chambers::number_in(&page.body, "participants");
    assert_ne!(participants, k.to_string());
    assert!(participants.starts_with("ausgeblendet"), "{participants}");
}

/// Issue 13, item 3: the survey branches on the profile's stage.
async fn a_firm_not_active_yet_answers_its_plans_and_an_active_one_cannot_say_not_yet(
    app: TestApp,
) {
    // Not active yet: content is asked as a plan, practice that cannot exist yet is a note.
    let path = app.start_survey("de").await;
    let mut profile = crate::survey_pages::step_fields(1, Pick::Best);
    for (k, v) in &mut profile {
        if k == "social_media" {
            *v = "planned".into();
        }
    }
    let reply = crate::survey_pages::post_step(&app, &path, 1, &profile, "next", "de").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = app.get(&format!("{path}/step/4?lang=de")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Woher sollen Ihre Themen kommen"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Trifft noch nicht zu"), "{}", page.body);
    assert!(
        !page.body.contains("name=\"content_sharing\""),
        "not asked: {}",
        page.body
    );
    // The page is complete without the questions it did not ask.
    let fields: Vec<(String, String)> = crate::survey_pages::step_fields(4, Pick::Best)
        .into_iter()
        .filter(|(q, _)| q != "content_sharing" && q != "content_dialogue")
        .collect();
    let reply = crate::survey_pages::post_step(&app, &path, 4, &fields, "next", "de").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    for step in [2, 3, 5, 6, 7, 8, 9, 10] {
        let fields = crate::survey_pages::step_fields(step, Pick::Best);
        let reply = crate::survey_pages::post_step(&app, &path, step, &fields, "next", "de").await;
        assert_eq!(reply.status, 303, "step {step}: {}", reply.body);
    }
    let reply = app.post_form(&format!("{path}/submit?lang=de"), &[]).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let token = path.trim_start_matches("/s/");
    let body = app.get(&format!("/api/v1/responses/{token}")).await.json();
    // Judged on its preparation: the best planned answers, nothing held against it.
    assert_eq!(body["result"]["overall"]["score"], 100, "{body}");

    // Active: "not active yet" is not offered, and posted anyway it is refused with a reason.
    let path = app.start_survey("de").await;
    let profile = crate::survey_pages::step_fields(1, Pick::Best);
    let reply = crate::survey_pages::post_step(&app, &path, 1, &profile, "next", "de").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = app.get(&format!("{path}/step/4?lang=de")).await;
    assert!(
        !page.body.contains("content_sharing--not_yet"),
        "{}",
        page.body
    );
    let mut fields = crate::survey_pages::step_fields(4, Pick::Best);
    for (k, v) in &mut fields {
        if k == "content_sharing" {
            *v = "not_yet".into();
        }
    }
    let reply = crate::survey_pages::post_step(&app, &path, 4, &fields, "next", "de").await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply.body.contains("passt nicht zu Ihrem Profil"),
        "{}",
        reply.body
    );
}

on_both_databases!(
    older_and_served_responses_are_never_compared_or_counted_together,
    an_unfinished_older_response_continues_under_the_served_catalogue,
    the_chamber_dashboard_counts_one_version_and_names_the_older_firms,
    a_firm_not_active_yet_answers_its_plans_and_an_active_one_cannot_say_not_yet,
);
