//! Coarser groupings the dashboard falls back to when the finer rows cannot be shown: sectors of
//! industry sections, two size bands, four parts of Germany, and bands of adjacent maturity
//! levels (global recoding before local suppression, as official statistics do).
//!
//! Why these: each is a grouping a chamber already uses in words (Destatis' broad sectors, the
//! SME line at 50 staff, north/east/south/west), so a merged row still says something a board
//! understands. The audit (`audit`) offers them as candidates beside the fine rows; when a
//! fine row would isolate a small group, the merged row can often still be shown.

use serde::{Deserialize, Serialize};

use crate::benchmark::{Industry, Region, SizeClass};

/// Broad economic sectors, each a run of WZ 2008 sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// A–F: agriculture, mining, manufacturing, energy, water, construction.
    Production,
    /// G–I: trade, transport, hospitality.
    TradeTransportHospitality,
    /// J–N: information, finance, real estate, professional and support services.
    BusinessServices,
    /// O–U: public administration, education, health, arts and other services.
    PublicAndOtherServices,
}

impl Sector {
    /// Every sector, in order.
    pub const ALL: [Sector; 4] = [
        Sector::Production,
        Sector::TradeTransportHospitality,
        Sector::BusinessServices,
        Sector::PublicAndOtherServices,
    ];

    /// The sector of an industry section.
    pub fn of(industry: Industry) -> Self {
        use Industry::*;
        match industry {
            Agriculture | Mining | Manufacturing | Energy | WaterWaste | Construction => {
                Sector::Production
            }
            Trade | Transport | Hospitality => Sector::TradeTransportHospitality,
            InformationCommunication
            | FinanceInsurance
            | RealEstate
            | Professional
            | AdministrativeSupport => Sector::BusinessServices,
            PublicAdministration | Education | HealthSocial | Arts | OtherServices | Households
            | Extraterritorial => Sector::PublicAndOtherServices,
        }
    }

    /// Stable id (texts: `sector_<id>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Production => "production",
            Sector::TradeTransportHospitality => "trade_transport_hospitality",
            Sector::BusinessServices => "business_services",
            Sector::PublicAndOtherServices => "public_other_services",
        }
    }
}

/// Size classes merged at the SME line of 50 staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeBand {
    /// Micro and small: fewer than 50 staff.
    Under50,
    /// Medium and large: 50 staff or more.
    From50,
}

impl SizeBand {
    /// Both bands.
    pub const ALL: [SizeBand; 2] = [SizeBand::Under50, SizeBand::From50];

    /// The band of a size class.
    pub fn of(size: SizeClass) -> Self {
        match size {
            SizeClass::Micro | SizeClass::Small => SizeBand::Under50,
            SizeClass::Medium | SizeClass::Large => SizeBand::From50,
        }
    }

    /// Stable id (texts: `size_band_<id>`).
    pub fn as_str(self) -> &'static str {
        match self {
            SizeBand::Under50 => "under_50",
            SizeBand::From50 => "from_50",
        }
    }
}

/// Federal states grouped into four parts of Germany.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionGroup {
    /// Schleswig-Holstein, Hamburg, Bremen, Niedersachsen.
    North,
    /// Berlin, Brandenburg, Mecklenburg-Vorpommern, Sachsen, Sachsen-Anhalt, Thüringen.
    East,
    /// Baden-Württemberg, Bayern.
    South,
    /// Nordrhein-Westfalen, Hessen, Rheinland-Pfalz, Saarland.
    West,
}

impl RegionGroup {
    /// Every group, in order.
    pub const ALL: [RegionGroup; 4] = [
        RegionGroup::North,
        RegionGroup::East,
        RegionGroup::South,
        RegionGroup::West,
    ];

    /// The group of a federal state.
    pub fn of(region: Region) -> Self {
        use Region::*;
        match region {
            SchleswigHolstein | Hamburg | Bremen | Niedersachsen => RegionGroup::North,
            Berlin | Brandenburg | MecklenburgVorpommern | Sachsen | SachsenAnhalt | Thueringen => {
                RegionGroup::East
            }
            BadenWuerttemberg | Bayern => RegionGroup::South,
            NordrheinWestfalen | Hessen | RheinlandPfalz | Saarland => RegionGroup::West,
        }
    }

    /// Stable id (texts: `region_group_<id>`).
    pub fn as_str(self) -> &'static str {
        match self {
            RegionGroup::North => "north",
            RegionGroup::East => "east",
            RegionGroup::South => "south",
            RegionGroup::West => "west",
        }
    }
}

/// Adjacent maturity levels `from..=to` shown as one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LevelBand {
    /// Lowest level of the band, 1..=5.
    pub from: u8,
    /// Highest level of the band, `from..=5`.
    pub to: u8,
}

impl LevelBand {
    /// Whether `level` lies in the band.
    pub fn contains(self, level: u8) -> bool {
        (self.from..=self.to).contains(&level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_group() {
        // Each fine code falls in exactly one group, so the groups partition the firms.
        for &i in Industry::ALL {
            assert_eq!(
                Sector::ALL.iter().filter(|&&s| s == Sector::of(i)).count(),
                1
            );
        }
        assert_eq!(Sector::of(Industry::Manufacturing), Sector::Production);
        assert_eq!(
            Sector::of(Industry::Trade),
            Sector::TradeTransportHospitality
        );
        assert_eq!(SizeBand::of(SizeClass::Small), SizeBand::Under50);
        assert_eq!(SizeBand::of(SizeClass::Medium), SizeBand::From50);
        assert_eq!(RegionGroup::of(Region::Niedersachsen), RegionGroup::North);
        assert_eq!(RegionGroup::of(Region::Sachsen), RegionGroup::East);
        let covered: usize = RegionGroup::ALL
            .iter()
            .map(|&g| {
                Region::ALL
                    .iter()
                    .filter(|&&r| RegionGroup::of(r) == g)
                    .count()
            })
            .sum();
        assert_eq!(covered, Region::ALL.len());
        assert!(LevelBand { from: 2, to: 3 }.contains(3));
        assert!(!LevelBand { from: 2, to: 3 }.contains(4));
    }
}
