//! Private response tokens: 256 random bits from the operating system's CSPRNG, shown to the owner
//! once as a capability URL. Only their SHA-256 is stored.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;
/// Length of the base64url form of [`TOKEN_BYTES`] bytes.
const TOKEN_CHARS: usize = 43;

#[derive(Clone, PartialEq, Eq)]
pub struct ResponseToken {
    bytes: [u8; TOKEN_BYTES],
}

/// Never print a token (logs, panics): it is the key to a firm's answers.
impl std::fmt::Debug for ResponseToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseToken(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessError(String);

impl ResponseToken {
    pub fn generate() -> Result<ResponseToken, RandomnessError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| RandomnessError(e.to_string()))?;
        Ok(ResponseToken { bytes })
    }

    /// Parses the URL form; anything else is simply not a token.
    pub fn parse(s: &str) -> Option<ResponseToken> {
        if s.len() != TOKEN_CHARS {
            return None;
        }
        let decoded = URL_SAFE_NO_PAD.decode(s).ok()?;
        let bytes: [u8; TOKEN_BYTES] = decoded.try_into().ok()?;
        Some(ResponseToken { bytes })
    }

    pub fn as_url_part(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes)
    }

    /// What the database stores and looks up.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.bytes))
    }

    /// Seals the token under an idempotency key: XOR with a pad derived from the key, so the
    /// stored value is useless to anyone who does not hold the key.
    pub fn seal(&self, idempotency_key: &str) -> String {
        let pad = Sha256::digest(format!("idempotency-pad:{idempotency_key}"));
        let sealed: Vec<u8> = self
            .bytes
            .iter()
            .zip(pad.iter())
            .map(|(a, b)| a ^ b)
            .collect();
        hex(&sealed)
    }

    pub fn unseal(sealed: &str, idempotency_key: &str) -> Option<ResponseToken> {
        let sealed = unhex(sealed)?;
        let pad = Sha256::digest(format!("idempotency-pad:{idempotency_key}"));
        let bytes: Vec<u8> = sealed.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
        Some(ResponseToken {
            bytes: bytes.try_into().ok()?,
        })
    }
}

/// The look-up hash of an idempotency key (the key itself is not stored).
pub fn idempotency_key_hash(key: &str) -> String {
    hex(&Sha256::digest(format!("idempotency-key:{key}")))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex, two digits a byte. By table rather than `write!("{b:02x}")`: the formatting
/// machinery was 8,000 instructions per token hash, 2.6 % of a kept result page (issue 17).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(hex(&[]), "");
        let all: Vec<u8> = (0..=255).collect();
        let formatted: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), formatted);
        assert_eq!(unhex(&hex(&all)), Some(all));
    }

    #[test]
    fn tokens_are_random_and_round_trip() {
        let a = ResponseToken::generate().expect("randomness");
        let b = ResponseToken::generate().expect("randomness");
        assert_ne!(a, b);
        let url = a.as_url_part();
        assert_eq!(url.len(), TOKEN_CHARS);
        assert_eq!(ResponseToken::parse(&url), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert!(!a.hash().contains(&url));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(ResponseToken::parse("").is_none());
        assert!(ResponseToken::parse("abc").is_none());
        assert!(ResponseToken::parse(&"!".repeat(TOKEN_CHARS)).is_none());
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key() {
        let token = ResponseToken::generate().expect("randomness");
        let sealed = token.seal("key-1");
        assert_eq!(ResponseToken::unseal(&sealed, "key-1"), Some(token.clone()));
        assert_ne!(ResponseToken::unseal(&sealed, "key-2"), Some(token));
    }
}
