//! What a chamber may ask for: campaigns, a period of whole months, and fixed code lists.
//!
//! There are no free-text or day-level filters, so every set a user can request is known in
//! advance and disclosure control can compare a view with all the views that contain it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::error::DashboardError;
use super::participant::{CampaignId, Month, ParticipantSummary};
use crate::benchmark::{Industry, Region, SizeClass};

/// Whole months `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PeriodRepr")]
pub struct Period {
    from: Month,
    to: Month,
}

#[derive(Deserialize)]
struct PeriodRepr {
    from: Month,
    to: Month,
}

impl TryFrom<PeriodRepr> for Period {
    type Error = DashboardError;

    fn try_from(r: PeriodRepr) -> Result<Self, Self::Error> {
        Period::new(r.from, r.to)
    }
}

impl Period {
    /// The months `from..=to`; refuses `from` after `to`.
    pub fn new(from: Month, to: Month) -> Result<Self, DashboardError> {
        if from <= to {
            Ok(Self { from, to })
        } else {
            Err(DashboardError::InvalidPeriod {
                from: from.to_string(),
                to: to.to_string(),
            })
        }
    }

    /// A single month.
    pub fn month(month: Month) -> Self {
        Self {
            from: month,
            to: month,
        }
    }

    /// First month.
    pub fn from(&self) -> Month {
        self.from
    }

    /// Last month.
    pub fn to(&self) -> Month {
        self.to
    }

    /// Whether `month` lies in the period.
    pub fn contains(&self, month: Month) -> bool {
        (self.from..=self.to).contains(&month)
    }
}

/// A dashboard request. `None` (or no campaigns) means "not filtered by this".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    /// Campaigns to include; empty for every campaign the user may see.
    #[serde(default)]
    pub campaigns: BTreeSet<CampaignId>,
    /// Months of submission.
    #[serde(default)]
    pub period: Option<Period>,
    /// WZ 2008 section.
    #[serde(default)]
    pub industry: Option<Industry>,
    /// Size class.
    #[serde(default)]
    pub size: Option<SizeClass>,
    /// Federal state.
    #[serde(default)]
    pub region: Option<Region>,
}

impl Filter {
    /// No filter: every participant of every visible campaign.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether a participant falls in the filtered set.
    pub fn matches(&self, p: &ParticipantSummary) -> bool {
        (self.campaigns.is_empty() || self.campaigns.contains(&p.campaign))
            && self.period.is_none_or(|period| period.contains(p.month()))
            && self.industry.is_none_or(|i| i == p.profile.industry)
            && self.size.is_none_or(|s| s == p.profile.size)
            && self.region.is_none_or(|r| r == p.profile.region)
    }

    /// Whether every participant this filter selects is selected by `wider` too, judged from
    /// the two filters alone (`false` when that cannot be told).
    pub(crate) fn within(&self, wider: &Filter) -> bool {
        fn fixed<T: PartialEq>(wider: Option<T>, narrow: Option<T>) -> bool {
            wider.is_none() || wider == narrow
        }
        let campaigns = wider.campaigns.is_empty()
            || (!self.campaigns.is_empty() && self.campaigns.is_subset(&wider.campaigns));
        let period = match (wider.period, self.period) {
            (None, _) => true,
            (Some(w), Some(n)) => w.from() <= n.from() && n.to() <= w.to(),
            (Some(_), None) => false,
        };
        campaigns
            && period
            && fixed(wider.industry, self.industry)
            && fixed(wider.size, self.size)
            && fixed(wider.region, self.region)
    }

    /// The same request for one industry.
    pub fn with_industry(&self, industry: Industry) -> Self {
        Self {
            industry: Some(industry),
            ..self.clone()
        }
    }

    /// The same request for one size class.
    pub fn with_size(&self, size: SizeClass) -> Self {
        Self {
            size: Some(size),
            ..self.clone()
        }
    }

    /// The same request for one region.
    pub fn with_region(&self, region: Region) -> Self {
        Self {
            region: Some(region),
            ..self.clone()
        }
    }

    /// The same request for another period.
    pub fn with_period(&self, period: Period) -> Self {
        Self {
            period: Some(period),
            ..self.clone()
        }
    }
}
