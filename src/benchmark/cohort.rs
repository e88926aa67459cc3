//! Cohorts: the peer groups a response is compared with, and how they nest.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::BenchmarkError;
use super::profile::{Industry, Profile, Region, SizeClass};

/// The five ways firms are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortKind {
    /// Same industry and size class: the closest peers.
    IndustrySize,
    /// Same industry.
    Industry,
    /// Same size class.
    Size,
    /// Same federal state.
    Region,
    /// Every firm.
    All,
}

impl CohortKind {
    /// Kinds whose cohorts split one cohort of this kind into disjoint parts.
    ///
    /// Disclosure control needs these partitions: when all parts but one are known, the last
    /// one follows by subtraction.
    pub(crate) const fn partition_kinds(self) -> &'static [CohortKind] {
        match self {
            CohortKind::All => &[
                CohortKind::Industry,
                CohortKind::Size,
                CohortKind::Region,
                CohortKind::IndustrySize,
            ],
            CohortKind::Industry | CohortKind::Size => &[CohortKind::IndustrySize],
            CohortKind::Region | CohortKind::IndustrySize => &[],
        }
    }
}

/// One cohort: a kind plus its code values.
///
/// Its stable string form (`industry_size:C:small`, `industry:C`, `size:small`,
/// `region:DE-BY`, `all`) is what storage, URLs and serde use, so it must never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CohortKey {
    /// Firms of one industry and size class.
    IndustrySize(Industry, SizeClass),
    /// Firms of one industry.
    Industry(Industry),
    /// Firms of one size class.
    Size(SizeClass),
    /// Firms of one federal state.
    Region(Region),
    /// All firms.
    All,
}

impl CohortKey {
    /// The five cohorts a response with this profile counts in.
    pub fn all_for(profile: &Profile) -> [CohortKey; 5] {
        [
            CohortKey::IndustrySize(profile.industry, profile.size),
            CohortKey::Industry(profile.industry),
            CohortKey::Size(profile.size),
            CohortKey::Region(profile.region),
            CohortKey::All,
        ]
    }

    /// The cohorts a firm is compared with, narrowest first (see
    /// [`comparison_cohort`](super::disclosure::comparison_cohort)).
    pub fn fallback_chain(profile: &Profile) -> [CohortKey; 3] {
        [
            CohortKey::IndustrySize(profile.industry, profile.size),
            CohortKey::Industry(profile.industry),
            CohortKey::All,
        ]
    }

    /// Which kind of cohort this is.
    pub const fn kind(&self) -> CohortKind {
        match self {
            CohortKey::IndustrySize(..) => CohortKind::IndustrySize,
            CohortKey::Industry(_) => CohortKind::Industry,
            CohortKey::Size(_) => CohortKind::Size,
            CohortKey::Region(_) => CohortKind::Region,
            CohortKey::All => CohortKind::All,
        }
    }

    /// The next broader cohort in the fallback chain: IndustrySize → Industry → All, and
    /// Size/Region → All.
    pub const fn parent(&self) -> Option<CohortKey> {
        match self {
            CohortKey::IndustrySize(industry, _) => Some(CohortKey::Industry(*industry)),
            CohortKey::Industry(_) | CohortKey::Size(_) | CohortKey::Region(_) => {
                Some(CohortKey::All)
            }
            CohortKey::All => None,
        }
    }

    /// Every cohort that strictly contains this one, not only the fallback parent.
    ///
    /// Differencing works against any containing cohort: `size:small` minus
    /// `industry_size:C:small` reveals the small firms outside C just as well.
    pub fn ancestors(&self) -> Vec<CohortKey> {
        match self {
            CohortKey::IndustrySize(industry, size) => vec![
                CohortKey::Industry(*industry),
                CohortKey::Size(*size),
                CohortKey::All,
            ],
            CohortKey::Industry(_) | CohortKey::Size(_) | CohortKey::Region(_) => {
                vec![CohortKey::All]
            }
            CohortKey::All => Vec::new(),
        }
    }

    /// Whether `other` is a strict sub-cohort of `self`.
    pub fn contains(&self, other: &CohortKey) -> bool {
        other.ancestors().contains(self)
    }

    /// Whether a firm with this profile counts in this cohort.
    pub fn matches(&self, profile: &Profile) -> bool {
        match self {
            CohortKey::IndustrySize(industry, size) => {
                profile.industry == *industry && profile.size == *size
            }
            CohortKey::Industry(industry) => profile.industry == *industry,
            CohortKey::Size(size) => profile.size == *size,
            CohortKey::Region(region) => profile.region == *region,
            CohortKey::All => true,
        }
    }
}

impl fmt::Display for CohortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CohortKey::IndustrySize(industry, size) => write!(f, "industry_size:{industry}:{size}"),
            CohortKey::Industry(industry) => write!(f, "industry:{industry}"),
            CohortKey::Size(size) => write!(f, "size:{size}"),
            CohortKey::Region(region) => write!(f, "region:{region}"),
            CohortKey::All => f.write_str("all"),
        }
    }
}

impl FromStr for CohortKey {
    type Err = BenchmarkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || BenchmarkError::InvalidCohortKey(s.to_owned());
        if s == "all" {
            return Ok(CohortKey::All);
        }
        let (kind, rest) = s.split_once(':').ok_or_else(invalid)?;
        let key = match kind {
            "industry_size" => {
                let (industry, size) = rest.split_once(':').ok_or_else(invalid)?;
                CohortKey::IndustrySize(industry.parse()?, size.parse()?)
            }
            "industry" => CohortKey::Industry(rest.parse()?),
            "size" => CohortKey::Size(rest.parse()?),
            "region" => CohortKey::Region(rest.parse()?),
            _ => return Err(invalid()),
        };
        Ok(key)
    }
}

/// Serialized as its stable string form so it can key JSON maps.
impl Serialize for CohortKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CohortKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    use super::*;

    fn profile() -> Profile {
        Profile {
            industry: Industry::Manufacturing,
            size: SizeClass::Small,
            region: Region::Bayern,
        }
    }

    #[test]
    fn string_forms_are_stable() {
        let keys = CohortKey::all_for(&profile());
        let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "industry_size:C:small",
                "industry:C",
                "size:small",
                "region:DE-BY",
                "all"
            ]
        );
        for (key, text) in keys.iter().zip(&texts) {
            assert_eq!(text.parse::<CohortKey>().as_ref(), Ok(key));
        }
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "al",
            "ALL",
            "industry",
            "industry:",
            "industry:V",
            "industry_size:C",
            "industry_size:C:small:x",
            "size:tiny",
            "region:BY",
            "sector:C",
        ] {
            assert!(bad.parse::<CohortKey>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn deserializes_from_string_form() {
        let de: StrDeserializer<'_, ValueError> = "industry_size:F:micro".into_deserializer();
        assert_eq!(
            CohortKey::deserialize(de),
            Ok(CohortKey::IndustrySize(
                Industry::Construction,
                SizeClass::Micro
            ))
        );
        let bad: StrDeserializer<'_, ValueError> = "industry:Z".into_deserializer();
        assert!(CohortKey::deserialize(bad).is_err());
    }

    #[test]
    fn parents_follow_the_fallback_chain() {
        let [industry_size, industry, size, region, all] = CohortKey::all_for(&profile());
        assert_eq!(industry_size.parent(), Some(industry));
        assert_eq!(industry.parent(), Some(all));
        assert_eq!(size.parent(), Some(all));
        assert_eq!(region.parent(), Some(all));
        assert_eq!(all.parent(), None);
        assert_eq!(
            CohortKey::fallback_chain(&profile()),
            [industry_size, industry, all]
        );
    }

    #[test]
    fn containment_covers_every_ancestor() {
        let [industry_size, industry, size, region, all] = CohortKey::all_for(&profile());
        assert!(industry.contains(&industry_size));
        assert!(size.contains(&industry_size));
        assert!(all.contains(&industry_size));
        assert!(!region.contains(&industry_size));
        assert!(!industry_size.contains(&industry_size));
        assert!(all.contains(&region));
        assert!(!CohortKey::Industry(Industry::Trade).contains(&industry_size));
        for key in CohortKey::all_for(&profile()) {
            assert!(key.matches(&profile()));
        }
    }
}
