//! The profile of a consultant or a chamber: what the firms they invite see of them.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{Chamber, Consultant, CsrfForm, PageLang};
use super::i18n::text;
use super::pages::html;
use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::present::pages::Chrome;
use crate::profiles::Profile;
use crate::responses::ServiceError;
use crate::survey::{FieldError, Lang};

#[derive(Serialize)]
struct FieldView {
    value: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct ProfilePage {
    chrome: Chrome,
    action: String,
    back: String,
    /// The consultant's firm is asked; a chamber's name is the organisation.
    consultant: bool,
    saved: bool,
    errors: Vec<ErrorLink>,
    name: FieldView,
    firm: FieldView,
    contact: FieldView,
}

#[derive(Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

fn path_of(role: Role) -> &'static str {
    match role {
        Role::Chamber => "/chamber/profile",
        _ => "/consultant/profile",
    }
}

fn page(
    user: &CurrentUser,
    lang: Lang,
    status: StatusCode,
    values: [Option<&str>; 3],
    errors: &[FieldError],
    saved: bool,
) -> Result<HttpResponse, WebError> {
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.get(lang).to_owned())
    };
    let view_of = |name: &str, value: Option<&str>| FieldView {
        value: value.unwrap_or_default().to_owned(),
        error: error_of(name),
    };
    let path = path_of(user.role);
    let view = ProfilePage {
        chrome: Chrome::for_user(lang, text(lang, "account_profile_title"), path, user),
        action: format!("{path}?lang={}", lang.code()),
        back: format!("{}?lang={}", user.role.home(), lang.code()),
        consultant: user.role == Role::Consultant,
        saved,
        errors: errors
            .iter()
            .map(|e| ErrorLink {
                href: format!("#profile-{}", e.field),
                text: e.message.get(lang).to_owned(),
            })
            .collect(),
        name: view_of("name", values[0]),
        firm: view_of("firm", values[1]),
        contact: view_of("contact", values[2]),
    };
    html(status, "pages/profile", &view)
}

async fn show(state: &AppState, user: &CurrentUser, lang: Lang) -> Result<HttpResponse, WebError> {
    let profile: Option<Profile> = state.profiles.get(user.user_id).await?;
    let values = profile.as_ref().map_or([None; 3], |p| {
        [
            Some(p.name.as_str()),
            p.firm.as_deref(),
            p.contact.as_deref(),
        ]
    });
    page(user, lang, StatusCode::OK, values, &[], false)
}

/// The fields of the profile form (consultant and chamber alike).
#[derive(Deserialize)]
pub struct ProfileFields {
    name: Option<String>,
    firm: Option<String>,
    contact: Option<String>,
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: &ProfileFields,
    role: Role,
) -> Result<HttpResponse, WebError> {
    let values = [
        form.name.as_deref(),
        form.firm.as_deref(),
        form.contact.as_deref(),
    ];
    match state
        .profiles
        .save(user.user_id, role, values[0], values[1], values[2])
        .await
    {
        Ok(p) => page(
            user,
            lang,
            StatusCode::OK,
            [Some(&p.name), p.firm.as_deref(), p.contact.as_deref()],
            &[],
            true,
        ),
        Err(ServiceError::Invalid(errors)) => page(
            user,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            &errors,
            false,
        ),
        Err(e) => Err(WebError::from(e)),
    }
}

#[get("/consultant/profile")]
pub async fn consultant_profile(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    show(&state, &user, lang).await
}

#[post("/consultant/profile")]
pub async fn save_consultant_profile(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
    CsrfForm(form): CsrfForm<ProfileFields>,
) -> Result<HttpResponse, WebError> {
    save(&state, &user, lang, &form, Role::Consultant).await
}

#[get("/chamber/profile")]
pub async fn chamber_profile(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    show(&state, &user, lang).await
}

#[post("/chamber/profile")]
pub async fn save_chamber_profile(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
    CsrfForm(form): CsrfForm<ProfileFields>,
) -> Result<HttpResponse, WebError> {
    save(&state, &user, lang, &form, Role::Chamber).await
}

/// The profile as the account's own pages show it: how firms see it, with a link to edit.
#[derive(Serialize)]
pub(super) struct ProfileBox {
    /// "Anna Berger, Berger Marketing · Kontakt: …"; None without a profile.
    line: Option<String>,
    missing: String,
    link: String,
    href: String,
    brand_link: String,
    brand_href: String,
}

pub(super) async fn profile_box(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
) -> Result<ProfileBox, WebError> {
    let profile = state.profiles.get(user.user_id).await?;
    let line = profile.as_ref().map(|p| match &p.contact {
        Some(contact) => format!(
            "{} · {}",
            p.display_name(),
            text(lang, "account_profile_contact_line").replace("{contact}", contact)
        ),
        None => p.display_name(),
    });
    Ok(ProfileBox {
        missing: text(
            lang,
            if user.role == Role::Chamber {
                "account_profile_missing_chamber"
            } else {
                "account_profile_missing"
            },
        ),
        link: text(
            lang,
            if line.is_some() {
                "account_profile_edit"
            } else {
                "account_profile_create"
            },
        ),
        href: format!("{}?lang={}", path_of(user.role), lang.code()),
        brand_link: text(lang, "brand_link"),
        brand_href: format!(
            "{}?lang={}",
            if user.role == Role::Chamber {
                "/chamber/brand"
            } else {
                "/consultant/brand"
            },
            lang.code()
        ),
        line,
    })
}
