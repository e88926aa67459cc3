use std::process::ExitCode;

use clap::Parser;
use social_readiness::accounts::Role;
use social_readiness::auth::{Auth, AuthError};
use social_readiness::cli::{ApiKeyCommand, Cli, Command, UserCommand};
use social_readiness::config::Settings;
use social_readiness::db::Store;
use social_readiness::startup::Application;
use social_readiness::telemetry;

fn main() -> ExitCode {
    // Before the runtime starts its threads (see the module's note).
    social_readiness::memory::limit_arenas();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: no async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(settings.log_json);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    password_stdin,
                },
        } => add_user(&settings, &role, &email, password_stdin).await,
        Command::ApiKey { command } => api_key(&settings, command).await,
        Command::SeedDemo {
            firms,
            seed,
            campaign,
        } => seed_demo(&settings, firms, seed, campaign).await,
        Command::Report {
            token,
            out,
            lang,
            date,
        } => report(&settings, &token, &out, lang.as_deref(), date.as_deref()).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(url = app.url(), "listening");
    println!(
        "social-readiness is running: open {}/ in your browser",
        app.url()
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn api_key(settings: &Settings, command: ApiKeyCommand) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let keys = social_readiness::api_keys::ApiKeys::new(store.clone());
    let outcome = match command {
        ApiKeyCommand::Add { name, rate } => match keys.issue(&name, &rate).await {
            Ok(issued) => {
                println!("{}", issued.key);
                eprintln!(
                    "issued API key {} … for {name:?} ({rate}); it is shown only now",
                    issued.prefix
                );
                Ok(())
            }
            Err(social_readiness::responses::ServiceError::Invalid(errors)) => {
                Err(anyhow::anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(|e| e.message.en.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ))
            }
            Err(e) => Err(e.into()),
        },
        ApiKeyCommand::Revoke { prefix } => {
            // The whole key names its prefix too.
            let prefix: String = prefix
                .trim()
                .chars()
                .take(social_readiness::api_keys::SHOWN_CHARS)
                .collect();
            match keys
                .revoke(social_readiness::db::ApiKeyRef::Prefix(&prefix))
                .await
            {
                Ok(()) => {
                    println!("revoked API key {prefix} …");
                    Ok(())
                }
                Err(social_readiness::responses::ServiceError::NotFound) => {
                    Err(anyhow::anyhow!("no active API key starts with {prefix:?}"))
                }
                Err(e) => Err(e.into()),
            }
        }
    };
    store.close().await;
    outcome
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    println!("database is up to date");
    store.close().await;
    Ok(())
}

async fn add_user(
    settings: &Settings,
    role: &str,
    email: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| {
        anyhow::anyhow!("unknown role {role:?}: use admin, consultant or chamber")
    })?;
    let password = if password_stdin {
        read_line_from_stdin()?
    } else {
        prompt_password("Password: ")?
    };
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let outcome = Auth::new(store.clone())
        .create_user(email, role, &password)
        .await;
    store.close().await;
    match outcome {
        Ok(_) => {
            println!(
                "created {} account {}",
                role.as_str(),
                email.trim().to_lowercase()
            );
            Ok(())
        }
        Err(AuthError::Invalid { message, .. }) => Err(anyhow::anyhow!(message.en)),
        Err(e) => Err(e.into()),
    }
}

fn read_line_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Asks for a password at the terminal without echoing it (`stty -echo`; no extra crate).
fn prompt_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::{IsTerminal, Write};
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let terminal = std::io::stdin().is_terminal();
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
    };
    if terminal {
        stty("-echo")?;
    }
    let line = read_line_from_stdin();
    if terminal {
        stty("echo")?;
        eprintln!();
    }
    line
}

async fn seed_demo(
    settings: &Settings,
    firms: usize,
    seed: u64,
    campaign: Option<i64>,
) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let catalogue = social_readiness::survey::check_current().map_err(anyhow::Error::msg)?;
    let policy = settings.disclosure_policy()?;
    let report = match campaign {
        None => social_readiness::demo::seed(&store, catalogue, &policy, firms, seed).await?,
        Some(id) => {
            social_readiness::demo::seed_campaign(&store, catalogue, &policy, id, firms, seed)
                .await?
        }
    };
    println!(
        "loaded {} demo responses into {} cohorts in {:.1} s; they count in statistics where INCLUDE_DEMO_DATA=true",
        report.firms, report.cohorts, report.seconds
    );
    store.close().await;
    Ok(())
}

async fn report(
    settings: &Settings,
    token: &str,
    out: &std::path::Path,
    lang: Option<&str>,
    date: Option<&str>,
) -> anyhow::Result<()> {
    use social_readiness::survey::Lang;
    let token = social_readiness::token::ResponseToken::parse(token.trim_start_matches("/s/"))
        .ok_or_else(|| anyhow::anyhow!("that is not a response token"))?;
    let lang = match lang {
        None => None,
        Some(code) => {
            Some(Lang::parse(code).ok_or_else(|| anyhow::anyhow!("--lang must be de or en"))?)
        }
    };
    let date = match date {
        None => None,
        Some(d) => Some(parse_date(d).ok_or_else(|| anyhow::anyhow!("--date must be YYYY-MM-DD"))?),
    };
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let catalogue = social_readiness::survey::check_current().map_err(anyhow::Error::msg)?;
    let statistics = social_readiness::statistics::Statistics::new(
        store.clone(),
        settings.disclosure_policy()?,
        settings.include_demo_data,
        catalogue.dimensions.len(),
    );
    let responses =
        social_readiness::responses::Responses::new(store.clone(), catalogue, statistics);
    let response = responses
        .load(&token)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let lang = lang.unwrap_or(response.lang());
    let model = social_readiness::present::report::model_for(&responses, &response, lang, date)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = social_readiness::report::render_pdf(&model)?;
    // Write beside the target and rename, so a failure never leaves a half-written report.
    let partial = out.with_extension("pdf.partial");
    std::fs::write(&partial, &bytes)?;
    std::fs::rename(&partial, out)?;
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    store.close().await;
    Ok(())
}

fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let mut parts = s.split('-');
    let year = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day) && parts.next().is_none())
        .then_some((year, month, day))
}
