//! Integration tests: the real server on a random port, spoken to over HTTP, on SQLite and on
//! PostgreSQL (when TEST_DATABASE_URL is set). One binary, one module per capability.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod helpers;
mod tools;

mod abuse;
mod accounts;
mod answers_storage;
mod api;
mod authorization;
mod bad_input;
mod benchmarks;
mod brand;
mod chambers;
mod connections;
mod consultants;
mod dashboard_history;
mod durability;
mod extractors;
mod forms_and_errors;
mod input_rules;
mod legal;
mod lost_link;
mod metrics;
mod openapi;
mod owner_control;
mod pdf_rendering;
mod report;
mod result_page;
mod schema;
mod screening;
mod service;
mod survey_pages;
mod versions;
mod xss;
