//! Chambers' campaigns: creating them, the public link that starts responses, and the
//! dashboard of their published snapshots. Knows nothing of HTTP; every number it hands out
//! comes from `dashboard`'s disclosure control.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::benchmark::{CohortKey, Profile, Region, ResponseSummary};
use crate::dashboard::{
    CampaignId, CampaignPublication, Dashboard, DashboardCatalogue, DashboardInputs, Filter, Month,
    ParticipantId, ParticipantSummary, Period, Prepared, PublishOutcome, PublishedCampaigns,
};
/// A campaign as stored; the web layer shows it without reaching into `db`.
pub use crate::db::CampaignRecord;
use crate::db::{
    CampaignResponseRow, CampaignState, DbError, NewCampaign, NewResponse, SnapshotChange, Store,
};
use crate::responses::{
    CONSENT_VERSION, LoadedResponse, Responses, ServiceError, benchmark, stored_json, write_json,
};
use crate::survey::{FieldError, Lang};
use crate::token::ResponseToken;

/// Version of the text by which an owner agrees to be counted in the chamber's statistics.
pub const CAMPAIGN_CONSENT_VERSION: &str = "chamber-2026-11-22";
pub const CAMPAIGN_NAME_MAX_CHARS: usize = 120;
/// How often a publication is re-read when another instance refreshed it at the same time.
const PUBLICATION_RETRIES: usize = 5;

/// A campaign code: 256 random bits, the public link `/c/{code}` a chamber sends its members.
pub type CampaignCode = ResponseToken;

/// The raw form of a new campaign.
#[derive(Debug, Default)]
pub struct CampaignForm<'a> {
    pub name: Option<&'a str>,
    /// `YYYY-MM`.
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// A region code, or empty for all regions.
    pub region: Option<&'a str>,
}

/// Checks a campaign form: a name, a period of whole months (from ≤ to), an optional region
/// from the fixed list.
pub fn parse_campaign_form(
    form: &CampaignForm<'_>,
) -> Result<(String, Period, Option<Region>), Vec<FieldError>> {
    let mut errors = Vec::new();
    // NFC, trimmed; a name of invisible characters only is no name.
    let name = crate::text::optional_line(form.name, CAMPAIGN_NAME_MAX_CHARS)
        .ok()
        .flatten()
        .unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            format!(
                "Bitte geben Sie einen Namen an (höchstens {CAMPAIGN_NAME_MAX_CHARS} Zeichen)."
            ),
            format!("Please enter a name (at most {CAMPAIGN_NAME_MAX_CHARS} characters)."),
        ));
    }
    let month = |raw: Option<&str>, field: &str| {
        raw.unwrap_or_default()
            .trim()
            .parse::<Month>()
            .map_err(|_| {
                FieldError::new(
                    field,
                    "Bitte geben Sie einen Monat als JJJJ-MM an, z. B. 2026-11.",
                    "Please enter a month as YYYY-MM, e.g. 2026-11.",
                )
            })
    };
    let from = month(form.from, "from").map_err(|e| errors.push(e)).ok();
    let to = month(form.to, "to").map_err(|e| errors.push(e)).ok();
    let period = match (from, to) {
        (Some(from), Some(to)) => Period::new(from, to)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "to",
                    "Das Ende darf nicht vor dem Beginn liegen.",
                    "The end must not be before the start.",
                ))
            })
            .ok(),
        _ => None,
    };
    let region = match form.region.map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(code) => match code.parse::<Region>() {
            Ok(region) => Some(region),
            Err(_) => {
                errors.push(FieldError::new(
                    "region",
                    "Diese Region steht nicht in der Liste.",
                    "This region is not in the list.",
                ));
                None
            }
        },
    };
    match period {
        Some(period) if errors.is_empty() => Ok((name, period, region)),
        _ => Err(errors),
    }
}

/// The part of a stored result (`scoring::Assessment` as JSON) the dashboard reads: scores,
/// levels, red flag ids and the catalogue version. Parsing only these (the rest, e.g. the
/// actions, is skipped unparsed) keeps reading 50,000 results cheap in time and memory.
#[derive(serde::Deserialize)]
struct StoredResult {
    catalogue_version: String,
    overall: StoredScore,
    dimensions: Vec<StoredScore>,
    red_flags: Vec<StoredFlag>,
}

#[derive(serde::Deserialize)]
struct StoredScore {
    score: u8,
    level: u8,
}

#[derive(serde::Deserialize)]
struct StoredFlag {
    id: String,
}

/// A counted response as the dashboard sees it (profile, month and scores, under an id that
/// means nothing outside the campaign's publication), with the catalogue version it was
/// scored under.
fn participant(row: &CampaignResponseRow) -> Result<(ParticipantSummary, String), ServiceError> {
    let result: StoredResult =
        serde_json::from_str(&row.result_json).map_err(stored_json("result"))?;
    let submitted = time::OffsetDateTime::from_unix_timestamp(row.submitted_at / 1000)?.date();
    let summary = ParticipantSummary {
        id: ParticipantId::new(format!("r{}", row.response_id)),
        campaign: CampaignId::new(row.campaign_id.to_string()),
        submitted,
        profile: Profile::parse(&row.industry, &row.size_class, &row.region)
            .map_err(benchmark("stored profile"))?,
        response: ResponseSummary::new(
            result.overall.score,
            result.overall.level,
            result.dimensions.iter().map(|d| d.score).collect(),
            result.dimensions.iter().map(|d| d.level).collect(),
            result.red_flags.into_iter().map(|f| f.id),
        )
        .map_err(benchmark("result"))?,
    };
    Ok((summary, result.catalogue_version))
}

#[derive(Debug, Clone)]
pub struct Campaigns {
    store: Store,
    responses: Responses,
    cache: Arc<Mutex<DashboardCache>>,
}

/// Dashboards computed before, and the publications they were computed from (issue 17).
///
/// Why: a dashboard request used to read and parse every participant of every campaign and run
/// the disclosure checks over all of them, growing with the participants (2.7 s at 50,000). A
/// dashboard depends only on the campaigns' published snapshots, the "all firms" figures and
/// the request, so it is kept per those; a publication is kept per its campaign's
/// [`CampaignState`], which a cheap query reads. The rules themselves (`dashboard`) are
/// untouched: this sits around `Dashboard::compute`.
#[derive(Debug, Default)]
struct DashboardCache {
    publications: HashMap<i64, CachedPublication>,
    dashboards: HashMap<DashboardKey, Arc<Dashboard>>,
    /// The audit and code counts of the last publications (their stamps, in the chamber's
    /// order) a dashboard was computed from: the same for every filter, so a new filter on
    /// unchanged publications does not redo them.
    prepared: Option<(Vec<(i64, u64)>, Prepared)>,
    /// Names each publication that entered the cache, for the keys of dashboards.
    next_stamp: u64,
}

#[derive(Debug)]
struct CachedPublication {
    state: CampaignState,
    stamp: u64,
    publication: Arc<CampaignPublication>,
    older: Arc<OlderResponses>,
}

/// Per month, how many of a campaign's counted responses were answered under an older
/// catalogue version (and so are in none of its figures): counted while the publication is
/// refreshed, which reads every response anyway, so the page's note needs no second pass.
type OlderResponses = BTreeMap<Month, usize>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DashboardKey {
    /// (campaign id, stamp of its cached publication), in the chamber's order.
    publications: Vec<(i64, u64)>,
    /// The "all firms" comparison as published (a few numbers).
    all_firms: String,
    filter: Filter,
    change_from: Option<Period>,
}

/// Dashboards kept at most: a chamber's filters repeat, and memory stays bounded.
const CACHED_DASHBOARDS: usize = 512;

impl Campaigns {
    pub fn new(store: Store, responses: Responses) -> Campaigns {
        Campaigns {
            store,
            responses,
            cache: Arc::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, DashboardCache> {
        // A panic while holding the lock leaves a cache that is merely incomplete.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The campaign's publication, from the cache while its state is unchanged.
    async fn cached_publication(
        &self,
        campaign_id: i64,
    ) -> Result<(u64, Arc<CampaignPublication>, Arc<OlderResponses>), ServiceError> {
        let state = self.store.campaign_state(campaign_id).await?;
        if let Some(cached) = self.cache().publications.get(&campaign_id)
            && cached.state == state
        {
            return Ok((
                cached.stamp,
                cached.publication.clone(),
                cached.older.clone(),
            ));
        }
        let (publication, older) = self.publication_and_older(campaign_id).await?;
        let (publication, older) = (Arc::new(publication), Arc::new(older));
        // Kept only if nothing changed meanwhile (else the next request refreshes again).
        let after = self.store.campaign_state(campaign_id).await?;
        let mut cache = self.cache();
        cache.next_stamp += 1;
        let stamp = cache.next_stamp;
        if after.live == state.live {
            cache.publications.insert(
                campaign_id,
                CachedPublication {
                    state: after,
                    stamp,
                    publication: publication.clone(),
                    older: older.clone(),
                },
            );
        }
        Ok((stamp, publication, older))
    }

    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        chamber_id: i64,
        form: &CampaignForm<'_>,
    ) -> Result<i64, ServiceError> {
        let (name, period, region) = parse_campaign_form(form).map_err(ServiceError::Invalid)?;
        let code = CampaignCode::generate()?;
        Ok(self
            .store
            .insert_campaign(&NewCampaign {
                chamber_id,
                name: &name,
                starts_on: &period.from().to_string(),
                ends_on: &period.to().to_string(),
                region: region.map(Region::as_str),
                code: &code.as_url_part(),
                now: self.responses.clock().now_ms(),
            })
            .await?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn list(&self, chamber_id: i64) -> Result<Vec<CampaignRecord>, ServiceError> {
        Ok(self.store.campaigns(chamber_id).await?)
    }

    /// One campaign of this chamber; another chamber's campaign is not found.
    #[tracing::instrument(skip_all)]
    pub async fn get(&self, chamber_id: i64, id: i64) -> Result<CampaignRecord, ServiceError> {
        self.store
            .campaign(chamber_id, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    pub async fn by_code(&self, code: &str) -> Result<CampaignRecord, ServiceError> {
        if CampaignCode::parse(code).is_none() {
            return Err(ServiceError::NotFound);
        }
        self.store
            .campaign_by_code(code)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Starts a response through the campaign's public link; `counted` is the owner's separate
    /// consent to be counted in the chamber's statistics.
    #[tracing::instrument(skip_all)]
    pub async fn start(
        &self,
        campaign: &CampaignRecord,
        lang: Lang,
        counted: bool,
    ) -> Result<ResponseToken, ServiceError> {
        let token = ResponseToken::generate()?;
        let hash = token.hash();
        self.store
            .start_campaign_response(
                campaign.id,
                &NewResponse {
                    token_hash: &hash,
                    catalogue_version: &self.responses.catalogue().version,
                    lang: lang.code(),
                    consent_version: CONSENT_VERSION,
                    firm_name: None,
                    is_demo: false,
                    now: self.responses.clock().now_ms(),
                },
                counted.then_some(CAMPAIGN_CONSENT_VERSION),
            )
            .await?;
        Ok(token)
    }

    /// The campaign's publication, refreshed: it takes the live participants only when they
    /// differ from the published ones by at least k (then the new snapshot is stored).
    ///
    /// Only responses of the served catalogue version count: a publication of an older version
    /// is replaced by a fresh one, never merged, so no figure mixes two rule sets.
    #[tracing::instrument(skip_all)]
    pub async fn publication(&self, campaign_id: i64) -> Result<CampaignPublication, ServiceError> {
        Ok(self.publication_and_older(campaign_id).await?.0)
    }

    /// [`Campaigns::publication`], and the campaign's responses of older catalogue versions.
    async fn publication_and_older(
        &self,
        campaign_id: i64,
    ) -> Result<(CampaignPublication, OlderResponses), ServiceError> {
        let policy = *self.responses.statistics().policy();
        let served = &self.responses.catalogue().version;
        for _ in 0..PUBLICATION_RETRIES {
            let stored = self
                .store
                .campaign_publication_of_version(campaign_id)
                .await?;
            let mut publication = match &stored {
                Some((json, _, version)) if version == served => {
                    serde_json::from_str::<CampaignPublication>(json)
                        .map_err(stored_json("campaign publication"))?
                }
                _ => CampaignPublication::new(CampaignId::new(campaign_id.to_string())),
            };
            // Row by row: only the compact summaries are kept, never every stored result.
            let mut live = Vec::new();
            let mut older = OlderResponses::new();
            self.store
                .each_campaign_response(campaign_id, |row| {
                    let (p, version) = participant(&row)?;
                    if &version == served {
                        live.push(p);
                    } else {
                        *older.entry(p.month()).or_default() += 1;
                    }
                    Ok::<_, ServiceError>(())
                })
                .await?;
            let outcome = publication.refresh(&policy, &live)?;
            let same_version = stored.as_ref().is_some_and(|(_, _, v)| v == served);
            if outcome != PublishOutcome::Published && same_version {
                return Ok((publication, older));
            }
            let json =
                serde_json::to_string(&publication).map_err(write_json("campaign publication"))?;
            if self
                .store
                .save_campaign_publication(campaign_id, &json, served, stored.map(|(_, v, _)| v))
                .await?
            {
                return Ok((publication, older));
            }
        }
        Err(DbError::Conflict.into())
    }

    /// How many counted responses of the chamber's campaigns in the filter's campaigns and
    /// period were answered under an older catalogue version, and so are in none of the
    /// dashboard's figures. The profile filters are left out on purpose: counts of one industry,
    /// size or region beside the published ones could be subtracted to find a small group.
    pub async fn older_catalogue_responses(
        &self,
        chamber_id: i64,
        filter: &Filter,
    ) -> Result<usize, ServiceError> {
        // Counted when the campaign's publication was last refreshed (see `OlderResponses`):
        // reading every stored result per page request grew with the participants (issue 17).
        let mut older = 0;
        for campaign in self.list(chamber_id).await? {
            let id = CampaignId::new(campaign.id.to_string());
            if !(filter.campaigns.is_empty() || filter.campaigns.contains(&id)) {
                continue;
            }
            let (_, _, months) = self.cached_publication(campaign.id).await?;
            older += months
                .iter()
                .filter(|(month, _)| filter.period.is_none_or(|p| p.contains(**month)))
                .map(|(_, n)| n)
                .sum::<usize>();
        }
        Ok(older)
    }

    /// Erases a response and, in the same transaction, takes it out of its campaign's published
    /// snapshot (withdrawn until the next publication, so no number moves by one firm). A
    /// failure leaves both as they were, so the owner can retry with the same link.
    #[tracing::instrument(skip_all)]
    pub async fn erase_response(&self, response: &LoadedResponse) -> Result<(), ServiceError> {
        let response_id = response.record.id;
        let participant = ParticipantId::new(format!("r{response_id}"));
        for _ in 0..PUBLICATION_RETRIES {
            let campaign = self.store.response_campaign(response_id).await?;
            let mut snapshot = None;
            if let Some(c) = campaign
                && let Some((json, version)) =
                    self.store.campaign_publication(c.campaign_id).await?
            {
                let mut publication = serde_json::from_str::<CampaignPublication>(&json)
                    .map_err(stored_json("campaign publication"))?;
                if publication.erase(&participant) {
                    let json = serde_json::to_string(&publication)
                        .map_err(write_json("campaign publication"))?;
                    snapshot = Some((c.campaign_id, json, version));
                }
            }
            let change = snapshot
                .as_ref()
                .map(|(campaign_id, json, version)| SnapshotChange {
                    campaign_id: *campaign_id,
                    json,
                    expected_version: *version,
                });
            match self.responses.delete_once(response, change.as_ref()).await {
                Err(ServiceError::Db(DbError::Conflict)) => continue,
                other => return other,
            }
        }
        Err(DbError::Conflict.into())
    }

    /// The dashboard of a chamber's campaigns for a filter (campaigns in the filter must be
    /// the chamber's own: the caller checks), optionally against an earlier period.
    #[tracing::instrument(skip_all)]
    pub async fn dashboard(
        &self,
        chamber_id: i64,
        filter: &Filter,
        change_from: Option<Period>,
    ) -> Result<Dashboard, ServiceError> {
        let campaigns = self.list(chamber_id).await?;
        let mut stamps = Vec::with_capacity(campaigns.len());
        let mut publications = Vec::with_capacity(campaigns.len());
        for campaign in &campaigns {
            let (stamp, publication, _) = self.cached_publication(campaign.id).await?;
            stamps.push((campaign.id, stamp));
            publications.push(publication);
        }
        let statistics = self.responses.statistics();
        let snapshot = statistics.snapshot().await?;
        let all_firms = snapshot.get(&CohortKey::All);
        // The all-firms reference is the served version's, like the campaign figures.
        let key = DashboardKey {
            publications: stamps,
            all_firms: format!("{all_firms:?}"),
            filter: filter.clone(),
            change_from,
        };
        let prepared = {
            let cache = self.cache();
            if let Some(dashboard) = cache.dashboards.get(&key) {
                return Ok(Dashboard::clone(dashboard));
            }
            cache
                .prepared
                .as_ref()
                .filter(|(stamps, _)| *stamps == key.publications)
                .map(|(_, prepared)| prepared.clone())
        };
        // Read in place: no copy of every participant per computed dashboard.
        let mut data = PublishedCampaigns::from_publications(publications.iter().map(|p| &**p))?;
        if let Some(prepared) = prepared {
            data = data.with_prepared(prepared);
        }
        let catalogue = DashboardCatalogue::from_catalogue(self.responses.catalogue());
        let inputs = DashboardInputs {
            policy: statistics.policy(),
            catalogue: &catalogue,
            data: &data,
            all_firms,
        };
        let dashboard = Dashboard::compute(&inputs, filter, change_from)?;
        let mut cache = self.cache();
        cache.prepared = Some((key.publications.clone(), data.prepared()));
        if cache.dashboards.len() >= CACHED_DASHBOARDS {
            cache.dashboards.clear();
        }
        cache.dashboards.insert(key, Arc::new(dashboard.clone()));
        Ok(dashboard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(name: &'a str, from: &'a str, to: &'a str, region: &'a str) -> CampaignForm<'a> {
        CampaignForm {
            name: Some(name),
            from: Some(from),
            to: Some(to),
            region: Some(region),
        }
    }

    #[test]
    fn a_campaign_form_is_checked_field_by_field() {
        let (name, period, region) =
            parse_campaign_form(&form(" Digitalwoche ", "2026-10", "2026-12", "DE-BY"))
                .expect("ok");
        assert_eq!(name, "Digitalwoche");
        assert_eq!(period.from().to_string(), "2026-10");
        assert_eq!(region.map(Region::as_str), Some("DE-BY"));
        assert!(
            parse_campaign_form(&form("x", "2026-10", "2026-12", ""))
                .expect("ok")
                .2
                .is_none()
        );

        let errors = parse_campaign_form(&form("", "2026-13", "2026/12", "XX")).expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "from", "to", "region"]);
        let reversed = parse_campaign_form(&form("x", "2026-12", "2026-10", "")).expect_err("bad");
        assert_eq!(reversed[0].field, "to");
    }

    /// The dashboard reads only part of a stored result: it must give the same summary as the
    /// whole `Assessment` does (with red flags, so that their ids are read too).
    #[test]
    fn a_stored_result_is_read_as_its_whole_assessment_would_be() {
        let catalogue = crate::survey::current();
        let mut firms = crate::demo::DemoGenerator::new(catalogue, 17);
        let mut flagged = 0;
        for n in 0..200 {
            let firm = firms.firm();
            flagged += usize::from(!firm.assessment.red_flags.is_empty());
            let row = CampaignResponseRow {
                response_id: n,
                campaign_id: 3,
                submitted_at: 1_790_000_000_000,
                industry: firm.profile.industry.as_str().to_owned(),
                size_class: firm.profile.size.as_str().to_owned(),
                region: firm.profile.region.as_str().to_owned(),
                result_json: serde_json::to_string(&firm.assessment).expect("json"),
            };
            let (summary, version) = participant(&row).expect("parses");
            assert_eq!(version, firm.assessment.catalogue_version);
            assert_eq!(
                summary.response,
                crate::statistics::summary_of(&firm.assessment).expect("summary")
            );
            assert_eq!(summary.profile, firm.profile);
            assert_eq!(summary.id.as_str(), format!("r{n}"));
        }
        assert!(flagged > 0, "no firm with a red flag among 200");
    }
}
