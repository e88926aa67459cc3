//! A small flow layout: text wrapped by measured glyph widths, page breaks, headings kept with
//! what follows, tables with repeated headers. Produces positioned items per page; page numbers
//! are added when the pages are emitted, once their count is known.
use super::fonts;
use super::tagged::{Mark, Role, Tree};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN_X: f32 = 62.0;
pub(crate) const CONTENT_TOP: f32 = 78.0;
pub(crate) const CONTENT_BOTTOM: f32 = PAGE_H - 70.0;
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb3(pub u8, pub u8, pub u8);

pub(crate) const INK: Rgb3 = Rgb3(0x1a, 0x1a, 0x1a);
pub(crate) const MUTED: Rgb3 = Rgb3(0x59, 0x59, 0x59);
pub(crate) const BLUE: Rgb3 = Rgb3(0x1f, 0x4e, 0x79);
pub(crate) const PALE: Rgb3 = Rgb3(0xf2, 0xf5, 0xf8);
pub(crate) const RULE: Rgb3 = Rgb3(0xb0, 0xb0, 0xb0);
pub(crate) const FLAG: Rgb3 = Rgb3(0x9c, 0x1c, 0x1c);

/// Which chart a chart item shows (index into the renderer's prepared charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChartKind {
    Radar,
    Bars,
    Matrix,
    /// Before and after, in a re-assessment.
    Change,
}

/// Something placed on a page; y is measured from the top of the page in pt.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        color: Rgb3,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb3,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb3,
    },
    Chart {
        kind: ChartKind,
        x: f32,
        y: f32,
        scale: f32,
    },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub size: f32,
    pub bold: bool,
    pub color: Rgb3,
    /// Line height in pt.
    pub leading: f32,
}

impl Style {
    pub const fn new(size: f32, bold: bool, color: Rgb3) -> Self {
        Self {
            size,
            bold,
            color,
            leading: size * 1.42,
        }
    }
}

pub(crate) const BODY: Style = Style::new(10.0, false, INK);
pub(crate) const SMALL: Style = Style::new(8.5, false, MUTED);
pub(crate) const H1: Style = Style::new(18.0, true, BLUE);
pub(crate) const H2: Style = Style::new(13.0, true, BLUE);
pub(crate) const H3: Style = Style::new(10.5, true, INK);

pub(crate) fn width(text: &str, size: f32, bold: bool) -> f32 {
    fonts::metrics(bold).width(text, size)
}

/// A run of text in one face.
#[derive(Debug, Clone)]
pub(crate) struct Run<'a> {
    pub text: &'a str,
    pub bold: bool,
    pub color: Option<Rgb3>,
}

pub(crate) fn run(text: &str) -> Run<'_> {
    Run {
        text,
        bold: false,
        color: None,
    }
}

pub(crate) fn bold(text: &str) -> Run<'_> {
    Run {
        text,
        bold: true,
        color: None,
    }
}

/// One piece of a wrapped line: text in one face at an x offset.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub dx: f32,
    pub text: String,
    pub bold: bool,
    pub color: Option<Rgb3>,
}

/// Wraps runs into lines no wider than `max`; words wider than a line are broken between
/// characters. Explicit newlines start new lines.
pub(crate) fn wrap_runs(runs: &[Run<'_>], size: f32, max: f32) -> Vec<Vec<Piece>> {
    let mut lines: Vec<Vec<Piece>> = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    let mut x = 0.0f32;
    // Whether a space is owed before the next word on this line.
    let mut pending_space = false;
    for r in runs {
        let space = width(" ", size, r.bold);
        let mut first_segment = true;
        for segment in r.text.split('\n') {
            if !first_segment {
                lines.push(std::mem::take(&mut line));
                x = 0.0;
                pending_space = false;
            }
            first_segment = false;
            if segment.starts_with(char::is_whitespace) && x > 0.0 {
                pending_space = true;
            }
            let words: Vec<&str> = segment.split_whitespace().collect();
            let n_words = words.len();
            for (wi, word) in words.into_iter().enumerate() {
                let mut word = word.to_owned();
                loop {
                    let w = width(&word, size, r.bold);
                    let gap = if pending_space && x > 0.0 { space } else { 0.0 };
                    if x + gap + w <= max {
                        push_piece(&mut line, x + gap, &word, r, gap > 0.0);
                        x += gap + w;
                        pending_space = false;
                        break;
                    }
                    if x > 0.0 {
                        // Start a new line and try again.
                        lines.push(std::mem::take(&mut line));
                        x = 0.0;
                        pending_space = false;
                        continue;
                    }
                    // The word alone is too wide: break it where it stops fitting.
                    let (head, tail) = split_to_width(&word, size, r.bold, max);
                    push_piece(&mut line, 0.0, head, r, false);
                    lines.push(std::mem::take(&mut line));
                    x = 0.0;
                    if tail.is_empty() {
                        break;
                    }
                    word = tail.to_owned();
                }
                if wi + 1 < n_words {
                    pending_space = true;
                }
            }
            if segment.ends_with(char::is_whitespace) && n_words > 0 {
                pending_space = true;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn push_piece(line: &mut Vec<Piece>, dx: f32, word: &str, r: &Run<'_>, spaced: bool) {
    if let Some(last) = line.last_mut()
        && last.bold == r.bold
        && last.color == r.color
    {
        if spaced {
            last.text.push(' ');
        }
        last.text.push_str(word);
        return;
    }
    line.push(Piece {
        dx,
        text: word.to_owned(),
        bold: r.bold,
        color: r.color,
    });
}

/// Splits `word` so that the head fits into `max` (at least one character).
fn split_to_width(word: &str, size: f32, bold: bool, max: f32) -> (&str, &str) {
    let m = fonts::metrics(bold);
    let mut end = 0;
    for (i, c) in word.char_indices() {
        let next = i + c.len_utf8();
        if end > 0 && m.width(&word[..next], size) > max {
            break;
        }
        end = next;
    }
    word.split_at(end)
}

/// `text` shortened with an ellipsis so that it fits into `max`.
pub(crate) fn ellipsize(text: &str, size: f32, bold: bool, max: f32) -> String {
    if width(text, size, bold) <= max {
        return text.to_owned();
    }
    let ell = width("…", size, bold);
    let (head, _) = split_to_width(text, size, bold, (max - ell).max(0.0));
    format!("{}…", head.trim_end())
}

/// The flow of pages.
pub(crate) struct Flow {
    pub pages: Vec<Vec<Item>>,
    /// Per page, what each item is in the structure tree (parallel to `pages`).
    pub marks: Vec<Vec<Mark>>,
    pub tree: Tree,
    /// Items placed while set are artifacts (a table header repeated after a page break).
    pub artifact: bool,
    /// Top of the free space on the current page.
    pub y: f32,
    /// How often the flow went to the top of a page (a break on an empty page adds no page).
    pub breaks: usize,
}

impl Flow {
    pub fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            marks: vec![Vec::new()],
            tree: Tree::new(),
            artifact: false,
            y: CONTENT_TOP,
            breaks: 0,
        }
    }

    /// A flow that starts at `y` on a page of its own, to try out whether something fits there.
    pub fn trial(y: f32) -> Self {
        Self { y, ..Self::new() }
    }

    /// Places an item on the current page. Rules and boxes are decoration; text and charts
    /// belong to the innermost open structure element.
    pub fn push(&mut self, item: Item) {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        self.marks.resize_with(self.pages.len(), Vec::new);
        let last = self.pages.len() - 1;
        let artifact = self.artifact || matches!(item, Item::Rect { .. } | Item::Line { .. });
        let mark = self.tree.mark(last, artifact);
        self.pages[last].push(item);
        self.marks[last].push(mark);
    }

    /// Opens a structure element: what is placed until `close` belongs to it.
    pub fn open(&mut self, role: Role) -> usize {
        self.tree.open(role)
    }

    pub fn close(&mut self) {
        self.tree.close();
    }

    /// `lay` inside an element of its own.
    pub fn within(&mut self, role: Role, lay: impl FnOnce(&mut Self)) {
        self.open(role);
        lay(self);
        self.close();
    }

    /// Starts a new page unless the current one is still empty.
    pub fn new_page(&mut self) {
        if self.pages.last().is_some_and(|p| !p.is_empty()) {
            self.pages.push(Vec::new());
            self.marks.push(Vec::new());
        }
        self.y = CONTENT_TOP;
        self.breaks += 1;
    }

    pub fn at_top(&self) -> bool {
        self.y <= CONTENT_TOP + 0.01
    }

    pub fn room(&self) -> f32 {
        CONTENT_BOTTOM - self.y
    }

    /// Makes sure `h` pt fit on the current page, breaking the page if not.
    pub fn ensure(&mut self, h: f32) {
        if h > self.room() && !self.at_top() {
            self.new_page();
        }
    }

    /// Vertical space, dropped at the top of a page.
    pub fn gap(&mut self, h: f32) {
        if !self.at_top() {
            self.y = (self.y + h).min(CONTENT_BOTTOM);
        }
    }

    /// Places wrapped lines at `x`; keeps the first `keep` lines together (and with whatever
    /// the caller already ensured).
    pub fn lines(&mut self, lines: Vec<Vec<Piece>>, x: f32, style: Style, keep: usize) {
        let keep = keep.min(lines.len()).max(1);
        self.ensure(style.leading * keep as f32);
        let n = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            // Avoid a single last line (widow) at the top of the next page by breaking earlier.
            let need = if i + 2 == n {
                2.0 * style.leading
            } else {
                style.leading
            };
            if i > 0 && need > self.room() {
                self.new_page();
            }
            let baseline = self.y + style.size * 0.93 + (style.leading - style.size * 1.17) / 2.0;
            for p in line {
                self.push(Item::Text {
                    x: x + p.dx,
                    y: baseline,
                    size: style.size,
                    bold: p.bold || style.bold,
                    color: p.color.unwrap_or(style.color),
                    text: p.text,
                });
            }
            self.y += style.leading;
        }
    }

    pub fn paragraph(&mut self, runs: &[Run<'_>], x: f32, w: f32, style: Style) {
        let runs: Vec<Run<'_>> = runs
            .iter()
            .map(|r| Run {
                bold: r.bold || style.bold,
                ..r.clone()
            })
            .collect();
        let lines = wrap_runs(&runs, style.size, w);
        self.lines(lines, x, style, 2);
    }

    /// A paragraph of its own (a P element).
    pub fn text(&mut self, text: &str, style: Style) {
        self.para(&[run(text)], MARGIN_X, CONTENT_W, style);
    }

    /// `paragraph` as a P element.
    pub fn para(&mut self, runs: &[Run<'_>], x: f32, w: f32, style: Style) {
        self.within(Role::P, |f| f.paragraph(runs, x, w, style));
    }

    /// A heading kept together with `follow` pt of what comes after it; its level follows its
    /// style (H1, H2, else H3).
    pub fn heading(&mut self, text: &str, style: Style, follow: f32) {
        let role = if style.size >= H1.size {
            Role::H1
        } else if style.size >= H2.size {
            Role::H2
        } else {
            Role::H3
        };
        self.heading_as(text, style, follow, role);
    }

    /// A heading at an explicit level (a chart title set small, but the next level down).
    pub fn heading_as(&mut self, text: &str, style: Style, follow: f32, role: Role) {
        let lines = wrap_runs(
            &[Run {
                text,
                bold: true,
                color: None,
            }],
            style.size,
            CONTENT_W,
        );
        let h = style.leading * lines.len() as f32;
        let before = style.size * 0.9;
        if h + before + follow > self.room() && !self.at_top() {
            self.new_page();
        }
        self.gap(before);
        self.open(role);
        self.lines(lines, MARGIN_X, style, usize::MAX);
        self.close();
        self.y += style.size * 0.35;
    }
}

/// Height of `text` wrapped in `w` at `style`.
pub(crate) fn height_of(runs: &[Run<'_>], w: f32, style: Style) -> f32 {
    wrap_runs(runs, style.size, w).len() as f32 * style.leading
}
