//! What a team meets first, outside callspec's checkout (issue 20): `callspec init`, the
//! built-in templates and `callspec templates`, quoted values that stay text, and steps matched
//! whatever their keyword.
//!
//! Each test works in a fresh folder under the system's temporary folder, so no `scenarios/`
//! folder of this checkout is found by the search up from the feature files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh folder outside the checkout, removed at the end of the test.
struct Workspace(PathBuf);

impl Workspace {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("callspec-newcomer-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a temporary folder");
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .expect("the checkout");
        let real = dir.canonicalize().expect("the temporary folder");
        assert!(
            !real.starts_with(&checkout),
            "{} is inside the checkout",
            real.display()
        );
        Workspace(dir)
    }

    fn write(&self, relative: &str, text: &str) {
        let file = self.0.join(relative);
        fs::create_dir_all(file.parent().expect("a parent")).expect("a folder");
        fs::write(file, text).expect("a written file");
    }

    /// `callspec <args>` in this folder.
    fn callspec(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_callspec"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .env_remove("CALLSPEC_SCENARIOS")
            .output()
            .expect("the callspec binary runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_spec_outside_the_checkout_uses_the_built_in_templates() {
    let ws = Workspace::new("builtin");
    ws.write(
        "features/pstn.feature",
        "Feature: A team's first spec\n\
         \x20 Scenario: A PSTN call from the built-in template\n\
         \x20   Given a call request from template \"v1/p2p-pstn-service-hosted\"\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n\
         \x20   And the response matches \"responses/v1/call-establishing.yaml\"\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}

#[test]
fn a_teams_own_template_comes_before_the_built_in_one_and_templates_says_where_each_is_from() {
    let ws = Workspace::new("own-first");
    // The team's copy sends another callee: its file wins over the built-in one of that name.
    ws.write(
        "scenarios/requests/v1/p2p-voip-service-hosted.yaml",
        "extends: v1/p2p-voip-service-hosted\n\
         set:\n\
         \x20 targets[0].identity.user.displayName: Team Callee\n",
    );
    ws.write(
        "scenarios/requests/ours/only-here.yaml",
        "extends: v1/p2p-voip-service-hosted\n",
    );
    ws.write(
        "features/own.feature",
        "Feature: The team's template\n\
         \x20 Scenario: Its own file refines the built-in one of the same name\n\
         \x20   Given a call request from template \"v1/p2p-voip-service-hosted\"\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n\
         \x20   And the response matches:\n\
         \x20     \"\"\"\n\
         \x20     targets: [{identity: {user: {displayName: Team Callee}}}]\n\
         \x20     \"\"\"\n\
         \x20 Scenario: A name only the team has\n\
         \x20   Given a call request from template \"ours/only-here\"\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");

    let (code, listing) = ws.callspec(&["templates"]);
    assert_eq!(code, Some(0), "{listing}");
    let line = |name: &str| {
        listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{listing}"))
            .to_owned()
    };
    assert!(
        line("v1/p2p-pstn-service-hosted").ends_with("built-in"),
        "{listing}"
    );
    assert!(
        line("v1/p2p-voip-service-hosted").contains("scenarios (hides built-in)"),
        "{listing}"
    );
    assert!(line("ours/only-here").ends_with("scenarios"), "{listing}");
    assert!(
        line("notifications/v1/p2p-connected.yaml").ends_with("built-in"),
        "{listing}"
    );
    assert!(
        line("responses/v1/call-establishing.yaml").ends_with("built-in"),
        "{listing}"
    );
    // The harness's own limit tests are not examples for a team.
    assert!(!listing.contains("errors/body-at-limit"), "{listing}");
    assert!(listing.contains("--scenarios DIR"), "{listing}");
}

#[test]
fn a_template_not_found_names_the_folders_the_built_ins_and_the_scenarios_option() {
    let ws = Workspace::new("not-found");
    ws.write(
        "features/typo.feature",
        "Feature: A typo\n\
         \x20 Scenario: The template name is misspelt\n\
         \x20   Given a call request from template \"v1/p2p-pstn-service-hostd\"\n\
         \x20   When the bot creates the call\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(1), "{out}");
    for needle in [
        "template \"v1/p2p-pstn-service-hostd\" not found; looked for scenarios/requests/v1/p2p-pstn-service-hostd.yaml",
        "requests/v1/p2p-pstn-service-hostd.yaml among the built-in templates",
        "--scenarios DIR",
        "`callspec templates`",
        "did you mean \"v1/p2p-pstn-service-hosted\"?",
    ] {
        assert!(out.contains(needle), "{needle:?} in:\n{out}");
    }
}

#[test]
fn quoted_values_are_sent_as_the_text_written() {
    let ws = Workspace::new("quoted");
    ws.write(
        "features/quoted.feature",
        "Feature: Quoted values stay text\n\
         \x20 Scenario: A phone number set by path\n\
         \x20   Given a call request from template \"v1/p2p-pstn-service-hosted\"\n\
         \x20   And the request sets \"targets[0].identity.phone.id\" to \"+14255550123\"\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n\
         \x20   And the response matches:\n\
         \x20     \"\"\"\n\
         \x20     targets: [{identity: {phone: {id: \"+14255550123\"}}}]\n\
         \x20     \"\"\"\n\
         \x20 Scenario: A phone number in a variable, and other text YAML would retype\n\
         \x20   Given the variable \"phone\" is \"+14255550123\"\n\
         \x20   And the variables:\n\
         \x20     | name    | value      |\n\
         \x20     | code    | 007        |\n\
         \x20     | answer  | yes        |\n\
         \x20     | day     | 2026-12-08 |\n\
         \x20     | big     | 1e3        |\n\
         \x20     | hex     | 0x1F       |\n\
         \x20     | nothing | \"null\"     |\n\
         \x20     | count   | 3          |\n\
         \x20   And a call request from template \"v1/p2p-pstn-service-hosted\"\n\
         \x20   And the request sets:\n\
         \x20     | path                                    | value      |\n\
         \x20     | targets[0].identity.phone.id            | ${phone}   |\n\
         \x20     | targets[0].identity.phone.displayName   | ${code}    |\n\
         \x20     | source.region                           | ${answer}  |\n\
         \x20     | source.languageId                       | ${day}     |\n\
         \x20     | source.countryCode                      | ${big}     |\n\
         \x20     | source.endpointType                     | ${hex}     |\n\
         \x20     | source.identity.applicationInstance.displayName | ${nothing} |\n\
         \x20     | ringingTimeoutInSeconds                 | ${count}   |\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response status is 201\n\
         \x20   And the response matches:\n\
         \x20     \"\"\"\n\
         \x20     targets: [{identity: {phone: {id: \"+14255550123\", displayName: \"007\"}}}]\n\
         \x20     source: {identity: {applicationInstance: {displayName: \"null\"}}, region: \"yes\", languageId: \"2026-12-08\", countryCode: \"1e3\", endpointType: \"0x1F\"}\n\
         \x20     ringingTimeoutInSeconds: 3\n\
         \x20     \"\"\"\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
}

#[test]
fn a_phone_number_sent_as_a_json_number_is_refused_as_graph_refuses_it() {
    let ws = Workspace::new("number-id");
    // Unquoted in a table, 14255550123 is a JSON number (JSON's own spelling): Graph's reader
    // cannot convert it to the identity's String id.
    ws.write(
        "features/number.feature",
        "Feature: A number for a String id\n\
         \x20 Scenario: The phone number as a JSON number\n\
         \x20   Given a call request from template \"v1/p2p-pstn-service-hosted\"\n\
         \x20   And the request sets:\n\
         \x20     | path                         | value       |\n\
         \x20     | targets[0].identity.phone.id | 14255550123 |\n\
         \x20   When the bot creates the call\n\
         \x20   Then the response is the Graph error 400 \"BadRequest\"\n\
         \x20   And the response error message is \"Cannot convert the literal '14255550123' to the expected type 'Edm.String'.\"\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_step_is_found_by_its_text_whatever_its_keyword() {
    let ws = Workspace::new("keywords");
    ws.write(
        "features/keywords.feature",
        "Feature: Keywords\n\
         \x20 Scenario: The callee's answer after the create\n\
         \x20   Given a call request from template \"v1/p2p-voip-service-hosted\"\n\
         \x20   When the bot creates the call\n\
         \x20   And the callee answers after 3 seconds\n\
         \x20   Then the response status is 201\n\
         \x20   And the bot receives notifications in order:\n\
         \x20     | changeType | resourceData.state |\n\
         \x20     | updated    | establishing       |\n\
         \x20     | updated    | established        |\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
    assert!(!out.contains("did you mean"), "{out}");

    // Text no definition has, under any keyword, is still an unknown step.
    ws.write(
        "features/keywords.feature",
        "Feature: Keywords\n\
         \x20 Scenario: A step that does not exist\n\
         \x20   Given a call request from template \"v1/p2p-voip-service-hosted\"\n\
         \x20   When the bot creates the call\n\
         \x20   And the callee answerz after 3 seconds\n",
    );
    let (code, out) = ws.callspec(&["run"]);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("the callee answerz after 3 seconds"), "{out}");
    assert!(out.contains("did you mean"), "{out}");
}

/// Every file `callspec init` writes.
const SCAFFOLD: &[&str] = &[
    "features/first_call.feature",
    "features/team_template.feature",
    "scenarios/requests/team/voip-call.yaml",
    "bot.toml",
    ".gitignore",
    ".github/workflows/callspec.yml",
    ".vscode/settings.json",
    "features/step_definitions/callspec_steps.rs",
];

#[test]
fn init_scaffolds_a_project_whose_specs_pass_and_a_second_init_overwrites_nothing() {
    let ws = Workspace::new("init");
    let (code, out) = ws.callspec(&["init"]);
    assert_eq!(code, Some(0), "{out}");
    for file in SCAFFOLD {
        assert!(
            out.contains(&format!("created {file}")),
            "{file} in:\n{out}"
        );
        assert!(ws.0.join(file).is_file(), "{file} was not written:\n{out}");
    }
    assert!(out.contains("next: callspec run"), "{out}");

    // The first spec (a built-in template) and the team's template (extending one) both pass.
    let (code, run) = ws.callspec(&["run"]);
    assert_eq!(code, Some(0), "{run}");
    assert!(run.contains("2 passed, 0 failed"), "{run}");
    assert!(run.contains("\"team/voip-call\""), "{run}");

    // What it wrote is what callspec and the CI read.
    let bot = ws.0.join("bot.toml");
    let config = callspec::bot::BotConfig::parse(&fs::read_to_string(&bot).unwrap(), &bot)
        .unwrap_or_else(|e| panic!("the scaffolded bot.toml: {e}"));
    assert!(config.command.is_some(), "{config:?}");
    let ignore = fs::read_to_string(ws.0.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".callspec/"), "{ignore}");
    let workflow: serde_yaml::Value = serde_yaml::from_str(
        &fs::read_to_string(ws.0.join(".github/workflows/callspec.yml")).unwrap(),
    )
    .expect("the CI job is YAML");
    let steps = format!("{:?}", workflow["jobs"]["specs"]["steps"]);
    for needle in [
        "callspec run features --junit reports/junit.xml --html reports/specs.html",
        "actions/upload-artifact",
        "mikepenz/action-junit-report",
    ] {
        assert!(steps.contains(needle), "{needle} in {steps}");
    }
    let settings: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ws.0.join(".vscode/settings.json")).unwrap())
            .expect("settings.json is JSON");
    assert_eq!(
        settings["cucumber.glue"][0],
        "features/step_definitions/*.rs"
    );

    // A second init keeps every file as it is, edited or not, and says so.
    ws.write("bot.toml", "# ours\nwebhook = \"http://127.0.0.1:9/x\"\n");
    ws.write(".gitignore", "target/\n");
    let before: Vec<String> = SCAFFOLD
        .iter()
        .map(|f| fs::read_to_string(ws.0.join(f)).unwrap())
        .collect();
    let (code, again) = ws.callspec(&["init", "."]);
    assert_eq!(code, Some(0), "{again}");
    for (file, text) in SCAFFOLD.iter().zip(&before) {
        assert!(
            again.contains(&format!("skipped {file} (it exists")),
            "{file}:\n{again}"
        );
        assert_eq!(
            &fs::read_to_string(ws.0.join(file)).unwrap(),
            text,
            "{file}"
        );
    }
    assert!(again.contains("0 created, 8 skipped"), "{again}");
    // A .gitignore of the team's own that lacks the CA folder gets a hint, not an edit.
    assert!(again.contains("add `.callspec/` to it"), "{again}");
}

#[test]
fn init_creates_a_missing_folder_and_fills_in_only_what_is_missing() {
    let ws = Workspace::new("init-dir");
    ws.write("project/features/first_call.feature", "Feature: Ours\n");
    let (code, out) = ws.callspec(&["init", "project/sub"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(ws.0.join("project/sub/bot.toml").is_file(), "{out}");
    assert!(
        out.contains("next: cd project/sub && callspec run"),
        "{out}"
    );

    let (code, out) = ws.callspec(&["init", "project"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("skipped features/first_call.feature"), "{out}");
    assert!(out.contains("7 created, 1 skipped"), "{out}");
    assert_eq!(
        fs::read_to_string(ws.0.join("project/features/first_call.feature")).unwrap(),
        "Feature: Ours\n"
    );

    ws.write("a-file", "x");
    let (code, out) = ws.callspec(&["init", "a-file"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("a-file exists and is not a folder"), "{out}");
}

#[test]
#[ignore = "needs node and npm packages: cd tools/editor && npm ci (.ci/run does it)"]
fn the_editor_glue_of_the_scaffold_resolves_every_step_without_callspecs_sources() {
    // The check of tests/cli/editor.rs, run on a scaffold outside the checkout: the language
    // service reads only the generated glue there.
    let ws = Workspace::new("init-editor");
    let (code, out) = ws.callspec(&["init"]);
    assert_eq!(code, Some(0), "{out}");
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/editor");
    assert!(
        tool.join("node_modules/@cucumber/language-service")
            .is_dir(),
        "the editor test needs tools/editor/node_modules: cd tools/editor && npm ci"
    );
    let out = Command::new("node")
        .arg(tool.join("check-definitions.mjs"))
        .arg(&ws.0)
        .output()
        .expect("node runs (20 or newer on the PATH)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the language service misses steps of the scaffold:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains("2 feature files: each has its definition")
            && stdout.contains("from 1 step files"),
        "unexpected output:\n{stdout}{stderr}"
    );
}
