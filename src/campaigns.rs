//! Chambers' campaigns: creating them, the public link that starts responses, and the
//! dashboard of their published snapshots. Knows nothing of HTTP; every number it hands out
//! comes from `dashboard`'s disclosure control.
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use crate::benchmark::{CohortKey, DisclosurePolicy, Profile, Region, ResponseSummary};
use crate::dashboard::{
    CampaignId, CampaignPublication, Dashboard, DashboardCatalogue, DashboardInputs, Filter,
    KeptSet, Month, ParticipantId, ParticipantSummary, Period, Prepared, PublishedCampaigns,
};
/// A campaign as stored; the web layer shows it without reaching into `db`.
pub use crate::db::CampaignRecord;
use crate::db::{
    CampaignRemovals, CampaignResponseRow, CampaignState, DbError, KeptView, NewCampaign,
    NewResponse, SnapshotChange, Store,
};
use crate::responses::{
    CONSENT_VERSION, LoadedResponse, Responses, ServiceError, benchmark, stored_json,
};
use crate::statistics::Snapshot;
use crate::survey::{Catalogue, FieldError, Lang};
use crate::token::ResponseToken;

/// Version of the text by which an owner agrees to be counted in the chamber's statistics.
pub const CAMPAIGN_CONSENT_VERSION: &str = "chamber-2026-11-22";
pub const CAMPAIGN_NAME_MAX_CHARS: usize = 120;
/// How often a publication is re-read when another instance refreshed it at the same time.
const PUBLICATION_RETRIES: usize = 5;
/// Audits of one state while other instances record the chamber's history first (task race14):
/// each attempt is one bounded audit (`audit::AUDIT_WORK`).
const HISTORY_ATTEMPTS: usize = 3;
/// How often a dashboard request reads the chamber's publications again when its state turned
/// out behind the recorded history, or the history kept moving (task race14). Each round costs
/// a read of every publication and up to [`HISTORY_ATTEMPTS`] bounded audits, so few: a state is
/// behind only when another instance published and recorded since the read, which a re-read
/// usually catches up with; past the rounds the request gets 503 and is retried later. (The
/// value is the one these rounds had while they borrowed `PUBLICATION_RETRIES`.)
const HISTORY_REREADS: usize = 5;

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
    warming: Arc<Warming>,
    /// First views of chambers that never looked, made ready before they look (task first17).
    first_views: Arc<FirstViews>,
    /// How long the warm-up waits for quiet after a change (`DASHBOARD_WARM_QUIET_MS`).
    warm_quiet: std::time::Duration,
    /// Whether the audit knows the recorded history (`DASHBOARD_AUDIT_HISTORY`).
    audit_history: bool,
    /// The start-up preparation ([`Campaigns::warm_at_start`]), for `/ready`.
    at_start: Arc<AtStart>,
}

/// Whether the start-up preparation ([`Campaigns::warm_at_start`]) still runs (task start):
/// `/ready` says "warming" meanwhile, for at most `at_most` after it began, so that a load
/// balancer sends no chamber to an instance whose first views would wait for that work
/// (50,000 participants after a restart: 2.1 s before the work was kept, 0.26 s since).
#[derive(Debug)]
struct AtStart {
    began: std::sync::OnceLock<std::time::Instant>,
    done: std::sync::atomic::AtomicBool,
    at_most: std::time::Duration,
}

impl AtStart {
    fn new(at_most: std::time::Duration) -> AtStart {
        AtStart {
            began: std::sync::OnceLock::new(),
            done: std::sync::atomic::AtomicBool::new(false),
            at_most,
        }
    }
}

/// Chambers whose campaigns changed, waiting for their dashboards to be made ready in the
/// background (see [`Campaigns::changed`]).
///
/// Why (issue 17): a chamber's first view after a publication change used to refresh the
/// publication (read every participant), audit the chamber's publications and compute the
/// view on the request: 1.7 s at 50,000 participants. Made ready after the submits that changed
/// it, the view finds the publication, the [`Prepared`] work and the dashboard in the cache.
/// Nothing about consistency changes: the work is exactly what a view would do, a view still
/// checks each campaign's stored state and refreshes itself if it moved on (an erasure is
/// never served from before it), and a view that arrives while the work runs waits for it.
#[derive(Debug, Default)]
struct Warming {
    chambers: Mutex<std::collections::BTreeSet<i64>>,
    /// Chambers whose next state is being made ready now.
    busy: Mutex<std::collections::HashSet<i64>>,
    wake: tokio::sync::Notify,
    started: std::sync::atomic::AtomicBool,
}

/// A burst of submits is made ready once, after some quiet (`DASHBOARD_WARM_QUIET_MS`, 300 ms
/// by default)… or after this much time while submits keep coming (or the quiet, if longer).
const WARM_AT_MOST_AFTER: std::time::Duration = std::time::Duration::from_secs(3);
/// Campaigns whose own dashboards (the page's campaign selection) are made ready besides the
/// chamber's whole one.
const WARMED_CAMPAIGNS: usize = 8;

/// The stamp of a dashboard loaded from what an earlier run kept (task prev): stamps are
/// counted from 1, so it names no publication of this run; `previous` compares only the
/// campaign ids beside it.
const KEPT_STAMP: u64 = 0;

/// How new the publications a dashboard was computed from are (task prev): the sum of their
/// stored versions (none stored: 0). A campaign's stored version only grows (every save, an
/// erasure too), and a view holds the stored version it read, so a dashboard read later has
/// each version at least as high, and so this sum.
fn publications_age(versions: &Versions) -> i64 {
    versions.iter().map(|(_, v)| v.unwrap_or(0)).sum()
}

/// The filters the warm-up makes ready (and a restart is served kept): the whole chamber and
/// each of its first [`WARMED_CAMPAIGNS`] campaigns.
fn warmed(campaigns: &[CampaignRecord]) -> Vec<Filter> {
    let mut filters = vec![Filter::all()];
    filters.extend(campaigns.iter().take(WARMED_CAMPAIGNS).map(|c| {
        let mut filter = Filter::all();
        filter.campaigns.insert(CampaignId::new(c.id.to_string()));
        filter
    }));
    filters
}

/// Dashboards computed before, and the publications they were computed from (issue 17).
///
/// Why: a dashboard request used to read and parse every participant of every campaign and run
/// the disclosure checks over all of them, growing with the participants (2.7 s at 50,000). A
/// dashboard depends only on the campaigns' published snapshots, the "all firms" figures and
/// the request, so it is kept per those; a publication is kept per its campaign's
/// [`CampaignState`], which a cheap query reads. The rules themselves (`dashboard`) are
/// untouched: this sits around `Dashboard::compute`.
///
/// A submit changes the state but, until `k` participants changed, not the publication: the
/// refresh then keeps the cached publication and its stamp, so the dashboards and the
/// [`Prepared`] work made on it stay valid.
#[derive(Debug, Default)]
struct DashboardCache {
    publications: HashMap<i64, CachedPublication>,
    dashboards: HashMap<DashboardKey, Arc<Dashboard>>,
    /// Per chamber: the audit and code counts of its publications (their stamps, in the
    /// chamber's order), the same for every filter, so a new filter on unchanged publications
    /// does not redo them. Made once: requests arriving while it is made wait for it.
    prepared: HashMap<i64, (Stamps, Arc<tokio::sync::OnceCell<Prepared>>)>,
    /// Per campaign: held while its publication is refreshed, so that concurrent requests
    /// wait for that refresh instead of reading every participant once each.
    refreshing: HashMap<i64, Arc<tokio::sync::Mutex<()>>>,
    /// Names each publication that entered the cache, for the keys of dashboards.
    next_stamp: u64,
    /// Per chamber, filter and comparison: the dashboard last computed, with the stamps of the
    /// publications it was computed from and the chamber's removal counts read before them;
    /// served while the chamber's next state is made ready in the background (see
    /// [`Campaigns::previous`]).
    last: HashMap<LastKey, (Stamps, CampaignRemovals, Arc<DashboardWithNote>)>,
    /// Chambers that have looked at their dashboard on this instance (see
    /// [`Campaigns::changed`]).
    viewed: std::collections::HashSet<i64>,
}

#[derive(Debug)]
struct CachedPublication {
    /// The state it was made for; `None`: the state moved on while it was refreshed, so it is
    /// kept only as the base of the next refresh (which may reuse it, stamp and all).
    state: Option<CampaignState>,
    stamp: u64,
    /// The stored version the publication was read as or written as (`None`: none stored).
    version: Option<i64>,
    publication: Arc<CampaignPublication>,
    older: Arc<OlderResponses>,
}

/// A campaign's publication as a request holds it: its cache stamp, the stored version it was
/// read or written as, the publication and its older-catalogue counts.
struct Held {
    stamp: u64,
    version: Option<i64>,
    publication: Arc<CampaignPublication>,
    older: Arc<OlderResponses>,
}

/// (campaign id, stamp of its cached publication), in the chamber's order.
type Stamps = Vec<(i64, u64)>;

/// A chamber, a filter and a comparison period: one request's dashboard.
type LastKey = (i64, Filter, Option<Period>);

/// A chamber's publications as one state readers could see, with the count of its responses
/// in the filter answered under an older catalogue version.
type ChamberState = (Stamps, Vec<Arc<CampaignPublication>>, usize, Versions);

/// (campaign id, stored version of the publication held: `None` if none was stored), in the
/// chamber's order: what the prepared work is kept under across restarts (task start).
type Versions = Vec<(i64, Option<i64>)>;

/// Per month, how many of a campaign's counted responses were answered under an older
/// catalogue version (and so are in none of its figures): counted while the publication is
/// refreshed, which reads every response anyway, so the page's note needs no second pass.
type OlderResponses = BTreeMap<Month, usize>;

/// A refreshed publication: the version stored for it, and whether it is the one the caller
/// already held (`reused`: nothing was read or written but the live participants).
struct Refreshed {
    publication: Arc<CampaignPublication>,
    version: Option<i64>,
    older: OlderResponses,
    reused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DashboardKey {
    publications: Stamps,
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
            warming: Arc::default(),
            first_views: Arc::default(),
            warm_quiet: std::time::Duration::from_millis(300),
            audit_history: true,
            at_start: Arc::new(AtStart::new(std::time::Duration::from_secs(60))),
        }
    }

    /// How long `/ready` may say "warming" after the start-up preparation began
    /// (`READY_WARMING_AT_MOST_MS`). Set before [`Campaigns::warm_at_start`].
    pub fn with_ready_warming_at_most(mut self, at_most: std::time::Duration) -> Campaigns {
        self.at_start = Arc::new(AtStart::new(at_most));
        self
    }

    /// Whether the start-up preparation ([`Campaigns::warm_at_start`]) still runs, and began
    /// less than `READY_WARMING_AT_MOST_MS` ago (`/ready` then says "warming").
    pub fn warming_at_start(&self) -> bool {
        let at_start = &self.at_start;
        at_start
            .began
            .get()
            .is_some_and(|began| began.elapsed() < at_start.at_most)
            && !at_start.done.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether the audit takes every set kept at the chamber's earlier states as known (see
    /// `DASHBOARD_AUDIT_HISTORY`); what it keeps is recorded either way.
    pub fn with_audit_history(mut self, on: bool) -> Campaigns {
        self.audit_history = on;
        self
    }

    /// How long the background warm-up waits for quiet after a change before it starts.
    pub fn with_warm_quiet(mut self, quiet: std::time::Duration) -> Campaigns {
        self.warm_quiet = quiet;
        self
    }

    /// Notes that a response was submitted: if it came through a campaign, its chamber's
    /// dashboards are made ready in the background (see [`Warming`]), debounced. Returns at
    /// once (the campaign is looked up in the background too).
    pub fn response_submitted(&self, response_id: i64) {
        let campaigns = self.clone();
        tokio::spawn(async move {
            match campaigns.store.response_campaign(response_id).await {
                Ok(Some(campaign)) => campaigns.changed(campaign.chamber_id),
                Ok(None) => {}
                // Only a missed warm-up: the next view computes what it needs itself.
                Err(e) => tracing::debug!(error = %e, "no warm-up after a submit"),
            }
        });
    }

    /// Queues a chamber for the background warm-up, starting its task on first use. The
    /// chamber counts as busy from now on (a view arriving while the warm-up waits for quiet
    /// gets the previous dashboard too, instead of doing the work itself).
    ///
    /// Only a chamber that has looked at its dashboard (on this instance) is warmed. The
    /// warm-up publishes what a view would publish; for a chamber that has not looked yet,
    /// that would cut its first figures into publications nobody saw, each leaving the next
    /// firms waiting for `k` more (a campaign of 12 firms would show 10). Its first view
    /// publishes them all at once, as before; since task first17 that first view is made
    /// ready in the background without publishing anything ([`Campaigns::prepare_first_view`];
    /// such a chamber is not busy: it has no previous dashboard to serve).
    fn changed(&self, chamber_id: i64) {
        if !self.cache().viewed.contains(&chamber_id) {
            // Out of date now, and it may hold an erased firm: not kept until it is made again.
            self.first_views.forget(chamber_id);
        }
        self.queue(chamber_id);
    }

    /// Queues a chamber for the background warm-up (see [`Campaigns::changed`]).
    fn queue(&self, chamber_id: i64) {
        let viewed = self.cache().viewed.contains(&chamber_id);
        self.warming
            .chambers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(chamber_id);
        if viewed {
            self.warming
                .busy
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(chamber_id);
        }
        if !self
            .warming
            .started
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let campaigns = self.clone();
            tokio::spawn(async move { campaigns.warm_forever().await });
        }
        self.warming.wake.notify_one();
    }

    /// Makes the dashboards ready in the background, one chamber after the other, of every
    /// chamber that has looked at its dashboard before (it has a stored publication); they are
    /// listed now, before the service answers.
    ///
    /// Why (issue 17): a chamber's first view after a start read and parsed every participant,
    /// refreshed its publications and audited them on the request (1.6 s at 50,000). A view
    /// arriving before its chamber is ready waits for that work (the refresh lock per
    /// campaign, the prepared work's cell) and does none of it a second time. A chamber that
    /// has never looked is left to its first view, which publishes all its firms at once (the
    /// reason [`Campaigns::changed`] gives); a warm-up would also store publications of
    /// campaigns nobody asked for.
    ///
    /// Then the chambers with counted participants that never looked get their first view
    /// made ready without publishing ([`Campaigns::prepare_first_view`], task first17): their
    /// participants may have been written while no instance ran, or by `seed-demo`.
    pub async fn warm_at_start(&self) -> Result<(), ServiceError> {
        let chambers = self.store.chambers_with_publications().await?;
        let never_looked = self.store.chambers_never_looked().await?;
        let _ = self.at_start.began.set(std::time::Instant::now());
        if chambers.is_empty() && never_looked.is_empty() {
            self.at_start
                .done
                .store(true, std::sync::atomic::Ordering::SeqCst);
            return Ok(());
        }
        // Before the slow work: the dashboards the run before kept, served meanwhile under
        // `previous`'s rule (task prev); their chambers are busy until their warm-up is done.
        let mut loaded = Vec::new();
        for &chamber_id in &chambers {
            match self.load_kept_views(chamber_id).await {
                Ok(true) => loaded.push(chamber_id),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, chamber_id, "kept dashboards not loaded"),
            }
        }
        self.warming
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(loaded.iter().copied());
        let campaigns = self.clone();
        tokio::spawn(async move {
            /// Done also if the preparation panics or is dropped; then no chamber stays busy
            /// for the kept dashboards loaded (unless it was queued again meanwhile).
            struct Done<'a>(&'a AtStart, &'a Warming, Vec<i64>);
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    let queued = self
                        .1
                        .chambers
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .clone();
                    let mut busy = self
                        .1
                        .busy
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    for chamber_id in self.2.iter().filter(|c| !queued.contains(c)) {
                        busy.remove(chamber_id);
                    }
                    drop(busy);
                    self.0.done.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
            let _done = Done(&campaigns.at_start, &campaigns.warming, loaded);
            for chamber_id in chambers {
                if let Err(e) = campaigns.warm(chamber_id).await {
                    tracing::warn!(error = %e, chamber_id, "dashboard warm-up at start failed");
                }
            }
            for chamber_id in never_looked {
                if let Err(e) = campaigns.prepare_first_view(chamber_id).await {
                    tracing::warn!(error = %e, chamber_id, "first view not made ready at start");
                }
            }
        });
        Ok(())
    }

    async fn warm_forever(self) {
        loop {
            self.warming.wake.notified().await;
            let started = tokio::time::Instant::now();
            let at_most = WARM_AT_MOST_AFTER.max(self.warm_quiet);
            while started.elapsed() < at_most
                && tokio::time::timeout(self.warm_quiet, self.warming.wake.notified())
                    .await
                    .is_ok()
            {}
            let chambers = std::mem::take(
                &mut *self
                    .warming
                    .chambers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            for chamber_id in chambers {
                let made = if self.cache().viewed.contains(&chamber_id) {
                    self.warm(chamber_id).await
                } else {
                    self.prepare_first_view(chamber_id).await
                };
                if let Err(e) = made {
                    tracing::warn!(error = %e, chamber_id, "dashboard warm-up failed");
                }
            }
        }
    }

    /// What a chamber's first views need: every publication refreshed, the chamber's
    /// [`Prepared`] work, and the dashboards of the whole chamber and of each campaign.
    async fn warm(&self, chamber_id: i64) -> Result<(), ServiceError> {
        /// Marks the chamber busy until dropped, also on an error; then still busy if it was
        /// queued again meanwhile.
        struct Busy<'a>(&'a Warming, i64);
        impl Drop for Busy<'_> {
            fn drop(&mut self) {
                let queued = self
                    .0
                    .chambers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .contains(&self.1);
                if !queued {
                    self.0
                        .busy
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&self.1);
                }
            }
        }
        self.warming
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(chamber_id);
        let _busy = Busy(&self.warming, chamber_id);
        let started = std::time::Instant::now();
        // Read before any publication: see `dashboard_of`.
        let removals = self.store.chamber_removals(chamber_id).await?;
        let campaigns = self.list(chamber_id).await?;
        for filter in &warmed(&campaigns) {
            // Not `dashboard_of`'s previous state: this is what makes the next one.
            let (stamps, publications, older, versions) = self
                .chamber_publications(chamber_id, &campaigns, filter)
                .await?;
            let age = publications_age(&versions);
            let dashboard = self
                .computed(
                    chamber_id,
                    (stamps.clone(), versions),
                    publications,
                    filter,
                    None,
                )
                .await?;
            let made = Arc::new(DashboardWithNote { dashboard, older });
            let kept = self.cache().last.insert(
                (chamber_id, filter.clone(), None),
                (stamps.clone(), removals.clone(), made.clone()),
            );
            if kept.is_none_or(|(s, r, _)| s != stamps || r != removals) {
                self.keep_view(chamber_id, filter, (&stamps, age), &removals, &made)
                    .await;
            }
        }
        tracing::info!(
            chamber_id,
            ms = started.elapsed().as_millis(),
            "dashboards made ready"
        );
        Ok(())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, DashboardCache> {
        // A panic while holding the lock leaves a cache that is merely incomplete.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached publication of a campaign if it was made for `state`.
    fn cached_for(&self, campaign_id: i64, state: &CampaignState) -> Option<Held> {
        let cache = self.cache();
        let cached = cache.publications.get(&campaign_id)?;
        (cached.state.as_ref() == Some(state)).then(|| Held {
            stamp: cached.stamp,
            version: cached.version,
            publication: cached.publication.clone(),
            older: cached.older.clone(),
        })
    }

    /// The campaign's publication, from the cache while its state is unchanged.
    async fn cached_publication(&self, campaign_id: i64) -> Result<Held, ServiceError> {
        let state = self.store.campaign_state(campaign_id).await?;
        if let Some(hit) = self.cached_for(campaign_id, &state) {
            return Ok(hit);
        }
        // One refresh per campaign at a time; who waited finds the refreshed one cached.
        let lock = self
            .cache()
            .refreshing
            .entry(campaign_id)
            .or_default()
            .clone();
        let _refreshing = lock.lock().await;
        let state = self.store.campaign_state(campaign_id).await?;
        if let Some(hit) = self.cached_for(campaign_id, &state) {
            return Ok(hit);
        }
        // Nothing cached yet (after a start): the stored publication is current without
        // reading the participants if an earlier run checked it for exactly this state.
        if !self.cache().publications.contains_key(&campaign_id)
            && let Some(held) = self.checked_publication(campaign_id, &state).await?
        {
            return Ok(held);
        }
        // Taken out of the cache, not copied: while nobody else holds it, a publication that
        // moves is changed in place instead of cloned (50,000 participants: tens of MB).
        // Requests meanwhile wait for this refresh above, as they would for a changed state.
        let known = self
            .cache()
            .publications
            .remove(&campaign_id)
            .map(|c| (c.stamp, (c.version, c.publication)));
        let known_stamp = known.as_ref().map(|(stamp, _)| *stamp);
        let refreshed = self
            .refreshed(campaign_id, known.map(|(_, held)| held))
            .await?;
        let (publication, older) = (refreshed.publication, Arc::new(refreshed.older));
        // Every participant was read: hand the freed memory back (not awaited; see `memory`).
        drop(on_dashboard_thread(crate::memory::return_freed));
        // Served from the cache only if nothing changed meanwhile (else the next request
        // refreshes again, from this one).
        let after = self.store.campaign_state(campaign_id).await?;
        let unchanged = after.live == state.live && after.removals == state.removals;
        if unchanged && after.publication_version == refreshed.version {
            self.keep_checked_state(campaign_id, after, &older).await;
        }
        let mut cache = self.cache();
        let stamp = match known_stamp {
            // The same publication: dashboards and prepared work on it stay valid.
            Some(stamp) if refreshed.reused => stamp,
            _ => {
                cache.next_stamp += 1;
                cache.next_stamp
            }
        };
        cache.publications.insert(
            campaign_id,
            CachedPublication {
                state: unchanged.then_some(after),
                stamp,
                version: refreshed.version,
                publication: publication.clone(),
                older: older.clone(),
            },
        );
        Ok(Held {
            stamp,
            version: refreshed.version,
            publication,
            older,
        })
    }

    /// The stored publication of a campaign as current for `state`, if an earlier run (or
    /// this one) checked it for exactly this state, under the same catalogue, policy and code
    /// ([`Campaigns::checked_inputs`]); put into the cache as a refresh would (task start).
    ///
    /// Why: after a restart, reading and parsing 50,000 participants to find the stored
    /// publication still current took 2.1–2.7 s of the 3.8–4.0 s before the first view
    /// (release, SQLite, load 3.4). The running cache already takes a publication as current
    /// while its campaign's state (stored version, count, sum of ids and latest submit of the
    /// live participants, removals) is the one it was refreshed at; kept in the database, the
    /// same check holds across restarts. A state that differs in the least is refreshed as
    /// before; an erasure bumps the stored version and the removals, so it always differs.
    async fn checked_publication(
        &self,
        campaign_id: i64,
        state: &CampaignState,
    ) -> Result<Option<Held>, ServiceError> {
        let Some(version) = state.publication_version else {
            return Ok(None);
        };
        let checked = self
            .store
            .checked_campaign_state(campaign_id, &self.checked_inputs())
            .await?;
        let Some((checked, older)) = checked else {
            return Ok(None);
        };
        let Some(older) = older_from_text(&older) else {
            return Ok(None);
        };
        if checked != *state {
            return Ok(None);
        }
        let stored = self
            .store
            .campaign_publication_of_version(campaign_id)
            .await?;
        let served = &self.responses.catalogue().version;
        let stored = match stored {
            Some((stored, v, catalogue)) if v == version && catalogue == *served => stored,
            // Written since the state was read: refreshed as before.
            _ => return Ok(None),
        };
        let publication = Arc::new(CampaignPublication::decode(&stored)?);
        drop(stored);
        let older = Arc::new(older);
        let mut cache = self.cache();
        cache.next_stamp += 1;
        let stamp = cache.next_stamp;
        cache.publications.insert(
            campaign_id,
            CachedPublication {
                state: Some(*state),
                stamp,
                version: Some(version),
                publication: publication.clone(),
                older: older.clone(),
            },
        );
        self.first_views
            .counts
            .kept
            .states_loaded
            .fetch_add(1, Relaxed);
        Ok(Some(Held {
            stamp,
            version: Some(version),
            publication,
            older,
        }))
    }

    /// What a refresh's verdict depends on besides the campaign's state (task start): the
    /// code ([`service_fingerprint`]), the served catalogue version and the policy.
    fn checked_inputs(&self) -> String {
        self.inputs_of("state")
    }

    /// What every result kept across restarts depends on, for a `kind` of kept result: the
    /// code ([`service_fingerprint`]), the served catalogue version and the policy.
    fn inputs_of(&self, kind: &str) -> String {
        format!(
            "{kind} 1|{}|{}|{:?}",
            service_fingerprint(),
            self.responses.catalogue().version,
            self.responses.statistics().policy()
        )
    }

    /// Keeps that the stored publication is current for `state` (see
    /// [`Campaigns::checked_publication`]); a failure only costs a later start the read.
    /// Awaited, as [`Campaigns::keep_work`] says why.
    async fn keep_checked_state(
        &self,
        campaign_id: i64,
        state: CampaignState,
        older: &OlderResponses,
    ) {
        let (inputs, older) = (self.checked_inputs(), older_text(older));
        match self
            .store
            .keep_checked_campaign_state(campaign_id, &inputs, &state, &older)
            .await
        {
            Ok(()) => {
                let kept = &self.first_views.counts.kept;
                kept.states_saved.fetch_add(1, Relaxed);
            }
            Err(e) => {
                tracing::warn!(error = %e, campaign_id, "checked campaign state not kept")
            }
        }
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
        let refreshed = self.refreshed(campaign_id, None).await?;
        Ok((Arc::unwrap_or_clone(refreshed.publication), refreshed.older))
    }

    /// The campaign's counted participants of the served catalogue version, and per month how
    /// many answered under an older one.
    async fn live_participants(
        &self,
        campaign_id: i64,
    ) -> Result<(Vec<ParticipantSummary>, OlderResponses), ServiceError> {
        let served = &self.responses.catalogue().version;
        // Row by row: only the compact summaries are kept, never every stored result.
        let mut live = Vec::new();
        let mut older = OlderResponses::new();
        self.store
            .each_campaign_response(campaign_id, |row| {
                let (p, catalogue) = participant(&row)?;
                if &catalogue == served {
                    live.push(p);
                } else {
                    *older.entry(p.month()).or_default() += 1;
                }
                Ok::<_, ServiceError>(())
            })
            .await?;
        Ok((live, older))
    }

    /// The campaign's publication, refreshed (see [`Campaigns::publication`]). `known` is a
    /// publication the caller holds with the stored version it was read or written as: while
    /// that is still the stored one and fewer than `k` participants changed, it is returned as
    /// it is, without reading (and parsing) the stored snapshot again or copying it.
    async fn refreshed(
        &self,
        campaign_id: i64,
        mut known: Option<(Option<i64>, Arc<CampaignPublication>)>,
    ) -> Result<Refreshed, ServiceError> {
        let policy = *self.responses.statistics().policy();
        let served = &self.responses.catalogue().version;
        let k = usize::try_from(policy.k()).unwrap_or(usize::MAX);
        for _ in 0..PUBLICATION_RETRIES {
            // The removal count before the participants: the save is refused if a firm left
            // since (task erase, see `Store::save_campaign_publication`).
            let (removals, stored) = self.store.campaign_publication_version(campaign_id).await?;
            let same_version = stored.as_ref().is_some_and(|(_, v)| v == served);
            // Moved, not cloned (see `cached_publication`); a version that differs now never
            // matches again on a retry, as versions only grow.
            let held = match (known.take(), &stored) {
                (Some((Some(held), publication)), Some((version, _)))
                    if same_version && held == *version =>
                {
                    Some(publication)
                }
                _ => None,
            };
            let reused = held.is_some();
            let (base, version) = match held {
                Some(publication) => (Some(publication), stored.as_ref().map(|(v, _)| *v)),
                None if same_version => {
                    match self
                        .store
                        .campaign_publication_of_version(campaign_id)
                        .await?
                    {
                        // The stored bytes are dropped as soon as they are decoded.
                        Some((stored, version, catalogue)) if catalogue == *served => (
                            Some(Arc::new(CampaignPublication::decode(&stored)?)),
                            Some(version),
                        ),
                        // Replaced meanwhile: read again.
                        _ => continue,
                    }
                }
                None => (None, stored.as_ref().map(|(v, _)| *v)),
            };
            let (live, older) = self.live_participants(campaign_id).await?;
            let mut publication = match base {
                Some(publication) if publication.changes(&live)? < k => {
                    return Ok(Refreshed {
                        publication,
                        version,
                        older,
                        reused,
                    });
                }
                Some(publication) => Arc::unwrap_or_clone(publication),
                None => CampaignPublication::new(CampaignId::new(campaign_id.to_string())),
            };
            // Published (k or more changes), or a fresh one replacing an older version's: with
            // the chamber's next epoch, drawn where the publication is saved.
            let mut published = None;
            let saved = self
                .store
                .save_campaign_publication(campaign_id, served, version, removals, |epoch| {
                    publication.refresh_from(&policy, live, epoch)?;
                    let stored = publication.encode();
                    published = Some(publication);
                    Ok::<_, ServiceError>(stored)
                })
                .await?;
            if saved && let Some(publication) = published {
                return Ok(Refreshed {
                    publication: Arc::new(publication),
                    version: Some(version.map_or(1, |v| v + 1)),
                    older,
                    reused: false,
                });
            }
        }
        Err(DbError::Conflict.into())
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
            // Even when there is nothing to erase from (no publication, or the firm is not in
            // it), the erasure checks that it is still the one read (task erase).
            let mut snapshot = None;
            if let Some(c) = &campaign {
                let (stored, version) = match self.store.campaign_publication(c.campaign_id).await?
                {
                    Some((stored, version)) => {
                        let mut publication = CampaignPublication::decode(&stored)?;
                        drop(stored);
                        let erased = publication.erase(&participant);
                        (erased.then(|| publication.encode()), Some(version))
                    }
                    None => (None, None),
                };
                snapshot = Some((c.campaign_id, stored, version));
            }
            let change = snapshot
                .as_ref()
                .map(|(campaign_id, stored, version)| SnapshotChange {
                    campaign_id: *campaign_id,
                    stored: stored.as_deref(),
                    expected_version: *version,
                });
            match self.responses.delete_once(response, change.as_ref()).await {
                Err(ServiceError::Db(DbError::Conflict)) => continue,
                other => {
                    if other.is_ok()
                        && let Some(c) = &campaign
                    {
                        self.changed(c.chamber_id);
                    }
                    return other;
                }
            }
        }
        Err(DbError::Conflict.into())
    }

    /// The publications of every campaign of a chamber, refreshed, as one state readers could
    /// see: each is still the stored one at one moment after all were read (one statement
    /// reads every stored version). Why (issue 14): the rule over time runs over the chamber's
    /// publication order; campaign A read before, and campaign B after, a publication of A
    /// would be a state that never was (A old, B new), whose sets may differ from both
    /// neighbours by fewer than `k`. Re-read while another publication got in between.
    async fn chamber_publications(
        &self,
        chamber_id: i64,
        campaigns: &[CampaignRecord],
        filter: &Filter,
    ) -> Result<ChamberState, ServiceError> {
        for _ in 0..PUBLICATION_RETRIES {
            let mut stamps = Vec::with_capacity(campaigns.len());
            let mut publications = Vec::with_capacity(campaigns.len());
            let mut versions = Vec::with_capacity(campaigns.len());
            let mut held_versions = Vec::with_capacity(campaigns.len());
            let mut older = 0;
            for campaign in campaigns {
                let held = self.cached_publication(campaign.id).await?;
                held_versions.push((campaign.id, held.version));
                stamps.push((campaign.id, held.stamp));
                publications.push(held.publication);
                older += older_in_filter(campaign.id, &held.older, filter);
                if let Some(version) = held.version {
                    versions.push((campaign.id, version));
                }
            }
            versions.sort_unstable();
            let stored: Vec<(i64, i64)> = self
                .store
                .chamber_publication_versions(chamber_id)
                .await?
                .into_iter()
                .filter(|(id, _)| campaigns.iter().any(|c| c.id == *id))
                .collect();
            if stored == versions {
                return Ok((stamps, publications, older, held_versions));
            }
        }
        Err(DbError::Conflict.into())
    }

    /// The dashboard of a chamber's campaigns for a filter (campaigns in the filter must be
    /// the chamber's own: the caller checks), optionally against an earlier period.
    ///
    /// Computed on the dashboard thread (`on_dashboard_thread`), never on the async workers (at
    /// 50,000 participants the first view on new publications takes about half a second). The
    /// first request on new publications makes the chamber's [`Prepared`] work with its own
    /// view; requests arriving meanwhile wait for that one computation, then compute only theirs.
    #[tracing::instrument(skip_all)]
    pub async fn dashboard(
        &self,
        chamber_id: i64,
        filter: &Filter,
        change_from: Option<Period>,
    ) -> Result<Dashboard, ServiceError> {
        let campaigns = self.list(chamber_id).await?;
        Ok(self
            .dashboard_of(chamber_id, &campaigns, filter, change_from)
            .await?
            .dashboard)
    }

    /// [`Campaigns::dashboard`] of the chamber's `campaigns` as the caller listed them, with the
    /// note's count of older-version responses: each campaign's state is read once per request
    /// (the page used to read it again for that count, and list the campaigns twice more).
    #[tracing::instrument(skip_all)]
    pub async fn dashboard_of(
        &self,
        chamber_id: i64,
        campaigns: &[CampaignRecord],
        filter: &Filter,
        change_from: Option<Period>,
    ) -> Result<DashboardWithNote, ServiceError> {
        let key = (chamber_id, filter.clone(), change_from);
        // Read before the publications (and so before the participants a refresh reads): a
        // firm that stops counting after this read makes the count differ from this one.
        let removals = self.store.chamber_removals(chamber_id).await?;
        if self.warming_now(chamber_id)
            && let Some(previous) = self.previous(&key, campaigns, &removals)
        {
            return Ok(previous);
        }
        if !self.cache().viewed.contains(&chamber_id) {
            self.publish_first_view(chamber_id, campaigns).await?;
        }
        // Again from the publications while the state read is behind what another instance
        // recorded in the history, or others kept recording first (task race14).
        let mut attempt = 1;
        let (stamps, dashboard, older, age) = loop {
            let (stamps, publications, older, versions) = self
                .chamber_publications(chamber_id, campaigns, filter)
                .await?;
            let age = publications_age(&versions);
            match self
                .computed(
                    chamber_id,
                    (stamps.clone(), versions),
                    publications,
                    filter,
                    change_from,
                )
                .await
            {
                Err(ServiceError::Db(DbError::Conflict)) if attempt < HISTORY_REREADS => {
                    attempt += 1;
                }
                computed => break (stamps, computed?, older, age),
            }
        };
        let made = Arc::new(DashboardWithNote { dashboard, older });
        let keep = change_from.is_none() && warmed(campaigns).contains(filter);
        let replaced = {
            let mut cache = self.cache();
            cache.viewed.insert(chamber_id);
            if cache.last.len() >= CACHED_DASHBOARDS {
                cache.last.clear();
            }
            cache
                .last
                .insert(key, (stamps.clone(), removals.clone(), made.clone()))
        };
        // Kept for a later start when a view made a new state of a warmed filter (task prev).
        if keep && replaced.is_none_or(|(s, r, _)| s != stamps || r != removals) {
            self.keep_view(chamber_id, filter, (&stamps, age), &removals, &made)
                .await;
        }
        Ok(DashboardWithNote::clone(&made))
    }

    /// What the prepared work of a chamber's publications is made from, as the key it is kept
    /// under across restarts (task start): the code that makes it
    /// ([`crate::dashboard::code_fingerprint`]), the served catalogue version, the disclosure
    /// policy, the history version the audit knew (`None`: the audit knew no history), and
    /// each campaign's stored publication version in the chamber's order (a stored
    /// publication is never written without a new version, an erasure too, and never
    /// deleted but with its chamber, which deletes the kept work as well).
    fn kept_inputs(&self, versions: &[(i64, Option<i64>)], history: Option<i64>) -> String {
        let mut inputs = format!("{}|history {history:?}|", self.inputs_of("work"));
        for (campaign, version) in versions {
            inputs.push_str(&format!("{campaign}:{version:?},"));
        }
        inputs
    }

    /// Keeps the prepared work in the database for a later run (see [`Campaigns::computed`]):
    /// encoded on the dashboard thread, then written; a failure only costs that run the audit.
    /// Awaited, not left to the background: on SQLite a write landing while another
    /// instance's deferred transaction is between its read and its write makes that one fail
    /// as busy (seen in a test with two instances on one file); so the work is written
    /// before the view that made it is answered, as every other write of a view.
    async fn keep_work(&self, chamber_id: i64, inputs: String, prepared: Prepared) {
        let encoded = on_dashboard_thread(move || prepared.kept_form()).await;
        if let Ok(Some(work)) = encoded {
            self.keep_encoded_work(chamber_id, &inputs, &work).await;
        }
    }

    /// [`Campaigns::keep_work`] of work encoded already.
    async fn keep_encoded_work(&self, chamber_id: i64, inputs: &str, work: &[u8]) {
        match self
            .store
            .keep_dashboard_work(chamber_id, inputs, work)
            .await
        {
            Ok(()) => {
                let kept = &self.first_views.counts.kept;
                kept.work_saved.fetch_add(1, Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, chamber_id, "dashboard work not kept"),
        }
    }

    /// Whether the background is making this chamber's next state ready right now.
    fn warming_now(&self, chamber_id: i64) -> bool {
        self.warming
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&chamber_id)
    }

    /// The dashboard last computed for this request, while the chamber's next state is made
    /// ready: publications lag by design, and that dashboard was a consistent state readers
    /// could see. Only if no counted firm of the chamber stopped counting since it was computed
    /// (`removals`, the chamber's removal counts read now from the database, equal those read
    /// before its publications; so an erasure on any instance counts): a dashboard that may
    /// still hold an erased (or withdrawn, or held-back) firm is never served; the request then
    /// waits for the new state as before. Also not if the chamber's campaigns changed.
    ///
    /// Why counts (issue 17): checking each firm of the dashboard against the live ones read
    /// all participant ids, 50,000 per view; the counts are one row per campaign.
    fn previous(
        &self,
        key: &LastKey,
        campaigns: &[CampaignRecord],
        removals: &CampaignRemovals,
    ) -> Option<DashboardWithNote> {
        let cache = self.cache();
        let (stamps, removals_then, last) = cache.last.get(key)?;
        let same_campaigns = stamps.len() == campaigns.len()
            && stamps.iter().zip(campaigns).all(|((id, _), c)| *id == c.id);
        if !(same_campaigns && removals_then == removals) {
            return None;
        }
        if stamps.iter().all(|(_, stamp)| *stamp == KEPT_STAMP) {
            let kept = &self.first_views.counts.kept;
            kept.views_served.fetch_add(1, Relaxed);
        }
        Some(DashboardWithNote::clone(last))
    }

    /// What a restart's first views are served meanwhile (task prev; 50,000 participants: the
    /// first page after a restart 250–276 → 3 ms, as it no longer waits for the start's
    /// warm-up of 0.2–0.3 s): each dashboard the
    /// warm-up or a first view put into `last` for a warmed filter (see [`warmed`]) is kept in
    /// the database with the campaigns and the removal counts it was computed after, under the
    /// code's fingerprint, catalogue and policy ([`Campaigns::view_inputs`]); a failure only
    /// costs a later start that view. Awaited, as [`Campaigns::keep_work`] says why. Never in
    /// place of one made from newer publications (`age`, see [`publications_age`]): instances
    /// (or a late warm-up) keeping in another order would leave a restart an older dashboard
    /// than the newest one shown.
    async fn keep_view(
        &self,
        chamber_id: i64,
        filter: &Filter,
        (stamps, age): (&Stamps, i64),
        removals: &CampaignRemovals,
        made: &DashboardWithNote,
    ) {
        if stamps.is_empty() {
            return;
        }
        let (Ok(filter_text), Some(dashboard)) =
            (serde_json::to_string(filter), made.dashboard.kept_form())
        else {
            return;
        };
        let view = KeptView {
            filter: filter_text,
            campaigns: stamps
                .iter()
                .map(|(id, _)| id.to_string())
                .collect::<Vec<_>>()
                .join(","),
            removals: removals
                .iter()
                .map(|(id, n)| format!("{id}:{n}"))
                .collect::<Vec<_>>()
                .join(","),
            older: i64::try_from(made.older).unwrap_or(i64::MAX),
            age,
            dashboard,
        };
        match self
            .store
            .keep_dashboard_view(chamber_id, &self.view_inputs(), &view)
            .await
        {
            Ok(()) => {
                let kept = &self.first_views.counts.kept;
                kept.views_saved.fetch_add(1, Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, chamber_id, "dashboard not kept"),
        }
    }

    /// Loads the dashboards kept by the run before for this chamber into `last` (task prev),
    /// their stamps [`KEPT_STAMP`] (they name no publication of this run); whether any was.
    /// One that does not read is left out (its view then waits, as without it).
    async fn load_kept_views(&self, chamber_id: i64) -> Result<bool, ServiceError> {
        let views = self
            .store
            .kept_dashboard_views(chamber_id, &self.view_inputs())
            .await?;
        let mut loaded = Vec::new();
        for view in views {
            let read = || {
                let filter: Filter = serde_json::from_str(&view.filter).ok()?;
                let stamps = view
                    .campaigns
                    .split(',')
                    .map(|id| Some((id.parse().ok()?, KEPT_STAMP)))
                    .collect::<Option<Stamps>>()?;
                let removals = view
                    .removals
                    .split(',')
                    .filter(|r| !r.is_empty())
                    .map(|r| {
                        let (id, n) = r.split_once(':')?;
                        Some((id.parse().ok()?, n.parse().ok()?))
                    })
                    .collect::<Option<CampaignRemovals>>()?;
                let dashboard = Dashboard::from_kept_form(&view.dashboard)?;
                let older = usize::try_from(view.older).ok()?;
                Some((
                    filter,
                    stamps,
                    removals,
                    DashboardWithNote { dashboard, older },
                ))
            };
            if let Some(read) = read() {
                loaded.push(read);
            }
        }
        let any = !loaded.is_empty();
        let mut cache = self.cache();
        for (filter, stamps, removals, made) in loaded {
            let key = (chamber_id, filter, None);
            // One computed here already is newer.
            cache
                .last
                .entry(key)
                .or_insert((stamps, removals, Arc::new(made)));
        }
        drop(cache);
        let kept = &self.first_views.counts.kept;
        kept.views_loaded.fetch_add(u64::from(any), Relaxed);
        Ok(any)
    }

    /// What a kept dashboard depends on besides its campaigns and removals (task prev): the
    /// code ([`service_fingerprint`], as the kept work), the catalogue, the policy and whether
    /// the audit knows the history (`DASHBOARD_AUDIT_HISTORY`, which may hide more).
    fn view_inputs(&self) -> String {
        format!(
            "{}|audit history {}",
            self.inputs_of("view"),
            self.audit_history
        )
    }

    /// The dashboard of the given publications (their stamps and stored versions in the
    /// chamber's order), from the cache or computed.
    ///
    /// The prepared work (the audit) is kept in the database under exactly the inputs it was
    /// made from ([`Campaigns::kept_inputs`]) and taken from there by a later run on the same
    /// inputs (task start): after a restart the audit of 50,000 participants took 1.0–1.3 s
    /// of the 3.8–4.0 s before the first view (load 3.4, the rest reading the participants,
    /// see [`Campaigns::cached_publication`]). The taken work goes through the same steps as
    /// work made here (the history check, the record of what it kept before any figure is
    /// served), so nothing about what is shown changes; anything that differs in the least
    /// finds no kept work and is audited as before.
    async fn computed(
        &self,
        chamber_id: i64,
        (stamps, versions): (Stamps, Versions),
        publications: Vec<Arc<CampaignPublication>>,
        filter: &Filter,
        change_from: Option<Period>,
    ) -> Result<Dashboard, ServiceError> {
        let statistics = self.responses.statistics();
        let snapshot = statistics.snapshot().await?;
        // The all-firms reference is the served version's, like the campaign figures.
        let key = DashboardKey {
            publications: stamps,
            all_firms: format!("{:?}", snapshot.get(&CohortKey::All)),
            filter: filter.clone(),
            change_from,
        };
        let job = DashboardJob {
            policy: *statistics.policy(),
            catalogue: self.responses.catalogue(),
            publications,
            snapshot,
            filter: filter.clone(),
            change_from,
            history: Arc::from(Vec::new()),
        };
        if let Some(dashboard) = self.cache().dashboards.get(&key) {
            return Ok(Dashboard::clone(dashboard));
        }
        let cell = {
            let mut cache = self.cache();
            let entry = cache
                .prepared
                .entry(chamber_id)
                .or_insert_with(|| (Vec::new(), Arc::default()));
            if entry.0 != key.publications {
                *entry = (key.publications.clone(), Arc::default());
            }
            entry.1.clone()
        };
        self.first_views.counts.computations.fetch_add(1, Relaxed);
        // The first request makes the prepared work (with its own view, kept below);
        // the others wait for it here. If the first one is dropped, the next one makes it.
        let mut made = None;
        let (first, made_here) = (job.clone(), &mut made);
        let (store, audit_history) = (&self.store, self.audit_history);
        let kept_counts = &self.first_views.counts.kept;
        let inputs_of = |history: Option<i64>| self.kept_inputs(&versions, history);
        let prepared = cell
            .get_or_try_init(|| async move {
                // The audit knows every set kept at the chamber's earlier states, and what it
                // keeps now is recorded before any figure of this state is served (issue 14,
                // see `dashboard::KeptSet`).
                // Off (the default): the history is recorded but not known to the audit, as
                // knowing it costs most figures of a chamber that looks often (README).
                // Across instances (task race14, `dashboard` notes): the record is accepted
                // only if nobody recorded since the history was read; else audit again
                // knowing it. Bounded: past the attempts nothing is served (503, retry later).
                for _ in 0..HISTORY_ATTEMPTS {
                    let (known_version, history) = if audit_history {
                        let (version, sets) = store.dashboard_history(chamber_id).await?;
                        let sets = sets.into_iter().map(|(set, ends)| KeptSet { set, ends });
                        (Some(version), sets.collect::<Vec<_>>())
                    } else {
                        (None, Vec::new())
                    };
                    let history: Arc<[KeptSet]> = Arc::from(history);
                    let job = DashboardJob {
                        history: Arc::clone(&history),
                        ..first.clone()
                    };
                    // Made by an earlier run from exactly these inputs (task start)?
                    let inputs = inputs_of(known_version);
                    let kept_work = match store.kept_dashboard_work(chamber_id, &inputs).await {
                        Ok(Some(bytes)) => match Prepared::from_kept_form(&bytes) {
                            Ok(prepared) => Some(prepared),
                            Err(e) => {
                                tracing::warn!(error = %e, chamber_id, "kept dashboard work unreadable");
                                None
                            }
                        },
                        Ok(None) => None,
                        Err(e) => {
                            tracing::warn!(error = %e, chamber_id, "kept dashboard work not read");
                            None
                        }
                    };
                    let from_kept = kept_work.is_some();
                    // Behind a state another instance recorded: the caller reads the
                    // publications again.
                    let Some((dashboard, prepared, (epoch, kept))) =
                        job.run_recording(kept_work.unwrap_or_default()).await?
                    else {
                        return Err(DbError::Conflict.into());
                    };
                    // Sets recorded already are not recorded again: kept work taken at the
                    // version its own record made knows them (see `recorded_version`).
                    let recorded: std::collections::HashSet<&KeptSet> = history.iter().collect();
                    let kept: Vec<(String, String)> = kept
                        .into_iter()
                        .filter(|k| !recorded.contains(k))
                        .map(|k| (k.set, k.ends))
                        .collect();
                    // Nothing new kept: every figure lies in the span of sets recorded already.
                    if kept.is_empty()
                        || store
                            .record_dashboard_history(chamber_id, known_version, epoch, &kept)
                            .await?
                    {
                        *made_here = Some(dashboard);
                        if from_kept {
                            kept_counts.work_loaded.fetch_add(1, Relaxed);
                        } else {
                            kept_counts.work_missed.fetch_add(1, Relaxed);
                            let inputs = inputs_of(recorded_version(known_version, &kept));
                            self.keep_work(chamber_id, inputs, prepared.clone()).await;
                        }
                        return Ok::<_, ServiceError>(prepared);
                    }
                }
                Err(DbError::Conflict.into())
            })
            .await?
            .clone();
        let dashboard = match made {
            Some(dashboard) => dashboard,
            None => {
                if let Some(dashboard) = self.cache().dashboards.get(&key) {
                    return Ok(Dashboard::clone(dashboard));
                }
                job.run(prepared).await?.0
            }
        };
        let mut cache = self.cache();
        if cache.dashboards.len() >= CACHED_DASHBOARDS {
            cache.dashboards.clear();
        }
        cache.dashboards.insert(key, Arc::new(dashboard.clone()));
        Ok(dashboard)
    }
}

/// A chamber's first view, made ready before anyone looked, without publishing anything (task
/// first17; see [`Campaigns::prepare_first_view`]): what that view would store, record and
/// serve, computed from the campaigns' states read then.
#[derive(Debug)]
struct FirstView {
    /// In the chamber's order.
    campaigns: Vec<FirstCampaign>,
    /// The chamber's publication counter when it was made: the view's saves, one per campaign
    /// in the chamber's order, draw the next epochs.
    epoch_before: u64,
    /// The history version its audit read (`None`: the audit did not know the history).
    known_version: Option<i64>,
    /// The state's epoch and the sets its audit kept, to be recorded before any figure is
    /// served, as `computed` does.
    epoch: i64,
    kept: Vec<(String, String)>,
    prepared: Prepared,
    /// The prepared work in its kept form, encoded ahead (task start): kept for a later start
    /// when the view stores the publications, without encoding it on the request.
    kept_form: Option<Vec<u8>>,
    /// The "all firms" comparison the dashboards were computed with (see `DashboardKey`).
    all_firms: String,
    dashboards: Vec<(Filter, Dashboard)>,
    participants: usize,
}

#[derive(Debug)]
struct FirstCampaign {
    id: i64,
    /// Read before and again after its participants: unchanged in between.
    state: CampaignState,
    /// Its first publication, with the epoch foreseen for its save.
    publication: Arc<CampaignPublication>,
    /// `publication` in its stored form, encoded ahead: stored as it is if the save draws the
    /// foreseen epoch (see [`Campaigns::store_first_view`]).
    stored: Vec<u8>,
    older: Arc<OlderResponses>,
}

/// First views made ready (task first17), at most [`FIRST_VIEW_PARTICIPANTS`] participants of
/// them at once, and how the chambers' first views went.
#[derive(Debug, Default)]
struct FirstViews {
    /// Per chamber: held while its first view is made, and while a view publishes it, so a
    /// view arriving meanwhile waits for it rather than doing the same work beside it.
    slots: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Option<FirstView>>>>>,
    /// Per chamber holding one: when it was made (an order) and its participants.
    held: Mutex<HashMap<i64, (u64, usize)>>,
    made: std::sync::atomic::AtomicU64,
    /// Per chamber: when its last first view was begun and how long it took (see
    /// [`FIRST_VIEW_PAUSE`]).
    paced: Mutex<HashMap<i64, (std::time::Instant, std::time::Duration)>>,
    /// Chambers whose next first view waits for its pause to end.
    deferred: Mutex<std::collections::HashSet<i64>>,
    counts: FirstViewCounts,
}

/// How a chamber's first views on this instance went, and how many dashboards were computed
/// (not found in the cache) on requests and warm-ups: for `/metrics`.
#[derive(Debug, Default)]
pub struct FirstViewCounts {
    /// Served from a first view made ready.
    pub prepared: std::sync::atomic::AtomicU64,
    /// A first view was made ready but the chamber's campaigns changed since (or another
    /// instance published first): made on the request as before.
    pub stale: std::sync::atomic::AtomicU64,
    /// None was ready: made on the request.
    pub none: std::sync::atomic::AtomicU64,
    pub computations: std::sync::atomic::AtomicU64,
    /// Publications stored by first views made ready, by where their stored form was made.
    pub encoded: FirstViewEncodes,
    /// Work kept across restarts (task start, see [`Campaigns::computed`]).
    pub kept: KeptCounts,
}

/// How the work kept across restarts was used (task start): the prepared work (audit) of a
/// chamber's publications, and the campaigns' checked states (see
/// [`Campaigns::cached_publication`]).
#[derive(Debug, Default)]
pub struct KeptCounts {
    /// Prepared work taken from what an earlier run kept (its inputs were exactly these).
    pub work_loaded: std::sync::atomic::AtomicU64,
    /// Prepared work made here although looked for (none kept for exactly these inputs).
    pub work_missed: std::sync::atomic::AtomicU64,
    /// Prepared work kept for a later run.
    pub work_saved: std::sync::atomic::AtomicU64,
    /// Publications taken as current from a checked state an earlier run kept, without
    /// reading the participants.
    pub states_loaded: std::sync::atomic::AtomicU64,
    /// Checked states kept for a later run.
    pub states_saved: std::sync::atomic::AtomicU64,
    /// Chambers whose kept dashboards a start loaded (task prev).
    pub views_loaded: std::sync::atomic::AtomicU64,
    /// Dashboards kept for a later start.
    pub views_saved: std::sync::atomic::AtomicU64,
    /// Views served a dashboard an earlier run kept, while their chamber was made ready.
    pub views_served: std::sync::atomic::AtomicU64,
}

/// Where the stored form of a publication a first view made ready stores was encoded.
#[derive(Debug, Default)]
pub struct FirstViewEncodes {
    /// Ahead, while the first view was made ready (the save drew the foreseen epoch).
    pub ahead: std::sync::atomic::AtomicU64,
    /// At the view: its save drew another epoch than foreseen.
    pub at_the_view: std::sync::atomic::AtomicU64,
}

/// The participants all first views held at once may have (a 50,000-participant first view
/// holds about what its chamber's dashboards hold once it looked): beyond it, the oldest go.
const FIRST_VIEW_PARTICIPANTS: usize = 100_000;
/// A chamber's first view is made again at most this often, or after four times as long as
/// it took, if longer: a chamber whose firms keep answering costs at most a fifth of a core.
const FIRST_VIEW_PAUSE: std::time::Duration = std::time::Duration::from_secs(10);

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves the data merely incomplete.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FirstViews {
    fn slot(&self, chamber_id: i64) -> Arc<tokio::sync::Mutex<Option<FirstView>>> {
        locked(&self.slots).entry(chamber_id).or_default().clone()
    }

    fn existing_slot(&self, chamber_id: i64) -> Option<Arc<tokio::sync::Mutex<Option<FirstView>>>> {
        locked(&self.slots).get(&chamber_id).cloned()
    }

    /// Takes the chamber's first view out of its slot (held by the caller).
    fn take(&self, chamber_id: i64, slot: &mut Option<FirstView>) -> Option<FirstView> {
        locked(&self.held).remove(&chamber_id);
        slot.take()
    }

    /// Drops the chamber's first view now, unless its slot is in use (being made again, which
    /// reads the states anew, or being published, which checks them).
    fn forget(&self, chamber_id: i64) {
        if let Some(slot) = self.existing_slot(chamber_id)
            && let Ok(mut slot) = slot.try_lock()
        {
            drop(self.take(chamber_id, &mut slot));
        }
    }

    /// Keeps a first view in its slot (held by the caller), dropping the oldest others while
    /// all would hold more than [`FIRST_VIEW_PARTICIPANTS`]; one larger than that is not kept.
    fn keep(&self, chamber_id: i64, slot: &mut Option<FirstView>, made: FirstView) {
        let participants = made.participants;
        if participants > FIRST_VIEW_PARTICIPANTS {
            return;
        }
        loop {
            let oldest = {
                let held = locked(&self.held);
                let total: usize = held.values().map(|(_, n)| n).sum();
                if total + participants <= FIRST_VIEW_PARTICIPANTS {
                    break;
                }
                held.iter()
                    .filter(|(id, _)| **id != chamber_id)
                    .min_by_key(|(_, (order, _))| *order)
                    .map(|(id, _)| *id)
            };
            let Some(oldest) = oldest else { break };
            // A slot in use is being published or made again: it leaves the count then.
            if let Some(other) = self.existing_slot(oldest)
                && let Ok(mut other) = other.try_lock()
            {
                *other = None;
            }
            locked(&self.held).remove(&oldest);
        }
        let order = self.made.fetch_add(1, Relaxed);
        locked(&self.held).insert(chamber_id, (order, participants));
        *slot = Some(made);
    }
}

impl Campaigns {
    /// This instance's counts of first views and dashboard computations (for `/metrics`), with
    /// how many chambers' first views are ready and their participants.
    pub fn first_view_counts(&self) -> (&FirstViewCounts, usize, usize) {
        let held = locked(&self.first_views.held);
        let participants = held.values().map(|(_, n)| n).sum();
        (&self.first_views.counts, held.len(), participants)
    }

    /// Makes a chamber's first view ready before anyone looked, without publishing: the
    /// publications its first view would store (the epochs their saves will draw foreseen
    /// from the chamber's counter), the audit and the dashboards of the whole chamber and of
    /// each campaign, kept in memory. The first view stores them as it would have made them if
    /// nothing changed since ([`Campaigns::publish_first_view`]), else makes them as before.
    ///
    /// Why (issue 17, task first17): a large chamber's first view ever read and parsed every
    /// participant, published, audited and computed on the request (1.2–1.5 s at 50,000).
    /// Publishing early instead would cut its first figures into publications nobody saw
    /// (see [`Campaigns::changed`]); a dry run publishes nothing, so the groups do not lag.
    /// Bounded: in memory by [`FIRST_VIEW_PARTICIPANTS`], in time by [`FIRST_VIEW_PAUSE`]
    /// (a change within the pause is made ready when it ends).
    async fn prepare_first_view(&self, chamber_id: i64) -> Result<(), ServiceError> {
        if self.cache().viewed.contains(&chamber_id) {
            return Ok(());
        }
        let now = std::time::Instant::now();
        let due = locked(&self.first_views.paced)
            .get(&chamber_id)
            .map(|(begun, took)| *begun + FIRST_VIEW_PAUSE.max(*took * 4))
            .filter(|due| *due > now);
        if let Some(due) = due {
            if locked(&self.first_views.deferred).insert(chamber_id) {
                let campaigns = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                    locked(&campaigns.first_views.deferred).remove(&chamber_id);
                    campaigns.queue(chamber_id);
                });
            }
            return Ok(());
        }
        let slot = self.first_views.slot(chamber_id);
        let mut slot = slot.lock().await;
        // The one made before is out of date (or about to be replaced): freed first.
        drop(self.first_views.take(chamber_id, &mut slot));
        if self.cache().viewed.contains(&chamber_id) {
            return Ok(());
        }
        let begun = std::time::Instant::now();
        let made = self.first_view(chamber_id).await;
        locked(&self.first_views.paced).insert(chamber_id, (begun, begun.elapsed()));
        drop(on_dashboard_thread(crate::memory::return_freed));
        if let Some(made) = made?
            && !self.cache().viewed.contains(&chamber_id)
        {
            tracing::info!(
                chamber_id,
                participants = made.participants,
                ms = begun.elapsed().as_millis(),
                "first view made ready"
            );
            self.first_views.keep(chamber_id, &mut slot, made);
        }
        Ok(())
    }

    /// The first view of a chamber whose campaigns have no publication, made as the view
    /// would make it; `None` if there is nothing to make ready (no participants, too many, a
    /// campaign published or changed meanwhile, or behind the recorded history).
    async fn first_view(&self, chamber_id: i64) -> Result<Option<FirstView>, ServiceError> {
        let campaigns = self.list(chamber_id).await?;
        let mut states = Vec::with_capacity(campaigns.len());
        for campaign in &campaigns {
            let state = self.store.campaign_state(campaign.id).await?;
            if state.publication_version.is_some() {
                // It looked on another instance: `warm` is for it.
                return Ok(None);
            }
            states.push(state);
        }
        let participants: i64 = states.iter().map(|s| s.live.0).sum();
        let participants = usize::try_from(participants).unwrap_or(usize::MAX);
        if participants == 0 || participants > FIRST_VIEW_PARTICIPANTS {
            return Ok(None);
        }
        let epoch_before = self.store.chamber_publication_epoch(chamber_id).await?;
        let epoch_before = u64::try_from(epoch_before)
            .map_err(|_| DbError::Corrupt(format!("publication epoch {epoch_before}")))?;
        let (known_version, history) = if self.audit_history {
            let (version, sets) = self.store.dashboard_history(chamber_id).await?;
            let sets = sets.into_iter().map(|(set, ends)| KeptSet { set, ends });
            (Some(version), sets.collect::<Vec<_>>())
        } else {
            (None, Vec::new())
        };
        let statistics = self.responses.statistics();
        let policy = *statistics.policy();
        let mut first = Vec::with_capacity(campaigns.len());
        for ((campaign, state), next) in campaigns.iter().zip(states).zip(1..) {
            let (live, older) = self.live_participants(campaign.id).await?;
            if self.store.campaign_state(campaign.id).await? != state {
                return Ok(None);
            }
            let mut publication =
                CampaignPublication::new(CampaignId::new(campaign.id.to_string()));
            publication.refresh_from(&policy, live, epoch_before + next)?;
            let publication = Arc::new(publication);
            let encoding = publication.clone();
            let stored = on_dashboard_thread(move || encoding.encode()).await?;
            first.push(FirstCampaign {
                id: campaign.id,
                state,
                publication,
                stored,
                older: Arc::new(older),
            });
        }
        let snapshot = statistics.snapshot().await?;
        let all_firms = format!("{:?}", snapshot.get(&CohortKey::All));
        let job = DashboardJob {
            policy,
            catalogue: self.responses.catalogue(),
            publications: first.iter().map(|c| c.publication.clone()).collect(),
            snapshot,
            filter: Filter::all(),
            change_from: None,
            history: Arc::from(history),
        };
        let Some((dashboard, prepared, (epoch, kept))) =
            job.clone().run_recording(Prepared::default()).await?
        else {
            return Ok(None);
        };
        let mut dashboards = vec![(Filter::all(), dashboard)];
        for campaign in campaigns.iter().take(WARMED_CAMPAIGNS) {
            let mut filter = Filter::all();
            filter
                .campaigns
                .insert(CampaignId::new(campaign.id.to_string()));
            let job = DashboardJob {
                filter: filter.clone(),
                ..job.clone()
            };
            dashboards.push((filter, job.run(prepared.clone()).await?.0));
        }
        let encoding = prepared.clone();
        let kept_form = on_dashboard_thread(move || encoding.kept_form()).await?;
        Ok(Some(FirstView {
            campaigns: first,
            epoch_before,
            known_version,
            epoch,
            kept: kept.into_iter().map(|k| (k.set, k.ends)).collect(),
            prepared,
            kept_form,
            all_firms,
            dashboards,
            participants,
        }))
    }

    /// At a chamber's first view on this instance: if its first view was made ready and every
    /// campaign's state is still the one it was made from, stores its publications as the
    /// view would (the same saves, each drawing its epoch in its transaction: a first
    /// publication made for another epoch takes the drawn one), records what its audit kept
    /// as `computed` would, and puts publications, audit and dashboards into the cache, where
    /// the view then finds them (it still checks each state and the stored versions itself).
    /// Otherwise, from the first difference on, the view makes what is left as before: a
    /// campaign changed since, or another instance published first (its save is refused, the
    /// view reads the stored one), or the saves drew other epochs than foreseen, or another
    /// instance recorded history first.
    ///
    /// Cost (task first, 50,000 participants in one campaign, release, SQLite, load 3–7):
    /// before, this took 32–85 ms of a 39–92 ms first page: encoding the publication (2.6 MB)
    /// 11–16 ms, inside the writer's transaction; writing it and the commit 10–14 ms; reading
    /// the campaign's state before and after the save 8–25 ms (each a pass over its
    /// participants' index); recording the audit's 89 kept sets 1 ms. So the stored form is
    /// encoded ahead, off the async workers, with the publication ([`FirstCampaign`]; used
    /// if the save draws the foreseen epoch), and the state after the save is the one checked
    /// before it with the new version rather than read again. Not done, as the measurement
    /// did not call for them: storing the publication ahead as "not yet shown" (it would save
    /// the write, ~10 ms, but every reader of stored publications, the erasure, which must not
    /// leave an erased firm in a hidden copy, and another instance's first save would have to
    /// know that state); compressing it (deflate at its fastest took ~80 ms for 2.6 MB → 1 MB,
    /// and inflating ~17 ms on every later read).
    async fn publish_first_view(
        &self,
        chamber_id: i64,
        campaigns: &[CampaignRecord],
    ) -> Result<(), ServiceError> {
        let counts = &self.first_views.counts;
        let Some(slot) = self.first_views.existing_slot(chamber_id) else {
            counts.none.fetch_add(1, Relaxed);
            return Ok(());
        };
        let mut slot = slot.lock().await;
        let Some(first) = self.first_views.take(chamber_id, &mut slot) else {
            counts.none.fetch_add(1, Relaxed);
            return Ok(());
        };
        if self.cache().viewed.contains(&chamber_id) {
            return Ok(());
        }
        let published = self.store_first_view(chamber_id, campaigns, first).await;
        match published {
            Ok(true) => counts.prepared.fetch_add(1, Relaxed),
            _ => counts.stale.fetch_add(1, Relaxed),
        };
        published.map(drop)
    }

    /// [`Campaigns::publish_first_view`] of a first view taken out of its slot: whether it
    /// went into the cache whole.
    async fn store_first_view(
        &self,
        chamber_id: i64,
        campaigns: &[CampaignRecord],
        first: FirstView,
    ) -> Result<bool, ServiceError> {
        let same_campaigns = first.campaigns.len() == campaigns.len()
            && first
                .campaigns
                .iter()
                .zip(campaigns)
                .all(|(f, c)| f.id == c.id);
        if !same_campaigns {
            return Ok(false);
        }
        let served = &self.responses.catalogue().version;
        let mut stamps = Vec::with_capacity(campaigns.len());
        for (campaign, next) in first.campaigns.into_iter().zip(1..) {
            // As `cached_publication`: one refresh per campaign at a time.
            let lock = self
                .cache()
                .refreshing
                .entry(campaign.id)
                .or_default()
                .clone();
            let _refreshing = lock.lock().await;
            let state = self.store.campaign_state(campaign.id).await?;
            if state != campaign.state {
                return Ok(false);
            }
            let (mut drawn, mut published) = (None, None);
            let (made, stored) = (campaign.publication, campaign.stored);
            let encoded = &self.first_views.counts.encoded;
            let saved = self
                .store
                // Refused if a firm left since the state the publication was made from.
                .save_campaign_publication(campaign.id, served, None, state.removals, |epoch| {
                    drawn = Some(epoch);
                    // Encoded ahead (about 12 ms of the view at 50,000 participants, inside
                    // the writer's transaction) unless another epoch was drawn.
                    let (publication, stored) = if made.last_epoch().is_none_or(|e| e == epoch) {
                        encoded.ahead.fetch_add(1, Relaxed);
                        (made, stored)
                    } else {
                        encoded.at_the_view.fetch_add(1, Relaxed);
                        let publication =
                            Arc::new(Arc::unwrap_or_clone(made).with_first_epoch(epoch)?);
                        let stored = publication.encode();
                        (publication, stored)
                    };
                    published = Some(publication);
                    Ok::<_, ServiceError>(stored)
                })
                .await?;
            let Some(publication) = published.filter(|_| saved) else {
                return Ok(false);
            };
            // Not read again: the publication was made from the participants of `state`,
            // checked above, and is stored as version 1. If a firm came or went since, the
            // view's own read of the state differs from this and refreshes the publication
            // (as `cached_publication` after a state that moved during a refresh). Saves
            // a pass over the campaign's participants' index (4–8 ms at 50,000).
            let after = CampaignState {
                publication_version: Some(1),
                ..state
            };
            // Kept for a later start, as a refresh keeps it (task start).
            self.keep_checked_state(campaign.id, after, &campaign.older)
                .await;
            let mut cache = self.cache();
            cache.next_stamp += 1;
            let stamp = cache.next_stamp;
            cache.publications.insert(
                campaign.id,
                CachedPublication {
                    state: Some(after),
                    stamp,
                    version: Some(1),
                    publication,
                    older: campaign.older,
                },
            );
            stamps.push((campaign.id, stamp));
            if drawn != Some(first.epoch_before + next) {
                return Ok(false);
            }
        }
        // One state readers could see, as `chamber_publications` checks.
        let stored = self.store.chamber_publication_versions(chamber_id).await?;
        let mut expected: Vec<(i64, i64)> = campaigns.iter().map(|c| (c.id, 1)).collect();
        expected.sort_unstable();
        if stored != expected {
            return Ok(false);
        }
        // Recorded before any figure of this state is served (see `computed`).
        if !first.kept.is_empty()
            && !self
                .store
                .record_dashboard_history(chamber_id, first.known_version, first.epoch, &first.kept)
                .await?
        {
            return Ok(false);
        }
        // Kept for a later start, as `computed` keeps what it makes (task start).
        let versions: Versions = campaigns.iter().map(|c| (c.id, Some(1))).collect();
        let inputs = self.kept_inputs(
            &versions,
            recorded_version(first.known_version, &first.kept),
        );
        if let Some(work) = &first.kept_form {
            self.keep_encoded_work(chamber_id, &inputs, work).await;
        }
        let mut cache = self.cache();
        cache.prepared.insert(
            chamber_id,
            (
                stamps.clone(),
                Arc::new(tokio::sync::OnceCell::new_with(Some(first.prepared))),
            ),
        );
        if cache.dashboards.len() + first.dashboards.len() > CACHED_DASHBOARDS {
            cache.dashboards.clear();
        }
        for (filter, dashboard) in first.dashboards {
            let key = DashboardKey {
                publications: stamps.clone(),
                all_firms: first.all_firms.clone(),
                filter,
                change_from: None,
            };
            cache.dashboards.insert(key, Arc::new(dashboard));
        }
        Ok(true)
    }
}

/// The history version after an audit's record: the one it read, plus one if it recorded
/// sets (the compare-and-set of `Store::record_dashboard_history`). Kept work is stored under
/// it, so a later start, reading that version, takes the work: the history then holds exactly
/// what the work knew and what it kept, and the work's figures lie in its span.
fn recorded_version(known_version: Option<i64>, recorded: &[(String, String)]) -> Option<i64> {
    match known_version {
        Some(v) if !recorded.is_empty() => Some(v + 1),
        other => other,
    }
}

/// A dashboard with what its page says about the figures beside it.
#[derive(Debug, Clone)]
pub struct DashboardWithNote {
    pub dashboard: Dashboard,
    /// How many counted responses of the filter's campaigns and period were answered under an
    /// older catalogue version, and so are in none of the figures. The profile filters are
    /// left out on purpose: counts of one industry, size or region beside the published ones
    /// could be subtracted to find a small group.
    pub older: usize,
}

/// A campaign's older-version responses in the filter's campaigns and period. Counted when the
/// campaign's publication was last refreshed (see `OlderResponses`): reading every stored
/// result per page request grew with the participants (issue 17).
fn older_in_filter(campaign_id: i64, months: &OlderResponses, filter: &Filter) -> usize {
    if !filter.campaigns.is_empty()
        && !filter
            .campaigns
            .contains(&CampaignId::new(campaign_id.to_string()))
    {
        return 0;
    }
    months
        .iter()
        .filter(|(month, _)| filter.period.is_none_or(|p| p.contains(**month)))
        .map(|(_, n)| n)
        .sum()
}

/// [`OlderResponses`] as kept with a checked state: `year-month=count` separated by `,`.
fn older_text(older: &OlderResponses) -> String {
    older
        .iter()
        .map(|(month, n)| format!("{}-{}={n}", month.year(), month.month()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads [`older_text`]; `None` if it does not parse (the state is then refreshed).
fn older_from_text(text: &str) -> Option<OlderResponses> {
    let mut older = OlderResponses::new();
    for entry in text.split(',').filter(|e| !e.is_empty()) {
        let (month, n) = entry.split_once('=')?;
        let (year, month) = month.split_once('-')?;
        let month = Month::new(year.parse().ok()?, month.parse().ok()?).ok()?;
        older.insert(month, n.parse().ok()?);
    }
    Some(older)
}

/// A fingerprint of the code a kept state or kept work depends on (task start): the
/// dashboard's ([`crate::dashboard::code_fingerprint`]) and this module's, which reads the
/// stored results into the participants a refresh judges.
fn service_fingerprint() -> &'static str {
    static FINGERPRINT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut all = crate::dashboard::code_fingerprint().as_bytes().to_vec();
        all.extend_from_slice(include_bytes!("campaigns.rs"));
        all.extend_from_slice(include_bytes!("benchmark/response.rs"));
        crate::token::sha256_hex(&all)
    });
    &FINGERPRINT
}

/// What computing one dashboard needs, owned, so that it runs on the dashboard thread.
#[derive(Clone)]
struct DashboardJob {
    policy: DisclosurePolicy,
    catalogue: &'static Catalogue,
    publications: Vec<Arc<CampaignPublication>>,
    snapshot: Arc<Snapshot>,
    filter: Filter,
    change_from: Option<Period>,
    /// The sets the audit kept at the chamber's earlier states: needed while the audit of
    /// this state is made; a job given that audit's prepared work takes the history the audit
    /// knew from it (its earlier figures need it too, see `Prepared`).
    history: Arc<[KeptSet]>,
}

impl DashboardJob {
    /// The dashboard, using (and filling) `prepared`; returns it with the prepared work.
    async fn run(self, prepared: Prepared) -> Result<(Dashboard, Prepared), ServiceError> {
        // `prepared` holds the audit already (made knowing the history): never behind.
        let (dashboard, prepared, _) = self
            .run_recording(prepared)
            .await?
            .ok_or(DbError::Conflict)?;
        Ok((dashboard, prepared))
    }

    /// [`DashboardJob::run`], with the state's epoch and the sets its audit kept that the
    /// history did not hold (empty if `prepared` held the audit already).
    async fn run_recording(
        self,
        prepared: Prepared,
    ) -> Result<Option<(Dashboard, Prepared, (i64, Vec<KeptSet>))>, ServiceError> {
        let span = tracing::Span::current();
        on_dashboard_thread(move || {
            let _entered = span.enter();
            // Read in place: no copy of every participant per computed dashboard.
            let data =
                PublishedCampaigns::from_publications(self.publications.iter().map(|p| &**p))?
                    .knowing(self.history.clone())
                    .with_prepared(prepared);
            if data.behind_the_history()? {
                return Ok(None);
            }
            let catalogue = DashboardCatalogue::from_catalogue(self.catalogue);
            let inputs = DashboardInputs {
                policy: &self.policy,
                catalogue: &catalogue,
                data: &data,
                all_firms: self.snapshot.get(&CohortKey::All),
            };
            let dashboard = Dashboard::compute(&inputs, &self.filter, self.change_from)?;
            let kept = (
                i64::try_from(data.epoch()).unwrap_or(i64::MAX),
                data.new_kept_sets().unwrap_or_default().to_vec(),
            );
            let prepared = data.prepared();
            crate::memory::return_freed();
            Ok(Some((dashboard, prepared, kept)))
        })
        .await?
    }
}

/// The one thread that computes dashboards, of a runtime of its own that does nothing else.
///
/// Why one: a 50,000-participant dashboard builds some tens of MB that are freed at its end.
/// On tokio's shared blocking pool each computation could land on another thread, and glibc
/// gives each thread its own allocation arena that keeps what was freed in it: the service
/// grew to about 160 MB over a few views (issue 17). On one thread every computation reuses
/// the one arena, so memory is bounded by one computation, and two computations never double
/// the peak. The price: computations of two chambers at the same moment take turns (views
/// already computed are answered from the cache without it).
fn on_dashboard_thread<T: Send + 'static>(
    compute: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    static RUNTIME: std::sync::LazyLock<std::io::Result<tokio::runtime::Runtime>> =
        std::sync::LazyLock::new(|| {
            tokio::runtime::Builder::new_current_thread()
                .max_blocking_threads(1)
                // Kept, not ended and started again when idle: a new thread may get a new arena.
                .thread_keep_alive(std::time::Duration::from_secs(24 * 3600))
                .thread_name("dashboard")
                .build()
        });
    match RUNTIME.as_ref() {
        Ok(runtime) => runtime.spawn_blocking(compute),
        // Building a runtime without I/O or timers starts no thread and cannot fail in
        // practice; if it did, the dashboards would still be computed, on the shared pool.
        Err(_) => tokio::task::spawn_blocking(compute),
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
