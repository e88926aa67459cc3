//! The brand: a consultant's logo (uploaded as multipart, checked by its content, rebuilt,
//! served with its own URL and caching) and accent colour (4.5:1 against white), the cover note
//! per client, and both on the client's report.
use social_readiness::accounts::Role;
use social_readiness::brand::{Pixels, decode_png, encode_png};

use crate::consultants::create_client;
use crate::helpers::{Browser, Pick, Reply, TestApp, hidden_field};
use crate::on_both_databases;
use crate::tools;

const BOUNDARY: &str = "----brandtest7MA4YWxkTrZu0gW";

/// A 40 × 20 logo: a dark blue bar on transparent ground.
fn logo_png() -> Vec<u8> {
    let (w, h) = (40u32, 20u32);
    let mut rgb = Vec::new();
    let mut alpha = Vec::new();
    for y in 0..h {
        for x in 0..w {
            rgb.extend_from_slice(&[0x1f, 0x4e, 0x79]);
            alpha.push(if (5..15).contains(&y) && x > 2 {
                255
            } else {
                0
            });
        }
    }
    encode_png(&Pixels {
        width: w,
        height: h,
        rgb,
        alpha: Some(alpha),
    })
}

/// The logo with a text chunk inserted after the header (an ancillary chunk a page must never
/// see).
fn logo_with_comment() -> Vec<u8> {
    let png = logo_png();
    let mut chunk = Vec::new();
    let body = b"Comment\0<script>alert(1)</script>";
    chunk.extend_from_slice(&(body.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(body);
    chunk.extend_from_slice(&crc32(b"tEXt", body));
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[33..]);
    out
}

/// CRC-32 (as PNG chunks use it), bit by bit: the test's own, independent of the service's.
fn crc32(kind: &[u8], body: &[u8]) -> Vec<u8> {
    let mut crc: u32 = 0xFFFF_FFFF;
    for byte in kind.iter().chain(body) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    (!crc).to_be_bytes().to_vec()
}

/// A multipart body with text fields and one file field `logo`.
fn multipart(fields: &[(&str, &str)], logo: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, data)) = logo {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    browser: &Browser<'_>,
    path: &str,
    fields: &[(&str, &str)],
    logo: Option<(&str, &[u8])>,
) -> Reply {
    browser
        .app
        .post_raw(
            path,
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(fields, logo),
            &[("Cookie", &browser.cookie_header())],
        )
        .await
}

/// The logo URL on a page, if one is shown.
fn logo_src(body: &str) -> Option<String> {
    let start = body.find("src=\"/brand/logo/")? + "src=\"".len();
    body[start..].split('"').next().map(str::to_owned)
}

async fn a_consultant_uploads_checks_and_removes_a_logo(app: TestApp) {
    app.create_user(Role::Consultant, "marke@example.de").await;
    app.create_user(Role::Consultant, "andere@example.de").await;
    let consultant = app.login("marke@example.de").await;
    let page = consultant.get("/consultant/brand").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Kein Logo hinterlegt"));
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    // Reachable from the account's home page.
    assert!(
        consultant
            .get("/consultant")
            .await
            .body
            .contains("href=\"/consultant/brand?lang")
    );
    let csrf = hidden_field(&page.body, "csrf_token");

    // Upload: checked, rebuilt (the text chunk is gone), served with its own URL.
    let saved = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#1F4E79")],
        Some(("logo.png", &logo_with_comment())),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(saved.body.contains("Gespeichert."));
    assert!(
        saved.body.contains("<code>#1f4e79</code>"),
        "{}",
        saved.body
    );
    assert!(saved.body.contains("alt=\"Logo von marke@example.de\""));
    let src = logo_src(&saved.body).expect("the logo is shown");
    let logo = app.get(&src).await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type").as_deref(), Some("image/png"));
    let cache = logo.header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("immutable") && cache.contains("max-age=31536000"),
        "{cache}"
    );
    let bytes = consultant.get_bytes(&src).await;
    assert!(
        !bytes.windows(7).any(|w| w == b"<script"),
        "rebuilt without the chunk"
    );
    let pixels = decode_png(&bytes).expect("a valid PNG");
    assert_eq!((pixels.width, pixels.height), (40, 20));
    let etag = logo.header("etag").expect("an ETag");
    let again = app.get_with(&src, ("If-None-Match", &etag)).await;
    assert_eq!(again.status, 304);

    // Refusals, each with its reason; nothing changes.
    let gif = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#1f4e79")],
        Some(("logo.png", b"GIF89a\x01\x00\x01\x00")),
    )
    .await;
    assert_eq!(gif.status, 422);
    assert!(
        gif.body.contains("weder ein PNG- noch ein JPEG-Bild"),
        "{}",
        gif.body
    );
    assert!(gif.body.contains("aria-invalid=\"true\""));
    let png = logo_png();
    let truncated = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#1f4e79")],
        Some(("logo.png", &png[..png.len() - 20])),
    )
    .await;
    assert_eq!(truncated.status, 422);
    assert!(truncated.body.contains("beschädigt"), "{}", truncated.body);
    let mut crafted = png.clone();
    crafted[16] = 0x7f; // the width in the header: the checksum no longer fits
    let crafted = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#1f4e79")],
        Some(("logo.png", &crafted)),
    )
    .await;
    assert_eq!(crafted.status, 422);
    assert!(
        crafted.body.contains("checksum mismatch"),
        "{}",
        crafted.body
    );
    // Over 200 KB but within the upload's body limit: refused with the limit named.
    let mut big = logo_png();
    big.resize(210 * 1024, 0);
    let too_big = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#1f4e79")],
        Some(("logo.png", &big)),
    )
    .await;
    assert_eq!(too_big.status, 422);
    assert!(
        too_big.body.contains("höchstens 200 KB"),
        "{}",
        too_big.body
    );
    // Over the upload's own body limit: 413 before anything is parsed.
    big.resize(300 * 1024, 0);
    let huge = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf)],
        Some(("logo.png", &big)),
    )
    .await;
    assert_eq!(huge.status, 413);
    assert!(huge.body.contains("256 KiB"), "{}", huge.body);
    // Other forms keep their 64 KiB limit.
    let long = "x".repeat(100 * 1024);
    let profile = consultant
        .post_form(
            "/consultant/profile",
            &[("csrf_token", &csrf), ("name", &long)],
        )
        .await;
    assert_eq!(profile.status, 413);
    // A light accent: refused, with the contrast it has and the one it needs.
    let light = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#ffcc00")],
        None,
    )
    .await;
    assert_eq!(light.status, 422);
    assert!(
        light.body.contains("nur einen Kontrast von 1,51:1"),
        "{}",
        light.body
    );
    assert!(light.body.contains("mindestens 4,5:1"));
    assert!(
        light.body.contains("value=\"#ffcc00\""),
        "what was typed stays"
    );
    // The logo is still the one saved.
    assert_eq!(logo_src(&light.body).as_deref(), Some(src.as_str()));
    // Without the CSRF token, or with another's: refused.
    let forged = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", "forged"), ("action", "remove_logo")],
        None,
    )
    .await;
    assert_eq!(forged.status, 403);
    let missing = upload(
        &consultant,
        "/consultant/brand",
        &[("action", "remove_logo")],
        None,
    )
    .await;
    assert_eq!(missing.status, 403);

    // Another consultant sees none of it on their own brand page.
    let other = app.login("andere@example.de").await;
    let theirs = other.get("/consultant/brand").await;
    assert_eq!(theirs.status, 200);
    assert!(logo_src(&theirs.body).is_none());
    assert!(!theirs.body.contains("#1f4e79\""));
    assert!(theirs.body.contains("Kein Logo hinterlegt"));

    // Removing the logo keeps the accent; its URL is gone.
    let removed = upload(
        &consultant,
        "/consultant/brand",
        &[
            ("csrf_token", &csrf),
            ("action", "remove_logo"),
            ("accent", "#1f4e79"),
        ],
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(logo_src(&removed.body).is_none());
    assert!(removed.body.contains("<code>#1f4e79</code>"));
    assert_eq!(app.get(&src).await.status, 404);
}

async fn the_client_report_carries_the_consultants_brand(app: TestApp) {
    app.create_user(Role::Consultant, "berger@example.de").await;
    let consultant = app.login("berger@example.de").await;
    let saved = consultant
        .submit(
            "/consultant/profile",
            "/consultant/profile",
            &[
                ("name", "Anna Berger"),
                ("firm", "Berger Marketing"),
                ("contact", "0351 123456"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200);
    let csrf = hidden_field(
        &consultant.get("/consultant/brand").await.body,
        "csrf_token",
    );
    let branded = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf), ("accent", "#7a2e0e")],
        Some(("logo.png", &logo_png())),
    )
    .await;
    assert_eq!(branded.status, 200, "{}", branded.body);
    let (client_page, link) = create_client(&consultant, "Zeta Zimmerei", "").await;
    let token_path = app.accept_invitation(&link, true).await;
    app.complete_survey(&token_path, Pick::Second, "de").await;
    let note = consultant
        .submit(
            &client_page,
            &format!("{client_page}/cover-note"),
            &[(
                "note",
                "Liebe Frau Zeta,\r\nhier Ihr Bericht zum Gespräch am Montag.",
            )],
        )
        .await;
    assert_eq!(note.status, 303, "{}", note.body);
    let page = consultant.get(&note.location()).await;
    assert!(page.body.contains("Die Notiz ist gespeichert."));
    assert!(page.body.contains("Liebe Frau Zeta, hier Ihr Bericht"));

    let bytes = consultant
        .get_bytes(&format!("{client_page}/report.pdf"))
        .await;
    assert!(bytes.starts_with(b"%PDF"));
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"/XObject<</Logo "), "the logo in the resources");
    assert!(has(b"/Subtype/Image"), "an image XObject");
    assert!(has(b"/SMask "), "its transparency as a soft mask");
    let file = tools::temp_file(&bytes, "branded_report.pdf");
    tools::check_pdf_structure(&file);
    if let Some(text) = tools::pdf_text(&file) {
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("Anna Berger, Berger Marketing"), "{words}");
        assert!(words.contains("0351 123456"));
        assert!(words.contains("hier Ihr Bericht zum Gespräch am Montag."));
    }
    if let Some(images) = tools::run(
        "pdfimages",
        [std::ffi::OsStr::new("-list"), file.as_os_str()],
    ) {
        // The logo (40 × 20, RGB) and its soft mask, on the cover and in the running header.
        let rows: Vec<Vec<&str>> = images
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert!(
            rows.iter()
                .any(|r| r.get(2..6) == Some(&["image", "40", "20", "rgb"][..])),
            "{images}"
        );
        assert!(rows.iter().any(|r| r.get(2) == Some(&"smask")), "{images}");
        assert!(rows.len() >= 4, "cover and headers: {images}");
    }
    let _ = std::fs::remove_file(&file);

    // The owner's own report keeps the service's design.
    let own = consultant
        .get_bytes(&format!("{token_path}/report.pdf"))
        .await;
    assert!(!own.windows(14).any(|w| w == b"/Subtype/Image"));
}

on_both_databases!(
    a_consultant_uploads_checks_and_removes_a_logo,
    the_client_report_carries_the_consultants_brand,
);

#[path = "../support/branded_report.rs"]
mod branded_report;
pub use branded_report::{branded, image_bytes};

#[test]
fn a_branded_report_is_tagged_pdf_ua_with_its_logo_as_an_artifact() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mixed_de.json");
    let model: social_readiness::report::ReportModel =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("parses");
    let plain = social_readiness::report::render_pdf(&model).expect("render");
    let pdf =
        social_readiness::report::render_pdf(&branded(model, (300, 100))).expect("render branded");
    let logo = image_bytes(&pdf);
    assert!(logo > 0, "the logo is embedded");
    assert!(
        pdf.len() - logo < 150_000,
        "{} bytes without the logo",
        pdf.len() - logo
    );
    // The brand adds the logo and a few lines, not a page.
    assert!(
        pdf.len() - logo < plain.len() + 8_000,
        "{} vs {}",
        pdf.len() - logo,
        plain.len()
    );
    let dir =
        std::env::var_os("REPORT_OUT").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let file = dir.join(format!("branded_mixed_de_{}.pdf", std::process::id()));
    std::fs::write(&file, &pdf).expect("write");
    tools::check_pdf_structure(&file);
    tools::check_pdf_fonts(&file);
    tools::check_pdf_ua(&file);
    if let Some(text) = tools::pdf_text(&file) {
        let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("Anna Berger, Berger Marketing"), "{words}");
        assert!(words.contains("Die drei ersten Schritte besprechen wir dann gemeinsam."));
    }
    if let Some(info) = tools::run("pdfinfo", [file.as_path()]) {
        assert!(info.contains("Tagged:          yes"), "{info}");
    }
    if std::env::var_os("REPORT_OUT").is_none() {
        let _ = std::fs::remove_file(&file);
    }
}

async fn firms_see_the_brand_on_invitation_result_and_campaign_pages(app: TestApp) {
    app.create_user(Role::Consultant, "signet@example.de").await;
    app.create_user(Role::Chamber, "hwk-signet@example.de")
        .await;
    let consultant = app.login("signet@example.de").await;
    let csrf = hidden_field(
        &consultant.get("/consultant/brand").await.body,
        "csrf_token",
    );
    let saved = upload(
        &consultant,
        "/consultant/brand",
        &[("csrf_token", &csrf)],
        Some(("logo.png", &logo_png())),
    )
    .await;
    let src = logo_src(&saved.body).expect("saved");
    let img = format!("<img src=\"{src}\" alt=\"Logo von signet@example.de\"");

    // The invitation page shows the consultant's logo, named.
    let (_, shared_link) = create_client(&consultant, "Teilt GmbH", "").await;
    let path = shared_link
        .strip_prefix(&app.address)
        .expect("local")
        .to_owned();
    let invitation = app.get(&path).await;
    assert!(invitation.body.contains(&img), "{}", invitation.body);
    // The result page of a firm that shares its result shows it too…
    let token_path = app.accept_invitation(&shared_link, true).await;
    app.complete_survey(&token_path, Pick::Second, "de").await;
    let result = app.get(&format!("{token_path}/result")).await;
    assert_eq!(result.status, 200);
    assert!(result.body.contains(&img), "{}", result.body);
    // …but not once the sharing is withdrawn, nor for a firm that did not share.
    let withdraw = app
        .post_form(&format!("{token_path}/share/withdraw?lang=de"), &[])
        .await;
    assert_eq!(withdraw.status, 303, "{}", withdraw.body);
    assert!(
        !app.get(&format!("{token_path}/result"))
            .await
            .body
            .contains(&src)
    );
    let (_, private_link) = create_client(&consultant, "Privat KG", "").await;
    let private = app.accept_invitation(&private_link, false).await;
    app.complete_survey(&private, Pick::Second, "de").await;
    assert!(
        !app.get(&format!("{private}/result"))
            .await
            .body
            .contains(&src)
    );

    // A chamber's logo on its campaign page and in its board PDF (still one page).
    let chamber = app.login("hwk-signet@example.de").await;
    let csrf = hidden_field(&chamber.get("/chamber/brand").await.body, "csrf_token");
    let saved = upload(
        &chamber,
        "/chamber/brand",
        &[("csrf_token", &csrf), ("accent", "#005a32")],
        Some(("logo.png", &logo_png())),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let (campaign, code) = crate::chambers::create_campaign(&chamber, "Digital 2026").await;
    let landing = app.get(&format!("/c/{code}")).await;
    assert!(
        landing.body.contains(&format!("src=\"{src}\"")),
        "{}",
        landing.body
    );
    assert!(landing.body.contains("alt=\"Logo von "));
    let board = chamber
        .get_bytes(&format!("/chamber/dashboard.pdf?campaign={campaign}"))
        .await;
    assert!(board.starts_with(b"%PDF"));
    assert!(board.windows(14).any(|w| w == b"/Subtype/Image"));
    let file = tools::temp_file(&board, "branded_board.pdf");
    tools::check_pdf_structure(&file);
    tools::check_pdf_ua(&file);
    if let Some(info) = tools::run("pdfinfo", [file.as_path()]) {
        assert!(info.contains("Pages:           1"), "{info}");
    }
    let _ = std::fs::remove_file(&file);
}

on_both_databases!(firms_see_the_brand_on_invitation_result_and_campaign_pages);
