//! The result page's chart SVGs, kept while their inputs repeat (issue 17, item 5).
//!
//! A result page draws four SVGs (bars and matrix, wide and narrow). Their inputs (scores,
//! labels, peer bands, title, layout) repeat whenever the same result is shown again in the
//! same language against the same published benchmark, so a drawn SVG is kept under its whole
//! input, compared in full (no hash may stand in for it). Bounded by the SVGs' size: two
//! generations of at most [`GENERATION_BYTES`] each; a full generation becomes the old one and
//! the older is dropped, and a hit in the old generation moves to the new one (a cheap
//! approximation of LRU). By size rather than by count: 256 entries held the charts of only 64
//! result pages, so a few hundred owners looking at their results again drew every chart anew
//! (plotters was 14 % of a result page's CPU in `scripts/pages_bench.py`'s 200 pages).
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::charts::{
    BarLayout, DimensionChart, MatrixLayout, PriorityMatrix, dimension_chart_svg_as,
    priority_matrix_svg_as,
};

/// SVG bytes per generation: at most twice this is kept (16 MiB, the four charts of about
/// 300 result pages per generation; each SVG is some 10–20 KB).
const GENERATION_BYTES: usize = 8 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bars(DimensionChart, String, String, BarLayout),
    Matrix(PriorityMatrix, String, String, MatrixLayout),
}

#[derive(Default)]
struct Generations {
    new: HashMap<Key, Arc<str>>,
    /// The SVG bytes in `new`.
    new_bytes: usize,
    old: HashMap<Key, Arc<str>>,
}

impl Generations {
    fn get(&mut self, key: &Key) -> Option<Arc<str>> {
        if let Some(svg) = self.new.get(key) {
            return Some(svg.clone());
        }
        let svg = self.old.remove(key)?;
        self.insert(key.clone(), svg.clone());
        Some(svg)
    }

    fn insert(&mut self, key: Key, svg: Arc<str>) {
        if self.new_bytes + svg.len() > GENERATION_BYTES && !self.new.is_empty() {
            self.old = std::mem::take(&mut self.new);
            self.new_bytes = 0;
        }
        self.new_bytes += svg.len();
        if let Some(replaced) = self.new.insert(key, svg) {
            self.new_bytes -= replaced.len();
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.new
            .values()
            .chain(self.old.values())
            .map(|s| s.len())
            .sum()
    }
}

static CACHE: LazyLock<Mutex<Generations>> = LazyLock::new(Mutex::default);

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
    lock().insert(key, svg.clone());
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

    #[test]
    fn the_cache_stays_bounded_and_keeps_what_is_used() {
        let mut generations = Generations::default();
        let key = |n: usize| {
            Key::Bars(
                chart(55, &format!("bounded {n}")),
                String::new(),
                String::new(),
                BarLayout::WIDE,
            )
        };
        // SVG-sized entries: a generation holds GENERATION_BYTES / SIZE of them.
        const SIZE: usize = 16 << 10;
        let svg = |n: usize| -> Arc<str> { Arc::from(format!("{n:0>SIZE$}").as_str()) };
        let per_generation = GENERATION_BYTES / SIZE;
        generations.insert(key(0), svg(0));
        for n in 1..=3 * per_generation {
            generations.insert(key(n), svg(n));
            // The first entry is used all along: it is never dropped.
            assert_eq!(generations.get(&key(0)), Some(svg(0)));
            assert!(generations.bytes() <= 2 * GENERATION_BYTES);
        }
        let last = 3 * per_generation;
        assert_eq!(generations.get(&key(last)), Some(svg(last)));
        assert_eq!(
            generations.get(&key(1)),
            None,
            "the oldest unused entry is gone"
        );
        // A working set of more than 256 charts (the old bound) stays whole.
        assert!(per_generation > 256);
        let mut working = Generations::default();
        for round in 0..3 {
            for n in 0..per_generation {
                if round > 0 {
                    assert_eq!(
                        working.get(&key(n)),
                        Some(svg(n)),
                        "round {round}, chart {n}"
                    );
                } else {
                    working.insert(key(n), svg(n));
                }
            }
        }
    }
}
