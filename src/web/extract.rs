//! Extractors: what a handler needs from a request, checked here once instead of in every
//! handler. A handler names what it needs in its arguments (`Admin`, `PageLang`,
//! `CsrfForm<T>`, `OwnerResponse`, …) and gets it checked; a failed check is a [`WebError`],
//! which [`super::error_pages`] renders as a page in the visitor's language or as JSON under
//! /api.
//!
//! - Roles: [`Admin`], [`Consultant`], [`Chamber`] (the role check, the forced password change),
//!   [`AnyUser`] (logged in, whatever the role).
//! - Forms: [`CsrfForm`] (a logged-in user's form, CSRF token checked), [`LoginForm`] (the login
//!   form's double-submit cookie), [`Form`] (forms without a session; the same-origin check of
//!   `same_origin_posts` covers them). All read the body with the service's own limits
//!   (`body::read_body`).
//! - Private links: [`OwnerResponse`] (`{token}`; [`ResultLink`] for the result page),
//!   [`InvitationByCode`] (`/i/{code}`), [`CampaignByCode`] (`/c/{code}`). These apply the
//!   token guard, so every route with a token or code has it and none applies it by hand.
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::WebError;
use super::i18n::request_lang;
use super::session;
use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::campaigns::CampaignRecord;
use crate::responses::{LoadedResponse, ResultStamp, ServiceError, stored_lang};
use crate::survey::Lang;
use crate::token::ResponseToken;
use crate::workspace::Invitation;

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, WebError>>>>;

/// The fields of a form in order; repeated names (checkboxes) stay separate.
pub type Fields = Vec<(String, String)>;

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::internal("the application state is not registered"))
}

/// The language of the page a request asks for: `?lang=`, then a language an extractor settled
/// for this request (the stored language of the owner's response), then Accept-Language, then
/// German. Errors of the request are shown in the same language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLang(pub Lang);

impl Deref for PageLang {
    type Target = Lang;
    fn deref(&self) -> &Lang {
        &self.0
    }
}

/// The language of a request's pages and errors (see [`PageLang`]).
pub fn lang_of(req: &HttpRequest) -> Lang {
    let settled = req.extensions().get::<PageLang>().map(|l| l.0);
    request_lang(req, settled)
}

impl FromRequest for PageLang {
    type Error = WebError;
    type Future = std::future::Ready<Result<PageLang, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(PageLang(lang_of(req))))
    }
}

/// The session of a request, looked up once even when several extractors ask for it (a role
/// and a form): they share this cell through the request's extensions.
type SessionCell = Rc<tokio::sync::OnceCell<Option<CurrentUser>>>;

async fn session_user(req: &HttpRequest) -> Result<Option<CurrentUser>, WebError> {
    let cell = {
        let mut extensions = req.extensions_mut();
        match extensions.get::<SessionCell>() {
            Some(cell) => cell.clone(),
            None => {
                let cell = SessionCell::default();
                extensions.insert(cell.clone());
                cell
            }
        }
    };
    let state = app_state(req)?;
    let user = cell
        .get_or_try_init(|| session::current_user(&state, req))
        .await?;
    Ok(user.clone())
}

/// The logged-in user; with `role`, only a user of that role whose password needs no change.
/// Anonymous visitors are sent to the login page; users of another role get a 403 (the areas
/// themselves are no secret; their data is).
async fn user_with(req: &HttpRequest, role: Option<Role>) -> Result<CurrentUser, WebError> {
    let user = session_user(req)
        .await?
        .ok_or_else(|| WebError::login_required(&session::back_to(req)))?;
    let Some(role) = role else {
        return Ok(user);
    };
    if user.must_change_password {
        // An initial password chosen by an admin: nothing else opens until it is replaced.
        return Err(WebError::see_other(&format!(
            "/account/password?lang={}",
            lang_of(req).code()
        )));
    }
    if user.role != role {
        return Err(WebError::forbidden(
            "Dieser Bereich ist für Ihr Konto nicht freigegeben.",
            "Your account has no access to this area.",
        ));
    }
    Ok(user)
}

macro_rules! user_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl Deref for $name {
            type Target = CurrentUser;
            fn deref(&self) -> &CurrentUser {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = WebError;
            type Future = Extracted<$name>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { user_with(&req, $role).await.map($name) })
            }
        }
    };
}

user_extractor!(
    /// A logged-in admin.
    Admin,
    Some(Role::Admin)
);
user_extractor!(
    /// A logged-in consultant.
    Consultant,
    Some(Role::Consultant)
);
user_extractor!(
    /// A logged-in chamber.
    Chamber,
    Some(Role::Chamber)
);
user_extractor!(
    /// Any logged-in user, also one who must still change the initial password.
    AnyUser,
    None
);

/// The logged-in user if there is one (logout).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequest for MaybeUser {
    type Error = WebError;
    type Future = Extracted<MaybeUser>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { session_user(&req).await.map(MaybeUser) })
    }
}

/// Extractors run side by side; a form must not answer (a wrong content type, say) before the
/// private link of the same request is looked up, or its error would come in the wrong language
/// and a guessed token would go uncounted. The look-up holds this gate while it runs; forms
/// wait for it.
#[derive(Clone)]
struct LookupGate(std::sync::Arc<tokio::sync::Mutex<()>>);

/// Closes the gate for the look-up that is about to run (called in `from_request`, before any
/// extractor of the request is polled).
fn close_gate(req: &HttpRequest) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    let gate = LookupGate(std::sync::Arc::default());
    let guard = gate.0.clone().try_lock_owned().ok();
    req.extensions_mut().insert(gate);
    guard
}

/// Waits until a look-up of this request (if any) has finished.
async fn after_lookup(req: &HttpRequest) {
    let gate = req.extensions().get::<LookupGate>().cloned();
    if let Some(gate) = gate {
        drop(gate.0.lock().await);
    }
}

/// Reads a form body (our limits, our errors) and returns the raw body with its fields.
async fn read_form(
    req: &HttpRequest,
    payload: Result<web::Payload, actix_web::Error>,
) -> Result<(String, Fields), WebError> {
    after_lookup(req).await;
    let payload =
        payload.map_err(|_| WebError::bad_request("The request body could not be read."))?;
    if !super::body::content_type_is(req, "application/x-www-form-urlencoded") {
        return Err(WebError::unsupported_media_type(
            "application/x-www-form-urlencoded",
        ));
    }
    let body = super::body::read_body(req, payload).await?;
    // Only the options of a question may repeat (checkboxes); the catalogue refuses two
    // answers to a single-choice question with its own message.
    let catalogue = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.responses.catalogue());
    let fields = super::body::parse_form(&body, |name| {
        catalogue.is_some_and(|c| c.question(name).is_some())
    })?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| WebError::bad_request("The form data is not valid UTF-8."))?;
    Ok((text, fields))
}

/// A form body as `T` (any `Deserialize` struct, or [`Fields`]).
fn typed<T: DeserializeOwned>(body: &str) -> Result<T, WebError> {
    // `Query::from_query` is actix-web's urlencoded deserialiser; a form body has the same syntax.
    web::Query::<T>::from_query(body)
        .map(web::Query::into_inner)
        .map_err(|e| WebError::bad_request(&e.to_string()))
}

/// A form sent by the logged-in user, after its CSRF token (`csrf_token`, the session's
/// synchroniser token) was checked in constant time (ASVS 3.5). Without a session: the login.
#[derive(Debug)]
pub struct CsrfForm<T = Fields>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = WebError;
    type Future = Extracted<CsrfForm<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let user = session_user(&req)
                .await?
                .ok_or_else(|| WebError::login_required(&session::back_to(&req)))?;
            let (body, fields) = read_form(&req, payload).await?;
            session::check_csrf(&user.csrf_token, &fields)?;
            typed(&body).map(CsrfForm)
        })
    }
}

/// A logged-in user's form that may carry a file (`multipart/form-data`, read with the upload
/// limit of `limit` bytes) or not (`application/x-www-form-urlencoded`, the usual 64 KiB); the
/// CSRF token is checked as in [`CsrfForm`]. Only the brand page's logo upload uses it.
#[derive(Debug)]
pub struct CsrfUpload {
    pub fields: Fields,
    pub files: Vec<super::multipart::FilePart>,
}

impl CsrfUpload {
    /// The upload limit: a 200 KB logo and the rest of the form.
    pub const LIMIT: usize = 256 * 1024;

    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.data.as_slice())
    }

    /// A text field of the upload form (the first of that name).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl FromRequest for CsrfUpload {
    type Error = WebError;
    type Future = Extracted<CsrfUpload>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let user = session_user(&req)
                .await?
                .ok_or_else(|| WebError::login_required(&session::back_to(&req)))?;
            let content_type = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let Some(boundary) = super::multipart::boundary(&content_type) else {
                let (_, fields) = read_form(&req, payload).await?;
                session::check_csrf(&user.csrf_token, &fields)?;
                return Ok(CsrfUpload {
                    fields,
                    files: Vec::new(),
                });
            };
            after_lookup(&req).await;
            let payload = payload
                .map_err(|_| WebError::bad_request("The request body could not be read."))?;
            let body = super::body::read_body_limited(&req, payload, CsrfUpload::LIMIT).await?;
            let (fields, files) = super::multipart::parse(&body, &boundary)?;
            session::check_csrf(&user.csrf_token, &fields)?;
            Ok(CsrfUpload { fields, files })
        })
    }
}

/// The login form: no session yet, so its CSRF token is checked against the double-submit
/// cookie the login page set.
#[derive(Debug)]
pub struct LoginForm<T = Fields>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for LoginForm<T> {
    type Error = WebError;
    type Future = Extracted<LoginForm<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let (body, fields) = read_form(&req, payload).await?;
            let state = app_state(&req)?;
            let name = session::login_csrf_cookie_name(state.secure_cookies);
            let expected = session::cookie(&req, name).unwrap_or_default();
            session::check_csrf(&expected, &fields)?;
            typed(&body).map(LoginForm)
        })
    }
}

/// A form without a session: the owner's survey forms, whose credential is the private link
/// (the same-origin check of `same_origin_posts` is their CSRF defence).
#[derive(Debug)]
pub struct Form<T = Fields>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = WebError;
    type Future = Extracted<Form<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload).into_inner();
        Box::pin(async move {
            let (body, _) = read_form(&req, payload).await?;
            typed(&body).map(Form)
        })
    }
}

/// The token guard (see `client::guard`): a token or code that matched nothing counts as a miss
/// of this client. Applied here only, for every route with a token or code.
fn guarded(state: &AppState, req: &HttpRequest, e: ServiceError) -> WebError {
    super::client::guard(state, super::client::of(state, req), e)
}

/// The private link's token in the path (`{token}`); a malformed one is answered as an
/// unknown one, guarded alike.
fn path_token(state: &AppState, req: &HttpRequest) -> Result<ResponseToken, WebError> {
    ResponseToken::parse(&path_part(req, "token"))
        .ok_or_else(|| guarded(state, req, ServiceError::NotFound))
}

/// The page language of a request for a private link (the query's, else the one stored with
/// the response), settled for the request's errors too.
fn page_lang(req: &HttpRequest, stored: Lang) -> Lang {
    let lang = request_lang(req, Some(stored));
    req.extensions_mut().insert(PageLang(lang));
    lang
}

/// A look-up of the private link in the path, with the gate closed while it runs.
fn looked_up<T, F, Fut>(req: &HttpRequest, find: F) -> Extracted<T>
where
    T: 'static,
    F: FnOnce(HttpRequest, web::Data<AppState>) -> Fut + 'static,
    Fut: Future<Output = Result<T, WebError>> + 'static,
{
    let req = req.clone();
    let gate = close_gate(&req);
    Box::pin(async move {
        let _gate = gate;
        let state = app_state(&req)?;
        find(req, state).await
    })
}

fn path_part(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_owned()
}

/// The response of the private link in the path (`{token}`), guarded against guessing. Its
/// language (the query's, else the one stored with the response) becomes the request's page
/// language, also for the request's errors.
#[derive(Debug)]
pub struct OwnerResponse {
    pub token: ResponseToken,
    pub response: LoadedResponse,
    pub lang: Lang,
}

impl FromRequest for OwnerResponse {
    type Error = WebError;
    type Future = Extracted<OwnerResponse>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        looked_up(req, |req, state| async move {
            let token = path_token(&state, &req)?;
            let response = state
                .responses
                .load(&token)
                .await
                .map_err(|e| guarded(&state, &req, e))?;
            let lang = page_lang(&req, response.lang());
            Ok(OwnerResponse {
                token,
                response,
                lang,
            })
        })
    }
}

/// The private link of a result page (`{token}`): guarded and settling the language as
/// [`OwnerResponse`], but found by its [`ResultStamp`] alone (one small statement), so that a
/// kept page is served without loading the response; the handler loads it only to render.
#[derive(Debug)]
pub struct ResultLink {
    pub token: ResponseToken,
    pub stamp: ResultStamp,
    pub lang: Lang,
}

impl FromRequest for ResultLink {
    type Error = WebError;
    type Future = Extracted<ResultLink>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        looked_up(req, |req, state| async move {
            let token = path_token(&state, &req)?;
            let stamp = state
                .responses
                .result_stamp(&token)
                .await
                .map_err(|e| guarded(&state, &req, e))?;
            let lang = page_lang(&req, stored_lang(&stamp.lang));
            Ok(ResultLink { token, stamp, lang })
        })
    }
}

/// A consultant's invitation by the code in the path (`/i/{code}`), guarded against guessing.
#[derive(Debug)]
pub struct InvitationByCode {
    pub code: String,
    pub invitation: Invitation,
}

impl FromRequest for InvitationByCode {
    type Error = WebError;
    type Future = Extracted<InvitationByCode>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        looked_up(req, |req, state| async move {
            let code = path_part(&req, "code");
            match state.workspace.invitation(&code).await {
                Ok(invitation) => Ok(InvitationByCode { code, invitation }),
                Err(e) => Err(guarded(&state, &req, e)),
            }
        })
    }
}

/// A chamber's campaign by the code of its public link (`/c/{code}`), guarded against guessing.
#[derive(Debug)]
pub struct CampaignByCode {
    pub code: String,
    pub campaign: CampaignRecord,
}

impl FromRequest for CampaignByCode {
    type Error = WebError;
    type Future = Extracted<CampaignByCode>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        looked_up(req, |req, state| async move {
            let code = path_part(&req, "code");
            match state.campaigns.by_code(&code).await {
                Ok(campaign) => Ok(CampaignByCode { code, campaign }),
                Err(e) => Err(guarded(&state, &req, e)),
            }
        })
    }
}
