//! Bad input never stores anything: a clear 4xx with a message, the database unchanged.
use serde_json::{Value, json};

use crate::helpers::{Pick, TestApp, api_body, catalogue};
use crate::on_both_databases;
use crate::survey_pages::{post_step, step_fields};

/// Posts `body` to the API and checks status, message and that nothing was written.
async fn refused(app: &TestApp, body: &Value, status: u16, message: &str, field: Option<&str>) {
    let before = app.counts().await;
    let reply = app.post_json("/api/v1/responses", body, &[]).await;
    assert_eq!(reply.status, status, "{}", reply.body);
    let error = reply.json();
    let text = error["error"].as_str().expect("error message");
    let details = error["details"].as_array().expect("details").clone();
    let all = format!("{text} {}", Value::from(details.clone()));
    assert!(all.contains(message), "expected {message:?} in {all}");
    if let Some(field) = field {
        assert!(
            details
                .iter()
                .any(|d| d["field"] == field && d["message"].is_string()),
            "{all}"
        );
    }
    assert_eq!(app.counts().await, before, "nothing stored");
}

fn first_single_question() -> String {
    catalogue().dimensions[0].questions[0].id.clone()
}

async fn unknown_question_ids_are_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    body["answers"]["no_such_question"] = json!("x");
    refused(
        &app,
        &body,
        422,
        "There is no question",
        Some("no_such_question"),
    )
    .await;
}

async fn unknown_option_ids_are_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    body["answers"][first_single_question()] = json!("no_such_option");
    refused(
        &app,
        &body,
        422,
        "is not an option of this question",
        Some(first_single_question().as_str()),
    )
    .await;
}

async fn a_list_for_a_single_choice_question_is_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    let q = catalogue().dimensions[0].questions[0].clone();
    body["answers"][&q.id] = json!([q.options[0].id, q.options[1].id]);
    refused(
        &app,
        &body,
        422,
        "single answer",
        Some(format!("answers.{}", q.id).as_str()),
    )
    .await;
}

async fn missing_required_answers_are_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    let q = first_single_question();
    body["answers"].as_object_mut().expect("object").remove(&q);
    refused(
        &app,
        &body,
        422,
        "Required answers are missing",
        Some(q.as_str()),
    )
    .await;
    let mut body = api_body(Pick::Best, "de");
    body["profile"]
        .as_object_mut()
        .expect("object")
        .remove("region");
    refused(&app, &body, 422, "Please answer", Some("region")).await;
}

async fn profile_values_outside_their_list_are_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    body["profile"]["region"] = json!("DE-XX");
    refused(&app, &body, 422, "is not an option", Some("region")).await;
    let mut body = api_body(Pick::Best, "de");
    body["profile"]["size"] = json!("huge");
    refused(&app, &body, 422, "is not an option", Some("size")).await;
    let mut body = api_body(Pick::Best, "de");
    body["profile"]["hobby"] = json!("golf");
    refused(
        &app,
        &body,
        422,
        "not a field of the firm profile",
        Some("profile.hobby"),
    )
    .await;
}

async fn malformed_json_and_unknown_fields_are_refused(app: TestApp) {
    let before = app.counts().await;
    let reply = app
        .post_raw(
            "/api/v1/responses",
            "application/json",
            b"{\"lang\": \"de\", ".to_vec(),
            &[],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .expect("error")
            .contains("JSON body is not valid")
    );
    let mut body = api_body(Pick::Best, "de");
    body["is_admin"] = json!(true);
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .expect("error")
            .contains("unknown field")
    );
    let reply = app
        .post_raw("/api/v1/responses", "text/plain", b"hello".to_vec(), &[])
        .await;
    assert_eq!(reply.status, 415);
    let mut body = api_body(Pick::Best, "de");
    body["lang"] = json!("fr");
    refused(&app, &body, 422, "lang must be", Some("lang")).await;
    assert_eq!(app.counts().await, before);
}

async fn bodies_over_64_kib_are_refused(app: TestApp) {
    let before = app.counts().await;
    let mut body = api_body(Pick::Best, "de");
    body["firm_name"] = json!("x".repeat(70 * 1024));
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 413);
    assert!(
        reply.json()["error"]
            .as_str()
            .expect("error")
            .contains("64 KiB")
    );
    let token_path = app.start_survey("de").await;
    let after_start = app.counts().await;
    let big = format!("firm_name={}&nav=next", "y".repeat(70 * 1024));
    let reply = app
        .post_raw(
            &format!("{token_path}/step/1"),
            "application/x-www-form-urlencoded",
            big.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(reply.status, 413);
    assert!(reply.body.contains("64 KiB"));
    assert_eq!(app.counts().await, after_start);
    assert_eq!(after_start.responses, before.responses + 1);
}

async fn a_firm_name_over_200_characters_is_refused(app: TestApp) {
    let mut body = api_body(Pick::Best, "de");
    body["firm_name"] = json!("N".repeat(201));
    refused(
        &app,
        &body,
        422,
        "at most 200 characters",
        Some("firm_name"),
    )
    .await;
}

async fn bad_form_posts_store_nothing(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let before = app.counts().await;
    // An option that does not exist.
    let mut fields = step_fields(2, Pick::Best);
    fields[0].1 = "forged".into();
    let reply = post_step(&app, &token_path, 2, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    assert!(
        reply
            .body
            .contains("ist keine Antwortmöglichkeit dieser Frage")
    );
    // Two answers to a single-choice question.
    let mut fields = step_fields(2, Pick::Best);
    let q = catalogue().dimensions[0].questions[0].clone();
    fields.push((q.id.clone(), q.options[0].id.clone()));
    let reply = post_step(&app, &token_path, 2, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("nur eine Antwort"));
    // A question from another page.
    let mut fields = step_fields(2, Pick::Best);
    fields.extend(step_fields(3, Pick::Best));
    let reply = post_step(&app, &token_path, 2, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("gehört nicht zu dieser Seite"));
    // A profile value outside its list.
    let mut fields = step_fields(1, Pick::Best);
    fields.retain(|(k, _)| k != "region");
    fields.push(("region".into(), "DE-XX".into()));
    let reply = post_step(&app, &token_path, 1, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    // Malformed form data.
    let reply = app
        .post_raw(
            &format!("{token_path}/step/2"),
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80],
            &[],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("UTF-8"));
    let reply = post_step(
        &app,
        &token_path,
        2,
        &step_fields(2, Pick::Best),
        "sideways",
        "de",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(app.counts().await, before);
}

on_both_databases!(
    unknown_question_ids_are_refused,
    unknown_option_ids_are_refused,
    a_list_for_a_single_choice_question_is_refused,
    missing_required_answers_are_refused,
    profile_values_outside_their_list_are_refused,
    malformed_json_and_unknown_fields_are_refused,
    bodies_over_64_kib_are_refused,
    a_firm_name_over_200_characters_is_refused,
    bad_form_posts_store_nothing,
);
