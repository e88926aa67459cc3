//! An abusive client: one notion of the client (trusted proxies only), per-client rate limits on
//! everything that creates or fills a response, the token guard on every token or code, and
//! login throttling that locks out the guesser, not the account's owner (issue 16).
//! All connections come from 127.0.0.1; tests that need several clients trust 127.0.0.1 as a
//! proxy and name the clients in `X-Forwarded-For`.
use social_readiness::accounts::Role;

use crate::helpers::{PASSWORD, Pick, Reply, TestApp, api_body, hidden_field};

/// Runs a scenario on both databases with the given settings.
macro_rules! on_both_databases_with {
    ($($test:ident: $settings:expr),* $(,)?) => {
        $(
            mod $test {
                #[actix_web::test]
                async fn sqlite() {
                    #[allow(unused_imports)]
                    use super::*;
                    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, $settings)
                        .await
                        .expect("sqlite");
                    super::$test(app).await;
                }
                #[actix_web::test]
                async fn postgres() {
                    #[allow(unused_imports)]
                    use super::*;
                    match crate::helpers::spawn_app_with(crate::helpers::Backend::Postgres, $settings).await {
                        Some(app) => super::$test(app).await,
                        None => eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )*
    };
}

const PROXY: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1");

async fn get_as(app: &TestApp, client: &str, path: &str) -> Reply {
    app.get_with(path, ("X-Forwarded-For", client)).await
}

async fn form_as(app: &TestApp, client: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    app.post_raw(
        path,
        "application/x-www-form-urlencoded",
        body.into_bytes(),
        &[("X-Forwarded-For", client)],
    )
    .await
}

/// A login through the form from `client`.
async fn login_as(app: &TestApp, client: &str, email: &str, password: &str) -> Reply {
    let form = get_as(app, client, "/login").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = hidden_field(&form.body, "csrf_token");
    let cookie = form
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("login CSRF cookie");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ])
        .finish();
    app.post_raw(
        "/login",
        "application/x-www-form-urlencoded",
        body.into_bytes(),
        &[("X-Forwarded-For", client), ("Cookie", &cookie)],
    )
    .await
}

async fn spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_client(app: TestApp) {
    // TOKEN_GUESSES_PER_MINUTE=2 and no trusted proxy: a new X-Forwarded-For per guess is still
    // the same client.
    assert_eq!(get_as(&app, "198.51.100.1", "/s/unknown").await.status, 404);
    assert_eq!(get_as(&app, "198.51.100.2", "/s/unknown").await.status, 404);
    let third = get_as(&app, "198.51.100.3", "/s/unknown").await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert!(third.header("retry-after").is_some());
    // Behind a trusted proxy, the forwarded address is the client: the proxy's other clients
    // are not locked with the guesser.
    let proxied = app
        .sibling(&[PROXY, ("TOKEN_GUESSES_PER_MINUTE", "2")])
        .await;
    for _ in 0..2 {
        assert_eq!(
            get_as(&proxied, "198.51.100.1", "/s/unknown").await.status,
            404
        );
    }
    assert_eq!(
        get_as(&proxied, "198.51.100.1", "/s/unknown").await.status,
        429
    );
    assert_eq!(
        get_as(&proxied, "198.51.100.2", "/s/unknown").await.status,
        404
    );
    // A chain: the nearest untrusted hop counts, not what the client wrote further left.
    let chained = get_as(&proxied, "198.51.100.2, 198.51.100.1", "/s/unknown").await;
    assert_eq!(chained.status, 429);
}

async fn forwarded_host_from_an_untrusted_peer_does_not_make_a_foreign_origin_pass(app: TestApp) {
    let headers = [
        ("Origin", "http://evil.example"),
        ("X-Forwarded-Host", "evil.example"),
    ];
    let reply = app
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &headers,
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(app.counts().await.responses, 0);
    // From a trusted proxy, the forwarded host is the host the browser addressed.
    let proxied = app.sibling(&[PROXY]).await;
    let reply = proxied
        .post_raw(
            "/start",
            "application/x-www-form-urlencoded",
            b"consent=yes".to_vec(),
            &headers,
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
}

async fn starts_are_limited_per_client_on_every_way_in(app: TestApp) {
    // RATE_LIMIT_STARTS=2/hour behind a trusted proxy.
    app.create_user(Role::Chamber, "ihk-a@example.de").await;
    let chamber = app.login("ihk-a@example.de").await;
    let (_, code) = crate::chambers::create_campaign(&chamber, "Frühjahr").await;
    let a = "203.0.113.10";
    let consent = [("consent", "yes")];
    assert_eq!(form_as(&app, a, "/start", &consent).await.status, 303);
    let campaign = format!("/c/{code}");
    assert_eq!(form_as(&app, a, &campaign, &consent).await.status, 303);
    let refused = form_as(&app, a, "/start", &consent).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    assert!(
        refused
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "a page for the form"
    );
    assert!(refused.body.contains("Es wurde nichts gespeichert"));
    assert_eq!(form_as(&app, a, &campaign, &consent).await.status, 429);
    assert_eq!(app.counts().await.responses, 2, "nothing beyond the limit");
    // Another client is not affected.
    let b = "203.0.113.11";
    assert_eq!(form_as(&app, b, &campaign, &consent).await.status, 303);
    assert_eq!(form_as(&app, b, "/start", &consent).await.status, 303);
    assert_eq!(form_as(&app, b, "/start", &consent).await.status, 429);
}

async fn invitation_starts_count_as_starts(app: TestApp) {
    // RATE_LIMIT_STARTS=1/hour.
    app.create_user(Role::Consultant, "berater@example.de")
        .await;
    let consultant = app.login("berater@example.de").await;
    let (_, first) = crate::consultants::create_client(&consultant, "Erste GmbH", "").await;
    let path = |url: &str| url.strip_prefix(&app.address).unwrap_or(url).to_owned();
    let consent = [("consent", "yes"), ("action", "start")];
    assert_eq!(
        app.post_form("/start", &[("consent", "yes")]).await.status,
        303
    );
    let refused = app.post_form(&path(&first), &consent).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
}

/// A submission without an API key (`post_json` would send the test's key).
pub async fn post_keyless(
    app: &TestApp,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> Reply {
    app.post_raw(
        "/api/v1/responses",
        "application/json",
        body.to_string().into_bytes(),
        headers,
    )
    .await
}

async fn api_submissions_are_limited_per_client(app: TestApp) {
    // RATE_LIMIT_API_RESPONSES=2/hour.
    let body = api_body(Pick::Best, "de");
    for _ in 0..2 {
        let reply = post_keyless(&app, &body, &[]).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let refused = post_keyless(&app, &body, &[]).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Too many")
    );
    assert_eq!(app.counts().await.responses, 2);
}

async fn survey_form_posts_are_limited_per_client(app: TestApp) {
    // RATE_LIMIT_FORM_POSTS=2/hour.
    let token_path = app.start_survey("de").await;
    let fields = crate::survey_pages::step_fields(1, Pick::Best);
    for _ in 0..2 {
        let reply =
            crate::survey_pages::post_step(&app, &token_path, 1, &fields, "next", "de").await;
        assert_eq!(reply.status, 303, "{}", reply.body);
    }
    let refused = crate::survey_pages::post_step(&app, &token_path, 1, &fields, "next", "de").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.header("retry-after").is_some());
    let submit = app.post_form(&format!("{token_path}/submit"), &[]).await;
    assert_eq!(submit.status, 429);
    // Reading is not limited.
    assert_eq!(app.get(&format!("{token_path}/step/2")).await.status, 200);
}

async fn the_token_guard_counts_every_kind_of_link_and_spares_a_valid_one(app: TestApp) {
    // TOKEN_GUESSES_PER_MINUTE=3.
    let own = app.start_survey("de").await;
    let unknown = "/s/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";
    assert_eq!(app.get(&format!("{unknown}/report.pdf")).await.status, 404);
    assert_eq!(app.get("/i/not-a-code").await.status, 404);
    assert_eq!(app.get("/c/not-a-code").await.status, 404);
    // Over the limit: every further miss is refused, on every kind of link, as page or JSON.
    let page = app.get("/c/another").await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.header("retry-after").is_some());
    let api = app
        .get(&format!("/api/v1/responses/{}/report.pdf", &unknown[3..]))
        .await;
    assert_eq!(api.status, 429);
    assert!(
        api.header("content-type")
            .unwrap_or_default()
            .contains("json")
    );
    assert_eq!(app.get("/i/another").await.status, 429);
    assert_eq!(app.get(&format!("{unknown}/report.pdf")).await.status, 429);
    // The client's own link still works.
    let mine = app.get(&format!("{own}/step/1")).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(app.get(&own).await.status, 303);
}

async fn login_throttling_locks_the_guesser_not_the_owner(app: TestApp) {
    // LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_CLIENT=5, LOGIN_LOCK_SECONDS=60.
    app.create_user(Role::Consultant, "anna@example.de").await;
    let attacker = "198.51.100.66";
    for _ in 0..2 {
        let reply = login_as(&app, attacker, "anna@example.de", "wrong wrong wrong").await;
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let locked = login_as(&app, attacker, "anna@example.de", "wrong wrong wrong").await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.header("retry-after").as_deref(), Some("60"));
    assert!(locked.body.contains("Zu viele fehlgeschlagene Anmeldungen"));
    // Even the right password waits, from this client.
    let right = login_as(&app, attacker, "anna@example.de", PASSWORD).await;
    assert_eq!(right.status, 429);
    // The owner, from elsewhere, logs in.
    let owner = login_as(&app, "192.0.2.44", "anna@example.de", PASSWORD).await;
    assert_eq!(owner.status, 303, "{}", owner.body);
    // Once a lock is over, the next failure doubles it. An instance with a one-second lock, so
    // the test waits for the lock to pass (the assertions are on the answers, not on timings).
    let quick = app
        .sibling(&[
            PROXY,
            ("LOGIN_FAILURES_PER_ACCOUNT", "3"),
            ("LOGIN_LOCK_SECONDS", "1"),
        ])
        .await;
    for expected in [401, 401, 429] {
        let reply = login_as(&quick, attacker, "anna@example.de", "wrong wrong wrong").await;
        assert_eq!(reply.status, expected, "{}", reply.body);
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = login_as(&quick, attacker, "anna@example.de", "wrong wrong wrong").await;
    assert_eq!(again.status, 429);
    assert_eq!(again.header("retry-after").as_deref(), Some("2"));
}

async fn one_client_cannot_spray_passwords_across_accounts(app: TestApp) {
    // LOGIN_FAILURES_PER_CLIENT=5: five accounts, one wrong password each.
    app.create_user(Role::Consultant, "anna@example.de").await;
    let sprayer = "198.51.100.77";
    for i in 0..4 {
        let reply = login_as(&app, sprayer, &format!("user{i}@example.de"), "Sommer2026!").await;
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let fifth = login_as(&app, sprayer, "user4@example.de", "Sommer2026!").await;
    assert_eq!(fifth.status, 429);
    assert!(fifth.header("retry-after").is_some());
    // The next account, even with its right password: not from this client, not now.
    assert_eq!(
        login_as(&app, sprayer, "anna@example.de", PASSWORD)
            .await
            .status,
        429
    );
    assert_eq!(
        login_as(&app, "192.0.2.45", "anna@example.de", PASSWORD)
            .await
            .status,
        303
    );
}

const LOGIN: &[(&str, &str)] = &[
    PROXY,
    ("LOGIN_FAILURES_PER_ACCOUNT", "3"),
    ("LOGIN_FAILURES_PER_CLIENT", "5"),
    ("LOGIN_LOCK_SECONDS", "60"),
];

on_both_databases_with!(
    spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_client:
        &[("TOKEN_GUESSES_PER_MINUTE", "2")],
    forwarded_host_from_an_untrusted_peer_does_not_make_a_foreign_origin_pass: &[],
    starts_are_limited_per_client_on_every_way_in: &[PROXY, ("RATE_LIMIT_STARTS", "2/hour")],
    invitation_starts_count_as_starts: &[("RATE_LIMIT_STARTS", "1/hour")],
    api_submissions_are_limited_per_client: &[("RATE_LIMIT_API_RESPONSES", "2/hour")],
    survey_form_posts_are_limited_per_client: &[("RATE_LIMIT_FORM_POSTS", "2/hour")],
    the_token_guard_counts_every_kind_of_link_and_spares_a_valid_one:
        &[("TOKEN_GUESSES_PER_MINUTE", "3")],
    login_throttling_locks_the_guesser_not_the_owner: LOGIN,
    one_client_cannot_spray_passwords_across_accounts: LOGIN,
);
