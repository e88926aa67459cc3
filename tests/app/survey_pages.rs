//! The survey in the browser: landing, consent, pages, resume, review, submit, result.
use social_readiness::scoring::assess;
use social_readiness::survey::{AnswerSet, RawAnswer};

use crate::helpers::{Pick, TestApp, answers, catalogue, profile};
use crate::on_both_databases;

/// Form fields for one step, answering as `pick` says.
pub fn step_fields(step: usize, pick: Pick) -> Vec<(String, String)> {
    let c = catalogue();
    if step == 1 {
        let mut fields: Vec<(String, String)> = profile()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        fields.push(("firm_name".into(), "Müller & Söhne <GmbH>".into()));
        return fields;
    }
    let d = &c.dimensions[step - 2];
    let all = answers(pick);
    let mut fields = Vec::new();
    for q in &d.questions {
        let (_, ids) = all.iter().find(|(id, _)| id == &q.id).expect("answer");
        for id in ids {
            fields.push((q.id.clone(), id.clone()));
        }
    }
    fields.push((format!("{}.importance", d.id), "high".into()));
    fields
}

pub async fn post_step(
    app: &TestApp,
    token_path: &str,
    step: usize,
    fields: &[(String, String)],
    nav: &str,
    lang: &str,
) -> crate::helpers::Reply {
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("nav", nav));
    app.post_form(&format!("{token_path}/step/{step}?lang={lang}"), &form)
        .await
}

/// The score the pure scoring module gives for the same answers: what the page must show.
fn expected_score(pick: Pick) -> u8 {
    let c = catalogue();
    let mut raw: Vec<(String, RawAnswer)> = Vec::new();
    for step in 1..=c.page_count() {
        for (k, v) in step_fields(step, pick) {
            if k == "firm_name" {
                continue;
            }
            match raw.iter_mut().find(|(q, _)| *q == k) {
                Some((_, RawAnswer::Many(ids))) => ids.push(v),
                _ => raw.push((k, RawAnswer::Many(vec![v]))),
            }
        }
    }
    assess(c, &AnswerSet::parse(c, raw).expect("valid"))
        .overall
        .score
}

async fn landing_page_explains_and_asks_for_consent(app: TestApp) {
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"<html lang="de">"#));
    assert!(page.body.contains("15 Minuten"));
    assert!(page.body.contains("Was mit Ihren Daten geschieht"));
    // The consent checkbox is there, labelled, and not ticked.
    assert!(
        page.body
            .contains(r#"<input type="checkbox" id="consent" name="consent" value="yes">"#)
    );
    assert!(page.body.contains(r#"<label for="consent">"#));
    for d in &catalogue().dimensions {
        assert!(
            page.body.contains(&d.title.de.replace('&', "&amp;")),
            "{}",
            d.title.de
        );
    }
    let english = app
        .get_with("/", ("Accept-Language", "en-GB,en;q=0.9"))
        .await;
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert!(english.body.contains("What happens with your data"));
    let switched = app.get("/?lang=en").await;
    assert!(switched.body.contains(r#"<html lang="en">"#));
}

async fn starting_without_consent_stores_nothing(app: TestApp) {
    let before = app.counts().await;
    let reply = app.post_form("/start", &[]).await;
    assert_eq!(reply.status, 422);
    assert!(
        reply
            .body
            .contains("Bitte bestätigen Sie zuerst Ihr Einverständnis")
    );
    assert!(reply.body.contains(r#"aria-invalid="true""#));
    assert_eq!(app.counts().await, before);
}

async fn owner_completes_the_survey_in_german_and_resumes_with_the_link(app: TestApp) {
    let c = catalogue();
    let token_path = app.start_survey("de").await;
    let first = app.get(&format!("{token_path}/step/1?lang=de&new=1")).await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("Schritt 1 von 10"), "progress");
    assert!(first.body.contains("Ihr privater Link"));
    assert!(
        first.body.contains(&format!("{}{token_path}", app.address)),
        "the link is shown whole"
    );
    // A page holding the private link sends no Referer to other sites, yet its forms keep
    // their Origin (under `no-referrer` browsers send `Origin: null`).
    assert_eq!(
        first.header("referrer-policy").as_deref(),
        Some("same-origin")
    );
    assert_eq!(first.header("cache-control").as_deref(), Some("no-store"));
    assert!(
        first.body.contains("<fieldset"),
        "radio groups in fieldsets"
    );

    // Two pages, then the browser is closed.
    for step in 1..=2 {
        let reply = post_step(
            &app,
            &token_path,
            step,
            &step_fields(step, Pick::Best),
            "next",
            "de",
        )
        .await;
        assert_eq!(reply.status, 303, "step {step}: {}", reply.body);
        assert_eq!(
            reply.location(),
            format!("{token_path}/step/{}?lang=de", step + 1)
        );
    }
    // Later, the private link resumes at the first unanswered page, with answers kept.
    let resume = app.get(&token_path).await;
    assert_eq!(resume.status, 303);
    assert_eq!(resume.location(), format!("{token_path}/step/3?lang=de"));
    let earlier = app.get(&format!("{token_path}/step/2?lang=de")).await;
    assert!(
        earlier.body.contains(" checked>"),
        "stored answers are shown again"
    );
    let profile_page = app.get(&format!("{token_path}/step/1")).await;
    assert!(
        profile_page
            .body
            .contains("Müller &amp; Söhne &lt;GmbH&gt;"),
        "firm name kept, escaped"
    );

    for step in 3..=c.page_count() {
        let reply = post_step(
            &app,
            &token_path,
            step,
            &step_fields(step, Pick::Best),
            "next",
            "de",
        )
        .await;
        assert_eq!(reply.status, 303, "step {step}: {}", reply.body);
    }
    let review = app.get(&format!("{token_path}/review?lang=de")).await;
    assert_eq!(review.status, 200);
    assert!(review.body.contains("Übersicht Ihrer Antworten"));
    assert!(!review.body.contains("nicht beantwortet"));

    let submit = app
        .post_form(&format!("{token_path}/submit?lang=de"), &[])
        .await;
    assert_eq!(submit.status, 303, "{}", submit.body);
    assert_eq!(submit.location(), format!("{token_path}/result?lang=de"));
    let result = app.get(&format!("{token_path}/result?lang=de")).await;
    assert_eq!(result.status, 200);
    assert_eq!(result.header("cache-control").as_deref(), Some("no-store"));
    let expected = expected_score(Pick::Best);
    assert_eq!(expected, 100);
    assert!(
        result
            .body
            .contains(&format!("<strong>{expected}</strong>")),
        "overall score shown"
    );
    assert!(result.body.contains("Vorbild"), "level name");
    assert!(result.body.contains("<svg"), "inline chart");
    assert!(result.body.contains(r#"role="img""#));
    assert!(
        result.body.contains("<table"),
        "text equivalent of the chart"
    );
    assert!(result.body.contains("Keine Warnsignale"));
    assert!(result.body.contains(&format!("Version {}", c.version)));
    // The link now leads to the result.
    let resume = app.get(&token_path).await;
    assert_eq!(resume.location(), format!("{token_path}/result?lang=de"));
}

async fn owner_completes_the_survey_in_english_with_red_flags(app: TestApp) {
    let c = catalogue();
    let token_path = app.start_survey("en").await;
    let first = app.get(&format!("{token_path}/step/1")).await;
    assert!(
        first.body.contains(r#"<html lang="en">"#),
        "the response remembers its language"
    );
    assert!(first.body.contains("Step 1 of 10"));
    for step in 1..=c.page_count() {
        let reply = post_step(
            &app,
            &token_path,
            step,
            &step_fields(step, Pick::Worst),
            "next",
            "en",
        )
        .await;
        assert_eq!(reply.status, 303, "step {step}: {}", reply.body);
    }
    let submit = app
        .post_form(&format!("{token_path}/submit?lang=en"), &[])
        .await;
    assert_eq!(submit.status, 303);
    let result = app.get(&format!("{token_path}/result")).await;
    assert!(result.body.contains("Your result"));
    assert!(
        result
            .body
            .contains(&format!("<strong>{}</strong>", expected_score(Pick::Worst)))
    );
    assert!(result.body.contains("Homework first"));
    assert!(result.body.contains("Red flag"));
    // Every red flag of the catalogue that the worst answers raise is explained with its source.
    let flag = c
        .dimensions
        .iter()
        .flat_map(|d| &d.questions)
        .flat_map(|q| &q.options)
        .find_map(|o| o.red_flag.as_ref())
        .expect("a red flag");
    assert!(
        result.body.contains(&flag.text.en.replace('\'', "&#x27;"))
            || result.body.contains(&flag.text.en),
        "{}",
        flag.text.en
    );
    assert!(result.body.contains("What to do first"));
    // Switch language on the result page.
    let german = app.get(&format!("{token_path}/result?lang=de")).await;
    assert!(german.body.contains("Ihr Ergebnis"));
}

async fn next_with_missing_answers_explains_and_stores_nothing(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let mut fields = step_fields(2, Pick::Best);
    let dropped = fields.remove(0).0;
    let before = app.counts().await;
    let reply = post_step(&app, &token_path, 2, &fields, "next", "de").await;
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("Bitte wählen Sie eine Antwort."));
    assert!(reply.body.contains(&format!(r#"id="{dropped}-error""#)));
    assert!(
        reply.body.contains(" checked>"),
        "what was chosen stays chosen"
    );
    assert_eq!(app.counts().await, before);
}

async fn back_and_pause_save_partial_pages(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let mut fields = step_fields(2, Pick::Second);
    fields.truncate(2);
    let back = post_step(&app, &token_path, 2, &fields, "back", "de").await;
    assert_eq!(back.status, 303);
    assert_eq!(back.location(), format!("{token_path}/step/1?lang=de"));
    assert_eq!(app.counts().await.answers, 2);
    let pause = post_step(
        &app,
        &token_path,
        3,
        &step_fields(3, Pick::Best)[..1],
        "pause",
        "de",
    )
    .await;
    assert_eq!(pause.location(), format!("{token_path}/paused?lang=de"));
    let paused = app.get(&pause.location()).await;
    assert!(paused.body.contains("Ihre Antworten sind gespeichert"));
    assert_eq!(app.counts().await.answers, 3);
    // The profile is still unanswered, so the link resumes there.
    assert_eq!(
        app.get(&token_path).await.location(),
        format!("{token_path}/step/1?lang=de")
    );
}

async fn a_submitted_response_is_frozen(app: TestApp) {
    let c = catalogue();
    let token_path = app.start_survey("de").await;
    for step in 1..=c.page_count() {
        post_step(
            &app,
            &token_path,
            step,
            &step_fields(step, Pick::Second),
            "next",
            "de",
        )
        .await;
    }
    assert_eq!(
        app.post_form(&format!("{token_path}/submit"), &[])
            .await
            .status,
        303
    );
    let before = app.counts().await;
    let again = app.post_form(&format!("{token_path}/submit"), &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("bereits abgesendet"));
    let change = post_step(
        &app,
        &token_path,
        2,
        &step_fields(2, Pick::Best),
        "next",
        "de",
    )
    .await;
    assert_eq!(change.status, 409);
    assert_eq!(app.counts().await, before);
    // Pages of the survey now lead to the result.
    assert_eq!(app.get(&format!("{token_path}/step/2")).await.status, 303);
}

async fn submit_of_an_incomplete_response_is_refused(app: TestApp) {
    let token_path = app.start_survey("de").await;
    post_step(
        &app,
        &token_path,
        1,
        &step_fields(1, Pick::Best),
        "next",
        "de",
    )
    .await;
    let review = app.get(&format!("{token_path}/review")).await;
    assert!(review.body.contains("nicht beantwortet"));
    let before = app.counts().await;
    let submit = app.post_form(&format!("{token_path}/submit"), &[]).await;
    assert_eq!(submit.status, 422);
    assert!(submit.body.contains("Bitte beantworten Sie"));
    assert_eq!(app.counts().await, before);
    let api = app
        .get(&format!(
            "/api/v1/responses/{}",
            token_path.trim_start_matches("/s/")
        ))
        .await;
    assert_eq!(api.json()["status"], "in_progress");
}

async fn unknown_tokens_and_pages_are_404(app: TestApp) {
    let fake = "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(app.get(fake).await.status, 404);
    assert_eq!(app.get("/s/short").await.status, 404);
    let token_path = app.start_survey("de").await;
    assert_eq!(app.get(&format!("{token_path}/step/0")).await.status, 404);
    assert_eq!(app.get(&format!("{token_path}/step/11")).await.status, 404);
    assert_eq!(app.get(&format!("{token_path}/step/x")).await.status, 404);
    let page = app.get("/nowhere").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Nicht gefunden"));
}

async fn forms_posted_from_another_site_are_refused(app: TestApp) {
    let before = app.counts().await;
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(reply.status, 403);
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &[("Sec-Fetch-Site", "cross-site")],
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(app.counts().await, before);
    // `Origin: null` alone is what any sandboxed attacker page can send.
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &[("Origin", "null")],
        )
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(app.counts().await, before);
    let own = format!("http://{}", app.address.trim_start_matches("http://"));
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &[("Origin", &own)],
        )
        .await;
    assert_eq!(reply.status, 303);
    // What Chromium sends from our own page under `no-referrer` (seen in the field).
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")],
        )
        .await;
    assert_eq!(reply.status, 303);
}

on_both_databases!(
    landing_page_explains_and_asks_for_consent,
    starting_without_consent_stores_nothing,
    owner_completes_the_survey_in_german_and_resumes_with_the_link,
    owner_completes_the_survey_in_english_with_red_flags,
    next_with_missing_answers_explains_and_stores_nothing,
    back_and_pause_save_partial_pages,
    a_submitted_response_is_frozen,
    submit_of_an_incomplete_response_is_refused,
    unknown_tokens_and_pages_are_404,
    forms_posted_from_another_site_are_refused,
);

/// Guessing private links is slowed down: after many unknown tokens, 429 with Retry-After.
async fn guessing_tokens_is_rate_limited(app: TestApp) {
    let fake = |i: usize| format!("/s/{:A>43}", i);
    for i in 0..60 {
        assert_eq!(app.get(&fake(i)).await.status, 404);
    }
    let blocked = app.get(&fake(99)).await;
    assert_eq!(blocked.status, 429);
    assert!(
        blocked
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    let api = app
        .get("/api/v1/responses/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB")
        .await;
    assert_eq!(api.status, 429);
    assert!(
        api.json()["error"]
            .as_str()
            .expect("error")
            .contains("Too many")
    );
}

on_both_databases!(guessing_tokens_is_rate_limited);
