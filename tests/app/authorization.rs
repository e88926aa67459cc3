//! Authorisation as one table: every route, called by every kind of user with the other
//! tenant's ids, against what each may do. A route in `src/web` that is missing here fails.
use social_readiness::accounts::Role;

use crate::consultants::{create_client, invitation_links};
use crate::helpers::{Browser, Pick, Reply, TestApp, hidden_field};
use crate::on_both_databases;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    /// Holds the private link of firm A (a client of consultant A who shares the result).
    Owner,
    ConsultantA,
    ConsultantB,
    Admin,
    /// Chamber A runs the campaign whose ids the rows use; chamber B tries them.
    ChamberA,
    ChamberB,
}

const ACTORS: [Actor; 7] = [
    Actor::Anonymous,
    Actor::Owner,
    Actor::ConsultantA,
    Actor::ConsultantB,
    Actor::Admin,
    Actor::ChamberA,
    Actor::ChamberB,
];

/// 303 to the login page for anonymous callers of account pages.
const LOGIN: u16 = 303;

/// One row: a route and the status each actor gets, in the order of `ACTORS`.
/// `{token}` is firm A's token for the owner and an unknown one for everybody else (the private
/// link is the owner's only credential); `{id}` is consultant A's client (or, under /admin, a
/// user account); `{code}` an open invitation of consultant A's client (a link meant to be
/// passed on). Forms are sent with each session's CSRF token and without what would destroy
/// the fixtures (no deletion tick, no consent), so the answer shows the access decision.
struct Row {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 7],
}

#[rustfmt::skip]
const TABLE: &[Row] = &[
    //                         anon, owner, consultant A, consultant B, admin, chamber A, chamber B
    Row { method: "GET", route: "/", path: "/", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/static/app.css", path: "/static/app.css", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/health", path: "/health", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/ready", path: "/ready", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/start", path: "/start", form: &[], expect: [422, 422, 422, 422, 422, 422, 422] },
    Row { method: "GET", route: "/s/{token}", path: "/s/{token}", form: &[], expect: [404, 303, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/step/{step}", path: "/s/{token}/step/2", form: &[], expect: [404, 303, 404, 404, 404, 404, 404] },
    Row { method: "POST", route: "/s/{token}/step/{step}", path: "/s/{token}/step/2", form: &[("nav", "pause")], expect: [404, 409, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/paused", path: "/s/{token}/paused", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    // Without SMTP configured the mail route does not exist for anyone.
    Row { method: "POST", route: "/s/{token}/mail-link", path: "/s/{token}/mail-link", form: &[("email", "x@firma.example"), ("back", "paused")], expect: [404, 404, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/review", path: "/s/{token}/review", form: &[], expect: [404, 303, 404, 404, 404, 404, 404] },
    Row { method: "POST", route: "/s/{token}/submit", path: "/s/{token}/submit", form: &[], expect: [404, 409, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/result", path: "/s/{token}/result", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/report.pdf", path: "/s/{token}/report.pdf", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/export.json", path: "/s/{token}/export.json", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/s/{token}/delete", path: "/s/{token}/delete", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "POST", route: "/s/{token}/delete", path: "/s/{token}/delete", form: &[], expect: [404, 422, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/api/v1/questionnaire", path: "/api/v1/questionnaire", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/api/openapi.json", path: "/api/openapi.json", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    // Metrics are for the operator's monitoring, not for any role: without METRICS_ALLOW or
    // METRICS_TOKEN nobody reads them, the admin neither (tests/app/metrics.rs has the rest).
    Row { method: "GET", route: "/metrics", path: "/metrics", form: &[], expect: [403, 403, 403, 403, 403, 403, 403] },
    Row { method: "POST", route: "/api/v1/responses", path: "/api/v1/responses", form: &[], expect: [415, 415, 415, 415, 415, 415, 415] },
    Row { method: "GET", route: "/api/v1/responses/{token}", path: "/api/v1/responses/{token}", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/api/v1/responses/{token}/report.pdf", path: "/api/v1/responses/{token}/report.pdf", form: &[], expect: [404, 200, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/api/v1/benchmarks", path: "/api/v1/benchmarks?industry=C&size=small", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/api/v1/benchmarks/all", path: "/api/v1/benchmarks/all", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/i/{code}", path: "/i/{code}", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/i/{code}", path: "/i/{code}", form: &[("action", "start")], expect: [422, 422, 422, 422, 422, 422, 422] },
    Row { method: "GET", route: "/impressum", path: "/impressum", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/datenschutz", path: "/datenschutz", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET", route: "/login", path: "/login", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/login", path: "/login", form: &[("email", "x@example.de"), ("password", "y")], expect: [403, 403, 403, 403, 403, 403, 403] },
    Row { method: "GET", route: "/admin/api-keys", path: "/admin/api-keys", form: &[], expect: [LOGIN, LOGIN, 403, 403, 200, 403, 403] },
    Row { method: "POST", route: "/admin/api-keys", path: "/admin/api-keys", form: &[("name", ""), ("rate", "lots")], expect: [LOGIN, LOGIN, 403, 403, 422, 403, 403] },
    Row { method: "POST", route: "/admin/api-keys/{id}/revoke", path: "/admin/api-keys/{user}/revoke", form: &[], expect: [LOGIN, LOGIN, 403, 403, 404, 403, 403] },
    Row { method: "GET", route: "/admin/held-back", path: "/admin/held-back", form: &[], expect: [LOGIN, LOGIN, 403, 403, 200, 403, 403] },
    Row { method: "POST", route: "/admin/held-back", path: "/admin/held-back", form: &[("action", "release")], expect: [LOGIN, LOGIN, 403, 403, 400, 403, 403] },
    Row { method: "GET", route: "/admin/users", path: "/admin/users", form: &[], expect: [LOGIN, LOGIN, 403, 403, 200, 403, 403] },
    Row { method: "POST", route: "/admin/users", path: "/admin/users", form: &[("email", "kein-at"), ("role", "consultant")], expect: [LOGIN, LOGIN, 403, 403, 422, 403, 403] },
    Row { method: "GET", route: "/admin/users/{id}/disable", path: "/admin/users/{user}/disable", form: &[], expect: [LOGIN, LOGIN, 403, 403, 200, 403, 403] },
    Row { method: "POST", route: "/admin/users/{id}/disable", path: "/admin/users/{user}/disable", form: &[], expect: [LOGIN, LOGIN, 403, 403, 303, 403, 403] },
    Row { method: "POST", route: "/admin/users/{id}/enable", path: "/admin/users/{user}/enable", form: &[], expect: [LOGIN, LOGIN, 403, 403, 303, 403, 403] },
    Row { method: "GET", route: "/chamber", path: "/chamber", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 200] },
    Row { method: "GET", route: "/consultant", path: "/consultant", form: &[], expect: [LOGIN, LOGIN, 200, 200, 403, 403, 403] },
    Row { method: "POST", route: "/consultant/clients", path: "/consultant/clients", form: &[("firm_name", "")], expect: [LOGIN, LOGIN, 422, 422, 403, 403, 403] },
    Row { method: "GET", route: "/consultant/clients/{id}", path: "/consultant/clients/{id}", form: &[], expect: [LOGIN, LOGIN, 200, 404, 403, 403, 403] },
    Row { method: "POST", route: "/consultant/clients/{id}/invitations", path: "/consultant/clients/{id}/invitations", form: &[], expect: [LOGIN, LOGIN, 303, 404, 403, 403, 403] },
    Row { method: "GET", route: "/consultant/clients/{id}/report.pdf", path: "/consultant/clients/{id}/report.pdf", form: &[], expect: [LOGIN, LOGIN, 200, 404, 403, 403, 403] },
    Row { method: "GET", route: "/consultant/reports.zip", path: "/consultant/reports.zip", form: &[], expect: [LOGIN, LOGIN, 200, 409, 403, 403, 403] },
    Row { method: "GET", route: "/consultant/profile", path: "/consultant/profile", form: &[], expect: [LOGIN, LOGIN, 200, 200, 403, 403, 403] },
    Row { method: "POST", route: "/consultant/profile", path: "/consultant/profile", form: &[("name", "")], expect: [LOGIN, LOGIN, 422, 422, 403, 403, 403] },
    Row { method: "GET", route: "/consultant/brand", path: "/consultant/brand", form: &[], expect: [LOGIN, LOGIN, 200, 200, 403, 403, 403] },
    Row { method: "POST", route: "/consultant/brand", path: "/consultant/brand", form: &[("accent", "#ffff00")], expect: [LOGIN, LOGIN, 422, 422, 403, 403, 403] },
    Row { method: "POST", route: "/consultant/clients/{id}/cover-note", path: "/consultant/clients/{id}/cover-note", form: &[("note", "")], expect: [LOGIN, LOGIN, 303, 404, 403, 403, 403] },
    Row { method: "GET", route: "/brand/logo/{hash}", path: "/brand/logo/0000000000000000000000000000000000000000000000000000000000000000", form: &[], expect: [404, 404, 404, 404, 404, 404, 404] },
    Row { method: "GET", route: "/chamber/brand", path: "/chamber/brand", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 200] },
    Row { method: "POST", route: "/chamber/brand", path: "/chamber/brand", form: &[("accent", "#ffff00")], expect: [LOGIN, LOGIN, 403, 403, 403, 422, 422] },
    Row { method: "GET", route: "/chamber/profile", path: "/chamber/profile", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 200] },
    Row { method: "POST", route: "/chamber/profile", path: "/chamber/profile", form: &[("name", "")], expect: [LOGIN, LOGIN, 403, 403, 403, 422, 422] },
    Row { method: "GET", route: "/chamber/campaigns/{id}", path: "/chamber/campaigns/{campaign}", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "GET", route: "/chamber/campaigns/{id}/qr.png", path: "/chamber/campaigns/{campaign}/qr.png", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "GET", route: "/chamber/campaigns/{id}/qr.svg", path: "/chamber/campaigns/{campaign}/qr.svg", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "POST", route: "/chamber/campaigns", path: "/chamber/campaigns", form: &[("name", "")], expect: [LOGIN, LOGIN, 403, 403, 403, 422, 422] },
    Row { method: "GET", route: "/chamber/dashboard", path: "/chamber/dashboard?campaign={campaign}", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "GET", route: "/chamber/dashboard.csv", path: "/chamber/dashboard.csv?campaign={campaign}", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "GET", route: "/chamber/dashboard.pdf", path: "/chamber/dashboard.pdf?campaign={campaign}", form: &[], expect: [LOGIN, LOGIN, 403, 403, 403, 200, 404] },
    Row { method: "GET", route: "/c/{code}", path: "/c/{campaign_code}", form: &[], expect: [200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/c/{code}", path: "/c/{campaign_code}", form: &[], expect: [422, 422, 422, 422, 422, 422, 422] },
    // Without the browser's own "started" cookie: back to the landing page.
    Row { method: "GET", route: "/c/{code}/continue", path: "/c/{campaign_code}/continue", form: &[], expect: [303, 303, 303, 303, 303, 303, 303] },
    Row { method: "GET", route: "/account/password", path: "/account/password", form: &[], expect: [LOGIN, LOGIN, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/account/password", path: "/account/password", form: &[("current_password", "wrong password here")], expect: [LOGIN, LOGIN, 422, 422, 422, 422, 422] },
    // Logout with a wrong CSRF token: refused for a session, a plain redirect without one.
    Row { method: "POST", route: "/logout", path: "/logout", form: &[("csrf_token", "wrong")], expect: [303, 303, 403, 403, 403, 403, 403] },
    // Last: ends firm A's sharing with consultant A, which rows above rely on.
    Row { method: "POST", route: "/s/{token}/share/withdraw", path: "/s/{token}/share/withdraw", form: &[], expect: [404, 303, 404, 404, 404, 404, 404] },
];

/// Every `.rs` file under `dir`, recursively (routes may move into subfolders of `src/web`).
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every route the web layer declares, read from its source: a new handler without a row here
/// fails the test. Routes are declared only with actix's method attributes; another way of
/// declaring one (which this reader would not see) fails the test too.
fn declared_routes() -> Vec<(String, String)> {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web"));
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    assert!(files.len() >= 10, "files under src/web: {files:?}");
    let mut routes = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("source");
        for unseen in ["web::resource(", ".route(", "#[route(", "web::scope("] {
            assert!(
                !source.contains(unseen),
                "{}: routes declared with `{unseen}` are not read by this test; declare them \
                 with #[get(\"…\")] and friends, or teach declared_routes",
                path.display()
            );
        }
        for line in source.lines() {
            let line = line.trim();
            for method in ["get", "post", "put", "patch", "delete", "head"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().unwrap_or_default();
                    routes.push((method.to_uppercase(), route.to_owned()));
                }
            }
        }
    }
    routes.sort();
    routes
}

#[test]
fn every_route_is_in_the_table() {
    let mut in_table: Vec<(String, String)> = TABLE
        .iter()
        .map(|r| (r.method.to_owned(), r.route.to_owned()))
        .collect();
    in_table.sort();
    let declared = declared_routes();
    assert!(declared.len() >= 30, "routes found: {declared:?}");
    let missing: Vec<_> = declared.iter().filter(|r| !in_table.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorisation table: {missing:?}"
    );
    let stale: Vec<_> = in_table.iter().filter(|r| !declared.contains(r)).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:?}"
    );
}

struct Fixtures<'a> {
    token: String,
    campaign: i64,
    campaign_code: String,
    client_a: i64,
    code: String,
    user: i64,
    sessions: Vec<(Actor, Option<Browser<'a>>, String)>,
}

async fn fixtures(app: &TestApp) -> Fixtures<'_> {
    for (role, email) in [
        (Role::Consultant, "a@example.de"),
        (Role::Consultant, "b@example.de"),
        (Role::Admin, "admin@example.de"),
        (Role::Chamber, "chamber-a@example.de"),
        (Role::Chamber, "chamber-b@example.de"),
        (Role::Consultant, "victim@example.de"),
    ] {
        app.create_user(role, email).await;
    }
    let consultant_a = app.login("a@example.de").await;
    let consultant_b = app.login("b@example.de").await;
    let (page_a, link) = create_client(&consultant_a, "Firma A", "").await;
    let token_path = app.accept_invitation(&link, true).await;
    app.complete_survey(&token_path, Pick::Second, "de").await;
    create_client(&consultant_b, "Firma B", "").await;
    // An open invitation of A's client, for the invitation routes.
    let reinvite = consultant_a
        .submit(&page_a, &format!("{page_a}/invitations"), &[])
        .await;
    assert_eq!(reinvite.status, 303);
    let page = consultant_a.get(&page_a).await;
    let code = invitation_links(&page.body)
        .pop()
        .and_then(|l| l.rsplit('/').next().map(str::to_owned))
        .expect("open invitation");
    let client_a: i64 = page_a
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let users = app.store.users().await.expect("users");
    let user = users
        .iter()
        .find(|u| u.email == "victim@example.de")
        .expect("victim")
        .id;
    let admin = app.login("admin@example.de").await;
    let chamber_a = app.login("chamber-a@example.de").await;
    let chamber_b = app.login("chamber-b@example.de").await;
    let (campaign, campaign_code) =
        crate::chambers::create_campaign(&chamber_a, "Kampagne A").await;
    crate::chambers::create_campaign(&chamber_b, "Kampagne B").await;
    let mut sessions = vec![
        (Actor::Anonymous, None, String::new()),
        (Actor::Owner, None, String::new()),
    ];
    for (actor, browser, home) in [
        (Actor::ConsultantA, consultant_a, "/consultant"),
        (Actor::ConsultantB, consultant_b, "/consultant"),
        (Actor::Admin, admin, "/admin/users"),
        (Actor::ChamberA, chamber_a, "/chamber"),
        (Actor::ChamberB, chamber_b, "/chamber"),
    ] {
        let csrf = csrf_of(&browser, home).await;
        sessions.push((actor, Some(browser), csrf));
    }
    Fixtures {
        token: token_path.trim_start_matches("/s/").to_owned(),
        campaign,
        campaign_code,
        client_a,
        code,
        user,
        sessions,
    }
}

async fn csrf_of(browser: &Browser<'_>, home: &str) -> String {
    hidden_field(&browser.get(home).await.body, "csrf_token")
}

async fn call(app: &TestApp, fixtures: &Fixtures<'_>, row: &Row, actor: Actor) -> Reply {
    let (_, browser, csrf) = fixtures
        .sessions
        .iter()
        .find(|(a, _, _)| *a == actor)
        .expect("actor");
    // Only the owner holds the token; anybody else tries one of the right form.
    let token = if actor == Actor::Owner {
        fixtures.token.clone()
    } else {
        "A".repeat(43)
    };
    let path = row
        .path
        .replace("{token}", &token)
        .replace("{id}", &fixtures.client_a.to_string())
        .replace("{user}", &fixtures.user.to_string())
        .replace("{code}", &fixtures.code)
        .replace("{campaign_code}", &fixtures.campaign_code)
        .replace("{campaign}", &fixtures.campaign.to_string());
    let mut form: Vec<(&str, &str)> = row.form.to_vec();
    if !form.iter().any(|(k, _)| *k == "csrf_token") && !csrf.is_empty() {
        form.push(("csrf_token", csrf));
    }
    match (row.method, browser) {
        ("GET", Some(b)) => b.get(&path).await,
        ("GET", None) => app.get(&path).await,
        (_, Some(b)) => b.post_form(&path, &form).await,
        (_, None) => app.post_form(&path, &form).await,
    }
}

async fn every_route_answers_every_actor_as_the_table_says(app: TestApp) {
    // Six actors try unknown tokens on many routes: more than the default guessing limit.
    let app = app.sibling(&[("TOKEN_GUESSES_PER_MINUTE", "10000")]).await;
    let fixtures = fixtures(&app).await;
    let mut wrong = Vec::new();
    for row in TABLE {
        for (i, actor) in ACTORS.iter().enumerate() {
            let reply = call(&app, &fixtures, row, *actor).await;
            if reply.status != row.expect[i] {
                wrong.push(format!(
                    "{} {} as {actor:?}: {} instead of {}",
                    row.method, row.path, reply.status, row.expect[i]
                ));
            }
            let account_area = ["/admin", "/consultant", "/chamber", "/account"]
                .iter()
                .any(|p| row.route.starts_with(p));
            if account_area && matches!(actor, Actor::Anonymous | Actor::Owner) {
                assert!(
                    reply.location().starts_with("/login"),
                    "{} {}: to the login page",
                    row.method,
                    row.path
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers differing from the table:\n{}",
        wrong.join("\n")
    );
}

on_both_databases!(every_route_answers_every_actor_as_the_table_says);
