//! The journeys, one module per person: owner, consultant, chamber, admin.
pub mod admin;
pub mod chamber;
pub mod consultant;
pub mod cross_origin;
pub mod keyboard;
pub mod owner;

use anyhow::{Result, ensure};

use crate::harness::{Page, eventually};

/// Clicks a submit control and waits until the browser has left `from` (a new page loaded).
pub async fn submit_and_wait(page: &Page<'_>, css: &str) -> Result<()> {
    let before = page.script("return performance.timeOrigin").await?;
    page.click(css).await?;
    eventually(&format!("a new page after clicking {css}"), || async {
        let now = page.script("return performance.timeOrigin").await?;
        let ready = page.script("return document.readyState").await?;
        Ok(now != before && ready == "complete")
    })
    .await
}

/// Answers every question on a survey page by clicking labels, as a person with a mouse does:
/// the `nth` option of each radio group (or the last, if fewer), the first box of each checkbox group.
pub async fn answer_page(page: &Page<'_>, nth: usize) -> Result<()> {
    let ids = page
        .script(&format!(
            "return [...document.querySelectorAll('fieldset.question')].map(f => {{ \
               const inputs = [...f.querySelectorAll('input')]; \
               if (inputs.length === 0) return null; \
               if (inputs[0].type === 'checkbox') return inputs[0].id; \
               return inputs[Math.min({nth}, inputs.length - 1)].id; }}).filter(Boolean)"
        ))
        .await?;
    let ids: Vec<String> = ids
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ensure!(!ids.is_empty(), "no questions on {}", page.path().await?);
    for id in ids {
        page.click(&format!("label[for=\"{id}\"]")).await?;
    }
    Ok(())
}

/// The text of the page's main content.
pub async fn main_text(page: &Page<'_>) -> Result<String> {
    page.text("main").await
}

/// A password that passes the policy, for the accounts the journeys create.
pub const PASSWORD: &str = "Kammer und Beratung 2026";

/// Creates an account as `user add` on the server does.
pub async fn create_account(
    ctx: &crate::harness::Ctx,
    role: social_readiness::accounts::Role,
    email: &str,
) -> Result<()> {
    social_readiness::auth::Auth::new(ctx.store.clone())
        .create_user(email, role, PASSWORD)
        .await
        .map_err(|e| anyhow::anyhow!("creating {email}: {e}"))?;
    Ok(())
}

/// Types into a form field, replacing what it held.
pub async fn fill(page: &Page<'_>, css: &str, value: &str) -> Result<()> {
    let field = page.find(css).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// Sets a field whose browser widget WebDriver cannot type into (`<input type=month>`,
/// `<select>`) as the widget would.
pub async fn set_value(page: &Page<'_>, css: &str, value: &str) -> Result<()> {
    let found = page
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; \
             e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true})); \
             return e.value === arguments[1];",
            vec![css.into(), value.into()],
        )
        .await?;
    ensure!(found == true, "cannot set {css} to {value:?}");
    Ok(())
}

/// Fills the password form (current, new, the new one again) and sends it.
pub async fn change_password(
    page: &Page<'_>,
    current: &str,
    new: &str,
    repeated: &str,
) -> Result<()> {
    fill(page, "#current_password", current).await?;
    fill(page, "#new_password", new).await?;
    fill(page, "#new_password_confirm", repeated).await?;
    submit_and_wait(page, "form.stacked-form button.primary").await
}

/// Logs in through the login form and waits for the page after it.
pub async fn login(page: &Page<'_>, email: &str, password: &str) -> Result<()> {
    fill(page, "#email", email).await?;
    fill(page, "#password", password).await?;
    submit_and_wait(page, "form.stacked-form button[type=submit]").await
}

/// Goes through a started survey from its current page to the result: every page answered with
/// the `nth` option of each question (ticked in one script per page, to keep the suite quick;
/// the owner's journeys click each label), then review and submit.
pub async fn complete_survey(page: &Page<'_>, nth: usize, firm: &str) -> Result<()> {
    for _ in 0..40 {
        if page.find_all("#progress-label").await?.is_empty() {
            break;
        }
        page.client
            .execute(
                "const nth = arguments[0], firm = arguments[1]; \
                 const name = document.getElementById('firm_name'); \
                 if (name && !name.value) name.value = firm; \
                 for (const f of document.querySelectorAll('fieldset.question')) { \
                   const inputs = [...f.querySelectorAll('input')]; \
                   if (inputs.length === 0) continue; \
                   if (inputs[0].type === 'checkbox') { inputs[nth % inputs.length].checked = true; } \
                   else { inputs[Math.min(nth, inputs.length - 1)].checked = true; } \
                 }",
                vec![nth.into(), firm.into()],
            )
            .await?;
        submit_and_wait(page, "button[value=next]").await?;
    }
    ensure!(
        page.h1().await? == crate::harness::t("review_title", "de"),
        "not on the review page after the survey: {}",
        page.path().await?
    );
    submit_and_wait(page, "form button.primary").await?;
    ensure!(
        page.path().await?.contains("/result"),
        "not on the result after submitting: {}",
        page.path().await?
    );
    Ok(())
}

/// The whole text of the page's `<body>` (navigation included).
pub async fn body_text(page: &Page<'_>) -> Result<String> {
    page.text("body").await
}

/// Fills the account's profile from its own page (first without a name), returns to `home`.
pub async fn set_profile(
    page: &Page<'_>,
    name: &str,
    firm: Option<&str>,
    contact: &str,
) -> Result<()> {
    let home = page.path().await?;
    page.click(".profile-box a").await?;
    ensure!(
        page.h1().await? == crate::harness::t("account_profile_title", "de"),
        "profile page"
    );
    page.check_page_state("profile").await?;
    fill(page, "#profile-contact", contact).await?;
    submit_and_wait(page, "form.stacked-form button.primary").await?;
    ensure!(
        page.find("#profile-name-error")
            .await?
            .is_displayed()
            .await?,
        "a profile without a name is refused at the field"
    );
    ensure!(
        page.find("#profile-contact")
            .await?
            .prop("value")
            .await?
            .as_deref()
            == Some(contact),
        "the contact is kept after the error"
    );
    page.check_page_state("profile-without-name").await?;
    fill(page, "#profile-name", name).await?;
    if let Some(firm) = firm {
        fill(page, "#profile-firm", firm).await?;
    }
    submit_and_wait(page, "form.stacked-form button.primary").await?;
    ensure!(
        page.text("p.confirmation")
            .await?
            .contains(&crate::harness::t("account_profile_saved", "de")),
        "the profile is saved"
    );
    page.check_page_state("profile-saved").await?;
    page.goto(&home).await?;
    let shown = page.text(".profile-box").await?;
    ensure!(
        shown.contains(name) && shown.contains(contact),
        "the home page shows the profile: {shown}"
    );
    Ok(())
}
