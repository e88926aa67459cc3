//! Browser tests: the real server, driven by headless Chromium over WebDriver, as a person meets it.
//!
//! A custom `main` (harness = false): the journeys share one chromedriver and one server, run in
//! sequence, and end with the page checks that need every page at once (the Nu HTML checker runs
//! one JVM for all pages). Each page state a journey passes through is checked on the spot
//! (axe-core, no horizontal scrolling at 375 px, screenshots at 375 and 1280 px into
//! `target/browser-screens/`).
//!
//! Without Chromium, chromedriver, Java or the npm packages (`npm ci` in tests/browser) the suite
//! says so and is skipped; with `CI=true` a missing tool is a failure, so CI cannot pass silently.
//!
//! To add a journey: write `async fn name(ctx: &Ctx) -> Result<()>`
//! in a module, open browsers with `Page::open`, call `page.check_page_state("…")` on every state
//! a person sees, and list it in `journeys()` below.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod harness;
mod journeys;

use harness::{Journey, Tools};

fn journeys() -> Vec<Journey> {
    vec![
        journey!(
            "cross-origin form refused, own form accepted",
            journeys::cross_origin::run
        ),
        journey!("owner in German", journeys::owner::german),
        journey!("owner in English", journeys::owner::english),
        journey!("keyboard only", journeys::keyboard::run),
        journey!("admin", journeys::admin::run),
        journey!("consultant", journeys::consultant::run),
        journey!("chamber", journeys::chamber::run),
    ]
}

fn main() {
    let started = std::time::Instant::now();
    let tools = match Tools::find() {
        Ok(tools) => tools,
        Err(missing) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            println!("browser tests SKIPPED: {missing}");
            println!(
                "  (install: apt-get install chromium chromium-driver default-jre-headless; \
                 cd tests/browser && npm ci)"
            );
            if ci {
                println!("CI=true: the browser tests must run here");
                println!("0 passed, 1 failed");
                std::process::exit(1);
            }
            return;
        }
    };
    // `BROWSER_JOURNEYS=admin,chamber`: only the journeys whose names contain one of these.
    let only = std::env::var("BROWSER_JOURNEYS").unwrap_or_default();
    let selected: Vec<_> = journeys()
        .into_iter()
        .filter(|j| only.is_empty() || only.split(',').any(|w| j.name.contains(w.trim())))
        .collect();
    let outcome = harness::run(tools, selected);
    println!(
        "browser suite took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", outcome.passed, outcome.failed);
    if outcome.failed > 0 {
        std::process::exit(1);
    }
}
