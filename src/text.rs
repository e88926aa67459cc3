//! Free text as people type it (firm names, contacts, campaign names): one normal form, so the
//! same name typed on two keyboards stores and compares equal, and no name a reader cannot see.
//! Pure: no web or database types.
use unicode_normalization::UnicodeNormalization;

/// Why a line of text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// Longer than the field allows (in characters, after normalisation).
    TooLong,
    /// Contains control characters (NUL, line breaks, escape sequences …).
    Control,
    /// Something was typed, but nothing visible: only spaces, zero-width or other invisible
    /// characters. Stored, it would be a name nobody can read or find again.
    Invisible,
}

/// Characters that take no room on the page: zero-width spaces and joiners, direction marks,
/// word joiners, the byte order mark, soft hyphens, fillers and tag characters. Together with
/// white space they cannot make up a name on their own.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// One line of optional free text: NFC-normalised and trimmed. `Ok(None)` when nothing was
/// typed at all; refused when it is too long, holds control characters, or is not empty but
/// shows nothing.
pub fn optional_line(raw: Option<&str>, max_chars: usize) -> Result<Option<String>, LineProblem> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let line: String = raw.nfc().collect();
    let line = line.trim();
    if line.chars().any(char::is_control) {
        return Err(LineProblem::Control);
    }
    if line.is_empty() {
        // Only ordinary white space: as good as not typed.
        return Ok(None);
    }
    if line.chars().all(is_invisible) {
        return Err(LineProblem::Invisible);
    }
    if line.chars().count() > max_chars {
        return Err(LineProblem::TooLong);
    }
    Ok(Some(line.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_nfc_and_trimmed() {
        // "Müller" with a combining diaeresis becomes the precomposed form.
        let decomposed = " Mu\u{0308}ller GmbH ";
        assert_eq!(
            optional_line(Some(decomposed), 200),
            Ok(Some("Müller GmbH".to_owned()))
        );
        assert_eq!(optional_line(None, 200), Ok(None));
        assert_eq!(optional_line(Some("   "), 200), Ok(None));
    }

    #[test]
    fn invisible_names_are_refused_and_joined_emoji_are_not() {
        for raw in [
            "\u{200B}",
            "\u{200B}\u{200D}\u{FEFF}",
            " \u{2060} ",
            "\u{00AD}",
        ] {
            assert_eq!(
                optional_line(Some(raw), 200),
                Err(LineProblem::Invisible),
                "{raw:?}"
            );
        }
        // A zero-width joiner inside a visible name is part of it (emoji, some scripts).
        let family = "Café 👨\u{200D}👩\u{200D}👧";
        assert_eq!(
            optional_line(Some(family), 200),
            Ok(Some(family.to_owned()))
        );
    }

    #[test]
    fn control_characters_and_length_are_refused() {
        assert_eq!(
            optional_line(Some("a\u{0}b"), 200),
            Err(LineProblem::Control)
        );
        assert_eq!(optional_line(Some("a\nb"), 200), Err(LineProblem::Control));
        assert_eq!(optional_line(Some("abcd"), 3), Err(LineProblem::TooLong));
        // The length counts characters after composition: 3 composed characters fit in 3.
        assert_eq!(
            optional_line(Some("a\u{0308}o\u{0308}u\u{0308}"), 3),
            Ok(Some("äöü".to_owned()))
        );
    }
}
