//! social-readiness: is a small firm ready for social media marketing?
//!
//! The layers and their rules are in `ARCHITECTURE.md`: pure domain modules (`survey`, `scoring`,
//! `benchmark`, `dashboard`, `charts`, `report`), `present` puts their results in words, the
//! services (`responses`, `campaigns`, …) run the business steps, `db` holds all SQL, `web`
//! speaks HTTP, `startup` puts it together.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
pub mod accounts;
pub mod api_keys;
pub mod auth;
pub mod benchmark;
pub mod brand;
pub mod brands;
pub mod campaigns;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod codec;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod limits;
pub mod mail;
pub mod memory;
pub mod present;
pub mod profiles;
pub mod report;
pub mod responses;
pub mod scoring;
pub mod screening;
pub mod startup;
pub mod statistics;
pub mod survey;
pub mod telemetry;
pub mod text;
pub mod token;
pub mod web;
pub mod workspace;
pub mod zip;

/// The configuration of a property test: `cases` random cases in everyday runs, or
/// `PROPTEST_CASES` of them for a deep run (see the README). The seed is `PROPTEST_RNG_SEED`
/// when set (CI pins it, so an unrelated change cannot turn red by chance) and random otherwise.
#[cfg(test)]
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::with_cases(cases);
    if std::env::var_os("PROPTEST_CASES").is_some() {
        // `default()` reads the environment; `with_cases` alone would ignore it.
        config.cases = proptest::test_runner::Config::default().cases;
    }
    config
}
