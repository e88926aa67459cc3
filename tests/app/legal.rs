//! Trust and law: the Impressum and the privacy notice from the operator's settings, linked from
//! every page; a public service does not start without them; the language carries through login.
use social_readiness::accounts::Role;

use crate::helpers::{Browser, PASSWORD, TestApp, hidden_field};
use crate::on_both_databases;

const OPERATOR: &[(&str, &str)] = &[
    ("OPERATOR_NAME", "Beispiel Beratung GmbH"),
    ("OPERATOR_ADDRESS", "Hauptstraße 1\\n12345 Musterstadt"),
    ("OPERATOR_EMAIL", "kontakt@example.de"),
    ("OPERATOR_PHONE", "+49 30 1234567"),
    ("PRIVACY_OFFICER", "Dr. Erika Muster, dsb@example.de"),
];

async fn impressum_and_privacy_notice_come_from_the_operator_settings(app: TestApp) {
    // Without settings (a local run) the pages say what is missing instead of inventing it.
    let bare = app.get("/impressum").await;
    assert_eq!(bare.status, 200);
    assert!(bare.body.contains("OPERATOR_NAME"), "{}", bare.body);

    let app = app.sibling(OPERATOR).await;
    let impressum = app.get("/impressum").await;
    assert_eq!(impressum.status, 200);
    for expected in [
        "<h1>Impressum</h1>",
        "Beispiel Beratung GmbH",
        "Hauptstraße 1<br>12345 Musterstadt",
        "mailto:kontakt@example.de",
        "+49 30 1234567",
        "§ 5",
    ] {
        assert!(impressum.body.contains(expected), "{expected}");
    }
    assert!(!impressum.body.contains("OPERATOR_NAME"));

    let privacy = app.get("/datenschutz").await;
    assert_eq!(privacy.status, 200);
    for expected in [
        "<h1>Datenschutzerklärung</h1>",
        "Beispiel Beratung GmbH",
        "Dr. Erika Muster, dsb@example.de",
        // What is stored, and what is not, as the code does it.
        "nur ein kryptografischer Hashwert",
        "Keine IP-Adressen",
        "bekommt keine Cookies",
        // The two optional consents, the legal bases, retention and the owner's rights.
        "mit dieser Beratung geteilt",
        "nur Werte von mindestens 5 Unternehmen",
        "Art. 6 Abs. 1 lit. a DSGVO",
        "bis Sie ihn löschen",
        "Mit Ihrem privaten Link laden Sie",
        "Argon2id",
    ] {
        assert!(privacy.body.contains(expected), "{expected}");
    }
    let english = app.get("/datenschutz?lang=en").await;
    assert!(english.body.contains("<h1>Privacy notice</h1>"));
    assert!(english.body.contains("only figures of at least 5 firms"));
    assert!(english.body.contains("Taking the check sets no cookies"));
    // Reading them sets no cookie either.
    assert!(privacy.header("set-cookie").is_none());

    // Linked in the footer of every page, in the page's language; the footer no longer
    // promises "not passed on" while the consents allow sharing.
    for path in ["/", "/login", "/impressum", "/no-such-page"] {
        let page = app.get(&format!("{path}?lang=en")).await;
        assert!(
            page.body.contains("href=\"/impressum?lang=en\"")
                && page.body.contains("href=\"/datenschutz?lang=en\""),
            "{path}"
        );
        assert!(!page.body.contains("not passed on to anyone"), "{path}");
        assert!(page.body.contains("only with your consent"), "{path}");
    }
}

async fn login_from_an_english_page_stays_english(app: TestApp) {
    app.create_user(Role::Chamber, "ihk-en@example.de").await;
    let browser = Browser::new(&app);
    let to_login = browser.get("/chamber?lang=en").await;
    assert_eq!(to_login.status, 303);
    let form = browser.get(&to_login.location()).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<html lang=\"en\">"), "{}", form.body);
    assert!(form.body.contains("action=\"/login?lang=en\""));
    let token = hidden_field(&form.body, "csrf_token");
    let reply = browser
        .post_form(
            "/login?lang=en",
            &[
                ("email", "ihk-en@example.de"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.location(), "/chamber?lang=en");
    let home = browser.get(&reply.location()).await;
    assert!(home.body.contains("<html lang=\"en\">"));
    // The navigation and logout keep the language as well.
    assert!(home.body.contains("href=\"/chamber?lang=en\""));
    assert!(home.body.contains("action=\"/logout?lang=en\""));
    let out = browser
        .post_form(
            "/logout?lang=en",
            &[("csrf_token", &hidden_field(&home.body, "csrf_token"))],
        )
        .await;
    assert_eq!(out.location(), "/login?lang=en");

    // Without a `next`, a login from the English form lands on the English home page.
    let again = Browser::new(&app);
    let form = again.get("/login?lang=en").await;
    let reply = again
        .post_form(
            "/login?lang=en",
            &[
                ("email", "ihk-en@example.de"),
                ("password", PASSWORD),
                ("csrf_token", &hidden_field(&form.body, "csrf_token")),
            ],
        )
        .await;
    assert_eq!(reply.location(), "/chamber?lang=en");
}

on_both_databases!(
    impressum_and_privacy_notice_come_from_the_operator_settings,
    login_from_an_english_page_stays_english,
);

/// A public (https) service refuses to start without the operator's details, and names them.
#[test]
fn a_public_service_without_operator_settings_does_not_start() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_social-readiness"))
        .arg("serve")
        .env("BASE_URL", "https://check.example.de")
        .env("OPERATOR_NAME", "Beispiel GmbH")
        .env_remove("OPERATOR_ADDRESS")
        .env_remove("OPERATOR_EMAIL")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PORT", "0")
        .output()
        .expect("run the binary");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("OPERATOR_ADDRESS, OPERATOR_EMAIL") && !stderr.contains("OPERATOR_NAME,"),
        "{stderr}"
    );
}
