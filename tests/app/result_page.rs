//! The result page as one story: table, charts, rank wording, the action plan and the matrix.
use serde_json::Value;

use crate::helpers::{Pick, TestApp, api_body};
use crate::on_both_databases;

async fn submit(app: &TestApp, body: &Value) -> String {
    let reply = app.post_json("/api/v1/responses", body, &[]).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["token"].as_str().expect("token").to_owned()
}

/// The text between `from` and the next `to` after it.
fn between<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let start = body
        .find(from)
        .unwrap_or_else(|| panic!("{from} not in page"))
        + from.len();
    let end = body[start..].find(to).map_or(body.len(), |e| start + e);
    &body[start..end]
}

/// Five firms in one cohort, then a sixth better than all of them: published statistics change
/// only every k responses, so the sixth is compared with the five and its rank is 100.
async fn a_firm_above_every_published_peer_is_not_better_than_100_percent(app: TestApp) {
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Second, "de")).await;
    }
    let top = submit(&app, &api_body(Pick::Best, "de")).await;
    let api = app.get(&format!("/api/v1/responses/{top}")).await.json();
    assert_eq!(
        api["benchmark"]["overall"]["percentile_rank"], 100,
        "the case this test is about: {api}"
    );
    let page = app.get(&format!("/s/{top}/result")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("100 %"), "no \"besser als 100 %\"");
    assert!(!page.body.contains("100\u{a0}%"));
    assert!(
        page.body
            .contains("höher als der aller Unternehmen dieser Gruppe")
    );
    assert!(
        page.body.contains("höher als alle"),
        "the table's rank column"
    );
    let english = app.get(&format!("/s/{top}/result?lang=en")).await;
    assert!(!english.body.contains("better than 100"));
    assert!(english.body.contains("higher than that of every firm"));

    // The weakest firm of a published cohort: "no firm lower", not "better than 0 %".
    let bottom = submit(&app, &api_body(Pick::Worst, "de")).await;
    let page = app.get(&format!("/s/{bottom}/result")).await;
    assert!(!page.body.contains("besser als 0"));
    assert!(
        page.body
            .contains("Kein Unternehmen dieser Gruppe hat einen niedrigeren Gesamtwert")
    );
}

/// A worst-case firm (red flags in several topics) with some importances answered and some not.
async fn the_action_plan_and_the_matrix_tell_one_story(app: TestApp) {
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Second, "de")).await;
    }
    let mut body = api_body(Pick::Worst, "de");
    body["answers"]["strategy.importance"] = Value::from("very_high");
    body["answers"]["content.importance"] = Value::from("low");
    let token = submit(&app, &body).await;
    let page = app.get(&format!("/s/{token}/result")).await;
    assert_eq!(page.status, 200);
    let html = &page.body;

    // The table: every column present, the scroll region reachable by keyboard and named.
    assert!(html.contains(
        r#"<div class="table-scroll" tabindex="0" role="region" aria-labelledby="scores-caption">"#
    ));
    assert!(html.contains(r#"<caption id="scores-caption">"#));
    let head = between(html, "<table class=\"scores\">", "</thead>");
    for column in [
        "Thema",
        "Punkte",
        "Reifegrad",
        "Wichtigkeit",
        "Median der Gruppe",
        "Ihr Rang",
    ] {
        assert!(head.contains(column), "{column} in {head}");
    }

    // Both drawings of each chart, the narrow one for phones.
    for id in [
        "dimension-chart",
        "dimension-chart-narrow",
        "priority-matrix",
        "priority-matrix-narrow",
    ] {
        assert!(html.contains(&format!("id=\"{id}-title\"")), "{id}");
    }

    // The action list: one entry per topic, numbered as in the matrix, in increasing order.
    let list = between(html, "<ol class=\"actions\">", "</ol>");
    let entries: Vec<&str> = list.split("<li value=\"").skip(1).collect();
    assert!(entries.len() >= 3, "{list}");
    let mut names = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let number: usize = entry.split('"').next().unwrap().parse().expect("number");
        assert_eq!(
            number,
            i + 1,
            "the list is numbered 1, 2, 3 … like the matrix"
        );
        let name = between(entry, "<strong>", "</strong>").to_owned();
        assert!(!names.contains(&name), "{name} twice in {list}");
        names.push(name);
    }
    // Texts of the steps: none twice.
    let steps: Vec<&str> = list
        .split("<p>")
        .skip(1)
        .map(|p| p.split("</p>").next().unwrap())
        .collect();
    for (i, s) in steps.iter().enumerate() {
        assert!(!steps[i + 1..].contains(s), "step twice: {s}");
    }
    // The matrix's key (narrow drawing: one line per topic) lists the topics in the list's order.
    let matrix = between(html, "id=\"priority-matrix-narrow-title\"", "</svg>");
    let mut last = 0;
    for name in &names {
        let at = matrix
            .find(&format!("{name} ("))
            .unwrap_or_else(|| panic!("{name} not in the matrix key"));
        assert!(at > last, "{name} out of order in the matrix key");
        last = at;
    }
    // The first step is shown near the top, before the benchmark, and is the list's first entry.
    let first = html
        .find("id=\"first-action-heading\"")
        .expect("first step");
    assert!(first < html.find("id=\"benchmark-heading\"").expect("benchmark"));
    assert!(between(html, "id=\"first-action-heading\">", "</h2>").contains(&names[0]));

    // Importance: chosen ones by name, an open one said as open (it ranks as the middle option).
    let rows = between(html, "<tbody>", "</tbody>");
    let strategy = between(rows, "Strategie &amp; Ziele", "</tr>");
    assert!(strategy.contains("Sehr wichtig"), "{strategy}");
    let community = between(rows, "Zielgruppe &amp; Community", "</tr>");
    assert!(community.contains("nicht beantwortet"), "{community}");
    assert!(
        !community.contains(">Eher wichtig<"),
        "not shown as a chosen default"
    );
    assert!(
        html.contains("Ein Kreis ohne Füllung"),
        "the matrix says what a ring means"
    );

    // German source titles inside the English page are marked as German.
    let english = app.get(&format!("/s/{token}/result?lang=en")).await;
    assert!(english.body.contains("<cite lang=\"de\">"));
    assert!(!english.body.contains("<cite>"));
    assert!(english.body.contains("not answered"));
}

on_both_databases!(
    a_firm_above_every_published_peer_is_not_better_than_100_percent,
    the_action_plan_and_the_matrix_tell_one_story,
);
