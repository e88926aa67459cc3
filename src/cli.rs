//! The command line: `serve` (the default), `migrate`, `user add`, `api-key add|revoke`,
//! `report`, `seed-demo`.
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "social-readiness",
    version,
    about = "Social media readiness check for small firms"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (the default). Settings come from HOST, PORT, DATABASE_URL, BASE_URL.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Write the PDF report of a submitted response.
    Report {
        /// The response's private token (the last part of its private link).
        #[arg(long)]
        token: String,
        /// Where to write the PDF.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Language of the report (default: the response's language).
        #[arg(long)]
        lang: Option<String>,
        /// Creation date in the PDF (YYYY-MM-DD; default: the date of the assessment), so that
        /// the same response and benchmark always give the same bytes.
        #[arg(long)]
        date: Option<String>,
    },
    /// Manage accounts (admins create consultants and chambers in the web UI as well).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Issue or revoke API keys for integrations (admins do the same at /admin/api-keys).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Load synthetic demo responses; they count in statistics only with INCLUDE_DEMO_DATA=true.
    SeedDemo {
        /// How many firms to generate.
        #[arg(long)]
        firms: usize,
        /// Seed of the random generator, for reproducible demo data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Let the firms take part in this campaign (its id, as in /chamber/campaigns/ID),
        /// spread over its months and counted in its dashboard.
        #[arg(long)]
        campaign: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked for at a prompt, or read from standard input
    /// with --password-stdin; never given as an argument (it would end up in shell histories
    /// and process lists).
    Add {
        /// admin, consultant or chamber.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Issue a key and print it once (only its SHA-256 is stored).
    Add {
        /// Who uses it, e.g. the integration's name.
        #[arg(long)]
        name: String,
        /// Its own limit on `POST /api/v1/responses`, e.g. 600/hour.
        #[arg(long, default_value = "600/hour")]
        rate: String,
    },
    /// Revoke a key by the first characters shown when it was issued (or its full text).
    Revoke {
        /// The key's prefix as lists show it (`srk_` and 8 characters), or the whole key.
        #[arg(long)]
        prefix: String,
    },
}
