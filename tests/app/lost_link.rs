//! Lost link, lost work: the private link by e-mail (through a local SMTP sink), answers kept on
//! "save and continue later", and a campaign link opened twice offering to continue.
use social_readiness::accounts::Role;

use crate::chambers::create_campaign;
use crate::helpers::{Backend, Browser, Pick, SmtpSink, TestApp, spawn_app_with};
use crate::on_both_databases;
use crate::survey_pages::{post_step, step_fields};

const ADDRESS: &str = "inhaberin@firma.example";

/// A quoted-printable body with its soft line breaks joined, as a mail program shows it.
fn readable(message: &str) -> String {
    message.replace("=\r\n", "").replace("=3D", "=")
}

/// Every byte the SQLite database holds on disk (PostgreSQL: nothing to scan here).
fn sqlite_bytes(app: &TestApp) -> Vec<u8> {
    let Some(file) = app.database_url().strip_prefix("sqlite://") else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        if let Ok(bytes) = std::fs::read(format!("{file}{suffix}")) {
            all.extend(bytes);
        }
    }
    all
}

async fn private_link_is_mailed_and_the_address_is_not_kept(backend: Backend) {
    let sink = SmtpSink::start().await;
    let Some(app) = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "Readiness-Check <check@kammer.example>"),
        ],
    )
    .await
    else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    let token_path = app.start_survey("de").await;
    let first = app.get(&format!("{token_path}/step/1?lang=de&new=1")).await;
    assert!(first.body.contains("Link per E-Mail an mich senden"));
    assert!(
        first
            .body
            .contains(r#"<input type="email" id="mail-link-email""#)
    );
    assert!(first.body.contains("nicht gespeichert"));
    // Not on every page: only where the link is new, and on the "saved" page.
    let again = app.get(&format!("{token_path}/step/1?lang=de")).await;
    assert!(!again.body.contains("mail-link-email"));
    let paused = app.get(&format!("{token_path}/paused?lang=de")).await;
    assert!(paused.body.contains("mail-link-email"));

    let before = app.counts().await;
    let sent = app
        .post_form(
            &format!("{token_path}/mail-link?lang=de"),
            &[("email", ADDRESS), ("back", "step/1")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(
        sent.location(),
        format!("{token_path}/step/1?lang=de&mailed=1")
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = readable(&messages[0]);
    assert!(
        mail.contains(&format!("{}{token_path}", app.address)),
        "{mail}"
    );
    assert!(mail.contains(&format!("To: {ADDRESS}")), "{mail}");
    assert!(mail.contains("check@kammer.example"), "{mail}");
    let back = app.get(&sent.location()).await;
    assert!(
        back.body
            .contains("Der Link ist an Ihre E-Mail-Adresse unterwegs")
    );

    // Nothing was stored: no row changed, and the address is nowhere in the database file.
    assert_eq!(app.counts().await, before);
    let bytes = sqlite_bytes(&app);
    assert!(
        !bytes
            .windows(ADDRESS.len())
            .any(|w| w == ADDRESS.as_bytes()),
        "the address reached the database"
    );

    // A typo is named at the field, with what was typed kept; nothing is sent.
    let typo = app
        .post_form(
            &format!("{token_path}/mail-link?lang=en"),
            &[("email", "inhaberin-at-firma"), ("back", "paused")],
        )
        .await;
    assert_eq!(typo.status, 422);
    assert!(typo.body.contains("Please enter an e-mail address"));
    assert!(typo.body.contains(r#"value="inhaberin-at-firma""#));
    assert!(typo.body.contains(r#"aria-invalid="true""#));
    assert_eq!(sink.messages().len(), 1);

    // Somewhere else to go back to is not followed.
    let elsewhere = app
        .post_form(
            &format!("{token_path}/mail-link?lang=de"),
            &[("email", ADDRESS), ("back", "//evil.example")],
        )
        .await;
    assert_eq!(
        elsewhere.location(),
        format!("{token_path}/paused?lang=de&mailed=1")
    );
}

async fn an_unreachable_relay_is_a_clear_message(backend: Backend) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let Some(app) = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &format!("smtp://127.0.0.1:{closed}")),
            ("MAIL_FROM", "check@kammer.example"),
        ],
    )
    .await
    else {
        return eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
    };
    let token_path = app.start_survey("de").await;
    let reply = app
        .post_form(
            &format!("{token_path}/mail-link?lang=de"),
            &[("email", ADDRESS), ("back", "paused")],
        )
        .await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("Die E-Mail konnte gerade nicht gesendet werden")
    );
    // The link is right there to copy instead.
    assert!(reply.body.contains(&format!("{}{token_path}", app.address)));
}

mod mail {
    use super::*;

    #[actix_web::test]
    async fn sent_on_sqlite() {
        private_link_is_mailed_and_the_address_is_not_kept(Backend::Sqlite).await;
    }
    #[actix_web::test]
    async fn sent_on_postgres() {
        private_link_is_mailed_and_the_address_is_not_kept(Backend::Postgres).await;
    }
    #[actix_web::test]
    async fn relay_down_on_sqlite() {
        an_unreachable_relay_is_a_clear_message(Backend::Sqlite).await;
    }
    #[actix_web::test]
    async fn relay_down_on_postgres() {
        an_unreachable_relay_is_a_clear_message(Backend::Postgres).await;
    }
}

async fn without_smtp_there_is_no_mail_option(app: TestApp) {
    let token_path = app.start_survey("de").await;
    let first = app.get(&format!("{token_path}/step/1?lang=de&new=1")).await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains(&format!("{}{token_path}", app.address)));
    assert!(!first.body.contains("mail-link"));
    let paused = app.get(&format!("{token_path}/paused?lang=de")).await;
    assert!(!paused.body.contains("mail-link"));
    let reply = app
        .post_form(
            &format!("{token_path}/mail-link?lang=de"),
            &[("email", ADDRESS), ("back", "paused")],
        )
        .await;
    assert_eq!(reply.status, 404);
}

async fn pause_keeps_the_answers_of_the_current_page(app: TestApp) {
    let token_path = app.start_survey("de").await;
    // Step 3, half answered, then "save and continue later".
    let fields = step_fields(3, Pick::Best);
    let (question, option) = fields[0].clone();
    let pause = post_step(&app, &token_path, 3, &fields[..1], "pause", "de").await;
    assert_eq!(pause.status, 303, "{}", pause.body);
    // Back later: the chosen answer is still chosen.
    let page = app.get(&format!("{token_path}/step/3?lang=de")).await;
    assert!(
        page.body.contains(&format!(
            r#"id="{question}--{option}" name="{question}" value="{option}" checked>"#
        )),
        "the answer given before pausing is shown again"
    );
    // The profile page, paused with only the firm name and one answer, keeps both.
    let pause = post_step(
        &app,
        &token_path,
        1,
        &[
            ("firm_name".to_owned(), "Bäckerei Sonnenschein".to_owned()),
            ("industry".to_owned(), "C".to_owned()),
        ],
        "pause",
        "de",
    )
    .await;
    assert_eq!(pause.status, 303, "{}", pause.body);
    let page = app.get(&format!("{token_path}/step/1?lang=de")).await;
    assert!(page.body.contains(r#"value="Bäckerei Sonnenschein""#));
    assert!(page.body.contains(r#"value="C" checked>"#));
}

async fn a_campaign_link_opened_again_offers_to_continue(app: TestApp) {
    app.create_user(Role::Chamber, "ihk-c@example.de").await;
    let chamber = app.login("ihk-c@example.de").await;
    let (_, code) = create_campaign(&chamber, "Digitaltag").await;
    let member = Browser::new(&app);
    let first = member.get(&format!("/c/{code}")).await;
    assert_eq!(first.status, 200);
    assert!(!first.body.contains("bereits begonnen"));

    let started = member
        .post_form(&format!("/c/{code}?lang=de"), &[("consent", "yes")])
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let token_path = started
        .location()
        .split("/step/")
        .next()
        .expect("token path")
        .to_owned();
    let token = token_path.trim_start_matches("/s/");
    let cookie = started.header("set-cookie").expect("a cookie remembers it");
    assert!(cookie.starts_with("sr_started="), "{cookie}");
    for attribute in [
        &format!("Path=/c/{code}") as &str,
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let before = app.counts().await;

    // The same browser opens the link again: an offer to continue, not a silent second start.
    let again = member.get(&format!("/c/{code}")).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("bereits begonnen"), "{}", again.body);
    assert!(
        again
            .body
            .contains(&format!(r#"href="/c/{code}/continue?lang&#x3D;de""#))
    );
    assert!(
        !again.body.contains(token),
        "the page never shows the token"
    );
    assert!(
        again.body.contains("neuen Selbsttest"),
        "a new start stays possible"
    );
    let resume = member.get(&format!("/c/{code}/continue?lang=de")).await;
    assert_eq!(resume.status, 303);
    assert_eq!(resume.location(), format!("{token_path}?lang=de"));
    assert_eq!(app.counts().await, before, "no second response");

    // Another browser gets the plain landing page.
    let other = app.get(&format!("/c/{code}")).await;
    assert!(!other.body.contains("bereits begonnen"));
    let nothing = app.get(&format!("/c/{code}/continue")).await;
    assert_eq!(nothing.location(), format!("/c/{code}?lang=de"));

    // Once the owner deletes the response, the offer goes and the cookie is dropped.
    let deleted = app
        .post_form(
            &format!("{token_path}/delete?lang=de"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let after = member.get(&format!("/c/{code}")).await;
    assert!(!after.body.contains("bereits begonnen"));
    assert!(
        after
            .header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the stale cookie is cleared"
    );
}

on_both_databases!(
    without_smtp_there_is_no_mail_option,
    pause_keeps_the_answers_of_the_current_page,
    a_campaign_link_opened_again_offers_to_continue,
);
