//! Sessions in the browser: the session cookie, the logged-in user of a request, CSRF tokens.
//! Cookies are written by hand (four attributes) rather than with another crate.
use actix_web::HttpRequest;

use super::AppState;
use super::error::WebError;
use crate::auth::CurrentUser;

/// Behind HTTPS the cookie gets the `__Host-` prefix and `Secure` (ASVS 3.3.1, 3.3.3).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sr_session"
    } else {
        "sr_session"
    }
}

/// The double-submit cookie of the login form (there is no session yet to hold a token).
pub fn login_csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sr_login_csrf"
    } else {
        "sr_login_csrf"
    }
}

/// A `Set-Cookie` value: host-only, whole site, not readable by scripts, not sent on
/// cross-site sub-requests. `max_age` None: a browser-session cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    cookie
}

pub fn clear_cookie(name: &str, secure: bool) -> String {
    set_cookie(name, "", secure, Some(0))
}

/// The value of a cookie sent with the request.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The logged-in user, if the request carries a live session.
pub async fn current_user(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<CurrentUser>, WebError> {
    let Some(raw) = cookie(req, session_cookie_name(state.secure_cookies)) else {
        return Ok(None);
    };
    Ok(state.auth.session(&raw).await?)
}

/// Where to return after login: this page, for GET requests only.
pub(super) fn back_to(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        match req.uri().query() {
            Some(q) => format!("{}?{q}", req.path()),
            None => req.path().to_owned(),
        }
    } else {
        "/login".to_owned()
    }
}

/// Where to go after login: a path on this site, or None (the role's home page). The grammar is
/// strict so that no browser can read a scheme or another host into it (an open redirect), and
/// the value is always a valid `Location` header: one leading `/` not followed by `/` or `\`,
/// then only RFC 3986 path, query and fragment characters and `%XX` escapes (ASCII, no control
/// characters, spaces or backslashes).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| is_local_path(n)).map(str::to_owned)
}

fn is_local_path(next: &str) -> bool {
    const MAX_LEN: usize = 2048;
    let Some(rest) = next.strip_prefix('/') else {
        return false;
    };
    if next.len() > MAX_LEN || rest.starts_with(['/', '\\']) || next.starts_with("/login") {
        return false;
    }
    let mut bytes = rest.bytes();
    while let Some(b) = bytes.next() {
        let allowed = match b {
            b'%' => {
                bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                    && bytes.next().is_some_and(|l| l.is_ascii_hexdigit())
            }
            b if b.is_ascii_alphanumeric() => true,
            _ => b"-._~!$&'()*+,;=:@/?#".contains(&b),
        };
        if !allowed {
            return false;
        }
    }
    true
}

/// Compares the form's CSRF token with the expected one, in constant time.
pub fn check_csrf(expected: &str, fields: &[(String, String)]) -> Result<(), WebError> {
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let equal = sent.len() == expected.len()
        && !expected.is_empty()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal {
        Ok(())
    } else {
        Err(WebError::csrf_failed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        for good in [
            "/consultant",
            "/chamber/dashboard?campaign=3&industry=G",
            "/s/abc-_~.%C3%A4/result#top",
            "/",
        ] {
            assert_eq!(safe_next(Some(good)), Some(good.into()), "{good}");
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/\u{b}/evil.example",
            "/a\u{0}b",
            "/a\rLocation: x",
            "/a b",
            "/a\\b",
            "/ä",
            "/%zz",
            "/%4",
            "/login?next=/x",
            "x",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let fields = |v: &str| vec![("csrf_token".to_owned(), v.to_owned())];
        assert!(check_csrf("abc", &fields("abc")).is_ok());
        assert!(check_csrf("abc", &fields("abd")).is_err());
        assert!(check_csrf("abc", &fields("")).is_err());
        assert!(check_csrf("", &fields("")).is_err());
        assert!(check_csrf("abc", &[]).is_err());
    }

    #[test]
    fn cookies_are_http_only_and_lax() {
        let c = set_cookie("__Host-sr_session", "v", true, None);
        assert_eq!(
            c,
            "__Host-sr_session=v; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(clear_cookie("sr_session", false).ends_with("Max-Age=0"));
    }
}
