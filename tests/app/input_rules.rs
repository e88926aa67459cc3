//! Issue 15, item 4: loose input is refused with a message, never half-understood and stored;
//! text is stored in one normal form; HEAD is answered wherever GET is.
use serde_json::json;

use crate::helpers::{Pick, TestApp, api_body, catalogue};
use crate::on_both_databases;
use crate::survey_pages::{post_step, step_fields};

/// Posts a JSON text as it is (serde_json cannot build duplicate keys).
async fn post_text(app: &TestApp, body: String) -> crate::helpers::Reply {
    app.post_raw(
        "/api/v1/responses",
        "application/json",
        body.into_bytes(),
        &[],
    )
    .await
}

async fn duplicate_keys_inside_profile_and_answers_are_refused(app: TestApp) {
    let before = app.counts().await;
    let body = api_body(Pick::Best, "de").to_string();
    let question = &catalogue().dimensions[0].questions[0];
    for (needle, key, duplicate) in [
        ("\"profile\":{", "size", "\"size\":\"1-9\",".to_owned()),
        (
            "\"answers\":{",
            question.id.as_str(),
            format!("\"{}\":\"{}\",", question.id, question.options[0].id),
        ),
    ] {
        assert!(body.contains(needle), "{body}");
        let forged = body.replacen(needle, &format!("{needle}{duplicate}"), 1);
        let reply = post_text(&app, forged).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        let message = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains(&format!("“{key}”")) && message.contains("more than once"),
            "{message}"
        );
    }
    assert_eq!(app.counts().await, before, "nothing stored");
    // The same body without the duplicate is accepted.
    let reply = post_text(&app, body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

async fn invisible_firm_names_are_refused_over_the_api(app: TestApp) {
    let before = app.counts().await;
    let mut body = api_body(Pick::Best, "de");
    body["firm_name"] = json!("\u{200B}\u{200D}\u{FEFF}");
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let error = reply.json();
    assert!(
        error["details"]
            .as_array()
            .expect("details")
            .iter()
            .any(|d| d["field"] == "firm_name"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("invisible"))),
        "{error}"
    );
    assert_eq!(app.counts().await, before, "nothing stored");
}

async fn form_text_is_nfc_and_invalid_utf8_is_refused(app: TestApp) {
    let token_path = app.start_survey("en").await;
    let profile_without_name = || {
        let mut fields = step_fields(1, Pick::Best);
        fields.retain(|(k, _)| k != "firm_name");
        fields
    };
    // `%ff` is no UTF-8: refused with a message, not stored as U+FFFD.
    let mut form: Vec<String> = profile_without_name()
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    form.push("firm_name=Caf%ff".into());
    form.push("nav=next".into());
    let reply = app
        .post_raw(
            &format!("{token_path}/step/1?lang=en"),
            "application/x-www-form-urlencoded",
            form.join("&").into_bytes(),
            &[],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("not valid UTF-8"), "{}", reply.body);
    let page = app.get(&format!("{token_path}/step/1?lang=en")).await;
    assert!(!page.body.contains('\u{FFFD}'), "U+FFFD stored");

    // A repeated single-valued field is refused rather than one value silently winning.
    let mut fields = profile_without_name();
    fields.push(("nav".into(), "pause".into()));
    let reply = post_step(&app, &token_path, 1, &fields, "next", "en").await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body.contains("was sent more than once"),
        "{}",
        reply.body
    );

    // A decomposed umlaut is stored composed (NFC).
    let mut fields = profile_without_name();
    fields.push((
        "firm_name".into(),
        " Mu\u{0308}nchner Ba\u{0308}ckerei ".into(),
    ));
    let reply = post_step(&app, &token_path, 1, &fields, "next", "en").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = app.get(&format!("{token_path}/step/1?lang=en")).await;
    assert!(page.body.contains("Münchner Bäckerei"), "NFC name shown");
    assert!(!page.body.contains("Mu\u{0308}nchner"));

    // Only invisible characters: refused on the page, in words.
    let mut fields = profile_without_name();
    fields.push(("firm_name".into(), "\u{200B}\u{2060}".into()));
    let reply = post_step(&app, &token_path, 1, &fields, "next", "en").await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(reply.body.contains("invisible characters only"));

    // The options of a multi-select question still repeat (checkboxes).
    let multi = catalogue()
        .dimensions
        .iter()
        .enumerate()
        .find_map(|(i, d)| {
            d.questions
                .iter()
                .find(|q| q.kind == social_readiness::survey::QuestionKind::Multi)
                .map(|q| (i + 2, q.clone()))
        });
    // Catalogue 2027.1 has no multi-select question; where a catalogue has one, its options
    // still repeat (checkboxes). The form decoder's own rule is unit-tested in `web::body`.
    let Some((step, question)) = multi else {
        return;
    };
    let mut fields = step_fields(step, Pick::Best);
    fields.retain(|(k, _)| *k != question.id);
    for option in question.options.iter().filter(|o| !o.exclusive).take(2) {
        fields.push((question.id.clone(), option.id.clone()));
    }
    let reply = post_step(&app, &token_path, step, &fields, "next", "en").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
}

async fn head_is_answered_on_get_routes(app: TestApp) {
    let client = awc::Client::default();
    for path in ["/", "/api/v1/questionnaire", "/health", "/impressum"] {
        let mut response = client.head(app.url(path)).send().await.expect("HEAD");
        assert_eq!(response.status().as_u16(), 200, "HEAD {path}");
        assert!(response.headers().contains_key("content-type"), "{path}");
        assert!(
            response.headers().contains_key("x-content-type-options"),
            "{path}"
        );
        let body = response.body().await.expect("body");
        assert!(body.is_empty(), "HEAD {path} sent a body");
    }
    // A path that answers only POST: 405 with Allow, as for any other method.
    let response = client.head(app.url("/logout")).send().await.expect("HEAD");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
}

on_both_databases!(
    duplicate_keys_inside_profile_and_answers_are_refused,
    invisible_firm_names_are_refused_over_the_api,
    form_text_is_nfc_and_invalid_utf8_is_refused,
    head_is_answered_on_get_routes,
);
