//! A firm's profile: the three fixed code lists cohorts are cut by.
//!
//! The lists are closed enums because the privacy rules allow no free filters: every cohort
//! that can ever be asked for is known in advance, so disclosure control sees all of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::BenchmarkError;

/// Declares a closed code list: the enum, its codes, parsing and display.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident, $err:ident,
        { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every code, in code-list order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The official code, as used in storage and URLs.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        impl FromStr for $name {
            type Err = BenchmarkError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(BenchmarkError::$err(other.to_owned())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_list! {
    /// Economic activity: WZ 2008 section (the German edition of NACE Rev. 2), `A`..`U`.
    Industry, UnknownIndustry, {
        /// A – agriculture, forestry and fishing.
        Agriculture => "A",
        /// B – mining and quarrying.
        Mining => "B",
        /// C – manufacturing.
        Manufacturing => "C",
        /// D – electricity, gas, steam and air conditioning supply.
        Energy => "D",
        /// E – water supply, sewerage, waste management.
        WaterWaste => "E",
        /// F – construction.
        Construction => "F",
        /// G – wholesale and retail trade, repair of motor vehicles.
        Trade => "G",
        /// H – transportation and storage.
        Transport => "H",
        /// I – accommodation and food service.
        Hospitality => "I",
        /// J – information and communication.
        InformationCommunication => "J",
        /// K – financial and insurance activities.
        FinanceInsurance => "K",
        /// L – real estate activities.
        RealEstate => "L",
        /// M – professional, scientific and technical activities.
        Professional => "M",
        /// N – administrative and support service activities.
        AdministrativeSupport => "N",
        /// O – public administration and defence.
        PublicAdministration => "O",
        /// P – education.
        Education => "P",
        /// Q – human health and social work.
        HealthSocial => "Q",
        /// R – arts, entertainment and recreation.
        Arts => "R",
        /// S – other service activities.
        OtherServices => "S",
        /// T – activities of households as employers.
        Households => "T",
        /// U – extraterritorial organisations.
        Extraterritorial => "U",
    }
}

code_list! {
    /// Size class by headcount, following the EU SME definition.
    SizeClass, UnknownSizeClass, {
        /// Fewer than 10 employees.
        Micro => "micro",
        /// 10 to 49 employees.
        Small => "small",
        /// 50 to 249 employees.
        Medium => "medium",
        /// 250 employees or more.
        Large => "large",
    }
}

code_list! {
    /// German federal state, ISO 3166-2 code.
    Region, UnknownRegion, {
        /// Baden-Württemberg.
        BadenWuerttemberg => "DE-BW",
        /// Bayern.
        Bayern => "DE-BY",
        /// Berlin.
        Berlin => "DE-BE",
        /// Brandenburg.
        Brandenburg => "DE-BB",
        /// Bremen.
        Bremen => "DE-HB",
        /// Hamburg.
        Hamburg => "DE-HH",
        /// Hessen.
        Hessen => "DE-HE",
        /// Mecklenburg-Vorpommern.
        MecklenburgVorpommern => "DE-MV",
        /// Niedersachsen.
        Niedersachsen => "DE-NI",
        /// Nordrhein-Westfalen.
        NordrheinWestfalen => "DE-NW",
        /// Rheinland-Pfalz.
        RheinlandPfalz => "DE-RP",
        /// Saarland.
        Saarland => "DE-SL",
        /// Sachsen.
        Sachsen => "DE-SN",
        /// Sachsen-Anhalt.
        SachsenAnhalt => "DE-ST",
        /// Schleswig-Holstein.
        SchleswigHolstein => "DE-SH",
        /// Thüringen.
        Thueringen => "DE-TH",
    }
}

/// What a firm tells about itself; decides which five cohorts its response counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Profile {
    /// WZ 2008 section.
    pub industry: Industry,
    /// Headcount class.
    pub size: SizeClass,
    /// Federal state.
    pub region: Region,
}

impl Profile {
    /// Builds a profile from its three codes, e.g. `("C", "small", "DE-BY")`.
    pub fn parse(industry: &str, size: &str, region: &str) -> Result<Self, BenchmarkError> {
        Ok(Self {
            industry: industry.parse()?,
            size: size.parse()?,
            region: region.parse()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_are_complete_and_round_trip() {
        assert_eq!(Industry::ALL.len(), 21);
        assert_eq!(SizeClass::ALL.len(), 4);
        assert_eq!(Region::ALL.len(), 16);
        for i in Industry::ALL {
            assert_eq!(i.as_str().parse::<Industry>(), Ok(*i));
        }
        for s in SizeClass::ALL {
            assert_eq!(s.as_str().parse::<SizeClass>(), Ok(*s));
        }
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>(), Ok(*r));
        }
        assert_eq!(Industry::ALL.first().map(|i| i.as_str()), Some("A"));
        assert_eq!(Industry::ALL.last().map(|i| i.as_str()), Some("U"));
        assert_eq!(Region::ALL.first().map(|r| r.as_str()), Some("DE-BW"));
        assert_eq!(Region::ALL.last().map(|r| r.as_str()), Some("DE-TH"));
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(matches!(
            "V".parse::<Industry>(),
            Err(BenchmarkError::UnknownIndustry(_))
        ));
        assert!(matches!(
            "c".parse::<Industry>(),
            Err(BenchmarkError::UnknownIndustry(_))
        ));
        assert!(matches!(
            "tiny".parse::<SizeClass>(),
            Err(BenchmarkError::UnknownSizeClass(_))
        ));
        assert!(matches!(
            "DE-XX".parse::<Region>(),
            Err(BenchmarkError::UnknownRegion(_))
        ));
        assert!(Profile::parse("C", "small", "DE-BY").is_ok());
    }
}
