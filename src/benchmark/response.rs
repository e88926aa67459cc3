//! What one submitted response contributes to the aggregates.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{LazyLock, PoisonError, RwLock};

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::BenchmarkError;
use super::{LEVELS, MAX_DIMENSIONS, MAX_SCORE};

/// Longest red-flag id accepted; ids are catalogue keys, so anything longer is a bug or abuse.
pub const MAX_RED_FLAG_ID_LEN: usize = 64;

/// The part of a response that enters cohort statistics, validated once on construction.
///
/// Fields are private so an invalid summary (score 120, level 0) can never reach an aggregate,
/// whose histograms index by score and level.
///
/// Compact (issue 17): a 50,000-participant dashboard keeps one summary per participant, and as
/// two `Vec`s and a `BTreeSet<String>` each summary cost about half a kilobyte of heap in five
/// or more allocations. Now the dimension scores and levels sit in place in one small array, and
/// the red flags are indices into the process-wide list of red-flag ids ([`flag_id`]): 56 bytes,
/// no allocation for up to 11 dimensions and 10 red flags. Order, equality, hash, `Debug` and
/// serde form are those of the former fields.
#[derive(Clone)]
pub struct ResponseSummary {
    overall_score: u8,
    overall_level: u8,
    /// Dimension scores, then as many dimension levels.
    dimensions: Compact<u8, 22>,
    /// Interned red-flag ids, in the order of their text.
    red_flags: Compact<u16, 10>,
}

impl ResponseSummary {
    /// Validates and builds a summary.
    ///
    /// Scores must be 0..=100, levels 1..=5, one score and one level per dimension (in the
    /// catalogue's fixed order), and red-flag ids non-empty catalogue keys.
    pub fn new(
        overall_score: u8,
        overall_level: u8,
        dimension_scores: Vec<u8>,
        dimension_levels: Vec<u8>,
        red_flags: impl IntoIterator<Item = String>,
    ) -> Result<Self, BenchmarkError> {
        check_score(overall_score)?;
        check_level(overall_level)?;
        let dimensions = dimension_scores.len();
        if dimensions == 0 || dimensions > MAX_DIMENSIONS {
            return Err(BenchmarkError::InvalidDimensionCount(dimensions));
        }
        if dimension_levels.len() != dimensions {
            return Err(BenchmarkError::DimensionCountMismatch {
                expected: dimensions,
                actual: dimension_levels.len(),
            });
        }
        dimension_scores.iter().try_for_each(|&s| check_score(s))?;
        dimension_levels.iter().try_for_each(|&l| check_level(l))?;
        let red_flags: BTreeSet<String> = red_flags.into_iter().collect();
        red_flags.iter().try_for_each(|id| check_red_flag_id(id))?;
        // Interned in the order of their text, so iteration stays the `BTreeSet`'s.
        let red_flags = red_flags
            .iter()
            .map(|id| intern_flag(id))
            .collect::<Result<Vec<u16>, _>>()?;
        let mut both = dimension_scores;
        both.extend_from_slice(&dimension_levels);
        Ok(Self {
            overall_score,
            overall_level,
            dimensions: Compact::new(both),
            red_flags: Compact::new(red_flags),
        })
    }

    /// Overall score, 0..=100.
    pub fn overall_score(&self) -> u8 {
        self.overall_score
    }

    /// Overall level, 1..=5.
    pub fn overall_level(&self) -> u8 {
        self.overall_level
    }

    /// Scores per dimension, catalogue order, each 0..=100.
    pub fn dimension_scores(&self) -> &[u8] {
        let both = self.dimensions.as_slice();
        both.get(..both.len() / 2).unwrap_or_default()
    }

    /// Levels per dimension, catalogue order, each 1..=5.
    pub fn dimension_levels(&self) -> &[u8] {
        let both = self.dimensions.as_slice();
        both.get(both.len() / 2..).unwrap_or_default()
    }

    /// Red flags raised by this response, in the order of their ids.
    pub fn red_flags(&self) -> RedFlags<'_> {
        RedFlags(self.red_flags.as_slice())
    }

    /// Number of dimensions.
    pub fn dimension_count(&self) -> usize {
        self.dimensions.as_slice().len() / 2
    }

    /// What order, equality and hash look at: the former fields, in their order.
    fn key(&self) -> (u8, u8, &[u8], &[u8], RedFlags<'_>) {
        (
            self.overall_score,
            self.overall_level,
            self.dimension_scores(),
            self.dimension_levels(),
            self.red_flags(),
        )
    }
}

impl PartialEq for ResponseSummary {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for ResponseSummary {}

impl PartialOrd for ResponseSummary {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResponseSummary {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl std::hash::Hash for ResponseSummary {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Debug for ResponseSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseSummary")
            .field("overall_score", &self.overall_score)
            .field("overall_level", &self.overall_level)
            .field("dimension_scores", &self.dimension_scores())
            .field("dimension_levels", &self.dimension_levels())
            .field("red_flags", &self.red_flags())
            .finish()
    }
}

impl Serialize for ResponseSummary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The field names and order of the former derive: stored summaries read back the same.
        let mut s = serializer.serialize_struct("ResponseSummary", 5)?;
        s.serialize_field("overall_score", &self.overall_score)?;
        s.serialize_field("overall_level", &self.overall_level)?;
        s.serialize_field("dimension_scores", self.dimension_scores())?;
        s.serialize_field("dimension_levels", self.dimension_levels())?;
        s.serialize_field("red_flags", &self.red_flags())?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for ResponseSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SummaryRepr::deserialize(deserializer)
            .and_then(|r| Self::try_from(r).map_err(serde::de::Error::custom))
    }
}

/// The red flags of one summary: ids in the order of their text, as a `BTreeSet<String>` had them.
#[derive(Clone, Copy)]
pub struct RedFlags<'a>(&'a [u16]);

impl<'a> RedFlags<'a> {
    /// The ids, in order.
    pub fn iter(self) -> impl Iterator<Item = &'static str> + 'a {
        self.into_iter()
    }

    /// How many.
    pub fn len(self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// Whether `id` is among them.
    pub fn contains(self, id: &str) -> bool {
        self.iter().any(|x| x == id)
    }
}

impl<'a> IntoIterator for RedFlags<'a> {
    type Item = &'static str;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, u16>, fn(&u16) -> &'static str>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|&i| flag_id(i))
    }
}

impl PartialEq for RedFlags<'_> {
    fn eq(&self, other: &Self) -> bool {
        // One index per id, so equal ids are equal indices.
        self.0 == other.0
    }
}

impl Eq for RedFlags<'_> {}

impl PartialOrd for RedFlags<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RedFlags<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.iter().cmp(other.iter())
    }
}

impl std::hash::Hash for RedFlags<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        self.iter().for_each(|id| id.hash(state));
    }
}

impl fmt::Debug for RedFlags<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for RedFlags<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Up to `N` items in place, more on the heap; an empty tail of the array is always zero.
#[derive(Clone)]
enum Compact<T, const N: usize> {
    Inline { len: u8, items: [T; N] },
    Heap(Box<[T]>),
}

impl<T: Copy + Default, const N: usize> Compact<T, N> {
    fn new(items: Vec<T>) -> Self {
        let mut place = [T::default(); N];
        match (u8::try_from(items.len()), place.get_mut(..items.len())) {
            (Ok(len), Some(head)) => {
                head.copy_from_slice(&items);
                Self::Inline { len, items: place }
            }
            _ => Self::Heap(items.into_boxed_slice()),
        }
    }

    fn as_slice(&self) -> &[T] {
        match self {
            Self::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(items) => items,
        }
    }
}

/// Every red-flag id the process has seen, each once; a summary keeps indices into it.
///
/// Why a process-wide list and not the catalogue's: summaries are made from stored data
/// without a catalogue at hand, and ids of older catalogue versions must stay readable. The
/// ids are catalogue keys computed by scoring (never typed by a client), so the list stays
/// as small as the catalogues; each id is leaked once and lives as long as the process.
struct FlagTable {
    ids: Vec<&'static str>,
    index: HashMap<&'static str, u16>,
}

static FLAG_TABLE: LazyLock<RwLock<FlagTable>> = LazyLock::new(|| {
    RwLock::new(FlagTable {
        ids: Vec::new(),
        index: HashMap::new(),
    })
});

fn intern_flag(id: &str) -> Result<u16, BenchmarkError> {
    if let Some(&i) = FLAG_TABLE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .index
        .get(id)
    {
        return Ok(i);
    }
    let mut table = FLAG_TABLE.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(&i) = table.index.get(id) {
        return Ok(i);
    }
    // More distinct ids than any catalogue has is a bug or abuse, as an overlong id is.
    let i = u16::try_from(table.ids.len())
        .map_err(|_| BenchmarkError::InvalidRedFlagId(id.to_owned()))?;
    let id: &'static str = Box::leak(id.to_owned().into_boxed_str());
    table.ids.push(id);
    table.index.insert(id, i);
    Ok(i)
}

/// The red-flag id of an index [`intern_flag`] gave.
fn flag_id(i: u16) -> &'static str {
    FLAG_TABLE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .ids
        .get(usize::from(i))
        .copied()
        .unwrap_or_default()
}

/// Deserialization goes through [`ResponseSummary::new`] so stored data is validated too.
#[derive(Deserialize)]
struct SummaryRepr {
    overall_score: u8,
    overall_level: u8,
    dimension_scores: Vec<u8>,
    dimension_levels: Vec<u8>,
    #[serde(default)]
    red_flags: BTreeSet<String>,
}

impl TryFrom<SummaryRepr> for ResponseSummary {
    type Error = BenchmarkError;

    fn try_from(r: SummaryRepr) -> Result<Self, Self::Error> {
        ResponseSummary::new(
            r.overall_score,
            r.overall_level,
            r.dimension_scores,
            r.dimension_levels,
            r.red_flags,
        )
    }
}

pub(crate) fn check_score(value: u8) -> Result<(), BenchmarkError> {
    if value <= MAX_SCORE {
        Ok(())
    } else {
        Err(BenchmarkError::ScoreOutOfRange { value })
    }
}

pub(crate) fn check_level(value: u8) -> Result<(), BenchmarkError> {
    if (1..=LEVELS as u8).contains(&value) {
        Ok(())
    } else {
        Err(BenchmarkError::LevelOutOfRange { value })
    }
}

pub(crate) fn check_red_flag_id(id: &str) -> Result<(), BenchmarkError> {
    if id.is_empty() || id.len() > MAX_RED_FLAG_ID_LEN || id.chars().any(char::is_control) {
        Err(BenchmarkError::InvalidRedFlagId(id.to_owned()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn accepts_valid_and_refuses_invalid_summaries() {
        assert!(ResponseSummary::new(100, 5, vec![0, 100], vec![1, 5], flags(&["x"])).is_ok());
        assert_eq!(
            ResponseSummary::new(101, 5, vec![0], vec![1], flags(&[])),
            Err(BenchmarkError::ScoreOutOfRange { value: 101 })
        );
        assert_eq!(
            ResponseSummary::new(50, 0, vec![0], vec![1], flags(&[])),
            Err(BenchmarkError::LevelOutOfRange { value: 0 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 200], vec![1, 1], flags(&[])),
            Err(BenchmarkError::ScoreOutOfRange { value: 200 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 20], vec![1, 6], flags(&[])),
            Err(BenchmarkError::LevelOutOfRange { value: 6 })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![0, 20], vec![1], flags(&[])),
            Err(BenchmarkError::DimensionCountMismatch {
                expected: 2,
                actual: 1
            })
        );
        assert_eq!(
            ResponseSummary::new(50, 3, vec![], vec![], flags(&[])),
            Err(BenchmarkError::InvalidDimensionCount(0))
        );
        assert!(matches!(
            ResponseSummary::new(50, 3, vec![1], vec![1], flags(&[""])),
            Err(BenchmarkError::InvalidRedFlagId(_))
        ));
        assert!(matches!(
            ResponseSummary::new(50, 3, vec![1], vec![1], flags(&["a\nb"])),
            Err(BenchmarkError::InvalidRedFlagId(_))
        ));
    }

    #[test]
    fn a_summary_is_small_and_keeps_its_former_order_and_form() -> Result<(), BenchmarkError> {
        // No heap for a usual summary (issue 17): dimensions and flags in place.
        assert_eq!(std::mem::size_of::<ResponseSummary>(), 56);
        // Ids interned in reverse order still iterate in the order of their text.
        let late = ResponseSummary::new(50, 3, vec![1], vec![2], flags(&["zz_mem17_b"]))?;
        let s = ResponseSummary::new(
            50,
            3,
            vec![10, 20],
            vec![1, 2],
            flags(&["zz_mem17_b", "aa_mem17_a"]),
        )?;
        assert!(matches!(s.dimensions, Compact::Inline { len: 4, .. }));
        assert!(matches!(s.red_flags, Compact::Inline { len: 2, .. }));
        assert_eq!(
            s.red_flags().iter().collect::<Vec<_>>(),
            ["aa_mem17_a", "zz_mem17_b"]
        );
        assert!(s.red_flags().contains("zz_mem17_b") && !s.red_flags().contains("zz"));
        assert_eq!(s.dimension_scores(), [10, 20]);
        assert_eq!(s.dimension_levels(), [1, 2]);
        assert_eq!(s.dimension_count(), 2);
        let json = serde_json::to_string(&s).map_err(|_| BenchmarkError::Corrupt("json"))?;
        assert_eq!(
            json,
            r#"{"overall_score":50,"overall_level":3,"dimension_scores":[10,20],"dimension_levels":[1,2],"red_flags":["aa_mem17_a","zz_mem17_b"]}"#
        );
        let back: ResponseSummary =
            serde_json::from_str(&json).map_err(|_| BenchmarkError::Corrupt("json"))?;
        assert_eq!(back, s);
        assert_eq!(
            format!("{s:?}"),
            r#"ResponseSummary { overall_score: 50, overall_level: 3, dimension_scores: [10, 20], dimension_levels: [1, 2], red_flags: {"aa_mem17_a", "zz_mem17_b"} }"#
        );
        // Ordered as the former fields: scores before levels, flags by their text.
        assert!(late < s);
        let a = ResponseSummary::new(50, 3, vec![1], vec![1], flags(&["zz_mem17_b"]))?;
        let b = ResponseSummary::new(
            50,
            3,
            vec![1],
            vec![1],
            flags(&["aa_mem17_a", "zz_mem17_b"]),
        )?;
        assert!(b < a);
        // Many dimensions and flags go to the heap and read back the same.
        let many: Vec<String> = (0..12).map(|i| format!("mem17_{i:02}")).collect();
        let big = ResponseSummary::new(9, 1, vec![7; 30], vec![4; 30], many.clone())?;
        assert!(matches!(big.dimensions, Compact::Heap(_)));
        assert!(matches!(big.red_flags, Compact::Heap(_)));
        assert_eq!(big.dimension_scores(), [7; 30]);
        assert_eq!(big.dimension_levels(), [4; 30]);
        assert_eq!(big.red_flags().iter().collect::<Vec<_>>(), many);
        Ok(())
    }

    #[test]
    fn duplicate_red_flags_count_once() {
        let s = ResponseSummary::new(50, 3, vec![1], vec![1], flags(&["x", "x", "y"]));
        assert_eq!(s.map(|s| s.red_flags().len()), Ok(2));
    }
}
