//! Reading request bodies ourselves, with one limit and clear errors for pages and API alike.
use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

use super::error::WebError;
use crate::survey::Text;

/// The largest body any route accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a body may take (`BODY_TIMEOUT_MS`), and the slowest rate accepted after the first
/// second (`BODY_MIN_BYTES_PER_SECOND`, 0 = no rate check): a client trickling a body must not
/// hold a connection for ever.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub timeout: Duration,
    pub min_rate: u32,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            timeout: Duration::from_secs(10),
            min_rate: 1024,
        }
    }
}

pub async fn read_body(req: &HttpRequest, payload: Payload) -> Result<Bytes, WebError> {
    read_body_limited(req, payload, BODY_LIMIT).await
}

/// [`read_body`] with a limit of its own, for the one route that takes a file (the logo).
pub async fn read_body_limited(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<Bytes, WebError> {
    let limits = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| s.body_limits)
        .unwrap_or_default();
    let started = Instant::now();
    let mut received = 0usize;
    let deadline = started + limits.timeout;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(WebError::payload_too_large_of(limit));
    }
    let mut payload = payload;
    let read = async {
        let mut body = BytesMut::new();
        loop {
            // The rate is checked at every chunk and once a second in between, from the first
            // second on.
            let tick = tokio::time::sleep(Duration::from_secs(1));
            tokio::select! {
                chunk = payload.next() => match chunk {
                    None => return Ok(body.freeze()),
                    Some(chunk) => {
                        let chunk = chunk.map_err(|_| {
                            WebError::bad_request("The request body could not be read.")
                        })?;
                        if body.len() + chunk.len() > limit {
                            return Err(WebError::payload_too_large_of(limit));
                        }
                        received += chunk.len();
                        body.extend_from_slice(&chunk);
                    }
                },
                () = tick => {}
            }
            if too_slow(received, declared, started.elapsed(), limits.min_rate) {
                return Err(WebError::request_timeout());
            }
        }
    };
    match tokio::time::timeout_at(deadline.into(), read).await {
        Ok(result) => result,
        Err(_) => Err(WebError::request_timeout()),
    }
}

/// Below the minimum rate: from the second second on, less has arrived than `min_rate` bytes
/// for every second after the first (or than the whole declared body, if that is less).
fn too_slow(received: usize, declared: Option<usize>, elapsed: Duration, min_rate: u32) -> bool {
    if min_rate == 0 || elapsed < Duration::from_secs(2) {
        return false;
    }
    let expected = f64::from(min_rate) * (elapsed.as_secs_f64() - 1.0);
    let expected = declared.map_or(expected, |d| expected.min(d as f64));
    (received as f64) < expected
}

pub fn content_type_is(req: &HttpRequest, expected: &str) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// Form fields in order. Only names for which `repeatable` says so may appear more than once
/// (the options of a multi-select question); any other repeated field is refused, rather than
/// one of its values silently winning. Percent-escapes must decode to UTF-8: `%ff` is refused
/// with a message, never stored as U+FFFD.
pub fn parse_form(
    body: &[u8],
    repeatable: impl Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, WebError> {
    let not_utf8 = || {
        WebError::bad_request_with(Text {
            de: "Die Formulardaten sind kein gültiges UTF-8.".into(),
            en: "The form data is not valid UTF-8.".into(),
        })
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = percent_decode(name).ok_or_else(not_utf8)?;
        let value = percent_decode(value).ok_or_else(not_utf8)?;
        if !repeatable(&name) && fields.iter().any(|(n, _)| *n == name) {
            return Err(WebError::bad_request_with(Text {
                de: format!("Das Feld „{name}“ wurde mehrfach gesendet."),
                en: format!("The field “{name}” was sent more than once."),
            }));
        }
        fields.push((name, value));
    }
    Ok(fields)
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space, `%XX` a byte) that refuses
/// what is not UTF-8 afterwards instead of replacing it.
fn percent_decode(raw: &[u8]) -> Option<String> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => match (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    bytes.push((high * 16 + low) as u8);
                    i += 2;
                }
                // A lone `%` stays as it is (as browsers and `form_urlencoded` do).
                _ => bytes.push(b'%'),
            },
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).ok()
}

/// Refuses a JSON document in which any object, at any depth, names a key twice: serde would
/// keep the last value and drop the first silently (the top-level fields already refuse it).
/// Syntax errors are left to the typed parse that follows, which words them better.
pub fn refuse_duplicate_keys(body: &[u8]) -> Result<(), WebError> {
    struct Unique;
    impl<'de> serde::Deserialize<'de> for Unique {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
            d.deserialize_any(UniqueVisitor)
        }
    }
    struct UniqueVisitor;
    impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(serde::de::Error::custom(DuplicateKey(key)));
                }
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }
    }
    struct DuplicateKey(String);
    impl std::fmt::Display for DuplicateKey {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "\u{0}duplicate\u{0}{}", self.0)
        }
    }
    match serde_json::from_slice::<Unique>(body) {
        Err(e) if e.is_data() => {
            let text = e.to_string();
            let key = text
                .strip_prefix("\u{0}duplicate\u{0}")
                .and_then(|rest| rest.rsplit_once(" at line "))
                .map(|(key, _)| key.to_owned());
            match key {
                Some(key) => Err(WebError::bad_request_with(Text {
                    de: format!(
                        "Der JSON-Inhalt nennt den Schlüssel „{key}“ mehrfach in einem Objekt."
                    ),
                    en: format!(
                        "The JSON body names the key “{key}” more than once in one object."
                    ),
                })),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_is_too_slow_and_a_small_quick_body_is_not() {
        let s = Duration::from_secs;
        assert!(
            !too_slow(0, None, Duration::from_millis(1500), 1024),
            "grace"
        );
        assert!(too_slow(10, None, s(3), 1024));
        assert!(!too_slow(4096, None, s(3), 1024));
        assert!(!too_slow(200, Some(200), s(5), 1024), "a whole small body");
        assert!(too_slow(100, Some(200), s(5), 1024));
        assert!(!too_slow(0, None, s(60), 0), "0 turns the check off");
    }

    #[test]
    fn forms_decode_strictly_and_refuse_repeated_single_fields() {
        let any = |_: &str| false;
        let fields = parse_form(b"a=x+y%21&b=%C3%BC&c", any).expect("valid");
        assert_eq!(
            fields,
            vec![
                ("a".into(), "x y!".into()),
                ("b".into(), "ü".into()),
                ("c".into(), String::new())
            ]
        );
        assert_eq!(parse_form(b"a=100%", any).expect("lone %")[0].1, "100%");
        for bad in [&b"a=%ff"[..], b"%ff=1", b"a=%C3", b"a=\xff"] {
            let e = parse_form(bad, any).expect_err("not UTF-8");
            assert_eq!(e.status(), actix_web::http::StatusCode::BAD_REQUEST);
            assert!(e.message().en.contains("UTF-8"));
        }
        let e = parse_form(b"nav=next&nav=back", any).expect_err("repeated");
        assert!(e.message().en.contains("“nav”"), "{}", e.message().en);
        let multi = |name: &str| name == "channels";
        assert_eq!(
            parse_form(b"channels=a&channels=b", multi)
                .expect("repeatable")
                .len(),
            2
        );
    }

    #[test]
    fn duplicate_json_keys_are_refused_at_every_depth() {
        assert!(refuse_duplicate_keys(br#"{"a":1,"b":{"c":[{"d":1,"e":2}]}}"#).is_ok());
        for (body, key) in [
            (&br#"{"a":1,"a":2}"#[..], "a"),
            (br#"{"profile":{"size":"a","size":"b"}}"#, "size"),
            (br#"{"x":[1,{"y":{"z":1,"z":1}}]}"#, "z"),
        ] {
            let e = refuse_duplicate_keys(body).expect_err("duplicate");
            assert!(
                e.message().en.contains(&format!("“{key}”")),
                "{}",
                e.message().en
            );
        }
        // Syntax errors are the typed parser's to report.
        assert!(refuse_duplicate_keys(b"{not json").is_ok());
    }
}
