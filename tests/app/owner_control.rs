//! The owner keeps control: everything stored as JSON, and erasure that reaches the consultant's
//! list and the statistics.
use social_readiness::accounts::Role;

use crate::consultants::create_client;
use crate::helpers::{Pick, TestApp};
use crate::on_both_databases;

async fn live_count(app: &TestApp) -> u64 {
    let cells = app
        .store
        .cohort_cells(&social_readiness::statistics::versioned_scope(
            "real",
            &social_readiness::survey::served().version,
        ))
        .await
        .expect("cells");
    cells
        .iter()
        .find(|c| c.cohort_key == "all")
        .map(|c| {
            let json: serde_json::Value = serde_json::to_value(
                social_readiness::benchmark::decode_cell(&c.cell).expect("stored cell"),
            )
            .expect("json");
            json["live"]["n"].as_u64().expect("n")
        })
        .unwrap_or(0)
}

async fn owner_exports_everything_and_deletes_the_response(app: TestApp) {
    app.create_user(Role::Consultant, "owner-test@example.de")
        .await;
    let consultant = app.login("owner-test@example.de").await;
    let (_, link) = create_client(&consultant, "Zeta Zimmerei", "").await;
    let token_path = app.accept_invitation(&link, true).await;
    app.complete_survey(&token_path, Pick::Second, "de").await;
    assert_eq!(live_count(&app).await, 1);

    let result = app.get(&format!("{token_path}/result?lang=de")).await;
    assert!(result.body.contains(&format!("{token_path}/export.json")));
    assert!(result.body.contains(&format!("{token_path}/delete")));

    let export = app.get(&format!("{token_path}/export.json")).await;
    assert_eq!(export.status, 200);
    assert_eq!(export.header("cache-control").as_deref(), Some("no-store"));
    assert!(
        export
            .header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment")
    );
    let data = export.json();
    assert_eq!(data["response"]["status"], "submitted");
    assert_eq!(data["response"]["firm_name"], "Müller & Söhne <GmbH>");
    assert_eq!(data["consents"]["survey"]["text_version"], "2026-11-22");
    assert!(
        data["consents"]["survey"]["given_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20"))
    );
    assert_eq!(
        data["consents"]["share_with_consultant"]["text_version"],
        "share-2026-11-22"
    );
    assert_eq!(
        data["invited_by_consultant"]["consultant"],
        "owner-test@example.de"
    );
    let answers = data["answers"].as_array().expect("answers");
    assert!(answers.len() >= 42, "every answer: {}", answers.len());
    assert!(
        answers
            .iter()
            .any(|a| a["question_id"] == "industry" && a["option_ids"][0] == "C")
    );
    assert!(
        answers
            .iter()
            .all(|a| a["question"].as_str().is_some_and(|q| !q.is_empty()))
    );
    assert!(data["result"]["overall"]["score"].as_u64().is_some());

    // Deleting needs the tick; without it nothing happens.
    let confirm = app.get(&format!("{token_path}/delete?lang=de")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("endgültig"));
    let before = app.counts().await;
    let unticked = app.post_form(&format!("{token_path}/delete"), &[]).await;
    assert_eq!(unticked.status, 422);
    assert_eq!(app.counts().await, before);

    let deleted = app
        .post_form(
            &format!("{token_path}/delete?lang=de"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.body.contains("Ihr Check wurde gelöscht"));
    let after = app.counts().await;
    assert_eq!(after.responses, before.responses - 1);
    assert_eq!(after.answers, 0, "the answers went with it");
    assert_eq!(app.get(&format!("{token_path}/result")).await.status, 404);
    assert_eq!(
        app.get(&format!("{token_path}/export.json")).await.status,
        404
    );

    // The consultant's list says "deleted"; the statistics no longer count it.
    let list = consultant.get("/consultant").await;
    assert!(
        list.body.contains("data-status=\"deleted\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("gelöscht"));
    assert_eq!(live_count(&app).await, 0);
}

async fn an_anonymous_owner_can_delete_too(app: TestApp) {
    let token_path = app.start_survey("en").await;
    app.complete_survey(&token_path, Pick::Best, "en").await;
    assert_eq!(live_count(&app).await, 1);
    let export = app.get(&format!("{token_path}/export.json")).await;
    assert_eq!(
        export.json()["invited_by_consultant"],
        serde_json::Value::Null
    );
    let deleted = app
        .post_form(
            &format!("{token_path}/delete?lang=en"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(deleted.status, 200);
    assert!(deleted.body.contains("Your check was deleted"));
    assert_eq!(live_count(&app).await, 0);
    assert_eq!(app.counts().await.responses, 0);
}

on_both_databases!(
    owner_exports_everything_and_deletes_the_response,
    an_anonymous_owner_can_delete_too,
);
