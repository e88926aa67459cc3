//! Reading request bodies ourselves, with one limit and clear errors for pages and API alike.
use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

use super::error::WebError;

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
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(WebError::payload_too_large());
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
                        if body.len() + chunk.len() > BODY_LIMIT {
                            return Err(WebError::payload_too_large());
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

/// Form fields in order; repeated names (checkboxes) stay separate.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, WebError> {
    if std::str::from_utf8(body).is_err() {
        return Err(WebError::bad_request("The form data is not valid UTF-8."));
    }
    Ok(form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
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
}
