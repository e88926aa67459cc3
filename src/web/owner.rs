//! The owner keeps control (GDPR Art. 15, 17, 20): everything stored about a response as JSON,
//! and its erasure. The private link is the owner's only credential.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::error::WebError;
use super::extract::{Form, OwnerResponse};
use super::i18n::text;
use super::pages::{attachment, html, token_path};
use crate::present::pages::{Chrome, answer_text};
use crate::responses::LoadedResponse;
use crate::survey::{Catalogue, Lang, QuestionRef};

fn rfc3339(epoch_ms: i64) -> Value {
    time::OffsetDateTime::from_unix_timestamp(epoch_ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map_or(Value::Null, Value::String)
}

/// Every answer with its question and the chosen options' labels, in the response's language.
fn answers_export(catalogue: &Catalogue, lang: Lang, response: &LoadedResponse) -> Vec<Value> {
    response
        .answers
        .iter()
        .map(|(question_id, answer)| {
            let (question, labels) = match catalogue.question(question_id) {
                Some(QuestionRef::Profile(q)) | Some(QuestionRef::Scored(_, q)) => (
                    q.text.get(lang).to_owned(),
                    answer_text(lang, q, &response.answers),
                ),
                Some(QuestionRef::Importance(d)) => (
                    format!(
                        "{} – {}",
                        catalogue.importance.text.get(lang),
                        d.title.get(lang)
                    ),
                    catalogue
                        .importance
                        .options
                        .iter()
                        .find(|o| answer.option_ids().contains(&o.id.as_str()))
                        .map(|o| o.label.get(lang).to_owned()),
                ),
                None => (String::new(), None),
            };
            json!({
                "question_id": question_id,
                "question": question,
                "option_ids": answer.option_ids(),
                "answer": labels,
            })
        })
        .collect()
}

#[get("/s/{token}/export.json")]
pub async fn export(
    state: web::Data<AppState>,
    OwnerResponse { response, lang, .. }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    let catalogue = response.catalogue;
    let record = &response.record;
    let sharing = state
        .responses
        .sharing(record.id)
        .await
        .map_err(WebError::internal)?;
    let campaign = state
        .responses
        .campaign_of(record.id)
        .await
        .map_err(WebError::internal)?;
    let result: Value = match &record.result_json {
        Some(json) => serde_json::from_str(json).map_err(WebError::internal)?,
        None => Value::Null,
    };
    let peers: Value = match &record.benchmark_json {
        Some(json) => serde_json::from_str(json).unwrap_or(Value::Null),
        None => Value::Null,
    };
    let body = json!({
        "about": "Everything social-readiness stores about this response. No IP addresses, browser data or cookies are stored with it.",
        "exported_at": rfc3339(crate::clock::now_ms()),
        "response": {
            "status": record.status.as_str(),
            "language": record.lang,
            "questionnaire_version": record.catalogue_version,
            "firm_name": record.firm_name,
            "created_at": rfc3339(record.created_at),
            "updated_at": rfc3339(record.updated_at),
            "submitted_at": record.submitted_at.map_or(Value::Null, rfc3339),
        },
        "consents": {
            "survey": { "text_version": record.consent_version, "given_at": rfc3339(record.consent_at) },
            "share_with_consultant": sharing.as_ref().and_then(|s| {
                s.share_consent_version.as_ref().map(|v| json!({
                    "text_version": v,
                    "given_at": s.share_consent_at.map_or(Value::Null, rfc3339),
                }))
            }),
        },
        "campaign": campaign.as_ref().map(|c| json!({
            "name": c.name,
            "counted_in_chamber_statistics": c.consent_version.as_ref().map(|v| json!({
                "text_version": v,
                "given_at": c.consent_at.map_or(Value::Null, rfc3339),
            })),
        })),
        "invited_by_consultant": sharing.as_ref().map(|s| json!({
            "consultant": s.consultant_email,
            "firm_name_given_by_consultant": s.client_firm_name,
            "result_shared": s.share_consent_version.is_some(),
        })),
        "answers": answers_export(catalogue, lang, &response),
        "result": result,
        "peer_comparison_at_submit": peers,
    });
    let bytes = serde_json::to_vec_pretty(&body).map_err(WebError::internal)?;
    Ok(attachment(
        bytes,
        "application/json; charset=utf-8",
        "social-readiness-daten.json",
    ))
}

#[derive(Serialize)]
struct DeletePage {
    chrome: Chrome,
    action: String,
    back: String,
    missing_confirm: bool,
    deleted: bool,
}

fn delete_page(
    lang: Lang,
    base: &str,
    status: StatusCode,
    missing_confirm: bool,
    deleted: bool,
) -> Result<HttpResponse, WebError> {
    let title = if deleted {
        "deleted_title"
    } else {
        "delete_title"
    };
    let view = DeletePage {
        chrome: Chrome::new(lang, text(lang, title), &format!("{base}/delete")),
        action: format!("{base}/delete?lang={}", lang.code()),
        back: format!("{base}/result?lang={}", lang.code()),
        missing_confirm,
        deleted,
    };
    html(status, "pages/delete", &view)
}

/// Ends the sharing with the consultant who invited the firm; the check stays.
#[post("/s/{token}/share/withdraw")]
pub async fn withdraw_sharing(
    state: web::Data<AppState>,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    state.workspace.withdraw_sharing(response.record.id).await?;
    Ok(super::pages::see_other(format!(
        "{}/result?lang={}",
        token_path(&token),
        lang.code()
    )))
}

#[get("/s/{token}/delete")]
pub async fn confirm_delete(
    OwnerResponse { token, lang, .. }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    delete_page(lang, &token_path(&token), StatusCode::OK, false, false)
}

/// The erasure form: its confirmation tick.
#[derive(Deserialize)]
pub struct DeleteFields {
    confirm: Option<String>,
}

/// Erases the response after an explicit confirmation tick.
#[post("/s/{token}/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
    Form(form): Form<DeleteFields>,
) -> Result<HttpResponse, WebError> {
    let base = token_path(&token);
    if form.confirm.as_deref() != Some("yes") {
        return delete_page(lang, &base, StatusCode::UNPROCESSABLE_ENTITY, true, false);
    }
    // The response and the firm's place in its campaign's published snapshot go together.
    state.campaigns.erase_response(&response).await?;
    state.result_pages.forget(&base);
    delete_page(lang, &base, StatusCode::OK, false, true)
}
