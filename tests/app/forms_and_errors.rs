//! What a person sees when something is wrong or missing: error summaries that name and link
//! each problem, buttons in the order they are seen, readable industry choices, and error
//! pages of the service (not the framework's plain text) in both languages.
use crate::helpers::{Pick, TestApp, catalogue};
use crate::on_both_databases;
use crate::survey_pages::{post_step, step_fields};

/// The error summary box of a page (GOV.UK pattern), or a panic naming the page.
fn summary(body: &str) -> &str {
    let start = body
        .find(r#"<div class="error-summary""#)
        .unwrap_or_else(|| panic!("no error summary in {body}"));
    let end = body[start..].find("</div>").expect("summary ends") + start;
    &body[start..end]
}

async fn a_missing_answer_is_named_and_linked_from_the_summary(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let mut fields = step_fields(2, Pick::Best);
    let dropped = fields.remove(0).0;
    let reply = post_step(&app, &token_path, 2, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    let question = catalogue().dimensions[0]
        .questions
        .iter()
        .find(|q| q.id == dropped)
        .expect("question")
        .text
        .de
        .clone();
    let box_ = summary(&reply.body);
    assert!(box_.contains("Bitte prüfen Sie Ihre Angaben"));
    assert!(
        box_.contains(&format!(r##"<a href="#{dropped}">"##)),
        "{box_}"
    );
    assert!(box_.contains(&question), "the summary names the question");
    // The link has somewhere to go, and the message is repeated at the question.
    assert!(reply.body.contains(&format!(r#"<fieldset id="{dropped}""#)));
    assert!(reply.body.contains(&format!(r#"id="{dropped}-error""#)));
    // The summary comes before the heading of the page, at the top.
    assert!(reply.body.find("error-summary") < reply.body.find("<h1>"));
}

async fn the_review_links_each_missing_answer_to_its_page(app: TestApp) {
    let token_path = app.start_survey("en").await;
    // Only the profile is answered.
    let reply = post_step(
        &app,
        &token_path,
        1,
        &step_fields(1, Pick::Best),
        "next",
        "en",
    )
    .await;
    assert_eq!(reply.status, 303);
    let refused = app
        .post_form(&format!("{token_path}/submit?lang=en"), &[])
        .await;
    assert_eq!(refused.status, 422);
    let box_ = summary(&refused.body);
    assert!(box_.contains("There is a problem"), "{box_}");
    let first = &catalogue().dimensions[0].questions[0];
    assert!(
        box_.contains(&format!(
            r##"href="{token_path}/step/2?lang&#x3D;en#{}""##,
            first.id
        )),
        "{box_}"
    );
    assert!(box_.contains(&first.text.en));
    // Named once, not "Question – Please answer: “Question”".
    assert_eq!(box_.matches(first.text.en.as_str()).count(), 1);
}

async fn the_consent_error_sits_at_the_checkbox(app: TestApp) {
    let reply = app.post_form("/start?lang=en", &[]).await;
    assert_eq!(reply.status, 422);
    let box_ = summary(&reply.body);
    assert!(box_.contains(r##"<a href="#consent">"##), "{box_}");
    // Message, then the checkbox it belongs to, inside one field; the checkbox points at it.
    let message = reply.body.find(r#"id="consent-error""#).expect("message");
    let checkbox = reply
        .body
        .find(r#"id="consent" name="consent""#)
        .expect("checkbox");
    let field = reply
        .body
        .find(r#"class="consent-field has-error""#)
        .expect("field");
    assert!(field < message && message < checkbox);
    assert!(reply.body.contains(r#"aria-describedby="consent-error""#));
}

async fn a_failed_login_is_summarised_and_shown_at_the_field(app: TestApp) {
    let browser = crate::helpers::Browser::new(&app);
    let reply = browser
        .login("niemand@example.de", "falsch falsch falsch")
        .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let box_ = summary(&reply.body);
    assert!(box_.contains(r##"<a href="#email">"##));
    assert!(
        reply
            .body
            .contains(r#"aria-invalid="true" aria-describedby="login-error""#)
    );
}

async fn buttons_are_in_the_order_they_are_seen_and_all_styled(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let page = app.get(&format!("{token_path}/step/2?lang=de")).await;
    let next = page.body.find(r#"value="next""#).expect("next");
    let back = page.body.find(r#"value="back""#).expect("back");
    let pause = page.body.find(r#"value="pause""#).expect("pause");
    assert!(next < back && back < pause, "Next, Back, Save-later");
    // No CSS reorders them (Tab would then jump around on screen).
    let css = app.get("/static/app.css").await.body;
    let navigation: Vec<&str> = css.lines().filter(|l| l.contains(".navigation")).collect();
    assert!(
        navigation.iter().all(|l| !l.contains("order:")),
        "{navigation:?}"
    );
    // Every button in every template carries one of our classes.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut unstyled = Vec::new();
    for folder in ["pages", "partials"] {
        for entry in std::fs::read_dir(dir.join(folder)).expect("templates") {
            let path = entry.expect("entry").path();
            let source = std::fs::read_to_string(&path).expect("template");
            for button in source.split("<button").skip(1) {
                let tag = button.split('>').next().unwrap_or_default();
                if !tag.contains("class=") {
                    unstyled.push(format!("{}: <button{tag}>", path.display()));
                }
            }
        }
    }
    assert!(unstyled.is_empty(), "{unstyled:?}");
}

async fn industries_read_in_plain_words_and_keep_their_codes(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let de = app.get(&format!("{token_path}/step/1?lang=de")).await;
    assert!(de.body.contains(
        r#"id="industry--F" name="industry" value="F"><label for="industry--F">Handwerk, Bau und Ausbau"#
    ) || de.body.contains(r#"value="F">"#) && de.body.contains(">Handwerk, Bau und Ausbau <span"));
    assert!(
        de.body.matches("Handwerk").count() >= 2,
        "findable by “Handwerk”"
    );
    assert!(de.body.contains("z. B. Bäckerei"));
    assert!(!de.body.contains("Erbringung von"), "no official jargon");
    let en = app.get(&format!("{token_path}/step/1?lang=en")).await;
    assert!(
        en.body
            .contains("Construction and building trades (Handwerk)")
    );
    // The stored code stays the section letter: a firm choosing crafts is cohort F.
    let mut fields = step_fields(1, Pick::Best);
    for (k, v) in &mut fields {
        if k == "industry" {
            *v = "F".into();
        }
    }
    let saved = post_step(&app, &token_path, 1, &fields, "next", "de").await;
    assert_eq!(saved.status, 303);
    let review = app.get(&format!("{token_path}/review?lang=de")).await;
    assert!(review.body.contains("Handwerk, Bau und Ausbau"));
}

async fn errors_are_pages_of_the_service_in_both_languages(app: TestApp) {
    let missing = app.get("/nirgendwo?lang=en").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains(r#"<html lang="en">"#));
    assert!(missing.body.contains("/static/app.css"));

    // A path of ours with a method it does not take: 405 with Allow, as a page.
    let wrong = app.post_form("/?lang=de", &[]).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow").as_deref(), Some("GET"));
    assert!(wrong.body.contains(r#"<html lang="de">"#));
    assert!(wrong.body.contains("Diese Aktion ist hier nicht möglich"));
    let start = app.get("/start?lang=en").await;
    assert_eq!(start.status, 405);
    assert_eq!(start.header("allow").as_deref(), Some("POST"));
    assert!(start.body.contains("This action is not possible here"));

    // Under /api: JSON, also for 405.
    let api = app.get("/api/v1/responses").await;
    assert_eq!(api.status, 405);
    assert_eq!(api.header("allow").as_deref(), Some("POST"));
    assert!(api.json()["error"].as_str().is_some());
    let api_missing = app.get("/api/v1/nothing").await;
    assert_eq!(api_missing.status, 404);
    assert!(api_missing.json()["error"].as_str().is_some());

    // A path the router cannot even decode: still our page, not plain text.
    let garbled = app.get("/s/%FF%FE%FD/result?lang=en").await;
    assert!(
        garbled.status == 404 || garbled.status == 400,
        "{}",
        garbled.status
    );
    assert!(
        garbled
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        garbled.header("content-type")
    );
}

async fn too_many_guesses_get_a_page_with_a_heading_in_words(app: TestApp) {
    let fake = |i: usize| format!("/s/{:B>43}?lang=en", i);
    for i in 0..60 {
        app.get(&fake(i)).await;
    }
    let blocked = app.get(&fake(99)).await;
    assert_eq!(blocked.status, 429);
    assert!(
        blocked.body.contains("<h1>Too many requests</h1>"),
        "{}",
        blocked.body
    );
    assert!(!blocked.body.contains("error_title"));
}

on_both_databases!(
    a_missing_answer_is_named_and_linked_from_the_summary,
    the_review_links_each_missing_answer_to_its_page,
    the_consent_error_sits_at_the_checkbox,
    a_failed_login_is_summarised_and_shown_at_the_field,
    buttons_are_in_the_order_they_are_seen_and_all_styled,
    industries_read_in_plain_words_and_keep_their_codes,
    errors_are_pages_of_the_service_in_both_languages,
    too_many_guesses_get_a_page_with_a_heading_in_words,
);
