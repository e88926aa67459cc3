//! The PDF report, checked as a user's tools would: qpdf (structure), pdffonts (embedded subset
//! fonts), pdftotext (the scores, red flags and actions in the text, in reading order).
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{Pick, TestApp, api_body};
use crate::on_both_databases;
use crate::tools;

/// Checks one report with the tools and returns its text (`None` when pdftotext is missing,
/// outside CI).
fn check_pdf(bytes: &[u8], name: &str) -> Option<String> {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let path = tools::temp_file(bytes, name);
    tools::check_pdf_structure(&path);
    tools::check_pdf_fonts(&path);
    tools::pdf_text(&path).map(|text| text.replace('\u{c}', "\n"))
}

/// Collapses whitespace, so wrapped lines compare with one-line texts.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn submitted(
    app: &TestApp,
    pick: Pick,
    lang: &str,
    firm_name: Option<&str>,
) -> (String, Value) {
    let mut body = api_body(pick, lang);
    if let Some(name) = firm_name {
        body["firm_name"] = Value::from(name);
    }
    let reply = app.post_json("/api/v1/responses", &body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let json = reply.json();
    (
        json["token"].as_str().expect("token").to_owned(),
        json["result"].clone(),
    )
}

async fn pdf(app: &TestApp, path: &str) -> Vec<u8> {
    let mut response = app.client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    response
        .body()
        .limit(8 * 1024 * 1024)
        .await
        .expect("body")
        .to_vec()
}

async fn reports_for_three_very_different_firms_in_both_languages(app: TestApp) {
    let long_name = format!(
        "Möbelwerkstatt „Über den Dächern“ – {}",
        "Schreinerei und Innenausbau ".repeat(6)
    );
    let long_name: String = long_name.chars().take(200).collect();
    // The worst firm comes first, when no cohort exists; then peers arrive, so the best and the
    // mixed firm's reports have benchmarks.
    for (pick, name) in [
        (Pick::Worst, None),
        (Pick::Best, None),
        (Pick::Second, Some(long_name.as_str())),
    ] {
        if pick == Pick::Best {
            for _ in 0..4 {
                submitted(&app, Pick::Second, "de", None).await;
            }
        }
        for lang in ["de", "en"] {
            let (token, result) = submitted(&app, pick, lang, name).await;
            let bytes = pdf(&app, &format!("/api/v1/responses/{token}/report.pdf")).await;
            assert!(
                bytes.len() < 150 * 1024,
                "{pick:?} {lang}: {} KB",
                bytes.len() / 1024
            );
            let again = pdf(&app, &format!("/s/{token}/report.pdf")).await;
            assert_eq!(
                bytes, again,
                "deterministic: same response, same benchmark, same bytes"
            );
            let Some(text) = check_pdf(&bytes, &format!("{pick:?}_{lang}.pdf")) else {
                continue;
            };
            let text = flat(&text);
            let score = result["overall"]["score"].to_string();
            assert!(text.contains(&score), "overall score {score} in the text");
            let page_word = if lang == "de" {
                "Seite 1 von"
            } else {
                "Page 1 of"
            };
            assert!(text.contains(page_word), "{page_word}");
            for flag in result["red_flags"].as_array().expect("flags") {
                let words = flat(flag["text"].as_str().expect("text"));
                assert!(text.contains(&words), "red flag in the text: {words}");
            }
            let actions = result["actions"].as_array().expect("actions");
            for action in actions.iter().take(3) {
                let words = flat(action["text"].as_str().expect("text"));
                assert!(text.contains(&words), "action in the text: {words}");
            }
            // A long plan is cut to its most important steps and says how many more the result
            // page has (the worst firm has one step per weak answer, far more than 12).
            let more = actions.len().saturating_sub(12);
            let more_words = if lang == "de" {
                format!("{more} weitere, weniger dringende")
            } else {
                format!("You will find {more} further")
            };
            assert_eq!(
                text.contains(&more_words),
                more > 0,
                "{} actions: {more_words}",
                actions.len()
            );
            // Reading order: the summary before the action plan before the methodology.
            let (summary, plan, method) = if lang == "de" {
                ("Zusammenfassung", "Ihr Aktionsplan", "Methodik")
            } else {
                ("Summary", "Your action plan", "Methodology")
            };
            let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing"));
            assert!(at(summary) < at(plan) && at(plan) < at(method));
            if let Some(name) = name {
                assert!(
                    text.contains(&flat(&name.chars().take(40).collect::<String>())),
                    "firm name shown"
                );
            }
            // The section's heading and table promise a comparison only when there is one.
            let (compared, own) = if lang == "de" {
                ("Ihr Profil im Vergleich", "Ihr Profil")
            } else {
                ("Your profile compared", "Your profile")
            };
            assert_eq!(text.contains(compared), pick != Pick::Worst, "{compared}");
            assert!(text.contains(own), "{own}");
            if pick != Pick::Worst {
                let cohort = if lang == "de" {
                    "Vergleichsgruppe:"
                } else {
                    "Comparison group:"
                };
                assert!(text.contains(cohort), "the cohort is named");
            } else {
                let note = if lang == "de" {
                    "bildet sich noch"
                } else {
                    "still forming"
                };
                assert!(
                    text.contains(note),
                    "no empty benchmarks: the report says why"
                );
            }
        }
    }
}

async fn report_routes_check_their_input(app: TestApp) {
    let fake = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        app.get(&format!("/api/v1/responses/{fake}/report.pdf"))
            .await
            .status,
        404
    );
    let page = app.get(&format!("/s/{fake}/report.pdf")).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<html"));
    let token_path = app.start_survey("de").await;
    let unfinished = app.get(&format!("{token_path}/report.pdf")).await;
    assert_eq!(unfinished.status, 409, "no report before the submit");
    let (token, _) = submitted(&app, Pick::Best, "de", None).await;
    let page = app.get(&format!("/s/{token}/result")).await;
    assert!(
        page.body.contains(&format!("/s/{token}/report.pdf")),
        "a download button on the result page"
    );
}

/// A sixth firm above the five published ones has rank 100: the report says "alle", not "100"
/// under "Besser als".
async fn a_rank_of_100_reads_all_in_the_report(app: TestApp) {
    for _ in 0..5 {
        submitted(&app, Pick::Second, "de", None).await;
    }
    let (token, _) = submitted(&app, Pick::Best, "de", None).await;
    let bytes = pdf(&app, &format!("/s/{token}/report.pdf?lang=de")).await;
    let Some(text) = check_pdf(&bytes, "rank_all.pdf") else {
        return;
    };
    let text = flat(&text);
    let table = text
        .split_once("Besser als")
        .map(|(_, rest)| rest.chars().take(700).collect::<String>())
        .expect("the table's header");
    assert!(
        table.matches(" alle").count() >= 9,
        "every dimension is above all published peers: {table}"
    );
}

on_both_databases!(a_rank_of_100_reads_all_in_the_report);

on_both_databases!(
    reports_for_three_very_different_firms_in_both_languages,
    report_routes_check_their_input
);

/// The command line writes the same report as the web.
#[actix_web::test]
async fn the_cli_writes_the_same_report_as_the_web() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .expect("app");
    let (token, _) = submitted(
        &app,
        Pick::Worst,
        "en",
        Some("Acme <script>alert(1)</script>"),
    )
    .await;
    let web = pdf(&app, &format!("/api/v1/responses/{token}/report.pdf")).await;
    let out = std::env::temp_dir().join(format!("sr_cli_{}.pdf", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_social-readiness"))
        // `--token=…`: a token may begin with '-', which clap would read as an option.
        .args(["report", &format!("--token={token}"), "--out"])
        .arg(&out)
        .env("DATABASE_URL", app.database_url())
        .output()
        .expect("cli runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cli = std::fs::read(&out).expect("written");
    assert_eq!(cli, web);
    if let Some(text) = check_pdf(&cli, "cli.pdf") {
        assert!(
            text.contains("Acme <script>"),
            "the name is text, not markup"
        );
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_social-readiness"))
        .args(["report", "--token", "nope", "--out", "/tmp/never.pdf"])
        .env("DATABASE_URL", app.database_url())
        .output()
        .expect("cli runs");
    assert!(!bad.status.success());
    assert!(!Path::new("/tmp/never.pdf").exists(), "no file on error");
    let _ = std::fs::remove_file(out);
}
