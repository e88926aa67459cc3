//! The block rule: one partition of the published participants into blocks of at least `k`,
//! and only counts made of whole blocks are shown.
//!
//! Why: the pairwise rules (differencing along containment, complementary suppression within a
//! partition) do not stop an attacker who adds and subtracts counts of several requests, e.g.
//! one campaign's total plus a region in the other campaign minus that region in both (see
//! `attacker_tests`). Protecting every linear combination of every requestable view directly
//! is an audit problem without a cheap exact answer; a partition makes it trivial.
//!
//! Rule: per state of the published data, the participants are split by a fixed list of
//! *distinctions* (cuts between adjacent levels, broad sectors, the size band, parts of Germany,
//! then each size class, industry, region, red flag, campaign and month, in that order). A distinction is taken only if it splits every current block into
//! parts of 0 or at least `k`; otherwise it is skipped (for everyone, not per block). A count
//! (selection, month, level, red flag with or without, breakdown row, in any request) is shown
//! only if its set of participants is a union of whole blocks.
//!
//! Safety: every block holds at least `k` participants (the first block is everyone; a split
//! keeps only parts of `k` or more). Any sum or difference of shown counts, over any number of
//! requests, gives every participant of one block the same coefficient, because each shown set
//! contains a block wholly or not at all. So if the combination counts a set of participants
//! (each 0 or 1 times), that set is a union of blocks: empty or at least `k` firms. The blocks
//! depend only on the published data, `k` and the catalogue, never on the request.

use super::disclosure::PublishedCampaigns;
use super::filter::Filter;
use super::groups::{RegionGroup, Sector, SizeBand};
use super::participant::ParticipantSummary;
use super::view::DashboardCatalogue;
use crate::benchmark::{Industry, Region, SizeClass};

/// The blocks of one state of the published data.
pub(crate) struct Blocks {
    /// Parallel to the data's participants: each one's block.
    of: Vec<usize>,
    /// Participants per block.
    sizes: Vec<usize>,
}

type Distinction<'d> = Box<dyn Fn(&ParticipantSummary) -> bool + 'd>;

impl Blocks {
    /// Splits the participants of `data` by every distinction that keeps all blocks at `0` or
    /// `≥ k` participants.
    pub(crate) fn new(
        data: &PublishedCampaigns<'_>,
        catalogue: &DashboardCatalogue,
        k: u32,
    ) -> Self {
        let k = usize::try_from(k).unwrap_or(usize::MAX);
        let participants: Vec<&ParticipantSummary> = data.participants().collect();
        let mut months: Vec<_> = participants.iter().map(|p| p.month()).collect();
        months.sort();
        months.dedup();
        let mut distinctions: Vec<Distinction<'_>> = Vec::new();
        // Coarse first (see `groups`): bands of adjacent levels (a cut "level ≤ c", the middle
        // ones first), broad sectors, the SME line, four parts of Germany. A small wave is
        // split into these large blocks before any fine code can break a block under `k`.
        for cut in [2u8, 3, 1, 4] {
            distinctions.push(Box::new(move |p| p.response.overall_level() <= cut));
        }
        for sector in Sector::ALL {
            distinctions.push(Box::new(move |p| Sector::of(p.profile.industry) == sector));
        }
        distinctions.push(Box::new(|p| {
            SizeBand::of(p.profile.size) == SizeBand::Under50
        }));
        for group in RegionGroup::ALL {
            distinctions.push(Box::new(move |p| {
                RegionGroup::of(p.profile.region) == group
            }));
        }
        for &size in SizeClass::ALL.iter() {
            distinctions.push(Box::new(move |p| p.profile.size == size));
        }
        for &industry in Industry::ALL.iter() {
            distinctions.push(Box::new(move |p| p.profile.industry == industry));
        }
        for &region in Region::ALL.iter() {
            distinctions.push(Box::new(move |p| p.profile.region == region));
        }
        for id in &catalogue.red_flags {
            distinctions.push(Box::new(move |p| p.response.red_flags().contains(id)));
        }
        for campaign in data.campaigns() {
            distinctions.push(Box::new(move |p| p.campaign == *campaign));
        }
        for month in months {
            distinctions.push(Box::new(move |p| p.month() == month));
        }

        let mut of = vec![0usize; participants.len()];
        let mut sizes = vec![participants.len()];
        for distinction in &distinctions {
            let inside: Vec<bool> = participants.iter().map(|p| distinction(p)).collect();
            let mut in_block = vec![0usize; sizes.len()];
            for (&b, &i) in of.iter().zip(&inside) {
                if i && let Some(c) = in_block.get_mut(b) {
                    *c += 1;
                }
            }
            let splits = |(&n, &total): (&usize, &usize)| n > 0 && n < total;
            let safe = in_block
                .iter()
                .zip(&sizes)
                .all(|(&n, &total)| n == 0 || n == total || (n >= k && total - n >= k));
            if !safe || !in_block.iter().zip(&sizes).any(splits) {
                continue;
            }
            // Blocks that split get a new id for their inside part.
            let mut new_id = vec![None; sizes.len()];
            let before = sizes.clone();
            for (b, (&n, &total)) in in_block.iter().zip(&before).enumerate() {
                if n > 0 && n < total {
                    if let Some(slot) = new_id.get_mut(b) {
                        *slot = Some(sizes.len());
                    }
                    sizes.push(n);
                    if let Some(s) = sizes.get_mut(b) {
                        *s -= n;
                    }
                }
            }
            for (b, &i) in of.iter_mut().zip(&inside) {
                if i && let Some(Some(id)) = new_id.get(*b) {
                    *b = *id;
                }
            }
        }
        Self { of, sizes }
    }

    /// Whether the set `filter ∧ member` is a union of whole blocks.
    pub(crate) fn whole(
        &self,
        data: &PublishedCampaigns<'_>,
        filter: &Filter,
        member: &dyn Fn(&ParticipantSummary) -> bool,
    ) -> bool {
        let mut inside = vec![0usize; self.sizes.len()];
        for (p, &b) in data.participants().zip(&self.of) {
            if filter.matches(p)
                && member(p)
                && let Some(c) = inside.get_mut(b)
            {
                *c += 1;
            }
        }
        inside
            .iter()
            .zip(&self.sizes)
            .all(|(&n, &total)| n == 0 || n == total)
    }

    /// Number of blocks (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.sizes.len()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_block_holds_k_and_shown_sets_are_unions() {
        // Covered through the dashboard: see `attacker_tests` and `property_tests`; here the
        // invariant on the first wave of issue 14.
        let wave = super::super::utility_tests::FIRST_WAVE;
        let sim = super::super::utility_tests::simulate(&wave);
        let data = super::PublishedCampaigns::from_publications(&sim.publications).expect("data");
        let catalogue = super::DashboardCatalogue::from_catalogue(crate::survey::current());
        let blocks = super::Blocks::new(&data, &catalogue, 5);
        assert!(blocks.len() >= 1);
        assert!(blocks.sizes.iter().all(|&n| n >= 5), "{:?}", blocks.sizes);
        assert!(blocks.whole(&data, &super::Filter::all(), &|_| true));
    }
}
