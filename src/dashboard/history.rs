//! The audit's memory (issue 14): every set kept at an earlier state of a chamber's published
//! data, recorded as it was shown, so that the audit of a later state takes it as known.
//!
//! A set is recorded by its *rule* (the candidate: `industry:C`, `month:2026-03`, …) and its
//! *ends*: per campaign the publication (with its chamber-wide epoch) up to which its members
//! counted. Nothing about any participant is stored: over the current data the recorded set is
//! the members of the rule with `since ≤` their campaign's end, exactly the set that was shown
//! as long as none of its participants was erased or changed since (see [`Known::ghosted`]).

use serde::{Deserialize, Serialize};

use super::groups::{LevelBand, RegionGroup, Sector, SizeBand};
use super::participant::{CampaignId, Month, ParticipantSummary};
use crate::benchmark::{Industry, Region, SizeClass};

/// A set the audit kept at one state, in its stored form: the rule and the ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeptSet {
    /// The candidate's rule (see [`Rule::key`]).
    pub set: String,
    /// Per campaign with members counted: `[campaign, publication, epoch]`, as JSON, in
    /// campaign order (see [`Ends`]).
    pub ends: String,
}

/// Per campaign: the publication (1-based) up to which the set's members count, and that
/// publication's chamber-wide epoch (`0`: stored before epochs). The epoch names the
/// publication for good: a campaign whose publications start again (a new catalogue version)
/// numbers them from 1 again, with other epochs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ends(pub(crate) Vec<(String, u32, u64)>);

impl Ends {
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok().map(Self)
    }
}

/// The rule of a candidate set (see `audit`): what it selects of any participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    Everyone,
    Month(Month),
    Campaign(CampaignId),
    Level(u8),
    Band(LevelBand),
    Flag(String),
    Industry(Industry),
    Size(SizeClass),
    Region(Region),
    Sector(Sector),
    SizeBand(SizeBand),
    RegionGroup(RegionGroup),
}

impl Rule {
    /// Whether `p` is in the set.
    pub(crate) fn contains(&self, p: &ParticipantSummary) -> bool {
        match self {
            Rule::Everyone => true,
            Rule::Month(m) => p.month() == *m,
            Rule::Campaign(c) => p.campaign == *c,
            Rule::Level(l) => p.response.overall_level() == *l,
            Rule::Band(b) => b.contains(p.response.overall_level()),
            Rule::Flag(id) => p.response.red_flags().contains(id),
            Rule::Industry(x) => p.profile.industry == *x,
            Rule::Size(x) => p.profile.size == *x,
            Rule::Region(x) => p.profile.region == *x,
            Rule::Sector(x) => Sector::of(p.profile.industry) == *x,
            Rule::SizeBand(x) => SizeBand::of(p.profile.size) == *x,
            Rule::RegionGroup(x) => RegionGroup::of(p.profile.region) == *x,
        }
    }

    /// The stored name of the rule.
    pub(crate) fn key(&self) -> String {
        match self {
            Rule::Everyone => "everyone".into(),
            Rule::Month(m) => format!("month:{m}"),
            Rule::Campaign(c) => format!("campaign:{c}"),
            Rule::Level(l) => format!("level:{l}"),
            Rule::Band(b) => format!("levels:{}-{}", b.from, b.to),
            Rule::Flag(id) => format!("flag:{id}"),
            Rule::Industry(x) => format!("industry:{x}"),
            Rule::Size(x) => format!("size:{x}"),
            Rule::Region(x) => format!("region:{x}"),
            Rule::Sector(x) => format!("sector:{x:?}"),
            Rule::SizeBand(x) => format!("size_band:{x:?}"),
            Rule::RegionGroup(x) => format!("region_group:{x:?}"),
        }
    }

    /// The rule of a stored name (`None`: not a name [`Rule::key`] gives).
    pub(crate) fn parse(key: &str) -> Option<Self> {
        if key == "everyone" {
            return Some(Rule::Everyone);
        }
        let (kind, value) = key.split_once(':')?;
        let debug = |x: &dyn std::fmt::Debug| format!("{x:?}") == value;
        Some(match kind {
            "month" => Rule::Month(value.parse().ok()?),
            "campaign" => Rule::Campaign(CampaignId::new(value)),
            "level" => Rule::Level(value.parse().ok()?),
            "levels" => {
                let (from, to) = value.split_once('-')?;
                Rule::Band(LevelBand {
                    from: from.parse().ok()?,
                    to: to.parse().ok()?,
                })
            }
            "flag" => Rule::Flag(value.to_owned()),
            "industry" => Rule::Industry(value.parse().ok()?),
            "size" => Rule::Size(value.parse().ok()?),
            "region" => Rule::Region(value.parse().ok()?),
            "sector" => Rule::Sector(*Sector::ALL.iter().find(|x| debug(*x))?),
            "size_band" => Rule::SizeBand(*SizeBand::ALL.iter().find(|x| debug(*x))?),
            "region_group" => Rule::RegionGroup(*RegionGroup::ALL.iter().find(|x| debug(*x))?),
            _ => return None,
        })
    }
}

/// A recorded set over the current data (see `PublishedCampaigns::known`).
pub(crate) struct Known {
    pub(crate) rule: Rule,
    /// Parallel to the data's campaigns: members with `since ≤ end` count (`0`: none).
    pub(crate) ends: Vec<u32>,
    /// Whether the set, as shown, may have held participants that are no longer in the data
    /// (erased, or changed since): some campaign's end is a publication whose participants
    /// are not all still shown unchanged, or is no longer one of the campaign's publications.
    /// Over the current data such a set is only its *projection* (its ghosts dropped); see
    /// `audit` for why the audit stays sound.
    pub(crate) ghosted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_back_as_they_are_stored() {
        let mut rules = vec![
            Rule::Everyone,
            Rule::Month(Month::from_index(24_315)),
            Rule::Campaign(CampaignId::new("17")),
            Rule::Level(3),
            Rule::Band(LevelBand { from: 2, to: 4 }),
            Rule::Flag("no_website".into()),
        ];
        rules.extend(Industry::ALL.iter().map(|&x| Rule::Industry(x)));
        rules.extend(SizeClass::ALL.iter().map(|&x| Rule::Size(x)));
        rules.extend(Region::ALL.iter().map(|&x| Rule::Region(x)));
        rules.extend(Sector::ALL.iter().map(|&x| Rule::Sector(x)));
        rules.extend(SizeBand::ALL.iter().map(|&x| Rule::SizeBand(x)));
        rules.extend(RegionGroup::ALL.iter().map(|&x| Rule::RegionGroup(x)));
        let mut keys = std::collections::BTreeSet::new();
        for rule in &rules {
            assert_eq!(
                Rule::parse(&rule.key()).as_ref(),
                Some(rule),
                "{}",
                rule.key()
            );
            assert!(keys.insert(rule.key()), "{} twice", rule.key());
        }
        assert_eq!(Rule::parse("industry:nonsense"), None);
        assert_eq!(Rule::parse("anything"), None);
        let ends = Ends(vec![("c1".into(), 3, 17), ("c2".into(), 1, 0)]);
        assert_eq!(Ends::decode(&ends.encode()), Some(ends));
    }
}
