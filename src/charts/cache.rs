//! The result page's chart SVGs, kept while their inputs repeat (issue 17, item 5).
//!
//! A result page draws four SVGs (bars and matrix, wide and narrow). Their inputs (scores,
//! labels, peer bands, title, layout) repeat whenever the same result is shown again in the
//! same language against the same published benchmark, so a drawn SVG is kept under its whole
//! input, compared in full (no hash may stand in for it).
//!
//! Bounded by bytes, and the least recently used entry is dropped first, one at a time (two
//! generations dropped whole, as before, let the cache swing by 8 MB and left the freed
//! space in holes among live blocks). Only the SVG bytes that nothing else holds count
//! against [`CHART_ONLY_BYTES`]: a kept result page (`web::result_pages`) holds its charts
//! as the same shared `Svg` and counts them in its own bound, so a chart kept by both is
//! counted once, by the page, and the two caches together never hold more than the kept
//! pages' bound plus this one. Measured (scripts/load_test.py, form flow at 64 connections,
//! SQLite): the two 8 MB generations held the charts of some 300 pages besides the kept
//! pages' 16 MB, and the service's RSS was 60–62 MB, over its 60 MB.
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::charts::{
    BarLayout, DimensionChart, MatrixLayout, PriorityMatrix, dimension_chart_svg_as,
    priority_matrix_svg_as,
};

/// SVG bytes that only this cache holds, at most (the four charts of some 40 result pages
/// that are no longer kept whole; each SVG is some 10–20 KB).
const CHART_ONLY_BYTES: usize = 2 << 20;

/// Entries at most, whoever holds their SVGs: bounds the keys when every chart is also on a
/// kept page (those are some 1,000 charts at the kept pages' bound).
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bars(DimensionChart, String, String, BarLayout),
    Matrix(PriorityMatrix, String, String, MatrixLayout),
}

struct Entry {
    svg: Arc<str>,
    /// When it was last used (a count of lookups and inserts).
    used: u64,
}

#[derive(Default)]
struct Charts {
    entries: HashMap<Key, Entry>,
    clock: u64,
}

impl Charts {
    fn get(&mut self, key: &Key) -> Option<Arc<str>> {
        self.clock += 1;
        let entry = self.entries.get_mut(key)?;
        entry.used = self.clock;
        Some(entry.svg.clone())
    }

    /// Keeps `svg` (held by the caller too, for the page being drawn); drops the least
    /// recently used entries beyond the bounds. Returns the SVG bytes freed by the drops.
    fn insert(&mut self, key: Key, svg: Arc<str>) -> usize {
        self.clock += 1;
        self.entries.insert(
            key,
            Entry {
                svg,
                used: self.clock,
            },
        );
        self.shrink()
    }

    /// The SVG bytes held by nothing but this cache.
    fn only_here(entry: &Entry) -> usize {
        if Arc::strong_count(&entry.svg) == 1 {
            entry.svg.len()
        } else {
            0
        }
    }

    /// Drops the least recently used entries while the SVGs only this cache holds exceed
    /// [`CHART_ONLY_BYTES`] or the entries [`MAX_ENTRIES`]. A scan and a sort per insert: an
    /// insert follows a drawing, which costs far more than ordering some thousand entries.
    fn shrink(&mut self) -> usize {
        let mut only: usize = self.entries.values().map(Self::only_here).sum();
        let mut count = self.entries.len();
        if only <= CHART_ONLY_BYTES && count <= MAX_ENTRIES {
            return 0;
        }
        // Down to three quarters of the bounds, so that the next few inserts need no sort.
        let (only_bound, count_bound) = (CHART_ONLY_BYTES / 4 * 3, MAX_ENTRIES / 4 * 3);
        let mut by_age: Vec<(u64, usize, &Key)> = self
            .entries
            .iter()
            .map(|(key, entry)| (entry.used, Self::only_here(entry), key))
            .collect();
        by_age.sort_unstable_by_key(|&(used, _, _)| used);
        let mut drop = Vec::new();
        for (_, bytes, key) in by_age {
            if only <= only_bound && count <= count_bound {
                break;
            }
            // An entry whose SVG a page holds frees only its key: kept while the bytes are
            // what is over.
            if bytes == 0 && count <= count_bound {
                continue;
            }
            only -= bytes;
            count -= 1;
            drop.push(key.clone());
        }
        let mut freed = 0;
        for key in drop {
            if let Some(entry) = self.entries.remove(&key) {
                freed += Self::only_here(&entry);
            }
        }
        freed
    }

    #[cfg(test)]
    fn only_bytes(&self) -> usize {
        self.entries.values().map(Self::only_here).sum()
    }
}

static CACHE: LazyLock<Mutex<Charts>> = LazyLock::new(Mutex::default);

/// A drawn SVG, shared by the cache and whatever shows it: a clone counts, it does not copy
/// (the web layer keeps rendered result pages holding their charts, see `web::result_pages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg(Arc<str>);

impl Svg {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Svg {
    fn default() -> Svg {
        Svg(Arc::from(""))
    }
}

impl AsRef<[u8]> for Svg {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// As the SVG's text, so that a template shows it as it would a `String`.
impl serde::Serialize for Svg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

fn cached(key: Key, draw: impl FnOnce() -> String) -> Svg {
    // A panic while holding the lock leaves a cache that is merely incomplete.
    let lock = || CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(svg) = lock().get(&key) {
        return Svg(svg);
    }
    // Drawn outside the lock: two pages drawing the same chart at once only draw it twice.
    let svg: Arc<str> = Arc::from(draw());
    let freed = lock().insert(key, svg.clone());
    crate::memory::dropped_from_cache(freed);
    Svg(svg)
}

/// [`dimension_chart_svg_as`], from the cache when drawn before.
pub fn dimension_chart_svg(
    chart: &DimensionChart,
    title: &str,
    id: &str,
    layout: &BarLayout,
) -> Svg {
    let key = Key::Bars(chart.clone(), title.to_owned(), id.to_owned(), *layout);
    cached(key, || dimension_chart_svg_as(chart, title, id, layout))
}

/// [`priority_matrix_svg_as`], from the cache when drawn before.
pub fn priority_matrix_svg(
    chart: &PriorityMatrix,
    title: &str,
    id: &str,
    layout: &MatrixLayout,
) -> Svg {
    let key = Key::Matrix(chart.clone(), title.to_owned(), id.to_owned(), *layout);
    cached(key, || priority_matrix_svg_as(chart, title, id, layout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{DimensionBar, PeerBand};

    fn chart(score: u8, label: &str) -> DimensionChart {
        DimensionChart {
            bars: vec![DimensionBar {
                label: label.into(),
                score,
                peers: Some(PeerBand {
                    p25: 20,
                    median: 40,
                    p75: 60,
                }),
                gap: None,
            }],
            axis_label: "Punkte".into(),
            legend: Some(["Sie".into(), "Mitte".into(), "Median".into()]),
        }
    }

    #[test]
    fn a_cached_chart_is_the_one_drawn_and_any_input_change_draws_anew() {
        let layout = BarLayout::WIDE;
        let a = chart(55, "Strategie cache test");
        let drawn = dimension_chart_svg_as(&a, "T", "c", &layout);
        assert_eq!(dimension_chart_svg(&a, "T", "c", &layout).as_str(), drawn);
        assert_eq!(dimension_chart_svg(&a, "T", "c", &layout).as_str(), drawn);
        // Each input is part of the key: score, label, title, id, layout.
        for (other, title, id, layout) in [
            (chart(56, "Strategie cache test"), "T", "c", BarLayout::WIDE),
            (
                chart(55, "Strategie cache test 2"),
                "T",
                "c",
                BarLayout::WIDE,
            ),
            (chart(55, "Strategie cache test"), "U", "c", BarLayout::WIDE),
            (chart(55, "Strategie cache test"), "T", "d", BarLayout::WIDE),
            (
                chart(55, "Strategie cache test"),
                "T",
                "c",
                BarLayout::NARROW,
            ),
        ] {
            let svg = dimension_chart_svg(&other, title, id, &layout);
            let svg = svg.as_str();
            assert_eq!(svg, dimension_chart_svg_as(&other, title, id, &layout));
            assert_ne!(svg, drawn);
        }
    }

    fn key(n: usize) -> Key {
        Key::Bars(
            chart(55, &format!("bounded {n}")),
            String::new(),
            String::new(),
            BarLayout::WIDE,
        )
    }

    /// An SVG-sized entry (16 KB), different for every `n`.
    const SIZE: usize = 16 << 10;
    fn svg(n: usize) -> Arc<str> {
        Arc::from(format!("{n:0>SIZE$}").as_str())
    }

    /// Inserts as `cached` does: the caller's copy is gone once the page is made.
    fn insert_alone(charts: &mut Charts, n: usize) -> usize {
        charts.insert(key(n), svg(n))
    }

    #[test]
    fn the_cache_stays_bounded_and_keeps_what_is_used() {
        let mut charts = Charts::default();
        let per_bound = CHART_ONLY_BYTES / SIZE;
        insert_alone(&mut charts, 0);
        let mut freed = 0;
        for n in 1..=3 * per_bound {
            freed += insert_alone(&mut charts, n);
            // The first entry is used all along: it is never dropped.
            assert_eq!(charts.get(&key(0)), Some(svg(0)));
            assert!(charts.only_bytes() <= CHART_ONLY_BYTES, "after {n}");
        }
        // Everything beyond the bound was freed and reported, one entry at a time.
        assert_eq!(freed, (3 * per_bound + 1) * SIZE - charts.only_bytes());
        assert!(charts.only_bytes() > CHART_ONLY_BYTES / 2);
        let last = 3 * per_bound;
        assert_eq!(charts.get(&key(last)), Some(svg(last)));
        assert_eq!(charts.get(&key(1)), None, "the oldest unused entry is gone");
    }

    /// SVGs that a kept page holds too are not counted: the cache keeps all of them, however
    /// many bytes; once the pages let go, the bound applies to them.
    #[test]
    fn charts_held_by_kept_pages_count_against_the_pages() {
        let mut charts = Charts::default();
        let held = 2 * CHART_ONLY_BYTES / SIZE;
        let pages: Vec<Arc<str>> = (0..held).map(svg).collect();
        for (n, page) in pages.iter().enumerate() {
            assert_eq!(charts.insert(key(n), page.clone()), 0);
        }
        assert_eq!(charts.only_bytes(), 0);
        for n in 0..held {
            assert!(charts.get(&key(n)).is_some(), "chart {n}");
        }
        drop(pages);
        let freed = insert_alone(&mut charts, held);
        assert!(charts.only_bytes() <= CHART_ONLY_BYTES);
        assert_eq!(freed, (held + 1) * SIZE - charts.only_bytes());
        assert!(charts.get(&key(held)).is_some(), "the newest stays");
        assert!(charts.get(&key(0)).is_none(), "the oldest is gone");
    }

    /// However the SVGs are held, the entries stay bounded by count.
    #[test]
    fn entries_stay_bounded_by_count() {
        let mut charts = Charts::default();
        let kept: Vec<Arc<str>> = (0..=MAX_ENTRIES)
            .map(|n| Arc::from(n.to_string()))
            .collect();
        for (n, page) in kept.iter().enumerate() {
            charts.insert(key(n), page.clone());
            assert!(charts.entries.len() <= MAX_ENTRIES);
        }
        assert!(charts.get(&key(MAX_ENTRIES)).is_some());
        assert!(charts.get(&key(0)).is_none());
    }
}
