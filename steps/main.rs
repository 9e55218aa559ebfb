//! The `callspec` command: parses the command line and dispatches to the runner
//! ([`run`], which has the "how a run flows" page) or to the other subcommands.
//!
//! The step definitions live in this binary's crate (one file per domain concept, beside the
//! World) because cucumber-rs collects steps at link time and drops those only a library
//! defines; the runner is typed on the World, so it lives here too, in `run/`.

mod bot;
mod call;
mod faults;
mod forgery;
mod load;
mod media;
mod notifications;
mod operations;
mod permissions;
mod remote;
mod request;
mod response;
#[macro_use]
mod run;
mod services;
mod support;
mod world;

use std::process::ExitCode;
use std::time::Duration;

use callspec::{request_token, ServeOptions, Server};
use clap::Parser as _;

use run::cli::{Cli, Command, DriftArgs, RunArgs, ServeArgs, TokenArgs};
use run::error::bad_input;

/// A scenario allocates and frees many small JSON values, tokens and buffers across threads;
/// mimalloc spends a fraction of the time glibc's malloc does on them (measured with
/// `cargo bench --bench suite`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A run is two threads: this one runs the scenarios; the stand-in and inbox servers, and
    // the notifications they send each other, have one of their own (`world::MockServers::start`).
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
            return bad_input();
        }
    };
    runtime.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> ExitCode {
    let done = match cli.command {
        Some(Command::Run(args)) => return run_command(*args).await,
        None => return run_command(RunArgs::default_run()).await,
        Some(Command::Steps(args)) => return run::catalog::command(args),
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Token(args)) => token(args).await,
        Some(Command::Drift(args)) => drift(args).await,
        Some(Command::Templates(args)) => return run::templates::print(&args),
        Some(Command::Init(args)) => return run::init::command(&args),
    };
    done.unwrap_or_else(|e| {
        eprintln!("callspec: {e}");
        bad_input()
    })
}

async fn run_command(args: RunArgs) -> ExitCode {
    match run::run(args).await {
        Ok(summary) => summary.exit_code(),
        Err(e) => {
            eprintln!("callspec: {e}");
            e.exit_code()
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let server = Server::start(ServeOptions {
        port: args.port,
        time_scale: args.time_scale,
        idle_timeout: Duration::from_secs(args.idle_timeout),
        journal_size: args.journal_size,
        retention: Duration::from_secs(args.retention),
        ..Default::default()
    })
    .await?;
    outln!("{}", server.banner());
    server.wait().await;
    Ok(ExitCode::SUCCESS)
}

async fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let roles: Vec<String> = args.roles.iter().map(|r| r.trim().to_owned()).collect();
    outln!(
        "{}",
        request_token(&args.server, args.app_id.as_deref(), &roles).await?
    );
    Ok(ExitCode::SUCCESS)
}

async fn drift(args: DriftArgs) -> anyhow::Result<ExitCode> {
    let report = callspec::drift(&args.path, Duration::from_secs(args.settle)).await?;
    for file in &report.files {
        out!("{}", file.render());
    }
    outln!("{}", report.summary());
    Ok(ExitCode::from(u8::from(report.drifted())))
}
