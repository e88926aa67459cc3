//! API keys and plausibility screening (issue 16, items 3 and 4): a key-holder is exempt from
//! the per-client limit but held to its key's own; keyless API submissions, forms filled faster
//! than anyone reads and bursts of near-identical answers are stored and answered, but count in
//! the statistics only once an admin releases them.
use serde_json::Value;
use social_readiness::accounts::Role;

use crate::abuse::post_keyless;
use crate::helpers::{Browser, Pick, Reply, TestApp, api_body, api_body_for, hidden_field};

/// Runs a scenario on both databases with the given settings.
macro_rules! on_both_databases_with {
    ($($test:ident: $settings:expr),* $(,)?) => {
        $(
            mod $test {
                #[actix_web::test]
                async fn sqlite() {
                    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, $settings)
                        .await
                        .expect("sqlite");
                    super::$test(app).await;
                }
                #[actix_web::test]
                async fn postgres() {
                    match crate::helpers::spawn_app_with(crate::helpers::Backend::Postgres, $settings).await {
                        Some(app) => super::$test(app).await,
                        None => eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set"),
                    }
                }
            }
        )*
    };
}

/// How many responses the "all firms" cell of the real statistics counts right now.
async fn live_count(app: &TestApp) -> u64 {
    let scope = social_readiness::statistics::versioned_scope(
        social_readiness::statistics::SCOPE_REAL,
        &social_readiness::survey::served().version,
    );
    let cells = app.store.cohort_cells(&scope).await.expect("cells");
    cells
        .iter()
        .find(|c| c.cohort_key == "all")
        .map(|c| {
            let json: Value = serde_json::to_value(
                social_readiness::benchmark::decode_cell(&c.cell).expect("stored cell"),
            )
            .expect("json");
            json["live"]["n"].as_u64().expect("n")
        })
        .unwrap_or(0)
}

async fn held(app: &TestApp) -> i64 {
    app.store.held_back_count().await.expect("held-back count")
}

async fn admin(app: &TestApp) -> Browser<'_> {
    app.create_user(Role::Admin, "admin@example.de").await;
    app.login("admin@example.de").await
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

/// Releases or discards the first group listed on the held-back page.
async fn decide(admin: &Browser<'_>, action: &str) -> Reply {
    let page = admin.get("/admin/held-back?lang=de").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = ["reason", "industry", "size", "up_to"].map(|f| (f, hidden_field(&page.body, f)));
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    form.push(("action", action));
    admin
        .submit("/admin/held-back", "/admin/held-back?lang=de", &form)
        .await
}

async fn api_keys_are_issued_once_limited_on_their_own_and_revoked(app: TestApp) {
    // RATE_LIMIT_API_RESPONSES=1/hour for clients without a key.
    let admin = admin(&app).await;
    let refused = admin
        .submit(
            "/admin/api-keys",
            "/admin/api-keys",
            &[("name", "CRM"), ("rate", "lots")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("600/hour"), "the rule is named");

    let issued = admin
        .submit(
            "/admin/api-keys",
            "/admin/api-keys",
            &[("name", "CRM der Kammer"), ("rate", "3/hour")],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let at = issued.body.find("srk_").expect("the key is shown");
    let key: String = issued.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(key.len(), 4 + 43, "{key}");
    // Shown once: the list shows a prefix only, and only a hash is stored.
    let list = admin.get("/admin/api-keys").await;
    assert!(!list.body.contains(&key));
    assert!(list.body.contains(&key[..12]));
    let stored = app.store.api_keys().await.expect("keys");
    let record = stored
        .iter()
        .find(|k| k.name == "CRM der Kammer")
        .expect("stored");
    assert_eq!(record.prefix, key[..12]);
    assert!(
        app.store
            .active_api_key(&key)
            .await
            .expect("lookup")
            .is_none(),
        "not stored in clear"
    );

    // Three with the key, though the client's own limit is one an hour; then the key's limit.
    let body = api_body(Pick::Best, "de");
    let with_key = bearer(&key);
    for _ in 0..3 {
        let reply = app
            .post_json("/api/v1/responses", &body, &[("Authorization", &with_key)])
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let over = app
        .post_json("/api/v1/responses", &body, &[("Authorization", &with_key)])
        .await;
    assert_eq!(over.status, 429, "{}", over.body);
    assert!(over.header("retry-after").is_some());
    assert!(
        over.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("API key")
    );
    // The keyless client still has its own limit.
    assert_eq!(post_keyless(&app, &body, &[]).await.status, 201);
    assert_eq!(post_keyless(&app, &body, &[]).await.status, 429);

    // Wrong keys and other schemes: 401 with a JSON message, nothing stored.
    let before = app.counts().await;
    for auth in [
        "Bearer srk_not-a-key",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        &format!("Bearer {}x", key),
    ] {
        let reply = app
            .post_json("/api/v1/responses", &body, &[("Authorization", auth)])
            .await;
        assert_eq!(reply.status, 401, "{auth}: {}", reply.body);
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap_or_default()
                .contains("API key"),
            "{auth}"
        );
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
    }
    assert_eq!(app.counts().await, before);

    // Revoked: refused at once.
    let revoked = admin
        .submit(
            "/admin/api-keys",
            &format!("/admin/api-keys/{}/revoke", record.id),
            &[],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let reply = app
        .post_json("/api/v1/responses", &body, &[("Authorization", &with_key)])
        .await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let again = admin
        .submit(
            "/admin/api-keys",
            &format!("/admin/api-keys/{}/revoke", record.id),
            &[],
        )
        .await;
    assert_eq!(again.status, 404, "revoked once");
}

async fn keyless_submissions_are_answered_but_held_back_until_released(app: TestApp) {
    let body = api_body(Pick::Best, "de");
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let reply = post_keyless(&app, &body, &[]).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        // The owner gets the result all the same.
        assert_eq!(reply.json()["result"]["overall"]["score"], 100);
        tokens.push(reply.json()["token"].as_str().expect("token").to_owned());
    }
    assert_eq!(
        live_count(&app).await,
        0,
        "keyless responses do not count yet"
    );
    assert_eq!(held(&app).await, 2);
    let keyed = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(keyed.status, 201, "{}", keyed.body);
    assert_eq!(live_count(&app).await, 1, "a keyed response counts at once");

    let admin = admin(&app).await;
    let page = admin.get("/admin/held-back?lang=de").await;
    assert!(
        page.body.contains("über die API ohne Schlüssel"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<strong id=\"held-total\">2</strong>"),
        "{}",
        page.body
    );
    let en = admin.get("/admin/held-back?lang=en").await;
    assert!(en.body.contains("through the API without a key"));
    // A response arriving after the admin looked is not covered by the decision.
    let listed_up_to = hidden_field(&page.body, "up_to");
    assert_eq!(post_keyless(&app, &body, &[]).await.status, 201);
    let fields = [
        ("reason", hidden_field(&page.body, "reason")),
        ("industry", hidden_field(&page.body, "industry")),
        ("size", hidden_field(&page.body, "size")),
        ("up_to", listed_up_to),
        ("action", "release".to_owned()),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let released = admin
        .submit("/admin/held-back", "/admin/held-back?lang=de", &form)
        .await;
    assert_eq!(released.status, 303, "{}", released.body);
    assert!(
        released.location().contains("released=2"),
        "{}",
        released.location()
    );
    assert_eq!(live_count(&app).await, 3, "released exactly once each");
    assert_eq!(held(&app).await, 1, "the late one still waits");
    // The same decision again changes nothing.
    let twice = admin
        .submit("/admin/held-back", "/admin/held-back?lang=de", &form)
        .await;
    assert!(
        twice.location().contains("released=0"),
        "{}",
        twice.location()
    );
    assert_eq!(live_count(&app).await, 3);

    // Discarded: never counted, the owner's result stays.
    let late = post_keyless(&app, &body, &[]).await;
    let late_token = late.json()["token"].as_str().expect("token").to_owned();
    let discarded = decide(&admin, "discard").await;
    assert_eq!(discarded.status, 303, "{}", discarded.body);
    assert!(
        discarded.location().contains("discarded=2"),
        "{}",
        discarded.location()
    );
    assert_eq!(held(&app).await, 0);
    assert_eq!(live_count(&app).await, 3);
    let kept = app.get(&format!("/api/v1/responses/{late_token}")).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    let none = admin.get("/admin/held-back?lang=de").await;
    assert!(none.body.contains("Keine Antworten werden zurückgehalten"));
    // A forged group is refused with a message, not a 500.
    let forged = admin
        .submit(
            "/admin/held-back",
            "/admin/held-back?lang=de",
            &[
                ("reason", "nonsense"),
                ("industry", "C"),
                ("size", "small"),
                ("up_to", "9"),
                ("action", "release"),
            ],
        )
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
}

async fn forms_filled_faster_than_reading_are_held_back(app: TestApp) {
    // SCREEN_MIN_SECONDS_PER_QUESTION=2: a script fills the whole survey in well under a second.
    let token_path = app.start_survey("de").await;
    app.complete_survey(&token_path, Pick::Best, "de").await;
    let result = app.get(&format!("{token_path}/result?lang=de")).await;
    assert_eq!(result.status, 200, "the owner still gets the result");
    assert_eq!(live_count(&app).await, 0);
    assert_eq!(held(&app).await, 1);
    let admin = admin(&app).await;
    let page = admin.get("/admin/held-back?lang=de").await;
    assert!(
        page.body
            .contains("schneller ausgefüllt, als man lesen kann"),
        "{}",
        page.body
    );
    assert_eq!(decide(&admin, "release").await.status, 303);
    assert_eq!(live_count(&app).await, 1);
}

async fn held_back_campaign_responses_stay_out_of_the_chamber_dashboard(app: TestApp) {
    // SCREEN_MIN_SECONDS_PER_QUESTION=2: the firm's form is filled in well under a second.
    app.create_user(Role::Chamber, "chamber-a@example.de").await;
    let chamber = app.login("chamber-a@example.de").await;
    let (campaign, code) = crate::chambers::create_campaign(&chamber, "Herbst").await;
    crate::chambers::take_part(&app, &code, true, "C", "Alpha GmbH").await;
    let participants = app
        .store
        .campaign_responses(campaign)
        .await
        .expect("participants");
    assert!(
        participants.is_empty(),
        "held back: not a participant of the dashboard yet"
    );
    let admin = admin(&app).await;
    assert_eq!(decide(&admin, "release").await.status, 303);
    let participants = app
        .store
        .campaign_responses(campaign)
        .await
        .expect("participants");
    assert_eq!(participants.len(), 1);
    assert_eq!(live_count(&app).await, 1);
}

async fn bursts_of_near_identical_answers_into_one_cohort_are_held_back(app: TestApp) {
    // SCREEN_BURST_SIZE=3, SCREEN_BURST_MAX_DIFFERENT=1: the third alike response in a cohort
    // and every later one wait.
    let same = api_body(Pick::Best, "de");
    for _ in 0..5 {
        let reply = app.post_json("/api/v1/responses", &same, &[]).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    assert_eq!(live_count(&app).await, 2);
    assert_eq!(held(&app).await, 3);
    // Other answers in the same cohort, and the same answers in another cohort, count.
    let other = app
        .post_json("/api/v1/responses", &api_body(Pick::Worst, "de"), &[])
        .await;
    assert_eq!(other.status, 201);
    let elsewhere = api_body_for(Pick::Best, "de", "F", "micro", "DE-BE");
    assert_eq!(
        app.post_json("/api/v1/responses", &elsewhere, &[])
            .await
            .status,
        201
    );
    assert_eq!(live_count(&app).await, 4);
    assert_eq!(held(&app).await, 3);
    let admin = admin(&app).await;
    let page = admin.get("/admin/held-back?lang=en").await;
    assert!(
        page.body.contains("many near-identical responses"),
        "{}",
        page.body
    );
    assert_eq!(decide(&admin, "release").await.status, 303);
    assert_eq!(live_count(&app).await, 7);
    assert_eq!(held(&app).await, 0);
}

on_both_databases_with! {
    api_keys_are_issued_once_limited_on_their_own_and_revoked: &[("RATE_LIMIT_API_RESPONSES", "1/hour")],
    keyless_submissions_are_answered_but_held_back_until_released: &[],
    forms_filled_faster_than_reading_are_held_back: &[("SCREEN_MIN_SECONDS_PER_QUESTION", "2")],
    held_back_campaign_responses_stay_out_of_the_chamber_dashboard: &[("SCREEN_MIN_SECONDS_PER_QUESTION", "2")],
    bursts_of_near_identical_answers_into_one_cohort_are_held_back: &[
        ("SCREEN_BURST_SIZE", "3"),
        ("SCREEN_BURST_MAX_DIFFERENT", "1"),
        ("SCREEN_BURST_WINDOW_SECONDS", "600"),
    ],
}
