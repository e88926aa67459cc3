//! The dashboard's history across app instances (issue 14, task race14): several instances on
//! one database record one chain of audited sets, so every figure any of them serves lies in a
//! span audited as one (see the `dashboard` notes, "Across instances").
use social_readiness::accounts::Role;
use social_readiness::benchmark::DisclosurePolicy;
use sqlx::{Connection, Row};

use crate::chambers::{
    CHAMBER_DAY_MS, add_first_wave_firm, create_campaign, first_wave_campaigns, seed_firms,
};
use crate::helpers::{Backend, TestApp, spawn_app_at};
use crate::on_both_databases_at;

const HISTORY_ON: [(&str, &str); 1] = [("DASHBOARD_AUDIT_HISTORY", "true")];

/// The chamber of a campaign, as stored.
async fn chamber_of(app: &TestApp, campaign: i64) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("a connection of the test's own");
    let id = sqlx::query("SELECT chamber_id FROM campaigns WHERE id = $1")
        .bind(campaign)
        .fetch_one(&mut conn)
        .await
        .expect("the campaign")
        .try_get::<i64, _>(0)
        .expect("chamber id");
    conn.close().await.expect("close");
    id
}

/// The chamber's recorded sets as (epoch of the state, history version its audit knew).
async fn batches(app: &TestApp, chamber: i64) -> Vec<(i64, Option<i64>)> {
    let mut conn = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("a connection of the test's own");
    let rows = sqlx::query(
        "SELECT epoch, known_version FROM dashboard_history WHERE chamber_id = $1
         ORDER BY epoch, known_version",
    )
    .bind(chamber)
    .fetch_all(&mut conn)
    .await
    .expect("read the history");
    conn.close().await.expect("close");
    let mut batches: Vec<(i64, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get(0).expect("epoch"),
                r.try_get(1).expect("known version"),
            )
        })
        .collect();
    batches.dedup();
    batches
}

/// The record is a compare-and-set on the chamber's history version: a record whose audit read
/// the history before another instance recorded is refused (nothing written), and accepted once
/// audited again on the new version; each accepted batch names the version it knew. A record by
/// an audit that did not know the history (the flag off) is not checked, and bumps the version
/// all the same (an instance with the flag on then audits again knowing it).
async fn a_record_on_a_history_read_before_another_record_is_refused(app: TestApp) {
    app.create_user(Role::Chamber, "ihk-cas@example.de").await;
    let chamber = app.login("ihk-cas@example.de").await;
    let (campaign, _) = create_campaign(&chamber, "CAS").await;
    let id = chamber_of(&app, campaign).await;
    let store = &app.store;
    let sets = |key: &str| vec![(key.to_owned(), format!("[[\"{campaign}\",1,1]]"))];

    let (read, history) = store.dashboard_history(id).await.expect("read");
    assert_eq!((read, history.len()), (0, 0), "nothing recorded yet");
    // Two audits read version 0; the first records, the second must audit again.
    assert!(
        store
            .record_dashboard_history(id, Some(0), 1, &sets("everyone"))
            .await
            .expect("record")
    );
    assert!(
        !store
            .record_dashboard_history(id, Some(0), 2, &sets("industry:C"))
            .await
            .expect("record"),
        "a record on a history read before another record is refused"
    );
    let (read, history) = store.dashboard_history(id).await.expect("read");
    assert_eq!(read, 1);
    assert_eq!(
        history,
        sets("everyone"),
        "the refused record wrote nothing"
    );
    assert!(
        store
            .record_dashboard_history(id, Some(read), 2, &sets("industry:C"))
            .await
            .expect("record"),
        "audited again on the new version, it is accepted"
    );
    assert_eq!(batches(&app, id).await, vec![(1, Some(0)), (2, Some(1))]);
    // A stale version stays refused, also an older one than the last.
    assert!(
        !store
            .record_dashboard_history(id, Some(1), 3, &sets("size:micro"))
            .await
            .expect("record")
    );
    // Without the history known to the audit: recorded, and the version moves.
    assert!(
        store
            .record_dashboard_history(id, None, 3, &sets("size:micro"))
            .await
            .expect("record")
    );
    let (read, history) = store.dashboard_history(id).await.expect("read");
    assert_eq!((read, history.len()), (3, 3));
    assert_eq!(
        batches(&app, id).await,
        vec![(1, Some(0)), (2, Some(1)), (3, None)]
    );
}

on_both_databases_at!(super::CHAMBER_DAY_MS;
    a_record_on_a_history_read_before_another_record_is_refused,
);

/// The chamber's participants as the English CSV shows them (`participants,all,count,n,…`).
fn participants_in_csv(csv: &str) -> u32 {
    csv.lines()
        .find_map(|l| l.strip_prefix("participants,all,count,"))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no participant count in {csv}"))
}

/// How many lock requests of this database wait, as PostgreSQL sees them.
async fn waiting(observer: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.datname = current_database()",
    )
    .fetch_one(observer)
    .await
    .expect("read pg_locks")
    .try_get::<i64, _>(0)
    .expect("count")
}

async fn until_waiting(observer: &mut sqlx::AnyConnection, n: i64) {
    for _ in 0..600 {
        if waiting(observer).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{n} writers never came to wait on the history");
}

/// The race between instances (task race14), forced: two instances with the history on, A at
/// the chamber's first state and B at the next one (more firms published in between), each
/// reading the history before the other recorded (the test holds the history table locked
/// against writes, and releases it only when both wait to record). Both serve. The record is
/// one chain: A's batch knew version 0, B's batch knew version 1, i.e. A's sets, so B's audit
/// took A's kept sets as known and every count either instance served lies in the span B's
/// audit found clean.
///
/// And a fresh instance computing B's state, knowing the whole record, shows what B showed.
///
/// Without the compare-and-set (checked once, the version check taken out of
/// `record_dashboard_history`) both batches knew version 0, and B's CSV differed from the fresh
/// computation: B served figures that an audit knowing A's sets does not show, which a reader of
/// both instances' pages could combine with A's.
/// PostgreSQL only: SQLite has no table lock that lets reads through, and a writer lock held by
/// the test would also hold the publication that makes B's state (two instances on one SQLite
/// file are supported and take the same code path; the compare-and-set itself is tested on both
/// databases above).
#[actix_web::test]
async fn two_instances_at_different_states_record_one_chain_of_history() {
    let Some(app) = spawn_app_at(Backend::Postgres, CHAMBER_DAY_MS).await else {
        eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
        return;
    };
    let (a, b) = (
        app.sibling(&HISTORY_ON).await,
        app.sibling(&HISTORY_ON).await,
    );
    app.create_user(Role::Chamber, "ihk-race@example.de").await;
    let chamber_a = a.login("ihk-race@example.de").await;
    let chamber_b = b.login("ihk-race@example.de").await;
    let (campaign, _) = create_campaign(&chamber_a, "Race").await;
    let id = chamber_of(&app, campaign).await;
    let policy = DisclosurePolicy::default();
    let k = policy.k() as usize;
    let catalogue = crate::helpers::catalogue();
    let seed = |firms, seed| {
        social_readiness::demo::seed_campaign(&app.store, catalogue, &policy, campaign, firms, seed)
    };
    seed(4 * k, 1).await.expect("seed");

    let mut observer = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("observer");
    let mut locker = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("locker");
    let mut lock = locker.begin().await.expect("begin");
    // Reads go through, inserts wait.
    sqlx::query("LOCK TABLE dashboard_history IN SHARE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock the history");
    let path = "/chamber/dashboard.csv?lang=en";
    let second = async {
        until_waiting(&mut observer, 1).await;
        // A read the history and waits to record; the chamber moves on to its next state.
        seed(2 * k, 2).await.expect("seed");
        let release = async {
            until_waiting(&mut observer, 2).await;
            lock.commit().await.expect("release");
        };
        tokio::join!(chamber_b.get(path), release).0
    };
    let (first, second) = tokio::join!(chamber_a.get(path), second);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(second.status, 200, "{}", second.body);
    let first_n = participants_in_csv(&first.body);
    let second_n = participants_in_csv(&second.body);
    assert!(first_n < second_n, "two states: {first_n} then {second_n}");

    let batches = batches(&app, id).await;
    assert_eq!(batches.len(), 2, "one batch per state: {batches:?}");
    let (first_batch, second_batch) = (batches[0], batches[1]);
    assert!(first_batch.0 < second_batch.0, "two states: {batches:?}");
    assert_eq!(
        (first_batch.1, second_batch.1),
        (Some(0), Some(1)),
        "the later batch's audit knew the earlier batch's sets"
    );
    // A fresh instance audits B's state afresh, knowing the whole record: the same figures as
    // B served (B's audit knew A's sets; what B kept is in the span it audited).
    // Once ready: while it warms up it may serve a dashboard an earlier state kept (task prev).
    let c = app.sibling(&HISTORY_ON).await.until_ready().await;
    let chamber_c = c.login("ihk-race@example.de").await;
    let fresh = chamber_c.get(path).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.body, second.body, "B's figures, computed afresh");
    // The same campaign alone (its only one): computed from the prepared work of the view
    // above, made by C's start-up warm-up or that view; the same earlier figures (task
    // flake14: such a view used to know no history and hid them, and so did the view above
    // whenever it waited for the warm-up's work: the flake).
    let alone = chamber_c.get(&format!("{path}&campaign={campaign}")).await;
    assert_eq!(alone.status, 200, "{}", alone.body);
    assert_eq!(
        alone.body, second.body,
        "the campaign alone, from the prepared work"
    );
    observer.close().await.expect("close");
    locker.close().await.expect("close");
}

/// The last field of each data line of a dashboard CSV (its `as_of` column: never quoted, a
/// month or empty), by line; the BOM and the header line left out.
fn as_of_column(csv: &str, separator: char) -> Vec<String> {
    csv.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|line| line.rsplit(separator).next().unwrap_or_default().to_owned())
        .collect()
}

/// Issue 14's first wave through the service with the history on (task race14, item 2): 21
/// firms through two campaigns, 18 in Niedersachsen and 13 in manufacturing, the chamber
/// looking after every response. At some looks the audit, knowing what it showed before, may
/// not show a group's newest figure and shows it as of an earlier recorded state instead. The
/// last look has such figures, and they are marked alike everywhere, in both languages: the CSV
/// column `as_of` / `Stand` (the same rows, the same months), and the page row's label "(as of
/// 2026-05)" / "(Stand: 05/2026)" for those months only; a figure not marked in the CSV is not
/// marked on the page either (no page marker names another month, and with no earlier figure
/// the page has none). The board PDF uses the same labels (`present::dashboard` tests).
async fn earlier_figures_are_marked_alike_on_page_and_csv_in_both_languages(app: TestApp) {
    let on = app.sibling(&HISTORY_ON).await;
    app.create_user(Role::Chamber, "ihk-asof@example.de").await;
    let chamber = on.login("ihk-asof@example.de").await;
    let ids = first_wave_campaigns(&chamber).await;
    let mut db = sqlx::AnyConnection::connect(app.database_url())
        .await
        .expect("db");
    let mut marked_before = false;
    for i in 0..21usize {
        add_first_wave_firm(&app, &mut db, &ids, i).await;
        // The chamber looks after every response.
        let look = chamber.get("/chamber/dashboard.csv?lang=en").await;
        assert_eq!(look.status, 200, "{}", look.body);
        marked_before |= as_of_column(&look.body, ',').iter().any(|m| !m.is_empty());
    }
    db.close().await.expect("close");
    let en = chamber.get("/chamber/dashboard.csv?lang=en").await;
    let de = chamber.get("/chamber/dashboard.csv?lang=de").await;
    assert_eq!((en.status, de.status), (200, 200));
    let (en_months, de_months) = (as_of_column(&en.body, ','), as_of_column(&de.body, ';'));
    assert_eq!(
        en_months, de_months,
        "the same rows marked, with the same months"
    );
    let months: std::collections::BTreeSet<&String> =
        en_months.iter().filter(|m| !m.is_empty()).collect();
    println!("earlier figures: {months:?} (marked at an earlier look: {marked_before})");
    assert!(
        !months.is_empty(),
        "the wave shows an earlier figure at its last look:\n{}",
        en.body
    );
    let page_en = chamber.get("/chamber/dashboard?lang=en").await;
    let page_de = chamber.get("/chamber/dashboard?lang=de").await;
    assert_eq!((page_en.status, page_de.status), (200, 200));
    // Every page marker names a month the CSV marks, and every marked month is on the page.
    let markers = |page: &str, open: &str| -> std::collections::BTreeSet<String> {
        page.split(open)
            .skip(1)
            .map(|rest| rest.split(')').next().unwrap_or_default().to_owned())
            .collect()
    };
    let en_marked = markers(&page_en.body, "(as of ");
    let de_marked = markers(&page_de.body, "(Stand: ");
    let expected_en: std::collections::BTreeSet<String> =
        months.iter().map(|m| (*m).clone()).collect();
    let expected_de: std::collections::BTreeSet<String> = months
        .iter()
        .map(|m| {
            let (year, month) = m.split_once('-').expect("a month");
            format!("{month}/{year}")
        })
        .collect();
    assert_eq!(en_marked, expected_en, "English page");
    assert_eq!(de_marked, expected_de, "German page");
    // Row by row: each marked page row shows the n of a figure the CSV marks with its month
    // (the page shows one grouping of a breakdown, the CSV all, so not the other way round),
    // and the German page marks the same rows.
    let marked_rows = |page: &str, open: &str| -> Vec<(String, String)> {
        page.split(open)
            .skip(1)
            .map(|rest| {
                let month = rest.split(')').next().unwrap_or_default().to_owned();
                let n = rest
                    .split("<td class=\"num\">")
                    .nth(1)
                    .and_then(|cell| cell.split('<').next())
                    .unwrap_or_default()
                    .to_owned();
                (month, n)
            })
            .collect()
    };
    let en_rows = marked_rows(&page_en.body, "(as of ");
    let de_rows = marked_rows(&page_de.body, "(Stand: ");
    assert!(!en_rows.is_empty());
    for (month, n) in &en_rows {
        assert!(
            en.body
                .lines()
                .any(|l| l.ends_with(&format!(",{month}")) && l.split(',').nth(3) == Some(n)),
            "the page marks n = {n} as of {month}, the CSV does not:\n{}",
            en.body
        );
    }
    let ns = |rows: &[(String, String)]| rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>();
    assert_eq!(ns(&en_rows), ns(&de_rows), "the same rows on both pages");
}

/// Task grow14: from 200 participants on, a chamber's figures are checked again once a quarter
/// more firms took part than at the last full check (see the `dashboard` notes, "Audited as
/// it grows"). In between its dashboard shows the last check's figures, each marked with its
/// month, on the page and in the CSV, and records nothing new; then the new figures come.
async fn a_large_chamber_sees_the_last_checks_figures_until_it_grew_by_a_quarter(app: TestApp) {
    let email = "ihk-waechst@example.de";
    app.create_user(Role::Chamber, email).await;
    let chamber = app.login(email).await;
    let (id, _) = create_campaign(&chamber, "Wächst").await;
    let chamber_id = chamber_of(&app, id).await;
    let csv = format!("/chamber/dashboard.csv?campaign={id}&lang=en");
    let total = |body: &str| {
        body.lines()
            .find(|l| l.starts_with("participants,all,count,"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no total in:\n{body}"))
    };
    seed_firms(&app, id, 240, 1).await;
    let first = chamber.get(&csv).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(total(&first.body), "participants,all,count,240,240,,");
    let recorded = batches(&app, chamber_id).await.len();
    assert!(recorded > 0, "the full check records what it showed");

    // 20 more: not a quarter of 240, so the figures stay those of the check, marked.
    seed_firms(&app, id, 20, 2).await;
    let between = chamber.get(&csv).await;
    let line = total(&between.body);
    assert!(
        line.starts_with("participants,all,count,240,240,,20"),
        "the last check's total, with its month: {line}"
    );
    let page = chamber
        .get(&format!("/chamber/dashboard?campaign={id}&lang=de"))
        .await;
    assert!(
        page.body.contains("240 (Stand: "),
        "the page marks the total too"
    );
    assert!(
        page.body.contains("ein Viertel mehr Unternehmen"),
        "and says when it moves on"
    );
    assert_eq!(
        batches(&app, chamber_id).await.len(),
        recorded,
        "nothing recorded"
    );

    // 40 more: 60 new of 240 counted, a quarter: checked again, current figures.
    seed_firms(&app, id, 40, 3).await;
    let grown = chamber.get(&csv).await;
    assert_eq!(total(&grown.body), "participants,all,count,300,300,,");
    assert!(batches(&app, chamber_id).await.len() > recorded);
}

on_both_databases_at!(super::CHAMBER_DAY_MS;
    earlier_figures_are_marked_alike_on_page_and_csv_in_both_languages,
    a_large_chamber_sees_the_last_checks_figures_until_it_grew_by_a_quarter,
);
