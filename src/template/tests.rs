//! Unit tests of the template module (one file: they cross its parts).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::display::{absolute, show_path};
use super::path::{format_path, parse_path, Segment};
use super::suggest::closest;
use super::*;
use serde_json::json;

fn vars(v: Value) -> Vars {
    match v {
        Value::Object(m) => m,
        other => panic!("vars must be an object, got {other}"),
    }
}

/// A unique temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("callspec-template-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn store(&self) -> TemplateStore {
        TemplateStore::new([self.0.join("scenarios")])
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// --- interpolation --------------------------------------------------------------------

#[test]
fn whole_string_placeholder_keeps_type() {
    let v = vars(json!({
        "obj": {"a": 1}, "arr": [1, "x"], "num": 42, "flt": 1.5, "nul": null, "yes": true
    }));
    assert_eq!(interpolate_str("${obj}", &v).unwrap(), json!({"a": 1}));
    assert_eq!(interpolate_str("${arr}", &v).unwrap(), json!([1, "x"]));
    assert_eq!(interpolate_str("${num}", &v).unwrap(), json!(42));
    assert_eq!(interpolate_str("${flt}", &v).unwrap(), json!(1.5));
    assert_eq!(interpolate_str("${nul}", &v).unwrap(), Value::Null);
    assert_eq!(interpolate_str("${yes}", &v).unwrap(), json!(true));
}

#[test]
fn inline_placeholder_inserts_text() {
    let v = vars(json!({"host": "bot.contoso.com", "n": 3, "o": {"a": [1, 2]}, "z": null}));
    assert_eq!(
        interpolate_str("https://${host}/cb?n=${n}", &v).unwrap(),
        json!("https://bot.contoso.com/cb?n=3")
    );
    assert_eq!(
        interpolate_str("o=${o};z=${z}", &v).unwrap(),
        json!("o={\"a\":[1,2]};z=null")
    );
    assert_eq!(
        interpolate_str("plain text", &v).unwrap(),
        json!("plain text")
    );
    assert_eq!(interpolate_str(" ${n}", &v).unwrap(), json!(" 3"));
}

#[test]
fn defaults_whole_and_inline() {
    let v = vars(json!({"set": "yes", "nul": null}));
    assert_eq!(interpolate_str("${n:-30}", &v).unwrap(), json!(30));
    assert_eq!(interpolate_str("${x:-null}", &v).unwrap(), Value::Null);
    assert_eq!(interpolate_str("${x:-true}", &v).unwrap(), json!(true));
    assert_eq!(
        interpolate_str("${x:-[a, b]}", &v).unwrap(),
        json!(["a", "b"])
    );
    assert_eq!(interpolate_str("${x:-{}}", &v).unwrap(), json!({}));
    assert_eq!(interpolate_str("${x:-}", &v).unwrap(), json!(""));
    assert_eq!(
        interpolate_str("${x:-hello world}", &v).unwrap(),
        json!("hello world")
    );
    assert_eq!(
        interpolate_str("${cb:-https://bot.contoso.com/callback}", &v).unwrap(),
        json!("https://bot.contoso.com/callback")
    );
    // Null variables take the default; defined ones win.
    assert_eq!(interpolate_str("${nul:-7}", &v).unwrap(), json!(7));
    assert_eq!(interpolate_str("${set:-no}", &v).unwrap(), json!("yes"));
    // Inside longer text the default is literal text.
    assert_eq!(interpolate_str("n=${n:-30}", &v).unwrap(), json!("n=30"));
    assert_eq!(interpolate_str("[${x:-}]", &v).unwrap(), json!("[]"));
    assert_eq!(interpolate_str("${nul:-d}!", &v).unwrap(), json!("d!"));
}

#[test]
fn escape_produces_literal_placeholder() {
    let v = vars(json!({"x": 1}));
    assert_eq!(interpolate_str("$${x}", &v).unwrap(), json!("${x}"));
    assert_eq!(
        interpolate_str("a $${undefined} b ${x}", &v).unwrap(),
        json!("a ${undefined} b 1")
    );
    assert_eq!(interpolate_str("cost: $5", &v).unwrap(), json!("cost: $5"));
}

#[test]
fn hash_strings_are_plain_text() {
    let v = Vars::new();
    let value = json!({"@odata.type": "#microsoft.graph.call", "id": "#uuid", "r": "#regex ^a.*$"});
    assert_eq!(interpolate(&value, &v).unwrap(), value);
    assert_eq!(parse_scalar("#uuid"), json!("#uuid"));
}

#[test]
fn undefined_variable_without_file() {
    let v = vars(json!({"b": 1, "a": 2}));
    let err = interpolate_str("x ${missing} y", &v).unwrap_err();
    assert!(matches!(&err, TemplateError::UndefinedVariable { name, .. } if name == "missing"));
    assert_eq!(
        err.to_string(),
        "undefined variable \"missing\" (defined: a, b)"
    );
    let err = interpolate_str("${missing}", &Vars::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "undefined variable \"missing\" (no variables are defined)"
    );
}

#[test]
fn undefined_variable_names_file_line_column_and_defined() {
    let dir = TempDir::new();
    let file = dir.write(
        "scenarios/requests/p2p.yaml",
        "description: test\n\
             body:\n\
             \x20 \"@odata.type\": \"#microsoft.graph.call\"\n\
             \x20 targets:\n\
             \x20   - identity:\n\
             \x20       user:\n\
             \x20         id: ${callee_id}\n",
    );
    let t = dir.store().request("p2p").unwrap();
    let v = vars(json!({"graph": "x", "callback_uri": "y", "call.id": "z"}));
    let err = t.render(&v).unwrap_err();
    match &err {
        TemplateError::UndefinedVariable {
            name,
            suggestions,
            file: f,
            line,
            column,
            defined,
        } => {
            assert_eq!(name, "callee_id");
            assert!(suggestions.is_empty(), "{suggestions:?}");
            assert_eq!(f.as_deref(), Some(file.as_path()));
            assert_eq!((*line, *column), (Some(7), Some(15)));
            assert_eq!(defined, &["call.id", "callback_uri", "graph"]);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.ends_with(
            ":7:15: undefined variable \"callee_id\" (defined: call.id, callback_uri, graph)"
        ),
        "{msg}"
    );
    assert!(msg.contains("p2p.yaml"), "{msg}");
}

#[test]
fn undefined_variable_list_is_capped() {
    let mut v = Vars::new();
    for i in 0..30 {
        v.insert(format!("v{i:02}"), json!(i));
    }
    match interpolate_str("${nope}", &v).unwrap_err() {
        TemplateError::UndefinedVariable { defined, .. } => {
            assert_eq!(defined.len(), MAX_LISTED_NAMES + 1);
            assert_eq!(defined.last().unwrap(), "...");
            assert_eq!(defined[0], "v00");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn unterminated_and_bad_placeholders() {
    let v = vars(json!({"x": 1}));
    let err = interpolate_str("abc ${x", &v).unwrap_err();
    assert!(matches!(&err, TemplateError::Unterminated { text, .. } if text == "${x"));
    assert!(
        err.to_string().contains("unterminated placeholder \"${x\""),
        "{err}"
    );
    let err = interpolate_str("${x:-{}", &v).unwrap_err();
    assert!(matches!(err, TemplateError::Unterminated { .. }), "{err}");
    let err = interpolate_str("${ x }", &v).unwrap_err();
    assert!(
        matches!(&err, TemplateError::BadPlaceholder { text, .. } if text == "${ x }"),
        "{err}"
    );
    let err = interpolate_str("${}", &v).unwrap_err();
    assert!(matches!(err, TemplateError::BadPlaceholder { .. }), "{err}");
    let err = interpolate_str("${1x}", &v).unwrap_err();
    assert!(matches!(err, TemplateError::BadPlaceholder { .. }), "{err}");
}

#[test]
fn unterminated_in_docstring_reports_position() {
    let origin = Origin::new("features/a.feature", 10);
    let err = render_text("a: 1\nb: \"x ${y\"\n", &origin, &Vars::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "features/a.feature:12:7: unterminated placeholder \"${y\" (missing closing brace)"
    );
}

#[test]
fn dotted_and_indexed_lookups() {
    let v = vars(json!({
        "call": {"id": "c1", "targets": [{"identity": {"user": {"id": "u1"}}}]},
        "list": [10, 20]
    }));
    assert_eq!(interpolate_str("${call.id}", &v).unwrap(), json!("c1"));
    assert_eq!(
        interpolate_str("${call.targets[0].identity.user.id}", &v).unwrap(),
        json!("u1")
    );
    assert_eq!(interpolate_str("${list[1]}", &v).unwrap(), json!(20));
    assert_eq!(interpolate_str("${call}", &v).unwrap()["id"], json!("c1"));
    assert!(interpolate_str("${call.nope}", &v).is_err());
    assert!(interpolate_str("${list[5]}", &v).is_err());
}

#[test]
fn flat_key_takes_precedence() {
    let v = vars(json!({"call.id": "flat", "call": {"id": "nested", "state": "x"}}));
    assert_eq!(interpolate_str("${call.id}", &v).unwrap(), json!("flat"));
    assert_eq!(interpolate_str("${call.state}", &v).unwrap(), json!("x"));
    let v = vars(json!({"callee-id": "dash"}));
    assert_eq!(interpolate_str("${callee-id}", &v).unwrap(), json!("dash"));
}

#[test]
fn interpolates_keys_and_nested_values() {
    let v = vars(json!({"k": "name", "n": 5, "id": "abc"}));
    let value = json!({"${k}": ["${n}", {"x-${id}": "${id}"}], "n": "${n}"});
    assert_eq!(
        interpolate(&value, &v).unwrap(),
        json!({"name": [5, {"x-abc": "abc"}], "n": 5})
    );
    // A non-string value used as a key becomes its JSON text.
    let value = json!({"${n}": 1});
    assert_eq!(interpolate(&value, &v).unwrap(), json!({"5": 1}));
}

// --- paths ----------------------------------------------------------------------------

#[test]
fn lookup_paths() {
    let doc = json!({
        "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig"},
        "targets": [{"identity": {"user": {"id": "u1"}}}],
        "a.b": 1
    });
    assert_eq!(
        lookup(&doc, "mediaConfig[\"@odata.type\"]"),
        Some(&json!("#microsoft.graph.serviceHostedMediaConfig"))
    );
    assert_eq!(
        lookup(&doc, "mediaConfig['@odata.type']"),
        Some(&json!("#microsoft.graph.serviceHostedMediaConfig"))
    );
    assert_eq!(
        lookup(&doc, "targets[0].identity.user.id"),
        Some(&json!("u1"))
    );
    assert_eq!(
        lookup(&doc, "$.targets[0].identity.user.id"),
        Some(&json!("u1"))
    );
    assert_eq!(
        lookup(&doc, "$targets[0].identity"),
        lookup(&doc, "targets[0].identity")
    );
    assert_eq!(lookup(&doc, "['a.b']"), Some(&json!(1)));
    assert_eq!(lookup(&doc, "$"), Some(&doc));
    assert_eq!(lookup(&doc, ""), Some(&doc));
    assert_eq!(lookup(&doc, "targets[1]"), None);
    assert_eq!(lookup(&doc, "targets.x"), None);
    assert_eq!(lookup(&doc, "a..b"), None);
    assert_eq!(lookup(&doc, "targets[x]"), None);
}

#[test]
fn path_round_trip_formatting() {
    let segs = parse_path("a[\"@odata.type\"][2].b-c").unwrap();
    assert_eq!(
        segs,
        vec![
            Segment::Key("a".into()),
            Segment::Key("@odata.type".into()),
            Segment::Index(2),
            Segment::Key("b-c".into())
        ]
    );
    assert_eq!(format_path(&segs), "a[\"@odata.type\"][2].b-c");
    assert!(parse_path("a.").is_err());
    assert!(parse_path("a[\"x]").is_err());
    assert!(parse_path("a[0").is_err());
}

#[test]
fn set_path_creates_objects_and_appends() {
    let mut doc = json!({"a": {"x": 1}, "list": [1]});
    set_path(&mut doc, "a.b.c", json!(2)).unwrap();
    set_path(&mut doc, "list[1]", json!(9)).unwrap();
    set_path(&mut doc, "list[0]", json!(0)).unwrap();
    set_path(&mut doc, "new[0].id", json!("n")).unwrap();
    set_path(&mut doc, "mediaConfig[\"@odata.type\"]", json!("#t")).unwrap();
    assert_eq!(
        doc,
        json!({
            "a": {"x": 1, "b": {"c": 2}},
            "list": [0, 9],
            "new": [{"id": "n"}],
            "mediaConfig": {"@odata.type": "#t"}
        })
    );
    // Existing keys keep their position.
    set_path(&mut doc, "a.x", json!(5)).unwrap();
    assert_eq!(doc["a"].as_object().unwrap().keys().next().unwrap(), "x");
    let mut root = json!(1);
    set_path(&mut root, "$", json!({"r": true})).unwrap();
    assert_eq!(root, json!({"r": true}));
}

#[test]
fn set_path_errors() {
    let mut doc = json!({"list": [1, 2], "s": "text"});
    let err = set_path(&mut doc, "list[5]", json!(0)).unwrap_err();
    assert!(matches!(&err, TemplateError::BadPath { path, .. } if path == "list[5]"));
    assert_eq!(
            err.to_string(),
            "bad path \"list[5]\": index 5 is out of range at list: the array has 2 items (use [2] to append)"
        );
    let err = set_path(&mut doc, "s.x", json!(0)).unwrap_err();
    assert_eq!(
            err.to_string(),
            "bad path \"s.x\": cannot set key \"x\" at s: expected an object, found a string (\"text\")"
        );
    let err = set_path(&mut doc, "list.x", json!(0)).unwrap_err();
    assert!(
        err.to_string().contains("found an array (2 items)"),
        "{err}"
    );
    let err = set_path(&mut doc, "s[0]", json!(0)).unwrap_err();
    assert!(err.to_string().contains("expected an array"), "{err}");
    assert_eq!(doc, json!({"list": [1, 2], "s": "text"}));
}

#[test]
fn remove_path_and_errors() {
    let mut doc = json!({"a": 1, "b": {"c": [1, 2, 3], "d": 4}, "e": 5});
    assert_eq!(remove_path(&mut doc, "b.c[1]").unwrap(), json!(2));
    assert_eq!(remove_path(&mut doc, "a").unwrap(), json!(1));
    // Order of the remaining keys is kept.
    assert_eq!(doc, json!({"b": {"c": [1, 3], "d": 4}, "e": 5}));
    assert_eq!(
        doc.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["b", "e"]
    );
    let err = remove_path(&mut doc, "b.zz").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad path \"b.zz\": no key \"zz\" in b (keys: c, d)"
    );
    let err = remove_path(&mut doc, "x.y").unwrap_err();
    assert!(err.to_string().contains("no key \"x\" in $"), "{err}");
    let err = remove_path(&mut doc, "b.c[7]").unwrap_err();
    assert!(err.to_string().contains("no index 7 in b.c"), "{err}");
    let err = remove_path(&mut doc, "e.f").unwrap_err();
    assert!(err.to_string().contains("found a number (5)"), "{err}");
    assert!(remove_path(&mut doc, "$").is_err());
}

#[test]
fn quoted_keys_with_odata_type() {
    let mut doc = json!({"mediaConfig": {"@odata.type": "#a", "blob": "x"}});
    set_path(&mut doc, "mediaConfig['@odata.type']", json!("#b")).unwrap();
    assert_eq!(doc["mediaConfig"]["@odata.type"], json!("#b"));
    assert_eq!(
        remove_path(&mut doc, "$.mediaConfig[\"@odata.type\"]").unwrap(),
        json!("#b")
    );
    assert_eq!(doc, json!({"mediaConfig": {"blob": "x"}}));
    set_path(&mut doc, "[\"@odata.type\"]", json!("#c")).unwrap();
    assert_eq!(lookup(&doc, "['@odata.type']"), Some(&json!("#c")));
}

#[test]
fn parse_scalar_cases() {
    assert_eq!(parse_scalar("30"), json!(30));
    assert_eq!(parse_scalar("-2.5"), json!(-2.5));
    assert_eq!(parse_scalar("null"), Value::Null);
    // YAML's other spelling of null is not JSON's: it stays the text written.
    assert_eq!(parse_scalar("~"), json!("~"));
    assert_eq!(parse_scalar("true"), json!(true));
    assert_eq!(parse_scalar("false"), json!(false));
    assert_eq!(parse_scalar("[a, b]"), json!(["a", "b"]));
    assert_eq!(parse_scalar("[1, \"2\"]"), json!([1, "2"]));
    assert_eq!(parse_scalar("{a: 1}"), json!({"a": 1}));
    assert_eq!(parse_scalar("\"30\""), json!("30"));
    assert_eq!(parse_scalar("'it''s'"), json!("it's"));
    assert_eq!(parse_scalar(""), json!(""));
    assert_eq!(parse_scalar("hello world"), json!("hello world"));
    assert_eq!(parse_scalar("a: b"), json!("a: b"));
    assert_eq!(parse_scalar("- x"), json!("- x"));
    assert_eq!(parse_scalar("a #b"), json!("a #b"));
    assert_eq!(parse_scalar("[unclosed"), json!("[unclosed"));
    assert_eq!(parse_scalar("@odata"), json!("@odata"));
    assert_eq!(parse_scalar("\"30\" extra"), json!("\"30\" extra"));
    assert_eq!(parse_scalar(".nan"), json!(".nan"));
    assert_eq!(parse_scalar("#regex ^a.*$"), json!("#regex ^a.*$"));
}

// --- YAML parsing -------------------------------------------------------------------------

#[test]
fn render_text_keeps_order_and_types() {
    let origin = Origin::new("f.feature", 3);
    let v = vars(json!({"id": "abc", "n": 2}));
    let out = render_text("z: ${id}\na: ${n}\nm:\n  - ${n:-1}\n  - x\n", &origin, &v).unwrap();
    assert_eq!(out, json!({"z": "abc", "a": 2, "m": [2, "x"]}));
    assert_eq!(
        out.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["z", "a", "m"]
    );
    assert_eq!(render_text("", &origin, &v).unwrap(), Value::Null);
    assert_eq!(
        render_text("1: one\ntrue: t\n", &origin, &v).unwrap(),
        json!({"1": "one", "true": "t"})
    );
}

#[test]
fn render_text_undefined_position_uses_offset() {
    let origin = Origin::new("features/calls.feature", 20);
    let err = render_text("a: 1\nb:\n  c: \"${nope}\"\n", &origin, &Vars::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "features/calls.feature:23:7: undefined variable \"nope\" (no variables are defined)"
    );
}

#[test]
fn yaml_syntax_error_has_position() {
    let origin = Origin::new("x.feature", 5);
    let err = parse_text("a: 1\nb: [1, 2\nc: 3\n", &origin).unwrap_err();
    match &err {
        TemplateError::Yaml {
            line,
            column,
            message,
            ..
        } => {
            assert!(*line > 5, "{err}");
            assert!(*column >= 1);
            assert!(
                !message.contains(&format!("at line {} column", line - 5)),
                "{message}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().starts_with("x.feature:"), "{err}");

    let err = parse_text("a: 1\n  b: 2\n", &Origin::new("y.yaml", 0)).unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::Yaml {
                line: 2,
                column: 4,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "y.yaml:2:4: mapping values are not allowed in this context"
    );
}

#[test]
fn yaml_tags_and_non_json_numbers_are_errors() {
    let origin = Origin::new("t.yaml", 0);
    let err = parse_text("a: !foo 3\n", &origin).unwrap_err();
    assert!(err.to_string().starts_with("t.yaml:1:4: "), "{err}");
    assert!(err.to_string().contains("YAML tags"), "{err}");
    let err = parse_text("a: .inf\n", &origin).unwrap_err();
    assert!(
        err.to_string().contains("cannot be represented in JSON"),
        "{err}"
    );
}

#[test]
fn duplicate_key_error_points_at_key() {
    let err = parse_text("a: 1\nb:\n  c: 1\n  c: 2\n", &Origin::new("d.yaml", 0)).unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::Yaml {
                line: 4,
                column: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("duplicate key \"c\""), "{err}");
}

// --- templates ------------------------------------------------------------------------

const BASE: &str = "\
description: Peer-to-peer VoIP call, service-hosted media
path: /v1.0/communications/calls
vars:
  callee_id: 112f7296-5fa4-42ca-bae8-6a692b15d4b8
  tenant: base-tenant
body:
  \"@odata.type\": \"#microsoft.graph.call\"
  callbackUri: ${callback_uri:-https://bot.contoso.com/callback}
  targets:
    - identity:
        user:
          id: ${callee_id}
  mediaConfig:
    \"@odata.type\": \"#microsoft.graph.serviceHostedMediaConfig\"
  source:
    region: us
    tenant: ${tenant}
  timeout: ${timeout:-30}
";

#[test]
fn loads_and_renders_a_template() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/v1/p2p.yaml", BASE);
    let t = dir.store().request("v1/p2p").unwrap();
    assert_eq!(t.name, "v1/p2p");
    assert_eq!(t.path.as_deref(), Some("/v1.0/communications/calls"));
    assert!(t
        .description
        .as_deref()
        .unwrap()
        .starts_with("Peer-to-peer"));
    assert_eq!(t.defaults()["tenant"], json!("base-tenant"));
    let out = t.render(&vars(json!({"tenant": "mine"}))).unwrap();
    assert_eq!(
        out["callbackUri"],
        json!("https://bot.contoso.com/callback")
    );
    assert_eq!(
        out["targets"][0]["identity"]["user"]["id"],
        json!("112f7296-5fa4-42ca-bae8-6a692b15d4b8")
    );
    assert_eq!(out["source"]["tenant"], json!("mine"));
    assert_eq!(out["timeout"], json!(30));
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "@odata.type",
            "callbackUri",
            "targets",
            "mediaConfig",
            "source",
            "timeout"
        ]
    );
    // .yml works as well, and a ".yaml" suffix on the name is accepted.
    dir.write("scenarios/requests/short.yml", "body: {a: 1}\n");
    assert_eq!(
        dir.store()
            .request("short")
            .unwrap()
            .render(&Vars::new())
            .unwrap(),
        json!({"a": 1})
    );
    assert_eq!(dir.store().request("short.yml").unwrap().name, "short");
}

#[test]
fn extends_with_set_remove_and_vars_inheritance() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/v1/p2p.yaml", BASE);
    dir.write(
        "scenarios/requests/app-hosted.yaml",
        "extends: v1/p2p\n\
             vars:\n\
             \x20 tenant: child-tenant\n\
             \x20 blob: <Media Session Configuration>\n\
             set:\n\
             \x20 mediaConfig[\"@odata.type\"]: \"#microsoft.graph.appHostedMediaConfig\"\n\
             \x20 mediaConfig.blob: ${blob}\n\
             \x20 targets[1]: {identity: {user: {id: second}}}\n\
             remove:\n\
             \x20 - source.region\n",
    );
    let t = dir.store().request("app-hosted").unwrap();
    assert_eq!(t.path.as_deref(), Some("/v1.0/communications/calls"));
    assert!(t
        .description
        .as_deref()
        .unwrap()
        .starts_with("Peer-to-peer"));
    assert_eq!(t.defaults()["tenant"], json!("child-tenant"));
    assert_eq!(
        t.defaults()["callee_id"],
        json!("112f7296-5fa4-42ca-bae8-6a692b15d4b8")
    );
    let out = t.render(&Vars::new()).unwrap();
    assert_eq!(
        out["mediaConfig"],
        json!({"@odata.type": "#microsoft.graph.appHostedMediaConfig", "blob": "<Media Session Configuration>"})
    );
    assert_eq!(out["source"], json!({"tenant": "child-tenant"}));
    assert_eq!(out["targets"][1]["identity"]["user"]["id"], json!("second"));
    // Caller vars win over every default.
    let out = t
        .render(&vars(json!({"blob": "B", "callee_id": "C"})))
        .unwrap();
    assert_eq!(out["mediaConfig"]["blob"], json!("B"));
    assert_eq!(out["targets"][0]["identity"]["user"]["id"], json!("C"));

    // A child with its own body replaces the base body wholesale but keeps path and vars.
    dir.write(
        "scenarios/requests/own-body.yaml",
        "extends: app-hosted\npath: /beta/x\nbody:\n  who: ${tenant}\n",
    );
    let t = dir.store().request("own-body").unwrap();
    assert_eq!(t.path.as_deref(), Some("/beta/x"));
    assert_eq!(
        t.render(&Vars::new()).unwrap(),
        json!({"who": "child-tenant"})
    );
}

#[test]
fn defaults_may_reference_other_variables() {
    let dir = TempDir::new();
    dir.write(
            "scenarios/requests/cb.yaml",
            "vars:\n  base: https://bot\n  callback: ${base}/callback\nbody:\n  callbackUri: ${callback}\n",
        );
    let t = dir.store().request("cb").unwrap();
    assert_eq!(
        t.render(&Vars::new()).unwrap(),
        json!({"callbackUri": "https://bot/callback"})
    );
    assert_eq!(
        t.render(&vars(json!({"base": "https://other"}))).unwrap(),
        json!({"callbackUri": "https://other/callback"})
    );
}

#[test]
fn unresolvable_defaults_only_fail_when_used() {
    let dir = TempDir::new();
    let file = dir.write(
            "scenarios/requests/lazy.yaml",
            "vars:\n  unused: ${nothing}\n  cb: ${base_url}/cb\n  wrapped: [\"${cb}\"]\nbody:\n  a: ${a:-1}\n",
        );
    let t = dir.store().request("lazy").unwrap();
    assert_eq!(t.render(&Vars::new()).unwrap(), json!({"a": 1}));
    dir.write(
        "scenarios/requests/lazy2.yaml",
        "extends: lazy\nbody:\n  cb: ${wrapped}\n",
    );
    let err = dir
        .store()
        .request("lazy2")
        .unwrap()
        .render(&Vars::new())
        .unwrap_err();
    // The error names the root cause: base_url, in the file that uses it.
    match err {
        TemplateError::UndefinedVariable {
            name,
            file: f,
            line,
            ..
        } => {
            assert_eq!(name, "base_url");
            assert_eq!(f, Some(file));
            assert_eq!(line, Some(3));
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn undefined_variable_in_base_points_at_base_file() {
    let dir = TempDir::new();
    let base = dir.write(
        "scenarios/requests/base.yaml",
        "body:\n  a: 1\n  b: ${needed}\n",
    );
    dir.write(
        "scenarios/requests/child.yaml",
        "extends: base\nset:\n  c: 2\n",
    );
    let err = dir
        .store()
        .request("child")
        .unwrap()
        .render(&Vars::new())
        .unwrap_err();
    match err {
        TemplateError::UndefinedVariable {
            file, line, column, ..
        } => {
            assert_eq!(file, Some(base));
            assert_eq!((line, column), (Some(3), Some(6)));
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn set_error_in_template_has_position() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/base.yaml", "body:\n  list: [1]\n");
    let child = dir.write(
        "scenarios/requests/child.yaml",
        "extends: base\nset:\n  list[4]: 2\n",
    );
    let err = dir.store().request("child").unwrap_err();
    match &err {
        TemplateError::Invalid {
            file,
            line,
            column,
            message,
        } => {
            assert_eq!(file, &child);
            assert_eq!((*line, *column), (3, 3));
            assert!(message.contains("index 4 is out of range"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    dir.write(
        "scenarios/requests/child2.yaml",
        "extends: base\nremove:\n  - nothing.here\n",
    );
    let err = dir.store().request("child2").unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::Invalid {
                line: 3,
                column: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no key \"nothing\""), "{err}");
}

#[test]
fn extends_cycle_is_detected() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/a.yaml", "extends: b\n");
    dir.write("scenarios/requests/b.yaml", "extends: c\nbody: {}\n");
    dir.write("scenarios/requests/c.yaml", "extends: a\n");
    let err = dir.store().request("a").unwrap_err();
    match &err {
        TemplateError::ExtendsCycle { chain } => assert_eq!(chain, &["a", "b", "c", "a"]),
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(err.to_string(), "extends cycle: a -> b -> c -> a");
    dir.write("scenarios/requests/self.yaml", "extends: self\n");
    let err = dir.store().request("self").unwrap_err();
    // With one root, extending its own name looks in later roots only: not found.
    assert!(
        matches!(
            err,
            TemplateError::Invalid {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("extends: template \"self\" not found"),
        "{err}"
    );
}

#[test]
fn extends_own_name_uses_a_later_root() {
    let dir = TempDir::new();
    dir.write(
        "shared/scenarios/requests/p2p.yaml",
        "path: /v1.0/x\nbody: {a: 1, b: 2}\n",
    );
    dir.write(
        "local/scenarios/requests/p2p.yaml",
        "extends: p2p\nset:\n  b: 3\n",
    );
    let store = TemplateStore::new([
        dir.0.join("local/scenarios"),
        dir.0.join("shared/scenarios"),
    ]);
    let t = store.request("p2p").unwrap();
    assert_eq!(t.path.as_deref(), Some("/v1.0/x"));
    assert_eq!(t.render(&Vars::new()).unwrap(), json!({"a": 1, "b": 3}));
}

#[test]
fn unknown_top_level_key_has_position() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/typo.yaml", "path: /x\nbodyy:\n  a: 1\n");
    let err = dir.store().request("typo").unwrap_err();
    match &err {
        TemplateError::Yaml {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((*line, *column), (2, 1));
            assert!(message.contains("unknown field `bodyy`"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("typo.yaml:2:1: unknown field `bodyy`"),
        "{err}"
    );
}

#[test]
fn template_syntax_and_shape_errors() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/bad.yaml", "body:\n  a: [1, 2\n  b: 3\n");
    let err = dir.store().request("bad").unwrap_err();
    assert!(
        matches!(err, TemplateError::Yaml { line, .. } if line >= 2),
        "{err}"
    );

    dir.write("scenarios/requests/list.yaml", "- a\n- b\n");
    let err = dir.store().request("list").unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Yaml {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("request template mapping"),
        "{err}"
    );

    dir.write("scenarios/requests/nobody.yaml", "path: /x\n");
    let err = dir.store().request("nobody").unwrap_err();
    assert!(matches!(err, TemplateError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("needs a `body`"), "{err}");

    dir.write(
        "scenarios/requests/dup.yaml",
        "body: {}\npath: /a\npath: /b\n",
    );
    let err = dir.store().request("dup").unwrap_err();
    assert!(matches!(err, TemplateError::Yaml { line: 3, .. }), "{err}");

    dir.write("scenarios/requests/setlist.yaml", "body: {}\nset: [a]\n");
    let err = dir.store().request("setlist").unwrap_err();
    assert!(matches!(err, TemplateError::Yaml { line: 2, .. }), "{err}");

    dir.write("scenarios/requests/empty.yaml", "\n");
    let err = dir.store().request("empty").unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn not_found_suggests_closest_name() {
    let dir = TempDir::new();
    dir.write("scenarios/requests/p2p.yaml", "body: {}\n");
    dir.write("scenarios/requests/v1/group-call.yaml", "body: {}\n");
    // Without the built-in templates: their beta/group-call would be as close as v1/group-call.
    let store = TemplateStore::new([dir.0.join("scenarios"), dir.0.join("other/scenarios")])
        .without_builtins();
    let err = store.request("p2p-typo").unwrap_err();
    match &err {
        TemplateError::NotFound {
            name,
            roots,
            suggestion,
            ..
        } => {
            assert_eq!(name, "p2p-typo");
            assert_eq!(roots.len(), 2);
            assert_eq!(suggestion.as_deref(), Some("p2p"));
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.starts_with("template \"p2p-typo\" not found; looked for /"),
        "{msg}"
    );
    assert!(msg.ends_with("; did you mean \"p2p\"?"), "{msg}");
    let err = store.request("group-call").unwrap_err();
    assert!(
        err.to_string().ends_with("did you mean \"v1/group-call\"?"),
        "{err}"
    );
    let err = store.request("completely-different-thing").unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::NotFound {
                suggestion: None,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.request_names(), ["p2p", "v1/group-call"]);
}

#[test]
fn bad_names_are_rejected() {
    let dir = TempDir::new();
    let store = dir.store();
    for name in ["../secret", "a/../../b", "/etc/passwd", "", "  "] {
        let err = store.request(name).unwrap_err();
        assert!(
            matches!(err, TemplateError::BadName { .. }),
            "{name}: {err}"
        );
    }
    let err = store.document("../x.yaml").unwrap_err();
    assert!(err.to_string().contains("`..` is not allowed"), "{err}");
    dir.write("scenarios/requests/bad-extends.yaml", "extends: ../up\n");
    let err = store.request("bad-extends").unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Invalid {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn documents_load_and_render() {
    let dir = TempDir::new();
    let file = dir.write(
        "scenarios/responses/call-establishing.yaml",
        "id: ${call.id}\nstate: establishing\ncount: ${n:-1}\nmissing: ${absent}\n",
    );
    let store = dir.store();
    let doc = store.document("responses/call-establishing.yaml").unwrap();
    assert_eq!(doc.file, file);
    assert_eq!(doc.value()["state"], json!("establishing"));
    let err = doc
        .render(&vars(json!({"call": {"id": "c1"}})))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::UndefinedVariable {
                line: Some(4),
                column: Some(10),
                ..
            }
        ),
        "{err}"
    );
    let out = doc
        .render(&vars(json!({"call": {"id": "c1"}, "absent": false})))
        .unwrap();
    assert_eq!(
        out,
        json!({"id": "c1", "state": "establishing", "count": 1, "missing": false})
    );
    let err = store
        .document("responses/call-establishng.yaml")
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("did you mean \"responses/call-establishing.yaml\"?"),
        "{err}"
    );
}

#[test]
fn for_feature_search_order() {
    let dir = TempDir::new();
    let root = &dir.0;
    std::fs::create_dir_all(root.join("tests/must-fail/scenarios")).unwrap();
    std::fs::create_dir_all(root.join("tests/scenarios")).unwrap();
    std::fs::create_dir_all(root.join("scenarios")).unwrap();
    std::fs::create_dir_all(root.join("tests/other")).unwrap();
    let feature = dir.write("tests/must-fail/x.feature", "Feature: x\n");
    let store = TemplateStore::for_feature(&feature);
    let roots = store.roots();
    let expected = [
        root.join("tests/must-fail/scenarios"),
        root.join("tests/scenarios"),
        root.join("scenarios"),
    ];
    assert_eq!(&roots[..3], &expected);
    let cwd_scenarios = absolute(Path::new("scenarios"));
    assert_eq!(roots.last(), Some(&cwd_scenarios));
    assert!(roots.len() >= 4);

    // A `..` in the feature path is normalized; folders without scenarios/ are skipped.
    let feature = root.join("tests/must-fail/../other/y.feature");
    let store = TemplateStore::for_feature(&feature);
    assert_eq!(&store.roots()[..2], &expected[1..]);
}

#[test]
fn display_paths_are_relative_to_cwd() {
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(
        show_path(&cwd.join("scenarios/requests/p2p.yaml")),
        "scenarios/requests/p2p.yaml"
    );
    let parent_sibling = cwd.parent().unwrap().join("scenarios");
    if cwd.parent().and_then(Path::parent).is_some() {
        assert_eq!(
            show_path(&parent_sibling),
            parent_sibling.display().to_string()
        );
    }
    assert_eq!(show_path(Path::new("rel/x.yaml")), "rel/x.yaml");
    assert_eq!(show_path(&cwd), ".");
}

#[test]
fn closest_names() {
    let names = vec!["p2p".to_string(), "group-call".to_string()];
    assert_eq!(closest("grup-call", &names).as_deref(), Some("group-call"));
    assert_eq!(closest("zzzzzz", &names), None);
}

// --- messages a newcomer reads ---------------------------------------------------------

#[test]
fn undefined_variable_suggests_the_closest_defined_name() {
    let v = vars(json!({"callee_name": "Bob", "graph": "x", "call": {"id": "c1"}}));
    let err = interpolate_str("${callee_nmae}", &v).unwrap_err();
    assert!(
        err.to_string()
            .contains("undefined variable \"callee_nmae\"; did you mean \"callee_name\"?"),
        "{err}"
    );
    // Paths into objects are names too.
    let err = interpolate_str("${call.idd}", &v).unwrap_err();
    assert!(
        err.to_string().contains("did you mean \"call.id\"?"),
        "{err}"
    );
    // Nothing close: no suggestion.
    let err = interpolate_str("${zzzzqqq}", &v).unwrap_err();
    assert!(!err.to_string().contains("did you mean"), "{err}");
}

#[test]
fn docstring_positions_add_the_indentation_gherkin_strips() {
    // The docstring's `"""` is on line 5 of the feature file, indented 6 columns; Gherkin
    // hands over "\na: 1\nb: [1, 2\n" (the first line is the rest of the `"""` line).
    let origin = Origin::new("f.feature", 4).indented(6);
    let err = parse_text("\na: 1\nb: [1, 2\n", &origin).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("f.feature:8:7: "), "{msg}");
    assert!(msg.contains("flow sequence at line 7 column 10"), "{msg}");
    let err = render_text("\na: 1\nb: ${nope}\n", &origin, &Vars::new()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("f.feature:7:10: undefined variable"),
        "{err}"
    );
}

#[test]
fn a_table_cell_error_points_at_the_cell() {
    // `| subject | ${subjct} |` on line 12, the cell's text at column 17.
    let origin = Origin::new("f.feature", 11).indented(16);
    let text = "${subjct}";
    let err = interpolate_at(
        &parse_scalar(text),
        &vars(json!({"subject": 1})),
        &origin,
        text,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "f.feature:12:17: undefined variable \"subjct\"; did you mean \"subject\"?"
        ),
        "{err}"
    );
}

#[test]
fn unknown_extends_points_at_its_own_line() {
    let dir = TempDir::new();
    dir.write(
        "scenarios/requests/child.yaml",
        "description: extends the shared base, with a subject\nextends: no-such-base\nbody: {}\n",
    );
    let err = dir.store().request("child").unwrap_err().to_string();
    assert!(
        err.contains("child.yaml:2:1: extends: template \"no-such-base\" not found"),
        "{err}"
    );
}

#[test]
fn not_found_lists_every_file_looked_for_as_a_pasteable_path() {
    let dir = TempDir::new();
    dir.write("a/scenarios/requests/x.yaml", "body: {}\n");
    dir.write("b/scenarios/requests/y.yaml", "body: {}\n");
    let store = TemplateStore::new([dir.0.join("a/scenarios"), dir.0.join("b/scenarios")]);
    let err = store.request("z").unwrap_err().to_string();
    let a = dir.0.join("a/scenarios/requests/z.yaml");
    let b = dir.0.join("b/scenarios/requests/z.yaml");
    assert!(
        err.contains(&format!("looked for {}, {}", a.display(), b.display())),
        "{err}"
    );
}

#[test]
fn explicit_scenario_folders_replace_the_search() {
    let dir = TempDir::new();
    dir.write("feats/scenarios/requests/near.yaml", "body: {near: true}\n");
    dir.write("elsewhere/requests/far.yaml", "body: {far: true}\n");
    let feature = dir.0.join("feats/x.feature");
    let auto = TemplateStore::for_feature_in(&feature, &[]);
    assert!(auto.request("near").is_ok());
    let given = TemplateStore::for_feature_in(&feature, &[dir.0.join("elsewhere")]);
    assert_eq!(given.roots(), &[dir.0.join("elsewhere")]);
    assert_eq!(given.request("far").unwrap().body(), &json!({"far": true}));
    assert!(given.request("near").is_err());
}

#[test]
fn json_pasted_under_body_works_as_is_trailing_commas_included() {
    let dir = TempDir::new();
    dir.write(
        "scenarios/requests/pasted.yaml",
        r##"body: {
  "@odata.type": "#microsoft.graph.call",
  "callbackUri": "${callback_uri}",
  "requestedModalities": ["audio",],
  "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig", "removeFromDefaultAudioGroup": false,},
  "tenantId": "t",
}
"##,
    );
    let t = dir.store().request("pasted").unwrap();
    let body = t
        .render(&vars(json!({"callback_uri": "https://bot/cb"})))
        .unwrap();
    assert_eq!(
        body,
        json!({
            "@odata.type": "#microsoft.graph.call",
            "callbackUri": "https://bot/cb",
            "requestedModalities": ["audio"],
            "mediaConfig": {"@odata.type": "#microsoft.graph.serviceHostedMediaConfig", "removeFromDefaultAudioGroup": false},
            "tenantId": "t"
        })
    );
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_scenario_folders_is_refused_without_echoing_the_file() {
    let dir = TempDir::new();
    let secret = dir.write(
        "staging.env",
        "CALLSPEC_CLIENT_ID=abc\nCALLSPEC_CLIENT_SECRET=SuperSecretValue123\n",
    );
    dir.write("scenarios/requests/ok.yaml", "body: {}\n");
    std::os::unix::fs::symlink(&secret, dir.0.join("scenarios/requests/x.yaml")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.0.join("scenarios/doc.yaml")).unwrap();
    // A link inside the folders is fine.
    std::os::unix::fs::symlink(
        dir.0.join("scenarios/requests/ok.yaml"),
        dir.0.join("scenarios/requests/alias.yaml"),
    )
    .unwrap();
    let store = dir.store();
    assert!(store.request("alias").is_ok());
    for err in [
        store.request("x").unwrap_err(),
        store.document("doc.yaml").unwrap_err(),
    ] {
        assert!(
            matches!(err, TemplateError::OutsideScenarios { .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("outside the scenario folders"), "{msg}");
        assert!(!msg.contains("SuperSecret"), "{msg}");
    }
}

#[test]
fn yaml_type_errors_never_quote_the_file() {
    let dir = TempDir::new();
    dir.write(
        "scenarios/requests/env.yaml",
        "CALLSPEC_CLIENT_ID=abc\nCALLSPEC_CLIENT_SECRET=SuperSecretValue123\n",
    );
    let err = dir.store().request("env").unwrap_err().to_string();
    assert!(
        err.contains("env.yaml:1:1: invalid type: a string"),
        "{err}"
    );
    assert!(!err.contains("SuperSecret"), "{err}");
}

#[test]
fn files_above_the_limit_are_refused_before_parsing() {
    let dir = TempDir::new();
    let mut big = String::from("body:\n  items:\n");
    while big.len() as u64 <= MAX_TEMPLATE_BYTES {
        big.push_str("    - {a: 1, b: \"some text to make it long\"}\n");
    }
    dir.write("scenarios/requests/big.yaml", &big);
    let err = dir.store().request("big").unwrap_err();
    assert!(matches!(err, TemplateError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("1 MiB"), "{err}");
    let err = dir.store().document("requests/big.yaml").unwrap_err();
    assert!(matches!(err, TemplateError::TooLarge { .. }), "{err}");
}

#[test]
fn the_built_in_templates_come_after_the_folders_and_a_folder_may_refine_them() {
    let dir = TempDir::new();
    dir.write(
        "scenarios/requests/v1/p2p-voip-service-hosted.yaml",
        "extends: v1/p2p-voip-service-hosted\nset:\n  requestedModalities: [video]\n",
    );
    let store = TemplateStore::new([dir.0.join("scenarios")]);
    let refined = store.request("v1/p2p-voip-service-hosted").unwrap();
    assert_eq!(
        refined.file,
        dir.0
            .join("scenarios/requests/v1/p2p-voip-service-hosted.yaml")
    );
    let body = refined.render(&Vars::new()).unwrap();
    assert_eq!(body["requestedModalities"], json!(["video"]));
    assert!(body["targets"].is_array(), "the built-in body: {body}");

    let builtin = store.request("v1/p2p-pstn-service-hosted").unwrap();
    assert_eq!(
        builtin.file,
        std::path::PathBuf::from("<built-in>/requests/v1/p2p-pstn-service-hosted.yaml")
    );
    let doc = store
        .document("notifications/v1/p2p-connected.yaml")
        .unwrap();
    assert_eq!(
        doc.file,
        std::path::PathBuf::from("<built-in>/notifications/v1/p2p-connected.yaml")
    );

    let without = TemplateStore::new([dir.0.join("scenarios")]).without_builtins();
    let err = without
        .request("v1/p2p-pstn-service-hosted")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("built-in"), "{err}");
    let err = store.request("v1/nothing-like-it").unwrap_err().to_string();
    assert!(
        err.contains("requests/v1/nothing-like-it.yaml among the built-in templates"),
        "{err}"
    );
    assert!(err.contains("--scenarios DIR"), "{err}");
}
