//! The owner's side of a consultant's invitation: the landing page with both consents.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Form, InvitationByCode, PageLang};
use super::i18n::text;
use super::pages::{html, to_first_step};
use crate::present::pages::{Chrome, LandingPage};
use crate::survey::Lang;
use crate::workspace::Invitation;

#[derive(Serialize)]
struct InvitationPage {
    chrome: Chrome,
    /// The usual landing page (topics, data, survey consent) with the invitation around it.
    landing: LandingPage,
    lead: String,
    /// Whom the firm may ask about the invitation.
    contact: String,
    open: bool,
    declined: bool,
    consent_error: bool,
    /// The consultant's logo, when they uploaded one.
    brand_logo: Option<super::brand::LogoView>,
}

async fn page(
    state: &AppState,
    lang: Lang,
    code: &str,
    invitation: &Invitation,
    status: StatusCode,
    consent_error: bool,
    declined: bool,
) -> Result<HttpResponse, WebError> {
    let mut landing_page = LandingPage::new(state.responses.catalogue(), lang, consent_error);
    landing_page.form_action = format!("/i/{code}?lang={}", lang.code());
    let view = InvitationPage {
        chrome: Chrome::new(lang, text(lang, "invitation_title"), &format!("/i/{code}")),
        landing: landing_page,
        lead: text(lang, "invitation_lead")
            .replace("{consultant}", &invitation.consultant_name)
            .replace("{firm}", &invitation.firm_name),
        contact: text(lang, "invitation_contact")
            .replace("{contact}", &invitation.consultant_contact),
        open: invitation.open,
        declined,
        consent_error,
        brand_logo: super::brand::logo_of(
            state,
            invitation.consultant_id,
            &invitation.consultant_name,
            lang,
        )
        .await?,
    };
    html(status, "pages/invitation", &view)
}

#[get("/i/{code}")]
pub async fn landing(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    InvitationByCode {
        code: path,
        invitation,
    }: InvitationByCode,
) -> Result<HttpResponse, WebError> {
    page(
        &state,
        lang,
        &path,
        &invitation,
        StatusCode::OK,
        false,
        false,
    )
    .await
}

/// The invitation page's form: accept (with consent and sharing) or decline.
#[derive(Deserialize)]
pub struct InvitationFields {
    action: Option<String>,
    consent: Option<String>,
    share: Option<String>,
}

/// Starts the survey (survey consent required, sharing consent optional) or declines.
#[post("/i/{code}")]
pub async fn respond(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    InvitationByCode {
        code: path,
        invitation,
    }: InvitationByCode,
    Form(form): Form<InvitationFields>,
) -> Result<HttpResponse, WebError> {
    super::client::limit(&state, &req, &state.limits.starts)?;
    if !invitation.open {
        return page(
            &state,
            lang,
            &path,
            &invitation,
            StatusCode::CONFLICT,
            false,
            false,
        )
        .await;
    }
    if form.action.as_deref() == Some("decline") {
        state.workspace.decline(&invitation).await?;
        let closed = Invitation {
            open: false,
            ..invitation
        };
        return page(&state, lang, &path, &closed, StatusCode::OK, false, true).await;
    }
    if form.consent.as_deref() != Some("yes") {
        return page(
            &state,
            lang,
            &path,
            &invitation,
            StatusCode::UNPROCESSABLE_ENTITY,
            true,
            false,
        )
        .await;
    }
    let share = form.share.as_deref() == Some("yes");
    let token = state
        .workspace
        .start_invited(&invitation, lang, share)
        .await?;
    Ok(to_first_step(&token, lang))
}
