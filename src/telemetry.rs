//! Structured logs with `tracing`: human-readable by default, JSON with `LOG_FORMAT=json`.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    // Colour codes only for a person at a terminal: in a file, journald or a CI log they are
    // noise ("\x1b[32m INFO\x1b[0m"). The fmt layer writes to stdout, so that is the stream asked.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi_wanted(std::io::stdout().is_terminal()));
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Colour when writing to a terminal, unless `NO_COLOR` is set (https://no-color.org).
fn ansi_wanted(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_colour_when_not_a_terminal() {
        assert!(!super::ansi_wanted(false));
    }
}
