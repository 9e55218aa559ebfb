//! `callspec run --record DIR` and `callspec drift DIR`.
//!
//! The stand-in's payloads move toward real Graph while this is written, so no test here
//! depends on today's payloads: recordings are made from the current stand-in (mock mode), then
//! altered, and drift must report exactly the alteration. The one recording built from real
//! captures (`tests/fixtures/drift/captures/`) is checked in terms that stay true.

use std::path::{Path, PathBuf};

use crate::common::{callspec, exec, Run};
use serde_json::{json, Value};

/// A fresh folder for one test's recordings.
fn folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("drift")
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn drift(path: &Path) -> Run {
    exec(&["drift", &path.display().to_string()])
}

/// Records `args` (feature paths and options) into a new folder; the run must pass.
fn record(name: &str, args: &[&str]) -> PathBuf {
    let dir = folder(name);
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--record".into(), dir.display().to_string()]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = callspec(&all);
    assert_eq!(run.code, Some(0), "{}", run.output());
    dir
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

fn read(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// Writes `har` as the only recording of a new folder.
fn write(name: &str, har: &Value) -> PathBuf {
    let dir = folder(name);
    std::fs::write(
        dir.join("altered.har"),
        serde_json::to_string_pretty(har).unwrap(),
    )
    .unwrap();
    dir
}

/// The notification entries' envelopes, parsed, with a way to put them back.
fn notification_indexes(har: &Value) -> Vec<usize> {
    har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, e)| e["_callspec"]["kind"] == "notification")
        .map(|(i, _)| i)
        .collect()
}

fn edit_notification(har: &mut Value, entry: usize, change: impl FnOnce(&mut Value)) {
    let text = &mut har["log"]["entries"][entry]["request"]["postData"]["text"];
    let mut envelope: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    change(&mut envelope["value"][0]);
    *text = json!(envelope.to_string());
}

/// The documented peer-to-peer call, recorded from the current stand-in: establishing,
/// established and the media update.
fn p2p_recording(name: &str) -> (PathBuf, Value) {
    let dir = record(
        name,
        &[
            "features/create_call/p2p_voip.feature",
            "--name",
            "^Example 1 - peer-to-peer VoIP call with service-hosted media$",
        ],
    );
    let file = only_file(&dir);
    let har = read(&file);
    // A call to a Teams user: establishing, established, the media, the chat, the meeting, the
    // roster.
    assert_eq!(notification_indexes(&har).len(), 6, "{har}");
    (dir, har)
}

#[test]
fn fresh_mock_recordings_replay_without_drift() {
    let dir = record(
        "fresh",
        &[
            "features/create_call/p2p_voip.feature",
            "features/create_call/join_meeting.feature",
            "features/create_call/group_call.feature",
            "features/lifecycle/hang_up.feature",
        ],
    );
    let run = drift(&dir);
    assert_eq!(run.code, Some(0), "{}", run.output());
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("drift: none in "), "{}", run.output());
    assert!(!run.stdout.contains("Graph sends"), "{}", run.output());
    // One file per scenario, HAR 1.2, requests and notifications in the order they happened.
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert!(files >= 8, "{files} recordings");
    let (_, har) = p2p_recording("shape");
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["_callspec"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "request",
            "notification",
            "notification",
            "notification",
            "notification",
            "notification",
            "notification"
        ]
    );
    assert_eq!(entries[0]["response"]["status"], 201);
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["startedDateTime"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Simulated time: the callee answers 1 s after the create.
    assert_ne!(times[1], times[2]);
    let headers = entries[1]["request"]["headers"].to_string();
    assert!(headers.contains("Bearer <redacted>"), "{headers}");
}

#[test]
fn edited_recordings_drift_and_the_report_names_what_changed() {
    let (_, original) = p2p_recording("edits");
    let notes = notification_indexes(&original);
    let established = notes[1];
    // Each edit, and a line the report must hold.
    let mut edits: Vec<(&str, Value, String)> = Vec::new();

    let mut har = original.clone();
    edit_notification(&mut har, established, |item| {
        item["resourceData"]["graphOnlyCanary"] = json!({"nested": 1});
    });
    edits.push((
        "a key Graph sends",
        har,
        "Graph sends, the stand-in does not: resourceData.graphOnlyCanary".into(),
    ));

    let mut har = original.clone();
    let mut dropped = String::new();
    edit_notification(&mut har, established, |item| {
        let data = item["resourceData"].as_object_mut().unwrap();
        let key = data
            .keys()
            .find(|k| *k != "state")
            .cloned()
            .expect("resourceData has a key besides state");
        data.remove(&key);
        dropped = key;
    });
    edits.push((
        "a key Graph does not send",
        har,
        format!("the stand-in adds, Graph does not send: resourceData.{dropped}"),
    ));

    // A meeting join's roster, with a participant the stand-in does not have.
    let dir = record(
        "roster",
        &[
            "features/create_call/join_meeting.feature",
            "--name",
            "^Example 5 ",
        ],
    );
    let mut har = read(&only_file(&dir));
    let roster = *notification_indexes(&har).last().unwrap();
    let mut count = 0;
    edit_notification(&mut har, roster, |item| {
        let list = item["resourceData"].as_array_mut().expect("a roster");
        list.push(list[0].clone());
        count = list.len();
    });
    edits.push((
        "a larger roster",
        har,
        format!(
            "resourceData: Graph {count} participant(s), the stand-in {}",
            count - 1
        ),
    ));

    let mut har = original.clone();
    har["log"]["entries"][0]["response"]["status"] = json!(202);
    edits.push((
        "another status",
        har,
        "status: Graph 202, the stand-in 201".into(),
    ));

    let mut har = original.clone();
    let text = &mut har["log"]["entries"][0]["response"]["content"]["text"];
    let mut body: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    let standin_type = body["@odata.type"].as_str().unwrap().to_owned();
    body["@odata.type"] = json!("#microsoft.graph.callSomethingElse");
    *text = json!(body.to_string());
    edits.push((
        "another @odata.type",
        har,
        format!(
            "@odata.type: Graph #microsoft.graph.callSomethingElse, the stand-in {standin_type}"
        ),
    ));

    let mut har = original.clone();
    edit_notification(&mut har, established, |item| {
        item["resourceData"]["state"] = json!("terminated");
    });
    edits.push((
        "another state",
        har,
        "resourceData.state: Graph terminated, the stand-in established".into(),
    ));

    let mut har = original.clone();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    entries.swap(notes[0], notes[1]);
    edits.push((
        "another order",
        har,
        "Graph sent notifications 1, 2, 3, 4, 5, 6; the stand-in sends them as 2, 1, 3, 4, 5, 6"
            .into(),
    ));

    let mut har = original.clone();
    har["log"]["entries"]
        .as_array_mut()
        .unwrap()
        .remove(notes[0]);
    edits.push((
        "a notification Graph did not send",
        har,
        "the stand-in sends it; Graph sent nothing like it".into(),
    ));

    for (what, har, expected) in edits {
        let run = drift(&write("edit", &har));
        assert_eq!(run.code, Some(1), "{what}:\n{}", run.output());
        assert!(
            run.stdout.contains(&expected),
            "{what}: no {expected:?} in\n{}",
            run.output()
        );
        let last = run.stdout.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("drift: 1 of 1 recording(s) drifted, "),
            "{what}:\n{}",
            run.output()
        );
    }
}

#[test]
fn a_stand_in_that_behaves_otherwise_is_reported() {
    // The recording's story says the callee declines: the stand-in now ends the call where
    // Graph established it.
    let (_, mut har) = p2p_recording("behaviour");
    har["log"]["_callspec"]["script"] = json!({"callee": {"answer": "declines"}});
    let run = drift(&write("declines", &har));
    assert_eq!(run.code, Some(1), "{}", run.output());
    assert!(
        run.stdout
            .contains("resourceData.state: Graph established, the stand-in terminated"),
        "{}",
        run.output()
    );
    assert!(
        run.stdout
            .contains("changeType: Graph updated, the stand-in deleted"),
        "{}",
        run.output()
    );
}

/// Every key path of `value`, as drift writes them (`a.b`, `list[].c`).
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(path.clone());
                key_paths(v, &path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

const CAPTURES: &str = "tests/fixtures/drift/captures";

/// Checks drift's report on one recording built from captures: every path it says Graph sends
/// is in that captured notification, every path it says the stand-in adds is not.
fn check_capture(file: &Path) {
    let har = read(file);
    let mut graph_paths: Vec<Vec<String>> = Vec::new();
    for i in notification_indexes(&har) {
        let text = har["log"]["entries"][i]["request"]["postData"]["text"]
            .as_str()
            .unwrap();
        let envelope: Value = serde_json::from_str(text).unwrap();
        let mut paths = Vec::new();
        key_paths(&envelope["value"][0], "", &mut paths);
        graph_paths.push(paths);
    }
    let run = drift(file);
    // The stand-in may or may not match the captures yet; either way the report is honest.
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.output());
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("drift: "), "{}", run.output());
    let counts = format!(
        "(live recording, 1 response(s), {} notification(s))",
        graph_paths.len()
    );
    assert!(run.stdout.contains(&counts), "{}", run.output());
    let mut current: Option<&Vec<String>> = None;
    for line in run.stdout.lines() {
        if let Some(rest) = line.strip_prefix("  notification ") {
            let n: usize = rest.split(' ').next().unwrap().parse().unwrap();
            current = Some(&graph_paths[n - 1]);
        }
        let Some(paths) = current else { continue };
        let line = line.trim();
        if let Some(list) = line.strip_prefix("Graph sends, the stand-in does not: ") {
            for path in list.split(", ") {
                assert!(
                    paths.iter().any(|p| p == path),
                    "{path}: not captured\n{}",
                    run.stdout
                );
            }
        }
        if let Some(list) = line.strip_prefix("the stand-in adds, Graph does not send: ") {
            for path in list.split(", ") {
                assert!(
                    !paths.iter().any(|p| p == path),
                    "{path}: captured\n{}",
                    run.stdout
                );
            }
        }
    }
    let differs = run.stdout.contains("\n  notification ")
        || run.stdout.contains("\n  stand-in notification ")
        || run.stdout.contains("\n  response ")
        || run.stdout.contains("\n  order");
    assert_eq!(run.code == Some(1), differs, "{}", run.output());
}

#[test]
fn real_captures_replay_and_every_reported_path_is_real() {
    let mut files = 0;
    for entry in std::fs::read_dir(CAPTURES).unwrap() {
        check_capture(&entry.unwrap().path());
        files += 1;
    }
    assert!(files >= 2, "{files} recordings built from captures");

    // A key no stand-in sends, added to the captured hang-up: always reported, with its path.
    let mut canary = read(&Path::new(CAPTURES).join("p2p-remote-hang-up.har"));
    let last_note = *notification_indexes(&canary).last().unwrap();
    edit_notification(&mut canary, last_note, |item| {
        item["resourceData"]["resultInfo"]["callspecCanary"] = json!(true);
    });
    let run = drift(&write("canary", &canary));
    assert_eq!(run.code, Some(1), "{}", run.output());
    let report = run
        .stdout
        .split("  notification 4 deleted")
        .nth(1)
        .unwrap_or_default();
    assert!(
        report.contains("resourceData.resultInfo.callspecCanary"),
        "{}",
        run.output()
    );
}

#[test]
fn bad_recordings_are_bad_input() {
    let (_, har) = p2p_recording("bad");
    let text = serde_json::to_string_pretty(&har).unwrap();

    let dir = folder("cut");
    std::fs::write(dir.join("cut.har"), &text[..text.len() / 2]).unwrap();
    let run = drift(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    let at = regex::Regex::new(r"cut\.har:\d+:\d+: ").unwrap();
    assert!(at.is_match(&run.stderr), "{}", run.output());

    let dir = folder("typo");
    let typo = text.replacen("\"startedDateTime\"", "\"startedDateTim\"", 1);
    std::fs::write(dir.join("typo.har"), typo).unwrap();
    let run = drift(&dir);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("unknown field `startedDateTim`")
            && run.stderr.contains("did you mean `startedDateTime`?"),
        "{}",
        run.output()
    );

    let mut bad_script = har.clone();
    bad_script["log"]["_callspec"]["script"] = json!({"callee": {"answer": "maybe"}});
    let run = drift(&write("script", &bad_script));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("refuses the recording's script"),
        "{}",
        run.output()
    );

    let run = drift(&folder("empty"));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("holds no .har recording"),
        "{}",
        run.output()
    );

    let run = drift(Path::new("tests/fixtures/drift/nothing-here"));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(run.stderr.contains("does not exist"), "{}", run.output());
}

#[test]
fn recordings_never_hold_a_token() {
    // The auth specs send forged, expired, unsigned and delegated tokens, and explicit
    // Authorization headers; the stand-in signs every notification.
    let dir = record("tokens", &["features/auth"]);
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("eyJ"), "a token was recorded:\n{text}");
        files += 1;
    }
    assert!(files >= 10, "{files} recordings");
}

#[test]
fn a_recording_folder_that_cannot_be_made_is_bad_input() {
    let file = folder("blocker").join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let target = file.join("recordings");
    let run = callspec(&[
        "features/create_call/p2p_voip.feature",
        "--record",
        &target.display().to_string(),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("cannot create the recording folder"),
        "{}",
        run.output()
    );
}

/// A FIFO at `path` (made with mkfifo(3)): opening it for reading would wait for a writer.
fn fifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; mkfifo touches nothing else.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

#[test]
fn hostile_recordings_get_clear_errors_not_panics_or_hangs() {
    let (_, har) = p2p_recording("hostile");
    let started = std::time::Instant::now();
    for (seconds, shown) in [(json!(1e300), "1e300"), (json!(-5), "-5")] {
        let mut bad = har.clone();
        bad["log"]["_callspec"]["durationSeconds"] = seconds;
        let run = drift(&write("duration", &bad));
        assert_eq!(run.code, Some(2), "{}", run.output());
        assert!(
            run.stderr
                .contains("altered.har: log._callspec.durationSeconds is")
                && run.stderr.contains("between 0 and"),
            "{shown}: {}",
            run.output()
        );
    }
    let mut bad = har.clone();
    bad["log"]["entries"][0]["time"] = json!(1e300);
    let run = drift(&write("time", &bad));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("log.entries[0].time"),
        "{}",
        run.output()
    );

    // A byte-order mark is stripped: the recording replays.
    let dir = folder("bom");
    let text = format!("\u{feff}{}", serde_json::to_string(&har).unwrap());
    std::fs::write(dir.join("bom.har"), text).unwrap();
    let run = drift(&dir);
    assert_eq!(run.code, Some(0), "{}", run.output());

    // A HAR from a browser is not a callspec recording, and says so.
    let foreign = json!({"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "120"},
        "pages": [], "entries": []}});
    let run = drift(&write("foreign", &foreign));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr.contains("altered.har: not a callspec recording"),
        "{}",
        run.output()
    );

    // A recording with nothing in it is not "no drift".
    let mut empty = har.clone();
    empty["log"]["entries"] = json!([]);
    let run = drift(&write("no-entries", &empty));
    assert_eq!(run.code, Some(2), "{}", run.output());
    assert!(
        run.stderr
            .contains("altered.har: the recording has no entries"),
        "{}",
        run.output()
    );

    // A FIFO named like a recording, found in a folder or given, is refused without opening it.
    let dir = folder("fifo");
    fifo(&dir.join("x.har"));
    for path in [dir.clone(), dir.join("x.har")] {
        let run = drift(&path);
        assert_eq!(run.code, Some(2), "{}", run.output());
        assert!(
            run.stderr.contains("x.har") && run.stderr.contains("a FIFO"),
            "{}",
            run.output()
        );
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
