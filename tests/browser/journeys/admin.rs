//! The admin's journey: login, an account created (first with a wrong address), disabled after
//! a confirmation and enabled again, the own password changed (first with a mismatch), and the
//! new account's first login, where the initial password must be changed before anything else.
use anyhow::{Context, Result, ensure};
use social_readiness::accounts::Role;

use super::{
    PASSWORD, body_text, change_password, create_account, fill, login, main_text, submit_and_wait,
};
use crate::harness::{Ctx, Page, t};

const ADMIN: &str = "admin@journey.example";
const NEW_ACCOUNT: &str = "beraterin@journey.example";
const NEW_PASSWORD: &str = "Ein eigener Satz als Passwort";

pub async fn run(ctx: &Ctx) -> Result<()> {
    create_account(ctx, Role::Admin, ADMIN).await?;
    let page = Page::open(ctx, "admin").await?;
    page.goto("/login").await?;
    ensure!(page.h1().await? == t("login_title", "de"), "login page");
    page.check_page_state("login").await?;
    // A wrong password first: the form says so and keeps the address.
    login(&page, ADMIN, "not the password at all").await?;
    ensure!(
        page.find("#login-error").await?.is_displayed().await?,
        "a refused login says so"
    );
    page.check_page_state("login-refused").await?;
    login(&page, ADMIN, PASSWORD).await?;
    ensure!(
        page.path().await?.starts_with("/admin/users"),
        "admin lands on the account list, not {}",
        page.path().await?
    );
    page.check_page_state("users").await?;

    // --- create an account (first with an address that is none) ---------------------------
    fill(&page, "#email", "beraterin-at-journey").await?;
    page.click("label[for=role-consultant]").await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    ensure!(
        page.find("#account-error").await?.is_displayed().await?,
        "a wrong address is refused with a message"
    );
    ensure!(
        page.find("#role-consultant").await?.is_selected().await?,
        "the chosen role is kept after the error"
    );
    page.check_page_state("create-invalid").await?;
    fill(&page, "#email", NEW_ACCOUNT).await?;
    page.click("label[for=role-consultant]").await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    let initial = page
        .text("code.secret")
        .await
        .context("initial password shown")?;
    ensure!(initial.len() >= 12, "initial password {initial:?}");
    ensure!(
        main_text(&page).await?.contains(NEW_ACCOUNT),
        "the new account is listed"
    );
    page.check_page_state("created").await?;

    // --- disable: a confirmation first, then a message saying what happened ----------------
    let disable = page
        .find_all("table.listing a[href$='/disable?lang=de']")
        .await?;
    ensure!(
        disable.len() == 1,
        "one account to disable besides the admin's own"
    );
    disable[0].click().await?;
    ensure!(
        page.h1().await? == t("admin_confirm_title", "de"),
        "disabling asks first"
    );
    ensure!(
        main_text(&page).await?.contains(NEW_ACCOUNT),
        "the confirmation names the account"
    );
    page.check_page_state("confirm-disable").await?;
    // Cancel changes nothing.
    page.click("a.cancel-link").await?;
    ensure!(
        main_text(&page).await?.contains(&t("admin_active", "de")),
        "cancelled, the account is still active"
    );
    page.find("table.listing a[href$='/disable?lang=de']")
        .await?
        .click()
        .await?;
    submit_and_wait(&page, "form.stacked-form button.primary").await?;
    let notice = page.text("p.confirmation").await?;
    ensure!(
        notice.contains(NEW_ACCOUNT) && notice.contains(&t("admin_disabled", "de")),
        "no success message after disabling: {notice:?}"
    );
    page.check_page_state("disabled").await?;
    // While disabled, the account cannot log in.
    let other = Page::open(ctx, "admin-new-account").await?;
    other.goto("/login").await?;
    login(&other, NEW_ACCOUNT, &initial).await?;
    ensure!(
        other.path().await?.starts_with("/login"),
        "a disabled account logged in"
    );
    submit_and_wait(&page, "table.listing form button.secondary").await?;
    let notice = page.text("p.confirmation").await?;
    ensure!(
        notice.contains(NEW_ACCOUNT),
        "no success message after enabling: {notice:?}"
    );
    page.check_page_state("enabled").await?;

    // --- the admin's own password: a mismatch first ---------------------------------------
    page.click("a.account-email").await?;
    ensure!(
        page.h1().await? == t("password_title", "de"),
        "password page"
    );
    page.check_page_state("password").await?;
    change_password(
        &page,
        PASSWORD,
        NEW_PASSWORD,
        "Ein anderer Satz als Passwort",
    )
    .await?;
    ensure!(
        main_text(&page)
            .await?
            .contains(&t("password_mismatch", "de")),
        "a mismatch is named"
    );
    page.check_page_state("password-mismatch").await?;
    // Too short: the refusal names the rule.
    change_password(&page, PASSWORD, "kurz", "kurz").await?;
    let refused = page.text("#password-error").await?;
    ensure!(
        refused.contains("12"),
        "the refusal names the rule: {refused:?}"
    );
    page.check_page_state("password-refused").await?;
    change_password(&page, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await?;
    ensure!(
        page.text("p.confirmation")
            .await?
            .contains(&t("password_changed", "de")),
        "password changed message"
    );
    page.check_page_state("password-changed").await?;
    page.close().await?;

    // --- the new account's first login: its initial password must go first ---------------
    let other_page = other;
    login(&other_page, NEW_ACCOUNT, &initial).await?;
    ensure!(
        other_page.path().await?.starts_with("/account/password"),
        "first login did not ask for a new password: {}",
        other_page.path().await?
    );
    ensure!(
        main_text(&other_page)
            .await?
            .contains(&t("password_forced", "de")),
        "the forced change says why"
    );
    ensure!(
        body_text(&other_page).await?.contains(&t("logout", "de")),
        "the account navigation is there"
    );
    other_page.check_page_state("forced-change").await?;
    // Nothing else opens before the change.
    other_page.goto("/consultant").await?;
    ensure!(
        other_page.path().await?.starts_with("/account/password"),
        "the consultant's pages opened before the initial password was changed"
    );
    change_password(&other_page, &initial, NEW_PASSWORD, NEW_PASSWORD).await?;
    other_page.goto("/consultant").await?;
    ensure!(
        other_page.h1().await? == t("consultant_title", "de"),
        "after the change the consultant's page opens"
    );
    other_page.close().await?;
    Ok(())
}
