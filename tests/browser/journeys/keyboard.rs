//! The whole survey with the keyboard only: Tab, Shift-Tab, Space, Enter and the arrow keys.
//! Wherever the focus goes, it must be visible.
use anyhow::{Context, Result, bail, ensure};
use fantoccini::key::Key;
use serde_json::Value;

use crate::harness::{Ctx, Page, eventually, t};

/// What has the focus, and whether a person can see it: the focused element must draw an outline
/// or a shadow that the same kind of element does not draw when unfocused.
const FOCUS: &str = r#"
const el = document.activeElement;
if (!el || el === document.body) return {tag: 'body'};
const s = getComputedStyle(el);
const ring = (st) => (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2 ? st.outlineStyle + st.outlineWidth + st.outlineColor : '') + '|' + (st.boxShadow !== 'none' ? st.boxShadow : '');
const focused = ring(s);
const other = [...document.querySelectorAll(el.tagName)].find(o => o !== el && o.offsetParent !== null);
const unfocused = other ? ring(getComputedStyle(other)) : '|';
const group = el.name ? [...document.getElementsByName(el.name)] : [];
return {
  tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, name: el.name || '', value: el.value || '',
  text: (el.innerText || el.value || '').trim().slice(0, 60), checked: !!el.checked,
  groupAnswered: group.some(i => i.checked),
  visible: focused !== '|' && focused !== unfocused,
  ring: focused,
};
"#;

async fn focus(page: &Page<'_>) -> Result<Value> {
    page.script(FOCUS).await
}

/// Tab (or Shift-Tab), then check that the newly focused element shows it.
async fn tab(page: &Page<'_>, back: bool) -> Result<Value> {
    if back {
        page.shift_tab().await?;
    } else {
        page.press(&[Key::Tab.into()]).await?;
    }
    let f = focus(page).await?;
    if f["tag"] != "body" && f["visible"] != true {
        bail!(
            "focus not visible on {} {} {:?} on {} (ring {})",
            f["tag"],
            f["type"],
            f["id"].as_str().or(f["text"].as_str()),
            page.path().await?,
            f["ring"]
        );
    }
    Ok(f)
}

/// Presses Enter and waits for the next page.
async fn enter(page: &Page<'_>) -> Result<()> {
    let before = page.script("return performance.timeOrigin").await?;
    page.press(&[Key::Enter.into()]).await?;
    eventually("the next page after Enter", || async {
        let now = page.script("return performance.timeOrigin").await?;
        let ready = page.script("return document.readyState").await?;
        Ok(now != before && ready == "complete")
    })
    .await
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    let page = Page::open(ctx, "keyboard").await?;
    let result = survey(ctx, &page).await;
    page.close().await?;
    result
}

async fn survey(ctx: &Ctx, page: &Page<'_>) -> Result<()> {
    let lang = "en";
    page.goto("/?lang=en").await?;
    // Landing: Tab to the consent box, Space ticks it, Tab to the button, Enter starts.
    let mut presses = 0;
    loop {
        let f = tab(page, false).await?;
        presses += 1;
        ensure!(presses < 40, "never reached the consent box");
        if f["id"] == "consent" {
            page.press(&[' ']).await?;
            ensure!(
                focus(page).await?["checked"] == true,
                "Space did not tick consent"
            );
            let f = tab(page, false).await?;
            ensure!(f["tag"] == "button", "after consent comes {f}");
            enter(page).await?;
            break;
        }
    }
    ensure!(
        page.path().await?.contains("/step/1"),
        "Enter did not start the check"
    );

    let mut pages = 0;
    let mut presses_total = presses;
    loop {
        pages += 1;
        ensure!(pages <= 20, "more pages than the survey has");
        if page.h1().await? == t("review_title", lang) {
            break;
        }
        presses_total += answer_with_keys(page, pages == 2).await?;
    }
    // Review: Tab to the submit button, Enter.
    let mut presses = 0;
    loop {
        let f = tab(page, false).await?;
        presses += 1;
        presses_total += 1;
        ensure!(
            presses < 200,
            "never reached the submit button on the review"
        );
        if f["tag"] == "button" && f["type"] == "submit" && f["text"] == t("submit_button", lang) {
            enter(page).await?;
            break;
        }
    }
    let h1 = page.h1().await?;
    ensure!(
        h1.starts_with(&t("result_title", lang)),
        "result page: {h1}"
    );
    // The result's links and buttons show focus too.
    for _ in 0..15 {
        tab(page, false).await?;
    }
    println!(
        "  {} survey pages and the review, {presses_total} Tab presses, focus visible at each",
        pages - 1
    );
    let _ = ctx;
    Ok(())
}

/// One survey page: Tab through it; an arrow key chooses in each radio group, Space ticks the
/// first box of each checkbox group, the firm name is typed; Enter on "Next". With
/// `try_shift_tab`, Shift-Tab once and check the focus comes back.
async fn answer_with_keys(page: &Page<'_>, try_shift_tab: bool) -> Result<usize> {
    let path = page.path().await?;
    let mut presses = 0;
    let mut shifted = !try_shift_tab;
    loop {
        let f = tab(page, false).await?;
        presses += 1;
        ensure!(presses < 200, "never reached Next on {path}");
        match (f["tag"].as_str(), f["type"].as_str()) {
            (Some("input"), Some("radio")) if f["groupAnswered"] != true => {
                page.press(&[Key::Down.into()]).await?;
                let now = focus(page).await?;
                ensure!(
                    now["checked"] == true && now["name"] == f["name"],
                    "the arrow key did not choose in {}: {now}",
                    f["name"]
                );
                if !shifted {
                    // Back to what came before the group, and forward again.
                    let back = tab(page, true).await?;
                    ensure!(back["name"] != now["name"], "Shift-Tab stayed in the group");
                    let again = tab(page, false).await?;
                    ensure!(
                        again["id"] == now["id"],
                        "Tab after Shift-Tab went to {again}, not back to {now}"
                    );
                    shifted = true;
                }
            }
            (Some("input"), Some("checkbox")) if f["groupAnswered"] != true => {
                page.press(&[' ']).await?;
                ensure!(
                    focus(page).await?["checked"] == true,
                    "Space did not tick {f}"
                );
            }
            (Some("input"), Some("text")) if f["value"] == "" => {
                let keys: Vec<char> = "Tastatur GmbH".chars().collect();
                page.press(&keys).await?;
            }
            (Some("button"), _) if f["value"] == "next" => {
                enter(page).await?;
                let now = page.path().await?;
                ensure!(now != path, "Enter on Next stayed on {path}");
                if page.find_all(".error-summary").await?.is_empty() {
                    return Ok(presses);
                }
                bail!(
                    "keyboard answers were refused on {path}: {}",
                    page.text(".error-summary").await.context("errors")?
                );
            }
            _ => {}
        }
    }
}
