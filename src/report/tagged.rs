//! The logical structure of a tagged PDF (PDF/UA-1): which headings, paragraphs, lists, tables
//! and figures the pages hold, in reading order. The layout opens and closes elements while it
//! places items; every placed item gets a mark, either decoration (an artifact) or a piece of
//! the innermost open element with its marked-content id on that page. The PDF writer turns the
//! tree into structure elements and a parent tree.

/// Standard structure types of PDF 1.7 (no role map needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Document,
    H1,
    H2,
    H3,
    P,
    L,
    LI,
    Lbl,
    LBody,
    Table,
    TR,
    TH,
    TD,
    Figure,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Document => "Document",
            Role::H1 => "H1",
            Role::H2 => "H2",
            Role::H3 => "H3",
            Role::P => "P",
            Role::L => "L",
            Role::LI => "LI",
            Role::Lbl => "Lbl",
            Role::LBody => "LBody",
            Role::Table => "Table",
            Role::TR => "TR",
            Role::TH => "TH",
            Role::TD => "TD",
            Role::Figure => "Figure",
        }
    }
}

/// The one attribute an element may carry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Attr {
    None,
    /// A header cell for the cells below it.
    ColumnHeader,
    /// A cell spanning this many columns.
    ColSpan(u32),
    /// A figure's box in PDF coordinates (left, bottom, right, top).
    BBox([f32; 4]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kid {
    Node(usize),
    /// A marked-content sequence: the page's index and its id there.
    Content {
        page: usize,
        mcid: u32,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub role: Role,
    /// The root's parent is itself.
    pub parent: usize,
    /// Alternative text (figures).
    pub alt: Option<String>,
    pub attr: Attr,
    pub kids: Vec<Kid>,
}

/// What a placed item is in the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Artifact,
    Content { node: usize, mcid: u32 },
}

/// The structure tree under construction; node 0 is the Document.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// Open elements, innermost last (the Document always).
    open: Vec<usize>,
    /// Per page: the next marked-content id and the mark of the last item placed.
    next_mcid: Vec<u32>,
    last: Vec<Option<Mark>>,
}

impl Tree {
    pub fn new() -> Self {
        Self {
            nodes: vec![Node {
                role: Role::Document,
                parent: 0,
                alt: None,
                attr: Attr::None,
                kids: Vec::new(),
            }],
            open: vec![0],
            next_mcid: Vec::new(),
            last: Vec::new(),
        }
    }

    fn current(&self) -> usize {
        self.open.last().copied().unwrap_or(0)
    }

    /// Opens an element inside the innermost open one; returns its index.
    pub fn open(&mut self, role: Role) -> usize {
        let parent = self.current();
        let index = self.nodes.len();
        self.nodes.push(Node {
            role,
            parent,
            alt: None,
            attr: Attr::None,
            kids: Vec::new(),
        });
        self.nodes[parent].kids.push(Kid::Node(index));
        self.open.push(index);
        index
    }

    /// Closes the innermost open element (never the Document).
    pub fn close(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    pub fn set_alt(&mut self, node: usize, alt: String) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.alt = Some(alt);
        }
    }

    pub fn set_attr(&mut self, node: usize, attr: Attr) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.attr = attr;
        }
    }

    /// The mark of the next item placed on page `page`: an artifact, or content of the innermost
    /// open element, continuing the previous sequence when the item before on this page belongs
    /// to the same element (so a paragraph's lines make one sequence, not one per word run).
    pub fn mark(&mut self, page: usize, artifact: bool) -> Mark {
        if self.last.len() <= page {
            self.last.resize(page + 1, None);
            self.next_mcid.resize(page + 1, 0);
        }
        if artifact {
            self.last[page] = Some(Mark::Artifact);
            return Mark::Artifact;
        }
        let node = self.current();
        if let Some(Mark::Content { node: n, mcid }) = self.last[page]
            && n == node
        {
            return Mark::Content { node, mcid };
        }
        let mcid = self.next_mcid[page];
        self.next_mcid[page] += 1;
        self.nodes[node].kids.push(Kid::Content { page, mcid });
        let mark = Mark::Content { node, mcid };
        self.last[page] = Some(mark);
        mark
    }

    /// Per page, the element of each marked-content id (index = id).
    pub fn parent_tree(&self, pages: usize) -> Vec<Vec<Option<usize>>> {
        let mut table: Vec<Vec<Option<usize>>> = (0..pages)
            .map(|p| vec![None; self.next_mcid.get(p).copied().unwrap_or(0) as usize])
            .collect();
        for (index, node) in self.nodes.iter().enumerate() {
            for kid in &node.kids {
                if let Kid::Content { page, mcid } = *kid
                    && let Some(slot) = table.get_mut(page).and_then(|t| t.get_mut(mcid as usize))
                {
                    *slot = Some(index);
                }
            }
        }
        table
    }
}

impl Default for Tree {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_of_one_element_on_one_page_is_one_sequence() {
        let mut t = Tree::new();
        let p = t.open(Role::P);
        let a = t.mark(0, false);
        let b = t.mark(0, false);
        assert_eq!(a, b);
        assert_eq!(t.mark(0, true), Mark::Artifact);
        // Interrupted by an artifact: a new sequence of the same paragraph.
        let c = t.mark(0, false);
        assert_eq!(c, Mark::Content { node: p, mcid: 1 });
        // On the next page, numbering starts again.
        assert_eq!(t.mark(1, false), Mark::Content { node: p, mcid: 0 });
        t.close();
        let h = t.open(Role::H1);
        assert_eq!(t.mark(1, false), Mark::Content { node: h, mcid: 1 });
        assert_eq!(
            t.parent_tree(2),
            vec![vec![Some(p), Some(p)], vec![Some(p), Some(h)]]
        );
        assert_eq!(t.nodes[0].kids, vec![Kid::Node(p), Kid::Node(h)]);
    }
}
