//! The brand page of a consultant or chamber (logo, accent colour), the logo route, and a
//! consultant's cover note per client.
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;

use super::AppState;
use super::error::WebError;
use super::extract::{Chamber, Consultant, CsrfForm, CsrfUpload, PageLang};
use super::i18n::text;
use super::pages::{html, see_other};
use crate::accounts::Role;
use crate::auth::CurrentUser;
use crate::brands::{Brand, BrandChange};
use crate::present::pages::Chrome;
pub(super) use crate::present::pages::LogoView;
use crate::responses::ServiceError;
use crate::survey::{FieldError, Lang};

#[derive(Serialize)]
struct ErrorLink {
    href: String,
    text: String,
}

#[derive(Serialize)]
struct BrandPage {
    chrome: Chrome,
    action: String,
    back: String,
    saved: bool,
    errors: Vec<ErrorLink>,
    logo: Option<LogoView>,
    logo_error: Option<String>,
    accent: String,
    accent_error: Option<String>,
    /// The saved accent, for the sample swatch.
    accent_sample: Option<String>,
    accent_sample_text: String,
}

fn path_of(role: Role) -> &'static str {
    match role {
        Role::Chamber => "/chamber/brand",
        _ => "/consultant/brand",
    }
}

/// The logo as an `<img>`: its URL, a text alternative naming whose logo it is, and its size
/// scaled to at most 240 × 80 CSS pixels.
pub(super) fn logo_view(brand: &Brand, owner: &str, lang: Lang) -> Option<LogoView> {
    let logo = brand.logo.as_ref()?;
    let (w, h) = (logo.logo.width as f32, logo.logo.height as f32);
    let scale = (240.0 / w).min(80.0 / h).min(1.0);
    Some(LogoView {
        src: logo.url(),
        alt: text(lang, "brand_logo_alt").replace("{name}", owner),
        width: (w * scale).round().max(1.0) as u32,
        height: (h * scale).round().max(1.0) as u32,
    })
}

#[allow(clippy::too_many_arguments)]
fn page(
    user: &CurrentUser,
    owner: &str,
    lang: Lang,
    status: StatusCode,
    brand: &Brand,
    accent: &str,
    errors: &[FieldError],
    saved: bool,
) -> Result<HttpResponse, WebError> {
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.get(lang).to_owned())
    };
    let path = path_of(user.role);
    let view = BrandPage {
        chrome: Chrome::for_user(lang, text(lang, "brand_title"), path, user),
        action: format!("{path}?lang={}", lang.code()),
        back: format!("{}?lang={}", user.role.home(), lang.code()),
        saved,
        errors: errors
            .iter()
            .map(|e| ErrorLink {
                href: format!("#brand-{}", e.field),
                text: e.message.get(lang).to_owned(),
            })
            .collect(),
        logo: logo_view(brand, owner, lang),
        logo_error: error_of("logo"),
        accent: accent.to_owned(),
        accent_error: error_of("accent"),
        accent_sample: brand.accent.map(|a| a.hex()),
        accent_sample_text: brand
            .accent
            .map(|a| {
                text(lang, "brand_accent_sample")
                    .replace("{ratio}", &format!("{:.1}", a.contrast_with_white()))
            })
            .unwrap_or_default(),
    };
    html(status, "pages/brand", &view)
}

async fn owner_name(state: &AppState, user: &CurrentUser) -> Result<String, WebError> {
    Ok(crate::profiles::shown_name(
        state.profiles.get(user.user_id).await?.as_ref(),
        &user.email,
    ))
}

async fn show(state: &AppState, user: &CurrentUser, lang: Lang) -> Result<HttpResponse, WebError> {
    let brand = state.brands.get(user.user_id).await?;
    let owner = owner_name(state, user).await?;
    let accent = brand.accent.map(|a| a.hex()).unwrap_or_default();
    page(
        user,
        &owner,
        lang,
        StatusCode::OK,
        &brand,
        &accent,
        &[],
        false,
    )
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    upload: &CsrfUpload,
) -> Result<HttpResponse, WebError> {
    let accent = upload.field("accent").unwrap_or_default();
    let change = BrandChange {
        accent: Some(accent),
        logo: upload.file("logo"),
        remove_logo: upload.field("action") == Some("remove_logo"),
    };
    let owner = owner_name(state, user).await?;
    match state.brands.save(user.user_id, change).await {
        Ok(brand) => {
            let accent = brand.accent.map(|a| a.hex()).unwrap_or_default();
            page(
                user,
                &owner,
                lang,
                StatusCode::OK,
                &brand,
                &accent,
                &[],
                true,
            )
        }
        Err(ServiceError::Invalid(errors)) => {
            let brand = state.brands.get(user.user_id).await?;
            page(
                user,
                &owner,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &brand,
                accent,
                &errors,
                false,
            )
        }
        Err(e) => Err(WebError::from(e)),
    }
}

#[get("/consultant/brand")]
pub async fn consultant_brand(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
) -> Result<HttpResponse, WebError> {
    show(&state, &user, lang).await
}

#[post("/consultant/brand")]
pub async fn save_consultant_brand(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
    upload: CsrfUpload,
) -> Result<HttpResponse, WebError> {
    save(&state, &user, lang, &upload).await
}

#[get("/chamber/brand")]
pub async fn chamber_brand(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    show(&state, &user, lang).await
}

#[post("/chamber/brand")]
pub async fn save_chamber_brand(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
    upload: CsrfUpload,
) -> Result<HttpResponse, WebError> {
    save(&state, &user, lang, &upload).await
}

/// A logo by the SHA-256 of its (rebuilt) file: the URL changes with the content, so it may be
/// cached for a year. Anyone with the URL may fetch it: logos are shown on invitation and
/// campaign pages, and the hash cannot be guessed without the image.
#[get("/brand/logo/{hash}")]
pub async fn serve_logo(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let hash = path.into_inner();
    let logo = state
        .brands
        .logo(&hash)
        .await?
        .ok_or_else(WebError::not_found)?;
    let etag = format!("\"{}\"", logo.hash);
    let cache = "public, max-age=31536000, immutable";
    let matches = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, logo.logo.kind.mime()))
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, cache))
        .body(logo.logo.bytes))
}

/// The cover-note form on a client's page.
#[derive(serde::Deserialize)]
pub struct CoverNoteForm {
    note: Option<String>,
}

/// The consultant's note for the cover of one client's report.
#[post("/consultant/clients/{id}/cover-note")]
pub async fn save_cover_note(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    PageLang(lang): PageLang,
    Consultant(user): Consultant,
    CsrfForm(form): CsrfForm<CoverNoteForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let note = form.note.as_deref().unwrap_or_default();
    match state.brands.save_cover_note(user.user_id, id, note).await {
        Ok(_) => Ok(see_other(format!(
            "/consultant/clients/{id}?lang={}&note=saved#cover-note",
            lang.code()
        ))),
        Err(e) => Err(WebError::from(e)),
    }
}

/// A chamber's brand for its board summary (logo, accent, name), or `None` without one.
pub(super) async fn board_brand(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
) -> Result<Option<crate::report::ReportBrand>, WebError> {
    let mut brand = report_brand(state, user, None, lang).await?;
    if let Some(b) = brand.as_mut() {
        b.label = text(lang, "brand_chamber_by");
    }
    Ok(brand)
}

/// The consultant's brand for the report of one client (with its cover note), or `None` when
/// the consultant has neither a profile nor a brand: the report then keeps the service's design.
pub(super) async fn report_brand(
    state: &AppState,
    user: &CurrentUser,
    client_id: Option<i64>,
    lang: Lang,
) -> Result<Option<crate::report::ReportBrand>, WebError> {
    let profile = state.profiles.get(user.user_id).await?;
    let brand = state.brands.get(user.user_id).await?;
    if profile.is_none() && brand.is_empty() {
        return Ok(None);
    }
    let cover_note = match client_id {
        Some(id) => state.brands.cover_note(user.user_id, id).await?,
        None => None,
    };
    Ok(Some(crate::report::ReportBrand {
        label: text(lang, "brand_by"),
        name: profile
            .as_ref()
            .map_or_else(|| user.email.clone(), |p| p.name.clone()),
        firm: profile.as_ref().and_then(|p| p.firm.clone()),
        contact: profile.as_ref().and_then(|p| p.contact.clone()),
        accent: brand.accent.map(|a| a.0),
        logo: brand
            .logo
            .as_ref()
            .map(|l| crate::report::ReportLogo::from_logo(&l.logo)),
        cover_note,
        cover_note_label: text(lang, "cover_note_pdf_label"),
    }))
}

/// The logo of an account (a consultant or chamber) for a page that firms see, with a text
/// alternative naming it; `None` without a logo.
pub(super) async fn logo_of(
    state: &AppState,
    user_id: i64,
    owner: &str,
    lang: Lang,
) -> Result<Option<LogoView>, WebError> {
    let brand = state.brands.get(user_id).await?;
    Ok(logo_view(&brand, owner, lang))
}
