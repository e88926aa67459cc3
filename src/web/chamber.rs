//! The chamber's pages: campaigns with their public link and QR code, the aggregate
//! dashboard with its CSV export, and the campaign's public landing page for member firms.
//! Every number shown comes from `dashboard`, which has passed it through disclosure control;
//! `present::dashboard` puts it in words.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::WebError;
use super::extract::{CampaignByCode, Chamber, CsrfForm, Form, PageLang};
use super::i18n::{request_lang, text};
use super::pages::{attachment, html, mailto_href, see_other, to_first_step, token_path};
use super::session::cookie;
use crate::auth::CurrentUser;
use crate::benchmark::{Industry, Region, SizeClass};
use crate::campaigns::CampaignForm;
use crate::campaigns::{CampaignRecord, DashboardWithNote};
use crate::dashboard::{CampaignId, Filter, Month, Period, qr_svg};
use crate::present::dashboard::{
    DashboardSummary, board_summary, describe, german_csv, summarise, versions_note,
};
use crate::present::pages::{Chrome, LandingPage, format_date, profile_option_label};
use crate::profiles::shown_name;
use crate::responses::ServiceError;
use crate::survey::{Catalogue, FieldError, Lang, Text};
use crate::token::ResponseToken;

#[derive(Serialize)]
struct CampaignRow {
    href: String,
    name: String,
    period: String,
    region: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct ChamberHomePage {
    chrome: Chrome,
    profile: super::profile::ProfileBox,
    csrf_token: String,
    campaigns: Vec<CampaignRow>,
    regions: Vec<Choice>,
    errors: Vec<String>,
    name: String,
    from: String,
    to: String,
}

fn region_choices(catalogue: &Catalogue, lang: Lang, selected: Option<&str>) -> Vec<Choice> {
    Region::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: profile_option_label(catalogue, lang, "region", r.as_str()),
            selected: selected == Some(r.as_str()),
        })
        .collect()
}

fn period_label(lang: Lang, campaign: &CampaignRecord) -> String {
    let month = |m: &str| match (lang, m.split_once('-')) {
        (Lang::De, Some((y, mo))) => format!("{mo}/{y}"),
        _ => m.to_owned(),
    };
    format!(
        "{} – {}",
        month(&campaign.starts_on),
        month(&campaign.ends_on)
    )
}

async fn home_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    status: StatusCode,
    errors: &[FieldError],
    form: &CampaignForm<'_>,
) -> Result<HttpResponse, WebError> {
    let catalogue = state.responses.catalogue();
    let campaigns = state.campaigns.list(user.user_id).await?;
    let view = ChamberHomePage {
        chrome: Chrome::for_user(lang, text(lang, "chamber_title"), "/chamber", user),
        profile: super::profile::profile_box(state, user, lang).await?,
        csrf_token: user.csrf_token.clone(),
        campaigns: campaigns
            .iter()
            .map(|c| CampaignRow {
                href: format!("/chamber/campaigns/{}?lang={}", c.id, lang.code()),
                name: c.name.clone(),
                period: period_label(lang, c),
                region: c.region.as_deref().map_or_else(
                    || text(lang, "all_regions"),
                    |r| profile_option_label(catalogue, lang, "region", r),
                ),
            })
            .collect(),
        regions: region_choices(catalogue, lang, form.region),
        errors: errors
            .iter()
            .map(|e| e.message.get(lang).to_owned())
            .collect(),
        name: form.name.unwrap_or_default().to_owned(),
        from: form.from.unwrap_or_default().to_owned(),
        to: form.to.unwrap_or_default().to_owned(),
    };
    html(status, "pages/chamber_home", &view)
}

#[get("/chamber")]
pub async fn home(
    state: web::Data<AppState>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    home_page(
        &state,
        &user,
        lang,
        StatusCode::OK,
        &[],
        &CampaignForm::default(),
    )
    .await
}

/// The fields of the new-campaign form.
#[derive(Deserialize)]
pub struct NewCampaignFields {
    name: Option<String>,
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
}

#[post("/chamber/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    Chamber(user): Chamber,
    CsrfForm(form): CsrfForm<NewCampaignFields>,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let form = CampaignForm {
        name: form.name.as_deref(),
        from: form.from.as_deref(),
        to: form.to.as_deref(),
        region: form.region.as_deref(),
    };
    match state.campaigns.create(user.user_id, &form).await {
        Ok(id) => Ok(see_other(format!(
            "/chamber/campaigns/{id}?lang={}",
            lang.code()
        ))),
        Err(ServiceError::Invalid(errors)) => {
            home_page(
                &state,
                &user,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &form,
            )
            .await
        }
        Err(e) => Err(WebError::from(e)),
    }
}

#[derive(Serialize)]
struct CampaignPage {
    chrome: Chrome,
    name: String,
    period: String,
    region: String,
    link: String,
    /// The link in a prefilled e-mail to the members (no script may copy it: the CSP allows none).
    mailto: String,
    qr_svg: String,
    qr_href: String,
    qr_png_href: String,
    dashboard_href: String,
}

/// A campaign of the logged-in chamber; another chamber's campaign is not found.
async fn own_campaign(
    state: &AppState,
    user: CurrentUser,
    id: i64,
) -> Result<(CurrentUser, CampaignRecord), WebError> {
    let campaign = state.campaigns.get(user.user_id, id).await?;
    Ok((user, campaign))
}

fn campaign_link(state: &AppState, campaign: &CampaignRecord) -> String {
    format!("{}/c/{}", state.base_url, campaign.code)
}

#[get("/chamber/campaigns/{id}")]
pub async fn campaign_page(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (user, campaign) = own_campaign(&state, user, path.into_inner()).await?;
    let link = campaign_link(&state, &campaign);
    let qr_title = text(lang, "campaign_qr_title").replace("{name}", &campaign.name);
    let chamber = shown_name(
        state.profiles.get(user.user_id).await?.as_ref(),
        &user.email,
    );
    let fill = |key: &str| {
        text(lang, key)
            .replace("{chamber}", &chamber)
            .replace("{link}", &link)
    };
    let mailto = mailto_href(
        &fill("campaign_link_mail_subject"),
        &fill("campaign_link_mail_body"),
    );
    let view = CampaignPage {
        chrome: Chrome::for_user(
            lang,
            campaign.name.clone(),
            &format!("/chamber/campaigns/{}", campaign.id),
            &user,
        ),
        name: campaign.name.clone(),
        period: period_label(lang, &campaign),
        region: campaign.region.as_deref().map_or_else(
            || text(lang, "all_regions"),
            |r| profile_option_label(state.responses.catalogue(), lang, "region", r),
        ),
        mailto,
        qr_svg: qr_svg(&link, &qr_title).map_err(WebError::internal)?,
        qr_href: format!("/chamber/campaigns/{}/qr.svg", campaign.id),
        qr_png_href: format!("/chamber/campaigns/{}/qr.png", campaign.id),
        dashboard_href: format!(
            "/chamber/dashboard?campaign={}&lang={}",
            campaign.id,
            lang.code()
        ),
        link,
    };
    html(StatusCode::OK, "pages/chamber_campaign", &view)
}

/// The QR code of the public link as an SVG file, for print material.
#[get("/chamber/campaigns/{id}/qr.svg")]
pub async fn campaign_qr(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (_, campaign) = own_campaign(&state, user, path.into_inner()).await?;
    let title = text(lang, "campaign_qr_title").replace("{name}", &campaign.name);
    let svg = qr_svg(&campaign_link(&state, &campaign), &title).map_err(WebError::internal)?;
    Ok(attachment(
        svg.into_bytes(),
        "image/svg+xml; charset=utf-8",
        "kampagne-qr.svg",
    ))
}

/// The same QR code as a PNG, for software that takes no SVG.
#[get("/chamber/campaigns/{id}/qr.png")]
pub async fn campaign_qr_png(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (_, campaign) = own_campaign(&state, user, path.into_inner()).await?;
    let png =
        crate::dashboard::qr_png(&campaign_link(&state, &campaign)).map_err(WebError::internal)?;
    Ok(attachment(png, "image/png", "kampagne-qr.png"))
}

/// The dashboard request of a query string: only the chamber's own campaigns, fixed code
/// lists, whole months. A foreign campaign is a 404 and a tampered code list a 400; a wrong
/// period (a typo, "to" before "from", a comparison without its period) leaves that filter out
/// and says so in `problems`, so the page can show the rest with its form.
pub struct DashboardQuery {
    pub filter: Filter,
    pub change_from: Option<Period>,
    pub problems: Vec<Text>,
    raw: Vec<(String, String)>,
}

/// A field's label in both languages, for messages that name it.
fn label(key: &str) -> String {
    format!("„{}“", text(Lang::De, key))
}

fn label_en(key: &str) -> String {
    format!("“{}”", text(Lang::En, key))
}

fn parse_query(req: &HttpRequest, own: &[CampaignRecord]) -> Result<DashboardQuery, WebError> {
    let raw: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
    let get = |name: &str| raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let bad = |de: &str, en: &str| {
        WebError::bad_request_with(Text {
            de: de.into(),
            en: en.into(),
        })
    };
    let mut problems = Vec::new();
    let month = |name: &str, key: &str, problems: &mut Vec<Text>| -> Option<Month> {
        let value = get(name)?;
        match value.parse::<Month>() {
            Ok(m) => Some(m),
            Err(_) => {
                problems.push(Text {
                    de: format!(
                        "{}: „{value}“ ist kein Monat. Bitte wählen Sie einen Monat aus (JJJJ-MM, z. B. 2026-11)."
                        , label(key)
                    ),
                    en: format!(
                        "{}: “{value}” is not a month. Please choose a month (YYYY-MM, e.g. 2026-11).",
                        label_en(key)
                    ),
                });
                None
            }
        }
    };
    // A period from its two months; one month alone is that month. "To" before "from" is
    // named and left out.
    let period = |from: Option<Month>,
                  to: Option<Month>,
                  keys: (&str, &str),
                  problems: &mut Vec<Text>|
     -> Option<Period> {
        let (from, to) = match (from, to) {
            (None, None) => return None,
            (Some(f), None) => (f, f),
            (None, Some(t)) => (t, t),
            (Some(f), Some(t)) => (f, t),
        };
        match Period::new(from, to) {
            Ok(p) => Some(p),
            Err(_) => {
                problems.push(Text {
                    de: format!(
                        "{} liegt vor {}. Bitte tauschen Sie die beiden Monate; dieser Zeitraum ist nicht angewendet.",
                        label(keys.1),
                        label(keys.0)
                    ),
                    en: format!(
                        "{} is before {}. Please swap the two months; this period is not applied.",
                        label_en(keys.1),
                        label_en(keys.0)
                    ),
                });
                None
            }
        }
    };
    let mut filter = Filter::all();
    for (k, v) in &raw {
        if k == "campaign" {
            let id: i64 = v.trim().parse().map_err(|_| WebError::not_found())?;
            if !own.iter().any(|c| c.id == id) {
                return Err(WebError::not_found());
            }
            filter.campaigns.insert(CampaignId::new(id.to_string()));
        }
    }
    let from = month("from", "filter_from", &mut problems);
    let to = month("to", "filter_to", &mut problems);
    filter.period = period(from, to, ("filter_from", "filter_to"), &mut problems);
    filter.industry = get("industry")
        .map(|v| v.parse::<Industry>())
        .transpose()
        .map_err(|_| bad("Unbekannte Branche.", "Unknown industry."))?;
    filter.size = get("size")
        .map(|v| v.parse::<SizeClass>())
        .transpose()
        .map_err(|_| bad("Unbekannte Größenklasse.", "Unknown size class."))?;
    filter.region = get("region")
        .map(|v| v.parse::<Region>())
        .transpose()
        .map_err(|_| bad("Unbekannte Region.", "Unknown region."))?;
    let compare_from = month("compare_from", "filter_compare_from", &mut problems);
    let compare_to = month("compare_to", "filter_compare_to", &mut problems);
    let mut change_from = period(
        compare_from,
        compare_to,
        ("filter_compare_from", "filter_compare_to"),
        &mut problems,
    );
    if change_from.is_some() && get("from").is_none() && get("to").is_none() {
        problems.push(Text {
            de: format!(
                "Für einen Vergleich fehlt der Zeitraum, der mit dem Vergleichszeitraum verglichen wird: Bitte wählen Sie auch {} und {}. Der Vergleich ist nicht angewendet.",
                label("filter_from"),
                label("filter_to")
            ),
            en: format!(
                "A comparison needs the period that is compared with the comparison period: please also choose {} and {}. The comparison is not applied.",
                label_en("filter_from"),
                label_en("filter_to")
            ),
        });
    }
    if filter.period.is_none() {
        change_from = None;
    }
    Ok(DashboardQuery {
        filter,
        change_from,
        problems,
        raw,
    })
}

#[derive(Serialize)]
struct FilterForm {
    campaigns: Vec<Choice>,
    industries: Vec<Choice>,
    sizes: Vec<Choice>,
    regions: Vec<Choice>,
    from: String,
    to: String,
    compare_from: String,
    compare_to: String,
}

#[derive(Serialize)]
struct DashboardPage {
    chrome: Chrome,
    k: u32,
    form: FilterForm,
    summary: DashboardSummary,
    csv_href: String,
    pdf_href: String,
    has_campaigns: bool,
    /// Which catalogue version the figures come from, and how many firms answered an older one.
    versions: String,
    /// What was wrong with the filters; those filters are left out, the rest applies.
    errors: Vec<String>,
}

fn choices<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(&str) -> String,
    selected: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            value: code(v).to_owned(),
            label: label(code(v)),
            selected: selected == Some(code(v)),
        })
        .collect()
}

/// Loads the chamber's campaigns and parses the request.
async fn query_for(
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
) -> Result<(CurrentUser, Vec<CampaignRecord>, DashboardQuery), WebError> {
    let campaigns = state.campaigns.list(user.user_id).await?;
    let query = parse_query(req, &campaigns)?;
    Ok((user, campaigns, query))
}

/// A download must not silently leave out a filter: a wrong one is a 400 with its message.
fn refuse_problems(query: &DashboardQuery) -> Result<(), WebError> {
    match query.problems.first() {
        Some(problem) => Err(WebError::bad_request_with(problem.clone())),
        None => Ok(()),
    }
}

/// Loads the chamber's campaigns, parses the request and computes the dashboard.
async fn dashboard_for(
    state: &AppState,
    req: &HttpRequest,
    user: CurrentUser,
) -> Result<
    (
        CurrentUser,
        Vec<CampaignRecord>,
        DashboardQuery,
        DashboardWithNote,
    ),
    WebError,
> {
    let (user, campaigns, query) = query_for(state, req, user).await?;
    let dashboard = state
        .campaigns
        .dashboard_of(user.user_id, &campaigns, &query.filter, query.change_from)
        .await?;
    Ok((user, campaigns, query, dashboard))
}

#[get("/chamber/dashboard")]
pub async fn dashboard_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (user, campaigns, query, DashboardWithNote { dashboard, older }) =
        dashboard_for(&state, &req, user).await?;
    let catalogue = state.responses.catalogue();
    let errors: Vec<String> = query
        .problems
        .iter()
        .map(|p| p.get(lang).to_owned())
        .collect();
    let get = |name: &str| {
        query
            .raw
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let selected_campaign = get("campaign");
    let qs: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.raw.iter().filter(|(k, _)| k != "lang"))
        .finish();
    let view = DashboardPage {
        chrome: Chrome::for_user(
            lang,
            text(lang, "dashboard_title"),
            "/chamber/dashboard",
            &user,
        ),
        k: dashboard.k,
        has_campaigns: !campaigns.is_empty(),
        form: FilterForm {
            campaigns: campaigns
                .iter()
                .map(|c| Choice {
                    value: c.id.to_string(),
                    label: c.name.clone(),
                    selected: selected_campaign == Some(c.id.to_string().as_str()),
                })
                .collect(),
            industries: choices(
                Industry::ALL,
                Industry::as_str,
                |c| profile_option_label(catalogue, lang, "industry", c),
                get("industry"),
            ),
            sizes: choices(
                SizeClass::ALL,
                SizeClass::as_str,
                |c| profile_option_label(catalogue, lang, "size", c),
                get("size"),
            ),
            regions: choices(
                Region::ALL,
                Region::as_str,
                |c| profile_option_label(catalogue, lang, "region", c),
                get("region"),
            ),
            from: get("from").unwrap_or_default().to_owned(),
            to: get("to").unwrap_or_default().to_owned(),
            compare_from: get("compare_from").unwrap_or_default().to_owned(),
            compare_to: get("compare_to").unwrap_or_default().to_owned(),
        },
        summary: summarise(
            catalogue,
            lang,
            &dashboard,
            describe(catalogue, lang, &campaigns, &query.filter),
        ),
        csv_href: format!("/chamber/dashboard.csv?{qs}&lang={}", lang.code()),
        pdf_href: format!("/chamber/dashboard.pdf?{qs}&lang={}", lang.code()),
        versions: versions_note(lang, &catalogue.version, older, dashboard.k),
        errors,
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    html(status, "pages/chamber_dashboard", &view)
}

/// The one-page summary for the chamber's board: the same cells as the page.
#[get("/chamber/dashboard.pdf")]
pub async fn dashboard_pdf(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let brand = super::brand::board_brand(&state, &user, lang).await?;
    let (_, campaigns, query, DashboardWithNote { dashboard, .. }) =
        dashboard_for(&state, &req, user).await?;
    refuse_problems(&query)?;
    let catalogue = state.responses.catalogue();
    let summary = summarise(
        catalogue,
        lang,
        &dashboard,
        describe(catalogue, lang, &campaigns, &query.filter),
    );
    let now = state.responses.clock().now_ms();
    let board = board_summary(catalogue, lang, &dashboard, &summary, now);
    let bytes = state
        .reports
        .render_board(board, brand)
        .await
        .map_err(WebError::internal)?;
    Ok(attachment(bytes, "application/pdf", "dashboard.pdf"))
}

/// Exactly the published aggregates of the page, as CSV (cells neutralised against formulas).
#[get("/chamber/dashboard.csv")]
pub async fn dashboard_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (_, _, query, DashboardWithNote { dashboard, .. }) =
        dashboard_for(&state, &req, user).await?;
    refuse_problems(&query)?;
    let csv = match lang {
        Lang::En => crate::dashboard::to_csv(&dashboard),
        Lang::De => german_csv(state.responses.catalogue(), &dashboard),
    };
    Ok(attachment(
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        "dashboard.csv",
    ))
}

#[derive(Serialize)]
struct CampaignLandingPage {
    chrome: Chrome,
    landing: LandingPage,
    name: String,
    /// "Eine Kampagne von …" with the chamber's profile name and contact, when it has one.
    chamber: Option<String>,
    consent_error: bool,
    /// The statistics consent as sent: kept when the page comes back with an error.
    count_checked: bool,
    /// A response this browser already started from this link.
    started: Option<StartedView>,
    /// The chamber's logo, when it uploaded one.
    brand_logo: Option<super::brand::LogoView>,
}

#[derive(Serialize)]
struct StartedView {
    text: String,
    continue_href: String,
    continue_label: String,
}

/// The cookie remembering, in this browser, the response started from one campaign link, so
/// that opening the link again offers to continue instead of silently starting a second one.
///
/// Only the token's SHA-256 is stored on the server, so the cookie has to carry the token itself
/// (the private link); it is kept where only this link's own requests see it:
/// - `Path=/c/{code}`: sent to this campaign's landing page and nowhere else on the site, so it
///   never reaches the request log of other pages (paths are logged redacted, cookies never);
/// - `HttpOnly`: no script can read it (the pages carry no scripts anyway, CSP `default-src 'none'`);
/// - `SameSite=Lax`: sent when the member opens the link from an e-mail or a QR code (a top-level
///   navigation), not on another site's sub-requests or form posts;
/// - behind HTTPS `Secure` and the `__Secure-` prefix (`__Host-` needs `Path=/`);
/// - 30 days, then the browser forgets it; the page itself never shows the token: "continue"
///   goes through `/c/{code}/continue`, which redirects to the private link.
fn started_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Secure-sr_started"
    } else {
        "sr_started"
    }
}

const STARTED_MAX_AGE: i64 = 30 * 24 * 60 * 60;

fn started_cookie(code: &str, value: &str, secure: bool, max_age: i64) -> String {
    let mut cookie = format!(
        "{}={value}; Path=/c/{code}; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        started_cookie_name(secure)
    );
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The response this browser started from this campaign link, if it still exists.
async fn started_response(
    state: &AppState,
    req: &HttpRequest,
) -> Option<(ResponseToken, crate::responses::LoadedResponse)> {
    let raw = cookie(req, started_cookie_name(state.secure_cookies))?;
    let token = ResponseToken::parse(&raw)?;
    match state.responses.load(&token).await {
        Ok(response) => Some((token, response)),
        Err(ServiceError::NotFound) => None,
        Err(e) => {
            // The landing page works without the offer; the owner still has the private link.
            tracing::warn!(error = %e, "looking up a started campaign response failed");
            None
        }
    }
}

async fn campaign_landing_page(
    state: &AppState,
    lang: Lang,
    code: &str,
    campaign: &CampaignRecord,
    consent_error: bool,
    count_checked: bool,
    started: Option<&crate::responses::LoadedResponse>,
) -> Result<HttpResponse, WebError> {
    let status = if consent_error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut landing = LandingPage::new(state.responses.catalogue(), lang, consent_error);
    landing.form_action = format!("/c/{code}?lang={}", lang.code());
    let started = started.map(|response| {
        let (text_key, label_key) = if response.is_submitted() {
            ("campaign_started_done", "campaign_started_result")
        } else {
            ("campaign_started_open", "campaign_started_continue")
        };
        StartedView {
            text: text(lang, text_key)
                .replace("{date}", &format_date(lang, response.record.updated_at)),
            continue_href: format!("/c/{code}/continue?lang={}", lang.code()),
            continue_label: text(lang, label_key),
        }
    });
    // The page works without the chamber's name; a failed lookup is logged, not shown.
    let chamber = match state.profiles.get(campaign.chamber_id).await {
        Ok(profile) => profile.map(|p| {
            let line = text(lang, "campaign_by").replace("{chamber}", &p.name);
            match p.contact {
                Some(contact) => format!(
                    "{line} {}",
                    text(lang, "account_profile_contact_line").replace("{contact}", &contact)
                ),
                None => line,
            }
        }),
        Err(e) => {
            tracing::warn!(error = %e, "looking up a chamber's profile failed");
            None
        }
    };
    // Like the name: the page works without the logo.
    let owner = match state.profiles.get(campaign.chamber_id).await {
        Ok(Some(p)) => p.name,
        _ => campaign.name.clone(),
    };
    let brand_logo = super::brand::logo_of(state, campaign.chamber_id, &owner, lang)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "looking up a chamber's logo failed");
            None
        });
    let view = CampaignLandingPage {
        brand_logo,
        chrome: Chrome::new(lang, campaign.name.clone(), &format!("/c/{code}")),
        landing,
        name: campaign.name.clone(),
        chamber,
        consent_error,
        count_checked,
        started,
    };
    html(status, "pages/campaign_landing", &view)
}

/// The public link of a campaign: the usual start page, with the separate consent to be
/// counted in the chamber's statistics.
#[get("/c/{code}")]
pub async fn campaign_landing(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    CampaignByCode {
        code: path,
        campaign,
    }: CampaignByCode,
) -> Result<HttpResponse, WebError> {
    let started = started_response(&state, &req).await;
    let mut response = campaign_landing_page(
        &state,
        lang,
        &path,
        &campaign,
        false,
        false,
        started.as_ref().map(|(_, r)| r),
    )
    .await?;
    // A cookie for a response that is gone (deleted by its owner) is dropped.
    if started.is_none() && cookie(&req, started_cookie_name(state.secure_cookies)).is_some() {
        set_header(
            &mut response,
            &started_cookie(&path, "", state.secure_cookies, 0),
        );
    }
    Ok(response)
}

/// "Continue": to the private link of the response this browser started here.
#[get("/c/{code}/continue")]
pub async fn campaign_continue(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    CampaignByCode { code: path, .. }: CampaignByCode,
) -> Result<HttpResponse, WebError> {
    Ok(match started_response(&state, &req).await {
        Some((token, response)) => see_other(format!(
            "{}?lang={}",
            token_path(&token),
            request_lang(&req, Some(response.lang())).code()
        )),
        None => see_other(format!("/c/{}?lang={}", path.as_str(), lang.code())),
    })
}

fn set_header(response: &mut HttpResponse, cookie: &str) {
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(cookie) {
        response
            .headers_mut()
            .append(actix_web::http::header::SET_COOKIE, value);
    }
}

/// The campaign landing page's form: the two consents.
#[derive(Deserialize)]
pub struct CampaignStartFields {
    count: Option<String>,
    consent: Option<String>,
}

#[post("/c/{code}")]
pub async fn campaign_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    CampaignByCode {
        code: path,
        campaign,
    }: CampaignByCode,
    Form(form): Form<CampaignStartFields>,
) -> Result<HttpResponse, WebError> {
    super::client::limit(&state, &req, &state.limits.starts)?;
    let counted = form.count.as_deref() == Some("yes");
    if form.consent.as_deref() != Some("yes") {
        let started = started_response(&state, &req).await;
        return campaign_landing_page(
            &state,
            lang,
            &path,
            &campaign,
            true,
            counted,
            started.as_ref().map(|(_, r)| r),
        )
        .await;
    }
    let token = state.campaigns.start(&campaign, lang, counted).await?;
    let mut response = to_first_step(&token, lang);
    set_header(
        &mut response,
        &started_cookie(
            &path,
            &token.as_url_part(),
            state.secure_cookies,
            STARTED_MAX_AGE,
        ),
    );
    Ok(response)
}
