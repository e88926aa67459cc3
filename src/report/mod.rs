//! The PDF report: a [`ReportModel`] (plain data, already in one language) in, PDF bytes out.
//!
//! Layout happens first (see `layout`), so that the page count is known when the running header
//! and the "page i of N" footer are written. The charts come from [`crate::charts`], drawn
//! through a plotters backend that emits PDF operations.
mod backend;
pub mod board;
pub mod brand;
mod engine;
mod fonts;
mod layout;
pub mod model;
mod owner;
mod pdf;
mod tagged;

pub use brand::{ReportBrand, ReportLogo};
pub use model::*;
#[cfg(test)]
pub(crate) use owner::page_fills;
pub use owner::render_pdf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the embedded font could not be parsed")]
    Font,
    #[error("the report model is not usable: {0}")]
    Model(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// Fills `{name}` placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut s = template.to_owned();
    for (k, v) in values {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}
