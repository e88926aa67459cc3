//! Accounts and sessions: login, logout, CSRF, throttling, the admin's account management and
//! the `user add` command.
use social_readiness::accounts::Role;

use crate::helpers::{Browser, PASSWORD, TestApp, hidden_field};
use crate::on_both_databases;

fn session_cookie(browser: &Browser<'_>) -> String {
    browser.cookie("sr_session").expect("a session cookie")
}

async fn login_opens_a_fresh_server_side_session_and_logout_ends_it(app: TestApp) {
    app.create_user(Role::Consultant, "berater@example.de")
        .await;

    // Anonymous: to the login page, and back afterwards.
    let anonymous = app.get("/consultant").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.location(), "/login?next=%2Fconsultant");

    let browser = Browser::new(&app);
    let form = browser.get("/login?next=%2Fconsultant").await;
    assert!(
        form.body.contains("<label for=\"email\">"),
        "labelled inputs"
    );
    assert!(form.body.contains("autocomplete=\"current-password\""));
    let reply = browser.login("Berater@Example.de", PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.location(), "/consultant?lang=de");
    let set_cookie = reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sr_session="))
        .expect("session cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP here: {set_cookie}"
    );
    let first_session = session_cookie(&browser);
    assert!(first_session.len() >= 43, "256-bit session id");

    let home = browser.get("/consultant").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("berater@example.de"));
    assert_eq!(home.header("cache-control").as_deref(), Some("no-store"));

    // A second login gets a new id (no session fixation).
    let again = browser.login("berater@example.de", PASSWORD).await;
    assert_eq!(again.status, 303);
    assert_ne!(session_cookie(&browser), first_session);

    // Logout needs the CSRF token; then the session is gone on the server.
    let without_token = browser.post_form("/logout", &[]).await;
    assert_eq!(without_token.status, 403);
    let session = session_cookie(&browser);
    let out = browser.submit("/consultant", "/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/login");
    let replay = Browser::new(&app);
    replay.set_cookie("sr_session", &session);
    let after = replay.get("/consultant").await;
    assert_eq!(after.status, 303, "the old cookie no longer works");
}

async fn wrong_password_and_unknown_user_get_the_same_answer_then_throttling(app: TestApp) {
    app.create_user(Role::Consultant, "anna@example.de").await;
    let browser = Browser::new(&app);
    let wrong = browser
        .login("anna@example.de", "not the password at all")
        .await;
    let unknown = browser
        .login("nobody@example.de", "not the password at all")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let strip = |body: &str, email: &str| {
        body.replace(&hidden_field(body, "csrf_token"), "")
            .replace(email, "")
    };
    assert_eq!(
        strip(&wrong.body, "anna@example.de"),
        strip(&unknown.body, "nobody@example.de"),
        "the same page for both"
    );
    assert!(
        wrong
            .body
            .contains("E-Mail-Adresse oder Passwort ist falsch")
    );

    for _ in 0..3 {
        assert_eq!(
            browser
                .login("anna@example.de", "wrong wrong wrong")
                .await
                .status,
            401
        );
        assert_eq!(
            browser
                .login("nobody@example.de", "wrong wrong wrong")
                .await
                .status,
            401
        );
    }
    // The fifth failure of this client on an address locks it for a minute (doubling with each
    // further failure), for both kinds of address; even the right password is refused for now.
    // Other clients are not locked out (tests/app/abuse.rs).
    let fifth = browser.login("anna@example.de", "wrong wrong wrong").await;
    assert_eq!(fifth.status, 429, "{}", fifth.body);
    assert_eq!(fifth.header("retry-after").as_deref(), Some("60"));
    let locked = browser.login("anna@example.de", PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    let locked_unknown = browser
        .login("nobody@example.de", "wrong wrong wrong")
        .await;
    assert_eq!(locked_unknown.status, 429);
    assert!(locked.body.contains("Zu viele fehlgeschlagene Anmeldungen"));
}

async fn login_form_needs_its_csrf_cookie(app: TestApp) {
    app.create_user(Role::Consultant, "csrf@example.de").await;
    let reply = app
        .post_form(
            "/login",
            &[
                ("email", "csrf@example.de"),
                ("password", PASSWORD),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(
        reply
            .header("set-cookie")
            .is_none_or(|c| !c.starts_with("sr_session="))
    );
}

/// `next` after login is followed only when it is a plain path on this site; anything a browser
/// could read as another host (or that is no valid header) falls back to the home page, never a
/// 500 and never a session left behind by a failed answer.
async fn a_bad_next_after_login_falls_back_to_the_home_page(app: TestApp) {
    app.create_user(Role::Consultant, "next@example.de").await;
    let login_with_next = |next: &'static str| {
        let app = &app;
        async move {
            let browser = Browser::new(app);
            let form = browser.get("/login").await;
            assert_eq!(form.status, 200);
            let token = hidden_field(&form.body, "csrf_token");
            browser
                .post_form(
                    "/login",
                    &[
                        ("email", "next@example.de"),
                        ("password", PASSWORD),
                        ("csrf_token", &token),
                        ("next", next),
                    ],
                )
                .await
        }
    };
    let good = login_with_next("/consultant?lang=en").await;
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(good.location(), "/consultant?lang=en");
    for bad in [
        "/\t/evil.example",
        "/\u{b}/evil.example",
        "/\u{0}",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let reply = login_with_next(bad).await;
        assert_eq!(reply.status, 303, "{bad:?}: {}", reply.body);
        // The home page, in the login page's language, never the given target.
        assert_eq!(reply.location(), "/consultant?lang=de", "{bad:?}");
    }
    // The login page drops such a `next` rather than carrying it into its form.
    for query in [
        "%2F%09%2Fevil.example",
        "%0B",
        "%00",
        "%2F%2Fevil",
        "%2F%5Cevil",
        "https%3A%2F%2Fevil",
    ] {
        let page = app.get(&format!("/login?next={query}")).await;
        assert_eq!(page.status, 200, "{query}: {}", page.body);
        assert!(!page.body.contains("evil"), "{query}");
        assert!(!page.body.contains("name=\"next\" value=\"/"), "{query}");
    }
}

async fn admin_creates_and_disables_accounts_in_the_browser(app: TestApp) {
    app.create_user(Role::Admin, "admin@example.de").await;
    let admin = app.login("admin@example.de").await;
    let page = admin.get("/admin/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<fieldset"), "roles as a radio group");

    // Without the CSRF token nothing is created.
    let forged = admin
        .post_form(
            "/admin/users",
            &[("email", "x@example.de"), ("role", "consultant")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let created = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "Neu@Example.de"), ("role", "consultant")],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let marker = "<code class=\"secret\">";
    let start = created
        .body
        .find(marker)
        .expect("the password is shown once")
        + marker.len();
    let password = created.body[start..]
        .split('<')
        .next()
        .expect("password")
        .to_owned();
    assert_eq!(password.chars().count(), 20);
    assert!(
        !admin.get("/admin/users").await.body.contains(&password),
        "shown only once"
    );

    let taken = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "neu@example.de"), ("role", "chamber")],
        )
        .await;
    assert_eq!(taken.status, 409);
    let bad = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "kein-at"), ("role", "chamber")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("gültige E-Mail-Adresse"));

    // The new consultant logs in with the generated password, and must replace it first:
    // every account page leads to the password form until then.
    let consultant = Browser::new(&app);
    assert_eq!(
        consultant.login("neu@example.de", &password).await.status,
        303
    );
    for page in ["/consultant", "/consultant/reports.zip", "/admin/users"] {
        let forced = consultant.get(page).await;
        assert_eq!(forced.status, 303, "{page}");
        assert_eq!(forced.location(), "/account/password?lang=de", "{page}");
    }
    let english = consultant.get("/consultant?lang=en").await;
    assert_eq!(english.location(), "/account/password?lang=en");
    let form = consultant.get("/account/password").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Anfangspasswort"), "{}", form.body);
    let own = "mein eigenes langes Passwort 2026";
    let changed = consultant
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", &password),
                ("new_password", own),
                ("new_password_confirm", own),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(!changed.body.contains("Anfangspasswort"));
    assert!(changed.body.contains("href=\"/consultant?lang=de\""));
    assert_eq!(consultant.get("/consultant").await.status, 200);
    let password = own.to_owned();
    // A consultant is no admin.
    assert_eq!(consultant.get("/admin/users").await.status, 403);

    // Disabling ends the running session at once and refuses new logins.
    let users = app.store.users().await.expect("users");
    let id = users
        .iter()
        .find(|u| u.email == "neu@example.de")
        .expect("user")
        .id;
    // "Sperren" asks first: the list links to a confirmation page, which holds the form.
    let list = admin.get("/admin/users").await;
    assert!(
        list.body
            .contains(&format!("href=\"/admin/users/{id}/disable?lang=de\"")),
        "{}",
        list.body
    );
    assert!(
        !list
            .body
            .contains(&format!("action=\"/admin/users/{id}/disable"))
    );
    let confirm = admin.get(&format!("/admin/users/{id}/disable")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Konto sperren?"));
    assert!(confirm.body.contains("neu@example.de"));
    assert_eq!(
        consultant.get("/consultant").await.status,
        200,
        "looking is not disabling"
    );
    let disabled = admin
        .submit(
            &format!("/admin/users/{id}/disable"),
            &format!("/admin/users/{id}/disable?lang=de"),
            &[],
        )
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    let done = admin.get(&disabled.location()).await;
    assert!(
        done.body.contains("Das Konto neu@example.de ist gesperrt"),
        "a success message: {}",
        done.body
    );
    assert_eq!(consultant.get("/consultant").await.status, 303);
    assert_eq!(
        consultant.login("neu@example.de", &password).await.status,
        401
    );
    let enabled = admin
        .submit("/admin/users", &format!("/admin/users/{id}/enable"), &[])
        .await;
    assert_eq!(enabled.status, 303);
    assert!(
        admin
            .get(&enabled.location())
            .await
            .body
            .contains("ist entsperrt")
    );
    assert_eq!(
        consultant.login("neu@example.de", &password).await.status,
        303
    );
}

async fn sessions_are_shared_by_all_instances(app: TestApp) {
    app.create_user(Role::Consultant, "lb@example.de").await;
    let browser = app.login("lb@example.de").await;
    let session = session_cookie(&browser);
    // Another instance behind the load balancer knows the session...
    let other = app.sibling(&[]).await;
    let elsewhere = Browser::new(&other);
    elsewhere.set_cookie("sr_session", &session);
    assert_eq!(elsewhere.get("/consultant").await.status, 200);
    // ...and a logout on the first ends it on the second as well.
    assert_eq!(
        browser.submit("/consultant", "/logout", &[]).await.status,
        303
    );
    assert_eq!(elsewhere.get("/consultant").await.status, 303);
}

async fn behind_https_cookies_are_secure_and_host_bound(app: TestApp) {
    let https = app
        .sibling(&[
            ("BASE_URL", "https://check.example.de"),
            ("OPERATOR_NAME", "Beispiel-Kammer KdöR"),
            ("OPERATOR_ADDRESS", "Markt 1; 12345 Musterstadt"),
            ("OPERATOR_EMAIL", "datenschutz@example.de"),
        ])
        .await;
    https.create_user(Role::Admin, "tls@example.de").await;
    let form = https.get("/login").await;
    assert_eq!(
        form.header("strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    let csrf_cookie = form.header("set-cookie").expect("login CSRF cookie");
    assert!(
        csrf_cookie.starts_with("__Host-sr_login_csrf="),
        "{csrf_cookie}"
    );
    assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
    let browser = Browser::new(&https);
    let reply = browser.login("tls@example.de", PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let session = reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-sr_session="))
        .expect("a __Host- session cookie")
        .to_owned();
    assert!(
        session.contains("; Secure") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Domain="), "host-only: {session}");
}

async fn users_change_their_own_password_and_other_sessions_end(app: TestApp) {
    app.create_user(Role::Consultant, "wechsel@example.de")
        .await;
    let here = app.login("wechsel@example.de").await;
    let elsewhere = app.login("wechsel@example.de").await;
    let page = here.get("/account/password").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("autocomplete=\"new-password\""));
    let new_password = "ein ganz neuer langer Satz 2026";
    let wrong = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not the password at all"),
                ("new_password", new_password),
                ("new_password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .body
            .contains("Das aktuelle Passwort ist nicht richtig")
    );
    let weak = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "kurz"),
                ("new_password_confirm", "kurz"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("mindestens 12 Zeichen"));
    // A refused password says which rule it broke.
    let common = here
        .submit(
            "/account/password?lang=en",
            "/account/password?lang=en",
            &[
                ("current_password", PASSWORD),
                ("new_password", "Password1234"),
                ("new_password_confirm", "Password1234"),
            ],
        )
        .await;
    assert_eq!(common.status, 422);
    assert!(
        common
            .body
            .contains("on the list of the most common passwords"),
        "{}",
        common.body
    );
    let personal = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "wechsel-ist-gut-2026"),
                ("new_password_confirm", "wechsel-ist-gut-2026"),
            ],
        )
        .await;
    assert_eq!(personal.status, 422);
    assert!(personal.body.contains("enthält Ihre E-Mail-Adresse"));
    // A typo in the repetition changes nothing.
    let mismatch = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("new_password_confirm", "ein ganz neuer langer Satz 2062"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.body.contains("stimmen nicht überein"));
    assert!(
        mismatch
            .body
            .contains("<label for=\"new_password_confirm\">"),
        "a labelled confirmation field"
    );
    assert_eq!(
        Browser::new(&app)
            .login("wechsel@example.de", PASSWORD)
            .await
            .status,
        303,
        "still the old password"
    );
    let changed = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("new_password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("Ihr Passwort wurde geändert"));
    // This session goes on, the other one has ended; only the new password logs in.
    assert_eq!(here.get("/consultant").await.status, 200);
    assert_eq!(elsewhere.get("/consultant").await.status, 303);
    assert_eq!(
        Browser::new(&app)
            .login("wechsel@example.de", PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        Browser::new(&app)
            .login("wechsel@example.de", new_password)
            .await
            .status,
        303
    );
}

on_both_databases!(
    users_change_their_own_password_and_other_sessions_end,
    sessions_are_shared_by_all_instances,
    behind_https_cookies_are_secure_and_host_bound,
    login_opens_a_fresh_server_side_session_and_logout_ends_it,
    wrong_password_and_unknown_user_get_the_same_answer_then_throttling,
    login_form_needs_its_csrf_cookie,
    a_bad_next_after_login_falls_back_to_the_home_page,
    admin_creates_and_disables_accounts_in_the_browser,
);

/// `social-readiness user add` reads the password from standard input, never from arguments,
/// and refuses weak ones.
#[actix_web::test]
async fn the_user_add_command_creates_an_admin_who_can_log_in() {
    use std::io::Write;
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let run = |email: &str, password: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_social-readiness"))
            .args([
                "user",
                "add",
                "--role",
                "admin",
                "--email",
                email,
                "--password-stdin",
            ])
            .env("DATABASE_URL", app.database_url())
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the command");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write password");
        child.wait_with_output().expect("command ends")
    };
    let weak = run("chef@example.de", "kurz");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12 characters"));
    let ok = run("chef@example.de", PASSWORD);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("created admin account chef@example.de"));
    let admin = app.login("chef@example.de").await;
    assert_eq!(admin.get("/admin/users").await.status, 200);
}
