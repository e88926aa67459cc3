//! The Impressum (§ 5 DDG) and the privacy notice (Art. 13 GDPR), built from the operator's
//! settings. Public pages; a public (https) service does not start without those settings.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;

use super::AppState;
use super::error::WebError;
use super::i18n::{request_lang, text};
use super::pages::html;
use crate::config::Operator;
use crate::present::pages::Chrome;

#[derive(Serialize)]
struct LegalPage<'a> {
    chrome: Chrome,
    operator: &'a Operator,
    /// False until `OPERATOR_NAME`, `OPERATOR_ADDRESS` and `OPERATOR_EMAIL` are set.
    complete: bool,
    consents: String,
    consent_chamber: String,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    template: &str,
    title_key: &str,
    path: &str,
) -> Result<HttpResponse, WebError> {
    let lang = request_lang(req, None);
    let chrome = match super::session::current_user(state, req).await {
        Ok(Some(user)) => Chrome::for_user(lang, text(lang, title_key), path, &user),
        _ => Chrome::new(lang, text(lang, title_key), path),
    };
    let k = state.responses.statistics().policy().k().to_string();
    let view = LegalPage {
        chrome,
        operator: &state.operator,
        complete: state.operator.missing().is_empty(),
        consents: text(lang, "privacy_consents_text").replace("{k}", &k),
        consent_chamber: text(lang, "privacy_consent_chamber").replace("{k}", &k),
    };
    html(StatusCode::OK, template, &view)
}

#[get("/impressum")]
pub async fn impressum(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    page(
        &state,
        &req,
        "pages/impressum",
        "impressum_title",
        "/impressum",
    )
    .await
}

#[get("/datenschutz")]
pub async fn privacy(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    page(
        &state,
        &req,
        "pages/datenschutz",
        "privacy_title",
        "/datenschutz",
    )
    .await
}
