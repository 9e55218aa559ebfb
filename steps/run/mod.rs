//! The runner: how a run flows.
//!
//! `callspec run` goes through these steps, each in its own module:
//!
//! 1. **Check the options** ([`cli::RunArgs`]): report files must be distinct, folders must exist.
//! 2. **Discover the feature files** ([`features::discover`]) and **read them once**, on every
//!    core ([`features::read_in_order`]): the fast reader ([`features::gherkin_fast`]), with
//!    gherkin as its fallback, and the diagnostics (`file:line:col`, did-you-mean).
//! 3. **Select** the scenarios ([`select`]): `--name`, `--tags`, the kind of run (mock, live,
//!    bot) and `--shard`. A selection of nothing is bad input, never a green run.
//! 4. **Set up the run** ([`context::RunContext`]): template folders, the stand-in (mock), the
//!    live settings and inbox (live), the bot process (bot, [`bot`]), the recording folder, the
//!    concurrency allowed by the open-file limit ([`limits`]). The World's mode
//!    (`world::Mode`: Mock, Live or Bot) follows from the kind of run.
//! 5. **Run** the scenarios through cucumber: the [`plan`] hands it the parsed features as
//!    memory allows; the before hook hands each World the run context; the after hook turns
//!    each finished scenario's exchanges into what the reports need (the HTML report's
//!    [`html::Collector`], the HAR recording in [`har`]).
//! 6. **Report**: the console ([`console`]), JUnit ([`junit`]), Cucumber JSON and HTML
//!    ([`html`]) all see the same normalised events ([`writers`]); the report files
//!    ([`reports`]) are created before the run and written when it is over, so a write error
//!    is seen.
//! 7. **End** with a [`Summary`] (exit 0 or 1, or 2 for problems in the feature files or a report
//!    not written) or a [`RunError`] (bad input before the run, or an interruption): the exit
//!    codes are chosen in [`error`] alone.

pub mod bot;
pub mod catalog;
pub mod cli;
pub mod console;
pub mod context;
pub mod error;
pub mod features;
pub mod har;
pub mod html;
pub mod init;
pub mod junit;
pub mod limits;
pub mod plan;
pub mod reports;
pub mod select;
pub mod templates;
pub mod writers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use callspec::auth::{Jwks, TokenKeys, TokenVerifier};
use callspec::{display_path, Inbox, LiveConfig, TokenSource};
use cucumber::{cli as cucumber_cli, writer, World as _, WriterExt as _};

use crate::world::{self, CallWorld, LiveRun, MockServers};
use cli::{RunArgs, Target};
use console::{Console, Outcomes, Status};
use context::{RunContext, RunKind};
pub use error::{RunError, Summary};
use html::HtmlWriter;
use plan::{Gate, Plan, ReadFeatures, KEEP_PARSED_SCENARIOS};
use reports::Reports;
use select::{scenarios_of, select};
use writers::Writers;

/// The template folders of `--scenarios` (or else `CALLSPEC_SCENARIOS`); each must exist.
fn scenario_folders(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let (folders, source): (Vec<PathBuf>, &str) = if given.is_empty() {
        match std::env::var_os("CALLSPEC_SCENARIOS") {
            Some(list) => (
                std::env::split_paths(&list)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect(),
                "CALLSPEC_SCENARIOS",
            ),
            None => return Ok(Vec::new()),
        }
    } else {
        (given.to_vec(), "--scenarios")
    };
    for folder in &folders {
        if !folder.is_dir() {
            return Err(format!(
                "{source}: {} is not a folder (templates are looked up in requests/ under it)",
                display_path(&std::path::absolute(folder).unwrap_or_else(|_| folder.clone()))
            ));
        }
    }
    Ok(folders)
}

/// Runs the scenarios `args` select.
pub async fn run(args: RunArgs) -> Result<Summary, RunError> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("features")]
    } else {
        args.paths.clone()
    };
    reports::distinct(&args)?;
    let mut loaded = match features::discover(&paths) {
        Ok(loaded) => loaded,
        Err(e) => {
            return Err(RunError::Input(e.to_string()));
        }
    };
    // Compiling the step definitions' patterns (~40 M instructions, once) and signing the
    // default tokens (~50 M) overlap the read.
    let mock = args.target != Target::Live;
    std::thread::spawn(move || {
        drop(<CallWorld as cucumber::World>::collection());
        if mock {
            world::sign_default_tokens();
        }
    });
    // A first read, on every core, in file order: the problems, and the scenarios the run
    // selects. The parsed features are kept up to a budget, the others dropped once counted.
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let mut kept = Vec::with_capacity(loaded.files.len());
    let mut kept_scenarios = 0;
    let selected = select(
        features::read_in_order(&loaded.files).flat_map(|one| {
            errors.extend(one.errors);
            warnings.extend(one.warnings);
            let scenarios: usize = one.features.iter().map(|f| scenarios_of(f).count()).sum();
            if kept_scenarios + scenarios <= KEEP_PARSED_SCENARIOS {
                kept_scenarios += scenarios;
                kept.push(Some(one.features.clone()));
            } else {
                kept.push(None);
            }
            one.features
        }),
        &args,
    );
    loaded.errors.extend(errors);
    loaded.warnings.extend(warnings);
    for warning in &loaded.warnings {
        eprintln!("callspec: warning: {warning}");
    }
    for error in &loaded.errors {
        eprintln!("callspec: {error}");
    }
    select::check(&selected, &args, !loaded.errors.is_empty())?;
    let folders = scenario_folders(&args.scenarios)?;
    let reports = Reports::create(&args)?;
    let collector = (reports.html() || args.verbose > 0)
        .then(|| Arc::new(html::Collector::new(reports.html())));
    if let Some(dir) = &args.record {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(
                format!("cannot create the recording folder {}: {e}", dir.display()).into(),
            );
        }
    }
    let kind = if args.target == Target::Live {
        let live = start_live(&args)
            .await
            .map_err(|e| RunError::Input(e.to_string()))?;
        RunKind::Live(Arc::new(live))
    } else {
        // One stand-in server and one inbox server for the whole run.
        let servers = MockServers::start()
            .map_err(|e| RunError::Input(format!("cannot start the stand-in: {e}")))?;
        RunKind::Mock(servers)
    };
    // The bot is in a process group of its own, so Ctrl-C reaches only callspec: from before
    // the bot starts, SIGINT and SIGTERM stop the bot, then callspec, or the bot would outlive
    // the run.
    let mut stop_signals = match args.bot.is_some().then(bot::StopSignals::listen) {
        Some(Ok(signals)) => Some(signals),
        Some(Err(e)) => {
            return Err(format!("cannot listen for Ctrl-C: {e}").into());
        }
        None => None,
    };
    let bot = match (&args.bot, &mut stop_signals) {
        (Some(_), _) if args.target == Target::Live => {
            return Err(
                "--bot runs the bot against the stand-in: it needs --target mock"
                    .to_owned()
                    .into(),
            );
        }
        (Some(path), Some(signals)) => {
            let started = tokio::select! {
                started = bot::start(path) => started,
                // Dropping the start stops a bot that was being started.
                signal = signals.next() => {
                    return Err(RunError::Interrupted(signal));
                }
            };
            match started {
                Ok(started) => Some(started),
                Err(e) => {
                    return Err(format!("{e:#}").into());
                }
            }
        }
        _ => None,
    };
    let (bot, kind) = match (bot, kind) {
        (Some((process, bot)), RunKind::Mock(servers)) => (
            Some(process),
            RunKind::Bot {
                servers,
                bot: Arc::new(bot),
            },
        ),
        (bot, kind) => (bot.map(|(process, _)| process), kind),
    };
    let mut context = RunContext::new(kind, std::time::Duration::from_secs(args.scenario_timeout));
    context.scenario_folders = folders;
    context.collector = collector.clone();
    context.record_dir = args.record.clone();
    if args.timings.is_some() {
        context.collect_timings();
    }
    let context = Arc::new(context);
    let (concurrency, note) =
        limits::capped_concurrency(args.concurrency, limits::open_file_limit());
    if let Some(note) = note {
        eprintln!("{note}");
    }

    let opts = cucumber_cli::Opts {
        // Filtering is done by `select` (cucumber's own filters would not combine).
        re_filter: None,
        tags_filter: None,
        parser: cucumber_cli::Empty,
        runner: cucumber::runner::basic::Cli {
            concurrency: Some(concurrency),
            ..Default::default()
        },
        writer: cucumber_cli::Empty,
        custom: cucumber_cli::Empty,
    };
    let outcomes = Outcomes::default();
    let problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    let started = std::time::Instant::now();
    // The console and each report asked for see the same normalized events; the reports are
    // built in memory and written when the run is over.
    let writers = Writers::new(
        Console::new(
            args.verbose,
            outcomes.clone(),
            reports.junit(),
            collector.clone(),
        ),
        reports
            .json()
            .then(|| writer::Json::raw(reports.json_text.clone())),
        match (reports.html(), &collector) {
            (true, Some(collector)) => Some(HtmlWriter::new(
                reports.html_page.clone(),
                collector.clone(),
                problems,
            )),
            _ => None,
        },
    )
    .normalized::<CallWorld>();
    let plan = Arc::new(Plan {
        files: std::mem::take(&mut loaded.files),
        keys: selected.keys,
        kept: Mutex::new(kept),
        ahead: Mutex::new(None),
        gate: Gate::new((concurrency * 4).max(256)),
    });
    let keys = plan.clone();
    let finished = plan.clone();
    let (for_before, for_after) = (context.clone(), context.clone());
    // The type parameter is the default parser's input; `with_parser` replaces it.
    let suite = CallWorld::cucumber::<&str>()
        .with_parser(ReadFeatures)
        .with_writer(writers)
        .fail_on_skipped()
        .with_cli(opts)
        .before(move |feature, _, _, world| {
            Box::pin(world.begin(feature.path.clone(), for_before.clone()))
        })
        .after(move |feature, _, scenario, _, world| {
            finished.gate.release();
            if let Some(world) = world {
                if let Some(collector) = &for_after.collector {
                    collector.record(feature, scenario, world);
                }
                if let Some(dir) = &for_after.record_dir {
                    har::record(dir, feature, scenario, world);
                }
                world.finish();
            }
            Box::pin(async {})
        })
        .filter_run(plan, move |feature, _, scenario| {
            let path = feature.path.as_deref().unwrap_or(Path::new(""));
            keys.keys
                .contains(&(path.to_path_buf(), scenario.position.line))
        });
    if let (Some(process), Some(signals)) = (bot, &mut stop_signals) {
        tokio::select! {
            _ = suite => {}
            signal = signals.next() => {
                process.stop().await;
                return Err(RunError::Interrupted(signal));
            }
        }
        // An exit before the end of the run failed the scenarios still waiting on the bot;
        // said once more here, beside the summary.
        let died = process.exited().borrow().clone();
        process.stop().await;
        if let Some(exit) = died {
            eprintln!("callspec: {exit}");
        }
    } else {
        suite.await;
    }
    let wall_time = started.elapsed();
    if let (Some(path), Some(figures)) = (&args.timings, context.timings_summary()) {
        if let Err(e) = std::fs::write(path, figures.to_string()) {
            eprintln!("callspec: cannot write {}: {e}", display_path(path));
        }
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap_or_else(|e| e.into_inner()));
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let (passed, failed, skipped) = (
        count(Status::Passed),
        count(Status::Failed),
        count(Status::Skipped),
    );
    let written = reports.write(&args, &outcomes, &loaded.errors, wall_time);

    if outcomes.is_empty() && args.shard.is_some() {
        eprintln!(
            "callspec: note: this shard is empty: the selection has {} scenario(s) for {} shards",
            selected.matched,
            args.shard.map_or(1, |s| s.count)
        );
    }
    let summary = Summary {
        passed,
        failed,
        skipped,
        feature_problems: loaded.errors.len(),
        reports_written: written,
    };
    println!("{summary}");
    if !loaded.errors.is_empty() {
        println!(
            "({} problem(s) in feature files: see above)",
            loaded.errors.len()
        );
    }
    Ok(summary)
}

/// Live mode: reads the settings, applies the production guard, checks that a token can be had
/// and the notification keys loaded, and opens the callback inbox, before any scenario runs.
async fn start_live(args: &RunArgs) -> anyhow::Result<LiveRun> {
    let config = LiveConfig::load(args.env_file.as_deref())?;
    config.guard(args.allow_production)?;
    let client = world::http().clone();
    let tokens = TokenSource::new(config.clone(), client.clone());
    tokens.token().await?;
    let keys = Jwks::fetch(&config.openid_url, &client).await?;
    // Keys rotate: fetched again hourly, and soon after a token names an unknown one.
    keys.keep_fresh(client.clone(), callspec::auth::KEY_REFRESH_INTERVAL, |e| {
        eprintln!("callspec: {e} (the keys in hand stay)")
    });
    let inbox = Inbox::start_on(config.callback_port)
        .await
        .with_context(|| {
            format!(
                "cannot listen for callbacks on port {}",
                config.callback_port
            )
        })?;
    inbox.log().verify_tokens(TokenVerifier {
        app_id: config.client_id.clone(),
        keys: TokenKeys::Published(keys),
    });
    Ok(LiveRun {
        config,
        tokens,
        inbox,
    })
}
