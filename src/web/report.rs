//! The PDF report: its view model, built from a response, its result and its benchmark, and the
//! routes and rendering pool around `crate::report::render_pdf`.
use std::sync::Arc;

use actix_web::{HttpResponse, get, web};

use super::AppState;
use super::error::WebError;
use super::extract::OwnerResponse;
use super::metrics::Render;
use crate::report::{ReportModel, render_pdf};
use crate::responses::LoadedResponse;
use crate::survey::Lang;

pub use crate::present::report::{
    ModelError, calendar_date, check_texts, empty_priority_matrix, model_for, report_model,
};

impl From<ModelError> for WebError {
    fn from(e: ModelError) -> WebError {
        match e {
            ModelError::Service(e) => WebError::from(e),
            e => WebError::internal(e),
        }
    }
}

/// Why a PDF was not rendered, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the PDF cannot be written")]
    Pdf(#[from] crate::report::ReportError),
    #[error("the renderer's queue is closed")]
    Closed(#[from] tokio::sync::AcquireError),
    #[error("the render task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Renders on the blocking pool, at most `permits` at a time, so PDF work never stalls the async
/// workers and a burst of downloads queues instead of exhausting memory.
#[derive(Debug, Clone)]
pub struct ReportRenderer {
    permits: Arc<tokio::sync::Semaphore>,
    metrics: super::metrics::Metrics,
}

impl ReportRenderer {
    pub fn new(concurrent: usize) -> ReportRenderer {
        ReportRenderer {
            permits: Arc::new(tokio::sync::Semaphore::new(concurrent.max(1))),
            metrics: Default::default(),
        }
    }

    /// Counts renders (and their time) in `metrics`.
    pub fn with_metrics(self, metrics: super::metrics::Metrics) -> ReportRenderer {
        ReportRenderer { metrics, ..self }
    }

    pub async fn render(&self, model: ReportModel) -> Result<Vec<u8>, RenderError> {
        self.run(Render::Report, move || render_pdf(&model)).await
    }

    /// The chamber board's one-page summary, under the same bound as the reports.
    pub async fn render_board(
        &self,
        summary: crate::report::board::BoardSummary,
        brand: Option<crate::report::ReportBrand>,
    ) -> Result<Vec<u8>, RenderError> {
        self.run(Render::Board, move || {
            crate::report::board::render_board_branded(&summary, brand.as_ref())
        })
        .await
    }

    /// Runs one render on the blocking pool once a permit is free.
    async fn run(
        &self,
        kind: Render,
        render: impl FnOnce() -> Result<Vec<u8>, crate::report::ReportError> + Send + 'static,
    ) -> Result<Vec<u8>, RenderError> {
        let started = std::time::Instant::now();
        let rendered = async {
            let _permit = self.permits.acquire().await?;
            // The blocking thread logs inside the request's span (its request id).
            let span = tracing::Span::current();
            Ok::<_, RenderError>(tokio::task::spawn_blocking(move || span.in_scope(render)).await??)
        }
        .await;
        self.metrics
            .render(kind, rendered.is_ok(), started.elapsed());
        rendered
    }
}

impl Default for ReportRenderer {
    fn default() -> Self {
        ReportRenderer::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

fn pdf_response(bytes: Vec<u8>, lang: Lang) -> HttpResponse {
    let name = match lang {
        Lang::De => "social-media-readiness-bericht.pdf",
        Lang::En => "social-media-readiness-report.pdf",
    };
    super::pages::attachment(bytes, "application/pdf", name)
}

/// The owner's report; the token guard and the error format (a page, or JSON under /api) are
/// the extractor's and `error_pages`' business.
async fn report(state: &AppState, owner: OwnerResponse) -> Result<HttpResponse, WebError> {
    let bytes = render_report(state, &owner.response, owner.lang, None, None).await?;
    Ok(pdf_response(bytes, owner.lang))
}

/// The PDF of a submitted response with its current benchmark, rendered off the async workers.
pub async fn render_report(
    state: &AppState,
    response: &LoadedResponse,
    lang: Lang,
    progress: Option<crate::report::Progress>,
    brand: Option<crate::report::ReportBrand>,
) -> Result<Vec<u8>, WebError> {
    let mut model = model_for(&state.responses, response, lang, None).await?;
    model.progress = progress;
    model.brand = brand;
    // The cause is logged once, with its sources, where the error is answered.
    state
        .reports
        .render(model)
        .await
        .map_err(WebError::internal)
}

#[get("/s/{token}/report.pdf")]
pub async fn owner_report(
    state: web::Data<AppState>,
    owner: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    report(&state, owner).await
}

#[get("/api/v1/responses/{token}/report.pdf")]
pub async fn api_report(
    state: web::Data<AppState>,
    owner: OwnerResponse,
) -> Result<HttpResponse, WebError> {
    report(&state, owner).await
}
