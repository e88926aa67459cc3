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
//! The bytes are read with the shared, bounds-checked [`Reader`] (`crate::codec`), which says
//! where a damaged cell went wrong. Nothing here panics on any input (see the tests).

use std::collections::BTreeMap;

use super::aggregate::{AggregateRepr, CohortAggregate, Measure, MeasureRepr};
use super::disclosure::{CellRepr, PendingChange, PublishedCell};
use super::error::BenchmarkError;
use super::response::ResponseSummary;
use super::{LEVELS, MAX_DIMENSIONS};
use crate::codec::{Reader, put_len, put_str, put_varint};

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
        Some(&FORMAT_V1) => {
            let mut r = Reader::new(stored);
            r.byte()?;
            decode_v1(r)
        }
        Some(&FORMAT_JSON) => serde_json::from_slice(stored)
            .map_err(|e| BenchmarkError::UnreadableCell(e.to_string())),
        Some(_) => Err(Reader::new(stored).damaged("unknown cell format").into()),
        None => Err(Reader::new(stored).damaged("empty cell").into()),
    }
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

fn measure(r: &mut Reader<'_>) -> Result<MeasureRepr, BenchmarkError> {
    let buckets = r.len(2)?;
    let mut scores = Vec::with_capacity(buckets);
    for _ in 0..buckets {
        scores.push((r.byte()?, r.u32()?));
    }
    let mut levels = [0u32; LEVELS];
    for level in &mut levels {
        *level = r.u32()?;
    }
    Ok(MeasureRepr { scores, levels })
}

fn aggregate(r: &mut Reader<'_>, dimensions: usize) -> Result<CohortAggregate, BenchmarkError> {
    let n = r.u32()?;
    let overall = measure(r)?;
    let dimensions = (0..dimensions)
        .map(|_| measure(r))
        .collect::<Result<Vec<_>, _>>()?;
    let flags = r.len(2)?;
    let mut red_flags = BTreeMap::new();
    for _ in 0..flags {
        let at = r.damaged("red flag stored twice");
        let id = r.str()?.to_owned();
        let count = r.u32()?;
        if red_flags.insert(id, count).is_some() {
            return Err(at.into());
        }
    }
    CohortAggregate::try_from(AggregateRepr {
        n,
        overall,
        dimensions,
        red_flags,
    })
}

fn change(r: &mut Reader<'_>, dimensions: usize) -> Result<PendingChange, BenchmarkError> {
    let unknown = r.damaged("unknown pending change");
    let op = r.byte()?;
    let overall_score = r.byte()?;
    let overall_level = r.byte()?;
    let scores = r.take(dimensions)?.to_vec();
    let levels = r.take(dimensions)?.to_vec();
    let flags = r.len(2)?;
    let red_flags = (0..flags)
        .map(|_| Ok(r.str()?.to_owned()))
        .collect::<Result<Vec<_>, BenchmarkError>>()?;
    let summary = ResponseSummary::new(overall_score, overall_level, scores, levels, red_flags)?;
    match op {
        0 => Ok(PendingChange::Added(summary)),
        1 => Ok(PendingChange::Removed(summary)),
        _ => Err(unknown.into()),
    }
}

/// A format-1 cell after its format byte.
fn decode_v1(mut r: Reader<'_>) -> Result<PublishedCell, BenchmarkError> {
    let dimensions = usize::from(r.byte()?);
    if dimensions == 0 || dimensions > MAX_DIMENSIONS {
        return Err(BenchmarkError::InvalidDimensionCount(dimensions));
    }
    let live = aggregate(&mut r, dimensions)?;
    let marker = r.damaged("unknown published marker");
    let published = match r.byte()? {
        0 => None,
        1 => Some(aggregate(&mut r, dimensions)?),
        _ => return Err(marker.into()),
    };
    let count = r.len(3 + 2 * dimensions)?;
    let pending = (0..count)
        .map(|_| change(&mut r, dimensions))
        .collect::<Result<Vec<_>, _>>()?;
    r.finish()?;
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
    use crate::codec::Damaged;

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

    proptest! {
        /// Arbitrary bytes in the binary form never panic (nor allocate what they claim).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let mut stored = vec![FORMAT_V1];
            stored.extend_from_slice(&bytes);
            if let Ok(cell) = decode_cell(&stored) {
                prop_assert_eq!(decode_cell(&encode_cell(&cell)), Ok(cell));
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
        let damaged = |what, at| Err(BenchmarkError::DamagedCell(Damaged { what, at }));
        assert_eq!(decode_cell(&[]), damaged("empty cell", 0));
        assert_eq!(decode_cell(&[2, 1]), damaged("unknown cell format", 0));
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
            damaged("bytes end early", 3)
        );
        // Live is not published plus pending.
        let policy = DisclosurePolicy::new(3)?;
        let mut cell = PublishedCell::new(1)?;
        let firm = |s: u8| ResponseSummary::new(s, 3, vec![s], vec![3], []);
        for s in [1, 2, 3, 4] {
            cell.add(&policy, &firm(s)?)?;
        }
        let mut bytes = encode_cell(&cell);
        // Cut off, followed by a byte, or with an unknown change: each says where.
        let end = bytes.len();
        assert_eq!(
            decode_cell(&bytes[..end - 1]),
            damaged("bytes end early", end - 1)
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_cell(&longer), damaged("bytes after the end", end));
        let mut unknown = bytes.clone();
        // The last change: op, overall score and level, one score and level, no flags.
        unknown[end - 6] = 7;
        assert_eq!(
            decode_cell(&unknown),
            damaged("unknown pending change", end - 6)
        );
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
