//! The brand service: a consultant's or chamber's logo and accent colour, and a consultant's
//! cover note per client. Checks live in `brand` (pure); this stores and loads.
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::brand::{Accent, Logo, LogoKind, check_logo, parse_accent};
use crate::db::{BrandRecord, LogoRecord, Store, now_ms};
use crate::responses::ServiceError;
use crate::survey::{FieldError, Text};

/// The longest cover note, in characters.
pub const COVER_NOTE_MAX_CHARS: usize = 600;

/// A stored logo, ready to serve or embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogo {
    pub logo: Logo,
    /// Hex SHA-256 of the file: its name in the URL.
    pub hash: String,
}

impl StoredLogo {
    pub fn url(&self) -> String {
        format!("/brand/logo/{}", self.hash)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Brand {
    pub accent: Option<Accent>,
    pub logo: Option<StoredLogo>,
}

impl Brand {
    pub fn is_empty(&self) -> bool {
        self.accent.is_none() && self.logo.is_none()
    }
}

/// What the brand form asks to change.
#[derive(Debug, Clone, Default)]
pub struct BrandChange<'a> {
    pub accent: Option<&'a str>,
    /// A newly uploaded file (empty when none was chosen).
    pub logo: Option<&'a [u8]>,
    pub remove_logo: bool,
}

fn stored(record: LogoRecord) -> Option<StoredLogo> {
    let kind = LogoKind::from_mime(&record.mime)?;
    let bytes = STANDARD.decode(record.data.as_bytes()).ok()?;
    Some(StoredLogo {
        logo: Logo {
            kind,
            width: u32::try_from(record.width).ok()?,
            height: u32::try_from(record.height).ok()?,
            // A stored JPEG was rebuilt by `check_logo`; parsing it again is cheap.
            components: if kind == LogoKind::Jpeg {
                check_logo(&bytes).ok()?.components
            } else {
                3
            },
            bytes,
        },
        hash: record.hash,
    })
}

fn field_error(field: &str, message: Text) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message,
    }
}

#[derive(Debug, Clone)]
pub struct Brands {
    store: Store,
}

impl Brands {
    pub fn new(store: Store) -> Brands {
        Brands { store }
    }

    pub async fn get(&self, user_id: i64) -> Result<Brand, ServiceError> {
        let Some(record) = self.store.brand(user_id).await? else {
            return Ok(Brand::default());
        };
        Ok(Brand {
            accent: record.accent.as_deref().and_then(Accent::from_hex),
            logo: record.logo.and_then(stored),
        })
    }

    /// A logo by the hash in its URL.
    pub async fn logo(&self, hash: &str) -> Result<Option<StoredLogo>, ServiceError> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        Ok(self.store.logo_by_hash(hash).await?.and_then(stored))
    }

    /// Checks and saves the brand form; field errors name `accent` and `logo`.
    pub async fn save(&self, user_id: i64, change: BrandChange<'_>) -> Result<Brand, ServiceError> {
        let mut errors = Vec::new();
        let accent = match parse_accent(change.accent.unwrap_or_default()) {
            Ok(a) => a,
            Err(message) => {
                errors.push(field_error("accent", message));
                None
            }
        };
        let current = self.get(user_id).await?;
        let logo = match change.logo.filter(|b| !b.is_empty()) {
            Some(raw) => match check_logo(raw) {
                Ok(logo) => Some(StoredLogo {
                    hash: hex(&Sha256::digest(&logo.bytes)),
                    logo,
                }),
                Err(e) => {
                    errors.push(field_error("logo", e.message()));
                    None
                }
            },
            None if change.remove_logo => None,
            None => current.logo,
        };
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let record = BrandRecord {
            accent: accent.map(Accent::hex),
            logo: logo.as_ref().map(|l| LogoRecord {
                data: STANDARD.encode(&l.logo.bytes),
                mime: l.logo.kind.mime().to_owned(),
                width: i64::from(l.logo.width),
                height: i64::from(l.logo.height),
                hash: l.hash.clone(),
            }),
        };
        self.store.save_brand(user_id, &record, now_ms()).await?;
        Ok(Brand { accent, logo })
    }

    pub async fn cover_note(
        &self,
        consultant_id: i64,
        client_id: i64,
    ) -> Result<Option<String>, ServiceError> {
        Ok(self.store.cover_note(consultant_id, client_id).await?)
    }

    /// Saves a client's cover note (empty removes it); `NotFound` for another's client.
    pub async fn save_cover_note(
        &self,
        consultant_id: i64,
        client_id: i64,
        raw: &str,
    ) -> Result<Option<String>, ServiceError> {
        let note = parse_cover_note(raw).map_err(|e| ServiceError::Invalid(vec![e]))?;
        let saved = self
            .store
            .save_cover_note(consultant_id, client_id, note.as_deref(), now_ms())
            .await?;
        if !saved {
            return Err(ServiceError::NotFound);
        }
        Ok(note)
    }
}

/// A cover note: trimmed, line breaks kept as spaces, at most 600 characters.
pub fn parse_cover_note(raw: &str) -> Result<Option<String>, FieldError> {
    let note = raw
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().count() > COVER_NOTE_MAX_CHARS || note.chars().any(char::is_control) {
        return Err(field_error(
            "note",
            Text {
                de: format!(
                    "Die Notiz darf höchstens {COVER_NOTE_MAX_CHARS} Zeichen lang sein (ohne Steuerzeichen)."
                ),
                en: format!(
                    "The note may be at most {COVER_NOTE_MAX_CHARS} characters long (no control characters)."
                ),
            },
        ));
    }
    Ok(Some(note))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_notes_are_one_trimmed_paragraph_of_limited_length() {
        assert_eq!(parse_cover_note("  \n "), Ok(None));
        assert_eq!(
            parse_cover_note(" Liebe Frau Meier,\r\n  hier Ihr Bericht. ").unwrap(),
            Some("Liebe Frau Meier, hier Ihr Bericht.".into())
        );
        let e = parse_cover_note(&"x".repeat(COVER_NOTE_MAX_CHARS + 1)).unwrap_err();
        assert_eq!(e.field, "note");
        assert!(parse_cover_note("a\u{7}b").is_err());
    }
}
