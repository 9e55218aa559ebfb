//! The `callspec` command: runs Gherkin call scenarios against the embedded Graph stand-in.
//!
//! The step definitions live in this binary's crate (one file per domain concept) because
//! cucumber-rs collects steps at link time and drops those only a library defines.

mod bot;
mod bot_setup;
mod call;
mod catalog;
mod console;
mod faults;
mod features;
mod gherkin_fast;
mod junit;
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
mod tables;
mod world;
mod writers;

use std::collections::HashSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Args, Parser, Subcommand, ValueEnum};
use cucumber::gherkin::{tagexpr::TagOperation, Feature, Rule, Scenario};
use cucumber::tag::Ext as _;
use cucumber::{cli, parser, writer, World as _, WriterExt as _};
use futures::stream;

use anyhow::Context as _;
use callspec::auth::{Jwks, TokenKeys, TokenVerifier};
use callspec::{display_path, request_token, Inbox, LiveConfig, ServeOptions, Server, TokenSource};
use console::{example_row, Console, Outcomes, Status};
use report_hook::HtmlWriter;
use world::{init_settings, CallWorld, RunSettings};
use writers::Writers;

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
    #[arg(long, value_name = "N", default_value_t = callspec::graph::DEFAULT_JOURNAL_SIZE,
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
    /// More output for failed scenarios (-v: requests, responses and notifications as JSON;
    /// -vv: timings too).
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
    /// A bot under test: its config (TOML). The stand-in plays Graph, the identity platform
    /// and the callers for it, and the specs check what it does (README: "Testing your own
    /// bot").
    #[arg(long, value_name = "FILE")]
    bot: Option<PathBuf>,
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

/// The feature files a run reads, and the scenarios it runs (chosen by a first read).
struct Plan {
    files: Vec<PathBuf>,
    keys: HashSet<ScenarioKey>,
    /// What the first read parsed, by file, while it fit [`KEEP_PARSED_SCENARIOS`]: handed
    /// to cucumber as is (parsing is most of a file's cost); the other files are read again.
    kept: Mutex<Vec<Option<Vec<Feature>>>>,
    /// The next file past the budget, being parsed on a thread of its own meanwhile.
    ahead: Mutex<Option<(usize, std::thread::JoinHandle<Vec<Feature>>)>>,
}

impl Plan {
    /// File `i`'s features: kept by the first read, read ahead, or else read now.
    ///
    /// Never awaits: cucumber's runner polls for scenarios without yielding while none is
    /// running, so a parse awaited on the blocking pool would never be picked up on the run's
    /// single thread. The read-ahead thread is joined instead.
    fn features(&self, i: usize) -> Vec<Feature> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner())[i].take();
        let features = match kept {
            Some(features) => features,
            None => match self.ahead.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some((j, thread)) if j == i => thread
                    .join()
                    .unwrap_or_else(|_| features::read_one(&self.files[i]).features),
                _ => features::read_one(&self.files[i]).features,
            },
        };
        self.read_ahead(i + 1);
        features
    }

    /// Starts parsing file `i` on another thread when the first read did not keep it.
    fn read_ahead(&self, i: usize) {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.get(i).is_none_or(Option::is_some) {
            return;
        }
        drop(kept);
        let file = self.files[i].clone();
        let thread = std::thread::Builder::new()
            .name("callspec-read".into())
            .spawn(move || features::read_one(&file).features);
        // Without a thread, the file is read when its turn comes.
        if let Ok(thread) = thread {
            *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) = Some((i, thread));
        }
    }
}

/// How many scenarios' parsed features the first read keeps for the run (a parsed scenario
/// costs ~3 KB: ~15 MB at most). Smaller suites are parsed once; in larger ones the files
/// past it are parsed again as the run makes room for them, each on a thread of its own while
/// the run works on the file before.
const KEEP_PARSED_SCENARIOS: usize = 5_000;

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

/// Hands cucumber the planned features, one file at a time as the gate lets them in (a parsed
/// scenario costs kilobytes: a run of 100,000 cannot hold them all). Their problems were
/// reported by the first read.
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
                let features = plan.features(i);
                for feature in &features {
                    let path = feature.path.clone().unwrap_or_default();
                    gate.take(
                        scenarios_of(feature)
                            .filter(|(_, s)| plan.keys.contains(&(path.clone(), s.position.line)))
                            .count(),
                    );
                    // Before its scenarios run: steps nothing matches, with the catalog's
                    // closest steps.
                    for hint in catalog::unknown_steps(steps_that_run(feature, &plan)) {
                        eprintln!("callspec: {hint}");
                    }
                }
                stream::iter(features.into_iter().map(Ok))
            }
        });
        parsed.flatten().boxed()
    }
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
        if !plan
            .keys
            .contains(&(path.to_path_buf(), scenario.position.line))
        {
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

/// Every scenario of a feature, with its rule.
fn scenarios_of(feature: &Feature) -> impl Iterator<Item = (Option<&Rule>, &Scenario)> {
    feature.scenarios.iter().map(|s| (None, s)).chain(
        feature
            .rules
            .iter()
            .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
    )
}

/// A scenario as the run knows it: its feature file (as cucumber names it) and line.
type ScenarioKey = (PathBuf, usize);

/// What `select` chose.
struct Selection {
    /// The scenarios of this run (this shard's).
    keys: HashSet<ScenarioKey>,
    /// How many scenarios the feature files hold, how many passed `--name` and `--tags`, and
    /// how many of those this mode runs (live mode skips `@mock-only` ones).
    total: usize,
    filtered: usize,
    matched: usize,
    /// Of `filtered`, how many belong to the other kind of run: `@bot` scenarios need `--bot`,
    /// and a run with `--bot` runs only those.
    other_kind: usize,
}

/// The scenarios to run: those matching `--name` and `--tags` (both, when both are given),
/// then, with `--shard K/N`, every N-th of them from the K-th on, in the order of their
/// identity (feature path relative to the working directory, scenario name, example row):
/// the same split on every machine, each scenario in exactly one shard.
fn select(features: impl IntoIterator<Item = Feature>, args: &RunArgs) -> Selection {
    let mut chosen = Vec::new();
    let mut total = 0;
    let mut filtered = 0;
    let mut other_kind = 0;
    for feature in features {
        let feature = &feature;
        let path = feature.path.clone().unwrap_or_default();
        let shown = display_path(&path);
        let scenarios = feature.scenarios.iter().map(|s| (None, s)).chain(
            feature
                .rules
                .iter()
                .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
        );
        for (rule, scenario) in scenarios {
            total += 1;
            if args
                .name
                .as_ref()
                .is_some_and(|re| !re.is_match(&scenario.name))
            {
                continue;
            }
            let all_tags = || {
                feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(&scenario.tags)
            };
            if let Some(tags) = &args.tags {
                if !tags.eval(all_tags()) {
                    continue;
                }
            }
            filtered += 1;
            // Scenarios that script the stand-in cannot run against real Graph.
            if args.target == Target::Live && all_tags().any(|t| t == "mock-only") {
                continue;
            }
            // A spec for a bot under test checks the bot; the others play the bot themselves.
            if all_tags().any(|t| t == "bot") != args.bot.is_some() {
                other_kind += 1;
                continue;
            }
            // The identity only matters to shards (kept small otherwise: a run may hold
            // 100,000 keys).
            let identity = match args.shard {
                Some(_) => (
                    shown.clone(),
                    scenario.name.clone(),
                    example_row(scenario),
                    scenario.position.line,
                ),
                None => Default::default(),
            };
            chosen.push((identity, (path.clone(), scenario.position.line)));
        }
    }
    let matched = chosen.len();
    if let Some(shard) = args.shard {
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
    }
    Selection {
        keys: chosen.into_iter().map(|(_, key)| key).collect(),
        total,
        filtered,
        matched,
        other_kind,
    }
}

/// Two report options naming one file would overwrite each other: refused before the run.
fn distinct_reports(reports: &[(&str, &Option<PathBuf>)]) -> Result<(), String> {
    // The same file however it is spelt: its folder resolved, then its name.
    let identity = |path: &Path| {
        let name = path.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let parent = parent.unwrap_or(Path::new("."));
        parent
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(display_path(parent)))
            .join(name)
    };
    let given: Vec<(&str, &PathBuf)> = reports
        .iter()
        .filter_map(|(what, path)| path.as_ref().map(|p| (*what, p)))
        .collect();
    for (i, (first, a)) in given.iter().enumerate() {
        for (second, b) in &given[i + 1..] {
            if identity(a) == identity(b) {
                return Err(format!(
                    "{first} and {second} both name {}: give each report its own file",
                    display_path(b)
                ));
            }
        }
    }
    Ok(())
}

/// An in-memory report, written to its file when the run is over (so a write error is seen).
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes a finished report into the file made before the run; `false` (said on stderr) when
/// it cannot be written.
fn write_report(file: Option<File>, path: &Option<PathBuf>, what: &str, text: &[u8]) -> bool {
    let (Some(mut file), Some(path)) = (file, path) else {
        return true;
    };
    let text = callspec::redact::redact_bytes(text);
    match file.write_all(&text).and_then(|()| file.flush()) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "callspec: cannot write the {what} report {}: {e}",
                display_path(path)
            );
            false
        }
    }
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
                display_path(path)
            );
            ExitCode::from(2)
        })
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
    if let Err(e) = distinct_reports(&[
        ("--junit", &args.junit),
        ("--cucumber-json", &args.cucumber_json),
        ("--html", &args.html),
    ]) {
        eprintln!("callspec: {e}");
        return ExitCode::from(2);
    }
    let mut loaded = match features::discover(&paths) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("callspec: {e}");
            return ExitCode::from(2);
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
    match (args.bot.is_some(), selected.other_kind) {
        (_, 0) => {}
        (false, n) => eprintln!(
            "callspec: note: {n} scenario(s) tagged @bot test a bot of your own: they run with \
             --bot FILE (README: \"Testing your own bot\")"
        ),
        (true, n) => eprintln!(
            "callspec: note: {n} scenario(s) without the @bot tag play the bot themselves: \
             they do not run with --bot"
        ),
    }
    if selected.filtered > selected.other_kind && selected.matched == 0 {
        eprintln!("callspec: note: every selected scenario is @mock-only: live mode skips them");
    }
    if selected.matched == 0 && selected.other_kind > 0 && loaded.errors.is_empty() {
        eprintln!("callspec: nothing to run in this kind of run (see the note above)");
        return ExitCode::from(2);
    }
    let filters = args.name.is_some() || args.tags.is_some();
    // With errors in the feature files and no filter, the run goes on (to nothing) so the
    // reports hold the errors; it exits 2 all the same.
    if selected.filtered == 0 && (loaded.errors.is_empty() || filters) {
        // A filter with a typo must not make a green run of nothing.
        let why = match (&args.name, &args.tags) {
            (None, None) => "the feature files hold no scenario".to_owned(),
            (name, tags) => {
                let mut filters = Vec::new();
                if let Some(name) = name {
                    filters.push(format!("--name {:?}", name.as_str()));
                }
                if let Some(tags) = tags {
                    filters.push(format!("--tags {:?}", tag_text(tags)));
                }
                format!(
                    "{} matches none of the {} scenario(s)",
                    filters.join(" with "),
                    selected.total
                )
            }
        };
        eprintln!("callspec: nothing to run: {why}");
        return ExitCode::from(2);
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
    if html.is_some() || args.verbose > 0 {
        report_hook::enable(html.is_some());
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
    // The bot is in a process group of its own, so Ctrl-C reaches only callspec: from before
    // the bot starts, SIGINT and SIGTERM stop the bot, then callspec, or the bot would outlive
    // the run.
    let mut stop_signals = match args.bot.is_some().then(bot_setup::StopSignals::listen) {
        Some(Ok(signals)) => Some(signals),
        Some(Err(e)) => {
            eprintln!("callspec: cannot listen for Ctrl-C: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let bot = match (&args.bot, &mut stop_signals) {
        (Some(_), _) if args.target == Target::Live => {
            eprintln!("callspec: --bot runs the bot against the stand-in: it needs --target mock");
            return ExitCode::from(2);
        }
        (Some(path), Some(signals)) => {
            let started = tokio::select! {
                started = bot_setup::start(path) => started,
                // Dropping the start stops a bot that was being started.
                signal = signals.next() => {
                    eprintln!("callspec: {signal}; the bot was stopped");
                    return ExitCode::from(130);
                }
            };
            match started {
                Ok(process) => Some(process),
                Err(e) => {
                    eprintln!("callspec: {e:#}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let (concurrency, note) =
        limits::capped_concurrency(args.concurrency, limits::open_file_limit());
    if let Some(note) = note {
        eprintln!("{note}");
    }
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
        writer: cli::Empty,
        custom: cli::Empty,
    };
    let outcomes = Outcomes::default();
    let json_text = SharedBuf::default();
    let html_page = Arc::new(Mutex::new(None));
    let problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    let started = std::time::Instant::now();
    // The console and each report asked for see the same normalized events; the reports are
    // built in memory and written when the run is over.
    let writers = Writers::new(
        Console::new(args.verbose, outcomes.clone(), junit.is_some()),
        json.is_some().then(|| writer::Json::raw(json_text.clone())),
        html.is_some()
            .then(|| HtmlWriter::new(html_page.clone(), problems)),
    )
    .normalized::<CallWorld>();
    let plan = Arc::new(Plan {
        files: std::mem::take(&mut loaded.files),
        keys: selected.keys,
        kept: Mutex::new(kept),
        ahead: Mutex::new(None),
    });
    let keys = plan.clone();
    // The type parameter is the default parser's input; `with_parser` replaces it.
    let suite = CallWorld::cucumber::<&str>()
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
                eprintln!("callspec: {signal}; the bot was stopped");
                return ExitCode::from(130);
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
    if let (Some(path), Some(figures)) = (&args.timings, world::timings::summary()) {
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
    let mut written = true;
    if junit.is_some() {
        match junit::render(&outcomes, &loaded.errors, wall_time) {
            Ok(xml) => written &= write_report(junit, &args.junit, "JUnit", xml.as_bytes()),
            Err(e) => {
                eprintln!("callspec: cannot build the JUnit report: {e}");
                written = false;
            }
        }
    }
    let json_bytes = std::mem::take(&mut *json_text.0.lock().unwrap_or_else(|e| e.into_inner()));
    written &= write_report(json, &args.cucumber_json, "Cucumber JSON", &json_bytes);
    let page = html_page.lock().unwrap_or_else(|e| e.into_inner()).take();
    written &= write_report(
        html,
        &args.html,
        "HTML",
        page.unwrap_or_default().as_bytes(),
    );

    if outcomes.is_empty() && args.shard.is_some() {
        eprintln!(
            "callspec: note: this shard is empty: the selection has {} scenario(s) for {} shards",
            selected.matched,
            args.shard.map_or(1, |s| s.count)
        );
    }
    let mut line = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        line.push_str(&format!(", {skipped} skipped"));
    }
    println!("{line}");
    if !loaded.errors.is_empty() {
        println!(
            "({} problem(s) in feature files: see above)",
            loaded.errors.len()
        );
        ExitCode::from(2)
    } else if !written {
        ExitCode::from(2)
    } else if failed > 0 || skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A tag expression as the user wrote it, near enough (`@a and not @b`).
fn tag_text(tags: &TagOperation) -> String {
    match tags {
        TagOperation::And(a, b) => format!("{} and {}", tag_text(a), tag_text(b)),
        TagOperation::Or(a, b) => format!("({} or {})", tag_text(a), tag_text(b)),
        TagOperation::Not(a) => format!("not {}", tag_text(a)),
        TagOperation::Tag(t) => format!("@{t}"),
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
    // A run is two threads: this one runs the scenarios; the stand-in and inbox servers, and
    // the notifications they send each other, have one of their own (`world::init_mock`).
    // Measured: a multi-threaded runtime spread the scenarios' wake-ups over both cores and
    // put p99 time to verdict over 1 ms; two single-threaded runtimes keep it under. `serve`
    // and `drift` take every core.
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
