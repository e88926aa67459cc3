//! The JSON API contract (v1).
use serde_json::Value;
use social_readiness::scoring::assess;
use social_readiness::survey::{AnswerSet, RawAnswer};

use crate::helpers::{Pick, TestApp, answers, api_body, catalogue, profile};
use crate::on_both_databases;

fn assert_question_shape(q: &Value) {
    assert!(q["id"].is_string(), "{q}");
    assert!(q["text"].is_string(), "{q}");
    assert!(q["kind"] == "single" || q["kind"] == "multi", "{q}");
    assert!(q["required"].is_boolean(), "{q}");
    let options = q["options"].as_array().expect("options");
    assert!(options.len() >= 2);
    for o in options {
        assert!(o["id"].is_string() && o["label"].is_string(), "{o}");
    }
}

async fn the_questionnaire_is_published_in_both_languages(app: TestApp) {
    for lang in ["de", "en"] {
        let reply = app.get(&format!("/api/v1/questionnaire?lang={lang}")).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply
                .header("content-type")
                .expect("type")
                .starts_with("application/json")
        );
        let q = reply.json();
        assert_eq!(q["version"], catalogue().version.as_str());
        assert_eq!(q["lang"], lang);
        let profile = q["profile"].as_array().expect("profile");
        assert!(profile.iter().any(
            |p| p["id"] == "industry" && p["options"].as_array().is_some_and(|o| o.len() == 21)
        ));
        assert!(
            profile
                .iter()
                .any(|p| p["id"] == "region"
                    && p["options"].as_array().is_some_and(|o| o.len() == 16))
        );
        profile.iter().for_each(assert_question_shape);
        let dimensions = q["dimensions"].as_array().expect("dimensions");
        assert_eq!(dimensions.len(), 9);
        for d in dimensions {
            assert!(d["id"].is_string() && d["title"].is_string());
            d["questions"]
                .as_array()
                .expect("questions")
                .iter()
                .for_each(assert_question_shape);
        }
    }
    let de = app.get("/api/v1/questionnaire?lang=de").await.json();
    let en = app.get("/api/v1/questionnaire?lang=en").await.json();
    assert_ne!(de["dimensions"][0]["title"], en["dimensions"][0]["title"]);
    assert_eq!(app.get("/api/v1/questionnaire?lang=fr").await.status, 400);
}

/// The scores the pure module computes for the same answers.
fn expected(pick: Pick) -> social_readiness::scoring::Assessment {
    let c = catalogue();
    let mut raw: Vec<(String, RawAnswer)> = profile()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), RawAnswer::One(v.to_owned())))
        .collect();
    raw.extend(
        answers(pick)
            .into_iter()
            .map(|(q, ids)| (q, RawAnswer::Many(ids))),
    );
    assess(c, &AnswerSet::parse(c, raw).expect("valid"))
}

async fn a_response_is_submitted_and_read_back(app: TestApp) {
    let reply = app
        .post_json("/api/v1/responses", &api_body(Pick::Worst, "en"), &[])
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let created = reply.json();
    let token = created["token"].as_str().expect("token");
    assert!(token.len() >= 22, "≥ 128 bits");
    let result = &created["result"];
    let want = expected(Pick::Worst);
    assert_eq!(result["overall"]["score"], want.overall.score);
    assert_eq!(result["overall"]["level"], want.overall.level);
    assert_eq!(result["overall"]["level_name"], "Homework first");
    let dims = result["dimensions"].as_array().expect("dimensions");
    assert_eq!(dims.len(), 9);
    for (d, w) in dims.iter().zip(&want.dimensions) {
        assert_eq!(d["id"], w.id.as_str());
        assert_eq!(d["score"], w.score);
        assert_eq!(d["level"], w.level);
        assert!(d["title"].is_string() && d["level_name"].is_string());
    }
    let flags = result["red_flags"].as_array().expect("red flags");
    assert_eq!(flags.len(), want.red_flags.len());
    assert!(!flags.is_empty());
    for f in flags {
        assert!(
            f["question"].is_string() && f["text"].is_string() && f["source"].is_string(),
            "{f}"
        );
    }
    let actions = result["actions"].as_array().expect("actions");
    assert!(actions[0]["red_flag"].is_string(), "red flags come first");
    for a in actions {
        assert!(
            a["dimension"].is_string() && a["text"].is_string() && a["source"].is_string(),
            "{a}"
        );
    }

    let read = app.get(&format!("/api/v1/responses/{token}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("cache-control").as_deref(), Some("no-store"));
    let read = read.json();
    assert_eq!(read["token"], token);
    assert_eq!(read["status"], "submitted");
    assert_eq!(read["result"], *result);
    // The browser shows the same result.
    let page = app.get(&format!("/s/{token}/result")).await;
    assert!(
        page.body
            .contains(&format!("<strong>{}</strong>", want.overall.score))
    );
}

async fn the_best_answers_score_100(app: TestApp) {
    let reply = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "de"), &[])
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let result = &reply.json()["result"];
    assert_eq!(result["overall"]["score"], 100);
    assert_eq!(result["overall"]["level"], 5);
    assert_eq!(result["red_flags"].as_array().map(Vec::len), Some(0));
}

async fn an_idempotency_key_replays_the_first_answer(app: TestApp) {
    let body = api_body(Pick::Second, "de");
    let key = [("Idempotency-Key", "crm-42-submit")];
    let first = app.post_json("/api/v1/responses", &body, &key).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let after_first = app.counts().await;
    let second = app.post_json("/api/v1/responses", &body, &key).await;
    assert_eq!(second.status, 201);
    assert_eq!(second.json()["token"], first.json()["token"]);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert!(first.header("idempotent-replayed").is_none());
    assert_eq!(second.json()["result"], first.json()["result"]);
    assert_eq!(app.counts().await, after_first, "nothing new stored");
    // The same key with another body is an error, and stores nothing.
    let other = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "de"), &key)
        .await;
    assert_eq!(other.status, 422);
    assert!(
        other.json()["error"]
            .as_str()
            .expect("error")
            .contains("Idempotency-Key")
    );
    assert_eq!(app.counts().await, after_first);
    // Without a key, each request is a new response.
    app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(app.counts().await.responses, after_first.responses + 1);
}

async fn unknown_tokens_are_404_in_json(app: TestApp) {
    for token in ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nope"] {
        let reply = app.get(&format!("/api/v1/responses/{token}")).await;
        assert_eq!(reply.status, 404);
        assert!(reply.json()["error"].is_string());
    }
    assert_eq!(
        app.get("/api/v1/nothing").await.json()["error"],
        "Not found."
    );
}

on_both_databases!(
    the_questionnaire_is_published_in_both_languages,
    a_response_is_submitted_and_read_back,
    the_best_answers_score_100,
    an_idempotency_key_replays_the_first_answer,
    unknown_tokens_are_404_in_json,
);
