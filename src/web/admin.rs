//! The admin's pages against abuse: API keys (issue, show once, revoke) and the responses the
//! plausibility screening held back (release into the statistics, or discard).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Admin, CsrfForm, PageLang};
use super::i18n::text;
use super::pages::{html, see_other};
use crate::api_keys::ApiKeyRef;
use crate::present::pages::{Chrome, format_date, profile_option_label};
use crate::screening::HoldReason;
use crate::survey::{FieldError, Lang};

#[derive(Serialize)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    rate: String,
    created: String,
    revoked: Option<String>,
}

#[derive(Serialize)]
struct ApiKeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    /// The key just issued: shown this once.
    issued: Option<String>,
    errors: Vec<String>,
    name: String,
    rate: String,
    notice: Option<String>,
}

/// A number from the query (`?revoked=3`), if present.
fn query_number(req: &HttpRequest, name: &str) -> Option<i64> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

async fn keys_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    lang: Lang,
    status: StatusCode,
    issued: Option<String>,
    form: (&str, &str, &[FieldError]),
    notice: Option<String>,
) -> Result<HttpResponse, WebError> {
    let keys = state
        .api_keys
        .list()
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            rate: k.rate,
            created: format_date(lang, k.created_at),
            revoked: k.revoked_at.map(|at| format_date(lang, at)),
        })
        .collect();
    let (name, rate, errors) = form;
    let view = ApiKeysPage {
        chrome: Chrome::for_user(lang, text(lang, "api_keys_title"), "/admin/api-keys", user),
        keys,
        issued,
        errors: errors
            .iter()
            .map(|e| e.message.get(lang).to_owned())
            .collect(),
        name: name.to_owned(),
        rate: rate.to_owned(),
        notice,
    };
    html(status, "pages/admin_api_keys", &view)
}

#[get("/admin/api-keys")]
pub async fn api_keys(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Admin(user): Admin,
) -> Result<HttpResponse, WebError> {
    let notice = query_number(&req, "revoked").map(|_| text(lang, "api_keys_revoked_done"));
    keys_page(
        &state,
        &user,
        lang,
        StatusCode::OK,
        None,
        ("", "600/hour", &[]),
        notice,
    )
    .await
}

/// The fields of the new-API-key form.
#[derive(Deserialize)]
pub struct ApiKeyFields {
    name: Option<String>,
    rate: Option<String>,
}

/// Issues a key and shows it once; only its hash is kept.
#[post("/admin/api-keys")]
pub async fn issue_api_key(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Admin(user): Admin,
    CsrfForm(form): CsrfForm<ApiKeyFields>,
) -> Result<HttpResponse, WebError> {
    let name = form.name.as_deref().unwrap_or_default();
    let rate = form.rate.as_deref().unwrap_or_default();
    let (status, issued, errors) = match state.api_keys.issue(name, rate).await {
        Ok(key) => (StatusCode::OK, Some(key.key), Vec::new()),
        Err(crate::responses::ServiceError::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, errors)
        }
        Err(e) => return Err(e.into()),
    };
    let form = if issued.is_some() {
        ("", "600/hour")
    } else {
        (name, rate)
    };
    keys_page(
        &state,
        &user,
        lang,
        status,
        issued,
        (form.0, form.1, &errors),
        None,
    )
    .await
}

#[post("/admin/api-keys/{id}/revoke")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    _admin: Admin,
    _form: CsrfForm,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    state.api_keys.revoke(ApiKeyRef::Id(id)).await?;
    Ok(see_other(format!(
        "/admin/api-keys?lang={}&revoked={id}",
        lang.code()
    )))
}

#[derive(Serialize)]
struct GroupRow {
    reason: &'static str,
    reason_label: String,
    industry: String,
    size_class: String,
    cohort: String,
    count: i64,
    period: String,
    up_to_id: i64,
}

#[derive(Serialize)]
struct HeldBackPage {
    chrome: Chrome,
    groups: Vec<GroupRow>,
    total: i64,
    notice: Option<String>,
}

fn clock(epoch_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch_ms / 1000)
        .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
        .unwrap_or_default()
}

/// "27.11.2026 18:45–19:02 UTC", or with both dates when the group spans days.
fn period(lang: Lang, first_ms: i64, last_ms: i64) -> String {
    let (from, to) = (format_date(lang, first_ms), format_date(lang, last_ms));
    if from == to {
        format!("{from} {}–{} UTC", clock(first_ms), clock(last_ms))
    } else {
        format!("{from} {} – {to} {} UTC", clock(first_ms), clock(last_ms))
    }
}

#[get("/admin/held-back")]
pub async fn held_back(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Admin(user): Admin,
) -> Result<HttpResponse, WebError> {
    let catalogue = state.responses.catalogue();
    let groups: Vec<GroupRow> = state
        .responses
        .held_back_groups()
        .await?
        .into_iter()
        .filter_map(|g| {
            let reason = HoldReason::parse(&g.reason)?;
            Some(GroupRow {
                reason: reason.as_str(),
                reason_label: text(lang, &format!("held_reason_{}", reason.as_str())),
                cohort: format!(
                    "{}, {}",
                    profile_option_label(catalogue, lang, "industry", &g.industry),
                    profile_option_label(catalogue, lang, "size", &g.size_class)
                ),
                industry: g.industry,
                size_class: g.size_class,
                count: g.count,
                period: period(lang, g.first_at, g.last_at),
                up_to_id: g.up_to_id,
            })
        })
        .collect();
    let notice = [
        ("released", "held_released_done"),
        ("discarded", "held_discarded_done"),
    ]
    .into_iter()
    .find_map(|(name, key)| {
        query_number(&req, name).map(|n| text(lang, key).replace("{n}", &n.to_string()))
    });
    let view = HeldBackPage {
        chrome: Chrome::for_user(lang, text(lang, "held_title"), "/admin/held-back", &user),
        total: groups.iter().map(|g| g.count).sum(),
        groups,
        notice,
    };
    html(StatusCode::OK, "pages/admin_held_back", &view)
}

/// The held-back group a decision is about, as the admin saw it.
#[derive(Deserialize)]
pub struct HeldBackFields {
    reason: Option<String>,
    industry: Option<String>,
    size: Option<String>,
    up_to: Option<String>,
    action: Option<String>,
}

/// Releases a listed group into the statistics or discards it (`action`), covering only the
/// responses the admin saw (`up_to`).
#[post("/admin/held-back")]
pub async fn decide_held_back(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    _admin: Admin,
    CsrfForm(form): CsrfForm<HeldBackFields>,
) -> Result<HttpResponse, WebError> {
    let bad = || {
        WebError::bad_request_with(crate::survey::Text {
            de: "Diese Gruppe zurückgehaltener Antworten ist unbekannt.".into(),
            en: "This group of held-back responses is unknown.".into(),
        })
    };
    let reason = form
        .reason
        .as_deref()
        .and_then(HoldReason::parse)
        .ok_or_else(bad)?;
    let industry = form.industry.as_deref().ok_or_else(bad)?;
    let size_class = form.size.as_deref().ok_or_else(bad)?;
    let up_to: i64 = form
        .up_to
        .as_deref()
        .and_then(|v| v.parse().ok())
        .ok_or_else(bad)?;
    let responses = &state.responses;
    let (done, n) = match form.action.as_deref() {
        Some("release") => (
            "released",
            responses
                .release_held_back(reason, industry, size_class, up_to)
                .await
                .map(|n| n as u64),
        ),
        Some("discard") => (
            "discarded",
            responses
                .discard_held_back(reason, industry, size_class, up_to)
                .await,
        ),
        _ => return Err(bad()),
    };
    let n = n?;
    Ok(see_other(format!(
        "/admin/held-back?lang={}&{done}={n}",
        lang.code()
    )))
}
