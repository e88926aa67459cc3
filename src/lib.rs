//! social-readiness: is a small firm ready for social media marketing?
//!
//! Domain modules (`survey`, `scoring`, `charts`) are pure; `db` holds all SQL; `responses` runs
//! a response's life; `web` speaks HTTP; `startup` puts it together.
pub mod accounts;
pub mod auth;
pub mod benchmark;
pub mod campaigns;
pub mod charts;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod limits;
pub mod report;
pub mod responses;
pub mod scoring;
pub mod startup;
pub mod statistics;
pub mod survey;
pub mod telemetry;
pub mod token;
pub mod web;
pub mod workspace;
pub mod zip;
