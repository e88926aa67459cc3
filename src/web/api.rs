//! The JSON API (v1): a stable contract for integrations. Fields may be added, never removed.
use std::collections::BTreeMap;

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::body::{content_type_is, read_body};
use super::error::WebError;
use super::extract::OwnerResponse;
use crate::benchmark::{
    CohortKey, Disclosure, Industry, MeasureStats, Region, SizeClass, SuppressionReason,
};
use crate::present::labels::ResolvedResult;
use crate::present::pages::{cohort_label, resolve};
use crate::responses::ServiceError;
use crate::scoring::Assessment;
use crate::statistics::{Benchmark, Position};
use crate::survey::{Catalogue, FieldError, Lang, Question, QuestionKind, RawAnswer, Text};

fn lang_param(req: &HttpRequest) -> Result<Lang, WebError> {
    match form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, _)| k == "lang") {
        None => Ok(Lang::De),
        Some((_, v)) => Lang::parse(&v).ok_or_else(|| {
            WebError::bad_request_with(Text {
                de: "lang muss \"de\" oder \"en\" sein.".into(),
                en: "lang must be \"de\" or \"en\".".into(),
            })
        }),
    }
}

#[derive(Serialize)]
struct OptionJson<'a> {
    id: &'a str,
    label: &'a str,
    /// "Not active yet": filled in for a firm whose profile says it is not active yet, refused
    /// from an active one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    not_active: bool,
}

#[derive(Serialize)]
struct QuestionJson<'a> {
    id: String,
    text: &'a str,
    kind: QuestionKind,
    required: bool,
    options: Vec<OptionJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    /// "profile", "scored" or "importance" (the unscored per-dimension question).
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    /// The question as put to a firm that is not active yet (answered for its planning).
    #[serde(skip_serializing_if = "Option::is_none")]
    planning_text: Option<&'a str>,
}

fn question_json<'a>(
    c: &'a Catalogue,
    q: &'a Question,
    lang: Lang,
    role: &'static str,
) -> QuestionJson<'a> {
    QuestionJson {
        id: q.id.clone(),
        text: q.text.get(lang),
        kind: q.kind,
        required: q.required,
        options: q
            .options
            .iter()
            .map(|o| OptionJson {
                id: &o.id,
                label: o.label.get(lang),
                not_active: o.not_active,
            })
            .collect(),
        help: q.help.as_ref().map(|h| h.get(lang)),
        role,
        source: q.source.as_deref().map(|s| c.source_title(s)),
        planning_text: q.planning.as_ref().map(|t| t.get(lang)),
    }
}

#[get("/api/v1/questionnaire")]
pub async fn questionnaire(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let lang = lang_param(&req)?;
    let c = state.responses.catalogue();
    let dimensions: Vec<serde_json::Value> = c
        .dimensions
        .iter()
        .map(|d| {
            let mut questions: Vec<QuestionJson> = d
                .questions
                .iter()
                .map(|q| question_json(c, q, lang, "scored"))
                .collect();
            questions.push(QuestionJson {
                id: Catalogue::importance_question_id(d),
                text: c.importance.text.get(lang),
                kind: QuestionKind::Single,
                required: false,
                options: c
                    .importance
                    .options
                    .iter()
                    .map(|o| OptionJson {
                        id: &o.id,
                        label: o.label.get(lang),
                        not_active: false,
                    })
                    .collect(),
                help: None,
                role: "importance",
                source: None,
                planning_text: None,
            });
            serde_json::json!({
                "id": d.id,
                "title": d.title.get(lang),
                "intro": d.intro.get(lang),
                "weight": d.weight,
                "questions": questions,
            })
        })
        .collect();
    let profile: Vec<QuestionJson> = c
        .profile
        .iter()
        .map(|q| question_json(c, q, lang, "profile"))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "version": c.version,
        "date": c.date,
        "lang": lang.code(),
        "profile": profile,
        "dimensions": dimensions,
        "levels": c.levels.iter().map(|l| serde_json::json!({
            "level": l.level, "min_score": l.min_score, "name": l.name.get(lang),
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AnswerValue {
    One(String),
    Many(Vec<String>),
}

/// The body of `POST /api/v1/responses`. Unknown fields are refused (no mass assignment).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateResponse {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    firm_name: Option<String>,
    profile: BTreeMap<String, String>,
    answers: BTreeMap<String, AnswerValue>,
}

/// The result as the API shows it, in the response's language, serialised straight from the
/// resolved labels: building a JSON value tree first (and copying every string into it) was
/// about 6 % of a submit's CPU (issue 17).
#[derive(Serialize)]
pub struct ApiResult<'a> {
    overall: ApiOverall<'a>,
    dimensions: Vec<ApiDimension<'a>>,
    red_flags: Vec<ApiRedFlag<'a>>,
    actions: Vec<ApiAction<'a>>,
    catalogue_version: &'a str,
}

#[derive(Serialize)]
struct ApiOverall<'a> {
    score: u8,
    level: u8,
    level_name: &'a str,
}

#[derive(Serialize)]
struct ApiDimension<'a> {
    id: &'a str,
    title: &'a str,
    score: u8,
    level: u8,
    level_name: &'a str,
    capped_by_red_flag: bool,
    // More than half "Weiß nicht": score and level mean nothing (left out of the overall).
    not_assessable: bool,
}

#[derive(Serialize)]
struct ApiRedFlag<'a> {
    question: &'a str,
    text: &'a str,
    reason: &'a str,
    action: &'a str,
    source: &'a str,
}

#[derive(Serialize)]
struct ApiAction<'a> {
    dimension: &'a str,
    text: &'a str,
    source: &'a str,
    red_flag: Option<&'a str>,
}

impl<'a> ApiResult<'a> {
    /// Borrows from the catalogue, the assessment and its labels (`resolve`).
    pub fn new(
        c: &'a Catalogue,
        lang: Lang,
        assessment: &'a Assessment,
        resolved: &'a ResolvedResult,
    ) -> Self {
        ApiResult {
            overall: ApiOverall {
                score: assessment.overall.score,
                level: assessment.overall.level,
                level_name: c.level(assessment.overall.level).name.get(lang),
            },
            dimensions: resolved
                .dimensions
                .iter()
                .map(|d| ApiDimension {
                    id: &d.id,
                    title: &d.title,
                    score: d.score,
                    level: d.level,
                    level_name: &d.level_name,
                    capped_by_red_flag: d.capped,
                    not_assessable: d.not_assessable,
                })
                .collect(),
            red_flags: resolved
                .red_flags
                .iter()
                .map(|f| ApiRedFlag {
                    question: &f.question,
                    text: &f.text,
                    reason: &f.reason,
                    action: &f.action,
                    source: &f.source,
                })
                .collect(),
            actions: resolved
                .actions
                .iter()
                .map(|a| ApiAction {
                    dimension: &a.dimension_id,
                    text: &a.text,
                    source: &a.source,
                    red_flag: a.red_flag.as_deref(),
                })
                .collect(),
            catalogue_version: &assessment.catalogue_version,
        }
    }
}

/// The body of `POST /api/v1/responses`.
#[derive(Serialize)]
struct CreatedBody<'a> {
    token: &'a str,
    status: &'static str,
    result: ApiResult<'a>,
    links: CreatedLinks,
}

#[derive(Serialize)]
struct CreatedLinks {
    #[serde(rename = "self")]
    location: String,
    result_page: String,
}

/// The body of `GET /api/v1/responses/{token}`.
#[derive(Serialize)]
struct ResponseBody<'a> {
    token: &'a str,
    status: &'a str,
    lang: &'static str,
    catalogue_version: &'a str,
    result: Option<ApiResult<'a>>,
    benchmark: serde_json::Value,
    benchmark_unavailable: serde_json::Value,
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, WebError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()));
    match key {
        Some(k) => Ok(Some(k.to_owned())),
        None => Err(WebError::bad_request_with(Text {
            de: "Idempotency-Key muss aus 1 bis 255 sichtbaren ASCII-Zeichen bestehen.".into(),
            en: "Idempotency-Key must be 1 to 255 visible ASCII characters.".into(),
        })),
    }
}

#[post("/api/v1/responses")]
pub async fn create_response(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let api_key = super::client::api_caller(&state, &req, &state.limits.api_responses).await?;
    if !content_type_is(&req, "application/json") {
        return Err(WebError::unsupported_media_type("application/json"));
    }
    let key = idempotency_key(&req)?;
    let body = read_body(&req, payload).await?;
    super::body::refuse_duplicate_keys(&body)?;
    let parsed: CreateResponse = serde_json::from_slice(&body).map_err(|e| {
        WebError::bad_request_with(Text {
            de: format!("Der JSON-Inhalt ist ungültig: {e}"),
            en: format!("The JSON body is not valid: {e}"),
        })
    })?;
    let catalogue = state.responses.catalogue();
    let mut errors = Vec::new();
    let lang = match parsed.lang.as_deref() {
        None => Lang::De,
        Some(code) => Lang::parse(code).unwrap_or_else(|| {
            errors.push(FieldError {
                field: "lang".into(),
                message: Text {
                    de: "lang muss \"de\" oder \"en\" sein.".into(),
                    en: "lang must be \"de\" or \"en\".".into(),
                },
            });
            Lang::De
        }),
    };
    let mut raw: Vec<(String, RawAnswer)> = Vec::new();
    for (id, option) in parsed.profile {
        if !catalogue.profile.iter().any(|q| q.id == id) {
            errors.push(FieldError {
                field: format!("profile.{id}"),
                message: Text {
                    de: format!("„{id}“ ist keine Angabe des Firmenprofils."),
                    en: format!("“{id}” is not a field of the firm profile."),
                },
            });
            continue;
        }
        raw.push((id, RawAnswer::One(option)));
    }
    for (id, value) in parsed.answers {
        if catalogue.profile.iter().any(|q| q.id == id) {
            errors.push(FieldError {
                field: format!("answers.{id}"),
                message: Text {
                    de: format!("„{id}“ gehört ins Firmenprofil, nicht zu den Antworten."),
                    en: format!("“{id}” belongs in the profile, not in the answers."),
                },
            });
            continue;
        }
        let answer = match value {
            AnswerValue::One(option) => RawAnswer::One(option),
            AnswerValue::Many(options) => {
                // A list is only for multi-choice questions; a list of one for a single-choice
                // question would be ambiguous about intent, so it is refused too.
                let single = matches!(
                    catalogue.question(&id),
                    Some(crate::survey::QuestionRef::Scored(_, q)) if q.kind == QuestionKind::Single
                ) || matches!(
                    catalogue.question(&id),
                    Some(crate::survey::QuestionRef::Importance(_))
                );
                if single {
                    errors.push(FieldError {
                        field: format!("answers.{id}"),
                        message: Text {
                            de: "Bei dieser Frage ist nur eine Antwort möglich (keine Liste)."
                                .into(),
                            en: "This question takes a single answer, not a list.".into(),
                        },
                    });
                    continue;
                }
                RawAnswer::Many(options)
            }
        };
        raw.push((id, answer));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let created = state
        .responses
        .create_submitted(
            lang,
            parsed.firm_name.as_deref(),
            raw,
            key.as_deref().map(|k| (k, body.as_ref())),
            api_key,
        )
        .await?;
    let location = format!("/api/v1/responses/{}", created.token.as_url_part());
    let token = created.token.as_url_part();
    let resolved = resolve(catalogue, lang, &created.assessment);
    let body = CreatedBody {
        token: &token,
        status: "submitted",
        result: ApiResult::new(catalogue, lang, &created.assessment, &resolved),
        links: CreatedLinks {
            location: location.clone(),
            result_page: format!("{}/s/{token}/result", state.base_url),
        },
    };
    // A repeat with the same Idempotency-Key answers exactly as the first request did.
    let mut response = HttpResponse::Created();
    if created.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    } else {
        state.metrics.submission(super::metrics::Channel::Api);
    }
    Ok(response.insert_header((LOCATION, location)).json(body))
}

fn cohort_json(c: &Catalogue, lang: Lang, key: &CohortKey, n: Option<u32>) -> serde_json::Value {
    serde_json::json!({
        "kind": key.kind(),
        "key": key.to_string(),
        "label": cohort_label(c, lang, key),
        "n": n,
    })
}

fn position_json(p: &Position) -> serde_json::Value {
    serde_json::json!({
        "score": p.score, "median": p.median, "p25": p.p25, "p75": p.p75,
        "percentile_rank": p.percentile_rank,
    })
}

/// The firm's place among its peers, or why there is none.
fn benchmark_json(
    c: &Catalogue,
    lang: Lang,
    benchmark: &Benchmark,
    k: u32,
) -> (serde_json::Value, serde_json::Value) {
    match benchmark {
        Benchmark::Compared(b) => (
            serde_json::json!({
                "cohort": cohort_json(c, lang, &b.cohort, Some(b.n)),
                "broader_than_own_cohort": b.broader_than_own,
                "overall": position_json(&b.overall),
                "dimensions": c.dimensions.iter().zip(&b.dimensions).map(|(d, p)| {
                    let mut v = position_json(p);
                    v["id"] = serde_json::Value::from(d.id.as_str());
                    v
                }).collect::<Vec<_>>(),
                "published_at_ms": b.published_at,
                "min_cohort_size": k,
            }),
            serde_json::Value::Null,
        ),
        Benchmark::Unavailable(reason) => (
            serde_json::Value::Null,
            serde_json::json!({
                "code": reason,
                "catalogue_version": c.version,
                // Versions are compared only with themselves: a new version's group is still
                // forming, however many firms answered an older one.
                "message": if c.version == crate::survey::served().version {
                    format!("The comparison group for questionnaire {} is still forming: comparisons appear once at least {k} firms have answered this version.", c.version)
                } else {
                    format!("Questionnaire {} is no longer answered and has no published comparison group of at least {k} firms; results of different questionnaire versions are never compared.", c.version)
                },
            }),
        ),
    }
}

#[get("/api/v1/responses/{token}")]
pub async fn get_response(
    state: web::Data<AppState>,
    OwnerResponse {
        token, response, ..
    }: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    let lang = response.lang();
    let catalogue = response.catalogue;
    let assessment = response.assessment()?;
    let resolved = assessment.as_ref().map(|a| resolve(catalogue, lang, a));
    let result = assessment
        .as_ref()
        .zip(resolved.as_ref())
        .map(|(a, r)| ApiResult::new(catalogue, lang, a, r));
    let (benchmark, reason) = match &assessment {
        Some(a) => {
            let comparison = state.responses.benchmark_for(&response.answers, a).await?;
            let k = state.responses.statistics().policy().k();
            benchmark_json(catalogue, lang, &comparison, k)
        }
        None => (
            serde_json::Value::Null,
            serde_json::json!({"code": "not_submitted", "message": "The response is not submitted yet."}),
        ),
    };
    Ok(HttpResponse::Ok().json(ResponseBody {
        token: &token.as_url_part(),
        status: response.record.status.as_str(),
        lang: lang.code(),
        catalogue_version: &response.record.catalogue_version,
        result,
        benchmark,
        benchmark_unavailable: reason,
    }))
}

/// Shares as shown: four decimals are plenty and keep the documents small.
fn rounded_share(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn measure_json(m: &MeasureStats) -> serde_json::Value {
    serde_json::json!({
        "mean": m.mean_rounded(), "p10": m.p10, "p25": m.p25, "median": m.median,
        "p75": m.p75, "p90": m.p90,
        "levels": (1..=5).zip(m.levels.counts.iter().zip(m.levels.shares.iter())).map(|(level, (count, share))| {
            serde_json::json!({"level": level, "count": count, "share": rounded_share(*share)})
        }).collect::<Vec<_>>(),
    })
}

fn invalid_param(name: &str, value: &str) -> WebError {
    WebError::bad_request_with(Text {
        de: format!("{name}={value:?} ist kein gültiger Wert."),
        en: format!("{name}={value:?} is not a valid value."),
    })
}

/// The published statistics of one cohort: `industry` and `size` (or one of them), or `region`,
/// or nothing for all firms. Other combinations are not cohorts.
#[get("/api/v1/benchmarks")]
pub async fn cohort_statistics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let mut industry = None;
    let mut size = None;
    let mut region = None;
    let mut lang = Lang::De;
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "industry" => {
                industry = Some(
                    value
                        .parse::<Industry>()
                        .map_err(|_| invalid_param("industry", value))?,
                )
            }
            "size" => {
                size = Some(
                    value
                        .parse::<SizeClass>()
                        .map_err(|_| invalid_param("size", value))?,
                )
            }
            "region" => {
                region = Some(
                    value
                        .parse::<Region>()
                        .map_err(|_| invalid_param("region", value))?,
                )
            }
            "lang" => lang = Lang::parse(value).ok_or_else(|| invalid_param("lang", value))?,
            other => return Err(invalid_param(other, value)),
        }
    }
    let key = match (industry, size, region) {
        (Some(i), Some(s), None) => CohortKey::IndustrySize(i, s),
        (Some(i), None, None) => CohortKey::Industry(i),
        (None, Some(s), None) => CohortKey::Size(s),
        (None, None, Some(r)) => CohortKey::Region(r),
        (None, None, None) => CohortKey::All,
        _ => {
            return Err(WebError::bad_request_with(Text {
                de: "Kohorten sind: Branche × Größe, Branche, Größe, Bundesland oder alle Unternehmen.".into(),
                en: "Cohorts are: industry × size, industry, size, region, or all firms.".into(),
            }));
        }
    };
    let catalogue = state.responses.catalogue();
    let statistics = state.responses.statistics();
    let snapshot = statistics.snapshot().await.map_err(WebError::internal)?;
    let k = statistics.policy().k();
    Ok(HttpResponse::Ok().json(cohort_body(catalogue, lang, &snapshot, &key, k)))
}

/// Every cohort at once (for dashboards): the same verdicts as the single-cohort route, from one
/// joint disclosure, so no two figures shown together can be subtracted to reveal a small group.
#[get("/api/v1/benchmarks/all")]
pub async fn all_cohort_statistics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let lang = lang_param(&req)?;
    let catalogue = state.responses.catalogue();
    let statistics = state.responses.statistics();
    let snapshot = statistics.snapshot().await.map_err(WebError::internal)?;
    // The body only changes with a publication: serialise it once per generation and language.
    if let Some(body) = state.all_cohorts_cache.get(snapshot.generation, lang) {
        return Ok(json_bytes(body));
    }
    let k = statistics.policy().k();
    let cohorts: Vec<serde_json::Value> = snapshot
        .disclosed
        .keys()
        .map(|key| cohort_body(catalogue, lang, &snapshot, key, k))
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({
        "catalogue_version": snapshot.catalogue_version,
        "min_cohort_size": k,
        "published_at_ms": snapshot.published_at,
        "cohorts": cohorts,
    }))
    .map_err(WebError::internal)?;
    let body = actix_web::web::Bytes::from(body);
    state
        .all_cohorts_cache
        .put(snapshot.generation, lang, body.clone());
    Ok(json_bytes(body))
}

fn json_bytes(body: actix_web::web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"))
        .body(body)
}

fn cohort_body(
    catalogue: &Catalogue,
    lang: Lang,
    snapshot: &crate::statistics::Snapshot,
    key: &CohortKey,
    k: u32,
) -> serde_json::Value {
    match snapshot.get(key) {
        Some(Disclosure::Published(p)) => {
            let stats = p.stats();
            serde_json::json!({
                "cohort": cohort_json(catalogue, lang, key, Some(p.n())),
                "catalogue_version": snapshot.catalogue_version,
                "status": "published",
                "min_cohort_size": k,
                "published_at_ms": snapshot.published_at,
                "statistics": {
                    "n": stats.n,
                    "overall": measure_json(&stats.overall),
                    "dimensions": catalogue.dimensions.iter().zip(&stats.dimensions).map(|(d, m)| {
                        let mut v = measure_json(m);
                        v["id"] = serde_json::Value::from(d.id.as_str());
                        v["title"] = serde_json::Value::from(d.title.get(lang));
                        v
                    }).collect::<Vec<_>>(),
                    "red_flags": stats.red_flags.iter().map(|f| serde_json::json!({
                        "id": f.id, "count": f.count, "share": rounded_share(f.share),
                    })).collect::<Vec<_>>(),
                },
            })
        }
        verdict => {
            let reason = match verdict {
                Some(Disclosure::Suppressed(reason)) => *reason,
                _ => SuppressionReason::TooFew,
            };
            serde_json::json!({
                "cohort": cohort_json(catalogue, lang, key, None),
                "catalogue_version": snapshot.catalogue_version,
                "status": "suppressed",
                "reason": reason,
                "min_cohort_size": k,
                // True for this case: "fewer than k" only when that is why.
                "message": reason.explanation(k),
            })
        }
    }
}

/// The OpenAPI 3.1 description of this API. Hand-written (the handlers build their JSON with
/// `json!`, so there are no response types to derive it from) and held to the code by tests:
/// its paths are the `/api` routes of the route table and its request body is what
/// `CreateResponse` accepts (below); every answer of every route validates against it strictly
/// (`tests/app/openapi.rs`); Schemathesis fuzzes the service against it in `.ci/run`.
pub const OPENAPI: &str = include_str!("openapi.json");

#[get("/api/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"))
        .body(OPENAPI)
}

#[cfg(test)]
mod openapi_tests {
    use super::*;
    use serde_json::{Value, json};

    fn document() -> Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
    }

    #[test]
    fn the_document_describes_exactly_the_api_routes() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut described: Vec<(String, String)> = Vec::new();
        for (path, operations) in doc["paths"].as_object().expect("paths") {
            for method in operations.as_object().expect("operations").keys() {
                described.push((path.clone(), method.to_uppercase()));
            }
        }
        let mut routed: Vec<(String, String)> = super::super::ROUTES
            .iter()
            .filter(|(path, _)| path.starts_with("/api/"))
            .flat_map(|(path, methods)| {
                methods
                    .split(", ")
                    .map(move |m| (path.to_string(), m.to_owned()))
            })
            .collect();
        described.sort();
        routed.sort();
        assert_eq!(described, routed);
    }

    /// The request schema and `CreateResponse` accept the same fields, require the same ones,
    /// and agree on the two shapes of an answer.
    #[test]
    fn the_request_schema_is_what_the_handler_accepts() {
        let doc = document();
        let schema = &doc["components"]["schemas"]["CreateResponse"];
        assert_eq!(schema["additionalProperties"], false);
        let properties = schema["properties"].as_object().expect("properties");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let sample = |name: &str| match name {
            "lang" => json!("en"),
            "firm_name" => json!("Acme"),
            "profile" => json!({"industry": "C"}),
            "answers" => json!({"q": "a", "m": ["a", "b"]}),
            other => panic!("no sample for {other}: add one, and the field to CreateResponse"),
        };
        let minimal: serde_json::Map<String, Value> = required
            .iter()
            .map(|name| (name.to_string(), sample(name)))
            .collect();
        let parses = |body: &serde_json::Map<String, Value>| {
            serde_json::from_value::<CreateResponse>(Value::Object(body.clone())).is_ok()
        };
        assert!(parses(&minimal), "the required fields alone are a request");
        for name in properties.keys() {
            let mut body = minimal.clone();
            body.insert(name.clone(), sample(name));
            assert!(parses(&body), "{name} is described but refused");
            if properties[name]
                .get("oneOf")
                .is_some_and(|o| o.to_string().contains("null"))
            {
                body.insert(name.clone(), Value::Null);
                assert!(parses(&body), "{name} may be null by the document");
            }
        }
        for name in &required {
            let mut body = minimal.clone();
            body.remove(*name);
            assert!(!parses(&body), "{name} is required by the document only");
        }
        let mut body = minimal.clone();
        body.insert("undocumented".into(), json!(1));
        assert!(
            !parses(&body),
            "unknown fields are refused, as the document says"
        );
        let answer = &doc["components"]["schemas"]["AnswerValue"]["oneOf"];
        assert_eq!(answer[0]["type"], "string");
        assert_eq!(answer[1]["type"], "array");
        assert_eq!(answer[1]["items"]["type"], "string");
    }
}
