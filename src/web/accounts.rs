//! Login, logout and the admin's account management.
use actix_web::http::StatusCode;
use actix_web::http::header::{LOCATION, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Admin, AnyUser, CsrfForm, LoginForm, MaybeUser, PageLang};
use super::i18n::{query_lang, request_lang, text};
use super::pages::html;
use super::session::{
    clear_cookie, cookie, login_csrf_cookie_name, safe_next, session_cookie_name, set_cookie,
};
use crate::accounts::{self, Role};
use crate::auth::{ABSOLUTE_TIMEOUT_MS, CurrentUser, LoginOutcome};
use crate::limits::retry_seconds;
use crate::present::pages::Chrome;
use crate::survey::Lang;
use crate::token::ResponseToken;

#[derive(Serialize)]
struct LoginPage {
    chrome: Chrome,
    csrf_token: String,
    next: Option<String>,
    email: String,
    failed: bool,
}

fn login_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    next: Option<String>,
    email: String,
    failed: bool,
) -> Result<HttpResponse, WebError> {
    let csrf = ResponseToken::generate()
        .map_err(WebError::internal)?
        .as_url_part();
    let view = LoginPage {
        chrome: Chrome::new(lang, text(lang, "login_title"), "/login"),
        csrf_token: csrf.clone(),
        next,
        email,
        failed,
    };
    let mut response = html(status, "pages/login", &view)?;
    let name = login_csrf_cookie_name(state.secure_cookies);
    if let Ok(value) = set_cookie(name, &csrf, state.secure_cookies, Some(3600)).parse() {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// The `lang` of a local path's query, e.g. of `next`.
fn lang_of_path(path: &str) -> Option<Lang> {
    let (_, query) = path.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

fn query_next(req: &HttpRequest) -> Option<String> {
    let query = req.uri().query().unwrap_or_default();
    let next = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned());
    safe_next(next.as_deref())
}

#[get("/login")]
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let next = query_next(&req);
    // Sent here from an English page (`next=/consultant?lang=en`): stay in English.
    let lang = query_lang(&req)
        .or_else(|| next.as_deref().and_then(lang_of_path))
        .unwrap_or_else(|| request_lang(&req, None));
    login_page(&state, lang, StatusCode::OK, next, String::new(), false)
}

/// The fields of the login form (its `csrf_token` is checked by [`LoginForm`]).
#[derive(Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    LoginForm(form): LoginForm<LoginFields>,
) -> Result<HttpResponse, WebError> {
    let LoginFields {
        email,
        password,
        next,
    } = form;
    let password = password.as_str();
    let next = safe_next(next.as_deref());
    // Throttled per client and per client × account, before the password is even checked.
    let client = super::client::of(&state, &req);
    let account = crate::auth::account_key(&email);
    let now = std::time::Instant::now();
    let throttle = &state.limits.login;
    if let Some(wait) = client.and_then(|c| throttle.locked(c, &account, now)) {
        return Err(WebError::too_many_logins(retry_seconds(wait)));
    }
    let outcome = state.auth.login(&email, password).await?;
    if let Some(c) = client {
        match &outcome {
            LoginOutcome::LoggedIn { .. } => throttle.succeeded(c, &account),
            LoginOutcome::Refused => {
                if let Some(wait) = throttle.failed(c, &account, now) {
                    return Err(WebError::too_many_logins(retry_seconds(wait)));
                }
            }
        }
    }
    match outcome {
        LoginOutcome::LoggedIn { session_id, role } => {
            let secure = state.secure_cookies;
            let session = set_cookie(
                session_cookie_name(secure),
                &session_id.as_url_part(),
                secure,
                Some(ABSOLUTE_TIMEOUT_MS / 1000),
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    LOCATION,
                    next.unwrap_or_else(|| format!("{}?lang={}", role.home(), lang.code())),
                ))
                .append_header((SET_COOKIE, session))
                .append_header((
                    SET_COOKIE,
                    clear_cookie(login_csrf_cookie_name(secure), secure),
                ))
                .finish())
        }
        LoginOutcome::Refused => {
            login_page(&state, lang, StatusCode::UNAUTHORIZED, next, email, true)
        }
    }
}

#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    MaybeUser(user): MaybeUser,
    form: Result<CsrfForm, WebError>,
) -> Result<HttpResponse, WebError> {
    let secure = state.secure_cookies;
    let name = session_cookie_name(secure);
    // Without a session there is nothing to end (and no token to check).
    if user.is_some() {
        form?;
        if let Some(raw) = cookie(&req, name) {
            state.auth.logout(&raw).await?;
        }
    }
    let to_login = query_lang(&req).map_or_else(
        || "/login".to_owned(),
        |l| format!("/login?lang={}", l.code()),
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, to_login))
        .insert_header((SET_COOKIE, clear_cookie(name, secure)))
        .finish())
}

#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    role: String,
    disabled: bool,
    created: String,
    is_self: bool,
}

#[derive(Serialize)]
struct AdminUsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<RoleOption>,
    created: Option<CreatedAccount>,
    error: Option<String>,
    email: String,
    /// What the last action did ("… was disabled"), after its redirect.
    notice: Option<String>,
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct CreatedAccount {
    email: String,
    password: String,
}

async fn admin_page(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    lang: Lang,
    status: StatusCode,
    created: Option<CreatedAccount>,
    error: Option<(String, String, Role)>,
    done: Option<(&str, i64)>,
) -> Result<HttpResponse, WebError> {
    let records = state.auth.users().await?;
    let notice = done.and_then(|(action, id)| {
        let user = records.iter().find(|u| u.id == id)?;
        Some(text(lang, &format!("admin_{action}_done")).replace("{email}", &user.email))
    });
    let users = records
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == user.user_id,
            id: u.id,
            role: text(lang, &format!("role_{}", u.role)),
            email: u.email,
            disabled: u.disabled,
            created: crate::present::pages::format_date(lang, u.created_at),
        })
        .collect();
    let selected = error.as_ref().map_or(Role::Consultant, |(_, _, r)| *r);
    let view = AdminUsersPage {
        chrome: Chrome::for_user(lang, text(lang, "admin_title"), "/admin/users", user),
        users,
        roles: [Role::Consultant, Role::Chamber, Role::Admin]
            .into_iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: text(lang, &format!("role_{}", r.as_str())),
                selected: r == selected,
            })
            .collect(),
        created,
        email: error
            .as_ref()
            .map(|(_, e, _)| e.clone())
            .unwrap_or_default(),
        error: error.map(|(message, _, _)| message),
        notice,
    };
    html(status, "pages/admin_users", &view)
}

#[get("/admin/users")]
pub async fn admin_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Admin(user): Admin,
) -> Result<HttpResponse, WebError> {
    // After disabling or enabling: `?disabled=ID` or `?enabled=ID` names the account.
    let done = form_urlencoded::parse(req.query_string().as_bytes()).find_map(|(k, v)| {
        let action = match k.as_ref() {
            "disabled" => "disabled",
            "enabled" => "enabled",
            _ => return None,
        };
        v.parse::<i64>().ok().map(|id| (action, id))
    });
    admin_page(&state, &user, lang, StatusCode::OK, None, None, done).await
}

#[derive(Serialize)]
struct ConfirmPage {
    chrome: Chrome,
    email: String,
    action: String,
    cancel: String,
}

/// Disabling ends the user's sessions at once: the list's button leads here to confirm first.
#[get("/admin/users/{id}/disable")]
pub async fn confirm_disable(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    PageLang(lang): PageLang,
    Admin(user): Admin,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let target = state
        .auth
        .users()
        .await?
        .into_iter()
        .find(|u| u.id == id && u.id != user.user_id)
        .ok_or_else(WebError::not_found)?;
    let view = ConfirmPage {
        chrome: Chrome::for_user(
            lang,
            text(lang, "admin_confirm_title"),
            &format!("/admin/users/{id}/disable"),
            &user,
        ),
        email: target.email,
        action: format!("/admin/users/{id}/disable?lang={}", lang.code()),
        cancel: format!("/admin/users?lang={}", lang.code()),
    };
    html(StatusCode::OK, "pages/admin_confirm", &view)
}

/// The fields of the admin's new-account form.
#[derive(Deserialize)]
pub struct NewUserFields {
    email: Option<String>,
    role: Option<String>,
}

/// Creates a consultant, chamber or admin account with a generated initial password, shown
/// once: admins never choose (or see again) a user's password.
#[post("/admin/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    Admin(user): Admin,
    CsrfForm(form): CsrfForm<NewUserFields>,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let email = form.email.as_deref().unwrap_or_default().to_owned();
    let role = form.role.as_deref().and_then(Role::parse);
    let Some(role) = role else {
        return Err(WebError::bad_request("Unknown role."));
    };
    let password = accounts::generate_password().map_err(WebError::internal)?;
    match state
        .auth
        .create_user_with(&email, role, &password, true)
        .await
    {
        Ok(_) => {
            admin_page(
                &state,
                &user,
                lang,
                StatusCode::OK,
                Some(CreatedAccount {
                    email: email.trim().to_lowercase(),
                    password,
                }),
                None,
                None,
            )
            .await
        }
        Err(e) => {
            let error = WebError::from(e);
            let status = error.status();
            if status.is_server_error() {
                return Err(error);
            }
            let message = error.message().get(lang).to_owned();
            admin_page(
                &state,
                &user,
                lang,
                status,
                None,
                Some((message, email, role)),
                None,
            )
            .await
        }
    }
}

async fn set_disabled(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    user_id: i64,
    disabled: bool,
) -> Result<HttpResponse, WebError> {
    if user_id == user.user_id {
        return Err(WebError::forbidden(
            "Sie können Ihr eigenes Konto nicht sperren.",
            "You cannot disable your own account.",
        ));
    }
    if !state.auth.set_disabled(user_id, disabled).await? {
        return Err(WebError::not_found());
    }
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            format!("/admin/users?lang={}&{done}={user_id}", lang.code()),
        ))
        .finish())
}

#[post("/admin/users/{id}/disable")]
pub async fn disable_user(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Admin(user): Admin,
    _form: CsrfForm,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    set_disabled(&state, &user, lang, path.into_inner(), true).await
}

#[post("/admin/users/{id}/enable")]
pub async fn enable_user(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Admin(user): Admin,
    _form: CsrfForm,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    set_disabled(&state, &user, lang, path.into_inner(), false).await
}

#[derive(Serialize)]
struct PasswordPage {
    chrome: Chrome,
    error: Option<PasswordError>,
    changed: bool,
    /// The initial password from an admin is still in use.
    forced: bool,
    /// Where to go on after a change.
    home: String,
}

/// What went wrong, and at which of the two fields it is shown (and linked from the summary).
#[derive(Serialize)]
struct PasswordError {
    text: String,
    href: &'static str,
    current: bool,
    new: bool,
}

impl PasswordError {
    fn at_current(text: String) -> Option<PasswordError> {
        Some(PasswordError {
            text,
            href: "#current_password",
            current: true,
            new: false,
        })
    }

    fn at_new(text: String) -> Option<PasswordError> {
        Some(PasswordError {
            text,
            href: "#new_password",
            current: false,
            new: true,
        })
    }
}

fn password_page(
    user: &crate::auth::CurrentUser,
    lang: Lang,
    status: StatusCode,
    error: Option<PasswordError>,
    changed: bool,
) -> Result<HttpResponse, WebError> {
    let view = PasswordPage {
        chrome: Chrome::for_user(
            lang,
            text(lang, "password_title"),
            "/account/password",
            user,
        ),
        error,
        changed,
        forced: user.must_change_password && !changed,
        home: format!("{}?lang={}", user.role.home(), lang.code()),
    };
    html(status, "pages/password", &view)
}

#[get("/account/password")]
pub async fn password_form(
    PageLang(lang): PageLang,
    AnyUser(user): AnyUser,
) -> Result<HttpResponse, WebError> {
    password_page(&user, lang, StatusCode::OK, None, false)
}

/// The fields of the password form.
#[derive(Deserialize)]
pub struct PasswordFields {
    current_password: Option<String>,
    new_password: Option<String>,
    new_password_confirm: Option<String>,
}

/// Changes the user's own password; the other sessions of the account end.
#[post("/account/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    AnyUser(user): AnyUser,
    CsrfForm(form): CsrfForm<PasswordFields>,
) -> Result<HttpResponse, WebError> {
    let session = cookie(&req, session_cookie_name(state.secure_cookies)).unwrap_or_default();
    let current = form.current_password.as_deref().unwrap_or_default();
    let new = form.new_password.as_deref().unwrap_or_default();
    if form.new_password_confirm.as_deref().unwrap_or_default() != new {
        return password_page(
            &user,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordError::at_new(text(lang, "password_mismatch")),
            false,
        );
    }
    match state
        .auth
        .change_password(&user, &session, current, new)
        .await
    {
        Ok(true) => {
            let user = crate::auth::CurrentUser {
                must_change_password: false,
                ..user
            };
            password_page(&user, lang, StatusCode::OK, None, true)
        }
        Ok(false) => password_page(
            &user,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordError::at_current(text(lang, "password_wrong_current")),
            false,
        ),
        Err(crate::auth::AuthError::Invalid { message, .. }) => password_page(
            &user,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordError::at_new(message.get(lang).to_owned()),
            false,
        ),
        Err(e) => Err(WebError::from(e)),
    }
}
