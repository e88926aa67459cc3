//! Handlebars templates, embedded in the binary and registered once, in strict mode so that a
//! view struct and its template cannot drift apart silently.
use std::sync::LazyLock;

use handlebars::Handlebars;
use serde::Serialize;

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
    for (name, source) in TEMPLATES {
        registry
            .register_template_string(name, *source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(registry)
});

/// Compiles every template; called at start so a broken template stops the service at once.
pub fn check() -> Result<(), String> {
    REGISTRY.as_ref().map(|_| ()).map_err(Clone::clone)
}

pub fn render<T: Serialize>(name: &str, view: &T) -> Result<String, String> {
    let registry = REGISTRY.as_ref().map_err(Clone::clone)?;
    registry.render(name, view).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::TEMPLATES;

    /// Every text a template asks for (`chrome.t.key`, `@root.chrome.t.key`, `t.key` in
    /// partials) exists: strict mode would otherwise fail only on the page that uses it.
    #[test]
    fn every_text_a_template_uses_exists() {
        let texts = super::super::i18n::texts(crate::survey::Lang::De);
        let mut missing = Vec::new();
        for (name, source) in TEMPLATES {
            for marker in ["chrome.t.", "{{t.", " t."] {
                for rest in source.split(marker).skip(1) {
                    let key: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !key.is_empty() && !texts.contains_key(&key) {
                        missing.push(format!("{name}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "texts missing from texts.json: {missing:?}"
        );
    }
}
