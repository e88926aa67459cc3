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

/// The number of firms in the page's comparison group ("… (n Unternehmen)").
fn group_size(page: &str) -> String {
    between(page, "Vergleichsgruppe: ", " Unternehmen)")
        .rsplit('(')
        .next()
        .expect("a number")
        .to_owned()
}

/// A page as `other` serves it, with `other`'s address (in the private link) written as `app`'s.
async fn page_of(other: &TestApp, app: &TestApp, path: &str) -> String {
    other
        .get(path)
        .await
        .body
        .replace(&other.address, &app.address)
}

/// Whether two pages are the same, without printing 60 KB when not.
fn same(a: &str, b: &str) -> bool {
    a == b
}

/// Result pages are kept while what they show stays the same (issue 17): a page served again is
/// byte for byte the page a fresh instance renders, and a new publication of the statistics,
/// another language, another owner with the very same result, or an erasure never gets a page
/// kept from before.
async fn a_kept_result_page_is_always_the_page_rendered_anew(app: TestApp) {
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Second, "de")).await;
    }
    let mine = submit(&app, &api_body(Pick::Best, "de")).await;
    let twin = submit(&app, &api_body(Pick::Best, "de")).await;
    let path = format!("/s/{mine}/result");
    let first = app.get(&path).await;
    assert_eq!(first.status, 200);
    assert_eq!(group_size(&first.body), "5", "compared with the five");
    assert!(
        same(&app.get(&path).await.body, &first.body),
        "served again"
    );
    // An instance that never rendered it (its own cache empty) renders the same bytes.
    let fresh = app.sibling(&[]).await;
    assert!(same(&page_of(&fresh, &app, &path).await, &first.body));

    // Another language: its own page, the same as rendered fresh.
    let english = app.get(&format!("{path}?lang=en")).await;
    assert!(english.body.contains("Comparison group"));
    assert!(!same(&english.body, &first.body));
    let english_path = format!("{path}?lang=en");
    assert!(same(
        &page_of(&fresh, &app, &english_path).await,
        &english.body
    ));
    assert!(
        same(&app.get(&path).await.body, &first.body),
        "German again after English"
    );

    // Another owner with the same answers (the same result and group): only its own link.
    let twins = app.get(&format!("/s/{twin}/result")).await;
    assert_eq!(twins.status, 200);
    assert!(twins.body.contains(&format!("/s/{twin}/report.pdf")));
    assert!(
        !twins.body.contains(mine.as_str()),
        "no trace of the other owner"
    );
    assert!(!first.body.contains(twin.as_str()));

    // Five more firms: a new publication, and both instances show the new group at once.
    for _ in 0..5 {
        submit(&app, &api_body(Pick::Worst, "de")).await;
    }
    let api = app.get(&format!("/api/v1/responses/{mine}")).await.json();
    let n = api["benchmark"]["cohort"]["n"].to_string();
    assert_ne!(
        n, "5",
        "the case this test is about: a new publication ({api})"
    );
    let after = app.get(&path).await;
    assert_eq!(group_size(&after.body), n);
    assert!(same(&page_of(&fresh, &app, &path).await, &after.body));
    let another = app.sibling(&[]).await;
    assert!(same(&page_of(&another, &app, &path).await, &after.body));

    // Erased: gone from the instance that kept its page; the twin's page stays.
    let erased = app
        .post_form(&format!("/s/{mine}/delete?lang=de"), &[("confirm", "yes")])
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.get(&format!("{path}?lang=en")).await.status, 404);
    assert_eq!(fresh.get(&path).await.status, 404);
    assert_eq!(app.get(&format!("/s/{twin}/result")).await.status, 200);
}

on_both_databases!(
    a_firm_above_every_published_peer_is_not_better_than_100_percent,
    the_action_plan_and_the_matrix_tell_one_story,
    a_kept_result_page_is_always_the_page_rendered_anew,
);
