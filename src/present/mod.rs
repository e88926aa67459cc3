//! Presentation: the pure code that turns domain results into what people read – labels, the
//! resolved result, the report model, the texts – for the pages, the API, the PDF and the CLI
//! alike. No HTTP and no database here; `web` keeps routes, extractors and templates.
pub mod dashboard;
#[cfg(test)]
mod duplicate_keys;
pub mod labels;
pub mod pages;
pub mod report;
pub mod texts;
