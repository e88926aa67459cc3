//! The owner's side of a consultant's invitation: the landing page with both consents.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;

use super::AppState;
use super::error::WebError;
use super::i18n::{request_lang, text};
use super::pages::{field, form_fields, html, to_first_step};
use super::views::{Chrome, LandingPage};
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
}

fn page(
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
    };
    html(status, "pages/invitation", &view)
}

async fn find(
    state: &AppState,
    req: &HttpRequest,
    code: &str,
    lang: Lang,
) -> Result<Invitation, WebError> {
    let client = super::client::of(state, req);
    state
        .workspace
        .invitation(code)
        .await
        .map_err(|e| super::client::guard(state, client, e).html(lang))
}

#[get("/i/{code}")]
pub async fn landing(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let lang = request_lang(&req, None);
    let invitation = find(&state, &req, &path, lang).await?;
    page(
        &state,
        lang,
        &path,
        &invitation,
        StatusCode::OK,
        false,
        false,
    )
    .map_err(|e| e.html(lang))
}

/// Starts the survey (survey consent required, sharing consent optional) or declines.
#[post("/i/{code}")]
pub async fn respond(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let lang = request_lang(&req, None);
    let invitation = find(&state, &req, &path, lang).await?;
    super::client::limit(&state, &req, &state.limits.starts).map_err(|e| e.html(lang))?;
    let fields = form_fields(&req, payload).await.map_err(|e| e.html(lang))?;
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
        .map_err(|e| e.html(lang));
    }
    if field(&fields, "action") == Some("decline") {
        state
            .workspace
            .decline(&invitation)
            .await
            .map_err(|e| WebError::from(e).html(lang))?;
        let closed = Invitation {
            open: false,
            ..invitation
        };
        return page(&state, lang, &path, &closed, StatusCode::OK, false, true)
            .map_err(|e| e.html(lang));
    }
    if field(&fields, "consent") != Some("yes") {
        return page(
            &state,
            lang,
            &path,
            &invitation,
            StatusCode::UNPROCESSABLE_ENTITY,
            true,
            false,
        )
        .map_err(|e| e.html(lang));
    }
    let share = field(&fields, "share") == Some("yes");
    let token = state
        .workspace
        .start_invited(&invitation, lang, share)
        .await
        .map_err(|e| WebError::from(e).html(lang))?;
    Ok(to_first_step(&token, lang))
}
