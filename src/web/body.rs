//! Reading request bodies ourselves, with one limit and clear errors for pages and API alike.
use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;

use super::error::WebError;

/// The largest body any route accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

pub async fn read_body(req: &HttpRequest, mut payload: Payload) -> Result<Bytes, WebError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(WebError::payload_too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| WebError::bad_request("The request body could not be read."))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(WebError::payload_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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
