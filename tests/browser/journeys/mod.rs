//! The journeys, one module per person (owner now; consultant, chamber and admin next).
pub mod cross_origin;
pub mod keyboard;
pub mod owner;

use anyhow::{Result, ensure};

use crate::harness::{Page, eventually};

/// Clicks a submit control and waits until the browser has left `from` (a new page loaded).
pub async fn submit_and_wait(page: &Page<'_>, css: &str) -> Result<()> {
    let before = page.script("return performance.timeOrigin").await?;
    page.click(css).await?;
    eventually(&format!("a new page after clicking {css}"), || async {
        let now = page.script("return performance.timeOrigin").await?;
        let ready = page.script("return document.readyState").await?;
        Ok(now != before && ready == "complete")
    })
    .await
}

/// Answers every question on a survey page by clicking labels, as a person with a mouse does:
/// the `nth` option of each radio group (or the last, if fewer), the first box of each checkbox group.
pub async fn answer_page(page: &Page<'_>, nth: usize) -> Result<()> {
    let ids = page
        .script(&format!(
            "return [...document.querySelectorAll('fieldset.question')].map(f => {{ \
               const inputs = [...f.querySelectorAll('input')]; \
               if (inputs.length === 0) return null; \
               if (inputs[0].type === 'checkbox') return inputs[0].id; \
               return inputs[Math.min({nth}, inputs.length - 1)].id; }}).filter(Boolean)"
        ))
        .await?;
    let ids: Vec<String> = ids
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ensure!(!ids.is_empty(), "no questions on {}", page.path().await?);
    for id in ids {
        page.click(&format!("label[for=\"{id}\"]")).await?;
    }
    Ok(())
}

/// The text of the page's main content.
pub async fn main_text(page: &Page<'_>) -> Result<String> {
    page.text("main").await
}
