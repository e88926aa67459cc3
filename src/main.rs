use std::process::ExitCode;

use clap::Parser;
use social_readiness::cli::{Cli, Command};
use social_readiness::config::Settings;
use social_readiness::db::Store;
use social_readiness::startup::Application;
use social_readiness::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
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
        Command::SeedDemo { firms, seed } => seed_demo(&settings, firms, seed).await,
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

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    println!("database is up to date");
    store.close().await;
    Ok(())
}

async fn seed_demo(settings: &Settings, firms: usize, seed: u64) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let catalogue = social_readiness::survey::check_current().map_err(anyhow::Error::msg)?;
    let report = social_readiness::demo::seed(
        &store,
        catalogue,
        &settings.disclosure_policy()?,
        firms,
        seed,
    )
    .await?;
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
    let model = social_readiness::web::report::model_for(&responses, &response, lang, date)
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
