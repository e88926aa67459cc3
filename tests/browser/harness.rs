//! The machinery: tools, chromedriver, the server, browser pages and the per-state checks.
use std::cell::RefCell;
use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

#[path = "../support/server.rs"]
mod server;

pub use server::Backend;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The WCAG levels axe checks; the issue asks for 2.2 AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"];
/// Desktop and phone widths: every page state is checked and photographed at both.
pub const WIDE: u32 = 1280;
pub const NARROW: u32 = 375;
const HEIGHT: u32 = 900;

/// A journey taking longer has hung (the chamber's, with a dozen firms, takes about 2 minutes
/// on a quiet machine; the machines here are shared).
const JOURNEY_TIMEOUT_SECONDS: u64 = 480;

/// The per-client limits the journeys need: every browser is the same client (127.0.0.1), and
/// the chamber's journey alone starts a dozen checks through one campaign link.
const SETTINGS: &[(&str, &str)] = &[
    ("RATE_LIMIT_STARTS", "1000/hour"),
    ("RATE_LIMIT_FORM_POSTS", "10000/hour"),
    ("RATE_LIMIT_API_RESPONSES", "1000/hour"),
    ("TOKEN_GUESSES_PER_MINUTE", "600"),
    ("LOGIN_FAILURES_PER_CLIENT", "100"),
];

/// The programs and files the suite needs; `find` names what is missing.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    java: PathBuf,
    axe_source: String,
    vnu_jar: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl Tools {
    pub fn find() -> Result<Tools, String> {
        let mut missing = Vec::new();
        let chromium = ["chromium", "chromium-browser"]
            .iter()
            .find_map(|n| on_path(n));
        if chromium.is_none() {
            missing.push("chromium (Debian package chromium)");
        }
        let chromedriver = on_path("chromedriver");
        if chromedriver.is_none() {
            missing.push("chromedriver (Debian package chromium-driver)");
        }
        let java = on_path("java");
        if java.is_none() {
            missing.push("java (Debian package default-jre-headless)");
        }
        let modules = Path::new(MANIFEST_DIR).join("tests/browser/node_modules");
        let axe_source = std::fs::read_to_string(modules.join("axe-core/axe.min.js")).ok();
        if axe_source.is_none() {
            missing.push("axe-core (npm ci in tests/browser)");
        }
        let vnu_jar = modules.join("vnu-jar/build/dist/vnu.jar");
        if !vnu_jar.is_file() {
            missing.push("vnu-jar (npm ci in tests/browser)");
        }
        match (chromium, chromedriver, java, axe_source) {
            (Some(chromium), Some(chromedriver), Some(java), Some(axe_source))
                if missing.is_empty() =>
            {
                Ok(Tools {
                    chromium,
                    chromedriver,
                    java,
                    axe_source,
                    vnu_jar,
                })
            }
            _ => Err(format!("missing {}", missing.join(", "))),
        }
    }
}

/// A journey's body: an async function over the shared context.
pub type JourneyFn = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// One journey: a name and its body.
pub struct Journey {
    pub name: &'static str,
    pub run: JourneyFn,
}

/// `journey!("name", path::to::async_fn)`.
#[macro_export]
macro_rules! journey {
    ($name:expr, $f:path) => {
        $crate::harness::Journey {
            name: $name,
            run: {
                fn run<'a>(
                    ctx: &'a $crate::harness::Ctx,
                ) -> ::std::pin::Pin<
                    Box<dyn ::std::future::Future<Output = ::anyhow::Result<()>> + 'a>,
                > {
                    Box::pin($f(ctx))
                }
                run
            },
        }
    };
}

/// chromedriver, killed when dropped (also when the suite panics).
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Driver {
    fn start(tools: &Tools, log: &Path) -> Result<Driver> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file.try_clone()?))
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("starting chromedriver")?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(
                Instant::now() < deadline,
                "chromedriver did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

/// What a page state's checks found.
pub struct StateReport {
    pub name: String,
    /// Violations per impact (critical, serious, moderate, minor), at 1280 and 375 px together
    /// (a rule failing at both widths counts once).
    pub axe: [usize; 4],
    pub axe_details: Vec<String>,
    /// `scrollWidth` at 375 px when wider than the window.
    pub overflow: Option<i64>,
    /// Tables that scroll sideways at 1280 px (hiding columns on a desktop screen).
    pub wide_tables: usize,
    /// The DOM as parsed (every state) and the page as served (states reached by a GET).
    pub html_files: Vec<PathBuf>,
    pub vnu_errors: Vec<String>,
}

/// Shared by all journeys: the server, the driver and what the checks found.
pub struct Ctx {
    pub address: String,
    pub store: social_readiness::db::Store,
    pub http: awc::Client,
    tools: Tools,
    driver_url: String,
    out_dir: PathBuf,
    screens_dir: PathBuf,
    pages_dir: PathBuf,
    profiles: RefCell<u32>,
    /// Sessions not yet closed: a failed journey's browsers are closed after it.
    open: RefCell<Vec<Client>>,
    /// Pages already fetched as served, for the Nu checker.
    seen_urls: RefCell<std::collections::HashSet<String>>,
    pub states: RefCell<Vec<StateReport>>,
}

impl Ctx {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GET with a plain HTTP client (no cookies): status, content type, body.
    pub async fn fetch(&self, url: &str) -> Result<(u16, String, Vec<u8>)> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let body = response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((response.status().as_u16(), content_type, body.to_vec()))
    }

    pub async fn response_count(&self) -> Result<i64> {
        Ok(self
            .store
            .table_counts()
            .await
            .map_err(|e| anyhow!("{e}"))?
            .responses)
    }
}

pub struct Outcome {
    pub passed: usize,
    pub failed: usize,
}

/// Starts chromedriver and the server, runs the journeys, then the checks over all page states.
pub fn run(tools: Tools, journeys: Vec<Journey>) -> Outcome {
    let out_dir = Path::new(MANIFEST_DIR).join("target/browser-tests");
    let screens_dir = screens_dir();
    let pages_dir = out_dir.join("pages");
    for dir in [&screens_dir, &pages_dir, &out_dir.join("profiles")] {
        let _ = std::fs::remove_dir_all(dir);
        if let Err(e) = std::fs::create_dir_all(dir) {
            println!("cannot create {}: {e}", dir.display());
            return Outcome {
                passed: 0,
                failed: 1,
            };
        }
    }
    let driver = match Driver::start(&tools, &out_dir.join("chromedriver.log")) {
        Ok(driver) => driver,
        Err(e) => {
            println!("FAILED to start chromedriver: {e:#}");
            return Outcome {
                passed: 0,
                failed: 1,
            };
        }
    };
    let driver_url = driver.url.clone();
    let outcome = actix_web::rt::System::new().block_on(async move {
        let (database_url, db, backend) = server::fresh_database(Backend::Sqlite)
            .await
            .expect("a fresh SQLite database");
        let (address, store) = server::start(&database_url, SETTINGS).await;
        println!("server on {address} ({backend}); chromedriver on {driver_url}");
        let ctx = Ctx {
            address,
            store,
            http: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(60))
                .finish(),
            tools,
            driver_url,
            out_dir,
            screens_dir,
            pages_dir,
            profiles: RefCell::new(0),
            open: RefCell::new(Vec::new()),
            seen_urls: RefCell::new(Default::default()),
            states: RefCell::new(Vec::new()),
        };
        let mut outcome = Outcome {
            passed: 0,
            failed: 0,
        };
        for journey in journeys {
            let started = Instant::now();
            println!("journey: {} ...", journey.name);
            let result = tokio::time::timeout(
                Duration::from_secs(JOURNEY_TIMEOUT_SECONDS),
                (journey.run)(&ctx),
            )
            .await;
            let seconds = started.elapsed().as_secs_f64();
            let left_open: Vec<Client> = ctx.open.borrow_mut().drain(..).collect();
            for client in left_open {
                let _ = client.close().await;
            }
            match result {
                Ok(Ok(())) => {
                    outcome.passed += 1;
                    println!("journey: {} ... ok ({seconds:.1} s)", journey.name);
                }
                Ok(Err(e)) => {
                    outcome.failed += 1;
                    println!(
                        "journey: {} ... FAILED ({seconds:.1} s): {e:#}",
                        journey.name
                    );
                }
                Err(_) => {
                    outcome.failed += 1;
                    println!("journey: {} ... FAILED: timed out", journey.name);
                }
            }
        }
        page_checks(&ctx, &mut outcome);
        drop(db);
        outcome
    });
    drop(driver);
    outcome
}

/// The checks over all page states: axe and 375 px (found on the spot), vnu (one run now).
fn page_checks(ctx: &Ctx, outcome: &mut Outcome) {
    let vnu = run_vnu(ctx);
    let mut states = ctx.states.borrow_mut();
    if let Ok(errors) = &vnu {
        for state in states.iter_mut() {
            let keys: Vec<PathBuf> = state
                .html_files
                .iter()
                .map(|f| f.canonicalize().unwrap_or(f.clone()))
                .collect();
            state.vnu_errors = errors
                .iter()
                .filter(|(file, _)| keys.iter().any(|k| Path::new(file) == k))
                .map(|(file, message)| {
                    let served = if file.ends_with(".served.html") {
                        " (as served)"
                    } else {
                        ""
                    };
                    format!("{message}{served}")
                })
                .collect();
        }
    }
    println!();
    println!(
        "{:<44} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6}",
        "page state", "crit", "serio", "moder", "minor", "vnu", "375px", "tables"
    );
    for s in states.iter() {
        println!(
            "{:<44} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6}",
            s.name,
            s.axe[0],
            s.axe[1],
            s.axe[2],
            s.axe[3],
            if vnu.is_ok() {
                s.vnu_errors.len().to_string()
            } else {
                "?".into()
            },
            match s.overflow {
                None => "ok".to_string(),
                Some(w) => format!("{w}px"),
            },
            match s.wide_tables {
                0 => "ok".to_string(),
                n => format!("{n} wide"),
            }
        );
        for d in &s.axe_details {
            println!("    axe: {d}");
        }
        for e in &s.vnu_errors {
            println!("    vnu: {e}");
        }
    }
    println!("{} page states checked", states.len());
    let mut verdict = |name: &str, ok: bool| {
        if ok {
            outcome.passed += 1;
            println!("page check: {name} ... ok");
        } else {
            outcome.failed += 1;
            println!("page check: {name} ... FAILED");
        }
    };
    verdict(
        "axe: 0 serious, 0 critical on every page state",
        !states.is_empty() && states.iter().all(|s| s.axe[0] + s.axe[1] == 0),
    );
    verdict(
        "no horizontal scrolling at 375 px on every page state",
        states.iter().all(|s| s.overflow.is_none()),
    );
    verdict(
        "no table hides columns at 1280 px on every page state",
        states.iter().all(|s| s.wide_tables == 0),
    );
    match &vnu {
        Ok(_) => verdict(
            "Nu HTML checker: 0 errors on every page state",
            states.iter().all(|s| s.vnu_errors.is_empty()),
        ),
        Err(e) => {
            println!("Nu HTML checker could not run: {e:#}");
            verdict("Nu HTML checker: 0 errors on every page state", false);
        }
    }
}

/// One JVM for all pages: (file, message) per error.
fn run_vnu(ctx: &Ctx) -> Result<Vec<(String, String)>> {
    let files: Vec<PathBuf> = ctx
        .states
        .borrow()
        .iter()
        .flat_map(|s| s.html_files.clone())
        .collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let output = Command::new(&ctx.tools.java)
        // No hsperfdata file: nothing to monitor, and no JVM warning in the report stream.
        .arg("-XX:-UsePerfData")
        .arg("-jar")
        .arg(&ctx.tools.vnu_jar)
        .args(["--errors-only", "--format", "json"])
        .args(&files)
        .stdin(Stdio::null())
        .output()
        .context("running java -jar vnu.jar")?;
    // vnu writes its report to stderr, as one JSON line (the JVM may warn on lines before it).
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json_line = stderr
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    let report: Value = serde_json::from_str(json_line).with_context(|| {
        format!(
            "vnu's output is not JSON: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let messages = report["messages"]
        .as_array()
        .ok_or_else(|| anyhow!("vnu's report has no messages"))?;
    let mut out = Vec::new();
    for m in messages {
        if m["type"] != "error" && m["subType"] != "fatal" {
            continue;
        }
        let file = m["url"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("file:")
            .to_owned();
        let file = Path::new(&file)
            .canonicalize()
            .map(|p| p.display().to_string())
            .unwrap_or(file);
        out.push((
            file,
            format!(
                "line {}: {} [{}]",
                m["lastLine"],
                m["message"].as_str().unwrap_or_default(),
                m["extract"].as_str().unwrap_or_default().trim()
            ),
        ));
    }
    Ok(out)
}

/// One browser profile (a fresh `--user-data-dir`) with one window: what one person has open.
pub struct Page<'c> {
    pub ctx: &'c Ctx,
    pub client: Client,
    /// Prefix of the page states this page records, e.g. `owner-de`.
    pub label: String,
    profile: PathBuf,
}

impl<'c> Page<'c> {
    pub async fn open(ctx: &'c Ctx, label: &str) -> Result<Page<'c>> {
        let n = {
            let mut profiles = ctx.profiles.borrow_mut();
            *profiles += 1;
            *profiles
        };
        let profile = ctx.out_dir.join("profiles").join(n.to_string());
        std::fs::create_dir_all(&profile)?;
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={WIDE},{HEIGHT}"));
        // A browser set up in Germany: pages without `?lang=` come in German.
        args.push("--lang=de-DE".into());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": ctx.tools.chromium,
                "args": args,
                "prefs": {"intl.accept_languages": "de-DE,de"},
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            bail!("capabilities");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&ctx.driver_url)
            .await
            .context("opening a Chromium session")?;
        ctx.open.borrow_mut().push(client.clone());
        let page = Page {
            ctx,
            client,
            label: label.to_owned(),
            profile,
        };
        page.resize(WIDE, HEIGHT).await?;
        Ok(page)
    }

    /// Ends the browser (as closing it does) and removes its profile.
    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        let _ = std::fs::remove_dir_all(&self.profile);
        Ok(())
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.ctx.url(path)
        };
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("goto {url}"))?;
        Ok(())
    }

    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => Ok(element),
            Err(e) => bail!("no element {css} on {}: {e}", self.path_or_unknown().await),
        }
    }

    /// A property (`href`, `value`) of the element `css`: a link's target, a field's text.
    pub async fn prop(&self, css: &str, name: &str) -> Result<String> {
        self.find(css)
            .await?
            .prop(name)
            .await?
            .with_context(|| format!("{css} has no {name}"))
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<fantoccini::elements::Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    async fn path_or_unknown(&self) -> String {
        self.path().await.unwrap_or_else(|_| "?".into())
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css)
            .await?
            .click()
            .await
            .with_context(|| format!("click {css}"))?;
        Ok(())
    }

    /// The visible text of an element.
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    pub async fn h1(&self) -> Result<String> {
        self.text("h1").await
    }

    /// Runs a script in the page (WebDriver runs it outside the page's CSP).
    pub async fn script(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, Vec::new()).await?)
    }

    /// Sets the viewport (not the window) to `width` × `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await?;
        let inner = self
            .script("return [window.innerWidth, window.innerHeight]")
            .await?;
        let (iw, ih) = (
            inner[0].as_i64().unwrap_or(width as i64),
            inner[1].as_i64().unwrap_or(height as i64),
        );
        if iw != width as i64 || ih != height as i64 {
            let w = (2 * width as i64 - iw).max(100) as u32;
            let h = (2 * height as i64 - ih).max(100) as u32;
            self.client.set_window_size(w, h).await?;
        }
        Ok(())
    }

    /// Every check of a page state: axe at 1280 and 375 px, horizontal scrolling at 375 px,
    /// screenshots at both widths, and the page's HTML kept for the Nu checker at the end.
    /// Findings are recorded (the suite fails on them at the end); the journey goes on.
    pub async fn check_page_state(&self, name: &str) -> Result<()> {
        let name = format!("{}/{name}", self.label);
        let file_stem: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // The DOM as parsed, with its doctype (WebDriver has no access to the raw response).
        let html = self
            .script(
                "const d = document.doctype; \
                 return (d ? '<!DOCTYPE ' + d.name + '>\\n' : '') + document.documentElement.outerHTML;",
            )
            .await?;
        let html_file = self.ctx.pages_dir.join(format!("{file_stem}.html"));
        std::fs::write(&html_file, html.as_str().unwrap_or_default())?;
        let mut html_files = vec![html_file];
        // The DOM hides what the parser repaired (stray end tags, misnested elements): validate
        // the page as served too, fetched again with the browser's cookies (once per URL).
        if let Some(raw) = self.served_html().await? {
            let raw_file = self.ctx.pages_dir.join(format!("{file_stem}.served.html"));
            std::fs::write(&raw_file, raw)?;
            html_files.push(raw_file);
        }

        let mut axe = [0usize; 4];
        let mut axe_details = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut overflow = None;
        let mut wide_tables = 0;
        for width in [WIDE, NARROW] {
            self.resize(width, HEIGHT).await?;
            if width == WIDE {
                wide_tables = self
                    .script(
                        "return [...document.querySelectorAll('.table-scroll')]\
                           .filter(d => d.scrollWidth > d.clientWidth + 1).length",
                    )
                    .await?
                    .as_u64()
                    .unwrap_or(0) as usize;
            }
            for v in self.axe().await? {
                let id = v["id"].as_str().unwrap_or_default().to_owned();
                if !seen.insert(id.clone()) {
                    continue;
                }
                let impact = v["impact"].as_str().unwrap_or_default();
                let slot = match impact {
                    "critical" => 0,
                    "serious" => 1,
                    "moderate" => 2,
                    _ => 3,
                };
                axe[slot] += 1;
                axe_details.push(format!(
                    "{impact} {id} at {width}px: {} ({})",
                    v["help"].as_str().unwrap_or_default(),
                    v["targets"]
                ));
            }
            if width == NARROW {
                let w = self
                    .script("return [document.documentElement.scrollWidth, window.innerWidth]")
                    .await?;
                let (scroll, inner) = (w[0].as_i64().unwrap_or(0), w[1].as_i64().unwrap_or(0));
                if scroll > inner {
                    overflow = Some(scroll);
                }
            }
            self.screenshot(&file_stem, width).await?;
        }
        self.resize(WIDE, HEIGHT).await?;
        self.ctx.states.borrow_mut().push(StateReport {
            name,
            axe,
            axe_details,
            overflow,
            wide_tables,
            html_files,
            vnu_errors: Vec::new(),
        });
        Ok(())
    }

    /// A download as this browser would make it (with its cookies): status, content type, body.
    pub async fn download(&self, url: &str) -> Result<(u16, String, Vec<u8>)> {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            self.ctx.url(url)
        };
        let cookies = self
            .client
            .get_all_cookies()
            .await?
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut response = self
            .ctx
            .http
            .get(&url)
            .insert_header(("Cookie", cookies))
            .send()
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let body = response
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((response.status().as_u16(), content_type, body.to_vec()))
    }

    /// The current page fetched again over HTTP with the browser's cookies, once per URL. A
    /// state shown in answer to a POST (an error) has no URL of its own: its URL's GET page is
    /// validated in its place when it has the same title, and nothing otherwise.
    async fn served_html(&self) -> Result<Option<String>> {
        let url = self.client.current_url().await?.to_string();
        if !self.ctx.seen_urls.borrow_mut().insert(url.clone()) {
            return Ok(None);
        }
        let title = self.client.title().await?;
        let cookies = self
            .client
            .get_all_cookies()
            .await?
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut response = self
            .ctx
            .http
            .get(&url)
            .insert_header(("Cookie", cookies))
            .send()
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let body = response
            .body()
            .limit(8 * 1024 * 1024)
            .await
            .map_err(|e| anyhow!("GET {url}: {e}"))?;
        let body = String::from_utf8_lossy(&body).into_owned();
        let same_page = response.status().is_success()
            && body.contains(&format!("<title>{}</title>", html_escape(&title)));
        Ok(same_page.then_some(body))
    }

    /// axe-core's violations for the WCAG 2.2 AA tags: [{id, impact, help, targets}].
    async fn axe(&self) -> Result<Vec<Value>> {
        let script = format!(
            "{source}\n;\
             const done = arguments[arguments.length - 1];\
             axe.run(document, {{runOnly: {{type: 'tag', values: {tags}}}, resultTypes: ['violations', 'passes']}})\
               .then(r => done({{passes: r.passes.length, violations: r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,\
                  targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}}))}}))\
               .catch(e => done({{error: String(e)}}));",
            source = self.ctx.tools.axe_source,
            tags = json!(AXE_TAGS),
        );
        let result = self.client.execute_async(&script, Vec::new()).await?;
        if let Some(error) = result.get("error") {
            bail!("axe failed: {error}");
        }
        // A run that checked nothing would pass anything: axe must have run its rules.
        ensure!(
            result["passes"].as_u64().unwrap_or(0) > 0,
            "axe checked nothing: {result}"
        );
        Ok(result["violations"].as_array().cloned().unwrap_or_default())
    }

    /// The whole page at `width`: the window is made as tall as the page for the shot.
    async fn screenshot(&self, stem: &str, width: u32) -> Result<()> {
        let height = self
            .script("return document.documentElement.scrollHeight")
            .await?
            .as_u64()
            .unwrap_or(HEIGHT as u64)
            .clamp(HEIGHT as u64, 8000) as u32;
        self.resize(width, height).await?;
        let png = self.client.screenshot().await?;
        std::fs::write(
            self.ctx.screens_dir.join(format!("{stem}-{width}.png")),
            png,
        )?;
        Ok(())
    }

    // --- keyboard -------------------------------------------------------------------------

    /// Presses keys as a person does: each char (or `fantoccini::key::Key`) down then up.
    pub async fn press(&self, keys: &[char]) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for &k in keys {
            actions = actions
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Shift+Tab.
    pub async fn shift_tab(&self) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        use fantoccini::key::Key;
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Shift.into(),
            })
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Shift.into(),
            });
        self.client.perform_actions(actions).await?;
        Ok(())
    }
}

/// The escaping the templates apply to text (Handlebars' default).
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// Waits until `f` holds, for at most 10 s.
pub async fn eventually<F, Fut>(what: &str, mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if f().await.unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where screenshots (and the owner's PDFs) go: `target/browser-screens/`.
pub fn screens_dir() -> PathBuf {
    Path::new(MANIFEST_DIR).join("target/browser-screens")
}

/// The service's texts (src/web/texts.json), so the tests read what a person reads.
pub fn t(key: &str, lang: &str) -> String {
    static TEXTS: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        serde_json::from_str(include_str!("../../src/web/texts.json")).expect("texts.json")
    });
    texts[key][lang]
        .as_str()
        .unwrap_or_else(|| panic!("no text {key}.{lang}"))
        .to_owned()
}
