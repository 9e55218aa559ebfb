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
//!    each finished scenario's exchanges into what the reports need (the
//!    [`html::Collector`], the HAR recording in [`har`]). SIGINT and SIGTERM ([`bot::StopSignals`],
//!    listened for from before anything starts) and `--fail-fast` stop it: the scenarios under
//!    way are dropped, a bot under test is stopped.
//! 6. **Record and report**: one [`record::ScenarioRecord`] per scenario is built from
//!    cucumber's events ([`writers`]); the console ([`console`], in the `--format` asked for)
//!    shows each as it finishes; JUnit ([`junit`]), Cucumber JSON ([`cucumber_json`]) and HTML
//!    ([`html`]) are rendered from the kept records when the run is over or stopped (the rest
//!    then marked interrupted or not run). The report files ([`reports`]) are created before
//!    the run and written at its end, so a write error is seen and none is left empty.
//! 7. **End** with a [`Summary`] (exit 0 or 1, 2 for problems in the feature files or a report
//!    not written, 130 or 143 for a signal) or a [`RunError`] (bad input before the run, or a
//!    signal while the bot was starting): the exit codes are chosen in [`error`] alone.
//!
//! `--dry-run` stops after step 3: every scenario read and its steps matched, nothing started.

/// `println!` that a reader gone away cannot panic (`callspec run | head`): what is left to print
/// is dropped and the run's own exit code stands, as with `git log | head`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that a reader gone away cannot panic (see [`outln`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub mod bot;
pub mod catalog;
pub mod cli;
pub mod console;
pub mod context;
pub mod cucumber_json;
pub mod error;
pub mod features;
pub mod har;
pub mod html;
pub mod init;
pub mod junit;
pub mod limits;
pub mod plan;
pub mod record;
pub mod reports;
pub mod select;
pub mod templates;
pub mod writers;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use callspec::auth::{Jwks, TokenKeys, TokenVerifier};
use callspec::{display_path, Inbox, LiveConfig, TokenSource};
use cucumber::{cli as cucumber_cli, World as _, WriterExt as _};

use crate::world::{self, CallWorld, LiveRun, MockServers};
use cli::{RunArgs, Target};
use console::Console;
use context::{RunContext, RunKind};
pub use error::{RunError, Summary};
use plan::{Gate, Plan, ReadFeatures, KEEP_PARSED_SCENARIOS};
use record::{Keep, Recorder, SharedRecords};
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
    if args.dry_run {
        return Ok(dry_run(&loaded));
    }
    select::check(&selected, &args, !loaded.errors.is_empty())?;
    let folders = scenario_folders(&args.scenarios)?;
    // From before the report files are made, SIGINT and SIGTERM stop the run: the scenarios
    // under way are dropped, the bot (in a process group of its own, so Ctrl-C reaches only
    // callspec) is stopped, and the reports are written with what finished.
    let mut stop_signals = bot::StopSignals::listen()
        .map_err(|e| RunError::Input(format!("cannot listen for Ctrl-C: {e}")))?;
    let reports = Reports::create(&args)?;
    let collector =
        (reports.html() || args.verbose > 0).then(|| Arc::new(html::Collector::default()));
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
    let bot = match &args.bot {
        Some(_) if args.target == Target::Live => {
            return Err(
                "--bot runs the bot against the stand-in: it needs --target mock"
                    .to_owned()
                    .into(),
            );
        }
        Some(path) => {
            let started = tokio::select! {
                started = bot::start(path) => started,
                // Dropping the start stops a bot that was being started; the reports say
                // that nothing ran.
                signal = stop_signals.next() => {
                    let why = format!("interrupted by {}", signal.name());
                    let all = record::interrupted(
                        &mut record::Records::default(),
                        &loaded.files,
                        &selected.keys,
                        record::Status::Interrupted,
                        &why,
                    );
                    reports.write(&args, &all, &loaded.errors, std::time::Duration::ZERO);
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
        None => None,
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
    let started = std::time::Instant::now();
    // Each scenario's record is built once from the events; the console shows it as it
    // finishes, and the reports are rendered from the records kept when the run is over.
    let records = SharedRecords::default();
    let console = Console::new(args.verbose, args.format.resolve(selected.keys.len()));
    let keep = Keep {
        all: reports.any(),
        failures: console.failures_at_end(),
        // The HTML report's, or `-v`'s for the failures shown at the end.
        exchanges: reports.html() || (console.failures_at_end() && args.verbose > 0),
    };
    let console = Arc::new(Mutex::new(console));
    let (failed_tx, mut failed_rx) = tokio::sync::watch::channel(false);
    let writers = Writers::new(
        Recorder::new(records.clone(), collector.clone(), keep),
        console.clone(),
        args.fail_fast.then_some(failed_tx),
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
        .filter_run(plan.clone(), move |feature, _, scenario| {
            let path = feature.path.as_deref().unwrap_or(Path::new(""));
            keys.keys
                .contains(&(path.to_path_buf(), scenario.position.line))
        });
    // Dropping the suite stops the scenarios under way.
    let stopped = tokio::select! {
        // A stop is seen on the first wake after it.
        biased;
        signal = stop_signals.next() => Some(Stop::Signal(signal)),
        _ = fail_fast(args.fail_fast, &mut failed_rx) => Some(Stop::FailFast),
        _ = suite => None,
    };
    if let Some(process) = bot {
        // An exit before the end of the run failed the scenarios still waiting on the bot;
        // said once more here, beside the summary.
        let died = process.exited().borrow().clone();
        process.stop().await;
        if let (Some(exit), None) = (died, &stopped) {
            eprintln!("callspec: {exit}");
        }
    }
    let wall_time = started.elapsed();
    if let (Some(path), Some(figures)) = (&args.timings, context.timings_summary()) {
        if let Err(e) = std::fs::write(path, figures.to_string()) {
            eprintln!("callspec: cannot write {}: {e}", display_path(path));
        }
    }

    let mut records = std::mem::take(&mut *records.lock().unwrap_or_else(|e| e.into_inner()));
    let mut stopped_count = 0;
    let mut outcome = if let Some(stop) = stopped {
        let (status, why) = match stop {
            Stop::Signal(signal) => (
                record::Status::Interrupted,
                format!("interrupted by {}", signal.name()),
            ),
            Stop::FailFast => (
                record::Status::NotRun,
                "not run: --fail-fast stopped the run after the first failure".to_owned(),
            ),
        };
        let all = record::interrupted(&mut records, &plan.files, &plan.keys, status, &why);
        let stopped = all.iter().filter(|r| r.status == status).count();
        stopped_count = stopped;
        match stop {
            Stop::Signal(signal) => eprintln!(
                "callspec: {signal}: {stopped} scenario(s) not finished, reported as interrupted"
            ),
            Stop::FailFast => eprintln!(
                "callspec: --fail-fast: stopped after the first failure; {stopped} scenario(s) \
                 not run"
            ),
        }
        all
    } else {
        std::mem::take(&mut records.finished)
    };
    console
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .end(&outcome);
    let written = reports.write(&args, &outcome, &loaded.errors, wall_time);
    outcome.clear();

    if records.done.is_empty() && stopped.is_none() && args.shard.is_some() {
        eprintln!(
            "callspec: note: this shard is empty: the selection has {} scenario(s) for {} shards",
            selected.matched,
            args.shard.map_or(1, |s| s.count)
        );
    }
    let summary = Summary {
        passed: records.passed,
        failed: records.failed,
        skipped: records.skipped,
        interrupted: match stopped {
            Some(Stop::Signal(_)) => stopped_count,
            _ => 0,
        },
        not_run: match stopped {
            Some(Stop::FailFast) => stopped_count,
            _ => 0,
        },
        feature_problems: loaded.errors.len(),
        reports_written: written,
        signal: match stopped {
            Some(Stop::Signal(signal)) => Some(signal),
            _ => None,
        },
    };
    outln!("{summary}");
    if !loaded.errors.is_empty() {
        outln!(
            "({} problem(s) in feature files: see above)",
            loaded.errors.len()
        );
    }
    Ok(summary)
}

/// What stopped a run before its end.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Signal(bot::StopSignal),
    FailFast,
}

/// With `--fail-fast`, ends when a scenario has failed; else never.
async fn fail_fast(on: bool, failed: &mut tokio::sync::watch::Receiver<bool>) {
    if !on || failed.wait_for(|failed| *failed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `--dry-run`: every feature file was read (its problems said above); every step of every
/// scenario, `@bot` ones included, is matched against the step definitions, nothing started.
fn dry_run(loaded: &features::Loaded) -> Summary {
    let mut scenarios = 0;
    let mut unknown = 0;
    for one in features::read_in_order(&loaded.files) {
        for feature in &one.features {
            let Some(path) = feature.path.as_deref() else {
                continue;
            };
            let mut steps = Vec::new();
            for (rule, scenario) in scenarios_of(feature) {
                scenarios += 1;
                let rule_background = rule.and_then(|r| r.background.as_ref());
                let background = feature.background.iter().chain(rule_background);
                for step in background.flat_map(|b| &b.steps).chain(&scenario.steps) {
                    steps.push((path, step));
                }
            }
            for hint in catalog::unknown_steps(steps) {
                unknown += 1;
                eprintln!("callspec: {hint}");
            }
        }
    }
    outln!(
        "dry run: {} feature file(s), {scenarios} scenario(s) read; {}",
        loaded.files.len(),
        if unknown == 0 {
            "every step matches a step definition".to_owned()
        } else {
            format!("{unknown} step(s) match no step definition")
        }
    );
    Summary {
        feature_problems: loaded.errors.len() + unknown,
        reports_written: true,
        ..Default::default()
    }
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
