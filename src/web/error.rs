//! The one place where errors become HTTP answers: JSON for the API, a page for browsers.
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::templates;
use crate::present::pages::{Chrome, ErrorPage};
use crate::responses::ServiceError;
use crate::survey::{FieldError, Lang, Text};

/// What went wrong inside, kept as an error so that its sources can be logged.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Bits of [`WebError::allow`].
const GET: u8 = 1;
const POST: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html(Lang),
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{status}: {}", message.en)]
pub struct WebError {
    status: StatusCode,
    message: Text,
    details: Vec<FieldError>,
    /// `None`: rendered by route at the edge (`error_pages`): JSON under /api, else a page.
    format: Option<Format>,
    /// Logged with its chain of sources (once, when the answer is made), never shown.
    cause: Option<Cause>,
    retry_after: Option<u32>,
    /// Set for "log in first": the answer is a redirect to the login page, not an error page.
    location: Option<Box<str>>,
    /// The methods a 405 names in its `Allow` header, as bits ([`GET`], [`POST`]): one byte, so
    /// that the error stays small (clippy::result_large_err).
    allow: u8,
}

impl WebError {
    fn new(status: StatusCode, de: &str, en: &str) -> WebError {
        WebError {
            status,
            message: Text {
                de: de.into(),
                en: en.into(),
            },
            details: Vec::new(),
            format: None,
            cause: None,
            retry_after: None,
            location: None,
            allow: 0,
        }
    }

    /// Renders this error as a page in `lang` instead of JSON.
    pub fn html(mut self, lang: Lang) -> WebError {
        self.format = Some(Format::Html(lang));
        self
    }

    /// The format a handler fixed, if any (see [`super::error_pages`]).
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &Text {
        &self.message
    }

    pub fn bad_request(en: &str) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, &german_bad_request(en), en)
    }

    pub fn bad_request_with(message: Text) -> WebError {
        WebError {
            message,
            ..WebError::new(StatusCode::BAD_REQUEST, "", "")
        }
    }

    pub fn unprocessable(message: Text, details: Vec<FieldError>) -> WebError {
        WebError {
            message,
            details,
            ..WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "", "")
        }
    }

    pub fn payload_too_large() -> WebError {
        WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Die Anfrage ist größer als 64 KiB und wurde nicht verarbeitet.",
            "The request body is larger than 64 KiB and was not processed.",
        )
    }

    /// A body over a route's own limit (`limit` bytes).
    pub fn payload_too_large_of(limit: usize) -> WebError {
        if limit == super::body::BODY_LIMIT {
            return WebError::payload_too_large();
        }
        let kib = limit / 1024;
        WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("Die Anfrage ist größer als {kib} KiB und wurde nicht verarbeitet."),
            &format!("The request body is larger than {kib} KiB and was not processed."),
        )
    }

    pub fn unsupported_media_type(expected: &str) -> WebError {
        WebError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Erwartet wird Content-Type: {expected}."),
            &format!("Expected Content-Type: {expected}."),
        )
    }

    /// The path exists, the method does not (RFC 9110 15.5.6: with `Allow`).
    /// `allow` lists methods as in the header: "GET", "POST" or "GET, POST".
    pub fn method_not_allowed(allow: &str) -> WebError {
        let bits = allow.split(',').fold(0, |bits, m| match m.trim() {
            "GET" => bits | GET,
            "POST" => bits | POST,
            _ => bits,
        });
        WebError {
            allow: bits,
            ..WebError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Diese Methode ist für diese Adresse nicht erlaubt.",
                "This method is not allowed for this address.",
            )
        }
    }

    /// An error answer that did not come from our own handlers (actix-web's defaults, an
    /// extractor that failed): the same status, our words.
    pub fn from_status(status: StatusCode) -> WebError {
        match status.as_u16() {
            404 => WebError::not_found(),
            413 => WebError::payload_too_large(),
            s if s >= 500 => WebError::new(
                status,
                "Ein interner Fehler ist aufgetreten.",
                "An internal error occurred.",
            ),
            _ => WebError::new(
                status,
                "Diese Anfrage konnte nicht verarbeitet werden.",
                "This request could not be processed.",
            ),
        }
    }

    pub fn not_found() -> WebError {
        WebError::new(StatusCode::NOT_FOUND, "Nicht gefunden.", "Not found.")
    }

    /// 429 with `Retry-After` (seconds, capped to fit the header's u32).
    fn too_many(retry_after: u64, de: &str, en: &str) -> WebError {
        WebError {
            retry_after: Some(u32::try_from(retry_after).unwrap_or(u32::MAX)),
            ..WebError::new(StatusCode::TOO_MANY_REQUESTS, de, en)
        }
    }

    pub fn too_many_requests(retry_after: u64) -> WebError {
        WebError::too_many(
            retry_after,
            "Zu viele Versuche mit unbekannten Links. Bitte warten Sie einen Moment.",
            "Too many attempts with unknown links. Please wait a moment.",
        )
    }

    /// A page that needs a login: 303 to the login form, which returns here afterwards.
    pub fn login_required(back_to: &str) -> WebError {
        let next: String = form_urlencoded::byte_serialize(back_to.as_bytes()).collect();
        WebError {
            location: Some(format!("/login?next={next}").into()),
            ..WebError::new(
                StatusCode::SEE_OTHER,
                "Bitte melden Sie sich an.",
                "Please log in.",
            )
        }
    }

    pub fn too_many_logins(retry_after: u64) -> WebError {
        let (de, en) = wait_text(retry_after);
        WebError::too_many(
            retry_after,
            &format!("Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie {de}."),
            &format!("Too many failed logins. Please wait {en}."),
        )
    }

    pub fn csrf_failed() -> WebError {
        WebError::forbidden(
            "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
            "The form has expired or did not come from this site. Please reload the page and try again.",
        )
    }

    pub fn forbidden(de: &str, en: &str) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, de, en)
    }

    /// A failure of ours. When its cause is the database being unavailable (no connection in
    /// time, connection lost, disk full), the answer is 503 with `Retry-After` instead of 500.
    pub fn internal(cause: impl Into<Cause>) -> WebError {
        let cause = cause.into();
        if unavailable(&*cause) {
            return WebError::unavailable(cause);
        }
        WebError {
            cause: Some(cause),
            ..WebError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Ein interner Fehler ist aufgetreten.",
                "An internal error occurred.",
            )
        }
    }
}

impl WebError {
    /// 503: the database cannot serve now; the client may retry after a few seconds.
    pub fn unavailable(cause: impl Into<Cause>) -> WebError {
        WebError {
            cause: Some(cause.into()),
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Der Dienst ist gerade nicht erreichbar. Es wurde nichts gespeichert. Bitte versuchen Sie es in einigen Sekunden noch einmal.",
                "The service is unavailable right now. Nothing was stored. Please try again in a few seconds.",
            )
        }
    }

    /// 303 to another page of this site (e.g. the password form a new account must pass).
    pub fn see_other(location: &str) -> WebError {
        WebError {
            location: Some(location.into()),
            ..WebError::new(StatusCode::SEE_OTHER, "", "")
        }
    }

    /// 429: this client has sent more of these requests than its limit allows.
    pub fn rate_limited(retry_after: u64) -> WebError {
        let (de, en) = wait_text(retry_after);
        WebError::too_many(
            retry_after,
            &format!(
                "Von Ihrem Anschluss kamen zu viele dieser Anfragen. Es wurde nichts gespeichert. Bitte versuchen Sie es in {de} noch einmal."
            ),
            &format!(
                "Too many of these requests came from your connection. Nothing was stored. Please try again in {en}."
            ),
        )
    }

    /// 401: an `Authorization` header that is not a valid, unrevoked API key. Nothing is
    /// stored; a request without the header is not refused, but held back (see the README).
    pub fn invalid_api_key() -> WebError {
        WebError::new(
            StatusCode::UNAUTHORIZED,
            "Der API-Schlüssel ist ungültig oder widerrufen. Es wurde nichts gespeichert.",
            "The API key is not valid or was revoked. Nothing was stored.",
        )
    }

    /// 429: the API key has used up its own limit.
    pub fn api_key_rate_limited(retry_after: u64) -> WebError {
        let (de, en) = wait_text(retry_after);
        WebError::too_many(
            retry_after,
            &format!(
                "Dieser API-Schlüssel hat sein Limit erreicht. Es wurde nichts gespeichert. Bitte versuchen Sie es in {de} noch einmal."
            ),
            &format!(
                "This API key has reached its limit. Nothing was stored. Please try again in {en}."
            ),
        )
    }

    /// 408: the request body did not arrive in time.
    pub fn request_timeout() -> WebError {
        WebError::new(
            StatusCode::REQUEST_TIMEOUT,
            "Die Anfrage kam zu langsam an und wurde nicht verarbeitet. Bitte senden Sie sie noch einmal.",
            "The request arrived too slowly and was not processed. Please send it again.",
        )
    }
}

/// An error and its sources, outermost first: "a: b: c". A source whose text the message
/// already contains (thiserror's `"…: {0}"` with `#[from]`) is not repeated.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

/// A wait for people: "45 Sekunden" / "45 seconds", "2 Minuten" / "2 minutes" (rounded up).
fn wait_text(seconds: u64) -> (String, String) {
    match seconds {
        0..=1 => ("1 Sekunde".into(), "1 second".into()),
        2..=59 => (format!("{seconds} Sekunden"), format!("{seconds} seconds")),
        60 => ("1 Minute".into(), "1 minute".into()),
        _ => {
            let minutes = seconds.div_ceil(60);
            (format!("{minutes} Minuten"), format!("{minutes} minutes"))
        }
    }
}

/// What a 503 tells the client to wait before retrying.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// Whether an error's cause is the database being unavailable (asked of the services, which
/// know the database's errors; the web layer does not).
fn unavailable(cause: &(dyn std::error::Error + 'static)) -> bool {
    crate::responses::is_unavailable(cause)
}

fn german_bad_request(en: &str) -> String {
    match en {
        "The form data is not valid UTF-8." => "Die Formulardaten sind kein gültiges UTF-8.".into(),
        "The request body could not be read." => "Die Anfrage konnte nicht gelesen werden.".into(),
        _ => format!("Ungültige Anfrage: {en}"),
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> WebError {
        match e {
            ServiceError::Invalid(details) => WebError::unprocessable(
                Text {
                    de: "Einige Angaben sind ungültig. Es wurde nichts gespeichert.".into(),
                    en: "Some answers are not valid. Nothing was stored.".into(),
                },
                details,
            ),
            ServiceError::Incomplete(details) => WebError::unprocessable(
                Text {
                    de: "Es fehlen Antworten auf Pflichtfragen. Es wurde nichts gespeichert."
                        .into(),
                    en: "Required answers are missing. Nothing was stored.".into(),
                },
                details,
            ),
            ServiceError::NotFound => WebError::not_found(),
            ServiceError::AlreadySubmitted => WebError::new(
                StatusCode::CONFLICT,
                "Diese Antworten wurden bereits abgesendet und lassen sich nicht mehr ändern.",
                "This response was submitted already and can no longer be changed.",
            ),
            ServiceError::NotSubmitted => WebError::new(
                StatusCode::CONFLICT,
                "Diese Antworten wurden noch nicht abgesendet.",
                "This response has not been submitted yet.",
            ),
            ServiceError::IdempotencyConflict => WebError::unprocessable(
                Text {
                    de: "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet."
                        .into(),
                    en: "This Idempotency-Key was already used with a different request body."
                        .into(),
                },
                Vec::new(),
            ),
            e @ (ServiceError::Randomness(_)
            | ServiceError::Db(_)
            | ServiceError::StoredJson { .. }
            | ServiceError::WriteJson { .. }
            | ServiceError::Benchmark { .. }
            | ServiceError::Statistics(_)
            | ServiceError::Dashboard(_)
            | ServiceError::Time(_)
            | ServiceError::Task(_)
            | ServiceError::Inconsistent(_)) => WebError::internal(e),
        }
    }
}

impl From<crate::auth::AuthError> for WebError {
    fn from(e: crate::auth::AuthError) -> WebError {
        use crate::auth::AuthError;
        match e {
            AuthError::Invalid { field, message } => WebError::unprocessable(
                message.clone(),
                vec![FieldError {
                    field: field.into(),
                    message,
                }],
            ),
            AuthError::EmailTaken => WebError::new(
                StatusCode::CONFLICT,
                "Für diese E-Mail-Adresse gibt es bereits ein Konto.",
                "There is already an account for this e-mail address.",
            ),
            e => WebError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("rendering the report failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_cause_is_logged_with_its_sources() {
        let inner = std::io::Error::other("disk full");
        assert_eq!(
            super::chain(&Outer(inner)),
            "rendering the report failed: disk full"
        );
        let unreadable = crate::responses::ServiceError::StoredJson {
            what: "result",
            source: serde_json::from_str::<u8>("x").expect_err("not a number"),
        };
        assert_eq!(
            super::chain(&unreadable),
            "the stored result cannot be read: expected value at line 1 column 1"
        );
        let error = super::WebError::from(unreadable);
        assert_eq!(error.status().as_u16(), 500);
    }

    /// A read or write that lost its retries to concurrent writers (a dashboard while the
    /// chamber's campaigns keep publishing) is told to retry: 503 with Retry-After, not 500.
    #[test]
    fn a_conflict_that_outlasted_its_retries_is_a_503_with_retry_after() {
        let error = super::WebError::from(crate::responses::ServiceError::Db(
            crate::db::DbError::Conflict,
        ));
        assert_eq!(error.status().as_u16(), 503);
        assert_eq!(error.retry_after, Some(super::RETRY_AFTER_SECONDS));
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    error: &'a str,
    details: Vec<Detail>,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(status = %self.status, cause = %chain(&**cause), "request failed");
        }
        self.render(self.format.unwrap_or(Format::Json))
    }
}

impl WebError {
    /// The answer in `format`: a page or JSON, with `Allow`, `Retry-After` and no caching.
    pub fn render(&self, format: Format) -> HttpResponse {
        if let Some(location) = &self.location {
            return HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, &**location))
                .insert_header((CACHE_CONTROL, "no-store"))
                .finish();
        }
        let mut response = match format {
            Format::Json => {
                let details = self
                    .details
                    .iter()
                    .map(|d| Detail {
                        field: d.field.clone(),
                        message: d.message.en.clone(),
                    })
                    .collect();
                HttpResponse::build(self.status).json(JsonError {
                    error: &self.message.en,
                    details,
                })
            }
            Format::Html(lang) => {
                let view = ErrorPage::new(lang, self.status.as_u16(), &self.message, &self.details);
                match templates::render("pages/error", &view) {
                    Ok(html) => HttpResponse::build(self.status)
                        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
                        .body(html),
                    Err(e) => {
                        tracing::error!(error = %e, "rendering the error page failed");
                        HttpResponse::build(self.status)
                            .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
                            .body(self.message.get(lang).to_owned())
                    }
                }
            }
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let allow = match (self.allow & GET != 0, self.allow & POST != 0) {
            (true, true) => Some("GET, POST"),
            (true, false) => Some("GET"),
            (false, true) => Some("POST"),
            (false, false) => None,
        };
        if let Some(allow) = allow {
            response.headers_mut().insert(
                actix_web::http::header::ALLOW,
                HeaderValue::from_static(allow),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
        response
    }
}

impl WebError {
    /// The error page again, with the account's navigation for a logged-in visitor; None for
    /// JSON answers and redirects (the middleware that knows the visitor calls this).
    pub fn page_with_account(&self, lang: Lang, user: &crate::auth::CurrentUser) -> Option<String> {
        if self.location.is_some() {
            return None;
        }
        let mut view = ErrorPage::new(lang, self.status.as_u16(), &self.message, &self.details);
        view.chrome = Chrome::for_user(lang, view.heading.clone(), "/", user);
        // "Zur Startseite" leads to the account's own start page.
        view.home = format!("{}?lang={}", user.role.home(), lang.code());
        templates::render("pages/error", &view).ok()
    }
}

impl Chrome {
    /// Used by the error page, which has no request at hand.
    pub fn minimal(lang: Lang, title: String) -> Chrome {
        Chrome::new(lang, title, "/")
    }
}
