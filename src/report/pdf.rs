//! Writes the report's pages as a PDF file: content streams straight from the page operations,
//! the two fonts as cached subsets, a classic cross-reference table.
//!
//! printpdf's own serialisation (through lopdf) spent most of a render translating operations,
//! re-subsetting the fonts and writing generic objects; the report needs only a handful of object
//! kinds, so they are written here directly. Pages are still built as printpdf `Op` lists.
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::{Arc, LazyLock, Mutex};

use flate2::{Compress, Compression, FlushCompress, Status};

use printpdf::{
    Color, DictItem, LinePoint, Op, PaintMode, PdfFontHandle, TextItem, TextMatrix, WindingOrder,
};

use super::ReportError;
use super::fonts::{self, Metrics};
use super::tagged::{Attr, Kid, Tree};

/// Resource names of the two faces in the page operations.
pub(crate) const REGULAR_ID: &str = "DJVREG";
pub(crate) const BOLD_ID: &str = "DJVBLD";

/// Every character the catalogue, the labels and the renderer itself use, embedded whatever a
/// report shows, so that nearly every report hits the same cached subset. Characters outside
/// it (a firm name can hold anything) extend the subset for that report.
const BASE_CHARS: &str = concat!(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`",
    "abcdefghijklmnopqrstuvwxyz{|}~",
    "\u{a0}¡¢£¤¥¦§¨©ª«¬\u{ad}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß",
    "àáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
    "–—‘’‚“”„…•→€−‹›",
);

/// Fixed object numbers: the document's skeleton, then five objects per face (so that a face's
/// cached objects can refer to each other), then a page object and its content per page, then
/// the structure tree root, its parent tree, the XMP metadata and one object per structure
/// element.
const CATALOG: usize = 1;
const PAGES: usize = 2;
const INFO: usize = 3;
const RESOURCES: usize = 4;
const FACE_OBJECTS: usize = 5;
const FIRST_FACE: usize = 5;
const FIRST_PAGE: usize = FIRST_FACE + 2 * FACE_OBJECTS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn metrics(self) -> &'static Metrics {
        fonts::metrics(self == Face::Bold)
    }

    fn resource(self) -> &'static str {
        match self {
            Face::Regular => REGULAR_ID,
            Face::Bold => BOLD_ID,
        }
    }

    fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "DejaVuSans",
            Face::Bold => "DejaVuSans-Bold",
        }
    }

    fn first_object(self) -> usize {
        match self {
            Face::Regular => FIRST_FACE,
            Face::Bold => FIRST_FACE + FACE_OBJECTS,
        }
    }

    fn from_handle(handle: &PdfFontHandle) -> Result<Self, ReportError> {
        match handle {
            PdfFontHandle::External(id) if id.0 == REGULAR_ID => Ok(Face::Regular),
            PdfFontHandle::External(id) if id.0 == BOLD_ID => Ok(Face::Bold),
            _ => Err(ReportError::Pdf(
                "a font other than the two embedded faces".into(),
            )),
        }
    }
}

/// The document information written into the PDF.
pub(crate) struct DocInfo<'a> {
    pub title: &'a str,
    pub subject: Option<&'a str>,
    /// Natural language of the text, e.g. "de".
    pub lang: &'a str,
    /// (year, month, day)
    pub date: (i32, u8, u8),
}

/// An image for the pages (the brand's logo), named `/Logo` in the resources. Page operations
/// place it with `Op::UseXobject`, whose `scale_x`/`scale_y` this writer reads as the image's
/// width and height in pt.
pub(crate) enum PdfImage {
    /// A checked JPEG, embedded as it is.
    Jpeg {
        width: u32,
        height: u32,
        components: u8,
        data: Vec<u8>,
    },
    /// 8-bit RGB samples and an optional alpha channel (written as a soft mask), both already
    /// deflated (zlib) with [`deflate_image`].
    Rgb {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
        alpha: Option<Vec<u8>>,
    },
}

impl PdfImage {
    /// The image XObject and, if any, its soft mask (object `smask`), as object bodies.
    fn objects(&self, smask: usize) -> Vec<Vec<u8>> {
        let image = |extra: String, filter: &str, data: &[u8]| {
            let mut body = format!(
                "<</Type/XObject/Subtype/Image{extra}/BitsPerComponent 8{filter}/Length {}>>\nstream\n",
                data.len()
            )
            .into_bytes();
            body.extend_from_slice(data);
            body.extend_from_slice(b"\nendstream");
            body
        };
        match self {
            PdfImage::Jpeg {
                width,
                height,
                components,
                data,
            } => {
                let space = if *components == 1 {
                    "DeviceGray"
                } else {
                    "DeviceRGB"
                };
                vec![image(
                    format!("/Width {width}/Height {height}/ColorSpace/{space}"),
                    "/Filter/DCTDecode",
                    data,
                )]
            }
            PdfImage::Rgb {
                width,
                height,
                rgb,
                alpha,
            } => {
                let mask = if alpha.is_some() {
                    format!("/SMask {smask} 0 R")
                } else {
                    String::new()
                };
                let mut objects = vec![image(
                    format!("/Width {width}/Height {height}/ColorSpace/DeviceRGB{mask}"),
                    "/Filter/FlateDecode",
                    rgb,
                )];
                if let Some(alpha) = alpha {
                    objects.push(image(
                        format!("/Width {width}/Height {height}/ColorSpace/DeviceGray"),
                        "/Filter/FlateDecode",
                        alpha,
                    ));
                }
                objects
            }
        }
    }
}

/// Image samples deflated (zlib) for a `/FlateDecode` image stream.
pub(crate) fn deflate_image(data: &[u8]) -> Option<Vec<u8>> {
    deflate_with(&mut Compress::new(Compression::new(6), true), data)
}

/// Writes pages (width and height in pt, and their operations, with marked content) and their
/// structure tree as a complete tagged PDF file (PDF/UA-1), with the logo if there is one.
pub(crate) fn write_pdf(
    info: &DocInfo<'_>,
    size: (f32, f32),
    pages: &[Vec<Op>],
    tree: &Tree,
    logo: Option<&PdfImage>,
) -> Result<Vec<u8>, ReportError> {
    // The subsets must be known before any text can be written as glyph ids.
    let used = used_chars(pages)?;
    let regular = embedded_face(Face::Regular, &used[0])?;
    let bold = embedded_face(Face::Bold, &used[1])?;

    let struct_root = FIRST_PAGE + 2 * pages.len();
    let parent_tree = struct_root + 1;
    let metadata = struct_root + 2;
    let first_node = struct_root + 3;
    let first_image = first_node + tree.nodes.len();
    let image_objects = logo.map(|l| l.objects(first_image + 1)).unwrap_or_default();
    let object_count = first_image + image_objects.len();
    let page_object = |page: usize| FIRST_PAGE + 2 * page;
    // Writing into a `Vec` cannot fail, hence the ignored results of `write!` below.
    let mut out = Vec::with_capacity(128 * 1024);
    let mut offsets = vec![0usize; object_count];
    out.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");

    let mut begin = |out: &mut Vec<u8>, n: usize| {
        offsets[n] = out.len();
        let _ = writeln!(out, "{n} 0 obj");
    };

    begin(&mut out, CATALOG);
    let lang = language_tag(info.lang);
    let _ = write!(
        out,
        "<</Type/Catalog/Pages {PAGES} 0 R/Lang({lang})/MarkInfo<</Marked true>>/StructTreeRoot {struct_root} 0 R/ViewerPreferences<</DisplayDocTitle true>>/Metadata {metadata} 0 R>>\nendobj\n"
    );

    begin(&mut out, PAGES);
    let _ = write!(out, "<</Type/Pages/Count {}/Kids[", pages.len());
    for i in 0..pages.len() {
        let separator = if i == 0 { "" } else { " " };
        let _ = write!(out, "{separator}{} 0 R", FIRST_PAGE + 2 * i);
    }
    out.extend_from_slice(b"]>>\nendobj\n");

    begin(&mut out, INFO);
    let (y, m, d) = info.date;
    let date = format!("D:{y:04}{:02}{:02}120000Z", m.clamp(1, 12), d.clamp(1, 31));
    out.extend_from_slice(b"<</Title");
    text_string(&mut out, info.title);
    if let Some(subject) = info.subject {
        out.extend_from_slice(b"/Subject");
        text_string(&mut out, subject);
    }
    let _ = write!(
        out,
        "/Creator(social-readiness)/Producer(social-readiness)/CreationDate({date})/ModDate({date})>>\nendobj\n"
    );

    begin(&mut out, RESOURCES);
    let _ = write!(
        out,
        "<</Font<</{REGULAR_ID} {} 0 R/{BOLD_ID} {} 0 R>>",
        Face::Regular.first_object(),
        Face::Bold.first_object()
    );
    if !image_objects.is_empty() {
        let _ = write!(
            out,
            "/XObject<</{} {first_image} 0 R>>",
            super::brand::LOGO_ID
        );
    }
    out.extend_from_slice(b">>\nendobj\n");

    for face in [&regular, &bold] {
        for (k, body) in face.objects.iter().enumerate() {
            begin(&mut out, face.first_object + k);
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
    }

    let mut content = Vec::with_capacity(32 * 1024);
    for (i, ops) in pages.iter().enumerate() {
        let page = FIRST_PAGE + 2 * i;
        begin(&mut out, page);
        out.extend_from_slice(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 ");
        num(&mut out, size.0, 3);
        out.push(b' ');
        num(&mut out, size.1, 3);
        let _ = write!(
            out,
            "]/Resources {RESOURCES} 0 R/Contents {} 0 R/StructParents {i}/Tabs/S>>\nendobj\n",
            page + 1
        );

        content.clear();
        write_content(&mut content, ops, [&regular, &bold])?;
        begin(&mut out, page + 1);
        let (data, filter) = match deflate(&content) {
            Some(d) => (d, "/Filter/FlateDecode"),
            None => (content.clone(), ""),
        };
        let _ = write!(out, "<</Length {}{filter}>>\nstream\n", data.len());
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    begin(&mut out, struct_root);
    let _ = write!(
        out,
        "<</Type/StructTreeRoot/K {first_node} 0 R/ParentTree {parent_tree} 0 R/ParentTreeNextKey {}>>\nendobj\n",
        pages.len()
    );

    begin(&mut out, parent_tree);
    out.extend_from_slice(b"<</Nums[");
    for (page, ids) in tree.parent_tree(pages.len()).iter().enumerate() {
        let _ = write!(out, "{page}[");
        for (k, node) in ids.iter().enumerate() {
            let separator = if k == 0 { "" } else { " " };
            match node {
                Some(n) => {
                    let _ = write!(out, "{separator}{} 0 R", first_node + n);
                }
                None => {
                    let _ = write!(out, "{separator}null");
                }
            }
        }
        out.extend_from_slice(b"]");
    }
    out.extend_from_slice(b"]>>\nendobj\n");

    begin(&mut out, metadata);
    let xmp = xmp(info, lang);
    let _ = write!(
        out,
        "<</Type/Metadata/Subtype/XML/Length {}>>\nstream\n",
        xmp.len()
    );
    out.extend_from_slice(xmp.as_bytes());
    out.extend_from_slice(b"\nendstream\nendobj\n");

    for (index, node) in tree.nodes.iter().enumerate() {
        begin(&mut out, first_node + index);
        let parent = if index == 0 {
            struct_root
        } else {
            first_node + node.parent
        };
        let _ = write!(
            out,
            "<</Type/StructElem/S/{}/P {parent} 0 R",
            node.role.name()
        );
        // The page of the element's first content; content on other pages names its page.
        let home = node.kids.iter().find_map(|k| match k {
            Kid::Content { page, .. } => Some(*page),
            Kid::Node(_) => None,
        });
        if let Some(page) = home {
            let _ = write!(out, "/Pg {} 0 R", page_object(page));
        }
        if let Some(alt) = &node.alt {
            out.extend_from_slice(b"/Alt");
            text_string(&mut out, alt);
        }
        match node.attr {
            Attr::None => {}
            Attr::ColumnHeader => out.extend_from_slice(b"/A<</O/Table/Scope/Column>>"),
            Attr::ColSpan(n) => {
                let _ = write!(out, "/A<</O/Table/ColSpan {n}>>");
            }
            Attr::BBox(b) => {
                out.extend_from_slice(b"/A<</O/Layout/BBox[");
                for (k, v) in b.iter().enumerate() {
                    if k > 0 {
                        out.push(b' ');
                    }
                    num(&mut out, *v, 2);
                }
                out.extend_from_slice(b"]>>");
            }
        }
        // A single kid stands alone (the usual case for headings and paragraphs, and the
        // form every reader handles).
        let single = node.kids.len() == 1;
        out.extend_from_slice(if single { b"/K " } else { b"/K[" });
        for (k, kid) in node.kids.iter().enumerate() {
            if k > 0 {
                out.push(b' ');
            }
            match *kid {
                Kid::Node(n) => {
                    let _ = write!(out, "{} 0 R", first_node + n);
                }
                Kid::Content { page, mcid } if Some(page) == home => {
                    let _ = write!(out, "{mcid}");
                }
                Kid::Content { page, mcid } => {
                    let _ = write!(
                        out,
                        "<</Type/MCR/Pg {} 0 R/MCID {mcid}>>",
                        page_object(page)
                    );
                }
            }
        }
        out.extend_from_slice(if single {
            &b">>\nendobj\n"[..]
        } else {
            b"]>>\nendobj\n"
        });
    }

    for (k, body) in image_objects.iter().enumerate() {
        begin(&mut out, first_image + k);
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }

    let xref = out.len();
    let _ = write!(out, "xref\n0 {object_count}\n0000000000 65535 f \n");
    for offset in &offsets[1..] {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    // The file identifier must be the same for the same document: a hash of what precedes it.
    let id = fnv_hex(&out);
    let _ = write!(
        out,
        "trailer\n<</Size {object_count}/Root {CATALOG} 0 R/Info {INFO} 0 R/ID[<{id}><{id}>]>>\nstartxref\n{xref}\n%%EOF\n"
    );
    Ok(out)
}

/// Characters shown in each face (regular, bold), in order of code point.
fn used_chars(pages: &[Vec<Op>]) -> Result<[CharSet; 2], ReportError> {
    let mut sets = [CharSet::default(), CharSet::default()];
    for ops in pages {
        let mut face = None;
        for op in ops {
            match op {
                Op::SetFont { font, .. } => face = Some(Face::from_handle(font)?),
                Op::ShowText { items } => {
                    let set = &mut sets[usize::from(face == Some(Face::Bold))];
                    for item in items {
                        if let TextItem::Text(text) = item {
                            text.chars().for_each(|c| set.insert(c));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(sets)
}

/// A set of characters: a bitmap for the Basic Multilingual Plane, a sorted list beyond.
#[derive(Default)]
struct CharSet {
    bmp: Vec<u64>,
    astral: Vec<char>,
}

impl CharSet {
    fn insert(&mut self, c: char) {
        let u = c as usize;
        if u < 0x1_0000 {
            if self.bmp.is_empty() {
                self.bmp = vec![0; 0x1_0000 / 64];
            }
            self.bmp[u / 64] |= 1 << (u % 64);
        } else if let Err(at) = self.astral.binary_search(&c) {
            self.astral.insert(at, c);
        }
    }

    fn contains(&self, c: char) -> bool {
        let u = c as usize;
        if u < 0x1_0000 {
            self.bmp
                .get(u / 64)
                .is_some_and(|w| w & (1 << (u % 64)) != 0)
        } else {
            self.astral.binary_search(&c).is_ok()
        }
    }

    fn iter(&self) -> impl Iterator<Item = char> + '_ {
        let bmp = self.bmp.iter().enumerate().flat_map(|(i, &word)| {
            // The set bits of one word, lowest first.
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(i * 64 + bit as usize)
            })
            .filter_map(|u| char::from_u32(u32::try_from(u).ok()?))
        });
        bmp.chain(self.astral.iter().copied())
    }
}

/// One face's subset, ready to be written: the five object bodies (Type0 font, CID font,
/// descriptor, font program, ToUnicode CMap) at their fixed object numbers, and the glyph ids
/// the content streams must use.
struct EmbeddedFace {
    first_object: usize,
    objects: [Vec<u8>; FACE_OBJECTS],
    /// Original glyph id → glyph id in the subset (0 where it is not in the subset).
    remap: Vec<u16>,
    metrics: &'static Metrics,
}

impl EmbeddedFace {
    fn glyph(&self, c: char) -> u16 {
        self.remap
            .get(usize::from(self.metrics.glyph(c)))
            .copied()
            .unwrap_or(0)
    }
}

/// Subsets by face and the extra characters beyond `BASE_CHARS` (none, for nearly every report).
type FaceCache = HashMap<(Face, Vec<char>), Arc<EmbeddedFace>>;

static FACE_CACHE: LazyLock<Mutex<FaceCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Odd firm names should not make the cache grow without bound.
const FACE_CACHE_LIMIT: usize = 64;

static BASE_SET: LazyLock<CharSet> = LazyLock::new(|| {
    let mut set = CharSet::default();
    BASE_CHARS.chars().for_each(|c| set.insert(c));
    set
});

fn embedded_face(face: Face, used: &CharSet) -> Result<Arc<EmbeddedFace>, ReportError> {
    let base = &*BASE_SET;
    let extra: Vec<char> = used.iter().filter(|&c| !base.contains(c)).collect();
    let key = (face, extra);
    if let Some(found) = lock_cache().get(&key) {
        return Ok(Arc::clone(found));
    }
    // Built outside the lock: two threads may both build the same subset, which is harmless.
    let built = Arc::new(build_face(face, base.iter().chain(key.1.iter().copied()))?);
    let mut cache = lock_cache();
    if cache.len() >= FACE_CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(key, Arc::clone(&built));
    Ok(built)
}

fn lock_cache() -> std::sync::MutexGuard<'static, FaceCache> {
    // A panic while holding the lock leaves only complete entries behind.
    FACE_CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn build_face(face: Face, chars: impl Iterator<Item = char>) -> Result<EmbeddedFace, ReportError> {
    let metrics = face.metrics();
    // Original glyph id → the text it stands for; the lowest code point wins for shared glyphs.
    let mut glyphs: BTreeMap<u16, char> = BTreeMap::new();
    for c in chars {
        let gid = metrics.glyph(c);
        if gid != 0 {
            glyphs.entry(gid).or_insert(c);
        }
    }
    // New ids in the order of the old ones (.notdef stays 0); composite glyphs' parts, which the
    // subsetter adds after these, are never shown on their own and need no width or text.
    let mut remapper = subsetter::GlyphRemapper::new();
    for &old in glyphs.keys() {
        remapper.remap(old);
    }
    let program = subsetter::subset(metrics.bytes(), 0, &remapper)
        .map_err(|e| ReportError::Pdf(format!("subsetting the font failed: {e}")))?;
    // New glyph id → (original glyph id, text), in new-id order.
    let mut by_new: Vec<(u16, u16, char)> = glyphs
        .iter()
        .filter_map(|(&old, &c)| remapper.get(old).map(|new| (new, old, c)))
        .collect();
    by_new.sort_unstable();
    let len = by_new
        .iter()
        .map(|&(_, old, _)| usize::from(old) + 1)
        .max()
        .unwrap_or(0);
    let mut remap = vec![0u16; len];
    for &(new, old, _) in &by_new {
        remap[usize::from(old)] = new;
    }

    // The tag names this particular subset (six capitals, from a hash of its glyphs).
    let mut hash = fnv(0xcbf2_9ce4_8422_2325, face.postscript_name().as_bytes());
    for &(_, old, _) in &by_new {
        hash = fnv(hash, &old.to_be_bytes());
    }
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect();
    let name = format!("{tag}+{}", face.postscript_name());
    let first = face.first_object();

    let type0 = format!(
        "<</Type/Font/Subtype/Type0/BaseFont/{name}/Encoding/Identity-H/DescendantFonts[{} 0 R]/ToUnicode {} 0 R>>",
        first + 1,
        first + 4
    )
    .into_bytes();

    let mut cid = format!(
        "<</Type/Font/Subtype/CIDFontType2/BaseFont/{name}/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/FontDescriptor {} 0 R/CIDToGIDMap/Identity/DW 1000/W[",
        first + 2
    )
    .into_bytes();
    // Runs of consecutive glyph ids share one width array.
    let mut previous: Option<u16> = None;
    for &(new, old, _) in &by_new {
        if previous.is_some_and(|p| p + 1 == new) {
            cid.push(b' ');
        } else {
            if previous.is_some() {
                cid.extend_from_slice(b"] ");
            }
            let _ = write!(cid, "{new}[");
        }
        let _ = write!(cid, "{}", metrics.glyph_width(old));
        previous = Some(new);
    }
    if previous.is_some() {
        cid.push(b']');
    }
    cid.extend_from_slice(b"]>>");

    let d = metrics.descriptor();
    let stem_v = if face == Face::Bold { 166 } else { 88 };
    let descriptor = format!(
        "<</Type/FontDescriptor/FontName/{name}/Flags 32/FontBBox[{} {} {} {}]/ItalicAngle 0/Ascent {}/Descent {}/CapHeight {}/StemV {stem_v}/FontFile2 {} 0 R>>",
        d.bbox[0],
        d.bbox[1],
        d.bbox[2],
        d.bbox[3],
        d.ascent,
        d.descent,
        d.cap_height,
        first + 3
    )
    .into_bytes();

    let program = stream(&program, &format!("/Length1 {}", program.len()));

    let mut cmap = String::from(
        "/CIDInit/ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>>def\n\
         /CMapName/Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000><FFFF>\nendcodespacerange\n",
    );
    // At most 100 entries per block.
    for block in by_new.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", block.len()));
        for &(new, _, text) in block {
            cmap.push_str(&format!("<{new:04X}><"));
            for unit in text.encode_utf16(&mut [0; 2]).iter() {
                cmap.push_str(&format!("{unit:04X}"));
            }
            cmap.push_str(">\n");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict/CMap defineresource pop\nend\nend\n");
    let to_unicode = stream(cmap.as_bytes(), "");

    Ok(EmbeddedFace {
        first_object: first,
        objects: [type0, cid, descriptor, program, to_unicode],
        remap,
        metrics,
    })
}

/// A font stream object's body. Font objects are built once per subset and cached, so they are
/// deflated harder than the pages: level 3 saves 10 KB per report over the fastest level and
/// adds well under a millisecond when a new subset is built (higher levels add more, save ~1 KB).
fn stream(data: &[u8], extra: &str) -> Vec<u8> {
    let compressed = deflate_with(&mut Compress::new(Compression::new(3), true), data)
        .filter(|d| d.len() + 19 < data.len());
    let (data, filter) = match compressed {
        Some(d) => (d, "/Filter/FlateDecode"),
        None => (data.to_vec(), ""),
    };
    let mut body = format!("<</Length {}{filter}{extra}>>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(b"\nendstream");
    body
}

thread_local! {
    /// One compressor per thread, reset between streams: setting one up allocates and clears a
    /// few hundred KB, which cost more than compressing a page.
    static COMPRESSOR: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), true));
}

/// Deflates (zlib format) at flate2's fastest level; `None` when that does not pay.
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let compressed = COMPRESSOR.with(|cell| match cell.try_borrow_mut() {
        Ok(mut compressor) => deflate_with(&mut compressor, data),
        // Not reached (nothing here re-enters), but a fresh compressor would do.
        Err(_) => deflate_with(&mut Compress::new(Compression::fast(), true), data),
    })?;
    (compressed.len() + 19 < data.len()).then_some(compressed)
}

fn deflate_with(compressor: &mut Compress, data: &[u8]) -> Option<Vec<u8>> {
    compressor.reset();
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    loop {
        let consumed = usize::try_from(compressor.total_in()).ok()?;
        let rest = data.get(consumed..)?;
        match compressor.compress_vec(rest, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => return Some(out),
            // The output is full: make room and go on.
            Ok(Status::Ok | Status::BufError) => out.reserve(out.capacity().max(4096)),
            Err(_) => return None,
        }
    }
}

/// The graphics state the content writer tracks, to leave out settings that change nothing.
#[derive(Clone, Copy, PartialEq)]
struct State {
    fill: Option<[f32; 3]>,
    stroke: Option<[f32; 3]>,
    line_width: Option<f32>,
    font: Option<(Face, f32)>,
}

const UNKNOWN: State = State {
    fill: None,
    stroke: None,
    line_width: None,
    font: None,
};

/// Writes one page's operations as a content stream.
fn write_content(
    out: &mut Vec<u8>,
    ops: &[Op],
    faces: [&EmbeddedFace; 2],
) -> Result<(), ReportError> {
    let mut state = UNKNOWN;
    let mut saved: Vec<State> = Vec::new();
    let mut face = None;
    for op in ops {
        match op {
            Op::SaveGraphicsState => {
                saved.push(state);
                out.extend_from_slice(b"q\n");
            }
            Op::RestoreGraphicsState => {
                state = saved.pop().unwrap_or(UNKNOWN);
                out.extend_from_slice(b"Q\n");
            }
            Op::StartTextSection => out.extend_from_slice(b"BT\n"),
            Op::EndTextSection => out.extend_from_slice(b"ET\n"),
            Op::SetFont { font, size } => {
                let f = Face::from_handle(font)?;
                face = Some(f);
                if state.font != Some((f, size.0)) {
                    state.font = Some((f, size.0));
                    out.push(b'/');
                    out.extend_from_slice(f.resource().as_bytes());
                    out.push(b' ');
                    num(out, size.0, 3);
                    out.extend_from_slice(b" Tf\n");
                }
            }
            Op::SetFillColor { col } => {
                let rgb = rgb(col)?;
                if state.fill != Some(rgb) {
                    state.fill = Some(rgb);
                    color(out, rgb, b"rg\n");
                }
            }
            Op::SetOutlineColor { col } => {
                let rgb = rgb(col)?;
                if state.stroke != Some(rgb) {
                    state.stroke = Some(rgb);
                    color(out, rgb, b"RG\n");
                }
            }
            Op::SetOutlineThickness { pt } => {
                if state.line_width != Some(pt.0) {
                    state.line_width = Some(pt.0);
                    num(out, pt.0, 3);
                    out.extend_from_slice(b" w\n");
                }
            }
            Op::SetTextMatrix { matrix } => match matrix {
                // At the start of a text object the matrix is the identity, so a move will do.
                TextMatrix::Translate(x, y) => {
                    num(out, x.0, 3);
                    out.push(b' ');
                    num(out, y.0, 3);
                    out.extend_from_slice(b" Td\n");
                }
                other => {
                    let m = other.as_array();
                    for (i, v) in m.iter().enumerate() {
                        // Rotation terms to four places make 90° turns exact.
                        num(out, *v, if i < 4 { 4 } else { 3 });
                        out.push(b' ');
                    }
                    out.extend_from_slice(b"Tm\n");
                }
            },
            Op::ShowText { items } => {
                let f = face
                    .map(|f| faces[usize::from(f == Face::Bold)])
                    .ok_or_else(|| ReportError::Pdf("text without a font".into()))?;
                for item in items {
                    let TextItem::Text(text) = item else {
                        return Err(ReportError::Pdf("unsupported text item".into()));
                    };
                    out.push(b'<');
                    for c in text.chars() {
                        hex4(out, f.glyph(c));
                    }
                    out.extend_from_slice(b">Tj\n");
                }
            }
            Op::DrawLine { line } => {
                path(out, &line.points);
                out.extend_from_slice(if line.is_closed { b"h S\n" } else { b"S\n" });
            }
            Op::DrawPolygon { polygon } => {
                for ring in &polygon.rings {
                    path(out, &ring.points);
                    out.extend_from_slice(b"h\n");
                }
                let even_odd = matches!(polygon.winding_order, WindingOrder::EvenOdd);
                let paint: &[u8] = match (polygon.mode, even_odd) {
                    (PaintMode::Clip, false) => b"W n\n",
                    (PaintMode::Clip, true) => b"W* n\n",
                    (PaintMode::Fill, false) => b"f\n",
                    (PaintMode::Fill, true) => b"f*\n",
                    (PaintMode::Stroke, _) => b"S\n",
                    (PaintMode::FillStroke, false) => b"b\n",
                    (PaintMode::FillStroke, true) => b"b*\n",
                };
                out.extend_from_slice(paint);
            }
            Op::BeginMarkedContent { tag } => {
                name(out, tag);
                out.extend_from_slice(b" BMC\n");
            }
            Op::BeginMarkedContentWithProperties { tag, properties } => {
                name(out, tag);
                match properties {
                    DictItem::Int(mcid) => {
                        let _ = writeln!(out, "<</MCID {mcid}>>BDC");
                    }
                    DictItem::Name(kind) => {
                        out.extend_from_slice(b"<</Type");
                        name(out, &String::from_utf8_lossy(kind));
                        out.extend_from_slice(b">>BDC\n");
                    }
                    _ => return Err(ReportError::Pdf("unsupported marked content".into())),
                }
            }
            Op::EndMarkedContent => out.extend_from_slice(b"EMC\n"),
            // The logo: `scale_x`/`scale_y` are its size in pt (see `PdfImage`).
            Op::UseXobject { id, transform } => {
                out.extend_from_slice(b"q ");
                num(out, transform.scale_x.unwrap_or(1.0), 3);
                out.extend_from_slice(b" 0 0 ");
                num(out, transform.scale_y.unwrap_or(1.0), 3);
                out.push(b' ');
                num(out, transform.translate_x.map_or(0.0, |p| p.0), 3);
                out.push(b' ');
                num(out, transform.translate_y.map_or(0.0, |p| p.0), 3);
                out.extend_from_slice(b" cm ");
                name(out, &id.0);
                out.extend_from_slice(b" Do Q\n");
            }
            _ => return Err(ReportError::Pdf("unsupported page operation".into())),
        }
    }
    Ok(())
}

fn rgb(col: &Color) -> Result<[f32; 3], ReportError> {
    match col {
        Color::Rgb(c) => Ok([c.r, c.g, c.b]),
        _ => Err(ReportError::Pdf("only RGB colours are written".into())),
    }
}

fn color(out: &mut Vec<u8>, rgb: [f32; 3], op: &[u8]) {
    for v in rgb {
        num(out, v, 4);
        out.push(b' ');
    }
    out.extend_from_slice(op);
}

/// A path from points; two Bézier handles and an end point make a curve (as printpdf reads them).
fn path(out: &mut Vec<u8>, points: &[LinePoint]) {
    let Some(first) = points.first() else {
        return;
    };
    point(out, first);
    out.extend_from_slice(b"m\n");
    let mut i = 1;
    while i < points.len() {
        let p = &points[i];
        if p.bezier && i + 2 < points.len() && points[i + 1].bezier {
            for q in &points[i..i + 3] {
                point(out, q);
            }
            out.extend_from_slice(b"c\n");
            i += 3;
        } else {
            point(out, p);
            out.extend_from_slice(b"l\n");
            i += 1;
        }
    }
}

fn point(out: &mut Vec<u8>, p: &LinePoint) {
    num(out, p.p.x.0, 3);
    out.push(b' ');
    num(out, p.p.y.0, 3);
    out.push(b' ');
}

/// Writes a number with at most `decimals` places, no exponent and no trailing zeros.
fn num(out: &mut Vec<u8>, v: f32, decimals: u32) {
    let scale = 10i64.pow(decimals);
    let v = f64::from(v);
    // Rounded first, so that a tiny negative value becomes "0", not "-0".
    let mut n = if v.is_finite() {
        (v * scale as f64).round() as i64
    } else {
        0
    };
    if n < 0 {
        out.push(b'-');
        n = -n;
    }
    digits(out, n / scale);
    let mut frac = n % scale;
    if frac != 0 {
        let mut places = decimals;
        while frac % 10 == 0 {
            frac /= 10;
            places -= 1;
        }
        out.push(b'.');
        let mut buf = [b'0'; 20];
        for i in (0..places as usize).rev() {
            buf[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(&buf[..places as usize]);
    }
}

fn digits(out: &mut Vec<u8>, mut n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn hex4(out: &mut Vec<u8>, v: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(&[
        HEX[usize::from(v >> 12)],
        HEX[usize::from((v >> 8) & 0xf)],
        HEX[usize::from((v >> 4) & 0xf)],
        HEX[usize::from(v & 0xf)],
    ]);
}

/// A PDF name from a tag made of letters (anything else is left out).
fn name(out: &mut Vec<u8>, tag: &str) {
    out.push(b'/');
    out.extend(tag.bytes().filter(u8::is_ascii_alphanumeric));
}

/// A BCP 47 tag from the model's language, letters and hyphens only ("de" when none is left).
fn language_tag(lang: &str) -> String {
    let tag: String = lang
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(35)
        .collect();
    if tag.is_empty() { "de".into() } else { tag }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The XMP metadata packet: title, language, dates and the PDF/UA-1 identification.
fn xmp(info: &DocInfo<'_>, lang: String) -> String {
    let (y, m, d) = info.date;
    let date = format!(
        "{y:04}-{:02}-{:02}T12:00:00Z",
        m.clamp(1, 12),
        d.clamp(1, 31)
    );
    let title = xml_escape(info.title);
    let description = info.subject.map_or_else(String::new, |s| {
        format!(
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            xml_escape(s)
        )
    });
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\">\n\
<pdfuaid:part>1</pdfuaid:part>\n\
<dc:format>application/pdf</dc:format>\n\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
{description}<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>\n\
<xmp:CreateDate>{date}</xmp:CreateDate>\n\
<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
<xmp:CreatorTool>social-readiness</xmp:CreatorTool>\n\
<pdf:Producer>social-readiness</pdf:Producer>\n\
</rdf:Description>\n\
</rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>"
    )
}

/// A PDF text string: UTF-16BE with a byte order mark, hex-encoded (no escaping needed).
fn text_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(b"<FEFF");
    for unit in s.encode_utf16() {
        hex4(out, unit);
    }
    out.push(b'>');
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn fnv_hex(bytes: &[u8]) -> String {
    let h = fnv(0xcbf2_9ce4_8422_2325, bytes);
    format!("{h:016x}{:016x}", h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: f32, d: u32) -> String {
        let mut out = Vec::new();
        num(&mut out, v, d);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(n(0.0, 3), "0");
        assert_eq!(n(-0.0001, 3), "0");
        assert_eq!(n(12.5, 3), "12.5");
        assert_eq!(n(-3.25, 3), "-3.25");
        assert_eq!(n(841.89, 3), "841.89");
        assert_eq!(n(0.0625, 3), "0.063");
        assert_eq!(n(0.05, 3), "0.05");
        assert!(!n(1e20, 3).is_empty());
        assert_eq!(n(f32::NAN, 3), "0");
        assert_eq!(n(0.101_960_786, 4), "0.102");
    }

    #[test]
    fn the_reused_compressor_gives_complete_streams() -> std::io::Result<()> {
        use std::io::Read as _;
        let first: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let second = b"BT /DJVREG 10 Tf 62 700 Td <0001> Tj ET\n".repeat(500);
        for data in [&first[..], &second[..], &first[..]] {
            let compressed = deflate(data).ok_or(std::io::ErrorKind::InvalidData)?;
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&compressed[..]).read_to_end(&mut back)?;
            assert!(back == data);
        }
        Ok(())
    }

    #[test]
    fn char_sets_list_their_members_in_order() {
        let mut set = CharSet::default();
        for c in "zäa€😀a".chars() {
            set.insert(c);
        }
        assert_eq!(set.iter().collect::<String>(), "azä€😀");
        assert!(set.contains('€') && !set.contains('b'));
    }

    #[test]
    fn text_strings_are_utf16_hex() {
        let mut out = Vec::new();
        text_string(&mut out, "Ä€");
        assert_eq!(out, b"<FEFF00C420AC>");
    }
}
