//! The chamber's pages: campaigns with their public link and QR code, the aggregate
//! dashboard with its CSV export, and the campaign's public landing page for member firms.
//! Every number shown comes from `dashboard`, which has passed it through disclosure control.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;

use super::AppState;
use super::error::WebError;
use super::extract::{CampaignByCode, Chamber, CsrfForm, Form, PageLang};
use super::i18n::{request_lang, text};
use super::pages::{attachment, field, html, mailto_href, see_other, to_first_step, token_path};
use super::session::cookie;
use super::views::{Chrome, LandingPage, format_date, profile_option_label, signed};
use crate::auth::CurrentUser;
use crate::benchmark::{Industry, Region, SizeClass, SuppressionReason};
use crate::campaigns::CampaignForm;
use crate::campaigns::CampaignRecord;
use crate::charts::{DimensionBar, DimensionChart, PeerBand, dimension_chart_svg};
use crate::dashboard::{
    CampaignId, Cell, Dashboard, Filter, Keyed, Month, Period, RegionGroup, Sector, SizeBand,
    Spread, qr_svg,
};
use crate::profiles::shown_name;
use crate::report::board::{BoardSummary, BoardTable};
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

#[post("/chamber/campaigns")]
pub async fn create_campaign(
    state: web::Data<AppState>,
    Chamber(user): Chamber,
    CsrfForm(fields): CsrfForm,
    PageLang(lang): PageLang,
) -> Result<HttpResponse, WebError> {
    let form = CampaignForm {
        name: field(&fields, "name"),
        from: field(&fields, "from"),
        to: field(&fields, "to"),
        region: field(&fields, "region"),
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

/// A cell as text: its value, or why it is hidden (never its n).
fn show<T>(cell: &Cell<T>, lang: Lang, k: u32, value: impl Fn(&T) -> String) -> String {
    match cell {
        Cell::Published { value: v, .. } => value(v),
        Cell::Suppressed { reason } => suppressed(lang, *reason, k),
    }
}

pub fn suppressed(lang: Lang, reason: SuppressionReason, k: u32) -> String {
    let key = match reason {
        SuppressionReason::TooFew => "suppressed_too_few",
        SuppressionReason::Differencing => "suppressed_differencing",
        SuppressionReason::Complementary => "suppressed_complementary",
    };
    text(lang, key).replace("{k}", &k.to_string())
}

#[derive(Serialize)]
pub struct DataRow {
    pub label: String,
    /// n first, then the values; empty when the row is hidden.
    pub cells: Vec<String>,
    pub suppressed: bool,
    /// Why the row is hidden (never its n), shown across `span` columns.
    pub note: String,
    pub span: usize,
}

fn row<T>(
    label: String,
    cell: &Cell<T>,
    lang: Lang,
    k: u32,
    values: impl Fn(&T) -> Vec<String>,
    width: usize,
) -> DataRow {
    match cell {
        Cell::Published { n, value } => {
            let mut cells = vec![n.to_string()];
            cells.extend(values(value));
            DataRow {
                label,
                cells,
                suppressed: false,
                note: String::new(),
                span: width + 1,
            }
        }
        Cell::Suppressed { reason } => DataRow {
            label,
            cells: Vec::new(),
            suppressed: true,
            note: suppressed(lang, *reason, k),
            span: width + 1,
        },
    }
}

fn spread(s: &Spread) -> Vec<String> {
    vec![s.median.to_string(), format!("{}–{}", s.p25, s.p75)]
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// What the dashboard page, and the one-page PDF, show: every number already a string.
#[derive(Serialize)]
pub struct DashboardSummary {
    pub participants: String,
    pub published: bool,
    pub participation: Vec<DataRow>,
    pub levels: Vec<DataRow>,
    pub scores: Vec<DataRow>,
    pub by_industry: Vec<DataRow>,
    pub by_size: Vec<DataRow>,
    pub by_region: Vec<DataRow>,
    pub red_flags: Vec<DataRow>,
    pub change: Option<ChangeView>,
    pub chart_svg: String,
    pub description: String,
}

#[derive(Serialize)]
pub struct ChangeView {
    pub heading: String,
    pub participants: String,
    pub medians: Vec<DataRow>,
}

fn month_label(lang: Lang, m: Month) -> String {
    match lang {
        Lang::De => format!("{:02}/{}", m.month(), m.year()),
        Lang::En => m.to_string(),
    }
}

fn red_flag_label(catalogue: &Catalogue, lang: Lang, id: &str) -> String {
    catalogue
        .dimensions
        .iter()
        .flat_map(|d| &d.questions)
        .flat_map(|q| &q.options)
        .filter_map(|o| o.red_flag.as_ref())
        .find(|f| f.id == id)
        .map_or_else(|| id.to_owned(), |f| f.text.get(lang).to_owned())
}

fn dimension_label(catalogue: &Catalogue, lang: Lang, id: &str) -> String {
    if id == "overall" {
        return text(lang, "overall");
    }
    catalogue
        .dimension(id)
        .map_or_else(|| id.to_owned(), |d| d.title.get(lang).to_owned())
}

/// The selection's median per topic against all firms' p25–p75 and median: for the page (SVG)
/// and the board PDF, from the same chart code. None when no topic may be shown.
fn dashboard_chart(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
) -> Option<DimensionChart> {
    let bars = dashboard
        .scores
        .iter()
        .filter(|r| r.id != "overall")
        .filter_map(|r| {
            let own = r.cohort.value()?;
            Some(DimensionBar {
                label: dimension_label(catalogue, lang, &r.id),
                score: own.median,
                peers: r.all_firms.value().map(|a| PeerBand {
                    p25: a.p25,
                    median: a.median,
                    p75: a.p75,
                }),
                gap: None,
            })
        })
        .collect::<Vec<_>>();
    // The legend names the all-firms band and median only when the chart draws them.
    let peers_drawn = bars.iter().any(|b| b.peers.is_some());
    (!bars.is_empty()).then(|| DimensionChart {
        axis_label: text(lang, "chart_axis"),
        legend: peers_drawn.then(|| {
            [
                text(lang, "legend_selection"),
                text(lang, "legend_all_band"),
                text(lang, "legend_all_median"),
            ]
        }),
        bars,
    })
}

/// The board's one-page summary: participants, the chart, scores, levels and the most common
/// red flags, each row as the page shows it (a hidden row says why).
fn board_summary(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
    summary: &DashboardSummary,
    as_of_ms: i64,
) -> BoardSummary {
    let cells = |rows: &[DataRow], keep: usize, limit: usize| -> Vec<Vec<String>> {
        rows.iter()
            .take(limit)
            .map(|r| {
                let mut line = vec![r.label.clone()];
                if r.suppressed {
                    line.push(r.note.clone());
                } else {
                    line.extend(r.cells.iter().take(keep).cloned());
                }
                line
            })
            .collect()
    };
    let t = |key: &str| text(lang, key);
    let mut tables = Vec::new();
    if summary.published {
        tables.push(BoardTable {
            heading: t("dashboard_levels"),
            columns: vec![t("level"), "n".into(), t("firms"), t("share")],
            widths: vec![0.44, 0.12, 0.26, 0.18],
            numeric: vec![false, true, true, true],
            rows: cells(&summary.levels, 3, usize::MAX),
        });
        tables.push(BoardTable {
            heading: t("dashboard_red_flags_top"),
            columns: vec![t("red_flag_label"), "n".into(), t("firms"), t("share")],
            widths: vec![0.5, 0.1, 0.24, 0.16],
            numeric: vec![false, true, true, true],
            rows: cells(&summary.red_flags, 3, 3),
        });
    }
    let (year, month, day) = super::report::calendar_date(as_of_ms);
    BoardSummary {
        title: t("board_title"),
        selection: summary.description.clone(),
        as_of: t("board_as_of").replace("{date}", &super::views::format_date(lang, as_of_ms)),
        participants_label: t("dashboard_participants"),
        participants: summary.participants.clone(),
        chart: dashboard_chart(catalogue, lang, dashboard),
        chart_title: t("dashboard_chart_title"),
        tables,
        footnote: {
            // Topics the chart leaves out, and why: nothing disappears silently. One note per
            // reason, naming its topics, so the footnote stays short enough for one page.
            let mut by_note: Vec<(&str, Vec<&str>)> = Vec::new();
            for r in summary.scores.iter().filter(|r| r.suppressed) {
                match by_note.iter_mut().find(|(note, _)| *note == r.note) {
                    Some((_, labels)) => labels.push(&r.label),
                    None => by_note.push((&r.note, vec![&r.label])),
                }
            }
            let mut hidden: Vec<String> = by_note
                .iter()
                .map(|(note, labels)| format!("{}: {}", labels.join(", "), note))
                .collect();
            // The chart draws no all-firms band then; say why rather than leave it out.
            if let Some(reason) = dashboard.scores.first().and_then(|r| r.all_firms.reason()) {
                let label = t("all_firms");
                let mut chars = label.chars();
                let label: String = chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default();
                hidden.push(format!(
                    "{label}: {}",
                    suppressed(lang, reason, dashboard.k)
                ));
            }
            if hidden.is_empty() || !summary.published {
                t("dashboard_privacy")
            } else {
                format!("{}. {}", hidden.join("; "), t("dashboard_privacy"))
            }
        },
        creation_date: (year, month, day),
        lang: lang.code().into(),
    }
}

/// One breakdown (by industry, size class or region) as rows labelled from the catalogue.
fn breakdown<K: Copy>(
    catalogue: &Catalogue,
    lang: Lang,
    k: u32,
    question: &str,
    cells: &[Keyed<K, Spread>],
    code: fn(K) -> &'static str,
) -> Vec<DataRow> {
    cells
        .iter()
        .map(|Keyed { key, cell }| {
            let label = profile_option_label(catalogue, lang, question, code(*key));
            row(label, cell, lang, k, spread, 2)
        })
        .collect()
}

/// Level rows: the single levels, or the merged bands when the dashboard had to merge some.
fn level_rows(catalogue: &Catalogue, lang: Lang, dashboard: &Dashboard) -> Vec<DataRow> {
    let name = |l: u8| catalogue.level(l).name.get(lang).to_owned();
    let values = |s: &crate::dashboard::Share| vec![s.count.to_string(), percent(s.share)];
    // One band "1–5" is the selection itself, not a distribution: then the single levels,
    // each saying why it is hidden.
    if dashboard.level_bands.len() < 2
        || dashboard.level_bands.iter().all(|b| b.key.from == b.key.to)
    {
        return dashboard
            .levels
            .iter()
            .map(|Keyed { key, cell }| {
                row(
                    format!("{key} – {}", name(*key)),
                    cell,
                    lang,
                    dashboard.k,
                    values,
                    2,
                )
            })
            .collect();
    }
    dashboard
        .level_bands
        .iter()
        .map(|Keyed { key, cell }| {
            let label = if key.from == key.to {
                format!("{} – {}", key.from, name(key.from))
            } else {
                text(lang, "level_band_label")
                    .replace("{from}", &key.from.to_string())
                    .replace("{to}", &key.to.to_string())
                    .replace("{first}", &name(key.from))
                    .replace("{last}", &name(key.to))
            };
            row(label, cell, lang, dashboard.k, values, 2)
        })
        .collect()
}

/// A breakdown by a coarser grouping, labelled from the texts (`{prefix}_{id}`).
fn grouped<G: Copy>(
    lang: Lang,
    k: u32,
    prefix: &str,
    cells: &[Keyed<G, Spread>],
    id: fn(G) -> &'static str,
) -> Vec<DataRow> {
    cells
        .iter()
        .map(|Keyed { key, cell }| {
            row(
                text(lang, &format!("{prefix}_{}", id(*key))),
                cell,
                lang,
                k,
                spread,
                2,
            )
        })
        .collect()
}

/// The fine rows, unless the coarser grouping shows more of them.
fn finest(fine: Vec<DataRow>, coarse: Vec<DataRow>) -> Vec<DataRow> {
    let shown = |rows: &[DataRow]| rows.iter().filter(|r| !r.suppressed).count();
    if shown(&coarse) > shown(&fine) {
        coarse
    } else {
        fine
    }
}

pub fn summarise(
    catalogue: &Catalogue,
    lang: Lang,
    dashboard: &Dashboard,
    description: String,
) -> DashboardSummary {
    let k = dashboard.k;
    let chart_svg = dashboard_chart(catalogue, lang, dashboard)
        .map(|chart| {
            dimension_chart_svg(
                &chart,
                &text(lang, "dashboard_chart_title"),
                "dashboard-chart",
            )
        })
        .unwrap_or_default();
    DashboardSummary {
        participants: show(&dashboard.participants, lang, k, |n| n.to_string()),
        published: dashboard.is_published(),
        participation: dashboard
            .participation
            .iter()
            .map(|Keyed { key, cell }| row(month_label(lang, *key), cell, lang, k, |_| vec![], 0))
            .collect(),
        levels: level_rows(catalogue, lang, dashboard),
        scores: dashboard
            .scores
            .iter()
            .map(|r| {
                let label = dimension_label(catalogue, lang, &r.id);
                let mut data = row(label, &r.cohort, lang, k, spread, 2);
                data.cells
                    .push(show(&r.all_firms, lang, k, |s| s.median.to_string()));
                data.cells.push(show(&r.all_firms, lang, k, |s| {
                    format!("{}–{}", s.p25, s.p75)
                }));
                data
            })
            .collect(),
        // Each breakdown in the finest grouping that shows the most rows (issue 14).
        by_industry: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "industry",
                &dashboard.by_industry,
                Industry::as_str,
            ),
            grouped(lang, k, "sector", &dashboard.by_sector, Sector::as_str),
        ),
        by_size: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "size",
                &dashboard.by_size,
                SizeClass::as_str,
            ),
            grouped(
                lang,
                k,
                "size_band",
                &dashboard.by_size_band,
                SizeBand::as_str,
            ),
        ),
        by_region: finest(
            breakdown(
                catalogue,
                lang,
                k,
                "region",
                &dashboard.by_region,
                Region::as_str,
            ),
            grouped(
                lang,
                k,
                "region_group",
                &dashboard.by_region_group,
                RegionGroup::as_str,
            ),
        ),
        red_flags: dashboard
            .red_flags
            .iter()
            .map(|Keyed { key, cell }| {
                row(
                    red_flag_label(catalogue, lang, key),
                    cell,
                    lang,
                    k,
                    |s| vec![s.count.to_string(), percent(s.share)],
                    2,
                )
            })
            .collect(),
        change: dashboard.change.as_ref().map(|c| ChangeView {
            heading: text(lang, "dashboard_change_heading")
                .replace("{from}", &month_label(lang, c.before.from()))
                .replace("{to}", &month_label(lang, c.before.to())),
            participants: show(&c.participants, lang, k, |ch| {
                format!("{} → {} ({})", ch.before, ch.after, signed(ch.delta))
            }),
            medians: c
                .medians
                .iter()
                .map(|Keyed { key, cell }| {
                    row(
                        dimension_label(catalogue, lang, key),
                        cell,
                        lang,
                        k,
                        |ch| {
                            vec![
                                ch.before.to_string(),
                                ch.after.to_string(),
                                signed(ch.delta),
                            ]
                        },
                        3,
                    )
                })
                .collect(),
        }),
        chart_svg,
        description,
    }
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
) -> Result<(CurrentUser, Vec<CampaignRecord>, DashboardQuery, Dashboard), WebError> {
    let (user, campaigns, query) = query_for(state, req, user).await?;
    let dashboard = state
        .campaigns
        .dashboard(user.user_id, &query.filter, query.change_from)
        .await?;
    Ok((user, campaigns, query, dashboard))
}

/// The filter in words, for the page, the CSV's file and the PDF.
fn describe(
    catalogue: &Catalogue,
    lang: Lang,
    campaigns: &[CampaignRecord],
    filter: &Filter,
) -> String {
    let mut parts = Vec::new();
    if filter.campaigns.is_empty() {
        parts.push(text(lang, "all_campaigns"));
    } else {
        parts.extend(
            campaigns
                .iter()
                .filter(|c| {
                    filter
                        .campaigns
                        .contains(&CampaignId::new(c.id.to_string()))
                })
                .map(|c| c.name.clone()),
        );
    }
    if let Some(p) = filter.period {
        parts.push(format!(
            "{} – {}",
            month_label(lang, p.from()),
            month_label(lang, p.to())
        ));
    }
    if let Some(i) = filter.industry {
        parts.push(profile_option_label(
            catalogue,
            lang,
            "industry",
            i.as_str(),
        ));
    }
    if let Some(s) = filter.size {
        parts.push(profile_option_label(catalogue, lang, "size", s.as_str()));
    }
    if let Some(r) = filter.region {
        parts.push(profile_option_label(catalogue, lang, "region", r.as_str()));
    }
    parts.join(" · ")
}

/// The dashboard's figures come from one catalogue version; firms that answered an older one
/// are counted apart (an exact count only from k on, like every other count).
fn versions_note(lang: Lang, version: &str, older: usize, k: u32) -> String {
    let mut note = text(lang, "dashboard_version").replace("{version}", version);
    if older > 0 {
        let count = if older < k as usize {
            text(lang, "dashboard_older_few").replace("{k}", &k.to_string())
        } else {
            older.to_string()
        };
        note.push(' ');
        note.push_str(&text(lang, "dashboard_older_responses").replace("{count}", &count));
    }
    note
}

#[get("/chamber/dashboard")]
pub async fn dashboard_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    Chamber(user): Chamber,
) -> Result<HttpResponse, WebError> {
    let (user, campaigns, query, dashboard) = dashboard_for(&state, &req, user).await?;
    let catalogue = state.responses.catalogue();
    let older = state
        .campaigns
        .older_catalogue_responses(user.user_id, &query.filter)
        .await
        .map_err(|e| WebError::from(e).html(lang))?;
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
    let (_, campaigns, query, dashboard) = dashboard_for(&state, &req, user).await?;
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
        .map_err(|e| {
            tracing::error!(error = %e, "rendering a board summary failed");
            WebError::internal(e)
        })?;
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
    let (_, _, query, dashboard) = dashboard_for(&state, &req, user).await?;
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

/// The CSV as German Excel opens it: a byte order mark, semicolons, decimal commas, German
/// headers and labels instead of codes.
fn german_csv(catalogue: &Catalogue, dashboard: &Dashboard) -> String {
    let lang = Lang::De;
    let word = |w: &str| {
        match w {
            "section" => "Bereich",
            "key" => "Merkmal",
            "measure" => "Kennzahl",
            "value" => "Wert",
            "note" => "Hinweis",
            "participants" => "Teilnehmende",
            "participation" => "Teilnahme je Monat",
            "level" => "Stufe",
            "score" => "Punktwert (Auswahl)",
            "score_all_firms" => "Punktwert (alle Unternehmen)",
            "industry" => "Branche",
            "size" => "Größe",
            "region" => "Bundesland",
            "level_band" => "Stufen (zusammengefasst)",
            "sector" => "Wirtschaftsbereich",
            "size_band" => "Größe (zusammengefasst)",
            "region_group" => "Landesteil",
            "red_flag" => "Warnsignal",
            "change" => "Veränderung",
            "count" => "Anzahl",
            "share" => "Anteil",
            "p25" => "25. Perzentil",
            "median" => "Median",
            "p75" => "75. Perzentil",
            "before" => "vorher",
            "after" => "nachher",
            "delta" => "Differenz",
            "suppressed" => "ausgeblendet",
            "period" => "Vergleichszeitraum",
            "since" => "Vergleich mit",
            other => other,
        }
        .to_owned()
    };
    let key = |section: &str, key: &str| match section {
        "participants" => "alle".to_owned(),
        "participation" => key
            .parse::<Month>()
            .map_or_else(|_| key.to_owned(), |m| month_label(lang, m)),
        "level" => key.parse::<u8>().map_or_else(
            |_| key.to_owned(),
            |l| format!("{l} – {}", catalogue.level(l).name.get(lang)),
        ),
        "score" | "score_all_firms" => dimension_label(catalogue, lang, key),
        "change_median" => format!("Median {}", dimension_label(catalogue, lang, key)),
        "change" if key == "participants" => "Teilnehmende".to_owned(),
        "industry" | "size" | "region" => profile_option_label(catalogue, lang, section, key),
        "red_flag" => red_flag_label(catalogue, lang, key),
        "level_band" => format!("Stufen {}", key.replace('-', "–")),
        "sector" | "size_band" | "region_group" => text(lang, &format!("{section}_{key}")),
        _ => key.to_owned(),
    };
    let note = |reason: SuppressionReason, k: u32| suppressed(lang, reason, k);
    crate::dashboard::to_csv_in(
        dashboard,
        &crate::dashboard::CsvDialect {
            separator: ';',
            bom: true,
            decimal_comma: true,
            word: &word,
            key: &key,
            note: &note,
        },
    )
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

#[post("/c/{code}")]
pub async fn campaign_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageLang(lang): PageLang,
    CampaignByCode {
        code: path,
        campaign,
    }: CampaignByCode,
    Form(fields): Form,
) -> Result<HttpResponse, WebError> {
    super::client::limit(&state, &req, &state.limits.starts)?;
    let counted = field(&fields, "count") == Some("yes");
    if field(&fields, "consent") != Some("yes") {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::{CohortKey, DisclosurePolicy};
    use crate::dashboard::utility_tests::{FIRST_WAVE, simulate};
    use crate::dashboard::{DashboardCatalogue, DashboardInputs, Filter, PublishedCampaigns};

    /// The board summary of the first wave of issue 14 (21 firms, 85 % in one region): "all
    /// firms" is published now (it is never hidden once it has k firms), so the chart draws its
    /// band beside every topic, the legend names it, and it all fits one page.
    #[test]
    fn first_wave_board_summary_is_one_page_with_its_chart() {
        let policy = DisclosurePolicy::default();
        let wave = simulate(&FIRST_WAVE);
        let verdicts = wave.book.disclose(&policy).expect("disclose");
        let data = PublishedCampaigns::from_publications(&wave.publications).expect("data");
        let catalogue = crate::survey::current();
        let ids = DashboardCatalogue::from_catalogue(catalogue);
        let inputs = DashboardInputs {
            policy: &policy,
            catalogue: &ids,
            data: &data,
            all_firms: verdicts.get(&CohortKey::All),
        };
        let dashboard = Dashboard::compute(&inputs, &Filter::all(), None).expect("dashboard");
        let lang = Lang::De;
        let summary = summarise(catalogue, lang, &dashboard, "Erste Welle".into());
        // 2026-11-27, fixed so that the page does not depend on the day the test runs.
        let board = board_summary(catalogue, lang, &dashboard, &summary, 1_795_780_800_000);
        let chart = board
            .chart
            .as_ref()
            .expect("the selection's medians are shown");
        assert!(
            matches!(
                verdicts.get(&CohortKey::All),
                Some(crate::benchmark::Disclosure::Published(_))
            ),
            "all firms is shown on the first wave"
        );
        assert!(chart.bars.iter().all(|b| b.peers.is_some()));
        assert!(
            chart.legend.is_some(),
            "the band that is drawn has its legend entry"
        );
        assert!(
            !board.footnote.contains("ausgeblendet"),
            "{}",
            board.footnote
        );
        let pdf = crate::report::board::render_board(&board).expect("pdf");
        let count = pdf
            .windows(19)
            .find(|w| w.starts_with(b"/Type/Pages/Count "));
        assert_eq!(count.map(|w| w[18]), Some(b'1'), "one page");
    }

    #[test]
    fn the_dashboard_names_its_version_and_counts_older_firms_only_from_k() {
        assert_eq!(
            versions_note(Lang::De, "2027.1", 0, 5),
            "Alle Zahlen stammen aus dem Fragebogen 2027.1."
        );
        let few = versions_note(Lang::De, "2027.1", 3, 5);
        assert!(few.contains("Weniger als 5 Unternehmen"), "{few}");
        assert!(!few.contains('3'), "{few}");
        let many = versions_note(Lang::En, "2027.1", 12, 5);
        assert!(
            many.contains("12 firms in this selection answered the older"),
            "{many}"
        );
    }
}
