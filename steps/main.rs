//! The `callspec` command: runs Gherkin call scenarios against the embedded Graph stand-in.
//!
//! The step definitions live in this binary's crate (one file per domain concept) because
//! cucumber-rs collects steps at link time and drops those only a library defines.

mod call;
mod catalog;
mod faults;
mod limits;
mod notifications;
mod operations;
mod permissions;
mod record_hook;
mod remote;
mod report_hook;
mod request;
mod response;
mod support;
mod world;

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cucumber::gherkin::{tagexpr::TagOperation, Feature, Rule, Scenario};
use cucumber::tag::Ext as _;
use cucumber::writer::{Coloring, Stats as _, Verbosity};
use cucumber::{cli, parser, writer, World as _, WriterExt as _};
use futures::stream;

use anyhow::Context as _;
use callspec::{
    request_token, Inbox, Jwks, LiveConfig, ServeOptions, Server, TokenKeys, TokenSource,
    TokenVerifier,
};
use report_hook::{display_path, HtmlWriter, Optional};
use world::{init_settings, CallWorld, RunSettings};

/// A scenario allocates and frees many small JSON values, tokens and buffers across threads;
/// mimalloc spends a fraction of the time glibc's malloc does on them (measured with
/// `cargo bench --bench suite`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "callspec",
    version,
    about = "Gherkin scenario tests for Microsoft Graph calling bots"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run feature files (or folders of them) against the embedded Graph stand-in.
    // Boxed: the run has many options, the other commands few.
    Run(Box<RunArgs>),
    /// Print the step catalog: every step with an example, generated from the step definitions.
    Steps(StepsArgs),
    /// Serve the Graph stand-in on 127.0.0.1 for a bot written in any language.
    Serve(ServeArgs),
    /// Print an app-only access token that a running `callspec serve` accepts.
    Token(TokenArgs),
    /// Replay recorded scenarios (`run --record DIR`) against the embedded stand-in and report
    /// where it differs from what Graph sent. Exits 1 when anything drifted.
    Drift(DriftArgs),
}

#[derive(Debug, Args)]
struct DriftArgs {
    /// A folder of `.har` recordings (searched recursively), or one recording.
    path: PathBuf,
    /// Simulated seconds the stand-in's clock runs past the recording's end (for a stand-in
    /// slower than Graph).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    settle: u64,
}

/// The port `callspec serve` and `callspec token` use unless told otherwise.
const DEFAULT_SERVE_PORT: u16 = 4040;

#[derive(Debug, Args)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = DEFAULT_SERVE_PORT)]
    port: u16,
    /// Simulated seconds per real second, inverted: 0.1 plays a 60 s ringing timeout in 6 s.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seconds after which a connection that sends no complete request is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    idle_timeout: u64,
    /// How many API requests, and how many notifications, the journal keeps (the oldest go).
    #[arg(long, value_name = "N", default_value_t = callspec::DEFAULT_JOURNAL_SIZE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1_000_000))]
    journal_size: usize,
    /// Simulated seconds an ended call is kept (the journal can show it) before it is forgotten.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(0..=MAX_SCENARIO_TIMEOUT))]
    retention: u64,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// The app the token is for (default: the server's app).
    #[arg(long)]
    app_id: Option<String>,
    /// Comma-separated roles (default: every calling permission).
    #[arg(long, value_delimiter = ',')]
    roles: Vec<String>,
    /// The running `callspec serve`.
    #[arg(long, default_value_t = format!("http://127.0.0.1:{DEFAULT_SERVE_PORT}"))]
    server: String,
}

#[derive(Debug, Args, Default)]
struct RunArgs {
    /// Feature files or folders; default `features/`.
    paths: Vec<PathBuf>,
    /// Run only scenarios whose name matches this regex.
    #[arg(long, short = 'n', value_name = "REGEX")]
    name: Option<regex::Regex>,
    /// Run only scenarios whose tags match this expression, e.g. `@p2p and not @beta`.
    #[arg(long, short = 't', value_name = "EXPR")]
    tags: Option<TagOperation>,
    /// How many scenarios run at once.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    concurrency: usize,
    /// Run only shard K of N (e.g. `2/4`): each scenario belongs to exactly one shard.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a Cucumber JSON report to FILE.
    #[arg(long = "cucumber-json", value_name = "FILE")]
    cucumber_json: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE (steps, requests, sequence diagrams).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// More output for failed steps (-v: the World, -vv: docstrings too).
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Where requests go: the embedded stand-in (mock), or real Graph (live, a contract run).
    #[arg(long, value_enum, default_value_t = Target::Mock)]
    target: Target,
    /// Live mode's settings file (CALLSPEC_* lines; the environment wins over it).
    #[arg(long = "env", value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// Let a live run go to a tenant the settings do not name as staging.
    #[arg(long)]
    allow_production: bool,
    /// Where templates and documents live (repeatable; searched in the order given), instead
    /// of the `scenarios/` folders up from each feature file. Default: `CALLSPEC_SCENARIOS`
    /// (folders separated by `:`), if set.
    #[arg(long = "scenarios", value_name = "DIR")]
    scenarios: Vec<PathBuf>,
    /// Wall-time limit of one scenario, in seconds (1 to 86400): every wait in it ends by then.
    #[arg(long, value_name = "SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SCENARIO_TIMEOUT))]
    scenario_timeout: u64,
    /// Write each scenario's requests, responses and notifications to DIR, one HAR 1.2 file
    /// per scenario (tokens and secrets redacted); `callspec drift DIR` replays them.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Write time-to-verdict figures (p50, p99, max; for the benchmark) to FILE as JSON.
    #[arg(long, value_name = "FILE", hide = true)]
    timings: Option<PathBuf>,
}

/// The longest `--scenario-timeout`: a day (beyond it, a deadline could overflow the clock).
const MAX_SCENARIO_TIMEOUT: u64 = 86_400;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum Target {
    #[default]
    Mock,
    Live,
}

#[derive(Debug, Args)]
struct StepsArgs {
    /// Output format: text, or a Markdown table per domain (for the README).
    #[arg(long, value_enum, default_value_t = StepsFormat::Text)]
    format: StepsFormat,
    /// Check the catalog instead of printing it: every step has a doc example, and each
    /// example runs its own step. Exits 1 listing the problems.
    #[arg(long)]
    check: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StepsFormat {
    Text,
    Markdown,
}

/// `--shard K/N`: the K-th (from 1) of N shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shard {
    index: usize,
    count: usize,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let usage = "expected K/N with 1 <= K <= N, e.g. 2/4";
    let (k, n) = text.split_once('/').ok_or_else(|| usage.to_owned())?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("K is not a number: {usage}"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("N is not a number: {usage}"))?;
    if n == 0 {
        return Err(format!("N must be at least 1: {usage}"));
    }
    if k == 0 || k > n {
        return Err(format!("K must be between 1 and {n}: {usage}"));
    }
    Ok(Shard { index: k, count: n })
}

/// The `.feature` files under `path` (regular files only, recursively, sorted), or `path`
/// itself when it is not a folder.
fn feature_files(path: &Path) -> Vec<PathBuf> {
    fn visit(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                visit(&path, out);
            } else if kind.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("feature"))
            {
                out.push(path);
            }
        }
    }
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    visit(path, &mut out);
    out.sort();
    out
}

/// Parses one feature file, as cucumber does (outlines expanded into their examples).
fn parse_file(path: &Path) -> Vec<parser::Result<Feature>> {
    use cucumber::Parser as _;
    use futures::StreamExt as _;
    let parsed = parser::Basic::new().parse(path, parser::basic::Cli::default());
    futures::executor::block_on(parsed.collect::<Vec<_>>())
}

/// Which scenarios run: `--name` and `--tags` (both, when both are given) and the target.
#[derive(Clone)]
struct Filters {
    name: Option<regex::Regex>,
    tags: Option<TagOperation>,
    live: bool,
}

impl Filters {
    fn of(args: &RunArgs) -> Filters {
        Filters {
            name: args.name.clone(),
            tags: args.tags.clone(),
            live: args.target == Target::Live,
        }
    }

    fn matches(&self, feature: &Feature, rule: Option<&Rule>, scenario: &Scenario) -> bool {
        if self
            .name
            .as_ref()
            .is_some_and(|re| !re.is_match(&scenario.name))
        {
            return false;
        }
        let all_tags = || {
            feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| &r.tags))
                .chain(&scenario.tags)
        };
        if let Some(tags) = &self.tags {
            if !tags.eval(all_tags()) {
                return false;
            }
        }
        // Scenarios that script the stand-in cannot run against real Graph.
        !(self.live && all_tags().any(|t| t == "mock-only"))
    }
}

/// Every scenario of a feature, with its rule.
fn scenarios_of(feature: &Feature) -> impl Iterator<Item = (Option<&Rule>, &Scenario)> {
    feature.scenarios.iter().map(|s| (None, s)).chain(
        feature
            .rules
            .iter()
            .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
    )
}

/// What a run reads: the feature files, parsed one at a time as the run makes room for their
/// scenarios, and dropped once those are done (a parsed scenario costs kilobytes: a run of
/// 100,000 cannot hold them all).
struct Plan {
    files: Vec<PathBuf>,
    filters: Filters,
    /// With `--shard`, the scenarios of this shard: choosing them read the whole suite first.
    shard: Option<Arc<HashSet<ScenarioKey>>>,
}

impl Plan {
    fn new(paths: &[PathBuf], args: &RunArgs) -> Plan {
        let files: Vec<PathBuf> = paths.iter().flat_map(|p| feature_files(p)).collect();
        let filters = Filters::of(args);
        let shard = args.shard.map(|shard| {
            let mut chosen = Vec::new();
            for file in &files {
                // Parse errors are reported when the run reads the file again.
                for feature in parse_file(file).into_iter().flatten() {
                    candidates(&feature, &filters, &mut chosen);
                }
            }
            Arc::new(select_shard(chosen, shard))
        });
        Plan {
            files,
            filters,
            shard,
        }
    }

    /// Whether the scenario runs.
    fn runs(&self, feature: &Feature, rule: Option<&Rule>, scenario: &Scenario) -> bool {
        self.filters.matches(feature, rule, scenario)
            && self.shard.as_ref().is_none_or(|chosen| {
                let path = feature.path.clone().unwrap_or_default();
                chosen.contains(&(path, scenario.position.line))
            })
    }
}

/// How many selected scenarios may have their features in memory at once.
struct Gate {
    in_flight: std::sync::atomic::AtomicUsize,
    room: tokio::sync::Notify,
    cap: usize,
}

static GATE: std::sync::OnceLock<Gate> = std::sync::OnceLock::new();

impl Gate {
    async fn wait_for_room(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.in_flight.load(Ordering::SeqCst) < self.cap {
                return;
            }
            room.await;
        }
    }

    fn take(&self, scenarios: usize) {
        self.in_flight
            .fetch_add(scenarios, std::sync::atomic::Ordering::SeqCst);
    }

    /// One scenario is done.
    fn release(&self) {
        self.in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.room.notify_waiters();
    }
}

/// Hands cucumber the planned features, one file at a time as the gate lets them in. A file
/// that does not parse is reported and the rest run.
struct ReadFeatures;

impl parser::Parser<Arc<Plan>> for ReadFeatures {
    type Cli = cli::Empty;
    type Output = futures::stream::BoxStream<'static, parser::Result<Feature>>;

    fn parse(self, plan: Arc<Plan>, _: cli::Empty) -> Self::Output {
        use futures::StreamExt as _;
        let files = (0..plan.files.len()).collect::<Vec<_>>().into_iter();
        let parsed = stream::iter(files).then(move |i| {
            let plan = plan.clone();
            async move {
                let gate = GATE.get().expect("the gate is set before the run");
                gate.wait_for_room().await;
                let features = parse_file(&plan.files[i]);
                for feature in &features {
                    match feature {
                        Err(e) => eprintln!("callspec: {}", explain(e)),
                        Ok(feature) => {
                            gate.take(
                                scenarios_of(feature)
                                    .filter(|(rule, s)| plan.runs(feature, *rule, s))
                                    .count(),
                            );
                            // Before its scenarios run: steps nothing matches, with the
                            // catalog's closest steps.
                            for hint in catalog::unknown_steps(steps_that_run(feature, &plan)) {
                                eprintln!("callspec: {hint}");
                            }
                        }
                    }
                }
                stream::iter(features)
            }
        });
        parsed.flatten().boxed()
    }
}

/// A scenario as the run knows it: its feature file (as cucumber names it) and line.
type ScenarioKey = (PathBuf, usize);

/// A scenario that may run: its identity (for shards) and its key.
type Candidate = ((String, String, String, usize), ScenarioKey);

/// The scenarios of `feature` that match the filters, with their identity.
fn candidates(feature: &Feature, filters: &Filters, chosen: &mut Vec<Candidate>) {
    let path = feature.path.clone().unwrap_or_default();
    let shown = display_path(&path);
    for (rule, scenario) in scenarios_of(feature) {
        if !filters.matches(feature, rule, scenario) {
            continue;
        }
        let identity = (
            shown.clone(),
            scenario.name.clone(),
            example_row(scenario),
            scenario.position.line,
        );
        chosen.push((identity, (path.clone(), scenario.position.line)));
    }
}

/// The scenarios to run: the candidates (those matching `--name` and `--tags`, both when both
/// are given), then, with `--shard K/N`, every N-th of them from the K-th on, in the order of
/// their identity (feature path relative to the working directory, scenario name, example
/// row): the same split on every machine, each scenario in exactly one shard.
fn select_shard(mut chosen: Vec<Candidate>, shard: Shard) -> HashSet<ScenarioKey> {
    chosen.sort();
    let total = chosen.len();
    chosen = chosen
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % shard.count == shard.index - 1)
        .map(|(_, c)| c)
        .collect();
    eprintln!(
        "callspec: shard {}/{}: {} of {total} scenario(s)",
        shard.index,
        shard.count,
        chosen.len()
    );
    chosen.into_iter().map(|(_, key)| key).collect()
}

/// Every step the scenarios of `feature` that run take (background steps included).
fn steps_that_run<'f>(
    feature: &'f Feature,
    plan: &Plan,
) -> Vec<(&'f Path, &'f cucumber::gherkin::Step)> {
    let Some(path) = feature.path.as_deref() else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    for (rule, scenario) in scenarios_of(feature) {
        if !plan.runs(feature, rule, scenario) {
            continue;
        }
        let rule_background = rule.and_then(|r| r.background.as_ref());
        let background = feature.background.iter().chain(rule_background);
        for step in background.flat_map(|b| &b.steps).chain(&scenario.steps) {
            steps.push((path, step));
        }
    }
    steps
}

/// An outline's example row (cucumber expands each row into a scenario of its own).
fn example_row(scenario: &Scenario) -> String {
    scenario
        .examples
        .first()
        .and_then(|e| e.table.as_ref())
        .and_then(|t| t.rows.get(1))
        .map(|row| row.join("|"))
        .unwrap_or_default()
}

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

/// A report file (and its folder), created before the run: one that cannot be is bad input.
fn create_report(path: &Option<PathBuf>, what: &str) -> Result<Option<File>, ExitCode> {
    let Some(path) = path else {
        return Ok(None);
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    parent
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| File::create(path))
        .map(Some)
        .map_err(|e| {
            eprintln!(
                "callspec: cannot create the {what} report {}: {e}",
                path.display()
            );
            ExitCode::from(2)
        })
}

/// A feature-file error with the file, line and column (cucumber's own message names the file only).
pub(crate) fn explain(error: &parser::Error) -> String {
    use cucumber::gherkin::ParseFileError;
    match error {
        parser::Error::Parsing(e) => match e.as_ref() {
            ParseFileError::Parsing {
                path,
                error,
                source,
            } => {
                let detail = error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                format!(
                    "{}: not a valid feature file: {source}{detail}",
                    path.display()
                )
            }
            ParseFileError::Reading { path, source } => {
                format!("{}: cannot be read: {source}", path.display())
            }
        },
        other => other.to_string(),
    }
}

async fn run(args: RunArgs) -> ExitCode {
    init_settings(RunSettings {
        scenario_time_limit: std::time::Duration::from_secs(args.scenario_timeout),
        ..RunSettings::default()
    });
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("features")]
    } else {
        args.paths.clone()
    };
    for path in &paths {
        if !path.exists() {
            eprintln!("callspec: {} does not exist", path.display());
            return ExitCode::from(2);
        }
    }
    match scenario_folders(&args.scenarios) {
        Ok(folders) => world::init_scenario_folders(folders),
        Err(e) => {
            eprintln!("callspec: {e}");
            return ExitCode::from(2);
        }
    }
    let (junit, json, html) = match (
        create_report(&args.junit, "JUnit"),
        create_report(&args.cucumber_json, "Cucumber JSON"),
        create_report(&args.html, "HTML"),
    ) {
        (Ok(junit), Ok(json), Ok(html)) => (junit, json, html),
        _ => return ExitCode::from(2),
    };
    if html.is_some() {
        report_hook::enable();
    }
    if let Some(dir) = &args.record {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!(
                "callspec: cannot create the recording folder {}: {e}",
                dir.display()
            );
            return ExitCode::from(2);
        }
        record_hook::enable(dir.clone());
    }
    if args.timings.is_some() {
        world::timings::enable();
    }
    if args.target == Target::Live {
        if let Err(e) = start_live(&args).await {
            eprintln!("callspec: {e}");
            return ExitCode::from(2);
        }
    } else if let Err(e) = world::init_mock() {
        // One stand-in server and one inbox server for the whole run.
        eprintln!("callspec: cannot start the stand-in: {e}");
        return ExitCode::from(2);
    }

    let (concurrency, note) =
        limits::capped_concurrency(args.concurrency, limits::open_file_limit());
    if let Some(note) = note {
        eprintln!("{note}");
    }
    let plan = Arc::new(Plan::new(&paths, &args));
    let _ = GATE.set(Gate {
        in_flight: Default::default(),
        room: tokio::sync::Notify::new(),
        cap: (concurrency * 4).max(256),
    });

    let opts = cli::Opts {
        // Filtering is done by `select` (cucumber's own filters would not combine).
        re_filter: None,
        tags_filter: None,
        parser: cli::Empty,
        runner: cucumber::runner::basic::Cli {
            concurrency: Some(concurrency),
            ..Default::default()
        },
        writer: cli::Compose {
            left: cli::Compose {
                left: cli::Compose {
                    left: writer::basic::Cli {
                        verbose: args.verbose,
                        ..Default::default()
                    },
                    right: cli::Empty,
                },
                right: cli::Empty,
            },
            right: cli::Empty,
        },
        custom: cli::Empty,
    };
    // The console, and each report asked for, see the same normalized events.
    let writers = writer::Basic::raw(io::stdout(), Coloring::Auto, Verbosity::Default)
        .tee::<CallWorld, _>(
            Optional::new(junit.map(|file| writer::JUnit::raw(file, Verbosity::Default)))
                .discard_stats_writes()
                .discard_arbitrary_writes(),
        )
        .tee::<CallWorld, _>(
            Optional::new(json.map(writer::Json::raw))
                .discard_stats_writes()
                .discard_arbitrary_writes(),
        )
        .tee::<CallWorld, _>(
            Optional::new(
                html.map(|file| HtmlWriter::new(args.html.clone().unwrap_or_default(), file)),
            )
            .discard_stats_writes()
            .discard_arbitrary_writes(),
        )
        .normalized::<CallWorld>()
        .summarized();
    // The type parameter is the default parser's input; `with_parser` replaces it.
    let summary = CallWorld::cucumber::<&str>()
        .with_parser(ReadFeatures)
        .with_writer(writers)
        .fail_on_skipped()
        .with_cli(opts)
        .before(|feature, _, _, world| Box::pin(world.begin(feature.path.clone())))
        .after(|feature, _, scenario, _, world| {
            if let Some(gate) = GATE.get() {
                gate.release();
            }
            if let Some(world) = world {
                report_hook::record(feature, scenario, world);
                record_hook::record(feature, scenario, world);
                world.finish();
            }
            Box::pin(async {})
        })
        .filter_run(plan.clone(), move |feature, rule, scenario| {
            plan.runs(feature, rule, scenario)
        })
        .await;

    if let (Some(path), Some(figures)) = (&args.timings, world::timings::summary()) {
        if let Err(e) = std::fs::write(path, figures.to_string()) {
            eprintln!("callspec: cannot write {}: {e}", path.display());
        }
    }
    let scenarios = summary.scenarios_stats();
    let bad_files = summary.parsing_errors();
    let mut line = format!(
        "{} passed, {} failed",
        scenarios.passed,
        scenarios.failed + bad_files
    );
    if scenarios.skipped > 0 {
        line.push_str(&format!(", {} skipped", scenarios.skipped));
    }
    println!("{line}");
    if bad_files > 0 {
        println!("({bad_files} feature file(s) could not be read: see above)");
        ExitCode::from(2)
    } else if summary.execution_has_failed() || scenarios.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Live mode: reads the settings, applies the production guard, checks that a token can be had
/// and the notification keys loaded, and opens the callback inbox, before any scenario runs.
async fn start_live(args: &RunArgs) -> anyhow::Result<()> {
    let config = LiveConfig::load(args.env_file.as_deref())?;
    config.guard(args.allow_production)?;
    let client = world::http().clone();
    let tokens = TokenSource::new(config.clone(), client.clone());
    tokens.token().await?;
    let keys = Jwks::fetch(&config.openid_url, &client).await?;
    // Keys rotate: fetched again hourly, and soon after a token names an unknown one.
    keys.keep_fresh(client.clone(), callspec::KEY_REFRESH_INTERVAL, |e| {
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
    world::init_live(world::LiveRun {
        config,
        tokens,
        inbox,
    });
    Ok(())
}

async fn serve(args: ServeArgs) -> ExitCode {
    let options = ServeOptions {
        port: args.port,
        time_scale: args.time_scale,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        journal_size: args.journal_size,
        retention: std::time::Duration::from_secs(args.retention),
        ..Default::default()
    };
    match Server::start(options).await {
        Ok(server) => {
            println!("{}", server.banner());
            server.wait().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("callspec: {e}");
            ExitCode::from(2)
        }
    }
}

async fn token(args: TokenArgs) -> ExitCode {
    let roles: Vec<String> = args.roles.iter().map(|r| r.trim().to_owned()).collect();
    match request_token(&args.server, args.app_id.as_deref(), &roles).await {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("callspec: {e}");
            ExitCode::from(2)
        }
    }
}

async fn drift(args: DriftArgs) -> ExitCode {
    let settle = std::time::Duration::from_secs(args.settle);
    match callspec::drift(&args.path, settle).await {
        Ok(report) => {
            for file in &report.files {
                print!("{}", file.render());
            }
            println!("{}", report.summary());
            if report.drifted() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("callspec: {e}");
            ExitCode::from(2)
        }
    }
}

fn steps(args: StepsArgs) -> ExitCode {
    let entries = catalog::entries();
    if args.check {
        let problems = catalog::check(&entries);
        if problems.is_empty() {
            println!("{} steps, each with an example that runs it", entries.len());
            return ExitCode::SUCCESS;
        }
        for problem in &problems {
            println!("{problem}");
        }
        println!("{} problem(s) in the step catalog", problems.len());
        return ExitCode::from(1);
    }
    let text = match args.format {
        StepsFormat::Text => catalog::render_text(&entries),
        StepsFormat::Markdown => catalog::render_markdown(&entries),
    };
    print!("{text}");
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A run is one thread: the runner, the stand-in and the inbox hand each exchange over
    // without waking another thread (measured: less CPU per scenario, and the verdict follows
    // the notification's arrival sooner). `serve` and `drift` take every core.
    let single = matches!(cli.command, None | Some(Command::Run(_)));
    let runtime = if single {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("callspec: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Run(args)) => run(*args).await,
        Some(Command::Steps(args)) => steps(args),
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Token(args)) => token(args).await,
        Some(Command::Drift(args)) => drift(args).await,
        None => {
            run(RunArgs {
                concurrency: 64,
                scenario_timeout: 120,
                ..Default::default()
            })
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(parse_shard("1/1"), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "2", "a/3", "1/b", "-1/3", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn catalog_parses_attributes_and_docs() {
        let source = r##"//! Steps about things.

/// `Given a thing "x"`: makes a thing.
/// More words.
#[given(expr = "a thing {string}")]
fn thing(world: &mut CallWorld, name: String) {}

#[then(
    regex = r#"^it is "([^"]+)"$"#
)]
async fn is(world: &mut CallWorld, what: String) {}

/// Not an example: `code`, then `When it runs`.
#[when("it runs")]
fn runs(world: &mut CallWorld) {}
"##;
        let entries = catalog::parse_source("steps/things.rs", source);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 5);
        assert_eq!(entries[0].pattern, "a thing {string}");
        assert_eq!(entries[0].example.as_deref(), Some("Given a thing \"x\""));
        assert_eq!(entries[0].prose, "makes a thing. More words.");
        assert_eq!(entries[0].function, "thing");
        assert_eq!(entries[1].pattern, r#"^it is "([^"]+)"$"#);
        assert_eq!(entries[1].example, None);
        assert_eq!(entries[1].function, "is");
        assert_eq!(entries[2].example.as_deref(), Some("When it runs"));
        assert_eq!(entries[2].pattern, "it runs");
    }
}
