//! The extractors and the one error path (issue 11, item 1): the token guard on every route with
//! a token or code, roles and forms checked before a handler runs, and errors (also those of a
//! failed extractor) as the service's own page or JSON by route, in both languages, with the
//! security headers; the request id every answer names.
use crate::helpers::{Reply, TestApp};
use crate::on_both_databases;
use social_readiness::accounts::Role;

/// A page of the service: HTML, our layout, the security headers, no caching.
fn assert_service_page(reply: &Reply, status: u16, lang: &str, words: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        reply.header("content-type")
    );
    assert!(
        reply.body.contains(&format!("<html lang=\"{lang}\"")),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(words), "{words:?} in {}", reply.body);
    assert!(reply.header("content-security-policy").is_some());
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
}

async fn every_token_and_code_route_is_guarded(app: TestApp) {
    let fake = |i: usize| format!("{i:A>43}");
    let routes = [
        "/s/{}",
        "/s/{}/result",
        "/s/{}/report.pdf",
        "/s/{}/export.json",
        "/api/v1/responses/{}",
        "/api/v1/responses/{}/report.pdf",
        "/i/{}",
        "/c/{}",
        "/c/{}/continue",
    ];
    // 60 misses spread over all routes: each is a plain 404 …
    for i in 0..60 {
        let path = routes[i % routes.len()].replace("{}", &fake(i));
        let reply = app.get(&path).await;
        assert_eq!(reply.status, 404, "{path}");
    }
    // … and from then on every one of them answers 429: they share one guard.
    for route in routes {
        let path = route.replace("{}", &fake(1000));
        let reply = app.get(&path).await;
        assert_eq!(reply.status, 429, "{path}");
        assert!(reply.header("retry-after").is_some(), "{path}");
        if path.starts_with("/api/") {
            assert!(reply.json()["error"].as_str().is_some(), "{path}");
        } else {
            assert_service_page(&reply, 429, "de", "Zu viele Versuche");
        }
    }
}

async fn failed_extractors_answer_in_the_service_s_words(app: TestApp) {
    // A path segment that is no number: actix-web's Path extractor fails before any handler.
    let reply = app.get("/admin/users/abc/disable?lang=en").await;
    assert_service_page(&reply, 404, "en", "<h1>Not found</h1>");
    let reply = app
        .get_with(
            "/consultant/clients/x/report.pdf",
            ("Accept-Language", "de"),
        )
        .await;
    assert_service_page(&reply, 404, "de", "<h1>Nicht gefunden</h1>");
    // A form that is not a form, on a token route: the Form extractor refuses it (415).
    let token_path = app.start_survey("en").await;
    let reply = app
        .post_raw(
            &format!("{token_path}/submit"),
            "text/plain",
            b"x".to_vec(),
            &[],
        )
        .await;
    // The owner's language (en) comes from the response the extractor loaded.
    assert_service_page(&reply, 415, "en", "application/x-www-form-urlencoded");
    // Under /api the same errors are JSON.
    let reply = app.get("/api/v1/nothing-here").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"], "Not found.");
    assert!(reply.header("content-security-policy").is_some());
}

async fn roles_and_forms_are_checked_before_the_handler(app: TestApp) {
    app.create_user(Role::Consultant, "c@example.de").await;
    let consultant = app.login("c@example.de").await;
    // Another role's area: a 403 page in the language asked for.
    let reply = consultant.get("/admin/users?lang=en").await;
    assert_service_page(
        &reply,
        403,
        "en",
        "Your account has no access to this area.",
    );
    // A consultant's form without its CSRF token: refused, nothing created.
    let reply = consultant
        .post_form(
            "/consultant/clients?lang=en",
            &[("firm_name", "Bäckerei Test"), ("csrf_token", "wrong")],
        )
        .await;
    assert_service_page(&reply, 403, "en", "The form has expired");
    let list = consultant.get("/consultant").await;
    assert!(!list.body.contains("Bäckerei Test"));
    // Anonymous: to the login page, which returns here.
    let reply = app.get("/consultant?lang=en").await;
    assert_eq!(reply.status, 303);
    assert!(reply.location().starts_with("/login?next="));
}

async fn every_answer_names_its_request_id(app: TestApp) {
    // A proxy's id is kept, so its logs and ours can be joined …
    let reply = app.get_with("/health", ("X-Request-Id", "lb-42.a_b")).await;
    assert_eq!(reply.header("x-request-id").as_deref(), Some("lb-42.a_b"));
    // … one that could forge a log line or a header is replaced by our own.
    let reply = app
        .get_with("/nowhere", ("X-Request-Id", "a b\"c\" forged=1"))
        .await;
    assert_eq!(reply.status, 404);
    let own = reply.header("x-request-id").expect("request id");
    assert!(!own.contains(' ') && !own.is_empty(), "{own}");
    let other = app.get("/nowhere").await.header("x-request-id");
    assert_ne!(Some(own), other, "a new id per request");
}

on_both_databases!(
    every_answer_names_its_request_id,
    every_token_and_code_route_is_guarded,
    failed_extractors_answer_in_the_service_s_words,
    roles_and_forms_are_checked_before_the_handler
);
