//! The schema migrations, embedded in the binary and built into a `Migrator` at run time.
//!
//! `sqlx::migrate!` would do the same at compile time, but its proc-macro builds a second,
//! host-side copy of sqlx and of the bundled SQLite. `Migration::new` computes the same SHA-384
//! checksum of the same text, so databases migrated by the macro keep valid `_sqlx_migrations`
//! rows (a test compares against the folders read by sqlx itself).
use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// One migration file: its version, its description (the file name's rest, `_` read as a space,
/// as sqlx derives it) and its SQL for each backend.
struct Embedded {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! embedded {
    ($version:literal, $description:literal, $file:literal) => {
        Embedded {
            version: $version,
            description: $description,
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/sqlite/",
                $file
            )),
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/postgres/",
                $file
            )),
        }
    };
}

/// Every file of `migrations/{sqlite,postgres}`, oldest first. A new migration is added here too;
/// the test `embedded_migrations_match_the_folders` fails until it is.
const MIGRATIONS: &[Embedded] = &[
    embedded!(20261122000001, "responses", "20261122000001_responses.sql"),
    embedded!(
        20261122000002,
        "benchmarks",
        "20261122000002_benchmarks.sql"
    ),
    embedded!(
        20261122000003,
        "cohort locks",
        "20261122000003_cohort_locks.sql"
    ),
    embedded!(20261122000004, "accounts", "20261122000004_accounts.sql"),
    embedded!(20261122000005, "campaigns", "20261122000005_campaigns.sql"),
    embedded!(
        20261127160000,
        "service checks",
        "20261127160000_service_checks.sql"
    ),
    embedded!(
        20261127170000,
        "password change",
        "20261127170000_password_change.sql"
    ),
    embedded!(
        20261127180100,
        "catalogue versions",
        "20261127180100_catalogue_versions.sql"
    ),
    embedded!(20261127180400, "profiles", "20261127180400_profiles.sql"),
    embedded!(
        20261127180600,
        "api keys and screening",
        "20261127180600_api_keys_and_screening.sql"
    ),
    embedded!(
        20261127180700,
        "campaign counted index",
        "20261127180700_campaign_counted_index.sql"
    ),
    embedded!(
        20261128110000,
        "cohort journal",
        "20261128110000_cohort_journal.sql"
    ),
    embedded!(20261128120001, "brands", "20261128120001_brands.sql"),
    embedded!(
        20261129100000,
        "publication epochs",
        "20261129100000_publication_epochs.sql"
    ),
    embedded!(
        20261129200000,
        "binary cohort cells",
        "20261129200000_binary_cohort_cells.sql"
    ),
    embedded!(
        20261130100000,
        "binary campaign publications",
        "20261130100000_binary_campaign_publications.sql"
    ),
    embedded!(
        20261201100000,
        "dashboard history",
        "20261201100000_dashboard_history.sql"
    ),
    embedded!(
        20261201300000,
        "campaign removals",
        "20261201300000_campaign_removals.sql"
    ),
    embedded!(
        20261202100000,
        "answers in the response row",
        "20261202100000_answers_in_the_response_row.sql"
    ),
    embedded!(
        20261202350000,
        "dashboard history versions",
        "20261202350000_dashboard_history_versions.sql"
    ),
    embedded!(
        20261212100000,
        "fewer response indexes",
        "20261212100000_fewer_response_indexes.sql"
    ),
    embedded!(
        20261214100000,
        "drop cohort locks",
        "20261214100000_drop_cohort_locks.sql"
    ),
    embedded!(
        20261215171700,
        "start dashboard kept work",
        "20261215171700_start_dashboard_kept_work.sql"
    ),
    embedded!(
        20261215200100,
        "prev dashboard kept views",
        "20261215200100_prev_dashboard_kept_views.sql"
    ),
];

/// The migrator of one backend, equal to what `sqlx::migrate!("./migrations/<backend>")` built.
pub(super) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|m| {
            let sql = match backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            Migration::new(
                m.version,
                Cow::Borrowed(m.description),
                MigrationType::Simple,
                sql.into_sql_str(),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn folder(backend: Backend) -> std::path::PathBuf {
        let name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(name)
    }

    /// Version, description, checksum and transaction mode of every migration, as sqlx reads the
    /// folder itself (the same reading `migrate!` does at compile time).
    #[tokio::test]
    async fn embedded_migrations_match_the_folders() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let from_folder = Migrator::new(folder(backend).as_path())
                .await
                .expect("migrations folder");
            let embedded = migrator(backend);
            let summary = |m: &Migrator| -> Vec<(i64, String, Vec<u8>, bool, MigrationType)> {
                m.iter()
                    .map(|m| {
                        (
                            m.version,
                            m.description.to_string(),
                            m.checksum.to_vec(),
                            m.no_tx,
                            m.migration_type,
                        )
                    })
                    .collect()
            };
            assert_eq!(
                summary(&embedded),
                summary(&from_folder),
                "{backend:?}: the embedded migrations differ from the folder"
            );
            assert_eq!(embedded.locking, from_folder.locking);
            assert_eq!(embedded.no_tx, from_folder.no_tx);
            assert_eq!(embedded.table_name, from_folder.table_name);
        }
    }

    /// The checksums in `_sqlx_migrations` of a SQLite and a PostgreSQL database migrated by the
    /// `sqlx::migrate!` build (commit 827991d, `social-readiness migrate`): existing databases
    /// must find their rows valid. They also forbid editing an applied migration.
    #[test]
    fn checksums_match_databases_migrated_by_the_macro() {
        const SQLITE: [&str; 5] = [
            "347ead1d586788b431eb886ba1fe0ce1f0f83332d5dfb54e45945008504f40c918b2b0a48e8c7c8992e2470f66205b2a",
            "3e84e8bae97c5ba11aedeac55821f90c8fc1b6045c51a8a3f2fc0c6c9d571ab10d6b24dde4e6100468061e42888c7db9",
            "5ea459f627b91523593ebabc521206a6642ba8bf478a039b5d19ee6246e06d76e5f821dd4d1a17af3c572307a0a455db",
            "1597eaa361042472fe37f41b59f1dbebed971f904702f84d065fccfd22746562073834bb9746cc804c99e6709c9fa4aa",
            "eb4baf2bc4ced10fec07661eaed15b2b5ea34535ac825f563ee98f95f79c94a9cb3719728408959aae1f8906b9776ca0",
        ];
        const POSTGRES: [&str; 5] = [
            "1ce3e6888222db2598d91f9c13419a03116291417f3bedf181ca2296a165b0b9d36bedd4d2f4e5ae84c91af4e78f5d06",
            "3e84e8bae97c5ba11aedeac55821f90c8fc1b6045c51a8a3f2fc0c6c9d571ab10d6b24dde4e6100468061e42888c7db9",
            "5ea459f627b91523593ebabc521206a6642ba8bf478a039b5d19ee6246e06d76e5f821dd4d1a17af3c572307a0a455db",
            "e0f5c5ff315972cdb8cfee13080c86245670bff19e52669bc1e85c455dadf06ffb58273dfd24e43555f7f24479822849",
            "449fc04cfa369c1fed9bd48da7999158d9191106992fbd5802c14bebb209f314f348b697b9068419c310e054f50c6db2",
        ];
        for (backend, recorded) in [(Backend::Sqlite, SQLITE), (Backend::Postgres, POSTGRES)] {
            let hex: Vec<String> = migrator(backend)
                .iter()
                .map(|m| m.checksum.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            // Later migrations were never applied by the macro build.
            assert_eq!(hex[..recorded.len()], recorded, "{backend:?}");
        }
    }

    /// The two folders say the same thing: line by line, the only allowed differences are
    /// PostgreSQL's identity columns for SQLite's `INTEGER PRIMARY KEY`, and `BIGINT` where
    /// SQLite says `INTEGER` (64-bit there), and `BYTEA` where SQLite says `BLOB`; column
    /// alignment may differ with them.
    #[test]
    fn the_two_backends_differ_only_in_identity_integer_and_binary_spellings() {
        fn tokens(line: &str) -> Vec<String> {
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            line.replace(" ,", ",")
                .replace(",", " ,")
                .split(' ')
                .map(str::to_owned)
                .collect()
        }
        let mut differing = 0;
        for m in MIGRATIONS {
            let sqlite: Vec<&str> = m.sqlite.lines().collect();
            let postgres: Vec<&str> = m.postgres.lines().collect();
            assert_eq!(sqlite.len(), postgres.len(), "{}: line count", m.version);
            for (n, (s, p)) in sqlite.iter().zip(&postgres).enumerate() {
                if s == p {
                    continue;
                }
                differing += 1;
                let p = p.split_whitespace().collect::<Vec<_>>().join(" ").replace(
                    "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                    "INTEGER PRIMARY KEY",
                );
                let (s, p) = (tokens(s), tokens(&p));
                let same = s.len() == p.len()
                    && s.iter().zip(&p).all(|(s, p)| {
                        s == p || (s == "INTEGER" && p == "BIGINT") || (s == "BLOB" && p == "BYTEA")
                    });
                assert!(
                    same,
                    "{} line {}: the backends differ beyond integer spellings:\n{s:?}\n{p:?}",
                    m.version,
                    n + 1
                );
            }
        }
        // The folders do differ in those spellings (8 lines today): the comparison is not vacuous.
        assert!(differing >= 8, "differing lines: {differing}");
    }

    /// Every `.sql` file in either folder is embedded (a file added to one folder only fails).
    #[test]
    fn every_file_in_the_folders_is_embedded() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut files: Vec<String> = std::fs::read_dir(folder(backend))
                .expect("folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            let versions: Vec<String> = MIGRATIONS
                .iter()
                .map(|m| format!("{}_", m.version))
                .collect();
            assert_eq!(files.len(), versions.len(), "{backend:?}");
            for (f, v) in files.iter().zip(&versions) {
                assert!(f.starts_with(v), "{backend:?}: {f} is not embedded");
            }
        }
    }
}
