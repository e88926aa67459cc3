//! One view struct per page: the contract between a handler and its template. Pure: the
//! handlers in `web` fill them, the templates read them.

use serde::Serialize;

use super::texts::{text, texts};
use crate::benchmark::RankWording;
use crate::charts::cache::{Svg, dimension_chart_svg, priority_matrix_svg};
use crate::charts::{BarLayout, DimensionBar, DimensionChart, MatrixLayout, MatrixPoint, PeerBand};
use crate::scoring::Assessment;
use crate::statistics::{Benchmark, FirmComparison};
use crate::survey::{
    Answer, AnswerSet, Catalogue, FieldError, Lang, Page, Question, QuestionKind, QuestionRef,
    Stage, Text,
};

pub use super::labels::{
    ResolvedAction, answer_text, cohort_label, format_date, profile_option_label, resolve, signed,
};

/// What every page has: language, title, language switch. Templates take their texts with the
/// `{{t "key"}}` helper (`web::templates`), in `lang` and, if set, `voice`: the page data holds
/// no copy of the texts.
#[derive(Debug, Serialize)]
pub struct Chrome {
    pub lang: &'static str,
    /// `Some("consultant")`: the result's texts as the consultant reads them about a client.
    pub voice: Option<&'static str>,
    pub title: String,
    pub languages: Vec<LanguageLink>,
    /// The logged-in user's navigation, on account pages.
    pub account: Option<AccountNav>,
}

#[derive(Debug, Serialize)]
pub struct AccountNav {
    pub email: String,
    pub home: &'static str,
    pub csrf_token: String,
}

#[derive(Debug, Serialize)]
pub struct LanguageLink {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

impl Chrome {
    /// `path` is the page's own path, so that switching language stays on the page.
    pub fn new(lang: Lang, title: String, path: &str) -> Chrome {
        let languages = Lang::ALL
            .iter()
            .map(|&l| LanguageLink {
                code: l.code(),
                label: match l {
                    Lang::De => "Deutsch",
                    Lang::En => "English",
                },
                href: format!("{path}?lang={}", l.code()),
                current: l == lang,
            })
            .collect();
        Chrome {
            lang: lang.code(),
            voice: None,
            title,
            languages,
            account: None,
        }
    }

    /// Adds the account navigation (home, who is logged in, log out) for a logged-in user.
    pub fn for_user(
        lang: Lang,
        title: String,
        path: &str,
        user: &crate::auth::CurrentUser,
    ) -> Chrome {
        Chrome {
            account: Some(AccountNav {
                email: user.email.clone(),
                home: user.role.home(),
                csrf_token: user.csrf_token.clone(),
            }),
            ..Chrome::new(lang, title, path)
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: String,
    pub message: String,
    pub details: Vec<String>,
    pub home: String,
}

impl ErrorPage {
    pub fn new(lang: Lang, status: u16, message: &Text, details: &[FieldError]) -> ErrorPage {
        // Every status gets a heading in words; one without its own falls back to a general one.
        let heading = texts(lang)
            .get(&format!("error_title_{status}"))
            .cloned()
            .unwrap_or_else(|| {
                text(
                    lang,
                    if status >= 500 {
                        "error_title_500"
                    } else {
                        "error_title_other"
                    },
                )
            });
        let message = match status {
            404 => text(lang, "error_text_404"),
            405 => text(lang, "error_text_405"),
            500 => text(lang, "error_text_500"),
            _ if message.get(lang).is_empty() => text(lang, "error_text_other"),
            _ => message.get(lang).to_owned(),
        };
        ErrorPage {
            chrome: Chrome::minimal(lang, heading.clone()),
            status,
            heading,
            message,
            details: details
                .iter()
                .map(|d| d.message.get(lang).to_owned())
                .collect(),
            home: format!("/?lang={}", lang.code()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LandingPage {
    pub chrome: Chrome,
    pub dimensions: Vec<String>,
    pub form_action: String,
    pub consent_error: bool,
    pub minutes: u32,
}

impl LandingPage {
    pub fn new(catalogue: &Catalogue, lang: Lang, consent_error: bool) -> LandingPage {
        LandingPage {
            chrome: Chrome::new(lang, text(lang, "landing_title"), "/"),
            dimensions: catalogue
                .dimensions
                .iter()
                .map(|d| d.title.get(lang).to_owned())
                .collect(),
            form_action: format!("/start?lang={}", lang.code()),
            consent_error,
            minutes: 15,
        }
    }
}

/// The owner's private link, shown on every page of the survey.
#[derive(Debug, Serialize, Default)]
pub struct PrivateLink {
    pub url: String,
    pub new: bool,
    /// The offer to send the link by e-mail (only when an SMTP relay is configured).
    pub mail: Option<MailOffer>,
    /// The link was just sent by e-mail.
    pub mailed: bool,
}

/// The small form "send me this link": where it posts, the page to return to, and on a
/// failed attempt what was typed and what went wrong.
#[derive(Debug, Serialize)]
pub struct MailOffer {
    pub action: String,
    pub back: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OptionView {
    pub id: String,
    pub input_id: String,
    pub label: String,
    pub hint: Option<String>,
    pub checked: bool,
}

#[derive(Debug, Serialize)]
pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub help_id: String,
    pub multi: bool,
    pub required: bool,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
    pub error_id: String,
    /// Set when the question does not apply at the firm's stage: shown as this note, not asked.
    pub not_applicable: Option<String>,
}

/// One line of an error summary (GOV.UK pattern): the question named, linked to where it is.
#[derive(Debug, Serialize)]
pub struct ErrorLink {
    pub href: Option<String>,
    pub text: String,
}

impl ErrorLink {
    /// "Question – what is wrong", so that the summary names each question, not just the
    /// same "please choose an answer" several times.
    fn named(href: Option<String>, label: Option<&str>, message: &str) -> ErrorLink {
        ErrorLink {
            href,
            text: match label {
                Some(label) if !message.contains(label) => format!("{label} – {message}"),
                _ => message.to_owned(),
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FirmNameView {
    pub value: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StepPage {
    pub chrome: Chrome,
    pub step: usize,
    pub total: usize,
    pub percent: usize,
    pub heading: String,
    pub intro: String,
    pub link: PrivateLink,
    pub form_action: String,
    pub errors: Vec<ErrorLink>,
    pub firm_name: Option<FirmNameView>,
    pub questions: Vec<QuestionView>,
    pub has_back: bool,
    pub is_last: bool,
}

/// What a step page shows as chosen: the stored answers, or what was just posted.
pub enum Shown<'a> {
    Stored(&'a AnswerSet),
    Posted(&'a [(String, String)]),
}

impl Shown<'_> {
    fn chosen(&self, question_id: &str) -> Vec<String> {
        match self {
            Shown::Stored(answers) => answers
                .get(question_id)
                .map(|a: &Answer| a.option_ids().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            Shown::Posted(fields) => fields
                .iter()
                .filter(|(k, _)| k == question_id)
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }
}

pub struct StepInput<'a> {
    pub catalogue: &'a Catalogue,
    pub lang: Lang,
    pub step: usize,
    pub page: Page<'a>,
    pub token_path: &'a str,
    pub link: PrivateLink,
    pub shown: Shown<'a>,
    pub firm_name: Option<String>,
    pub errors: &'a [FieldError],
    /// The firm's stage from its stored profile (the profile page itself is never branched).
    pub stage: Stage,
}

fn question_view(
    lang: Lang,
    q: &Question,
    stage: Stage,
    chosen: Vec<String>,
    errors: &[FieldError],
) -> QuestionView {
    QuestionView {
        id: q.id.clone(),
        // A firm that is not active yet answers for its planning (2027.1 on).
        text: q.text_for(stage).get(lang).to_owned(),
        help: q.help.as_ref().map(|h| h.get(lang).to_owned()),
        help_id: format!("{}-help", q.id),
        multi: q.kind == QuestionKind::Multi,
        required: q.required,
        options: q
            .options
            .iter()
            // "Not active yet" contradicts an active firm's profile: not offered to it.
            .filter(|o| !(o.not_active && stage.is_active()))
            .map(|o| OptionView {
                id: o.id.clone(),
                input_id: format!("{}--{}", q.id, o.id),
                label: o.label.get(lang).to_owned(),
                hint: o.hint.as_ref().map(|h| h.get(lang).to_owned()),
                checked: chosen.contains(&o.id),
            })
            .collect(),
        error: errors
            .iter()
            .find(|e| e.field == q.id)
            .map(|e| e.message.get(lang).to_owned()),
        error_id: format!("{}-error", q.id),
        not_applicable: q
            .skipped_at(stage)
            .then(|| text(lang, "not_applicable_not_active")),
    }
}

impl StepPage {
    pub fn new(input: StepInput<'_>) -> StepPage {
        let StepInput {
            catalogue,
            lang,
            step,
            page,
            token_path,
            link,
            shown,
            firm_name,
            errors,
            stage,
        } = input;
        let total = catalogue.page_count();
        let (heading, intro, questions, firm_name) = match page {
            Page::Profile => (
                text(lang, "profile_title"),
                text(lang, "profile_intro"),
                catalogue
                    .profile
                    .iter()
                    .map(|q| question_view(lang, q, Stage::Active, shown.chosen(&q.id), errors))
                    .collect::<Vec<_>>(),
                Some(FirmNameView {
                    value: firm_name.unwrap_or_default(),
                    error: errors
                        .iter()
                        .find(|e| e.field == "firm_name")
                        .map(|e| e.message.get(lang).to_owned()),
                }),
            ),
            Page::Dimension(d) => {
                let mut questions: Vec<QuestionView> = d
                    .questions
                    .iter()
                    .map(|q| question_view(lang, q, stage, shown.chosen(&q.id), errors))
                    .collect();
                let importance_id = Catalogue::importance_question_id(d);
                let chosen = shown.chosen(&importance_id);
                questions.push(QuestionView {
                    id: importance_id.clone(),
                    text: catalogue.importance.text.get(lang).to_owned(),
                    help: None,
                    help_id: format!("{importance_id}-help"),
                    multi: false,
                    required: false,
                    options: catalogue
                        .importance
                        .options
                        .iter()
                        .map(|o| OptionView {
                            id: o.id.clone(),
                            input_id: format!("{importance_id}--{}", o.id),
                            label: o.label.get(lang).to_owned(),
                            hint: None,
                            checked: chosen.contains(&o.id),
                        })
                        .collect(),
                    error: None,
                    error_id: format!("{importance_id}-error"),
                    not_applicable: None,
                });
                (
                    d.title.get(lang).to_owned(),
                    d.intro.get(lang).to_owned(),
                    questions,
                    None,
                )
            }
        };
        let step_word = text(lang, "step");
        let of_word = text(lang, "of");
        StepPage {
            chrome: Chrome::new(
                lang,
                format!("{heading} – {step_word} {step} {of_word} {total}"),
                &format!("{token_path}/step/{step}"),
            ),
            step,
            total,
            percent: step * 100 / total,
            heading,
            intro,
            link,
            form_action: format!("{token_path}/step/{step}?lang={}", lang.code()),
            errors: errors
                .iter()
                .map(|e| {
                    let message = e.message.get(lang);
                    if e.field == "firm_name" {
                        let label = text(lang, "firm_name_label");
                        return ErrorLink::named(Some("#firm_name".into()), Some(&label), message);
                    }
                    match questions.iter().find(|q| q.id == e.field) {
                        Some(q) => {
                            ErrorLink::named(Some(format!("#{}", q.id)), Some(&q.text), message)
                        }
                        None => ErrorLink::named(None, None, message),
                    }
                })
                .collect(),
            firm_name,
            questions,
            has_back: step > 1,
            is_last: step == total,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PausedPage {
    pub chrome: Chrome,
    pub link: PrivateLink,
}

#[derive(Debug, Serialize)]
pub struct ReviewAnswer {
    pub question: String,
    pub answer: Option<String>,
    pub missing: bool,
}

#[derive(Debug, Serialize)]
pub struct ReviewSection {
    pub heading: String,
    pub change_href: String,
    pub answers: Vec<ReviewAnswer>,
}

#[derive(Debug, Serialize)]
pub struct ReviewPage {
    pub chrome: Chrome,
    pub link: PrivateLink,
    pub sections: Vec<ReviewSection>,
    pub complete: bool,
    pub errors: Vec<ErrorLink>,
    pub submit_action: String,
}

impl ReviewPage {
    pub fn new(
        catalogue: &Catalogue,
        lang: Lang,
        token_path: &str,
        link: PrivateLink,
        answers: &AnswerSet,
        firm_name: Option<&str>,
        errors: &[FieldError],
    ) -> ReviewPage {
        let review = |q: &Question| {
            let answer = answer_text(lang, q, answers);
            ReviewAnswer {
                question: q.text.get(lang).to_owned(),
                missing: answer.is_none() && q.required,
                answer,
            }
        };
        let mut sections = Vec::new();
        let mut profile: Vec<ReviewAnswer> = Vec::new();
        if let Some(name) = firm_name {
            profile.push(ReviewAnswer {
                question: text(lang, "firm_name_label"),
                answer: Some(name.to_owned()),
                missing: false,
            });
        }
        profile.extend(catalogue.profile.iter().map(review));
        sections.push(ReviewSection {
            heading: text(lang, "profile_title"),
            change_href: format!("{token_path}/step/1?lang={}", lang.code()),
            answers: profile,
        });
        for (i, d) in catalogue.dimensions.iter().enumerate() {
            let mut items: Vec<ReviewAnswer> = d.questions.iter().map(review).collect();
            // Left open, it is said as such (it ranks as the middle option, but was not chosen).
            let importance = answers.single(&Catalogue::importance_question_id(d));
            items.push(ReviewAnswer {
                question: text(lang, "importance_short"),
                answer: Some(
                    importance
                        .and_then(|id| catalogue.importance.options.iter().find(|o| o.id == id))
                        .map_or_else(
                            || text(lang, "importance_not_answered"),
                            |o| o.label.get(lang).to_owned(),
                        ),
                ),
                missing: false,
            });
            sections.push(ReviewSection {
                heading: d.title.get(lang).to_owned(),
                change_href: format!("{token_path}/step/{}?lang={}", i + 2, lang.code()),
                answers: items,
            });
        }
        ReviewPage {
            chrome: Chrome::new(
                lang,
                text(lang, "review_title"),
                &format!("{token_path}/review"),
            ),
            link,
            complete: answers.missing_required(catalogue).is_empty(),
            sections,
            // Each missing answer links to the question on its page, where it can be given.
            errors: errors
                .iter()
                .map(|e| {
                    let message = e.message.get(lang);
                    let step = (1..=catalogue.page_count()).find(|&n| {
                        catalogue
                            .page(n)
                            .is_some_and(|p| catalogue.page_question_ids(p).contains(&e.field))
                    });
                    let label = match catalogue.question(&e.field) {
                        Some(QuestionRef::Profile(q) | QuestionRef::Scored(_, q)) => {
                            Some(q.text.get(lang).to_owned())
                        }
                        _ => None,
                    };
                    ErrorLink::named(
                        step.map(|n| {
                            format!("{token_path}/step/{n}?lang={}#{}", lang.code(), e.field)
                        }),
                        label.as_deref(),
                        message,
                    )
                })
                .collect(),
            submit_action: format!("{token_path}/submit?lang={}", lang.code()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DimensionRow {
    pub title: String,
    pub score: u8,
    pub level: u8,
    pub level_name: String,
    pub capped: bool,
    pub core_capped: bool,
    pub peer_median: Option<u8>,
    /// "50 (36–62)": the group's median and middle half.
    pub peer_band: Option<String>,
    pub rank: Option<String>,
    pub importance: String,
    pub importance_answered: bool,
    /// Shown instead of score and level when the dimension is not assessable.
    pub not_assessable: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BenchmarkView {
    pub cohort: String,
    pub broader: bool,
    pub summary: String,
    pub as_of: String,
}

#[derive(Debug, Serialize)]
pub struct RedFlagView {
    pub text: String,
    pub reason: String,
    pub dimension: String,
    pub source: String,
}

/// One entry of the action plan on the page: one dimension, numbered as in the priority matrix.
#[derive(Debug, Serialize)]
pub struct ActionView {
    pub number: usize,
    pub dimension: String,
    /// The matrix quadrant's caption ("Zuerst angehen" …).
    pub quadrant: String,
    pub red_flag: bool,
    pub steps: Vec<ActionStepView>,
}

#[derive(Debug, Serialize)]
pub struct ActionStepView {
    pub text: String,
    pub source: String,
    pub red_flag: bool,
}

/// A consultant's or chamber's logo as an `<img>` on a page: its URL, a text alternative naming
/// whose logo it is, and its display size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogoView {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Serialize)]
pub struct ResultPage {
    pub chrome: Chrome,
    pub firm_name: Option<String>,
    pub score: u8,
    pub level: u8,
    pub level_label: String,
    pub level_name: String,
    pub level_description: String,
    pub overall_capped: bool,
    /// Why the overall level is below the points: one flag, several flags, or a weak topic.
    pub overall_cap_note: String,
    /// The bar chart in two layouts: wide screens and print, and phones (the page shows one).
    pub chart_svg: Svg,
    pub chart_svg_narrow: Svg,
    /// Importance against score: where to start (the table holds the same numbers).
    pub matrix_svg: Svg,
    pub matrix_svg_narrow: Svg,
    /// Said below the matrix when some importance was left unanswered.
    pub matrix_note: Option<String>,
    pub dimensions: Vec<DimensionRow>,
    pub benchmark: Option<BenchmarkView>,
    pub benchmark_unavailable: Option<String>,
    pub red_flags: Vec<RedFlagView>,
    pub actions: Vec<ActionView>,
    /// The plan's first entry, shown right below the overall score.
    pub first_action: Option<ActionView>,
    pub about: String,
    pub link: PrivateLink,
    pub report_href: String,
    pub export_href: String,
    pub delete_href: String,
    /// "Your result is shared with …" when the response came through a consultant's invitation
    /// with consent.
    pub shared_with: Option<String>,
    /// Where the owner withdraws that sharing (while it stands).
    pub withdraw_action: Option<String>,
    /// The logo of the consultant the result is shared with (while the sharing stands).
    pub brand_logo: Option<LogoView>,
}

/// Groups the resolved actions (one or more steps per dimension, in plan order) into numbered
/// entries; `number_of` gives a dimension's number in the matrix.
pub fn action_views(
    actions: &[ResolvedAction],
    quadrants: &[String; 4],
    number_of: impl Fn(&str) -> usize,
) -> Vec<ActionView> {
    let mut views: Vec<(String, ActionView)> = Vec::new();
    for a in actions {
        let step = ActionStepView {
            text: a.text.clone(),
            source: a.source.clone(),
            red_flag: a.red_flag.is_some(),
        };
        match views.iter_mut().find(|(id, _)| *id == a.dimension_id) {
            Some((_, view)) => {
                view.red_flag |= step.red_flag;
                view.steps.push(step);
            }
            None => views.push((
                a.dimension_id.clone(),
                ActionView {
                    number: number_of(&a.dimension_id),
                    dimension: a.dimension.clone(),
                    quadrant: quadrants
                        .get(a.quadrant.index())
                        .cloned()
                        .unwrap_or_default(),
                    red_flag: step.red_flag,
                    steps: vec![step],
                },
            )),
        }
    }
    views.into_iter().map(|(_, v)| v).collect()
}

/// The rank in words: "besser als 62 %", never "besser als 100 %" (see [`RankWording`]).
pub fn rank_words(lang: Lang, key: &str, rank: u8) -> String {
    match RankWording::of(rank) {
        RankWording::NoneLower => text(lang, &format!("{key}_none")),
        RankWording::AllLower => text(lang, &format!("{key}_all")),
        RankWording::Share(share) => text(lang, key).replace("{rank}", &share.to_string()),
    }
}

fn iso_to_display(lang: Lang, iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match (lang, parts.as_slice()) {
        (Lang::De, [y, m, d]) => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}

pub struct ResultInput<'a> {
    pub catalogue: &'a Catalogue,
    pub lang: Lang,
    pub token_path: &'a str,
    pub link: PrivateLink,
    pub assessment: &'a Assessment,
    pub firm_name: Option<String>,
    pub submitted_at: i64,
    pub benchmark: &'a Benchmark,
    pub k: u32,
}

/// Why there is no comparison. Results are compared only within their catalogue version, so a
/// new version's group is "still forming" (never "fewer than k firms", which would be false of
/// the firms that answered an older version), and an older version's group is closed.
pub fn benchmark_unavailable(lang: Lang, version: &str, k: u32) -> String {
    let key = if version == crate::survey::served().version {
        "benchmark_forming"
    } else {
        "benchmark_closed"
    };
    text(lang, key)
        .replace("{version}", version)
        .replace("{k}", &k.to_string())
}

impl ResultPage {
    pub fn new(input: ResultInput<'_>) -> ResultPage {
        let ResultInput {
            catalogue,
            lang,
            token_path,
            link,
            assessment,
            firm_name,
            submitted_at,
            benchmark,
            k,
        } = input;
        // The catalogue the result was scored under (its version names the rules and the group).
        let catalogue =
            crate::survey::by_version(&assessment.catalogue_version).unwrap_or(catalogue);
        let resolved = resolve(catalogue, lang, assessment);
        let comparison: Option<&FirmComparison> = match benchmark {
            Benchmark::Compared(c) => Some(c),
            Benchmark::Unavailable(_) => None,
        };
        let peer = |i: usize| comparison.and_then(|c| c.dimensions.get(i));
        let chart = DimensionChart {
            axis_label: text(lang, "chart_axis"),
            legend: comparison.map(|_| {
                [
                    text(lang, "legend_firm"),
                    text(lang, "legend_band"),
                    text(lang, "legend_median"),
                ]
            }),
            bars: resolved
                .dimensions
                .iter()
                .enumerate()
                .map(|(i, d)| DimensionBar {
                    label: d.title.clone(),
                    score: d.score,
                    peers: peer(i).map(|p| PeerBand {
                        p25: p.p25,
                        median: p.median,
                        p75: p.p75,
                    }),
                    gap: d.not_assessable.then(|| text(lang, "not_assessable_short")),
                })
                .collect(),
        };
        let chart_title = if comparison.is_some() {
            "chart_title_peers"
        } else {
            "chart_title"
        };
        let benchmark_view = comparison.map(|c| BenchmarkView {
            cohort: text(lang, "benchmark_cohort")
                .replace("{label}", &cohort_label(catalogue, lang, &c.cohort))
                .replace("{n}", &c.n.to_string()),
            broader: c.broader_than_own,
            summary: rank_words(lang, "rank_text", c.overall.percentile_rank)
                .replace("{median}", &c.overall.median.to_string())
                .replace("{p25}", &c.overall.p25.to_string())
                .replace("{p75}", &c.overall.p75.to_string()),
            as_of: text(lang, "benchmark_as_of")
                .replace("{date}", &format_date(lang, c.published_at))
                .replace("{k}", &k.to_string()),
        });
        let level = catalogue.level(assessment.overall.level);
        let uncapped = catalogue.level_for_score(assessment.overall.score);
        let importance_label = |weight: u8| {
            catalogue
                .importance
                .options
                .iter()
                .find(|o| o.weight == weight)
                .map(|o| o.label.get(lang).to_owned())
                .unwrap_or_default()
        };
        // The matrix numbers dimensions in the order of the action plan, so "1" in the matrix is
        // the first entry of the list below it; dimensions with nothing to do come last.
        let mut order: Vec<usize> = Vec::with_capacity(resolved.dimensions.len());
        for a in &resolved.actions {
            if let Some(i) = resolved
                .dimensions
                .iter()
                .position(|d| d.id == a.dimension_id)
                && !order.contains(&i)
            {
                order.push(i);
            }
        }
        for i in 0..resolved.dimensions.len() {
            if !order.contains(&i) {
                order.push(i);
            }
        }
        let number_of = |id: &str| {
            order
                .iter()
                .position(|&i| resolved.dimensions.get(i).is_some_and(|d| d.id == id))
                .map_or(0, |p| p + 1)
        };
        let unanswered = assessment.dimensions.iter().any(|r| !r.importance_answered);
        let (matrix_svg, matrix_svg_narrow, quadrants) =
            crate::present::report::empty_priority_matrix(lang)
                .map(|(mut matrix, title)| {
                    matrix.points = order
                        .iter()
                        .filter_map(|&i| {
                            let d = resolved.dimensions.get(i)?;
                            let r = assessment.dimensions.get(i)?;
                            // A dimension without a score has no place on the score axis.
                            if r.not_assessable {
                                return None;
                            }
                            Some(MatrixPoint {
                                label: d.title.clone(),
                                score: d.score,
                                importance: r.importance.clamp(1, 4),
                                answered: r.importance_answered,
                            })
                        })
                        .collect();
                    (
                        priority_matrix_svg(
                            &matrix,
                            &title,
                            "priority-matrix",
                            &MatrixLayout::WIDE,
                        ),
                        priority_matrix_svg(
                            &matrix,
                            &title,
                            "priority-matrix-narrow",
                            &MatrixLayout::NARROW,
                        ),
                        matrix.quadrants.clone(),
                    )
                })
                .unwrap_or_default();
        let actions = action_views(&resolved.actions, &quadrants, number_of);
        let first_action = actions.first().map(|a| ActionView {
            number: a.number,
            dimension: a.dimension.clone(),
            quadrant: a.quadrant.clone(),
            red_flag: a.red_flag,
            steps: a
                .steps
                .iter()
                .take(1)
                .map(|s| ActionStepView {
                    text: s.text.clone(),
                    source: s.source.clone(),
                    red_flag: s.red_flag,
                })
                .collect(),
        });
        let not_answered = text(lang, "importance_not_answered");
        let importances: Vec<String> = assessment
            .dimensions
            .iter()
            .map(|r| {
                if r.importance_answered {
                    importance_label(r.importance)
                } else {
                    not_answered.clone()
                }
            })
            .collect();
        ResultPage {
            matrix_svg,
            matrix_svg_narrow,
            matrix_note: unanswered.then(|| text(lang, "matrix_unanswered_note")),
            first_action,
            chrome: Chrome::new(
                lang,
                text(lang, "result_title"),
                &format!("{token_path}/result"),
            ),
            firm_name,
            score: assessment.overall.score,
            level: assessment.overall.level,
            level_label: text(lang, "level_of_5")
                .replace("{level}", &assessment.overall.level.to_string()),
            level_name: level.name.get(lang).to_owned(),
            level_description: level.description.get(lang).to_owned(),
            overall_capped: assessment.overall.level < uncapped,
            overall_cap_note: match assessment.red_flags.len() {
                0 => text(lang, "capped_note_weak_dimension"),
                1 => text(lang, "capped_note"),
                n => text(lang, "capped_note_flags").replace("{count}", &n.to_string()),
            },
            chart_svg: dimension_chart_svg(
                &chart,
                &text(lang, chart_title),
                "dimension-chart",
                &BarLayout::WIDE,
            ),
            chart_svg_narrow: dimension_chart_svg(
                &chart,
                &text(lang, chart_title),
                "dimension-chart-narrow",
                &BarLayout::NARROW,
            ),
            dimensions: resolved
                .dimensions
                .into_iter()
                .enumerate()
                .map(|(i, d)| DimensionRow {
                    title: d.title,
                    score: d.score,
                    level: d.level,
                    level_name: d.level_name,
                    capped: d.capped,
                    core_capped: d.core_capped,
                    peer_median: peer(i).map(|p| p.median),
                    peer_band: peer(i).map(|p| format!("{} ({}–{})", p.median, p.p25, p.p75)),
                    rank: peer(i).map(|p| rank_words(lang, "rank_short", p.percentile_rank)),
                    importance: importances.get(i).cloned().unwrap_or_default(),
                    importance_answered: assessment
                        .dimensions
                        .get(i)
                        .is_none_or(|r| r.importance_answered),
                    not_assessable: d.not_assessable.then(|| text(lang, "not_assessable_long")),
                })
                .collect(),
            benchmark: benchmark_view,
            benchmark_unavailable: match benchmark {
                Benchmark::Compared(_) => None,
                Benchmark::Unavailable(_) => {
                    Some(benchmark_unavailable(lang, &catalogue.version, k))
                }
            },
            red_flags: resolved
                .red_flags
                .into_iter()
                .map(|f| RedFlagView {
                    text: f.text,
                    reason: f.reason,
                    dimension: f.dimension,
                    source: f.source,
                })
                .collect(),
            actions,
            about: text(lang, "about_result")
                .replace("{version}", &catalogue.version)
                .replace("{date}", &iso_to_display(lang, &catalogue.date))
                .replace("{submitted}", &format_date(lang, submitted_at)),
            link,
            report_href: format!("{token_path}/report.pdf?lang={}", lang.code()),
            export_href: format!("{token_path}/export.json"),
            delete_href: format!("{token_path}/delete?lang={}", lang.code()),
            shared_with: None,
            withdraw_action: None,
            brand_logo: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_never_better_than_100_or_0_percent() {
        for lang in Lang::ALL {
            for key in ["rank_short", "rank_text"] {
                for rank in 0..=100u8 {
                    let words = rank_words(lang, key, rank);
                    assert!(!words.contains("{rank}"), "{words}");
                    for nonsense in ["100 %", "100\u{a0}%", " 0 %", " 0\u{a0}%"] {
                        assert!(!words.contains(nonsense), "{rank}: {words}");
                    }
                }
            }
        }
        assert_eq!(
            rank_words(Lang::De, "rank_short", 62),
            "besser als 62\u{a0}%"
        );
        assert_eq!(rank_words(Lang::De, "rank_short", 100), "höher als alle");
    }
}
