//! Prometheus metrics at `/metrics` (issue 15, item 6), in the plain text exposition format,
//! written by hand: a few counters and histograms behind one mutex need no metrics crate.
//!
//! Labels stay bounded: routes are the handlers' patterns (`/s/{token}/result`, never a token),
//! requests no route took are `unmatched`, and methods other than GET, HEAD and POST are `other`.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::WebError;
use crate::limits::TrustedProxies;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative; the exposition sums them up).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, n) in BUCKETS.iter().zip(self.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Counts {
    requests: BTreeMap<(String, &'static str, u16), u64>,
    latency: BTreeMap<(String, &'static str), Histogram>,
    submissions: BTreeMap<&'static str, u64>,
    renders: BTreeMap<(&'static str, &'static str), u64>,
    render_seconds: BTreeMap<&'static str, Histogram>,
}

/// This instance's counts since it started (Prometheus sums instances and handles restarts).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    counts: Arc<Mutex<Counts>>,
}

/// What a submission came through: the owner's pages or the API.
#[derive(Debug, Clone, Copy)]
pub enum Channel {
    Form,
    Api,
}

/// What a PDF render made: a firm's report or a chamber's board summary.
#[derive(Debug, Clone, Copy)]
pub enum Render {
    Report,
    Board,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Counts)) {
        // A poisoned lock only means a panic elsewhere mid-update; counting goes on.
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut counts);
    }

    pub fn request(&self, route: String, method: &'static str, status: u16, elapsed: Duration) {
        self.with(|c| {
            *c.requests
                .entry((route.clone(), method, status))
                .or_default() += 1;
            c.latency
                .entry((route, method))
                .or_default()
                .observe(elapsed);
        });
    }

    pub fn submission(&self, channel: Channel) {
        let channel = match channel {
            Channel::Form => "form",
            Channel::Api => "api",
        };
        self.with(|c| *c.submissions.entry(channel).or_default() += 1);
    }

    pub fn render(&self, kind: Render, ok: bool, elapsed: Duration) {
        let kind = match kind {
            Render::Report => "report",
            Render::Board => "board",
        };
        let outcome = if ok { "ok" } else { "error" };
        self.with(|c| {
            *c.renders.entry((kind, outcome)).or_default() += 1;
            c.render_seconds.entry(kind).or_default().observe(elapsed);
        });
    }

    /// The exposition, with the database pools' use as of now.
    pub fn render_text(&self, pools: &[crate::responses::PoolUse]) -> String {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let family = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let name = "social_readiness_http_requests_total";
        family(
            &mut out,
            name,
            "counter",
            "HTTP requests answered, by route, method and status.",
        );
        for ((route, method, status), n) in &counts.requests {
            let route = escape(route);
            let _ = writeln!(
                out,
                "{name}{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let name = "social_readiness_http_request_duration_seconds";
        family(
            &mut out,
            name,
            "histogram",
            "Time from request to response head, by route and method.",
        );
        for ((route, method), histogram) in &counts.latency {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            histogram.write(&mut out, name, &labels);
        }
        let name = "social_readiness_submissions_total";
        family(
            &mut out,
            name,
            "counter",
            "Responses submitted and stored, by channel (form, api); idempotent replays not counted.",
        );
        for channel in ["form", "api"] {
            let n = counts.submissions.get(channel).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}{{channel=\"{channel}\"}} {n}");
        }
        let name = "social_readiness_pdf_renders_total";
        family(
            &mut out,
            name,
            "counter",
            "PDF renders, by kind (report, board) and outcome (ok, error).",
        );
        for kind in ["report", "board"] {
            for outcome in ["ok", "error"] {
                let n = counts.renders.get(&(kind, outcome)).copied().unwrap_or(0);
                let _ = writeln!(out, "{name}{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        let name = "social_readiness_pdf_render_duration_seconds";
        family(
            &mut out,
            name,
            "histogram",
            "Time a PDF render took, waiting for a render slot included.",
        );
        for (kind, histogram) in &counts.render_seconds {
            histogram.write(&mut out, name, &format!("kind=\"{kind}\""));
        }
        let name = "social_readiness_db_pool_connections";
        family(
            &mut out,
            name,
            "gauge",
            "Database connections open, by pool and state (idle, in_use).",
        );
        for pool in pools {
            let p = pool.name;
            let _ = writeln!(out, "{name}{{pool=\"{p}\",state=\"idle\"}} {}", pool.idle);
            let in_use = pool.open.saturating_sub(pool.idle);
            let _ = writeln!(out, "{name}{{pool=\"{p}\",state=\"in_use\"}} {in_use}");
        }
        let name = "social_readiness_db_pool_max_connections";
        family(
            &mut out,
            name,
            "gauge",
            "The most connections a database pool opens.",
        );
        for pool in pools {
            let _ = writeln!(out, "{name}{{pool=\"{}\"}} {}", pool.name, pool.max);
        }
        out
    }
}

/// Label values: backslash, double quote and line feed escaped, as the format asks.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Who may read `/metrics`: clients at `METRICS_ALLOW` addresses (the client as
/// `TRUSTED_PROXIES` determines it, so a public request through a local proxy is not "local"),
/// or requests with `Authorization: Bearer METRICS_TOKEN`. Neither set: nobody.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    pub allow: TrustedProxies,
    /// SHA-256 of the token: compared digest to digest, so the comparison's timing tells
    /// nothing about the token.
    token_digest: Option<[u8; 32]>,
}

impl MetricsAccess {
    pub fn new(allow: TrustedProxies, token: Option<&str>) -> MetricsAccess {
        MetricsAccess {
            allow,
            token_digest: token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    pub fn permits(&self, client: Option<IpAddr>, authorization: Option<&str>) -> bool {
        let by_address = client.is_some_and(|ip| self.allow.contains(ip));
        let by_token = match (&self.token_digest, authorization) {
            (Some(expected), Some(header)) => header.strip_prefix("Bearer ").is_some_and(|given| {
                Sha256::digest(given.trim().as_bytes()).as_slice() == expected
            }),
            _ => false,
        };
        by_address || by_token
    }
}

/// Counts every answer by the route that took it (outside the error pages, so their statuses
/// count as sent).
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let method = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        _ => "other",
    };
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.request(route, method, response.status().as_u16(), started.elapsed());
    }
    Ok(response)
}

#[get("/metrics")]
pub async fn exposition(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let client = super::client::of(&state, &req);
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !state.metrics_access.permits(client, authorization) {
        let lang = super::i18n::request_lang(&req, None);
        return Err(WebError::forbidden(
            "Die Messwerte sind nur von freigegebenen Adressen oder mit Zugangsschlüssel lesbar.",
            "The metrics are readable only from permitted addresses or with the access token.",
        )
        .html(lang));
    }
    let pools = state.responses.pool_use();
    let mut text = state.metrics.render_text(&pools);
    // Read from the database on each scrape (one indexed count); left out, not an error, while
    // the database is unavailable, so the scrape still reports the pools.
    if let Ok(held_back) = state.responses.held_back_count().await {
        text.push_str(&held_back_exposition(held_back));
    }
    let statistics = state.responses.statistics();
    text.push_str(&statistics_exposition(
        &statistics.merge_use(),
        statistics.journal_counts().await.ok(),
        state.responses.batch_sizes().as_ref(),
    ));
    let (counts, ready, participants) = state.campaigns.first_view_counts();
    text.push_str(&dashboard_exposition(counts, ready, participants));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(text))
}

/// Chambers' dashboards (issue 17, task first17): how first views went (served from a first
/// view made ready before, made on the request because the campaigns changed since, or with
/// none ready), the first views ready now, and the dashboards computed on requests and warm-ups.
fn dashboard_exposition(
    counts: &crate::campaigns::FirstViewCounts,
    ready: usize,
    participants: usize,
) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    let name = "social_readiness_dashboard_first_views_total";
    let _ = writeln!(
        out,
        "# HELP {name} First views of a chamber's dashboard on this instance, by how they were made.\n# TYPE {name} counter"
    );
    for (from, n) in [
        ("prepared", &counts.prepared),
        ("changed_since", &counts.stale),
        ("on_request", &counts.none),
    ] {
        let _ = writeln!(out, "{name}{{from=\"{from}\"}} {}", n.load(Relaxed));
    }
    let name = "social_readiness_dashboard_first_view_publications_total";
    let _ = writeln!(
        out,
        "# HELP {name} Publications stored by first views made ready, by where their stored form was encoded.\n# TYPE {name} counter"
    );
    for (encoded, n) in [
        ("ahead", &counts.encoded.ahead),
        ("at_the_view", &counts.encoded.at_the_view),
    ] {
        let _ = writeln!(out, "{name}{{encoded=\"{encoded}\"}} {}", n.load(Relaxed));
    }
    let name = "social_readiness_dashboard_first_views_ready";
    let _ = writeln!(
        out,
        "# HELP {name} Chambers whose first view is made ready and waits for them to look.\n# TYPE {name} gauge\n{name} {ready}"
    );
    let name = "social_readiness_dashboard_first_views_ready_participants";
    let _ = writeln!(
        out,
        "# HELP {name} Participants in the first views made ready.\n# TYPE {name} gauge\n{name} {participants}"
    );
    let name = "social_readiness_dashboard_computations_total";
    let _ = writeln!(
        out,
        "# HELP {name} Dashboards computed on requests and warm-ups (not found in the cache).\n# TYPE {name} counter\n{name} {}",
        counts.computations.load(Relaxed)
    );
    let name = "social_readiness_dashboard_kept_total";
    let _ = writeln!(
        out,
        "# HELP {name} Dashboard work kept across restarts: prepared work (the audit) loaded, missed (made here although looked for) and saved; campaigns' checked states loaded (publication taken as current without reading the participants) and saved; chambers whose kept dashboards a start loaded, dashboards saved, and views served a kept dashboard while their chamber was made ready.\n# TYPE {name} counter"
    );
    for (event, n) in [
        ("work_loaded", &counts.kept.work_loaded),
        ("work_missed", &counts.kept.work_missed),
        ("work_saved", &counts.kept.work_saved),
        ("state_loaded", &counts.kept.states_loaded),
        ("state_saved", &counts.kept.states_saved),
        ("view_loaded", &counts.kept.views_loaded),
        ("view_saved", &counts.kept.views_saved),
        ("view_served", &counts.kept.views_served),
    ] {
        let _ = writeln!(out, "{name}{{event=\"{event}\"}} {}", n.load(Relaxed));
    }
    out
}

/// The held-back gauge (issue 16): responses stored but kept out of the statistics until an
/// admin releases or discards them.
fn held_back_exposition(count: i64) -> String {
    let name = "social_readiness_responses_held_back";
    format!(
        "# HELP {name} Responses stored but held back from the statistics, awaiting an admin's decision.\n\
         # TYPE {name} gauge\n{name} {count}\n"
    )
}

/// The statistics journal and the writer's batches (issue 17): changes waiting for a merge and
/// refused by one (read on each scrape; left out while the database is unavailable), this
/// instance's merge rounds, and on SQLite the sizes of the group-commit batches.
fn statistics_exposition(
    merge: &crate::statistics::MergeUse,
    journal: Option<(i64, i64)>,
    batches: Option<&crate::db::BatchSizes>,
) -> String {
    let mut out = String::new();
    let family = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    if let Some((waiting, refused)) = journal {
        let name = "social_readiness_statistics_journal_entries";
        family(
            &mut out,
            name,
            "gauge",
            "Statistics changes in the journal: waiting for a merge, or refused by one (stored, counted nowhere).",
        );
        let _ = writeln!(out, "{name}{{state=\"waiting\"}} {waiting}");
        let _ = writeln!(out, "{name}{{state=\"refused\"}} {refused}");
    }
    let name = "social_readiness_statistics_merge_rounds_total";
    family(
        &mut out,
        name,
        "counter",
        "Merge rounds of the statistics journal on this instance, by outcome.",
    );
    let _ = writeln!(out, "{name}{{outcome=\"ok\"}} {}", merge.rounds);
    let _ = writeln!(out, "{name}{{outcome=\"error\"}} {}", merge.failed_rounds);
    let name = "social_readiness_statistics_merge_seconds_total";
    family(
        &mut out,
        name,
        "counter",
        "Time spent in merge rounds on this instance.",
    );
    let _ = writeln!(out, "{name} {}", merge.seconds);
    let name = "social_readiness_statistics_merged_changes_total";
    family(
        &mut out,
        name,
        "counter",
        "Journal entries merged (or refused) by this instance's rounds.",
    );
    let _ = writeln!(out, "{name} {}", merge.merged);
    if let Some(batches) = batches {
        let name = "social_readiness_db_commit_batch_size";
        family(
            &mut out,
            name,
            "histogram",
            "Writes (submits, merges, erasures) per committed SQLite group-commit batch.",
        );
        let mut cumulative = 0;
        for (bound, n) in crate::db::BATCH_SIZE_BOUNDS.iter().zip(batches.buckets) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", batches.members);
        let _ = writeln!(out, "{name}_count {cumulative}");
        let name = "social_readiness_db_commit_batches_failed_total";
        family(
            &mut out,
            name,
            "counter",
            "SQLite group-commit batches rolled back or whose COMMIT failed (every member failed).",
        );
        let _ = writeln!(out, "{name} {}", batches.failed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_cumulative_buckets_and_escaped_labels() {
        let m = Metrics::default();
        m.request("/s/{token}".into(), "GET", 200, Duration::from_millis(3));
        m.request("/s/{token}".into(), "GET", 200, Duration::from_millis(70));
        m.request("a\"b".into(), "POST", 404, Duration::from_secs(60));
        m.submission(Channel::Api);
        m.render(Render::Report, true, Duration::from_millis(300));
        let text = m.render_text(&[crate::responses::PoolUse {
            name: "writer",
            open: 1,
            idle: 0,
            max: 1,
        }]);
        let has = |line: &str| {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing in\n{text}"
            )
        };
        has(
            "social_readiness_http_requests_total{route=\"/s/{token}\",method=\"GET\",status=\"200\"} 2",
        );
        has(
            "social_readiness_http_requests_total{route=\"a\\\"b\",method=\"POST\",status=\"404\"} 1",
        );
        has(
            "social_readiness_http_request_duration_seconds_bucket{route=\"/s/{token}\",method=\"GET\",le=\"0.005\"} 1",
        );
        has(
            "social_readiness_http_request_duration_seconds_bucket{route=\"/s/{token}\",method=\"GET\",le=\"0.1\"} 2",
        );
        has(
            "social_readiness_http_request_duration_seconds_bucket{route=\"a\\\"b\",method=\"POST\",le=\"30\"} 0",
        );
        has(
            "social_readiness_http_request_duration_seconds_bucket{route=\"a\\\"b\",method=\"POST\",le=\"+Inf\"} 1",
        );
        has(
            "social_readiness_http_request_duration_seconds_count{route=\"/s/{token}\",method=\"GET\"} 2",
        );
        has("social_readiness_submissions_total{channel=\"api\"} 1");
        has("social_readiness_submissions_total{channel=\"form\"} 0");
        has("social_readiness_pdf_renders_total{kind=\"report\",outcome=\"ok\"} 1");
        has("social_readiness_pdf_render_duration_seconds_bucket{kind=\"report\",le=\"0.5\"} 1");
        has("social_readiness_db_pool_connections{pool=\"writer\",state=\"in_use\"} 1");
        has("social_readiness_db_pool_max_connections{pool=\"writer\"} 1");
        // Every sample belongs to a family announced before it.
        let mut announced = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                announced.push(rest.split(' ').next().unwrap_or_default().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                assert!(
                    announced.iter().any(|a| name.starts_with(a.as_str())),
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn access_needs_a_listed_address_or_the_token() {
        let local = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").expect("list");
        let access = MetricsAccess::new(local, Some("s3cret-token"));
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert!(access.permits(ip("127.0.0.1"), None));
        assert!(access.permits(ip("10.2.3.4"), None));
        assert!(!access.permits(ip("192.0.2.1"), None));
        assert!(!access.permits(None, None));
        assert!(access.permits(ip("192.0.2.1"), Some("Bearer s3cret-token")));
        assert!(!access.permits(ip("192.0.2.1"), Some("Bearer s3cret-tokeN")));
        assert!(!access.permits(ip("192.0.2.1"), Some("s3cret-token")));
        let nobody = MetricsAccess::default();
        assert!(!nobody.permits(ip("127.0.0.1"), Some("Bearer ")));
    }
}
