//! Accounts, pure: roles, e-mail addresses, the password policy and argon2id hashes.
//! No web or database types; the `auth` service puts these to work.
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::TryRng;
use rand::rngs::SysRng;

use crate::survey::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Consultant,
    Chamber,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Consultant => "consultant",
            Role::Chamber => "chamber",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "consultant" => Some(Role::Consultant),
            "chamber" => Some(Role::Chamber),
            _ => None,
        }
    }

    /// Where a user of this role lands after login.
    pub fn home(self) -> &'static str {
        match self {
            Role::Admin => "/admin/users",
            Role::Consultant => "/consultant",
            Role::Chamber => "/chamber",
        }
    }
}

/// A normalised e-mail address (trimmed, lower case): the login name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Positive validation to a sane grammar: NFC, trimmed, lower case, at most 254 characters
    /// (RFC 5321); a local part of letters, digits and RFC 5322 `atext` signs with single inner
    /// dots; a domain of at least two labels of letters, digits and inner hyphens (letters may be
    /// non-ASCII, as in internationalised domains). No quoted local parts, comments or address
    /// literals: nobody types them into a login form, and `<b>@x.de` is not an address.
    pub fn parse(raw: &str) -> Result<Email, Text> {
        use unicode_normalization::UnicodeNormalization;
        let email: String = raw.trim().nfc().collect::<String>().to_lowercase();
        let invalid = || Text {
            de: "Bitte geben Sie eine gültige E-Mail-Adresse ein.".into(),
            en: "Please enter a valid e-mail address.".into(),
        };
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let atext = |c: char| {
            c.is_alphanumeric() || (c.is_ascii_punctuation() && "!#$%&'*+/=?^_`{|}~-".contains(c))
        };
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && local
                .split('.')
                .all(|part| !part.is_empty() && part.chars().all(atext));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.chars().count() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
            });
        let ok = local_ok && domain_ok && email.chars().count() <= 254;
        if ok { Ok(Email(email)) } else { Err(invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Passwords every list of leaked passwords starts with; refused outright (ASVS 6.2.4).
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "qwertyuiopas",
    "qwertzuiopü+",
    "passwort1234",
    "password1234",
    "password12345",
    "password123!",
    "passwort123!",
    "hallo1234567",
    "letmein12345",
    "iloveyou1234",
    "administrator",
    "adminadmin123",
    "welcome12345",
    "willkommen123",
    "qwerty123456",
    "abc123456789",
    "000000000000",
    "111111111111",
    "aaaaaaaaaaaa",
    "sommer2026!!",
    "winter2026!!",
    "changeme1234",
];

/// The password policy (ASVS 6.2): 12 to 128 characters, not a well-known password, not the
/// e-mail address. Long passphrases are welcome; no composition rules.
pub fn check_password(password: &str, email: &Email) -> Result<(), Text> {
    // NUL and other control characters: invisible, untypable on most keyboards, and cut off
    // by some tools that pass passwords along as C strings.
    if password.chars().any(char::is_control) {
        return Err(Text {
            de: "Das Passwort darf keine Steuerzeichen enthalten (z. B. Zeilenumbruch oder Tabulator)."
                .into(),
            en: "The password must not contain control characters (such as line breaks or tabs)."
                .into(),
        });
    }
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(Text {
            de: format!("Das Passwort muss mindestens {PASSWORD_MIN_CHARS} Zeichen lang sein."),
            en: format!("The password must be at least {PASSWORD_MIN_CHARS} characters long."),
        });
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(Text {
            de: format!("Das Passwort darf höchstens {PASSWORD_MAX_CHARS} Zeichen lang sein."),
            en: format!("The password may be at most {PASSWORD_MAX_CHARS} characters long."),
        });
    }
    let lower = password.to_lowercase();
    let local_part = email.as_str().split('@').next().unwrap_or_default();
    let all_same = password.chars().all(|c| password.starts_with(c));
    // Each refusal names its rule, so the user knows what to change.
    let refused = |de: &str, en: &str| {
        Err(Text {
            de: format!("{de} Bitte wählen Sie ein anderes Passwort."),
            en: format!("{en} Please choose another password."),
        })
    };
    if all_same {
        return refused(
            "Das Passwort besteht nur aus einem wiederholten Zeichen.",
            "The password is one character repeated.",
        );
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return refused(
            "Das Passwort steht auf der Liste der häufigsten Passwörter.",
            "The password is on the list of the most common passwords.",
        );
    }
    if lower == email.as_str() || (local_part.len() >= 4 && lower.contains(local_part)) {
        return refused(
            "Das Passwort enthält Ihre E-Mail-Adresse oder deren Namensteil.",
            "The password contains your e-mail address or its name part.",
        );
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// An argon2id hash with OWASP's parameters (m = 19 MiB, t = 2, p = 1) and a 128-bit random salt,
/// as a PHC string. CPU-heavy (tens of milliseconds): call it off the async workers.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    SysRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| HashError::Randomness(e.to_string()))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash to verify against when the e-mail address is unknown, so that an unknown user and a
/// wrong password cost the same time (ASVS 6.3.8).
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash_password("not a password of anyone, only for equal timing")
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$invalid"))
    });
    DUMMY.as_str()
}

/// A password for a new account made in the admin's web UI: 20 characters from an alphabet
/// without look-alikes (about 112 bits), shown once to the admin to pass on.
pub fn generate_password() -> Result<String, HashError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| HashError::Randomness(e.to_string()))?;
    // 256 % 56 != 0: the first 32 letters are a little likelier; still > 110 bits.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("Anna.Berater@Example.de ").expect("valid")
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(email().as_str(), "anna.berater@example.de");
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.de",
            "anna@example",
            "an na@example.de",
            "a@b@c.de",
            // Issue 15: markup, quotes, dots and hyphens in the wrong places.
            "<b>@x.de",
            "anna@<x>.de",
            "\"anna\"@example.de",
            ".anna@example.de",
            "an..na@example.de",
            "anna.@example.de",
            "anna@-example.de",
            "anna@example-.de",
            "anna@example..de",
            "anna@example.d",
            "anna@127.0.0.1",
            "anna@[127.0.0.1]",
            "anna(comment)@example.de",
            "anna\u{0}@example.de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "a.b-c+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "info@müller-bäckerei.de",
            "x_y@a-b.de",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?} refused");
        }
        // NFC: a decomposed umlaut is the same address as the composed one.
        assert_eq!(
            Email::parse("info@mu\u{0308}ller.de").map(|e| e.as_str().to_owned()),
            Ok("info@müller.de".to_owned())
        );
    }

    #[test]
    fn control_characters_are_refused_in_passwords() {
        for bad in [
            "a long passphrase\u{0}tail",
            "a long passphrase\nsecond line",
            "a long\tpassphrase here",
            "a long passphrase \u{1b}[0m",
        ] {
            let why = check_password(bad, &email()).expect_err("refused").en;
            assert!(why.contains("control characters"), "{bad:?}: {why}");
        }
        assert!(check_password("a long passphrase with spaces", &email()).is_ok());
    }

    #[test]
    fn the_password_policy_refuses_short_common_and_personal_passwords() {
        let why = |p: &str| check_password(p, &email()).expect_err("refused").en;
        assert!(why("kurz").contains("at least 12 characters"));
        assert!(why("Password1234").contains("most common passwords"));
        assert!(why("zzzzzzzzzzzzzzzz").contains("one character repeated"));
        assert!(why("anna.berater-2026").contains("e-mail address"));
        assert!(check_password(&"x".repeat(129), &email()).is_err());
        assert!(check_password("korrekt Pferd Batterie Heftklammer", &email()).is_ok());
        assert!(check_password(&"ab".repeat(64), &email()).is_ok());
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let first = hash_password("a long passphrase for tests").expect("hash");
        let second = hash_password("a long passphrase for tests").expect("hash");
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "salts differ");
        assert!(verify_password("a long passphrase for tests", &first));
        assert!(!verify_password("a long passphrase for test", &first));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let password = generate_password().expect("password");
        assert_eq!(password.chars().count(), 20);
        assert!(check_password(&password, &email()).is_ok());
    }
}
