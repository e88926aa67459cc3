//! The chamber's journey: login, a campaign created (first with a period that ends before it
//! starts), its QR code (SVG and PNG), a dozen firms through the campaign link (the first one
//! forgetting the survey consent), the dashboard with each filter and with wrong ones, the CSV
//! as German Excel reads it and the board PDF.
use anyhow::{Context, Result, ensure};
use social_readiness::accounts::Role;

use super::{
    PASSWORD, body_text, complete_survey, create_account, fill, login, main_text, set_profile,
    set_value, submit_and_wait,
};
use crate::harness::{Ctx, Page, screens_dir, t};

const CHAMBER: &str = "statistik@hwk.example";
const CAMPAIGN: &str = "Digitaltag Handwerk";
/// Firms through the campaign link: enough for the dashboard (k = 5) to publish groups.
const FIRMS: usize = 12;

/// The current month as the browser's month picker writes it ("2026-11").
async fn this_month(page: &Page<'_>) -> Result<String> {
    Ok(page
        .script("const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0');")
        .await?
        .as_str()
        .context("month")?
        .to_owned())
}

/// One firm: opens the campaign link in its own browser, ticks both boxes, takes the check.
async fn firm_takes_check(ctx: &Ctx, link: &str, n: usize) -> Result<()> {
    let firm = Page::open(ctx, "chamber-firm").await?;
    firm.goto(link).await?;
    if n == 0 {
        let text = main_text(&firm).await?;
        ensure!(
            text.contains(CAMPAIGN) && text.contains("Handwerkskammer Musterstadt"),
            "the campaign page names the campaign and the chamber: {text}"
        );
        firm.check_page_state("campaign-landing").await?;
        // Mistake: the statistics tick without the survey consent. The error is shown and
        // the statistics tick is still set, so the firm does not silently drop out.
        firm.click("label[for=count]").await?;
        submit_and_wait(&firm, ".start-form button[type=submit]").await?;
        ensure!(
            firm.find("#consent-error").await?.is_displayed().await?,
            "the missing consent is named"
        );
        ensure!(
            firm.find("#count").await?.is_selected().await?,
            "the statistics tick was lost after the error"
        );
        firm.check_page_state("campaign-landing-consent-missing")
            .await?;
    } else {
        firm.click("label[for=count]").await?;
    }
    firm.click("label[for=consent]").await?;
    submit_and_wait(&firm, ".start-form button[type=submit]").await?;
    complete_survey(&firm, n % 3, &format!("Betrieb {n}")).await?;
    if n == 0 {
        firm.check_page_state("campaign-result").await?;
    }
    firm.close().await?;
    Ok(())
}

/// Applies the dashboard's filter form with `fields` set (all others as they are).
async fn filter(page: &Page<'_>, fields: &[(&str, &str)]) -> Result<()> {
    for (css, value) in fields {
        set_value(page, css, value).await?;
    }
    submit_and_wait(page, "form.filters button[type=submit]").await
}

async fn participants(page: &Page<'_>) -> Result<String> {
    Ok(page
        .text("[data-cell=participants]")
        .await?
        .trim()
        .to_owned())
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    create_account(ctx, Role::Chamber, CHAMBER).await?;
    let page = Page::open(ctx, "chamber").await?;
    page.goto("/login").await?;
    login(&page, CHAMBER, PASSWORD).await?;
    ensure!(
        page.h1().await? == t("chamber_title", "de"),
        "chamber's page after login: {}",
        page.h1().await?
    );
    page.check_page_state("home-empty").await?;
    set_profile(
        &page,
        "Handwerkskammer Musterstadt",
        None,
        "statistik@hwk.example",
    )
    .await?;

    // --- a campaign, first with a period that ends before it starts -----------------------
    let month = this_month(&page).await?;
    let year: i32 = month[..4].parse()?;
    let last_year = format!("{}{}", year - 1, &month[4..]);
    fill(&page, "#name", CAMPAIGN).await?;
    set_value(&page, "#from", &month).await?;
    set_value(&page, "#to", &last_year).await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    ensure!(
        !page.find_all(".errors .error-text").await?.is_empty(),
        "a period ending before it starts is refused with a message"
    );
    ensure!(
        page.find("#name").await?.prop("value").await?.as_deref() == Some(CAMPAIGN),
        "the name is kept after the error"
    );
    page.check_page_state("campaign-invalid").await?;
    set_value(&page, "#from", &month).await?;
    set_value(&page, "#to", &month).await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    ensure!(
        page.h1().await? == CAMPAIGN,
        "campaign page: {}",
        page.h1().await?
    );
    page.check_page_state("campaign").await?;
    let link = page.prop("#campaign-link", "value").await?;
    ensure!(link.contains("/c/"), "campaign link {link}");

    // --- the QR code, as an SVG and as a PNG for print ------------------------------------
    for (css, signature, name) in [
        ("figure.qr a[href$='.svg']", &b"<svg"[..], "campaign-qr.svg"),
        (
            "figure.qr a[href$='.png']",
            &b"\x89PNG"[..],
            "campaign-qr.png",
        ),
    ] {
        let href = page.prop(css, "href").await?;
        let (status, _, bytes) = page.download(&href).await?;
        ensure!(
            status == 200 && bytes.windows(signature.len()).any(|w| w == signature),
            "QR code {href}: {status}"
        );
        std::fs::write(screens_dir().join(name), &bytes)?;
    }
    let dashboard = page
        .prop("a.button.primary[href*='/chamber/dashboard']", "href")
        .await?;

    // --- a dozen firms through the campaign link -----------------------------------------
    for n in 0..FIRMS {
        firm_takes_check(ctx, &link, n)
            .await
            .with_context(|| format!("firm {n}"))?;
    }

    // --- the dashboard: the campaign, then each filter ------------------------------------
    page.goto(&dashboard).await?;
    ensure!(
        participants(&page).await? == FIRMS.to_string(),
        "the campaign's dashboard counts {} firms, not {FIRMS}",
        participants(&page).await?
    );
    ensure!(
        page.find("table[data-table=scores]").await.is_ok(),
        "the scores are published for {FIRMS} firms"
    );
    // Every column at 1280 px: the all-firms band too.
    let band = page
        .find("table[data-table=scores] thead th:last-child")
        .await?;
    ensure!(
        band.is_displayed().await? && band.text().await? == t("all_firms_band", "de"),
        "the dashboard hides \"{}\" at 1280 px",
        t("all_firms_band", "de")
    );
    let hidden = page
        .script(
            "return [...document.querySelectorAll('.table-scroll')]\
               .filter(d => d.scrollWidth > d.clientWidth).length",
        )
        .await?;
    ensure!(hidden == 0, "{hidden} tables hide columns at 1280 px");
    page.check_page_state("dashboard-campaign").await?;
    page.goto("/chamber/dashboard").await?;
    page.check_page_state("dashboard-all").await?;
    // "*": the first real option of that list (the catalogue decides the codes).
    let steps: [(&str, &[(&str, &str)]); 6] = [
        ("period", &[("#f-from", &month), ("#f-to", &month)]),
        ("industry", &[("#f-industry", "*")]),
        ("size", &[("#f-industry", ""), ("#f-size", "*")]),
        ("region", &[("#f-size", ""), ("#f-region", "*")]),
        (
            "compare",
            &[
                ("#f-region", ""),
                ("#f-cfrom", &last_year),
                ("#f-cto", &last_year),
            ],
        ),
        (
            "campaign-filter",
            &[("#f-cfrom", ""), ("#f-cto", ""), ("#f-campaign", "*")],
        ),
    ];
    for (name, fields) in steps {
        let mut usable = Vec::new();
        for (css, value) in fields.iter() {
            let value = if *value == "*" {
                page.client
                    .execute(
                        "return document.querySelector(arguments[0]).options[1].value",
                        vec![(*css).into()],
                    )
                    .await?
                    .as_str()
                    .context("an option")?
                    .to_owned()
            } else {
                (*value).to_owned()
            };
            usable.push((*css, value));
        }
        let usable: Vec<(&str, &str)> = usable.iter().map(|(c, v)| (*c, v.as_str())).collect();
        filter(&page, &usable).await?;
        ensure!(
            page.find_all("#filter-errors").await?.is_empty(),
            "filter {name} refused: {}",
            main_text(&page).await?
        );
        for (css, value) in &usable {
            let kept = page
                .find(css)
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            ensure!(
                kept == *value,
                "filter {name}: {css} shows {kept:?}, not {value:?}"
            );
        }
        page.check_page_state(&format!("dashboard-{name}")).await?;
    }

    // --- wrong filters: the message on the dashboard, form, navigation and filters kept ----
    page.goto("/chamber/dashboard").await?;
    filter(&page, &[("#f-industry", ""), ("#f-cfrom", &last_year)]).await?;
    let errors = page
        .text("#filter-errors")
        .await
        .context("only a comparison start")?;
    ensure!(
        errors.contains(&t("filter_compare_to", "de")) || errors.to_lowercase().contains("bis"),
        "the message names the missing end of the comparison: {errors}"
    );
    ensure!(
        page.find("#f-cfrom").await?.prop("value").await?.as_deref() == Some(last_year.as_str()),
        "the comparison start is kept"
    );
    ensure!(
        body_text(&page).await?.contains(&t("logout", "de")),
        "the account navigation is kept"
    );
    page.check_page_state("dashboard-compare-incomplete")
        .await?;
    filter(
        &page,
        &[("#f-cfrom", ""), ("#f-from", &month), ("#f-to", &last_year)],
    )
    .await?;
    page.text("#filter-errors")
        .await
        .context("a period ending before it starts is refused on the dashboard")?;
    ensure!(
        page.find("#f-to").await?.prop("value").await?.as_deref() == Some(last_year.as_str()),
        "the wrong period is kept to be corrected"
    );
    page.check_page_state("dashboard-period-reversed").await?;

    // --- CSV (as German Excel reads it) and the board PDF, for the campaign ---------------
    page.goto(&dashboard).await?;
    let csv_href = page
        .prop("p.downloads a[href*='dashboard.csv']", "href")
        .await?;
    let (status, content_type, csv) = page.download(&csv_href).await?;
    ensure!(
        status == 200 && content_type.starts_with("text/csv"),
        "CSV: {status} {content_type}"
    );
    std::fs::write(screens_dir().join("chamber-dashboard.csv"), &csv)?;
    ensure!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "the CSV has no byte order mark"
    );
    let text = String::from_utf8(csv[3..].to_vec()).context("CSV is UTF-8")?;
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(';').collect()).collect();
    ensure!(rows.len() > 10, "the CSV has {} rows", rows.len());
    ensure!(
        rows.iter().all(|r| r.len() >= 3),
        "some CSV rows are not in columns when split on ';'"
    );
    ensure!(
        rows[0].first() == Some(&"Bereich") && text.contains("Teilnehmende;alle;Anzahl;12"),
        "the CSV is not in German: {}",
        rows[0].join(" | ")
    );
    let pdf_href = page
        .prop("p.downloads a[href*='dashboard.pdf']", "href")
        .await?;
    let (status, content_type, pdf) = page.download(&pdf_href).await?;
    ensure!(
        status == 200 && content_type.starts_with("application/pdf") && pdf.starts_with(b"%PDF"),
        "board PDF: {status} {content_type}"
    );
    std::fs::write(screens_dir().join("chamber-board.pdf"), &pdf)?;
    page.close().await?;
    Ok(())
}
