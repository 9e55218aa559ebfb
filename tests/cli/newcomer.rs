//! What a team meets first, outside callspec's checkout (issue 20): the built-in templates and
//! `callspec templates`, quoted values that stay text, and steps matched whatever their keyword.
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
