//! The texts of the pages, the API and the documents, in German and English
//! (`src/web/texts.json`; the questionnaire's own texts live in the catalogue).
use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::survey::{Lang, Text};

static TEXTS: LazyLock<(BTreeMap<String, String>, BTreeMap<String, String>)> =
    LazyLock::new(|| {
        let all: BTreeMap<String, Text> = serde_json::from_str(include_str!("../web/texts.json"))
            .unwrap_or_else(|e| {
                panic!("src/web/texts.json is invalid (a unit test checks it): {e}")
            });
        let de = all.iter().map(|(k, t)| (k.clone(), t.de.clone())).collect();
        let en = all.iter().map(|(k, t)| (k.clone(), t.en.clone())).collect();
        (de, en)
    });

/// All page texts in one language, handed to every template as `t`.
pub fn texts(lang: Lang) -> &'static BTreeMap<String, String> {
    match lang {
        Lang::De => &TEXTS.0,
        Lang::En => &TEXTS.1,
    }
}

/// The owner's result texts as the consultant reads them about a client: every text with a
/// `consultant_voice_<key>` variant takes it ("Was Ihr Mandant zuerst tun sollte" instead of
/// "Was Sie zuerst tun sollten"); the rest is shared.
static CONSULTANT_TEXTS: LazyLock<(BTreeMap<String, String>, BTreeMap<String, String>)> =
    LazyLock::new(|| {
        let voice = |base: &BTreeMap<String, String>| {
            let mut texts = base.clone();
            for (key, value) in base {
                if let Some(owner_key) = key.strip_prefix("consultant_voice_") {
                    texts.insert(owner_key.to_owned(), value.clone());
                }
            }
            texts
        };
        (voice(&TEXTS.0), voice(&TEXTS.1))
    });

/// The page texts of the consultant's view of a client's result (see [`CONSULTANT_TEXTS`]).
pub fn consultant_texts(lang: Lang) -> &'static BTreeMap<String, String> {
    match lang {
        Lang::De => &CONSULTANT_TEXTS.0,
        Lang::En => &CONSULTANT_TEXTS.1,
    }
}

/// One text; a missing key shows itself rather than crashing a page.
pub fn text(lang: Lang, key: &str) -> String {
    texts(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}
