//! The web layer: parse requests into domain input, call the domain, render views.
mod accounts;
mod admin;
mod api;
mod body;
mod brand;
mod chamber;
pub mod client;
pub mod connections;
mod consultant;
mod error;
mod extract;
mod guard;
mod i18n;
mod invitation;
mod legal;
pub mod metrics;
mod multipart;
mod owner;
mod pages;
mod profile;
pub mod report;
mod result_pages;
mod session;
mod templates;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpResponse, web};

pub use body::BodyLimits;
pub use error::WebError;
pub use guard::TokenGuard;
pub use i18n::parse_accept_language;

use crate::responses::Responses;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub responses: Responses,
    /// API keys for integrations and their limits.
    pub api_keys: crate::api_keys::ApiKeys,
    /// The public address, without a trailing slash, for absolute links.
    pub base_url: String,
    pub all_cohorts_cache: GenerationCache,
    /// Rendered result pages, kept while their input stays the same.
    pub result_pages: result_pages::ResultPages,
    pub token_guard: guard::TokenGuard,
    /// Trusted proxies and the per-client limits (see `client`).
    pub limits: client::Limits,
    pub reports: report::ReportRenderer,
    pub auth: crate::auth::Auth,
    pub workspace: crate::workspace::Workspace,
    pub campaigns: crate::campaigns::Campaigns,
    /// Names and contacts of consultants and chambers, shown to the firms they invite.
    pub profiles: crate::profiles::Profiles,
    /// Logos, accent colours and cover notes.
    pub brands: crate::brands::Brands,
    /// True behind HTTPS (BASE_URL https://…): cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// How long `/ready` gives the database (`READY_TIMEOUT_MS`).
    pub ready_timeout: std::time::Duration,
    pub body_limits: BodyLimits,
    /// Sends private links by e-mail; `None` without SMTP_URL/MAIL_FROM.
    pub mailer: Option<crate::mail::Mailer>,
    /// Who runs the service, for the Impressum and the privacy notice.
    pub operator: crate::config::Operator,
    /// Request, submission and render counts for `/metrics`, and who may read them.
    pub metrics: metrics::Metrics,
    pub metrics_access: metrics::MetricsAccess,
    /// Open connections per client (`MAX_CONNECTIONS_PER_CLIENT`).
    pub connections: connections::ConnectionCap,
}

/// A serialised body per language, valid for one publication generation of the statistics.
#[derive(Debug, Clone, Default)]
pub struct GenerationCache {
    inner: std::sync::Arc<std::sync::Mutex<Option<CachedBodies>>>,
}

/// The generation the bodies belong to, and one body per language.
type CachedBodies = (i64, Vec<(crate::survey::Lang, actix_web::web::Bytes)>);

impl GenerationCache {
    pub fn get(&self, generation: i64, lang: crate::survey::Lang) -> Option<actix_web::web::Bytes> {
        let guard = self.inner.lock().ok()?;
        let (cached_generation, bodies) = guard.as_ref()?;
        if *cached_generation != generation {
            return None;
        }
        bodies
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, b)| b.clone())
    }

    pub fn put(&self, generation: i64, lang: crate::survey::Lang, body: actix_web::web::Bytes) {
        if let Ok(mut guard) = self.inner.lock() {
            match guard.as_mut() {
                Some((g, bodies)) if *g == generation => bodies.push((lang, body)),
                Some((g, _)) if *g > generation => {}
                _ => *guard = Some((generation, vec![(lang, body)])),
            }
        }
    }
}

/// Checks that templates compile and texts load; called before the server starts.
pub fn check_assets() -> Result<(), String> {
    templates::check()?;
    report::check_texts()?;
    let _ = i18n::texts(crate::survey::Lang::De);
    Ok(())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    extractor_errors(cfg);
    // The result page first: actix tries the routes in order, and the nine before it (seven of
    // them `/s/{token}…`) each ran a regex over the path (33,500 instructions each on average,
    // 7 % of a result page). The patterns are disjoint (`{token}` holds no `/`), so the
    // order changes nothing else.
    cfg.service(pages::result)
        .service(pages::landing)
        .service(pages::start)
        .service(pages::resume)
        .service(pages::show_step)
        .service(pages::save_step)
        .service(pages::paused)
        .service(pages::mail_link)
        .service(pages::review)
        .service(pages::submit)
        .service(pages::stylesheet)
        .service(pages::health)
        .service(pages::ready)
        .service(api::questionnaire)
        .service(api::openapi)
        .service(api::create_response)
        .service(api::get_response)
        .service(report::owner_report)
        .service(report::api_report)
        .service(api::all_cohort_statistics)
        .service(api::cohort_statistics)
        .service(owner::export)
        .service(owner::confirm_delete)
        .service(owner::delete)
        .service(owner::withdraw_sharing)
        .service(accounts::login_form)
        .service(accounts::login)
        .service(accounts::logout)
        .service(accounts::admin_users)
        .service(accounts::create_user)
        .service(accounts::confirm_disable)
        .service(accounts::disable_user)
        .service(accounts::enable_user)
        .service(accounts::password_form)
        .service(accounts::change_password)
        .service(admin::api_keys)
        .service(admin::issue_api_key)
        .service(admin::revoke_api_key)
        .service(admin::held_back)
        .service(admin::decide_held_back)
        .service(chamber::home)
        .service(chamber::create_campaign)
        .service(chamber::campaign_page)
        .service(chamber::campaign_qr)
        .service(chamber::campaign_qr_png)
        .service(chamber::dashboard_page)
        .service(chamber::dashboard_csv)
        .service(chamber::dashboard_pdf)
        .service(chamber::campaign_landing)
        .service(chamber::campaign_start)
        .service(chamber::campaign_continue)
        .service(consultant::clients)
        .service(consultant::create_client)
        .service(consultant::reports_zip)
        .service(consultant::client)
        .service(consultant::reinvite)
        .service(consultant::client_report)
        .service(invitation::landing)
        .service(invitation::respond)
        .service(legal::impressum)
        .service(legal::privacy)
        .service(metrics::exposition)
        .service(profile::consultant_profile)
        .service(profile::save_consultant_profile)
        .service(profile::chamber_profile)
        .service(profile::save_chamber_profile)
        .service(brand::consultant_brand)
        .service(brand::save_consultant_brand)
        .service(brand::chamber_brand)
        .service(brand::save_chamber_brand)
        .service(brand::serve_logo)
        .service(brand::save_cover_note);
}

/// Every route and the methods it answers, for the `Allow` header of a 405. A unit test checks
/// this list against the `#[get]`/`#[post]` attributes of the handlers, so it cannot drift.
const ROUTES: &[(&str, &str)] = &[
    ("/", "GET"),
    ("/account/password", "GET, POST"),
    ("/admin/api-keys", "GET, POST"),
    ("/admin/api-keys/{id}/revoke", "POST"),
    ("/admin/held-back", "GET, POST"),
    ("/admin/users", "GET, POST"),
    ("/admin/users/{id}/disable", "GET, POST"),
    ("/admin/users/{id}/enable", "POST"),
    ("/api/openapi.json", "GET"),
    ("/api/v1/benchmarks", "GET"),
    ("/api/v1/benchmarks/all", "GET"),
    ("/api/v1/questionnaire", "GET"),
    ("/api/v1/responses", "POST"),
    ("/api/v1/responses/{token}", "GET"),
    ("/api/v1/responses/{token}/report.pdf", "GET"),
    ("/brand/logo/{hash}", "GET"),
    ("/c/{code}", "GET, POST"),
    ("/c/{code}/continue", "GET"),
    ("/chamber", "GET"),
    ("/chamber/brand", "GET, POST"),
    ("/chamber/campaigns", "POST"),
    ("/chamber/campaigns/{id}", "GET"),
    ("/chamber/campaigns/{id}/qr.png", "GET"),
    ("/chamber/campaigns/{id}/qr.svg", "GET"),
    ("/chamber/dashboard", "GET"),
    ("/chamber/dashboard.csv", "GET"),
    ("/chamber/dashboard.pdf", "GET"),
    ("/chamber/profile", "GET, POST"),
    ("/consultant", "GET"),
    ("/consultant/brand", "GET, POST"),
    ("/consultant/clients", "POST"),
    ("/consultant/clients/{id}", "GET"),
    ("/consultant/clients/{id}/invitations", "POST"),
    ("/consultant/clients/{id}/report.pdf", "GET"),
    ("/consultant/clients/{id}/cover-note", "POST"),
    ("/consultant/profile", "GET, POST"),
    ("/consultant/reports.zip", "GET"),
    ("/datenschutz", "GET"),
    ("/health", "GET"),
    ("/impressum", "GET"),
    ("/i/{code}", "GET, POST"),
    ("/login", "GET, POST"),
    ("/logout", "POST"),
    ("/metrics", "GET"),
    ("/ready", "GET"),
    ("/s/{token}", "GET"),
    ("/s/{token}/delete", "GET, POST"),
    ("/s/{token}/export.json", "GET"),
    ("/s/{token}/mail-link", "POST"),
    ("/s/{token}/paused", "GET"),
    ("/s/{token}/report.pdf", "GET"),
    ("/s/{token}/result", "GET"),
    ("/s/{token}/share/withdraw", "POST"),
    ("/s/{token}/review", "GET"),
    ("/s/{token}/step/{step}", "GET, POST"),
    ("/s/{token}/submit", "POST"),
    ("/start", "POST"),
    ("/static/app.css", "GET"),
];

/// The methods a path answers, if it is one of ours.
fn allowed_methods(path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|(pattern, _)| actix_web::dev::ResourceDef::new(*pattern).is_match(path))
        .map(|(_, allow)| *allow)
}

/// actix-web's own extractors answer in our words too: a path segment that does not parse is a
/// 404 (`/admin/users/abc/disable`), a query, JSON or form body that does not fit is a 400.
fn extractor_errors(cfg: &mut web::ServiceConfig) {
    fn bad(e: impl std::fmt::Display) -> actix_web::Error {
        WebError::bad_request(&e.to_string()).into()
    }
    cfg.app_data(web::PathConfig::default().error_handler(|_, _| WebError::not_found().into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| bad(e)))
        .app_data(web::JsonConfig::default().error_handler(|e, _| bad(e)))
        .app_data(web::FormConfig::default().error_handler(|e, _| bad(e)));
}

/// Requests no route took: a 405 with `Allow` when the path is ours but the method is not, else
/// a 404 (rendered by route in `error_pages`).
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, WebError> {
    Err(match allowed_methods(req.path()) {
        Some(allow) => WebError::method_not_allowed(allow),
        None => WebError::not_found(),
    })
}

/// How an error of this request is shown: JSON under /api, else a page in the request's
/// language.
fn error_format(req: &actix_web::HttpRequest) -> error::Format {
    if req.path().starts_with("/api/") {
        error::Format::Json
    } else {
        error::Format::Html(extract::lang_of(req))
    }
}

/// The one error path. Handlers and extractors return a [`WebError`] with `?`; here it becomes
/// the service's page in the visitor's language, or JSON under /api. Error answers that did not
/// come from us (actix-web's plain-text defaults) get the same treatment, with the same status
/// and `Allow`/`Retry-After`.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    // (The request must not be cloned before routing: the router writes into it.)
    let response = next.call(req).await?;
    let status = response.status();
    let unformatted = response
        .response()
        .error()
        .and_then(|e| e.as_error::<WebError>())
        .filter(|e| e.format().is_none());
    if let Some(error) = unformatted {
        let format = error_format(response.request());
        // For a logged-in visitor, with the account's navigation, so a wrong link does not look
        // like a logout.
        let page = match with_account(&response, error, format).await {
            Some(page) => page,
            None => error.render(format),
        };
        let (request, _) = response.into_parts();
        return Ok(ServiceResponse::new(request, page).map_into_right_body());
    }
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response.map_into_left_body());
    }
    if ours {
        // Our own error page: for a logged-in visitor, again with the account's navigation, so
        // a wrong link does not look like a logout.
        let handler_formatted = response
            .response()
            .error()
            .and_then(|e| e.as_error::<WebError>())
            .and_then(|e| Some((e, e.format()?)));
        let page = match handler_formatted {
            Some((error, format)) => with_account(&response, error, format).await,
            None => None,
        };
        return Ok(match page {
            Some(page) => {
                let (request, _) = response.into_parts();
                ServiceResponse::new(request, page).map_into_right_body()
            }
            None => response.map_into_left_body(),
        });
    }
    let (request, original) = response.into_parts();
    let error = WebError::from_status(status);
    let mut page = error.render(error_format(&request));
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = original.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    Ok(ServiceResponse::new(request, page).map_into_right_body())
}

/// HEAD is answered wherever GET is (RFC 9110, 9.3.2): the request is routed as a GET, and the
/// HTTP layer, which saw the HEAD, sends the head of that answer without its body.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// An error page of ours rendered with the account navigation, if the visitor is logged in
/// (same status and headers as without it); None for JSON answers and anonymous visitors.
async fn with_account<B>(
    response: &ServiceResponse<B>,
    error: &WebError,
    format: error::Format,
) -> Option<HttpResponse> {
    let error::Format::Html(lang) = format else {
        return None;
    };
    let state = response
        .request()
        .app_data::<actix_web::web::Data<AppState>>()?;
    let user = session::current_user(state, response.request())
        .await
        .ok()??;
    let html = error.page_with_account(lang, &user)?;
    let rendered = error.render(format);
    let mut page = HttpResponse::build(rendered.status()).body(html);
    for (name, value) in rendered.headers() {
        page.headers_mut().append(name.clone(), value.clone());
    }
    Some(page)
}

/// Headers every answer carries (OWASP ASVS 3.4): no framing, no sniffing, a strict content
/// security policy (no scripts at all). The referrer policy is set per answer by
/// [`referrer_policy`].
/// Behind HTTPS, HSTS as well (ASVS 3.4.1).
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = if https {
        DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'; object-src 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Private pages (anything with a token) must not be cached anywhere.
pub async fn no_store_for_private(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let private = path.starts_with("/s/")
        || path.starts_with("/i/")
        || path.starts_with("/c/")
        || path.starts_with("/api/v1/responses")
        || path == "/start"
        || path.starts_with("/login")
        || path.starts_with("/logout")
        || path.starts_with("/admin")
        || path.starts_with("/account")
        || path.starts_with("/consultant")
        || path.starts_with("/chamber")
        || path == "/metrics";
    let mut response = next.call(req).await?;
    if private {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// The referrer policy, chosen per answer.
///
/// - HTML pages: `same-origin`. Their forms need it: under `no-referrer` the Fetch standard
///   serialises the `Origin` of a form POST as `null` (Chromium and Firefox both do), and the
///   CSRF check below could not tell our own forms from a sandboxed attacker page. `same-origin`
///   still sends no `Referer` at all to other sites, so a private link (`/s/{token}`, `/i/…`,
///   `/c/…`) never leaves the service through a link or a sub-resource.
/// - Everything else (JSON, PDF, CSV, images): `no-referrer`; they hold no forms and no links a
///   browser would follow with a referrer we want to keep.
pub async fn referrer_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = if html { "same-origin" } else { "no-referrer" };
    response
        .headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static(policy));
    Ok(response)
}

/// Whether a form POST's fetch metadata shows it came from another site.
///
/// `Sec-Fetch-Site` is set by the browser and cannot be written by a page: when present it
/// decides (`same-origin`, or `none` for a user-initiated navigation, pass). Without it, an
/// `Origin` must name this host; `Origin: null` alone is refused, since any sandboxed iframe or
/// `data:` page of an attacker can produce it. Requests with neither header are not from a
/// browser and carry no ambient credentials to abuse.
pub fn is_foreign_post(fetch_site: Option<&str>, origin: Option<&str>, host: &str) -> bool {
    let own_origin = |o: &str| {
        let o = o.trim_end_matches('/');
        o == format!("http://{host}") || o == format!("https://{host}")
    };
    match (fetch_site, origin) {
        (Some("same-origin") | Some("none"), Some(o)) if o != "null" => !own_origin(o),
        (Some("same-origin") | Some("none"), _) => false,
        (Some(_), _) => true,
        (None, Some(o)) => !own_origin(o),
        (None, None) => false,
    }
}

/// CSRF defence for the forms (ASVS 3.5): a state-changing browser request must come from our own
/// origin (see [`is_foreign_post`]).
pub async fn same_origin_posts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() == Method::POST && !req.path().starts_with("/api/") {
        let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        // The Host header, or a forwarded host only from a trusted proxy (a client-sent
        // X-Forwarded-Host must not make a foreign Origin look like our own).
        let proxies = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.limits.proxies.clone())
            .unwrap_or_default();
        let peer = req.peer_addr().map(|a| a.ip());
        let host = client::host(peer, req.headers(), req.uri(), &proxies).unwrap_or_default();
        if is_foreign_post(header("Sec-Fetch-Site"), header("Origin"), &host) {
            let lang = i18n::request_lang(req.request(), None);
            let error = WebError::forbidden(
                "Dieses Formular wurde von einer fremden Seite abgeschickt und nicht verarbeitet.",
                "This form was sent from another site and was not processed.",
            )
            .html(lang);
            let response = actix_web::ResponseError::error_response(&error);
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// One span and one structured log line per request, with its request id: the id a proxy in front
/// sent in `X-Request-Id` (if it is a short plain token), else a new one. Every log line written
/// while the request is served (errors with their causes, service spans) carries it, and the
/// answer names it in `X-Request-Id`, so a person reporting a problem can quote it. Private
/// tokens in paths are redacted: a capability URL in a log file would be a key left lying around
/// (ASVS 16.2.5).
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = redact_tokens(req.path());
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_plain_id(v))
        .map_or_else(new_request_id, str::to_owned);
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let mut response = next.call(req).instrument(span.clone()).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(header::HeaderName::from_static(REQUEST_ID), value);
    }
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if status >= 500 {
        tracing::error!(status, elapsed_ms, "request");
    } else {
        tracing::info!(status, elapsed_ms, "request");
    }
    drop(_entered);
    Ok(response)
}

/// An id from outside is taken only if it cannot smuggle anything into a log line or header.
fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A new request id: unique in this process and, with the start time, across restarts and
/// instances in practice. Not a secret.
fn new_request_id() -> String {
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static STARTED: LazyLock<u64> = LazyLock::new(|| {
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{:016x}-{:x}",
        *STARTED,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn redact_tokens(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.len() >= 32
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                ":token"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::is_foreign_post;

    #[test]
    fn forms_from_real_browsers_pass_and_foreign_ones_do_not() {
        let host = "127.0.0.1:8080";
        // Chromium under `no-referrer`: Origin null, but the browser vouches for same-origin.
        assert!(!is_foreign_post(Some("same-origin"), Some("null"), host));
        // Chromium and Firefox under `same-origin`: the real Origin.
        assert!(!is_foreign_post(
            Some("same-origin"),
            Some("http://127.0.0.1:8080"),
            host
        ));
        assert!(!is_foreign_post(None, Some("http://127.0.0.1:8080"), host));
        assert!(!is_foreign_post(
            None,
            Some("https://127.0.0.1:8080/"),
            host
        ));
        // Not a browser: nothing to forge.
        assert!(!is_foreign_post(None, None, host));
        // Another port is another origin.
        assert!(is_foreign_post(
            Some("same-site"),
            Some("http://127.0.0.1:9999"),
            host
        ));
        assert!(is_foreign_post(None, Some("http://127.0.0.1:9999"), host));
        assert!(is_foreign_post(Some("cross-site"), Some("null"), host));
        assert!(is_foreign_post(Some("cross-site"), None, host));
        // `null` on its own is what any sandboxed attacker page sends.
        assert!(is_foreign_post(None, Some("null"), host));
        // A browser never pairs same-origin with a foreign Origin; if something does, refuse.
        assert!(is_foreign_post(
            Some("same-origin"),
            Some("https://evil.example"),
            host
        ));
    }

    /// Every `.rs` file under `src/web/`, however deep: a route in a new file is found too.
    fn web_sources() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web"),
            &mut out,
        );
        out
    }

    /// The 405 table names exactly the routes the handlers declare, in any file under `src/web/`.
    #[test]
    fn the_route_table_matches_the_handlers() {
        let sources = web_sources();
        assert!(sources.len() > 10, "the web sources were not found");
        let mut declared: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
        for source in &sources {
            for line in source.lines().map(str::trim) {
                for (prefix, method) in [("#[get(\"", "GET"), ("#[post(\"", "POST")] {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        let path = rest.split('"').next().unwrap_or_default().to_owned();
                        declared.entry(path).or_default().push(method);
                    }
                }
            }
        }
        let table: std::collections::BTreeMap<String, Vec<&str>> = super::ROUTES
            .iter()
            .map(|(p, m)| (p.to_string(), m.split(", ").collect()))
            .collect();
        let declared: std::collections::BTreeMap<String, Vec<&str>> = declared
            .into_iter()
            .map(|(p, mut m)| {
                m.sort_unstable();
                (p, m)
            })
            .collect();
        assert_eq!(table, declared);
        assert_eq!(super::allowed_methods("/s/abc/step/3"), Some("GET, POST"));
        assert_eq!(super::allowed_methods("/nowhere"), None);
    }

    #[test]
    fn request_ids_from_outside_are_taken_only_when_plain() {
        assert!(super::is_plain_id("3f2a-9c.01_x"));
        assert!(!super::is_plain_id(""));
        assert!(!super::is_plain_id("a b"));
        assert!(!super::is_plain_id("x\nforged log line"));
        assert!(!super::is_plain_id(&"a".repeat(65)));
        assert_ne!(super::new_request_id(), super::new_request_id());
    }

    #[test]
    fn tokens_never_reach_the_log() {
        let path = "/s/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd/step/2";
        assert_eq!(super::redact_tokens(path), "/s/:token/step/2");
        assert_eq!(
            super::redact_tokens("/api/v1/questionnaire"),
            "/api/v1/questionnaire"
        );
    }
}
