//! Publication over time: a campaign's published statistics move in steps of at least `k`.

mod codec;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::DashboardError;
use super::participant::{CampaignId, ParticipantId, ParticipantSummary};
use crate::benchmark::DisclosurePolicy;

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The snapshot was replaced by the live participants.
    Published,
    /// Still waiting: `changes` participants differ from the last publication (fewer than `k`).
    Pending {
        /// Participants added, erased or changed since the last publication.
        changes: usize,
    },
}

/// The published snapshot of one campaign: the participants every shown number is computed
/// from, replaced by the live participants only when they differ from it by at least `k`.
///
/// Why: a reader who saves the dashboard before and after one firm submits (or erases its
/// response) learns that firm's answers by subtraction. Since every number on pages, CSV and
/// PDF is computed from the snapshot, and two snapshots ever shown differ by at least `k`
/// participants (additions, erasures and changed responses counted one by one), the
/// before/after difference of the whole campaign is always a group of `k` or more.
///
/// The difference is counted between *states*, not events: a firm that submits and erases
/// again leaves no trace, so submitting and erasing a dummy `k − 1` times cannot make the next
/// real firm publish on its own.
///
/// Erasure: [`CampaignPublication::erase`] removes the firm's data from the snapshot at once
/// and withdraws the snapshot (nothing is shown) until the next publication, rather than
/// showing the snapshot without that one firm, which would be a step of 1.
///
/// Cells: a filtered cell (one industry, say) could still move by fewer than `k` between two
/// publications. So the publication remembers, per participant, the publication since which
/// its response is shown unchanged (`since`), and the size of every publication. With those,
/// a cell's difference to any earlier publication is bounded without keeping erased firms'
/// data ([`PublishedCampaigns`](super::PublishedCampaigns) suppresses cells that may have moved
/// by 1..k−1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignPublication {
    campaign: CampaignId,
    /// The last published participants by id (erased ones removed).
    snapshot: BTreeMap<ParticipantId, ParticipantSummary>,
    /// Participants erased from the snapshot since it was published; each is one change.
    erased_since_publication: usize,
    /// Whether the snapshot may be shown: false before the first publication and after an
    /// erasure until the next one.
    shown: bool,
    /// How many times the snapshot was replaced.
    publications: u32,
    /// Per participant in the snapshot: the publication (1-based) since which its response is
    /// shown unchanged.
    #[serde(default)]
    since: BTreeMap<ParticipantId, u32>,
    /// Participants in each publication, oldest first (`sizes[t − 1]` for publication `t`).
    #[serde(default)]
    sizes: Vec<u32>,
    /// The chamber-wide epoch of each publication, for the last `epochs.len()` publications
    /// (issue 14): strictly increasing over all campaigns of one chamber, in the order readers
    /// could see the publications. Publications stored before epochs existed have none; they
    /// are always the first ones and older than every epoch (see `disclosure`, "Legacy").
    #[serde(default)]
    epochs: Vec<u64>,
}

impl CampaignPublication {
    /// A campaign with nothing published yet.
    pub fn new(campaign: CampaignId) -> Self {
        Self {
            campaign,
            snapshot: BTreeMap::new(),
            erased_since_publication: 0,
            shown: false,
            publications: 0,
            since: BTreeMap::new(),
            sizes: Vec::new(),
            epochs: Vec::new(),
        }
    }

    /// The campaign.
    pub fn campaign(&self) -> &CampaignId {
        &self.campaign
    }

    /// The participants to compute statistics from; `None` while nothing may be shown.
    pub fn snapshot(&self) -> Option<impl Iterator<Item = &ParticipantSummary>> {
        self.shown.then(|| self.snapshot.values())
    }

    /// Every participant whose data the publication holds, shown or withdrawn (an erased
    /// participant is never among them).
    pub fn participant_ids(&self) -> impl Iterator<Item = &ParticipantId> {
        self.snapshot.keys()
    }

    /// How many times the snapshot was replaced so far.
    pub fn publications(&self) -> u32 {
        self.publications
    }

    /// Participants that differ between `live` and the last publication: added, erased, or
    /// present in both with a changed response (counted twice, as erasure plus addition,
    /// because the old and the new answers would both be revealed).
    pub fn changes(&self, live: &[ParticipantSummary]) -> Result<usize, DashboardError> {
        let live = self.index(live)?;
        let mut changes = self.erased_since_publication;
        for (id, published) in &self.snapshot {
            match live.get(id) {
                None => changes += 1,
                Some(now) if *now != published => changes += 2,
                Some(_) => {}
            }
        }
        changes += live
            .keys()
            .filter(|id| !self.snapshot.contains_key(*id))
            .count();
        Ok(changes)
    }

    /// Replaces the snapshot by `live` (the campaign's current participants) if they differ
    /// from it by at least `k`; the first publication therefore needs `k` participants.
    ///
    /// `epoch` is the chamber-wide epoch drawn for this publication (the caller draws it where
    /// it saves the publication, so that the saved order is the order of the epochs); it must
    /// be later than this campaign's last one. It is not used while the outcome is `Pending`.
    pub fn refresh(
        &mut self,
        policy: &DisclosurePolicy,
        live: &[ParticipantSummary],
        epoch: u64,
    ) -> Result<PublishOutcome, DashboardError> {
        self.refresh_from(policy, live.to_vec(), epoch)
    }

    /// [`CampaignPublication::refresh`], taking the live participants: the new snapshot is
    /// made of them, not of copies. Why (issue 17): at 50,000 participants each copy is some
    /// tens of MB, and a refresh held the old snapshot, the live ones and their copy at once.
    pub fn refresh_from(
        &mut self,
        policy: &DisclosurePolicy,
        live: Vec<ParticipantSummary>,
        epoch: u64,
    ) -> Result<PublishOutcome, DashboardError> {
        let changes = self.changes(&live)?;
        if changes < policy.k() as usize {
            return Ok(PublishOutcome::Pending { changes });
        }
        if let Some(&last) = self.epochs.last()
            && epoch <= last
        {
            return Err(DashboardError::EpochOutOfOrder { last, epoch });
        }
        let publication = self.publications.saturating_add(1);
        self.since = live
            .iter()
            .map(|p| {
                let unchanged = self.snapshot.get(&p.id) == Some(p);
                let since = self.since.get(&p.id).copied().filter(|_| unchanged);
                (p.id.clone(), since.unwrap_or(publication))
            })
            .collect();
        self.sizes
            .push(u32::try_from(live.len()).unwrap_or(u32::MAX));
        // The old snapshot is freed before the new one is built.
        self.snapshot = BTreeMap::new();
        self.snapshot = live.into_iter().map(|p| (p.id.clone(), p)).collect();
        self.epochs.push(epoch);
        self.erased_since_publication = 0;
        self.shown = true;
        self.publications = publication;
        Ok(PublishOutcome::Published)
    }

    /// A first publication made ahead of its save (task first17: the chamber's first view is
    /// prepared in the background before anyone looked, see `Campaigns`), as it is when the
    /// save draws another epoch than the one foreseen: exactly what
    /// [`CampaignPublication::refresh`] from nothing makes with the same participants at
    /// `epoch` (a first publication's epoch is its only one, and nothing else depends on it).
    /// A publication still waiting for `k` participants has no epoch and is returned as it is;
    /// anything but a first publication is refused (`EpochOutOfOrder`).
    pub fn with_first_epoch(mut self, epoch: u64) -> Result<Self, DashboardError> {
        match (self.publications, self.epochs.as_slice()) {
            (0, []) => Ok(self),
            (1, [_]) if self.erased_since_publication == 0 => {
                self.epochs = vec![epoch];
                Ok(self)
            }
            _ => Err(DashboardError::EpochOutOfOrder {
                last: self.last_epoch().unwrap_or(0),
                epoch,
            }),
        }
    }

    /// Removes an erased participant's data from the snapshot now, and withdraws the snapshot
    /// until the next publication. Returns whether the participant was in the snapshot.
    pub fn erase(&mut self, participant: &ParticipantId) -> bool {
        let found = self.snapshot.remove(participant).is_some();
        self.since.remove(participant);
        if found {
            self.erased_since_publication += 1;
            self.shown = false;
        }
        found
    }

    /// The shown participants with the publication since which each is shown unchanged.
    pub(crate) fn shown_with_since(&self) -> Vec<(&ParticipantSummary, u32)> {
        if !self.shown {
            return Vec::new();
        }
        // `since` holds the snapshot's ids (both are made from the same participants and
        // lose the same ones), so the two are walked side by side in their common order: a
        // search per participant was a tenth of a dashboard's computation (issue 17).
        let mut since = self.since.iter().peekable();
        self.snapshot
            .iter()
            .map(|(id, p)| {
                while since.next_if(|(other, _)| *other < id).is_some() {}
                let at = match since.peek() {
                    Some(&(other, &t)) if other == id => Some(t),
                    _ => None,
                };
                (p, at.unwrap_or(self.publications))
            })
            .collect()
    }

    /// Participants in each publication so far, oldest first.
    pub(crate) fn sizes(&self) -> &[u32] {
        &self.sizes
    }

    /// The chamber-wide epoch of each publication, oldest first, `0` for a publication stored
    /// before epochs existed (always the first ones).
    pub(crate) fn epochs(&self) -> Vec<u64> {
        let legacy = self.sizes.len().saturating_sub(self.epochs.len());
        std::iter::repeat_n(0, legacy)
            .chain(self.epochs.iter().copied())
            .collect()
    }

    /// The epoch of the last publication, if it has one.
    pub fn last_epoch(&self) -> Option<u64> {
        self.epochs.last().copied()
    }

    /// Indexes `live` by id, refusing other campaigns' participants and duplicates.
    fn index<'a>(
        &self,
        live: &'a [ParticipantSummary],
    ) -> Result<BTreeMap<&'a ParticipantId, &'a ParticipantSummary>, DashboardError> {
        let mut index = BTreeMap::new();
        for p in live {
            if p.campaign != self.campaign {
                return Err(DashboardError::WrongCampaign {
                    participant: p.id.to_string(),
                    expected: self.campaign.to_string(),
                    actual: p.campaign.to_string(),
                });
            }
            if index.insert(&p.id, p).is_some() {
                return Err(DashboardError::DuplicateParticipant(p.id.to_string()));
            }
        }
        Ok(index)
    }
}
