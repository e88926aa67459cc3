//! Rendered result pages, kept while everything they show stays the same (issue 17, item 5).
//!
//! A result page is a pure function of its [`ResultPageInput`] (with the catalogue, texts and
//! templates built into the binary): the response's result, the benchmark it is compared with,
//! the language, k, the private link, the firm's name and the sharing shown. A page is kept
//! under its private link and language together with that whole input, and served again only
//! while a new request's input is equal to it in full, so a changed result, a new publication
//! of the statistics, another language or a withdrawn sharing renders anew by construction; no
//! invalidation has to be remembered. The link is part of the input, so an owner is only ever
//! served a page rendered for the same private link. Nothing per request or per session is on
//! the page (no account, no CSRF token), so the whole body can be kept.
//!
//! A page of a submitted response without invitation is also kept with its [`ResultStamp`], and
//! a request whose stamp (read in one statement, so another instance's publication or an
//! erasure is seen at once) equals it gets the page without loading the response: for such a
//! response the stamp determines the input (see [`ResultStamp`]; the process's settings, k and
//! the public address, are fixed while it runs), so this is the same rule, checked at a quarter
//! of the cost. An invited response's page also shows what changes in other tables (sharing,
//! the consultant's name and logo) and is only ever served by its full input.
//!
//! Bounded by the pages' bytes, [`KEPT_BYTES`], the least recently used dropped first; one
//! entry per link and language, replaced when its input changed. Four fifths of a page are
//! its chart SVGs: a kept page holds them as the chart cache's own (`Svg`, shared,
//! not copied) and only its text besides, so a page kept by both costs its text once more, not
//! its 64 KB; the bound still counts whole pages, as a page may outlive its charts' entries,
//! and the chart cache counts only the SVGs that no kept page holds (see `charts::cache`).
//! Every drop is reported to `memory::dropped_from_cache`, which gives the freed pages back
//! to the system now and then (a measured 9 MB of the form flow's RSS were such holes).
//!
//! Latency (task pages, release, `scripts/pages_bench.py` 32 connections, 2 cores with wrk on
//! one, load 5–8 from other builds): a whole run's p99 was 10–17 ms (up to 42 ms), its p50
//! 1.6–2.5 ms; after a warm-up the p99 of the same runs is 3.5–8 ms. The tail is (1) a fresh
//! instance's first half second, about 400 renders (every page twice, see [`MAX_SEEN`]),
//! half the server's CPU then, and (2) whole stretches when other processes take the cores
//! (the server's samples halve in perf for a second at a time). A kept page's CPU (perf):
//! some 40 % is the stamp's hand-off to and from sqlx's SQLite worker thread (wake-ups, not
//! SQLite), a third the 64 KB TCP send, 7 % [`Page::bytes`]' copy. Sending the page in its
//! parts instead of that copy was tried: several writes per response meet Nagle and the
//! client's delayed ACK (44 ms per request, 700 req/s) unless `TCP_NODELAY` is set; not done.
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use tokio::sync::Semaphore;

use super::error::WebError;

use crate::charts::cache::Svg;
use crate::present::pages::LogoView;
use crate::responses::ResultStamp;
use crate::scoring::Assessment;
use crate::statistics::Benchmark;
use crate::survey::Lang;

/// Page bytes kept at most, counting the charts. A result page is some 60–70 KB, so this holds
/// about 240 pages (the bench's 200 at random all stay). 16 MB, not the 20 MB of the two 10 MB
/// generations this replaced: those were seldom both full. Only pages viewed again are kept
/// (see [`MAX_SEEN`]), so a stream of new responses does not fill it.
const KEPT_BYTES: usize = 16 << 20;

/// Links (with their language) whose page was rendered once and not kept, remembered at most:
/// a page is kept from its second render on. Why: the form flow renders every new response's
/// page once, and most are not viewed again soon; keeping each (64 KB) filled the 16 MB bound
/// with pages never asked for again and took the form flow at 64 connections to 60–62 MB RSS,
/// over the 60 MB the service keeps to on SQLite under load. A link viewed again costs one
/// more render, then is served as before. Some 100 bytes per link remembered. Measured with it
/// (and the chart cache's bound, `charts::cache`): 36–38 MB against 58–61 MB, same run, load
/// 12–14; `scripts/pages_bench.py --ab` unchanged within the noise.
const MAX_SEEN: usize = 4096;

/// Everything a result page shows besides what is built into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ResultPageInput {
    pub lang: Lang,
    pub k: u32,
    /// `/s/{token}`: the page's own links start with it.
    pub token_path: String,
    /// The private link as shown, with the public address.
    pub link_url: String,
    pub assessment: Assessment,
    pub benchmark: Benchmark,
    pub firm_name: Option<String>,
    pub submitted_at: i64,
    pub shared_with: Option<String>,
    pub withdraw_action: Option<String>,
    pub brand_logo: Option<LogoView>,
}

/// A rendered page and the charts drawn into it (as the chart cache holds them).
pub(super) struct Rendered {
    pub html: String,
    pub charts: Vec<Svg>,
}

/// A kept page: its text, with each chart in it as the shared SVG.
#[derive(Debug, PartialEq)]
struct Page {
    parts: Vec<Part>,
    len: usize,
}

#[derive(Debug, PartialEq)]
enum Part {
    Text(Box<str>),
    Chart(Svg),
}

impl Page {
    /// `html` cut where the charts are (in their order; one not found stays text).
    fn of(html: &str, charts: &[Svg]) -> Page {
        let mut parts = Vec::with_capacity(2 * charts.len() + 1);
        let mut at = 0;
        for chart in charts {
            let Some((start, end)) = find(html, at, chart.as_str()) else {
                continue;
            };
            let (Some(text), true) = (html.get(at..start), html.is_char_boundary(end)) else {
                continue;
            };
            parts.push(Part::Text(text.into()));
            parts.push(Part::Chart(chart.clone()));
            at = end;
        }
        parts.push(Part::Text(html.get(at..).unwrap_or_default().into()));
        Page {
            parts,
            len: html.len(),
        }
    }

    /// The page's bytes, put together again.
    fn bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.len);
        for part in &self.parts {
            out.extend_from_slice(match part {
                Part::Text(text) => text.as_bytes(),
                Part::Chart(svg) => svg.as_str().as_bytes(),
            });
        }
        Bytes::from(out)
    }
}

/// Where `needle` (not empty) first is in `haystack` at or after `from`, as (start, end): each
/// place of its first byte is compared in full. Not `str::find`, which prepares a needle at
/// several times its length's cost (a result page's four charts cost 1.5 M instructions so).
fn find(haystack: &str, from: usize, needle: &str) -> Option<(usize, usize)> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let first = *needle.first()?;
    let mut at = from;
    loop {
        let start = at + haystack.get(at..)?.iter().position(|&b| b == first)?;
        let end = start + needle.len();
        if haystack.get(start..end)? == needle {
            return Some((start, end));
        }
        at = start + 1;
    }
}

/// Where a page is kept: its link and language (the rest of the input is compared on a hit).
type Slot = (String, Lang);

/// A kept page with its input and, if it may be served by stamp, the stamp it was rendered for.
struct Kept {
    input: ResultPageInput,
    stamp: Option<ResultStamp>,
    page: Arc<Page>,
    /// When it was last served or kept (a count of those events).
    used: u64,
}

/// The kept pages, least recently used dropped first once they exceed [`KEPT_BYTES`].
#[derive(Default)]
struct KeptPages {
    pages: HashMap<Slot, Kept>,
    /// The page bytes in `pages`.
    bytes: usize,
    clock: u64,
    /// Slots rendered once and not kept (see [`MAX_SEEN`]), and the order they came in.
    seen: HashSet<Slot>,
    seen_order: VecDeque<Slot>,
}

impl KeptPages {
    /// The kept page of `slot` if `matches` it, marked as used.
    fn find(&mut self, slot: Slot, matches: impl Fn(&Kept) -> bool) -> Option<&mut Kept> {
        self.clock += 1;
        let clock = self.clock;
        let kept = self.pages.get_mut(&slot).filter(|kept| matches(kept))?;
        kept.used = clock;
        Some(kept)
    }

    /// The page kept for an input equal to `input`; its stamp becomes `stamp` (rendered from
    /// an equal input, the page is the page of that stamp too).
    fn get(&mut self, input: &ResultPageInput, stamp: Option<ResultStamp>) -> Option<Arc<Page>> {
        let slot = (input.token_path.clone(), input.lang);
        let kept = self.find(slot, |kept| kept.input == *input)?;
        kept.stamp = stamp;
        Some(kept.page.clone())
    }

    /// The page kept for `stamp`.
    fn by_stamp(&mut self, token_path: &str, lang: Lang, stamp: &ResultStamp) -> Option<Arc<Page>> {
        let slot = (token_path.to_owned(), lang);
        let kept = self.find(slot, |kept| kept.stamp.as_ref() == Some(stamp))?;
        Some(kept.page.clone())
    }

    /// Whether a page rendered for `slot` is to be kept: if the slot was rendered before (its
    /// page kept or the slot remembered as seen). A first render only remembers the slot.
    fn admit(&mut self, slot: &Slot) -> bool {
        if self.pages.contains_key(slot) || self.seen.contains(slot) {
            return true;
        }
        if self.seen_order.len() >= MAX_SEEN
            && let Some(oldest) = self.seen_order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.seen.insert(slot.clone());
        self.seen_order.push_back(slot.clone());
        false
    }

    /// Keeps `kept`, dropping the least recently used pages beyond [`KEPT_BYTES`]; returns
    /// the bytes of the pages dropped.
    fn insert(&mut self, mut kept: Kept) -> usize {
        let slot = (kept.input.token_path.clone(), kept.input.lang);
        // A page rendered anew for the same link replaces the one kept.
        let mut dropped = self.remove(&slot);
        // A scan of all kept pages per drop: a drop follows a render, which costs far more
        // than looking at some 300 entries.
        while self.bytes + kept.page.len > KEPT_BYTES {
            let Some(oldest) = self
                .pages
                .iter()
                .min_by_key(|(_, kept)| kept.used)
                .map(|(slot, _)| slot.clone())
            else {
                break;
            };
            dropped += self.remove(&oldest);
        }
        self.clock += 1;
        kept.used = self.clock;
        self.bytes += kept.page.len;
        self.pages.insert(slot, kept);
        dropped
    }

    /// Drops the page of `slot`; returns its bytes (0: none kept).
    fn remove(&mut self, slot: &Slot) -> usize {
        let Some(kept) = self.pages.remove(slot) else {
            return 0;
        };
        self.bytes -= kept.page.len;
        kept.page.len
    }

    fn forget(&mut self, token_path: &str) {
        for lang in Lang::ALL {
            let slot = (token_path.to_owned(), lang);
            self.remove(&slot);
            self.seen.remove(&slot);
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.pages.values().map(|kept| kept.page.len).sum()
    }
}

/// The kept result pages of this instance, and the bound on the renders of the pages not kept.
#[derive(Clone)]
pub struct ResultPages {
    inner: Arc<Mutex<KeptPages>>,
    /// Renders running on the blocking pool at most: one per core (see [`ResultPages::serve`]).
    renders: Arc<Semaphore>,
}

impl Default for ResultPages {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        ResultPages {
            inner: Arc::default(),
            renders: Arc::new(Semaphore::new(cores)),
        }
    }
}

impl std::fmt::Debug for ResultPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResultPages")
    }
}

impl ResultPages {
    fn lock(&self) -> std::sync::MutexGuard<'_, KeptPages> {
        // A panic while holding the lock leaves a cache that is merely incomplete.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The page kept for the link `token_path` in `lang` if it was rendered for `stamp`.
    pub(super) fn kept(&self, token_path: &str, lang: Lang, stamp: &ResultStamp) -> Option<Bytes> {
        let page = self.lock().by_stamp(token_path, lang, stamp)?;
        Some(page.bytes())
    }

    /// [`ResultPages::page`] with the render off the async workers: on the blocking pool, at
    /// most one per core at a time; a kept page is still served right here.
    ///
    /// Why: a render (charts, template; some 0.4 ms of CPU, perf) on an async worker holds up
    /// every other connection of that worker, and a fresh instance or a new publication renders
    /// many pages at once (`scripts/pages_bench.py` at 32 connections: the first 0.5 s of a
    /// run are some 400 renders, two per page, half the server's CPU; the whole run's p99 is
    /// that start plus what other processes take, the steady state's p99 is 3.5–8 ms). A/B
    /// on the shared machine showed no change of the run's p99 beyond the noise (the renders
    /// still take the same cores), but kept pages no longer wait behind a render. The bound
    /// keeps a burst of new pages from taking every core (and a thread and its memory each).
    pub(super) async fn serve(
        &self,
        input: ResultPageInput,
        stamp: Option<ResultStamp>,
        render: impl FnOnce(&ResultPageInput) -> Result<Rendered, WebError> + Send + 'static,
    ) -> Result<Bytes, WebError> {
        let kept = self.lock().get(&input, stamp.clone());
        if let Some(page) = kept {
            return Ok(page.bytes());
        }
        let permit = self
            .renders
            .clone()
            .acquire_owned()
            .await
            .map_err(WebError::internal)?;
        let pages = self.clone();
        // The blocking thread logs inside the request's span (its request id).
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(|| pages.page(input, stamp, render))
        })
        .await
        .map_err(WebError::internal)?
    }

    /// The page for `input`: the kept one if it was rendered from an equal input, else
    /// `render`'s, which is then kept if its link was rendered before in this language. Either is kept with `stamp`, the stamp `input` was
    /// made from (None: not to be served by stamp). Rendered outside the lock: two requests
    /// for the same new page only render it twice.
    pub(super) fn page<E>(
        &self,
        input: ResultPageInput,
        stamp: Option<ResultStamp>,
        render: impl FnOnce(&ResultPageInput) -> Result<Rendered, E>,
    ) -> Result<Bytes, E> {
        let kept = self.lock().get(&input, stamp.clone());
        if let Some(page) = kept {
            return Ok(page.bytes());
        }
        let Rendered { html, charts } = render(&input)?;
        let slot = (input.token_path.clone(), input.lang);
        if !self.lock().admit(&slot) {
            return Ok(Bytes::from(html));
        }
        let page = Arc::new(Page::of(&html, &charts));
        let dropped = self.lock().insert(Kept {
            input,
            stamp,
            page,
            used: 0,
        });
        crate::memory::dropped_from_cache(dropped);
        Ok(Bytes::from(html))
    }

    /// Drops the pages of an erased response at once, rather than when they age out (they can
    /// no longer be reached: its link finds no response).
    pub(super) fn forget(&self, token_path: &str) {
        self.lock().forget(token_path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::cache::dimension_chart_svg;
    use crate::charts::{BarLayout, DimensionBar, DimensionChart};
    use crate::scoring::ScoreLevel;

    fn input(token: &str, lang: Lang, score: u8) -> ResultPageInput {
        ResultPageInput {
            lang,
            k: 5,
            token_path: format!("/s/{token}"),
            link_url: format!("https://example.org/s/{token}"),
            assessment: Assessment {
                catalogue_version: "2026.1".into(),
                overall: ScoreLevel { score, level: 3 },
                dimensions: Vec::new(),
                red_flags: Vec::new(),
                actions: Vec::new(),
            },
            benchmark: Benchmark::Unavailable(crate::benchmark::UnavailableReason::NotListed),
            firm_name: None,
            submitted_at: 0,
            shared_with: None,
            withdraw_action: None,
            brand_logo: None,
        }
    }

    /// Renders the page as a counted function of its whole input.
    fn rendered(
        pages: &ResultPages,
        input: &ResultPageInput,
        renders: &mut usize,
    ) -> Result<Bytes, ()> {
        pages.page(input.clone(), None, |i| {
            *renders += 1;
            Ok(Rendered {
                html: format!("{i:?}"),
                charts: Vec::new(),
            })
        })
    }

    #[test]
    fn a_page_is_served_again_only_for_an_equal_input() {
        let pages = ResultPages::default();
        let mut renders = 0;
        let a = input("a", Lang::De, 40);
        let first = rendered(&pages, &a, &mut renders);
        assert_eq!(rendered(&pages, &a, &mut renders), first);
        assert_eq!(
            renders, 2,
            "the link's first page is not kept, its second is"
        );
        assert_eq!(rendered(&pages, &a, &mut renders), first);
        assert_eq!(renders, 2, "the third request is served the kept page");
        // Any other input renders anew: another link, language, result, sharing, k.
        let mut others = vec![
            input("b", Lang::De, 40),
            input("a", Lang::En, 40),
            input("a", Lang::De, 41),
        ];
        let mut shared = a.clone();
        shared.shared_with = Some("Geteilt mit X".into());
        others.push(shared);
        let mut k = a.clone();
        k.k = 7;
        others.push(k);
        for (n, other) in others.iter().enumerate() {
            let page = rendered(&pages, other, &mut renders);
            assert_eq!(renders, n + 3, "{other:?}");
            assert_ne!(page, first, "{other:?}");
        }
        // The changed input replaced the page kept for the link: the first renders anew too.
        let before = renders;
        assert_eq!(rendered(&pages, &a, &mut renders), first);
        assert_eq!(renders, before + 1);
    }

    #[test]
    fn an_erased_response_is_forgotten_in_both_languages() {
        let pages = ResultPages::default();
        let mut renders = 0;
        let (de, en, other) = (
            input("a", Lang::De, 40),
            input("a", Lang::En, 40),
            input("b", Lang::De, 40),
        );
        // Each viewed twice: kept.
        for i in [&de, &en, &other, &de, &en, &other] {
            rendered(&pages, i, &mut renders).expect("renders");
        }
        pages.forget("/s/a");
        assert_eq!(pages.lock().bytes(), format!("{other:?}").len());
        rendered(&pages, &other, &mut renders).expect("renders");
        assert_eq!(renders, 6, "the other response's page is still kept");
        rendered(&pages, &de, &mut renders).expect("renders");
        assert_eq!(renders, 7, "the erased one's renders anew");
    }

    /// A page not kept is rendered on another thread than the async worker's (here the test's
    /// own, a current-thread runtime), so the worker's other connections are not held up; the
    /// page is kept as by `page`, and a kept page is served without a render.
    #[tokio::test(flavor = "current_thread")]
    async fn a_render_runs_off_the_async_worker() {
        let pages = ResultPages::default();
        let worker = std::thread::current().id();
        let a = input("a", Lang::De, 40);
        let render_on = |threads: Arc<Mutex<Vec<std::thread::ThreadId>>>| {
            move |i: &ResultPageInput| {
                threads
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(std::thread::current().id());
                Ok(Rendered {
                    html: format!("{i:?}"),
                    charts: Vec::new(),
                })
            }
        };
        let threads = Arc::new(Mutex::new(Vec::new()));
        let first = pages
            .serve(a.clone(), None, render_on(threads.clone()))
            .await
            .expect("renders");
        let second = pages
            .serve(a.clone(), None, render_on(threads.clone()))
            .await
            .expect("renders");
        let kept = pages
            .serve(a.clone(), None, render_on(threads.clone()))
            .await
            .expect("kept");
        assert_eq!(first, Bytes::from(format!("{a:?}")));
        assert_eq!((&second, &kept), (&first, &first));
        let threads = threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert_eq!(
            threads.len(),
            2,
            "kept from the second render on, then served"
        );
        assert!(
            threads.iter().all(|t| *t != worker),
            "rendered on the async worker's thread"
        );
    }

    fn stamp(id: i64, generation: i64) -> ResultStamp {
        ResultStamp {
            id,
            status: crate::db::ResponseStatus::Submitted,
            lang: "de".into(),
            catalogue_version: "2026.1".into(),
            updated_at: 7,
            invited: false,
            generation,
        }
    }

    /// A page is served by stamp only for the stamp it was kept with, in its own slot; one kept
    /// without stamp (an invited response's) never is. An equal input seen under a new stamp
    /// (a publication that left this page's numbers alike) lets the new stamp serve it.
    #[test]
    fn a_page_is_served_by_stamp_only_for_its_own_stamp() {
        let pages = ResultPages::default();
        let render = |i: &ResultPageInput| {
            Ok::<_, ()>(Rendered {
                html: format!("{i:?}"),
                charts: Vec::new(),
            })
        };
        let a = input("a", Lang::De, 40);
        // The link's first view: not kept, so not served by stamp.
        pages
            .page(a.clone(), Some(stamp(1, 3)), render)
            .expect("renders");
        assert_eq!(pages.kept("/s/a", Lang::De, &stamp(1, 3)), None);
        let first = pages.page(a.clone(), Some(stamp(1, 3)), render);
        assert_eq!(pages.kept("/s/a", Lang::De, &stamp(1, 3)), first.ok());
        for (path, lang, other) in [
            ("/s/a", Lang::De, stamp(1, 4)),
            ("/s/a", Lang::De, stamp(2, 3)),
            ("/s/a", Lang::En, stamp(1, 3)),
            ("/s/b", Lang::De, stamp(1, 3)),
        ] {
            assert_eq!(
                pages.kept(path, lang, &other),
                None,
                "{path} {lang:?} {other:?}"
            );
        }
        // Rendered again (same input) under generation 4: now kept for 4, no longer for 3.
        let again = pages.page(a.clone(), Some(stamp(1, 4)), |_| Err(()));
        assert_eq!(again, Ok(Bytes::from(format!("{a:?}"))));
        assert!(pages.kept("/s/a", Lang::De, &stamp(1, 4)).is_some());
        assert_eq!(pages.kept("/s/a", Lang::De, &stamp(1, 3)), None);
        // Kept without a stamp: only its full input serves it.
        pages.page(a.clone(), None, |_| Err(())).expect("kept");
        assert_eq!(pages.kept("/s/a", Lang::De, &stamp(1, 4)), None);
        // Erased: not served by stamp either.
        pages.page(a, Some(stamp(1, 4)), |_| Err(())).expect("kept");
        pages.forget("/s/a");
        assert_eq!(pages.kept("/s/a", Lang::De, &stamp(1, 4)), None);
    }

    /// A page is kept from its link's second render in a language on; the links remembered
    /// as seen once are bounded, the oldest forgotten first.
    #[test]
    fn only_a_link_viewed_again_is_kept() {
        let pages = ResultPages::default();
        let mut renders = 0;
        let (a, a_en) = (input("a", Lang::De, 40), input("a", Lang::En, 40));
        rendered(&pages, &a, &mut renders).expect("renders");
        assert_eq!(pages.lock().bytes(), 0, "a first view is not kept");
        rendered(&pages, &a_en, &mut renders).expect("renders");
        assert_eq!(pages.lock().bytes(), 0, "nor the first in another language");
        rendered(&pages, &a, &mut renders).expect("renders");
        assert_eq!(
            pages.lock().bytes(),
            format!("{a:?}").len(),
            "the second is"
        );
        // Seen once, then MAX_SEEN other links: forgotten, so its next view is a first again.
        let b = input("b", Lang::De, 40);
        rendered(&pages, &b, &mut renders).expect("renders");
        for n in 0..MAX_SEEN {
            rendered(
                &pages,
                &input(&format!("other {n}"), Lang::De, 40),
                &mut renders,
            )
            .expect("renders");
            assert!(pages.lock().seen.len() <= MAX_SEEN);
        }
        rendered(&pages, &b, &mut renders).expect("renders");
        assert_eq!(
            pages.lock().bytes(),
            format!("{a:?}").len(),
            "b was forgotten"
        );
        rendered(&pages, &b, &mut renders).expect("renders");
        let both = format!("{a:?}").len() + format!("{b:?}").len();
        assert_eq!(pages.lock().bytes(), both);
    }

    fn chart(label: &str) -> Svg {
        let chart = DimensionChart {
            bars: vec![DimensionBar {
                label: label.into(),
                score: 40,
                peers: None,
                gap: None,
            }],
            axis_label: "Punkte".into(),
            legend: None,
        };
        dimension_chart_svg(&chart, "T", "result-pages-test", &BarLayout::WIDE)
    }

    /// A kept page is the rendered one byte for byte, its charts held as the cache's SVGs; a
    /// chart not in the page, an empty one, or one twice in a row changes nothing.
    #[test]
    fn a_kept_page_is_its_text_with_the_shared_charts() {
        let (a, b) = (chart("kept page a"), chart("kept page b"));
        let html = format!(
            "<p>&lt;x&gt;</p>{}<i>ä</i>{}{}<p>end</p>",
            a.as_str(),
            b.as_str(),
            a.as_str()
        );
        let absent = chart("kept page absent");
        for charts in [
            vec![a.clone(), b.clone()],
            vec![a.clone(), b.clone(), a.clone()],
            vec![absent, Svg::default(), b.clone()],
            vec![b.clone(), a.clone()],
            Vec::new(),
        ] {
            let page = Page::of(&html, &charts);
            assert_eq!(page.bytes(), Bytes::from(html.clone()), "{charts:?}");
            assert_eq!(page.len, html.len());
        }
        let page = Page::of(&html, &[a.clone(), b.clone(), a.clone()]);
        let shared = page
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Chart(_)))
            .count();
        assert_eq!(shared, 3);
        let text: usize = page
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.len(),
                Part::Chart(_) => 0,
            })
            .sum();
        assert_eq!(text, html.len() - 2 * a.as_str().len() - b.as_str().len());
    }

    #[test]
    fn find_compares_each_candidate_in_full() {
        assert_eq!(find("aab", 0, "ab"), Some((1, 3)));
        assert_eq!(find("<s<svg>ä<svg>", 0, "<svg>"), Some((2, 7)));
        assert_eq!(find("<s<svg>ä<svg>", 3, "<svg>"), Some((9, 14)));
        assert_eq!(find("ab", 0, "abc"), None);
        assert_eq!(find("ab", 0, ""), None);
        assert_eq!(find("ab", 5, "a"), None);
    }

    #[test]
    fn the_cache_stays_bounded_and_keeps_what_is_used() {
        let mut kept_pages = KeptPages::default();
        const SIZE: usize = 64 << 10;
        let page = |n: usize| {
            let html = format!("{n}{}", "x".repeat(SIZE));
            Arc::new(Page::of(&html, &[]))
        };
        let held = KEPT_BYTES / (SIZE + 3);
        let key = |n: usize| input(&n.to_string(), Lang::De, 40);
        let kept = |n: usize, page| Kept {
            input: key(n),
            stamp: None,
            page,
            used: 0,
        };
        kept_pages.insert(kept(0, page(0)));
        for n in 1..=3 * held {
            kept_pages.insert(kept(n, page(n)));
            // The first page is asked for all along: it is never dropped.
            assert_eq!(kept_pages.get(&key(0), None), Some(page(0)));
            assert!(kept_pages.bytes() <= KEPT_BYTES);
            assert_eq!(kept_pages.bytes, kept_pages.bytes());
        }
        // The last `held - 1` pages besides the first are kept, every older one is gone.
        let last = 3 * held;
        for n in 1..=last {
            let expected = (n > last + 1 - held).then(|| page(n));
            assert_eq!(kept_pages.get(&key(n), None), expected, "{n}");
        }
        // Replacing a page keeps the count of bytes right.
        kept_pages.insert(kept(last, page(last + 1)));
        assert_eq!(kept_pages.get(&key(last), None), Some(page(last + 1)));
        assert_eq!(kept_pages.bytes, kept_pages.bytes());
        // A working set of 240 result pages stays whole (pages_bench asks for 200).
        assert!(held >= 240);
    }
}
