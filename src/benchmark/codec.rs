//! The stored form of a cohort cell: a compact binary encoding instead of a JSON document
//! (issue 17: reading and writing the cells' JSON was about a fifth of a submit's CPU).
//!
//! Every stored cell starts with a format byte, so old forms keep reading: `{` is a JSON
//! document (cells written before this encoding, and the migration that moved them into the
//! binary column), [`FORMAT_V1`] is the encoding below. A merge writes every cell it changes in
//! the newest form, so old cells are rewritten as they are next touched.
//!
//! Format 1, all counts as unsigned LEB128 varints (`v`), scores and levels as single bytes:
//!
//! ```text
//! cell      = 0x01, dimension count (u8), aggregate (live),
//!             0x00 | 0x01 aggregate (published), v pending count, change*
//! aggregate = v n, measure (overall), measure * dimension count, v flag count, (string, v count)*
//! measure   = v bucket count, (score u8, v count)* ascending, v count * 5 (levels 1..=5)
//! change    = 0x00 (added) | 0x01 (removed), overall score u8, overall level u8,
//!             score u8 * dimension count, level u8 * dimension count, v flag count, string*
//! string    = v byte length, UTF-8 bytes
//! ```
//!
//! Decoding builds the same representations the JSON form deserializes into and checks them
//! the same way (counts add up to `n`, live = published + pending, valid summaries), so a
//! damaged cell is refused with a [`BenchmarkError`] whichever form it is in, never misread.
//! Nothing here panics on any input (see the tests).

use std::collections::BTreeMap;

use super::aggregate::{AggregateRepr, CohortAggregate, Measure, MeasureRepr};
use super::disclosure::{CellRepr, PendingChange, PublishedCell};
use super::error::BenchmarkError;
use super::response::ResponseSummary;
use super::{LEVELS, MAX_DIMENSIONS};

/// The binary encoding described in the module notes.
pub const FORMAT_V1: u8 = 1;
/// A stored JSON document (the form before [`FORMAT_V1`]).
const FORMAT_JSON: u8 = b'{';

/// Encodes a cell in the newest stored form.
pub fn encode_cell(cell: &PublishedCell) -> Vec<u8> {
    let (live, published, pending) = cell.parts();
    // Typical cells (8 dimensions, a few dozen distinct scores each) take a few hundred bytes.
    let mut out = Vec::with_capacity(512);
    out.push(FORMAT_V1);
    // At most MAX_DIMENSIONS (64), checked on every construction.
    out.push(u8::try_from(live.dimension_count()).unwrap_or(u8::MAX));
    put_aggregate(&mut out, live);
    match published {
        Some(p) => {
            out.push(1);
            put_aggregate(&mut out, p);
        }
        None => out.push(0),
    }
    put_len(&mut out, pending.len());
    for change in pending {
        let (op, s) = match change {
            PendingChange::Added(s) => (0, s),
            PendingChange::Removed(s) => (1, s),
        };
        out.push(op);
        out.push(s.overall_score());
        out.push(s.overall_level());
        out.extend_from_slice(s.dimension_scores());
        out.extend_from_slice(s.dimension_levels());
        put_len(&mut out, s.red_flags().len());
        for id in s.red_flags() {
            put_str(&mut out, id);
        }
    }
    out
}

/// Reads a stored cell in any of its forms (see the module notes); damaged or unknown bytes are
/// an error.
pub fn decode_cell(stored: &[u8]) -> Result<PublishedCell, BenchmarkError> {
    match stored.first() {
        Some(&FORMAT_V1) => decode_v1(&stored[1..]),
        Some(&FORMAT_JSON) => serde_json::from_slice(stored)
            .map_err(|e| BenchmarkError::UnreadableCell(e.to_string())),
        Some(_) => Err(BenchmarkError::Corrupt("unknown cell format")),
        None => Err(BenchmarkError::Corrupt("empty cell")),
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit set.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    put_varint(out, len as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_measure(out: &mut Vec<u8>, m: &Measure) {
    let buckets = m.scores.iter().filter(|&&c| c > 0).count();
    put_len(out, buckets);
    for (score, &count) in (0u8..).zip(m.scores.iter()) {
        if count > 0 {
            out.push(score);
            put_varint(out, u64::from(count));
        }
    }
    for &count in &m.levels {
        put_varint(out, u64::from(count));
    }
}

fn put_aggregate(out: &mut Vec<u8>, a: &CohortAggregate) {
    put_varint(out, u64::from(a.n()));
    put_measure(out, a.overall());
    for m in a.dimensions() {
        put_measure(out, m);
    }
    put_len(out, a.red_flags().len());
    for (id, &count) in a.red_flags() {
        put_str(out, id);
        put_varint(out, u64::from(count));
    }
}

/// A cursor over the bytes of one stored cell; every read checks the bounds.
struct Reader<'a> {
    bytes: &'a [u8],
}

const TRUNCATED: BenchmarkError = BenchmarkError::Corrupt("cell bytes end early");

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, BenchmarkError> {
        let (&first, rest) = self.bytes.split_first().ok_or(TRUNCATED)?;
        self.bytes = rest;
        Ok(first)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], BenchmarkError> {
        if len > self.bytes.len() {
            return Err(TRUNCATED);
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, BenchmarkError> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(value)
                    .map_err(|_| BenchmarkError::Corrupt("count above u32 in a cell"));
            }
        }
        Err(BenchmarkError::Corrupt("count above u32 in a cell"))
    }

    /// A length of something that follows, each item at least `min_item` bytes: bounded by the
    /// bytes left, so damaged lengths cannot make a huge allocation.
    fn len(&mut self, min_item: usize) -> Result<usize, BenchmarkError> {
        let len = self.u32()? as usize;
        if len.saturating_mul(min_item.max(1)) > self.bytes.len() {
            return Err(TRUNCATED);
        }
        Ok(len)
    }

    fn string(&mut self) -> Result<String, BenchmarkError> {
        let len = self.len(1)?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| BenchmarkError::Corrupt("red-flag id is not UTF-8"))
    }

    fn measure(&mut self) -> Result<MeasureRepr, BenchmarkError> {
        let buckets = self.len(2)?;
        let mut scores = Vec::with_capacity(buckets);
        for _ in 0..buckets {
            scores.push((self.byte()?, self.u32()?));
        }
        let mut levels = [0u32; LEVELS];
        for level in &mut levels {
            *level = self.u32()?;
        }
        Ok(MeasureRepr { scores, levels })
    }

    fn aggregate(&mut self, dimensions: usize) -> Result<CohortAggregate, BenchmarkError> {
        let n = self.u32()?;
        let overall = self.measure()?;
        let dimensions = (0..dimensions)
            .map(|_| self.measure())
            .collect::<Result<Vec<_>, _>>()?;
        let flags = self.len(2)?;
        let mut red_flags = BTreeMap::new();
        for _ in 0..flags {
            let id = self.string()?;
            let count = self.u32()?;
            if red_flags.insert(id, count).is_some() {
                return Err(BenchmarkError::Corrupt("red flag stored twice"));
            }
        }
        CohortAggregate::try_from(AggregateRepr {
            n,
            overall,
            dimensions,
            red_flags,
        })
    }

    fn change(&mut self, dimensions: usize) -> Result<PendingChange, BenchmarkError> {
        let op = self.byte()?;
        let overall_score = self.byte()?;
        let overall_level = self.byte()?;
        let scores = self.take(dimensions)?.to_vec();
        let levels = self.take(dimensions)?.to_vec();
        let flags = self.len(2)?;
        let red_flags = (0..flags)
            .map(|_| self.string())
            .collect::<Result<Vec<_>, _>>()?;
        let summary =
            ResponseSummary::new(overall_score, overall_level, scores, levels, red_flags)?;
        match op {
            0 => Ok(PendingChange::Added(summary)),
            1 => Ok(PendingChange::Removed(summary)),
            _ => Err(BenchmarkError::Corrupt("unknown pending change")),
        }
    }
}

fn decode_v1(bytes: &[u8]) -> Result<PublishedCell, BenchmarkError> {
    let mut r = Reader { bytes };
    let dimensions = usize::from(r.byte()?);
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return Err(BenchmarkError::InvalidDimensionCount(dimensions));
    }
    let live = r.aggregate(dimensions)?;
    let published = match r.byte()? {
        0 => None,
        1 => Some(r.aggregate(dimensions)?),
        _ => return Err(BenchmarkError::Corrupt("unknown published marker")),
    };
    let count = r.len(3 + 2 * dimensions)?;
    let pending = (0..count)
        .map(|_| r.change(dimensions))
        .collect::<Result<Vec<_>, _>>()?;
    if !r.bytes.is_empty() {
        return Err(BenchmarkError::Corrupt("bytes after the end of a cell"));
    }
    PublishedCell::try_from(CellRepr {
        live,
        published,
        pending,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::subsequence;

    use super::*;
    use crate::benchmark::DisclosurePolicy;

    fn summary(dimensions: usize) -> impl Strategy<Value = ResponseSummary> {
        (
            0u8..=100,
            1u8..=5,
            prop::collection::vec(0u8..=100, dimensions),
            prop::collection::vec(1u8..=5, dimensions),
            subsequence(vec!["rf_a", "rf_b", "Umlaut-ä", "x;y, z"], 0..=4),
        )
            .prop_filter_map("valid summary", |(o, l, ds, dl, f)| {
                ResponseSummary::new(o, l, ds, dl, f.into_iter().map(String::from)).ok()
            })
    }

    /// A cell after random submits and erasures (an erasure takes out an earlier submit), so
    /// it holds live, published and pending parts in every combination.
    fn cell() -> impl Strategy<Value = PublishedCell> {
        (1usize..=9, 3u32..=7)
            .prop_flat_map(|(d, k)| {
                (
                    Just(d),
                    Just(k),
                    prop::collection::vec((summary(d), any::<bool>(), any::<usize>()), 0..40),
                )
            })
            .prop_map(|(d, k, steps)| {
                let policy = DisclosurePolicy::new(k).expect("k in range");
                let mut cell = PublishedCell::new(d).expect("dimensions in range");
                let mut inside: Vec<ResponseSummary> = Vec::new();
                for (s, erase, pick) in steps {
                    if erase && !inside.is_empty() {
                        let gone = inside.swap_remove(pick % inside.len());
                        cell.remove(&policy, &gone).expect("was added");
                    } else {
                        cell.add(&policy, &s).expect("valid add");
                        inside.push(s);
                    }
                }
                cell
            })
    }

    proptest! {
        /// Encoding and decoding gives back exactly the cell, and the same cell as its JSON
        /// form (so the published statistics cannot differ between the two forms).
        #[test]
        fn a_cell_reads_back_exactly(cell in cell()) {
            let bytes = encode_cell(&cell);
            prop_assert_eq!(bytes[0], FORMAT_V1);
            prop_assert_eq!(decode_cell(&bytes), Ok(cell.clone()));
            let json = serde_json::to_vec(&cell).expect("json");
            prop_assert_eq!(decode_cell(&json), Ok(cell.clone()));
            prop_assert!(bytes.len() < json.len(), "{} vs {} bytes", bytes.len(), json.len());
        }

        /// Damaged bytes never panic: a cut-off cell is refused, and a changed byte either is
        /// refused or still makes a cell that passes every check.
        #[test]
        fn damaged_bytes_are_refused_never_misread(
            cell in cell(),
            at in any::<usize>(),
            flip in 1u8..=255,
        ) {
            let bytes = encode_cell(&cell);
            for end in 0..bytes.len() {
                prop_assert!(decode_cell(&bytes[..end]).is_err(), "cut at {}", end);
            }
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(decode_cell(&longer).is_err());
            let mut changed = bytes.clone();
            let i = at % changed.len();
            changed[i] ^= flip;
            if let Ok(other) = decode_cell(&changed) {
                // Whatever it reads as must be a consistent cell: it encodes back to itself.
                prop_assert_eq!(decode_cell(&encode_cell(&other)), Ok(other));
            }
        }
    }

    /// A cell stored as JSON before this encoding (the shape the migration copies into the
    /// binary column) still reads, and encodes to the binary form from then on.
    #[test]
    fn an_old_json_cell_still_reads() -> Result<(), BenchmarkError> {
        let old = br#"{"live":{"n":5,"overall":{"scores":[[40,2],[55,1],[70,2]],"levels":[0,2,1,2,0]},"dimensions":[{"scores":[[10,1],[90,4]],"levels":[1,0,0,0,4]}],"red_flags":{"rf_a":3}},"published":{"n":5,"overall":{"scores":[[40,2],[55,1],[70,2]],"levels":[0,2,1,2,0]},"dimensions":[{"scores":[[10,1],[90,4]],"levels":[1,0,0,0,4]}],"red_flags":{"rf_a":3}},"pending":[]}"#;
        let cell = decode_cell(old)?;
        assert_eq!(cell.live_n(), 5);
        let published = cell.published().ok_or(BenchmarkError::Corrupt("none"))?;
        assert_eq!(published.overall().scores[40], 2);
        assert_eq!(published.dimensions()[0].levels, [1, 0, 0, 0, 4]);
        assert_eq!(published.red_flags().get("rf_a"), Some(&3));
        let rewritten = encode_cell(&cell);
        assert_eq!(rewritten[0], FORMAT_V1);
        assert_eq!(decode_cell(&rewritten)?, cell);
        Ok(())
    }

    #[test]
    fn unknown_or_inconsistent_cells_are_refused() -> Result<(), BenchmarkError> {
        assert_eq!(decode_cell(&[]), Err(BenchmarkError::Corrupt("empty cell")));
        assert_eq!(
            decode_cell(&[2, 1]),
            Err(BenchmarkError::Corrupt("unknown cell format"))
        );
        assert!(matches!(
            decode_cell(b"{\"live\":"),
            Err(BenchmarkError::UnreadableCell(_))
        ));
        // n = 1 but no score counted.
        assert!(decode_cell(&[FORMAT_V1, 1, 1, 0, 1, 0, 0, 0, 0]).is_err());
        // A varint that never ends.
        assert!(decode_cell(&[FORMAT_V1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        // A length far beyond the bytes there are does not allocate it.
        assert_eq!(
            decode_cell(&[FORMAT_V1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(TRUNCATED)
        );
        // Live is not published plus pending.
        let policy = DisclosurePolicy::new(3)?;
        let mut cell = PublishedCell::new(1)?;
        let firm = |s: u8| ResponseSummary::new(s, 3, vec![s], vec![3], []);
        for s in [1, 2, 3, 4] {
            cell.add(&policy, &firm(s)?)?;
        }
        let mut bytes = encode_cell(&cell);
        // The last change's overall score: 4 -> 5 (still a valid summary).
        let at = bytes.len() - 5;
        assert_eq!(bytes[at], 4);
        bytes[at] = 5;
        assert_eq!(
            decode_cell(&bytes),
            Err(BenchmarkError::Corrupt(
                "live aggregate is not published plus pending"
            ))
        );
        Ok(())
    }
}
