//! External tools the tests read the service's files with: qpdf, poppler's pdffonts, pdftotext and
//! pdfinfo, and python3 (zipfile). They are independent readers, the honest check of a writer.
//!
//! One policy for every tool: on a developer's machine a missing tool skips its check and says
//! "skipped" on stderr; in CI (`CI` set, as `.ci/run` does) a missing tool fails the test, because
//! a quiet skip there would let a broken file through.
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Whether the tests run in CI, where every tool must be installed.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether `name` can be run. A missing tool fails the test in CI and is reported as skipped
/// elsewhere (once per tool and test).
pub fn available(name: &str) -> bool {
    static FOUND: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());
    let found = {
        let mut found = FOUND
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *found
            .entry(name.to_owned())
            // Spawning is the test: every one of these tools knows `--version`.
            .or_insert_with(|| Command::new(name).arg("--version").output().is_ok())
    };
    if !found {
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        assert!(
            !in_ci(),
            "{name} is not installed, and CI must run every check ({test}); .ci/run installs it"
        );
        eprintln!(
            "skipped: the {name} checks of {test} ({name} is not installed; apt-get install qpdf poppler-utils python3)"
        );
    }
    found
}

/// Runs a tool and returns its standard output, or `None` when the tool is missing (see
/// `available`). A tool that fails fails the test, with what it said.
pub fn run<I, S>(name: &str, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    if !available(name) {
        return None;
    }
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let output = Command::new(name)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("{name} {args:?} did not run: {e}"));
    assert!(
        output.status.success(),
        "{name} {args:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Writes `bytes` to a file of its own (tests on both databases run at once in one process).
pub fn temp_file(bytes: &[u8], name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sr_tools_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{n}_{name}"));
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// `qpdf --check`: the file's structure and streams are sound.
pub fn check_pdf_structure(path: &Path) {
    if let Some(out) = run("qpdf", [OsStr::new("--check"), path.as_os_str()]) {
        assert!(
            out.contains("No syntax or stream encoding errors"),
            "{}: {out}",
            path.display()
        );
    }
}

/// `pdffonts`: every font is a CID TrueType font with Identity-H encoding, embedded as a subset
/// with a ToUnicode map (so text can be searched and copied).
pub fn check_pdf_fonts(path: &Path) {
    let Some(out) = run("pdffonts", [path]) else {
        return;
    };
    let rows: Vec<&str> = out
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!rows.is_empty(), "{}: no fonts:\n{out}", path.display());
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type encoding emb sub uni object ID: the three flags are the 3rd-5th from the end.
        assert!(cols.len() >= 8, "{row}");
        assert_eq!(
            &cols[cols.len() - 5..cols.len() - 2],
            ["yes", "yes", "yes"],
            "embedded, subset, unicode: {row}"
        );
        assert!(
            row.contains("CID TrueType") && row.contains("Identity-H"),
            "a CID TrueType font in Identity-H: {row}"
        );
    }
}

/// The PDF's text as `pdftotext` reads it (pages separated by form feeds).
pub fn pdf_text(path: &Path) -> Option<String> {
    run("pdftotext", [path.as_os_str(), OsStr::new("-")])
}

/// The PyPI checker `pdfua` (PDF/UA-1, machine-checkable rules): no finding of warning or error
/// severity among the certain ones (`.ci/run` installs the pinned version). The tool exits
/// non-zero on such a finding, which `run` reports with what it printed.
pub fn check_pdf_ua(path: &Path) {
    if let Some(out) = run(
        "pdfua",
        [
            OsStr::new("check"),
            OsStr::new("--certain-only"),
            OsStr::new("--min-severity"),
            OsStr::new("warning"),
            path.as_os_str(),
        ],
    ) {
        assert!(
            !out.contains("ERROR") && !out.contains("WARNING"),
            "{}: {out}",
            path.display()
        );
        // A rule the checker could not evaluate on this file is no pass.
        assert!(!out.contains("[skip"), "{}: {out}", path.display());
    }
}
