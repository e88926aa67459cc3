//! Building and running the application: what `main` and the tests both start.
use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};

use crate::auth::Auth;
use crate::campaigns::Campaigns;
use crate::config::Settings;
use crate::db::{ConnectOptions, DbError, Store};
use crate::responses::Responses;
use crate::statistics::Statistics;
use crate::survey;
use crate::web::{self, AppState};
use crate::workspace::Workspace;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("the questionnaire catalogue is invalid: {0}")]
    Catalogue(String),
    #[error("the page templates are invalid: {0}")]
    Templates(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("mail settings: {0}")]
    Mail(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    base_url: String,
    store: Store,
    server: Server,
}

impl Application {
    /// Checks the catalogue and templates, connects and migrates the database, binds the port.
    pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
        let catalogue = survey::check_current().map_err(StartupError::Catalogue)?;
        web::check_assets().map_err(StartupError::Templates)?;
        let store = Store::connect_with(
            &settings.database_url,
            ConnectOptions {
                acquire_timeout: settings.database_timeout,
            },
        )
        .await?;
        store.migrate().await?;

        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        let base_url = settings.base_url_at(port);
        if settings.base_url_is_local_guess() {
            tracing::warn!(
                "BASE_URL is not set and the service listens on every interface: links in \
                 pages, e-mails and QR codes say {base_url}, which opens on this machine only; \
                 set BASE_URL to the public address for a public deployment"
            );
        }
        let responses = Responses::new(
            store.clone(),
            catalogue,
            Statistics::new(
                store.clone(),
                settings.disclosure_policy()?,
                settings.include_demo_data,
                catalogue.dimensions.len(),
            ),
        )
        .with_screening(settings.screening)
        .with_clock(settings.clock.clone());
        let metrics = web::metrics::Metrics::default();
        let state = AppState {
            api_keys: crate::api_keys::ApiKeys::new(store.clone()),
            auth: Auth::new(store.clone()).with_clock(settings.clock.clone()),
            workspace: Workspace::new(store.clone(), responses.clone()),
            campaigns: Campaigns::new(store.clone(), responses.clone())
                .with_warm_quiet(settings.dashboard_warm_quiet)
                .with_ready_warming_at_most(settings.ready_warming_at_most)
                .with_audit_history(settings.dashboard_audit_history),
            profiles: crate::profiles::Profiles::new(store.clone()),
            brands: crate::brands::Brands::new(store.clone()),
            secure_cookies: base_url.starts_with("https://"),
            responses,
            base_url: base_url.clone(),
            all_cohorts_cache: Default::default(),
            result_pages: Default::default(),
            token_guard: web::TokenGuard::new(settings.token_guesses_per_minute),
            limits: web::client::Limits::from_settings(settings),
            reports: web::report::ReportRenderer::default().with_metrics(metrics.clone()),
            metrics,
            connections: web::connections::ConnectionCap::new(
                settings.max_connections_per_client,
                settings.trusted_proxies.clone(),
            ),
            metrics_access: web::metrics::MetricsAccess::new(
                settings.metrics_allow.clone(),
                settings.metrics_token.as_deref(),
            ),
            ready_timeout: settings.ready_timeout,
            operator: settings.operator.clone(),
            body_limits: web::BodyLimits {
                timeout: settings.body_timeout,
                min_rate: settings.body_min_rate,
            },
            mailer: settings
                .mail
                .as_ref()
                .map(crate::mail::Mailer::new)
                .transpose()
                .map_err(StartupError::Mail)?,
        };
        // Font metrics and subsets are built once per process; do it now rather than in the
        // first user's report.
        std::thread::spawn(crate::report::board::warm_up);
        // Changes journaled but not merged when an instance stopped (killed between a submit's
        // commit and its merge) are merged before serving, and any left by another instance
        // within a second or two.
        let statistics = state.responses.statistics().clone();
        if let Err(e) = statistics.merge_pending(settings.clock.now_ms()).await {
            tracing::error!(error = %e, "merging the statistics journal at start-up failed");
        }
        tokio::spawn(statistics.merge_periodically(std::time::Duration::from_secs(2)));
        if let Err(e) = state.campaigns.warm_at_start().await {
            // Only a missed warm-up: each chamber's first view does the work itself.
            tracing::warn!(error = %e, "listing the dashboards to make ready at start failed");
        }
        let server = run(listener, state)?;
        Ok(Application {
            port,
            base_url,
            store,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where to open the service in a browser.
    pub fn url(&self) -> &str {
        &self.base_url
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: AppState) -> Result<Server, StartupError> {
    let https = state.secure_cookies;
    let connections = state.connections.clone();
    let state = actix_web::web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            // Innermost, so that the headers below apply to the pages it makes too.
            .wrap(from_fn(web::head_as_get))
            .wrap(from_fn(web::error_pages))
            .wrap(from_fn(web::same_origin_posts))
            .wrap(from_fn(web::connections::refuse_over_cap))
            .wrap(from_fn(web::no_store_for_private))
            .wrap(web::security_headers(https))
            .wrap(from_fn(web::referrer_policy))
            .wrap(from_fn(web::log_requests))
            .wrap(from_fn(web::metrics::count_requests))
            .app_data(state.clone())
            .configure(web::routes)
            .default_service(actix_web::web::to(web::not_found))
    })
    .on_connect(move |io, data| connections.on_connect(io, data))
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        address: "listener".into(),
        source,
    })?
    .run();
    Ok(server)
}
