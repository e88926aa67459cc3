//! Issue 10, item 1: a form on another origin that posts to the service is refused, and nothing is
//! stored; the service's own start form works in a real browser (the blocker's regression test).
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, Result, ensure};

use super::{main_text, submit_and_wait};
use crate::harness::{Ctx, Page, t};

/// A page on a second origin (another port of 127.0.0.1: same site, other origin, so cookies
/// would still be sent), itself sending `Referrer-Policy: no-referrer` as an attacker's page would
/// to hide where it is. Returns its URL.
fn foreign_site(target: String) -> Result<String> {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Elsewhere</title></head>\
         <body><form method=\"post\" action=\"{target}/start?lang=de\">\
         <input type=\"hidden\" name=\"consent\" value=\"yes\">\
         <button type=\"submit\" id=\"go\">Win a prize</button></form></body></html>"
    );
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let html = html.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .insert_header(("Referrer-Policy", "no-referrer"))
                        .body(html)
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .context("binding the foreign site")?;
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    Ok(format!("http://127.0.0.1:{port}/"))
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    let foreign = foreign_site(ctx.address.clone())?;
    let page = Page::open(ctx, "cross-origin").await?;
    let result = async {
        let stored = ctx.response_count().await?;
        page.goto(&foreign).await?;
        submit_and_wait(&page, "#go").await?;
        ensure!(
            page.client
                .current_url()
                .await?
                .as_str()
                .starts_with(&ctx.address),
            "the foreign form did not reach the service"
        );
        let h1 = page.h1().await?;
        ensure!(
            h1 == t("error_title_403", "de"),
            "refusal page expected, saw {h1:?}"
        );
        let text = main_text(&page).await?;
        ensure!(
            text.contains("fremden Seite"),
            "the refusal says why: {text}"
        );
        ensure!(
            ctx.response_count().await? == stored,
            "a refused form stored a response"
        );
        page.check_page_state("refused").await?;

        // The service's own pages let their own origin through (so their forms' Origin header
        // is ours, not `null`): a page reached by a link knows where it came from. (A form's
        // redirect answer is not HTML and says `no-referrer`, so the step page cannot show it.)
        page.goto("/?lang=en").await?;
        page.click("a[hreflang=de]").await?;
        let referrer = page.script("return document.referrer").await?;
        ensure!(
            referrer
                .as_str()
                .is_some_and(|r| r.starts_with(&ctx.address)),
            "the pages' referrer policy hides even our own origin: {referrer}"
        );

        // The service's own form, in the same browser: accepted.
        page.click("label[for=consent]").await?;
        submit_and_wait(&page, ".start-form button[type=submit]").await?;
        let path = page.path().await?;
        ensure!(
            path.contains("/step/1"),
            "own start form refused: at {path}, {:?}",
            page.h1().await?
        );
        ensure!(
            ctx.response_count().await? == stored + 1,
            "own start form stored no response"
        );
        Ok(())
    }
    .await;
    page.close().await?;
    result
}
