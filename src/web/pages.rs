//! The survey in the browser, without JavaScript: landing, one page per step, review, result.
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Form, OwnerResponse, PageLang, ResultLink};
use super::i18n::text;
use super::result_pages::{Rendered, ResultPageInput};
use super::templates;
use crate::mail::{Mail, MailError, Mailer};
use crate::present::pages::{
    LandingPage, MailOffer, PausedPage, PrivateLink, ResultInput, ResultPage, ReviewPage, Shown,
    StepInput, StepPage,
};
use crate::responses::{LoadedResponse, ResultStamp, ServiceError};
use crate::survey::{Catalogue, FieldError, Lang, RawAnswer, Stage};
use crate::token::ResponseToken;

pub(super) fn html<T: Serialize>(
    status: actix_web::http::StatusCode,
    template: &str,
    view: &T,
) -> Result<HttpResponse, WebError> {
    let body = templates::render(template, view).map_err(WebError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body))
}

pub(super) fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .finish()
}

/// A download: content type, a safe file name (RFC 6266: an ASCII fallback and the UTF-8 name;
/// callers pass names stripped to letters, digits, '-', '_' and '.'), never cached.
pub(super) fn attachment(bytes: Vec<u8>, content_type: &str, file_name: &str) -> HttpResponse {
    let ascii: String = file_name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let utf8: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// Where a newly started response goes: its first page, with the private link shown as new.
pub(super) fn to_first_step(token: &ResponseToken, lang: Lang) -> HttpResponse {
    see_other(format!(
        "{}/step/1?lang={}&new=1",
        token_path(token),
        lang.code()
    ))
}

pub(super) fn token_path(token: &ResponseToken) -> String {
    format!("/s/{}", token.as_url_part())
}

pub(super) fn link(state: &AppState, token: &ResponseToken, new: bool) -> PrivateLink {
    PrivateLink {
        url: format!("{}{}", state.base_url, token_path(token)),
        new,
        ..PrivateLink::default()
    }
}

/// The "send me this link" form, when the service can send mail; `back` is the page (relative to
/// the token path) the owner returns to afterwards.
fn mail_offer(
    state: &AppState,
    token: &ResponseToken,
    lang: Lang,
    back: &str,
) -> Option<MailOffer> {
    state.mailer.as_ref().map(|_| MailOffer {
        action: format!("{}/mail-link?lang={}", token_path(token), lang.code()),
        back: back.to_owned(),
        value: String::new(),
        error: None,
    })
}

/// Whether the query string carries `name=1`.
fn query_flag(req: &HttpRequest, name: &str) -> bool {
    form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, v)| k == name && v == "1")
}

#[get("/")]
pub async fn landing(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let view = LandingPage::new(state.responses.catalogue(), lang, false);
    html(actix_web::http::StatusCode::OK, "pages/landing", &view)
}

/// The landing page's form: the consent tick.
#[derive(Deserialize)]
pub struct StartFields {
    consent: Option<String>,
}

#[post("/start")]
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    Form(form): Form<StartFields>,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    super::client::limit(&state, &req, &state.limits.starts)?;
    if form.consent.as_deref() != Some("yes") {
        let view = LandingPage::new(state.responses.catalogue(), lang, true);
        return html(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "pages/landing",
            &view,
        );
    }
    let token = state.responses.start(lang).await?;
    Ok(to_first_step(&token, lang))
}

/// The private link: resumes at the first page not yet complete.
#[get("/s/{token}")]
pub async fn resume(
    state: web::Data<AppState>,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    let base = token_path(&token);
    let lang_query = format!("?lang={}", lang.code());
    if response.is_submitted() {
        return Ok(see_other(format!("{base}/result{lang_query}")));
    }
    Ok(
        match state
            .responses
            .catalogue()
            .first_incomplete_step(&response.answers)
        {
            Some(step) => see_other(format!("{base}/step/{step}{lang_query}")),
            None => see_other(format!("{base}/review{lang_query}")),
        },
    )
}

#[get("/s/{token}/step/{step}")]
pub async fn show_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (_, raw_step) = path.into_inner();
    if response.is_submitted() {
        return Ok(see_other(format!(
            "{}/result?lang={}",
            token_path(&token),
            lang.code()
        )));
    }
    let catalogue = state.responses.catalogue();
    let step: usize = raw_step.parse().map_err(|_| WebError::not_found())?;
    let page = catalogue.page(step).ok_or_else(WebError::not_found)?;
    let is_new = query_flag(&req, "new");
    let mut private_link = link(&state, &token, is_new);
    // The moment the link is new is the moment to keep it: offer to mail it.
    if is_new {
        private_link.mail = mail_offer(&state, &token, lang, &format!("step/{step}"));
    }
    private_link.mailed = query_flag(&req, "mailed");
    let view = StepPage::new(StepInput {
        catalogue,
        lang,
        step,
        page,
        token_path: &token_path(&token),
        link: private_link,
        shown: Shown::Stored(&response.answers),
        firm_name: response.record.firm_name.clone(),
        errors: &[],
        stage: Stage::of(&response.answers),
    });
    html(actix_web::http::StatusCode::OK, "pages/step", &view)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Navigation {
    Back,
    Next,
    Pause,
}

#[post("/s/{token}/step/{step}")]
pub async fn save_step(
    state: web::Data<AppState>,
    req: HttpRequest,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
    path: web::Path<(String, String)>,
    Form(fields): Form,
) -> Result<HttpResponse, WebError> {
    let (_, raw_step) = path.into_inner();
    super::client::limit(&state, &req, &state.limits.form_posts)?;
    let catalogue = state.responses.catalogue();
    let step: usize = raw_step.parse().map_err(|_| WebError::not_found())?;
    let page = catalogue.page(step).ok_or_else(WebError::not_found)?;

    let mut navigation = None;
    let mut firm_name = None;
    let mut raw: Vec<(String, RawAnswer)> = Vec::new();
    for (name, value) in &fields {
        match name.as_str() {
            "nav" => {
                navigation = Some(match value.as_str() {
                    "back" => Navigation::Back,
                    "next" => Navigation::Next,
                    "pause" => Navigation::Pause,
                    _ => return Err(WebError::bad_request("Unknown navigation.")),
                })
            }
            "firm_name" => firm_name = Some(value.as_str()),
            question => match raw.iter_mut().find(|(q, _)| q == question) {
                Some((_, RawAnswer::Many(values))) => values.push(value.clone()),
                Some(_) => {}
                None => raw.push((question.to_owned(), RawAnswer::Many(vec![value.clone()]))),
            },
        }
    }
    let navigation = navigation.unwrap_or(Navigation::Next);
    let base = token_path(&token);
    let outcome = state
        .responses
        .save_page(
            &response,
            page,
            raw,
            firm_name,
            navigation == Navigation::Next,
        )
        .await;
    match outcome {
        Ok(_) => {}
        Err(ServiceError::Invalid(errors) | ServiceError::Incomplete(errors)) => {
            let stage = Stage::of(&response.answers);
            return rerender_step(
                &state, &token, lang, step, page, &fields, firm_name, &errors, stage,
            );
        }
        Err(e) => return Err(WebError::from(e)),
    }
    let lang_query = format!("?lang={}", lang.code());
    Ok(match navigation {
        Navigation::Back if step > 1 => see_other(format!("{base}/step/{}{lang_query}", step - 1)),
        Navigation::Back => see_other(format!("{base}/step/1{lang_query}")),
        Navigation::Pause => see_other(format!("{base}/paused{lang_query}")),
        Navigation::Next if step < catalogue.page_count() => {
            see_other(format!("{base}/step/{}{lang_query}", step + 1))
        }
        Navigation::Next => see_other(format!("{base}/review{lang_query}")),
    })
}

#[allow(clippy::too_many_arguments)]
fn rerender_step(
    state: &AppState,
    token: &ResponseToken,
    lang: Lang,
    step: usize,
    page: crate::survey::Page<'_>,
    fields: &[(String, String)],
    firm_name: Option<&str>,
    errors: &[FieldError],
    stage: Stage,
) -> Result<HttpResponse, WebError> {
    let view = StepPage::new(StepInput {
        catalogue: state.responses.catalogue(),
        lang,
        step,
        page,
        token_path: &token_path(token),
        link: link(state, token, false),
        shown: Shown::Posted(fields),
        firm_name: firm_name.map(str::to_owned),
        errors,
        stage,
    });
    html(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "pages/step",
        &view,
    )
}

#[get("/s/{token}/paused")]
pub async fn paused(
    state: web::Data<AppState>,
    req: HttpRequest,
    OwnerResponse { token, lang, .. }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    let mut private_link = link(&state, &token, false);
    private_link.mail = mail_offer(&state, &token, lang, "paused");
    private_link.mailed = query_flag(&req, "mailed");
    render_paused(&token, lang, private_link, actix_web::http::StatusCode::OK)
}

fn render_paused(
    token: &ResponseToken,
    lang: Lang,
    link: PrivateLink,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let view = PausedPage {
        chrome: crate::present::pages::Chrome::new(
            lang,
            text(lang, "paused_title"),
            &format!("{}/paused", token_path(token)),
        ),
        link,
    };
    html(status, "pages/paused", &view)
}

/// The mail-link form: the address, and the page to go back to.
#[derive(Deserialize)]
pub struct MailLinkFields {
    back: Option<String>,
    email: Option<String>,
}

/// Sends the private link to the address typed in, once. The address lives only in this
/// request: it is neither stored nor logged (the request log has the path, never the body).
#[post("/s/{token}/mail-link")]
pub async fn mail_link(
    state: web::Data<AppState>,
    OwnerResponse { token, lang, .. }: OwnerResponse,
    Form(form): Form<MailLinkFields>,
) -> Result<HttpResponse, WebError> {
    let Some(mailer) = state.mailer.as_ref() else {
        return Err(WebError::not_found());
    };
    // Only our own pages are places to go back to.
    let back = match form.back.as_deref() {
        Some("paused") => "paused".to_owned(),
        Some(step)
            if step
                .strip_prefix("step/")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| state.responses.catalogue().page(n).is_some()) =>
        {
            step.to_owned()
        }
        _ => "paused".to_owned(),
    };
    let typed = form.email.as_deref().unwrap_or_default();
    let failed = |status, key: &str| {
        let mut private_link = link(&state, &token, false);
        private_link.mail = mail_offer(&state, &token, lang, &back).map(|offer| MailOffer {
            value: typed.to_owned(),
            error: Some(text(lang, key)),
            ..offer
        });
        render_paused(&token, lang, private_link, status)
    };
    let Ok(address) = Mailer::parse_address(typed) else {
        return failed(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "mail_link_invalid",
        );
    };
    let url = link(&state, &token, false).url;
    let mail = Mail {
        subject: text(lang, "mail_link_subject"),
        body: text(lang, "mail_link_body").replace("{link}", &url),
    };
    match mailer.send(address, mail).await {
        Ok(()) => Ok(see_other(format!(
            "{}/{back}?lang={}&mailed=1",
            token_path(&token),
            lang.code()
        ))),
        Err(MailError::InvalidAddress) => failed(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "mail_link_invalid",
        ),
        // The relay is down or refused: say so and point to the link on the page.
        Err(MailError::NotSent) => failed(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "mail_link_failed",
        ),
    }
}

#[get("/s/{token}/review")]
pub async fn review(
    state: web::Data<AppState>,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    if response.is_submitted() {
        return Ok(see_other(format!(
            "{}/result?lang={}",
            token_path(&token),
            lang.code()
        )));
    }
    render_review(
        &state,
        &token,
        &response,
        lang,
        &[],
        actix_web::http::StatusCode::OK,
    )
}

fn render_review(
    state: &AppState,
    token: &ResponseToken,
    response: &LoadedResponse,
    lang: Lang,
    errors: &[FieldError],
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let view = ReviewPage::new(
        state.responses.catalogue(),
        lang,
        &token_path(token),
        link(state, token, false),
        &response.answers,
        response.record.firm_name.as_deref(),
        errors,
    );
    html(status, "pages/review", &view)
}

#[post("/s/{token}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    OwnerResponse {
        token,
        response,
        lang,
    }: OwnerResponse,
    // The form carries nothing but the button; read it so the limit applies all the same.
    Form(_): Form,
) -> Result<HttpResponse, WebError> {
    super::client::limit(&state, &req, &state.limits.form_posts)?;
    match state.responses.submit(&response).await {
        Ok(_) => {
            state.metrics.submission(super::metrics::Channel::Form);
            state.campaigns.response_submitted(response.record.id);
            Ok(see_other(format!(
                "{}/result?lang={}",
                token_path(&token),
                lang.code()
            )))
        }
        Err(ServiceError::Incomplete(errors)) => render_review(
            &state,
            &token,
            &response,
            lang,
            &errors,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(WebError::from(e)),
    }
}

#[get("/s/{token}/result")]
pub async fn result(
    state: web::Data<AppState>,
    ResultLink { token, stamp, lang }: ResultLink,
) -> Result<HttpResponse, WebError> {
    let token_path = token_path(&token);
    if let Some(page) = state.result_pages.kept(&token_path, lang, &stamp) {
        return Ok(html_page(page));
    }
    // Erased since the stamp was read: 404 as if it had not been found.
    let response = state.responses.load(&token).await?;
    let Some(assessment) = response.assessment()? else {
        return Ok(see_other(format!("{token_path}?lang={}", lang.code())));
    };
    let statistics = state.responses.statistics();
    let (benchmark, generation) = state
        .responses
        .benchmark_of_generation(&response.answers, &assessment)
        .await?;
    // An invited response's page also shows its sharing and the consultant's name and logo,
    // which change elsewhere: it is kept only under its full input, never by stamp.
    let stamp = (!response.record.invited).then(|| ResultStamp::of(&response.record, generation));
    // Only an invited response can be shared; the others save a query (issue 17).
    let sharing = if response.record.invited {
        state
            .responses
            .sharing(response.record.id)
            .await
            .map_err(WebError::internal)?
    } else {
        None
    };
    let mut input = ResultPageInput {
        lang,
        k: statistics.policy().k(),
        link_url: link(&state, &token, false).url,
        token_path,
        assessment,
        benchmark,
        firm_name: response.record.firm_name.clone(),
        submitted_at: response
            .record
            .submitted_at
            .unwrap_or(response.record.updated_at),
        shared_with: None,
        withdraw_action: None,
        brand_logo: None,
    };
    if let Some(s) = sharing.filter(|s| s.share_consent_version.is_some()) {
        let profile = s.consultant_profile.map(crate::profiles::Profile::from);
        let name = crate::profiles::shown_name(profile.as_ref(), &s.consultant_email);
        input.shared_with = Some(match s.share_withdrawn_at {
            None => text(lang, "owner_shared_with").replace("{consultant}", &name),
            Some(at) => text(lang, "owner_share_withdrawn")
                .replace("{consultant}", &name)
                .replace("{date}", &crate::present::pages::format_date(lang, at)),
        });
        input.withdraw_action = s
            .share_withdrawn_at
            .is_none()
            .then(|| format!("{}/share/withdraw?lang={}", input.token_path, lang.code()));
        if s.share_withdrawn_at.is_none() {
            input.brand_logo = super::brand::logo_of(&state, s.consultant_id, &name, lang).await?;
        }
    }
    let catalogue = state.responses.catalogue();
    let page = state
        .result_pages
        .serve(input, stamp, move |input| render_result(catalogue, input))
        .await?;
    Ok(html_page(page))
}

fn html_page(page: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(page)
}

/// The result page of `input`; nothing else reaches it (see `result_pages`).
fn render_result(catalogue: &Catalogue, input: &ResultPageInput) -> Result<Rendered, WebError> {
    let mut view = ResultPage::new(ResultInput {
        benchmark: &input.benchmark,
        k: input.k,
        catalogue,
        lang: input.lang,
        token_path: &input.token_path,
        link: PrivateLink {
            url: input.link_url.clone(),
            ..PrivateLink::default()
        },
        assessment: &input.assessment,
        firm_name: input.firm_name.clone(),
        submitted_at: input.submitted_at,
    });
    view.shared_with = input.shared_with.clone();
    view.withdraw_action = input.withdraw_action.clone();
    view.brand_logo = input.brand_logo.clone();
    let html = templates::render("pages/result", &view).map_err(WebError::internal)?;
    // In the order the page shows them.
    let charts = vec![
        view.chart_svg,
        view.chart_svg_narrow,
        view.matrix_svg,
        view.matrix_svg_narrow,
    ];
    Ok(Rendered { html, charts })
}

#[get("/static/app.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(templates::STYLESHEET)
}

/// Liveness: the process serves requests. Whether the database does is `/ready`'s answer.
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Readiness: stored data can be read and a write transaction commits, within
/// `READY_TIMEOUT_MS`; otherwise 503 with `Retry-After`. Also 503 (`"warming"`) while the
/// start-up preparation of the chambers' dashboards runs, at most `READY_WARMING_AT_MOST_MS`
/// (task start: a chamber's view sent here meanwhile would wait for that work).
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.campaigns.warming_at_start() {
        return HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "1"))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({"status": "warming"}));
    }
    match state.responses.ready(state.ready_timeout).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header((
                    actix_web::http::header::RETRY_AFTER,
                    super::error::RETRY_AFTER_SECONDS.to_string(),
                ))
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({"status": "unavailable"}))
        }
    }
}

/// A `mailto:` address without recipient that opens the user's mail program with `subject` and
/// `body` filled in (RFC 6068): everything but unreserved characters percent-encoded as UTF-8,
/// spaces as `%20` (mail programs show a `+` literally) and line breaks as `%0D%0A`.
pub(super) fn mailto_href(subject: &str, body: &str) -> String {
    fn encode(s: &str) -> String {
        let crlf = s.replace("\r\n", "\n").replace('\n', "\r\n");
        let mut out = String::with_capacity(crlf.len() * 3);
        for b in crlf.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    format!("mailto:?subject={}&body={}", encode(subject), encode(body))
}

#[cfg(test)]
mod mailto_tests {
    use super::mailto_href;

    #[test]
    fn mailto_encodes_umlauts_spaces_line_breaks_and_url_delimiters() {
        assert_eq!(
            mailto_href("Prüfung & mehr", "a b\nhttps://x.de/i/A?b=1#c"),
            "mailto:?subject=Pr%C3%BCfung%20%26%20mehr\
             &body=a%20b%0D%0Ahttps%3A%2F%2Fx.de%2Fi%2FA%3Fb%3D1%23c"
        );
    }
}
