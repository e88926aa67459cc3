//! The consultant's workspace in the browser: client list, client page, reports.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Consultant, CsrfForm, PageLang};
use super::i18n::{query_lang, text};
use super::pages::{attachment, html, mailto_href, see_other};
use super::report::{calendar_date, render_report};
use crate::auth::CurrentUser;
use crate::clock::now_ms;
use crate::present::pages::{Chrome, PrivateLink, ResultInput, ResultPage, format_date, signed};
use crate::profiles::shown_name;
use crate::report::{Progress, TopicChange};
use crate::responses::ServiceError;
use crate::survey::{Catalogue, FieldError, Lang};
use crate::workspace::{ClientFile, InvitationStatus, progress};
use crate::zip::{ZipEntry, safe_file_stem, write_zip};

#[derive(Serialize)]
struct ClientRow {
    href: String,
    firm_name: String,
    contact: Option<String>,
    status: &'static str,
    status_label: String,
    date: String,
    score: Option<u8>,
    /// The overall scores of all finished assessments, "32 → 69", once there are two.
    trend: Option<String>,
    level: Option<String>,
    red_flags: Option<usize>,
}

#[derive(Serialize)]
struct ClientsPage {
    chrome: Chrome,
    profile: super::profile::ProfileBox,
    csrf_token: String,
    clients: Vec<ClientRow>,
    any_finished: bool,
    errors: Vec<String>,
    firm_name: String,
    contact: String,
}

/// The owner's result page as the consultant reads it: the texts built in Rust that address the
/// owner are replaced (the template's texts come from `consultant_texts`).
fn in_consultant_voice(mut page: ResultPage, lang: Lang, k: u32) -> ResultPage {
    if page.benchmark_unavailable.is_some() {
        page.benchmark_unavailable =
            Some(text(lang, "consultant_voice_benchmark_none").replace("{k}", &k.to_string()));
    }
    page
}

/// A value of the request's query string.
fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn status_label(lang: Lang, status: InvitationStatus) -> String {
    text(lang, &format!("status_{}", status.key()))
}

fn client_row(state: &AppState, lang: Lang, file: &ClientFile) -> ClientRow {
    let current = file.current();
    let status = current.map_or(InvitationStatus::Invited, |i| i.status);
    let latest = file.finished().into_iter().next();
    let catalogue = state.responses.catalogue();
    ClientRow {
        href: format!(
            "/consultant/clients/{}?lang={}",
            file.client.id,
            lang.code()
        ),
        firm_name: file.client.firm_name.clone(),
        contact: file.client.contact.clone(),
        status: status.key(),
        status_label: status_label(lang, status),
        date: format_date(
            lang,
            latest.map_or_else(
                || current.map_or(file.client.created_at, |i| i.changed_at),
                |f| f.submitted_at,
            ),
        ),
        score: latest.map(|f| f.assessment.overall.score),
        trend: Some(file.trend())
            .filter(|scores| scores.len() > 1)
            .map(|scores| {
                scores
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(" → ")
            }),
        level: latest.map(|f| {
            format!(
                "{} – {}",
                f.assessment.overall.level,
                catalogue.level(f.assessment.overall.level).name.get(lang)
            )
        }),
        red_flags: latest.map(|f| f.assessment.red_flags.len()),
    }
}

async fn clients_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    status: StatusCode,
    errors: &[FieldError],
    form: (&str, &str),
) -> Result<HttpResponse, WebError> {
    let files = state.workspace.client_files(user.user_id).await?;
    let view = ClientsPage {
        chrome: Chrome::for_user(lang, text(lang, "consultant_title"), "/consultant", user),
        profile: super::profile::profile_box(state, user, lang).await?,
        csrf_token: user.csrf_token.clone(),
        any_finished: files.iter().any(|f| !f.finished().is_empty()),
        clients: files.iter().map(|f| client_row(state, lang, f)).collect(),
        errors: errors
            .iter()
            .map(|e| e.message.get(lang).to_owned())
            .collect(),
        firm_name: form.0.to_owned(),
        contact: form.1.to_owned(),
    };
    html(status, "pages/consultant_clients", &view)
}

#[get("/consultant")]
pub async fn clients(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    clients_page(&state, &user, lang, StatusCode::OK, &[], ("", "")).await
}

/// The fields of the new-client form.
#[derive(Deserialize)]
pub struct NewClientFields {
    firm_name: Option<String>,
    contact: Option<String>,
}

#[post("/consultant/clients")]
pub async fn create_client(
    state: web::Data<AppState>,
    Consultant(user): Consultant,
    CsrfForm(form): CsrfForm<NewClientFields>,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let firm_name = form.firm_name.as_deref();
    let contact = form.contact.as_deref();
    match state
        .workspace
        .create_client(user.user_id, firm_name, contact)
        .await
    {
        Ok(id) => Ok(see_other(format!(
            "/consultant/clients/{id}?lang={}",
            lang.code()
        ))),
        Err(ServiceError::Invalid(errors)) => {
            clients_page(
                &state,
                &user,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                (firm_name.unwrap_or_default(), contact.unwrap_or_default()),
            )
            .await
        }
        Err(e) => Err(WebError::from(e)),
    }
}

#[derive(Serialize)]
struct InvitationRow {
    number: usize,
    /// The link to this assessment's result, when it was finished and shared.
    result_href: Option<String>,
    /// This assessment's result is the one shown.
    shown: bool,
    status: &'static str,
    status_label: String,
    created: String,
    changed: String,
    /// Shown while the invitation is open, so the consultant can send it again.
    link: Option<String>,
    /// The same link in a prefilled e-mail (no script may copy it: the CSP allows none).
    mailto: Option<String>,
}

#[derive(Serialize)]
struct ClientPage {
    chrome: Chrome,
    csrf_token: String,
    id: i64,
    firm_name: String,
    contact: Option<String>,
    invitations: Vec<InvitationRow>,
    result: Option<ResultPage>,
    /// "Letztes Ergebnis", or "Ergebnis vom …" for an earlier one.
    result_heading: String,
    report_href: String,
    progress: Option<Progress>,
    open_invitation: bool,
    /// The note for the cover of this client's report.
    cover_note: String,
    cover_note_saved: bool,
}

/// The change since the previous assessment as a table, for the client page and the PDF;
/// None before the second finished assessment.
fn progress_table(catalogue: &Catalogue, lang: Lang, file: &ClientFile) -> Option<Progress> {
    let finished = file.finished();
    let (current, previous) = (finished.first()?, finished.get(1)?);
    let p = progress(previous, current);
    let cells = |title: String, c: &crate::workspace::Change| {
        vec![
            title,
            c.previous.to_string(),
            c.current.to_string(),
            signed(i64::from(c.firm_change)),
            c.peer_change
                .map_or_else(|| "–".to_owned(), |p| signed(i64::from(p))),
        ]
    };
    let mut rows = vec![cells(text(lang, "overall"), &p.overall)];
    rows.extend(
        catalogue
            .dimensions
            .iter()
            .zip(&p.dimensions)
            .map(|(d, c)| cells(d.title.get(lang).to_owned(), c)),
    );
    Some(Progress {
        heading: format!(
            "{} ({} → {})",
            text(lang, "client_progress"),
            format_date(lang, p.previous_at),
            format_date(lang, p.current_at)
        ),
        caption: text(lang, "client_progress_caption"),
        columns: [
            "col_dimension",
            "col_before",
            "col_after",
            "col_change",
            "col_peer_change",
        ]
        .iter()
        .map(|key| match (&p.crosses_versions, *key) {
            // Said beside the change itself, not only in a note below the table.
            (Some((before, after)), "col_change") => text(lang, "col_change_across_versions")
                .replace("{before}", before)
                .replace("{after}", after),
            _ => text(lang, key),
        })
        .collect(),
        rows,
        topics: std::iter::once((text(lang, "overall"), &p.overall))
            .chain(
                catalogue
                    .dimensions
                    .iter()
                    .zip(&p.dimensions)
                    .map(|(d, c)| (d.title.get(lang).to_owned(), c)),
            )
            .map(|(title, c)| TopicChange {
                title,
                before: c.previous,
                after: c.current,
                peer_change: c.peer_change,
            })
            .collect(),
        chart_title: text(lang, "client_progress_chart"),
        chart_labels: ["col_before", "col_after", "col_change", "col_peer_change"]
            .map(|key| text(lang, key)),
        note: match (
            &p.crosses_versions,
            p.same_cohort,
            previous.peers.is_some() && current.peers.is_some(),
        ) {
            (Some((before, after)), _, _) => Some(
                text(lang, "progress_crosses_versions")
                    .replace("{before}", before)
                    .replace("{after}", after),
            ),
            (None, true, _) => None,
            (None, false, true) => Some(text(lang, "progress_other_cohort")),
            (None, false, false) => Some(text(lang, "progress_no_peers")),
        },
    })
}

#[get("/consultant/clients/{id}")]
pub async fn client(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let file = state.workspace.client_file(user.user_id, id).await?;
    let catalogue = state.responses.catalogue();
    // `?assessment=N` opens the Nth invitation's result; the latest otherwise.
    let chosen = query_value(&req, "assessment").and_then(|n| n.parse::<usize>().ok());
    let shown = match chosen {
        Some(n) => Some((n, file.finished_at(n).ok_or_else(WebError::not_found)?)),
        None => file
            .invitations
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, inv)| inv.finished.as_ref().map(|f| (i + 1, f))),
    };
    let result = match shown.map(|(_, f)| f) {
        None => None,
        Some(latest) => {
            let response = state.responses.load_by_id(latest.response_id).await?;
            let statistics = state.responses.statistics();
            let benchmark = state
                .responses
                .benchmark_for(&response.answers, &latest.assessment)
                .await?;
            Some(in_consultant_voice(
                ResultPage::new(ResultInput {
                    catalogue,
                    lang,
                    // The owner's private link and token never reach the consultant's page.
                    token_path: "",
                    link: PrivateLink::default(),
                    assessment: &latest.assessment,
                    firm_name: None,
                    submitted_at: latest.submitted_at,
                    benchmark: &benchmark,
                    k: statistics.policy().k(),
                }),
                lang,
                statistics.policy().k(),
            ))
        }
    };
    let latest = file.finished().first().map(|f| f.response_id);
    let result_heading = match shown {
        Some((_, f)) if Some(f.response_id) != latest => {
            text(lang, "client_result_of").replace("{date}", &format_date(lang, f.submitted_at))
        }
        _ => text(lang, "client_result"),
    };
    let progress = progress_table(state.responses.catalogue(), lang, &file);
    let consultant = shown_name(
        state.profiles.get(user.user_id).await?.as_ref(),
        &user.email,
    );
    let invitation_mail = |link: &str| {
        let fill = |key: &str| {
            text(lang, key)
                .replace("{firm}", &file.client.firm_name)
                .replace("{consultant}", &consultant)
                .replace("{link}", link)
        };
        mailto_href(
            &fill("client_link_mail_subject"),
            &fill("client_link_mail_body"),
        )
    };
    let view = ClientPage {
        chrome: Chrome {
            // The result's texts speak of "Ihr Mandant", not to the owner.
            voice: Some("consultant"),
            ..Chrome::for_user(
                lang,
                file.client.firm_name.clone(),
                &format!("/consultant/clients/{id}"),
                &user,
            )
        },
        csrf_token: user.csrf_token.clone(),
        id,
        firm_name: file.client.firm_name.clone(),
        contact: file.client.contact.clone(),
        invitations: file
            .invitations
            .iter()
            .enumerate()
            .map(|(i, inv)| InvitationRow {
                number: i + 1,
                result_href: inv.finished.as_ref().map(|_| {
                    format!(
                        "/consultant/clients/{id}?assessment={}&lang={}#result-heading",
                        i + 1,
                        lang.code()
                    )
                }),
                shown: shown.is_some_and(|(n, _)| n == i + 1),
                status: inv.status.key(),
                status_label: status_label(lang, inv.status),
                created: format_date(lang, inv.created_at),
                changed: format_date(lang, inv.changed_at),
                link: (inv.status == InvitationStatus::Invited)
                    .then(|| format!("{}/i/{}", state.base_url, inv.code)),
                mailto: (inv.status == InvitationStatus::Invited)
                    .then(|| invitation_mail(&format!("{}/i/{}", state.base_url, inv.code))),
            })
            .collect(),
        report_href: format!("/consultant/clients/{id}/report.pdf?lang={}", lang.code()),
        open_invitation: file
            .invitations
            .iter()
            .any(|i| i.status == InvitationStatus::Invited),
        result,
        result_heading,
        progress,
        cover_note: state
            .brands
            .cover_note(user.user_id, id)
            .await?
            .unwrap_or_default(),
        cover_note_saved: query_value(&req, "note").as_deref() == Some("saved"),
    };
    html(StatusCode::OK, "pages/consultant_client", &view)
}

#[post("/consultant/clients/{id}/invitations")]
pub async fn reinvite(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    Consultant(user): Consultant,
    _form: CsrfForm,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    state.workspace.reinvite(user.user_id, id).await?;
    Ok(see_other(format!(
        "/consultant/clients/{id}?lang={}",
        lang.code()
    )))
}

#[get("/consultant/clients/{id}/report.pdf")]
pub async fn client_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<i64>,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    let (file, response) = state
        .workspace
        .latest_shared_response(user.user_id, path.into_inner())
        .await?;
    let lang = query_lang(&req).unwrap_or(response.lang());
    let progress = progress_table(state.responses.catalogue(), lang, &file);
    let brand = super::brand::report_brand(&state, &user, Some(file.client.id), lang).await?;
    let bytes = render_report(&state, &response, lang, progress, brand).await?;
    let name = format!("{}.pdf", safe_file_stem(&file.client.firm_name));
    Ok(attachment(bytes, "application/pdf", &name))
}

/// Every finished client's latest report in one ZIP, rendered one after another through the
/// bounded renderer.
#[get("/consultant/reports.zip")]
pub async fn reports_zip(
    state: web::Data<AppState>,
    req: HttpRequest,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    let files = state.workspace.client_files(user.user_id).await?;
    let mut reports = Vec::new();
    for file in &files {
        let Some(latest) = file.finished().first().map(|f| f.response_id) else {
            continue;
        };
        let response = state.responses.load_by_id(latest).await?;
        let report_lang = query_lang(&req).unwrap_or(response.lang());
        let progress = progress_table(state.responses.catalogue(), report_lang, file);
        let brand =
            super::brand::report_brand(&state, &user, Some(file.client.id), report_lang).await?;
        let bytes = render_report(&state, &response, report_lang, progress, brand).await?;
        let name = format!(
            "{:02}_{}.pdf",
            reports.len() + 1,
            safe_file_stem(&file.client.firm_name)
        );
        reports.push((name, bytes));
    }
    if reports.is_empty() {
        return Err(WebError::from(ServiceError::NotSubmitted));
    }
    let entries: Vec<ZipEntry<'_>> = reports
        .iter()
        .map(|(name, data)| ZipEntry { name, data })
        .collect();
    let zip = write_zip(&entries, calendar_date(now_ms())).map_err(WebError::internal)?;
    Ok(attachment(zip, "application/zip", "berichte.zip"))
}
