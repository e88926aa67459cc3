//! Stored XSS, the classic bug of survey tools: what firms and consultants type comes out
//! escaped in every page, as harmless ZIP file names, and as plain text in the PDF.
use social_readiness::accounts::Role;

use crate::consultants::create_client;
use crate::helpers::{Pick, TestApp};
use crate::on_both_databases;
use crate::tools;

const PAYLOADS: [&str; 4] = [
    "<script>alert('firm')</script>",
    "\"><img src=x onerror=alert(1)>",
    "<svg onload=alert(2)>",
    "javascript:alert(3)//'\"",
];

fn assert_escaped(page: &str, where_: &str) {
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "onerror=alert(1)>",
    ] {
        assert!(!page.contains(raw), "{where_}: {raw} came out unescaped");
    }
}

async fn payloads_come_out_escaped_everywhere(app: TestApp) {
    app.create_user(Role::Consultant, "xss@example.de").await;
    app.create_user(Role::Admin, "admin-xss@example.de").await;
    let consultant = app.login("xss@example.de").await;
    let (page_path, link) = create_client(&consultant, PAYLOADS[0], PAYLOADS[1]).await;

    // The owner sees the consultant's firm name escaped on the invitation page.
    let landing = app
        .get(link.strip_prefix(&app.address).expect("local"))
        .await;
    assert_escaped(&landing.body, "invitation page");
    assert!(landing.body.contains("&lt;script&gt;"));

    // The owner types a payload as firm name and answers the survey.
    let token_path = app.accept_invitation(&link, true).await;
    let mut first = crate::survey_pages::step_fields(1, Pick::Second);
    for (k, v) in &mut first {
        if k == "firm_name" {
            *v = PAYLOADS[2].to_owned();
        }
    }
    let reply = crate::survey_pages::post_step(&app, &token_path, 1, &first, "next", "de").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    for step in 2..=10 {
        let fields = crate::survey_pages::step_fields(step, Pick::Second);
        let reply =
            crate::survey_pages::post_step(&app, &token_path, step, &fields, "next", "de").await;
        assert_eq!(reply.status, 303);
    }
    let review = app.get(&format!("{token_path}/review")).await;
    assert_escaped(&review.body, "review page");
    assert_eq!(
        app.post_form(&format!("{token_path}/submit"), &[])
            .await
            .status,
        303
    );
    let result = app.get(&format!("{token_path}/result")).await;
    assert_escaped(&result.body, "result page");
    assert!(
        result.body.contains("&lt;svg onload"),
        "the name is shown, escaped"
    );

    // The consultant's list and client page.
    let list = consultant.get("/consultant").await;
    assert_escaped(&list.body, "client list");
    assert!(list.body.contains("&lt;script&gt;alert("), "{}", list.body);
    let page = consultant.get(&page_path).await;
    assert_escaped(&page.body, "client page");

    // File names in the download headers and the ZIP: letters, digits, '-' and '_' only.
    let pdf = consultant.get(&format!("{page_path}/report.pdf")).await;
    let disposition = pdf.header("content-disposition").expect("disposition");
    assert!(
        !disposition.contains('<')
            && !disposition.contains('/')
            && disposition.matches('"').count() == 2,
        "{disposition}"
    );
    let zip = consultant.get_bytes("/consultant/reports.zip").await;
    let name_field = "01_script_alert_firm_script.pdf";
    assert!(
        zip.windows(name_field.len())
            .any(|w| w == name_field.as_bytes()),
        "the entry is named {name_field}"
    );
    assert!(
        !zip.windows(8).any(|w| w == b"<script>"),
        "no markup in the archive's names"
    );

    // The PDF shows the payload as plain text and is still a valid PDF.
    let dir = std::env::temp_dir().join(format!(
        "sr_xss_{}_{}",
        app.backend_name,
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("report.pdf");
    let bytes = consultant
        .get_bytes(&format!("{page_path}/report.pdf"))
        .await;
    std::fs::write(&file, &bytes).expect("write");
    tools::check_pdf_structure(&file);
    if let Some(text) = tools::pdf_text(&file) {
        assert!(
            text.contains("<svg onload=alert(2)>"),
            "the firm name as text"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    // An admin's view of accounts escapes too (e-mail addresses are checked, but never trusted).
    let admin = app.login("admin-xss@example.de").await;
    let users = admin.get("/admin/users").await;
    assert_escaped(&users.body, "admin page");
    for payload in PAYLOADS {
        let reply = admin
            .submit(
                "/admin/users",
                "/admin/users",
                &[("email", payload), ("role", "consultant")],
            )
            .await;
        assert_eq!(reply.status, 422, "{payload}");
        assert_escaped(&reply.body, "admin form error");
    }
}

on_both_databases!(payloads_come_out_escaped_everywhere);
