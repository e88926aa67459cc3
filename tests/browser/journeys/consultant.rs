//! The consultant's journey: login, a client created (first without a name), the invitation
//! opened by the client in a fresh browser profile and the result shared, the client page, the
//! PDF, the ZIP of all reports, a second client who declines, and a re-assessment with the
//! change table.
use anyhow::{Context, Result, ensure};
use social_readiness::accounts::Role;

use super::{
    PASSWORD, complete_survey, create_account, fill, login, main_text, set_profile, submit_and_wait,
};
use crate::harness::{Ctx, Page, screens_dir, t};

const CONSULTANT: &str = "berater@journey.example";
const FIRM: &str = "Bäckerei Schmidt & Töchter";

/// The client opens the invitation in a browser of their own, agrees to the survey and to
/// sharing, and answers every page with the `nth` option. Returns the score they see and the
/// result's private address.
async fn client_takes_check(
    ctx: &Ctx,
    link: &str,
    nth: usize,
    check: bool,
) -> Result<(u32, String)> {
    let client = Page::open(ctx, "consultant-client").await?;
    client.goto(link).await?;
    ensure!(
        client.h1().await? == t("invitation_title", "de"),
        "invitation page: {}",
        client.h1().await?
    );
    let text = main_text(&client).await?;
    ensure!(text.contains(FIRM), "the invitation names the firm");
    ensure!(
        text.contains("Anna Berger, Berger Marketing") && text.contains("0351 123456"),
        "the invitation names the consultant by the profile: {text}"
    );
    ensure!(
        client
            .find("img[alt='Logo von Anna Berger, Berger Marketing']")
            .await?
            .is_displayed()
            .await?,
        "the invitation shows the consultant's logo"
    );
    if check {
        client.check_page_state("invitation").await?;
    }
    client.click("label[for=consent]").await?;
    client.click("label[for=share]").await?;
    submit_and_wait(&client, "button[value=start]").await?;
    complete_survey(&client, nth, FIRM).await?;
    let score: u32 = client
        .text(".overall-score .value strong")
        .await?
        .trim()
        .parse()
        .context("score")?;
    if check {
        client.check_page_state("result").await?;
    }
    let result = client.path().await?;
    client.close().await?;
    Ok((score, result))
}

/// The brand page, reached from the home page's profile box: a light accent is refused at its
/// field with the contrast it has; a logo chosen through the real file input and a dark accent
/// are saved, and the logo is shown with its text alternative.
async fn set_brand(page: &Page<'_>) -> Result<()> {
    use social_readiness::brand::{Pixels, encode_png};
    let home = page.path().await?;
    page.click(".profile-box a[href^='/consultant/brand']")
        .await?;
    ensure!(
        page.h1().await? == t("brand_title", "de"),
        "brand page: {}",
        page.h1().await?
    );
    page.check_page_state("brand").await?;
    let (w, h) = (120u32, 40u32);
    let logo = encode_png(&Pixels {
        width: w,
        height: h,
        rgb: (0..w * h)
            .flat_map(|i| [0x7a, (i % 255) as u8, 0x0e])
            .collect(),
        alpha: None,
    });
    let file = std::env::temp_dir().join(format!("journey-logo-{}.png", std::process::id()));
    std::fs::write(&file, &logo)?;
    let path = file.to_string_lossy().into_owned();
    fill(page, "#brand-accent", "#ffcc00").await?;
    page.find("#brand-logo").await?.send_keys(&path).await?;
    submit_and_wait(page, "form.stacked-form button.primary").await?;
    ensure!(
        page.find("#brand-accent-error")
            .await?
            .is_displayed()
            .await?,
        "a light accent is refused at the field"
    );
    let error = page.text("#brand-accent-error").await?;
    ensure!(error.contains("4,5:1"), "the refusal says why: {error}");
    page.check_page_state("brand-error").await?;
    fill(page, "#brand-accent", "#7a2e0e").await?;
    // The browser forgets a chosen file when the page comes back: chosen again.
    page.find("#brand-logo").await?.send_keys(&path).await?;
    submit_and_wait(page, "form.stacked-form button.primary").await?;
    ensure!(
        page.text("p.confirmation")
            .await?
            .contains(&t("brand_saved", "de")),
        "the brand is saved"
    );
    ensure!(
        page.find(".brand-logo img[alt='Logo von Anna Berger, Berger Marketing']")
            .await?
            .is_displayed()
            .await?,
        "the saved logo is shown with its text alternative"
    );
    page.check_page_state("brand-saved").await?;
    let _ = std::fs::remove_file(&file);
    page.goto(&home).await?;
    Ok(())
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    create_account(ctx, Role::Consultant, CONSULTANT).await?;
    let page = Page::open(ctx, "consultant").await?;
    page.goto("/consultant").await?;
    // Not logged in: the login form, which brings the consultant back afterwards.
    ensure!(page.h1().await? == t("login_title", "de"), "login first");
    login(&page, CONSULTANT, PASSWORD).await?;
    ensure!(
        page.h1().await? == t("consultant_title", "de"),
        "consultant's page after login: {}",
        page.h1().await?
    );
    page.check_page_state("clients-empty").await?;
    set_profile(
        &page,
        "Anna Berger",
        Some("Berger Marketing"),
        "0351 123456",
    )
    .await?;
    set_brand(&page).await?;

    // --- a client, first without a name ------------------------------------------------
    fill(&page, "#contact", "Frau Schmidt").await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    ensure!(
        !page.find_all(".errors .error-text").await?.is_empty(),
        "a client without a name is refused with a message"
    );
    ensure!(
        page.find("#contact").await?.prop("value").await?.as_deref() == Some("Frau Schmidt"),
        "the contact is kept after the error"
    );
    page.check_page_state("client-without-name").await?;
    fill(&page, "#firm_name", FIRM).await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    ensure!(
        page.h1().await? == FIRM,
        "client page: {}",
        page.h1().await?
    );
    let link = page.prop("#invite-1", "value").await?;
    ensure!(link.contains("/i/"), "invitation link {link}");
    page.check_page_state("client-invited").await?;
    let client_path = page.path().await?;

    // --- the client takes the check and shares it ----------------------------------------
    let (first_score, _) = client_takes_check(ctx, &link, 0, true).await?;
    page.goto(&client_path).await?;
    let text = main_text(&page).await?;
    ensure!(
        text.contains(&t("status_finished", "de")),
        "the client page shows the finished check"
    );
    ensure!(
        page.text(".overall-score .value strong").await?.trim() == first_score.to_string(),
        "the consultant sees the score the client saw ({first_score})"
    );
    page.check_page_state("client-shared").await?;

    // --- the PDF and the ZIP, downloaded as this browser would -----------------------------
    let report = page.prop(".download a", "href").await?;
    let (status, content_type, pdf) = page.download(&report).await?;
    ensure!(
        status == 200 && content_type.starts_with("application/pdf") && pdf.starts_with(b"%PDF"),
        "client report: {status} {content_type}"
    );
    std::fs::write(screens_dir().join("consultant-client-report.pdf"), &pdf)?;

    // --- a second client declines the invitation ------------------------------------------
    page.goto("/consultant").await?;
    fill(&page, "#firm_name", "Malerbetrieb Krause").await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    let declined_link = page.prop("#invite-1", "value").await?;
    let other = Page::open(ctx, "consultant-client").await?;
    other.goto(&declined_link).await?;
    submit_and_wait(&other, "button[value=decline]").await?;
    ensure!(
        main_text(&other)
            .await?
            .contains(&t("invitation_declined", "de")),
        "declining is confirmed"
    );
    other.check_page_state("invitation-declined").await?;
    other.close().await?;

    page.goto("/consultant").await?;
    let list = main_text(&page).await?;
    ensure!(
        list.contains(&t("status_declined", "de")) && list.contains(&first_score.to_string()),
        "the list shows the declined invitation and the shared score: {list}"
    );
    page.check_page_state("clients").await?;
    let zip = page
        .prop("a[href^='/consultant/reports.zip']", "href")
        .await?;
    let (status, content_type, bytes) = page.download(&zip).await?;
    ensure!(
        status == 200 && content_type.starts_with("application/zip") && bytes.starts_with(b"PK"),
        "reports ZIP: {status} {content_type}"
    );
    // One report in it: the declined client has none.
    let entries = bytes.windows(4).filter(|w| w == b"PK\x01\x02").count();
    ensure!(entries == 1, "the ZIP holds {entries} reports, not 1");
    std::fs::write(screens_dir().join("consultant-reports.zip"), &bytes)?;

    // --- re-assessment: a new invitation, a better result, the change table ----------------
    page.goto(&client_path).await?;
    submit_and_wait(&page, "form.inline-form button.secondary").await?;
    let second_link = page.prop("#invite-2", "value").await?;
    ensure!(second_link != link, "a new link for the re-assessment");
    page.check_page_state("client-reinvited").await?;
    let (second_score, second_result) = client_takes_check(ctx, &second_link, 3, false).await?;
    page.goto(&client_path).await?;
    let table = page
        .text("table.progress")
        .await
        .context("the change table after the second assessment")?;
    ensure!(
        table.contains(&first_score.to_string()) && table.contains(&second_score.to_string()),
        "the change table shows {first_score} → {second_score}: {table}"
    );
    page.check_page_state("client-progress").await?;
    let (status, _, pdf) = page.download(&report).await?;
    ensure!(
        status == 200 && pdf.starts_with(b"%PDF"),
        "report with the change: {status}"
    );
    std::fs::write(screens_dir().join("consultant-client-progress.pdf"), &pdf)?;
    // The list shows the trend; the first assessment opens again.
    page.goto("/consultant").await?;
    let trend = format!("{first_score} → {second_score}");
    ensure!(
        main_text(&page).await?.contains(&trend),
        "the list shows the trend {trend}"
    );
    page.check_page_state("clients-trend").await?;
    page.goto(&client_path).await?;
    page.click("ol.invitations a").await?;
    ensure!(
        page.text(".overall-score .value strong").await?.trim() == first_score.to_string(),
        "the earlier assessment opens with its score {first_score}"
    );
    page.check_page_state("client-earlier-assessment").await?;

    // --- the client withdraws the sharing of the second check from the result page ---------
    let owner = Page::open(ctx, "consultant-client").await?;
    owner.goto(&second_result).await?;
    submit_and_wait(&owner, ".withdraw-form button").await?;
    ensure!(
        owner.find_all(".withdraw-form").await?.is_empty()
            && main_text(&owner).await?.contains("Anna Berger"),
        "the result page says the sharing ended"
    );
    owner.check_page_state("result-sharing-withdrawn").await?;
    owner.close().await?;
    page.goto(&client_path).await?;
    ensure!(
        main_text(&page)
            .await?
            .contains(&t("status_withdrawn", "de")),
        "the consultant sees the withdrawal"
    );
    page.check_page_state("client-withdrawn").await?;

    // --- a wrong address: the error page keeps the account's navigation -------------------
    page.goto("/consultant/clients/999999").await?;
    ensure!(
        page.h1().await? == t("error_title_404", "de")
            && page.find_all("nav.account-nav").await?.len() == 1,
        "the 404 page of a logged-in consultant has the account navigation"
    );
    page.check_page_state("error-404").await?;
    page.close().await?;
    Ok(())
}
