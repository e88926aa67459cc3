//! `multipart/form-data` (RFC 7578), as much as a form with one file input needs: text fields
//! (UTF-8, each name once) and file parts with their bytes. The body was read with the route's
//! own limit before (`body::read_body_limited`).
use super::error::WebError;
use crate::survey::Text;

/// A file part: the field's name and the bytes sent (the file name and declared type are not
/// trusted and not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    pub name: String,
    pub data: Vec<u8>,
}

fn malformed() -> WebError {
    WebError::bad_request_with(Text {
        de: "Die Formulardaten (multipart/form-data) sind fehlerhaft.".into(),
        en: "The form data (multipart/form-data) is malformed.".into(),
    })
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// A parameter of a `Content-Disposition` header, e.g. `name="logo"`.
fn parameter(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A form's text fields in order, and its file parts.
pub type Parts = (super::extract::Fields, Vec<FilePart>);

/// Splits a body into text fields and file parts.
pub fn parse(body: &[u8], boundary: &str) -> Result<Parts, WebError> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or_else(malformed)? + delimiter.len();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    loop {
        match body.get(at..at + 2) {
            Some(b"--") => break,
            Some(b"\r\n") => at += 2,
            _ => return Err(malformed()),
        }
        let head_end = find(body, b"\r\n\r\n", at).ok_or_else(malformed)?;
        let head = std::str::from_utf8(&body[at..head_end]).map_err(|_| malformed())?;
        let disposition = head
            .split("\r\n")
            .find_map(|line| {
                let (k, v) = line.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(v)
            })
            .ok_or_else(malformed)?;
        let name = parameter(disposition, "name").ok_or_else(malformed)?;
        let is_file = parameter(disposition, "filename").is_some();
        let start = head_end + 4;
        let end = find(body, next_delimiter.as_bytes(), start).ok_or_else(malformed)?;
        let data = &body[start..end];
        at = end + next_delimiter.len();
        if fields.iter().any(|(n, _)| *n == name) || files.iter().any(|f: &FilePart| f.name == name)
        {
            return Err(WebError::bad_request_with(Text {
                de: format!("Das Feld „{name}“ wurde mehrfach gesendet."),
                en: format!("The field “{name}” was sent more than once."),
            }));
        }
        if is_file {
            files.push(FilePart {
                name,
                data: data.to_vec(),
            });
        } else {
            let value = String::from_utf8(data.to_vec()).map_err(|_| {
                WebError::bad_request_with(Text {
                    de: "Die Formulardaten sind kein gültiges UTF-8.".into(),
                    en: "The form data is not valid UTF-8.".into(),
                })
            })?;
            fields.push((name, value));
        }
    }
    Ok((fields, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_split_and_broken_bodies_refused() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        let body = b"--abc\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nt0k\r\n--abc\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--ab\r\n--abc--\r\n";
        let (fields, files) = parse(body, "abc").unwrap();
        assert_eq!(fields, vec![("csrf_token".into(), "t0k".into())]);
        assert_eq!(files[0].name, "logo");
        assert_eq!(files[0].data, b"\x89PNG\r\n--ab");
        assert!(parse(&body[..body.len() - 12], "abc").is_err());
        assert!(parse(b"no delimiter", "abc").is_err());
        let twice = b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--x--";
        assert!(parse(twice, "x").unwrap_err().message().en.contains("“a”"));
    }
}
