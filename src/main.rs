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
