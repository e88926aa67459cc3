//! CSV export of exactly the cells a [`Dashboard`] shows.
//!
//! Long format, one header line, one row per number: `section,key,measure,n,value,note,as_of`.
//! Suppressed cells keep their rows, with `value` = `suppressed` and the reason in `note`, so a
//! spreadsheet lines up across exports. `as_of` is empty for a current figure and names the
//! month (`YYYY-MM`) of an earlier figure (see the `dashboard` notes, "Earlier figures"). RFC 4180: CRLF line ends, fields with `,` `"` CR or LF
//! quoted, quotes doubled.
//!
//! Formula neutralisation: a field starting with `=`, `+`, `-`, `@`, tab or carriage return
//! gets a leading `'`, so spreadsheets show it as text instead of running it
//! (`=HYPERLINK(…)`, `@SUM(…)`). Negative numbers we write ourselves (a change of −3) use the
//! Unicode minus sign U+2212: they stay readable and never look like a formula, at the price of
//! being text rather than a number in a spreadsheet; positive changes are written unsigned.

use std::borrow::Cow;

use super::view::{Cell, Change, Dashboard, Keyed, Share, Spread};
use crate::benchmark::SuppressionReason;

/// The header line's fields.
const HEADER: [&str; 7] = ["section", "key", "measure", "n", "value", "note", "as_of"];

/// `field` made safe to open in a spreadsheet: a leading `'` before `=`, `+`, `-`, `@`, tab or
/// carriage return.
pub fn neutralise(field: &str) -> Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// How a CSV file is written and worded: the English default ([`CsvDialect::default`]) with
/// codes, commas and decimal points; or, for a spreadsheet in another locale, its separator, a
/// byte order mark (German Excel reads UTF-8 only with one) and labels instead of codes.
pub struct CsvDialect<'a> {
    pub separator: char,
    pub bom: bool,
    pub decimal_comma: bool,
    /// The fixed words: header names, sections, measures, `suppressed`, `period`, `before`.
    pub word: &'a dyn Fn(&str) -> String,
    /// A row's key as a label, given its section (`change_median` for a change of a median).
    pub key: &'a dyn Fn(&str, &str) -> String,
    /// Why a cell is hidden.
    pub note: &'a dyn Fn(SuppressionReason, u32) -> String,
}

impl Default for CsvDialect<'_> {
    fn default() -> Self {
        CsvDialect {
            separator: ',',
            bom: false,
            decimal_comma: false,
            word: &english_word,
            key: &|section, key| match section {
                "change_median" => format!("median {key}"),
                _ => key.to_owned(),
            },
            note: &suppression_note,
        }
    }
}

/// The English words of the default dialect: codes as they are, and the note that group
/// figures may lag behind the total (`{k}` stands for the threshold).
fn english_word(w: &str) -> String {
    match w {
        "lag_note" => LAG_NOTE_EN.to_owned(),
        other => other.to_owned(),
    }
}

/// Said once per export: figures of single groups are released in steps of `k` (see the
/// dashboard's module notes, "Released memberships").
const LAG_NOTE_EN: &str = "Figures of single groups are updated only once at least {k} firms in \
them have changed. They may therefore lag behind the total. Where a group's newest figure and the \
other figures would let fewer than {k} firms be worked out, an earlier figure of that group is \
shown. Its column as_of names the month of the latest response it counts.";

/// `field` neutralised, then quoted as RFC 4180 requires.
#[cfg(test)]
fn csv_field(field: &str) -> String {
    csv_field_with(field, ',')
}

/// The same, for a file separated by `separator`.
fn csv_field_with(field: &str, separator: char) -> String {
    let safe = neutralise(field);
    if safe.contains([separator, '"', '\r', '\n']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe.into_owned()
    }
}

/// The dashboard's published and suppressed cells as CSV.
pub fn to_csv(dashboard: &Dashboard) -> String {
    to_csv_in(dashboard, &CsvDialect::default())
}

/// The same cells in a [`CsvDialect`].
pub fn to_csv_in(dashboard: &Dashboard, dialect: &CsvDialect<'_>) -> String {
    let mut out = Rows {
        text: if dialect.bom {
            "\u{feff}".into()
        } else {
            String::new()
        },
        k: dashboard.k,
        dialect,
    };
    out.line(&HEADER.map(|h| (dialect.word)(h)));
    out.cell("participants", "all", &dashboard.participants, |&n| {
        vec![("count", n.to_string())]
    });
    for Keyed { key, cell } in &dashboard.participation {
        out.cell("participation", &key.to_string(), cell, |&n| {
            vec![("count", n.to_string())]
        });
    }
    for Keyed { key, cell } in &dashboard.levels {
        out.cell("level", &key.to_string(), cell, shares);
    }
    for row in &dashboard.scores {
        out.cell("score", &row.id, &row.cohort, spread);
        out.cell("score_all_firms", &row.id, &row.all_firms, spread);
    }
    for Keyed { key, cell } in &dashboard.by_industry {
        out.cell("industry", key.as_str(), cell, spread);
    }
    for Keyed { key, cell } in &dashboard.by_size {
        out.cell("size", key.as_str(), cell, spread);
    }
    for Keyed { key, cell } in &dashboard.by_region {
        out.cell("region", key.as_str(), cell, spread);
    }
    // Merged rows (coarser groupings), so the CSV holds every number the page may show.
    if dashboard.level_bands.len() >= 2
        && dashboard.level_bands.iter().any(|b| b.key.from != b.key.to)
    {
        for Keyed { key, cell } in &dashboard.level_bands {
            out.cell(
                "level_band",
                &format!("{}-{}", key.from, key.to),
                cell,
                shares,
            );
        }
    }
    for Keyed { key, cell } in &dashboard.by_sector {
        out.cell("sector", key.as_str(), cell, spread);
    }
    for Keyed { key, cell } in &dashboard.by_size_band {
        out.cell("size_band", key.as_str(), cell, spread);
    }
    for Keyed { key, cell } in &dashboard.by_region_group {
        out.cell("region_group", key.as_str(), cell, spread);
    }
    for Keyed { key, cell } in &dashboard.red_flags {
        out.cell("red_flag", key, cell, shares);
    }
    // Once: group figures may lag behind the total (released memberships).
    if dashboard.is_published() {
        let word = dialect.word;
        out.line(&[
            word("note"),
            word("groups"),
            String::new(),
            String::new(),
            String::new(),
            word("lag_note").replace("{k}", &dashboard.k.to_string()),
        ]);
    }
    if let Some(change) = &dashboard.change {
        let since = format!("{}..{}", change.before.from(), change.before.to());
        out.cell("change", "participants", &change.participants, changes);
        for Keyed { key, cell } in &change.medians {
            out.cell_keyed("change", "change_median", key, cell, changes);
        }
        // The compared period, as the last line, so every row above stays one number.
        let word = dialect.word;
        out.line(&[
            word("change"),
            word("period"),
            word("before"),
            String::new(),
            format!("{} {since}", word("since")),
            String::new(),
        ]);
    }
    out.text
}

struct Rows<'a> {
    text: String,
    k: u32,
    dialect: &'a CsvDialect<'a>,
}

impl Rows<'_> {
    /// One line; fields left out at the end are empty (every line has the header's width).
    fn line(&mut self, fields: &[String]) {
        let separator = self.dialect.separator;
        let mut line: Vec<String> = fields
            .iter()
            .map(|f| csv_field_with(f, separator))
            .collect();
        line.resize(line.len().max(HEADER.len()), String::new());
        self.text.push_str(&line.join(&separator.to_string()));
        self.text.push_str("\r\n");
    }

    fn cell<T>(
        &mut self,
        section: &str,
        key: &str,
        cell: &Cell<T>,
        measures: impl Fn(&T) -> Vec<(&'static str, String)>,
    ) {
        self.cell_keyed(section, section, key, cell, measures);
    }

    /// One row per measure of a cell; the measures of a suppressed cell say `suppressed`.
    /// `kind` tells the dialect how to label `key`.
    fn cell_keyed<T>(
        &mut self,
        section: &str,
        kind: &str,
        key: &str,
        cell: &Cell<T>,
        measures: impl Fn(&T) -> Vec<(&'static str, String)>,
    ) {
        let dialect = self.dialect;
        let section = (dialect.word)(section);
        let key = (dialect.key)(kind, key);
        match cell {
            Cell::Published { n, value, as_of } => {
                let as_of = as_of.map(|m| m.to_string()).unwrap_or_default();
                for (measure, number) in measures(value) {
                    let number = if dialect.decimal_comma {
                        number.replace('.', ",")
                    } else {
                        number
                    };
                    self.line(&[
                        section.clone(),
                        key.clone(),
                        (dialect.word)(measure),
                        n.to_string(),
                        number,
                        String::new(),
                        as_of.clone(),
                    ]);
                }
            }
            Cell::Suppressed { reason } => {
                let note = (dialect.note)(*reason, self.k);
                self.line(&[
                    section,
                    key,
                    String::new(),
                    String::new(),
                    (dialect.word)("suppressed"),
                    note,
                ]);
            }
        }
    }
}

fn shares(s: &Share) -> Vec<(&'static str, String)> {
    vec![
        ("count", s.count.to_string()),
        ("share", format!("{:.3}", s.share)),
    ]
}

fn spread(s: &Spread) -> Vec<(&'static str, String)> {
    vec![
        ("p25", s.p25.to_string()),
        ("median", s.median.to_string()),
        ("p75", s.p75.to_string()),
    ]
}

fn changes(c: &Change) -> Vec<(&'static str, String)> {
    vec![
        ("before", signed(c.before)),
        ("after", signed(c.after)),
        ("delta", signed(c.delta)),
    ]
}

/// A whole number, negative ones with U+2212 (see the module notes).
fn signed(value: i64) -> String {
    if value < 0 {
        format!("\u{2212}{}", value.unsigned_abs())
    } else {
        value.to_string()
    }
}

/// What pages, CSV and PDF say for a suppressed cell, e.g. `too_few: fewer than 5 firms`.
pub fn suppression_note(reason: SuppressionReason, k: u32) -> String {
    match reason {
        SuppressionReason::TooFew => {
            format!("too_few: too few firms in this group (fewer than {k})")
        }
        SuppressionReason::Differencing => format!(
            "differencing: hidden so that a small group (fewer than {k} firms) cannot be worked out by comparison with a wider selection or an earlier publication"
        ),
        SuppressionReason::Complementary => format!(
            "complementary: hidden so that a small group (fewer than {k} firms) cannot be worked out from the other figures"
        ),
        SuppressionReason::Unchecked => format!(
            "unchecked: hidden, whether a small group (fewer than {k} firms) could be worked out with the other figures could not be fully checked within the work allowed; no earlier figure"
        ),
        SuppressionReason::Pending => format!(
            "pending: hidden until the next full check, once a quarter more firms (at least {k}) have taken part than at the last one; no earlier figure"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_payloads_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://evil\",\"x\")"),
            "'=HYPERLINK(\"http://evil\",\"x\")"
        );
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("@SUM(A1:A9)"), "'@SUM(A1:A9)");
        assert_eq!(neutralise("\tcmd"), "'\tcmd");
        assert_eq!(neutralise("\rcmd"), "'\rcmd");
        assert_eq!(neutralise("strategy"), "strategy");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn fields_are_quoted_after_neutralising() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://evil\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""
        );
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_field("\rcmd"), "\"'\rcmd\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn negative_numbers_use_the_unicode_minus() {
        assert_eq!(signed(-3), "\u{2212}3");
        assert_eq!(signed(0), "0");
        assert_eq!(signed(12), "12");
        assert_eq!(neutralise(&signed(-3)), "\u{2212}3");
        assert_eq!(signed(i64::MIN), "\u{2212}9223372036854775808");
    }
}
