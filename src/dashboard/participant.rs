//! Who took part in a campaign, as far as the dashboard needs to know.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month as CalendarMonth};

use super::error::DashboardError;
use crate::benchmark::{Profile, ResponseSummary};

/// The text of an opaque id: up to [`INLINE_ID`] bytes in place, longer ones on the heap.
///
/// Why (issue 17): a 50,000-participant publication holds every participant's id several
/// times (snapshot key and value, `since` key) and its campaign's id once per participant; as
/// heap strings those were four small allocations per participant, which made up much of the
/// cached publication and, freed and made again on every refresh, of the fragmented heap. The
/// ids the service issues (`r123456`, a campaign number) always fit in place.
#[derive(Clone)]
enum IdText {
    Inline { len: u8, bytes: [u8; INLINE_ID] },
    Heap(Box<str>),
}

/// Bytes an id keeps in place: with the length and the variant, as large as a `String`.
const INLINE_ID: usize = 22;

impl IdText {
    fn new(text: String) -> Self {
        let mut bytes = [0u8; INLINE_ID];
        match (u8::try_from(text.len()), bytes.get_mut(..text.len())) {
            (Ok(len), Some(place)) => {
                place.copy_from_slice(text.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Heap(text.into_boxed_str()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(text) => text.as_bytes(),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied from a `String` whole, so always UTF-8.
            Self::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Self::Heap(text) => text,
        }
    }
}

// Equality, order and hash of the text (bytewise, as `str` orders), whatever its place.
impl PartialEq for IdText {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IdText {}

impl PartialOrd for IdText {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdText {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for IdText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Declares an opaque string id: no meaning, only equality and order.
macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(IdText);

        impl $name {
            /// Wraps an id issued elsewhere.
            pub fn new(id: impl Into<String>) -> Self {
                Self(IdText::new(id.into()))
            }

            /// The id as given.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // As the former `String` field showed it: `ParticipantId("r1")`.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        // Transparent, as a string.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

opaque_id! {
    /// A participant, opaque: random per campaign participation, never a firm's name or token.
    ParticipantId
}

opaque_id! {
    /// A campaign of one chamber.
    CampaignId
}

/// A calendar month: the finest unit of time the dashboard shows or filters by.
///
/// Days are deliberately not offered: periods one day apart would let a reader subtract a
/// single day's participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// `year · 12 + (month − 1)`, so consecutive months are consecutive numbers.
    index: i32,
}

impl Month {
    /// The month `month` (1..=12) of `year` (1..=9999).
    pub fn new(year: i32, month: u8) -> Result<Self, DashboardError> {
        if (1..=12).contains(&month) && (1..=9999).contains(&year) {
            Ok(Self {
                index: year * 12 + i32::from(month) - 1,
            })
        } else {
            Err(DashboardError::InvalidMonth { year, month })
        }
    }

    /// The month a date falls in.
    pub fn of(date: Date) -> Self {
        Self {
            index: date.year() * 12 + i32::from(u8::from(date.month())) - 1,
        }
    }

    /// Calendar year.
    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// Month of the year, 1..=12.
    pub fn month(self) -> u8 {
        u8::try_from(self.index.rem_euclid(12) + 1).unwrap_or(1)
    }

    pub(crate) fn index(self) -> i32 {
        self.index
    }

    pub(crate) fn from_index(index: i32) -> Self {
        Self { index }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = DashboardError;

    /// Parses `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unparsable = || DashboardError::Unparsable(s.to_owned());
        let (year, month) = s.split_once('-').ok_or_else(unparsable)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(unparsable());
        }
        Month::new(
            year.parse().map_err(|_| unparsable())?,
            month.parse().map_err(|_| unparsable())?,
        )
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What the dashboard knows of one participation: enough for every statistic, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantSummary {
    /// Opaque id, unique within the campaign.
    pub id: ParticipantId,
    /// The campaign the firm took part in.
    pub campaign: CampaignId,
    /// When the response was submitted; only its month is ever used.
    #[serde(with = "iso_date")]
    pub submitted: Date,
    /// Industry, size class and region (fixed code lists).
    pub profile: Profile,
    /// Overall score and level, dimension scores and levels, red flag ids (validated).
    pub response: ResponseSummary,
}

impl ParticipantSummary {
    /// The month of submission.
    pub fn month(&self) -> Month {
        Month::of(self.submitted)
    }
}

/// Dates as `YYYY-MM-DD` (the crate's `time` has no serde feature enabled).
mod iso_date {
    use super::*;

    pub(super) fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Date, D::Error> {
        let s = String::deserialize(deserializer)?;
        parse(&s).ok_or_else(|| serde::de::Error::custom(DashboardError::Unparsable(s)))
    }

    fn parse(s: &str) -> Option<Date> {
        let mut parts = s.splitn(3, '-');
        let year: i32 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
        let month: u8 = parts.next().filter(|m| m.len() == 2)?.parse().ok()?;
        let day: u8 = parts.next().filter(|d| d.len() == 2)?.parse().ok()?;
        Date::from_calendar_date(year, CalendarMonth::try_from(month).ok()?, day).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_on_across_years() -> Result<(), DashboardError> {
        let december = Month::new(2025, 12)?;
        let january = Month::new(2026, 1)?;
        assert_eq!(january.index() - december.index(), 1);
        assert_eq!(january.to_string(), "2026-01");
        assert_eq!("2025-12".parse::<Month>()?, december);
        assert_eq!(Month::from_index(january.index()), january);
        assert!(Month::new(2026, 13).is_err());
        assert!(Month::new(2026, 0).is_err());
        assert!("2026-1".parse::<Month>().is_err());
        assert!("=2026-01".parse::<Month>().is_err());
        Ok(())
    }

    #[test]
    fn an_id_is_its_text_in_place_or_on_the_heap() {
        let long = "p".repeat(INLINE_ID + 1);
        let ids: Vec<ParticipantId> = ["", "r1", "r10", "r2", "ä-22-bytes-in-place-x", &long]
            .iter()
            .map(|s| ParticipantId::new(*s))
            .collect();
        for (id, text) in ids
            .iter()
            .zip(["", "r1", "r10", "r2", "ä-22-bytes-in-place-x"])
        {
            assert!(matches!(id.0, IdText::Inline { .. }), "{text}");
            assert_eq!(id.as_str(), text);
        }
        assert!(matches!(ids[5].0, IdText::Heap(_)));
        assert_eq!(ids[5].as_str(), long);
        // Ordered, compared and hashed as the strings are.
        for a in &ids {
            for b in &ids {
                assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()), "{a} {b}");
                assert_eq!(a == b, a.as_str() == b.as_str());
            }
        }
        let hash = |x: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x(&mut h);
            std::hash::Hasher::finish(&h)
        };
        use std::hash::Hash;
        assert_eq!(hash(&|h| ids[1].hash(h)), hash(&|h| "r1".hash(h)));
        assert_eq!(format!("{:?}", ids[1]), "ParticipantId(\"r1\")");
        assert_eq!(serde_json::to_string(&ids[1]).unwrap(), "\"r1\"");
        let back: ParticipantId = serde_json::from_str(&format!("\"{long}\"")).unwrap();
        assert_eq!(back, ids[5]);
        assert_eq!(
            std::mem::size_of::<ParticipantId>(),
            std::mem::size_of::<String>()
        );
    }

    #[test]
    fn a_participant_summary_is_small() {
        // Kept once per participant by every cached publication (issue 17): ids and the
        // response in place, no heap for the ids the service issues.
        assert_eq!(std::mem::size_of::<ParticipantSummary>(), 112);
    }

    #[test]
    fn a_date_falls_in_its_month() -> Result<(), DashboardError> {
        let date = Date::from_calendar_date(2026, CalendarMonth::March, 31)
            .map_err(|_| DashboardError::Unparsable("date".into()))?;
        assert_eq!(Month::of(date), Month::new(2026, 3)?);
        Ok(())
    }
}
