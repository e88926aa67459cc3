//! The consultant's workspace: clients, invitations with the owner's consent, the client list,
//! reports one by one and as a ZIP, re-assessment with the change since last time.
use social_readiness::accounts::Role;

use crate::helpers::{Browser, Pick, TestApp};
use crate::on_both_databases;
use crate::tools;

/// Creates a client through the form; returns (client page path, invitation URL).
pub async fn create_client(
    consultant: &Browser<'_>,
    firm_name: &str,
    contact: &str,
) -> (String, String) {
    let reply = consultant
        .submit(
            "/consultant",
            "/consultant/clients",
            &[("firm_name", firm_name), ("contact", contact)],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page_path = reply.location();
    let page = consultant.get(&page_path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let link = invitation_links(&page.body)
        .pop()
        .expect("an open invitation link");
    (
        page_path.split('?').next().unwrap_or_default().to_owned(),
        link,
    )
}

/// The open invitation links shown on a client page.
pub fn invitation_links(body: &str) -> Vec<String> {
    body.split("readonly value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| link.contains("/i/"))
        .map(str::to_owned)
        .collect()
}

/// The status key of a client's row in the list.
fn row_status(list: &str, firm: &str) -> String {
    let row_start = list
        .find(firm)
        .unwrap_or_else(|| panic!("{firm} not listed"));
    let before = &list[..row_start];
    let tr = before.rfind("data-status=\"").expect("a row") + "data-status=\"".len();
    before[tr..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Unpacks the archive with an independent reader (Python's zipfile) and returns its names
/// (`None` when python3 is missing, outside CI).
fn unzip(bytes: &[u8], dir: &std::path::Path) -> Option<Vec<String>> {
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join("reports.zip");
    std::fs::write(&path, bytes).expect("write zip");
    let script = "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2]); print('\\n'.join(z.namelist()))";
    let out = tools::run(
        "python3",
        [
            std::ffi::OsStr::new("-c"),
            std::ffi::OsStr::new(script),
            path.as_os_str(),
            dir.as_os_str(),
        ],
    )?;
    Some(out.lines().map(str::to_owned).collect())
}

async fn consultant_invites_two_clients_and_downloads_their_reports(app: TestApp) {
    app.create_user(Role::Consultant, "beraterin@example.de")
        .await;
    let consultant = app.login("beraterin@example.de").await;
    let empty = consultant.get("/consultant").await;
    assert!(empty.body.contains("Noch keine Mandanten"));
    let english = consultant.get("/consultant?lang=en").await;
    assert!(english.body.contains("Your clients") && english.body.contains("No clients yet."));

    let (alpha_page, alpha_link) = create_client(&consultant, "Alpha Bäckerei", "Frau Alpha").await;
    let (beta_page, beta_link) = create_client(&consultant, "Beta Metallbau", "").await;
    let list = consultant.get("/consultant").await;
    assert_eq!(row_status(&list.body, "Alpha Bäckerei"), "invited");
    assert_eq!(row_status(&list.body, "Beta Metallbau"), "invited");

    // The owners take the survey through their links and agree to share.
    let landing = app
        .get(alpha_link.strip_prefix(&app.address).expect("local"))
        .await;
    assert!(landing.body.contains("beraterin@example.de"), "who invites");
    assert!(
        landing.body.contains("name=\"share\""),
        "a separate sharing consent"
    );
    assert!(
        !landing
            .body
            .contains("name=\"share\" value=\"yes\" checked"),
        "unticked"
    );
    let alpha = app.accept_invitation(&alpha_link, true).await;
    let in_progress = consultant.get("/consultant").await;
    assert_eq!(
        row_status(&in_progress.body, "Alpha Bäckerei"),
        "in_progress"
    );
    app.complete_survey(&alpha, Pick::Second, "de").await;
    let beta = app.accept_invitation(&beta_link, true).await;
    app.complete_survey(&beta, Pick::Worst, "de").await;

    // The list shows both with date, score, level and red flags.
    let list = consultant.get("/consultant").await;
    assert_eq!(row_status(&list.body, "Alpha Bäckerei"), "finished");
    assert_eq!(row_status(&list.body, "Beta Metallbau"), "finished");
    let alpha_result = app.get(&format!("{alpha}/result?lang=de")).await;
    assert!(
        alpha_result
            .body
            .contains("Ihr Ergebnis wird mit beraterin@example.de geteilt")
    );
    let score_of = |body: &str| {
        let start = body.find("<strong>").expect("score") + "<strong>".len();
        body[start..]
            .split('<')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let alpha_score = score_of(&alpha_result.body);
    assert!(
        list.body
            .contains(&format!("<td class=\"num\">{alpha_score}</td>"))
    );

    // The client page shows the result and the benchmark section, but never the private link.
    let page = consultant.get(&alpha_page).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Im Vergleich mit ähnlichen Unternehmen"));
    assert!(
        !page.body.contains(&alpha),
        "the owner's private link stays private"
    );
    assert!(page.body.contains("<svg"), "the chart");

    // One report, then all as a ZIP with two correct PDFs.
    let pdf = consultant.get(&format!("{beta_page}/report.pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(
        pdf.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert!(
        pdf.header("content-disposition")
            .unwrap_or_default()
            .contains("Beta_Metallbau.pdf")
    );

    let zip = consultant.get_bytes("/consultant/reports.zip").await;
    let dir = std::env::temp_dir().join(format!(
        "sr_zip_{}_{}",
        app.backend_name,
        std::process::id()
    ));
    if let Some(names) = unzip(&zip, &dir) {
        assert_eq!(
            names,
            vec!["01_Alpha_Bäckerei.pdf", "02_Beta_Metallbau.pdf"]
        );
        let alpha = dir.join("01_Alpha_Bäckerei.pdf");
        let beta = dir.join("02_Beta_Metallbau.pdf");
        tools::check_pdf_structure(&alpha);
        if let (Some(alpha_text), Some(beta_text)) =
            (tools::pdf_text(&alpha), tools::pdf_text(&beta))
        {
            assert!(
                alpha_text.contains(&alpha_score),
                "Alpha's score in its report"
            );
            assert!(
                beta_text.contains("Warnsignal"),
                "Beta's red flags in its report"
            );
            assert_ne!(alpha_text, beta_text);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn a_re_assessment_shows_the_change_and_counts_the_firm_once(app: TestApp) {
    app.create_user(Role::Consultant, "re@example.de").await;
    let consultant = app.login("re@example.de").await;
    let (page_path, link) = create_client(&consultant, "Gamma Gastro", "").await;
    let first = app.accept_invitation(&link, true).await;
    app.complete_survey(&first, Pick::Second, "de").await;
    let live = || async {
        let cells = app
            .store
            .cohort_cells(&social_readiness::statistics::versioned_scope(
                "real",
                &social_readiness::survey::served().version,
            ))
            .await
            .expect("cells");
        let all = cells
            .iter()
            .find(|c| c.cohort_key == "all")
            .expect("the all cell");
        let json: serde_json::Value = serde_json::to_value(
            social_readiness::benchmark::decode_cell(&all.cell).expect("stored cell"),
        )
        .expect("json");
        json["live"]["n"].as_u64().expect("live n")
    };
    assert_eq!(live().await, 1);

    // Six months later: a new invitation for the same client.
    let reinvited = consultant
        .submit(&page_path, &format!("{page_path}/invitations"), &[])
        .await;
    assert_eq!(reinvited.status, 303, "{}", reinvited.body);
    let page = consultant.get(&page_path).await;
    let links = crate::consultants::invitation_links(&page.body);
    assert_eq!(links.len(), 1, "only the new invitation is open");
    let second = app.accept_invitation(&links[0], true).await;
    app.complete_survey(&second, Pick::Best, "de").await;

    let page = consultant.get(&page_path).await;
    assert!(
        page.body.contains("Veränderung seit der letzten Bewertung"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td class=\"num\">100</td>"),
        "the new score"
    );
    assert!(
        page.body.contains("<td class=\"num\">+"),
        "improvements with a plus sign"
    );
    // The firm counts once in the statistics.
    assert_eq!(live().await, 1);

    // The list shows the trend, the page speaks of the client, and the first result opens.
    let list = consultant.get("/consultant").await;
    let first_score = {
        let at = list.body.find("class=\"trend\">").expect("a trend") + "class=\"trend\">".len();
        list.body[at..]
            .split('<')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(first_score.ends_with(" → 100"), "trend {first_score:?}");
    assert!(
        page.body.contains("Die Werte Ihres Mandanten"),
        "consultant's voice"
    );
    assert!(!page.body.contains("Ihr Link bleibt gültig"));
    let earlier = consultant.get(&format!("{page_path}?assessment=1")).await;
    assert_eq!(earlier.status, 200, "{}", earlier.body);
    assert!(earlier.body.contains("Ergebnis vom "), "{}", earlier.body);
    let old_score = first_score.split(' ').next().unwrap_or_default();
    assert!(
        earlier
            .body
            .contains(&format!("<strong>{old_score}</strong>")),
        "the earlier score {old_score}"
    );
    // An invitation without a shared result has nothing to open.
    assert_eq!(
        consultant
            .get(&format!("{page_path}?assessment=3"))
            .await
            .status,
        404
    );

    // The owner of the second check withdraws the sharing from the result page: the check
    // stays, the consultant sees "geteilt, zurückgezogen" and no longer that result.
    let result = app.get(&format!("{second}/result")).await;
    assert!(result.body.contains("Weitergabe an die Beratung beenden"));
    let withdrawn = app
        .post_form(&format!("{second}/share/withdraw?lang=de"), &[])
        .await;
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    let result = app.get(&format!("{second}/result")).await;
    assert_eq!(result.status, 200, "the check stays");
    assert!(
        result.body.contains("Sie haben die Weitergabe an"),
        "{}",
        result.body
    );
    assert!(!result.body.contains("Weitergabe an die Beratung beenden"));
    let page = consultant.get(&page_path).await;
    assert!(
        page.body.contains("geteilt, zurückgezogen"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("<strong>{old_score}</strong>")),
        "the first (still shared) result is the one shown"
    );
    assert!(
        !page.body.contains("<td class=\"num\">100</td>"),
        "the withdrawn result is gone from the consultant's page"
    );
    let list = consultant.get("/consultant").await;
    assert_eq!(row_status(&list.body, "Gamma Gastro"), "withdrawn");
    // Twice is harmless.
    let again = app
        .post_form(&format!("{second}/share/withdraw?lang=de"), &[])
        .await;
    assert_eq!(again.status, 303);
}

async fn without_consent_the_consultant_sees_only_the_status(app: TestApp) {
    app.create_user(Role::Consultant, "c@example.de").await;
    let consultant = app.login("c@example.de").await;
    let (page_path, link) = create_client(&consultant, "Delta Druck", "").await;
    let owner = app.accept_invitation(&link, false).await;
    app.complete_survey(&owner, Pick::Best, "de").await;
    let list = consultant.get("/consultant").await;
    // Took the check without sharing: told apart from a declined invitation, but no more.
    assert_eq!(row_status(&list.body, "Delta Druck"), "not_shared");
    assert!(list.body.contains("Ergebnis nicht geteilt"));
    assert!(
        !list.body.contains("<td class=\"num\">100</td>"),
        "no score without consent"
    );
    let page = consultant.get(&page_path).await;
    assert!(
        page.body
            .contains("Noch kein abgeschlossener und freigegebener Check")
    );
    assert_eq!(
        consultant
            .get(&format!("{page_path}/report.pdf"))
            .await
            .status,
        409
    );

    // An owner may also decline the invitation outright; a used link cannot start again.
    let (_, other) = create_client(&consultant, "Epsilon Elektro", "").await;
    let path = other.strip_prefix(&app.address).expect("local").to_owned();
    let declined = app.post_form(&path, &[("action", "decline")]).await;
    assert_eq!(declined.status, 200);
    let list = consultant.get("/consultant").await;
    assert_eq!(row_status(&list.body, "Epsilon Elektro"), "declined");
    assert!(list.body.contains("Einladung abgelehnt"));
    let again = app
        .post_form(&path, &[("consent", "yes"), ("action", "start")])
        .await;
    assert_eq!(again.status, 409);
}

async fn client_input_is_checked(app: TestApp) {
    app.create_user(Role::Consultant, "input@example.de").await;
    let consultant = app.login("input@example.de").await;
    let before = app.counts().await;
    let empty = consultant
        .submit("/consultant", "/consultant/clients", &[("firm_name", "  ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("Bitte geben Sie den Firmennamen an"));
    let long = "x".repeat(201);
    let too_long = consultant
        .submit(
            "/consultant",
            "/consultant/clients",
            &[("firm_name", &long)],
        )
        .await;
    assert_eq!(too_long.status, 422);
    assert!(
        consultant
            .get("/consultant")
            .await
            .body
            .contains("Noch keine Mandanten")
    );
    assert_eq!(app.counts().await, before);
}

async fn profiles_name_the_consultant_and_the_chamber_to_the_firms(app: TestApp) {
    app.create_user(Role::Consultant, "profil@example.de").await;
    app.create_user(Role::Chamber, "statistik@hwk.example")
        .await;
    let consultant = app.login("profil@example.de").await;
    let (_, link) = create_client(&consultant, "Zeta Zimmerei", "").await;
    let path = link.strip_prefix(&app.address).expect("local").to_owned();
    // Without a profile the invitation names the consultant by the login address.
    assert!(app.get(&path).await.body.contains("profil@example.de"));
    let list = consultant.get("/consultant").await;
    assert!(list.body.contains("Sie haben noch kein Profil"));

    // A profile without a name is refused, stores nothing and keeps what was typed.
    let empty = consultant
        .submit(
            "/consultant/profile",
            "/consultant/profile",
            &[("name", " "), ("firm", "Berger Marketing")],
        )
        .await;
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert!(empty.body.contains("Ihr Name fehlt"));
    assert!(empty.body.contains("value=\"Berger Marketing\""));
    assert!(
        app.get(&path).await.body.contains("profil@example.de"),
        "nothing stored"
    );
    let saved = consultant
        .submit(
            "/consultant/profile",
            "/consultant/profile",
            &[
                ("name", "Anna <Berger>"),
                ("firm", "Berger Marketing"),
                ("contact", "0351 123456"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("Ihr Profil ist gespeichert"));
    // Shown (escaped) on the invitation with the contact, and on the consultant's list.
    let invitation = app.get(&path).await.body;
    assert!(
        invitation.contains("Anna &lt;Berger&gt;, Berger Marketing"),
        "{invitation}"
    );
    assert!(invitation.contains("0351 123456"));
    assert!(!invitation.contains("profil@example.de"));
    let list = consultant.get("/consultant").await;
    assert!(list.body.contains("Anna &lt;Berger&gt;, Berger Marketing"));
    // The firm that shares its result is told with whom, by name.
    let owner = app.accept_invitation(&link, true).await;
    app.complete_survey(&owner, Pick::Best, "de").await;
    let result = app.get(&format!("{owner}/result")).await;
    assert!(
        result
            .body
            .contains("Anna &lt;Berger&gt;, Berger Marketing")
    );

    // A chamber: its name (no firm) on its home page and its campaigns' pages.
    let chamber = app.login("statistik@hwk.example").await;
    let saved = chamber
        .submit(
            "/chamber/profile",
            "/chamber/profile",
            &[
                ("name", "Handwerkskammer Musterstadt"),
                ("firm", "ignored"),
                ("contact", "statistik@hwk.example"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(
        !saved.body.contains("ignored"),
        "chambers have no firm field"
    );
    let home = chamber.get("/chamber").await;
    assert!(home.body.contains("Handwerkskammer Musterstadt"));
    let created = chamber
        .submit(
            "/chamber",
            "/chamber/campaigns",
            &[
                ("name", "Digitaltag"),
                ("from", "2026-01"),
                ("to", "2026-12"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let campaign = chamber.get(&created.location()).await;
    let code_at = campaign.body.find("/c/").expect("campaign link");
    let code: String = campaign.body[code_at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let landing = app.get(&format!("/c/{code}")).await;
    assert_eq!(landing.status, 200);
    assert!(
        landing.body.contains(
            "Eine Kampagne von Handwerkskammer Musterstadt. Kontakt: statistik@hwk.example"
        ),
        "{}",
        landing.body
    );
}

async fn error_pages_keep_the_account_navigation(app: TestApp) {
    app.create_user(Role::Consultant, "nav@example.de").await;
    let consultant = app.login("nav@example.de").await;
    let missing = consultant.get("/consultant/clients/999999").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("class=\"account-nav\""),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("nav@example.de"));
    assert!(missing.body.contains("Nicht gefunden"));
    // An address that is no route at all, and another role's area.
    let nowhere = consultant.get("/nirgendwo").await;
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.body.contains("class=\"account-nav\""));
    let forbidden = consultant.get("/chamber").await;
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.body.contains("class=\"account-nav\""));
    // Anonymous visitors get the same page without it.
    let anonymous = app.get("/nirgendwo").await;
    assert_eq!(anonymous.status, 404);
    assert!(!anonymous.body.contains("class=\"account-nav\""));
}

/// The `mailto:` links on a page as written in the HTML (entities undone): (raw href, subject, body).
fn mail_links(body: &str) -> Vec<(String, String, String)> {
    body.split("class=\"mail-link\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#x3D;", "=").replace("&amp;", "&"))
        .map(|href| {
            let query = href.strip_prefix("mailto:?").unwrap_or_default().to_owned();
            let value = |name: &str| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let (subject, text) = (value("subject"), value("body"));
            (href, subject, text)
        })
        .collect()
}

/// RFC 6068 percent-encoding as the page should write it, to compare with the raw href.
fn percent_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn open_invitations_come_with_a_prefilled_mail(app: TestApp) {
    app.create_user(Role::Consultant, "eta-beraterin@example.de")
        .await;
    let consultant = app.login("eta-beraterin@example.de").await;
    let (page_path, link) = create_client(&consultant, "Eta Elektro & Söhne", "").await;

    let page = consultant.get(&page_path).await;
    let mails = mail_links(&page.body);
    assert_eq!(mails.len(), 1, "one open invitation, one mail link");
    let (href, subject, text) = &mails[0];
    assert!(page.body.contains(">Per E-Mail senden<"));
    // The invitation URL and the subject are percent-encoded in the address itself.
    assert!(href.contains(&percent_encoded(&link)), "{href}");
    let expected_subject = "Einladung zum Social-Media-Readiness-Check für Eta Elektro & Söhne";
    assert!(
        href.starts_with(&format!(
            "mailto:?subject={}&body=",
            percent_encoded(expected_subject)
        )),
        "{href}"
    );
    assert!(!href.contains(' ') && !href.contains('+') && !href.contains('\n'));
    assert_eq!(subject, expected_subject);
    assert!(text.contains(&format!("Zum Check: {link}")), "{text}");
    assert!(text.contains("\r\n"), "line breaks as CRLF");
    // Without a profile the consultant is named by the login address.
    assert!(
        text.contains("eta-beraterin@example.de lädt Eta Elektro & Söhne"),
        "{text}"
    );

    // With a profile, by name; in English on the English page.
    let saved = consultant
        .submit(
            "/consultant/profile",
            "/consultant/profile",
            &[
                ("name", "Bea <Mail>"),
                ("firm", "Mail & Co"),
                ("contact", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let page = consultant.get(&format!("{page_path}?lang=en")).await;
    let (href, subject, text) = mail_links(&page.body).pop().expect("a mail link");
    assert!(page.body.contains(">Send by e-mail<"));
    assert!(!href.contains('<'), "the name is encoded, not raw");
    assert_eq!(
        subject,
        "Invitation to the Social Media Readiness Check for Eta Elektro & Söhne"
    );
    assert!(text.contains("Bea <Mail>, Mail & Co invites"), "{text}");
    assert!(!text.contains("eta-beraterin@example.de"));
    assert!(text.contains(&link));

    // A used invitation has no link to pass on.
    app.accept_invitation(&link, true).await;
    let page = consultant.get(&page_path).await;
    assert!(mail_links(&page.body).is_empty());
    assert!(!page.body.contains("Per E-Mail senden"));

    // The chamber's campaign link likewise, naming the chamber.
    app.create_user(Role::Chamber, "hwk-nord@example.de").await;
    let chamber = app.login("hwk-nord@example.de").await;
    let (id, code) = crate::chambers::create_campaign(&chamber, "Mailwoche").await;
    let page = chamber.get(&format!("/chamber/campaigns/{id}")).await;
    let (href, subject, text) = mail_links(&page.body).pop().expect("a campaign mail link");
    let campaign_link = format!("{}/c/{code}", app.address);
    assert!(href.contains(&percent_encoded(&campaign_link)), "{href}");
    assert!(subject.contains("Kostenloser Check"), "{subject}");
    assert!(
        text.contains(&format!("Zum Check: {campaign_link}")),
        "{text}"
    );
    assert!(text.contains("hwk-nord@example.de lädt Sie"), "{text}");
}

on_both_databases!(
    open_invitations_come_with_a_prefilled_mail,
    consultant_invites_two_clients_and_downloads_their_reports,
    a_re_assessment_shows_the_change_and_counts_the_firm_once,
    without_consent_the_consultant_sees_only_the_status,
    client_input_is_checked,
    profiles_name_the_consultant_and_the_chamber_to_the_firms,
    error_pages_keep_the_account_navigation,
);
