//! The result page's chart SVGs, kept while their inputs repeat (issue 17, item 5).
//!
//! A result page draws four SVGs (bars and matrix, wide and narrow). Their inputs (scores,
//! labels, peer bands, title, layout) repeat whenever the same result is shown again in the
//! same language against the same published benchmark, so a drawn SVG is kept under its whole
//! input, compared in full (no hash may stand in for it). Bounded: two generations of at most
//! [`GENERATION`] entries each; a full generation becomes the old one and the older is dropped,
//! and a hit in the old generation moves to the new one (a cheap approximation of LRU).
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::charts::{
    BarLayout, DimensionChart, MatrixLayout, PriorityMatrix, dimension_chart_svg_as,
    priority_matrix_svg_as,
};

/// Entries per generation: at most twice this many SVGs (each some 10–20 KB) are kept.
const GENERATION: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bars(DimensionChart, String, String, BarLayout),
    Matrix(PriorityMatrix, String, String, MatrixLayout),
}

#[derive(Default)]
struct Generations {
    new: HashMap<Key, Arc<str>>,
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
        if self.new.len() >= GENERATION {
            self.old = std::mem::take(&mut self.new);
        }
        self.new.insert(key, svg);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.new.len() + self.old.len()
    }
}

static CACHE: LazyLock<Mutex<Generations>> = LazyLock::new(Mutex::default);

fn cached(key: Key, draw: impl FnOnce() -> String) -> String {
    // A panic while holding the lock leaves a cache that is merely incomplete.
    let lock = || CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(svg) = lock().get(&key) {
        return svg.to_string();
    }
    // Drawn outside the lock: two pages drawing the same chart at once only draw it twice.
    let svg = draw();
    lock().insert(key, Arc::from(svg.as_str()));
    svg
}

/// [`dimension_chart_svg_as`], from the cache when drawn before.
pub fn dimension_chart_svg(
    chart: &DimensionChart,
    title: &str,
    id: &str,
    layout: &BarLayout,
) -> String {
    let key = Key::Bars(chart.clone(), title.to_owned(), id.to_owned(), *layout);
    cached(key, || dimension_chart_svg_as(chart, title, id, layout))
}

/// [`priority_matrix_svg_as`], from the cache when drawn before.
pub fn priority_matrix_svg(
    chart: &PriorityMatrix,
    title: &str,
    id: &str,
    layout: &MatrixLayout,
) -> String {
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
        assert_eq!(dimension_chart_svg(&a, "T", "c", &layout), drawn);
        assert_eq!(dimension_chart_svg(&a, "T", "c", &layout), drawn);
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
        generations.insert(key(0), Arc::from("zero"));
        for n in 1..=3 * GENERATION {
            generations.insert(key(n), Arc::from(n.to_string().as_str()));
            // The first entry is used all along: it is never dropped.
            assert_eq!(generations.get(&key(0)).as_deref(), Some("zero"));
            assert!(generations.len() <= 2 * GENERATION);
        }
        let last = 3 * GENERATION;
        assert_eq!(
            generations.get(&key(last)).as_deref(),
            Some(last.to_string().as_str())
        );
        assert_eq!(
            generations.get(&key(1)),
            None,
            "the oldest unused entry is gone"
        );
    }
}
