//! Plausibility screening: whether a submitted response may count in the statistics at once,
//! or is held back until an admin looks at it. Pure: the caller brings the clock and the
//! recent answer vectors of the cohort.
//!
//! Two signs of a script rather than a firm: a form filled far faster than its questions can be
//! read, and a burst of near-identical answers into one cohort within a short window. Held-back
//! responses are stored and their owners get their result; only the statistics wait.
use std::time::Duration;

use crate::survey::{AnswerSet, Catalogue};

/// The thresholds, from the `SCREEN_*` settings. Zero turns a check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screening {
    /// `SCREEN_MIN_SECONDS_PER_QUESTION`: a form response submitted sooner after its start than
    /// this many seconds per answered question is held back (default 2).
    pub min_seconds_per_question: u32,
    /// `SCREEN_BURST_SIZE`: this many near-identical responses in one cohort (industry × size
    /// class) within the window make a burst; the one that completes it and all later ones are
    /// held back (default 5).
    pub burst_size: u32,
    /// `SCREEN_BURST_WINDOW_SECONDS` (default 3600).
    pub burst_window: Duration,
    /// `SCREEN_BURST_MAX_DIFFERENT`: answer vectors that differ in at most this many questions
    /// are near-identical (default 2).
    pub burst_max_different: u32,
}

impl Default for Screening {
    fn default() -> Screening {
        Screening {
            min_seconds_per_question: 2,
            burst_size: 5,
            burst_window: Duration::from_secs(3600),
            burst_max_different: 2,
        }
    }
}

impl Screening {
    /// No screening at all (tests of other things, the CLI).
    pub const OFF: Screening = Screening {
        min_seconds_per_question: 0,
        burst_size: 0,
        burst_window: Duration::from_secs(0),
        burst_max_different: 0,
    };

    /// Submitted `elapsed_ms` after the start with `answered` questions answered: faster than
    /// anyone reads?
    pub fn too_fast(&self, answered: usize, elapsed_ms: i64) -> bool {
        let needed = i64::from(self.min_seconds_per_question)
            .saturating_mul(1000)
            .saturating_mul(i64::try_from(answered).unwrap_or(i64::MAX));
        elapsed_ms < needed
    }

    /// Would `vector` complete (or extend) a burst, given the cohort's vectors in the window?
    pub fn is_burst(&self, vector: &[String], recent: &[Vec<String>]) -> bool {
        if self.burst_size == 0 {
            return false;
        }
        let alike = recent
            .iter()
            .filter(|other| near_identical(vector, other, self.burst_max_different))
            .count();
        alike + 1 >= self.burst_size as usize
    }
}

/// Why a response is held back; stored as text with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// Through the API without a key: anyone can post, so nothing proves a firm behind it.
    Keyless,
    TooFast,
    Burst,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Keyless => "keyless",
            HoldReason::TooFast => "too_fast",
            HoldReason::Burst => "burst",
        }
    }

    pub fn parse(s: &str) -> Option<HoldReason> {
        [HoldReason::Keyless, HoldReason::TooFast, HoldReason::Burst]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The scored and importance answers in catalogue order, one entry per question ("" if open).
pub fn answer_vector(catalogue: &Catalogue, answers: &AnswerSet) -> Vec<String> {
    catalogue
        .dimensions
        .iter()
        .flat_map(|d| {
            d.questions
                .iter()
                .map(|q| q.id.clone())
                .chain(std::iter::once(Catalogue::importance_question_id(d)))
        })
        .map(|id| answers.get(&id).map(|a| a.to_storage()).unwrap_or_default())
        .collect()
}

/// At most `max_different` positions differ (vectors of other lengths are never alike).
pub fn near_identical(a: &[String], b: &[String], max_different: u32) -> bool {
    a.len() == b.len() && a.iter().zip(b).filter(|(x, y)| x != y).count() <= max_different as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.chars().map(String::from).collect()
    }

    fn screening() -> Screening {
        Screening {
            min_seconds_per_question: 3,
            burst_size: 3,
            burst_window: Duration::from_secs(600),
            burst_max_different: 1,
        }
    }

    #[test]
    fn faster_than_reading_is_held_and_zero_turns_it_off() {
        let s = screening();
        assert!(s.too_fast(10, 29_999));
        assert!(!s.too_fast(10, 30_000));
        assert!(!Screening::OFF.too_fast(10, 0));
    }

    #[test]
    fn a_burst_needs_enough_near_identical_vectors() {
        let s = screening();
        let me = v("abcd");
        // One differing answer is near-identical; two are not.
        assert!(near_identical(&me, &v("abcx"), 1));
        assert!(!near_identical(&me, &v("abxx"), 1));
        assert!(!near_identical(&me, &v("abc"), 4));
        assert!(!s.is_burst(&me, &[v("abcx"), v("xxxx")]));
        assert!(s.is_burst(&me, &[v("abcx"), v("abcd"), v("xxxx")]));
        assert!(!Screening::OFF.is_burst(&me, &[me.clone(), me.clone(), me.clone()]));
    }

    #[test]
    fn reasons_read_back() {
        for r in [HoldReason::Keyless, HoldReason::TooFast, HoldReason::Burst] {
            assert_eq!(HoldReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(HoldReason::parse("other"), None);
    }
}
