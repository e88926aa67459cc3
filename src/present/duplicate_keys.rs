//! serde_json keeps the last of two equal keys in an object without a word, so a text added
//! twice to `texts.json` silently replaces the first. This parse says which key came twice,
//! and where, for the tests of every JSON file the service embeds.
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The keys that stand more than once in one object, each as `path.key`.
pub fn duplicate_keys(json: &str) -> Result<Vec<String>, serde_json::Error> {
    let mut found = Vec::new();
    let mut de = serde_json::Deserializer::from_str(json);
    Checked {
        path: "$",
        found: &mut found,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// One JSON value at `path`, read only to look at its objects' keys.
struct Checked<'a> {
    path: &'a str,
    found: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let path = format!("{}[{index}]", self.path);
            let seed = Checked {
                path: &path,
                found: &mut *self.found,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}.{key}", self.path);
            if !seen.insert(key) {
                self.found.push(path.clone());
            }
            map.next_value_seed(Checked {
                path: &path,
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::duplicate_keys;

    #[test]
    fn a_key_given_twice_is_found_with_its_path() {
        let json = r#"{"a": {"x": 1, "y": [{"k": 1, "k": 2}], "x": 3}, "b": "a", "a": null}"#;
        assert_eq!(
            duplicate_keys(json).expect("parses"),
            vec!["$.a.y[0].k", "$.a.x", "$.a"]
        );
        assert_eq!(
            duplicate_keys(r#"{"a": 1, "b": {"a": 2}}"#).expect("parses"),
            Vec::<String>::new(),
            "the same key in two objects is no duplicate"
        );
        assert!(
            duplicate_keys(r#"{"a": 1"#).is_err(),
            "broken JSON is an error"
        );
        assert!(
            duplicate_keys(r#"{"a": 1} {}"#).is_err(),
            "trailing data too"
        );
    }

    /// Every JSON file the service embeds: a text, a label, a question or an API field given
    /// twice would silently lose its first version.
    #[test]
    fn the_embedded_json_files_have_no_duplicate_keys() {
        for (name, json) in [
            ("web/texts.json", include_str!("../web/texts.json")),
            (
                "web/report_labels.json",
                include_str!("../web/report_labels.json"),
            ),
            ("web/openapi.json", include_str!("../web/openapi.json")),
            ("survey/catalogue.json", crate::survey::CATALOGUE_JSON),
            (
                "survey/catalogue_2027_1.json",
                crate::survey::CATALOGUE_2027_1_JSON,
            ),
        ] {
            let duplicates = duplicate_keys(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(duplicates.is_empty(), "{name}: {duplicates:?}");
        }
    }
}
