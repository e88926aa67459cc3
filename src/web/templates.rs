//! Handlebars templates, embedded in the binary and registered once, in strict mode so that a
//! view struct and its template cannot drift apart silently.
use std::sync::LazyLock;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, Renderable, ScopedJson,
};
use serde::Serialize;
use serde_json::Value;

use crate::survey::Lang;

macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name, ".hbs")))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded_templates![
    "layout",
    "partials/private_link",
    "partials/result_body",
    "partials/breakdown",
    "partials/error_summary",
    "partials/error_summary_one",
    "partials/operator",
    "partials/admin_nav",
    "partials/profile_box",
    "pages/landing",
    "pages/step",
    "pages/paused",
    "pages/review",
    "pages/result",
    "pages/error",
    "pages/login",
    "pages/admin_users",
    "pages/chamber_home",
    "pages/consultant_clients",
    "pages/consultant_client",
    "pages/invitation",
    "pages/delete",
    "pages/chamber_campaign",
    "pages/chamber_dashboard",
    "pages/campaign_landing",
    "pages/password",
    "pages/brand",
    "pages/impressum",
    "pages/datenschutz",
    "pages/admin_confirm",
    "pages/admin_api_keys",
    "pages/admin_held_back",
    "pages/profile",
];

pub const STYLESHEET: &str = include_str!("../../templates/static/app.css");

static REGISTRY: LazyLock<Result<Handlebars<'static>, String>> = LazyLock::new(|| {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(escape_html);
    registry.register_helper("t", Box::new(TextHelper));
    registry.register_helper("include", Box::new(IncludeHelper));
    // The layout in two halves around `<main>`'s content (see `render`).
    let layout = TEMPLATES
        .iter()
        .find(|(name, _)| *name == "layout")
        .map(|(_, source)| *source)
        .ok_or("no layout template")?;
    let (head, tail) = match layout.split(MAIN).collect::<Vec<_>>().as_slice() {
        [head, tail] => (*head, *tail),
        _ => return Err(format!("the layout must hold {MAIN} exactly once")),
    };
    let halves = [(LAYOUT_HEAD, head), (LAYOUT_TAIL, tail)];
    for (name, source) in TEMPLATES.iter().chain(&halves) {
        registry
            .register_template_string(name, *source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(registry)
});

/// Where the layout takes the page's content, and the names of the layout's halves before and
/// after it.
const MAIN: &str = "{{{main}}}";
const LAYOUT_HEAD: &str = "layout/head";
const LAYOUT_TAIL: &str = "layout/tail";

/// The same escaping as handlebars' own `html_escape` (a test compares them), a run of bytes at a
/// time instead of a char at a time into an unsized string: escaping was a tenth of a result
/// page's instructions. The seven characters are ASCII, so no UTF-8 sequence is split.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'&' => "&amp;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            b'=' => "&#x3D;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

/// `{{t "key"}}`: one page text in the page's language (`chrome.lang` of the page data), in the
/// consultant's voice when `chrome.voice` is `"consultant"` (see `i18n::consultant_texts`).
/// Hash arguments fill placeholders: `{{t "key" n=count}}` replaces `{n}` in the text.
/// The page data carries only the language, never a copy of the language's whole text map
/// (issue 17: serialising that map was a third of a result page's template time). A key that
/// does not exist is an error, as a missing field is in strict mode (a test checks every key).
struct TextHelper;

impl HelperDef for TextHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        // The root's page data, also inside partials and `#with`/`#each` blocks.
        let root = rc.context();
        let data = root.as_deref().unwrap_or(ctx).data();
        // `get` rather than `Value::pointer`, which allocates for every step of its path: a
        // result page calls this helper about a hundred times.
        let chrome = data.get("chrome");
        let lang = chrome
            .and_then(|c| c.get("lang"))
            .and_then(Value::as_str)
            .and_then(Lang::parse)
            .ok_or_else(|| {
                RenderErrorReason::Other("t: the page data has no chrome.lang".to_owned())
            })?;
        let consultant =
            chrome.and_then(|c| c.get("voice")).and_then(Value::as_str) == Some("consultant");
        let texts = if consultant {
            super::i18n::consultant_texts(lang)
        } else {
            super::i18n::texts(lang)
        };
        let text = texts
            .get(key)
            .ok_or_else(|| RenderErrorReason::Other(format!("t: no text \"{key}\"")))?;
        if h.hash().is_empty() {
            return Ok(ScopedJson::Derived(Value::String(text.clone())));
        }
        let mut text = text.clone();
        for (name, value) in h.hash() {
            let value = match value.value() {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text = text.replace(&format!("{{{name}}}"), &value);
        }
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{include "partials/name"}}`: another template, rendered in place on the current data, as a
/// partial without arguments (`{{> partials/name}}`) would be, but without the deep copy of that
/// data which handlebars makes for every partial (issue 17: the result page's body is such a
/// partial, and its data holds the four chart SVGs). Paths, `../`, `@root` and escaping behave as
/// in the including template, which is what a partial without arguments sees as well.
struct IncludeHelper;

impl HelperDef for IncludeHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("include", 0))?;
        let template = registry
            .get_template(name)
            .ok_or_else(|| RenderErrorReason::PartialNotFound(name.to_owned()))?;
        if rc.is_current_template(name) {
            return Err(RenderErrorReason::CannotIncludeSelf.into());
        }
        let including = rc.get_current_template_name();
        let result = template.render(registry, ctx, rc, out);
        rc.set_current_template_name(including);
        result
    }
}

/// Compiles every template; called at start so a broken template stops the service at once.
pub fn check() -> Result<(), String> {
    REGISTRY.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// Renders a page: its template gives `<main>`'s content, which `layout` then wraps.
///
/// In two steps rather than as a `{{#> layout}}` partial block: a partial (with or without a
/// block) renders on a deep copy of the whole page data (handlebars' `merge_json`), and inside
/// it every value looked up is copied again, where the page's own template only borrows them;
/// a result page's data holds four chart SVGs and every text of the result (issue 17: the
/// copies were a third of a result page's instructions). The layout needs only `chrome`; its
/// halves are rendered on their own and the content is put between them, so that the content
/// (some 66 KB on a result page) is not copied through a template value once more.
pub fn render<T: Serialize>(name: &str, view: &T) -> Result<String, String> {
    let registry = REGISTRY.as_ref().map_err(Clone::clone)?;
    let data = Context::wraps(view).map_err(|e| e.to_string())?;
    let main = registry
        .render_with_context(name, &data)
        .map_err(|e| e.to_string())?;
    let chrome = data
        .data()
        .get("chrome")
        .ok_or_else(|| format!("{name}: the page data has no chrome"))?;
    let shell = Context::wraps(Shell { chrome }).map_err(|e| e.to_string())?;
    let half = |half| {
        registry
            .render_with_context(half, &shell)
            .map_err(|e| e.to_string())
    };
    let mut page = half(LAYOUT_HEAD)?;
    let tail = half(LAYOUT_TAIL)?;
    page.reserve(main.len() + tail.len());
    page.push_str(&main);
    page.push_str(&tail);
    Ok(page)
}

/// What the layout renders: the page's chrome (title, language, account).
#[derive(Serialize)]
struct Shell<'a> {
    chrome: &'a Value,
}

#[cfg(test)]
mod tests {
    use super::TEMPLATES;

    /// The keys of every `t "key"` helper call in a template (`{{t "key"}}`, `(t "key")`).
    fn helper_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for (at, _) in source.match_indices("t \"") {
            let before = source[..at].trim_end().chars().next_back();
            if !matches!(before, Some('{' | '(')) {
                continue;
            }
            let rest = &source[at + 3..];
            if let Some(end) = rest.find('"') {
                keys.push(rest[..end].to_owned());
            }
        }
        keys
    }

    /// Uses of the old form, where the page data carried the whole text map
    /// (`chrome.t.key`, `@root.chrome.t.key`, a partial's `t=chrome.t` and its `t.key`).
    fn old_form(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in source.match_indices("t.") {
            let before = source[..at].chars().next_back();
            let path = before.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
            let rest = &source[at + 2..];
            let next = rest.chars().next();
            if path && next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                // Only inside a mustache: `t.` in running text is not a path.
                let open = source[..at].rfind("{{");
                let close = source[..at].rfind("}}");
                if open.is_some() && open > close {
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    found.push(format!("t.{}", &rest[..end]));
                }
            }
        }
        for marker in ["=chrome.t ", "=chrome.t}", "=@root.chrome.t "] {
            if source.contains(marker) {
                found.push(marker.trim().to_owned());
            }
        }
        found
    }

    /// Every text a template asks for (`{{t "key"}}`, `(t "key")`) exists: the helper would
    /// otherwise fail only on the page that uses it.
    #[test]
    fn every_text_a_template_uses_exists() {
        let texts = super::super::i18n::texts(crate::survey::Lang::De);
        let mut missing = Vec::new();
        let mut used = 0;
        for (name, source) in TEMPLATES {
            for key in helper_keys(source) {
                used += 1;
                if !texts.contains_key(&key) {
                    missing.push(format!("{name}: {key}"));
                }
            }
        }
        assert!(used >= 300, "text keys found in templates: {used}");
        assert!(
            missing.is_empty(),
            "texts missing from texts.json: {missing:?}"
        );
    }

    /// No template uses the old form (a copy of the whole text map in every page's data):
    /// `scripts/templates_t_helper.sh` rewrites one mechanically.
    #[test]
    fn no_template_uses_the_old_text_map() {
        let old: Vec<String> = TEMPLATES
            .iter()
            .flat_map(|(name, source)| {
                old_form(source)
                    .into_iter()
                    .map(move |o| format!("{name}: {o}"))
            })
            .collect();
        assert!(
            old.is_empty(),
            "templates still use the old text form (run scripts/templates_t_helper.sh): {old:?}"
        );
    }

    proptest::proptest! {
        /// Our escaping is handlebars' own, on any text (the seven escaped characters are
        /// mixed in often, and multi-byte characters next to them).
        #[test]
        fn escaping_is_handlebars_own(s in "([<>\"&'`=a ]|ä|€|😀|\\PC){0,40}") {
            proptest::prop_assert_eq!(super::escape_html(&s), handlebars::html_escape(&s));
        }
    }

    /// Pages rendered in two steps are byte for byte what the `{{#> layout}}` partial block
    /// gave before (the page templates wrapped in it, the layout taking `@partial-block`).
    #[test]
    fn pages_are_what_the_layout_partial_block_gave() {
        use crate::present::pages::{ErrorPage, LandingPage};
        use crate::survey::{Lang, Text};
        let mut old = handlebars::Handlebars::new();
        old.set_strict_mode(true);
        old.register_escape_fn(super::escape_html);
        old.register_helper("t", Box::new(super::TextHelper));
        old.register_helper("include", Box::new(super::IncludeHelper));
        for (name, source) in TEMPLATES {
            let source = match *name {
                "layout" => source.replace(super::MAIN, "{{> @partial-block}}\n"),
                n if n.starts_with("pages/") => {
                    format!("{{{{#> layout}}}}\n{source}{{{{/layout}}}}\n")
                }
                _ => (*source).to_owned(),
            };
            old.register_template_string(name, source)
                .expect("the old form compiles");
        }
        let check = |name: &str, view: &dyn erased::View| {
            let data = view.json();
            let before = old.render(name, &data).expect("old form renders");
            let now = super::render(name, &data).expect("renders");
            assert_eq!(now, before, "{name}");
            assert!(now.contains("<main id=\"main\""), "{name}");
        };
        for lang in [Lang::De, Lang::En] {
            let catalogue = crate::survey::served();
            check("pages/landing", &LandingPage::new(catalogue, lang, false));
            check("pages/landing", &LandingPage::new(catalogue, lang, true));
            let message = Text {
                de: "<Fehler> & \"mehr\"".into(),
                en: "<error> & 'more'".into(),
            };
            check("pages/error", &ErrorPage::new(lang, 404, &message, &[]));
        }
    }

    /// Serialises any page view to its template data.
    mod erased {
        pub trait View {
            fn json(&self) -> serde_json::Value;
        }
        impl<T: serde::Serialize> View for T {
            fn json(&self) -> serde_json::Value {
                serde_json::to_value(self).expect("a view serialises")
            }
        }
    }

    /// `{{include}}` renders what a partial without arguments renders, at the top, inside
    /// `#with` and inside `#each` with `../` paths, escaping included.
    #[test]
    fn include_renders_what_a_partial_renders() {
        let mut registry = handlebars::Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_helper("t", Box::new(super::TextHelper));
        registry.register_helper("include", Box::new(super::IncludeHelper));
        let part = "<p>{{name}}</p>{{#each rows}}<i>{{this}}/{{../name}}</i>{{/each}}{{#if flag}}!{{/if}}\n";
        registry
            .register_template_string("part", part)
            .expect("compiles");
        let data = serde_json::json!({
            "chrome": {"lang": "de"}, "name": "<a & b>", "rows": [1, 2], "flag": true,
            "inner": {"name": "\"x\"", "rows": ["<y>"], "flag": false}
        });
        let partial = r#"{{> part}}|{{#with inner}}{{> part}}{{/with}}"#;
        let include = r#"{{include "part"}}|{{#with inner}}{{include "part"}}{{/with}}"#;
        let expected = registry.render_template(partial, &data).expect("partial");
        assert!(
            expected.contains("&lt;a &amp; b&gt;") && expected.contains("&lt;y&gt;/&quot;x&quot;")
        );
        assert_eq!(
            registry.render_template(include, &data).ok(),
            Some(expected)
        );
        assert!(
            registry
                .render_template(r#"{{include "nothing"}}"#, &data)
                .is_err()
        );
    }

    #[test]
    fn the_scanners_find_both_forms() {
        let source = r#"{{t "a"}} x=(t "b") {{ t "c" }} <p>at "d"</p> {{chrome.title}}"#;
        assert_eq!(helper_keys(source), ["a", "b", "c"]);
        assert!(old_form(source).is_empty());
        let old = r#"{{chrome.t.a}} {{@root.chrome.t.b}} {{t.c}} {{> p t=chrome.t x=1}} z. t.d"#;
        assert_eq!(old_form(old), ["t.a", "t.b", "t.c", "=chrome.t"]);
    }

    fn render_inline(template: &str, data: &serde_json::Value) -> Result<String, String> {
        let mut registry = handlebars::Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_helper("t", Box::new(super::TextHelper));
        registry
            .register_template_string("part", r#"<i>{{t "app_name"}}</i>"#)
            .map_err(|e| e.to_string())?;
        registry
            .render_template(template, data)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_text_helper_speaks_the_pages_language() {
        use crate::survey::Lang;
        let de = serde_json::json!({"chrome": {"lang": "de"}, "inner": {"x": 1}, "n": 7});
        let en = serde_json::json!({"chrome": {"lang": "en"}, "inner": {"x": 1}, "n": 7});
        let app = |lang| super::super::i18n::text(lang, "app_name");
        // Plain, as a subexpression, inside a block and a partial with a hash of its own.
        let template = r#"{{t "app_name"}}|{{#if (t "app_name")}}y{{/if}}|{{#with inner}}{{t "app_name"}}{{/with}}|{{> part x=1}}"#;
        let expect = |lang| format!("{0}|y|{0}|<i>{0}</i>", app(lang));
        assert_eq!(render_inline(template, &de), Ok(expect(Lang::De)));
        assert_eq!(render_inline(template, &en), Ok(expect(Lang::En)));
        assert_ne!(
            app(Lang::De),
            app(Lang::En),
            "the test needs a text that differs"
        );
        // A missing key and a page without a language are errors, as in strict mode.
        assert!(render_inline(r#"{{t "no_such_key_anywhere"}}"#, &de).is_err());
        assert!(render_inline(r#"{{t "app_name"}}"#, &serde_json::json!({})).is_err());
    }

    #[test]
    fn the_text_helper_fills_placeholders_and_escapes() {
        use crate::survey::Lang;
        // Any text with a placeholder `{…}` in it.
        let (key, text) = super::super::i18n::texts(Lang::En)
            .iter()
            .find_map(|(k, v)| {
                let start = v.find('{')?;
                let end = v[start..].find('}')? + start;
                let name = &v[start + 1..end];
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    .then(|| (k.clone(), (v.clone(), name.to_owned())))
            })
            .expect("some text has a placeholder");
        let (text, name) = text;
        let data = serde_json::json!({"chrome": {"lang": "en"}, "v": "<b>&"});
        let out = render_inline(&format!(r#"{{{{t "{key}" {name}=v}}}}"#), &data);
        // Filled first, then escaped as a whole, like any other value.
        let filled = text.replace(&format!("{{{name}}}"), "<b>&");
        assert_eq!(out, Ok(handlebars::html_escape(&filled)));
        assert!(!filled.contains(&format!("{{{name}}}")));
    }

    #[test]
    fn the_consultant_voice_uses_its_own_texts() {
        use crate::survey::Lang;
        let (owner_key, voiced) = super::super::i18n::consultant_texts(Lang::De)
            .iter()
            .find_map(|(k, v)| {
                let owner = k.strip_prefix("consultant_voice_")?;
                Some((owner.to_owned(), v.clone()))
            })
            .expect("some text has a consultant voice");
        let template = format!(r#"{{{{t "{owner_key}"}}}}"#);
        let consultant = serde_json::json!({"chrome": {"lang": "de", "voice": "consultant"}});
        let owner = serde_json::json!({"chrome": {"lang": "de", "voice": null}});
        let escaped = |s: &str| handlebars::html_escape(s);
        assert_eq!(render_inline(&template, &consultant), Ok(escaped(&voiced)));
        assert_eq!(
            render_inline(&template, &owner),
            Ok(escaped(&super::super::i18n::text(Lang::De, &owner_key)))
        );
    }
}
