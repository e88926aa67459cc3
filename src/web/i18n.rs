//! The texts of the pages (the questionnaire's own texts live in the catalogue).
use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use actix_web::http::header::ACCEPT_LANGUAGE;

use crate::survey::{Lang, Text};

static TEXTS: LazyLock<(BTreeMap<String, String>, BTreeMap<String, String>)> =
    LazyLock::new(|| {
        let all: BTreeMap<String, Text> = serde_json::from_str(include_str!("texts.json"))
            .unwrap_or_else(|e| {
                panic!("src/web/texts.json is invalid (a unit test checks it): {e}")
            });
        let de = all.iter().map(|(k, t)| (k.clone(), t.de.clone())).collect();
        let en = all.iter().map(|(k, t)| (k.clone(), t.en.clone())).collect();
        (de, en)
    });

/// All page texts in one language, handed to every template as `t`.
pub fn texts(lang: Lang) -> &'static BTreeMap<String, String> {
    match lang {
        Lang::De => &TEXTS.0,
        Lang::En => &TEXTS.1,
    }
}

/// One text; a missing key shows itself rather than crashing a page.
pub fn text(lang: Lang, key: &str) -> String {
    texts(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// The language of a request: `?lang=` first, then a stored preference (a response's language),
/// then the browser's Accept-Language, then German.
pub fn request_lang(req: &HttpRequest, stored: Option<Lang>) -> Lang {
    query_lang(req)
        .or(stored)
        .or_else(|| accept_language(req))
        .unwrap_or_default()
}

pub fn query_lang(req: &HttpRequest) -> Option<Lang> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

/// Picks de or en from Accept-Language by quality (e.g. "en-GB,en;q=0.9,de;q=0.8" → en).
fn accept_language(req: &HttpRequest) -> Option<Lang> {
    let header = req.headers().get(ACCEPT_LANGUAGE)?.to_str().ok()?;
    parse_accept_language(header)
}

pub fn parse_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, usize, Lang)> = None;
    for (position, part) in header.split(',').enumerate() {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, p, _)) => quality > q || (quality == q && position < p),
        };
        if better {
            best = Some((quality, position, lang));
        }
    }
    best.map(|(_, _, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        let all: BTreeMap<String, Text> =
            serde_json::from_str(include_str!("texts.json")).expect("texts.json parses");
        for (key, t) in all {
            assert!(!t.de.trim().is_empty() && !t.en.trim().is_empty(), "{key}");
        }
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(
            parse_accept_language("en-GB,en;q=0.9,de;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            parse_accept_language("fr, de;q=0.5, en;q=0.4"),
            Some(Lang::De)
        );
        assert_eq!(parse_accept_language("fr"), None);
        assert_eq!(parse_accept_language("en;q=0"), None);
    }
}
