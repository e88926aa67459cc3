//! One notion of "the client": the peer address, or — only when the peer is one of the
//! `TRUSTED_PROXIES` — the address the proxy forwarded. The host a request was sent to follows
//! the same rule. Every per-client rule (token guard, rate limits, login throttling) keys on it.
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;

use super::AppState;
use super::error::WebError;
use crate::limits::{LoginThrottle, RateLimiter, TrustedProxies, canonical, retry_seconds};

/// What the per-client rules need; built once from the settings.
#[derive(Debug, Clone)]
pub struct Limits {
    pub proxies: TrustedProxies,
    pub starts: RateLimiter<IpAddr>,
    pub form_posts: RateLimiter<IpAddr>,
    pub api_responses: RateLimiter<IpAddr>,
    pub login: LoginThrottle,
}

impl Limits {
    pub fn from_settings(s: &crate::config::Settings) -> Limits {
        Limits {
            proxies: s.trusted_proxies.clone(),
            starts: RateLimiter::new(s.rate_starts),
            form_posts: RateLimiter::new(s.rate_form_posts),
            api_responses: RateLimiter::new(s.rate_api_responses),
            login: LoginThrottle::new(s.login_limits),
        }
    }
}

/// The `for=` addresses of a `Forwarded` header (RFC 7239), nearest hop last.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<String>> {
    let values: Vec<&str> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return None;
    }
    Some(
        values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                    .unwrap_or_default()
            })
            .collect(),
    )
}

/// An address as a proxy writes it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(a, _)| a.parse().ok())
}

static WARNED_UNTRUSTED: AtomicBool = AtomicBool::new(false);

/// The client of a request with peer `peer` and `headers`.
///
/// From a trusted proxy, the forwarded chain is read from the nearest hop outwards, skipping
/// further trusted proxies: the first address not in `TRUSTED_PROXIES` is the client (an entry
/// further left could have been written by anyone). From any other peer, headers are ignored.
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    if !proxies.contains(peer) {
        if proxies.is_empty()
            && (headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded"))
            && !WARNED_UNTRUSTED.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                "a request carries X-Forwarded-For/Forwarded, but TRUSTED_PROXIES is empty: \
                 the header is ignored and every per-client limit keys on the peer address"
            );
        }
        return Some(peer);
    }
    let hops: Vec<String> = forwarded_for(headers).unwrap_or_else(|| {
        headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect()
    });
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop).map(canonical) {
            // An obfuscated or broken entry: the hop that wrote it is the best we know.
            None => break,
            Some(ip) if proxies.contains(ip) => client = ip,
            Some(ip) => return Some(ip),
        }
    }
    Some(client)
}

/// The host the client addressed: from a trusted proxy its `Forwarded: host=` or
/// `X-Forwarded-Host`, otherwise the `Host` header (or the URI's authority under HTTP/2).
pub fn host(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    uri: &actix_web::http::Uri,
    proxies: &TrustedProxies,
) -> Option<String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if peer.is_some_and(|p| proxies.contains(canonical(p))) {
        let forwarded = header("forwarded").and_then(|v| {
            v.split(',')
                .next()?
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("host"))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        });
        let x_forwarded = || {
            header("x-forwarded-host")
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_owned())
        };
        if let Some(h) = forwarded.or_else(x_forwarded).filter(|h| !h.is_empty()) {
            return Some(h);
        }
    }
    header("host")
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
}

/// The client of a handler's request.
pub fn of(state: &AppState, req: &HttpRequest) -> Option<IpAddr> {
    client_ip(
        req.peer_addr().map(|a| a.ip()),
        req.headers(),
        &state.limits.proxies,
    )
}

/// Counts a request against `limiter`; 429 with `Retry-After` (JSON; `.html(lang)` for pages)
/// when the client is over it. A request without a peer address (never over TCP) is not limited.
pub fn limit(
    state: &AppState,
    req: &HttpRequest,
    limiter: &RateLimiter<IpAddr>,
) -> Result<(), WebError> {
    let Some(client) = of(state, req) else {
        return Ok(());
    };
    limiter
        .check(&client)
        .map_err(|wait| WebError::rate_limited(retry_seconds(wait)))
}

/// The API caller: with `Authorization: Bearer <key>`, the key (counted against its own limit
/// and exempt from the per-client limit `limiter`); without it, the client (counted against
/// `limiter`) and `None`. Any other `Authorization` is refused with 401.
pub async fn api_caller(
    state: &AppState,
    req: &HttpRequest,
    limiter: &RateLimiter<IpAddr>,
) -> Result<Option<i64>, WebError> {
    let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        limit(state, req, limiter)?;
        return Ok(None);
    };
    let presented = header
        .to_str()
        .ok()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    let Some(presented) = presented else {
        return Err(WebError::invalid_api_key());
    };
    let key = state
        .api_keys
        .authenticate(presented)
        .await?
        .ok_or_else(WebError::invalid_api_key)?;
    state
        .api_keys
        .check_limit(&key)
        .map_err(|wait| WebError::api_key_rate_limited(retry_seconds(wait)))?;
    Ok(Some(key.id))
}

/// The answer to a token or code that matched nothing: 404, or 429 once the client has missed
/// too often. A valid link is never refused, so a client locked for guessing still reaches its
/// own survey.
pub fn miss(state: &AppState, client: Option<IpAddr>) -> WebError {
    match state.token_guard.record_miss(client) {
        Some(seconds) => WebError::too_many_requests(seconds),
        None => WebError::not_found(),
    }
}

/// `miss` for a service error that means "no such token or code"; other errors pass unchanged.
pub fn guard(
    state: &AppState,
    client: Option<IpAddr>,
    e: crate::responses::ServiceError,
) -> WebError {
    match e {
        crate::responses::ServiceError::NotFound => miss(state, client),
        e => WebError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.1, 10.0.1.0/24").expect("valid");
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.9")]);
        // An untrusted peer: its header changes nothing.
        assert_eq!(
            client_ip(ip("203.0.113.5"), &spoofed, &proxies),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(ip("203.0.113.5"), &spoofed, &TrustedProxies::default()),
            ip("203.0.113.5")
        );
        // The proxy: the nearest untrusted hop, not a spoofed entry further left.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.9, 10.0.1.7")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &chain, &proxies),
            ip("198.51.100.9")
        );
        let rfc = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https",
        )]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &rfc, &proxies),
            ip("2001:db8:cafe::17")
        );
        let hidden = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_ip(ip("10.0.0.1"), &hidden, &proxies), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("10.0.0.1"), &headers(&[]), &proxies),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_hosts_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.1").expect("valid");
        let uri = actix_web::http::Uri::from_static("/login");
        let sent = headers(&[
            ("host", "check.example"),
            ("x-forwarded-host", "evil.example"),
        ]);
        assert_eq!(
            host(ip("203.0.113.5"), &sent, &uri, &proxies).as_deref(),
            Some("check.example")
        );
        assert_eq!(
            host(ip("10.0.0.1"), &sent, &uri, &proxies).as_deref(),
            Some("evil.example")
        );
    }
}
