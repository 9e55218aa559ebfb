//! The `callspec` command: runs Gherkin call scenarios against the embedded Graph stand-in.
//!
//! The step definitions live in this binary's crate (one file per domain concept) because
//! cucumber-rs collects steps at link time and drops those only a library defines.

mod call;
mod faults;
mod notifications;
mod operations;
mod permissions;
mod remote;
mod request;
mod response;
mod support;
mod world;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cucumber::gherkin::Feature;
use cucumber::writer::Stats as _;
use cucumber::{cli, parser, writer, World as _, WriterExt as _};
use futures::{stream, StreamExt as _};

use world::{init_settings, CallWorld, RunSettings};

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
    Run(RunArgs),
}

#[derive(Debug, Args, Default)]
struct RunArgs {
    /// Feature files or folders; default `features/`.
    paths: Vec<PathBuf>,
    /// Run only scenarios whose name matches this regex.
    #[arg(long, short = 'n')]
    name: Option<regex::Regex>,
    /// Run only scenarios whose tags match this expression, e.g. `@p2p and not @beta`.
    #[arg(long, short = 't')]
    tags: Option<cucumber::gherkin::tagexpr::TagOperation>,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// More output for failed steps (-v: the World, -vv: docstrings too).
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
}

/// Reads every feature under each path; a file that does not parse is reported and the rest run.
struct FeaturePaths;

impl parser::Parser<Vec<PathBuf>> for FeaturePaths {
    type Cli = cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<parser::Result<Feature>>>;

    fn parse(self, paths: Vec<PathBuf>, _: cli::Empty) -> Self::Output {
        let mut features = Vec::new();
        for path in paths {
            let parsed = parser::Basic::new().parse(path, parser::basic::Cli::default());
            for feature in futures::executor::block_on(parsed.collect::<Vec<_>>()) {
                if let Err(e) = &feature {
                    eprintln!("callspec: {}", explain(e));
                }
                features.push(feature);
            }
        }
        stream::iter(features)
    }
}

/// A feature-file error with the file, line and column (cucumber's own message names the file only).
fn explain(error: &parser::Error) -> String {
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
    init_settings(RunSettings::default());
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("features")]
    } else {
        args.paths
    };
    for path in &paths {
        if !path.exists() {
            eprintln!("callspec: {} does not exist", path.display());
            return ExitCode::from(2);
        }
    }
    let opts = cli::Opts {
        re_filter: args.name,
        tags_filter: args.tags,
        parser: cli::Empty,
        runner: cucumber::runner::basic::Cli {
            concurrency: Some(args.concurrency.max(1)),
            ..Default::default()
        },
        writer: writer::basic::Cli {
            verbose: args.verbose,
            ..Default::default()
        },
        custom: cli::Empty,
    };
    // The type parameter is the default parser's input; `with_parser` replaces it.
    let summary = CallWorld::cucumber::<&str>()
        .with_parser(FeaturePaths)
        .with_writer(writer::Basic::stdout().summarized())
        .fail_on_skipped()
        .with_cli(opts)
        .before(|feature, _, _, world| Box::pin(world.begin(feature.path.clone())))
        .after(|_, _, _, _, world| {
            if let Some(world) = world {
                world.finish();
            }
            Box::pin(async {})
        })
        .run(paths)
        .await;

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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run(args)) => run(args).await,
        None => {
            run(RunArgs {
                concurrency: 64,
                ..Default::default()
            })
            .await
        }
    }
}
