//! The command line: every subcommand and its options (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cucumber::gherkin::tagexpr::TagOperation;

use super::select::{parse_shard, Shard};

#[derive(Debug, Parser)]
#[command(
    name = "callspec",
    version,
    about = "Gherkin scenario tests for Microsoft Graph calling bots"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// List the request templates and documents a run can use, and where each comes from
    /// (a scenarios folder, or built in).
    Templates(super::templates::TemplatesArgs),
    /// Scaffold a project: a first spec, a template of your own, bot.toml, .gitignore, a CI job
    /// and the editor settings. Never overwrites a file.
    Init(super::init::InitArgs),
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// A folder of `.har` recordings (searched recursively), or one recording.
    pub path: PathBuf,
    /// Simulated seconds the stand-in's clock runs past the recording's end (for a stand-in
    /// slower than Graph).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub settle: u64,
}

/// The port `callspec serve` and `callspec token` use unless told otherwise.
pub const DEFAULT_SERVE_PORT: u16 = 4040;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = DEFAULT_SERVE_PORT)]
    pub port: u16,
    /// Simulated seconds per real second, inverted: 0.1 plays a 60 s ringing timeout in 6 s.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Seconds after which a connection that sends no complete request is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout: u64,
    /// How many API requests, and how many notifications, the journal keeps (the oldest go).
    #[arg(long, value_name = "N", default_value_t = callspec::graph::DEFAULT_JOURNAL_SIZE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1_000_000))]
    pub journal_size: usize,
    /// Simulated seconds an ended call is kept (the journal can show it) before it is forgotten.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(0..=MAX_SCENARIO_TIMEOUT))]
    pub retention: u64,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The app the token is for (default: the server's app).
    #[arg(long)]
    pub app_id: Option<String>,
    /// Comma-separated roles (default: every calling permission).
    #[arg(long, value_delimiter = ',')]
    pub roles: Vec<String>,
    /// The running `callspec serve`.
    #[arg(long, default_value_t = format!("http://127.0.0.1:{DEFAULT_SERVE_PORT}"))]
    pub server: String,
}

#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Feature files or folders; default `features/`.
    pub paths: Vec<PathBuf>,
    /// Run only scenarios whose name matches this regex.
    #[arg(long, short = 'n', value_name = "REGEX")]
    pub name: Option<regex::Regex>,
    /// Run only scenarios whose tags match this expression, e.g. `@p2p and not @beta`.
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<TagOperation>,
    /// How many scenarios run at once.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub concurrency: usize,
    /// Run only shard K of N (e.g. `2/4`): each scenario belongs to exactly one shard.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a Cucumber JSON report to FILE.
    #[arg(long = "cucumber-json", value_name = "FILE")]
    pub cucumber_json: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE (steps, requests, sequence diagrams).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// More output for failed scenarios (-v: requests, responses and notifications as JSON;
    /// -vv: timings too).
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Where requests go: the embedded stand-in (mock), or real Graph (live, a contract run).
    #[arg(long, value_enum, default_value_t = Target::Mock)]
    pub target: Target,
    /// Live mode's settings file (CALLSPEC_* lines; the environment wins over it).
    #[arg(long = "env", value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Let a live run go to a tenant the settings do not name as staging.
    #[arg(long)]
    pub allow_production: bool,
    /// Where templates and documents live (repeatable; searched in the order given), instead
    /// of the `scenarios/` folders up from each feature file. Default: `CALLSPEC_SCENARIOS`
    /// (folders separated by `:`), if set.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
    /// Wall-time limit of one scenario, in seconds (1 to 86400): every wait in it ends by then.
    #[arg(long, value_name = "SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SCENARIO_TIMEOUT))]
    pub scenario_timeout: u64,
    /// Write each scenario's requests, responses and notifications to DIR, one HAR 1.2 file
    /// per scenario (tokens and secrets redacted); `callspec drift DIR` replays them.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// A bot under test: its config (TOML). The stand-in plays Graph, the identity platform
    /// and the callers for it, and the specs check what it does (the book's "Testing your own
    /// bot", docs/src/bot.md).
    #[arg(long, value_name = "FILE")]
    pub bot: Option<PathBuf>,
    /// What the console prints: pretty (every scenario with its steps), compact (a line per
    /// scenario, failures in full), progress (a character per scenario, failures in full at
    /// the end) or summary (failures and totals). Default: pretty up to 100 scenarios, compact
    /// above.
    #[arg(long, value_enum, default_value_t = Format::Auto, hide_default_value = true)]
    pub format: Format,
    /// Stop after the first failed scenario; the others are reported as not run (exit 1).
    #[arg(long)]
    pub fail_fast: bool,
    /// Read every feature file and match every step of every scenario (@bot ones included)
    /// without running anything: no stand-in, bot or network. Exit 0 when all parse and
    /// match, 2 otherwise.
    #[arg(long)]
    pub dry_run: bool,
    /// Write time-to-verdict figures (p50, p99, max; for the benchmark) to FILE as JSON.
    #[arg(long, value_name = "FILE", hide = true)]
    pub timings: Option<PathBuf>,
}

impl RunArgs {
    /// `callspec` with no subcommand: `callspec run` with the defaults.
    pub fn default_run() -> Self {
        RunArgs {
            concurrency: 64,
            scenario_timeout: 120,
            ..Default::default()
        }
    }
}

/// The longest `--scenario-timeout`: a day (beyond it, a deadline could overflow the clock).
pub const MAX_SCENARIO_TIMEOUT: u64 = 86_400;

/// `--format`: what the console prints of each scenario.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Pretty up to [`super::console::COMPACT_ABOVE`] scenarios, compact above.
    #[default]
    #[value(hide = true)]
    Auto,
    Pretty,
    Compact,
    Progress,
    Summary,
}

impl Format {
    /// The format a run of `scenarios` scenarios prints in.
    pub fn resolve(self, scenarios: usize) -> Format {
        match self {
            Format::Auto if scenarios > super::console::COMPACT_ABOVE => Format::Compact,
            Format::Auto => Format::Pretty,
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Target {
    #[default]
    Mock,
    Live,
}

#[derive(Debug, Args)]
pub struct StepsArgs {
    /// Output format: text, a Markdown table per domain, or the book's step reference page.
    #[arg(long, value_enum, default_value_t = StepsFormat::Text)]
    pub format: StepsFormat,
    /// Check the catalog instead of printing it: every step has a doc example, and each
    /// example runs its own step. Exits 1 listing the problems.
    #[arg(long, conflicts_with = "matching")]
    pub check: bool,
    /// Instead of printing the catalog, read these feature files (or folders) and check that
    /// each parses and every step matches a step of the catalog, without running anything.
    /// Exits 1 listing the problems.
    #[arg(long = "match", value_name = "PATH", num_args = 1..)]
    pub matching: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StepsFormat {
    Text,
    Markdown,
    /// The book's step reference page (docs/src/reference/steps.md).
    Book,
}
