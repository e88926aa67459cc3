//! The stored form of a campaign publication: a compact binary encoding instead of a JSON
//! document (issue 17: at 50,000 participants the JSON text was some tens of MB, held three
//! times while it was written, string, sqlx's bind and SQLite's copy, which made the
//! service's peak 146 MB; the binary form is about a tenth of it and far cheaper to make and
//! to read).
//!
//! Every stored publication starts with a format byte, so old forms keep reading: `{` is a JSON
//! document (publications written before this encoding), [`FORMAT_V1`] is the encoding below.
//! The next refresh or erasure writes the newest form.
//!
//! Format 1, counts and numbers as unsigned LEB128 varints (`v`), scores and levels as bytes:
//!
//! ```text
//! publication = 0x01, string campaign, v erased since publication, shown (0x00 | 0x01),
//!               v publications, v size count, v size*, v epoch count, v epoch*,
//!               v participant count, participant* (ascending id),
//!               v count, (string id, v since)* (`since` of ids not in the snapshot)
//! participant = string id, 0x00 (the publication's campaign) | 0x01 string campaign,
//!               v (submitted as Julian day + 2^31), industry u8, size u8, region u8
//!               (positions in the code lists), overall score u8, overall level u8,
//!               dimension count u8, score u8 * count, level u8 * count, v flag count, string*,
//!               v since (0: none, else since + 1)
//! string      = v byte length, UTF-8 bytes
//! ```
//!
//! Decoding checks what the JSON form checks (valid summaries and profile codes, valid dates)
//! and refuses duplicate or unordered participants and trailing bytes, so a damaged
//! publication is refused with [`DashboardError::DamagedPublication`], never misread, saying at
//! which byte (the shared, bounds-checked [`Reader`] of `crate::codec`). Nothing here panics on
//! any input (see the tests).

use std::collections::BTreeMap;

use time::Date;

use super::CampaignPublication;
use crate::benchmark::{Industry, Profile, Region, ResponseSummary, SizeClass};
use crate::codec::{Damaged, Reader, put_str, put_varint};
use crate::dashboard::error::DashboardError;
use crate::dashboard::participant::{CampaignId, ParticipantId, ParticipantSummary};

/// The binary encoding described in the module notes.
pub const FORMAT_V1: u8 = 1;
/// A stored JSON document (the form before [`FORMAT_V1`]).
const FORMAT_JSON: u8 = b'{';
/// Julian days are stored shifted by this, so that every `i32` day is a non-negative number.
const DAY_OFFSET: i64 = 1 << 31;

impl CampaignPublication {
    /// The publication in the newest stored form.
    pub fn encode(&self) -> Vec<u8> {
        // About 40 bytes per participant (9 dimensions, short ids, few flags).
        let mut out = Vec::with_capacity(64 + self.snapshot.len() * 48);
        out.push(FORMAT_V1);
        put_str(&mut out, self.campaign.as_str());
        put_varint(&mut out, self.erased_since_publication as u64);
        out.push(u8::from(self.shown));
        put_varint(&mut out, u64::from(self.publications));
        put_varint(&mut out, self.sizes.len() as u64);
        for &size in &self.sizes {
            put_varint(&mut out, u64::from(size));
        }
        put_varint(&mut out, self.epochs.len() as u64);
        for &epoch in &self.epochs {
            put_varint(&mut out, epoch);
        }
        put_varint(&mut out, self.snapshot.len() as u64);
        for p in self.snapshot.values() {
            put_participant(&mut out, &self.campaign, p);
            let since = self.since.get(&p.id).map_or(0, |&s| u64::from(s) + 1);
            put_varint(&mut out, since);
        }
        let others: Vec<_> = self
            .since
            .iter()
            .filter(|(id, _)| !self.snapshot.contains_key(*id))
            .collect();
        put_varint(&mut out, others.len() as u64);
        for (id, &since) in others {
            put_str(&mut out, id.as_str());
            put_varint(&mut out, u64::from(since));
        }
        out
    }

    /// Reads a stored publication in any of its forms (see the module notes); damaged or
    /// unknown bytes are an error.
    pub fn decode(stored: &[u8]) -> Result<Self, DashboardError> {
        match stored.first() {
            Some(&FORMAT_V1) => {
                let mut r = Reader::new(stored);
                r.byte()?;
                decode_v1(r)
            }
            Some(&FORMAT_JSON) => serde_json::from_slice(stored)
                .map_err(|e| DashboardError::UnreadablePublication(e.to_string())),
            Some(_) => Err(Reader::new(stored).damaged("unknown format").into()),
            None => Err(Reader::new(stored).damaged("empty").into()),
        }
    }
}

/// The position of a code in its list (the lists are at most 21 long).
fn position<T: PartialEq>(all: &[T], item: &T) -> u8 {
    all.iter()
        .position(|x| x == item)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

fn put_participant(out: &mut Vec<u8>, campaign: &CampaignId, p: &ParticipantSummary) {
    put_str(out, p.id.as_str());
    if p.campaign == *campaign {
        out.push(0);
    } else {
        out.push(1);
        put_str(out, p.campaign.as_str());
    }
    put_varint(
        out,
        (i64::from(p.submitted.to_julian_day()) + DAY_OFFSET) as u64,
    );
    out.push(position(Industry::ALL, &p.profile.industry));
    out.push(position(SizeClass::ALL, &p.profile.size));
    out.push(position(Region::ALL, &p.profile.region));
    let r = &p.response;
    out.push(r.overall_score());
    out.push(r.overall_level());
    // At most MAX_DIMENSIONS (64), checked on every construction.
    out.push(u8::try_from(r.dimension_count()).unwrap_or(u8::MAX));
    out.extend_from_slice(r.dimension_scores());
    out.extend_from_slice(r.dimension_levels());
    put_varint(out, r.red_flags().len() as u64);
    for id in r.red_flags() {
        put_str(out, id);
    }
}

/// A profile code, stored as its position in the code list `all`.
fn code<T: Copy>(r: &mut Reader<'_>, all: &[T]) -> Result<T, Damaged> {
    let unknown = r.damaged("unknown profile code");
    all.get(usize::from(r.byte()?)).copied().ok_or(unknown)
}

fn participant(
    r: &mut Reader<'_>,
    campaign: &CampaignId,
) -> Result<ParticipantSummary, DashboardError> {
    let id = ParticipantId::new(r.str()?);
    let marker = r.damaged("campaign marker");
    let campaign = match r.byte()? {
        0 => campaign.clone(),
        1 => CampaignId::new(r.str()?),
        _ => return Err(marker.into()),
    };
    let date = r.damaged("date");
    let day = i64::try_from(r.varint()?)
        .ok()
        .and_then(|d| i32::try_from(d - DAY_OFFSET).ok())
        .ok_or(date)?;
    let submitted = Date::from_julian_day(day).map_err(|_| date)?;
    let profile = Profile {
        industry: code(r, Industry::ALL)?,
        size: code(r, SizeClass::ALL)?,
        region: code(r, Region::ALL)?,
    };
    let overall_score = r.byte()?;
    let overall_level = r.byte()?;
    let dimensions = usize::from(r.byte()?);
    let scores = r.take(dimensions)?.to_vec();
    let levels = r.take(dimensions)?.to_vec();
    let flags_at = r.damaged("red flags out of order");
    let flags = r.len(1)?;
    let mut red_flags = Vec::with_capacity(flags);
    for _ in 0..flags {
        red_flags.push(r.str()?.to_owned());
    }
    if red_flags.windows(2).any(|w| w[0] >= w[1]) {
        return Err(flags_at.into());
    }
    let response = ResponseSummary::new(overall_score, overall_level, scores, levels, red_flags)?;
    Ok(ParticipantSummary {
        id,
        campaign,
        submitted,
        profile,
        response,
    })
}

/// A format-1 publication after its format byte.
fn decode_v1(mut r: Reader<'_>) -> Result<CampaignPublication, DashboardError> {
    let campaign = CampaignId::new(r.str()?);
    let erased = r.damaged("erased count");
    let erased_since_publication = usize::try_from(r.varint()?).map_err(|_| erased)?;
    let shown_at = r.damaged("shown flag");
    let shown = match r.byte()? {
        0 => false,
        1 => true,
        _ => return Err(shown_at.into()),
    };
    let publications = r.u32()?;
    let count = r.len(1)?;
    let mut sizes = Vec::with_capacity(count);
    for _ in 0..count {
        sizes.push(r.u32()?);
    }
    let count = r.len(1)?;
    let mut epochs = Vec::with_capacity(count);
    for _ in 0..count {
        epochs.push(r.varint()?);
    }
    // A participant takes at least 12 bytes.
    let count = r.len(12)?;
    let mut snapshot = BTreeMap::new();
    let mut since = BTreeMap::new();
    let mut last: Option<ParticipantId> = None;
    for _ in 0..count {
        let order = r.damaged("participants out of order");
        let p = participant(&mut r, &campaign)?;
        if last.as_ref().is_some_and(|l| *l >= p.id) {
            return Err(order.into());
        }
        last = Some(p.id.clone());
        let since_at = r.damaged("since above u32");
        match r.varint()? {
            0 => {}
            s => {
                let s = u32::try_from(s - 1).map_err(|_| since_at)?;
                since.insert(p.id.clone(), s);
            }
        }
        snapshot.insert(p.id.clone(), p);
    }
    let count = r.len(2)?;
    for _ in 0..count {
        let twice = r.damaged("since listed twice");
        let id = ParticipantId::new(r.str()?);
        let s = r.u32()?;
        if snapshot.contains_key(&id) || since.insert(id, s).is_some() {
            return Err(twice.into());
        }
    }
    r.finish()?;
    Ok(CampaignPublication {
        campaign,
        snapshot,
        erased_since_publication,
        shown,
        publications,
        since,
        sizes,
        epochs,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};
    use time::Month as CalendarMonth;

    use super::*;
    use crate::benchmark::DisclosurePolicy;

    #[derive(Debug, Clone)]
    enum Step {
        Submit(Answer),
        Erase(usize),
    }

    type Answer = (
        u8,
        u8,
        Industry,
        SizeClass,
        Region,
        u8,
        Vec<u8>,
        Vec<&'static str>,
    );

    fn answer() -> impl Strategy<Value = Answer> {
        (
            1u8..=12,
            1u8..=28,
            select(Industry::ALL.to_vec()),
            select(SizeClass::ALL.to_vec()),
            select(Region::ALL.to_vec()),
            0u8..=100,
            prop::collection::vec(0u8..=100, 3),
            subsequence(vec!["rf_a", "rf_b", "Umlaut-ä", "x;y, z"], 0..=4),
        )
    }

    fn summary(id: usize, campaign: &str, a: &Answer) -> ParticipantSummary {
        let (month, day, industry, size, region, score, dims, flags) = a;
        let level = score / 21 + 1;
        ParticipantSummary {
            id: ParticipantId::new(format!("r{id}")),
            campaign: CampaignId::new(campaign),
            submitted: Date::from_calendar_date(
                2026,
                CalendarMonth::try_from(*month).expect("month"),
                *day,
            )
            .expect("date"),
            profile: Profile {
                industry: *industry,
                size: *size,
                region: *region,
            },
            response: ResponseSummary::new(
                *score,
                level,
                dims.clone(),
                dims.iter().map(|d| d / 21 + 1).collect(),
                flags.iter().map(|f| (*f).to_owned()),
            )
            .expect("valid summary"),
        }
    }

    /// A publication after random submits, erasures and refreshes, so that it holds shown and
    /// withdrawn snapshots, `since` values and several publications with epochs.
    fn publication() -> impl Strategy<Value = CampaignPublication> {
        prop::collection::vec(
            prop_oneof![
                6 => answer().prop_map(Step::Submit),
                1 => any::<usize>().prop_map(Step::Erase),
            ],
            0..60,
        )
        .prop_map(|steps| {
            let policy = DisclosurePolicy::new(3).expect("k");
            let mut publication = CampaignPublication::new(CampaignId::new("7"));
            let mut live: Vec<ParticipantSummary> = Vec::new();
            let mut epoch = 0;
            for (n, step) in steps.into_iter().enumerate() {
                match step {
                    Step::Submit(a) => live.push(summary(n, "7", &a)),
                    Step::Erase(i) if !live.is_empty() => {
                        let gone = live.remove(i % live.len());
                        publication.erase(&gone.id);
                    }
                    Step::Erase(_) => {}
                }
                if n % 4 == 3 {
                    epoch += 1 + n as u64;
                    publication.refresh(&policy, &live, epoch).expect("refresh");
                }
            }
            publication
        })
    }

    proptest! {
        #![proptest_config(crate::proptest_config(64))]

        /// Encoding and decoding gives back exactly the publication, the same as its JSON
        /// form does (so no shown number can differ between the two forms), in fewer bytes.
        #[test]
        fn a_publication_reads_back_exactly(publication in publication()) {
            let bytes = publication.encode();
            prop_assert_eq!(bytes[0], FORMAT_V1);
            prop_assert_eq!(CampaignPublication::decode(&bytes), Ok(publication.clone()));
            let json = serde_json::to_vec(&publication).expect("json");
            prop_assert_eq!(CampaignPublication::decode(&json), Ok(publication.clone()));
            prop_assert!(bytes.len() * 3 < json.len(), "{} vs {} bytes", bytes.len(), json.len());
        }

        /// Damaged bytes never panic: a cut-off publication is refused, and a changed byte is
        /// either refused or reads as a publication that encodes back to itself.
        #[test]
        fn damaged_bytes_are_refused_never_misread(
            publication in publication(),
            at in any::<usize>(),
            flip in 1u8..=255,
        ) {
            let bytes = publication.encode();
            for end in 0..bytes.len() {
                prop_assert!(CampaignPublication::decode(&bytes[..end]).is_err(), "cut at {}", end);
            }
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(CampaignPublication::decode(&longer).is_err());
            let mut changed = bytes.clone();
            let i = at % changed.len();
            changed[i] ^= flip;
            if let Ok(other) = CampaignPublication::decode(&changed) {
                prop_assert_eq!(CampaignPublication::decode(&other.encode()), Ok(other));
            }
        }
    }

    proptest! {
        /// Arbitrary bytes in the binary form never panic (nor allocate what they claim).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let mut stored = vec![FORMAT_V1];
            stored.extend_from_slice(&bytes);
            if let Ok(publication) = CampaignPublication::decode(&stored) {
                prop_assert_eq!(CampaignPublication::decode(&publication.encode()), Ok(publication));
            }
        }
    }

    /// A publication stored as JSON before this encoding still reads, and is written in the
    /// binary form from then on.
    #[test]
    fn an_old_json_publication_still_reads() -> Result<(), DashboardError> {
        let old = br#"{"campaign":"3","snapshot":{"r1":{"id":"r1","campaign":"3","submitted":"2026-11-02","profile":{"industry":"C","size":"small","region":"DE-NI"},"response":{"overall_score":55,"overall_level":3,"dimension_scores":[40,70],"dimension_levels":[2,4],"red_flags":["rf_a"]}}},"erased_since_publication":0,"shown":true,"publications":1,"since":{"r1":1},"sizes":[1],"epochs":[4]}"#;
        let publication = CampaignPublication::decode(old)?;
        assert_eq!(publication.publications(), 1);
        assert_eq!(publication.last_epoch(), Some(4));
        let shown = publication.shown_with_since();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].1, 1);
        assert_eq!(shown[0].0.response.overall_score(), 55);
        assert_eq!(shown[0].0.profile.region, Region::Niedersachsen);
        let rewritten = publication.encode();
        assert_eq!(rewritten[0], FORMAT_V1);
        assert_eq!(CampaignPublication::decode(&rewritten)?, publication);
        Ok(())
    }

    #[test]
    fn unknown_or_damaged_publications_are_refused() {
        let damaged = |what, at| Err(DashboardError::DamagedPublication(Damaged { what, at }));
        assert_eq!(CampaignPublication::decode(&[]), damaged("empty", 0));
        assert_eq!(
            CampaignPublication::decode(&[2, 0]),
            damaged("unknown format", 0)
        );
        assert!(matches!(
            CampaignPublication::decode(b"{\"campaign\":"),
            Err(DashboardError::UnreadablePublication(_))
        ));
        // A varint that never ends.
        assert!(CampaignPublication::decode(&[FORMAT_V1, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        // A participant count far beyond the bytes there are does not allocate it.
        assert_eq!(
            CampaignPublication::decode(&[FORMAT_V1, 1, b'7', 0, 1, 1, 0, 0, 0xff, 0xff, 0x0f]),
            damaged("bytes end early", 8)
        );
        // A shown flag other than 0 or 1, and a byte after the end, each where it is.
        assert_eq!(
            CampaignPublication::decode(&[FORMAT_V1, 1, b'7', 0, 2]),
            damaged("shown flag", 4)
        );
        assert_eq!(
            CampaignPublication::decode(&[FORMAT_V1, 1, b'7', 0, 1, 1, 0, 0, 0, 0, 9]),
            damaged("bytes after the end", 10)
        );
        // An invalid summary (level 9) is refused as the JSON form would refuse it.
        let firms: Vec<_> = (1..=3)
            .map(|n| {
                let answer = (
                    3,
                    1,
                    Industry::ALL[0],
                    SizeClass::ALL[0],
                    Region::ALL[0],
                    50,
                );
                let (m, d, i, s, r, score) = answer;
                summary(n, "7", &(m, d, i, s, r, score, vec![1, 2, 3], vec![]))
            })
            .collect();
        let mut publication = CampaignPublication::new(CampaignId::new("7"));
        let policy = DisclosurePolicy::new(3).expect("k");
        publication.refresh(&policy, &firms, 1).expect("refresh");
        let mut bytes = publication.encode();
        // The overall level sits after id, marker, date and profile: find it by its value.
        let at = bytes
            .windows(3)
            .position(|w| w == [50, 3, 3])
            .expect("overall score, level, dimension count");
        bytes[at + 1] = 9;
        assert!(matches!(
            CampaignPublication::decode(&bytes),
            Err(DashboardError::Benchmark(_))
        ));
    }
}
