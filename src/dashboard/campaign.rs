//! A chamber's campaign: name, period, optional region, public link.

use serde::{Deserialize, Serialize};

use super::error::DashboardError;
use super::filter::Period;
use super::participant::CampaignId;
use super::qr::qr_svg;
use crate::benchmark::Region;

/// A campaign among member firms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    id: CampaignId,
    name: String,
    period: Period,
    region: Option<Region>,
    public_link: String,
}

impl Campaign {
    /// Checks that the name is not blank and the link is an `https://` URL without spaces.
    pub fn new(
        id: CampaignId,
        name: &str,
        period: Period,
        region: Option<Region>,
        public_link: &str,
    ) -> Result<Self, DashboardError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(DashboardError::InvalidCampaign("name is empty"));
        }
        let link = public_link.trim();
        if !link.starts_with("https://") || link.len() <= "https://".len() {
            return Err(DashboardError::InvalidCampaign(
                "link must be an https:// URL",
            ));
        }
        if link.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(DashboardError::InvalidCampaign("link contains spaces"));
        }
        Ok(Self {
            id,
            name: name.to_owned(),
            period,
            region,
            public_link: link.to_owned(),
        })
    }

    /// The id.
    pub fn id(&self) -> &CampaignId {
        &self.id
    }

    /// The name chambers and firms see.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When firms may take part.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The federal state the campaign addresses, if any.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The link firms open to take part.
    pub fn public_link(&self) -> &str {
        &self.public_link
    }

    /// The public link as an accessible SVG QR code titled with the campaign's name.
    pub fn qr_svg(&self) -> Result<String, DashboardError> {
        qr_svg(&self.public_link, &format!("QR code: {}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::Month;

    #[test]
    fn campaign_checks_name_and_link() -> Result<(), DashboardError> {
        let period = Period::new(Month::new(2026, 1)?, Month::new(2026, 3)?)?;
        let id = || CampaignId::new("c1");
        assert!(Campaign::new(id(), "  ", period, None, "https://x.org/c/1").is_err());
        assert!(Campaign::new(id(), "Spring", period, None, "javascript:alert(1)").is_err());
        assert!(Campaign::new(id(), "Spring", period, None, "https://x.org/a b").is_err());
        let c = Campaign::new(
            id(),
            " Spring ",
            period,
            Some(Region::Bayern),
            "https://x.org/c/1",
        )?;
        assert_eq!(c.name(), "Spring");
        assert!(c.qr_svg()?.contains("<title>QR code: Spring</title>"));
        Ok(())
    }
}
