//! The texts of the pages (the questionnaire's own texts live in the catalogue).
use actix_web::HttpRequest;
use actix_web::http::header::ACCEPT_LANGUAGE;

use crate::survey::Lang;

/// The page texts live in `present` (pure); the request's language is the web's business.
pub use crate::present::texts::{consultant_texts, text, texts};

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
    use crate::survey::Text;
    use std::collections::BTreeMap;

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
    /// Every `.rs` file under `src/`, recursively.
    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("source");
                out.push((path.display().to_string(), source));
            }
        }
    }

    /// The string literals passed as the key of `name(` calls, e.g. `text(lang, "key")` when
    /// `skip_first` (the language comes first) or `t("key")` otherwise. Method calls
    /// (`f.text(…)`) and longer names (`context(`) are not calls of `name`.
    fn literal_keys(source: &str, name: &str, skip_first: bool) -> Vec<String> {
        let call = format!("{name}(");
        let mut keys = Vec::new();
        for (at, _) in source.match_indices(&call) {
            let before = source[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':') {
                continue;
            }
            let mut rest = &source[at + call.len()..];
            if skip_first {
                // The end of the language argument: the first comma outside parentheses.
                let mut depth = 0u32;
                let comma = rest.char_indices().find_map(|(i, c)| match c {
                    '(' => {
                        depth += 1;
                        None
                    }
                    ')' if depth == 0 => Some(None),
                    ')' => {
                        depth -= 1;
                        None
                    }
                    ',' if depth == 0 => Some(Some(i)),
                    _ => None,
                });
                let Some(Some(comma)) = comma else {
                    continue;
                };
                rest = &rest[comma + 1..];
            }
            let rest = rest.trim_start();
            if let Some(literal) = rest.strip_prefix('"')
                && let Some(end) = literal.find('"')
            {
                keys.push(literal[..end].to_owned());
            }
        }
        keys
    }

    /// Every text key Rust code asks for exists in texts.json (a missing one would show its key
    /// on the page): literal keys of `text(lang, "…")` and of local aliases
    /// `let t = |key: &str| text(lang, key)`, and the keys built with `format!` from a closed set.
    #[test]
    fn every_text_key_used_from_rust_exists() {
        let texts = texts(Lang::De);
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut used = Vec::new();
        for (path, source) in &files {
            // Only files that use the page texts, through `web::i18n` or `present::texts` (the
            // catalogue has a `text(` of its own; this file's tests hold examples).
            let uses_texts = source.contains("i18n::") || source.contains("texts::");
            if !uses_texts || path.ends_with("i18n.rs") || path.ends_with("present/texts.rs") {
                continue;
            }
            for key in literal_keys(source, "text", true) {
                used.push((path.clone(), key));
            }
            if source.contains("let t = |key: &str| text(lang, key)") {
                for key in literal_keys(source, "t", false) {
                    used.push((path.clone(), key));
                }
            }
        }
        assert!(used.len() >= 50, "text keys found: {}", used.len());

        // Keys built at run time, each over its closed set of values.
        use crate::accounts::Role;
        use crate::workspace::InvitationStatus;
        for role in [Role::Admin, Role::Consultant, Role::Chamber] {
            used.push(("web/accounts.rs".into(), format!("role_{}", role.as_str())));
        }
        use crate::screening::HoldReason;
        for reason in [HoldReason::Keyless, HoldReason::TooFast, HoldReason::Burst] {
            used.push((
                "web/admin.rs".into(),
                format!("held_reason_{}", reason.as_str()),
            ));
        }
        for status in [
            InvitationStatus::Invited,
            InvitationStatus::InProgress,
            InvitationStatus::Finished,
            InvitationStatus::Declined,
            InvitationStatus::NotShared,
            InvitationStatus::Withdrawn,
            InvitationStatus::Deleted,
        ] {
            used.push((
                "web/consultant.rs".into(),
                format!("status_{}", status.key()),
            ));
        }
        // Error pages are titled `error_title_<status>`: every error status the web layer names.
        let statuses = [
            ("BAD_REQUEST", 400),
            ("FORBIDDEN", 403),
            ("NOT_FOUND", 404),
            ("METHOD_NOT_ALLOWED", 405),
            ("REQUEST_TIMEOUT", 408),
            ("CONFLICT", 409),
            ("PAYLOAD_TOO_LARGE", 413),
            ("UNSUPPORTED_MEDIA_TYPE", 415),
            ("UNPROCESSABLE_ENTITY", 422),
            ("TOO_MANY_REQUESTS", 429),
            ("INTERNAL_SERVER_ERROR", 500),
            ("SERVICE_UNAVAILABLE", 503),
        ];
        // Not error pages: success, redirects, and the login form's own 401 page.
        let redirects = [
            "SEE_OTHER",
            "FOUND",
            "OK",
            "CREATED",
            "NO_CONTENT",
            "NOT_MODIFIED",
            "UNAUTHORIZED",
        ];
        for (path, source) in files.iter().filter(|(p, _)| p.contains("/src/web/")) {
            for (at, _) in source.match_indices("StatusCode::") {
                let name: String = source[at + "StatusCode::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                if name.is_empty() || redirects.contains(&name.as_str()) {
                    continue;
                }
                let code = statuses
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, code)| *code)
                    .unwrap_or_else(|| {
                        panic!("{path}: StatusCode::{name} is new here; add it to this test")
                    });
                used.push((path.clone(), format!("error_title_{code}")));
            }
        }

        let missing: Vec<String> = used
            .iter()
            .filter(|(_, key)| !texts.contains_key(key))
            .map(|(path, key)| format!("{path}: {key}"))
            .collect();
        assert!(
            missing.is_empty(),
            "texts missing from texts.json: {missing:?}"
        );
    }

    #[test]
    fn the_key_scanner_finds_calls_and_skips_methods() {
        let source = r#"text(lang, "a") f.text("b", x) text(req.lang(), "g") text(
            lang,
            "c",
        ) context(lang, "d") t("e") text(lang, &format!("f_{}", x))"#;
        assert_eq!(literal_keys(source, "text", true), ["a", "g", "c"]);
        assert_eq!(literal_keys(source, "t", false), ["e"]);
    }
}
