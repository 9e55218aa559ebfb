//! `callspec init [DIR]`: a team's own repository, ready for `callspec run` (issue 20).
//!
//! It writes a first spec that passes on the built-in templates, a template of the team's own
//! that extends a built-in one, a commented `bot.toml`, `.gitignore`, a CI job, and the editor
//! support: `.vscode/settings.json` plus step glue generated from the step catalog, so the
//! Cucumber extension resolves every step without callspec's sources. It never overwrites a
//! file: one that exists is skipped, and the listing says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use callspec::display_path;
use clap::Args;

use super::catalog::{self, Entry, Kind, PatternKind};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project folder (created when missing). Default: the current folder.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Where the editor glue goes: a `.rs` file, because the Cucumber language service reads step
/// definitions from source files of the languages it knows; under `features/` (Cucumber's
/// `step_definitions` convention) so it is found with the specs. `callspec run` reads only
/// `.feature` files there.
pub const GLUE_FILE: &str = "features/step_definitions/callspec_steps.rs";

const FIRST_SPEC: &str = r#"# Your first spec: `callspec run` runs every .feature file under features/.
# The template is one of callspec's built-in ones (`callspec templates` lists them), and the
# embedded Graph stand-in plays Graph and the callee: no tenant is needed.
Feature: A first call

  Scenario: The bot calls a Teams user, who answers
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response matches "responses/v1/call-establishing.yaml"
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
      | updated    | established        |
"#;

const TEAM_SPEC: &str = r#"# A spec on a template of your own (scenarios/requests/team/voip-call.yaml).
Feature: Our own template

  Scenario: Our call to Jane, refined from a built-in template
    Given a call request from template "team/voip-call"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                                 | value |
      | targets[0].identity.user.displayName | Jane  |
"#;

const TEAM_TEMPLATE: &str = r#"# A request template of your own. It extends callspec's built-in template of the peer-to-peer
# VoIP call (`callspec templates` lists the built-in ones) and changes only what differs.
# `set:` maps a path to its value; `remove:` lists paths to leave out.
description: Our bot calls Jane
extends: v1/p2p-voip-service-hosted
set:
  targets[0].identity.user.displayName: Jane
"#;

const BOT_TOML: &str = r#"# Your bot under test: `callspec run features/bot --bot bot.toml` starts it, plays Graph, the
# identity platform and the callers for it, and checks what it does (scenarios tagged @bot).
# The book's "Testing your own bot" chapter explains every key.

# The bot's command line (argv, no shell), run in `workdir`. Leave `command` out for a bot you
# start yourself; then give `gateway_port` and `client_secret` so its settings stay the same.
command = ["node", "dist/bot.js"]
workdir = "."                                    # relative to this file

# The bot's calling webhook, where Graph sends notifications (required). `${port}` is a free
# port callspec picks at each run, also handed to the bot as CALLSPEC_BOT_PORT.
webhook = "http://127.0.0.1:${port}/api/calls"

# The base URL of the bot's own endpoints, for `When the bot is asked to "POST /api/outbound" with:`.
# trigger = "http://127.0.0.1:${port}"

# Wall seconds per simulated second (0.01 to 100).
# time_scale = 1.0

# Extra environment for the bot. callspec gives it CALLSPEC_GRAPH_URL, CALLSPEC_AUTHORITY,
# the app's ids and a fresh secret, and its own environment reaches the bot too.
[env]
# GREETING = "Welcome"

# How to tell the bot is ready: a GET that answers 2xx (or `port = 8400`). Default: the
# webhook's port accepting connections.
[ready]
url = "http://127.0.0.1:${port}/health"
timeout_seconds = 30
"#;

const GITIGNORE: &str =
    "# callspec's local test CA (its key) for `--bot` runs, and the reports of a local run.\n\
.callspec/\n\
reports/\n";

const SETTINGS: &str = r#"{
  "cucumber.features": ["features/**/*.feature"],
  "cucumber.glue": ["features/step_definitions/*.rs"]
}
"#;

/// The CI job: the README's GitHub Actions example for a team's repository, which installs the
/// callspec binary rather than building a checkout.
fn workflow() -> String {
    // The repository this callspec was built from; a build without one leaves a placeholder
    // the workflow's comment points at.
    let repository = match env!("CARGO_PKG_REPOSITORY") {
        "" => "https://github.com/OWNER/callspec",
        url => url,
    };
    format!(
        r#"# Runs the specs on every push and pull request, with a JUnit report for the checks tab
# and the HTML report as an artifact.
name: callspec
on: [push, pull_request]
jobs:
  specs:
    runs-on: ubuntu-latest
    env:
      # Where callspec is installed from (its git repository); or download a release binary.
      CALLSPEC_GIT: {repository}
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@stable
      - uses: actions/cache@v4
        with:
          path: ~/.cargo/bin/callspec
          key: callspec-{version}-${{{{ runner.os }}}}
      - run: command -v callspec || cargo install --locked --git "$CALLSPEC_GIT" callspec
      - run: callspec run features --junit reports/junit.xml --html reports/specs.html
      - uses: actions/upload-artifact@v4
        if: always()
        with: {{ name: specs, path: reports/ }}
      - uses: mikepenz/action-junit-report@v4
        if: always()
        with: {{ report_paths: "reports/junit.xml" }}
"#,
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// A Rust raw string literal holding `text` as written (enough `#` that it cannot end early).
fn raw_literal(text: &str) -> String {
    let mut hashes = 1;
    while text.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let fence = "#".repeat(hashes);
    format!("r{fence}\"{text}\"{fence}")
}

/// The editor glue: one empty function per step of the catalog, with its attribute as the step
/// file declares it and its example as documentation. The language service reads the patterns;
/// nothing compiles or runs this file.
pub fn glue(entries: &[Entry]) -> String {
    let mut out = format!(
        "// Generated by `callspec init` from the step catalog of callspec {}: the step patterns\n\
         // the Cucumber extension needs for completion, go-to-definition and \"undefined step\"\n\
         // warnings (.vscode/settings.json names this file). Nothing compiles or runs it. After\n\
         // upgrading callspec, delete it and run `callspec init` again.\n",
        env!("CARGO_PKG_VERSION")
    );
    for (i, entry) in entries.iter().enumerate() {
        let attribute = match entry.kind {
            Kind::Given => "given",
            Kind::When => "when",
            Kind::Then => "then",
        };
        let pattern = raw_literal(&entry.pattern);
        let argument = match entry.pattern_kind {
            PatternKind::Literal => pattern,
            PatternKind::Expr => format!("expr = {pattern}"),
            PatternKind::Regex => format!("regex = {pattern}"),
        };
        out.push('\n');
        if let Some(example) = &entry.example {
            let _ = writeln!(out, "/// `{example}`");
        }
        for line in entry.prose.lines().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "/// {line}");
        }
        let _ = writeln!(out, "#[{attribute}({argument})]");
        let _ = writeln!(out, "fn {}_{i}() {{}}", entry.domain());
    }
    out
}

/// Every file of the scaffold, relative to the project folder, with its content.
pub fn scaffold() -> Vec<(&'static str, String)> {
    vec![
        ("features/first_call.feature", FIRST_SPEC.to_owned()),
        ("features/team_template.feature", TEAM_SPEC.to_owned()),
        (
            "scenarios/requests/team/voip-call.yaml",
            TEAM_TEMPLATE.to_owned(),
        ),
        ("bot.toml", BOT_TOML.to_owned()),
        (".gitignore", GITIGNORE.to_owned()),
        (".github/workflows/callspec.yml", workflow()),
        (".vscode/settings.json", SETTINGS.to_owned()),
        (GLUE_FILE, glue(&catalog::entries())),
    ]
}

/// `callspec init [DIR]`.
pub fn command(args: &InitArgs) -> ExitCode {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    match init(&dir) {
        Ok(listing) => {
            out!("{listing}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("callspec: {message}");
            ExitCode::from(2)
        }
    }
}

/// Writes the scaffold into `dir`, skipping files that exist; returns what it did.
fn init(dir: &Path) -> Result<String, String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{} exists and is not a folder", display_path(dir)));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}", display_path(dir)))?;
    let mut out = String::new();
    let (mut created, mut skipped) = (0, 0);
    for (relative, content) in scaffold() {
        let file = dir.join(relative);
        // symlink_metadata: a dangling link is a file that exists too; never write through it.
        if file.symlink_metadata().is_ok() {
            skipped += 1;
            let _ = writeln!(out, "  skipped {relative} (it exists; left as it is)");
            if relative == ".gitignore" && !ignores_ca(&file) {
                let _ = writeln!(
                    out,
                    "          add `.callspec/` to it: it holds the local test CA's key of `--bot` runs"
                );
            }
            continue;
        }
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", display_path(parent)))?;
        }
        // create_new: a file that appeared meanwhile is still not overwritten.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)
            .and_then(|mut f| std::io::Write::write_all(&mut f, content.as_bytes()));
        match written {
            Ok(()) => {
                created += 1;
                let _ = writeln!(out, "  created {relative}");
            }
            Err(e) => return Err(format!("cannot write {}: {e}", display_path(&file))),
        }
    }
    let shown = display_path(dir);
    let next = if dir == Path::new(".") {
        "callspec run".to_owned()
    } else if shown.contains(char::is_whitespace) {
        format!("cd '{shown}' && callspec run")
    } else {
        format!("cd {shown} && callspec run")
    };
    Ok(format!(
        "callspec init: {shown}\n{out}{created} created, {skipped} skipped (never overwritten)\n\
         next: {next}\n"
    ))
}

/// Whether an existing `.gitignore` already keeps `.callspec/` out.
fn ignores_ca(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| {
        text.lines()
            .map(str::trim)
            .any(|l| matches!(l, ".callspec" | ".callspec/" | "/.callspec/" | "/.callspec"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffolded_bot_toml_is_a_valid_config() {
        let dir = std::env::temp_dir();
        let config = callspec::bot::BotConfig::parse(BOT_TOML, &dir.join("bot.toml"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(config.webhook.ends_with("/api/calls"), "{config:?}");
        assert!(config.port.is_some(), "{config:?}");
    }

    #[test]
    fn the_glue_keeps_every_pattern_as_written() {
        assert_eq!(raw_literal("a \"b\""), "r#\"a \"b\"\"#");
        assert_eq!(raw_literal("x \"# y"), "r##\"x \"# y\"##");
        let entries = catalog::entries();
        let glue = glue(&entries);
        assert_eq!(glue.matches("\nfn ").count(), entries.len());
        for entry in &entries {
            assert!(glue.contains(&raw_literal(&entry.pattern)), "{entry:?}");
        }
    }
}
