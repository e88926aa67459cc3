//! The owner's journey in German and English: landing, consent (first without it), every survey
//! page (one with a missing answer), the browser closed mid-way and the check resumed with the
//! private link in a fresh browser, review, submit, result, PDF, JSON export, delete.
use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::{answer_page, main_text, submit_and_wait};
use crate::harness::{Ctx, Page, t};

/// The page where the browser is closed and the check resumed.
const CLOSE_AT_STEP: usize = 5;

pub async fn german(ctx: &Ctx) -> Result<()> {
    journey(ctx, "de").await
}

pub async fn english(ctx: &Ctx) -> Result<()> {
    journey(ctx, "en").await
}

/// "Schritt 3 von 10" → (3, 10).
async fn progress(page: &Page<'_>) -> Result<(usize, usize)> {
    let label = page.text("#progress-label").await?;
    let numbers: Vec<usize> = label
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers[..] {
        [step, total] => Ok((step, total)),
        _ => bail!("no progress in {label:?}"),
    }
}

async fn journey(ctx: &Ctx, lang: &str) -> Result<()> {
    let label = format!("owner-{lang}");
    let page = Page::open(ctx, &label).await?;
    // --- landing, in the person's language ----------------------------------------------
    page.goto("/").await?;
    if lang != "de" {
        page.click(&format!("a[hreflang={lang}]")).await?;
    }
    let h1 = page.h1().await?;
    ensure!(h1 == t("landing_title", lang), "landing page, saw {h1:?}");
    ensure!(
        page.find("html").await?.attr("lang").await?.as_deref() == Some(lang),
        "html lang"
    );
    page.check_page_state("landing").await?;

    // Mistake: start without consent. The error stands at the checkbox; nothing is stored.
    let stored = ctx.response_count().await?;
    submit_and_wait(&page, ".start-form button[type=submit]").await?;
    let error = page.find("#consent-error").await?;
    ensure!(error.is_displayed().await?, "consent error not shown");
    ensure!(
        error.text().await?.contains(&t("consent_missing", lang)),
        "consent error text"
    );
    let checkbox = page.find("#consent").await?;
    ensure!(
        checkbox.attr("aria-invalid").await?.as_deref() == Some("true"),
        "checkbox not marked invalid"
    );
    let (_, error_y, _, error_h) = error.rectangle().await?;
    let (_, box_y, _, _) = checkbox.rectangle().await?;
    ensure!(
        box_y >= error_y && box_y - (error_y + error_h) < 80.0,
        "the consent error is not at the checkbox (error at {error_y}, box at {box_y})"
    );
    ensure!(
        ctx.response_count().await? == stored,
        "stored without consent"
    );
    page.check_page_state("landing-consent-missing").await?;

    // --- consent and the first pages ----------------------------------------------------
    page.click("label[for=consent]").await?;
    submit_and_wait(&page, ".start-form button[type=submit]").await?;
    ensure!(
        ctx.response_count().await? == stored + 1,
        "no response stored"
    );
    let link = page
        .find(".private-link a")
        .await?
        .attr("href")
        .await?
        .context("private link")?;
    let (mut step, total) = progress(&page).await?;
    ensure!(
        step == 1 && total >= 3,
        "first page is 1 of n, got {step} of {total}"
    );

    let mut page = page;
    let mut headings = Vec::new();
    loop {
        headings.push(page.h1().await?);
        page.check_page_state(&format!("step-{step}")).await?;
        if step == 2 {
            // Mistake: Next with nothing answered. The summary names the missing questions.
            submit_and_wait(&page, "button[value=next]").await?;
            ensure!(progress(&page).await?.0 == 2, "went on without answers");
            let summary = page.find(".error-summary").await?;
            ensure!(summary.is_displayed().await?, "no error summary");
            let summary = summary.text().await?;
            ensure!(
                summary.contains(&t("errors_heading", lang)),
                "summary heading: {summary}"
            );
            let legend = page.text("fieldset.question legend").await?;
            let question = legend
                .split(" (")
                .next()
                .unwrap_or(&legend)
                .trim()
                .to_owned();
            let named = summary.contains(&question)
                && !page
                    .find_all(".error-summary a[href^='#']")
                    .await?
                    .is_empty();
            ensure!(
                named,
                "the error summary does not name the missing question {question:?} with a link to it: {summary}"
            );
            page.check_page_state("step-2-missing-answers").await?;
        }
        if step == 1 {
            page.find("#firm_name")
                .await?
                .send_keys("Müller & Söhne")
                .await?;
        }
        answer_page(&page, 1).await?;
        submit_and_wait(&page, "button[value=next]").await?;
        if step == total {
            break;
        }
        let (now, _) = progress(&page)
            .await
            .with_context(|| format!("after step {step}"))?;
        ensure!(now == step + 1, "Next on {step} led to {now}");
        step = now;
        if step == CLOSE_AT_STEP {
            // The person closes the browser and comes back later with the private link.
            page.close().await?;
            page = Page::open(ctx, &label).await?;
            page.goto(&link).await?;
            let (resumed, _) = progress(&page).await?;
            ensure!(
                resumed == CLOSE_AT_STEP,
                "the link resumed at {resumed}, not at the first unanswered page {CLOSE_AT_STEP}"
            );
            ensure!(
                page.find("html").await?.attr("lang").await?.as_deref() == Some(lang),
                "resumed in another language"
            );
        }
    }

    // --- review and submit ----------------------------------------------------------------
    ensure!(page.h1().await? == t("review_title", lang), "review page");
    let review = main_text(&page).await?;
    ensure!(
        !review.contains(&t("not_answered", lang)),
        "the review shows unanswered questions"
    );
    ensure!(review.contains("Müller & Söhne"), "firm name on review");
    page.check_page_state("review").await?;
    submit_and_wait(&page, "form button.primary").await?;

    // --- result ------------------------------------------------------------------------
    let h1 = page.h1().await?;
    ensure!(
        h1.starts_with(&t("result_title", lang)),
        "result page: {h1}"
    );
    let score: u32 = page
        .text(".overall-score .value strong")
        .await?
        .trim()
        .parse()
        .context("score")?;
    ensure!(score <= 100, "score {score}");
    let level = page.find(".overall-level .level-name").await?;
    ensure!(
        level.is_displayed().await? && !level.text().await?.trim().is_empty(),
        "level not visible"
    );
    page.check_page_state("result").await?;

    // The report and the export, fetched as a download would.
    let report = page.prop(".download a", "href").await?;
    let (status, content_type, pdf) = ctx.fetch(&report).await?;
    ensure!(
        status == 200 && content_type.starts_with("application/pdf") && pdf.starts_with(b"%PDF"),
        "report: {status} {content_type}"
    );
    let pdf_file = crate::harness::screens_dir().join(format!("{label}-report.pdf"));
    std::fs::write(&pdf_file, &pdf)?;
    let export = page.prop(".owner-data a[download]", "href").await?;
    let (status, content_type, json) = ctx.fetch(&export).await?;
    ensure!(
        status == 200 && content_type.starts_with("application/json"),
        "export: {status} {content_type}"
    );
    let json: Value = serde_json::from_slice(&json).context("export is JSON")?;
    ensure!(
        json.to_string().contains("Müller & Söhne"),
        "the export holds the firm's answers"
    );

    // --- delete (first without the confirmation) ----------------------------------------
    let delete = page
        .find(".owner-data .actions-row a:not([download])")
        .await?;
    delete.click().await?;
    ensure!(page.h1().await? == t("delete_title", lang), "delete page");
    page.check_page_state("delete").await?;
    submit_and_wait(&page, "button.danger").await?;
    ensure!(
        page.find("#confirm-error").await?.is_displayed().await?,
        "deleting without the confirmation says so"
    );
    ensure!(
        ctx.response_count().await? == stored + 1,
        "deleted without confirmation"
    );
    page.check_page_state("delete-unconfirmed").await?;
    page.click("label[for=confirm]").await?;
    submit_and_wait(&page, "button.danger").await?;
    ensure!(page.h1().await? == t("deleted_title", lang), "deleted page");
    ensure!(
        ctx.response_count().await? == stored,
        "the response is still stored"
    );
    page.check_page_state("deleted").await?;
    page.goto(&link).await?;
    // The deleted response no longer knows its language: the browser's (German) decides.
    let h1 = page.h1().await?;
    ensure!(
        h1 == t("error_title_404", lang) || h1 == t("error_title_404", "de"),
        "the link still opens something: {h1}"
    );
    page.check_page_state("link-gone").await?;
    let _ = headings;
    page.close().await?;
    Ok(())
}
